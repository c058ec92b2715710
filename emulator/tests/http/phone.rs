//! The simulated phone for approvals: the control API's list, the library's
//! `pending_approvals`, and the `/phone/{userId}` page with its Approve / Decline forms.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{assert_error, enrollment, start};

#[tokio::test]
async fn pending_approvals_through_the_control_api_and_the_library() {
    let ctx = start().await;
    let (user_id, phones) = ctx.user_with_phones("quin", 1).await;
    assert!(ctx.pending(&user_id).await.is_empty());
    assert!(ctx.emu.pending_approvals(&user_id).is_empty());

    let first = ctx
        .approval(json!({
            "username": "quin",
            "prompt": true,
            "message": "<html>Pay <b>CHF 12</b>?</html>",
            "notificationMessage": "Payment to shop.example",
        }))
        .await;
    let second = ctx.approval(json!({ "userId": user_id, "channel": "app", "authenticatorId": "*" })).await;
    // An enrollment is no approval.
    ctx.enroll(json!({ "username": "quin" })).await;

    let listed = ctx.pending(&user_id).await;
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["transactionId"], first["transactionId"]);
    assert_eq!(listed[0]["channel"], "push");
    assert_eq!(listed[0]["authenticatorId"], phones[0].as_str());
    assert_eq!(listed[0]["prompt"], true);
    assert_eq!(listed[0]["message"], "<html>Pay <b>CHF 12</b>?</html>");
    assert_eq!(listed[0]["notificationMessage"], "Payment to shop.example");
    assert_eq!(listed[1]["transactionId"], second["transactionId"]);
    assert_eq!(listed[1]["channel"], "app");
    assert_eq!(listed[1]["authenticatorId"], "*");
    assert_eq!(listed[1]["message"], Value::Null);

    let library = ctx.emu.pending_approvals(&user_id);
    assert_eq!(library.len(), 2);
    assert_eq!(library[0].transaction_id, first["transactionId"].as_str().unwrap());
    assert_eq!(library[0].channel, "push");
    assert_eq!(library[0].authenticator_id, phones[0]);
    assert!(library[0].prompt);
    assert_eq!(library[0].message.as_deref(), Some("<html>Pay <b>CHF 12</b>?</html>"));
    assert_eq!(library[0].notification_message.as_deref(), Some("Payment to shop.example"));
    assert_eq!(humantime::format_rfc3339_micros(library[0].created_at).to_string(), listed[0]["createdAt"]);
    assert_eq!(library[1].authenticator_id, "*");

    ctx.emu.deny(&library[1].transaction_id).unwrap();
    let listed = ctx.pending(&user_id).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["transactionId"], first["transactionId"]);

    for unknown in [uuid::Uuid::new_v4().to_string(), "not-a-uuid".to_owned()] {
        assert!(ctx.emu.pending_approvals(&unknown).is_empty());
        let response = ctx.control_request(Method::GET, &format!("/_emulator/users/{unknown}/approvals")).send().await;
        assert_error(response.unwrap(), 404).await;
    }
    let wrong_method = ctx.control_request(Method::POST, &format!("/_emulator/users/{user_id}/approvals")).send().await;
    assert_error(wrong_method.unwrap(), 405).await;
}

