//! Never lose an enrollment, and the smaller promises around it: the guide's literal
//! bodies, lenient parsing, checked deep links, bound verification, one deadline per
//! call, sanitised server text, loopback-only plain HTTP, no redirects, `iat` units.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use authcloud::{
    Client, DeepLinkProblem, EnrollRequest, Error, ErrorKind, NoObserver, ProxySetting, RetryPolicy, SecretString,
    TransactionStatus, UserStatus, VerificationFailure, VerifyOptions, WaitOptions,
};
use authcloud_emulator::{EmulatorConfig, FaultKind, IatUnit};
use authcloud_tests::{builder, emulator, emulator_with, fault, guide_body, paths, raw, requests_to, server_client};
use serde_json::json;

fn enroll_request() -> EnrollRequest {
    EnrollRequest::username("u12345")
}

#[tokio::test]
async fn the_guides_literal_enroll_answer_keeps_the_enrollment() {
    let emu = emulator().await;
    let client = server_client(&emu);
    raw(&emu, paths::ENROLL, 201, &guide_body("enroll"));
    let enrolled = client.enroll(&enroll_request()).await.expect("the guide's own example must not fail enroll");
    assert_eq!(enrolled.user.user_id, "7e16ba00-92e2-4fcb-b30e-1af8fdc843aa");
    assert_eq!(enrolled.user.username.as_deref(), Some("u12345"));
    assert_eq!(enrolled.user.status, Some(UserStatus::New));
    assert!(enrolled.user.authenticators.is_empty());
    let enrollment = &enrolled.enrollment;
    assert_eq!(enrollment.transaction_id, "67cae36e-e3d5-4d67-9aa6-ab7ae3050576");
    assert_eq!(enrollment.status_token.expose(), "eyJhbGciO...PxOZZYow");
    assert_eq!(enrollment.qr_code.size, Some(300));
    assert_eq!(enrollment.qr_code.data_uri, "...YII", "data_uri always works, as sent");
    // The QR code is decoded when asked, with a typed error.
    let qr = enrollment.qr_code.png_bytes().unwrap_err();
    assert_eq!(qr.kind(), ErrorKind::MalformedResponse);
    assert!(qr.to_string().contains("QR code"), "{qr}");
    // The deep link's host is the guide's `{instance}` placeholder: kept, but flagged.
    let link = &enrollment.app_link_uri;
    assert_eq!(
        link.as_unchecked_str(),
        "https://{instance}.mauth.nevis.cloud/open?dispatchTokenResponse=eyJub...IxIn0"
    );
    assert_eq!(link.problem(), Some(&DeepLinkProblem::HostNotADnsName));
    assert_eq!(link.href().unwrap_err().kind(), ErrorKind::MalformedResponse);
    // Exactly one request: nothing was re-sent.
    assert_eq!(requests_to(&emu, paths::ENROLL).len(), 1);
}

#[tokio::test]
async fn the_guides_literal_status_and_introspect_answers_parse() {
    let emu = emulator().await;
    let client = server_client(&emu);
    raw(&emu, paths::STATUS, 200, &guide_body("status"));
    let status = client.status(&SecretString::new("any")).await.unwrap();
    assert_eq!(status.status, TransactionStatus::Pending);
    assert_eq!(status.transaction_id.as_deref(), Some("b7d44592-91f3-4f4b-9e37-202a3061edc3"));
    assert_eq!(status.user_id.as_deref(), Some("7e16ba00-92e2-4fcb-b30e-1af8fdc843aa"));
    assert_eq!(status.username.as_deref(), Some("Userxyz123"));
    assert_eq!(status.token.as_ref().map(SecretString::expose), Some("eyJhb...Fl9bpEXGGw"));
    assert_eq!(status.created_at.as_deref(), Some("2020-10-09T12:52:48Z"));
    assert_eq!(status.last_updated_at.as_deref(), Some("2020-10-09T12:52:48Z"));

    raw(&emu, paths::INTROSPECT, 200, &guide_body("introspect"));
    let introspection = client.introspect(&SecretString::new("any")).await.unwrap();
    assert!(introspection.active);
    assert_eq!(introspection.iat, Some(1_642_436_165_000));
    assert_eq!(introspection.issued_at(), Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_642_436_165)));
    assert_eq!(introspection.sub.as_deref(), Some("c8edb1d1-6dac-470f-b2fb-c25277a5c5b6"));
    assert_eq!(introspection.aud, ["api"]);
    assert_eq!(introspection.iss.as_deref(), Some("https://{instance}.mauth.nevis.cloud/"));
}

