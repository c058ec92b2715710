//! `bench-waits BASE_URL ACCESS_KEY [--n N] [--mode MODE] [--enroll-concurrency C]
//! [--max-concurrent-requests L] [--approve-after-s S]`
//!
//! Enrolls N users on an emulator running in another process (which approves each one a
//! fixed time after its enrollment), then runs N concurrent `wait_for_completion` calls on
//! one client until every user is approved. Prints one JSON document about the wait phase:
//! how late each poll went out against its ideal schedule, open connections to the
//! emulator, peak RSS, CPU, successes.
//!
//! Modes: `spread` (wait i starts i × 1.5 s / N after the first: users arriving over one
//! interval), `simultaneous` (all N start at the same instant), `simultaneous-jitter` (all
//! at once, with `WaitOptions::first_poll_jitter`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use authcloud::{Client, EnrollRequest, Error, StatusUpdate, WaitObserver, WaitOptions};
use tokio::sync::Semaphore;
use tokio::time::Instant;

const INTERVAL: Duration = authcloud::DEFAULT_POLL_INTERVAL;
/// How often the sampler thread reads RSS and the socket table.
const SAMPLE_EVERY: Duration = Duration::from_millis(100);
/// Width of the buckets that show how evenly the polls were sent.
const BUCKET: Duration = Duration::from_millis(100);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Spread,
    Simultaneous,
    SimultaneousJitter,
}

impl Mode {
    fn parse(s: &str) -> Mode {
        match s {
            "spread" => Mode::Spread,
            "simultaneous" => Mode::Simultaneous,
            "simultaneous-jitter" => Mode::SimultaneousJitter,
            other => panic!("unknown mode {other:?} (spread, simultaneous, simultaneous-jitter)"),
        }
    }
    fn name(self) -> &'static str {
        match self {
            Mode::Spread => "spread",
            Mode::Simultaneous => "simultaneous",
            Mode::SimultaneousJitter => "simultaneous-jitter",
        }
    }
}

struct Args {
    base_url: String,
    access_key: String,
    n: usize,
    mode: Mode,
    enroll_concurrency: usize,
    max_concurrent_requests: usize,
    approve_after_s: Option<f64>,
}

fn parse_args() -> Args {
    let mut positional = Vec::new();
    let mut args = Args {
        base_url: String::new(),
        access_key: String::new(),
        n: 10_000,
        mode: Mode::Spread,
        enroll_concurrency: 128,
        max_concurrent_requests: authcloud::DEFAULT_MAX_CONCURRENT_REQUESTS,
        approve_after_s: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--n" => args.n = value().parse().expect("--n N"),
            "--mode" => args.mode = Mode::parse(&value()),
            "--enroll-concurrency" => args.enroll_concurrency = value().parse().expect("--enroll-concurrency C"),
            "--max-concurrent-requests" => {
                args.max_concurrent_requests = value().parse().expect("--max-concurrent-requests L")
            }
            "--approve-after-s" => args.approve_after_s = Some(value().parse().expect("--approve-after-s S")),
            _ => positional.push(arg),
        }
    }
    let [base_url, access_key] = <[String; 2]>::try_from(positional).expect("BASE_URL ACCESS_KEY");
    args.base_url = base_url;
    args.access_key = access_key;
    args
}

/// A `/proc/self/status` field in KiB (`VmRSS`, `VmHWM`).
fn proc_status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes into the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// TCP connections this process holds open to `port` (any state but closed), and how many
/// of them are established: every socket descriptor in `/proc/self/fd` whose peer
/// (`getpeername`) has that port. (Reading `/proc/self/net/tcp` instead costs ~6 ms of
/// kernel time per read here, 0.06 core at 10 samples a second; this costs ~0.1 ms.)
fn open_connections_to(port: u16) -> (usize, usize) {
    let (mut open, mut established) = (0, 0);
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else { return (0, 0) };
    for entry in dir.flatten() {
        let Some(fd) = entry.file_name().to_str().and_then(|name| name.parse::<libc::c_int>().ok()) else {
            continue;
        };
        if !std::fs::read_link(entry.path()).is_ok_and(|t| t.to_string_lossy().starts_with("socket:")) {
            continue;
        }
        // SAFETY: getpeername and getsockopt only write into the buffers passed, within
        // the lengths given; a descriptor closed meanwhile makes them fail, nothing more.
        let mut addr: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        if unsafe { libc::getpeername(fd, (&raw mut addr).cast(), &mut len) } != 0 {
            continue;
        }
        let peer_port = match i32::from(addr.ss_family) {
            libc::AF_INET => u16::from_be(unsafe { (*(&raw const addr).cast::<libc::sockaddr_in>()).sin_port }),
            libc::AF_INET6 => u16::from_be(unsafe { (*(&raw const addr).cast::<libc::sockaddr_in6>()).sin6_port }),
            _ => continue,
        };
        if peer_port != port {
            continue;
        }
        open += 1;
        let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
        let ok = unsafe { libc::getsockopt(fd, libc::IPPROTO_TCP, libc::TCP_INFO, (&raw mut info).cast(), &mut len) };
        if ok == 0 && info.tcpi_state == 1 {
            established += 1; // TCP_ESTABLISHED
        }
    }
    (open, established)
}

