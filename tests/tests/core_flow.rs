//! The guide's flow through the SDK against the emulator, and what went over the wire.

use std::time::Duration;

use authcloud::{
    Channel, Client, EnrollRequest, ErrorKind, IntentRequest, NoObserver, SecretString, TransactionStatus, UserRef,
    UserStatus, WaitOptions,
};
use authcloud_tests::{builder, emulator, paths, requests_to, server_client};

fn fast_wait() -> WaitOptions {
    WaitOptions { poll_interval: Duration::from_millis(100), timeout: Duration::from_secs(10), ..Default::default() }
}

#[tokio::test]
async fn enroll_wait_verify_introspect() {
    let emu = std::sync::Arc::new(emulator().await);
    let client = server_client(&emu);

    let enrolled = client.enroll(&EnrollRequest::username("u12345")).await.unwrap();
    assert_eq!(enrolled.user.username.as_deref(), Some("u12345"));
    assert_eq!(enrolled.user.status, Some(UserStatus::New));
    assert!(enrolled.user.authenticators.is_empty());
    let enrollment = &enrolled.enrollment;
    assert!(
        enrollment.app_link_uri.href().unwrap().starts_with(&format!("{}/open?dispatchTokenResponse=", emu.base_url()))
    );

    // The QR helper gives a real PNG that decodes back to the deep link.
    let png_bytes = enrollment.qr_code.png_bytes().unwrap();
    assert_eq!(decode_qr(&png_bytes), enrollment.app_link_uri.href().unwrap());
    assert_eq!(enrollment.qr_code.size, Some(300));

    let pending = client.status(&enrollment.status_token).await.unwrap();
    assert_eq!(pending.status, TransactionStatus::Pending);
    assert_eq!(pending.transaction_id.as_deref(), Some(enrollment.transaction_id.as_str()));
    assert_eq!(pending.user_id.as_deref(), Some(enrolled.user.user_id.as_str()));

    // Verifying before the user acted must fail, naming the check.
    let err = client.verify(&enrollment.status_token, &authcloud::VerifyOptions::default()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotVerified, "{err}");

    let approver = {
        let tx = enrollment.transaction_id.clone();
        let emu = emu.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(150)).await;
            emu.approve(&tx).unwrap();
        })
    };
    let outcome = client.wait_for_completion(&enrollment.status_token, &fast_wait(), &NoObserver).await.unwrap();
    approver.await.unwrap();
    assert!(outcome.succeeded());
    assert!(outcome.polls >= 2, "polled {} times", outcome.polls);

    let verified = client.verify(&enrollment.status_token, &authcloud::VerifyOptions::default()).await.unwrap();
    assert_eq!(verified.user_id, enrolled.user.user_id);
    assert_eq!(verified.username.as_deref(), Some("u12345"));
    assert!(verified.introspection.active);
    assert_eq!(verified.introspection.sub.as_deref(), Some(enrolled.user.user_id.as_str()));
    assert_eq!(verified.introspection.aud, vec!["api".to_string()]);
    assert_eq!(verified.introspection.iss.as_deref(), Some(format!("{}/", emu.base_url()).as_str()));

    // Re-enrolling the same username reuses the user, now active with one authenticator.
    let again = client.enroll(&EnrollRequest::username("u12345")).await.unwrap();
    assert_eq!(again.user.user_id, enrolled.user.user_id);
    assert_eq!(again.user.status, Some(UserStatus::Active));
    assert_eq!(again.user.authenticators.len(), 1);

    // And by userId.
    let by_id = client.enroll(&EnrollRequest::user_id(enrolled.user.user_id.clone())).await.unwrap();
    assert_eq!(by_id.user.user_id, enrolled.user.user_id);
}

fn decode_qr(png_bytes: &[u8]) -> String {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let (w, h) = (info.width as usize, info.height as usize);
    let channels = info.color_type.samples();
    let luma = |x: usize, y: usize| buf[(y * w + x) * channels];
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, luma);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "exactly one QR code");
    grids[0].decode().unwrap().1
}

#[tokio::test]
async fn wire_format_matches_the_spec() {
    let emu = emulator().await;
    let client = server_client(&emu);
    let enrolled = client.enroll(&EnrollRequest::username("wire")).await.unwrap();
    emu.approve(&enrolled.enrollment.transaction_id).unwrap();
    client.verify(&enrolled.enrollment.status_token, &authcloud::VerifyOptions::default()).await.unwrap();

    let enroll = &requests_to(&emu, paths::ENROLL)[0];
    assert_eq!(enroll.method, "POST");
    assert_eq!(enroll.headers.get("content-type").map(String::as_str), Some("application/json"));
    assert_eq!(enroll.headers.get("authorization").map(String::as_str), Some("Bearer <redacted>"));
    assert!(enroll.headers.get("user-agent").unwrap().starts_with("authcloud/"));

    let status = &requests_to(&emu, paths::STATUS)[0];
    assert_eq!(status.headers.get("content-type").map(String::as_str), Some("application/json"));
    assert!(!status.headers.contains_key("authorization"), "status must not carry a credential");

    let introspect = &requests_to(&emu, paths::INTROSPECT)[0];
    assert_eq!(introspect.headers.get("content-type").map(String::as_str), Some("application/x-www-form-urlencoded"));
    assert_eq!(introspect.headers.get("authorization").map(String::as_str), Some("Bearer <redacted>"));
    assert!(introspect.body_size > "token=".len() as u64);
}

