//! Injected faults, through the control API and the library; `drop` and `truncated` are also
//! checked at the raw TCP level.

use reqwest::Method;
use std::time::{Duration, Instant};

use authcloud_emulator::{Fault, FaultKind};
use serde_json::{Value, json};

use crate::common::{Ctx, assert_error, raw_exchange, raw_post, start};

async fn inject(ctx: &Ctx, fault: Value) {
    let response = ctx.control_request(Method::POST, "/_emulator/faults").json(&fault).send().await.unwrap();
    assert_eq!(response.status(), 200, "{fault}");
}

fn status_body() -> Value {
    json!({ "statusToken": "whatever" })
}

#[tokio::test]
async fn status_fault_with_retry_after_then_normal() {
    let ctx = start().await;
    inject(&ctx, json!({"path": "/api/v1/status", "count": 2, "kind": "status", "status": 503, "retryAfter": 1})).await;
    let listed: Value =
        ctx.control_request(Method::GET, "/_emulator/faults").send().await.unwrap().json().await.unwrap();
    assert_eq!(
        listed,
        json!([{"path": "/api/v1/status", "count": 2, "kind": "status", "status": 503, "retryAfter": 1}])
    );
    for _ in 0..2 {
        let response = ctx
            .post_json("/api/v1/status", None, &status_body())
            .header("origin", "http://page.example")
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["retry-after"], "1");
        assert_eq!(response.headers()["access-control-allow-origin"], "*");
        // A page's script may read Retry-After only when it is exposed.
        assert!(
            response.headers()["access-control-expose-headers"].to_str().unwrap().contains("retry-after"),
            "{:?}",
            response.headers()
        );
        assert_error(response, 503).await;
    }
    let normal = ctx.post_json("/api/v1/status", None, &status_body()).send().await.unwrap();
    assert_eq!(normal.status(), 200);
    let listed: Value =
        ctx.control_request(Method::GET, "/_emulator/faults").send().await.unwrap().json().await.unwrap();
    assert_eq!(listed, json!([]));

    // Other paths are untouched; any method counts.
    inject(&ctx, json!({"path": "/ping", "kind": "status", "status": 429})).await;
    assert_eq!(ctx.post_json("/api/v1/status", None, &status_body()).send().await.unwrap().status(), 200);
    assert_eq!(ctx.http.post(ctx.url("/ping")).send().await.unwrap().status(), 429);
    assert_eq!(ctx.http.get(ctx.url("/ping")).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn faults_are_consumed_in_order() {
    let ctx = start().await;
    ctx.emu
        .inject_fault(Fault {
            path: "/ping".into(),
            count: 1,
            kind: FaultKind::Status { status: 500, retry_after: None },
        })
        .unwrap();
    ctx.emu
        .inject_fault(Fault {
            path: "/ping".into(),
            count: 1,
            kind: FaultKind::Status { status: 502, retry_after: None },
        })
        .unwrap();
    assert_eq!(ctx.emu.pending_faults().len(), 2);
    let codes: Vec<u16> = futures_codes(&ctx, 3).await;
    assert_eq!(codes, vec![500, 502, 200]);
    assert!(ctx.emu.pending_faults().is_empty());
}

async fn futures_codes(ctx: &Ctx, n: usize) -> Vec<u16> {
    let mut codes = Vec::new();
    for _ in 0..n {
        codes.push(ctx.http.get(ctx.url("/ping")).send().await.unwrap().status().as_u16());
    }
    codes
}

#[tokio::test]
async fn garbage_json_and_delay_faults() {
    let ctx = start().await;
    inject(&ctx, json!({"path": "/api/v1/status", "kind": "garbage"})).await;
    let garbage = ctx.post_json("/api/v1/status", None, &status_body()).send().await.unwrap();
    assert_eq!(garbage.status(), 200);
    let text = garbage.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");

    let variant = json!({"transactionId": "x", "status": "escalated", "extra": [1, 2]});
    inject(&ctx, json!({"path": "/api/v1/status", "kind": "json", "body": variant})).await;
    let answer = ctx.post_json("/api/v1/status", None, &status_body()).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.json::<Value>().await.unwrap(), variant);
    inject(&ctx, json!({"path": "/api/v1/introspect", "kind": "json", "status": 401, "body": {"weird": true}})).await;
    let odd = ctx.http.post(ctx.url("/api/v1/introspect")).send().await.unwrap();
    assert_eq!(odd.status(), 401);
    assert_eq!(odd.json::<Value>().await.unwrap(), json!({"weird": true}));

    inject(&ctx, json!({"path": "/ping", "kind": "delay", "delayMs": 300})).await;
    let started = Instant::now();
    let delayed = ctx.http.get(ctx.url("/ping")).send().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(delayed.text().await.unwrap(), "PONG");
    let log = ctx.emu.requests();
    assert_eq!(log.last().unwrap().response_status, Some(200));
}