#[tokio::test]
async fn odd_optional_fields_never_fail_an_answer() {
    let emu = emulator().await;
    let client = server_client(&emu);
    let body = json!({
        "userId": "7e16ba00-92e2-4fcb-b30e-1af8fdc843aa", "status": 1, "authenticators": null,
        "enrollment": {"transactionId": 42, "statusToken": "tok",
            "qrCode": {"type": ["image/png"], "size": "300", "dataUri": null}, "appLinkUri": {"nested": true}}
    });
    fault(&emu, paths::ENROLL, 1, FaultKind::Json { status: 201, body });
    let enrolled = client.enroll(&enroll_request()).await.unwrap();
    assert_eq!(enrolled.enrollment.transaction_id, "42");
    assert_eq!(enrolled.enrollment.qr_code.size, Some(300));
    assert_eq!(enrolled.enrollment.qr_code.data_uri, "");
    assert_eq!(enrolled.enrollment.app_link_uri.problem(), Some(&DeepLinkProblem::Missing));
    assert!(enrolled.user.authenticators.is_empty());

    for (size, expected) in
        [(json!(300.0), Some(300)), (json!(299.7), Some(299)), (json!("big"), None), (json!(-1), None)]
    {
        let body =
            json!({"userId": "u", "enrollment": {"transactionId": "t", "statusToken": "s", "qrCode": {"size": size}}});
        fault(&emu, paths::ENROLL, 1, FaultKind::Json { status: 201, body });
        assert_eq!(client.enroll(&enroll_request()).await.unwrap().enrollment.qr_code.size, expected);
    }

    for (body, iat, aud) in [
        (json!({"active": true, "iat": 1642436165.5, "aud": ["api", "web"]}), Some(1_642_436_165), vec!["api", "web"]),
        (json!({"active": true, "iat": "1642436165000", "aud": "api"}), Some(1_642_436_165_000), vec!["api"]),
        (json!({"active": false, "iat": null, "aud": null}), None, vec![]),
    ] {
        fault(&emu, paths::INTROSPECT, 1, FaultKind::Json { status: 200, body });
        let i = client.introspect(&SecretString::new("t")).await.unwrap();
        assert_eq!((i.iat, i.aud), (iat, aud.into_iter().map(String::from).collect::<Vec<_>>()));
    }
    // What the operation cannot do without still fails, naming the field.
    let body = json!({"userId": "u", "enrollment": {"transactionId": "t"}});
    fault(&emu, paths::ENROLL, 1, FaultKind::Json { status: 201, body });
    let err = client.enroll(&enroll_request()).await.unwrap_err();
    assert!(err.to_string().contains("enrollment.statusToken"), "{err}");
}

#[tokio::test]
async fn an_unsafe_deep_link_is_kept_flagged_not_fatal() {
    let emu = emulator().await;
    let client = server_client(&emu);
    for (link, problem) in [
        ("javascript://x/%0Aalert(document.cookie)", DeepLinkProblem::UnsafeScheme { scheme: "javascript".into() }),
        ("http://phish.example/open?dispatchTokenResponse=x", DeepLinkProblem::PlainHttpToRemoteHost),
        ("data:text/html,<script>alert(1)</script>", DeepLinkProblem::NotAUrl),
    ] {
        let body = json!({"userId": "u", "enrollment": {"transactionId": "t", "statusToken": "s", "appLinkUri": link}});
        fault(&emu, paths::ENROLL, 1, FaultKind::Json { status: 201, body });
        let enrolled = client.enroll(&enroll_request()).await.unwrap();
        let deep_link = &enrolled.enrollment.app_link_uri;
        assert!(!deep_link.is_valid(), "{link}");
        assert_eq!(deep_link.problem(), Some(&problem));
        assert_eq!(deep_link.as_unchecked_str(), link);
        assert!(!format!("{deep_link:?}").contains("dispatchTokenResponse=x"), "Debug hides the query");
    }
    // The emulator's own links are fine.
    let enrolled = client.enroll(&enroll_request()).await.unwrap();
    assert!(enrolled.enrollment.app_link_uri.href().unwrap().starts_with(emu.base_url()));
}

async fn approved_enrollment(
    emu: &authcloud_emulator::Emulator,
    client: &Client,
    name: &str,
) -> authcloud::EnrollResult {
    let enrolled = client.enroll(&EnrollRequest::username(name)).await.unwrap();
    emu.approve(&enrolled.enrollment.transaction_id).unwrap();
    enrolled
}

