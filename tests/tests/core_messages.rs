//! Every error kind, produced by a real call, reads as a sentence: what failed, where (the
//! endpoint and HTTP status), what the server said, what to do — and shows no secret.

#[path = "support/tls.rs"]
#[allow(dead_code)]
mod tls;

use std::time::Duration;

use authcloud::{
    CancellationToken, Client, EnrollRequest, Error, ErrorKind, NoObserver, RetryPolicy, VerifyOptions, WaitOptions,
};
use authcloud_emulator::FaultKind;
use authcloud_tests::{builder, emulator, fault, paths, server_client};

/// Checks one error's message; returns it for further checks.
fn check(error: &Error, kind: ErrorKind, starts: &str, contains: &[&str], secrets: &[&str]) -> String {
    let message = error.to_string();
    assert_eq!(error.kind(), kind, "{message}");
    assert!(message.starts_with(starts), "{kind:?}: {message}");
    for part in contains {
        assert!(message.contains(part), "{kind:?} lacks {part:?}: {message}");
    }
    for secret in secrets {
        assert!(!message.contains(secret), "{kind:?} shows a secret: {message}");
        assert!(!format!("{error:?}").contains(secret), "{kind:?}'s Debug shows a secret");
    }
    assert!(!message.chars().any(char::is_control), "{message:?}");
    eprintln!("{kind:?}: {message}");
    message
}

