//! SMS approvals (`POST /api/v1/approval` with `"channel": "sms"`): a code to the user's
//! registered phone, decided only by `POST /api/v1/users/{userId}/verification`.

use std::time::Duration;

use authcloud_emulator::{EmulatorConfig, EmulatorError, TransactionStatus};
use reqwest::Response;
use serde_json::{Value, json};

use crate::common::{Ctx, assert_error, enrollment, start, start_with};

const PHONE: &str = "+41791234567";

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value.as_object().expect("object").keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

/// `POST /api/v1/approval` with `bearer`, as is.
async fn approval_as(ctx: &Ctx, bearer: &str, body: Value) -> Response {
    ctx.post_json("/api/v1/approval", Some(bearer), &body).send().await.expect("approval sent")
}

/// `POST /api/v1/users/{userId}/verification` with the access key.
async fn verify(ctx: &Ctx, user_id: &str, code: &str, status_token: &str) -> Response {
    let path = format!("/api/v1/users/{user_id}/verification");
    let body = json!({ "code": code, "statusToken": status_token });
    ctx.post_json(&path, Some(&ctx.key()), &body).send().await.expect("verification sent")
}

/// A code of six digits that is not `code`.
fn wrong(code: &str) -> String {
    let first = if code.starts_with('9') { '1' } else { '9' };
    format!("{first}{}", &code[1..])
}

