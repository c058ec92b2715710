//! `wait_for_completion`: outcomes, deadline, cancel, back-off and schedule accuracy, read
//! back from the emulator's request log.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use authcloud::{
    CancellationToken, EnrollRequest, Error, ErrorKind, NoObserver, SecretString, StatusUpdate, TransactionStatus,
    WaitObserver, WaitOptions,
};
use authcloud_emulator::{Emulator, EmulatorConfig, FaultKind};
use authcloud_tests::{emulator, emulator_with, fault, paths, requests_to, server_client};

fn every(ms: u64, timeout_ms: u64) -> WaitOptions {
    WaitOptions {
        poll_interval: Duration::from_millis(ms),
        timeout: Duration::from_millis(timeout_ms),
        ..Default::default()
    }
}

#[derive(Default)]
struct Recorder {
    statuses: Mutex<Vec<(u32, TransactionStatus)>>,
    transient: Mutex<Vec<(ErrorKind, Duration)>>,
}

impl WaitObserver for Recorder {
    fn on_status(&self, update: &StatusUpdate) {
        self.statuses.lock().unwrap().push((update.poll, update.status.status.clone()));
    }
    fn on_transient_error(&self, error: &Error, retry_in: Duration) {
        self.transient.lock().unwrap().push((error.kind(), retry_in));
    }
}

async fn enroll(emu: &Emulator) -> (String, SecretString) {
    let e = server_client(emu).enroll(&EnrollRequest::username("waiter")).await.unwrap();
    (e.enrollment.transaction_id, e.enrollment.status_token)
}

/// Milliseconds (emulator clock) of each status request.
fn status_times(emu: &Emulator) -> Vec<f64> {
    requests_to(emu, paths::STATUS).iter().map(|r| r.at_ms).collect()
}

#[tokio::test]
async fn success_is_reported_in_order() {
    let emu = Arc::new(emulator().await);
    let (tx, token) = enroll(&emu).await;
    let approver = {
        let emu = emu.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(230)).await;
            emu.approve(&tx).unwrap();
        })
    };
    let recorder = Recorder::default();
    let outcome = server_client(&emu).wait_for_completion(&token, &every(100, 5000), &recorder).await.unwrap();
    approver.await.unwrap();
    assert!(outcome.succeeded());
    let statuses = recorder.statuses.lock().unwrap().clone();
    assert_eq!(statuses.len() as u32, outcome.polls);
    assert!(statuses.len() >= 3, "{statuses:?}");
    for (i, (poll, status)) in statuses.iter().enumerate() {
        assert_eq!(*poll, i as u32 + 1);
        let last = i + 1 == statuses.len();
        assert_eq!(*status, if last { TransactionStatus::Succeeded } else { TransactionStatus::Pending });
    }
    assert_eq!(requests_to(&emu, paths::STATUS).len() as u32, outcome.polls, "no poll after the final status");
}

#[tokio::test]
async fn declined_and_unknown_end_the_wait() {
    let emu = emulator().await;
    let client = server_client(&emu);
    let (tx, token) = enroll(&emu).await;
    emu.deny(&tx).unwrap();
    let outcome = client.wait_for_completion(&token, &every(100, 5000), &NoObserver).await.unwrap();
    assert_eq!(outcome.status.status, TransactionStatus::Failed);
    assert!(!outcome.succeeded());
    assert_eq!(outcome.polls, 1);

    let never_issued = SecretString::new("not-a-token-this-server-issued");
    let outcome = client.wait_for_completion(&never_issued, &every(100, 5000), &NoObserver).await.unwrap();
    assert_eq!(outcome.status.status, TransactionStatus::Unknown);

    // A status newer than this SDK also ends the wait.
    fault(&emu, paths::STATUS, 1, FaultKind::Json { status: 200, body: serde_json::json!({"status": "archived"}) });
    let outcome = client.wait_for_completion(&token, &every(100, 5000), &NoObserver).await.unwrap();
    assert_eq!(outcome.status.status, TransactionStatus::Other("archived".into()));
}

#[tokio::test]
async fn expired_transaction_reports_failed() {
    let emu = emulator_with(EmulatorConfig { transaction_ttl: Duration::from_millis(250), ..Default::default() }).await;
    let (_, token) = enroll(&emu).await;
    let outcome = server_client(&emu).wait_for_completion(&token, &every(100, 5000), &NoObserver).await.unwrap();
    assert_eq!(outcome.status.status, TransactionStatus::Failed);
    assert!(outcome.elapsed >= Duration::from_millis(200));
}

