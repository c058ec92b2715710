//! A user's recovery codes as the emulator keeps them: SHA-256 hashes only, each usable once,
//! and the recent failed checks that rate-limit guessing.
//!
//! Making the codes and hashing a candidate are `crate::recovery`'s; this is the pure check
//! against a user's set, with time passed in.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime};

use crate::hash::constant_time_eq;

/// The window failed recovery checks are counted in.
pub(crate) const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Failed checks within [`FAILURE_WINDOW`] after which further checks are refused (429)
/// until the oldest of them leaves the window.
pub(crate) const MAX_FAILURES: usize = 5;

/// One code of the set.
#[derive(Debug, Clone)]
struct StoredCode {
    hash: [u8; 32],
    used: bool,
}

/// A user's recovery codes and recent failed checks.
#[derive(Debug, Clone, Default)]
pub(crate) struct RecoveryCodes {
    codes: Vec<StoredCode>,
    /// When recent checks failed, oldest first (those out of the window are dropped lazily).
    failures: VecDeque<SystemTime>,
}

/// The outcome of checking a recovery code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecoveryCheck {
    /// One of the unused codes: it is now used.
    Accepted,
    /// Not an unused code of the set (wrong, or used already): one more failure.
    Rejected,
    /// Too many recent failures: not checked; the window frees a slot after this long.
    Limited { retry_after: Duration },
}

impl RecoveryCodes {
    /// Replaces the set (a new enrollment); recent failures still count.
    pub(super) fn replace(&mut self, hashes: Vec<[u8; 32]>) {
        self.codes = hashes.into_iter().map(|hash| StoredCode { hash, used: false }).collect();
    }

    /// How many codes of the set are unused.
    #[cfg(test)]
    pub(crate) fn unused(&self) -> usize {
        self.codes.iter().filter(|code| !code.used).count()
    }

    /// Checks a candidate's hash at `now`: refused unchecked while [`MAX_FAILURES`] failures
    /// lie within [`FAILURE_WINDOW`]; otherwise compared with every code (all of them, in
    /// constant time each, so the timing tells nothing), and a match with an unused code
    /// uses it up. A used code fails exactly as a wrong one does.
    pub(super) fn check(&mut self, candidate: &[u8; 32], now: SystemTime) -> RecoveryCheck {
        self.failures.retain(|at| !now.duration_since(*at).is_ok_and(|age| age >= FAILURE_WINDOW));
        if self.failures.len() >= MAX_FAILURES {
            let oldest = self.failures.iter().min().copied().unwrap_or(now);
            let retry_after = (oldest + FAILURE_WINDOW).duration_since(now).unwrap_or(Duration::ZERO);
            return RecoveryCheck::Limited { retry_after };
        }
        let mut matched = None;
        for (index, code) in self.codes.iter().enumerate() {
            if constant_time_eq(&code.hash, candidate) && !code.used && matched.is_none() {
                matched = Some(index);
            }
        }
        match matched {
            Some(index) => {
                self.codes[index].used = true;
                RecoveryCheck::Accepted
            }
            None => {
                self.failures.push_back(now);
                RecoveryCheck::Rejected
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::sha256;

    fn set(codes: &[&str]) -> RecoveryCodes {
        let mut recovery = RecoveryCodes::default();
        recovery.replace(codes.iter().map(|code| sha256(code.as_bytes())).collect());
        recovery
    }

    #[test]
    fn a_code_works_once() {
        let now = SystemTime::now();
        let mut recovery = set(&["first", "second"]);
        assert_eq!(recovery.unused(), 2);
        assert_eq!(recovery.check(&sha256(b"second"), now), RecoveryCheck::Accepted);
        assert_eq!(recovery.check(&sha256(b"second"), now), RecoveryCheck::Rejected);
        assert_eq!(recovery.check(&sha256(b"third"), now), RecoveryCheck::Rejected);
        assert_eq!(recovery.unused(), 1);
        recovery.replace(vec![sha256(b"new")]);
        assert_eq!(recovery.check(&sha256(b"first"), now), RecoveryCheck::Rejected, "the old set is gone");
        assert_eq!(recovery.check(&sha256(b"new"), now), RecoveryCheck::Accepted);
    }

    #[test]
    fn five_failures_in_fifteen_minutes_block_until_the_oldest_leaves() {
        let start = SystemTime::now();
        let minute = Duration::from_secs(60);
        let mut recovery = set(&["good"]);
        for i in 0..5u32 {
            assert_eq!(recovery.check(&sha256(b"bad"), start + minute * i), RecoveryCheck::Rejected);
        }
        // At minute 5 the first failure (minute 0) frees its slot at minute 15.
        let at = start + minute * 5;
        assert_eq!(recovery.check(&sha256(b"good"), at), RecoveryCheck::Limited { retry_after: minute * 10 });
        // Refused checks are not failures, and not checked: the good code is still unused.
        assert_eq!(recovery.unused(), 1);
        let just_before = start + FAILURE_WINDOW - Duration::from_millis(1);
        assert_eq!(
            recovery.check(&sha256(b"good"), just_before),
            RecoveryCheck::Limited { retry_after: Duration::from_millis(1) }
        );
        let freed = start + FAILURE_WINDOW;
        assert_eq!(recovery.check(&sha256(b"good"), freed), RecoveryCheck::Accepted);
        // Four failures still lie in the window: one more fills it again.
        assert_eq!(recovery.check(&sha256(b"bad"), freed), RecoveryCheck::Rejected);
        assert!(matches!(recovery.check(&sha256(b"bad"), freed), RecoveryCheck::Limited { .. }));
    }

    #[test]
    fn a_success_does_not_clear_failures() {
        let now = SystemTime::now();
        let mut recovery = set(&["a", "b"]);
        for _ in 0..4 {
            recovery.check(&sha256(b"x"), now);
        }
        assert_eq!(recovery.check(&sha256(b"a"), now), RecoveryCheck::Accepted);
        assert_eq!(recovery.check(&sha256(b"x"), now), RecoveryCheck::Rejected);
        assert!(matches!(recovery.check(&sha256(b"b"), now), RecoveryCheck::Limited { .. }));
    }
}
