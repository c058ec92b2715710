//! Many calls on one client: at most `max_concurrent_requests` requests in flight and
//! connections open (read back from the emulator's request log and from the kernel's socket
//! table), the wait for a request slot bounded by the call's deadline, and the first-poll
//! jitter of `wait_for_completion`.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use authcloud::{Client, EnrollRequest, ErrorKind, StatusUpdate, TransactionStatus, WaitObserver, WaitOptions};
use authcloud_emulator::{Emulator, FaultKind};
use authcloud_tests::{builder, emulator, fault, paths, requests_to};

const DELAY_MS: u64 = 200;

/// Open TCP sockets of this process whose remote end is `port` (client sides of
/// connections to the emulator): inodes from `/proc/self/fd`, matched in `/proc/self/net/tcp`.
fn open_connections_to(port: u16) -> usize {
    let ours: HashSet<String> = std::fs::read_dir("/proc/self/fd")
        .map(|dir| {
            dir.filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
                .filter_map(|target| {
                    let target = target.to_string_lossy().into_owned();
                    Some(target.strip_prefix("socket:[")?.strip_suffix(']')?.to_owned())
                })
                .collect()
        })
        .unwrap_or_default();
    let mut count = 0;
    for table in ["/proc/self/net/tcp", "/proc/self/net/tcp6"] {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let Some(remote_port) = fields.get(2).and_then(|r| r.rsplit(':').next()) else { continue };
            if u16::from_str_radix(remote_port, 16) == Ok(port) && fields.get(9).is_some_and(|i| ours.contains(*i)) {
                count += 1;
            }
        }
    }
    count
}

/// Samples [`open_connections_to`] every 5 ms on a thread of its own until dropped; keeps the maximum.
struct ConnectionSampler {
    max: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ConnectionSampler {
    fn start(port: u16) -> Self {
        let (max, stop) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
        let thread = {
            let (max, stop) = (max.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    max.fetch_max(open_connections_to(port), Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(5));
                }
            })
        };
        ConnectionSampler { max, stop, thread: Some(thread) }
    }

    fn finish(mut self) -> usize {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.take().unwrap().join().unwrap();
        self.max.load(Ordering::Relaxed)
    }
}

/// The most status requests the server held at once: each is held at least `DELAY_MS`
/// from its arrival (the `Delay` fault), so the requests that arrived less than that before
/// another one's arrival were all still in flight then.
fn max_in_flight_at_server(emu: &Emulator) -> usize {
    let arrivals: Vec<f64> = requests_to(emu, paths::STATUS).iter().map(|r| r.at_ms).collect();
    arrivals
        .iter()
        .map(|&at| arrivals.iter().filter(|&&other| other <= at && at < other + DELAY_MS as f64 - 1.0).count())
        .max()
        .unwrap_or(0)
}

async fn twenty_status_calls(emu: &Emulator, client: &Client) -> Duration {
    let token = client.enroll(&EnrollRequest::username("many")).await.unwrap().enrollment.status_token;
    fault(emu, paths::STATUS, 20, FaultKind::Delay { delay_ms: DELAY_MS });
    let started = Instant::now();
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let (client, token) = (client.clone(), token.clone());
            tokio::spawn(async move { client.status(&token).await })
        })
        .collect();
    for call in calls {
        let status = call.await.unwrap().expect("every call succeeds");
        assert_eq!(status.status, TransactionStatus::Pending);
    }
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_most_max_concurrent_requests_are_in_flight_and_connected() {
    let emu = emulator().await;
    let client = builder(&emu).access_key(emu.access_key()).max_concurrent_requests(4).build().unwrap();
    assert_eq!(client.config().max_concurrent_requests(), 4);
    let sampler = ConnectionSampler::start(emu.local_addr().port());
    let took = twenty_status_calls(&emu, &client).await;
    let connections = sampler.finish();

    assert_eq!(requests_to(&emu, paths::STATUS).len(), 20, "each call is one request");
    assert!(took >= Duration::from_millis(5 * DELAY_MS - 20), "20 calls, 4 at a time, took only {took:?}");
    let at_server = max_in_flight_at_server(&emu);
    assert!((1..=4).contains(&at_server), "{at_server} requests in flight at the server");
    // The documented bound: at most 4 connections in use and at most 4 idle. Usually 4 in
    // all; a fifth appears now and then when a request opens a connection while hyper is
    // still handing a finished one (here: the enrollment's) back to its pool.
    assert!((1..=8).contains(&connections), "{connections} connections open to the server");
    assert!(open_connections_to(emu.local_addr().port()) <= 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_measure_sees_overlap_when_the_limit_allows_it() {
    // The same calls with the default limit (64): all 20 are in flight at once, so the
    // checks above would catch a limit that did not hold.
    let emu = emulator().await;
    let client = builder(&emu).access_key(emu.access_key()).build().unwrap();
    assert_eq!(client.config().max_concurrent_requests(), authcloud::DEFAULT_MAX_CONCURRENT_REQUESTS);
    let sampler = ConnectionSampler::start(emu.local_addr().port());
    let took = twenty_status_calls(&emu, &client).await;
    let connections = sampler.finish();
    assert!(took < Duration::from_millis(3 * DELAY_MS), "{took:?}");
    assert_eq!(max_in_flight_at_server(&emu), 20);
    assert!(connections > 4, "{connections} connections");
}

#[tokio::test]
async fn waiting_for_a_request_slot_counts_against_the_calls_deadline() {
    let emu = emulator().await;
    // One slot; a call may take 400 ms in all, one attempt 5 s.
    let client = builder(&emu)
        .access_key(emu.access_key())
        .max_concurrent_requests(1)
        .call_timeout(Duration::from_millis(400))
        .request_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let enrolled = client.enroll(&EnrollRequest::username("slot")).await.unwrap();
    let token = enrolled.enrollment.status_token;
    // A wait's first poll holds the only slot for 1.5 s (its poll may take 5 s).
    fault(&emu, paths::STATUS, 1, FaultKind::Delay { delay_ms: 1500 });
    let holder = {
        let (client, token) = (client.clone(), token.clone());
        let options = WaitOptions { timeout: Duration::from_secs(10), ..Default::default() };
        tokio::spawn(async move { client.wait_for_completion(&token, &options, &authcloud::NoObserver).await })
    };
    while requests_to(&emu, paths::STATUS).is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let started = Instant::now();
    let error = client.status(&token).await.unwrap_err();
    let took = started.elapsed();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    assert!(took >= Duration::from_millis(350) && took < Duration::from_millis(1200), "{took:?}");
    assert_eq!(requests_to(&emu, paths::STATUS).len(), 1, "the call that found no slot was never sent");
    emu.approve(&enrolled.enrollment.transaction_id).unwrap();
    assert!(holder.await.unwrap().unwrap().succeeded());
}

#[derive(Default)]
struct Timings(Mutex<Vec<StatusUpdate>>);

impl WaitObserver for Timings {
    fn on_status(&self, update: &StatusUpdate) {
        self.0.lock().unwrap().push(update.clone());
    }
}

async fn poll_timings(first_poll_jitter: bool) -> Vec<StatusUpdate> {
    let emu = Arc::new(emulator().await);
    let client = builder(&emu).access_key(emu.access_key()).build().unwrap();
    let enrolled = client.enroll(&EnrollRequest::username("jitter")).await.unwrap();
    let approver = {
        let (emu, tx) = (emu.clone(), enrolled.enrollment.transaction_id.clone());
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(850)).await;
            emu.approve(&tx).unwrap();
        })
    };
    let options = WaitOptions {
        poll_interval: Duration::from_millis(200),
        timeout: Duration::from_secs(10),
        first_poll_jitter,
        ..Default::default()
    };
    let timings = Timings::default();
    let outcome = client.wait_for_completion(&enrolled.enrollment.status_token, &options, &timings).await.unwrap();
    approver.await.unwrap();
    assert!(outcome.succeeded());
    timings.0.into_inner().unwrap()
}