#[tokio::test]
async fn intent_token_lets_a_device_enroll_but_not_introspect() {
    let emu = emulator().await;
    let backend = server_client(&emu);
    let intent = backend.create_intent(&IntentRequest::enroll(UserRef::Username("device-user".into()))).await.unwrap();
    assert!(!intent.expose().is_empty());

    let device = builder(&emu).intent_token(intent.clone()).build().unwrap();
    let enrolled = device.enroll(&EnrollRequest::username("device-user")).await.unwrap();
    assert_eq!(enrolled.user.username.as_deref(), Some("device-user"));

    // Access-key operations are refused before any I/O.
    let before = emu.requests().len();
    let err = device.introspect(&enrolled.enrollment.status_token).await.unwrap_err();
    assert!(matches!(err, authcloud::Error::AccessKeyRequired { .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Configuration);
    let err = device.create_intent(&IntentRequest::enroll(UserRef::Username("x".into()))).await.unwrap_err();
    assert!(matches!(err, authcloud::Error::AccessKeyRequired { .. }));
    let err = device.verify(&enrolled.enrollment.status_token, &authcloud::VerifyOptions::default()).await.unwrap_err();
    assert!(matches!(err, authcloud::Error::AccessKeyRequired { .. }));
    assert_eq!(emu.requests().len(), before, "no request may be sent");

    // The device may still poll (status needs no credential).
    assert_eq!(device.status(&enrolled.enrollment.status_token).await.unwrap().status, TransactionStatus::Pending);

    // Single use: a second enroll with the same intent token is refused.
    let err = device.enroll(&EnrollRequest::username("device-user")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
    assert_eq!(requests_to(&emu, paths::ENROLL).len(), 2, "401 is not retried");

    // The intent's channels and operation go on the wire and are validated first.
    let req = IntentRequest {
        channels: vec![Channel::App, Channel::Push],
        ..IntentRequest::enroll(UserRef::Username("c".into()))
    };
    backend.create_intent(&req).await.unwrap();
    let bad = IntentRequest { channels: vec![Channel::Fido2], ..IntentRequest::enroll(UserRef::Username("c".into())) };
    assert_eq!(backend.create_intent(&bad).await.unwrap_err().kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn api_errors_are_typed() {
    let emu = emulator().await;
    let client = server_client(&emu);

    let err = client.enroll(&EnrollRequest::user_id("7e16ba00-92e2-4fcb-b30e-1af8fdc843aa")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert_eq!(requests_to(&emu, paths::ENROLL).len(), 1);

    let wrong_key = builder(&emu).access_key("not-the-key").build().unwrap();
    let err = wrong_key.enroll(&EnrollRequest::username("u1")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(err.http_status(), Some(401));
    assert!(!err.to_string().contains("not-the-key"));

    // Invalid input never reaches the server.
    let before = emu.requests().len();
    for bad in ["", "has space", "ümlaut", &"x".repeat(301)] {
        let err = client.enroll(&EnrollRequest::username(bad)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}");
    }
    assert_eq!(client.enroll(&EnrollRequest::user_id("not-a-uuid")).await.unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(client.status(&SecretString::new("")).await.unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(emu.requests().len(), before);

    // A token the server never issued is `unknown`; introspect calls it inactive.
    let forged = SecretString::new("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl");
    assert_eq!(client.status(&forged).await.unwrap().status, TransactionStatus::Unknown);
    assert!(!client.introspect(&forged).await.unwrap().active);

    // The access key itself introspects as active.
    let key = SecretString::new(emu.access_key());
    assert!(client.introspect(&key).await.unwrap().active);

    // No credential at all: enroll is refused before any I/O.
    let anonymous = builder(&emu).build().unwrap();
    assert_eq!(anonymous.enroll(&EnrollRequest::default()).await.unwrap_err().kind(), ErrorKind::Configuration);
}

#[tokio::test]
async fn declined_and_expired_transactions_fail_verification() {
    let emu = authcloud_tests::emulator_with(authcloud_emulator::EmulatorConfig {
        transaction_ttl: Duration::from_millis(300),
        ..Default::default()
    })
    .await;
    let client = server_client(&emu);

    let declined = client.enroll(&EnrollRequest::username("d")).await.unwrap();
    emu.deny(&declined.enrollment.transaction_id).unwrap();
    let err = client.verify(&declined.enrollment.status_token, &authcloud::VerifyOptions::default()).await.unwrap_err();
    match err {
        authcloud::Error::NotVerified { reason: authcloud::VerificationFailure::NotSucceeded { status } } => {
            assert_eq!(status, TransactionStatus::Failed)
        }
        other => panic!("unexpected {other:?}"),
    }

    let expiring = client.enroll(&EnrollRequest::username("e")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert_eq!(client.status(&expiring.enrollment.status_token).await.unwrap().status, TransactionStatus::Failed);
}

#[tokio::test]
async fn connection_refused_is_a_network_error() {
    // Bind and drop a listener: the port is then (almost certainly) closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let client = Client::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .access_key("k")
        .retry_policy(authcloud_tests::fast_retry())
        .build()
        .unwrap();
    let err = client.enroll(&EnrollRequest::username("u")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    let err = client.status(&SecretString::new("t")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
}
