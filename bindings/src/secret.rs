//! `Secret`: access keys and tokens as opaque objects, so `repr()`, `toString()` and
//! `String(describing:)` of anything holding one print `[redacted]`.

use std::fmt;
use std::sync::Arc;

use authcloud::SecretString;

/// An access key or token. Prints as `[redacted]`; `reveal()` returns the value.
#[derive(uniffi::Object, Clone, PartialEq, Eq)]
#[uniffi::export(Display, Debug, Eq)]
pub struct Secret(pub(crate) SecretString);

#[uniffi::export]
impl Secret {
    /// Wraps a secret value (an access key, or a token received from elsewhere).
    #[uniffi::constructor]
    pub fn new(value: String) -> Arc<Self> {
        Arc::new(Self(SecretString::new(value)))
    }

    /// The value itself: only for sending it where it belongs (e.g. an intent token to
    /// the device). Never log it.
    pub fn reveal(&self) -> String {
        self.0.expose().to_owned()
    }
}

impl Secret {
    pub(crate) fn wrap(secret: SecretString) -> Arc<Self> {
        Arc::new(Self(secret))
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(authcloud::REDACTED)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", authcloud::REDACTED)
    }
}
