//! A whole flow, failures included, with every tracing line (all crates, TRACE) and every
//! `Debug`/`Display` captured: the access key and the tokens appear in none of them.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use authcloud::{Client, EnrollRequest, IntentRequest, NoObserver, UserRef, WaitOptions};
use authcloud_emulator::{EmulatorConfig, FaultKind};
use authcloud_tests::{builder, emulator_with, fault, paths};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const ACCESS_KEY: &str = "ak-live-7Hq2Lp9Zx4Vb8Nm3Kd6Rt1Wy5";

#[test]
fn no_secret_in_any_log_debug_or_display() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut printed = String::new();
    let secrets = runtime.block_on(async {
        let emu = emulator_with(EmulatorConfig { access_key: Some(ACCESS_KEY.into()), ..Default::default() }).await;
        let client = builder(&emu).access_key(ACCESS_KEY).build().unwrap();
        printed += &format!("{client:?}\n{:?}\n", client.config());

        let enrolled = client.enroll(&EnrollRequest::username("secretive")).await.unwrap();
        printed += &format!("{enrolled:?}\n");
        let token = enrolled.enrollment.status_token.clone();

        // Failures on every path, so error messages and retry logs are exercised.
        // (counts = attempts each call will make: status retries every transient kind,
        // introspect only 503.)
        for (kind, status_count, introspect_count) in [
            (FaultKind::Status { status: 503, retry_after: None }, 3, 3),
            (FaultKind::Garbage, 1, 1),
            (FaultKind::Drop, 3, 1),
            (FaultKind::Truncated, 3, 1),
        ] {
            fault(&emu, paths::STATUS, status_count, kind.clone());
            let e = client.status(&token).await.unwrap_err();
            printed += &format!("{e}\n{e:?}\n");
            fault(&emu, paths::INTROSPECT, introspect_count, kind);
            let e = client.introspect(&token).await.unwrap_err();
            printed += &format!("{e}\n{e:?}\n");
        }
        // A proxy that echoes the request (and so the token) in an error body.
        let echo =
            serde_json::json!({"error": "Bad Gateway", "message": format!("upstream said no to {}", token.expose())});
        fault(&emu, paths::STATUS, 3, FaultKind::Json { status: 502, body: echo });
        let e = client.status(&token).await.unwrap_err();
        printed += &format!("{e}\n{e:?}\n");
        let echo = serde_json::json!(format!("<html>key {ACCESS_KEY} rejected</html>"));
        fault(&emu, paths::ENROLL, 1, FaultKind::Json { status: 400, body: echo });
        let e = client.enroll(&EnrollRequest::username("secretive")).await.unwrap_err();
        printed += &format!("{e}\n{e:?}\n");

        let wrong = builder(&emu).access_key("ak-wrong-9Zt5Kp2Qx7Lm4Vb1Nc8").build().unwrap();
        let e = wrong.introspect(&token).await.unwrap_err();
        printed += &format!("{e}\n{e:?}\n");

        let intent = client.create_intent(&IntentRequest::enroll(UserRef::Username("secretive".into()))).await.unwrap();
        let device = builder(&emu).intent_token(intent.clone()).build().unwrap();
        printed += &format!("{device:?}\n{intent:?}\n{intent}\n");
        let e = device.introspect(&token).await.unwrap_err();
        printed += &format!("{e}\n");
        let second = device.enroll(&EnrollRequest::username("secretive")).await.unwrap();
        printed += &format!("{second:?}\n");

        let outcome = {
            emu.approve(&enrolled.enrollment.transaction_id).unwrap();
            let options = WaitOptions { poll_interval: Duration::from_millis(100), ..Default::default() };
            client.wait_for_completion(&token, &options, &NoObserver).await.unwrap()
        };
        printed += &format!("{outcome:?}\n");
        let transaction_token = outcome.status.token.clone().unwrap();
        let verified = client.verify(&token, &authcloud::VerifyOptions::default()).await.unwrap();
        printed += &format!("{verified:?}\n");
        emu.deny(&second.enrollment.transaction_id).unwrap();
        let e = client.verify(&second.enrollment.status_token, &authcloud::VerifyOptions::default()).await.unwrap_err();
        printed += &format!("{e}\n{e:?}\n");

        let unreachable = Client::builder().base_url("http://127.0.0.1:9").access_key(ACCESS_KEY).build().unwrap();
        let e = unreachable.status(&token).await.unwrap_err();
        printed += &format!("{e}\n{e:?}\n");

        assert!(emu.pending_faults().is_empty());
        let dispatch = enrolled.enrollment.app_link_uri.as_unchecked_str().split_once('=').unwrap().1.to_owned();
        emu.stop().await;
        vec![
            ACCESS_KEY.to_owned(),
            token.expose().to_owned(),
            transaction_token.expose().to_owned(),
            intent.expose().to_owned(),
            second.enrollment.status_token.expose().to_owned(),
            dispatch,
        ]
    });
    drop(runtime);

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(logs.lines().count() > 50, "tracing captured too little:\n{logs}");
    assert!(logs.contains("retrying"), "retries were logged");
    for secret in &secrets {
        assert!(secret.len() >= 16, "weak test secret");
        assert!(!printed.contains(secret.as_str()), "secret in Debug/Display output:\n{printed}");
        for line in logs.lines() {
            assert!(!line.contains(secret.as_str()), "secret in a log line: {line}");
        }
        // Not even a recognisable prefix of a JWT's signature part.
        let tail = &secret[secret.len() - 12..];
        assert!(!logs.contains(tail) && !printed.contains(tail), "secret tail leaked");
    }
}