#[tokio::test]
async fn phone_page_shows_and_decides_approvals() {
    let ctx = start().await;
    let (user_id, _) = ctx.user_with_phones("rue", 1).await;
    let page_url = ctx.url(&format!("/phone/{user_id}"));

    let empty = ctx.http.get(&page_url).send().await.unwrap();
    assert_eq!(empty.status(), 200);
    assert!(empty.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert_eq!(empty.headers()["referrer-policy"], "no-referrer");
    let html = empty.text().await.unwrap();
    assert!(html.contains("No pending approvals"));
    assert!(html.contains("http-equiv=\"refresh\""), "reloads while waiting");
    assert!(html.contains("rue"));

    let push = ctx
        .approval(json!({
            "username": "rue",
            "prompt": true,
            "message": "<html>Log in to <strong>shop</strong>?<br/>Now</html>",
            "notificationMessage": "<script>alert(1)</script> wants you",
        }))
        .await;
    let app = ctx.approval(json!({ "username": "rue", "channel": "app", "message": "Tom & Jerry > all" })).await;
    let push_id = push["transactionId"].as_str().unwrap().to_owned();
    let app_id = app["transactionId"].as_str().unwrap().to_owned();

    let html = ctx.http.get(&page_url).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains("http-equiv=\"refresh\""), "no reload while something is shown");
    assert!(html.contains(&format!("id=\"approval-{push_id}\"")));
    assert!(html.contains(&format!("id=\"approval-{app_id}\"")));
    assert!(html.contains("Log in to <strong>shop</strong>?<br/>Now"), "HTML message rendered");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; wants you"), "notification escaped");
    assert!(!html.contains("<script"));
    assert!(html.contains("Tom &amp; Jerry &gt; all"), "plain message escaped");
    assert!(html.contains("<form method=\"post\" action=\"/phone/approve\">"));
    assert!(html.contains("<form method=\"post\" action=\"/phone/decline\">"));
    assert!(html.contains(&format!("name=\"transactionId\" value=\"{push_id}\"")));
    let app_link = app["appLinkUri"].as_str().unwrap();
    let dispatch = app_link.split("dispatchTokenResponse=").nth(1).unwrap();
    assert!(html.contains(&format!("href=\"/open?dispatchTokenResponse={dispatch}\"")), "links to the app link");
    assert!(!html.contains("http://") && !html.contains("https://"), "no external assets");

    let post = |action: &str, id: &str| {
        ctx.http.post(ctx.url(&format!("/phone/{action}"))).form(&[("transactionId", id.to_owned())]).send()
    };
    let approved = post("approve", &push_id).await.unwrap();
    assert_eq!(approved.status(), 200);
    let text = approved.text().await.unwrap();
    assert!(text.contains("Approved") && text.contains("succeeded"), "{text}");
    assert!(text.contains(&format!("href=\"/phone/{user_id}\"")));
    assert_eq!(ctx.status(push["statusToken"].as_str().unwrap()).await["status"], "succeeded");
    assert_eq!(post("decline", &push_id).await.unwrap().status(), 409);

    let declined = post("decline", &app_id).await.unwrap();
    assert_eq!(declined.status(), 200);
    assert!(declined.text().await.unwrap().contains("Declined"));
    assert_eq!(ctx.status(app["statusToken"].as_str().unwrap()).await["status"], "failed");
    let user = ctx.user(&user_id).await;
    assert!(user["lastLoginDateSuccess"].is_string() && user["lastLoginDateFailure"].is_string());
    assert!(ctx.http.get(&page_url).send().await.unwrap().text().await.unwrap().contains("No pending approvals"));

    // Refusals.
    assert_eq!(post("approve", &uuid::Uuid::new_v4().to_string()).await.unwrap().status(), 404);
    assert_eq!(post("approve", "garbage").await.unwrap().status(), 404);
    assert_eq!(post("approve", "").await.unwrap().status(), 400);
    let enrollment_answer = ctx.enroll(json!({ "username": "rue" })).await;
    let (enrollment_id, _) = enrollment(&enrollment_answer);
    assert_eq!(post("approve", &enrollment_id).await.unwrap().status(), 404, "only approvals");
    let json_body =
        ctx.http.post(ctx.url("/phone/approve")).json(&json!({ "transactionId": push_id })).send().await.unwrap();
    assert_eq!(json_body.status(), 415);
    assert_eq!(ctx.http.get(ctx.url("/phone/approve")).send().await.unwrap().status(), 405);
    for unknown in [uuid::Uuid::new_v4().to_string(), "garbage".to_owned()] {
        assert_eq!(ctx.http.get(ctx.url(&format!("/phone/{unknown}"))).send().await.unwrap().status(), 404);
    }
}

