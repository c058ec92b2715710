//! Per-user rate limits on push approvals and SMS: 429 with `Retry-After` past the limit,
//! nothing sent or created, `exceededRateLimits` on the user record while blocked; set by
//! the configuration, `Emulator::set_rate_limits` or `PUT /_emulator/rate-limits`.

use std::time::Duration;

use authcloud_emulator::{EmulatorConfig, RateLimit, RateLimits};
use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::common::{Ctx, assert_error, enrollment, start, start_with};

const PHONE: &str = "+41791234567";

fn push_limit(max: u32, period: Duration) -> RateLimits {
    RateLimits { push: Some(RateLimit { max, period }), sms: None }
}

async fn approval_raw(ctx: &Ctx, body: Value) -> Response {
    ctx.post_json("/api/v1/approval", Some(&ctx.key()), &body).send().await.expect("approval sent")
}

async fn enroll_raw(ctx: &Ctx, bearer: &str, body: Value) -> Response {
    ctx.post_json("/api/v1/users/enroll", Some(bearer), &body).send().await.expect("enroll sent")
}

/// `PUT /_emulator/rate-limits` with `body`.
async fn put_limits(ctx: &Ctx, body: Value) -> Response {
    ctx.control_request(Method::PUT, "/_emulator/rate-limits").json(&body).send().await.expect("sent")
}

/// Asserts a 429 with the vendor's error body; returns its `Retry-After` in seconds.
async fn assert_limited(response: Response) -> u64 {
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok())
        .expect("Retry-After in whole seconds");
    let message = assert_error(response, 429).await;
    assert!(message.contains("rate limit"), "{message}");
    retry_after
}

#[tokio::test]
async fn the_push_past_the_limit_is_refused_and_the_user_record_says_so() {
    let config = EmulatorConfig { rate_limits: push_limit(2, Duration::from_secs(60)), ..EmulatorConfig::default() };
    let ctx = start_with(config).await;
    let (user_id, _) = ctx.user_with_phones("pia", 1).await;
    let user = ctx.user(&user_id).await;
    assert!(user.get("exceededRateLimits").is_none(), "absent while not blocked: {user}");

    ctx.approval(json!({ "userId": user_id })).await;
    assert!(ctx.user(&user_id).await.get("exceededRateLimits").is_none(), "one more still fits");
    ctx.approval(json!({ "userId": user_id, "channel": "push" })).await;
    assert_eq!(ctx.user(&user_id).await["exceededRateLimits"], json!(["push"]));
    let found = ctx.http.get(ctx.url("/api/v1/users?username=pia")).bearer_auth(ctx.key()).send().await.unwrap();
    assert_eq!(found.json::<Value>().await.unwrap()["exceededRateLimits"], json!(["push"]));

    let retry_after = assert_limited(approval_raw(&ctx, json!({ "userId": user_id })).await).await;
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(ctx.pending(&user_id).await.len(), 2, "the refused push never reached the phone");
    // The app channel and other users are not limited.
    ctx.approval(json!({ "userId": user_id, "channel": "app" })).await;
    let (other, _) = ctx.user_with_phones("quy", 1).await;
    ctx.approval(json!({ "userId": other })).await;
    assert!(ctx.user(&other).await.get("exceededRateLimits").is_none());
    // The refusal is in the log export.
    let csv = ctx.http.get(ctx.url("/api/v1/logs/export?filter=ratelimit")).bearer_auth(ctx.key()).send().await;
    let csv = csv.unwrap().text().await.unwrap();
    assert_eq!(csv.matches("ratelimit.exceeded").count(), 1, "{csv}");
}

#[tokio::test]
async fn the_window_slides() {
    let ctx = start().await;
    ctx.emu.set_rate_limits(push_limit(1, Duration::from_millis(1500)));
    let (user_id, _) = ctx.user_with_phones("rey", 1).await;
    ctx.approval(json!({ "userId": user_id })).await;
    let retry_after = assert_limited(approval_raw(&ctx, json!({ "userId": user_id })).await).await;
    assert!((1..=2).contains(&retry_after), "{retry_after}: rounded up, at least 1");
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert!(ctx.user(&user_id).await.get("exceededRateLimits").is_none(), "the send left the window");
    ctx.approval(json!({ "userId": user_id })).await;
    assert_eq!(ctx.user(&user_id).await["exceededRateLimits"], json!(["push"]));
}

