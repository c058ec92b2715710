//! What the FFI layer promises to every language, checked from Rust: callbacks that fail,
//! panic, block or call back in cannot break the SDK; one client is safe to share across
//! threads; cancel stops polling, dropping a watch handle does not.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use authcloud_emulator::{Emulator, EmulatorConfig};
use authcloud_ffi::{
    AsyncClient, AuthCloudError, CallbackError, Client, ClientConfig, LogLevel, LogRecord, LogSink, Secret,
    StatusUpdate, TransactionStatus, WaitObserver, WaitOptions, WaitOutcome,
};

/// A runtime that only hosts the emulator; the bindings use their own.
fn emulator_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap()
}

fn start(rt: &tokio::runtime::Runtime) -> Emulator {
    rt.block_on(Emulator::start(EmulatorConfig::default())).unwrap()
}

fn config(emu: &Emulator) -> ClientConfig {
    ClientConfig {
        instance: None,
        base_url: Some(emu.base_url().to_owned()),
        access_key: Some(Secret::new(emu.access_key().to_owned())),
        intent_token: None,
        connect_timeout_ms: 2000,
        request_timeout_ms: 2000,
        call_timeout_ms: 10_000,
        max_attempts: 3,
        initial_backoff_ms: 10,
        max_backoff_ms: 50,
        max_retry_after_ms: 5000,
        max_response_bytes: 1 << 20,
        max_concurrent_requests: 64,
        user_agent_suffix: None,
        extra_root_ca_pem: None,
        use_environment_proxy: false,
        proxy_url: None,
    }
}

fn fast() -> WaitOptions {
    WaitOptions { poll_interval_ms: 100, timeout_ms: 10_000, max_poll_interval_ms: 1000, first_poll_jitter: false }
}

fn status_polls(emu: &Emulator) -> usize {
    emu.requests().iter().filter(|r| r.path == "/api/v1/status").count()
}

#[derive(Default)]
struct Hostile {
    statuses: Mutex<Vec<u32>>,
    finished: AtomicU32,
    failed: Mutex<Vec<String>>,
    /// Calls a blocking SDK method from inside the callback.
    reenter: Option<(Arc<Client>, Arc<Secret>)>,
}

impl WaitObserver for Hostile {
    fn on_status(&self, update: StatusUpdate) -> Result<(), CallbackError> {
        self.statuses.lock().unwrap().push(update.poll);
        if let Some((client, token)) = &self.reenter {
            client.status(token.clone()).map_err(|e| CallbackError::Failed { reason: e.to_string() })?;
        }
        match update.poll % 3 {
            0 => Err(CallbackError::Failed { reason: "host bug".into() }),
            1 => Ok(()),
            _ => panic!("host panic in on_status"),
        }
    }
    fn on_transient_error(&self, _: AuthCloudError, _: u64) -> Result<(), CallbackError> {
        Ok(())
    }
    fn on_finished(&self, _: WaitOutcome) -> Result<(), CallbackError> {
        self.finished.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
    fn on_failed(&self, error: AuthCloudError) -> Result<(), CallbackError> {
        self.failed.lock().unwrap().push(error.to_string());
        Ok(())
    }
}

#[test]
fn failing_panicking_and_reentrant_callbacks_do_not_break_the_wait() {
    let rt = emulator_runtime();
    let emu = Arc::new(start(&rt));
    let client = Client::new(config(&emu)).unwrap();
    let enrolled = client.enroll(Some("hostile".into()), None).unwrap();
    let token = enrolled.enrollment.status_token.clone();
    let observer = Arc::new(Hostile { reenter: Some((client.clone(), token.clone())), ..Default::default() });
    let approver = {
        let emu = emu.clone();
        let tx = enrolled.enrollment.transaction_id.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            emu.approve(&tx).unwrap();
        })
    };
    let outcome = client.wait_for_completion(token, fast(), Some(observer.clone()), None).unwrap();
    approver.join().unwrap();
    assert!(outcome.succeeded);
    assert_eq!(outcome.status.status, TransactionStatus::Succeeded);
    let polls: Vec<u32> = observer.statuses.lock().unwrap().clone();
    assert_eq!(polls, (1..=outcome.polls).collect::<Vec<_>>(), "every update, in order, despite errors and panics");
    assert_eq!(observer.finished.load(Ordering::SeqCst), 1);
}

