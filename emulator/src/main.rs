//! `authcloud-emulator`: the emulator as a standalone server for test suites in any language.
//!
//! Prints exactly `listening on http://127.0.0.1:PORT` on stdout once it accepts connections
//! (so a test harness can read the port), logs to stderr, and serves until SIGINT/SIGTERM.

use std::process::ExitCode;

use authcloud_emulator::launcher::{self, LaunchArgs};
use clap::Parser;

/// Emulates the Nevis Authentication Cloud API for tests and demos.
#[derive(Parser)]
#[command(name = "authcloud-emulator", version, about)]
struct Args {
    #[command(flatten)]
    launch: LaunchArgs,
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
    runtime.block_on(launcher::serve(args.launch, "authcloud-emulator"))
}
