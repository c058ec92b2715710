//! `authcloud-emulator`: the emulator as a standalone server for test suites in any language.
//!
//! Prints exactly `listening on http://127.0.0.1:PORT` on stdout once it accepts connections
//! (so a test harness can read the port), logs to stderr, and serves until SIGINT/SIGTERM.

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use authcloud_emulator::{Emulator, EmulatorConfig, IatUnit};
use clap::Parser;

/// Emulates the Nevis Authentication Cloud API on 127.0.0.1 for tests and demos.
#[derive(Parser)]
#[command(name = "authcloud-emulator", version, about)]
struct Args {
    /// TCP port on 127.0.0.1; 0 picks a free one (the line on stdout tells which).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Access key clients must send as `Authorization: Bearer …`.
    #[arg(long, env = "AUTHCLOUD_EMULATOR_ACCESS_KEY", hide_env_values = true)]
    access_key: String,
    /// How long an enrollment waits for the user before it reports `failed` (e.g. 5m, 30s).
    #[arg(long, value_parser = humantime::parse_duration, default_value = "5m")]
    transaction_ttl: Duration,
    /// How long an intent token stays usable.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "10m")]
    intent_ttl: Duration,
    /// Approve every pending transaction automatically after this long (e.g. 3s).
    #[arg(long, value_parser = humantime::parse_duration)]
    auto_approve_after: Option<Duration>,
    /// Introspect's `iat`/`exp` in seconds (the vendor's reference) instead of
    /// milliseconds (the guide's example, the default).
    #[arg(long)]
    iat_seconds: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    // Many concurrent clients need many descriptors: lift the soft limit to the hard one.
    if let Err(err) = rlimit::increase_nofile_limit(u64::MAX) {
        tracing::warn!(error = %err, "could not raise the open-file limit");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("authcloud-emulator: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(args))
}

async fn run(args: Args) -> ExitCode {
    // Handlers first: a signal sent right after the listening line must not kill us raw.
    let shutdown = match Shutdown::install() {
        Ok(shutdown) => shutdown,
        Err(err) => {
            eprintln!("authcloud-emulator: cannot install signal handlers: {err}");
            return ExitCode::FAILURE;
        }
    };
    let config = EmulatorConfig {
        bind: SocketAddr::from((Ipv4Addr::LOCALHOST, args.port)),
        access_key: Some(args.access_key),
        transaction_ttl: args.transaction_ttl,
        intent_ttl: args.intent_ttl,
        auto_approve_after: args.auto_approve_after,
        iat_unit: if args.iat_seconds { IatUnit::Seconds } else { IatUnit::Milliseconds },
    };
    let emulator = match Emulator::start(config).await {
        Ok(emulator) => emulator,
        Err(err) => {
            eprintln!("authcloud-emulator: {err}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "listening on {}", emulator.base_url()).and_then(|()| stdout.flush()).is_err() {
        // Nobody can learn the port: keep serving anyway, the harness may use a fixed one.
        tracing::warn!("could not write the listening line to stdout");
    }
    drop(stdout);
    shutdown.wait().await;
    emulator.stop().await;
    ExitCode::SUCCESS
}

/// SIGINT / SIGTERM handlers, installed before the emulator announces itself.
struct Shutdown {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Shutdown {
    /// Starts catching the signals (from now on they no longer kill the process).
    fn install() -> std::io::Result<Shutdown> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Shutdown { interrupt: signal(SignalKind::interrupt())?, terminate: signal(SignalKind::terminate())? })
        }
        #[cfg(not(unix))]
        {
            Ok(Shutdown {})
        }
    }

    /// Resolves on the first SIGINT or SIGTERM (Ctrl-C where there are no Unix signals).
    async fn wait(mut self) {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => {}
                _ = self.terminate.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