#[tokio::test]
async fn verify_binds_the_operation_to_the_callers_session() {
    let emu = emulator().await;
    let client = server_client(&emu);
    let mine = approved_enrollment(&emu, &client, "mine").await;
    let theirs = approved_enrollment(&emu, &client, "theirs").await;
    let token = &theirs.enrollment.status_token;

    // Someone posts another user's status token: refused before introspect.
    let introspects = requests_to(&emu, paths::INTROSPECT).len();
    let bound = VerifyOptions::default().expect_user(&mine.user.user_id);
    match client.verify(token, &bound).await {
        Err(Error::NotVerified { reason: reason @ VerificationFailure::UserMismatch { .. } }) => {
            assert_eq!(reason.check().name(), "expected_user");
        }
        other => panic!("{other:?}"),
    }
    let bound = VerifyOptions::default().expect_transaction(&mine.enrollment.transaction_id);
    let err = client.verify(token, &bound).await.unwrap_err();
    assert!(err.to_string().starts_with("not verified (expected_transaction):"), "{err}");
    assert_eq!(requests_to(&emu, paths::INTROSPECT).len(), introspects, "no introspect for a foreign token");

    // Bound checks come first: a pending operation of someone else is reported as foreign,
    // not as "not succeeded".
    let pending = client.enroll(&EnrollRequest::username("pending")).await.unwrap();
    let bound = VerifyOptions::default().expect_transaction(&mine.enrollment.transaction_id);
    let err = client.verify(&pending.enrollment.status_token, &bound).await.unwrap_err();
    assert!(err.to_string().starts_with("not verified (expected_transaction):"), "{err}");
    let err = client.verify(&SecretString::new("garbage"), &bound).await.unwrap_err();
    assert!(err.to_string().starts_with("not verified (expected_transaction):"), "{err}");

    // Their own session's binding verifies.
    let bound = VerifyOptions::default()
        .expect_user(&theirs.user.user_id)
        .expect_transaction(&theirs.enrollment.transaction_id);
    assert_eq!(client.verify(token, &bound).await.unwrap().user_id, theirs.user.user_id);
}

#[tokio::test]
async fn the_subject_check_is_named_and_can_be_turned_off() {
    let emu = emulator().await;
    let client = server_client(&emu);
    let enrolled = approved_enrollment(&emu, &client, "subject").await;
    let token = &enrolled.enrollment.status_token;
    let other_sub = json!({"active": true, "sub": "someone-else", "aud": "api"});
    fault(&emu, paths::INTROSPECT, 1, FaultKind::Json { status: 200, body: other_sub.clone() });
    let err = client.verify(token, &VerifyOptions::default()).await.unwrap_err();
    assert!(err.to_string().starts_with("not verified (subject_matches_user):"), "{err}");

    fault(&emu, paths::INTROSPECT, 1, FaultKind::Json { status: 200, body: other_sub });
    let relaxed = VerifyOptions::default().check_subject(false).expect_user(&enrolled.user.user_id);
    let verified = client.verify(token, &relaxed).await.unwrap();
    assert_eq!(verified.user_id, enrolled.user.user_id);
    assert_eq!(verified.introspection.sub.as_deref(), Some("someone-else"));
}

#[tokio::test]
async fn one_deadline_covers_every_attempt_of_a_call() {
    let emu = emulator().await;
    let client = builder(&emu)
        .access_key(emu.access_key())
        .request_timeout(Duration::from_millis(300))
        .call_timeout(Duration::from_millis(700))
        .build()
        .unwrap();
    let token = server_client(&emu).enroll(&enroll_request()).await.unwrap().enrollment.status_token;
    fault(&emu, paths::STATUS, 3, FaultKind::Delay { delay_ms: 2000 });
    let started = Instant::now();
    let err = client.status(&token).await.unwrap_err();
    let elapsed = started.elapsed();
    match err {
        Error::Timeout { after, .. } => assert_eq!(after, Duration::from_millis(700)),
        other => panic!("{other:?}"),
    }
    assert!(elapsed >= Duration::from_millis(650) && elapsed < Duration::from_millis(950), "{elapsed:?}");
    assert_eq!(requests_to(&emu, paths::STATUS).len(), 3, "the third attempt got what was left");
}

