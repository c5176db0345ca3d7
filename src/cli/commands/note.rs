//! `devtrack note`: answer the open prompt (or record a standalone update)
//! and `devtrack snooze`: put it off.
//!
//! The note's text comes from the arguments, else stdin when it is not a
//! terminal, else `$VISUAL`/`$EDITOR` on a template listing the commits
//! since the last answer (lines starting with `#` are dropped, as git
//! does; an empty result aborts). The daemon stores it; when the daemon is
//! not running the note goes into the store directly, with the same
//! `Store::answer` the daemon uses, and the command says so. Either way an
//! acknowledged note (exit 0) is durable.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::cli::args::{NoteArgs, SnoozeArgs};
use crate::cli::client::{Client, ClientError};
use crate::cli::commands::control::{refused, unexpected};
use crate::cli::{out, CliError, Context};
use crate::display::local_time;
use crate::exit::Status;
use crate::protocol::{Command, NoteRequest, Response, SnoozeRequest};
use crate::store::{
    AnswerTarget, CommitRecord, NewUpdate, PendingCommits, PromptRecord, Store, UpdateSource,
};
use crate::tickets::Families;

/// How long storing a note may take.
const NOTE_TIMEOUT: Duration = Duration::from_secs(10);
/// Commits the editor template lists.
const TEMPLATE_COMMITS: usize = 20;

pub fn note(ctx: &Context, args: &NoteArgs) -> Result<Status, CliError> {
    let text = match args.text.is_empty() {
        false => args.text.join(" "),
        true => read_note(ctx)?,
    };
    let text = text.trim();
    if text.is_empty() {
        return Err(CliError::new(
            Status::Failure,
            "the note is empty; nothing was stored",
        ));
    }
    let mut client = match Client::connect(&ctx.paths.socket) {
        Ok(c) => c,
        Err(ClientError::NotRunning { .. }) => return store_directly(ctx, text, args.prompt),
        Err(e) => return Err(e.into()),
    };
    client.set_read_timeout(Some(NOTE_TIMEOUT))?;
    let request = Command::Note(NoteRequest {
        text: text.to_string(),
        prompt: args.prompt,
    });
    match client.request(request)? {
        Response::Noted { message, .. } => out::line(&message)?,
        Response::Failed(f) => return Err(refused(&f)),
        other => return Err(unexpected(&other)),
    }
    Ok(Status::Ok)
}

/// The daemon is not running: the same answer, written by this process.
fn store_directly(ctx: &Context, text: &str, prompt: Option<i64>) -> Result<Status, CliError> {
    let config = ctx.config()?;
    let mut store = Store::open(&ctx.paths.database)?;
    let new = NewUpdate {
        text,
        target: match prompt {
            Some(id) => AnswerTarget::Prompt(id),
            None => AnswerTarget::Oldest,
        },
        source: UpdateSource::Cli,
    };
    let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 3);
    let answered = store
        .answer(&new, Families::enabled(&config.integrations), now)
        .map_err(|e| CliError::new(Status::Failure, e.to_string()))?;
    crate::cli::stderr::note(&format!(
        "devtrack is not running; the note was stored directly in `{}`",
        ctx.paths.database.display()
    ));
    out::line(&match answered.update.prompt_id {
        Some(p) => format!("update recorded for prompt #{p}"),
        None => "update recorded (no prompt was open)".to_string(),
    })?;
    Ok(Status::Ok)
}

/// The note from stdin, or from an editor when stdin is a terminal.
fn read_note(ctx: &Context) -> Result<String, CliError> {
    let mut stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut text = String::new();
        stdin
            .read_to_string(&mut text)
            .map_err(|e| CliError::new(Status::Failure, format!("reading stdin: {e}")))?;
        return Ok(text);
    }
    let tz = crate::cli::zone::configured(ctx);
    let now = Utc::now();
    // What the note will cover; a store that cannot be read leaves the
    // template without it.
    let (prompt, pending) = match Store::open_read_only(&ctx.paths.database) {
        Ok(store) => (
            store.outstanding_prompt().ok().flatten(),
            store.pending_overview(TEMPLATE_COMMITS).unwrap_or_default(),
        ),
        Err(_) => (None, PendingCommits::default()),
    };
    let template = template(prompt.as_ref(), &pending, tz, now);
    Ok(strip_comments(&edit(&template)?))
}

/// The editor's starting text.
pub fn template(
    prompt: Option<&PromptRecord>,
    pending: &PendingCommits,
    tz: Tz,
    now: DateTime<Utc>,
) -> String {
    let mut t = String::from(
        "\n# What did you work on? Lines starting with '#' are dropped; an empty\n# note stores nothing.\n",
    );
    match prompt {
        Some(p) => t.push_str(&format!(
            "#\n# This answers prompt #{} (opened {}).\n",
            p.id,
            local_time(p.opened_at, tz, now)
        )),
        None => t.push_str("#\n# No prompt is open: this is a standalone update.\n"),
    }
    if pending.count == 0 {
        t.push_str("#\n# No commits since your last answer.\n");
        return t;
    }
    t.push_str(&format!(
        "#\n# {} commit(s) since your last answer:\n",
        pending.count
    ));
    for c in pending.newest.iter().rev() {
        t.push_str(&commit_line(c));
    }
    if pending.count > pending.newest.len() {
        t.push_str(&format!(
            "#   … and {} earlier\n",
            pending.count - pending.newest.len()
        ));
    }
    t
}

