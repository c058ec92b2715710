//! SMS enrollment (`POST /api/v1/users/enroll` with `"channel": "sms"`), its outbox (control
//! API, library, phone page) and confirming it with `POST /api/v1/users/{userId}/verification`.

use std::time::Duration;

use authcloud_emulator::{EmulatorConfig, EmulatorError, TransactionStatus};
use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::common::{Ctx, assert_error, enrollment, start, start_with};

const PHONE: &str = "+41791234567";

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value.as_object().expect("object").keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

/// `POST /api/v1/users/enroll` with the access key, as is.
async fn enroll_raw(ctx: &Ctx, body: Value) -> Response {
    ctx.post_json("/api/v1/users/enroll", Some(&ctx.key()), &body).send().await.expect("enroll sent")
}

/// `POST /api/v1/users/{userId}/verification` with `bearer`.
async fn verify_as(ctx: &Ctx, bearer: &str, user_id: &str, body: Value) -> Response {
    let path = format!("/api/v1/users/{user_id}/verification");
    ctx.post_json(&path, Some(bearer), &body).send().await.expect("verification sent")
}

/// The same with the access key.
async fn verify(ctx: &Ctx, user_id: &str, body: Value) -> Response {
    verify_as(ctx, &ctx.key(), user_id, body).await
}

/// `GET` a control path; asserts 200 and returns the JSON.
async fn control_get(ctx: &Ctx, path: &str) -> Value {
    let response = ctx.control_request(Method::GET, path).send().await.expect("control sent");
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.expect("control JSON")
}

/// Asserts the wrong-code answer: 400, `{"error": "Bad Request", "message": "the code is not correct"}`.
async fn assert_not_correct(response: Response) {
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "Bad Request");
    assert_eq!(body["message"], "the code is not correct");
}

/// A code of six digits that is not `code`.
fn wrong(code: &str) -> String {
    let first = if code.starts_with('9') { '1' } else { '9' };
    format!("{first}{}", &code[1..])
}