#[tokio::test]
async fn a_retry_after_beyond_the_waits_deadline_ends_it_at_once() {
    let emu = emulator().await;
    let client = server_client(&emu);
    let token = client.enroll(&enroll_request()).await.unwrap().enrollment.status_token;
    fault(&emu, paths::STATUS, 1, FaultKind::Status { status: 429, retry_after: Some(30) });
    let options = WaitOptions { timeout: Duration::from_secs(3), ..Default::default() };
    let started = Instant::now();
    match client.wait_for_completion(&token, &options, &NoObserver).await {
        Err(Error::RateLimited { retry_after, .. }) => assert_eq!(retry_after, Some(Duration::from_secs(30))),
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(1), "did not sit out the deadline");

    // Polling faster than 100 ms is refused before any request.
    let too_fast = WaitOptions { poll_interval: Duration::from_millis(50), ..Default::default() };
    let err = client.wait_for_completion(&token, &too_fast, &NoObserver).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn server_text_is_sanitised_before_it_reaches_a_message() {
    let emu = emulator().await;
    let client = server_client(&emu);
    let hostile = format!("\u{1b}[2J\u{1b}]0;pwned\u{7}bad\u{202e}input\r\n{}", "A".repeat(5000));
    let body = json!({"error": "Bad Request", "message": hostile, "status": 400});
    fault(&emu, paths::ENROLL, 1, FaultKind::Json { status: 400, body });
    let message = client.enroll(&enroll_request()).await.unwrap_err().to_string();
    assert!(!message.chars().any(|c| c.is_control() || c == '\u{202e}'), "{message:?}");
    assert!(message.contains("badinput"), "{message:?}");
    // The server's part is capped; the sentence around it adds a bounded amount.
    assert!(message.chars().count() <= authcloud::MAX_SERVER_TEXT_CHARS + 200, "{}", message.len());

    // A proxy's non-JSON page, and an unknown status value, likewise.
    raw(&emu, paths::ENROLL, 502, "<h1>\u{1b}[31mgateway\u{1b}[0m down</h1>\n\u{7}");
    let message = client.enroll(&enroll_request()).await.unwrap_err().to_string();
    assert!(message.contains("<h1>gateway down</h1>") && !message.chars().any(char::is_control), "{message:?}");
    raw(&emu, paths::STATUS, 200, "{\"status\": \"\\u001b[31mweird\\u0007\"}");
    let status = client.status(&SecretString::new("t")).await.unwrap();
    assert_eq!(status.status, TransactionStatus::Other("weird".into()));
}

/// A TCP listener that only counts connections (and never answers).
async fn counting_listener() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    (addr, count)
}

#[tokio::test]
async fn redirects_are_never_followed() {
    let emu = emulator().await;
    let client = server_client(&emu);
    let (elsewhere, connections) = counting_listener().await;
    for (status, path) in [(302, paths::ENROLL), (307, paths::INTROSPECT), (308, paths::STATUS)] {
        let location = format!("http://{elsewhere}{path}?stolen=1");
        fault(&emu, path, 1, FaultKind::Redirect { status, location });
        let result = match path {
            paths::ENROLL => client.enroll(&enroll_request()).await.map(drop),
            paths::INTROSPECT => client.introspect(&SecretString::new("t")).await.map(drop),
            _ => client.status(&SecretString::new("t")).await.map(drop),
        };
        let err = result.unwrap_err();
        assert_eq!(err.http_status(), Some(status));
        let message = err.to_string();
        assert!(message.contains(&format!("redirect to http://{elsewhere} not followed")), "{message}");
        assert!(!message.contains("stolen"), "the target's path and query stay out: {message}");
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(connections.load(Ordering::SeqCst), 0, "nothing, and no Bearer, went to the other origin");
}

#[tokio::test]
async fn an_explicit_proxy_is_bypassed_for_loopback() {
    let emu = emulator().await;
    let (proxy, connections) = counting_listener().await;
    let client = builder(&emu)
        .access_key(emu.access_key())
        .proxy(ProxySetting::Url(format!("http://{proxy}").into()))
        .connect_timeout(Duration::from_millis(500))
        .request_timeout(Duration::from_millis(800))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    client.enroll(&enroll_request()).await.expect("straight to the loopback emulator");
    assert_eq!(connections.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn introspect_timestamps_follow_the_guide_by_default_and_seconds_on_request() {
    for (unit, is_millis) in [(IatUnit::Milliseconds, true), (IatUnit::Seconds, false)] {
        let emu = emulator_with(EmulatorConfig { iat_unit: unit, ..Default::default() }).await;
        let client = server_client(&emu);
        let enrolled = approved_enrollment(&emu, &client, "clock").await;
        let verified = client.verify(&enrolled.enrollment.status_token, &VerifyOptions::default()).await.unwrap();
        let iat = verified.introspection.iat.unwrap();
        assert_eq!(iat > authcloud::EPOCH_MILLIS_THRESHOLD, is_millis, "{unit:?}: {iat}");
        let issued = verified.introspection.issued_at().unwrap();
        let age = SystemTime::now().duration_since(issued).unwrap_or_default();
        assert!(age < Duration::from_secs(60), "{unit:?}: issued {age:?} ago");
    }
}
