//! `POST /api/v1/introspect`: every token kind, active and inactive, and tampering.

use std::time::Duration;

use authcloud_emulator::EmulatorConfig;
use serde_json::{Value, json};

use crate::common::{assert_error, enrollment, start, start_with};

/// Flips one character in the middle of a JWT's signature.
fn tamper(token: &str) -> String {
    let at = token.rfind('.').expect("a JWT") + 8;
    let mut bytes = token.as_bytes().to_vec();
    bytes[at] = if bytes[at] == b'Q' { b'R' } else { b'Q' };
    String::from_utf8(bytes).unwrap()
}

/// Changes the JWT payload's `sub` without re-signing.
fn forge_payload(token: &str) -> String {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["sub"] = json!("someone-else");
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    format!("{}.{payload}.{}", parts[0], parts[2])
}

fn assert_active(answer: &Value, base_url: &str) {
    assert_eq!(answer["active"], true, "{answer}");
    assert!(answer["iat"].is_u64(), "iat is an integer: {answer}");
    assert!(answer["sub"].is_string());
    assert_eq!(answer["aud"], "api");
    assert_eq!(answer["iss"], format!("{base_url}/"));
}

#[tokio::test]
async fn transaction_token_is_active_only_after_success() {
    let ctx = start().await;
    let base = ctx.emu.base_url().to_owned();
    let answer = ctx.enroll(json!({ "username": "ivan" })).await;
    let (transaction_id, status_token) = enrollment(&answer);
    let token = ctx.status(&status_token).await["token"].as_str().unwrap().to_owned();

    assert_eq!(ctx.introspect(&token).await, json!({ "active": false }), "pending");
    ctx.emu.approve(&transaction_id).unwrap();
    let active = ctx.introspect(&token).await;
    assert_active(&active, &base);
    assert_eq!(active["sub"], answer["userId"]);
    assert!(active["exp"].as_u64().unwrap() > active["iat"].as_u64().unwrap());
    assert!(active["jti"].is_string());
    assert!(active["scope"].is_string());

    assert_eq!(ctx.introspect(&tamper(&token)).await, json!({ "active": false }));
    assert_eq!(ctx.introspect(&forge_payload(&token)).await, json!({ "active": false }));

    let denied = ctx.enroll(json!({ "username": "ivan" })).await;
    let (denied_id, denied_status) = enrollment(&denied);
    let denied_token = ctx.status(&denied_status).await["token"].as_str().unwrap().to_owned();
    ctx.emu.deny(&denied_id).unwrap();
    assert_eq!(ctx.introspect(&denied_token).await, json!({ "active": false }), "failed");
}

#[tokio::test]
async fn status_token_is_active_until_the_deadline() {
    let ctx = start_with(EmulatorConfig { transaction_ttl: Duration::from_millis(300), ..Default::default() }).await;
    let base = ctx.emu.base_url().to_owned();
    let answer = ctx.enroll(json!({})).await;
    let (_, status_token) = enrollment(&answer);
    assert_active(&ctx.introspect(&status_token).await, &base);
    assert_eq!(ctx.introspect(&tamper(&status_token)).await, json!({ "active": false }));
    let token = ctx.status(&status_token).await["token"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(ctx.introspect(&status_token).await, json!({ "active": false }));
    assert_eq!(ctx.introspect(&token).await, json!({ "active": false }), "expired → failed");
}

#[tokio::test]
async fn intent_access_key_and_other_tokens() {
    let ctx = start().await;
    let base = ctx.emu.base_url().to_owned();
    let intent = ctx.intent(json!({ "username": "judy", "operation": "enroll" })).await;
    let active = ctx.introspect(&intent).await;
    assert_active(&active, &base);
    assert_eq!(active["sub"], "judy");
    assert_eq!(ctx.introspect(&tamper(&intent)).await, json!({ "active": false }));
    let used = ctx.post_json("/api/v1/users/enroll", Some(&intent), &json!({})).send().await.unwrap();
    assert_eq!(used.status(), 201);
    let used: Value = used.json().await.unwrap();
    assert_eq!(ctx.introspect(&intent).await, json!({ "active": false }), "used");

    let key = ctx.introspect(&ctx.key()).await;
    assert_active(&key, &base);

    // The dispatch token only opens the authenticator page.
    let link = used["enrollment"]["appLinkUri"].as_str().unwrap();
    let dispatch = link.split("dispatchTokenResponse=").nth(1).unwrap();
    assert_eq!(ctx.introspect(dispatch).await, json!({ "active": false }));

    let other = start().await;
    let foreign = other.intent(json!({ "username": "judy", "operation": "enroll" })).await;
    for token in ["garbage", &foreign, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."] {
        assert_eq!(ctx.introspect(token).await, json!({ "active": false }));
    }
}

#[tokio::test]
async fn introspect_is_strict() {
    let ctx = start().await;
    let url = ctx.url("/api/v1/introspect");
    let form = [("token", "x")];
    assert_error(ctx.http.post(&url).form(&form).send().await.unwrap(), 401).await;
    assert_error(ctx.http.post(&url).bearer_auth("bad").form(&form).send().await.unwrap(), 401).await;
    let basic = ctx.http.post(&url).basic_auth("user", Some(ctx.key())).form(&form).send().await.unwrap();
    assert_error(basic, 401).await;
    let intent = ctx.intent(json!({ "username": "kim", "operation": "enroll" })).await;
    assert_error(ctx.http.post(&url).bearer_auth(&intent).form(&form).send().await.unwrap(), 403).await;

    let json_body = ctx.http.post(&url).bearer_auth(ctx.key()).json(&json!({ "token": "x" })).send().await.unwrap();
    assert_error(json_body, 415).await;
    let no_token = ctx.http.post(&url).bearer_auth(ctx.key()).form(&[("other", "x")]).send().await.unwrap();
    assert_error(no_token, 400).await;
    let empty = ctx.http.post(&url).bearer_auth(ctx.key()).send().await.unwrap();
    assert_error(empty, 400).await;
}
