//! Signed tokens: status, transaction and intent tokens are HS256 JWTs; the dispatch token
//! in the QR code / deep link is a compact HMAC-signed transaction id, so the QR code stays
//! small enough to scan off an 80-column terminal.
//!
//! Each emulator draws its own random signing key, so `introspect` really verifies a
//! signature and expiry, and a token from another emulator (or a tampered one) is simply
//! not recognised.

use std::time::{Duration, SystemTime};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::state::{Operation, TransactionTokens};
use crate::time::{epoch_seconds, epoch_seconds_ceil};

/// The audience every token names, as in the vendor's introspection sample.
pub(crate) const AUDIENCE: &str = "api";

/// How long a transaction token stays verifiable after its transaction's deadline, so a
/// backend can still introspect it right after a late approval.
pub(crate) const TRANSACTION_TOKEN_GRACE: Duration = Duration::from_secs(60 * 60);

/// What a token is for; stored in the private `kind` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum TokenKind {
    /// Lets anyone (no auth) poll `status` for one transaction.
    Status,
    /// Proves the outcome of one transaction; verified with `introspect`.
    Transaction,
    /// Lets a device call `enroll` once instead of holding the access key.
    Intent,
}

/// The claims of every token the emulator signs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Claims {
    pub(crate) iss: String,
    pub(crate) aud: String,
    pub(crate) sub: String,
    pub(crate) iat: u64,
    pub(crate) exp: u64,
    pub(crate) jti: Uuid,
    pub(crate) scope: String,
    pub(crate) kind: TokenKind,
    /// The transaction a status, transaction or dispatch token belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) tid: Option<Uuid>,
}

/// What to put in a new token.
pub(crate) struct TokenSpec<'a> {
    pub(crate) kind: TokenKind,
    pub(crate) sub: &'a str,
    pub(crate) scope: &'a str,
    pub(crate) jti: Uuid,
    pub(crate) tid: Option<Uuid>,
    pub(crate) issued_at: SystemTime,
    pub(crate) expires_at: SystemTime,
}

/// Signs and verifies the tokens of one emulator.
pub(crate) struct TokenIssuer {
    issuer: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// Signature, audience, issuer and expiry (no leeway: short TTLs in tests must bite).
    strict: Validation,
    /// Signature, audience and issuer only: `status` must still resolve an expired
    /// transaction's status token to `failed`, not `unknown`.
    ignoring_expiry: Validation,
}

impl TokenIssuer {
    /// A new issuer named `issuer` (the `iss` claim) with a fresh random 256-bit key.
    pub(crate) fn new(issuer: String) -> Self {
        let key: [u8; 32] = rand::random();
        let mut strict = Validation::new(Algorithm::HS256);
        strict.leeway = 0;
        strict.set_audience(&[AUDIENCE]);
        strict.set_issuer(&[issuer.as_str()]);
        let mut ignoring_expiry = strict.clone();
        ignoring_expiry.validate_exp = false;
        TokenIssuer {
            issuer,
            encoding: EncodingKey::from_secret(&key),
            decoding: DecodingKey::from_secret(&key),
            strict,
            ignoring_expiry,
        }
    }

