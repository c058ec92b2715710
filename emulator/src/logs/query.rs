//! What a log export asks for ([`LogQuery`]), read from its query parameters, and whether an
//! event matches it.
//!
//! All parameters are optional; the first of a repeated one counts and unknown ones are
//! ignored. Error messages name the parameter and the rule, never the client's input.

use std::borrow::Cow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::body;
use crate::state::{Actor, Category, Channel, EventStatus, LogEvent};

use super::iso::{parse_date_time, parse_duration};

/// The window when neither dates nor `timespan` are given: the last 30 days.
pub(crate) const DEFAULT_TIMESPAN: Duration = Duration::from_secs(30 * 24 * 3600);

/// Characters `filter` needs at least.
const MIN_FILTER_CHARS: usize = 2;

/// The export's filters, all of which an event must pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogQuery {
    /// Lowercased; matched case-insensitively as a substring of the user id, username,
    /// transaction id, event or detail.
    filter: Option<String>,
    /// Inclusive.
    from: Option<SystemTime>,
    /// Exclusive.
    to: Option<SystemTime>,
    statuses: Option<Vec<EventStatus>>,
    categories: Option<Vec<Category>>,
    /// `None` inside stands for `unknown`.
    channels: Option<Vec<Option<Channel>>>,
    actors: Option<Vec<Actor>>,
}

impl LogQuery {
    /// Reads the query parameters at `now`: `filter` (at least 2 characters), `fromDate` and
    /// / or `toDate` or else `timespan` (default `P30D`, ending now), and the lists `status`,
    /// `category`, `channel`, `actorType` (comma-separated exact values, any of them).
    pub(crate) fn parse(pairs: &[(String, String)], now: SystemTime) -> Result<LogQuery, Cow<'static, str>> {
        let filter = match body::form_value(pairs, "filter") {
            Some(text) if text.chars().count() < MIN_FILTER_CHARS => {
                return Err("`filter` must be at least 2 characters long".into());
            }
            filter => filter.map(str::to_lowercase),
        };
        let date = |name: &'static str| {
            body::form_value(pairs, name)
                .map(|text| {
                    parse_date_time(text).ok_or_else(|| {
                        Cow::from(format!("`{name}` must be an ISO-8601 date-time, e.g. 2026-12-05T10:11:12Z"))
                    })
                })
                .transpose()
        };
        let (mut from, to) = (date("fromDate")?, date("toDate")?);
        match body::form_value(pairs, "timespan") {
            Some(_) if from.is_some() || to.is_some() => {
                return Err("`timespan` cannot be combined with `fromDate` or `toDate`".into());
            }
            Some(text) => {
                let span = parse_duration(text).ok_or(
                    "`timespan` must be an ISO-8601 duration in days, hours, minutes, seconds or weeks, e.g. P30D, PT1H",
                )?;
                from = Some(now.checked_sub(span).unwrap_or(UNIX_EPOCH));
            }
            None if from.is_none() && to.is_none() => {
                from = Some(now.checked_sub(DEFAULT_TIMESPAN).unwrap_or(UNIX_EPOCH))
            }
            None => {}
        }
        if let (Some(from), Some(to)) = (from, to) {
            if from > to {
                return Err("`fromDate` must not be after `toDate`".into());
            }
        }
        Ok(LogQuery {
            filter,
            from,
            to,
            statuses: list(pairs, "status", EventStatus::parse)?,
            categories: list(pairs, "category", Category::parse)?,
            channels: list(pairs, "channel", channel)?,
            actors: list(pairs, "actorType", Actor::parse)?,
        })
    }

    /// Whether `event` passes every filter.
    pub(crate) fn matches(&self, event: &LogEvent) -> bool {
        let within = self.from.is_none_or(|from| event.at >= from) && self.to.is_none_or(|to| event.at < to);
        within
            && one_of(&self.statuses, &event.status)
            && one_of(&self.categories, &event.category)
            && one_of(&self.channels, &event.channel)
            && one_of(&self.actors, &event.actor)
            && self.filter.as_deref().is_none_or(|needle| mentions(event, needle))
    }
}

/// The `channel` column's words: the vendor's channels and `unknown`.
fn channel(word: &str) -> Option<Option<Channel>> {
    if word == "unknown" { Some(None) } else { Channel::parse(word).map(Some) }
}

