//! `pause`, `resume`, `skip`, `trigger`, `reload`: one request each.

use std::fmt::Write as _;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};

use crate::cli::args::{PauseArgs, ReloadArgs};
use crate::cli::client::{Client, ClientError};
use crate::cli::{out, CliError, Context};
use crate::exit::Status;
use crate::protocol::{Command, ErrorKind, Event, EventBody, Failure, PauseRequest, Response};
use crate::service::{self, ServiceError};

/// How long a request that changes state may take (it writes the store).
const CHANGE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a reload may take (it re-reads every repository it adds).
pub(crate) const RELOAD_TIMEOUT: Duration = Duration::from_secs(120);

/// Sends `cmd` with a reply timeout of `timeout`; the daemon's reply.
pub(crate) fn ask(ctx: &Context, cmd: Command, timeout: Duration) -> Result<Response, CliError> {
    let mut client = Client::connect(&ctx.paths.socket)?;
    client.set_read_timeout(Some(timeout))?;
    Ok(client.request(cmd)?)
}

/// A failed request as an error: a bad value is a bad command line (2), a
/// rejected request is 5, anything else a failure.
pub(crate) fn refused(failure: &Failure) -> CliError {
    let status = match failure.kind {
        ErrorKind::BadRequest => Status::Usage,
        ErrorKind::Rejected => Status::Rejected,
        _ => Status::Failure,
    };
    CliError::new(status, or(&failure.error, "the daemon refused the request"))
}

/// A reply of another kind than the request asks for.
pub(crate) fn unexpected(reply: &Response) -> CliError {
    ClientError::Protocol(serde_json::to_string(reply).unwrap_or_default()).into()
}

fn or<'a>(text: &'a str, fallback: &'a str) -> &'a str {
    if text.is_empty() {
        fallback
    } else {
        text
    }
}

/// Sends `cmd` and prints the daemon's message.
fn simple(ctx: &Context, cmd: Command) -> Result<Status, CliError> {
    match ask(ctx, cmd, CHANGE_TIMEOUT)? {
        Response::Failed(f) => Err(refused(&f)),
        reply => {
            if let Some(m) = reply.message() {
                out::line(m)?;
            }
            Ok(Status::Ok)
        }
    }
}

pub(crate) fn pause(ctx: &Context, args: &PauseArgs) -> Result<Status, CliError> {
    simple(
        ctx,
        Command::Pause(PauseRequest {
            for_secs: args.for_,
            until: args.until.clone(),
        }),
    )
}

pub(crate) fn resume(ctx: &Context) -> Result<Status, CliError> {
    simple(ctx, Command::Resume)
}

pub(crate) fn skip(ctx: &Context) -> Result<Status, CliError> {
    simple(ctx, Command::Skip)
}

pub(crate) fn trigger(ctx: &Context) -> Result<Status, CliError> {
    simple(ctx, Command::Trigger)
}

pub(crate) fn rejected(error: &str) -> CliError {
    CliError::new(
        Status::Rejected,
        format!("configuration rejected, the daemon keeps the previous one: {error}"),
    )
}

