//! One source for defaults: every `#[uniffi(default = …)]` literal of a record field and
//! every `default(name = …)` of an exported method must equal the core's (or the
//! emulator's) own default. uniffi needs literals there, so this test reads them from the
//! source and fails when one drifts — or when a new default is not listed here.

use std::collections::BTreeMap;
use std::time::Duration;

use authcloud::defaults::*;

fn ms(d: Duration) -> String {
    d.as_millis().to_string()
}

/// What each defaulted name must be, from the Rust side's single source.
fn expected() -> BTreeMap<&'static str, String> {
    let retry = authcloud::RetryPolicy::default();
    let emulator = authcloud_emulator::EmulatorConfig::default();
    let verify = authcloud::VerifyOptions::default();
    let approval = authcloud::ApprovalRequest::push(authcloud::UserRef::Username("u".into()));
    // A fault without a count applies once (the emulator's control-API default).
    let fault: authcloud_emulator::Fault = serde_json::from_str(r#"{"path": "/x", "kind": "drop"}"#).unwrap();
    let logs = authcloud::LogQuery::default();
    let none = || "None".to_owned();
    let list = |values: &Vec<String>| if values.is_empty() { "[]".to_owned() } else { format!("{values:?}") };
    BTreeMap::from([
        // ClientConfig
        ("instance", none()),
        ("base_url", none()),
        ("access_key", none()),
        ("intent_token", none()),
        ("connect_timeout_ms", ms(DEFAULT_CONNECT_TIMEOUT)),
        ("request_timeout_ms", ms(DEFAULT_REQUEST_TIMEOUT)),
        ("call_timeout_ms", ms(DEFAULT_CALL_TIMEOUT)),
        ("max_attempts", retry.max_attempts.to_string()),
        ("initial_backoff_ms", ms(retry.initial_backoff)),
        ("max_backoff_ms", ms(retry.max_backoff)),
        ("max_retry_after_ms", ms(retry.max_retry_after)),
        ("max_response_bytes", DEFAULT_MAX_RESPONSE_BYTES.to_string()),
        ("max_concurrent_requests", DEFAULT_MAX_CONCURRENT_REQUESTS.to_string()),
        ("user_agent_suffix", none()),
        ("extra_root_ca_pem", none()),
        // The core's default proxy setting is "from the environment".
        (
            "use_environment_proxy",
            (authcloud::ProxySetting::default() == authcloud::ProxySetting::FromEnvironment).to_string(),
        ),
        ("proxy_url", none()),
        // WaitOptions
        ("poll_interval_ms", ms(DEFAULT_POLL_INTERVAL)),
        ("timeout_ms", ms(DEFAULT_WAIT_TIMEOUT)),
        ("max_poll_interval_ms", ms(DEFAULT_MAX_POLL_INTERVAL)),
        ("first_poll_jitter", DEFAULT_FIRST_POLL_JITTER.to_string()),
        // EmulatorOptions (the emulator crate's defaults)
        ("port", emulator.bind.port().to_string()),
        ("transaction_ttl_ms", ms(emulator.transaction_ttl)),
        ("intent_ttl_ms", ms(emulator.intent_ttl)),
        ("auto_approve_after_ms", none()),
        ("iat_in_seconds", (emulator.iat_unit == authcloud_emulator::IatUnit::Seconds).to_string()),
        ("count", fault.count.to_string()),
        ("push_limit", emulator.rate_limits.push.map_or_else(none, |l| format!("{l:?}"))),
        ("sms_limit", emulator.rate_limits.sms.map_or_else(none, |l| format!("{l:?}"))),
        // Emulator.set_rate_limits: a limit not given is none (unlimited).
        ("push", none()),
        ("sms", none()),
        // LogQuery (the core's: the server's default period, no filters)
        ("query", none()),
        ("filter", logs.filter.as_ref().map_or_else(none, |f| format!("{f:?}"))),
        ("timespan_seconds", if logs.period == authcloud::LogPeriod::Default { none() } else { "?".into() }),
        ("from_date", none()),
        ("to_date", none()),
        ("statuses", list(&logs.statuses)),
        ("categories", list(&logs.categories)),
        ("actor_types", list(&logs.actor_types)),
        // Method parameters
        ("username", none()),
        ("user_id", none()),
        ("channels", "[]".to_owned()),
        ("observer", none()),
        ("cancel", none()),
        ("options", none()),
        ("expected_user_id", none()),
        ("expected_transaction_id", none()),
        ("check_subject", verify.check_subject.to_string()),
        // ApprovalRequest (the core's push approval)
        ("channel", none()),
        ("authenticator_id", none()),
        ("prompt", approval.prompt.to_string()),
        ("message", approval.message.as_ref().map_or_else(none, |m| format!("{m:?}"))),
        ("notification_message", approval.notification_message.as_ref().map_or_else(none, |m| format!("{m:?}"))),
        ("usernameless", approval.user.is_none().to_string()),
    ])
}

/// The crate's Rust sources, subdirectories included, in a stable order.
fn rust_sources(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// `(file, name, literal)` for every default in the crate's sources.
fn defaults_in_source() -> Vec<(String, String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    for path in rust_sources(&dir) {
        let text = std::fs::read_to_string(&path).unwrap();
        let file = path.strip_prefix(&dir).unwrap().to_string_lossy().into_owned();
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        for (i, line) in lines.iter().enumerate() {
            if let Some(rest) = line.strip_prefix("#[uniffi(default = ") {
                let literal = rest.strip_suffix(")]").expect("one-line attribute").to_owned();
                let field = lines[i + 1..]
                    .iter()
                    .find(|l| l.starts_with("pub "))
                    .and_then(|l| l.strip_prefix("pub ")?.split(':').next())
                    .expect("a field follows the attribute")
                    .to_owned();
                found.push((file.clone(), field, literal));
            } else if let Some(rest) = line.strip_prefix("#[uniffi::method(default(") {
                let inner = rest.strip_suffix("))]").expect("one-line attribute");
                for part in inner.split(',').map(str::trim) {
                    match part.split_once('=') {
                        Some((name, value)) => found.push((file.clone(), name.trim().into(), value.trim().into())),
                        // A bare name means "the type's Default", which is checked in Rust.
                        None => found.push((file.clone(), part.into(), "None".into())),
                    }
                }
            }
        }
    }
    found
}

#[test]
fn every_uniffi_default_matches_the_single_source() {
    let expected = expected();
    let found = defaults_in_source();
    assert!(found.len() >= 30, "the scan found only {} defaults: is the parser still right?", found.len());
    let mut problems = Vec::new();
    for (file, name, literal) in &found {
        match expected.get(name.as_str()) {
            None => problems.push(format!("{file}: `{name}` has a default ({literal}) this test does not know")),
            Some(want) if want != literal => {
                problems.push(format!("{file}: `{name}` defaults to {literal}, the core says {want}"))
            }
            Some(_) => {}
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_rust_defaults_of_the_records_agree_too() {
    let wait = authcloud_ffi::WaitOptions::default();
    assert_eq!(wait.poll_interval_ms.to_string(), ms(DEFAULT_POLL_INTERVAL));
    assert_eq!(wait.timeout_ms.to_string(), ms(DEFAULT_WAIT_TIMEOUT));
    assert_eq!(wait.max_poll_interval_ms.to_string(), ms(DEFAULT_MAX_POLL_INTERVAL));
    assert_eq!(wait.first_poll_jitter, DEFAULT_FIRST_POLL_JITTER);
    assert_eq!(wait.first_poll_jitter, authcloud::WaitOptions::default().first_poll_jitter);
}
