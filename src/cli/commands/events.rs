//! `devtrack events`: follow the event stream.

use chrono::Utc;

use crate::cli::client::Client;
use crate::cli::Context;
use crate::exit;
use crate::protocol::{Command, Event, EventBody};

pub fn run(ctx: &Context, json: bool) -> i32 {
    let mut client = match Client::connect(&ctx.paths.socket) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("devtrack: {e}");
            return e.exit_status();
        }
    };
    if let Err(e) = client
        .set_read_timeout(None)
        .and_then(|_| client.request(Command::Subscribe))
    {
        eprintln!("devtrack: {e}");
        return e.exit_status();
    }
    // On stderr so stdout stays pure events; also tells scripts the stream is live.
    eprintln!(
        "following events of the devtrack daemon (PID {})",
        client.hello.hello.pid
    );
    loop {
        let line = match client.next_line() {
            Ok(Some(line)) => line,
            Ok(None) => {
                eprintln!("devtrack: the daemon closed the event stream");
                return exit::OK;
            }
            Err(e) => {
                eprintln!("devtrack: {e}");
                return exit::FAILURE;
            }
        };
        if json {
            println!("{line}");
        } else {
            // Unknown event types (a newer daemon) are shown raw.
            match serde_json::from_str::<Event>(&line) {
                Ok(event) => println!("{}", describe(&event)),
                Err(_) => println!("{line}"),
            }
        }
    }
}

/// One human line per event.
pub fn describe(event: &Event) -> String {
    let at = event
        .at
        .with_timezone(&chrono::Local)
        .format("%H:%M:%S")
        .to_string();
    let what = match &event.body {
        EventBody::Trigger { trigger } => format!(
            "prompt #{} ({}{})",
            trigger.id,
            trigger.kind,
            if trigger.late { ", late" } else { "" }
        ),
        EventBody::Missed {
            scheduled_at,
            reason,
        } => format!(
            "missed slot {} ({reason})",
            scheduled_at.with_timezone(&chrono::Local).format("%H:%M")
        ),
        EventBody::Paused { until: Some(t) } => {
            format!("paused until {}", crate::display::relative(*t, Utc::now()))
        }
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
            commit["short_hash"]
                .as_str()
                .or_else(|| commit["hash"].as_str())
                .unwrap_or("?"),
            commit["repo"].as_str().unwrap_or("?"),
            commit["summary"].as_str().unwrap_or("")
        ),
        EventBody::RepoActivity { activity } => format!(
            "{} in {}",
            activity["kind"].as_str().unwrap_or("activity"),
            activity["repo"].as_str().unwrap_or("?")
        ),
        EventBody::Repo { repo } => format!("repository {} is {}", repo.name, repo.state),
        EventBody::Stopping => "daemon stopping".to_string(),
    };
    format!("{at}  {what}")
}
