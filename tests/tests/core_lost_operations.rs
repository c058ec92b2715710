//! The last ways to lose an operation (issue 18, part 5), against the emulator over real
//! HTTP: an enroll or approval answer that lacks its ids still returns its status token
//! (the ids come from `status`), a request with effects is never sent with too little time
//! left after waiting for a request slot, and an approval is re-sent after a 503 only when
//! the server said when to come back (`Retry-After`).

use std::future::Future;
use std::time::{Duration, Instant};

use authcloud::{
    ApprovalRequest, Client, EnrollRequest, Error, ErrorKind, NoObserver, UserRef, VerifyOptions, WaitOptions,
};
use authcloud_emulator::{Emulator, FaultKind};
use authcloud_tests::{builder, emulator, fault, guide_body, paths, raw, requests_to, server_client};
use serde_json::{Value, json};

const APPROVAL: &str = "/api/v1/approval";

/// Runs `work` under a deadline, so that a hang fails the test instead of stalling it.
async fn within<T>(what: &str, work: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), work).await.unwrap_or_else(|_| panic!("{what}: hung"))
}

/// A user with one authenticator (enrolled and approved on the simulated phone).
async fn registered(emu: &Emulator, client: &Client, username: &str) -> String {
    let enrolled = client.enroll(&EnrollRequest::username(username)).await.unwrap();
    emu.approve(&enrolled.enrollment.transaction_id).unwrap();
    enrolled.user.user_id
}

/// One request slot; one attempt (and the whole call) may take 1 s, so the send floor is
/// 500 ms.
fn one_slot(emu: &Emulator) -> Client {
    builder(emu)
        .access_key(emu.access_key())
        .max_concurrent_requests(1)
        .request_timeout(Duration::from_secs(1))
        .call_timeout(Duration::from_secs(1))
        .build()
        .unwrap()
}

