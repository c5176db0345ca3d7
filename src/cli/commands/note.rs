//! `devtrack note`: answer the open prompt (or record a standalone update)
//! and `devtrack snooze`: put it off.
//!
//! The note's text comes from the arguments, else stdin when it is not a
//! terminal, else `$VISUAL`/`$EDITOR` on a template listing the commits
//! since the last answer. Only the template's own lines are dropped
//! afterwards, compared with what was written: a line the person typed is
//! kept even when it starts with `#` (`#123 fixed the redirect` names a
//! ticket). An empty result stores nothing; text typed in the editor that
//! is not stored (an empty note, a failed store) is kept in
//! `$XDG_STATE_HOME/devtrack/unsaved-note-<time>.txt`, and the command
//! says so. The daemon stores the note; when the daemon is not running the
//! note goes into the store directly, with the same `Store::answer` the
//! daemon uses, and the command says so. Either way an acknowledged note
//! (exit 0) is durable.

use std::fmt::Write as _;
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
use crate::protocol::{Command, NoteRequest, NoteSource, Response, SnoozeRequest};
use crate::store::{
    AnswerTarget, CommitRecord, NewUpdate, PendingCommits, PromptRecord, Store, UpdateSource,
};

/// How long storing a note may take.
const NOTE_TIMEOUT: Duration = Duration::from_secs(10);
/// Commits the editor template lists.
const TEMPLATE_COMMITS: usize = 20;

pub(crate) fn note(ctx: &Context, args: &NoteArgs) -> Result<Status, CliError> {
    let typed = match args.text.is_empty() {
        false => Typed::plain(args.text.join(" ")),
        true => read_note(ctx)?,
    };
    let text = typed.note.trim();
    if text.is_empty() {
        let err = CliError::new(Status::Failure, "the note is empty; nothing was stored");
        return Err(typed.keep_on(err));
    }
    send(ctx, text, args.prompt).map_err(|e| typed.keep_on(e))
}

/// What the person gave: the note, and what they typed in the editor
/// (`None` for arguments and stdin, which are still theirs to repeat).
struct Typed {
    note: String,
    edited: Option<String>,
}

impl Typed {
    fn plain(note: String) -> Typed {
        Typed { note, edited: None }
    }

    /// `err`, and what was typed in the editor kept in a file (named in
    /// the error's hint) when anything was typed at all.
    fn keep_on(&self, err: CliError) -> CliError {
        let Some(edited) = self.edited.as_deref().filter(|t| !t.trim().is_empty()) else {
            return err;
        };
        match unsaved_dir().and_then(|dir| keep_unsaved(&dir, edited, Utc::now())) {
            Ok(path) => err.with_hint(format!("what you typed is kept in `{}`", path.display())),
            Err(e) => err.with_hint(format!(
                "what you typed could not be kept ({e}); it was:\n{edited}"
            )),
        }
    }
}

/// `$XDG_STATE_HOME/devtrack` (`~/.local/state/devtrack`).
fn unsaved_dir() -> std::io::Result<std::path::PathBuf> {
    use etcetera::base_strategy::{BaseStrategy, Xdg};
    let xdg = Xdg::new().map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(xdg
        .state_dir()
        .unwrap_or_else(|| xdg.home_dir().join(".local/state"))
        .join("devtrack"))
}

/// Writes `text` to `dir/unsaved-note-<time>.txt` (0600), returning the
/// path.
fn keep_unsaved(dir: &Path, text: &str, now: DateTime<Utc>) -> std::io::Result<std::path::PathBuf> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!(
        "unsaved-note-{}.txt",
        now.format("%Y%m%dT%H%M%S%.3fZ")
    ));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    Ok(path)
}

