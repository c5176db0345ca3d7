//! `snooze`: put the outstanding prompt off for the given time (default
//! `prompts.snooze`); it opens again at the deadline.

use anyhow::Result;
use chrono::{DateTime, TimeDelta, Utc};

use super::prompt_failure;
use crate::daemon::state::Daemon;
use crate::display::local_time;
use crate::protocol::{ErrorKind, Response, SnoozeRequest};

/// The longest snooze: a day.
const MAX_SECS: u64 = 86_400;

/// How long `req` asks for; `default` when it names no time.
pub(crate) fn length(req: &SnoozeRequest, default: TimeDelta) -> Result<TimeDelta, String> {
    let secs = match (req.seconds, req.minutes) {
        (Some(s), _) => s,
        (None, Some(m)) => m.saturating_mul(60),
        (None, None) => return Ok(default),
    };
    if secs == 0 || secs > MAX_SECS {
        return Err(format!("a snooze must be 1s..=24h, not {secs}s"));
    }
    Ok(TimeDelta::seconds(secs as i64))
}

pub(super) fn handle(
    daemon: &mut Daemon,
    req: &SnoozeRequest,
    now: DateTime<Utc>,
) -> Result<Response> {
    let span = match length(req, daemon.snooze_length()) {
        Ok(s) => s,
        Err(e) => return Ok(Response::failed(ErrorKind::BadRequest, e)),
    };
    let record = match daemon.snooze(None, now + span, now) {
        Ok(r) => r,
        Err(e) => return prompt_failure(e),
    };
    let message = format!(
        "prompt #{} snoozed until {}",
        record.id,
        local_time(now + span, daemon.scheduling.schedule.tz, now)
    );
    Ok(Response::Prompt {
        message,
        prompt: Box::new(daemon.prompt_info(&record, now)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths() {
        let d = TimeDelta::minutes(30);
        let req = |minutes, seconds| SnoozeRequest { minutes, seconds };
        assert_eq!(length(&req(None, None), d), Ok(d));
        assert_eq!(length(&req(Some(10), None), d), Ok(TimeDelta::minutes(10)));
        assert_eq!(
            length(&req(Some(10), Some(2)), d),
            Ok(TimeDelta::seconds(2))
        );
        assert!(length(&req(Some(0), None), d).is_err());
        assert!(length(&req(None, Some(86_401)), d).is_err());
        assert!(length(&req(Some(u64::MAX), None), d).is_err());
    }
}