/// `reload --wait` talks to the daemon and waits for the verdict (the
/// systemd unit's `ExecReload`); plain `reload` goes through the service
/// manager when devtrack is installed as a service, so the manager's view of
/// the reload stays right, and follows the event stream meanwhile: the
/// daemon's `reloaded` event says what changed (the manager says only that
/// the reload worked). A unit without a reload command (Homebrew's) is
/// reloaded through the daemon directly.
pub(crate) fn reload(ctx: &Context, args: &ReloadArgs) -> Result<Status, CliError> {
    let mut installed = true;
    if !args.wait {
        let backend = service::backend();
        installed = backend.is_installed();
        if installed {
            let began = Utc::now().trunc_subsecs(3);
            let mut stream = subscribe(ctx);
            match backend.reload() {
                Ok(()) => {
                    match stream.as_mut().and_then(verdict) {
                        Some(Ok(changes)) => print_changes(&changes)?,
                        _ => out::line("configuration reloaded")?,
                    }
                    return Ok(Status::Ok);
                }
                Err(ServiceError::ReloadUnsupported) => {}
                // The manager only says that the reload failed; the daemon
                // says why (and whether it rejected the config at all).
                Err(e @ ServiceError::Tool { .. }) => {
                    if let Some(Err(error)) = stream.as_mut().and_then(verdict) {
                        return Err(rejected(&error));
                    }
                    return Err(rejection_since(ctx, began).unwrap_or_else(|| e.into()));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    let reply = ask(ctx, Command::Reload, RELOAD_TIMEOUT).map_err(|e| {
        // `devtrack start` needs a service; none is installed.
        if e.status() == Status::NotRunning && !installed {
            e.with_hint(
                "no daemon is running and devtrack is not installed as a service: \
                 `devtrack install-service` installs and starts it, or `devtrack run` \
                 runs it in a terminal",
            )
        } else {
            e
        }
    })?;
    let changes = match reply {
        Response::Reloaded { reload, .. } => reload.changes,
        Response::Failed(f) if f.kind == ErrorKind::Rejected => {
            return Err(rejected(or(&f.error, "unknown reason")))
        }
        Response::Failed(f) => return Err(refused(&f)),
        other => return Err(unexpected(&other)),
    };
    print_changes(&changes)?;
    Ok(Status::Ok)
}

pub(crate) fn print_changes(changes: &[String]) -> Result<(), CliError> {
    match changes {
        [] => out::line("configuration reloaded; nothing changed")?,
        changes => {
            let mut text = String::from("configuration reloaded:\n");
            for c in changes {
                let _ = writeln!(text, "  {c}");
            }
            out::print(&text)?;
        }
    }
    Ok(())
}

/// The event stream, subscribed to before the manager reloads, so the
/// verdict arrives whoever asks the daemon; `None` when the daemon cannot
/// be reached (the reload then goes on without it).
fn subscribe(ctx: &Context) -> Option<Client> {
    let mut client = Client::connect(&ctx.paths.socket).ok()?;
    // The manager returns once the daemon has published its verdict; this
    // bounds only the event's way through the socket.
    client
        .set_read_timeout(Some(crate::cli::client::ANSWER_TIMEOUT))
        .ok()?;
    match client.request(Command::Subscribe).ok()? {
        Response::Done { .. } => Some(client),
        _ => None,
    }
}

/// The first reload verdict on the stream: the changes applied, or why the
/// config was rejected; `None` when the stream ends or times out first.
fn verdict(client: &mut Client) -> Option<Result<Vec<String>, String>> {
    loop {
        let line = client.next_line().ok()??;
        match serde_json::from_str::<Event>(&line).map(|e| e.body) {
            Ok(EventBody::Reloaded { changes }) => return Some(Ok(changes)),
            Ok(EventBody::ReloadRejected { error }) => return Some(Err(error)),
            _ => {}
        }
    }
}

/// The daemon's verdict on a reload that began at `began`: its
/// `reload_error`, when its last reload is that one.
fn rejection_since(ctx: &Context, began: DateTime<Utc>) -> Option<CliError> {
    let Response::Status { status, .. } =
        ask(ctx, Command::Status, crate::cli::client::ANSWER_TIMEOUT).ok()?
    else {
        return None;
    };
    let error = status.reload_error.as_deref()?;
    (status.last_reload? >= began).then(|| rejected(error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_map_to_the_table() {
        let bad = Failure::new(
            ErrorKind::BadRequest,
            "`2020-01-01T00:00:00Z` is in the past",
        );
        let e = refused(&bad);
        assert_eq!(e.status(), Status::Usage);
        assert_eq!(e.message(), "`2020-01-01T00:00:00Z` is in the past");
        assert_eq!(
            refused(&Failure::new(ErrorKind::Rejected, "x")).status(),
            Status::Rejected
        );
        assert_eq!(
            refused(&Failure::new(ErrorKind::Internal, "disk full")).status(),
            Status::Failure
        );
    }
}
