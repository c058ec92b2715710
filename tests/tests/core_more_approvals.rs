//! The rest of the approval API against the emulator over real HTTP: by SMS (the code read
//! from the simulated phone), usernameless (the verified result names whoever approved),
//! any of the user's apps (`*`), and the per-user push limit that blocks a user and shows in
//! the user's record.

use std::time::Duration;

use authcloud::{
    ApprovalRequest, Client, CodeCheck, CodeVerdict, EnrollRequest, Error, ErrorKind, NoObserver, SecretString,
    SmsEnrollRequest, TransactionStatus, UserRef, VerifyOptions, WaitOptions,
};
use authcloud_emulator::{Emulator, EmulatorConfig, FaultKind, RateLimit, RateLimits};
use authcloud_tests::{emulator, emulator_with, fault, requests_to, server_client};

const APPROVAL: &str = "/api/v1/approval";

fn fast() -> WaitOptions {
    WaitOptions { poll_interval: Duration::from_millis(100), timeout: Duration::from_secs(10), ..Default::default() }
}

/// A user with an app registered on the simulated phone: the user id.
async fn with_app(emu: &Emulator, client: &Client, username: &str) -> String {
    let enrolled = client.enroll(&EnrollRequest::username(username)).await.unwrap();
    emu.approve(&enrolled.enrollment.transaction_id).unwrap();
    enrolled.user.user_id
}

/// A user with a phone registered for SMS codes (the first code checked): the user id.
async fn with_phone(emu: &Emulator, client: &Client, username: &str) -> String {
    let request = SmsEnrollRequest::new(UserRef::Username(username.into()), "+41791234567");
    let enrolled = client.enroll_sms(&request).await.unwrap();
    let user_id = enrolled.user.user_id.clone();
    let check =
        CodeCheck::Sms { status_token: enrolled.status_token, code: SecretString::new(last_code(emu, &user_id)) };
    assert_eq!(client.verify_code(&user_id, &check).await.unwrap(), CodeVerdict::Correct);
    user_id
}

fn last_code(emu: &Emulator, user_id: &str) -> String {
    emu.sms_messages_to(user_id).last().expect("an SMS was sent").code.clone()
}

#[tokio::test]
async fn an_sms_approval_is_decided_by_the_code_then_verified() {
    let emu = emulator().await;
    let client = server_client(&emu);
    let user_id = with_phone(&emu, &client, "sms-login").await;

    let request = ApprovalRequest::sms(UserRef::UserId(user_id.clone())).with_sms_message("Acme login code {{CODE}}");
    let approval = client.approve(&request).await.unwrap();
    assert!(approval.qr_code.is_none() && approval.app_link_uri.is_none());
    let sms = emu.sms_messages_to(&user_id);
    assert_eq!(sms.len(), 2, "the registration's SMS, then the approval's");
    assert_eq!(sms[1].text, format!("Acme login code {}", sms[1].code));
    // Polling does not decide it: the status stays pending until the code is checked.
    assert_eq!(client.status(&approval.status_token).await.unwrap().status, TransactionStatus::Pending);
    // The simulated phone cannot approve it either: only the code can.
    assert!(emu.approve(&approval.transaction_id).is_err());

    let check = CodeCheck::Sms { status_token: approval.status_token.clone(), code: SecretString::new(&sms[1].code) };
    assert_eq!(client.verify_code(&user_id, &check).await.unwrap(), CodeVerdict::Correct);
    let bound = VerifyOptions::default().expect_user(&user_id).expect_transaction(&approval.transaction_id);
    assert_eq!(client.verify(&approval.status_token, &bound).await.unwrap().user_id, user_id);
    assert!(client.get_user(&user_id).await.unwrap().last_login_success.is_some());
    assert_eq!(requests_to(&emu, APPROVAL).len(), 1);
}

