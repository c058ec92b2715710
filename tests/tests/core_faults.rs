//! Every fault kind on every endpoint ends in a correct retry or the right typed error,
//! within its timeout — and a request with effects is never sent twice.

use std::time::{Duration, Instant};

use authcloud::{Client, EnrollRequest, Error, ErrorKind, IntentRequest, SecretString, UserRef};
use authcloud_emulator::{Emulator, FaultKind};
use authcloud_tests::{builder, emulator, fault, paths, requests_to, server_client};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Enroll,
    Status,
    Introspect,
    Intent,
}

const ALL: [Op; 4] = [Op::Enroll, Op::Status, Op::Introspect, Op::Intent];

impl Op {
    fn path(self) -> &'static str {
        match self {
            Op::Enroll => paths::ENROLL,
            Op::Status => paths::STATUS,
            Op::Introspect => paths::INTROSPECT,
            Op::Intent => paths::INTENT,
        }
    }

    /// Safe to repeat, so retried after timeouts, resets and 502-504. Introspect is not:
    /// its transaction token may be single-use.
    fn idempotent(self) -> bool {
        matches!(self, Op::Status)
    }
}

struct Bench {
    emu: Emulator,
    client: Client,
    status_token: SecretString,
}

impl Bench {
    async fn new() -> Self {
        Self::with_client(|b| b).await
    }

    async fn with_client(tune: impl FnOnce(authcloud::ClientBuilder) -> authcloud::ClientBuilder) -> Self {
        let emu = emulator().await;
        let status_token =
            server_client(&emu).enroll(&EnrollRequest::username("faulty")).await.unwrap().enrollment.status_token;
        let client = tune(builder(&emu).access_key(emu.access_key())).build().unwrap();
        Self { emu, client, status_token }
    }

    /// Runs `op` once (with the client's retries), bounded so a hang fails the test.
    async fn run(&self, op: Op) -> Result<(), Error> {
        let call = async {
            match op {
                Op::Enroll => self.client.enroll(&EnrollRequest::username("faulty")).await.map(drop),
                Op::Status => self.client.status(&self.status_token).await.map(drop),
                Op::Introspect => self.client.introspect(&self.status_token).await.map(drop),
                Op::Intent => self
                    .client
                    .create_intent(&IntentRequest::enroll(UserRef::Username("faulty".into())))
                    .await
                    .map(drop),
            }
        };
        tokio::time::timeout(Duration::from_secs(15), call).await.expect("no hang")
    }

    /// Injects `kind` once on `op`, runs it, and returns the result and how many requests
    /// reached the server.
    async fn with_fault(&self, op: Op, count: u32, kind: FaultKind) -> (Result<(), Error>, usize) {
        let before = requests_to(&self.emu, op.path()).len();
        fault(&self.emu, op.path(), count, kind);
        let result = self.run(op).await;
        let sent = requests_to(&self.emu, op.path()).len() - before;
        // Every injected fault must have been met, or the next case would inherit it.
        assert!(self.emu.pending_faults().is_empty(), "{op:?}: fault not consumed");
        (result, sent)
    }
}

fn kind_of(result: &Result<(), Error>) -> Option<ErrorKind> {
    result.as_ref().err().map(Error::kind)
}

#[tokio::test]
async fn service_unavailable_is_retried_everywhere() {
    // 503 says "not processed, come back later": re-sending cannot repeat an effect.
    let bench = Bench::new().await;
    for op in ALL {
        let (result, sent) = bench.with_fault(op, 1, FaultKind::Status { status: 503, retry_after: None }).await;
        assert!(result.is_ok(), "{op:?}: {result:?}");
        assert_eq!(sent, 2, "{op:?}");
    }
}

#[tokio::test]
async fn bad_gateway_is_retried_only_where_safe() {
    let bad_gateway = FaultKind::Status { status: 502, retry_after: None };
    assert_retried_only_where_safe(&Bench::new().await, bad_gateway, ErrorKind::Server).await;
}

#[tokio::test]
async fn retry_after_on_503_is_honoured_where_retrying_is_safe() {
    let bench = Bench::new().await;
    let started = Instant::now();
    let (result, sent) = bench.with_fault(Op::Status, 1, FaultKind::Status { status: 503, retry_after: Some(1) }).await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(sent, 2);
    assert!(started.elapsed() >= Duration::from_millis(950), "Retry-After ignored");
    // Beyond the policy's cap the call ends at once, carrying the server's delay.
    let (result, sent) =
        bench.with_fault(Op::Status, 1, FaultKind::Status { status: 503, retry_after: Some(600) }).await;
    assert_eq!(result.unwrap_err().retry_after(), Some(Duration::from_secs(600)));
    assert_eq!(sent, 1);
}

