//! Recovery codes: issued by `POST /api/v1/users/enroll` with `"channel": "recovery"`, checked
//! by `POST /api/v1/users/{userId}/verification` with `"channel": "recovery"`: single use, no
//! oracle between used and wrong, rate-limited per user.

use reqwest::Response;
use serde_json::{Value, json};

use crate::common::{Ctx, assert_error, start};

/// Enrolls for recovery codes with `bearer`.
async fn enroll_as(ctx: &Ctx, bearer: &str, body: Value) -> Response {
    ctx.post_json("/api/v1/users/enroll", Some(bearer), &body).send().await.expect("enroll sent")
}

/// Enrolls for recovery codes with the access key; asserts 201.
async fn recovery_codes(ctx: &Ctx, body: Value) -> Value {
    let response = enroll_as(ctx, &ctx.key(), body).await;
    assert_eq!(response.status(), 201);
    response.json().await.expect("recovery JSON")
}

fn codes_of(answer: &Value) -> Vec<String> {
    answer["recoveryCodes"].as_array().expect("recoveryCodes").iter().map(|c| c.as_str().unwrap().to_owned()).collect()
}

/// Checks a recovery code of `user_id` with the access key.
async fn check(ctx: &Ctx, user_id: &str, code: &str) -> Response {
    let path = format!("/api/v1/users/{user_id}/verification");
    let body = json!({ "code": code, "channel": "recovery" });
    ctx.post_json(&path, Some(&ctx.key()), &body).send().await.expect("verification sent")
}

/// 200 with `{}`.
async fn assert_accepted(response: Response) {
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap(), json!({}));
}

/// 400 `{"error": "Bad Request", "message": "the code is not correct", "status": 400}`.
async fn assert_not_correct(response: Response) {
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({ "error": "Bad Request", "message": "the code is not correct", "status": 400 }));
}

#[tokio::test]
async fn recovery_codes_are_shown_once_and_work_once() {
    let ctx = start().await;
    let answer = recovery_codes(&ctx, json!({ "channel": "recovery", "username": "ruth" })).await;
    let mut keys: Vec<&str> = answer.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["createdAt", "recoveryCodes", "userId", "username"], "no transaction, no status token");
    assert_eq!(answer["username"], "ruth");
    let user_id = answer["userId"].as_str().unwrap().to_owned();
    let user = ctx.user(&user_id).await;
    assert_eq!(answer["createdAt"], user["createdAt"]);
    assert_eq!(user["status"], "new");

    let codes = codes_of(&answer);
    assert_eq!(codes.len(), 10);
    for code in &codes {
        assert_eq!(code.len(), 16, "{code}");
        assert!(code.chars().all(|c| c.is_ascii_alphanumeric()), "{code}");
    }
    let mut unique = codes.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 10);

    assert_accepted(check(&ctx, &user_id, &codes[0]).await).await;
    // Used and wrong look the same.
    assert_not_correct(check(&ctx, &user_id, &codes[0]).await).await;
    assert_not_correct(check(&ctx, &user_id, "AAAAbbbbCCCC0000").await).await;
    // Case-sensitive; the dash-grouped form of a code is the code.
    let swapped: String = codes[1]
        .chars()
        .map(|c| if c.is_ascii_uppercase() { c.to_ascii_lowercase() } else { c.to_ascii_uppercase() })
        .collect();
    assert_ne!(swapped, codes[1]);
    assert_not_correct(check(&ctx, &user_id, &swapped).await).await;
    let grouped = codes[1].as_bytes().chunks(4).map(|group| std::str::from_utf8(group).unwrap()).collect::<Vec<_>>();
    assert_accepted(check(&ctx, &user_id, &grouped.join("-")).await).await;
    assert_not_correct(check(&ctx, &user_id, &codes[1]).await).await;

    // A new set replaces the old one, for the same user.
    let again = recovery_codes(&ctx, json!({ "channel": "recovery", "userId": user_id })).await;
    assert_eq!(again["userId"], user_id.as_str());
    assert_eq!(again["username"], "ruth");
    let new_codes = codes_of(&again);
    assert!(new_codes.iter().all(|code| !codes.contains(code)));
    // 4 failures so far: one more is allowed, and then the window is full.
    assert_not_correct(check(&ctx, &user_id, &codes[2]).await).await;
    let limited = check(&ctx, &user_id, &new_codes[0]).await;
    assert_eq!(limited.status(), 429);
}

