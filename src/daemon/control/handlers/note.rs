//! `note`: an answer to the given prompt, else to the oldest outstanding
//! one, else a standalone update; stored (with the commits since the
//! previous answer and the tickets found) before the reply says so.

use anyhow::Result;
use chrono::{DateTime, Utc};

use super::prompt_failure;
use crate::daemon::state::Daemon;
use crate::protocol::{NoteInfo, NoteRequest, NoteSource, Response};
use crate::store::{AnswerTarget, NewUpdate, UpdateSource};

pub(super) fn handle(
    daemon: &mut Daemon,
    req: &NoteRequest,
    now: DateTime<Utc>,
) -> Result<Response> {
    let new = NewUpdate {
        text: &req.text,
        target: match req.prompt {
            Some(id) => AnswerTarget::Prompt(id),
            None => AnswerTarget::Oldest,
        },
        source: match req.source {
            Some(NoteSource::Cli) => UpdateSource::Cli,
            Some(NoteSource::Socket) | None => UpdateSource::Socket,
        },
    };
    let answered = match daemon.answer(&new, now) {
        Ok(a) => a,
        Err(e) => return prompt_failure(e),
    };
    let message = match answered.update.prompt_id {
        Some(p) => format!("update recorded for prompt #{p}"),
        None => "update recorded (no prompt was open)".to_string(),
    };
    Ok(Response::Noted {
        message,
        note: NoteInfo {
            update_id: answered.update.id,
            prompt_id: answered.update.prompt_id,
            commits: answered.commits.len(),
        },
    })
}