    /// The `iss` claim (the base URL with a trailing slash).
    pub(crate) fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Signs a new token.
    pub(crate) fn mint(&self, spec: &TokenSpec<'_>) -> String {
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: AUDIENCE.to_owned(),
            sub: spec.sub.to_owned(),
            iat: epoch_seconds(spec.issued_at),
            exp: epoch_seconds_ceil(spec.expires_at),
            jti: spec.jti,
            scope: spec.scope.to_owned(),
            kind: spec.kind,
            tid: spec.tid,
        };
        // Encoding plain claims with an HMAC key cannot fail.
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).unwrap_or_default()
    }

    /// The status, transaction and dispatch tokens of a new transaction. Status and
    /// dispatch tokens expire with the transaction; the transaction token
    /// [`TRANSACTION_TOKEN_GRACE`] later. All name the user as `sub` (empty for a usernameless
    /// approval: introspect reports the user that approved it).
    pub(crate) fn for_transaction(
        &self,
        user_id: Option<Uuid>,
        transaction_id: Uuid,
        operation: Operation,
        created_at: SystemTime,
        expires_at: SystemTime,
    ) -> TransactionTokens {
        let sub = user_id.map(|id| id.to_string()).unwrap_or_default();
        let transaction_scope = format!("transaction {}", operation.as_str());
        let spec = |kind, scope, expires_at| TokenSpec {
            kind,
            sub: &sub,
            scope,
            jti: Uuid::new_v4(),
            tid: Some(transaction_id),
            issued_at: created_at,
            expires_at,
        };
        TransactionTokens {
            status_token: self.mint(&spec(TokenKind::Status, "status", expires_at)),
            token: self.mint(&spec(TokenKind::Transaction, &transaction_scope, expires_at + TRANSACTION_TOKEN_GRACE)),
            dispatch_token: self.mint_dispatch(transaction_id),
        }
    }

    /// A dispatch token: `<transaction id, 32 hex>.<HS256 of it, base64url>`. It needs no
    /// expiry of its own: the transaction it names expires.
    pub(crate) fn mint_dispatch(&self, transaction_id: Uuid) -> String {
        let id = transaction_id.simple().to_string();
        let message = format!("dispatch:{id}");
        // HMAC signing with a valid key cannot fail.
        let signature =
            jsonwebtoken::crypto::sign(message.as_bytes(), &self.encoding, Algorithm::HS256).unwrap_or_default();
        format!("{id}.{signature}")
    }

    /// The transaction a dispatch token signed by this emulator names.
    pub(crate) fn verify_dispatch(&self, token: &str) -> Option<Uuid> {
        let (id, signature) = token.split_once('.')?;
        if id.len() != 32 || signature.len() > 64 {
            return None;
        }
        let message = format!("dispatch:{id}");
        let valid =
            jsonwebtoken::crypto::verify(signature, message.as_bytes(), &self.decoding, Algorithm::HS256).ok()?;
        if valid { Uuid::parse_str(id).ok() } else { None }
    }

    /// The claims of a token this emulator signed and that has not expired.
    pub(crate) fn verify(&self, token: &str) -> Option<Claims> {
        self.decode(token, &self.strict)
    }

    /// The claims of a token this emulator signed, expired or not.
    pub(crate) fn verify_ignoring_expiry(&self, token: &str) -> Option<Claims> {
        self.decode(token, &self.ignoring_expiry)
    }

    fn decode(&self, token: &str, validation: &Validation) -> Option<Claims> {
        // A JWT is three dot-separated parts; anything far too long is not one of ours.
        if token.len() > 4096 {
            return None;
        }
        jsonwebtoken::decode::<Claims>(token, &self.decoding, validation).ok().map(|data| data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(expires_in: Duration) -> TokenSpec<'static> {
        let now = SystemTime::now();
        TokenSpec {
            kind: TokenKind::Status,
            sub: "user",
            scope: "status",
            jti: Uuid::new_v4(),
            tid: Some(Uuid::new_v4()),
            issued_at: now,
            expires_at: now + expires_in,
        }
    }

    #[test]
    fn round_trip_and_tampering() {
        let issuer = TokenIssuer::new("http://127.0.0.1:1/".into());
        let token = issuer.mint(&spec(Duration::from_secs(60)));
        let claims = issuer.verify(&token).expect("valid");
        assert_eq!(claims.kind, TokenKind::Status);
        // Flip one character in the middle of the signature.
        let at = token.rfind('.').expect("three parts") + 5;
        let mut bytes = token.clone().into_bytes();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).expect("ascii");
        assert!(issuer.verify(&tampered).is_none());
        let other = TokenIssuer::new("http://127.0.0.1:1/".into());
        assert!(other.verify(&token).is_none());
    }

    #[test]
    fn expiry_is_strict_unless_ignored() {
        let issuer = TokenIssuer::new("http://127.0.0.1:1/".into());
        let mut s = spec(Duration::ZERO);
        s.expires_at = SystemTime::now() - Duration::from_secs(5);
        let token = issuer.mint(&s);
        assert!(issuer.verify(&token).is_none());
        assert!(issuer.verify_ignoring_expiry(&token).is_some());
    }
}