/// Starts a `status` call that holds the client's only request slot for `hold` (a delayed
/// answer), and returns once its request reached the emulator.
async fn hold_the_slot(emu: &Emulator, client: &Client, hold: Duration) -> tokio::task::JoinHandle<()> {
    let token = server_client(emu).enroll(&EnrollRequest::username("holder")).await.unwrap().enrollment.status_token;
    let before = requests_to(emu, paths::STATUS).len();
    fault(emu, paths::STATUS, 1, FaultKind::Delay { delay_ms: hold.as_millis() as u64 });
    let holder = {
        let client = client.clone();
        tokio::spawn(async move {
            client.status(&token).await.expect("the slow status is answered in time");
        })
    };
    within("the holder's request", async {
        while requests_to(emu, paths::STATUS).len() == before {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    holder
}

fn assert_not_sent(error: &Error, endpoint: &str) {
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    assert!(error.was_not_sent(), "{error:?}");
    assert!(matches!(error, Error::Timeout { not_sent: true, .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.starts_with(&format!("{endpoint} was not sent")), "{message}");
    assert!(message.contains("safe to retry"), "{message}");
    assert!(!message.contains("may still have reached"), "{message}");
}

#[tokio::test]
async fn a_request_with_effects_queued_for_a_slot_is_not_sent_with_too_little_time_left() {
    let emu = emulator().await;
    let client = one_slot(&emu);
    let user_id = registered(&emu, &server_client(&emu), "floor").await;
    let approval = ApprovalRequest::push(UserRef::UserId(user_id.clone()));
    let calls: [(&str, &str); 2] = [(paths::ENROLL, "POST /api/v1/users/enroll"), (APPROVAL, "POST /api/v1/approval")];
    for (path, endpoint) in calls {
        // The slot is busy for 800 ms of the 1 s this call may take: once free, 200 ms
        // would be left, below the 500 ms floor.
        let holder = hold_the_slot(&emu, &client, Duration::from_millis(800)).await;
        let sent_before = requests_to(&emu, path).len();
        let started = Instant::now();
        let result = within(endpoint, async {
            match path {
                paths::ENROLL => client.enroll(&EnrollRequest::username("queued")).await.map(drop),
                _ => client.approve(&approval).await.map(drop),
            }
        })
        .await;
        let took = started.elapsed();
        let error = result.expect_err("sent with too little time left");
        assert_not_sent(&error, endpoint);
        assert!(took < Duration::from_millis(1200), "{endpoint}: gave up after {took:?}");
        within("the holder", holder).await.unwrap();
        assert_eq!(requests_to(&emu, path).len(), sent_before, "{endpoint} reached the emulator");
    }
    assert!(emu.pending_approvals(&user_id).is_empty(), "no push went to the phone");

    // Not sent means safe to retry: the same calls go through once the slot is free.
    client.enroll(&EnrollRequest::username("queued")).await.unwrap();
    client.approve(&approval).await.unwrap();
    assert_eq!(emu.pending_approvals(&user_id).len(), 1);
}

#[tokio::test]
async fn a_read_queued_for_a_slot_uses_whatever_time_is_left() {
    let emu = emulator().await;
    let client = one_slot(&emu);
    let token = server_client(&emu).enroll(&EnrollRequest::username("reader")).await.unwrap().enrollment.status_token;
    let holder = hold_the_slot(&emu, &client, Duration::from_millis(600)).await;
    let before = requests_to(&emu, paths::STATUS).len();
    // Once the slot is free about 400 ms are left, below the floor: a read goes anyway.
    let status = within("status", client.status(&token)).await.expect("a read is sent with the time left");
    assert_eq!(status.status, authcloud::TransactionStatus::Pending);
    assert_eq!(requests_to(&emu, paths::STATUS).len(), before + 1);
    within("the holder", holder).await.unwrap();
}

#[tokio::test]
async fn an_approval_is_not_re_sent_after_a_503_without_retry_after() {
    let emu = emulator().await;
    let client = server_client(&emu);
    let user_id = registered(&emu, &client, "gateway").await;
    let request = ApprovalRequest::push(UserRef::UserId(user_id.clone()));

    fault(&emu, APPROVAL, 1, FaultKind::Status { status: 503, retry_after: None });
    let error = within("approval", client.approve(&request)).await.expect_err("a bare 503 is the answer");
    assert_eq!(error.http_status(), Some(503), "{error}");
    assert_eq!(error.kind(), ErrorKind::Server);
    assert!(!error.was_not_sent());
    assert_eq!(requests_to(&emu, APPROVAL).len(), 1, "exactly one approval request: a gateway may have forwarded it");
    assert!(emu.pending_faults().is_empty());

    // With Retry-After the server refused it and said when to come back: re-sent once.
    fault(&emu, APPROVAL, 1, FaultKind::Status { status: 503, retry_after: Some(0) });
    let approval = within("approval", client.approve(&request)).await.expect("re-sent after Retry-After");
    assert_eq!(requests_to(&emu, APPROVAL).len(), 3, "the refused one and its re-send");
    let pending = emu.pending_approvals(&user_id);
    assert_eq!(pending.len(), 1, "one push on the phone");
    assert_eq!(pending[0].transaction_id, approval.transaction_id);
}

#[tokio::test]
async fn enroll_keeps_re_sending_after_any_503() {
    // Enroll reads every 503 as "not processed": a duplicate registration is a second
    // transaction whose QR code nobody sees, not a second push.
    let emu = emulator().await;
    let client = server_client(&emu);
    fault(&emu, paths::ENROLL, 1, FaultKind::Status { status: 503, retry_after: None });
    within("enroll", client.enroll(&EnrollRequest::username("after-503"))).await.unwrap();
    assert_eq!(requests_to(&emu, paths::ENROLL).len(), 2);
}

/// A real enrollment's answer, re-served by a `json` fault with `drop` fields removed: the
/// status token in it is genuine, so the SDK's status lookup finds the transaction.
async fn partial_enroll_answer(client: &Client, drop: &[&str]) -> (authcloud::EnrollResult, Value) {
    let real = client.enroll(&EnrollRequest::username("partial")).await.unwrap();
    let mut body = json!({
        "userId": real.user.user_id,
        "username": "partial",
        "status": "new",
        "enrollment": {
            "transactionId": real.enrollment.transaction_id,
            "statusToken": real.enrollment.status_token.expose(),
            "appLinkUri": real.enrollment.app_link_uri.as_unchecked_str(),
        },
    });
    for field in drop {
        body.as_object_mut().unwrap().remove(*field);
        body["enrollment"].as_object_mut().unwrap().remove(*field);
    }
    (real, body)
}

fn fast() -> WaitOptions {
    WaitOptions { poll_interval: Duration::from_millis(100), timeout: Duration::from_secs(10), ..Default::default() }
}

#[tokio::test]
async fn an_enroll_answer_without_its_ids_takes_them_from_status() {
    let emu = emulator().await;
    let client = server_client(&emu);
    for drop in [&["transactionId"][..], &["userId"], &["transactionId", "userId"]] {
        let (real, body) = partial_enroll_answer(&client, drop).await;
        fault(&emu, paths::ENROLL, 1, FaultKind::Json { status: 201, body });
        let statuses = requests_to(&emu, paths::STATUS).len();
        let enrolled = within("enroll", client.enroll(&EnrollRequest::username("partial")))
            .await
            .unwrap_or_else(|e| panic!("without {drop:?}: {e}"));
        assert!(!enrolled.ids_missing, "{drop:?}");
        assert_eq!(enrolled.enrollment.transaction_id, real.enrollment.transaction_id, "{drop:?}");
        assert_eq!(enrolled.user.user_id, real.user.user_id, "{drop:?}");
        assert_eq!(enrolled.user.username.as_deref(), Some("partial"));
        assert_eq!(enrolled.enrollment.status_token, real.enrollment.status_token);
        assert_eq!(requests_to(&emu, paths::STATUS).len(), statuses + 1, "one status lookup");
    }
    // A complete answer needs no lookup, and the guide's literal example still parses.
    let statuses = requests_to(&emu, paths::STATUS).len();
    raw(&emu, paths::ENROLL, 201, &guide_body("enroll"));
    let guide = client.enroll(&EnrollRequest::username("u12345")).await.unwrap();
    assert_eq!(guide.enrollment.transaction_id, "67cae36e-e3d5-4d67-9aa6-ab7ae3050576");
    assert_eq!(guide.user.user_id, "7e16ba00-92e2-4fcb-b30e-1af8fdc843aa");
    assert!(!guide.ids_missing);
    client.enroll(&EnrollRequest::username("complete")).await.unwrap();
    assert_eq!(requests_to(&emu, paths::STATUS).len(), statuses, "no lookup for complete answers");
}

#[tokio::test]
async fn an_enroll_answer_without_ids_keeps_its_status_token_when_status_fails_too() {
    let emu = emulator().await;
    let client = server_client(&emu);
    let (real, body) = partial_enroll_answer(&client, &["transactionId", "userId"]).await;
    fault(&emu, paths::ENROLL, 1, FaultKind::Json { status: 201, body });
    fault(&emu, paths::STATUS, 1, FaultKind::Status { status: 500, retry_after: None });
    let enrolled = within("enroll", client.enroll(&EnrollRequest::username("partial"))).await.expect("never lost");
    assert!(enrolled.ids_missing);
    assert_eq!((enrolled.enrollment.transaction_id.as_str(), enrolled.user.user_id.as_str()), ("", ""));
    assert_eq!(enrolled.enrollment.status_token, real.enrollment.status_token, "the status token is kept");
    assert!(emu.pending_faults().is_empty(), "the status lookup was tried");
    // The registration goes on with the token alone: the wait and verify name the ids.
    emu.approve(&real.enrollment.transaction_id).unwrap();
    let token = &enrolled.enrollment.status_token;
    let outcome = within("wait", client.wait_for_completion(token, &fast(), &NoObserver)).await.unwrap();
    assert!(outcome.succeeded());
    assert_eq!(outcome.status.transaction_id.as_deref(), Some(real.enrollment.transaction_id.as_str()));
    let verified = within("verify", client.verify(token, &VerifyOptions::default())).await.unwrap();
    assert_eq!(verified.user_id, real.user.user_id);
    // An empty id never matches: binding to it refuses instead of accepting.
    let bound = VerifyOptions::default().expect_transaction(&enrolled.enrollment.transaction_id);
    let refused = within("verify", client.verify(token, &bound)).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::NotVerified, "{refused}");
}

#[tokio::test]
async fn an_approval_answer_without_its_transaction_id_is_completed_or_kept() {
    let emu = emulator().await;
    let client = server_client(&emu);
    let user_id = registered(&emu, &client, "partial-login").await;
    let request = ApprovalRequest::push(UserRef::UserId(user_id.clone()));
    let real = client.approve(&request).await.unwrap();
    let body = json!({ "statusToken": real.status_token.expose() });

    fault(&emu, APPROVAL, 1, FaultKind::Json { status: 200, body: body.clone() });
    let approval = within("approval", client.approve(&request)).await.expect("the token is enough");
    assert!(!approval.ids_missing);
    assert_eq!(approval.transaction_id, real.transaction_id, "from status");
    assert_eq!(approval.status_token, real.status_token);

    fault(&emu, APPROVAL, 1, FaultKind::Json { status: 200, body });
    fault(&emu, paths::STATUS, 1, FaultKind::Status { status: 500, retry_after: None });
    let approval = within("approval", client.approve(&request)).await.expect("never lost");
    assert!(approval.ids_missing);
    assert_eq!(approval.transaction_id, "");
    assert_eq!(approval.status_token, real.status_token);
    assert_eq!(requests_to(&emu, APPROVAL).len(), 3, "each approval sent once");
    // Still followed and verified through its token.
    emu.approve(&real.transaction_id).unwrap();
    let outcome = within("wait", client.wait_for_completion(&approval.status_token, &fast(), &NoObserver)).await;
    assert!(outcome.unwrap().succeeded());
    let verified = within("verify", client.verify(&approval.status_token, &VerifyOptions::default())).await;
    assert_eq!(verified.unwrap().user_id, user_id);
}