#[tokio::test]
async fn deadline_gives_up_with_elapsed_and_polls() {
    let emu = emulator().await;
    let (_, token) = enroll(&emu).await;
    let started = Instant::now();
    let err = server_client(&emu).wait_for_completion(&token, &every(100, 350), &NoObserver).await.unwrap_err();
    let took = started.elapsed();
    match err {
        Error::WaitTimedOut { elapsed, polls, last_status } => {
            assert!(elapsed >= Duration::from_millis(350) && elapsed < Duration::from_millis(1000), "{elapsed:?}");
            // Polls at 0, 100, 200 and (unless the machine is very busy) 300 ms.
            assert!((3..=4).contains(&polls), "{polls}");
            assert_eq!(requests_to(&emu, paths::STATUS).len() as u32, polls);
            assert_eq!(last_status, Some(TransactionStatus::Pending));
        }
        other => panic!("{other:?}"),
    }
    assert!(took < Duration::from_millis(1200));
}

#[tokio::test]
async fn cancel_stops_polling_at_once() {
    let emu = emulator().await;
    let (_, token) = enroll(&emu).await;
    let client = server_client(&emu);
    let options = every(100, 60_000);
    let cancel = options.cancel.clone();
    let waiter = tokio::spawn({
        let client = client.clone();
        async move { client.wait_for_completion(&token, &options, &NoObserver).await }
    });
    tokio::time::sleep(Duration::from_millis(220)).await;
    let cancelled_at = Instant::now();
    cancel.cancel();
    let result = tokio::time::timeout(Duration::from_secs(1), waiter).await.expect("cancel is prompt").unwrap();
    assert!(matches!(result, Err(Error::Cancelled)), "{result:?}");
    assert!(cancelled_at.elapsed() < Duration::from_millis(300));
    // A request already on the wire at the cancel may still be logged: count after a pause.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let polls_at_cancel = requests_to(&emu, paths::STATUS).len();
    assert!(polls_at_cancel >= 3);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(requests_to(&emu, paths::STATUS).len(), polls_at_cancel, "no request after cancel");
}

#[tokio::test]
async fn cancel_interrupts_an_in_flight_poll_and_a_pre_cancelled_wait_sends_nothing() {
    let emu = emulator().await;
    let (_, token) = enroll(&emu).await;
    let client = server_client(&emu);
    fault(&emu, paths::STATUS, 1, FaultKind::Delay { delay_ms: 1500 });
    let options = every(100, 60_000);
    let cancel = options.cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(150)).await;
        cancel.cancel();
    });
    let started = Instant::now();
    let result = client.wait_for_completion(&token, &options, &NoObserver).await;
    assert!(matches!(result, Err(Error::Cancelled)));
    assert!(started.elapsed() < Duration::from_millis(600), "{:?}", started.elapsed());

    let before = requests_to(&emu, paths::STATUS).len();
    let options = WaitOptions { cancel: CancellationToken::new(), ..every(100, 60_000) };
    options.cancel.cancel();
    assert!(matches!(client.wait_for_completion(&token, &options, &NoObserver).await, Err(Error::Cancelled)));
    assert_eq!(requests_to(&emu, paths::STATUS).len(), before);
}

#[tokio::test]
async fn dropping_the_wait_stops_polling() {
    let emu = emulator().await;
    let (_, token) = enroll(&emu).await;
    let client = server_client(&emu);
    let options = every(100, 60_000);
    let _ = tokio::time::timeout(Duration::from_millis(200), client.wait_for_completion(&token, &options, &NoObserver))
        .await;
    let polls = requests_to(&emu, paths::STATUS).len();
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(requests_to(&emu, paths::STATUS).len(), polls);
}

#[tokio::test]
async fn rate_limits_widen_the_interval() {
    let emu = Arc::new(emulator().await);
    let (tx, token) = enroll(&emu).await;
    // Poll 1 is fine, polls 2 and 3 meet 429 without Retry-After, then all is fine again.
    fault(&emu, paths::STATUS, 1, FaultKind::Delay { delay_ms: 0 });
    fault(&emu, paths::STATUS, 2, FaultKind::Status { status: 429, retry_after: None });
    let recorder = Recorder::default();
    let emu2 = emu.clone();
    let approver = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1100)).await;
        emu2.approve(&tx).unwrap();
    });
    let outcome = server_client(&emu).wait_for_completion(&token, &every(100, 5000), &recorder).await.unwrap();
    approver.await.unwrap();
    assert!(outcome.succeeded());
    let t = status_times(&emu);
    let gaps: Vec<f64> = t.windows(2).map(|w| w[1] - w[0]).collect();
    // 0 →(100) 429 →(200) 429 →(400) ok →(100) ...
    // Lower bounds prove the widening; upper bounds only catch gross errors (busy CI).
    assert!((80.0..260.0).contains(&gaps[0]), "{gaps:?}");
    assert!((180.0..380.0).contains(&gaps[1]), "{gaps:?}");
    assert!((380.0..580.0).contains(&gaps[2]), "{gaps:?}");
    assert!((50.0..260.0).contains(&gaps[3]), "back to the normal interval: {gaps:?}");
    let transient = recorder.transient.lock().unwrap().clone();
    assert_eq!(transient.iter().map(|(k, _)| *k).collect::<Vec<_>>(), vec![ErrorKind::RateLimited; 2]);

    // A Retry-After longer than the widened interval is honoured.
    let (_, token) = enroll(&emu).await;
    let before = status_times(&emu).len();
    fault(&emu, paths::STATUS, 1, FaultKind::Status { status: 429, retry_after: Some(1) });
    let _ = server_client(&emu).wait_for_completion(&token, &every(100, 1300), &NoObserver).await;
    let t = &status_times(&emu)[before..];
    assert!(t[1] - t[0] >= 990.0, "{t:?}");
}