#[tokio::test]
async fn polls_report_when_they_were_due_and_sent() {
    let interval = Duration::from_millis(200);
    for jitter in [false, true] {
        let updates = poll_timings(jitter).await;
        assert!(updates.len() >= 4, "{updates:?}");
        let offset = updates[0].due;
        if jitter {
            assert!(offset < interval, "the first poll is due within the first interval: {offset:?}");
        } else {
            assert_eq!(offset, Duration::ZERO, "without jitter the first poll is due at once");
        }
        for (k, update) in updates.iter().enumerate() {
            assert_eq!(update.due, offset + interval * k as u32, "poll {} is on the grid", update.poll);
            assert!(update.sent >= update.due && update.elapsed >= update.sent, "{update:?}");
            assert!(update.sent - update.due < Duration::from_millis(150), "poll {} was late: {update:?}", update.poll);
        }
    }
}

#[tokio::test]
async fn waits_beyond_the_request_slots_spread_their_first_poll_by_themselves() {
    // Two request slots, ten waits started together without `first_poll_jitter`: the first
    // two poll at once, the eight that found two waits already running spread their first
    // poll over the interval instead of queueing in lock-step.
    let emu = Arc::new(emulator().await);
    let client = builder(&emu).access_key(emu.access_key()).max_concurrent_requests(2).build().unwrap();
    let interval = Duration::from_millis(1000);
    let mut waits = Vec::new();
    let mut transactions = Vec::new();
    for n in 0..10 {
        let enrolled = client.enroll(&EnrollRequest::username(format!("crowd{n}"))).await.unwrap();
        transactions.push(enrolled.enrollment.transaction_id.clone());
        let (client, token) = (client.clone(), enrolled.enrollment.status_token);
        let options = WaitOptions { poll_interval: interval, timeout: Duration::from_secs(20), ..Default::default() };
        waits.push(tokio::spawn(async move {
            let timings = Timings::default();
            let outcome = client.wait_for_completion(&token, &options, &timings).await.unwrap();
            assert!(outcome.succeeded());
            timings.0.into_inner().unwrap()
        }));
    }
    tokio::time::sleep(Duration::from_millis(2200)).await;
    for tx in &transactions {
        emu.approve(tx).unwrap();
    }
    let mut first_due = Vec::new();
    for wait in waits {
        let updates = wait.await.unwrap();
        first_due.push(updates[0].due);
        let offset = updates[0].due;
        for (k, update) in updates.iter().enumerate() {
            assert_eq!(update.due, offset + interval * k as u32, "poll {} is on the grid", update.poll);
        }
    }
    let at_once = first_due.iter().filter(|due| due.is_zero()).count();
    assert_eq!(at_once, 2, "only the waits that found a free slot poll at once: {first_due:?}");
    assert!(first_due.iter().all(|due| *due < interval), "{first_due:?}");
    let distinct: HashSet<_> = first_due.iter().collect();
    assert!(distinct.len() >= 8, "the spread offsets differ: {first_due:?}");
}