#[tokio::test]
async fn the_sixth_failure_in_the_window_is_429() {
    let ctx = start().await;
    let answer = recovery_codes(&ctx, json!({ "channel": "recovery", "username": "sid" })).await;
    let user_id = answer["userId"].as_str().unwrap().to_owned();
    let codes = codes_of(&answer);
    let other = recovery_codes(&ctx, json!({ "channel": "recovery", "username": "sue" })).await;

    for _ in 0..5 {
        assert_not_correct(check(&ctx, &user_id, "wrongwrongwrong1").await).await;
    }
    for code in ["wrongwrongwrong1", codes[0].as_str()] {
        let limited = check(&ctx, &user_id, code).await;
        assert_eq!(limited.status(), 429);
        let retry_after: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((890..=900).contains(&retry_after), "{retry_after}");
        let message = assert_error(limited, 429).await;
        assert!(!message.contains(code), "{message}");
    }
    // The limit is per user.
    assert_accepted(check(&ctx, other["userId"].as_str().unwrap(), &codes_of(&other)[0]).await).await;
    // The log has every attempt, with its answer.
    let statuses: Vec<Option<u16>> = ctx
        .emu
        .requests()
        .iter()
        .filter(|record| record.path == format!("/api/v1/users/{user_id}/verification"))
        .map(|record| record.response_status)
        .collect();
    assert_eq!(statuses, [[Some(400); 5].as_slice(), &[Some(429); 2]].concat());
}

#[tokio::test]
async fn recovery_enrollment_rules() {
    let ctx = start().await;
    let key = ctx.key();
    let message = assert_error(enroll_as(&ctx, &key, json!({ "channel": "recovery" })).await, 400).await;
    assert!(message.contains("`username`") && message.contains("`userId`"), "{message}");
    let unknown = json!({ "channel": "recovery", "userId": uuid::Uuid::new_v4().to_string() });
    assert_error(enroll_as(&ctx, &key, unknown).await, 404).await;
    assert_error(enroll_as(&ctx, &key, json!({ "channel": "recovery", "userId": "nope" })).await, 400).await;
    assert_error(enroll_as(&ctx, &key, json!({ "channel": "recovery", "username": "a b" })).await, 400).await;

    // An existing user (enrolled with the app) keeps its id and authenticators.
    let (user_id, phones) = ctx.user_with_phones("tess", 1).await;
    let answer = recovery_codes(&ctx, json!({ "channel": "recovery", "username": "tess" })).await;
    assert_eq!(answer["userId"], user_id.as_str());
    let user = ctx.user(&user_id).await;
    assert_eq!(user["authenticators"][0]["authenticatorId"], phones[0].as_str());
    assert_eq!(user["status"], "active");

    // Intent tokens: enroll, for this user, without a channel restriction (`recovery` is
    // never among an intent's channels).
    let approve = ctx.intent(json!({ "username": "tess", "operation": "approve" })).await;
    assert_error(enroll_as(&ctx, &approve, json!({ "channel": "recovery" })).await, 403).await;
    let restricted = ctx.intent(json!({ "username": "tess", "operation": "enroll", "channels": ["sms"] })).await;
    assert_error(enroll_as(&ctx, &restricted, json!({ "channel": "recovery" })).await, 403).await;
    let someone_else = ctx.intent(json!({ "username": "ulf", "operation": "enroll" })).await;
    let body = json!({ "channel": "recovery", "username": "tess" });
    assert_error(enroll_as(&ctx, &someone_else, body).await, 403).await;
    let intent = ctx.intent(json!({ "username": "tess", "operation": "enroll" })).await;
    let by_intent = enroll_as(&ctx, &intent, json!({ "channel": "recovery" })).await;
    assert_eq!(by_intent.status(), 201);
    let by_intent: Value = by_intent.json().await.unwrap();
    assert_eq!(by_intent["userId"], user_id.as_str());
    assert_error(enroll_as(&ctx, &intent, json!({ "channel": "recovery" })).await, 401).await;
    // Only the newest set works.
    assert_not_correct(check(&ctx, &user_id, &codes_of(&answer)[0]).await).await;
    assert_accepted(check(&ctx, &user_id, &codes_of(&by_intent)[0]).await).await;

    // A user without recovery codes: every code is wrong.
    let (plain, _) = ctx.user_with_phones("vik", 0).await;
    assert_not_correct(check(&ctx, &plain, "AAAAAAAAAAAAAAAA").await).await;
    // The SMS outbox is not involved.
    assert!(ctx.emu.sms_messages().is_empty());
}
