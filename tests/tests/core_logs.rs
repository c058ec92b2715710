//! The log export against the emulator over real HTTP: two filters return exactly the
//! matching rows, the 10,000-row cap, bad queries refused before sending, and faults.

use std::time::Duration;

use authcloud::{ApprovalRequest, EnrollRequest, Error, ErrorKind, LogPeriod, LogQuery, MAX_EXPORT_ROWS, UserRef};
use authcloud_emulator::FaultKind;
use authcloud_tests::{builder, emulator, fault, server_client};

const EXPORT: &str = "/api/v1/logs/export";

fn export_requests(emu: &authcloud_emulator::Emulator) -> usize {
    emu.requests().iter().filter(|r| r.path.split('?').next() == Some(EXPORT)).count()
}

#[tokio::test]
async fn two_filters_return_exactly_the_matching_rows() {
    let emu = emulator().await;
    let client = server_client(&emu);
    // Two users, each registered; one declines a login, the other approves one.
    let mut ids = Vec::new();
    for name in ["log-anna", "log-bert"] {
        let enrolled = client.enroll(&EnrollRequest::username(name)).await.unwrap();
        emu.approve(&enrolled.enrollment.transaction_id).unwrap();
        ids.push(enrolled.user.user_id);
    }
    let anna = client.approve(&ApprovalRequest::push(UserRef::UserId(ids[0].clone()))).await.unwrap();
    emu.deny(&anna.transaction_id).unwrap();
    let bert = client.approve(&ApprovalRequest::push(UserRef::UserId(ids[1].clone()))).await.unwrap();
    emu.approve(&bert.transaction_id).unwrap();

    let everything = client.export_logs(&LogQuery::default()).await.unwrap();
    assert!(!everything.maybe_truncated);
    let timestamps: Vec<&str> = everything.events.iter().map(|e| e.timestamp.as_str()).collect();
    let mut newest_first = timestamps.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(timestamps, newest_first, "newest first");

    let query = LogQuery {
        categories: vec!["approval".into()],
        statuses: vec!["failure".into()],
        period: LogPeriod::Last(Duration::from_secs(3600)),
        ..LogQuery::default()
    };
    let failed = client.export_logs(&query).await.unwrap();
    let expected: Vec<_> = everything
        .events
        .iter()
        .filter(|e| e.category.as_deref() == Some("approval") && e.status.as_deref() == Some("failure"))
        .cloned()
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(failed.events, expected, "exactly the matching rows");
    assert!(failed.events.iter().all(|e| e.user_id.as_deref() == Some(ids[0].as_str())));

    let by_name = LogQuery { filter: Some("log-bert".into()), ..LogQuery::default() };
    let bert_rows = client.export_logs(&by_name).await.unwrap();
    assert!(!bert_rows.events.is_empty());
    assert!(bert_rows.events.iter().all(|e| e.user_id.as_deref() == Some(ids[1].as_str())));
}

#[tokio::test]
async fn the_export_stops_at_ten_thousand_rows() {
    let emu = emulator().await;
    let client = server_client(&emu);
    emu.seed_log_events(10_050);
    let export = client.export_logs(&LogQuery::default()).await.unwrap();
    assert_eq!(export.events.len(), MAX_EXPORT_ROWS);
    assert!(export.maybe_truncated);
}

#[tokio::test]
async fn bad_queries_are_refused_before_anything_is_sent() {
    let emu = emulator().await;
    let client = server_client(&emu);
    let cases = [
        (LogQuery { filter: Some("a".into()), ..LogQuery::default() }, "filter"),
        (LogQuery { channels: vec!["email".into()], ..LogQuery::default() }, "channel"),
        (
            LogQuery { period: LogPeriod::Between { from: Some("yesterday".into()), to: None }, ..LogQuery::default() },
            "fromDate",
        ),
    ];
    for (query, expected) in cases {
        match client.export_logs(&query).await {
            Err(Error::InvalidInput { field, .. }) => assert_eq!(field, expected),
            other => panic!("{query:?}: {other:?}"),
        }
    }
    assert_eq!(export_requests(&emu), 0);
    // An intent token cannot export: refused before sending too.
    let device = builder(&emu).intent_token("not-a-real-token").build().unwrap();
    assert!(matches!(device.export_logs(&LogQuery::default()).await, Err(Error::AccessKeyRequired { .. })));
    assert_eq!(export_requests(&emu), 0);
}

#[tokio::test]
async fn faults_give_typed_errors_and_a_read_is_retried() {
    let emu = emulator().await;
    let client = server_client(&emu);
    client.enroll(&EnrollRequest::username("log-faults")).await.unwrap();
    for (kind, expected) in [
        (FaultKind::Status { status: 500, retry_after: None }, ErrorKind::Server),
        (FaultKind::Garbage, ErrorKind::MalformedResponse),
    ] {
        fault(&emu, EXPORT, 1, kind.clone());
        let error = client.export_logs(&LogQuery::default()).await.unwrap_err();
        assert_eq!(error.kind(), expected, "{kind:?}: {error}");
    }
    // Transient faults of a read are retried: the export arrives whole.
    for kind in [
        FaultKind::Drop,
        FaultKind::Truncated,
        FaultKind::Status { status: 503, retry_after: None },
        FaultKind::Status { status: 429, retry_after: Some(0) },
    ] {
        let before = export_requests(&emu);
        fault(&emu, EXPORT, 1, kind.clone());
        let export = client.export_logs(&LogQuery::default()).await.unwrap();
        assert!(!export.events.is_empty(), "{kind:?}");
        assert_eq!(export_requests(&emu), before + 2, "{kind:?}: one retry");
    }
}
