//! What the two endpoints that start a transaction (`enroll`, `approval`) do alike once it
//! is started: mint its tokens and keep them with it, and render the app link a phone opens
//! (`appLinkUri`) with its QR code.

use uuid::Uuid;

use crate::app::Shared;
use crate::errors::ApiError;
use crate::qr::{self, QR_SIZE};
use crate::state::{State as World, TransactionTokens};
use crate::wire::QrCodeJson;

/// Mints the status, transaction and dispatch tokens of a transaction just started, keeps
/// them with it (`status` hands them out again) and returns them.
pub(super) fn issue_tokens(
    shared: &Shared,
    world: &mut World,
    transaction_id: Uuid,
) -> Result<TransactionTokens, ApiError> {
    let transaction =
        world.transaction(transaction_id).ok_or_else(|| ApiError::internal("the transaction vanished"))?;
    let tokens = shared.tokens.for_transaction(
        transaction.user_id,
        transaction_id,
        transaction.operation,
        transaction.created_at,
        transaction.expires_at,
    );
    world.attach_tokens(transaction_id, tokens.clone());
    Ok(tokens)
}

/// The deep link that opens a transaction in the (simulated) app, `appLinkUri`, and its QR
/// code. Rendering the QR code is slow: call this outside the state's lock.
pub(super) fn app_link(shared: &Shared, dispatch_token: &str) -> Result<(String, QrCodeJson), ApiError> {
    let app_link_uri = format!("{}/open?dispatchTokenResponse={dispatch_token}", shared.base_url);
    let data_uri = qr::png_data_uri(&app_link_uri).map_err(|_| ApiError::internal("could not render the QR code"))?;
    Ok((app_link_uri, QrCodeJson { media_type: "image/png", size: QR_SIZE, data_uri }))
}