#[tokio::test]
async fn internal_server_error_is_never_retried() {
    let bench = Bench::new().await;
    for op in ALL {
        let (result, sent) = bench.with_fault(op, 1, FaultKind::Status { status: 500, retry_after: None }).await;
        assert_eq!(kind_of(&result), Some(ErrorKind::Server), "{op:?}");
        assert_eq!(result.unwrap_err().http_status(), Some(500));
        assert_eq!(sent, 1, "{op:?}");
    }
}

#[tokio::test]
async fn other_statuses_map_to_their_kinds() {
    let bench = Bench::new().await;
    for (status, kind) in [
        (401, ErrorKind::Unauthorized),
        (403, ErrorKind::Unauthorized),
        (404, ErrorKind::NotFound),
        (400, ErrorKind::Api),
        (409, ErrorKind::Api),
        (502, ErrorKind::Server),
    ] {
        for op in [Op::Enroll, Op::Status] {
            let count = if op.idempotent() && status == 502 { 3 } else { 1 };
            let (result, sent) = bench.with_fault(op, count, FaultKind::Status { status, retry_after: None }).await;
            assert_eq!(kind_of(&result), Some(kind), "{op:?} {status}");
            assert_eq!(sent as u32, count, "{op:?} {status}");
        }
    }
}

#[tokio::test]
async fn rate_limits_are_retried_everywhere_honouring_retry_after() {
    let bench = Bench::new().await;
    for op in ALL {
        let started = Instant::now();
        let (result, sent) = bench.with_fault(op, 1, FaultKind::Status { status: 429, retry_after: Some(1) }).await;
        assert!(result.is_ok(), "{op:?}: {result:?}");
        assert_eq!(sent, 2, "{op:?}: 429 means the request was refused, so re-sending is safe");
        assert!(started.elapsed() >= Duration::from_millis(950), "{op:?} ignored Retry-After");
    }
    // Persistent 429: give up after the policy's attempts, carrying the server's delay.
    let (result, sent) = bench.with_fault(Op::Status, 3, FaultKind::Status { status: 429, retry_after: Some(0) }).await;
    match result {
        Err(Error::RateLimited { retry_after, .. }) => assert_eq!(retry_after, Some(Duration::ZERO)),
        other => panic!("{other:?}"),
    }
    assert_eq!(sent, 3);
    // A Retry-After beyond the policy's cap ends the call at once.
    let (result, sent) =
        bench.with_fault(Op::Enroll, 1, FaultKind::Status { status: 429, retry_after: Some(60) }).await;
    match result {
        Err(Error::RateLimited { retry_after, .. }) => assert_eq!(retry_after, Some(Duration::from_secs(60))),
        other => panic!("{other:?}"),
    }
    assert_eq!(sent, 1);
}

#[tokio::test]
async fn garbage_bodies_are_malformed_responses() {
    let bench = Bench::new().await;
    for op in ALL {
        let (result, sent) = bench.with_fault(op, 1, FaultKind::Garbage).await;
        assert_eq!(kind_of(&result), Some(ErrorKind::MalformedResponse), "{op:?}");
        assert_eq!(sent, 1, "{op:?}");
    }
}

/// Idempotent calls recover with one retry; calls with effects fail with `failure` after
/// exactly one request.
async fn assert_retried_only_where_safe(bench: &Bench, kind: FaultKind, failure: ErrorKind) {
    for op in ALL {
        let (result, sent) = bench.with_fault(op, 1, kind.clone()).await;
        if op.idempotent() {
            assert!(result.is_ok(), "{op:?}: {result:?}");
            assert_eq!(sent, 2, "{op:?}");
        } else {
            assert_eq!(kind_of(&result), Some(failure), "{op:?}: {result:?}");
            assert_eq!(sent, 1, "{op:?} must not be re-sent");
        }
    }
}

#[tokio::test]
async fn truncated_bodies_are_retried_only_where_safe() {
    assert_retried_only_where_safe(&Bench::new().await, FaultKind::Truncated, ErrorKind::Network).await;
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let bench = Bench::new().await;
    for op in ALL {
        let (result, sent) = bench.with_fault(op, 1, FaultKind::Oversized { size_bytes: 8 * 1024 * 1024 }).await;
        match &result {
            Err(Error::ResponseTooLarge { limit, .. }) => assert_eq!(*limit, 1024 * 1024),
            other => panic!("{op:?}: {other:?}"),
        }
        assert_eq!(sent, 1, "{op:?}");
    }
    // A lower configured cap applies to normal answers too.
    let small = Bench::with_client(|b| b.max_response_bytes(64)).await;
    assert_eq!(kind_of(&small.run(Op::Enroll).await), Some(ErrorKind::ResponseTooLarge));
}

