//! Usernameless app approvals (`POST /api/v1/approval` `{"channel": "app"}` naming no user):
//! no user until one approves it, by `approve_as`, the control API's `{"userId"}` or the
//! `/open` page's "Approve as".

use std::time::Duration;

use authcloud_emulator::{EmulatorConfig, EmulatorError, TransactionStatus};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Ctx, assert_error, start, start_with};

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value.as_object().expect("object").keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

/// Starts a usernameless approval; returns `(transactionId, statusToken, appLinkUri)`.
async fn usernameless(ctx: &Ctx) -> (String, String, String) {
    let answer = ctx.approval(json!({ "channel": "app", "message": "Log in to the shop?" })).await;
    assert_eq!(keys(&answer), ["appLinkUri", "qrCode", "statusToken", "transactionId"]);
    let text = |field: &str| answer[field].as_str().unwrap().to_owned();
    (text("transactionId"), text("statusToken"), text("appLinkUri"))
}

/// `POST /_emulator/transactions/{id}/approve` with a JSON body.
async fn approve_with(ctx: &Ctx, transaction_id: &str, body: Value) -> reqwest::Response {
    let path = format!("/_emulator/transactions/{transaction_id}/approve");
    ctx.control_request(Method::POST, &path).json(&body).send().await.unwrap()
}

#[tokio::test]
async fn the_status_names_no_user_until_one_approves() {
    let ctx = start().await;
    let (ann, _) = ctx.user_with_phones("ann", 1).await;
    let (bare, _) = ctx.user_with_phones("bob", 0).await;
    let (transaction_id, status_token, _) = usernameless(&ctx).await;

    let pending = ctx.status(&status_token).await;
    assert_eq!(pending["status"], "pending");
    assert_eq!(keys(&pending), ["createdAt", "lastUpdatedAt", "status", "token", "transactionId"], "no user");
    let token = pending["token"].as_str().unwrap().to_owned();
    assert_eq!(ctx.introspect(&token).await, json!({ "active": false }));
    assert!(ctx.pending(&ann).await.is_empty(), "nobody's phone lists it");

    // Approving needs the user: refused without one, or with one that cannot approve.
    assert!(matches!(ctx.emu.approve(&transaction_id), Err(EmulatorError::NeedsApprovingUser)));
    let message =
        assert_error(ctx.control(&format!("/_emulator/transactions/{transaction_id}/approve")).await, 400).await;
    assert!(message.contains("userId"), "{message}");
    assert!(matches!(ctx.emu.approve_as(&transaction_id, &bare), Err(EmulatorError::NoAppAuthenticator)));
    assert!(matches!(ctx.emu.approve_as(&transaction_id, "not-a-uuid"), Err(EmulatorError::UnknownUser)));
    for user_id in [bare.clone(), uuid::Uuid::new_v4().to_string(), "nope".to_owned()] {
        assert_error(approve_with(&ctx, &transaction_id, json!({ "userId": user_id })).await, 400).await;
    }
    assert_error(approve_with(&ctx, &transaction_id, json!({ "userId": 5 })).await, 400).await;
    assert_eq!(ctx.status(&status_token).await["status"], "pending");

    let approved = approve_with(&ctx, &transaction_id, json!({ "userId": ann })).await;
    assert_eq!(approved.status(), 200);
    let approved: Value = approved.json().await.unwrap();
    assert_eq!(approved, json!({ "transactionId": transaction_id, "status": "succeeded" }));
    let done = ctx.status(&status_token).await;
    assert_eq!((done["status"].as_str(), done["userId"].as_str()), (Some("succeeded"), Some(ann.as_str())));
    assert_eq!(done["username"], "ann");
    let introspected = ctx.introspect(&token).await;
    assert_eq!((introspected["active"].as_bool(), introspected["sub"].as_str()), (Some(true), Some(ann.as_str())));
    assert_eq!(ctx.user(&ann).await["lastLoginDateSuccess"], done["lastUpdatedAt"]);
    assert_error(approve_with(&ctx, &transaction_id, json!({ "userId": ann })).await, 409).await;
}

#[tokio::test]
async fn approve_as_in_process_and_deny_without_a_user() {
    let ctx = start().await;
    let (cat, _) = ctx.user_with_phones("cat", 2).await;
    let (first, first_token, _) = usernameless(&ctx).await;
    ctx.emu.approve_as(&first, &cat).expect("approved as cat");
    assert_eq!(ctx.emu.transaction_status(&first), Some(TransactionStatus::Succeeded));
    assert_eq!(ctx.status(&first_token).await["userId"], cat.as_str());

    let (second, second_token, _) = usernameless(&ctx).await;
    let denied = ctx.control(&format!("/_emulator/transactions/{second}/deny")).await;
    assert_eq!(denied.status(), 200);
    let failed = ctx.status(&second_token).await;
    assert_eq!(failed["status"], "failed");
    assert!(failed.get("userId").is_none() && failed.get("username").is_none(), "{failed}");
    assert_eq!(ctx.user(&cat).await["lastLoginDateFailure"], Value::Null, "nobody declined");
    assert!(matches!(ctx.emu.approve_as(&second, &cat), Err(EmulatorError::NotPending(TransactionStatus::Failed))));

    // Deleting the approver forgets the approval, as its other transactions.
    let deleted = ctx.http.delete(ctx.url(&format!("/api/v1/users/{cat}"))).bearer_auth(ctx.key()).send().await;
    assert_eq!(deleted.unwrap().status(), 204);
    assert_eq!(ctx.status(&first_token).await, json!({ "status": "unknown" }));
}

