//! `GET /api/v1/logs/export`: the instance's event log as CSV — who enrolled, approved,
//! failed a code — for an operations view or an audit.
//!
//! The rows are parsed while the body downloads ([`crate::csv_stream`]); the raw CSV is never
//! held whole. The vendor documents the filters and the 10,000-row cap, not the columns: a
//! row is read by its header's names ([`LogEvent`]), and columns this SDK does not know are
//! kept in [`LogEvent::other`].

use std::time::Duration;

use crate::client::Client;
use crate::csv_stream::CsvStream;
use crate::endpoint::LOGS_EXPORT;
use crate::error::{Error, Result};
use crate::lenient::malformed;
use crate::transport::{BodySink, Call, Payload};

/// The most rows one export returns (the vendor's cap; newest first).
pub const MAX_EXPORT_ROWS: usize = 10_000;

/// The largest export body read (10,000 rows of up to ~6 KiB each).
pub const MAX_EXPORT_BYTES: u64 = 64 * 1024 * 1024;

/// The shortest `filter` the API accepts.
pub const MIN_FILTER_CHARS: usize = 2;

/// The `channel` values the vendor documents for the export.
pub const LOG_CHANNELS: [&str; 6] = ["app", "push", "fido2", "sms", "recovery", "unknown"];

/// Which time range to export.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LogPeriod {
    /// The server's default: the last 30 days (`P30D`).
    #[default]
    Default,
    /// The last `Duration` (`timespan`, sent as an ISO-8601 duration; whole seconds).
    Last(Duration),
    /// From and/or to an ISO-8601 UTC date or date-time (`fromDate`, `toDate`).
    Between {
        /// Inclusive start, e.g. `2026-12-01` or `2026-12-01T08:00:00Z`.
        from: Option<String>,
        /// End, e.g. `2026-12-05T00:00:00Z`.
        to: Option<String>,
    },
}

/// What to export: every field optional; lists mean "any of these".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogQuery {
    /// Free text the server matches against the rows (at least 2 characters).
    pub filter: Option<String>,
    /// The time range (the last 30 days by default).
    pub period: LogPeriod,
    /// Event outcomes, e.g. `success`, `failure`.
    pub statuses: Vec<String>,
    /// Event categories, e.g. `enrollment`, `approval`.
    pub categories: Vec<String>,
    /// Channels: `app`, `push`, `fido2`, `sms`, `recovery`, `unknown`.
    pub channels: Vec<String>,
    /// Who acted, e.g. `api`, `user`.
    pub actor_types: Vec<String>,
}

impl LogQuery {
    /// Checks every rule before anything is sent; [`Error::InvalidInput`] names the field.
    pub fn validate(&self) -> Result<()> {
        if let Some(filter) = &self.filter {
            if filter.trim().chars().count() < MIN_FILTER_CHARS {
                return Err(Error::invalid("filter", format!("must have at least {MIN_FILTER_CHARS} characters")));
            }
            if filter.chars().any(char::is_control) {
                return Err(Error::invalid("filter", "must not contain control characters"));
            }
        }
        match &self.period {
            LogPeriod::Default => {}
            LogPeriod::Last(span) if span.as_secs() == 0 => {
                return Err(Error::invalid("timespan", "must be at least one second"));
            }
            LogPeriod::Last(_) => {}
            LogPeriod::Between { from, to } => {
                for (field, value) in [("fromDate", from), ("toDate", to)] {
                    if let Some(value) = value {
                        if !is_iso_date_time(value) {
                            return Err(Error::invalid(
                                field,
                                "must be an ISO-8601 date (2026-12-01) or UTC date-time (2026-12-01T08:00:00Z)",
                            ));
                        }
                    }
                }
            }
        }
        for (field, values) in
            [("status", &self.statuses), ("category", &self.categories), ("actorType", &self.actor_types)]
        {
            if let Some(bad) = values.iter().find(|v| !is_plain_word(v)) {
                let shown = crate::sanitize::sanitize_with_limit(bad, 32);
                return Err(Error::invalid(
                    field,
                    format!("`{shown}` is not a plain word (letters, digits, `_`, `-`, `.`)"),
                ));
            }
        }
        if let Some(bad) = self.channels.iter().find(|c| !LOG_CHANNELS.contains(&c.as_str())) {
            let shown = crate::sanitize::sanitize_with_limit(bad, 32);
            return Err(Error::invalid("channel", format!("`{shown}` is not one of {}", LOG_CHANNELS.join(", "))));
        }
        Ok(())
    }

