//! The request log: what clients sent, so tests can assert on it (headers, body sizes,
//! retries) without ever seeing a secret.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

/// How many records the log keeps (the oldest are dropped first).
pub(crate) const LOG_CAPACITY: usize = 10_000;

/// One request as the emulator saw it, with every key and token redacted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecord {
    /// Position in arrival order; keeps increasing across resets.
    pub seq: u64,
    /// Milliseconds since the emulator started when the request arrived.
    pub at_ms: f64,
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Path plus query, query values redacted: `/open?dispatchTokenResponse=<redacted>`.
    pub path: String,
    /// Lowercased header names to values; credentials shown as `Bearer <redacted>` or
    /// `<redacted>`.
    pub headers: BTreeMap<String, String>,
    /// Bytes of request body received.
    pub body_size: u64,
    /// The status answered, or `None` while unanswered or if the connection was dropped.
    pub response_status: Option<u16>,
}

/// A bounded log of [`RequestRecord`]s.
#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    records: VecDeque<RequestRecord>,
    next_seq: u64,
}

impl RequestLog {
    /// Appends a record (its `seq` is assigned here) and returns that `seq`.
    pub(crate) fn push(&mut self, mut record: RequestRecord) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        record.seq = seq;
        if self.records.len() >= LOG_CAPACITY {
            self.records.pop_front();
        }
        self.records.push_back(record);
        seq
    }

    /// Fills in the answer's status of record `seq`, if it is still in the log.
    pub(crate) fn set_status(&mut self, seq: u64, status: u16) {
        let Some(first) = self.records.front().map(|record| record.seq) else {
            return;
        };
        let Some(index) = seq.checked_sub(first) else {
            return;
        };
        if let Some(record) = usize::try_from(index).ok().and_then(|i| self.records.get_mut(i)) {
            if record.seq == seq {
                record.response_status = Some(status);
            }
        }
    }

    /// A copy of every record, oldest first.
    pub(crate) fn snapshot(&self) -> Vec<RequestRecord> {
        self.records.iter().cloned().collect()
    }

    /// Forgets every record (sequence numbers keep counting).
    pub(crate) fn clear(&mut self) {
        self.records.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> RequestRecord {
        RequestRecord {
            seq: 0,
            at_ms: 0.0,
            method: "GET".into(),
            path: "/ping".into(),
            headers: BTreeMap::new(),
            body_size: 0,
            response_status: None,
        }
    }

    #[test]
    fn bounded_and_statuses_land_on_the_right_record() {
        let mut log = RequestLog::default();
        for _ in 0..LOG_CAPACITY + 5 {
            log.push(record());
        }
        let snapshot = log.snapshot();
        assert_eq!(snapshot.len(), LOG_CAPACITY);
        assert_eq!(snapshot[0].seq, 5);
        log.set_status(7, 200);
        log.set_status(2, 500);
        let snapshot = log.snapshot();
        assert_eq!(snapshot[2].response_status, Some(200));
        assert!(snapshot.iter().all(|r| r.seq == 7 || r.response_status.is_none()));
    }
}
