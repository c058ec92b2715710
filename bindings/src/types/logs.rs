//! The log export as records crossing the FFI: a query in, parsed events out (the CSV is
//! parsed in Rust while it downloads).

/// What `export_logs` exports. All fields optional; lists mean "any of these". Give either
/// `timespan_seconds` or `from_date` / `to_date` (neither: the last 30 days).
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct LogQuery {
    /// Free text the server matches (at least 2 characters).
    #[uniffi(default = None)]
    pub filter: Option<String>,
    /// The last this many seconds (`timespan`).
    #[uniffi(default = None)]
    pub timespan_seconds: Option<u64>,
    /// ISO-8601 date or UTC date-time, inclusive (`2026-12-01`, `2026-12-01T08:00:00Z`).
    #[uniffi(default = None)]
    pub from_date: Option<String>,
    /// ISO-8601 date or UTC date-time, the end.
    #[uniffi(default = None)]
    pub to_date: Option<String>,
    /// e.g. `success`, `failure`.
    #[uniffi(default = [])]
    pub statuses: Vec<String>,
    /// e.g. `enrollment`, `approval`, `verification`.
    #[uniffi(default = [])]
    pub categories: Vec<String>,
    /// `app`, `push`, `fido2`, `sms`, `recovery`, `unknown`.
    #[uniffi(default = [])]
    pub channels: Vec<String>,
    /// e.g. `api`, `user`, `system`.
    #[uniffi(default = [])]
    pub actor_types: Vec<String>,
}

impl LogQuery {
    pub(crate) fn to_core(&self) -> Result<authcloud::LogQuery, crate::error::AuthCloudError> {
        let period = match (self.timespan_seconds, &self.from_date, &self.to_date) {
            (None, None, None) => authcloud::LogPeriod::Default,
            (Some(seconds), None, None) => authcloud::LogPeriod::Last(std::time::Duration::from_secs(seconds)),
            (None, from, to) => authcloud::LogPeriod::Between { from: from.clone(), to: to.clone() },
            (Some(_), _, _) => {
                return Err(crate::error::AuthCloudError::InvalidInput {
                    field: "timespan".into(),
                    reason: "give a timespan or dates, not both".into(),
                });
            }
        };
        Ok(authcloud::LogQuery {
            filter: self.filter.clone(),
            period,
            statuses: self.statuses.clone(),
            categories: self.categories.clone(),
            channels: self.channels.clone(),
            actor_types: self.actor_types.clone(),
        })
    }
}

/// One exported event; empty cells are none. Columns the SDK does not know are in `other`.
#[derive(Debug, Clone, uniffi::Record)]
pub struct LogEvent {
    /// ISO-8601 UTC.
    pub timestamp: String,
    pub event_id: Option<String>,
    pub category: Option<String>,
    /// What happened, e.g. `approval.succeeded`.
    pub event: Option<String>,
    pub status: Option<String>,
    pub channel: Option<String>,
    pub actor_type: Option<String>,
    pub user_id: Option<String>,
    pub username: Option<String>,
    pub transaction_id: Option<String>,
    pub authenticator_id: Option<String>,
    pub detail: Option<String>,
    /// (column, value) of the columns not above, in the export's order.
    pub other: Vec<LogColumn>,
}

/// A column the SDK does not know, with its value.
#[derive(Debug, Clone, uniffi::Record)]
pub struct LogColumn {
    pub name: String,
    pub value: String,
}

/// Answer of `export_logs`: newest first, at most 10,000 events.
#[derive(Debug, Clone, uniffi::Record)]
pub struct LogExport {
    pub events: Vec<LogEvent>,
    /// The cap (10,000) was reached: older events may exist; narrow the query to see them.
    pub maybe_truncated: bool,
}

impl From<authcloud::LogEvent> for LogEvent {
    fn from(e: authcloud::LogEvent) -> Self {
        LogEvent {
            timestamp: e.timestamp,
            event_id: e.event_id,
            category: e.category,
            event: e.event,
            status: e.status,
            channel: e.channel,
            actor_type: e.actor_type,
            user_id: e.user_id,
            username: e.username,
            transaction_id: e.transaction_id,
            authenticator_id: e.authenticator_id,
            detail: e.detail,
            other: e.other.into_iter().map(|(name, value)| LogColumn { name, value }).collect(),
        }
    }
}

impl From<authcloud::LogExport> for LogExport {
    fn from(export: authcloud::LogExport) -> Self {
        LogExport {
            events: export.events.into_iter().map(LogEvent::from).collect(),
            maybe_truncated: export.maybe_truncated,
        }
    }
}
