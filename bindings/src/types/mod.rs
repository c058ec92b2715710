//! Records and enums crossing the FFI, one file per domain, converted from core's types at
//! this boundary only.

pub(crate) mod approval;
pub(crate) mod codes;
pub(crate) mod enrollment;
pub(crate) mod intent;
pub(crate) mod logs;
pub(crate) mod status;
pub(crate) mod users;
pub(crate) mod wait;

pub use approval::{ApprovalChannel, ApprovalRequest, ApprovalResult, validate_approval_message};
pub use codes::{CodeCheck, CodeVerdict, RecoveryCodes, SmsEnrollResult};
pub use enrollment::{DeepLink, EnrollResult, Enrollment, QrCode};
pub use intent::{Channel, IntentOperation};
pub use logs::{LogColumn, LogEvent, LogExport, LogQuery};
pub use status::{Introspection, OperationStatus, TransactionStatus, VerifiedUser};
pub use users::{Authenticator, DeleteOutcome, User};
pub use wait::{StatusUpdate, WaitOptions, WaitOutcome};