#[tokio::test]
async fn the_whole_sms_journey() {
    let ctx = start().await;
    let answer = enroll_raw(&ctx, json!({ "channel": "sms", "username": "sam", "phone": PHONE })).await;
    assert_eq!(answer.status(), 201);
    let answer: Value = answer.json().await.unwrap();
    assert_eq!(
        keys(&answer),
        ["authenticators", "createdAt", "enrollment", "status", "updatedAt", "userId", "username"]
    );
    assert_eq!(keys(&answer["enrollment"]), ["statusToken", "transactionId"], "no QR code, no app link");
    assert_eq!(answer["username"], "sam");
    assert_eq!(answer["status"], "new");
    let user_id = answer["userId"].as_str().unwrap().to_owned();
    let (transaction_id, status_token) = enrollment(&answer);
    assert!(status_token.starts_with("eyJ"));

    // The outbox: the control API, per user, and the library agree.
    let outbox = control_get(&ctx, "/_emulator/sms").await;
    let outbox = outbox.as_array().unwrap();
    assert_eq!(outbox.len(), 1);
    let sms = &outbox[0];
    assert_eq!(keys(sms), ["code", "sentAt", "text", "to", "transactionId", "userId"]);
    let code = sms["code"].as_str().unwrap().to_owned();
    assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()), "{code}");
    assert_eq!(sms["to"], PHONE);
    assert_eq!(sms["text"], format!("Your Authentication Cloud code is {code}"));
    assert_eq!(sms["userId"], user_id.as_str());
    assert_eq!(sms["transactionId"], transaction_id.as_str());
    assert_eq!(control_get(&ctx, &format!("/_emulator/users/{user_id}/sms")).await, json!(outbox));
    let library = ctx.emu.sms_messages();
    assert_eq!(library.len(), 1);
    assert_eq!((library[0].code.as_str(), library[0].to.as_str()), (code.as_str(), PHONE));
    assert_eq!(humantime::format_rfc3339_micros(library[0].sent_at).to_string(), sms["sentAt"]);
    assert_eq!(ctx.emu.sms_messages_to(&user_id), library);

    let pending = ctx.status(&status_token).await;
    assert_eq!(pending["status"], "pending");
    assert_eq!(pending["transactionId"], transaction_id.as_str());
    // Only the code decides: not the simulated phone.
    assert!(matches!(ctx.emu.approve(&transaction_id), Err(EmulatorError::DecidedByCode)));
    assert!(matches!(ctx.emu.deny(&transaction_id), Err(EmulatorError::DecidedByCode)));
    let message =
        assert_error(ctx.control(&format!("/_emulator/transactions/{transaction_id}/approve")).await, 409).await;
    assert!(message.contains("code"), "{message}");

    assert_not_correct(verify(&ctx, &user_id, json!({ "code": wrong(&code), "statusToken": status_token })).await)
        .await;
    assert_eq!(ctx.status(&status_token).await["status"], "pending");

    let right = verify(&ctx, &user_id, json!({ "code": code, "statusToken": status_token, "channel": "sms" })).await;
    assert_eq!(right.status(), 200);
    assert_eq!(right.json::<Value>().await.unwrap(), json!({}));
    let done = ctx.status(&status_token).await;
    assert_eq!(done["status"], "succeeded");
    assert_eq!(done["userId"], user_id.as_str());
    assert_eq!(ctx.emu.transaction_status(&transaction_id), Some(TransactionStatus::Succeeded));
    let token = done["token"].as_str().unwrap();
    let introspected = ctx.introspect(token).await;
    assert_eq!(introspected["active"], true);
    assert_eq!(introspected["sub"], user_id.as_str());
    assert_eq!(introspected["scope"], "transaction enroll");

    // Finished: the code does not work twice.
    let again = verify(&ctx, &user_id, json!({ "code": code, "statusToken": status_token })).await;
    assert_eq!(assert_error(again, 400).await, "invalid statusToken");
    // The number is registered as an SMS authenticator (no app, no `type`, no `uaf`), and
    // the user is active.
    let user = ctx.user(&user_id).await;
    assert_eq!(user["status"], "active");
    let registered = user["authenticators"].as_array().unwrap();
    assert_eq!(registered.len(), 1);
    assert_eq!(
        keys(&registered[0]),
        ["authenticatorId", "authenticatorType", "enrolledAt", "name", "state", "updatedAt"]
    );
    assert_eq!(registered[0]["authenticatorType"], "sms");
    assert_eq!(registered[0]["name"], PHONE);
}

#[tokio::test]
async fn the_third_wrong_code_fails_the_transaction() {
    let ctx = start().await;
    let answer = ctx.enroll(json!({ "channel": "sms", "username": "tia", "phone": "+12025550123" })).await;
    let user_id = answer["userId"].as_str().unwrap().to_owned();
    let (_, status_token) = enrollment(&answer);
    let code = ctx.emu.sms_messages_to(&user_id)[0].code.clone();
    for attempt in 1..=3 {
        assert_not_correct(verify(&ctx, &user_id, json!({ "code": wrong(&code), "statusToken": status_token })).await)
            .await;
        let expected = if attempt < 3 { "pending" } else { "failed" };
        assert_eq!(ctx.status(&status_token).await["status"], expected, "after {attempt} wrong codes");
    }
    let late = verify(&ctx, &user_id, json!({ "code": code, "statusToken": status_token })).await;
    assert_eq!(assert_error(late, 400).await, "invalid statusToken");
    assert_eq!(ctx.status(&status_token).await["status"], "failed");

    // Two wrong codes, then the right one: fine. Each transaction has its own code.
    let second = ctx.enroll(json!({ "channel": "sms", "userId": user_id, "phone": "+12025550123" })).await;
    assert_eq!(second["userId"], user_id.as_str(), "the user is reused");
    let (_, second_token) = enrollment(&second);
    let second_code = ctx.emu.sms_messages_to(&user_id)[1].code.clone();
    for _ in 0..2 {
        let body = json!({ "code": wrong(&second_code), "statusToken": second_token });
        assert_not_correct(verify(&ctx, &user_id, body).await).await;
    }
    let right = verify(&ctx, &user_id, json!({ "code": second_code, "statusToken": second_token })).await;
    assert_eq!(right.status(), 200);
    assert_eq!(ctx.status(&second_token).await["status"], "succeeded");
}

