//! What `enroll` answers: the enrollment, its QR code and deep link.

use std::fmt;
use std::sync::Arc;

use crate::error::AuthCloudError;
use crate::secret::Secret;
use crate::types::users::User;

/// The QR code to show the user, kept exactly as the server sent it. Like the deep link it
/// carries the dispatch token, which lets whoever scans it complete the registration, so it
/// prints only its size.
#[derive(uniffi::Object)]
#[uniffi::export(Display)]
pub struct QrCode(authcloud::QrCode);

#[uniffi::export]
impl QrCode {
    /// The PNG file's bytes. Raises `MalformedResponse` when the server's QR code is not a
    /// base64 PNG data URI (the enrollment itself is fine: show the deep link instead).
    pub fn png(&self) -> Result<Vec<u8>, AuthCloudError> {
        Ok(self.0.png_bytes()?)
    }

    /// `data:image/png;base64,...` as the server sent it, for an `<img src>` (empty when
    /// the answer had no QR code).
    pub fn data_uri(&self) -> String {
        self.0.data_uri.clone()
    }

    /// Width and height in pixels, when the server said.
    pub fn size(&self) -> Option<u32> {
        self.0.size
    }
}

impl fmt::Display for QrCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.size {
            Some(size) => write!(f, "QrCode({size}x{size} px, data URI of {} chars)", self.0.data_uri.len()),
            None => write!(f, "QrCode(data URI of {} chars)", self.0.data_uri.len()),
        }
    }
}

impl fmt::Debug for QrCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The deep link that opens the authenticator app (`appLinkUri`), checked before use.
///
/// `href()` returns it only when it is an `https` URL (or `http` to loopback, as from the
/// emulator) with a proper host — the value for an `<a href>`; `is_valid()` and
/// `problem()` tell without raising. It carries the dispatch token, so it prints
/// redacted; `reveal()` gives the raw value, checked or not.
#[derive(uniffi::Object)]
#[uniffi::export(Display)]
pub struct DeepLink(authcloud::DeepLink);

#[uniffi::export]
impl DeepLink {
    /// The checked link; raises `MalformedResponse` naming the problem otherwise.
    pub fn href(&self) -> Result<String, AuthCloudError> {
        Ok(self.0.href()?.to_owned())
    }

    /// True when `href()` returns the link.
    pub fn is_valid(&self) -> bool {
        self.0.is_valid()
    }

    /// Why the link failed the check, if it did.
    pub fn problem(&self) -> Option<String> {
        self.0.problem().map(ToString::to_string)
    }

    /// The value exactly as the server sent it (empty when absent), checked or not. Never
    /// put it into a page unless `is_valid()`; never log it.
    pub fn reveal(&self) -> String {
        self.0.as_unchecked_str().to_owned()
    }
}

impl fmt::Display for DeepLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.problem() {
            None => write!(f, "DeepLink({})", authcloud::REDACTED),
            Some(problem) => write!(f, "DeepLink({}, invalid: {problem})", authcloud::REDACTED),
        }
    }
}

impl fmt::Debug for DeepLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The registration the user completes on the phone.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Enrollment {
    pub transaction_id: String,
    /// Poll `status` with it.
    pub status_token: Arc<Secret>,
    pub qr_code: Arc<QrCode>,
    /// The deep link: `href()` for an `<a href>` (checked), never logged.
    pub app_link_uri: Arc<DeepLink>,
}

/// Answer of `enroll`: returned whenever the server accepted the registration, whatever
/// its QR code or deep link look like. A transaction id or user id missing from the answer
/// is taken from a `status` answer.
#[derive(Debug, Clone, uniffi::Record)]
pub struct EnrollResult {
    pub user: User,
    pub enrollment: Enrollment,
    /// True only when the answer lacked the transaction id or the user id and the `status`
    /// lookup that supplies them failed: those ids are then empty strings (an empty id
    /// never matches in `verify`). Poll and verify the status token all the same.
    pub ids_missing: bool,
}

impl From<authcloud::QrCode> for QrCode {
    fn from(qr: authcloud::QrCode) -> Self {
        QrCode(qr)
    }
}

impl From<authcloud::DeepLink> for DeepLink {
    fn from(link: authcloud::DeepLink) -> Self {
        DeepLink(link)
    }
}

impl From<authcloud::EnrollResult> for EnrollResult {
    fn from(response: authcloud::EnrollResult) -> Self {
        let enrollment = response.enrollment;
        EnrollResult {
            user: response.user.into(),
            enrollment: Enrollment {
                transaction_id: enrollment.transaction_id,
                status_token: Secret::wrap(enrollment.status_token),
                qr_code: Arc::new(QrCode(enrollment.qr_code)),
                app_link_uri: Arc::new(DeepLink(enrollment.app_link_uri)),
            },
            ids_missing: response.ids_missing,
        }
    }
}
