//! `prompts`: the most recent prompts, newest first, as stored.

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::daemon::state::Daemon;
use crate::protocol::{PromptsRequest, Response};

/// Without a `limit`.
const DEFAULT_LIMIT: usize = 20;
/// The most one reply carries.
const MAX_LIMIT: usize = 1000;

pub(super) fn handle(
    daemon: &Daemon,
    req: &PromptsRequest,
    now: DateTime<Utc>,
) -> Result<Response> {
    let limit = req.limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT);
    let records = daemon.store.recent_prompts(None, limit)?;
    let prompts: Vec<_> = records.iter().map(|r| daemon.prompt_info(r, now)).collect();
    Ok(Response::Prompts {
        message: crate::display::plural(prompts.len() as u64, "prompt", "prompts"),
        prompts,
    })
}
