//! `GET /api/v1/logs/export`: the event log as streamed RFC 4180 CSV, newest first, filtered
//! by its query parameters, at most 10,000 rows; seeded by `POST /_emulator/logs/seed`.

use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::common::{Ctx, assert_error, enrollment, start};

const HEADER: &str =
    "timestamp,eventId,category,event,status,channel,actorType,userId,username,transactionId,authenticatorId,detail";

/// A CSV row, by column name.
#[derive(Debug, Clone)]
struct Row(Vec<String>);

impl Row {
    fn get(&self, column: &str) -> &str {
        let index = HEADER.split(',').position(|name| name == column).expect("a column");
        &self.0[index]
    }
}

/// Parses RFC 4180 CSV (CRLF line ends, quoted fields with doubled quotes and line breaks).
fn parse(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "CRLF line ends");
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(field.is_empty() && row.is_empty() && !quoted, "the last line ends with CRLF");
    rows
}

/// `GET /api/v1/logs/export?{query}` with the access key.
async fn export_raw(ctx: &Ctx, query: &str) -> Response {
    let url = ctx.url(&format!("/api/v1/logs/export?{query}"));
    ctx.http.get(url).bearer_auth(ctx.key()).send().await.expect("export sent")
}

/// The export's rows (asserting 200, the content type and the header row), newest first.
async fn export(ctx: &Ctx, query: &str) -> Vec<Row> {
    let response = export_raw(ctx, query).await;
    assert_eq!(response.status(), 200, "{query}");
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    let mut rows = parse(&response.text().await.unwrap()).into_iter();
    assert_eq!(rows.next().expect("a header row").join(","), HEADER);
    let rows: Vec<Row> = rows.map(Row).collect();
    assert!(rows.iter().all(|row| row.0.len() == 12), "every row has every column");
    assert!(rows.windows(2).all(|pair| pair[0].get("timestamp") >= pair[1].get("timestamp")), "newest first");
    rows
}

/// A few real events: an enrollment approved, a push approval declined, a renamed
/// authenticator, an SMS enrollment verified and a user deleted. Returns the userIds of
/// `ann` and `bo`.
async fn some_history(ctx: &Ctx) -> (String, String) {
    let (ann, phones) = ctx.user_with_phones("ann", 1).await;
    let declined = ctx.approval(json!({ "userId": ann })).await;
    ctx.emu.deny(declined["transactionId"].as_str().unwrap()).unwrap();
    let renamed = ctx
        .http
        .patch(ctx.url(&format!("/api/v1/authenticators/{}", phones[0])))
        .bearer_auth(ctx.key())
        .json(&json!({ "name": "Ann's \"work\", phone" }))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), 200);
    let sms = ctx.enroll(json!({ "channel": "sms", "username": "bo", "phone": "+41791234567" })).await;
    let bo = sms["userId"].as_str().unwrap().to_owned();
    let code = ctx.emu.sms_messages_to(&bo)[0].code.clone();
    let path = format!("/api/v1/users/{bo}/verification");
    let check = json!({ "code": code, "statusToken": enrollment(&sms).1 });
    assert_eq!(ctx.post_json(&path, Some(&ctx.key()), &check).send().await.unwrap().status(), 200);
    let (gone, _) = ctx.user_with_phones("gone", 0).await;
    let deleted = ctx.http.delete(ctx.url(&format!("/api/v1/users/{gone}"))).bearer_auth(ctx.key()).send().await;
    assert_eq!(deleted.unwrap().status(), 204);
    (ann, bo)
}

