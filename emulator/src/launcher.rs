//! The emulator as a standalone server: its flags, its signals and its `listening on` line,
//! shared by the `authcloud-emulator` binary and `authcloud emulator` (one implementation,
//! the same flags and the same environment variable for the key everywhere).

use std::fmt;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use crate::{Emulator, EmulatorConfig, IatUnit, RateLimit, RateLimits};

/// The environment variable the access key may come from: the same one the SDK's clients
/// and the `authcloud` CLI read, so one `export` serves both sides of a test.
pub const ACCESS_KEY_ENV: &str = "AUTHCLOUD_ACCESS_KEY";

/// Flags of a standalone emulator.
#[derive(clap::Args, Clone)]
pub struct LaunchArgs {
    /// TCP port; 0 picks a free one (the line on stdout tells which).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Address to listen on. The default is loopback; `0.0.0.0` serves other hosts (a
    /// container's published port) — the SDK then still talks plain HTTP only to a loopback
    /// address, so publish the port on the host's 127.0.0.1.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub host: IpAddr,
    /// The access key clients must send as `Authorization: Bearer …`.
    #[arg(long, env = ACCESS_KEY_ENV, hide_env_values = true)]
    pub access_key: String,
    /// How long an enrollment waits for the user before it reports `failed` (e.g. 5m, 30s).
    #[arg(long, value_parser = humantime::parse_duration, default_value = "5m")]
    pub transaction_ttl: Duration,
    /// How long an intent token stays usable.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "10m")]
    pub intent_ttl: Duration,
    /// Approve every pending transaction automatically after this long (e.g. 3s).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub auto_approve_after: Option<Duration>,
    /// Introspect's `iat`/`exp` in seconds (the vendor's reference) instead of
    /// milliseconds (the guide's example, the default).
    #[arg(long)]
    pub iat_seconds: bool,
    /// At most this many push approvals per user within a sliding window, `MAX/PERIOD`
    /// (e.g. 3/60s, 10/1h); past it approvals are refused with 429. Default: unlimited.
    #[arg(long, value_name = "MAX/PERIOD", value_parser = parse_rate_limit)]
    pub push_limit: Option<RateLimit>,
    /// At most this many SMS (enrollments and approvals) per user within a sliding window,
    /// `MAX/PERIOD` (e.g. 5/1h). Default: unlimited.
    #[arg(long, value_name = "MAX/PERIOD", value_parser = parse_rate_limit)]
    pub sms_limit: Option<RateLimit>,
}

/// Parses `MAX/PERIOD`: a whole number, a slash, a humantime duration (`3/60s`, `5/1h`).
fn parse_rate_limit(text: &str) -> Result<RateLimit, String> {
    let (max, period) = text.split_once('/').ok_or("expected MAX/PERIOD, e.g. 3/60s")?;
    let max = max.trim().parse::<u32>().map_err(|_| "MAX must be a whole number, e.g. 3/60s".to_owned())?;
    let period = humantime::parse_duration(period.trim()).map_err(|err| format!("PERIOD: {err}"))?;
    Ok(RateLimit { max, period })
}

impl fmt::Debug for LaunchArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LaunchArgs")
            .field("port", &self.port)
            .field("host", &self.host)
            .field("access_key", &"<redacted>")
            .field("transaction_ttl", &self.transaction_ttl)
            .field("intent_ttl", &self.intent_ttl)
            .field("auto_approve_after", &self.auto_approve_after)
            .field("iat_seconds", &self.iat_seconds)
            .field("push_limit", &self.push_limit)
            .field("sms_limit", &self.sms_limit)
            .finish()
    }
}

impl LaunchArgs {
    /// The emulator's configuration from the flags.
    pub fn config(&self) -> EmulatorConfig {
        EmulatorConfig {
            bind: SocketAddr::new(self.host, self.port),
            access_key: Some(self.access_key.clone()),
            transaction_ttl: self.transaction_ttl,
            intent_ttl: self.intent_ttl,
            auto_approve_after: self.auto_approve_after,
            iat_unit: if self.iat_seconds { IatUnit::Seconds } else { IatUnit::Milliseconds },
            rate_limits: RateLimits { push: self.push_limit, sms: self.sms_limit },
        }
    }
}

/// Runs a standalone emulator on the current tokio runtime until SIGINT or SIGTERM:
/// installs the signal handlers first (a signal sent right after the line must not kill
/// the process raw), starts the emulator, prints exactly `listening on URL` on stdout, and
/// on a signal stops it gracefully. `program` prefixes error messages.
pub async fn serve(args: LaunchArgs, program: &str) -> ExitCode {
    let shutdown = match Shutdown::install() {
        Ok(shutdown) => shutdown,
        Err(err) => {
            eprintln!("{program}: cannot install signal handlers: {err}");
            return ExitCode::FAILURE;
        }
    };
    let emulator = match Emulator::start(args.config()).await {
        Ok(emulator) => emulator,
        Err(err) => {
            eprintln!("{program}: {err}");
            return ExitCode::from(2);
        }
    };
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "listening on {}", emulator.base_url()).and_then(|()| stdout.flush()).is_err() {
        // Nobody can learn the port: keep serving anyway, the harness may use a fixed one.
        tracing::warn!("could not write the listening line to stdout");
    }
    drop(stdout);
    // A wildcard bind is advertised as loopback (see `Shared::new`): say which is which.
    if emulator.local_addr().ip().is_unspecified() {
        eprintln!("{program}: serving on {}, advertising {}", emulator.local_addr(), emulator.base_url());
    }
    if !emulator.local_addr().ip().is_loopback() {
        eprintln!(
            "{program}: warning: {} is reachable from other machines; anyone who can reach it can \
             see and decide this emulator's transactions through its phone pages, and its control \
             API (/_emulator/) now needs the access key as Bearer as well",
            emulator.local_addr()
        );
    }
    eprintln!("{program}: press Ctrl-C to stop");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_flags() {
        assert_eq!(parse_rate_limit("3/60s"), Ok(RateLimit { max: 3, period: Duration::from_secs(60) }));
        assert_eq!(parse_rate_limit("5/1h"), Ok(RateLimit { max: 5, period: Duration::from_secs(3600) }));
        assert_eq!(parse_rate_limit("0/500ms"), Ok(RateLimit { max: 0, period: Duration::from_millis(500) }));
        for bad in ["3", "3/", "/60s", "x/60s", "-1/60s", "3/sixty", "3/60"] {
            assert!(parse_rate_limit(bad).is_err(), "{bad}");
        }
    }
}
