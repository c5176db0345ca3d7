//! `devtrack events`: follow the event stream, with `--follow` across
//! daemon restarts. Times are shown in the daemon's timezone
//! (`settings.timezone`), with the zone named.

use std::fmt::Write as _;
use std::os::fd::AsFd;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::backoff::Backoff;
use crate::cli::client::Client;
use crate::cli::commands::control::{refused, unexpected};
use crate::cli::{out, CliError, Context};
use crate::display::{clock, local_time, relative};
use crate::exit::Status;
use crate::protocol::{Command, Event, EventBody, Response};
use crate::socket_watch;

/// Follows the stream; with `follow`, across daemon restarts (as
/// `journalctl -f` does): when the daemon closes the stream, waits for its
/// socket to be created anew (inotify, no polling), subscribes again and
/// prints a `reconnected` line, so a status bar reading the stream learns
/// that it may have missed events.
pub(crate) fn run(ctx: &Context, json: bool, follow: bool) -> Result<Status, CliError> {
    let (mut client, tz) = match Client::connect(&ctx.paths.socket) {
        Ok(mut client) => {
            let tz =
                daemon_timezone(&mut client).unwrap_or_else(|| crate::cli::zone::configured(ctx));
            subscribe(&mut client)?;
            (client, tz)
        }
        // Following, a daemon not started yet is waited for too.
        Err(e) if follow && crate::exit::Explain::status(&e) == Status::NotRunning => {
            crate::cli::stderr::note("no daemon is running; waiting for it to start");
            (
                reconnect(&ctx.paths.socket)?,
                crate::cli::zone::configured(ctx),
            )
        }
        Err(e) => return Err(e.into()),
    };
    // On stderr so stdout stays pure events; also tells scripts the stream is live.
    crate::cli::stderr::note(&format!(
        "following events of the devtrack daemon (PID {}); times in {tz}",
        client.hello.hello.pid
    ));
    loop {
        match relay(&mut client, json, tz)? {
            Ended::ReaderGone => return Ok(Status::Ok),
            Ended::Closed if !follow => {
                crate::cli::stderr::note("the daemon closed the event stream");
                return Ok(Status::Ok);
            }
            Ended::Closed => {}
        }
        crate::cli::stderr::note("the daemon closed the event stream; waiting for it to come back");
        client = reconnect(&ctx.paths.socket)?;
        let pid = client.hello.hello.pid;
        let now = Utc::now();
        let line = if json {
            // The daemon's events' shape and key order.
            format!(
                r#"{{"v":{},"at":"{}","event":"reconnected","pid":{pid}}}"#,
                crate::protocol::PROTOCOL_VERSION,
                now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            )
        } else {
            format!("{}  reconnected to the daemon (PID {pid})", clock(now, tz))
        };
        out::line(&line)?;
    }
}

/// How a stream ended.
enum Ended {
    /// The daemon closed it (it stopped, crashed or restarts).
    Closed,
    /// Whoever read our output is gone (`devtrack events | head -1`).
    ReaderGone,
}

/// Prints the stream's lines until it ends.
fn relay(client: &mut Client, json: bool, tz: Tz) -> Result<Ended, CliError> {
    loop {
        if !wait_for_line(client)? {
            return Ok(Ended::ReaderGone);
        }
        // A reset connection (a killed daemon) ends the stream as EOF does.
        let Ok(Some(line)) = client.next_line() else {
            return Ok(Ended::Closed);
        };
        if json {
            out::line(&line)?;
        } else {
            // Unknown event types (a newer daemon) are shown raw.
            let text = serde_json::from_str::<Event>(&line)
                .ok()
                .and_then(|event| describe(&event, tz, Utc::now()));
            out::line(text.as_deref().unwrap_or(&line))?;
        }
    }
}

fn subscribe(client: &mut Client) -> Result<(), CliError> {
    client.set_read_timeout(None)?;
    match client.request(Command::Subscribe)? {
        Response::Done { .. } => Ok(()),
        Response::Failed(f) => Err(refused(&f)),
        other => Err(unexpected(&other)),
    }
}

/// Between the socket file appearing and the daemon listening on it a
/// connect is refused: retried this briefly before waiting for the next
/// socket.
const LISTEN_RETRY: Backoff = Backoff::new(Duration::from_millis(10), Duration::from_millis(200));
const LISTEN_TRIES: u32 = 8;

/// A subscribed client of the daemon that comes back: each round notes
/// the socket file there now, tries it, and otherwise waits until another
/// one is created.
fn reconnect(socket: &Path) -> Result<Client, CliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    loop {
        let seen = socket_watch::file_id(socket);
        for attempt in 1..=LISTEN_TRIES {
            if let Ok(mut client) = Client::connect(socket) {
                if subscribe(&mut client).is_ok() {
                    return Ok(client);
                }
            }
            if seen.is_none() || attempt == LISTEN_TRIES {
                break;
            }
            std::thread::sleep(LISTEN_RETRY.delay(attempt));
        }
        runtime
            .block_on(socket_watch::created_since(socket, seen))
            .map_err(|e| CliError::failed(format!("waiting for `{}`: {e}", socket.display())))?;
    }
}

/// The daemon's `settings.timezone`, asked before subscribing.
fn daemon_timezone(client: &mut Client) -> Option<Tz> {
    match client.request(Command::Status).ok()? {
        Response::Status { status, .. } => status.scheduler.timezone.parse().ok(),
        _ => None,
    }
}

