//! Times and durations typed on the command line (and in the status
//! page's `/api/report?since=`), read in one place:
//! durations (`pause --for 90m`, `snooze 30m`), a run of whole numbers with
//! units `d`, `h`, `m`, `s`, and the one syntax for an instant that
//! `history --since`, `report --since/--until` and `logs --since` share
//! ([`parse_since`]: `12h`, `-12h`, `3d`, `2026-01-31`, `2026-01-31T09:00`,
//! `17:00`, `today`, `yesterday`, an RFC 3339 instant), and the end of a
//! pause (`pause --until 17:00`). Local forms are read in the configured
//! timezone; `logs` hands the log tool the absolute instant. The inverse of
//! a duration, `2h 15m` for people, is `display::human_duration`; the
//! duration parser is the config's (`snooze: 30m` is read the same way).

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

pub(crate) use crate::config::parse_duration_secs as parse_secs;

/// What [`parse_since`] accepts, for messages and `--help`.
pub(crate) const WHEN_FORMS: &str =
    "`12h`, `3d`, `2026-01-31`, `2026-01-31T09:00`, `17:00`, `today`, `yesterday`";

/// An instant: a span back from now (`3d`, `12h`, `90m`, also written
/// `-12h`), `today` or `yesterday` (the start of that day), a time of day
/// today (`17:00`), a date (its start), a date and time (`2026-01-31T09:00`
/// or `2026-01-31 09:00`), or an RFC 3339 instant. Local forms use `tz`.
pub(crate) fn parse_since<Tz: TimeZone>(
    text: &str,
    now: DateTime<Utc>,
    tz: &Tz,
) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(secs) = parse_secs(text.strip_prefix('-').unwrap_or(text)) {
        return Ok(now - chrono::TimeDelta::seconds(secs as i64));
    }
    let today = now.with_timezone(tz).date_naive();
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0);
    let local = match text {
        "today" => midnight(today),
        "yesterday" => today.pred_opt().and_then(midnight),
        _ => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .and_then(midnight)
            .or_else(|| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").ok())
            .or_else(|| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").ok())
            .or_else(|| {
                NaiveTime::parse_from_str(text, "%H:%M")
                    .ok()
                    .map(|t| today.and_time(t))
            }),
    }
    .ok_or_else(|| format!("`{text}` is not a time (e.g. {WHEN_FORMS})"))?;
    tz.from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| format!("`{text}` does not exist in the configured timezone"))
}

/// The argument parser's check of a `--since`/`--until` value, so a typo
/// is a usage error (2) in every command before anything is read; which
/// instant it means is computed later, in the configured timezone.
pub(crate) fn when(text: &str) -> Result<String, String> {
    parse_since(text, Utc::now(), &Utc).map(|_| text.to_string())
}

/// `--until`: `HH:MM` (00:00 to 23:59) or an RFC 3339 instant; which
/// instant it means is the daemon's to decide, in its timezone.
pub(crate) fn pause_end(text: &str) -> Result<String, String> {
    let clock = chrono::NaiveTime::parse_from_str(text, "%H:%M").is_ok();
    if clock || chrono::DateTime::parse_from_rfc3339(text).is_ok() {
        Ok(text.to_string())
    } else {
        Err(format!(
            "`{text}` is not a time of day (`HH:MM`, 00:00 to 23:59) or an RFC 3339 instant"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_secs("90m"), Ok(5400));
        assert_eq!(parse_secs("2h"), Ok(7200));
        assert_eq!(parse_secs("1h30m"), Ok(5400));
        assert_eq!(parse_secs("1d"), Ok(86_400));
        assert!(parse_secs("90").is_err());
        assert!(parse_secs("soon").is_err());
        assert!(parse_secs("0m").is_err());
        assert!(parse_secs("").is_err());
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn since_forms() {
        let now = at("2026-11-26T09:00:00Z");
        let tz = chrono_tz::Europe::Berlin;
        assert_eq!(parse_since("3d", now, &tz), Ok(at("2026-11-23T09:00:00Z")));
        assert_eq!(parse_since("12h", now, &tz), Ok(at("2026-11-25T21:00:00Z")));
        assert_eq!(
            parse_since("2026-11-20", now, &tz),
            Ok(at("2026-11-19T23:00:00Z"))
        );
        assert_eq!(
            parse_since("2026-11-20T09:30", now, &tz),
            Ok(at("2026-11-20T08:30:00Z"))
        );
        assert_eq!(
            parse_since("2026-11-20T09:30:00Z", now, &tz),
            Ok(at("2026-11-20T09:30:00Z"))
        );
        assert_eq!(
            parse_since("-12h", now, &tz),
            Ok(at("2026-11-25T21:00:00Z"))
        );
        assert_eq!(
            parse_since("today", now, &tz),
            Ok(at("2026-11-25T23:00:00Z"))
        );
        assert_eq!(
            parse_since("yesterday", now, &tz),
            Ok(at("2026-11-24T23:00:00Z"))
        );
        assert_eq!(
            parse_since("17:00", now, &tz),
            Ok(at("2026-11-26T16:00:00Z"))
        );
        for bad in ["soon", "25:00", "2026-13-01", "1 hour ago", "-", ""] {
            let err = parse_since(bad, now, &tz).unwrap_err();
            assert!(err.contains("`17:00`"), "{bad}: {err}");
        }
    }
}