    /// The query string (encoded), empty for the defaults.
    pub(crate) fn to_query(&self) -> Result<String> {
        self.validate()?;
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if let Some(filter) = &self.filter {
            query.append_pair("filter", filter.trim());
        }
        match &self.period {
            LogPeriod::Default => {}
            LogPeriod::Last(span) => {
                query.append_pair("timespan", &iso_duration(*span));
            }
            LogPeriod::Between { from, to } => {
                if let Some(from) = from {
                    query.append_pair("fromDate", from);
                }
                if let Some(to) = to {
                    query.append_pair("toDate", to);
                }
            }
        }
        for (key, values) in [
            ("status", &self.statuses),
            ("category", &self.categories),
            ("channel", &self.channels),
            ("actorType", &self.actor_types),
        ] {
            if !values.is_empty() {
                query.append_pair(key, &values.join(","));
            }
        }
        Ok(query.finish())
    }
}

/// `P{n}D` for whole days, else `PT{n}S` (the server reads either).
fn iso_duration(span: Duration) -> String {
    let seconds = span.as_secs();
    if seconds % 86_400 == 0 { format!("P{}D", seconds / 86_400) } else { format!("PT{seconds}S") }
}

fn is_plain_word(value: &str) -> bool {
    !value.is_empty() && value.len() <= 64 && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
}

/// `YYYY-MM-DD`, optionally `THH:MM[:SS[.fff]]` and `Z` or `±HH:MM`: the shapes of ISO-8601
/// the API documents (checked for shape and ranges, not for the days of each month).
fn is_iso_date_time(value: &str) -> bool {
    let bytes = value.as_bytes();
    let digits =
        |range: std::ops::Range<usize>| bytes.get(range.clone()).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let number = |range: std::ops::Range<usize>| value[range].parse::<u32>().unwrap_or(u32::MAX);
    if !(digits(0..4) && bytes.get(4) == Some(&b'-') && digits(5..7) && bytes.get(7) == Some(&b'-') && digits(8..10)) {
        return false;
    }
    if !(1..=12).contains(&number(5..7)) || !(1..=31).contains(&number(8..10)) {
        return false;
    }
    if bytes.len() == 10 {
        return true;
    }
    if !(matches!(bytes[10], b'T' | b't') && digits(11..13) && bytes.get(13) == Some(&b':') && digits(14..16)) {
        return false;
    }
    if number(11..13) > 23 || number(14..16) > 59 {
        return false;
    }
    let mut rest = &value[16..];
    if let Some(seconds) = rest.strip_prefix(':') {
        let ok = seconds.len() >= 2 && seconds[..2].bytes().all(|b| b.is_ascii_digit()) && seconds[..2] <= *"60";
        if !ok {
            return false;
        }
        rest = &seconds[2..];
        if let Some(fraction) = rest.strip_prefix('.') {
            let len = fraction.bytes().take_while(u8::is_ascii_digit).count();
            if len == 0 {
                return false;
            }
            rest = &fraction[len..];
        }
    }
    match rest {
        "Z" | "z" => true,
        offset => {
            let o = offset.as_bytes();
            o.len() == 6
                && matches!(o[0], b'+' | b'-')
                && o[1..3].iter().all(u8::is_ascii_digit)
                && o[3] == b':'
                && o[4..6].iter().all(u8::is_ascii_digit)
        }
    }
}

/// One exported event. Fields are the CSV's columns by name (`timestamp`, `eventId`,
/// `category`, `event`, `status`, `channel`, `actorType`, `userId`, `username`,
/// `transactionId`, `authenticatorId`, `detail`); an empty cell is `None`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogEvent {
    /// When it happened, ISO-8601 UTC, as the server wrote it.
    pub timestamp: String,
    /// The event's own id.
    pub event_id: Option<String>,
    /// What kind of event, e.g. `enrollment`, `approval`, `verification`.
    pub category: Option<String>,
    /// What happened, e.g. `approval.succeeded`.
    pub event: Option<String>,
    /// Its outcome, e.g. `success`, `failure`, `pending`.
    pub status: Option<String>,
    /// `app`, `push`, `fido2`, `sms`, `recovery` or `unknown`.
    pub channel: Option<String>,
    /// Who acted, e.g. `api` (your backend), `user` (the phone), `system` (an expiry).
    pub actor_type: Option<String>,
    /// The user concerned.
    pub user_id: Option<String>,
    /// That user's username.
    pub username: Option<String>,
    /// The operation concerned.
    pub transaction_id: Option<String>,
    /// The authenticator concerned.
    pub authenticator_id: Option<String>,
    /// Free text from the server (never a secret).
    pub detail: Option<String>,
    /// Columns this SDK does not know, as (header, value), in the export's order.
    pub other: Vec<(String, String)>,
}