/// Blocks until the daemon sent something (`true`) or stdout's reader went
/// away (`false`), so a closed pipe ends the stream at once rather than at
/// the next event.
fn wait_for_line(client: &Client) -> Result<bool, CliError> {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    if client.has_buffered() {
        return Ok(true);
    }
    let stdout = std::io::stdout();
    let mut fds = [
        PollFd::new(client.socket_fd(), PollFlags::POLLIN),
        // No events asked for: POLLERR/POLLHUP are reported anyway.
        PollFd::new(stdout.as_fd(), PollFlags::empty()),
    ];
    loop {
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) => break,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(CliError::failed(format!("waiting for events: {e}"))),
        }
    }
    let gone = PollFlags::POLLERR | PollFlags::POLLHUP;
    if fds[1].revents().is_some_and(|r| r.intersects(gone)) {
        return Ok(false);
    }
    Ok(true)
}

/// One human line per event, times in `tz`; `None` for an event this
/// version does not know.
pub(crate) fn describe(event: &Event, tz: Tz, now: DateTime<Utc>) -> Option<String> {
    let at = clock(event.at, tz);
    let what = match &event.body {
        EventBody::Trigger { trigger } => format!(
            "trigger #{} ({}{})",
            trigger.id,
            trigger.kind,
            if trigger.late { ", late" } else { "" }
        ),
        EventBody::Missed {
            scheduled_at,
            reason,
        } => format!(
            "missed slot {} ({reason})",
            local_time(*scheduled_at, tz, now)
        ),
        EventBody::Paused { until: Some(t) } => format!(
            "paused until {} ({})",
            local_time(*t, tz, now),
            relative(*t, now)
        ),
        EventBody::Paused { until: None } => "paused".to_string(),
        EventBody::Resumed => "resumed".to_string(),
        EventBody::Skipped => "next prompt will be skipped".to_string(),
        EventBody::Reloaded { changes } if changes.is_empty() => {
            "config reloaded (no changes)".to_string()
        }
        EventBody::Reloaded { changes } => format!("config reloaded: {}", changes.join("; ")),
        EventBody::ReloadRejected { error } => format!("config rejected: {error}"),
        EventBody::Commit { commit } => format!(
            "commit {} in {}: {}",
            commit.short_hash, commit.repo, commit.summary
        ),
        EventBody::Rebase { rebase } => format!(
            "rebase in {}: {}",
            rebase.repo,
            crate::display::plural(rebase.commits.len() as u64, "commit", "commits")
        ),
        EventBody::RepoActivity { activity } => {
            format!("{} in {}", activity.kind.as_str(), activity.repo)
        }
        EventBody::Repo { repo } => format!("repository {} is {}", repo.name, repo.state),
        EventBody::Prompt { change, prompt } => {
            let change = change.as_str();
            match prompt.reopens_at {
                Some(t) if prompt.state == crate::protocol::PromptState::Snoozed => format!(
                    "prompt #{} {change} until {}: {}",
                    prompt.id,
                    local_time(t, tz, now),
                    prompt.summary
                ),
                _ => format!("prompt #{} {change}: {}", prompt.id, prompt.summary),
            }
        }
        EventBody::Sync {
            change,
            id,
            integration,
            ticket,
            url,
            reason,
        } => {
            let mut text = format!("sync {id} {change}: {integration} {ticket}");
            if let Some(url) = url {
                let _ = write!(text, " {url}");
            }
            if let Some(reason) = reason {
                let _ = write!(text, " ({reason})");
            }
            text
        }
        EventBody::Stopping => "daemon stopping".to_string(),
        EventBody::Unknown => return None,
    };
    Some(format!("{at}  {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::MissReason;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn event(at: DateTime<Utc>, body: EventBody) -> Event {
        Event { v: 1, at, body }
    }

    #[test]
    fn times_are_in_the_given_zone_and_name_it() {
        let tz: Tz = "Asia/Kolkata".parse().unwrap();
        let now = at("2026-11-26T09:00:00Z");
        let paused = event(
            now,
            EventBody::Paused {
                until: Some(at("2026-11-26T11:30:00Z")),
            },
        );
        assert_eq!(
            describe(&paused, tz, now).unwrap(),
            "14:30:00 IST  paused until 17:00 IST (in 2h 30m)"
        );
        let missed = event(
            now,
            EventBody::Missed {
                scheduled_at: at("2026-11-26T08:00:00Z"),
                reason: MissReason::Paused,
            },
        );
        assert_eq!(
            describe(&missed, tz, now).unwrap(),
            "14:30:00 IST  missed slot 13:30 IST (paused)"
        );
        let utc = describe(&event(now, EventBody::Resumed), Tz::UTC, now).unwrap();
        assert_eq!(utc, "09:00:00 UTC  resumed");
    }

    #[test]
    fn every_recorded_event_reads_as_a_line_and_a_newer_one_is_left_raw() {
        let recorded = include_str!("../../../tests/fixtures/protocol/v1/events.jsonl");
        let now = at("2026-12-01T16:00:00Z");
        for line in recorded.lines() {
            let event: Event = serde_json::from_str(line).unwrap();
            let text = describe(&event, Tz::UTC, now).unwrap_or_else(|| panic!("{line}"));
            match &event.body {
                EventBody::Commit { commit } => assert!(
                    text.ends_with(&format!(
                        "commit {} in {}: {}",
                        commit.short_hash, commit.repo, commit.summary
                    )),
                    "{text}"
                ),
                EventBody::RepoActivity { activity } => {
                    assert!(
                        text.ends_with(&format!("{} in work", activity.kind.as_str())),
                        "{text}"
                    )
                }
                EventBody::Rebase { .. } => {
                    assert!(text.ends_with("rebase in work: 2 commits"), "{text}")
                }
                _ => {}
            }
        }
        let newer = r#"{"v":1,"at":"2026-12-01T16:00:00Z","event":"reminder","reminder":{"id":1}}"#;
        assert_eq!(
            describe(&serde_json::from_str(newer).unwrap(), Tz::UTC, now),
            None
        );
    }
}