struct Sleepy(Mutex<Vec<u32>>);

impl WaitObserver for Sleepy {
    fn on_status(&self, update: StatusUpdate) -> Result<(), CallbackError> {
        std::thread::sleep(Duration::from_millis(200));
        self.0.lock().unwrap().push(update.poll);
        Ok(())
    }
    fn on_transient_error(&self, _: AuthCloudError, _: u64) -> Result<(), CallbackError> {
        Ok(())
    }
    fn on_finished(&self, _: WaitOutcome) -> Result<(), CallbackError> {
        Ok(())
    }
    fn on_failed(&self, _: AuthCloudError) -> Result<(), CallbackError> {
        Ok(())
    }
}

#[test]
fn a_slow_callback_does_not_slow_polling() {
    let rt = emulator_runtime();
    let emu = Arc::new(start(&rt));
    let client = Client::new(config(&emu)).unwrap();
    let enrolled = client.enroll(Some("sleepy".into()), None).unwrap();
    let tx = enrolled.enrollment.transaction_id.clone();
    let emu2 = emu.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1000));
        emu2.approve(&tx).unwrap();
    });
    let observer = Arc::new(Sleepy(Mutex::new(Vec::new())));
    let outcome =
        client.wait_for_completion(enrolled.enrollment.status_token, fast(), Some(observer.clone()), None).unwrap();
    assert!(outcome.polls >= 8, "polls kept their 100 ms pace: {}", outcome.polls);
    assert_eq!(observer.0.lock().unwrap().len() as u32, outcome.polls, "all delivered before returning");
}