fn commit_line(c: &CommitRecord) -> String {
    let short = c.hash.get(..7).unwrap_or(&c.hash);
    let branch = c
        .branch
        .as_deref()
        .map(|b| format!(" [{b}]"))
        .unwrap_or_default();
    format!(
        "#   {short} {}{branch}: {}\n",
        c.repo,
        c.summary.as_deref().unwrap_or("")
    )
}

/// The note without `#` lines, and without blank lines around it.
pub fn strip_comments(text: &str) -> String {
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(str::trim_end)
        .collect();
    kept.join("\n").trim().to_string()
}

/// Runs `$VISUAL`, else `$EDITOR`, else `vi` on a private file holding
/// `template`, through `sh` as git does (so `EDITOR="code --wait"` works);
/// the file's text afterwards.
fn edit(template: &str) -> Result<String, CliError> {
    let editor = ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|e| !e.trim().is_empty())
        .unwrap_or_else(|| "vi".to_string());
    let fail = |what: String| CliError::new(Status::Failure, what);
    let mut file = tempfile::Builder::new()
        .prefix("devtrack-note-")
        .suffix(".txt")
        .tempfile()
        .map_err(|e| fail(format!("creating the note file: {e}")))?;
    file.write_all(template.as_bytes())
        .and_then(|_| file.flush())
        .map_err(|e| fail(format!("writing `{}`: {e}", file.path().display())))?;
    let status = run_editor(&editor, file.path())
        .map_err(|e| fail(format!("running the editor `{editor}`: {e}")))?;
    if !status.success() {
        return Err(fail(format!(
            "the editor `{editor}` failed ({status}); nothing was stored"
        )));
    }
    std::fs::read_to_string(file.path())
        .map_err(|e| fail(format!("reading `{}`: {e}", file.path().display())))
}

fn run_editor(editor: &str, path: &Path) -> std::io::Result<std::process::ExitStatus> {
    std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$@\""))
        .arg(editor)
        .arg(path)
        .status()
}

pub fn snooze(ctx: &Context, args: &SnoozeArgs) -> Result<Status, CliError> {
    let mut client = Client::connect(&ctx.paths.socket)?;
    client.set_read_timeout(Some(NOTE_TIMEOUT))?;
    let request = Command::Snooze(SnoozeRequest {
        minutes: None,
        seconds: args.duration,
    });
    match client.request(request)? {
        Response::Prompt { message, .. } => out::line(&message)?,
        Response::Failed(f) => return Err(refused(&f)),
        other => return Err(unexpected(&other)),
    }
    Ok(Status::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_surrounding_blank_lines_are_dropped() {
        let cases = [
            ("fixed it\n# a comment\n", "fixed it"),
            (
                "\n\nline one\n\nline two  \n\n# x\n",
                "line one\n\nline two",
            ),
            ("# only comments\n#\n", ""),
            ("  \n\t\n", ""),
            // Only a `#` at the start of a line is a comment.
            ("fixed #12\n  # kept\n", "fixed #12\n  # kept"),
        ];
        for (text, want) in cases {
            assert_eq!(strip_comments(text), want, "{text:?}");
        }
    }

    #[test]
    fn the_template_is_all_comments_and_lists_the_commits() {
        let tz = Tz::UTC;
        let now: DateTime<Utc> = "2026-11-26T15:00:00Z".parse().unwrap();
        let commit = |hash: &str, summary: &str| CommitRecord {
            id: 1,
            repo: "api".into(),
            hash: hash.repeat(40),
            kind: crate::protocol::CommitKind::Commit,
            amends: None,
            branch: Some("main".into()),
            author_name: None,
            author_email: None,
            committed_at: None,
            summary: Some(summary.into()),
            files_changed: None,
            insertions: None,
            deletions: None,
            recorded_at: now,
            trigger_id: None,
            own: Some(true),
        };
        let pending = PendingCommits {
            count: 3,
            repos: vec!["api".into()],
            first_at: None,
            newest: vec![commit("b", "Fix login"), commit("a", "Add tests")],
        };
        let t = template(None, &pending, tz, now);
        assert_eq!(strip_comments(&t), "");
        assert!(t.contains("standalone update"), "{t}");
        let a = t.find("aaaaaaa api [main]: Add tests").expect(&t);
        let b = t.find("bbbbbbb api [main]: Fix login").expect(&t);
        assert!(a < b, "oldest first: {t}");
        assert!(t.contains("… and 1 earlier"), "{t}");
        let none = template(None, &PendingCommits::default(), tz, now);
        assert!(none.contains("No commits since your last answer"), "{none}");
    }
}