#[tokio::test]
async fn three_wrong_sms_codes_fail_the_approval() {
    let emu = emulator().await;
    let client = server_client(&emu);
    let user_id = with_phone(&emu, &client, "sms-guesser").await;
    let approval = client.approve(&ApprovalRequest::sms(UserRef::UserId(user_id.clone()))).await.unwrap();
    let right = last_code(&emu, &user_id);
    let wrong = if right == "000000" { "111111" } else { "000000" };
    let check = CodeCheck::Sms { status_token: approval.status_token.clone(), code: SecretString::new(wrong) };
    for _ in 0..3 {
        assert_eq!(client.verify_code(&user_id, &check).await.unwrap(), CodeVerdict::Incorrect);
    }
    let outcome = client.wait_for_completion(&approval.status_token, &fast(), &NoObserver).await.unwrap();
    assert_eq!(outcome.status.status, TransactionStatus::Failed);
    assert!(client.get_user(&user_id).await.unwrap().last_login_failure.is_some());
}

#[tokio::test]
async fn an_sms_approval_needs_a_registered_phone() {
    let emu = emulator().await;
    let client = server_client(&emu);
    let user_id = with_app(&emu, &client, "app-only").await;
    let error = client.approve(&ApprovalRequest::sms(UserRef::UserId(user_id.clone()))).await.unwrap_err();
    assert_eq!(error.http_status(), Some(400), "{error}");
    assert!(emu.sms_messages_to(&user_id).is_empty());
}

#[tokio::test]
async fn a_usernameless_approval_names_the_user_only_once_approved() {
    let emu = emulator().await;
    let client = server_client(&emu);
    let _bystander = with_app(&emu, &client, "bystander").await;
    let user_id = with_app(&emu, &client, "scanner").await;

    let approval = client.approve(&ApprovalRequest::usernameless()).await.unwrap();
    assert!(approval.app_link_uri.as_ref().is_some_and(|link| link.is_valid()));
    assert!(approval.qr_code.as_ref().is_some_and(|qr| qr.png_bytes().is_ok()));
    let pending = client.status(&approval.status_token).await.unwrap();
    assert_eq!(pending.status, TransactionStatus::Pending);
    assert_eq!((pending.user_id, pending.username), (None, None), "no user while pending");
    assert!(emu.approve(&approval.transaction_id).is_err(), "someone has to scan it");

    emu.approve_as(&approval.transaction_id, &user_id).unwrap();
    let outcome = client.wait_for_completion(&approval.status_token, &fast(), &NoObserver).await.unwrap();
    assert!(outcome.succeeded());
    assert_eq!(outcome.status.user_id.as_deref(), Some(user_id.as_str()));
    assert_eq!(outcome.status.username.as_deref(), Some("scanner"));
    let bound = VerifyOptions::default().expect_transaction(&approval.transaction_id);
    let verified = client.verify(&approval.status_token, &bound).await.unwrap();
    assert_eq!(verified.user_id, user_id);
}

#[tokio::test]
async fn any_of_the_users_apps_may_approve() {
    let emu = emulator().await;
    let client = server_client(&emu);
    let user_id = with_app(&emu, &client, "two-phones").await;
    // A second phone for the same user.
    let second = client.enroll(&EnrollRequest::user_id(&user_id)).await.unwrap();
    emu.approve(&second.enrollment.transaction_id).unwrap();
    let user = client.get_user(&user_id).await.unwrap();
    assert_eq!(user.authenticators.len(), 2);
    // The uaf fields: a device reference each, notifications on until the user turns them off.
    assert!(user.authenticators.iter().all(|a| a.device_ref.is_some() && a.push_notifications_disabled == Some(false)));
    let first = user.authenticators[0].authenticator_id.clone();
    emu.set_push_notifications_disabled(&first, true).unwrap();
    let user = client.get_user(&user_id).await.unwrap();
    let first = user.authenticators.iter().find(|a| a.authenticator_id == first).unwrap();
    assert_eq!(first.push_notifications_disabled, Some(true));

    let any = ApprovalRequest::app(UserRef::UserId(user_id.clone())).with_authenticator("*");
    let approval = client.approve(&any).await.unwrap();
    assert!(approval.app_link_uri.is_some());
    emu.approve(&approval.transaction_id).unwrap();
    let verified = client.verify(&approval.status_token, &VerifyOptions::default().expect_user(&user_id)).await;
    assert_eq!(verified.unwrap().user_id, user_id);
}