/// Answer of [`Client::export_logs`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogExport {
    /// Newest first, as the server sent them; at most [`MAX_EXPORT_ROWS`].
    pub events: Vec<LogEvent>,
    /// The export held [`MAX_EXPORT_ROWS`] rows: older events may exist — narrow the
    /// period or the filters to see them.
    pub maybe_truncated: bool,
}

/// How far a download has come, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportProgress {
    /// Body bytes received so far (of this attempt).
    pub bytes: u64,
    /// Rows parsed so far.
    pub rows: usize,
}

/// Which [`LogEvent`] field a column fills.
#[derive(Debug, Clone, Copy)]
enum Column {
    Timestamp,
    Field(fn(&mut LogEvent) -> &mut Option<String>),
    Other,
}

fn column_for(name: &str) -> Column {
    let field: fn(&mut LogEvent) -> &mut Option<String> = match name.trim().to_ascii_lowercase().as_str() {
        "timestamp" | "time" | "date" => return Column::Timestamp,
        "eventid" | "id" => |e| &mut e.event_id,
        "category" => |e| &mut e.category,
        "event" | "action" | "type" => |e| &mut e.event,
        "status" => |e| &mut e.status,
        "channel" => |e| &mut e.channel,
        "actortype" => |e| &mut e.actor_type,
        "userid" => |e| &mut e.user_id,
        "username" => |e| &mut e.username,
        "transactionid" => |e| &mut e.transaction_id,
        "authenticatorid" => |e| &mut e.authenticator_id,
        "detail" | "details" | "message" => |e| &mut e.detail,
        _ => return Column::Other,
    };
    Column::Field(field)
}

/// The export's body as it arrives: CSV records → [`LogEvent`]s.
struct EventSink<'a> {
    csv: CsvStream,
    header: Option<Vec<(Column, String)>>,
    export: LogExport,
    bytes: u64,
    progress: &'a (dyn Fn(ExportProgress) + Send + Sync),
}

impl EventSink<'_> {
    fn record(&mut self, record: Vec<String>) -> Result<()> {
        let Some(header) = &self.header else {
            let columns: Vec<(Column, String)> =
                record.iter().map(|name| (column_for(name), name.trim().to_owned())).collect();
            if !columns.iter().any(|(c, _)| matches!(c, Column::Timestamp)) {
                return Err(malformed("the log export has no `timestamp` column (is it CSV?)".into()));
            }
            self.header = Some(columns);
            return Ok(());
        };
        if record.len() == 1 && record[0].is_empty() {
            return Ok(()); // a blank line
        }
        if self.export.events.len() == MAX_EXPORT_ROWS {
            self.export.maybe_truncated = true;
            return Ok(());
        }
        let mut event = LogEvent::default();
        for (value, (column, name)) in record.into_iter().zip(header) {
            match column {
                Column::Timestamp => event.timestamp = value,
                Column::Field(_) | Column::Other if value.is_empty() => {}
                Column::Field(field) => *field(&mut event) = Some(value),
                Column::Other => event.other.push((name.clone(), value)),
            }
        }
        self.export.events.push(event);
        self.export.maybe_truncated = self.export.events.len() == MAX_EXPORT_ROWS;
        Ok(())
    }
}

impl BodySink for EventSink<'_> {
    fn restart(&mut self) {
        self.csv = CsvStream::new();
        self.header = None;
        self.export = LogExport::default();
        self.bytes = 0;
    }

    fn accept(&mut self, chunk: &[u8]) -> Result<()> {
        let mut csv = std::mem::replace(&mut self.csv, CsvStream::new());
        let result = csv.feed(chunk, &mut |record| self.record(record));
        self.csv = csv;
        self.bytes += chunk.len() as u64;
        (self.progress)(ExportProgress { bytes: self.bytes, rows: self.export.events.len() });
        result
    }

    fn finish(&mut self) -> Result<()> {
        let mut csv = std::mem::replace(&mut self.csv, CsvStream::new());
        csv.finish(&mut |record| self.record(record))?;
        if self.header.is_none() {
            return Err(malformed("the log export is empty (not even a header row)".into()));
        }
        Ok(())
    }
}

impl Client {
    /// `GET /api/v1/logs/export`: the events matching `query`, newest first, at most
    /// [`MAX_EXPORT_ROWS`] ([`LogExport::maybe_truncated`] says when the cap was reached).
    /// Needs the access key. Checked locally first; re-sent as any read.
    pub async fn export_logs(&self, query: &LogQuery) -> Result<LogExport> {
        self.export_logs_with_progress(query, &|_| {}).await
    }