#[tokio::test]
async fn every_kind_reads_as_a_sentence_without_secrets() {
    let emu = emulator().await;
    let client = server_client(&emu);
    let key = emu.access_key().to_owned();
    let enrolled = client.enroll(&EnrollRequest::username("messages")).await.unwrap();
    let token = enrolled.enrollment.status_token.clone();
    let secrets = [key.as_str(), token.expose()];
    let request = EnrollRequest::username("messages");
    let enroll = || client.enroll(&request);

    // configuration: refused before any request, saying what is wrong.
    let e = Client::builder().instance("Not A Label").build().unwrap_err();
    check(&e, ErrorKind::Configuration, "invalid client configuration: instance name", &["DNS label"], &[]);
    let device = builder(&emu).intent_token("intent-token-abcdef123456").build().unwrap();
    let e = device.introspect(&token).await.unwrap_err();
    check(&e, ErrorKind::Configuration, "`introspect` needs the access key", &["from your backend"], &secrets);

    // invalid_input
    let e = client.enroll(&EnrollRequest::username("has space")).await.unwrap_err();
    check(&e, ErrorKind::InvalidInput, "invalid username: character", &["nothing was sent"], &secrets);

    // network: nobody listens.
    let nowhere = Client::builder()
        .base_url("http://127.0.0.1:9")
        .access_key(key.as_str())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let e = nowhere.status(&token).await.unwrap_err();
    check(&e, ErrorKind::Network, "network error on POST /api/v1/status: ", &["check the network"], &secrets);

    // tls: a certificate this client does not trust.
    let front = tls::start(emu.local_addr()).await;
    let untrusting = Client::builder().base_url(&front.base_url).access_key(key.as_str()).build().unwrap();
    let e = untrusting.enroll(&EnrollRequest::username("tls")).await.unwrap_err();
    check(&e, ErrorKind::Tls, "TLS handshake for POST /api/v1/users/enroll failed: ", &["trusted"], &secrets);

    // timeout
    let impatient = builder(&emu).access_key(key.as_str()).request_timeout(Duration::from_millis(200)).build().unwrap();
    fault(&emu, paths::ENROLL, 1, FaultKind::Delay { delay_ms: 1000 });
    let e = impatient.enroll(&EnrollRequest::username("slow")).await.unwrap_err();
    check(
        &e,
        ErrorKind::Timeout,
        "POST /api/v1/users/enroll timed out after 200ms",
        &["may still have reached"],
        &secrets,
    );

    // unauthorized: 401 and 403 name the status, the endpoint and what to check.
    let wrong = builder(&emu).access_key("wrong-key-0123456789abcdef").build().unwrap();
    let e = wrong.enroll(&EnrollRequest::username("u")).await.unwrap_err();
    check(
        &e,
        ErrorKind::Unauthorized,
        "401 Unauthorized from POST /api/v1/users/enroll",
        &["access key or intent token was refused", "check AUTHCLOUD_ACCESS_KEY"],
        &["wrong-key-0123456789abcdef", key.as_str()],
    );
    fault(&emu, paths::ENROLL, 1, FaultKind::Status { status: 403, retry_after: None });
    let e = enroll().await.unwrap_err();
    check(&e, ErrorKind::Unauthorized, "403 Forbidden from POST /api/v1/users/enroll", &["may not do this"], &secrets);

    // not_found
    let e = client.enroll(&EnrollRequest::user_id("7e16ba00-92e2-4fcb-b30e-1af8fdc843aa")).await.unwrap_err();
    check(&e, ErrorKind::NotFound, "404 Not Found from POST /api/v1/users/enroll", &["no such user"], &secrets);

    // rate_limited, server, api: with the server's own (sanitised) words.
    fault(&emu, paths::ENROLL, 1, FaultKind::Status { status: 429, retry_after: Some(120) });
    let e = enroll().await.unwrap_err();
    check(
        &e,
        ErrorKind::RateLimited,
        "429 Too Many Requests from POST /api/v1/users/enroll",
        &["retry after 2m 0s"],
        &secrets,
    );
    fault(&emu, paths::ENROLL, 1, FaultKind::Status { status: 500, retry_after: None });
    let e = enroll().await.unwrap_err();
    check(
        &e,
        ErrorKind::Server,
        "500 Internal Server Error from POST /api/v1/users/enroll: fault injected by the emulator",
        &["retry later"],
        &secrets,
    );
    let body = serde_json::json!({"error": "Bad Request", "message": "channel is not supported", "status": 400});
    fault(&emu, paths::ENROLL, 1, FaultKind::Json { status: 400, body });
    let e = enroll().await.unwrap_err();
    check(
        &e,
        ErrorKind::Api,
        "400 Bad Request from POST /api/v1/users/enroll: channel is not supported — ",
        &["check its arguments"],
        &secrets,
    );

    // malformed_response, response_too_large
    fault(&emu, paths::STATUS, 1, FaultKind::Garbage);
    let e = client.status(&token).await.unwrap_err();
    check(
        &e,
        ErrorKind::MalformedResponse,
        "unexpected answer from POST /api/v1/status: status answer is not JSON",
        &[],
        &secrets,
    );
    fault(&emu, paths::STATUS, 1, FaultKind::Oversized { size_bytes: 2 * 1024 * 1024 });
    let e = client.status(&token).await.unwrap_err();
    check(
        &e,
        ErrorKind::ResponseTooLarge,
        "the answer of POST /api/v1/status is larger than the 1048576-byte limit",
        &[],
        &secrets,
    );

    // wait_timed_out, cancelled
    let short = WaitOptions {
        poll_interval: Duration::from_millis(100),
        timeout: Duration::from_millis(350),
        ..Default::default()
    };
    let e = client.wait_for_completion(&token, &short, &NoObserver).await.unwrap_err();
    check(
        &e,
        ErrorKind::WaitTimedOut,
        "gave up waiting after 3",
        &["(last status: pending)", "did not act in time"],
        &secrets,
    );
    let cancel = CancellationToken::new();
    cancel.cancel();
    let cancelled = WaitOptions { cancel, ..Default::default() };
    let e = client.wait_for_completion(&token, &cancelled, &NoObserver).await.unwrap_err();
    check(&e, ErrorKind::Cancelled, "cancelled by the caller", &[], &secrets);

    // not_verified names the check.
    let e = client.verify(&token, &VerifyOptions::default()).await.unwrap_err();
    check(
        &e,
        ErrorKind::NotVerified,
        "not verified (status_succeeded): status is `pending`",
        &["do not trust"],
        &secrets,
    );

    // A stable kind name and transience for each.
    assert_eq!(ErrorKind::RateLimited.as_str(), "rate_limited");
    assert!(ErrorKind::Server.is_transient() && !ErrorKind::Api.is_transient());
}