#[tokio::test]
async fn a_user_pushed_past_the_limit_is_blocked_and_the_record_says_so() {
    let limits =
        RateLimits { push: Some(RateLimit { max: 2, period: Duration::from_secs(3600) }), ..RateLimits::default() };
    let emu = emulator_with(EmulatorConfig { rate_limits: limits, ..Default::default() }).await;
    let client = server_client(&emu);
    let user_id = with_app(&emu, &client, "pushed").await;
    let push = ApprovalRequest::push(UserRef::UserId(user_id.clone()));
    assert!(client.get_user(&user_id).await.unwrap().exceeded_rate_limits.is_empty());
    for _ in 0..2 {
        client.approve(&push).await.unwrap();
    }
    let user = client.get_user(&user_id).await.unwrap();
    assert_eq!(user.exceeded_rate_limits, ["push"]);
    assert!(user.is_rate_limited());
    let error = client.approve(&push).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::RateLimited, "{error}");
    assert!(error.retry_after().is_some_and(|after| after > Duration::from_secs(60)));
    // A 429 is a refusal, but a Retry-After of an hour is longer than the policy waits.
    assert_eq!(requests_to(&emu, APPROVAL).len(), 3);
    assert_eq!(emu.pending_approvals(&user_id).len(), 2, "the refused push never reached the phone");
}

#[tokio::test]
async fn bad_approvals_are_refused_before_anything_is_sent() {
    let emu = emulator().await;
    let client = server_client(&emu);
    let alice = || UserRef::Username("alice".into());
    let cases = [
        (ApprovalRequest::sms(alice()).with_sms_message("no placeholder"), "message"),
        (ApprovalRequest::sms(alice()).with_sms_message("Kód {{CODE}} ✓"), "message"),
        (ApprovalRequest::sms(alice()).with_prompt("Log in?"), "prompt"),
        (ApprovalRequest::push(alice()).with_authenticator("*"), "authenticatorId"),
        (ApprovalRequest { channel: authcloud::Channel::Push, ..ApprovalRequest::usernameless() }, "username"),
        (ApprovalRequest::push(UserRef::Username("u".repeat(301))), "username"),
    ];
    for (request, expected) in cases {
        match client.approve(&request).await {
            Err(Error::InvalidInput { field, .. }) => assert_eq!(field, expected, "{request:?}"),
            other => panic!("{request:?}: {other:?}"),
        }
    }
    assert!(requests_to(&emu, APPROVAL).is_empty());
}

#[tokio::test]
async fn an_sms_approval_is_never_sent_twice_once_it_may_have_arrived() {
    let emu = emulator().await;
    let client = server_client(&emu);
    let user_id = with_phone(&emu, &client, "sms-faults").await;
    let request = ApprovalRequest::sms(UserRef::UserId(user_id.clone()));
    for kind in [
        FaultKind::Status { status: 500, retry_after: None },
        FaultKind::Status { status: 503, retry_after: None },
        FaultKind::Garbage,
        FaultKind::Truncated,
        FaultKind::Drop,
    ] {
        let before = requests_to(&emu, APPROVAL).len();
        fault(&emu, APPROVAL, 1, kind.clone());
        let error = client.approve(&request).await.unwrap_err();
        assert_ne!(error.kind(), ErrorKind::InvalidInput, "{kind:?}: {error}");
        assert_eq!(requests_to(&emu, APPROVAL).len(), before + 1, "{kind:?}: sent once");
    }
    // Refusals (429, 503 with Retry-After) are re-sent: one SMS in the end.
    let sms_before = emu.sms_messages_to(&user_id).len();
    fault(&emu, APPROVAL, 1, FaultKind::Status { status: 429, retry_after: Some(0) });
    fault(&emu, APPROVAL, 1, FaultKind::Status { status: 503, retry_after: Some(0) });
    client.approve(&request).await.unwrap();
    assert_eq!(emu.sms_messages_to(&user_id).len(), sms_before + 1);
}
