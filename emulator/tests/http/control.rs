//! The control API, the simulated authenticator pages, auto-approval, reset and the log.

use reqwest::Method;
use std::time::Duration;

use authcloud_emulator::{EmulatorConfig, EmulatorError, TransactionStatus};
use serde_json::{Value, json};

use crate::common::{assert_error, enrollment, start, start_with};

#[tokio::test]
async fn control_api_approves_and_denies() {
    let ctx = start().await;
    let answer = ctx.enroll(json!({ "username": "leo" })).await;
    let (transaction_id, status_token) = enrollment(&answer);
    let approve = format!("/_emulator/transactions/{transaction_id}/approve");
    let response = ctx.control(&approve).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({ "transactionId": transaction_id, "status": "succeeded" }));
    assert_eq!(ctx.status(&status_token).await["status"], "succeeded");
    assert_error(ctx.control(&approve).await, 409).await;
    assert_error(ctx.control(&format!("/_emulator/transactions/{transaction_id}/deny")).await, 409).await;

    let other = ctx.enroll(json!({ "username": "leo" })).await;
    let (other_id, _) = enrollment(&other);
    let response = ctx.control(&format!("/_emulator/transactions/{other_id}/deny")).await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "failed");

    let unknown = uuid::Uuid::new_v4();
    assert_error(ctx.control(&format!("/_emulator/transactions/{unknown}/approve")).await, 404).await;
    assert_error(ctx.control("/_emulator/transactions/not-a-uuid/deny").await, 404).await;
    let wrong_method =
        ctx.control_request(Method::GET, &format!("/_emulator/transactions/{unknown}/approve")).send().await.unwrap();
    assert_error(wrong_method, 405).await;

    // The library says the same.
    assert!(matches!(ctx.emu.approve(&unknown.to_string()), Err(EmulatorError::UnknownTransaction)));
    assert!(matches!(ctx.emu.deny(&other_id), Err(EmulatorError::NotPending(TransactionStatus::Failed))));
}