#[tokio::test]
async fn the_export_is_streamed_csv_of_what_happened_newest_first() {
    let ctx = start().await;
    let (ann, bo) = some_history(&ctx).await;
    let response = export_raw(&ctx, "").await;
    assert_eq!(response.headers().get("transfer-encoding").map(|v| v.to_str().unwrap()), Some("chunked"));
    assert!(response.headers().get("content-length").is_none(), "streamed, not one buffer");
    let raw = response.text().await.unwrap();
    assert!(raw.starts_with(&format!("{HEADER}\r\n")), "{raw}");

    let rows = export(&ctx, "").await;
    let events: Vec<&str> = rows.iter().map(|row| row.get("event")).collect();
    assert_eq!(events[0], "user.deleted", "{events:?}");
    assert_eq!(*events.last().unwrap(), "enrollment.started");
    for expected in [
        "enrollment.started",
        "enrollment.succeeded",
        "approval.started",
        "approval.failed",
        "authenticator.renamed",
        "sms.sent",
        "verification.succeeded",
        "user.deleted",
    ] {
        assert!(events.contains(&expected), "{expected}: {events:?}");
    }
    let stamp = rows[0].get("timestamp");
    assert_eq!(stamp.len(), "2026-12-05T10:11:12.345Z".len(), "{stamp}");
    assert!(stamp.ends_with('Z') && stamp.as_bytes()[19] == b'.', "{stamp}");
    assert!(rows.iter().all(|row| uuid::Uuid::parse_str(row.get("eventId")).is_ok()));

    let declined = rows.iter().find(|row| row.get("event") == "approval.failed").unwrap();
    assert_eq!(
        [declined.get("category"), declined.get("status"), declined.get("channel"), declined.get("actorType")],
        ["approval", "failure", "push", "user"]
    );
    assert_eq!((declined.get("userId"), declined.get("username")), (ann.as_str(), "ann"));
    assert!(!declined.get("transactionId").is_empty() && !declined.get("authenticatorId").is_empty());
    let started = rows.iter().find(|row| row.get("event") == "approval.started").unwrap();
    assert_eq!((started.get("status"), started.get("actorType")), ("pending", "api"));
    let renamed = rows.iter().find(|row| row.get("event") == "authenticator.renamed").unwrap();
    assert_eq!(renamed.get("detail"), "renamed to \"Ann's \"work\", phone\"");
    assert!(raw.contains(",\"renamed to \"\"Ann's \"\"work\"\", phone\"\"\"\r\n"), "quoted: {raw}");
    let deleted = rows.iter().find(|row| row.get("event") == "user.deleted").unwrap();
    assert_eq!((deleted.get("category"), deleted.get("channel"), deleted.get("username")), ("user", "unknown", "gone"));
    let verified = rows.iter().find(|row| row.get("event") == "verification.succeeded").unwrap();
    assert_eq!(
        (verified.get("category"), verified.get("channel"), verified.get("userId")),
        ("verification", "sms", bo.as_str())
    );
}

#[tokio::test]
async fn every_filter_narrows_the_rows() {
    let ctx = start().await;
    let (ann, bo) = some_history(&ctx).await;
    let all = export(&ctx, "").await;
    let count = |pred: &dyn Fn(&Row) -> bool| all.iter().filter(|row| pred(row)).count();
    // What `filter` searches, case-insensitively.
    let mentions = |row: &Row, needle: &str| {
        ["userId", "username", "transactionId", "event", "detail"]
            .iter()
            .any(|column| row.get(column).to_lowercase().contains(&needle.to_lowercase()))
    };
    let bo_prefix = bo[..8].to_uppercase();
    for (query, expected) in [
        ("status=failure", count(&|r| r.get("status") == "failure")),
        ("status=success,pending", count(&|r| r.get("status") != "failure")),
        ("category=enrollment", count(&|r| r.get("category") == "enrollment")),
        ("category=approval,user", count(&|r| ["approval", "user"].contains(&r.get("category")))),
        ("channel=sms", count(&|r| r.get("channel") == "sms")),
        ("channel=unknown", 1),
        ("actorType=user", count(&|r| r.get("actorType") == "user")),
        ("actorType=api,system", count(&|r| r.get("actorType") != "user")),
        ("filter=ANN", count(&|r| mentions(r, "ann"))),
        (format!("filter={bo_prefix}").as_str(), count(&|r| mentions(r, &bo_prefix))),
        ("filter=sms.se", count(&|r| r.get("event") == "sms.sent")),
        ("filter=zzz-nothing", 0),
        ("status=failure&channel=push&actorType=user", 1),
        ("timespan=PT1H", all.len()),
        ("timespan=P30D&category=user", 1),
        ("fromDate=2099-01-01T00:00:00Z", 0),
        ("toDate=2000-01-01", 0),
        ("fromDate=2000-01-01&toDate=2099-01-01T00:00:00%2B02:00", all.len()),
    ] {
        let rows = export(&ctx, query).await;
        assert_eq!(rows.len(), expected, "{query}");
    }
    assert!(count(&|r| r.get("userId") == ann) > 3);
    assert!(count(&|r| mentions(r, &bo_prefix)) >= 4, "bo's SMS enrollment, SMS, check, success");
    assert!(count(&|r| r.get("status") == "failure") < all.len(), "the filters have something to narrow");
    // A window in the middle: from inclusive, to exclusive.
    let oldest = all.last().unwrap().get("timestamp").to_owned();
    let rows = export(&ctx, &format!("toDate={oldest}")).await;
    assert!(rows.is_empty(), "to is exclusive");
    let rows = export(&ctx, &format!("fromDate={oldest}")).await;
    assert_eq!(rows.len(), all.len(), "from is inclusive");
}

