//! Beyond registration: log in with the registered phone (approval), and manage users and
//! authenticators — against the emulator over real HTTP, faults included.

use std::time::Duration;

use authcloud::IntentRequest;
use authcloud::{
    ApprovalRequest, Client, DeleteOutcome, EnrollRequest, Error, ErrorKind, NoObserver, UserRef, UserStatus,
    VerificationFailure, VerifyOptions, WaitOptions,
};
use authcloud_emulator::{Emulator, EmulatorConfig, FaultKind};
use authcloud_tests::{builder, emulator, emulator_with, fault, requests_to, server_client};

const APPROVAL: &str = "/api/v1/approval";

fn fast() -> WaitOptions {
    WaitOptions { poll_interval: Duration::from_millis(100), timeout: Duration::from_secs(10), ..Default::default() }
}

/// A registered user (enrolled and approved on the simulated phone): (user id, authenticator id).
async fn registered(emu: &Emulator, client: &Client, username: &str) -> (String, String) {
    let enrolled = client.enroll(&EnrollRequest::username(username)).await.unwrap();
    emu.approve(&enrolled.enrollment.transaction_id).unwrap();
    let user = client.get_user(&enrolled.user.user_id).await.unwrap();
    assert_eq!(user.status, Some(UserStatus::Active));
    assert_eq!(user.authenticators.len(), 1);
    (user.user_id, user.authenticators[0].authenticator_id.clone())
}

#[tokio::test]
async fn register_then_log_in_by_push_then_verify() {
    let emu = emulator().await;
    let client = server_client(&emu);
    let (user_id, _) = registered(&emu, &client, "login-user").await;

    let request = ApprovalRequest::push(UserRef::UserId(user_id.clone()))
        .with_prompt("<html>Log in to <b>Acme</b>?</html>")
        .with_notification("Acme: confirm your login");
    let approval = client.approve(&request).await.unwrap();
    assert!(approval.qr_code.is_none() && approval.app_link_uri.is_none(), "push shows nothing");
    // The push reached the simulated phone, with its message.
    let pending = emu.pending_approvals(&user_id);
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].transaction_id, approval.transaction_id);
    assert_eq!(pending[0].message.as_deref(), Some("<html>Log in to <b>Acme</b>?</html>"));

    emu.approve(&approval.transaction_id).unwrap();
    let outcome = client.wait_for_completion(&approval.status_token, &fast(), &NoObserver).await.unwrap();
    assert!(outcome.succeeded());
    let bound = VerifyOptions::default().expect_user(&user_id).expect_transaction(&approval.transaction_id);
    let verified = client.verify(&approval.status_token, &bound).await.unwrap();
    assert_eq!(verified.user_id, user_id);
    assert!(client.get_user(&user_id).await.unwrap().last_login_success.is_some());
    assert_eq!(requests_to(&emu, APPROVAL).len(), 1, "sent exactly once");
}

