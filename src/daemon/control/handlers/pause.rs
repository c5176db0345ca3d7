//! `pause`: stop interval prompts until resumed, for a duration or until a
//! time; commit watching goes on. Prompts opened meanwhile (own commits)
//! are held: stored and on the socket, but shown by no popup, hook or
//! dialog until the pause ends, then once (see `daemon::hold`).

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
        Some(t) => {
            let at = local_time(t, daemon.scheduling.schedule.tz, now);
            format!(
                "prompts paused until {at}; commit watching continues; prompts opened meanwhile \
                 are held and shown once, at {at} or at `devtrack resume`"
            )
        }
        None => "prompts paused; commit watching continues; prompts opened meanwhile are held \
                 and shown once at `devtrack resume`"
            .into(),
    };
    Ok(Response::done(message))
}