/// Peak values seen by the sampler thread.
#[derive(Default)]
struct Peaks {
    rss_kib: AtomicU64,
    open: AtomicU64,
    established: AtomicU64,
    samples: AtomicU64,
    open_sum: AtomicU64,
}

fn start_sampler(port: u16, peaks: Arc<Peaks>, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            peaks.rss_kib.fetch_max(proc_status_kib("VmRSS"), Ordering::Relaxed);
            let (open, established) = open_connections_to(port);
            peaks.open.fetch_max(open as u64, Ordering::Relaxed);
            peaks.established.fetch_max(established as u64, Ordering::Relaxed);
            peaks.open_sum.fetch_add(open as u64, Ordering::Relaxed);
            peaks.samples.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(SAMPLE_EVERY);
        }
    })
}

/// A histogram of durations in fixed 100 µs buckets up to `range` (longer ones land in the
/// last bucket; the exact maximum is kept apart). Lock-free and allocated once, so the
/// bench's own bookkeeping adds the same small, fixed amount to the RSS in every mode.
struct Histogram {
    buckets: Vec<AtomicU32>,
    max_us: AtomicU64,
    sum_us: AtomicU64,
}

const HISTOGRAM_STEP_US: u64 = 100;

impl Histogram {
    fn new(range: Duration) -> Self {
        let len = (range.as_micros() as u64 / HISTOGRAM_STEP_US) as usize + 1;
        Histogram {
            buckets: (0..len).map(|_| AtomicU32::new(0)).collect(),
            max_us: AtomicU64::new(0),
            sum_us: AtomicU64::new(0),
        }
    }

    fn record(&self, d: Duration) {
        let us = d.as_micros() as u64;
        let i = ((us / HISTOGRAM_STEP_US) as usize).min(self.buckets.len() - 1);
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        self.max_us.fetch_max(us, Ordering::Relaxed);
        self.sum_us.fetch_add(us, Ordering::Relaxed);
    }

    fn count(&self) -> u64 {
        self.buckets.iter().map(|b| u64::from(b.load(Ordering::Relaxed))).sum()
    }

    /// Recorded values above `limit`, to the bucket's precision.
    fn count_above(&self, limit: Duration) -> u64 {
        let from = (limit.as_micros() as u64 / HISTOGRAM_STEP_US) as usize + 1;
        self.buckets.iter().skip(from).map(|b| u64::from(b.load(Ordering::Relaxed))).sum()
    }

    /// Nearest-rank percentile, as the upper edge of its bucket (never optimistic), in ms.
    fn percentile_ms(&self, q: f64) -> f64 {
        let count = self.count();
        if count == 0 {
            return 0.0;
        }
        let rank = ((q * count as f64).ceil() as u64).clamp(1, count);
        let mut seen = 0;
        for (i, b) in self.buckets.iter().enumerate() {
            seen += u64::from(b.load(Ordering::Relaxed));
            if seen >= rank {
                let edge = (i as u64 + 1) * HISTOGRAM_STEP_US;
                return edge.min(self.max_us.load(Ordering::Relaxed)) as f64 / 1000.0;
            }
        }
        self.max_us.load(Ordering::Relaxed) as f64 / 1000.0
    }

    fn summary(&self) -> serde_json::Value {
        let count = self.count();
        serde_json::json!({
            "count": count,
            "mean": if count == 0 { 0.0 } else { self.sum_us.load(Ordering::Relaxed) as f64 / count as f64 / 1000.0 },
            "p50": self.percentile_ms(0.50),
            "p90": self.percentile_ms(0.90),
            "p99": self.percentile_ms(0.99),
            "p999": self.percentile_ms(0.999),
            "max": self.max_us.load(Ordering::Relaxed) as f64 / 1000.0,
        })
    }
}

/// Everything the waits record, shared by all of them.
struct Stats {
    /// Per answered poll: sent − ideal, the ideal being the wait's start + the first poll's
    /// offset (its jitter, or zero) + (k − 1) × interval for poll k.
    lateness: Histogram,
    /// Per answered poll: answer read − sent.
    answer: Histogram,
    /// Per wait: when `wait_for_completion` was called − when it was meant to start.
    start_lag: Histogram,
    /// Polls sent per `BUCKET` since the phase started.
    sends: Vec<AtomicU32>,
    /// Answered polls whose due time was off the ideal grid (moved by a slow answer or a
    /// back-off).
    off_grid: AtomicU64,
    transient_errors: AtomicU64,
}