/// A comma-separated list of exact values (any of them); an unknown or empty value is 400.
fn list<T>(
    pairs: &[(String, String)],
    name: &'static str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<Vec<T>>, Cow<'static, str>> {
    let Some(text) = body::form_value(pairs, name) else {
        return Ok(None);
    };
    text.split(',')
        .map(|word| parse(word).ok_or_else(|| Cow::from(format!("`{name}` has a value that is not one of its words"))))
        .collect::<Result<Vec<T>, _>>()
        .map(Some)
}

/// Whether a list filter lets `value` through (no list: everything).
fn one_of<T: PartialEq>(allowed: &Option<Vec<T>>, value: &T) -> bool {
    allowed.as_ref().is_none_or(|allowed| allowed.contains(value))
}

/// Whether the lowercased `needle` is in the event's user id, username, transaction id, event
/// or detail, ignoring case.
fn mentions(event: &LogEvent, needle: &str) -> bool {
    let ids = [event.user_id, event.transaction_id].into_iter().flatten().map(|id| id.to_string());
    ids.chain([event.username.clone().unwrap_or_default(), event.event.to_owned(), event.detail.clone()])
        .any(|text| text.to_lowercase().contains(needle))
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    fn query(pairs: &[(&str, &str)], now: SystemTime) -> Result<LogQuery, Cow<'static, str>> {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        LogQuery::parse(&pairs, now)
    }

    fn event(at: SystemTime) -> LogEvent {
        let mut event = LogEvent::new(
            at,
            Category::Approval,
            "approval.failed",
            EventStatus::Failure,
            Some(Channel::Push),
            Actor::User,
        )
        .transaction(Uuid::from_u128(0xABCDEF))
        .detail("Declined on the phone");
        event.user_id = Some(Uuid::from_u128(0x1234));
        event.username = Some("Alice.Example".into());
        event
    }

    #[test]
    fn the_default_is_the_last_thirty_days() {
        let now = SystemTime::now();
        let all = query(&[], now).unwrap();
        assert!(all.matches(&event(now)));
        assert!(all.matches(&event(now - DEFAULT_TIMESPAN)));
        assert!(!all.matches(&event(now - DEFAULT_TIMESPAN - Duration::from_millis(1))));
        let hour = query(&[("timespan", "PT1H")], now).unwrap();
        assert!(hour.matches(&event(now - Duration::from_secs(3599))));
        assert!(!hour.matches(&event(now - Duration::from_secs(3601))));
    }

    #[test]
    fn dates_are_from_inclusive_to_exclusive_and_either_may_be_alone() {
        let now = SystemTime::now();
        let at = humantime::parse_rfc3339("2026-12-05T10:00:00Z").unwrap();
        let both = query(&[("fromDate", "2026-12-05T10:00:00Z"), ("toDate", "2026-12-05T11:00:00Z")], now).unwrap();
        assert!(both.matches(&event(at)));
        assert!(!both.matches(&event(at - Duration::from_millis(1))));
        assert!(!both.matches(&event(at + Duration::from_secs(3600))));
        let from = query(&[("fromDate", "2026-12-05T10:00:00Z")], now).unwrap();
        assert!(from.matches(&event(at + Duration::from_secs(400 * 24 * 3600))), "no end");
        let to = query(&[("toDate", "2026-12-05T10:00:00Z")], now).unwrap();
        assert!(to.matches(&event(at - Duration::from_secs(400 * 24 * 3600))), "no start, no 30-day default");
        assert!(!to.matches(&event(at)));
    }

    #[test]
    fn lists_and_the_filter() {
        let now = SystemTime::now();
        let e = event(now);
        for (pairs, expected) in [
            (vec![("status", "failure")], true),
            (vec![("status", "success,pending")], false),
            (vec![("status", "pending,failure")], true),
            (vec![("category", "approval")], true),
            (vec![("category", "enrollment,user")], false),
            (vec![("channel", "push")], true),
            (vec![("channel", "unknown")], false),
            (vec![("actorType", "user,system")], true),
            (vec![("actorType", "api")], false),
            (vec![("filter", "alice.EX")], true),
            (vec![("filter", "DECLINED on")], true),
            (vec![("filter", "approval.fail")], true),
            (vec![("filter", "abcdef")], true),
            (vec![("filter", "00001234")], true),
            (vec![("filter", "bob")], false),
            (vec![("filter", "push")], false),
            (vec![("status", "failure"), ("channel", "app")], false),
        ] {
            assert_eq!(query(&pairs, now).unwrap().matches(&e), expected, "{pairs:?}");
        }
        let mut deleted = LogEvent::new(now, Category::User, "user.deleted", EventStatus::Success, None, Actor::Api);
        deleted.username = Some("x".into());
        assert!(query(&[("channel", "unknown")], now).unwrap().matches(&deleted));
    }

    #[test]
    fn refusals_name_the_parameter_not_the_value() {
        let now = SystemTime::now();
        for (pairs, named) in [
            (vec![("filter", "a")], "filter"),
            (vec![("filter", "")], "filter"),
            (vec![("timespan", "P1M")], "timespan"),
            (vec![("timespan", "P1D"), ("fromDate", "2026-12-05T10:00:00Z")], "timespan"),
            (vec![("timespan", "P1D"), ("toDate", "2026-12-05T10:00:00Z")], "timespan"),
            (vec![("fromDate", "secret-ish")], "fromDate"),
            (vec![("toDate", "2026-12-05 10:00")], "toDate"),
            (vec![("fromDate", "2026-12-06"), ("toDate", "2026-12-05")], "fromDate"),
            (vec![("status", "ok")], "status"),
            (vec![("status", "success,")], "status"),
            (vec![("category", "Approval")], "category"),
            (vec![("channel", "email")], "channel"),
            (vec![("actorType", "admin")], "actorType"),
        ] {
            let message = query(&pairs, now).expect_err("refused");
            assert!(message.contains(&format!("`{named}`")), "{pairs:?}: {message}");
            assert!(!message.contains("secret-ish") && !message.contains("email"), "{message}");
        }
        assert!(query(&[("filter", "ab"), ("unknown", "x")], now).is_ok(), "two characters, unknown names ignored");
        assert!(query(&[("filter", "ü✓")], now).is_ok(), "characters, not bytes");
    }
}