#[tokio::test]
async fn retry_after_on_503_is_honoured_and_a_huge_one_cannot_break_the_wait() {
    let emu = emulator().await;
    let (_, token) = enroll(&emu).await;
    let client = server_client(&emu);
    fault(&emu, paths::STATUS, 1, FaultKind::Status { status: 503, retry_after: Some(1) });
    let _ = client.wait_for_completion(&token, &every(100, 1300), &NoObserver).await;
    let t = status_times(&emu);
    assert!(t[1] - t[0] >= 990.0, "the 503's Retry-After was honoured: {t:?}");

    // A Retry-After far beyond the deadline (or beyond what a clock can add) ends the wait
    // at once with the server's answer: a typed error, no panic, no pointless waiting.
    fault(&emu, paths::STATUS, 1, FaultKind::Status { status: 429, retry_after: Some(u64::MAX / 2) });
    let started = Instant::now();
    let err = client.wait_for_completion(&token, &every(100, 400), &NoObserver).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert!(started.elapsed() < Duration::from_millis(300), "{:?}", started.elapsed());
    let no_deadline = WaitOptions { timeout: Duration::MAX, ..every(100, 1) };
    let cancel = no_deadline.cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        cancel.cancel();
    });
    let err = client.wait_for_completion(&token, &no_deadline, &NoObserver).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
}

#[tokio::test]
async fn transient_errors_are_reported_and_polling_goes_on() {
    let emu = emulator().await;
    let (tx, token) = enroll(&emu).await;
    fault(&emu, paths::STATUS, 1, FaultKind::Status { status: 503, retry_after: None });
    fault(&emu, paths::STATUS, 1, FaultKind::Drop);
    fault(&emu, paths::STATUS, 1, FaultKind::Truncated);
    emu.approve(&tx).unwrap();
    let recorder = Recorder::default();
    let outcome = server_client(&emu).wait_for_completion(&token, &every(100, 5000), &recorder).await.unwrap();
    assert!(outcome.succeeded());
    assert_eq!(outcome.polls, 4);
    let kinds: Vec<ErrorKind> = recorder.transient.lock().unwrap().iter().map(|(k, _)| *k).collect();
    assert_eq!(kinds, vec![ErrorKind::Server, ErrorKind::Network, ErrorKind::Network]);

    // A non-transient error ends the wait with that error.
    let (_, token) = enroll(&emu).await;
    fault(&emu, paths::STATUS, 1, FaultKind::Garbage);
    let err = server_client(&emu).wait_for_completion(&token, &every(100, 5000), &NoObserver).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MalformedResponse);
}

#[tokio::test]
async fn schedule_does_not_drift() {
    let emu = emulator().await;
    let (_, token) = enroll(&emu).await;
    // Every poll is slowed by 30 ms: a naive sleep-after-poll loop would drift 300 ms in 10.
    fault(&emu, paths::STATUS, 12, FaultKind::Delay { delay_ms: 30 });
    let _ = server_client(&emu).wait_for_completion(&token, &every(100, 1050), &NoObserver).await;
    let t = status_times(&emu);
    assert!(t.len() >= 10, "{t:?}");
    for (i, at) in t.iter().take(10).enumerate() {
        let offset = at - t[0] - 100.0 * i as f64;
        assert!(offset.abs() <= 50.0, "poll {i} is {offset:.1} ms off schedule: {t:?}");
    }
}

#[tokio::test]
async fn bad_options_are_invalid_input() {
    let emu = emulator().await;
    let client = server_client(&emu);
    let token = SecretString::new("t");
    let zero = WaitOptions { poll_interval: Duration::ZERO, ..Default::default() };
    assert_eq!(
        client.wait_for_completion(&token, &zero, &NoObserver).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert!(emu.requests().is_empty());
}
