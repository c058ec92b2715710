//! `bench-waits BASE_URL ACCESS_KEY [N]`: enrolls N users on an emulator running in another
//! process, then runs N concurrent `wait_for_completion` calls (1.5 s polls, started spread
//! over one interval as real users arrive) until the emulator auto-approves them. Prints one
//! JSON document: peak RSS and CPU time of this process during the waits.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use authcloud::{Client, EnrollRequest, NoObserver, WaitOptions};
use tokio::sync::Semaphore;

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
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

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let base_url = args.next().expect("BASE_URL");
    let access_key = args.next().expect("ACCESS_KEY");
    let n: usize = args.next().map(|s| s.parse().expect("N")).unwrap_or(10_000);

    let client = Client::builder().base_url(base_url).access_key(access_key).build().expect("client");
    let rss_before_kib = rss_kib();

    // Enroll (bounded concurrency), keeping only the status tokens.
    let enroll_started = Instant::now();
    let limit = Arc::new(Semaphore::new(64));
    let mut enrolls = Vec::with_capacity(n);
    for i in 0..n {
        let client = client.clone();
        let limit = limit.clone();
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

    // The waits, started spread over one poll interval.
    let cpu_before = cpu_seconds();
    let rss_at_start_kib = rss_kib();
    let waits_started = Instant::now();
    let polls = Arc::new(AtomicU64::new(0));
    let peak_kib = Arc::new(AtomicU64::new(rss_at_start_kib));
    let sampler = {
        let peak = peak_kib.clone();
        tokio::spawn(async move {
            loop {
                peak.fetch_max(rss_kib(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    };
    let spread = Duration::from_millis(1500) / n.max(1) as u32;
    let mut waits = Vec::with_capacity(n);
    for (i, token) in tokens.into_iter().enumerate() {
        let client = client.clone();
        let polls = polls.clone();
        waits.push(tokio::spawn(async move {
            tokio::time::sleep(spread * i as u32).await;
            let options = WaitOptions { timeout: Duration::from_secs(120), ..Default::default() };
            let outcome = client.wait_for_completion(&token, &options, &NoObserver).await;
            if let Ok(outcome) = &outcome {
                polls.fetch_add(u64::from(outcome.polls), Ordering::Relaxed);
            }
            outcome.map(|o| o.succeeded()).unwrap_or(false)
        }));
    }
    let mut succeeded = 0;
    for wait in waits {
        if wait.await.expect("task") {
            succeeded += 1;
        }
    }
    sampler.abort();
    let wall = waits_started.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_before;
    let doc = serde_json::json!({
        "waits": n,
        "succeeded": succeeded,
        "enroll_seconds": enroll_secs,
        "wait_phase_seconds": wall,
        "status_polls": polls.load(Ordering::Relaxed),
        "cpu_seconds_during_waits": cpu,
        "cores_used_during_waits": cpu / wall,
        "rss_mib_before_enroll": rss_before_kib as f64 / 1024.0,
        "rss_mib_at_wait_start": rss_at_start_kib as f64 / 1024.0,
        "rss_mib_peak_during_waits": peak_kib.load(Ordering::Relaxed) as f64 / 1024.0,
    });
    println!("{}", serde_json::to_string_pretty(&doc).expect("json"));
}
