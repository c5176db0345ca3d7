//! `skip`: drop exactly the next interval prompt, and skip the outstanding
//! prompt (open or snoozed) if there is one.

use anyhow::Result;
use chrono::{DateTime, Utc};

use super::next_prompt_at;
use crate::daemon::state::Daemon;
use crate::protocol::{EventBody, Response};
use crate::store::PromptError;

pub(super) fn handle(daemon: &mut Daemon, now: DateTime<Utc>) -> Result<Response> {
    let skipped = match daemon.skip_prompt(None, now) {
        Ok(p) => Some(p.id),
        Err(PromptError::NoneOutstanding) => None,
        Err(e) => return Err(e.into()),
    };
    daemon.change_schedule_state(now, |s| s.skip_next = true)?;
    tracing::info!("next prompt will be skipped");
    daemon.events.publish(now, EventBody::Skipped);
    let next = match next_prompt_at(daemon, now) {
        Some(t) => format!("the prompt due at {t} will be skipped"),
        None => "the next prompt will be skipped".to_string(),
    };
    Ok(Response::done(match skipped {
        Some(id) => format!("prompt #{id} skipped; {next}"),
        None => next,
    }))
}
