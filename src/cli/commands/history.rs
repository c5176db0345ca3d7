//! `devtrack history`: recent triggers (or commits, or prompts:
//! `history_prompts.rs`), read straight from the store (read-only, so it
//! works whether or not the daemon runs). Times are read
//! and shown in the configured timezone (`settings.timezone`), as the daemon
//! works in it, and say which zone they are in.

use std::fmt::Write as _;

use chrono::Utc;
use chrono_tz::Tz;

use crate::cli::args::HistoryArgs;
use crate::cli::time::parse_since;
use crate::cli::{out, CliError, Context};
use crate::display::stamp;
use crate::exit::Status;
use crate::store::{CommitRecord, Store, TriggerRecord};

pub(crate) fn run(ctx: &Context, args: &HistoryArgs) -> Result<Status, CliError> {
    let now = Utc::now();
    let tz = crate::cli::zone::configured(ctx);
    let since = args
        .since
        .as_deref()
        .map(|s| parse_since(s, now, &tz))
        .transpose()
        .map_err(CliError::usage)?;
    if !ctx.paths.database.exists() {
        if !args.json {
            out::line(&format!(
                "no history yet (no store at `{}`)",
                ctx.paths.database.display()
            ))?;
        }
        return Ok(Status::Ok);
    }
    let store = Store::open_read_only(&ctx.paths.database)?;
    let text = if args.commits {
        let rows = store
            .recent_commits(since, args.limit)
            .map_err(|e| CliError::from(e.context("reading commits")))?;
        listing(&rows, args.json, "no commits", |rows| {
            commit_lines(rows, tz)
        })
    } else if args.prompts {
        let rows = super::history_prompts::entries(&store, since, args.limit)
            .map_err(|e| CliError::from(e.context("reading prompts")))?;
        listing(&rows, args.json, "no prompts", |rows| {
            super::history_prompts::table(rows, tz)
        })
    } else {
        let rows = store
            .recent_triggers(since, args.limit)
            .map_err(|e| CliError::from(e.context("reading triggers")))?;
        listing(&rows, args.json, "no triggers", |rows| {
            trigger_table(rows, tz)
        })
    };
    out::print(&text)?;
    Ok(Status::Ok)
}

/// JSON lines, `none` for no rows, or the rows as `text` renders them.
fn listing<T: serde::Serialize>(
    rows: &[T],
    json: bool,
    none: &str,
    text: impl Fn(&[T]) -> String,
) -> String {
    if json {
        rows.iter()
            .map(|r| serde_json::to_string(r).expect("records serialize") + "\n")
            .collect()
    } else if rows.is_empty() {
        format!("{none}\n")
    } else {
        text(rows)
    }
}

fn trigger_table(triggers: &[TriggerRecord], tz: Tz) -> String {
    let rows: Vec<[String; 4]> = triggers
        .iter()
        .map(|t| {
            let note = match (t.late, &t.reason) {
                (true, Some(r)) => format!("late: {r}"),
                (true, None) => "late".to_string(),
                (false, Some(r)) => r.clone(),
                (false, None) => String::new(),
            };
            [
                t.id.to_string(),
                t.kind.as_str().to_string(),
                stamp(t.fired_at, tz),
                note,
            ]
        })
        .collect();
    let fired = rows.iter().map(|r| r[2].len()).max().unwrap_or(0).max(5);
    let mut out = format!(
        "{:>6}  {:<8}  {:<fired$}  {}\n",
        "ID", "KIND", "FIRED", "NOTE"
    );
    for [id, kind, at, note] in &rows {
        let _ = writeln!(out, "{id:>6}  {kind:<8}  {at:<fired$}  {note}");
    }
    out
}

fn commit_lines(commits: &[CommitRecord], tz: Tz) -> String {
    let mut out = String::new();
    for c in commits {
        let when = c
            .committed_at
            .unwrap_or(c.recorded_at)
            .with_timezone(&tz)
            .format("%Y-%m-%d %H:%M %Z");
        let _ = writeln!(
            out,
            "{}  {}  {:<12}  {:<11}  {}  {}{}",
            when,
            c.hash,
            c.repo,
            c.kind,
            c.branch.as_deref().unwrap_or("(detached)"),
            c.summary.as_deref().unwrap_or(""),
            other_author(c)
        );
    }
    out
}

/// `  (other author: Name <email>)` for a commit that is not own work
/// (stored with `commit_triggers: all`, or by someone else in the
/// repository); empty for own work and for commits stored before
/// ownership was.
fn other_author(c: &CommitRecord) -> String {
    if c.own != Some(false) {
        return String::new();
    }
    let name = c.author_name.as_deref().unwrap_or("");
    match c.author_email.as_deref() {
        Some(email) => format!("  (other author: {name} <{email}>)"),
        None => format!("  (other author: {name})"),
    }
}