/// A user (with `app` app authenticators) whose phone is registered by a verified SMS
/// enrollment. Returns the user id and the SMS authenticator's id.
async fn user_with_phone(ctx: &Ctx, username: &str, apps: usize) -> (String, String) {
    let user_id = if apps > 0 { ctx.user_with_phones(username, apps).await.0 } else { String::new() };
    let who = if user_id.is_empty() { json!({ "username": username }) } else { json!({ "userId": user_id }) };
    let mut body = json!({ "channel": "sms", "phone": PHONE });
    body.as_object_mut().unwrap().extend(who.as_object().unwrap().clone());
    let answer = ctx.enroll(body).await;
    let user_id = answer["userId"].as_str().unwrap().to_owned();
    let (_, status_token) = enrollment(&answer);
    let code = ctx.emu.sms_messages_to(&user_id).last().unwrap().code.clone();
    assert_eq!(verify(ctx, &user_id, &code, &status_token).await.status(), 200);
    let user = ctx.user(&user_id).await;
    let sms = user["authenticators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["authenticatorType"] == "sms")
        .expect("an SMS authenticator")["authenticatorId"]
        .as_str()
        .unwrap()
        .to_owned();
    (user_id, sms)
}

#[tokio::test]
async fn an_sms_approval_is_decided_by_its_code() {
    let ctx = start().await;
    let (user_id, phone_id) = user_with_phone(&ctx, "sia", 1).await;
    let user = ctx.user(&user_id).await;
    let sms_authenticator = user["authenticators"].as_array().unwrap().iter().find(|a| a["authenticatorType"] == "sms");
    let sms_authenticator = sms_authenticator.unwrap();
    assert_eq!(sms_authenticator["name"], PHONE);
    assert!(sms_authenticator.get("uaf").is_none() && sms_authenticator.get("type").is_none());

    let body = json!({ "userId": user_id, "channel": "sms", "message": "Acme login: {{CODE}}" });
    let answer = ctx.approval(body).await;
    assert_eq!(keys(&answer), ["statusToken", "transactionId"], "no QR code, no app link");
    let transaction_id = answer["transactionId"].as_str().unwrap().to_owned();
    let status_token = answer["statusToken"].as_str().unwrap().to_owned();

    let sms = ctx.emu.sms_messages_to(&user_id);
    assert_eq!(sms.len(), 2, "the enrollment's, then the approval's");
    let sent = &sms[1];
    assert_eq!((sent.to.as_str(), sent.transaction_id.as_str()), (PHONE, transaction_id.as_str()));
    assert!(sent.code.len() == 6 && sent.code.bytes().all(|b| b.is_ascii_digit()), "{}", sent.code);
    assert_eq!(sent.text, format!("Acme login: {}", sent.code));
    assert_ne!(sent.code, sms[0].code);

    let pending = ctx.status(&status_token).await;
    assert_eq!((pending["status"].as_str(), pending["userId"].as_str()), (Some("pending"), Some(user_id.as_str())));
    // Not the phone's to decide, and not on its list of buttons.
    assert!(matches!(ctx.emu.approve(&transaction_id), Err(EmulatorError::DecidedByCode)));
    assert!(matches!(ctx.emu.deny(&transaction_id), Err(EmulatorError::DecidedByCode)));
    let message =
        assert_error(ctx.control(&format!("/_emulator/transactions/{transaction_id}/approve")).await, 409).await;
    assert!(message.contains("code"), "{message}");
    assert!(ctx.pending(&user_id).await.is_empty());

    let refused = verify(&ctx, &user_id, &wrong(&sent.code), &status_token).await;
    assert_eq!(assert_error(refused, 400).await, "the code is not correct");
    assert_eq!(ctx.status(&status_token).await["status"], "pending");
    assert_eq!(verify(&ctx, &user_id, &sent.code, &status_token).await.status(), 200);
    let done = ctx.status(&status_token).await;
    assert_eq!(done["status"], "succeeded");
    assert_eq!(ctx.emu.transaction_status(&transaction_id), Some(TransactionStatus::Succeeded));
    let introspected = ctx.introspect(done["token"].as_str().unwrap()).await;
    assert_eq!(introspected["active"], true);
    assert_eq!(introspected["sub"], user_id.as_str());
    assert_eq!(introspected["scope"], "transaction approve");
    let user = ctx.user(&user_id).await;
    assert_eq!(user["lastLoginDateSuccess"], done["lastUpdatedAt"]);
    assert_eq!(user["lastLoginDateFailure"], Value::Null);
    assert_eq!(user["authenticators"].as_array().unwrap().len(), 2, "an approval registers nothing");

    // Naming the SMS authenticator works; the default text is used without `message`.
    let named = ctx.approval(json!({ "username": "sia", "channel": "sms", "authenticatorId": phone_id })).await;
    let last = ctx.emu.sms_messages_to(&user_id).pop().unwrap();
    assert_eq!(last.transaction_id, named["transactionId"].as_str().unwrap());
    assert_eq!(last.text, format!("Your Authentication Cloud code is {}", last.code));
}

#[tokio::test]
async fn the_third_wrong_code_fails_the_sms_approval() {
    let ctx = start().await;
    let (user_id, _) = user_with_phone(&ctx, "tom", 0).await;
    let answer = ctx.approval(json!({ "username": "tom", "channel": "sms" })).await;
    let status_token = answer["statusToken"].as_str().unwrap().to_owned();
    let code = ctx.emu.sms_messages_to(&user_id).pop().unwrap().code;
    for attempt in 1..=3 {
        let refused = verify(&ctx, &user_id, &wrong(&code), &status_token).await;
        assert_eq!(assert_error(refused, 400).await, "the code is not correct");
        let expected = if attempt < 3 { "pending" } else { "failed" };
        assert_eq!(ctx.status(&status_token).await["status"], expected, "after {attempt}");
    }
    let late = verify(&ctx, &user_id, &code, &status_token).await;
    assert_eq!(assert_error(late, 400).await, "invalid statusToken");
    let user = ctx.user(&user_id).await;
    assert!(user["lastLoginDateFailure"].is_string(), "{user}");
    assert_eq!(user["lastLoginDateSuccess"], Value::Null);
}

#[tokio::test]
async fn without_a_registered_phone_nothing_is_sent() {
    let ctx = start().await;
    let (app_only, _) = ctx.user_with_phones("ugo", 1).await;
    let (bare, _) = ctx.user_with_phones("val", 0).await;
    // An SMS enrollment whose code was never typed registers nothing either.
    let unconfirmed = ctx.enroll(json!({ "channel": "sms", "username": "wes", "phone": PHONE })).await;
    let unconfirmed = unconfirmed["userId"].as_str().unwrap().to_owned();
    let sent = ctx.emu.sms_messages().len();
    for user_id in [&app_only, &bare, &unconfirmed] {
        let response = approval_as(&ctx, &ctx.key(), json!({ "userId": user_id, "channel": "sms" })).await;
        assert_eq!(assert_error(response, 400).await, "the user has no phone registered for SMS");
    }
    assert_eq!(ctx.emu.sms_messages().len(), sent, "nothing sent");
}

#[tokio::test]
async fn app_fields_and_bad_sms_fields_are_refused_before_anything_is_sent() {
    let ctx = start().await;
    let (user_id, _) = user_with_phone(&ctx, "xia", 1).await;
    let app_id = ctx.user(&user_id).await["authenticators"][0]["authenticatorId"].as_str().unwrap().to_owned();
    let sent = ctx.emu.sms_messages().len();
    let key = ctx.key();
    for (body, status, named) in [
        (json!({ "prompt": true, "message": "Log in {{CODE}}" }), 400, "`prompt`"),
        (json!({ "notificationMessage": "Log in?" }), 400, "`notificationMessage`"),
        (json!({ "authenticatorId": "*" }), 400, "`authenticatorId`"),
        (json!({ "authenticatorId": "not-a-uuid" }), 400, "`authenticatorId`"),
        (json!({ "message": "no placeholder" }), 400, "`message`"),
        (json!({ "message": "Kód {{CODE}} ✓" }), 400, "`message`"),
        (json!({ "message": 5 }), 400, "`message`"),
        (json!({ "authenticatorId": app_id }), 404, "authenticatorId"),
        (json!({ "authenticatorId": uuid::Uuid::new_v4().to_string() }), 404, "authenticatorId"),
    ] {
        let mut body = body;
        body["userId"] = json!(user_id);
        body["channel"] = json!("sms");
        let message = assert_error(approval_as(&ctx, &key, body.clone()).await, status).await;
        assert!(message.contains(named), "{body}: {message}");
    }
    let no_user = approval_as(&ctx, &key, json!({ "channel": "sms" })).await;
    assert_error(no_user, 400).await;
    assert_eq!(ctx.emu.sms_messages().len(), sent, "nothing sent");
    // `prompt: false` is no app feature: fine.
    let fine = approval_as(&ctx, &key, json!({ "userId": user_id, "channel": "sms", "prompt": false })).await;
    assert_eq!(fine.status(), 200);
}

#[tokio::test]
async fn intent_tokens_need_the_sms_channel_and_auto_approval_never_decides() {
    let config = EmulatorConfig { auto_approve_after: Some(Duration::from_millis(50)), ..EmulatorConfig::default() };
    let ctx = start_with(config).await;
    let (user_id, _) = user_with_phone(&ctx, "yul", 0).await;
    let push_only = ctx.intent(json!({ "userId": user_id, "operation": "approve", "channels": ["push"] })).await;
    assert_error(approval_as(&ctx, &push_only, json!({ "channel": "sms" })).await, 403).await;
    let sms_ok = ctx.intent(json!({ "userId": user_id, "operation": "approve", "channels": ["sms"] })).await;
    let response = approval_as(&ctx, &sms_ok, json!({ "channel": "sms" })).await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_error(approval_as(&ctx, &sms_ok, json!({ "channel": "sms" })).await, 401).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let status_token = answer["statusToken"].as_str().unwrap();
    assert_eq!(ctx.status(status_token).await["status"], "pending", "only the code decides");
}