#[tokio::test]
async fn deep_link_page_approves_and_declines() {
    let ctx = start().await;
    let answer = ctx.enroll(json!({ "username": "mia" })).await;
    let (transaction_id, status_token) = enrollment(&answer);
    let link = answer["enrollment"]["appLinkUri"].as_str().unwrap();
    let dispatch = link.split("dispatchTokenResponse=").nth(1).unwrap().to_owned();

    let page = ctx.http.get(link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = page.text().await.unwrap();
    assert!(html.contains("mia"));
    assert!(html.contains(&transaction_id));
    assert!(html.contains("<form method=\"post\" action=\"/open/approve\">"));
    assert!(html.contains("<form method=\"post\" action=\"/open/decline\">"));
    assert!(html.contains(&format!("name=\"dispatchTokenResponse\" value=\"{dispatch}\"")));
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("<script"), "no external assets");

    let approved = ctx
        .http
        .post(ctx.url("/open/approve"))
        .form(&[("dispatchTokenResponse", dispatch.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), 200);
    assert!(approved.text().await.unwrap().contains("succeeded"));
    assert_eq!(ctx.status(&status_token).await["status"], "succeeded");
    let finished = ctx.http.get(link).send().await.unwrap().text().await.unwrap();
    assert!(!finished.contains("<form"), "no buttons once finished");
    let again = ctx
        .http
        .post(ctx.url("/open/decline"))
        .form(&[("dispatchTokenResponse", dispatch.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);

    let second = ctx.enroll(json!({ "username": "mia" })).await;
    let (_, second_status) = enrollment(&second);
    let second_link = second["enrollment"]["appLinkUri"].as_str().unwrap();
    let second_dispatch = second_link.split("dispatchTokenResponse=").nth(1).unwrap();
    let declined = ctx
        .http
        .post(ctx.url("/open/decline"))
        .form(&[("dispatchTokenResponse", second_dispatch)])
        .send()
        .await
        .unwrap();
    assert_eq!(declined.status(), 200);
    assert_eq!(ctx.status(&second_status).await["status"], "failed");

    // Broken links.
    assert_eq!(ctx.http.get(ctx.url("/open")).send().await.unwrap().status(), 400);
    assert_eq!(ctx.http.get(ctx.url("/open?dispatchTokenResponse=junk")).send().await.unwrap().status(), 400);
    let junk_post =
        ctx.http.post(ctx.url("/open/approve")).form(&[("dispatchTokenResponse", "junk")]).send().await.unwrap();
    assert_eq!(junk_post.status(), 400);
    let status_token_as_dispatch =
        ctx.http.get(ctx.url(&format!("/open?dispatchTokenResponse={second_status}"))).send().await.unwrap();
    assert_eq!(status_token_as_dispatch.status(), 400);
    ctx.emu.reset();
    assert_eq!(ctx.http.get(second_link).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn auto_approval_completes_flows() {
    let ctx =
        start_with(EmulatorConfig { auto_approve_after: Some(Duration::from_millis(150)), ..Default::default() }).await;
    let answer = ctx.enroll(json!({ "username": "ned" })).await;
    let (transaction_id, status_token) = enrollment(&answer);
    assert_eq!(ctx.status(&status_token).await["status"], "pending");
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(ctx.status(&status_token).await["status"], "succeeded");
    assert_eq!(ctx.emu.transaction_status(&transaction_id), Some(TransactionStatus::Succeeded));
    let user: Value = ctx
        .http
        .get(ctx.url(&format!("/api/v1/users/{}", answer["userId"].as_str().unwrap())))
        .bearer_auth(ctx.key())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(user["status"], "active");
    assert_eq!(user["authenticators"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn reset_forgets_everything() {
    let ctx = start().await;
    let answer = ctx.enroll(json!({ "username": "olga" })).await;
    let intent = ctx.intent(json!({ "username": "olga", "operation": "enroll" })).await;
    ctx.control_request(Method::POST, "/_emulator/faults")
        .json(&json!({ "path": "/ping", "kind": "garbage", "count": 5 }))
        .send()
        .await
        .unwrap();
    assert!(!ctx.emu.requests().is_empty());
    let response = ctx.control("/_emulator/reset").await;
    assert_eq!(response.status(), 204);

    assert!(ctx.emu.requests().is_empty(), "log cleared");
    let faults: Value =
        ctx.control_request(Method::GET, "/_emulator/faults").send().await.unwrap().json().await.unwrap();
    assert_eq!(faults, json!([]));
    assert_eq!(ctx.http.get(ctx.url("/ping")).send().await.unwrap().text().await.unwrap(), "PONG");
    let path = format!("/api/v1/users/{}", answer["userId"].as_str().unwrap());
    assert_error(ctx.http.get(ctx.url(&path)).bearer_auth(ctx.key()).send().await.unwrap(), 404).await;
    let used = ctx.post_json("/api/v1/users/enroll", Some(&intent), &json!({})).send().await.unwrap();
    assert_error(used, 401).await;
    // The access key survives a reset, and the username is free again.
    let fresh = ctx.enroll(json!({ "username": "olga" })).await;
    assert_ne!(fresh["userId"], answer["userId"]);
    assert_eq!(fresh["status"], "new");
}

#[tokio::test]
async fn request_log_redacts_and_reports_sizes() {
    let ctx = start().await;
    let answer = ctx.enroll(json!({ "username": "pia" })).await;
    let link = answer["enrollment"]["appLinkUri"].as_str().unwrap();
    ctx.http.get(link).send().await.unwrap();
    ctx.control("/_emulator/reset").await; // control calls are not logged…
    ctx.enroll(json!({ "username": "pia2" })).await; // …and reset cleared the rest.

    let records: Vec<Value> =
        ctx.control_request(Method::GET, "/_emulator/requests").send().await.unwrap().json().await.unwrap();
    assert_eq!(records.len(), 1, "{records:?}");
    let record = &records[0];
    assert_eq!(record["method"], "POST");
    assert_eq!(record["path"], "/api/v1/users/enroll");
    assert_eq!(record["headers"]["authorization"], "Bearer <redacted>");
    assert_eq!(record["headers"]["content-type"], "application/json");
    assert_eq!(record["bodySize"], json!({ "username": "pia2" }).to_string().len());
    assert_eq!(record["responseStatus"], 201);
    assert!(record["seq"].is_u64());
    assert!(record["atMs"].is_number());

    // A fresh emulator, read through the library: the deep-link page and odd headers.
    let ctx = start().await;
    let answer = ctx.enroll(json!({ "username": "pia" })).await;
    let link = answer["enrollment"]["appLinkUri"].as_str().unwrap();
    let dispatch = link.split("dispatchTokenResponse=").nth(1).unwrap().to_owned();
    ctx.http.get(link).send().await.unwrap();
    ctx.http
        .post(ctx.url("/api/v1/introspect"))
        .header("authorization", format!("Basic {}", ctx.key()))
        .header("x-api-key", "sekrit")
        .header("cookie", "session=abc")
        .form(&[("token", "t")])
        .send()
        .await
        .unwrap();
    let records = ctx.emu.requests();
    assert_eq!(records.len(), 3);
    assert_eq!(records[1].path, "/open?dispatchTokenResponse=<redacted>");
    assert_eq!(records[1].response_status, Some(200));
    let odd = &records[2];
    assert_eq!(odd.headers["authorization"], "<redacted>");
    assert_eq!(odd.headers["x-api-key"], "<redacted>");
    assert_eq!(odd.headers["cookie"], "<redacted>");
    assert_eq!(odd.headers["content-type"], "application/x-www-form-urlencoded");
    assert_eq!(odd.body_size, 7);
    assert_eq!(odd.response_status, Some(401));
    assert!(records.windows(2).all(|pair| pair[0].seq < pair[1].seq));
    let dump = serde_json::to_string(&records).unwrap();
    assert!(!dump.contains(&ctx.key()));
    assert!(!dump.contains(&dispatch));
}

/// What a browser sends with a form a page on another site posts to the emulator.
const CROSS_SITE: [(&str, &str); 3] = [
    ("origin", "https://attacker.example"),
    ("sec-fetch-site", "cross-site"),
    ("content-type", "application/x-www-form-urlencoded"),
];

#[tokio::test]
async fn a_page_the_developer_visits_cannot_drive_the_control_api() {
    let ctx = start().await;
    let answer = ctx.enroll(json!({ "username": "vic" })).await;
    let (transaction_id, status_token) = enrollment(&answer);
    let user_id = answer["userId"].as_str().unwrap().to_owned();
    let routes = [
        (Method::POST, format!("/_emulator/transactions/{transaction_id}/approve")),
        (Method::POST, format!("/_emulator/transactions/{transaction_id}/deny")),
        (Method::GET, format!("/_emulator/users/{user_id}/approvals")),
        (Method::GET, format!("/_emulator/users/{user_id}/sms")),
        (Method::GET, "/_emulator/sms".to_owned()),
        (Method::POST, "/_emulator/faults".to_owned()),
        (Method::GET, "/_emulator/faults".to_owned()),
        (Method::DELETE, "/_emulator/faults".to_owned()),
        (Method::GET, "/_emulator/requests".to_owned()),
        (Method::POST, "/_emulator/reset".to_owned()),
    ];
    for (method, path) in &routes {
        // A form or an <img> from another site: no custom header.
        let mut cross_site = ctx.http.request(method.clone(), ctx.url(path)).body(r#"{"path":"/ping","kind":"drop"}"#);
        for (name, value) in CROSS_SITE {
            cross_site = cross_site.header(name, value);
        }
        let message = assert_error(cross_site.send().await.unwrap(), 403).await;
        assert!(message.contains("X-Emulator-Control: 1"), "{message}");
        // The header with any other value is refused as well.
        let wrong_value = ctx.http.request(method.clone(), ctx.url(path)).header("x-emulator-control", "true");
        assert_error(wrong_value.send().await.unwrap(), 403).await;
        // No preflight grants the header to another origin.
        let preflight = ctx
            .http
            .request(Method::OPTIONS, ctx.url(path))
            .header("origin", "https://attacker.example")
            .header("access-control-request-method", method.as_str())
            .header("access-control-request-headers", "x-emulator-control")
            .send()
            .await
            .unwrap();
        assert!(!preflight.status().is_success(), "{path}: {}", preflight.status());
        let granted: Vec<_> =
            preflight.headers().keys().filter(|name| name.as_str().starts_with("access-control-")).collect();
        assert!(granted.is_empty(), "{path}: {granted:?}");
    }
    // Nothing happened: still pending, no fault queued, the log kept.
    assert_eq!(ctx.status(&status_token).await["status"], "pending");
    assert!(ctx.emu.requests().iter().any(|record| record.path == "/api/v1/users/enroll"), "not reset");
    let faults: Value =
        ctx.control_request(Method::GET, "/_emulator/faults").send().await.unwrap().json().await.unwrap();
    assert_eq!(faults, json!([]));
    // With the header it works.
    assert_eq!(ctx.control(&format!("/_emulator/transactions/{transaction_id}/approve")).await.status(), 200);
}

#[tokio::test]
async fn beyond_loopback_the_control_api_needs_the_access_key_too() {
    let bind = "0.0.0.0:0".parse().unwrap();
    let ctx = start_with(EmulatorConfig { bind, ..EmulatorConfig::default() }).await;
    let answer = ctx.enroll(json!({ "username": "wes" })).await;
    let (transaction_id, status_token) = enrollment(&answer);
    let approve = format!("/_emulator/transactions/{transaction_id}/approve");

    let header_only = ctx.control(&approve).await;
    assert_error(header_only, 401).await;
    let wrong_key = ctx.control_request(Method::POST, &approve).bearer_auth("not-the-key").send().await.unwrap();
    assert_error(wrong_key, 401).await;
    let key_without_header = ctx.http.post(ctx.url(&approve)).bearer_auth(ctx.key()).send().await.unwrap();
    assert_error(key_without_header, 403).await;
    assert_eq!(ctx.status(&status_token).await["status"], "pending");

    let both = ctx.control_request(Method::POST, &approve).bearer_auth(ctx.key()).send().await.unwrap();
    assert_eq!(both.status(), 200);
    assert_eq!(ctx.status(&status_token).await["status"], "succeeded");
}

#[tokio::test]
async fn the_deep_link_page_refuses_a_form_posted_from_another_site() {
    let ctx = start().await;
    let answer = ctx.enroll(json!({ "username": "xia" })).await;
    let (_, status_token) = enrollment(&answer);
    let link = answer["enrollment"]["appLinkUri"].as_str().unwrap();
    let dispatch = link.split("dispatchTokenResponse=").nth(1).unwrap().to_owned();
    let form = format!("dispatchTokenResponse={dispatch}");

    for action in ["/open/approve", "/open/decline"] {
        let mut forged = ctx.http.post(ctx.url(action)).body(form.clone());
        for (name, value) in CROSS_SITE {
            forged = forged.header(name, value);
        }
        let refused = forged.send().await.unwrap();
        assert_eq!(refused.status(), 403);
        assert!(refused.text().await.unwrap().contains("posted from another site"));
        // Another port on the same host is another application ("same-site" is not enough).
        let neighbour = ctx
            .http
            .post(ctx.url(action))
            .header("sec-fetch-site", "same-site")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(neighbour.status(), 403);
    }
    assert_eq!(ctx.status(&status_token).await["status"], "pending");

    // The page's own button, as Chromium posts it (`Origin: null` under no-referrer).
    let own = ctx
        .http
        .post(ctx.url("/open/approve"))
        .header("sec-fetch-site", "same-origin")
        .header("origin", "null")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
    assert_eq!(ctx.status(&status_token).await["status"], "succeeded");
}