/// Stores `text` through the daemon, or directly when it is not running.
fn send(ctx: &Context, text: &str, prompt: Option<i64>) -> Result<Status, CliError> {
    let mut client = match Client::connect(&ctx.paths.socket) {
        Ok(c) => c,
        Err(ClientError::NotRunning { .. }) => return store_directly(ctx, text, prompt),
        Err(e) => return Err(e.into()),
    };
    client.set_read_timeout(Some(NOTE_TIMEOUT))?;
    let request = Command::Note(NoteRequest {
        text: text.to_string(),
        prompt,
        source: Some(NoteSource::Cli),
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
    let repos = crate::sync::remote::ConfigRepos { config };
    let rules = crate::sync::plan::Rules::new(config, &repos);
    let answered = store
        .answer(&new, rules, now)
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
fn read_note(ctx: &Context) -> Result<Typed, CliError> {
    let mut stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut text = String::new();
        stdin
            .read_to_string(&mut text)
            .map_err(|e| CliError::new(Status::Failure, format!("reading stdin: {e}")))?;
        return Ok(Typed::plain(text));
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
    let edited = edit(&template)?;
    Ok(Typed {
        note: strip_template(&edited, &template),
        edited: (edited != template).then_some(edited),
    })
}

/// The editor's starting text.
pub(crate) fn template(
    prompt: Option<&PromptRecord>,
    pending: &PendingCommits,
    tz: Tz,
    now: DateTime<Utc>,
) -> String {
    let mut t = String::from(
        "\n# What did you work on? This template's own lines are dropped; what you\n# write is kept, `#123 …` lines too. An empty note stores nothing.\n",
    );
    match prompt {
        Some(p) => {
            let _ = writeln!(
                t,
                "#\n# This answers prompt #{} (opened {}).",
                p.id,
                local_time(p.opened_at, tz, now)
            );
        }
        None => t.push_str("#\n# No prompt is open: this is a standalone update.\n"),
    }
    if pending.count == 0 {
        t.push_str("#\n# No commits since your last answer.\n");
        return t;
    }
    let _ = writeln!(
        t,
        "#\n# {} since your last answer:",
        crate::display::plural(pending.count as u64, "commit", "commits")
    );
    for c in pending.newest.iter().rev() {
        t.push_str(&commit_line(c));
    }
    if pending.count > pending.newest.len() {
        let _ = writeln!(
            t,
            "#   … and {} earlier",
            pending.count - pending.newest.len()
        );
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

/// The note without the lines of `template` that start with `#` (the
/// template's own, left as they were), and without blank lines around it.
/// Every other line is the person's, whatever it starts with.
pub(crate) fn strip_template(text: &str, template: &str) -> String {
    let own: std::collections::HashSet<&str> = template
        .lines()
        .map(str::trim_end)
        .filter(|l| l.starts_with('#'))
        .collect();
    let kept: Vec<&str> = text
        .lines()
        .map(str::trim_end)
        .filter(|l| !own.contains(l))
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

pub(crate) fn snooze(ctx: &Context, args: &SnoozeArgs) -> Result<Status, CliError> {
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
    fn only_the_templates_own_lines_and_surrounding_blank_lines_are_dropped() {
        let template = "\n# What did you work on?\n#\n#   abc1234 api [main]: Fix\n";
        let cases = [
            ("fixed it\n# What did you work on?\n", "fixed it"),
            (
                "\n\nline one\n\nline two  \n\n#\n#   abc1234 api [main]: Fix\n",
                "line one\n\nline two",
            ),
            (template, ""),
            ("  \n\t\n", ""),
            // Typed lines starting with `#` are the person's: tickets.
            (
                "#123 follow-up: added a regression test\n# What did you work on?\n",
                "#123 follow-up: added a regression test",
            ),
            (
                "#123 fixed the login redirect",
                "#123 fixed the login redirect",
            ),
            (
                "# a heading of mine\nfixed #12\n  # kept\n",
                "# a heading of mine\nfixed #12\n  # kept",
            ),
            // An edited template line is no longer the template's.
            (
                "#   abc1234 api [main]: Fix, and more",
                "#   abc1234 api [main]: Fix, and more",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(strip_template(text, template), want, "{text:?}");
        }
    }

    #[test]
    fn an_unsaved_note_is_kept_in_a_private_file() {
        let dir = tempfile::tempdir().unwrap();
        let now: DateTime<Utc> = "2026-11-26T15:00:00.250Z".parse().unwrap();
        let path = keep_unsaved(&dir.path().join("devtrack"), "#123 typed\n", now).unwrap();
        assert_eq!(
            path,
            dir.path()
                .join("devtrack/unsaved-note-20261126T150000.250Z.txt")
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "#123 typed\n");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
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
        assert_eq!(strip_template(&t, &t), "");
        assert!(t.contains("standalone update"), "{t}");
        let a = t.find("aaaaaaa api [main]: Add tests").expect(&t);
        let b = t.find("bbbbbbb api [main]: Fix login").expect(&t);
        assert!(a < b, "oldest first: {t}");
        assert!(t.contains("… and 1 earlier"), "{t}");
        let none = template(None, &PendingCommits::default(), tz, now);
        assert!(none.contains("No commits since your last answer"), "{none}");
    }
}
