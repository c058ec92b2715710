//! `bench-clients IMPLEMENTATION BASE_URL ACCESS_KEY CYCLES WARMUP`: runs WARMUP and then
//! CYCLES sequential enroll -> status -> introspect cycles against an emulator in another
//! process, checking every answer, and prints one JSON line with the CPU time (all threads
//! of this process), the wall time and the peak RSS of the measured cycles.
//!
//! IMPLEMENTATION is one of
//! - `core-current-thread`: `authcloud::Client` on a current-thread tokio runtime;
//! - `core-multi-thread`: the same on a multi-thread runtime (one worker per core);
//! - `reqwest`: a hand-written reqwest client following the guide's curl lines (the
//!   reference), on a current-thread runtime.
//!
//! Part of `bench/clients/run.sh`, which starts the emulator and collects the lines.

use std::process::ExitCode;
use std::time::Instant;

use authcloud::{Client, EnrollRequest, TransactionStatus};
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

/// User and system CPU time of the whole process (every thread), in milliseconds.
fn process_cpu_ms() -> (f64, f64) {
    // SAFETY: getrusage only writes into the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let ms = |t: libc::timeval| t.tv_sec as f64 * 1e3 + t.tv_usec as f64 / 1e3;
    (ms(usage.ru_utime), ms(usage.ru_stime))
}

/// Peak resident set size of this process so far (`VmHWM`), in MiB.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

/// One of the clients under test.
enum Bench {
    Core(Client),
    Reqwest { http: reqwest::Client, base_url: String, access_key: String },
}

impl Bench {
    async fn cycle(&self, username: String) -> Result<(), String> {
        match self {
            Bench::Core(client) => core_cycle(client, username).await,
            Bench::Reqwest { http, base_url, access_key } => reqwest_cycle(http, base_url, access_key, &username).await,
        }
    }
}

async fn core_cycle(client: &Client, username: String) -> Result<(), String> {
    let enrolled = client.enroll(&EnrollRequest::username(username)).await.map_err(|e| format!("enroll: {e}"))?;
    let token = enrolled.enrollment.status_token;
    let status = client.status(&token).await.map_err(|e| format!("status: {e}"))?;
    if status.status != TransactionStatus::Pending {
        return Err(format!("status: expected pending, got {:?}", status.status));
    }
    let introspection = client.introspect(&token).await.map_err(|e| format!("introspect: {e}"))?;
    if !introspection.active {
        return Err("introspect: the status token is not active".into());
    }
    Ok(())
}

/// Reads a JSON answer after checking its HTTP status.
async fn answer(step: &str, response: reqwest::Response, expected: StatusCode) -> Result<Value, String> {
    let status = response.status();
    let body = response.bytes().await.map_err(|e| format!("{step}: reading the body: {e}"))?;
    if status != expected {
        return Err(format!("{step}: HTTP {status}: {}", String::from_utf8_lossy(&body)));
    }
    serde_json::from_slice(&body).map_err(|e| format!("{step}: not JSON: {e}"))
}

/// The guide's three curl lines, by hand.
async fn reqwest_cycle(http: &reqwest::Client, base_url: &str, access_key: &str, username: &str) -> Result<(), String> {
    let sent = |step: &'static str| move |e: reqwest::Error| format!("{step}: {e}");

    let response = http
        .post(format!("{base_url}/api/v1/users/enroll"))
        .bearer_auth(access_key)
        .header(CONTENT_TYPE, "application/json")
        .body(json!({ "username": username }).to_string())
        .send()
        .await
        .map_err(sent("enroll"))?;
    let enrolled = answer("enroll", response, StatusCode::CREATED).await?;
    let token = enrolled["enrollment"]["statusToken"].as_str().ok_or("enroll: no enrollment.statusToken")?;

    let response = http
        .post(format!("{base_url}/api/v1/status"))
        .header(CONTENT_TYPE, "application/json")
        .body(json!({ "statusToken": token }).to_string())
        .send()
        .await
        .map_err(sent("status"))?;
    let status = answer("status", response, StatusCode::OK).await?;
    if status["status"] != "pending" {
        return Err(format!("status: expected pending, got {}", status["status"]));
    }

    let response = http
        .post(format!("{base_url}/api/v1/introspect"))
        .bearer_auth(access_key)
        .form(&[("token", token)])
        .send()
        .await
        .map_err(sent("introspect"))?;
    let introspection = answer("introspect", response, StatusCode::OK).await?;
    if introspection["active"] != true {
        return Err(format!("introspect: expected active, got {}", introspection["active"]));
    }
    Ok(())
}