#[tokio::test]
async fn other_transactions_take_only_their_own_user() {
    let ctx = start().await;
    let (dan, _) = ctx.user_with_phones("dan", 1).await;
    let (eva, _) = ctx.user_with_phones("eva", 1).await;
    let answer = ctx.approval(json!({ "userId": dan })).await;
    let transaction_id = answer["transactionId"].as_str().unwrap();
    let message = assert_error(approve_with(&ctx, transaction_id, json!({ "userId": eva })).await, 400).await;
    assert!(message.contains("not the transaction's user"), "{message}");
    assert!(matches!(ctx.emu.approve_as(transaction_id, &eva), Err(EmulatorError::NotTheTransactionsUser)));
    assert_eq!(approve_with(&ctx, transaction_id, json!({ "userId": dan })).await.status(), 200);

    let other = ctx.approval(json!({ "userId": dan })).await;
    ctx.emu.approve_as(other["transactionId"].as_str().unwrap(), &dan).expect("its own user");
}

#[tokio::test]
async fn the_open_page_offers_approve_as() {
    let ctx = start().await;
    let (fay, _) = ctx.user_with_phones("fay", 1).await;
    let (gus, _) = ctx.user_with_phones("gus", 0).await;
    let (transaction_id, status_token, link) = usernameless(&ctx).await;
    let html = ctx.http.get(&link).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Approve as"), "{html}");
    assert!(html.contains("name=\"userId\""));
    assert!(html.contains(&format!("<option value=\"{fay}\">fay</option>")), "{html}");
    assert!(!html.contains(&gus), "a user without an app cannot approve");
    assert!(html.contains("usernameless"));
    assert!(!html.contains("/phone/"), "no user's phone yet");

    let dispatch = link.split("dispatchTokenResponse=").nth(1).unwrap().to_owned();
    let post = |fields: Vec<(&'static str, String)>| ctx.http.post(ctx.url("/open/approve")).form(&fields).send();
    let no_user = post(vec![("dispatchTokenResponse", dispatch.clone())]).await.unwrap();
    assert_eq!(no_user.status(), 400);
    let not_an_app = post(vec![("dispatchTokenResponse", dispatch.clone()), ("userId", gus.clone())]).await.unwrap();
    assert_eq!(not_an_app.status(), 400);
    let approved = post(vec![("dispatchTokenResponse", dispatch.clone()), ("userId", fay.clone())]).await.unwrap();
    assert_eq!(approved.status(), 200);
    assert!(approved.text().await.unwrap().contains("succeeded"));
    assert_eq!(ctx.status(&status_token).await["userId"], fay.as_str());
    let html = ctx.http.get(&link).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(&fay) && html.contains("finished"), "{html}");
    assert_eq!(ctx.emu.transaction_status(&transaction_id), Some(TransactionStatus::Succeeded));
}

#[tokio::test]
async fn what_a_usernameless_request_may_say() {
    let config = EmulatorConfig { auto_approve_after: Some(Duration::from_millis(50)), ..EmulatorConfig::default() };
    let ctx = start_with(config).await;
    let (hal, phones) = ctx.user_with_phones("hal", 1).await;
    let key = ctx.key();
    let send = |body: Value| ctx.post_json("/api/v1/approval", Some(&key), &body).send();
    let named = send(json!({ "channel": "app", "authenticatorId": phones[0] })).await.unwrap();
    assert!(assert_error(named, 400).await.contains("usernameless"));
    // Only the app channel may name no user.
    assert_error(send(json!({ "channel": "push" })).await.unwrap(), 400).await;
    assert_error(send(json!({})).await.unwrap(), 400).await;
    let any = send(json!({ "channel": "app", "authenticatorId": "*" })).await.unwrap();
    assert_eq!(any.status(), 200);
    let any: Value = any.json().await.unwrap();

    // Auto-approval would have to invent the user: it leaves usernameless approvals alone.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let status_token = any["statusToken"].as_str().unwrap();
    assert_eq!(ctx.status(status_token).await["status"], "pending");
    // ...but still approves a named one.
    let own = ctx.approval(json!({ "userId": hal, "channel": "app" })).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(ctx.status(own["statusToken"].as_str().unwrap()).await["status"], "succeeded");
    // An intent token names its user: with it, an empty body is not usernameless.
    let intent = ctx.intent(json!({ "userId": hal, "operation": "approve" })).await;
    let by_intent = ctx.post_json("/api/v1/approval", Some(&intent), &json!({ "channel": "app" })).send().await;
    let by_intent: Value = by_intent.unwrap().json().await.unwrap();
    assert_eq!(ctx.status(by_intent["statusToken"].as_str().unwrap()).await["userId"], hal.as_str());
}