#[tokio::test]
async fn request_log_shows_the_new_paths_with_tokens_redacted() {
    let ctx = start().await;
    let (user_id, phones) = ctx.user_with_phones("sam", 1).await;
    let approval = ctx.approval(json!({ "username": "sam", "channel": "app", "message": "secret-ish text" })).await;
    ctx.http.get(approval["appLinkUri"].as_str().unwrap()).send().await.unwrap();
    ctx.http.get(ctx.url(&format!("/phone/{user_id}"))).send().await.unwrap();
    ctx.http.get(ctx.url("/api/v1/users?username=sam")).bearer_auth(ctx.key()).send().await.unwrap();
    let authenticator_path = format!("/api/v1/authenticators/{}", phones[0]);
    ctx.http
        .patch(ctx.url(&authenticator_path))
        .bearer_auth(ctx.key())
        .json(&json!({ "name": "x" }))
        .send()
        .await
        .unwrap();
    ctx.http.delete(ctx.url(&format!("/api/v1/users/{user_id}"))).bearer_auth(ctx.key()).send().await.unwrap();

    let records = ctx.emu.requests();
    let paths: Vec<(&str, &str, Option<u16>)> =
        records.iter().map(|r| (r.method.as_str(), r.path.as_str(), r.response_status)).collect();
    let phone_path = format!("/phone/{user_id}");
    let user_path = format!("/api/v1/users/{user_id}");
    for expected in [
        ("POST", "/api/v1/approval", Some(200)),
        ("GET", "/open?dispatchTokenResponse=<redacted>", Some(200)),
        ("GET", phone_path.as_str(), Some(200)),
        ("GET", "/api/v1/users?username=<redacted>", Some(200)),
        ("PATCH", authenticator_path.as_str(), Some(200)),
        ("DELETE", user_path.as_str(), Some(204)),
    ] {
        assert!(paths.contains(&expected), "{expected:?} not in {paths:?}");
    }
    let dump = serde_json::to_string(&records).unwrap();
    assert!(!dump.contains(&ctx.key()));
    assert!(!dump.contains(approval["statusToken"].as_str().unwrap()));
    assert!(!dump.contains("secret-ish"), "bodies are not logged");
    let dispatch = approval["appLinkUri"].as_str().unwrap().split("dispatchTokenResponse=").nth(1).unwrap();
    assert!(!dump.contains(dispatch));
}

#[tokio::test]
async fn the_phone_buttons_refuse_a_form_posted_from_another_site() {
    let ctx = start().await;
    ctx.user_with_phones("yan", 1).await;
    let push = ctx.approval(json!({ "username": "yan" })).await;
    let id = push["transactionId"].as_str().unwrap();
    let status_token = push["statusToken"].as_str().unwrap();

    for action in ["/phone/approve", "/phone/decline"] {
        for (site, origin) in [("cross-site", "https://attacker.example"), ("same-site", "http://127.0.0.1:1")] {
            let forged = ctx
                .http
                .post(ctx.url(action))
                .header("origin", origin)
                .header("sec-fetch-site", site)
                .form(&[("transactionId", id)])
                .send()
                .await
                .unwrap();
            assert_eq!(forged.status(), 403, "{action} {site}");
            assert!(forged.text().await.unwrap().contains("posted from another site"));
        }
        // An older browser without Sec-Fetch-Site: the Origin decides.
        let foreign_origin = ctx
            .http
            .post(ctx.url(action))
            .header("origin", "https://attacker.example")
            .form(&[("transactionId", id)])
            .send()
            .await
            .unwrap();
        assert_eq!(foreign_origin.status(), 403);
    }
    assert_eq!(ctx.status(status_token).await["status"], "pending");

    let host = ctx.url("").trim_start_matches("http://").to_owned();
    let own = ctx
        .http
        .post(ctx.url("/phone/approve"))
        .header("origin", format!("http://{host}"))
        .form(&[("transactionId", id)])
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
    assert_eq!(ctx.status(status_token).await["status"], "succeeded");
}
