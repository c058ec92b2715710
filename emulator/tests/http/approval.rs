//! `POST /api/v1/approval`: push and app channels, targeting, tokens, login dates, intent
//! tokens, expiry, auto-approval, deleted authenticators and every refusal.

use std::io::Cursor;
use std::time::Duration;

use authcloud_emulator::{EmulatorConfig, TransactionStatus};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::common::{assert_error, start, start_with};

fn ids(answer: &Value) -> (String, String) {
    (answer["transactionId"].as_str().unwrap().to_owned(), answer["statusToken"].as_str().unwrap().to_owned())
}

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value.as_object().expect("object").keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

#[tokio::test]
async fn push_approval_succeeds_and_records_the_login() {
    let ctx = start().await;
    let (user_id, phones) = ctx.user_with_phones("ann", 1).await;
    assert_eq!(ctx.user(&user_id).await["lastLoginDateSuccess"], Value::Null);

    let answer = ctx.approval(json!({ "username": "ann" })).await;
    assert_eq!(keys(&answer), ["statusToken", "transactionId"], "push: no QR code, no link");
    let (transaction_id, status_token) = ids(&answer);
    assert!(uuid::Uuid::parse_str(&transaction_id).is_ok());
    assert!(status_token.starts_with("eyJ"));

    let pending = ctx.status(&status_token).await;
    assert_eq!(keys(&pending).len(), 7, "{pending}");
    assert_eq!(pending["status"], "pending");
    assert_eq!(pending["transactionId"], transaction_id.as_str());
    assert_eq!(pending["userId"], user_id.as_str());
    assert_eq!(pending["username"], "ann");
    let token = pending["token"].as_str().unwrap().to_owned();
    assert_eq!(ctx.introspect(&token).await, json!({ "active": false }), "not before the decision");

    let listed = ctx.pending(&user_id).await;
    assert_eq!(listed.len(), 1);
    let entry = &listed[0];
    assert_eq!(
        keys(entry),
        ["authenticatorId", "channel", "createdAt", "message", "notificationMessage", "prompt", "transactionId"]
    );
    assert_eq!(entry["transactionId"], transaction_id.as_str());
    assert_eq!(entry["channel"], "push");
    assert_eq!(entry["authenticatorId"], phones[0].as_str());
    assert_eq!(entry["prompt"], false);
    assert_eq!(entry["message"], Value::Null);
    assert_eq!(entry["notificationMessage"], Value::Null);
    assert_eq!(entry["createdAt"], pending["createdAt"]);

    ctx.emu.approve(&transaction_id).unwrap();
    let done = ctx.status(&status_token).await;
    assert_eq!(done["status"], "succeeded");
    assert_eq!(done["token"], token.as_str(), "the same transaction token");
    let introspected = ctx.introspect(&token).await;
    assert_eq!(introspected["active"], true);
    assert_eq!(introspected["sub"], user_id.as_str());
    assert_eq!(introspected["scope"], "transaction approve");

    let user = ctx.user(&user_id).await;
    assert_eq!(user["lastLoginDateSuccess"], done["lastUpdatedAt"]);
    assert_eq!(user["lastLoginDateFailure"], Value::Null);
    assert_eq!(user["authenticators"].as_array().unwrap().len(), 1, "an approval registers nothing");
    assert!(ctx.pending(&user_id).await.is_empty());
    assert_eq!(ctx.emu.transaction_status(&transaction_id), Some(TransactionStatus::Succeeded));
}

