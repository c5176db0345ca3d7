//! `skip`: drop exactly the next interval prompt, and skip the outstanding
//! prompt (open or snoozed) if there is one; the Skip of a notification or
//! dialog does the same (`Daemon::skip`).

use anyhow::Result;
use chrono::{DateTime, Utc};

use super::next_prompt_at;
use crate::daemon::state::Daemon;
use crate::protocol::Response;

pub(super) fn handle(daemon: &mut Daemon, now: DateTime<Utc>) -> Result<Response> {
    let skipped = daemon.skip(None, now)?.map(|p| p.id);
    let next = match next_prompt_at(daemon, now) {
        Some(t) => format!("the prompt due at {t} will be skipped"),
        None => "the next prompt will be skipped".to_string(),
    };
    Ok(Response::done(match skipped {
        Some(id) => format!("prompt #{id} skipped; {next}"),
        None => next,
    }))
}
