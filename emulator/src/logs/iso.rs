//! The two ISO-8601 forms the log export's query reads: durations (`timespan`: `P30D`,
//! `PT1H`, `P1DT2H30M`, `PT90S`, `P2W`) and date-times (`fromDate`, `toDate`:
//! `2026-12-05T10:11:12Z`, seconds and their fraction optional, `Z` or a `±hh:mm` offset, or
//! a bare date meaning its midnight UTC).
//!
//! Written out rather than pulled in: the forms are few, and a crate would accept more than
//! the emulator documents (years and months have no fixed length, so they are refused).

use std::time::{Duration, SystemTime};

const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;

/// Parses `PnW` or `PnDTnHnMnS` (each part optional, at least one present, in this order,
/// whole numbers, `T` only before a time part). `None` for anything else or an overflow.
pub(crate) fn parse_duration(text: &str) -> Option<Duration> {
    let rest = text.strip_prefix('P')?;
    if let Some(weeks) = rest.strip_suffix('W') {
        return number(weeks)?.checked_mul(7 * DAY).map(Duration::from_secs);
    }
    let (date, time) = match rest.split_once('T') {
        Some((date, time)) if !time.is_empty() => (date, Some(time)),
        Some(_) => return None,
        None => (rest, None),
    };
    let mut seconds = 0u64;
    let mut parts = 0;
    if !date.is_empty() {
        seconds = number(date.strip_suffix('D')?)?.checked_mul(DAY)?;
        parts += 1;
    }
    if let Some(mut time) = time {
        for (designator, unit) in [('H', HOUR), ('M', MINUTE), ('S', 1)] {
            let Some(end) = time.find(designator) else {
                continue;
            };
            seconds = seconds.checked_add(number(&time[..end])?.checked_mul(unit)?)?;
            time = &time[end + 1..];
            parts += 1;
        }
        if !time.is_empty() {
            return None;
        }
    }
    (parts > 0).then(|| Duration::from_secs(seconds))
}

/// A whole number of ASCII digits (at most 18, so it fits with room to multiply).
fn number(digits: &str) -> Option<u64> {
    if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Parses an ISO-8601 date-time: `YYYY-MM-DDTHH:MM[:SS[.fraction]]` followed by `Z` or an
/// offset `±HH:MM` (`T` and `Z` in either case), or a bare `YYYY-MM-DD` (midnight UTC).
/// `None` for anything else.
pub(crate) fn parse_date_time(text: &str) -> Option<SystemTime> {
    if !text.is_ascii() {
        return None;
    }
    if text.len() == 10 {
        return humantime::parse_rfc3339(&format!("{text}T00:00:00Z")).ok();
    }
    let (date, rest) = (text.get(..10)?, text.get(10..)?);
    let rest = rest.strip_prefix(['T', 't'])?;
    // The zone: `Z`, or an offset by which the local time is ahead of (`+`) or behind (`-`) UTC.
    let (local, shift) = if let Some(local) = rest.strip_suffix(['Z', 'z']) {
        (local, None)
    } else {
        let split = rest.len().checked_sub(6)?;
        let (local, offset) = (&rest[..split], &rest[split..]);
        let sign = offset.as_bytes()[0];
        if !matches!(sign, b'+' | b'-') || offset.as_bytes()[3] != b':' {
            return None;
        }
        let (hours, minutes) = (number(&offset[1..3])?, number(&offset[4..])?);
        if hours > 23 || minutes > 59 {
            return None;
        }
        (local, Some((sign, Duration::from_secs(hours * HOUR + minutes * MINUTE))))
    };
    // Seconds are optional (`HH:MM` is `HH:MM:00`); a fraction needs a digit.
    if local.split_once('.').is_some_and(|(_, fraction)| fraction.is_empty()) {
        return None;
    }
    let local = if local.len() == 5 { format!("{local}:00") } else { local.to_owned() };
    let at = humantime::parse_rfc3339(&format!("{date}T{local}Z")).ok()?;
    match shift {
        None => Some(at),
        Some((b'+', shift)) => at.checked_sub(shift),
        Some((_, shift)) => at.checked_add(shift),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(text: &str) -> Option<u64> {
        parse_duration(text).map(|duration| duration.as_secs())
    }

    #[test]
    fn documented_durations() {
        assert_eq!(secs("P30D"), Some(30 * DAY));
        assert_eq!(secs("PT1H"), Some(HOUR));
        assert_eq!(secs("P1DT2H30M"), Some(DAY + 2 * HOUR + 30 * MINUTE));
        assert_eq!(secs("PT90S"), Some(90));
        assert_eq!(secs("P2W"), Some(14 * DAY));
        assert_eq!(secs("P0D"), Some(0));
        assert_eq!(secs("PT1H1S"), Some(HOUR + 1));
        assert_eq!(secs("P1DT1M"), Some(DAY + MINUTE));
        assert_eq!(secs("PT36H"), Some(36 * HOUR), "no carrying rules: 36 hours are 36 hours");
    }

    #[test]
    fn everything_else_is_refused() {
        for bad in [
            "",
            "P",
            "PT",
            "30D",
            "P1DT",
            "P1Y",
            "P1M",
            "PT1.5S",
            "P1W2D",
            "PW",
            "P1DT1S1M",
            "PT1H1H",
            "PT-1H",
            "P+1D",
            "p30d",
            "P30d",
            "PT1h",
            " P1D",
            "P1D ",
            "P１D",
            "P9999999999999999999D",
            "PT1HX",
            "P1D2D",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn date_times_in_utc_with_offsets_and_bare_dates() {
        let at = |text| parse_date_time(text).map(|t| humantime::format_rfc3339_millis(t).to_string());
        assert_eq!(at("2026-12-05T10:11:12Z").as_deref(), Some("2026-12-05T10:11:12.000Z"));
        assert_eq!(at("2026-12-05T10:11:12.345Z").as_deref(), Some("2026-12-05T10:11:12.345Z"));
        assert_eq!(at("2026-12-05T12:11:12+02:00").as_deref(), Some("2026-12-05T10:11:12.000Z"));
        assert_eq!(at("2026-12-05T05:41:12.5-04:30").as_deref(), Some("2026-12-05T10:11:12.500Z"));
        assert_eq!(at("2026-12-05").as_deref(), Some("2026-12-05T00:00:00.000Z"));
        assert_eq!(at("2026-12-05T10:11Z").as_deref(), Some("2026-12-05T10:11:00.000Z"), "no seconds");
        assert_eq!(at("2026-12-05t10:11:12z").as_deref(), Some("2026-12-05T10:11:12.000Z"));
        assert_eq!(at("2026-12-05T11:11+01:00").as_deref(), Some("2026-12-05T10:11:00.000Z"));
        for bad in [
            "",
            "yesterday",
            "2026-12-05T10:11:12",
            "2026-12-05T10Z",
            "2026-12-05 10:11:12Z",
            "2026-12-05T10:11:12.Z",
            "2026-12-05T10:11:1Z",
            "2026-12-05T1ä:11:12Z",
            "2026-13-05T10:11:12Z",
            "2026-12-05T10:11:12+2:00",
            "2026-12-05T10:11:12+02:60",
            "2026-12-05T10:11:12*02:00",
            "2026-12-5",
            "1700000000",
        ] {
            assert_eq!(parse_date_time(bad), None, "{bad:?}");
        }
    }
}