#[tokio::test]
async fn bad_sms_enrollments_are_refused_and_send_nothing() {
    let ctx = start().await;
    let cases = [
        (json!({ "channel": "sms", "username": "uma" }), "`phone`"),
        (json!({ "channel": "sms", "username": "uma", "phone": "41791234567" }), "`phone`"),
        (json!({ "channel": "sms", "username": "uma", "phone": "+041791234567" }), "`phone`"),
        (json!({ "channel": "sms", "username": "uma", "phone": "+4" }), "`phone`"),
        (json!({ "channel": "sms", "username": "uma", "phone": "+1234567890123456" }), "`phone`"),
        (json!({ "channel": "sms", "username": "uma", "phone": "+41 79 123 45 67" }), "`phone`"),
        (json!({ "channel": "sms", "username": "uma", "phone": 41791234567u64 }), "`phone`"),
        (json!({ "channel": "sms", "username": "uma", "phone": PHONE, "message": "Your code" }), "`message`"),
        (json!({ "channel": "sms", "username": "uma", "phone": PHONE, "message": "{{code}}" }), "`message`"),
        (json!({ "channel": "sms", "username": "uma", "phone": PHONE, "message": "" }), "`message`"),
        (json!({ "channel": "sms", "username": "uma", "phone": PHONE, "message": "Code ✓ {{CODE}}" }), "`message`"),
        (json!({ "channel": "sms", "username": "uma", "phone": PHONE, "message": "Çode ç {{CODE}}" }), "`message`"),
        (json!({ "channel": "sms", "username": "uma", "phone": PHONE, "message": "`{{CODE}}`" }), "`message`"),
        (json!({ "channel": "sms", "username": "uma", "phone": PHONE, "message": 5 }), "`message`"),
        (json!({ "channel": "sms", "phone": PHONE }), "`username`"),
        (json!({ "channel": "sms", "phone": PHONE, "message": "{{CODE}}" }), "`userId`"),
    ];
    for (body, field) in &cases {
        let message = assert_error(enroll_raw(&ctx, body.clone()).await, 400).await;
        assert!(message.contains(field), "{body}: {message}");
        assert!(!message.contains("✓") && !message.contains(PHONE), "never echoes input: {message}");
    }
    assert_eq!(control_get(&ctx, "/_emulator/sms").await, json!([]), "nothing sent");
    assert!(ctx.emu.sms_messages().is_empty());
    let nobody = ctx.http.get(ctx.url("/api/v1/users?username=uma")).bearer_auth(ctx.key()).send().await.unwrap();
    assert_error(nobody, 404).await;
    // An unknown userId is 404, also here.
    let body = json!({ "channel": "sms", "userId": uuid::Uuid::new_v4().to_string(), "phone": PHONE });
    assert_error(enroll_raw(&ctx, body).await, 404).await;
    assert!(ctx.emu.sms_messages().is_empty());

    // The extension table and the rest of the alphabet are fine; every placeholder is replaced.
    let message = "Grüße! [{{CODE}}] ~ {x} | ^ \\ €1 ÆØÅ ΔΦΓ ¿¡ § @_ #¤%&'()*+,-./:;<=>?\n{{CODE}}";
    let answer = ctx.enroll(json!({ "channel": "sms", "username": "uma", "phone": "+44", "message": message })).await;
    let sent = &ctx.emu.sms_messages()[0];
    assert_eq!(sent.text, message.replace("{{CODE}}", &sent.code));
    assert_eq!(sent.to, "+44");
    assert_eq!(sent.user_id, answer["userId"].as_str().unwrap());
}

