//! `CancelToken`: stops a blocking wait from another thread (or a signal handler's
//! thread), in every language.

use std::sync::Arc;

use authcloud::CancellationToken;

/// Cancels the wait it is passed to. Create one, pass it to `wait_for_completion(...,
/// cancel=token)`, and call `cancel()` from anywhere: the wait ends with `Cancelled` at
/// once and sends no further request. One token may cancel several waits.
#[derive(uniffi::Object, Debug, Default)]
pub struct CancelToken(pub(crate) CancellationToken);

#[uniffi::export]
impl CancelToken {
    /// A token that is not cancelled yet.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Cancels every wait using this token (now and later). Safe to call more than once.
    pub fn cancel(&self) {
        self.0.cancel();
    }

    /// True once `cancel()` was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.is_cancelled()
    }
}

/// The core token a wait listens to: the caller's, or a fresh one.
pub(crate) fn token_of(cancel: Option<Arc<CancelToken>>) -> CancellationToken {
    cancel.map_or_else(CancellationToken::new, |c| c.0.clone())
}
