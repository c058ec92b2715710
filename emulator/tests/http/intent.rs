//! `POST /api/v1/intent` and enrolling with an intent token.

use std::time::Duration;

use authcloud_emulator::EmulatorConfig;
use serde_json::{Value, json};

use crate::common::{assert_error, start, start_with};

#[tokio::test]
async fn intent_token_enrolls_once() {
    let ctx = start().await;
    let token = ctx.intent(json!({ "username": "dave", "operation": "enroll" })).await;
    assert!(token.starts_with("eyJ"));

    // The body may omit the user: the intent's is used.
    let first = ctx.post_json("/api/v1/users/enroll", Some(&token), &json!({})).send().await.unwrap();
    assert_eq!(first.status(), 201);
    let answer: Value = first.json().await.unwrap();
    assert_eq!(answer["username"], "dave");

    let second =
        ctx.post_json("/api/v1/users/enroll", Some(&token), &json!({ "username": "dave" })).send().await.unwrap();
    assert_error(second, 401).await;
}

#[tokio::test]
async fn intent_token_is_bound_to_user_operation_and_channel() {
    let ctx = start().await;
    let token = ctx.intent(json!({ "username": "erin", "operation": "enroll" })).await;
    let other_user =
        ctx.post_json("/api/v1/users/enroll", Some(&token), &json!({ "username": "mallory" })).send().await.unwrap();
    assert_error(other_user, 403).await;
    // A refused attempt does not spend the token.
    let right_user =
        ctx.post_json("/api/v1/users/enroll", Some(&token), &json!({ "username": "erin" })).send().await.unwrap();
    assert_eq!(right_user.status(), 201);
    let erin: Value = right_user.json().await.unwrap();

    // Bound by userId: another user's id is refused, the right one accepted.
    let bob = ctx.enroll(json!({ "username": "bob" })).await;
    let by_id = ctx.intent(json!({ "userId": erin["userId"], "operation": "enroll" })).await;
    let wrong =
        ctx.post_json("/api/v1/users/enroll", Some(&by_id), &json!({ "userId": bob["userId"] })).send().await.unwrap();
    assert_error(wrong, 403).await;
    let ok = ctx.post_json("/api/v1/users/enroll", Some(&by_id), &json!({})).send().await.unwrap();
    assert_eq!(ok.status(), 201);
    let ok: Value = ok.json().await.unwrap();
    assert_eq!(ok["userId"], erin["userId"]);

    let approve = ctx.intent(json!({ "username": "erin", "operation": "approve" })).await;
    let wrong_operation = ctx.post_json("/api/v1/users/enroll", Some(&approve), &json!({})).send().await.unwrap();
    assert_error(wrong_operation, 403).await;

    let sms_only = ctx.intent(json!({ "username": "erin", "operation": "enroll", "channels": ["sms"] })).await;
    let wrong_channel = ctx.post_json("/api/v1/users/enroll", Some(&sms_only), &json!({})).send().await.unwrap();
    assert_error(wrong_channel, 403).await;
    let app_ok = ctx.intent(json!({ "username": "erin", "operation": "enroll", "channels": ["app", "push"] })).await;
    let fine = ctx.post_json("/api/v1/users/enroll", Some(&app_ok), &json!({})).send().await.unwrap();
    assert_eq!(fine.status(), 201);
}

#[tokio::test]
async fn intent_tokens_expire() {
    let ctx = start_with(EmulatorConfig { intent_ttl: Duration::from_millis(200), ..Default::default() }).await;
    let token = ctx.intent(json!({ "username": "frank", "operation": "enroll" })).await;
    assert_eq!(ctx.introspect(&token).await["active"], true);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let late = ctx.post_json("/api/v1/users/enroll", Some(&token), &json!({})).send().await.unwrap();
    assert_error(late, 401).await;
    assert_eq!(ctx.introspect(&token).await, json!({ "active": false }));
}

#[tokio::test]
async fn intent_endpoint_is_strict() {
    let ctx = start().await;
    let key = ctx.key();
    let send = |bearer: Option<&str>, body: Value| ctx.post_json("/api/v1/intent", bearer, &body).send();
    let body = json!({ "username": "gina", "operation": "enroll" });
    assert_error(send(None, body.clone()).await.unwrap(), 401).await;
    assert_error(send(Some("wrong"), body.clone()).await.unwrap(), 401).await;
    let token = ctx.intent(body.clone()).await;
    assert_error(send(Some(&token), body.clone()).await.unwrap(), 403).await;

    for bad in [
        json!({ "username": "gina" }),
        json!({ "username": "gina", "operation": "delete" }),
        json!({ "operation": "enroll" }),
        json!({ "username": "gi na", "operation": "enroll" }),
        json!({ "userId": "nope", "operation": "enroll" }),
        json!({ "username": "gina", "operation": "enroll", "channels": ["fido2"] }),
        json!({ "username": "gina", "operation": "enroll", "channels": "app" }),
        json!({ "username": "gina", "operation": "enroll", "channels": [] }),
    ] {
        assert_error(send(Some(&key), bad.clone()).await.unwrap(), 400).await;
    }
    let unknown_id = json!({ "userId": uuid::Uuid::new_v4().to_string(), "operation": "enroll" });
    assert_error(send(Some(&key), unknown_id).await.unwrap(), 404).await;
    let unknown_user = json!({ "username": "nobody", "operation": "approve" });
    assert_error(send(Some(&key), unknown_user).await.unwrap(), 404).await;
    let existing = ctx.enroll(json!({ "username": "hank" })).await;
    ctx.intent(json!({ "userId": existing["userId"], "operation": "approve" })).await;
    ctx.intent(json!({ "username": "hank", "operation": "approve", "channels": ["push"] })).await;

    let wrong_type = ctx
        .http
        .post(ctx.url("/api/v1/intent"))
        .bearer_auth(&key)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_error(wrong_type, 415).await;
}