#[tokio::test]
async fn intent_tokens_for_sms() {
    let ctx = start().await;
    let app_only = ctx.intent(json!({ "username": "vera", "operation": "enroll", "channels": ["app"] })).await;
    let body = json!({ "channel": "sms", "phone": PHONE });
    let refused = ctx.post_json("/api/v1/users/enroll", Some(&app_only), &body).send().await.unwrap();
    assert_error(refused, 403).await;
    assert!(ctx.emu.sms_messages().is_empty());

    // The body may omit the user: the intent's is used.
    let sms_ok = ctx.intent(json!({ "username": "vera", "operation": "enroll", "channels": ["sms"] })).await;
    let enrolled = ctx.post_json("/api/v1/users/enroll", Some(&sms_ok), &body).send().await.unwrap();
    assert_eq!(enrolled.status(), 201);
    let answer: Value = enrolled.json().await.unwrap();
    assert_eq!(answer["username"], "vera");
    let user_id = answer["userId"].as_str().unwrap().to_owned();
    let (_, status_token) = enrollment(&answer);
    let spent = ctx.post_json("/api/v1/users/enroll", Some(&sms_ok), &body).send().await.unwrap();
    assert_error(spent, 401).await;

    // Verifying with intent tokens: bound to the user and to the channel.
    let code = ctx.emu.sms_messages_to(&user_id)[0].code.clone();
    let other = ctx.enroll(json!({ "username": "walt" })).await;
    let walts = ctx.intent(json!({ "userId": other["userId"], "operation": "approve" })).await;
    let check = json!({ "code": code, "statusToken": status_token });
    assert_error(verify_as(&ctx, &walts, &user_id, check.clone()).await, 403).await;
    let app_channel = ctx.intent(json!({ "userId": user_id, "operation": "approve", "channels": ["app"] })).await;
    assert_error(verify_as(&ctx, &app_channel, &user_id, check.clone()).await, 403).await;
    let veras = ctx.intent(json!({ "userId": user_id, "operation": "approve", "channels": ["sms"] })).await;
    // A wrong code does not spend the token; the right one does.
    let wrong_code = json!({ "code": wrong(&code), "statusToken": status_token });
    assert_not_correct(verify_as(&ctx, &veras, &user_id, wrong_code).await).await;
    assert_eq!(verify_as(&ctx, &veras, &user_id, check.clone()).await.status(), 200);
    assert_eq!(ctx.status(&status_token).await["status"], "succeeded");
    assert_error(verify_as(&ctx, &veras, &user_id, check).await, 401).await;
    let enroll_intent = ctx.intent(json!({ "userId": user_id, "operation": "enroll" })).await;
    let recovery = json!({ "code": "AAAAAAAAAAAAAAAA", "channel": "recovery" });
    assert_not_correct(verify_as(&ctx, &enroll_intent, &user_id, recovery).await).await;
}

#[tokio::test]
async fn verification_refusals() {
    let ctx = start().await;
    let answer = ctx.enroll(json!({ "channel": "sms", "username": "xena", "phone": PHONE })).await;
    let user_id = answer["userId"].as_str().unwrap().to_owned();
    let (_, status_token) = enrollment(&answer);
    let code = ctx.emu.sms_messages()[0].code.clone();

    for unknown in [uuid::Uuid::new_v4().to_string(), "not-a-uuid".to_owned()] {
        let message =
            assert_error(verify(&ctx, &unknown, json!({ "code": code, "statusToken": status_token })).await, 404).await;
        assert!(message.contains("user"), "{message}");
        assert_error(verify(&ctx, &unknown, json!({ "code": "x", "channel": "recovery" })).await, 404).await;
    }
    for body in [
        json!({}),
        json!({ "statusToken": status_token }),
        json!({ "code": "", "statusToken": status_token }),
        json!({ "code": 123456, "statusToken": status_token }),
        json!({ "code": [code], "statusToken": status_token }),
        json!({ "code": code }),
        json!({ "code": code, "channel": "sms" }),
        json!({ "code": code, "channel": "app", "statusToken": status_token }),
        json!({ "code": code, "channel": "fax", "statusToken": status_token }),
        json!({ "code": code, "statusToken": 7 }),
    ] {
        let message = assert_error(verify(&ctx, &user_id, body.clone()).await, 400).await;
        assert!(!message.contains(&code), "{message}");
    }
    // Status tokens that name no pending SMS transaction of this user.
    let app = ctx.enroll(json!({ "username": "xena" })).await;
    let (_, app_status) = enrollment(&app);
    let other = ctx.enroll(json!({ "channel": "sms", "username": "yann", "phone": PHONE })).await;
    let (_, others_status) = enrollment(&other);
    let others_code = ctx.emu.sms_messages_to(other["userId"].as_str().unwrap())[0].code.clone();
    let key = ctx.key();
    for (token, code) in [
        (app_status.as_str(), code.as_str()),
        (others_status.as_str(), others_code.as_str()),
        ("junk", code.as_str()),
        (key.as_str(), code.as_str()),
    ] {
        let response = verify(&ctx, &user_id, json!({ "code": code, "statusToken": token })).await;
        assert_eq!(assert_error(response, 400).await, "invalid statusToken");
    }
    assert_eq!(ctx.status(&others_status).await["status"], "pending", "another user's code attempt is no attempt");

    // Credential and format first.
    let path = format!("/api/v1/users/{user_id}/verification");
    let body = json!({ "code": code, "statusToken": status_token });
    assert_error(ctx.post_json(&path, None, &body).send().await.unwrap(), 401).await;
    assert_error(ctx.post_json(&path, Some("nope"), &body).send().await.unwrap(), 401).await;
    let text = ctx.http.post(ctx.url(&path)).bearer_auth(ctx.key()).body(body.to_string()).send().await.unwrap();
    assert_error(text, 415).await;
    assert_error(ctx.http.get(ctx.url(&path)).bearer_auth(ctx.key()).send().await.unwrap(), 405).await;
    assert_eq!(ctx.status(&status_token).await["status"], "pending");
    assert_eq!(verify(&ctx, &user_id, body).await.status(), 200);
}