#[tokio::test]
async fn an_app_approval_shows_a_qr_code_and_a_checked_deep_link() {
    let emu = emulator().await;
    let client = server_client(&emu);
    registered(&emu, &client, "app-login").await;
    let approval = client.approve(&ApprovalRequest::app(UserRef::Username("app-login".into()))).await.unwrap();
    let link = approval.app_link_uri.expect("a deep link");
    assert!(link.href().unwrap().starts_with(&format!("{}/open?", emu.base_url())));
    assert!(approval.qr_code.expect("a QR code").png_bytes().unwrap().starts_with(b"\x89PNG"));
    emu.deny(&approval.transaction_id).unwrap();
    let outcome = client.wait_for_completion(&approval.status_token, &fast(), &NoObserver).await.unwrap();
    assert!(!outcome.succeeded());
    match client.verify(&approval.status_token, &VerifyOptions::default()).await {
        Err(Error::NotVerified { reason: VerificationFailure::NotSucceeded { .. } }) => {}
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn after_deleting_the_only_authenticator_an_approval_fails_clearly() {
    let emu = emulator().await;
    let client = server_client(&emu);
    let (user_id, authenticator_id) = registered(&emu, &client, "lost-phone").await;
    assert_eq!(client.delete_authenticator(&authenticator_id).await.unwrap(), DeleteOutcome::Deleted);
    assert_eq!(client.delete_authenticator(&authenticator_id).await.unwrap(), DeleteOutcome::NotFound, "idempotent");
    let user = client.get_user(&user_id).await.unwrap();
    assert!(user.authenticators.is_empty());
    let err = client.approve(&ApprovalRequest::push(UserRef::UserId(user_id))).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Api, "{err}");
    assert_eq!(err.http_status(), Some(400));
    let text = err.to_string();
    assert!(text.starts_with("400 Bad Request from POST /api/v1/approval") && text.contains("authenticator"), "{text}");
}

#[tokio::test]
async fn users_are_found_renamed_and_deleted() {
    let emu = emulator().await;
    let client = server_client(&emu);
    let (user_id, authenticator_id) = registered(&emu, &client, "managed").await;
    let found = client.find_user("managed").await.unwrap().expect("found by username");
    assert_eq!(found.user_id, user_id);
    assert_eq!(client.find_user("nobody-here").await.unwrap(), None);

    let renamed = client.rename_authenticator(&authenticator_id, "Anna's phone").await.unwrap();
    assert_eq!(renamed.and_then(|a| a.name).as_deref(), Some("Anna's phone"));
    let user = client.get_user(&user_id).await.unwrap();
    assert_eq!(user.authenticators[0].name.as_deref(), Some("Anna's phone"));

    assert_eq!(client.delete_user(&user_id).await.unwrap(), DeleteOutcome::Deleted);
    assert_eq!(client.delete_user(&user_id).await.unwrap(), DeleteOutcome::NotFound);
    assert_eq!(client.get_user(&user_id).await.unwrap_err().kind(), ErrorKind::NotFound);
    client.ping().await.unwrap();

    // Ids are checked before they go into a path.
    assert_eq!(client.get_user("../../admin").await.unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(client.delete_authenticator("a/b").await.unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(client.rename_authenticator(&authenticator_id, " ").await.unwrap_err().kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn message_rules_are_checked_locally_before_any_request() {
    let emu = emulator().await;
    let client = server_client(&emu);
    for (message, named) in [
        ("<html><script>x</script></html>", "<script>"),
        ("<html><b style=\"x\">y</b></html>", "`style`"),
        ("before <html><b>x</b></html>", "before <html>"),
        ("<html><img src=x></html>", "<img>"),
    ] {
        let request = ApprovalRequest::push(UserRef::Username("u".into())).with_prompt(message);
        match client.approve(&request).await {
            Err(Error::InvalidInput { field: "message", reason }) => assert!(reason.contains(named), "{reason}"),
            other => panic!("{message}: {other:?}"),
        }
    }
    assert!(requests_to(&emu, APPROVAL).is_empty(), "nothing was sent");
    // The emulator enforces the same rule on its own (a request that skipped the SDK's check).
    let raw = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap()
        .post(format!("{}{APPROVAL}", emu.base_url()))
        .bearer_auth(emu.access_key())
        .json(&serde_json::json!({"username": "u", "prompt": true, "message": "<html><i onclick=x>y</i></html>"}))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 400);
}

/// The fault matrix on approval: typed errors, and the approval sent exactly once unless
/// the server surely did not take it (429, and 503 with `Retry-After`, are retried; a bare
/// 503 may come from a gateway that forwarded it).
#[tokio::test]
async fn faults_on_approval_send_it_once() {
    let emu = emulator().await;
    let client = server_client(&emu);
    let (user_id, _) = registered(&emu, &client, "faulty").await;
    let request = ApprovalRequest::push(UserRef::UserId(user_id.clone()));

    for (kind, expected, sends) in [
        (FaultKind::Status { status: 500, retry_after: None }, Some(ErrorKind::Server), 1),
        (FaultKind::Status { status: 400, retry_after: None }, Some(ErrorKind::Api), 1),
        (FaultKind::Garbage, Some(ErrorKind::MalformedResponse), 1),
        (FaultKind::Truncated, Some(ErrorKind::Network), 1),
        (FaultKind::Drop, Some(ErrorKind::Network), 1),
        (FaultKind::Delay { delay_ms: 3_000 }, Some(ErrorKind::Timeout), 1),
        (FaultKind::Status { status: 429, retry_after: Some(0) }, None, 2),
        (FaultKind::Status { status: 503, retry_after: None }, Some(ErrorKind::Server), 1),
        (FaultKind::Status { status: 503, retry_after: Some(0) }, None, 2),
    ] {
        let before = requests_to(&emu, APPROVAL).len();
        fault(&emu, APPROVAL, 1, kind.clone());
        let result = client.approve(&request).await;
        assert_eq!(result.as_ref().err().map(Error::kind), expected, "{kind:?}: {result:?}");
        assert_eq!(requests_to(&emu, APPROVAL).len() - before, sends, "{kind:?}: approval sent {sends} time(s)");
        // Clear what a successful retry left pending on the phone.
        for pending in emu.pending_approvals(&user_id) {
            let _ = emu.deny(&pending.transaction_id);
        }
    }
}

/// The users and authenticators endpoints.
#[derive(Debug, Clone, Copy)]
enum UsersCall {
    Get,
    Find,
    Rename,
    Ping,
    DeleteAuthenticator,
    DeleteUser,
}

impl UsersCall {
    /// Safe to repeat: retried after a dropped or cut connection and 502/503/504.
    fn idempotent(self) -> bool {
        !matches!(self, UsersCall::DeleteAuthenticator | UsersCall::DeleteUser)
    }

    async fn run(self, client: &Client, user_id: &str, authenticator_id: &str) -> Result<(), Error> {
        match self {
            UsersCall::Get => client.get_user(user_id).await.map(drop),
            UsersCall::Find => client.find_user("faulty-users").await.map(drop),
            UsersCall::Rename => client.rename_authenticator(authenticator_id, "Anna's phone").await.map(drop),
            UsersCall::Ping => client.ping().await,
            UsersCall::DeleteAuthenticator => client.delete_authenticator(authenticator_id).await.map(drop),
            UsersCall::DeleteUser => client.delete_user(user_id).await.map(drop),
        }
    }
}

/// The same matrix on every users endpoint: a typed error or a (retried) success, never a
/// panic; reads and the rename retried where safe, deletes sent once after an ambiguous
/// failure (a retried delete that had succeeded would answer 404 and misreport).
#[tokio::test]
async fn faults_on_users_endpoints_give_typed_errors_and_deletes_are_sent_once() {
    let emu = emulator().await;
    let client = server_client(&emu);
    let (user_id, authenticator_id) = registered(&emu, &client, "faulty-users").await;
    let user_path = format!("/api/v1/users/{user_id}");
    let authenticator_path = format!("/api/v1/authenticators/{authenticator_id}");

    let calls = [
        (UsersCall::Get, user_path.as_str()),
        (UsersCall::Find, "/api/v1/users"),
        (UsersCall::Rename, authenticator_path.as_str()),
        (UsersCall::Ping, "/ping"),
        (UsersCall::DeleteAuthenticator, authenticator_path.as_str()),
        (UsersCall::DeleteUser, user_path.as_str()),
    ];
    for (call, path) in calls {
        for kind in [
            FaultKind::Status { status: 500, retry_after: None },
            FaultKind::Garbage,
            FaultKind::Truncated,
            FaultKind::Drop,
            FaultKind::Status { status: 429, retry_after: Some(0) },
            FaultKind::Status { status: 503, retry_after: None },
        ] {
            let sent = || emu.requests().iter().filter(|r| r.path.split('?').next() == Some(path)).count();
            let before = sent();
            fault(&emu, path, 1, kind.clone());
            let result = call.run(&client, &user_id, &authenticator_id).await;
            let sends = sent() - before;
            let refused = matches!(kind, FaultKind::Status { status: 429 | 503, .. });
            let lost_in_transit = matches!(kind, FaultKind::Truncated | FaultKind::Drop);
            let garbled_body_ignored = matches!(kind, FaultKind::Garbage)
                && matches!(call, UsersCall::DeleteAuthenticator | UsersCall::DeleteUser);
            if refused || (lost_in_transit && call.idempotent()) {
                assert_eq!(sends, 2, "{call:?} {kind:?}: retried once");
                assert!(result.is_ok(), "{call:?} {kind:?}: {result:?}");
            } else if garbled_body_ignored {
                // A delete reads no body: a 200 with any body is a success.
                assert_eq!(sends, 1, "{call:?} {kind:?}");
                assert!(result.is_ok(), "{call:?} {kind:?}: {result:?}");
            } else {
                assert_eq!(sends, 1, "{call:?} {kind:?}: sent once");
                let expected = match kind {
                    FaultKind::Status { .. } => ErrorKind::Server,
                    FaultKind::Garbage => ErrorKind::MalformedResponse,
                    _ => ErrorKind::Network,
                };
                assert_eq!(result.map_err(|e| e.kind()).err(), Some(expected), "{call:?} {kind:?}");
            }
            assert!(emu.pending_faults().is_empty(), "{call:?} {kind:?}: the fault was met");
        }
    }
}

/// A device holding an intent token for `approve` starts its own login; the backend (with
/// the access key) verifies it. An enroll intent does not allow an approval.
#[tokio::test]
async fn an_approve_intent_lets_a_device_start_a_login() {
    let emu = emulator().await;
    let backend = server_client(&emu);
    let (user_id, _) = registered(&emu, &backend, "device-login").await;
    let user = UserRef::UserId(user_id.clone());
    let intent = backend.create_intent(&IntentRequest::approve(user.clone())).await.unwrap();
    let device = builder(&emu).intent_token(intent).build().unwrap();
    let approval = device.approve(&ApprovalRequest::push(user.clone())).await.unwrap();
    emu.approve(&approval.transaction_id).unwrap();
    let verified = backend
        .verify(&approval.status_token, &VerifyOptions::default().expect_transaction(&approval.transaction_id))
        .await
        .unwrap();
    assert_eq!(verified.user_id, user_id);

    let enroll_only = backend.create_intent(&IntentRequest::enroll(user.clone())).await.unwrap();
    let device = builder(&emu).intent_token(enroll_only).build().unwrap();
    let err = device.approve(&ApprovalRequest::push(user)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
}

/// `auto_approve_after` plays the phone for approvals as it does for enrollments.
#[tokio::test]
async fn auto_approve_applies_to_approvals() {
    let emu =
        emulator_with(EmulatorConfig { auto_approve_after: Some(Duration::from_millis(300)), ..Default::default() })
            .await;
    let client = server_client(&emu);
    let enrolled = client.enroll(&EnrollRequest::username("auto-login")).await.unwrap();
    assert!(
        client.wait_for_completion(&enrolled.enrollment.status_token, &fast(), &NoObserver).await.unwrap().succeeded()
    );
    let approval = client.approve(&ApprovalRequest::push(UserRef::Username("auto-login".into()))).await.unwrap();
    let outcome = client.wait_for_completion(&approval.status_token, &fast(), &NoObserver).await.unwrap();
    assert!(outcome.succeeded());
    assert!(outcome.elapsed >= Duration::from_millis(250), "{:?}", outcome.elapsed);
}

/// Why `verify` of a login must bind the transaction id: the same user's old, succeeded
/// enrollment passes every other check, so a status token replayed from it would pass for
/// the login. `expected_transaction_id` (the approval this session started) refuses it.
#[tokio::test]
async fn only_the_transaction_binding_stops_an_old_enrollment_replayed_as_a_login() {
    let emu = emulator().await;
    let client = server_client(&emu);
    let enrolled = client.enroll(&EnrollRequest::username("replayed")).await.unwrap();
    emu.approve(&enrolled.enrollment.transaction_id).unwrap();
    let user_id = enrolled.user.user_id.clone();
    let login = client.approve(&ApprovalRequest::push(UserRef::UserId(user_id.clone()))).await.unwrap();

    // The old enrollment's token, posted instead of the login's: same user, succeeded, active.
    let replayed = &enrolled.enrollment.status_token;
    let by_user = VerifyOptions::default().expect_user(&user_id);
    let accepted = client.verify(replayed, &by_user).await.expect("the user binding alone accepts it");
    assert_eq!(accepted.user_id, user_id);
    let bound = by_user.expect_transaction(&login.transaction_id);
    match client.verify(replayed, &bound).await {
        Err(Error::NotVerified { reason: VerificationFailure::TransactionMismatch { expected, actual } }) => {
            assert_eq!(expected, login.transaction_id);
            assert_eq!(actual.as_deref(), Some(enrolled.enrollment.transaction_id.as_str()));
        }
        other => panic!("{other:?}"),
    }
    // The login itself, once approved, verifies with the same binding.
    emu.approve(&login.transaction_id).unwrap();
    assert_eq!(client.verify(&login.status_token, &bound).await.unwrap().user_id, user_id);
}
