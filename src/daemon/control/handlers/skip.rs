//! `skip`: drop exactly the next interval prompt.

use anyhow::Result;
use chrono::{DateTime, Utc};

use super::next_prompt_at;
use crate::daemon::run_loop::Daemon;
use crate::protocol::{EventBody, Response};

pub(super) fn handle(daemon: &mut Daemon, now: DateTime<Utc>) -> Result<Response> {
    daemon.change_schedule_state(now, |s| s.skip_next = true)?;
    tracing::info!("next prompt will be skipped");
    daemon.events.publish(now, EventBody::Skipped);
    Ok(Response::done(match next_prompt_at(daemon, now) {
        Some(t) => format!("the prompt due at {t} will be skipped"),
        None => "the next prompt will be skipped".to_string(),
    }))
}
