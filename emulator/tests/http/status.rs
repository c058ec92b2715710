//! `POST /api/v1/status`: pending → succeeded / failed, unknown tokens, expiry, CORS.

use std::time::Duration;

use authcloud_emulator::{EmulatorConfig, TransactionStatus};
use serde_json::{Value, json};

use crate::common::{assert_error, enrollment, start, start_with};

#[tokio::test]
async fn status_follows_the_transaction() {
    let ctx = start().await;
    let answer = ctx.enroll(json!({ "username": "u1" })).await;
    let (transaction_id, status_token) = enrollment(&answer);

    let pending = ctx.status(&status_token).await;
    let keys: Vec<&str> = pending.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 7, "transactionId, status, userId, username, token, createdAt, lastUpdatedAt: {keys:?}");
    assert_eq!(pending["status"], "pending");
    assert_eq!(pending["userId"], answer["userId"]);
    assert_eq!(pending["username"], "u1");
    assert!(pending["token"].as_str().unwrap().starts_with("eyJ"));
    assert_eq!(pending["createdAt"], pending["lastUpdatedAt"]);

    ctx.emu.approve(&transaction_id).unwrap();
    let done = ctx.status(&status_token).await;
    assert_eq!(done["status"], "succeeded");
    assert_eq!(done["token"], pending["token"], "the same transaction token");
    assert_ne!(done["lastUpdatedAt"], done["createdAt"]);
    // Safe to repeat.
    assert_eq!(ctx.status(&status_token).await["status"], "succeeded");

    let denied = ctx.enroll(json!({ "username": "u2" })).await;
    let (denied_id, denied_token) = enrollment(&denied);
    ctx.emu.deny(&denied_id).unwrap();
    assert_eq!(ctx.status(&denied_token).await["status"], "failed");
    assert_eq!(ctx.emu.transaction_status(&denied_id), Some(TransactionStatus::Failed));
}

#[tokio::test]
async fn unknown_tokens_report_unknown() {
    let ctx = start().await;
    let other = start().await;
    let foreign = other.enroll(json!({})).await;
    let (_, foreign_token) = enrollment(&foreign);
    let mine = ctx.enroll(json!({})).await;
    let transaction_token = ctx.status(&enrollment(&mine).1).await["token"].as_str().unwrap().to_owned();

    for token in ["garbage", "", "eyJhbGciOiJIUzI1NiJ9.e30.abc", &foreign_token, &transaction_token] {
        let answer = ctx.status(token).await;
        assert_eq!(answer, json!({ "status": "unknown" }), "for {token:.12}");
    }
    // Also after a reset: the token is genuine but the transaction is forgotten.
    let (_, status_token) = enrollment(&mine);
    ctx.emu.reset();
    assert_eq!(ctx.status(&status_token).await, json!({ "status": "unknown" }));
}

#[tokio::test]
async fn expired_transactions_fail_and_cannot_be_approved() {
    let ctx = start_with(EmulatorConfig { transaction_ttl: Duration::from_millis(200), ..Default::default() }).await;
    let answer = ctx.enroll(json!({ "username": "slow" })).await;
    let (transaction_id, status_token) = enrollment(&answer);
    assert_eq!(ctx.status(&status_token).await["status"], "pending");
    tokio::time::sleep(Duration::from_millis(1300)).await;

    // The status token's own JWT has expired too, and still resolves to failed.
    let expired = ctx.status(&status_token).await;
    assert_eq!(expired["status"], "failed");
    assert_eq!(expired["transactionId"], transaction_id.as_str());
    let response = ctx.control(&format!("/_emulator/transactions/{transaction_id}/approve")).await;
    let message = assert_error(response, 409).await;
    assert!(message.contains("failed"), "{message}");
    assert!(ctx.emu.approve(&transaction_id).is_err());
}

#[tokio::test]
async fn settled_transactions_are_forgotten_after_their_retention() {
    // TTL 200 ms: the deadline is 200 ms after the enrollment, and the transaction is kept
    // 5 s (the least retention) past it, then forgotten — its status is `unknown` as for a
    // token the emulator never issued, its transaction token introspects inactive.
    let ctx = start_with(EmulatorConfig { transaction_ttl: Duration::from_millis(200), ..Default::default() }).await;
    let answer = ctx.enroll(json!({ "username": "forgotten" })).await;
    let (transaction_id, status_token) = enrollment(&answer);
    ctx.emu.approve(&transaction_id).unwrap();
    let succeeded = ctx.status(&status_token).await;
    assert_eq!(succeeded["status"], "succeeded");
    let token = succeeded["token"].as_str().unwrap().to_owned();
    assert_eq!(ctx.introspect(&token).await["active"], true);

    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(ctx.status(&status_token).await["status"], "succeeded", "kept past the deadline");
    assert_eq!(ctx.introspect(&token).await["active"], true);

    tokio::time::sleep(Duration::from_millis(4400)).await;
    assert_eq!(ctx.status(&status_token).await, json!({ "status": "unknown" }));
    assert_eq!(ctx.introspect(&token).await, json!({ "active": false }));
    assert!(ctx.emu.transaction_status(&transaction_id).is_none());
    let response = ctx.control(&format!("/_emulator/transactions/{transaction_id}/approve")).await;
    assert_error(response, 404).await;
    // The user is kept, with the authenticator the enrollment registered.
    let user = ctx.user(answer["userId"].as_str().unwrap()).await;
    assert_eq!(user["authenticators"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn status_rejects_bad_requests() {
    let ctx = start().await;
    let url = ctx.url("/api/v1/status");
    let missing = ctx.http.post(&url).json(&json!({})).send().await.unwrap();
    assert_error(missing, 400).await;
    let empty = ctx.http.post(&url).send().await.unwrap();
    assert_error(empty, 400).await;
    let wrong_type = ctx.http.post(&url).json(&json!({ "statusToken": 5 })).send().await.unwrap();
    assert_error(wrong_type, 400).await;
    let malformed =
        ctx.http.post(&url).header("content-type", "application/json").body("{\"statusToken\": ").send().await.unwrap();
    assert_error(malformed, 400).await;
    let form = ctx.http.post(&url).form(&[("statusToken", "x")]).send().await.unwrap();
    assert_error(form, 415).await;
    let charset = ctx
        .http
        .post(&url)
        .header("content-type", "application/json; charset=utf-8")
        .body("{\"statusToken\": \"x\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(charset.status(), 200);
}

#[tokio::test]
async fn status_allows_cross_origin_polling() {
    let ctx = start().await;
    let url = ctx.url("/api/v1/status");
    let preflight = ctx
        .http
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    let headers = preflight.headers();
    assert_eq!(headers["access-control-allow-origin"], "*");
    assert!(headers["access-control-allow-methods"].to_str().unwrap().contains("POST"));
    assert!(headers.contains_key("access-control-allow-headers"));

    let answer = ctx
        .http
        .post(&url)
        .header("origin", "https://shop.example")
        .json(&json!({ "statusToken": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.headers()["access-control-allow-origin"], "*");
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["status"], "unknown");

    // A plain OPTIONS (no preflight headers) is answered by the CORS layer too.
    let plain = ctx.http.request(reqwest::Method::OPTIONS, &url).send().await.unwrap();
    assert_eq!(plain.status(), 200);
    assert_eq!(plain.headers()["access-control-allow-origin"], "*");
}