struct Args {
    implementation: String,
    base_url: String,
    access_key: String,
    cycles: u32,
    warmup: u32,
}

fn parse_args() -> Result<Args, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [implementation, base_url, access_key, cycles, warmup] = args.as_slice() else {
        return Err(
            "usage: bench-clients core-current-thread|core-multi-thread|reqwest BASE_URL ACCESS_KEY CYCLES WARMUP"
                .into(),
        );
    };
    Ok(Args {
        implementation: implementation.clone(),
        base_url: base_url.trim_end_matches('/').to_owned(),
        access_key: access_key.clone(),
        cycles: cycles.parse().map_err(|e| format!("CYCLES: {e}"))?,
        warmup: warmup.parse().map_err(|e| format!("WARMUP: {e}"))?,
    })
}

fn run(args: &Args) -> Result<Value, String> {
    let (runtime, bench) = match args.implementation.as_str() {
        "core-current-thread" | "core-multi-thread" => {
            let mut builder = if args.implementation == "core-current-thread" {
                tokio::runtime::Builder::new_current_thread()
            } else {
                tokio::runtime::Builder::new_multi_thread()
            };
            let runtime = builder.enable_all().build().map_err(|e| format!("runtime: {e}"))?;
            // Default timeouts and retries; only the URL and the key are set.
            let client = Client::builder()
                .base_url(args.base_url.clone())
                .access_key(args.access_key.clone())
                .build()
                .map_err(|e| format!("client: {e}"))?;
            (runtime, Bench::Core(client))
        }
        "reqwest" => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("runtime: {e}"))?;
            let http = reqwest::Client::builder().build().map_err(|e| format!("reqwest client: {e}"))?;
            let bench = Bench::Reqwest { http, base_url: args.base_url.clone(), access_key: args.access_key.clone() };
            (runtime, bench)
        }
        other => return Err(format!("unknown implementation {other:?}")),
    };
    let prefix = format!("rs-{}-{}", args.implementation, std::process::id());

    let ((user_ms, sys_ms), wall_ms) = runtime.block_on(async {
        for i in 0..args.warmup {
            bench.cycle(format!("{prefix}-w{i}")).await.map_err(|e| format!("warm-up cycle {i}: {e}"))?;
        }
        let cpu_before = process_cpu_ms();
        let started = Instant::now();
        for i in 0..args.cycles {
            bench.cycle(format!("{prefix}-{i}")).await.map_err(|e| format!("cycle {i}: {e}"))?;
        }
        let wall_ms = started.elapsed().as_secs_f64() * 1e3;
        let cpu_after = process_cpu_ms();
        Ok::<_, String>(((cpu_after.0 - cpu_before.0, cpu_after.1 - cpu_before.1), wall_ms))
    })?;
    let cpu_ms = user_ms + sys_ms;

    let cycles = f64::from(args.cycles.max(1));
    Ok(json!({
        "implementation": args.implementation,
        "language": "rust",
        "library": match bench {
            Bench::Core(_) => "authcloud (core crate)",
            Bench::Reqwest { .. } => "reqwest (the workspace's version, as the core uses) + serde_json",
        },
        "cycles": args.cycles,
        "warmup": args.warmup,
        "concurrency": 1,
        "cpu_ms_total": cpu_ms,
        "cpu_user_ms_total": user_ms,
        "cpu_sys_ms_total": sys_ms,
        "wall_ms_total": wall_ms,
        "cpu_ms_per_cycle": cpu_ms / cycles,
        "wall_ms_per_cycle": wall_ms / cycles,
        "peak_rss_mib": peak_rss_mib(),
    }))
}

fn main() -> ExitCode {
    match parse_args().and_then(|args| run(&args)) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("bench-clients: {error}");
            ExitCode::FAILURE
        }
    }
}