#[tokio::test]
async fn oversized_fault_streams_a_huge_body() {
    let ctx = start().await;
    inject(&ctx, json!({"path": "/api/v1/status", "kind": "oversized"})).await;
    let response = ctx.post_json("/api/v1/status", None, &status_body()).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.content_length(), Some(8 * 1024 * 1024));
    let bytes = response.bytes().await.unwrap();
    assert_eq!(bytes.len(), 8 * 1024 * 1024);
    assert!(bytes.starts_with(b"{\"padding\":\"xxx"));

    inject(&ctx, json!({"path": "/api/v1/status", "kind": "oversized", "sizeBytes": 100000})).await;
    let response = ctx.post_json("/api/v1/status", None, &status_body()).send().await.unwrap();
    let value: Value = response.json().await.unwrap();
    assert!(value["padding"].as_str().unwrap().len() > 99_000);
}

#[tokio::test]
async fn drop_fault_closes_without_an_answer() {
    let ctx = start().await;
    inject(&ctx, json!({"path": "/api/v1/status", "count": 2, "kind": "drop"})).await;
    let request = raw_post("/api/v1/status", "{\"statusToken\":\"x\"}", "");
    let (received, closed) = raw_exchange(ctx.emu.local_addr(), &request).await;
    assert!(closed);
    assert!(received.is_empty(), "nothing at all: {:?}", String::from_utf8_lossy(&received));

    let error = ctx.post_json("/api/v1/status", None, &status_body()).send().await.unwrap_err();
    assert!(!error.is_status(), "{error}");
    // Then it answers again, and the log shows the dropped requests without a status.
    assert_eq!(ctx.post_json("/api/v1/status", None, &status_body()).send().await.unwrap().status(), 200);
    let statuses: Vec<Option<u16>> = ctx.emu.requests().iter().map(|r| r.response_status).collect();
    assert_eq!(statuses, vec![None, None, Some(200)]);
}

#[tokio::test]
async fn truncated_fault_cuts_the_body_short() {
    let ctx = start().await;
    inject(&ctx, json!({"path": "/api/v1/status", "count": 2, "kind": "truncated"})).await;
    let request = raw_post("/api/v1/status", "{\"statusToken\":\"x\"}", "");
    let (received, closed) = raw_exchange(ctx.emu.local_addr(), &request).await;
    assert!(closed);
    let text = String::from_utf8_lossy(&received).to_string();
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    let (head, body) = text.split_once("\r\n\r\n").expect("headers arrived");
    let declared: usize = head
        .lines()
        .find_map(|line| line.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
        .expect("content-length");
    assert!(!body.is_empty(), "part of the body arrived");
    assert!(body.len() < declared, "{} of {declared}", body.len());

    let response = ctx.post_json("/api/v1/status", None, &status_body()).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.is_err(), "reading the body must fail");
}

#[tokio::test]
async fn invalid_faults_are_refused() {
    let ctx = start().await;
    for bad in [
        json!({"path": "/_emulator/reset", "kind": "drop"}),
        json!({"path": "api/v1/status", "kind": "drop"}),
        json!({"path": "/ping", "kind": "drop", "count": 0}),
        json!({"path": "/ping", "kind": "status", "status": 700}),
        json!({"path": "/ping", "kind": "status"}),
        json!({"path": "/ping", "kind": "explode"}),
        json!({"path": "/ping", "kind": "delay", "delayMs": 99_999_999}),
        json!({"path": "/ping", "kind": "oversized", "sizeBytes": 1}),
        json!({"kind": "drop"}),
    ] {
        let response = ctx.control_request(Method::POST, "/_emulator/faults").json(&bad).send().await.unwrap();
        assert_error(response, 400).await;
    }
    let cleared: Value =
        ctx.control_request(Method::DELETE, "/_emulator/faults").send().await.unwrap().json().await.unwrap();
    assert_eq!(cleared, json!({"cleared": 0}));
    assert!(ctx.emu.inject_fault(Fault { path: "/_emulator/faults".into(), count: 1, kind: FaultKind::Drop }).is_err());
}
