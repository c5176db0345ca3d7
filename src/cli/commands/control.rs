//! `pause`, `resume`, `skip`, `trigger`, `reload`: one request each.

use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};

use crate::cli::args::{PauseArgs, ReloadArgs};
use crate::cli::client::Client;
use crate::cli::{out, CliError, Context};
use crate::exit::Status;
use crate::protocol::{Command, PauseRequest, Response};
use crate::service::{self, ServiceError};

/// How long a request that changes state may take (it writes the store).
const CHANGE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a reload may take (it re-reads every repository it adds).
const RELOAD_TIMEOUT: Duration = Duration::from_secs(120);

/// Sends `cmd` with a reply timeout of `timeout`; the daemon's reply.
pub fn ask(ctx: &Context, cmd: Command, timeout: Duration) -> Result<Response, CliError> {
    let mut client = Client::connect(&ctx.paths.socket)?;
    client.set_read_timeout(Some(timeout))?;
    Ok(client.request(cmd)?)
}

/// A reply with `ok: false` as an error: a bad value is a bad command line
/// (2), a rejected request is 5, anything else a failure.
pub fn refused(resp: &Response) -> CliError {
    let status = match resp.error_kind.as_deref() {
        Some("bad_request") => Status::Usage,
        Some("rejected") => Status::Rejected,
        _ => Status::Failure,
    };
    let error = resp
        .error
        .as_deref()
        .unwrap_or("the daemon refused the request");
    CliError::new(status, error)
}

/// Sends `cmd` and prints the daemon's message.
fn simple(ctx: &Context, cmd: Command) -> Result<Status, CliError> {
    let resp = ask(ctx, cmd, CHANGE_TIMEOUT)?;
    if !resp.ok {
        return Err(refused(&resp));
    }
    if let Some(m) = &resp.message {
        out::line(m)?;
    }
    Ok(Status::Ok)
}

pub fn pause(ctx: &Context, args: &PauseArgs) -> Result<Status, CliError> {
    simple(
        ctx,
        Command::Pause(PauseRequest {
            for_secs: args.for_,
            until: args.until.clone(),
        }),
    )
}

pub fn resume(ctx: &Context) -> Result<Status, CliError> {
    simple(ctx, Command::Resume)
}

pub fn skip(ctx: &Context) -> Result<Status, CliError> {
    simple(ctx, Command::Skip)
}

pub fn trigger(ctx: &Context) -> Result<Status, CliError> {
    simple(ctx, Command::Trigger)
}

fn rejected(error: &str) -> CliError {
    CliError::new(
        Status::Rejected,
        format!("configuration rejected, the daemon keeps the previous one: {error}"),
    )
}

/// `reload --wait` talks to the daemon and waits for the verdict (the
/// systemd unit's `ExecReload`); plain `reload` goes through the service
/// manager when devtrack is installed as a service, so the manager's view of
/// the reload stays right. A unit without a reload command (Homebrew's)
/// is reloaded through the daemon directly.
pub fn reload(ctx: &Context, args: &ReloadArgs) -> Result<Status, CliError> {
    if !args.wait {
        let backend = service::backend();
        if backend.is_installed() {
            let began = Utc::now().trunc_subsecs(3);
            match backend.reload() {
                Ok(()) => return Ok(Status::Ok),
                Err(ServiceError::ReloadUnsupported) => {}
                // The manager only says that the reload failed; the daemon
                // says why (and whether it rejected the config at all).
                Err(e @ ServiceError::Tool(_)) => {
                    return Err(rejection_since(ctx, began).unwrap_or_else(|| e.into()))
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    let resp = ask(ctx, Command::Reload, RELOAD_TIMEOUT)?;
    if !resp.ok {
        return Err(match resp.error_kind.as_deref() {
            Some("rejected") => rejected(resp.error.as_deref().unwrap_or("unknown reason")),
            _ => refused(&resp),
        });
    }
    match resp.reload.as_ref().map(|r| r.changes.as_slice()) {
        Some([]) | None => out::line("configuration reloaded; nothing changed")?,
        Some(changes) => {
            let mut text = String::from("configuration reloaded:\n");
            for c in changes {
                text.push_str(&format!("  {c}\n"));
            }
            out::print(&text)?;
        }
    }
    Ok(Status::Ok)
}

/// The daemon's verdict on a reload that began at `began`: its
/// `reload_error`, when its last reload is that one.
fn rejection_since(ctx: &Context, began: DateTime<Utc>) -> Option<CliError> {
    let resp = ask(ctx, Command::Status, crate::cli::client::ANSWER_TIMEOUT).ok()?;
    let status = resp.status?;
    let error = status.reload_error.as_deref()?;
    (status.last_reload? >= began).then(|| rejected(error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_map_to_the_table() {
        let bad = Response::error("bad_request", "`2020-01-01T00:00:00Z` is in the past");
        let e = refused(&bad);
        assert_eq!(e.status(), Status::Usage);
        assert_eq!(e.message(), "`2020-01-01T00:00:00Z` is in the past");
        assert_eq!(
            refused(&Response::error("rejected", "x")).status(),
            Status::Rejected
        );
        assert_eq!(
            refused(&Response::error("internal", "disk full")).status(),
            Status::Failure
        );
    }
}