/// One wait's observer: turns each status answer into the shared statistics.
struct PollLog<'a> {
    stats: &'a Stats,
    /// When the wait was called, and the phase's start.
    called: Instant,
    phase_started: Instant,
    /// The first poll's offset from the wait's start, in ns (`u64::MAX` until known).
    offset_ns: AtomicU64,
}

impl WaitObserver for PollLog<'_> {
    fn on_status(&self, u: &StatusUpdate) {
        let before = INTERVAL * u.poll.saturating_sub(1);
        let mut offset_ns = self.offset_ns.load(Ordering::Relaxed);
        if offset_ns == u64::MAX {
            offset_ns = u.due.saturating_sub(before).as_nanos() as u64;
            self.offset_ns.store(offset_ns, Ordering::Relaxed);
        }
        let ideal = Duration::from_nanos(offset_ns) + before;
        if u.due != ideal {
            self.stats.off_grid.fetch_add(1, Ordering::Relaxed);
        }
        self.stats.lateness.record(u.sent.saturating_sub(ideal));
        self.stats.answer.record(u.elapsed.saturating_sub(u.sent));
        let in_phase = (self.called + u.sent).duration_since(self.phase_started);
        let bucket = ((in_phase.as_millis() / BUCKET.as_millis()) as usize).min(self.stats.sends.len() - 1);
        self.stats.sends[bucket].fetch_add(1, Ordering::Relaxed);
    }

    fn on_transient_error(&self, _error: &Error, _retry_in: Duration) {
        self.stats.transient_errors.fetch_add(1, Ordering::Relaxed);
    }
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    let n = args.n;
    let port: u16 = url_port(&args.base_url);
    let client_with = |slots: usize| {
        Client::builder()
            .base_url(args.base_url.clone())
            .access_key(args.access_key.clone())
            .max_concurrent_requests(slots)
            .build()
            .expect("client")
    };
    let rss_before_kib = proc_status_kib("VmRSS");

    // Enroll (outside the measured phase) on a client of its own, keeping only the status
    // tokens; its connections close with it, so the waits' client starts with none.
    let enroll_started = Instant::now();
    let enroll_client = client_with(args.enroll_concurrency);
    let limit = Arc::new(Semaphore::new(args.enroll_concurrency));
    let mut enrolls = Vec::with_capacity(n);
    for i in 0..n {
        let (client, limit) = (enroll_client.clone(), limit.clone());
        enrolls.push(tokio::spawn(async move {
            let _permit = limit.acquire().await.expect("semaphore");
            client.enroll(&EnrollRequest::username(format!("bench-{i}"))).await.map(|e| e.enrollment.status_token)
        }));
    }
    let mut tokens = Vec::with_capacity(n);
    for task in enrolls {
        tokens.push(task.await.expect("task").expect("enroll"));
    }
    let enroll_secs = enroll_started.elapsed().as_secs_f64();
    drop(enroll_client);
    for _ in 0..100 {
        if open_connections_to(port).0 == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let open_before = open_connections_to(port).0;
    let client = client_with(args.max_concurrent_requests);
    eprintln!("bench-waits: {n} enrolled in {enroll_secs:.1} s; {} waits start", args.mode.name());

    // The wait phase: everything below is measured. The statistics are allocated first.
    let stats = Arc::new(Stats {
        lateness: Histogram::new(Duration::from_secs(10)),
        answer: Histogram::new(Duration::from_secs(10)),
        start_lag: Histogram::new(Duration::from_secs(10)),
        sends: (0..(600_000 / BUCKET.as_millis() as usize)).map(|_| AtomicU32::new(0)).collect(),
        off_grid: AtomicU64::new(0),
        transient_errors: AtomicU64::new(0),
    });
    let rss_at_start_kib = proc_status_kib("VmRSS");
    let peaks = Arc::new(Peaks::default());
    peaks.rss_kib.store(rss_at_start_kib, Ordering::Relaxed);
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = start_sampler(port, peaks.clone(), stop.clone());
    let cpu_before = cpu_seconds();
    let phase_started = Instant::now();
    // Every wait is spawned first and sleeps until its intended start: t0 for all in the
    // simultaneous modes, t0 + i × interval / N when spread.
    let t0 = phase_started + Duration::from_millis(200);
    let spread = if args.mode == Mode::Spread { INTERVAL / n.max(1) as u32 } else { Duration::ZERO };
    let options = WaitOptions {
        timeout: Duration::from_secs(300),
        first_poll_jitter: args.mode == Mode::SimultaneousJitter,
        ..Default::default()
    };
    let mut waits = Vec::with_capacity(n);
    for (i, token) in tokens.into_iter().enumerate() {
        let (client, options, stats) = (client.clone(), options.clone(), stats.clone());
        let intended = t0 + spread * i as u32;
        waits.push(tokio::spawn(async move {
            tokio::time::sleep_until(intended).await;
            let called = Instant::now();
            stats.start_lag.record(called - intended);
            let log = PollLog { stats: &stats, called, phase_started, offset_ns: AtomicU64::new(u64::MAX) };
            let outcome = client.wait_for_completion(&token, &options, &log).await;
            outcome.map_or((false, 0), |o| (o.succeeded(), o.polls))
        }));
    }
    let (mut succeeded, mut polls) = (0usize, 0u64);
    for wait in waits {
        let (ok, n_polls) = wait.await.expect("task");
        succeeded += usize::from(ok);
        polls += u64::from(n_polls);
    }
    let wall = phase_started.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_before;
    stop.store(true, Ordering::Relaxed);
    sampler.join().expect("sampler");
    // VmHWM is updated lazily by the kernel: the sampled VmRSS can be higher.
    let rss_hwm_kib = proc_status_kib("VmHWM");
    let rss_peak_kib = rss_hwm_kib.max(peaks.rss_kib.load(Ordering::Relaxed));
    let (open_after, _) = open_connections_to(port);

    // Polls sent per bucket, from the first send to the last: how even the load was.
    let sends: Vec<u32> = stats.sends.iter().map(|b| b.load(Ordering::Relaxed)).collect();
    let first = sends.iter().position(|&c| c > 0).unwrap_or(0);
    let last = sends.iter().rposition(|&c| c > 0).unwrap_or(0);
    let sends = &sends[first..=last.max(first)];
    let mean_per_bucket = sends.iter().map(|&c| f64::from(c)).sum::<f64>() / sends.len().max(1) as f64;
    let max_per_bucket = sends.iter().copied().max().unwrap_or(0);

    let samples = peaks.samples.load(Ordering::Relaxed).max(1);
    let doc = serde_json::json!({
        "mode": args.mode.name(),
        "waits": n,
        "succeeded": succeeded,
        "poll_interval_ms": INTERVAL.as_millis() as u64,
        "first_poll_jitter": options.first_poll_jitter,
        "approve_after_s": args.approve_after_s,
        "enroll_seconds": enroll_secs,
        "enroll_concurrency": args.enroll_concurrency,
        "wait_phase_seconds": wall,
        "status_polls": polls,
        "transient_errors": stats.transient_errors.load(Ordering::Relaxed),
        "off_grid_polls": stats.off_grid.load(Ordering::Relaxed),
        "lateness_ms": stats.lateness.summary(),
        "polls_late_over_100ms": stats.lateness.count_above(Duration::from_millis(100)),
        "answer_ms": stats.answer.summary(),
        "start_lag_ms": stats.start_lag.summary(),
        "polls_sent_per_100ms": {
            "mean": mean_per_bucket,
            "max": max_per_bucket,
            "max_over_mean": if mean_per_bucket > 0.0 { f64::from(max_per_bucket) / mean_per_bucket } else { 0.0 },
            "first_bucket_ms": first as u64 * BUCKET.as_millis() as u64,
            "series": sends,
        },
        "connections": {
            // The documented bound: max_concurrent_requests in use + as many idle.
            "bound": 2 * args.max_concurrent_requests,
            "max_concurrent_requests": args.max_concurrent_requests,
            "max_open": peaks.open.load(Ordering::Relaxed),
            "max_established": peaks.established.load(Ordering::Relaxed),
            "mean_open": peaks.open_sum.load(Ordering::Relaxed) as f64 / samples as f64,
            "open_before": open_before,
            "open_after": open_after,
            "samples": samples,
            "sample_every_ms": SAMPLE_EVERY.as_millis() as u64,
        },
        "cpu_seconds_during_waits": cpu,
        "cores_used_during_waits": cpu / wall,
        "rss_mib_before_enroll": rss_before_kib as f64 / 1024.0,
        "rss_mib_at_wait_start": rss_at_start_kib as f64 / 1024.0,
        "rss_mib_peak_during_waits": peaks.rss_kib.load(Ordering::Relaxed) as f64 / 1024.0,
        "rss_mib_vmhwm": rss_hwm_kib as f64 / 1024.0,
        "rss_mib_peak_process": rss_peak_kib as f64 / 1024.0,
    });
    println!("{}", serde_json::to_string_pretty(&doc).expect("json"));
}

/// The port of `http://127.0.0.1:PORT[/...]`.
fn url_port(base_url: &str) -> u16 {
    let authority = base_url.split("://").nth(1).unwrap_or(base_url).split('/').next().unwrap_or_default();
    authority.rsplit(':').next().and_then(|p| p.parse().ok()).expect("BASE_URL with an explicit port")
}
