//! The code channels against the emulator over real HTTP: a phone registered for SMS codes
//! (the code read from the simulated phone's outbox), recovery codes that work once, bad
//! input refused before anything is sent, and the faults under which a code check or an
//! SMS enrollment must not be sent twice.

use std::time::Duration;

use authcloud::{
    CodeCheck, CodeVerdict, EnrollRequest, Error, ErrorKind, NoObserver, SecretString, SmsEnrollRequest, UserRef,
    VerifyOptions, WaitOptions,
};
use authcloud_emulator::{Emulator, FaultKind};
use authcloud_tests::{emulator, fault, requests_to, server_client};

const ENROLL: &str = "/api/v1/users/enroll";

fn verification_path(user_id: &str) -> String {
    format!("/api/v1/users/{user_id}/verification")
}

fn sms_to(user: &str) -> SmsEnrollRequest {
    SmsEnrollRequest::new(UserRef::Username(user.into()), "+41791234567").with_message("Acme code: {{CODE}}")
}

/// The code the simulated phone received last.
fn last_code(emu: &Emulator, user_id: &str) -> String {
    emu.sms_messages_to(user_id).last().expect("an SMS was sent").code.clone()
}

#[tokio::test]
async fn register_a_phone_by_sms_then_verify_the_operation() {
    let emu = emulator().await;
    let client = server_client(&emu);
    let enrolled = client.enroll_sms(&sms_to("sms-user")).await.unwrap();
    let user_id = enrolled.user.user_id.clone();
    let sms = emu.sms_messages_to(&user_id);
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].to, "+41791234567");
    assert_eq!(sms[0].text, format!("Acme code: {}", sms[0].code));

    let wrong_code = if sms[0].code == "000000" { "111111" } else { "000000" };
    let wrong = CodeCheck::Sms { status_token: enrolled.status_token.clone(), code: SecretString::new(wrong_code) };
    assert_eq!(client.verify_code(&user_id, &wrong).await.unwrap(), CodeVerdict::Incorrect);
    let right = CodeCheck::Sms { status_token: enrolled.status_token.clone(), code: SecretString::new(&sms[0].code) };
    assert_eq!(client.verify_code(&user_id, &right).await.unwrap(), CodeVerdict::Correct);

    let fast = WaitOptions { poll_interval: Duration::from_millis(100), ..Default::default() };
    assert!(client.wait_for_completion(&enrolled.status_token, &fast, &NoObserver).await.unwrap().succeeded());
    let bound = VerifyOptions::default().expect_user(&user_id).expect_transaction(&enrolled.transaction_id);
    assert_eq!(client.verify(&enrolled.status_token, &bound).await.unwrap().user_id, user_id);
    assert_eq!(requests_to(&emu, &verification_path(&user_id)).len(), 2, "each check sent once");
}