#[tokio::test]
async fn codes_never_reach_the_log_or_an_answer() {
    let ctx = start().await;
    let answer = ctx.enroll(json!({ "channel": "sms", "username": "zoe", "phone": PHONE })).await;
    let user_id = answer["userId"].as_str().unwrap().to_owned();
    let (_, status_token) = enrollment(&answer);
    let code = ctx.emu.sms_messages()[0].code.clone();
    let wrong_code = wrong(&code);
    let recovery = enroll_raw(&ctx, json!({ "channel": "recovery", "userId": user_id })).await;
    let recovery: Value = recovery.json().await.unwrap();
    let recovery_code = recovery["recoveryCodes"][0].as_str().unwrap().to_owned();

    let mut answers = String::new();
    for body in [
        json!({ "code": wrong_code, "statusToken": status_token }),
        json!({ "code": code, "statusToken": status_token }),
        json!({ "code": code, "statusToken": status_token }),
        json!({ "code": "ZZZZZZZZZZZZZZZZ", "channel": "recovery" }),
        json!({ "code": recovery_code, "channel": "recovery" }),
        json!({ "code": recovery_code, "channel": "recovery" }),
        json!({ "code": code }),
    ] {
        let response = verify(&ctx, &user_id, body).await;
        for (name, value) in response.headers() {
            answers.push_str(&format!("{name}: {}\n", value.to_str().unwrap_or_default()));
        }
        answers.push_str(&response.text().await.unwrap());
    }
    assert_eq!(ctx.status(&status_token).await["status"], "succeeded");
    for secret in [&code, &wrong_code, &recovery_code, &"ZZZZZZZZZZZZZZZZ".to_owned()] {
        assert!(!answers.contains(secret.as_str()), "an answer shows a code: {answers}");
    }

    let records = ctx.emu.requests();
    let verifications: Vec<_> = records.iter().filter(|record| record.path.ends_with("/verification")).collect();
    assert_eq!(verifications.len(), 7, "every verification is logged");
    assert_eq!(verifications[0].path, format!("/api/v1/users/{user_id}/verification"));
    assert_eq!(verifications[0].response_status, Some(400));
    assert_eq!(verifications[1].response_status, Some(200));
    assert_eq!(verifications[0].headers["authorization"], "Bearer <redacted>");
    assert!(verifications.iter().all(|record| record.body_size > 0));
    let logged = control_get(&ctx, "/_emulator/requests").await.to_string();
    for dump in [serde_json::to_string(&records).unwrap(), logged] {
        for secret in [&code, &wrong_code, &recovery_code] {
            assert!(!dump.contains(secret.as_str()), "the log shows a code");
        }
    }
}

