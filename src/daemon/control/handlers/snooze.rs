//! `snooze`: put the outstanding prompt off for the given time (default
//! `prompts.snooze`); it opens again at the deadline. A time given is what
//! it says; without one a running snooze is never shortened, and the reply
//! says which happened (`Daemon::snooze`).

use anyhow::Result;
use chrono::{DateTime, TimeDelta, Utc};

use super::prompt_failure;
use crate::daemon::prompt_triggers::SnoozeEnd;
use crate::daemon::state::Daemon;
use crate::display::local_time;
use crate::protocol::{ErrorKind, Response, SnoozeRequest};

/// The longest snooze: a day.
const MAX_SECS: u64 = 86_400;

/// How long `req` asks for; `None` when it names no time (then
/// `prompts.snooze`, never shortening a running snooze).
pub(super) fn length(req: &SnoozeRequest) -> Result<Option<TimeDelta>, String> {
    let secs = match (req.seconds, req.minutes) {
        (Some(s), _) => s,
        (None, Some(m)) => m.saturating_mul(60),
        (None, None) => return Ok(None),
    };
    if secs == 0 || secs > MAX_SECS {
        return Err(format!("a snooze must be 1s..=24h, not {secs}s"));
    }
    Ok(Some(TimeDelta::seconds(secs as i64)))
}

/// What the reply says happened.
pub(super) fn said(id: i64, end: SnoozeEnd, at: impl Fn(DateTime<Utc>) -> String) -> String {
    match (end.kept, end.was) {
        (true, _) => format!(
            "prompt #{id} stays snoozed until {} (a snooze without a time never shortens one)",
            at(end.until)
        ),
        (false, Some(was)) => format!(
            "prompt #{id} snoozed until {} (was until {})",
            at(end.until),
            at(was)
        ),
        (false, None) => format!("prompt #{id} snoozed until {}", at(end.until)),
    }
}

pub(super) fn handle(
    daemon: &mut Daemon,
    req: &SnoozeRequest,
    now: DateTime<Utc>,
) -> Result<Response> {
    let asked = match length(req) {
        Ok(s) => s,
        Err(e) => return Ok(Response::failed(ErrorKind::BadRequest, e)),
    };
    let (prompt, end) = match daemon.snooze(None, asked, now) {
        Ok(r) => r,
        Err(e) => return prompt_failure(e),
    };
    let tz = daemon.scheduling.schedule.tz;
    let message = said(prompt.id, end, |t| local_time(t, tz, now));
    Ok(Response::Prompt {
        message,
        prompt: Box::new(prompt),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths() {
        let req = |minutes, seconds| SnoozeRequest { minutes, seconds };
        assert_eq!(length(&req(None, None)), Ok(None));
        assert_eq!(
            length(&req(Some(10), None)),
            Ok(Some(TimeDelta::minutes(10)))
        );
        assert_eq!(
            length(&req(Some(10), Some(2))),
            Ok(Some(TimeDelta::seconds(2)))
        );
        assert!(length(&req(Some(0), None)).is_err());
        assert!(length(&req(None, Some(86_401))).is_err());
        assert!(length(&req(Some(u64::MAX), None)).is_err());
    }

    #[test]
    fn replies_say_what_happened() {
        let t = |m: i64| DateTime::from_timestamp(1_750_000_000 + m * 60, 0).unwrap();
        let at = |x: DateTime<Utc>| x.format("%H:%M").to_string();
        let end = |until, was, kept| SnoozeEnd { until, was, kept };
        let cases = [
            (end(t(30), None, false), "prompt #3 snoozed until 15:36"),
            (
                end(t(30), Some(t(2)), false),
                "prompt #3 snoozed until 15:36 (was until 15:08)",
            ),
            (
                end(t(2), Some(t(2)), true),
                "prompt #3 stays snoozed until 15:08 (a snooze without a time never shortens one)",
            ),
        ];
        for (end, want) in cases {
            assert_eq!(said(3, end, at), want);
        }
    }
}
