//! Answering requests: one file per request, each a plain function from
//! the daemon's state, the request and the time to a [`Response`] (the
//! daemon side of `cli/commands/`, as in pueue's `message_handler/`).
//!
//! [`handle`] is the one dispatching `match`; the run loop calls it for
//! every request a connection hands over. Adding a request is a
//! [`Command`] variant, a file here and its line in the `match`.

mod doctor;
mod metrics;
mod note;
mod pause;
mod prompts;
mod reload;
mod resume;
mod skip;
mod snooze;
mod status;
mod trigger;

use chrono::{DateTime, Utc};

use crate::daemon::state::Daemon;
use crate::protocol::{Command, ErrorKind, Response};
use crate::store::PromptError;

/// The reply to `command`; a failure of the daemon itself (its store) is an
/// `internal` error.
pub(in crate::daemon) fn handle(
    daemon: &mut Daemon,
    command: Command,
    now: DateTime<Utc>,
) -> Response {
    let reply = match command {
        Command::Status => status::handle(daemon, now),
        Command::Pause(req) => pause::handle(daemon, &req, now),
        Command::Resume => resume::handle(daemon, now),
        Command::Skip => skip::handle(daemon, now),
        Command::Note(req) => note::handle(daemon, &req, now),
        Command::Snooze(req) => snooze::handle(daemon, &req, now),
        Command::Prompts(req) => prompts::handle(daemon, &req, now),
        Command::Trigger => trigger::handle(daemon, now),
        Command::Reload => reload::handle(daemon, now),
        Command::Metrics => metrics::handle(daemon),
        Command::Doctor => doctor::handle(daemon, now),
        Command::SyncNow => {
            daemon.sync_kick(now);
            Ok(Response::done("the sender looked at the outbox"))
        }
        // Answered by the connection task (`decode_request` refuses an
        // unknown command); neither reaches the loop.
        Command::Subscribe => Ok(Response::failed(
            ErrorKind::BadRequest,
            "subscribe is per connection",
        )),
        Command::Unknown => Ok(Response::failed(
            ErrorKind::UnknownCommand,
            "unknown command",
        )),
    };
    reply.unwrap_or_else(|e| Response::failed(ErrorKind::Internal, format!("{e:#}")))
}

/// A prompt operation that did nothing, as a reply: no such prompt (or
/// none outstanding) is `not_found`, a change the prompt's state does not
/// allow is `conflict`, an empty note a bad request; the store's own
/// failure is the caller's error (`internal`).
fn prompt_failure(e: PromptError) -> anyhow::Result<Response> {
    let kind = match &e {
        PromptError::NoSuchPrompt(_) | PromptError::NoneOutstanding => ErrorKind::NotFound,
        PromptError::Refused { .. } => ErrorKind::Conflict,
        PromptError::EmptyAnswer => ErrorKind::BadRequest,
        PromptError::NoSuchTrigger(_)
        | PromptError::TriggerTaken { .. }
        | PromptError::Store(_) => return Err(e.into()),
    };
    Ok(Response::failed(kind, e.to_string()))
}

/// When the next interval prompt is due, in the configured timezone, for
/// the replies that name it.
fn next_prompt_at(daemon: &Daemon, now: DateTime<Utc>) -> Option<String> {
    daemon
        .scheduling
        .next_due
        .map(|t| crate::display::local_time(t, daemon.scheduling.schedule.tz, now))
}
