//! Turning a pause request into a pause: pure, in the configured timezone.

use chrono::{DateTime, LocalResult, NaiveTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use crate::protocol::PauseRequest;
use crate::scheduler::Pause;

/// `for_secs` from now, `until` as `HH:MM` (the next such local time in `tz`)
/// or an RFC 3339 instant, or indefinitely.
pub(crate) fn resolve(req: &PauseRequest, now: DateTime<Utc>, tz: Tz) -> Result<Pause, String> {
    match (req.for_secs, req.until.as_deref()) {
        (Some(_), Some(_)) => Err("give either a duration or an end time, not both".into()),
        (Some(0), None) => Err("a pause must last at least one second".into()),
        (Some(secs), None) => {
            let secs = i64::try_from(secs).map_err(|_| "pause duration too long".to_string())?;
            let until = TimeDelta::try_seconds(secs)
                .and_then(|d| now.checked_add_signed(d))
                .ok_or_else(|| "pause duration too long".to_string())?;
            Ok(Pause::Until(until))
        }
        (None, Some(text)) => until(text, now, tz).map(Pause::Until),
        (None, None) => Ok(Pause::Indefinite),
    }
}

fn until(text: &str, now: DateTime<Utc>, tz: Tz) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        let t = t.with_timezone(&Utc);
        return if t > now {
            Ok(t)
        } else {
            Err(format!("`{text}` is in the past"))
        };
    }
    let time = NaiveTime::parse_from_str(text, "%H:%M")
        .map_err(|_| format!("`{text}` is not a time (HH:MM) or an RFC 3339 instant"))?;
    let today = now.with_timezone(&tz).date_naive();
    for day in [today, today.succ_opt().unwrap_or(today)] {
        let candidate = match tz.from_local_datetime(&day.and_time(time)) {
            LocalResult::Single(t) => t,
            LocalResult::Ambiguous(early, _) => early,
            // Inside a DST gap: the wall-clock time does not exist that day;
            // the same instant one hour later (after the jump) is what people mean.
            LocalResult::None => {
                match tz.from_local_datetime(&(day.and_time(time) + TimeDelta::hours(1))) {
                    LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t,
                    LocalResult::None => continue,
                }
            }
        };
        let candidate = candidate.with_timezone(&Utc);
        if candidate > now {
            return Ok(candidate);
        }
    }
    Err(format!("cannot resolve `{text}` in {tz}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn req(for_secs: Option<u64>, until: Option<&str>) -> PauseRequest {
        PauseRequest {
            for_secs,
            until: until.map(str::to_string),
        }
    }

    #[test]
    fn pause_for_and_indefinitely() {
        let now = at("2026-11-26T09:00:00Z");
        assert_eq!(
            resolve(&req(Some(5400), None), now, Tz::UTC),
            Ok(Pause::Until(at("2026-11-26T10:30:00Z")))
        );
        assert_eq!(
            resolve(&req(None, None), now, Tz::UTC),
            Ok(Pause::Indefinite)
        );
        assert!(resolve(&req(Some(5), Some("17:00")), now, Tz::UTC).is_err());
    }

    #[test]
    fn until_a_local_time_today_or_tomorrow() {
        let tz: Tz = "Asia/Kolkata".parse().unwrap();
        // 09:00Z is 14:30 IST: 17:00 IST is today, 11:30Z.
        let now = at("2026-11-26T09:00:00Z");
        assert_eq!(
            resolve(&req(None, Some("17:00")), now, tz),
            Ok(Pause::Until(at("2026-11-26T11:30:00Z")))
        );
        // 08:00 IST has passed: tomorrow.
        assert_eq!(
            resolve(&req(None, Some("08:00")), now, tz),
            Ok(Pause::Until(at("2026-11-27T02:30:00Z")))
        );
        assert!(resolve(&req(None, Some("25:00")), now, tz).is_err());
        assert!(resolve(&req(None, Some("2020-01-01T00:00:00Z")), now, tz).is_err());
        assert_eq!(
            resolve(&req(None, Some("2026-11-26T10:00:00Z")), now, tz),
            Ok(Pause::Until(at("2026-11-26T10:00:00Z")))
        );
    }

    #[test]
    fn until_a_time_in_a_dst_gap() {
        // Europe/Berlin jumps from 02:00 to 03:00 on 2026-03-29.
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let now = at("2026-03-28T23:00:00Z"); // 00:00 CET
        assert_eq!(
            resolve(&req(None, Some("02:30")), now, tz),
            Ok(Pause::Until(at("2026-03-29T01:30:00Z"))) // 03:30 CEST
        );
    }
}