#[tokio::test]
async fn declining_records_a_failed_login() {
    let ctx = start().await;
    let (user_id, _) = ctx.user_with_phones("bea", 1).await;
    let answer = ctx.approval(json!({ "userId": user_id, "channel": "push" })).await;
    let (transaction_id, status_token) = ids(&answer);
    let response = ctx.control(&format!("/_emulator/transactions/{transaction_id}/deny")).await;
    assert_eq!(response.status(), 200);
    let done = ctx.status(&status_token).await;
    assert_eq!(done["status"], "failed");
    assert_eq!(ctx.introspect(done["token"].as_str().unwrap()).await, json!({ "active": false }));
    let user = ctx.user(&user_id).await;
    assert_eq!(user["lastLoginDateFailure"], done["lastUpdatedAt"]);
    assert_eq!(user["lastLoginDateSuccess"], Value::Null);
    assert_error(ctx.control(&format!("/_emulator/transactions/{transaction_id}/approve")).await, 409).await;
}

#[tokio::test]
async fn app_approval_has_a_qr_code_and_a_deep_link_page() {
    let ctx = start().await;
    let (user_id, _) = ctx.user_with_phones("cid", 1).await;
    let answer = ctx
        .approval(json!({
            "username": "cid",
            "channel": "app",
            "prompt": true,
            "message": "<html>Log in to <b>shop.example</b>?<br>From <em>Zürich</em></html>",
            "notificationMessage": "Confirm <your> login",
        }))
        .await;
    assert_eq!(keys(&answer), ["appLinkUri", "qrCode", "statusToken", "transactionId"]);
    let (transaction_id, status_token) = ids(&answer);
    let link = answer["appLinkUri"].as_str().unwrap();
    assert!(link.starts_with(&format!("{}/open?dispatchTokenResponse=", ctx.emu.base_url())), "{link}");
    assert_eq!(answer["qrCode"]["type"], "image/png");
    assert_eq!(answer["qrCode"]["size"], 300);

    // The QR code is the link.
    let data_uri = answer["qrCode"]["dataUri"].as_str().unwrap();
    let png_bytes = STANDARD.decode(data_uri.strip_prefix("data:image/png;base64,").unwrap()).unwrap();
    let mut reader = png::Decoder::new(Cursor::new(png_bytes)).read_info().unwrap();
    let mut pixels = vec![0u8; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    let width = frame.width as usize;
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(300, 300, |x, y| pixels[y * width + x]);
    let grids = image.detect_grids();
    assert_eq!(grids[0].decode().unwrap().1, link);

    let page = ctx.http.get(link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    let html = page.text().await.unwrap();
    assert!(html.contains("Log in?"), "{html}");
    assert!(!html.contains("Register this phone"));
    assert!(html.contains("Log in to <b>shop.example</b>?<br>From <em>Zürich</em>"), "rendered as markup");
    assert!(html.contains("Confirm &lt;your&gt; login"), "notification escaped");
    assert!(html.contains(&transaction_id));
    assert!(html.contains(&format!("href=\"/phone/{user_id}\"")), "links to the phone page");
    assert!(!html.contains("<script"));

    let dispatch = link.split("dispatchTokenResponse=").nth(1).unwrap();
    let approved =
        ctx.http.post(ctx.url("/open/approve")).form(&[("dispatchTokenResponse", dispatch)]).send().await.unwrap();
    assert_eq!(approved.status(), 200);
    assert_eq!(ctx.status(&status_token).await["status"], "succeeded");
    assert!(ctx.user(&user_id).await["lastLoginDateSuccess"].is_string());
    let again =
        ctx.http.post(ctx.url("/open/decline")).form(&[("dispatchTokenResponse", dispatch)]).send().await.unwrap();
    assert_eq!(again.status(), 409);

    // An enrollment's page still asks to register, and links to the phone page too.
    let enrollment = ctx.enroll(json!({ "username": "cid" })).await;
    let html = ctx
        .http
        .get(enrollment["enrollment"]["appLinkUri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Register this phone?") && !html.contains("Log in?"));
    assert!(html.contains(&format!("href=\"/phone/{user_id}\"")));
}

#[tokio::test]
async fn approval_targets_the_newest_or_the_named_authenticator() {
    let ctx = start().await;
    let (user_id, phones) = ctx.user_with_phones("dan", 2).await;
    assert_eq!(phones.len(), 2);
    let user = ctx.user(&user_id).await;
    let newest = user["authenticators"]
        .as_array()
        .unwrap()
        .iter()
        .max_by_key(|a| a["enrolledAt"].as_str().unwrap().to_owned())
        .unwrap()["authenticatorId"]
        .clone();
    assert_eq!(newest, phones[1].as_str());

    let newest_answer = ctx.approval(json!({ "username": "dan" })).await;
    let named = ctx.approval(json!({ "username": "dan", "authenticatorId": phones[0] })).await;
    let any = ctx.approval(json!({ "username": "dan", "channel": "app", "authenticatorId": "*" })).await;
    let listed = ctx.pending(&user_id).await;
    let target = |answer: &Value| {
        listed.iter().find(|p| p["transactionId"] == answer["transactionId"]).unwrap()["authenticatorId"].clone()
    };
    assert_eq!(target(&newest_answer), newest);
    assert_eq!(target(&named), phones[0].as_str());
    assert_eq!(target(&any), "*");
    assert_eq!(listed.len(), 3);
    assert!(listed.windows(2).all(|w| w[0]["createdAt"].as_str() <= w[1]["createdAt"].as_str()), "oldest first");

    let key = ctx.key();
    let send = |body: Value| ctx.post_json("/api/v1/approval", Some(&key), &body).send();
    let message = assert_error(send(json!({ "username": "dan", "authenticatorId": "*" })).await.unwrap(), 400).await;
    assert!(message.contains("app"), "{message}");
    let unknown = uuid::Uuid::new_v4().to_string();
    assert_error(send(json!({ "username": "dan", "authenticatorId": unknown })).await.unwrap(), 404).await;
    assert_error(send(json!({ "username": "dan", "authenticatorId": "phone-1" })).await.unwrap(), 400).await;
    assert_error(send(json!({ "username": "dan", "authenticatorId": 1 })).await.unwrap(), 400).await;
    // Another user's authenticator is not this user's.
    let (_, other) = ctx.user_with_phones("eve", 1).await;
    assert_error(send(json!({ "username": "dan", "authenticatorId": other[0] })).await.unwrap(), 404).await;
}

#[tokio::test]
async fn approval_rejects_bad_input() {
    let ctx = start().await;
    ctx.user_with_phones("fay", 1).await;
    let (bare_id, _) = ctx.user_with_phones("gus", 0).await;
    let key = ctx.key();
    let send = |body: Value| ctx.post_json("/api/v1/approval", Some(&key), &body).send();

    assert_error(send(json!({})).await.unwrap(), 400).await;
    assert_error(send(json!({ "username": "nobody" })).await.unwrap(), 404).await;
    assert_error(send(json!({ "userId": uuid::Uuid::new_v4().to_string() })).await.unwrap(), 404).await;
    assert_error(send(json!({ "userId": "nope" })).await.unwrap(), 400).await;
    assert_error(send(json!({ "username": "fa y" })).await.unwrap(), 400).await;
    assert_error(send(json!({ "userId": bare_id, "username": "fay" })).await.unwrap(), 400).await;
    let message = assert_error(send(json!({ "userId": bare_id })).await.unwrap(), 400).await;
    assert_eq!(message, "the user has no authenticator");

    for channel in ["fido2", "recovery"] {
        let message = assert_error(send(json!({ "username": "fay", "channel": channel })).await.unwrap(), 400).await;
        assert!(message.contains("not supported by the emulator"), "{message}");
    }
    let message = assert_error(send(json!({ "username": "fay", "channel": "sms" })).await.unwrap(), 400).await;
    assert_eq!(message, "the user has no phone registered for SMS", "sms is served now (tests/http/sms_approval.rs)");
    assert_error(send(json!({ "username": "fay", "channel": "pigeon" })).await.unwrap(), 400).await;
    assert_error(send(json!({ "username": "fay", "channel": 3 })).await.unwrap(), 400).await;

    let message = assert_error(send(json!({ "username": "fay", "prompt": true })).await.unwrap(), 400).await;
    assert!(message.contains("`message` is required"), "{message}");
    assert_error(send(json!({ "username": "fay", "prompt": "yes" })).await.unwrap(), 400).await;
    assert_error(send(json!({ "username": "fay", "message": 5 })).await.unwrap(), 400).await;
    assert_error(send(json!({ "username": "fay", "notificationMessage": true })).await.unwrap(), 400).await;
    let long = "n".repeat(1001);
    assert_error(send(json!({ "username": "fay", "notificationMessage": long })).await.unwrap(), 400).await;

    let refused = [
        ("<html><script>alert(1)</script></html>", "<script>"),
        ("<html><b style=\"color:red\">x</b></html>", "`style`"),
        ("<html><img src=x onerror=alert(1)></html>", "<img>"),
        ("<p>x</p>", "<html>"),
        ("<html>x</html><html>y</html>", "exactly one"),
        ("<html>unclosed <b>bold</html>", "not closed"),
        ("", "empty"),
    ];
    for (text, named) in refused {
        let body = json!({ "username": "fay", "prompt": true, "message": text });
        let message = assert_error(send(body).await.unwrap(), 400).await;
        assert!(message.contains(named), "{text}: {message}");
    }
    for text in ["Plain & simple > all", "<html><strong>ok</strong><br/><u>u</u> <i>i</i></html>"] {
        let body = json!({ "username": "fay", "prompt": true, "message": text });
        assert_eq!(send(body).await.unwrap().status(), 200, "{text}");
    }
    // A message without prompt is checked and kept too; null counts as absent.
    let quiet = json!({ "username": "fay", "message": "shown anyway", "prompt": null, "channel": null });
    assert_eq!(send(quiet).await.unwrap().status(), 200);

    // Wire strictness.
    let url = ctx.url("/api/v1/approval");
    assert_error(ctx.http.post(&url).json(&json!({ "username": "fay" })).send().await.unwrap(), 401).await;
    assert_error(ctx.post_json("/api/v1/approval", Some("nope"), &json!({})).send().await.unwrap(), 401).await;
    let form = ctx.http.post(&url).bearer_auth(&key).form(&[("username", "fay")]).send().await.unwrap();
    assert_error(form, 415).await;
    let malformed =
        ctx.http.post(&url).bearer_auth(&key).header("content-type", "application/json").body("{").send().await;
    assert_error(malformed.unwrap(), 400).await;
    assert_error(ctx.http.get(&url).bearer_auth(&key).send().await.unwrap(), 405).await;
    assert!(ctx.pending(&bare_id).await.is_empty());
}

#[tokio::test]
async fn approve_intent_tokens_are_single_use_and_bound() {
    let ctx = start().await;
    let (hal, _) = ctx.user_with_phones("hal", 1).await;
    ctx.user_with_phones("ida", 1).await;
    let post = |token: &str, body: Value| ctx.post_json("/api/v1/approval", Some(token), &body).send();

    let token = ctx.intent(json!({ "username": "hal", "operation": "approve" })).await;
    assert_error(post(&token, json!({ "username": "ida" })).await.unwrap(), 403).await;
    assert_error(post(&token, json!({ "username": "hal", "channel": "sms" })).await.unwrap(), 400).await;
    // Refused attempts did not spend it; an empty body uses the intent's user.
    let first = post(&token, json!({})).await.unwrap();
    assert_eq!(first.status(), 200);
    let answer: Value = first.json().await.unwrap();
    assert_eq!(ctx.status(answer["statusToken"].as_str().unwrap()).await["userId"], hal.as_str());
    assert_error(post(&token, json!({})).await.unwrap(), 401).await;
    assert_eq!(ctx.introspect(&token).await, json!({ "active": false }));

    let by_id = ctx.intent(json!({ "userId": hal, "operation": "approve" })).await;
    assert_eq!(post(&by_id, json!({ "userId": hal, "channel": "app" })).await.unwrap().status(), 200);

    let enroll = ctx.intent(json!({ "username": "hal", "operation": "enroll" })).await;
    assert_error(post(&enroll, json!({})).await.unwrap(), 403).await;

    let app_only = ctx.intent(json!({ "username": "hal", "operation": "approve", "channels": ["app"] })).await;
    assert_error(post(&app_only, json!({})).await.unwrap(), 403).await; // push is the default
    assert_eq!(post(&app_only, json!({ "channel": "app" })).await.unwrap().status(), 200);
    let push_ok = ctx.intent(json!({ "username": "hal", "operation": "approve", "channels": ["push", "sms"] })).await;
    assert_eq!(post(&push_ok, json!({ "username": "hal" })).await.unwrap().status(), 200);

    // An intent token is no credential for the other new endpoints.
    let spare = ctx.intent(json!({ "username": "hal", "operation": "approve" })).await;
    let users = ctx.http.get(ctx.url("/api/v1/users?username=hal")).bearer_auth(&spare).send().await.unwrap();
    assert_error(users, 403).await;
}

#[tokio::test]
async fn approvals_expire_like_enrollments() {
    let ctx = start_with(EmulatorConfig { transaction_ttl: Duration::from_millis(200), ..Default::default() }).await;
    let (user_id, _) = ctx.user_with_phones("jon", 1).await;
    let answer = ctx.approval(json!({ "username": "jon" })).await;
    let (transaction_id, status_token) = ids(&answer);
    assert_eq!(ctx.pending(&user_id).await.len(), 1);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert!(ctx.pending(&user_id).await.is_empty(), "settled before listing");
    assert_eq!(ctx.status(&status_token).await["status"], "failed");
    assert_error(ctx.control(&format!("/_emulator/transactions/{transaction_id}/approve")).await, 409).await;
    let user = ctx.user(&user_id).await;
    assert_eq!(user["lastLoginDateFailure"], Value::Null, "a timeout is no decline");
}

#[tokio::test]
async fn auto_approval_applies_to_approvals() {
    let ctx =
        start_with(EmulatorConfig { auto_approve_after: Some(Duration::from_millis(150)), ..Default::default() }).await;
    let (user_id, _) = ctx.user_with_phones("kim", 1).await;
    let answer = ctx.approval(json!({ "username": "kim", "channel": "app" })).await;
    let (_, status_token) = ids(&answer);
    assert_eq!(ctx.status(&status_token).await["status"], "pending");
    tokio::time::sleep(Duration::from_millis(250)).await;
    let done = ctx.status(&status_token).await;
    assert_eq!(done["status"], "succeeded");
    assert_eq!(ctx.user(&user_id).await["lastLoginDateSuccess"], done["lastUpdatedAt"]);
}

#[tokio::test]
async fn deleting_the_asked_authenticator_fails_the_approval() {
    let ctx = start().await;
    let (user_id, phones) = ctx.user_with_phones("lou", 1).await;
    let answer = ctx.approval(json!({ "username": "lou" })).await;
    let (transaction_id, status_token) = ids(&answer);
    let deleted = ctx
        .http
        .delete(ctx.url(&format!("/api/v1/authenticators/{}", phones[0])))
        .bearer_auth(ctx.key())
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(ctx.status(&status_token).await["status"], "failed");
    assert!(ctx.pending(&user_id).await.is_empty());
    assert_error(ctx.control(&format!("/_emulator/transactions/{transaction_id}/approve")).await, 409).await;
    let user = ctx.user(&user_id).await;
    assert_eq!(user["status"], "new");
    assert_eq!(user["lastLoginDateFailure"], Value::Null);
    let again = ctx.post_json("/api/v1/approval", Some(&ctx.key()), &json!({ "username": "lou" })).send().await;
    assert_eq!(assert_error(again.unwrap(), 400).await, "the user has no authenticator");
}