#[tokio::test]
async fn slow_answers_time_out_and_effects_are_not_repeated() {
    let bench = Bench::with_client(|b| b.request_timeout(Duration::from_millis(300))).await;
    for op in ALL {
        let started = Instant::now();
        let (result, sent) = bench.with_fault(op, 1, FaultKind::Delay { delay_ms: 1500 }).await;
        if op.idempotent() {
            assert!(result.is_ok(), "{op:?}: {result:?}");
            assert_eq!(sent, 2, "{op:?}");
        } else {
            match &result {
                Err(Error::Timeout { after, .. }) => assert_eq!(*after, Duration::from_millis(300)),
                other => panic!("{op:?}: {other:?}"),
            }
            assert_eq!(sent, 1, "{op:?}: a timed-out enroll may have reached the server");
        }
        assert!(started.elapsed() < Duration::from_millis(1400), "{op:?} waited for the slow answer");
    }
}

#[tokio::test]
async fn dropped_connections_are_retried_only_where_safe() {
    assert_retried_only_where_safe(&Bench::new().await, FaultKind::Drop, ErrorKind::Network).await;
}

#[tokio::test]
async fn persistent_faults_exhaust_the_retry_budget() {
    let bench = Bench::new().await;
    let (result, sent) = bench.with_fault(Op::Status, 3, FaultKind::Drop).await;
    assert_eq!(kind_of(&result), Some(ErrorKind::Network));
    assert_eq!(sent, 3, "max_attempts is 3");
    let (result, sent) = bench.with_fault(Op::Status, 3, FaultKind::Status { status: 504, retry_after: None }).await;
    assert_eq!(kind_of(&result), Some(ErrorKind::Server));
    assert_eq!(sent, 3);
    // Introspect is sent once: its token may be single-use.
    let (result, sent) =
        bench.with_fault(Op::Introspect, 1, FaultKind::Status { status: 504, retry_after: None }).await;
    assert_eq!(kind_of(&result), Some(ErrorKind::Server));
    assert_eq!(sent, 1);
}

#[tokio::test]
async fn vendor_variations_parse_leniently() {
    let bench = Bench::new().await;
    let body = serde_json::json!({"status": "expired", "somethingNew": {"x": 1}});
    fault(&bench.emu, paths::STATUS, 1, FaultKind::Json { status: 200, body });
    let status = bench.client.status(&bench.status_token).await.unwrap();
    assert_eq!(status.status, authcloud::TransactionStatus::Other("expired".into()));
    assert!(status.transaction_id.is_none());

    // An error body that is HTML from a proxy keeps the status and a short excerpt.
    let body = serde_json::json!("<html>gateway</html>");
    fault(&bench.emu, paths::ENROLL, 1, FaultKind::Json { status: 418, body });
    match bench.run(Op::Enroll).await {
        Err(Error::Api { status: 418, detail, .. }) => assert!(detail.excerpt.unwrap().contains("gateway")),
        other => panic!("{other:?}"),
    }

    // Valid JSON of the wrong shape is malformed, not a panic.
    fault(&bench.emu, paths::INTROSPECT, 1, FaultKind::Json { status: 200, body: serde_json::json!([1, 2]) });
    assert_eq!(kind_of(&bench.run(Op::Introspect).await), Some(ErrorKind::MalformedResponse));
}

#[tokio::test]
async fn verify_catches_a_token_for_another_user() {
    let emu = emulator().await;
    let client = server_client(&emu);
    let enrolled = client.enroll(&EnrollRequest::username("victim")).await.unwrap();
    emu.approve(&enrolled.enrollment.transaction_id).unwrap();
    let introspection =
        serde_json::json!({"active": true, "sub": "00000000-0000-4000-8000-000000000000", "aud": "api"});
    fault(&emu, paths::INTROSPECT, 1, FaultKind::Json { status: 200, body: introspection });
    match client.verify(&enrolled.enrollment.status_token, &authcloud::VerifyOptions::default()).await {
        Err(Error::NotVerified { reason: authcloud::VerificationFailure::SubjectMismatch { expected, actual } }) => {
            assert_eq!(expected, enrolled.user.user_id);
            assert_eq!(actual.as_deref(), Some("00000000-0000-4000-8000-000000000000"));
        }
        other => panic!("{other:?}"),
    }
    fault(&emu, paths::INTROSPECT, 1, FaultKind::Json { status: 200, body: serde_json::json!({"active": false}) });
    match client.verify(&enrolled.enrollment.status_token, &authcloud::VerifyOptions::default()).await {
        Err(Error::NotVerified { reason: authcloud::VerificationFailure::TokenInactive }) => {}
        other => panic!("{other:?}"),
    }
    let no_token = serde_json::json!({"status": "succeeded", "userId": enrolled.user.user_id});
    fault(&emu, paths::STATUS, 1, FaultKind::Json { status: 200, body: no_token });
    match client.verify(&enrolled.enrollment.status_token, &authcloud::VerifyOptions::default()).await {
        Err(Error::NotVerified { reason: authcloud::VerificationFailure::MissingTransactionToken }) => {}
        other => panic!("{other:?}"),
    }
    // And the genuine answer verifies.
    assert_eq!(
        client.verify(&enrolled.enrollment.status_token, &authcloud::VerifyOptions::default()).await.unwrap().user_id,
        enrolled.user.user_id
    );
}