#[tokio::test]
async fn sms_limits_count_enrollments_and_approvals_and_spare_intent_tokens() {
    let ctx = start().await;
    let hour = json!({ "max": 2, "periodMs": 3_600_000 });
    assert_eq!(put_limits(&ctx, json!({ "sms": hour, "push": { "max": 1, "periodMs": 60_000 } })).await.status(), 204);
    let first = ctx.enroll(json!({ "channel": "sms", "username": "sal", "phone": PHONE })).await;
    let user_id = first["userId"].as_str().unwrap().to_owned();
    let code = ctx.emu.sms_messages_to(&user_id)[0].code.clone();
    let path = format!("/api/v1/users/{user_id}/verification");
    let check = json!({ "code": code, "statusToken": enrollment(&first).1 });
    assert_eq!(ctx.post_json(&path, Some(&ctx.key()), &check).send().await.unwrap().status(), 200);
    // The SMS approval is the second SMS in the window: the last that fits.
    ctx.approval(json!({ "userId": user_id, "channel": "sms" })).await;
    assert_eq!(ctx.user(&user_id).await["exceededRateLimits"], json!(["sms"]));
    let retry_after = assert_limited(approval_raw(&ctx, json!({ "userId": user_id, "channel": "sms" })).await).await;
    assert!((3590..=3600).contains(&retry_after), "{retry_after}");
    let intent = ctx.intent(json!({ "userId": user_id, "operation": "enroll", "channels": ["sms"] })).await;
    assert_limited(enroll_raw(&ctx, &intent, json!({ "channel": "sms", "phone": PHONE })).await).await;
    assert_eq!(ctx.emu.sms_messages_to(&user_id).len(), 2, "nothing sent past the limit");

    // A push on top: both channels blocked, in the order push, sms.
    ctx.user_with_phones("sal", 1).await;
    ctx.approval(json!({ "userId": user_id })).await;
    assert_eq!(ctx.user(&user_id).await["exceededRateLimits"], json!(["push", "sms"]));

    // Lifting the limits: the refused intent token was not spent.
    assert_eq!(put_limits(&ctx, json!({ "push": null })).await.status(), 204);
    assert!(ctx.user(&user_id).await.get("exceededRateLimits").is_none());
    assert_eq!(enroll_raw(&ctx, &intent, json!({ "channel": "sms", "phone": PHONE })).await.status(), 201);
}

#[tokio::test]
async fn a_new_user_past_an_sms_limit_of_zero_is_not_created() {
    let ctx = start().await;
    ctx.emu
        .set_rate_limits(RateLimits { push: None, sms: Some(RateLimit { max: 0, period: Duration::from_secs(90) }) });
    let refused = enroll_raw(&ctx, &ctx.key(), json!({ "channel": "sms", "username": "zed", "phone": PHONE })).await;
    assert_eq!(assert_limited(refused).await, 90);
    let found = ctx.http.get(ctx.url("/api/v1/users?username=zed")).bearer_auth(ctx.key()).send().await.unwrap();
    assert_error(found, 404).await;
    assert!(ctx.emu.sms_messages().is_empty());
}

#[tokio::test]
async fn reset_restores_the_configured_limits_and_bad_bodies_are_refused() {
    let config = EmulatorConfig { rate_limits: push_limit(1, Duration::from_secs(60)), ..EmulatorConfig::default() };
    let ctx = start_with(config).await;
    ctx.emu.set_rate_limits(RateLimits::default());
    let (user_id, _) = ctx.user_with_phones("ron", 1).await;
    for _ in 0..3 {
        ctx.approval(json!({ "userId": user_id })).await;
    }
    ctx.emu.reset();
    let (user_id, _) = ctx.user_with_phones("ron", 1).await;
    ctx.approval(json!({ "userId": user_id })).await;
    assert_limited(approval_raw(&ctx, json!({ "userId": user_id })).await).await;

    for body in [
        json!({ "push": 3 }),
        json!({ "push": { "max": 3 } }),
        json!({ "push": { "periodMs": 1000 } }),
        json!({ "sms": { "max": -1, "periodMs": 1000 } }),
        json!({ "sms": { "max": 1.5, "periodMs": 1000 } }),
        json!({ "sms": { "max": 4_294_967_296u64, "periodMs": 1000 } }),
        json!({ "sms": { "max": 1, "periodMs": "1s" } }),
        json!([]),
    ] {
        let message = assert_error(put_limits(&ctx, body.clone()).await, 400).await;
        assert!(!message.is_empty(), "{body}");
    }
    // A refused body changes nothing: still limited.
    assert_limited(approval_raw(&ctx, json!({ "userId": user_id })).await).await;
    let no_header = ctx.http.put(ctx.url("/_emulator/rate-limits")).json(&json!({})).send().await.unwrap();
    assert_error(no_header, 403).await;
    assert_error(ctx.control("/_emulator/rate-limits").await, 405).await;
    assert_eq!(put_limits(&ctx, json!({})).await.status(), 204, "no limits");
    ctx.approval(json!({ "userId": user_id })).await;
}
