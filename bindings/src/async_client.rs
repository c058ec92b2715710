//! `AsyncClient`: the same operations as `Client` for event loops (Python `async def`,
//! Kotlin `suspend`, Swift `async`), generated in `operations.rs` from the list the two
//! share. Each call runs as a task on the shared runtime; cancelling the awaiting
//! coroutine aborts it.

use std::fmt;
use std::sync::Arc;

use crate::config::ClientConfig;
use crate::error::AuthCloudError;
use crate::operations::{CoreCall, CoreClient};

/// An async client of one Authentication Cloud instance. Thread-safe; share one.
#[derive(uniffi::Object)]
#[uniffi::export(Display)]
pub struct AsyncClient {
    core: CoreClient,
}

#[uniffi::export]
impl AsyncClient {
    /// Validates `config` and creates the client (no request is sent).
    #[uniffi::constructor]
    pub fn new(config: ClientConfig) -> Result<Arc<Self>, AuthCloudError> {
        Ok(Arc::new(AsyncClient { core: CoreClient::new(config.to_core()?) }))
    }
}

impl AsyncClient {
    pub(crate) fn core_call(&self) -> Result<CoreCall, AuthCloudError> {
        self.core.call()
    }
}

impl fmt::Display for AsyncClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core.describe("AsyncClient", f)
    }
}

impl fmt::Debug for AsyncClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core.describe("AsyncClient", f)
    }
}