#[tokio::test]
async fn the_outbox_through_the_control_api_and_the_phone_page() {
    let ctx = start().await;
    let first = ctx
        .enroll(json!({ "channel": "sms", "username": "abe", "phone": PHONE, "message": "<b>{{CODE}}</b> & \"so\"" }))
        .await;
    let user_id = first["userId"].as_str().unwrap().to_owned();
    ctx.enroll(json!({ "channel": "sms", "username": "bea", "phone": "+33612345678" })).await;
    ctx.enroll(json!({ "channel": "sms", "userId": user_id, "phone": "+41790000000", "message": "second {{CODE}}" }))
        .await;

    let all = control_get(&ctx, "/_emulator/sms").await;
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 3, "newest last");
    assert_eq!(all[1]["to"], "+33612345678");
    let abes = control_get(&ctx, &format!("/_emulator/users/{user_id}/sms")).await;
    let abes = abes.as_array().unwrap();
    assert_eq!(abes.len(), 2);
    assert_eq!(abes[0]["to"], PHONE);
    assert_eq!(abes[1]["to"], "+41790000000");
    let (first_code, second_code) = (abes[0]["code"].as_str().unwrap(), abes[1]["code"].as_str().unwrap());
    assert_eq!(abes[0]["text"], format!("<b>{first_code}</b> & \"so\""));

    for unknown in [uuid::Uuid::new_v4().to_string(), "not-a-uuid".to_owned()] {
        let response = ctx.control_request(Method::GET, &format!("/_emulator/users/{unknown}/sms")).send().await;
        assert_error(response.unwrap(), 404).await;
        assert!(ctx.emu.sms_messages_to(&unknown).is_empty());
    }
    assert_error(ctx.control("/_emulator/sms").await, 405).await;

    // The phone page: newest first, escaped.
    let html = ctx.http.get(ctx.url(&format!("/phone/{user_id}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("<section id=\"messages\"><h2>Messages</h2>"), "{html}");
    let newest = html.find(&format!("second {second_code}")).expect("second SMS shown");
    let oldest = html.find(&format!("&lt;b&gt;{first_code}&lt;/b&gt; &amp; &quot;so&quot;")).expect("first, escaped");
    assert!(newest < oldest, "newest first");
    assert!(!html.contains("<b>"));
    assert!(!html.contains("+33612345678"), "only this user's messages");
    // A user without SMS shows no Messages section.
    let (plain, _) = ctx.user_with_phones("cid", 1).await;
    let html = ctx.http.get(ctx.url(&format!("/phone/{plain}"))).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains("Messages"));

    // Deleting the user forgets its SMS; reset forgets all.
    let deleted =
        ctx.http.delete(ctx.url(&format!("/api/v1/users/{user_id}"))).bearer_auth(ctx.key()).send().await.unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(ctx.emu.sms_messages().len(), 1);
    ctx.emu.reset();
    assert_eq!(control_get(&ctx, "/_emulator/sms").await, json!([]));
}

#[tokio::test]
async fn sms_transactions_expire_and_never_approve_themselves() {
    let config = EmulatorConfig {
        transaction_ttl: Duration::from_millis(1500),
        auto_approve_after: Some(Duration::from_millis(50)),
        ..EmulatorConfig::default()
    };
    let ctx = start_with(config).await;
    let answer = ctx.enroll(json!({ "channel": "sms", "username": "dora", "phone": PHONE })).await;
    let user_id = answer["userId"].as_str().unwrap().to_owned();
    let (_, status_token) = enrollment(&answer);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(ctx.status(&status_token).await["status"], "pending", "auto-approval plays the app, not the code");
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert_eq!(ctx.status(&status_token).await["status"], "failed", "expired");
    let code = ctx.emu.sms_messages()[0].code.clone();
    let late = verify(&ctx, &user_id, json!({ "code": code, "statusToken": status_token })).await;
    assert_eq!(assert_error(late, 400).await, "invalid statusToken");
}
