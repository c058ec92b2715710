//! Wire strictness shared by all endpoints: auth, content types, JSON, sizes, methods, paths.

use serde_json::json;

use crate::common::{assert_error, start};

#[tokio::test]
async fn enroll_requires_a_bearer_credential() {
    let ctx = start().await;
    let url = ctx.url("/api/v1/users/enroll");
    let missing = ctx.http.post(&url).json(&json!({})).send().await.unwrap();
    assert_eq!(missing.headers()["www-authenticate"], "Bearer");
    assert_error(missing, 401).await;
    let wrong = ctx.http.post(&url).bearer_auth("not-the-key").json(&json!({})).send().await.unwrap();
    assert_error(wrong, 401).await;
    let scheme = ctx
        .http
        .post(&url)
        .header("authorization", format!("Token {}", ctx.key()))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_error(scheme, 401).await;
    let empty = ctx.http.post(&url).header("authorization", "Bearer ").json(&json!({})).send().await.unwrap();
    assert_error(empty, 401).await;
    // The scheme is case-insensitive.
    let lower = ctx
        .http
        .post(&url)
        .header("authorization", format!("bearer {}", ctx.key()))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(lower.status(), 201);
    // A status token is no credential.
    let answer = ctx.enroll(json!({})).await;
    let status_token = answer["enrollment"]["statusToken"].as_str().unwrap();
    let status_as_bearer = ctx.http.post(&url).bearer_auth(status_token).json(&json!({})).send().await.unwrap();
    assert_error(status_as_bearer, 401).await;
}

#[tokio::test]
async fn bodies_must_be_json_and_well_formed() {
    let ctx = start().await;
    let url = ctx.url("/api/v1/users/enroll");
    let form = ctx.http.post(&url).bearer_auth(ctx.key()).form(&[("username", "x")]).send().await.unwrap();
    assert_error(form, 415).await;
    let untyped = ctx.http.post(&url).bearer_auth(ctx.key()).body("{}").send().await.unwrap();
    assert_error(untyped, 415).await;
    for malformed in ["{", "{\"username\": }", "not json", "[1,2]", "\"text\"", "{\"a\":1}}"] {
        let response = ctx
            .http
            .post(&url)
            .bearer_auth(ctx.key())
            .header("content-type", "application/json")
            .body(malformed)
            .send()
            .await
            .unwrap();
        assert_error(response, 400).await;
    }
    let deep = "[".repeat(10_000);
    let response = ctx
        .http
        .post(&url)
        .bearer_auth(ctx.key())
        .header("content-type", "application/json")
        .body(deep)
        .send()
        .await
        .unwrap();
    assert_error(response, 400).await;
}

#[tokio::test]
async fn large_bodies_are_refused() {
    let ctx = start().await;
    let big = format!("{{\"username\": \"{}\"}}", "x".repeat(70 * 1024));
    for path in ["/api/v1/users/enroll", "/api/v1/status"] {
        let response = ctx
            .http
            .post(ctx.url(path))
            .bearer_auth(ctx.key())
            .header("content-type", "application/json")
            .body(big.clone())
            .send()
            .await
            .unwrap();
        assert_error(response, 413).await;
    }
    // Just under the limit is read (and then judged on its content).
    let under = format!("{{\"statusToken\": \"{}\"}}", "x".repeat(60 * 1024));
    let response = ctx
        .http
        .post(ctx.url("/api/v1/status"))
        .header("content-type", "application/json")
        .body(under)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // The emulator keeps serving.
    assert_eq!(ctx.http.get(ctx.url("/ping")).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn unknown_paths_and_wrong_methods() {
    let ctx = start().await;
    for path in ["/", "/api/v1/nothing", "/api/v1/status/", "/api/v2/status", "/_emulator/nope"] {
        let response = ctx.http.post(ctx.url(path)).bearer_auth(ctx.key()).send().await.unwrap();
        assert_error(response, 404).await;
    }
    let cases = [
        (reqwest::Method::GET, "/api/v1/status"),
        (reqwest::Method::GET, "/api/v1/users/enroll"),
        (reqwest::Method::PUT, "/api/v1/introspect"),
        (reqwest::Method::DELETE, "/api/v1/intent"),
        (reqwest::Method::POST, "/ping"),
    ];
    for (method, path) in cases {
        let response = ctx.http.request(method, ctx.url(path)).bearer_auth(ctx.key()).send().await.unwrap();
        assert_error(response, 405).await;
    }
}

#[tokio::test]
async fn random_bodies_never_break_it() {
    let ctx = start().await;
    // A small deterministic generator: the same inputs on every run.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let pieces: [&[u8]; 8] =
        [b"{", b"}", b"\"username\"", b":", b"\"userId\"", b"\"statusToken\"", b"\xff\xfe", b"[null,"];
    for round in 0..60 {
        let mut body = Vec::new();
        for _ in 0..(next() % 12) {
            if next() % 3 == 0 {
                body.extend_from_slice(pieces[(next() % 8) as usize]);
            } else {
                body.push((next() % 256) as u8);
            }
        }
        for path in ["/api/v1/users/enroll", "/api/v1/status", "/api/v1/introspect", "/api/v1/intent"] {
            let content_type = if round % 2 == 0 { "application/json" } else { "application/x-www-form-urlencoded" };
            let response = ctx
                .http
                .post(ctx.url(path))
                .bearer_auth(ctx.key())
                .header("content-type", content_type)
                .body(body.clone())
                .send()
                .await
                .unwrap();
            assert!(response.status().as_u16() < 500, "{path}: {}", response.status());
        }
    }
    assert_eq!(ctx.http.get(ctx.url("/ping")).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn malformed_http_is_refused_and_the_server_carries_on() {
    let ctx = start().await;
    let (answer, closed) = crate::common::raw_exchange(ctx.emu.local_addr(), b"NOT HTTP AT ALL\r\n\r\n").await;
    assert!(closed);
    let text = String::from_utf8_lossy(&answer);
    assert!(text.is_empty() || text.starts_with("HTTP/1.1 400"), "{text}");
    assert_eq!(ctx.http.get(ctx.url("/ping")).send().await.unwrap().status(), 200);
}
