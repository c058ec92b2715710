//! `bench-emulator-memory BASE_URL ACCESS_KEY EMULATOR_PID [--enrollments N] [--users U]
//! [--concurrency C]`
//!
//! Drives an emulator running in another process (pid EMULATOR_PID) through N enrollments,
//! each settled at once through the control API (approved), spread over U usernames (N / U
//! enrollments per user, at most 10 succeed per user: the vendor's authenticator limit).
//! Meanwhile it samples the emulator's resident memory (`VmRSS` in `/proc/PID/status`)
//! every 100 ms. Prints one JSON document: the run's size and time, the emulator's peak RSS
//! (`VmHWM`), its RSS at the end, and a sample at every tenth of the run.
//!
//! `bench/emulator-memory.sh` runs it against the release emulator with a transaction TTL
//! longer than the run (nothing is evicted) and with a short one (settled transactions are
//! forgotten as the run goes on).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const SAMPLE_EVERY: Duration = Duration::from_millis(100);

struct Args {
    base_url: String,
    access_key: String,
    pid: u32,
    enrollments: usize,
    users: usize,
    concurrency: usize,
}

fn args() -> Args {
    let mut positional = Vec::new();
    let mut args = Args {
        base_url: String::new(),
        access_key: String::new(),
        pid: 0,
        enrollments: 100_000,
        users: 10_000,
        concurrency: 16,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut number = |name: &str| -> usize {
            it.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{name} takes a number"))
        };
        match arg.as_str() {
            "--enrollments" => args.enrollments = number("--enrollments"),
            "--users" => args.users = number("--users"),
            "--concurrency" => args.concurrency = number("--concurrency"),
            _ => positional.push(arg),
        }
    }
    let [base_url, access_key, pid] = <[String; 3]>::try_from(positional)
        .unwrap_or_else(|_| panic!("usage: bench-emulator-memory BASE_URL ACCESS_KEY EMULATOR_PID [--enrollments N] [--users U] [--concurrency C]"));
    args.base_url = base_url.trim_end_matches('/').to_owned();
    args.access_key = access_key;
    args.pid = pid.parse().expect("EMULATOR_PID is a number");
    assert!(args.users > 0 && args.concurrency > 0, "--users and --concurrency must be positive");
    args
}

/// A `kB` field of `/proc/PID/status` (`VmRSS`, `VmHWM`), in KiB.
fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

async fn enroll_and_settle(http: &reqwest::Client, args: &Args, i: usize) -> Result<(), String> {
    let username = format!("mem-{}", i % args.users);
    let enrolled: Value = http
        .post(format!("{}/api/v1/users/enroll", args.base_url))
        .bearer_auth(&args.access_key)
        .json(&json!({ "username": username }))
        .send()
        .await
        .map_err(|e| format!("enroll: {e}"))?
        .error_for_status()
        .map_err(|e| format!("enroll: {e}"))?
        .json()
        .await
        .map_err(|e| format!("enroll answer: {e}"))?;
    let transaction_id =
        enrolled["enrollment"]["transactionId"].as_str().ok_or("enroll answer without transactionId")?.to_owned();
    http.post(format!("{}/_emulator/transactions/{transaction_id}/approve", args.base_url))
        .header("x-emulator-control", "1") // the control API's guard against cross-site pages
        .send()
        .await
        .map_err(|e| format!("approve: {e}"))?
        .error_for_status()
        .map_err(|e| format!("approve: {e}"))?;
    Ok(())
}

#[tokio::main]
async fn main() {
    let args = Arc::new(args());
    let http = reqwest::Client::builder().pool_max_idle_per_host(args.concurrency).build().expect("HTTP client");
    let rss_before = proc_status_kib(args.pid, "VmRSS:").expect("the emulator's /proc/PID/status");
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicBool::new(false));
    let started = Instant::now();

    // The sampler: peak RSS seen, and one sample per tenth of the run.
    let sampler = {
        let (args, done, finished) = (args.clone(), done.clone(), finished.clone());
        std::thread::spawn(move || {
            let mut max_sampled = 0u64;
            let mut tenths = Vec::new();
            while !finished.load(Ordering::Relaxed) {
                if let Some(rss) = proc_status_kib(args.pid, "VmRSS:") {
                    max_sampled = max_sampled.max(rss);
                    let completed = done.load(Ordering::Relaxed);
                    let tenth = completed * 10 / args.enrollments.max(1);
                    if tenth > tenths.len() {
                        tenths.push(json!({
                            "enrollments": completed,
                            "seconds": (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
                            "rss_kib": rss,
                        }));
                    }
                }
                std::thread::sleep(SAMPLE_EVERY);
            }
            (max_sampled, tenths)
        })
    };

    let workers: Vec<_> = (0..args.concurrency)
        .map(|_| {
            let (http, args, next, done, failed) =
                (http.clone(), args.clone(), next.clone(), done.clone(), failed.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= args.enrollments {
                        return;
                    }
                    match enroll_and_settle(&http, &args, i).await {
                        Ok(()) => {}
                        Err(error) => {
                            if failed.fetch_add(1, Ordering::Relaxed) < 5 {
                                eprintln!("enrollment {i}: {error}");
                            }
                        }
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("worker");
    }
    let seconds = started.elapsed().as_secs_f64();
    finished.store(true, Ordering::Relaxed);
    let (max_sampled, tenths) = sampler.join().expect("sampler");
    let report = json!({
        "enrollments": args.enrollments,
        "users": args.users,
        "concurrency": args.concurrency,
        "failed": failed.load(Ordering::Relaxed),
        "seconds": (seconds * 10.0).round() / 10.0,
        "enrollments_per_s": (args.enrollments as f64 / seconds).round(),
        "rss_before_kib": rss_before,
        "peak_rss_kib": proc_status_kib(args.pid, "VmHWM:"),
        "max_sampled_rss_kib": max_sampled,
        "rss_at_end_kib": proc_status_kib(args.pid, "VmRSS:"),
        "samples": tenths,
    });
    println!("{}", serde_json::to_string(&report).expect("JSON"));
    if failed.load(Ordering::Relaxed) > 0 {
        std::process::exit(1);
    }
}
