//! `resume`: interval prompts again.

use anyhow::Result;
use chrono::{DateTime, Utc};

use super::next_prompt_at;
use crate::daemon::state::Daemon;
use crate::protocol::{EventBody, Response};
use crate::scheduler::Pause;

pub(super) fn handle(daemon: &mut Daemon, now: DateTime<Utc>) -> Result<Response> {
    if daemon.scheduling.state.pause == Pause::Running {
        return Ok(Response::done("prompts were not paused"));
    }
    daemon.change_schedule_state(now, |s| s.pause = Pause::Running)?;
    tracing::info!("prompts resumed");
    daemon.events.publish(now, EventBody::Resumed);
    Ok(Response::done(match next_prompt_at(daemon, now) {
        Some(t) => format!("prompts resumed; next at {t}"),
        None => "prompts resumed".to_string(),
    }))
}