#[tokio::test]
async fn bad_queries_are_400_and_intent_tokens_403() {
    let ctx = start().await;
    for query in [
        "filter=a",
        "filter=",
        "timespan=P1D&fromDate=2026-12-01T00:00:00Z",
        "timespan=PT1H&toDate=2026-12-01",
        "timespan=P1M",
        "timespan=1h",
        "fromDate=yesterday",
        "toDate=2026-12-01T10:00:00",
        "fromDate=2026-12-02&toDate=2026-12-01",
        "status=ok",
        "status=success,,failure",
        "category=Enrollment",
        "channel=email",
        "actorType=admin",
    ] {
        let message = assert_error(export_raw(&ctx, query).await, 400).await;
        let name = query.split('=').next().unwrap();
        assert!(message.contains(&format!("`{name}`")) || message.contains("`timespan`"), "{query}: {message}");
    }
    let intent = ctx.intent(json!({ "username": "ivy", "operation": "enroll" })).await;
    let url = ctx.url("/api/v1/logs/export");
    assert_error(ctx.http.get(&url).bearer_auth(&intent).send().await.unwrap(), 403).await;
    assert_error(ctx.http.get(&url).send().await.unwrap(), 401).await;
    assert_error(ctx.http.post(&url).bearer_auth(ctx.key()).send().await.unwrap(), 405).await;
}

#[tokio::test]
async fn at_most_ten_thousand_rows_newest_first_and_seeds_quote_their_details() {
    let ctx = start().await;
    let (ann, _) = ctx.user_with_phones("ann", 1).await;
    ctx.emu.seed_log_events(10_000);
    let seeded = ctx.control_request(Method::POST, "/_emulator/logs/seed").json(&json!({ "count": 50 })).send().await;
    assert_eq!(seeded.unwrap().status(), 204);
    let response = export_raw(&ctx, "").await;
    let raw = response.text().await.unwrap();
    let rows = export(&ctx, "").await;
    assert_eq!(rows.len(), 10_000, "10,052 events, 10,000 rows");
    assert!(rows[0].get("detail").starts_with("synthetic event 49,"), "the last seeded is the newest");
    // Ann's two events are newer than most seeds (those reach back 24 h): kept.
    assert_eq!(rows.iter().filter(|row| row.get("userId") == ann).count(), 2);
    assert_eq!(export(&ctx, "category=approval").await.len(), 10_000, "the cap applies after the filters");
    assert_eq!(export(&ctx, "category=enrollment").await.len(), 2);
    // The seeds: category approval, varied statuses and channels, users seed-0 … seed-49.
    let seeds: Vec<&Row> = rows.iter().filter(|row| row.get("username").starts_with("seed-")).collect();
    assert_eq!(seeds.len(), 9_998);
    assert!(seeds.iter().all(|row| row.get("category") == "approval"));
    for status in ["success", "failure", "pending"] {
        assert!(rows.iter().any(|row| row.get("status") == status), "{status}");
    }
    for channel in ["push", "app", "sms"] {
        assert!(rows.iter().any(|row| row.get("channel") == channel), "{channel}");
    }
    // A detail with a comma, quotes and a line break survives the round trip.
    assert!(raw.contains("\"synthetic event 9, \"\"seeded\"\"\nsecond line\""), "quoted as RFC 4180 asks");
    let quoted = rows.iter().find(|row| row.get("detail").starts_with("synthetic event 9,")).expect("seed 9");
    assert_eq!(quoted.get("detail"), "synthetic event 9, \"seeded\"\nsecond line");
    // Filters apply before the cap: every seed-7 event (of both seedings) is there.
    let seventh = export(&ctx, "filter=seed-7").await;
    assert_eq!(seventh.len(), 201, "10,000 / 50, and 1 of the 50");
    assert!(seventh.iter().all(|row| row.get("username") == "seed-7"));

    for bad in [json!({}), json!({ "count": -1 }), json!({ "count": "5" }), json!({ "count": 4_294_967_296u64 })] {
        let response = ctx.control_request(Method::POST, "/_emulator/logs/seed").json(&bad).send().await.unwrap();
        assert_error(response, 400).await;
    }
    ctx.emu.reset();
    assert!(export(&ctx, "").await.is_empty(), "reset forgets the events");
}

