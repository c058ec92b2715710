//! The export as CSV (RFC 4180): a header row, then one row per event, CRLF line ends, a
//! field quoted (its quotes doubled) when it holds a comma, a quote, CR or LF. The body is
//! streamed: rows are written a chunk at a time as the client reads, not as one string.

use std::convert::Infallible;

use axum::body::Body;
use bytes::Bytes;

use crate::state::{LogEvent, channel_word};

/// The header row's columns, in order.
pub(crate) const COLUMNS: [&str; 12] = [
    "timestamp",
    "eventId",
    "category",
    "event",
    "status",
    "channel",
    "actorType",
    "userId",
    "username",
    "transactionId",
    "authenticatorId",
    "detail",
];

/// Rows written per chunk of the body.
const ROWS_PER_CHUNK: usize = 256;

/// Appends one field, quoted if it must be.
fn field(out: &mut String, value: &str) {
    if value.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// Appends a row of fields and its CRLF.
fn row<'a>(out: &mut String, fields: impl IntoIterator<Item = &'a str>) {
    for (index, value) in fields.into_iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        field(out, value);
    }
    out.push_str("\r\n");
}

/// Appends an event's row. The timestamp is ISO-8601 UTC with milliseconds.
fn event_row(out: &mut String, event: &LogEvent) {
    let text = |id: Option<uuid::Uuid>| id.map(|id| id.to_string()).unwrap_or_default();
    let (timestamp, event_id) = (humantime::format_rfc3339_millis(event.at).to_string(), event.event_id.to_string());
    let (user_id, transaction_id, authenticator_id) =
        (text(event.user_id), text(event.transaction_id), text(event.authenticator_id));
    row(
        out,
        [
            timestamp.as_str(),
            &event_id,
            event.category.as_str(),
            event.event,
            event.status.as_str(),
            channel_word(event.channel),
            event.actor.as_str(),
            &user_id,
            event.username.as_deref().unwrap_or_default(),
            &transaction_id,
            &authenticator_id,
            &event.detail,
        ],
    );
}

/// The header row, then the rows of `events` in their order, as chunks.
struct Chunks {
    header: bool,
    events: std::vec::IntoIter<LogEvent>,
}

impl Iterator for Chunks {
    type Item = Result<Bytes, Infallible>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut out = String::new();
        if std::mem::take(&mut self.header) {
            row(&mut out, COLUMNS);
            return Some(Ok(Bytes::from(out)));
        }
        for event in self.events.by_ref().take(ROWS_PER_CHUNK) {
            event_row(&mut out, &event);
        }
        (!out.is_empty()).then(|| Ok(Bytes::from(out)))
    }
}

/// The CSV of `events` as a streamed body (the header row even when there are none).
pub(crate) fn body(events: Vec<LogEvent>) -> Body {
    Body::from_stream(futures_util::stream::iter(Chunks { header: true, events: events.into_iter() }))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use uuid::Uuid;

    use super::*;
    use crate::state::{Actor, Category, Channel, EventStatus};

    fn csv_of(fields: &[&str]) -> String {
        let mut out = String::new();
        row(&mut out, fields.iter().copied());
        out
    }

    #[test]
    fn fields_are_quoted_only_when_they_must_be() {
        assert_eq!(csv_of(&["a", "b c", ""]), "a,b c,\r\n");
        assert_eq!(
            csv_of(&["x,y", "say \"hi\"", "two\nlines", "cr\r"]),
            "\"x,y\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\r\"\r\n"
        );
        assert_eq!(csv_of(&["\""]), "\"\"\"\"\r\n");
        assert_eq!(csv_of(&["ünï 😀"]), "ünï 😀\r\n");
    }

    #[test]
    fn an_event_row_has_every_column() {
        let at = UNIX_EPOCH + Duration::from_millis(1_796_465_472_345);
        let mut event = LogEvent::new(
            at,
            Category::Approval,
            "approval.failed",
            EventStatus::Failure,
            Some(Channel::Push),
            Actor::System,
        )
        .transaction(Uuid::nil())
        .detail("expired, \"late\"");
        event.username = Some("ann".into());
        let mut out = String::new();
        event_row(&mut out, &event);
        let expected = format!(
            "2026-12-05T10:11:12.345Z,{},approval,approval.failed,failure,push,system,,ann,{},,\"expired, \"\"late\"\"\"\r\n",
            event.event_id,
            Uuid::nil()
        );
        assert_eq!(out, expected);
        let mut unknown = LogEvent::new(at, Category::User, "user.deleted", EventStatus::Success, None, Actor::Api);
        unknown.user_id = Some(Uuid::nil());
        let mut out = String::new();
        event_row(&mut out, &unknown);
        assert!(
            out.contains(",user,user.deleted,success,unknown,api,00000000-0000-0000-0000-000000000000,,,,\r\n"),
            "{out}"
        );
    }

    #[test]
    fn chunks_start_with_the_header_and_hold_every_row() {
        let at = UNIX_EPOCH;
        let events: Vec<LogEvent> = (0..ROWS_PER_CHUNK * 2 + 1)
            .map(|_| LogEvent::new(at, Category::User, "user.deleted", EventStatus::Success, None, Actor::Api))
            .collect();
        let chunks: Vec<Bytes> = Chunks { header: true, events: events.into_iter() }.map(|c| c.unwrap()).collect();
        assert_eq!(chunks.len(), 4, "header, then two full chunks and one row");
        assert_eq!(chunks[0], format!("{}\r\n", COLUMNS.join(",")));
        let rows: usize = chunks[1..].iter().map(|chunk| chunk.iter().filter(|b| **b == b'\n').count()).sum();
        assert_eq!(rows, ROWS_PER_CHUNK * 2 + 1);
        let empty: Vec<Bytes> = Chunks { header: true, events: Vec::new().into_iter() }.map(|c| c.unwrap()).collect();
        assert_eq!(empty.len(), 1);
    }
}
