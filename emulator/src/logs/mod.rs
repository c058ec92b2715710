//! The log export, `GET /api/v1/logs/export`: which events a query asks for (`query.rs`), the
//! ISO-8601 durations and date-times it is written with (`iso.rs`), and the CSV the rows go
//! out as, streamed (`csv.rs`). The events themselves are the state's (`state/events.rs`).

pub(crate) mod csv;
pub(crate) mod iso;
pub(crate) mod query;

/// Rows one export returns at most (the newest).
pub(crate) const MAX_ROWS: usize = 10_000;