#[tokio::test]
async fn no_code_or_token_reaches_the_export() {
    let ctx = start().await;
    let sms = ctx.enroll(json!({ "channel": "sms", "username": "cy", "phone": "+41791234567" })).await;
    let user_id = sms["userId"].as_str().unwrap().to_owned();
    let (_, status_token) = enrollment(&sms);
    let code = ctx.emu.sms_messages_to(&user_id)[0].code.clone();
    let path = format!("/api/v1/users/{user_id}/verification");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for guess in [wrong, code.as_str()] {
        let body = json!({ "code": guess, "statusToken": status_token });
        ctx.post_json(&path, Some(&ctx.key()), &body).send().await.unwrap();
    }
    let approval = ctx.approval(json!({ "userId": user_id, "channel": "sms" })).await;
    let approval_code = ctx.emu.sms_messages_to(&user_id)[1].code.clone();
    let recovery = ctx.enroll(json!({ "channel": "recovery", "userId": user_id })).await;
    let recovery_code = recovery["recoveryCodes"][0].as_str().unwrap().to_owned();
    let body = json!({ "code": recovery_code, "channel": "recovery" });
    assert_eq!(ctx.post_json(&path, Some(&ctx.key()), &body).send().await.unwrap().status(), 200);
    let intent = ctx.intent(json!({ "userId": user_id, "operation": "approve" })).await;

    let raw = export_raw(&ctx, "").await.text().await.unwrap();
    for event in ["sms.sent", "verification.failed", "verification.succeeded", "recovery.issued"] {
        assert!(raw.contains(event), "{event}: {raw}");
    }
    let status = ctx.status(&status_token).await;
    let key = ctx.key();
    let secrets = [
        code.as_str(),
        wrong,
        approval_code.as_str(),
        recovery_code.as_str(),
        status_token.as_str(),
        approval["statusToken"].as_str().unwrap(),
        status["token"].as_str().unwrap(),
        intent.as_str(),
        key.as_str(),
        "eyJ",
    ];
    for secret in secrets {
        assert!(!raw.contains(secret), "the export shows a secret: {secret}");
    }
}

#[tokio::test]
async fn expiry_is_recorded_by_the_system_at_the_deadline() {
    let config = authcloud_emulator::EmulatorConfig {
        transaction_ttl: std::time::Duration::from_millis(200),
        ..Default::default()
    };
    let ctx = crate::common::start_with(config).await;
    let answer = ctx.enroll(json!({ "username": "exp" })).await;
    let (transaction_id, _) = enrollment(&answer);
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    // Nobody looked at it: the export applies the expiry itself.
    let rows = export(&ctx, "actorType=system").await;
    assert_eq!(rows.len(), 1);
    let expired = &rows[0];
    assert_eq!((expired.get("event"), expired.get("status")), ("enrollment.failed", "failure"));
    assert_eq!(expired.get("transactionId"), transaction_id);
    let value: Value = json!(expired.get("detail"));
    assert!(value.as_str().unwrap().contains("expired"));
}
