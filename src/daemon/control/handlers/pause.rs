//! `pause`: stop interval prompts until resumed, for a duration or until a
//! time; commit watching goes on.

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::daemon::pause;
use crate::daemon::state::Daemon;
use crate::display::local_time;
use crate::protocol::{ErrorKind, EventBody, PauseRequest, Response};
use crate::scheduler::Pause;

pub(super) fn handle(
    daemon: &mut Daemon,
    req: &PauseRequest,
    now: DateTime<Utc>,
) -> Result<Response> {
    let pause = match pause::resolve(req, now, daemon.scheduling.schedule.tz) {
        Ok(p) => p,
        Err(e) => return Ok(Response::failed(ErrorKind::BadRequest, e)),
    };
    daemon.change_schedule_state(now, |s| s.pause = pause)?;
    let until = match pause {
        Pause::Until(t) => Some(t),
        _ => None,
    };
    tracing::info!(
        until = ?until,
        "prompts paused{}",
        until.map(|t| format!(" until {}", t.to_rfc3339())).unwrap_or_default()
    );
    daemon.events.publish(now, EventBody::Paused { until });
    let message = match until {
        Some(t) => format!(
            "prompts paused until {}; commit watching continues",
            local_time(t, daemon.scheduling.schedule.tz, now)
        ),
        None => "prompts paused; commit watching continues; `devtrack resume` to resume".into(),
    };
    Ok(Response::done(message))
}