#[tokio::test]
async fn a_recovery_code_works_once() {
    let emu = emulator().await;
    let client = server_client(&emu);
    let user = client.enroll(&EnrollRequest::username("recovering")).await.unwrap().user;
    let issued = client.request_recovery_codes(&UserRef::UserId(user.user_id.clone())).await.unwrap();
    assert_eq!(issued.user_id, user.user_id);
    assert_eq!(issued.codes.len(), 10);
    assert!(
        issued.codes.iter().all(|c| c.expose().len() == 16 && c.expose().chars().all(|c| c.is_ascii_alphanumeric()))
    );
    assert!(!format!("{issued:?}").contains(issued.codes[0].expose()), "codes print redacted");

    let once = CodeCheck::Recovery { code: issued.codes[0].clone() };
    assert_eq!(client.verify_code(&user.user_id, &once).await.unwrap(), CodeVerdict::Correct);
    assert_eq!(client.verify_code(&user.user_id, &once).await.unwrap(), CodeVerdict::Incorrect, "used up");
    let other = CodeCheck::Recovery { code: issued.codes[1].clone() };
    assert_eq!(client.verify_code(&user.user_id, &other).await.unwrap(), CodeVerdict::Correct);
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_is_sent() {
    let emu = emulator().await;
    let client = server_client(&emu);
    let user = UserRef::Username("careful".into());
    let cases = [
        (SmsEnrollRequest::new(user.clone(), "41791234567"), "phone"),
        (SmsEnrollRequest::new(user.clone(), "+41791234567").with_message("no placeholder"), "message"),
        (SmsEnrollRequest::new(user.clone(), "+41791234567").with_message("Код {{CODE}}"), "message"),
        (SmsEnrollRequest::new(UserRef::Username("u".repeat(301)), "+41791234567"), "username"),
    ];
    for (request, expected) in cases {
        match client.enroll_sms(&request).await {
            Err(Error::InvalidInput { field, .. }) => assert_eq!(field, expected),
            other => panic!("{request:?}: {other:?}"),
        }
    }
    let user_id = "7e16ba00-92e2-4fcb-b30e-1af8fdc843aa";
    let short = CodeCheck::Recovery { code: SecretString::new("Ab3dEf6hIj9kLm0") };
    let error = client.verify_code(user_id, &short).await.unwrap_err();
    assert!(matches!(error, Error::InvalidInput { field: "code", .. }), "{error}");
    assert!(!error.to_string().contains("Ab3dEf6hIj9kLm0"));
    assert!(requests_to(&emu, ENROLL).is_empty() && requests_to(&emu, &verification_path(user_id)).is_empty());
    assert!(emu.sms_messages().is_empty());
}

#[tokio::test]
async fn too_many_wrong_recovery_codes_are_rate_limited() {
    let emu = emulator().await;
    let client = server_client(&emu);
    let user = client.enroll(&EnrollRequest::username("guessing")).await.unwrap().user;
    client.request_recovery_codes(&UserRef::UserId(user.user_id.clone())).await.unwrap();
    let guess = CodeCheck::Recovery { code: SecretString::new("AAAAAAAAAAAAAAAA") };
    for _ in 0..5 {
        assert_eq!(client.verify_code(&user.user_id, &guess).await.unwrap(), CodeVerdict::Incorrect);
    }
    let error = client.verify_code(&user.user_id, &guess).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::RateLimited, "{error}");
    assert!(error.retry_after().is_some());
    assert_eq!(requests_to(&emu, &verification_path(&user.user_id)).len(), 6, "the limited check was not re-sent");
}

#[tokio::test]
async fn sms_enrollments_and_code_checks_are_never_sent_twice_once_they_may_have_arrived() {
    let emu = emulator().await;
    let client = server_client(&emu);
    // A bare 503 may come from a gateway that forwarded the request: no second SMS.
    fault(&emu, ENROLL, 1, FaultKind::Status { status: 503, retry_after: None });
    let error = client.enroll_sms(&sms_to("unlucky")).await.unwrap_err();
    assert_eq!(error.http_status(), Some(503));
    assert_eq!(requests_to(&emu, ENROLL).len(), 1);
    // A 503 with Retry-After is a refusal: sent again, once it passed.
    fault(&emu, ENROLL, 1, FaultKind::Status { status: 503, retry_after: Some(0) });
    let enrolled = client.enroll_sms(&sms_to("lucky")).await.unwrap();
    assert_eq!(requests_to(&emu, ENROLL).len(), 3);
    assert_eq!(emu.sms_messages_to(&enrolled.user.user_id).len(), 1, "one SMS");

    let user_id = enrolled.user.user_id.clone();
    let path = verification_path(&user_id);
    let right = CodeCheck::Sms {
        status_token: enrolled.status_token.clone(),
        code: SecretString::new(last_code(&emu, &user_id)),
    };
    for kind in [
        FaultKind::Status { status: 500, retry_after: None },
        FaultKind::Status { status: 503, retry_after: None },
        FaultKind::Status { status: 502, retry_after: None },
        FaultKind::Truncated,
        FaultKind::Drop,
    ] {
        let before = requests_to(&emu, &path).len();
        fault(&emu, &path, 1, kind.clone());
        let error = client.verify_code(&user_id, &right).await.unwrap_err();
        assert!(error.kind() != ErrorKind::InvalidInput, "{kind:?}: {error}");
        assert_eq!(requests_to(&emu, &path).len(), before + 1, "{kind:?}: sent once");
    }
    // Garbage in a 2xx is still a 200: the code was right.
    fault(&emu, &path, 1, FaultKind::Garbage);
    assert_eq!(client.verify_code(&user_id, &right).await.unwrap(), CodeVerdict::Correct);
    // 429 is a refusal: re-sent.
    let again = client.enroll_sms(&sms_to("second")).await.unwrap();
    let second = CodeCheck::Sms {
        status_token: again.status_token.clone(),
        code: SecretString::new(last_code(&emu, &again.user.user_id)),
    };
    let path = verification_path(&again.user.user_id);
    fault(&emu, &path, 1, FaultKind::Status { status: 429, retry_after: Some(0) });
    assert_eq!(client.verify_code(&again.user.user_id, &second).await.unwrap(), CodeVerdict::Correct);
    assert_eq!(requests_to(&emu, &path).len(), 2);
}
