//! `Client`: blocking calls, for scripts and worker threads. Its operations are generated
//! in `operations.rs`, from the list it shares with `AsyncClient`.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use crate::config::ClientConfig;
use crate::error::AuthCloudError;
use crate::operations::{CoreCall, CoreClient};
use crate::runtime;

/// A blocking client of one Authentication Cloud instance. Thread-safe; create one and
/// share it (all calls share one connection pool).
#[derive(uniffi::Object)]
#[uniffi::export(Display)]
pub struct Client {
    core: CoreClient,
}

#[uniffi::export]
impl Client {
    /// Validates `config` and creates the client (no request is sent).
    #[uniffi::constructor]
    pub fn new(config: ClientConfig) -> Result<Arc<Self>, AuthCloudError> {
        Ok(Arc::new(Client { core: CoreClient::new(config.to_core()?) }))
    }
}

impl Client {
    pub(crate) fn core_call(&self) -> Result<CoreCall, AuthCloudError> {
        self.core.call()
    }
}

/// Runs one call of a blocking method on the caller's thread.
pub(crate) fn blocking<T: Send>(
    call: impl Future<Output = Result<T, AuthCloudError>> + Send,
) -> Result<T, AuthCloudError> {
    runtime::block_on(call)?
}

impl fmt::Display for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core.describe("Client", f)
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core.describe("Client", f)
    }
}