    /// [`Client::export_logs`], calling `progress` as the body arrives (a retried attempt
    /// starts again from zero).
    pub async fn export_logs_with_progress(
        &self,
        query: &LogQuery,
        progress: &(dyn Fn(ExportProgress) + Send + Sync),
    ) -> Result<LogExport> {
        let query = query.to_query()?;
        let call = Call {
            operation: "export_logs",
            endpoint: LOGS_EXPORT,
            path: (!query.is_empty()).then(|| LOGS_EXPORT.with_query(&query)),
            payload: Payload::None,
            bearer: Some(self.require_access_key("export_logs")?),
            secrets: Vec::new(),
        };
        let mut sink =
            EventSink { csv: CsvStream::new(), header: None, export: LogExport::default(), bytes: 0, progress };
        let deadline = self.transport.call_deadline();
        self.transport
            .send_into(&call, deadline, &mut sink, MAX_EXPORT_BYTES)
            .await
            .map_err(|e| e.in_answer_of(LOGS_EXPORT))?;
        Ok(sink.export)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_checked_and_encoded() {
        assert_eq!(LogQuery::default().to_query().unwrap(), "");
        let query = LogQuery {
            filter: Some(" alice ".into()),
            period: LogPeriod::Last(Duration::from_secs(2 * 86_400)),
            statuses: vec!["failure".into()],
            channels: vec!["sms".into(), "push".into()],
            ..LogQuery::default()
        };
        assert_eq!(query.to_query().unwrap(), "filter=alice&timespan=P2D&status=failure&channel=sms%2Cpush");
        let between = LogQuery {
            period: LogPeriod::Between {
                from: Some("2026-12-01".into()),
                to: Some("2026-12-05T10:00:00.5+01:00".into()),
            },
            ..LogQuery::default()
        };
        assert_eq!(between.to_query().unwrap(), "fromDate=2026-12-01&toDate=2026-12-05T10%3A00%3A00.5%2B01%3A00");
        assert_eq!(iso_duration(Duration::from_secs(90)), "PT90S");

        let field = |query: LogQuery| match query.validate().unwrap_err() {
            Error::InvalidInput { field, .. } => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(LogQuery { filter: Some("a".into()), ..LogQuery::default() }), "filter");
        assert_eq!(field(LogQuery { channels: vec!["email".into()], ..LogQuery::default() }), "channel");
        assert_eq!(field(LogQuery { statuses: vec!["a b".into()], ..LogQuery::default() }), "status");
        assert_eq!(field(LogQuery { period: LogPeriod::Last(Duration::ZERO), ..LogQuery::default() }), "timespan");
        for bad in ["2026-13-01", "2026-12-01T25:00Z", "yesterday", "2026-12-01T10:00:00", "2026-12-01 10:00Z"] {
            let query =
                LogQuery { period: LogPeriod::Between { from: Some(bad.into()), to: None }, ..LogQuery::default() };
            assert_eq!(field(query), "fromDate", "{bad}");
        }
    }

    fn parse(body: &str) -> Result<LogExport> {
        let mut sink = EventSink {
            csv: CsvStream::new(),
            header: None,
            export: LogExport::default(),
            bytes: 0,
            progress: &|_| {},
        };
        for chunk in body.as_bytes().chunks(5) {
            sink.accept(chunk)?;
        }
        sink.finish()?;
        Ok(sink.export)
    }

    #[test]
    fn rows_are_read_by_their_header_names() {
        let export = parse(
            "Status,timestamp,userId,extra,detail\r\nsuccess,2026-12-05T10:00:00.000Z,u1,x,\"a, \"\"b\"\"\"\r\n\r\nfailure,2026-12-04T10:00:00.000Z,,,\n",
        )
        .unwrap();
        assert_eq!(export.events.len(), 2);
        let first = &export.events[0];
        assert_eq!(first.timestamp, "2026-12-05T10:00:00.000Z");
        assert_eq!((first.status.as_deref(), first.user_id.as_deref()), (Some("success"), Some("u1")));
        assert_eq!(first.detail.as_deref(), Some("a, \"b\""));
        assert_eq!(first.other, [("extra".to_owned(), "x".to_owned())]);
        assert_eq!(export.events[1].user_id, None);
        assert!(!export.maybe_truncated);
        assert!(parse("").unwrap_err().to_string().contains("empty"));
        assert!(parse("{\"error\": \"nope\"}").unwrap_err().to_string().contains("no `timestamp` column"));
    }

    #[test]
    fn at_most_the_cap_is_kept() {
        let mut body = String::from("timestamp\n");
        for i in 0..MAX_EXPORT_ROWS + 3 {
            body.push_str(&format!("t{i}\n"));
        }
        let export = parse(&body).unwrap();
        assert_eq!(export.events.len(), MAX_EXPORT_ROWS);
        assert!(export.maybe_truncated);
        assert_eq!(export.events[0].timestamp, "t0");
    }
}
