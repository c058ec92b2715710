//! Durations on the command line (`1.5s`, `5m`), with defaults taken from the SDK's and
//! the emulator's own constants rather than repeated as text.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A duration that clap parses and prints the human way (`1s 500ms`, `5m`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanDuration(pub Duration);

impl FromStr for HumanDuration {
    type Err = humantime::DurationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        humantime::parse_duration(s).map(HumanDuration)
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_print_in_a_form_that_parses_back() {
        for d in [authcloud::DEFAULT_POLL_INTERVAL, authcloud::DEFAULT_WAIT_TIMEOUT, Duration::from_millis(1)] {
            let text = HumanDuration(d).to_string();
            assert_eq!(text.parse::<HumanDuration>().unwrap().0, d, "{text}");
        }
    }
}