#[test]
fn one_client_is_safe_to_share_across_threads() {
    let rt = emulator_runtime();
    let emu = start(&rt);
    let client = Client::new(config(&emu)).unwrap();
    let async_client = AsyncClient::new(config(&emu)).unwrap();
    let threads: Vec<_> = (0..16)
        .map(|i| {
            let client = client.clone();
            let async_client = async_client.clone();
            std::thread::spawn(move || {
                let enrolled = client.enroll(Some(format!("thread-{i}")), None).unwrap();
                let status = client.status(enrolled.enrollment.status_token.clone()).unwrap();
                assert_eq!(status.status, TransactionStatus::Pending);
                // Poll the async API from a foreign executor (here: a bare current-thread
                // runtime without I/O or timers, like an event loop that is not tokio).
                let foreign = tokio::runtime::Builder::new_current_thread().build().unwrap();
                let again = foreign.block_on(async_client.status(enrolled.enrollment.status_token)).unwrap();
                assert_eq!(again.transaction_id, status.transaction_id);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(emu.requests().iter().filter(|r| r.path == "/api/v1/users/enroll").count(), 16);
}

#[test]
fn watch_cancel_stops_polling() {
    let rt = emulator_runtime();
    let emu = start(&rt);
    let client = Client::new(config(&emu)).unwrap();
    let observer = Arc::new(Hostile::default());
    let enrolled = client.enroll(Some("watched".into()), None).unwrap();
    let handle = client.watch(enrolled.enrollment.status_token.clone(), observer.clone(), fast()).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let canceller = {
        let handle = handle.clone();
        std::thread::spawn(move || handle.cancel())
    };
    canceller.join().unwrap();
    assert!(handle.join(2000));
    // A request already on the wire at the cancel may still be logged: count after a pause.
    std::thread::sleep(Duration::from_millis(100));
    let polls = status_polls(&emu);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(status_polls(&emu), polls);
    assert_eq!(observer.failed.lock().unwrap().as_slice(), [authcloud::error_message::CANCELLED]);
}

#[test]
fn a_dropped_watch_handle_keeps_the_watch_running_to_its_outcome() {
    // Kotlin and Swift release objects when their garbage collector or scope decides; an
    // app that kept only its observer must still hear how the operation ended.
    let rt = emulator_runtime();
    let emu = start(&rt);
    let client = Client::new(config(&emu)).unwrap();
    let observer = Arc::new(Hostile::default());
    let enrolled = client.enroll(Some("dropped-handle".into()), None).unwrap();
    drop(client.watch(enrolled.enrollment.status_token, observer.clone(), fast()).unwrap());
    std::thread::sleep(Duration::from_millis(200));
    let polls = status_polls(&emu);
    assert!(polls >= 2, "still polling after the drop: {polls}");
    emu.approve(&enrolled.enrollment.transaction_id).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while observer.finished.load(Ordering::SeqCst) == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(observer.finished.load(Ordering::SeqCst), 1, "the observer heard the outcome");
    assert!(observer.failed.lock().unwrap().is_empty());
}

#[test]
fn a_blocking_wait_is_cancelled_from_another_thread() {
    let rt = emulator_runtime();
    let emu = start(&rt);
    let client = Client::new(config(&emu)).unwrap();
    let enrolled = client.enroll(Some("blocking".into()), None).unwrap();
    let cancel = authcloud_ffi::CancelToken::new();
    let canceller = {
        let cancel = cancel.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(250));
            cancel.cancel();
        })
    };
    let started = Instant::now();
    let slow = WaitOptions { poll_interval_ms: 1000, ..fast() };
    let result = client.wait_for_completion(enrolled.enrollment.status_token.clone(), slow, None, Some(cancel.clone()));
    canceller.join().unwrap();
    assert!(matches!(result, Err(AuthCloudError::Cancelled)), "{result:?}");
    assert!(started.elapsed() < Duration::from_millis(900), "ended at the cancel, not the next poll");
    assert!(cancel.is_cancelled());
    // An already-cancelled token ends a wait before any request.
    let before = status_polls(&emu);
    let again = client.wait_for_completion(enrolled.enrollment.status_token, fast(), None, Some(cancel));
    assert!(matches!(again, Err(AuthCloudError::Cancelled)));
    assert_eq!(status_polls(&emu), before);
}

#[test]
fn invalid_watch_options_are_the_callers_error() {
    let rt = emulator_runtime();
    let emu = start(&rt);
    let client = Client::new(config(&emu)).unwrap();
    let enrolled = client.enroll(Some("bad-options".into()), None).unwrap();
    let too_fast = WaitOptions { poll_interval_ms: 99, ..fast() };
    match client.watch(enrolled.enrollment.status_token, Arc::new(Hostile::default()), too_fast) {
        Err(AuthCloudError::InvalidInput { field, .. }) => assert_eq!(field, "poll_interval_ms"),
        Err(other) => panic!("{other:?}"),
        Ok(_) => panic!("a 99 ms poll interval was accepted"),
    }
}

#[test]
fn the_request_slot_limit_is_passed_to_the_core_and_checked() {
    let rt = emulator_runtime();
    let emu = start(&rt);
    match Client::new(ClientConfig { max_concurrent_requests: 0, ..config(&emu) }) {
        Err(AuthCloudError::Configuration { reason }) => assert!(reason.contains("at least 1"), "{reason}"),
        Err(other) => panic!("{other:?}"),
        Ok(_) => panic!("a limit of 0 requests in flight was accepted"),
    }
    // One slot and a jittered first poll still complete a wait.
    let client = Client::new(ClientConfig { max_concurrent_requests: 1, ..config(&emu) }).unwrap();
    let enrolled = client.enroll(Some("one-slot".into()), None).unwrap();
    emu.approve(&enrolled.enrollment.transaction_id).unwrap();
    let options = WaitOptions { first_poll_jitter: true, ..fast() };
    let outcome = client.wait_for_completion(enrolled.enrollment.status_token, options, None, None).unwrap();
    assert!(outcome.succeeded);
}

struct BrokenSink(AtomicU32);

impl LogSink for BrokenSink {
    fn log(&self, _: LogRecord) -> Result<(), CallbackError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Err(CallbackError::Failed { reason: "sink down".into() })
    }
}

#[test]
fn a_failing_log_sink_is_counted_not_fatal() {
    let rt = emulator_runtime();
    let emu = start(&rt);
    let client = Client::new(config(&emu)).unwrap();
    let sink = Arc::new(BrokenSink(AtomicU32::new(0)));
    authcloud_ffi::set_log_sink(sink.clone(), LogLevel::Debug);
    let before = authcloud_ffi::dropped_log_records();
    for i in 0..3 {
        client.enroll(Some(format!("logged-{i}")), None).unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while sink.0.load(Ordering::SeqCst) < 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    authcloud_ffi::clear_log_sink();
    assert!(sink.0.load(Ordering::SeqCst) >= 3);
    assert!(authcloud_ffi::dropped_log_records() > before);
}
