//! Documented exit codes, and how SDK errors map onto them.

use authcloud::{Error, ErrorKind};

/// Success.
pub const OK: u8 = 0;
/// Bad command line or configuration (clap also exits with 2).
pub const USAGE: u8 = 2;
/// The user declined, or the operation failed or is unknown to the server.
pub const DECLINED: u8 = 3;
/// A wait or a request ran out of time.
pub const TIMED_OUT: u8 = 4;
/// Network, TLS or API error.
pub const NETWORK: u8 = 5;
/// `verify` refused the operation.
pub const NOT_VERIFIED: u8 = 6;
/// Interrupted (Ctrl-C).
pub const INTERRUPTED: u8 = 130;

/// Shown under `--help`.
pub const HELP: &str = "\
Exit codes:
  0  success
  2  usage or configuration error
  3  declined, failed or unknown operation
  4  timed out
  5  network, API or output error
  6  not verified
  130 interrupted

Environment:
  AUTHCLOUD_INSTANCE     instance name (https://{instance}.mauth.nevis.cloud)
  AUTHCLOUD_BASE_URL     explicit base URL (https, or http on loopback)
  AUTHCLOUD_ACCESS_KEY   access key (servers only)
  AUTHCLOUD_INTENT_TOKEN intent token (devices)
  RUST_LOG               diagnostics on stderr, e.g. RUST_LOG=debug";

/// The exit code for an SDK error.
pub fn code_for(error: &Error) -> u8 {
    code_for_kind(error.kind())
}

/// The exit code of each error kind: exhaustive (no wildcard), so a new kind in core does
/// not compile until it has a documented code here.
pub fn code_for_kind(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::Configuration | ErrorKind::InvalidInput => USAGE,
        ErrorKind::Timeout | ErrorKind::WaitTimedOut => TIMED_OUT,
        ErrorKind::NotVerified => NOT_VERIFIED,
        ErrorKind::Cancelled => INTERRUPTED,
        ErrorKind::Network
        | ErrorKind::Tls
        | ErrorKind::Unauthorized
        | ErrorKind::NotFound
        | ErrorKind::RateLimited
        | ErrorKind::Server
        | ErrorKind::Api
        | ErrorKind::MalformedResponse
        | ErrorKind::ResponseTooLarge => NETWORK,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_kind_has_an_exit_code_listed_under_help() {
        for &kind in ErrorKind::ALL {
            let code = code_for_kind(kind);
            assert_ne!(code, OK, "{kind}");
            assert!(HELP.contains(&format!("\n  {code} ")), "exit code {code} of {kind} is not under --help");
            assert_eq!(code_for(&Error::sample_of(kind)), code);
        }
    }
}
