//! No answer, error message, request-log record or trace line ever contains the access key or
//! a token that a client sent in a header, whatever the client gets wrong.

use reqwest::Method;
use std::io::Write;
use std::sync::{Arc, Mutex};

use authcloud_emulator::{EmulatorConfig, EmulatorError};
use serde_json::json;

#[path = "http/common.rs"]
mod common;

use common::start_with;

/// A tracing writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn secrets_never_come_back() {
    // The test runs on a current-thread runtime, alone in its process: this subscriber sees
    // every trace line of the server.
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber =
        tracing_subscriber::fmt().with_max_level(tracing::Level::TRACE).with_writer(move || writer.clone()).finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let key = "sk_emulator_TOP-SECRET_0123456789";
    let ctx = start_with(EmulatorConfig { access_key: Some(key.into()), ..Default::default() }).await;
    let unused_intent = ctx.intent(json!({ "username": "quinn", "operation": "enroll" })).await;
    let used_intent = ctx.intent(json!({ "username": "quinn", "operation": "enroll" })).await;
    let enrolled = ctx.post_json("/api/v1/users/enroll", Some(&used_intent), &json!({})).send().await.unwrap();
    assert_eq!(enrolled.status(), 201);
    let almost = format!("{key}x");
    let secrets = [key, unused_intent.as_str(), used_intent.as_str(), almost.as_str()];

    let mut seen = Vec::<String>::new();
    let paths = [
        "/api/v1/users/enroll",
        "/api/v1/status",
        "/api/v1/introspect",
        "/api/v1/intent",
        "/api/v1/users/00000000-0000-4000-8000-000000000000",
        "/api/v1/users/00000000-0000-4000-8000-000000000000/verification",
        "/ping",
        "/open",
        "/api/v1/approval",
        "/api/v1/users",
        "/api/v1/authenticators/00000000-0000-4000-8000-000000000000",
        &format!("/api/v1/authenticators/{key}"),
        &format!("/phone/{key}"),
        "/phone/approve",
        "/nowhere",
        &format!("/api/v1/users/{key}"),
        &format!("/api/v1/status?key={key}&token={unused_intent}"),
        "/api/v1/logs/export",
        &format!("/api/v1/logs/export?filter={key}&fromDate={unused_intent}"),
    ];
    let bodies = ["{", "{\"username\": \"bad name\"}", "token=x", "", "{\"statusToken\": 1}"];
    let content_types = ["application/json", "application/x-www-form-urlencoded", "text/plain"];
    for path in paths {
        for credential in secrets {
            for (body, content_type) in bodies.iter().zip(content_types.iter().cycle()) {
                for method in
                    [reqwest::Method::POST, reqwest::Method::GET, reqwest::Method::PATCH, reqwest::Method::DELETE]
                {
                    let response = ctx
                        .http
                        .request(method, ctx.url(path))
                        .header("authorization", format!("Bearer {credential}"))
                        .header("x-api-key", credential)
                        .header("cookie", format!("session={credential}"))
                        .header("x-debug", format!("note {credential}"))
                        .header("content-type", *content_type)
                        .body(body.to_string())
                        .send()
                        .await
                        .unwrap();
                    let headers = format!("{:?}", response.headers());
                    seen.push(headers);
                    seen.push(response.text().await.unwrap());
                }
            }
        }
    }
    // Secrets pasted into an approval's message, notification, authenticator id or username,
    // and into an authenticator's name and a username query: the 400s never repeat them.
    for secret in secrets {
        let short: String = secret.chars().filter(char::is_ascii_alphanumeric).collect();
        let bodies = [
            json!({ "username": "quinn", "prompt": true, "message": format!("<html><{secret}>x</html>") }),
            json!({ "username": "quinn", "prompt": true, "message": format!("<html><{short}>x</{short}></html>") }),
            json!({ "username": "quinn", "prompt": true, "message": format!("<html><b {short}=1>x</b></html>") }),
            json!({ "username": "quinn", "prompt": true, "message": format!("<html><b>x</{short}></html>") }),
            json!({ "username": "quinn", "message": format!("{secret}\u{7}") }),
            json!({ "username": "quinn", "notificationMessage": format!("{secret}\u{7}") }),
            json!({ "username": "quinn", "authenticatorId": secret }),
            json!({ "username": secret }),
            json!({ "username": "quinn", "channel": secret }),
        ];
        for body in bodies {
            let response = ctx.post_json("/api/v1/approval", Some(key), &body).send().await.unwrap();
            assert!(response.status().is_client_error(), "{body}");
            seen.push(response.text().await.unwrap());
        }
        let path = "/api/v1/authenticators/00000000-0000-4000-8000-000000000000";
        let name = json!({ "name": format!("{secret}\u{7}") });
        let response = ctx.http.patch(ctx.url(path)).bearer_auth(key).json(&name).send().await.unwrap();
        seen.push(response.text().await.unwrap());
        let query = format!("/api/v1/users?username={secret}%20x");
        let response = ctx.http.get(ctx.url(&query)).bearer_auth(key).send().await.unwrap();
        seen.push(response.text().await.unwrap());
    }

    // Basic auth carrying the key, and the key as a form token to introspect.
    let basic = ctx
        .http
        .post(ctx.url("/api/v1/introspect"))
        .basic_auth(key, Some(key))
        .form(&[("token", key)])
        .send()
        .await
        .unwrap();
    seen.push(basic.text().await.unwrap());

    seen.push(serde_json::to_string(&ctx.emu.requests()).unwrap());
    seen.push(ctx.control_request(Method::GET, "/_emulator/requests").send().await.unwrap().text().await.unwrap());
    seen.push(format!("{:?}", ctx.emu));
    seen.push(format!("{:?}", EmulatorConfig { access_key: Some(key.into()), ..Default::default() }));
    let bad_config = EmulatorConfig { access_key: Some(format!("{key} with space")), ..Default::default() };
    match authcloud_emulator::Emulator::start(bad_config).await {
        Err(err @ EmulatorError::InvalidConfig(_)) => seen.push(format!("{err} {err:?}")),
        other => panic!("expected InvalidConfig, got {other:?}"),
    }
    seen.push(String::from_utf8_lossy(&captured.0.lock().unwrap()).to_string());
    assert!(seen.last().unwrap().contains("/api/v1/status"), "traces were captured");
    assert!(ctx.emu.requests().len() > 300);

    for text in &seen {
        for secret in secrets {
            assert!(!text.contains(secret), "a secret leaked into: {:.300}", text);
        }
    }
}
