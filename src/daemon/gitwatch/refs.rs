//! Recording a repository that keeps no HEAD reflog (no `logs/HEAD`:
//! `core.logAllRefUpdates` off, or its logs deleted; see
//! `layout::without_reflog`) from its branches' movements instead, in
//! each working tree. Once a reflog appears it is read as usual; commits
//! already stored from here are matched by hash.
//!
//! Without a reflog nothing says which operation moved a branch, so each
//! read compares the checked-out branch's tip with the tip stored for it
//! (a cursor keyed by the branch's ref path) and describes the movement as
//! the reflog lines git would have written for it: the commits of a branch
//! that moved forward by the developer's own commits, an amend, a rebase
//! (its commits linked to what they replaced by patch id), a pull or a
//! reset. Those lines go through the same processing as a real reflog's,
//! so the record rules (author filter, first day, gained commits, links)
//! are the same. [`classify_movement`] is the decision, with table tests;
//! [`read_refs`] reads the refs and asks git.
//!
//! What is lost: a commit amended or rebased away before the next read,
//! commits made on a detached HEAD, and the operation names (a
//! cherry-pick or a revert is recorded as a commit).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::classify::author_matches;
use super::details::Readers;
use super::layout::LogSource;
use super::outcome::GitEvent;
use super::process::{self, configured_authors, History, LogContext, LogRead, Lookup};
use super::read::{note_last_commit, GitLookup, ReadError};
use super::repo::RepoWatch;
use super::tail::Chunk;
use super::Policy;
use crate::daemon::wallclock::local_midnight;
use crate::store::cursor::Cursor;
use crate::store::{ReflogBatch, Store};

pub(crate) use super::layout::NO_REFLOG_NOTE as NOTE;

/// Most commits of the first day read from a branch at its first watch.
const FIRST_DAY_LIMIT: usize = 1_000;

/// How a branch's new tip relates to its old one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Relation {
    Same,
    /// The new tip has the old one in its history.
    Descendant,
    /// The new tip is in the old one's history (the branch moved back).
    Ancestor,
    /// Neither: the branch was rewritten or moved elsewhere.
    Diverged,
}

/// What a branch movement is recorded as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Movement {
    Nothing,
    /// Forward by the developer's own commits only: each is a commit.
    Commits,
    /// Forward with commits of others (a pull, a fast-forward, a merge):
    /// own commits on the branch's first-parent line (a merge commit it
    /// made too) are commits, the rest gained.
    Gain,
    /// Back, or onto commits none of which is the developer's.
    Reset,
    /// One own commit replacing the old tip on the same parent.
    Amend,
    /// Own commits replacing others: a rebase.
    Rewrite,
}

/// The commits a movement brought, as far as the decision needs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Gained {
    pub own: usize,
    pub others: usize,
    /// One commit whose first parent is the old tip's first parent.
    pub same_parent: bool,
}

/// The decision: how a branch that moved is recorded.
pub(crate) fn classify_movement(relation: Relation, gained: Gained) -> Movement {
    match relation {
        Relation::Same => Movement::Nothing,
        Relation::Ancestor => Movement::Reset,
        Relation::Descendant if gained.others == 0 && gained.own > 0 => Movement::Commits,
        Relation::Descendant => Movement::Gain,
        Relation::Diverged if gained.own == 0 => Movement::Reset,
        Relation::Diverged if gained.own == 1 && gained.others == 0 && gained.same_parent => {
            Movement::Amend
        }
        Relation::Diverged => Movement::Rewrite,
    }
}

/// What `HEAD` names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Head {
    Branch { name: String, tip: Option<String> },
    Detached,
}

/// Reads `HEAD` and the tip of its branch (loose ref, else `packed-refs`).
fn resolve_head(gitdir: &Path, commondir: &Path) -> std::io::Result<Head> {
    let head = std::fs::read_to_string(gitdir.join("HEAD"))?;
    let Some(refname) = head.trim().strip_prefix("ref:").map(str::trim) else {
        return Ok(Head::Detached);
    };
    let Some(name) = refname.strip_prefix("refs/heads/") else {
        return Ok(Head::Detached);
    };
    let tip = match std::fs::read_to_string(commondir.join(refname)) {
        Ok(t) => Some(t.trim().to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            match std::fs::read_to_string(commondir.join("packed-refs")) {
                Ok(p) => p.lines().find_map(|l| {
                    let (hash, n) = l.split_once(' ')?;
                    (n == refname).then(|| hash.to_string())
                }),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(e),
            }
        }
        Err(e) => return Err(e),
    };
    Ok(Head::Branch {
        name: name.to_string(),
        tip: tip.filter(|t| !t.is_empty()),
    })
}

/// Where the tip of `branch` last read is stored: its ref file's path.
fn cursor_key(commondir: &Path, branch: &str) -> PathBuf {
    commondir.join("refs").join("heads").join(branch)
}

/// Reads where the checked-out branch moved since its stored tip and
/// records it as a reflog would have.
pub(super) fn read_refs(
    w: &mut RepoWatch,
    policy: &Policy,
    readers: &mut Readers,
    source: &LogSource,
    first_watch: Option<DateTime<Utc>>,
    store: &mut Store,
    now: DateTime<Utc>,
) -> Result<Vec<GitEvent>, ReadError> {
    let Some(layout) = &w.layout else {
        return Ok(Vec::new());
    };
    let (gitdir, commondir) = (source.gitdir.clone(), layout.commondir.clone());
    let head = resolve_head(&gitdir, &commondir).map_err(ReadError::Io)?;
    let Head::Branch {
        name,
        tip: Some(tip),
    } = head
    else {
        // Detached, or a branch without commits: nothing to record but
        // the first watch (a first commit after it is news) and that the
        // branch is unborn (its first commits are then all new).
        if let Head::Branch { name, tip: None } = head {
            w.ref_heads.insert(gitdir.clone(), (name, String::new()));
        }
        if first_watch.is_none() {
            let batch = ReflogBatch {
                repo: w.config.name.clone(),
                first_watch: Some(now),
                ..ReflogBatch::default()
            };
            store
                .record_reflog_batch(&batch, now)
                .map_err(ReadError::Store)?;
        }
        return Ok(Vec::new());
    };
    let key = cursor_key(&commondir, &name);
    let stored = store
        .reflog_cursor(&key)
        .map_err(ReadError::Store)?
        .and_then(|c| c.last_hash);
    let previous = w
        .ref_heads
        .insert(gitdir.clone(), (name.clone(), tip.clone()));
    if stored.as_deref() == Some(tip.as_str()) {
        return Ok(Vec::new());
    }
    // The last commit recorded (by a reflog read before it was turned
    // off, or on another branch): where a branch without a stored tip
    // starts when it is in that branch's history.
    let last = store
        .last_commit(&w.config.name)
        .map_err(ReadError::Store)?
        .map(|c| c.hash);
    let floor = local_midnight(first_watch.unwrap_or(now), policy.timezone);
    let mut lookup = GitLookup {
        reader: readers.take(&gitdir),
        store,
        repo: &w.config.name,
        project: w.config.project.as_deref(),
        worktree: source.worktree.as_deref(),
    };
    let authors = configured_authors(&policy.authors, &mut lookup);
    // A branch read for the first time started where HEAD was before
    // (`git switch -c`), when that is in its history.
    let born = previous.as_ref().is_some_and(|(_, t)| t.is_empty());
    let old = stored
        .or_else(|| {
            previous
                .filter(|(b, t)| *b != name && !t.is_empty() && lookup.reachable(t, &tip))
                .map(|(_, t)| t)
        })
        .or_else(|| last.filter(|l| lookup.reachable(l, &tip)));
    let text = match (&old, first_watch) {
        (Some(old), _) => {
            let moved = Moved {
                old,
                new: &tip,
                branch: &name,
                floor,
                now,
            };
            movement_lines(&mut lookup, &authors, moved)
        }
        (None, None) => chain_lines(&mut lookup, &tip, floor, None),
        // Born since the last read: all its commits are new.
        (None, Some(_)) if born => chain_lines(&mut lookup, &tip, floor, Some(now.timestamp())),
        // A branch whose start is unknown: its tip from now on.
        (None, Some(_)) => String::new(),
    };
    let chunk = Chunk {
        file_id: "refs".into(),
        start: 0,
        resync: false,
        bytes: text.into_bytes(),
    };
    let history = History {
        skip_before: Some(floor.timestamp()),
        quiet_before: None,
        found_until: first_watch.is_none().then_some(u64::MAX),
    };
    let key_text = key.to_string_lossy().into_owned();
    let cursor = Cursor {
        file_id: "ref".into(),
        offset: 0,
        last_hash: Some(tip),
        updated_at: now,
    };
    let ctx = LogContext {
        repo: &w.config.name,
        project: w.config.project.as_deref(),
        worktree: source.worktree.as_deref(),
        mode: w.config.commit_triggers.unwrap_or(policy.mode),
        authors: &policy.authors,
    };
    let read = LogRead {
        ctx,
        log_path: &key_text,
        chunk: &chunk,
        cursor: &Cursor::absent(),
        history,
        settled: true,
        now,
    };
    let mut processed = process::process(read, &mut lookup);
    readers.put(lookup.reader, std::time::Instant::now());
    let mut batch = std::mem::take(&mut processed.batch);
    batch.cursor = Some((key_text, cursor));
    batch.first_watch = first_watch.is_none().then_some(now);
    let inserted = store
        .record_reflog_batch(&batch, now)
        .map_err(ReadError::Store)?;
    let events = process::events(processed, &inserted);
    note_last_commit(w, &events);
    Ok(events)
}

/// One reflog line; the identity is the commit's author (what the
/// author filter matches), the time when it was read.
fn line(out: &mut String, old: &str, new: &str, email: &str, at: i64, message: &str) {
    let message = message.replace(['\n', '\t'], " ");
    let email = email.replace(['<', '>', '\n'], "");
    let _ = writeln!(out, "{old} {new} devtrack <{email}> {at} +0000\t{message}");
}

fn zeros(hash: &str) -> String {
    "0".repeat(hash.len())
}

/// Lines for the commits made since `floor` on the branch's first-parent
/// line, oldest first, stamped `at` (else with their commit times: the
/// first day's commits, found at the first watch).
fn chain_lines(
    lookup: &mut dyn Lookup,
    tip: &str,
    floor: DateTime<Utc>,
    at: Option<i64>,
) -> String {
    let mut chain = Vec::new();
    let mut next = Some(tip.to_string());
    while let Some(h) = next.take() {
        let Ok(d) = lookup.details(&h) else { break };
        if d.time < floor || chain.len() >= FIRST_DAY_LIMIT {
            break;
        }
        next = d.first_parent.clone();
        chain.push((h, d));
    }
    let mut out = String::new();
    for (h, d) in chain.iter().rev() {
        let old = d.first_parent.clone().unwrap_or_else(|| zeros(h));
        let verb = commit_verb(lookup, h);
        let summary = d.summary.clone().unwrap_or_default();
        line(
            &mut out,
            &old,
            h,
            &d.author_email,
            at.unwrap_or(d.time.timestamp()),
            &format!("{verb}: {summary}"),
        );
    }
    out
}

fn commit_verb(lookup: &mut dyn Lookup, hash: &str) -> &'static str {
    if lookup.parents(hash).len() > 1 {
        "commit (merge)"
    } else {
        "commit"
    }
}

/// A branch that moved from `old` to `new`, read at `now`; commits made
/// before `floor` predate watching.
struct Moved<'a> {
    old: &'a str,
    new: &'a str,
    branch: &'a str,
    floor: DateTime<Utc>,
    now: DateTime<Utc>,
}

/// Lines for a branch movement.
fn movement_lines(lookup: &mut dyn Lookup, authors: &[String], moved: Moved<'_>) -> String {
    let Moved {
        old,
        new,
        branch,
        floor,
        now,
    } = moved;
    let relation = if old == new {
        Relation::Same
    } else if lookup.reachable(old, new) {
        Relation::Descendant
    } else if lookup.reachable(new, old) {
        Relation::Ancestor
    } else {
        Relation::Diverged
    };
    let (hashes, total) = match relation {
        Relation::Descendant | Relation::Diverged => lookup.gained(old, new, process::GAINED_LIMIT),
        _ => (Vec::new(), 0),
    };
    let mut commits = Vec::new();
    for h in hashes {
        let Ok(d) = lookup.details(&h) else { continue };
        let own = author_matches(authors, [d.author_email.as_str()]);
        commits.push((h, d, own));
    }
    let own = commits.iter().filter(|c| c.2).count();
    let gained = Gained {
        own,
        others: total.saturating_sub(own),
        same_parent: commits.len() == 1
            && total == 1
            && commits[0].1.first_parent == lookup.first_parent(old),
    };
    let at = now.timestamp();
    let tip_email = lookup
        .details(new)
        .map(|d| d.author_email)
        .unwrap_or_default();
    let mut out = String::new();
    match classify_movement(relation, gained) {
        Movement::Nothing => {}
        Movement::Commits => {
            let mut prev = old.to_string();
            // A branch it had not seen may bring old commits of its own.
            for (h, d, _) in commits.iter().filter(|c| c.1.time >= floor) {
                let verb = commit_verb(lookup, h);
                let summary = d.summary.clone().unwrap_or_default();
                line(
                    &mut out,
                    &prev,
                    h,
                    &d.author_email,
                    at,
                    &format!("{verb}: {summary}"),
                );
                prev = h.clone();
            }
        }
        Movement::Gain => {
            // Own commits on the branch's own line (a commit then a
            // pull's merge) were made here; a merge made right on the old
            // tip is the pull's own (`process`), the rest gained.
            let mainline = first_parent_line(lookup, old, new);
            let merged_on_old = lookup.first_parent(new).as_deref() == Some(old);
            let mut prev = old.to_string();
            for (h, d, _) in commits.iter().filter(|c| {
                c.2 && c.1.time >= floor
                    && mainline.contains(&c.0)
                    && !(merged_on_old && c.0 == new)
            }) {
                let verb = commit_verb(lookup, h);
                let summary = d.summary.clone().unwrap_or_default();
                line(
                    &mut out,
                    &prev,
                    h,
                    &d.author_email,
                    at,
                    &format!("{verb}: {summary}"),
                );
                prev = h.clone();
            }
            line(
                &mut out,
                old,
                new,
                &tip_email,
                at,
                "pull: the branch moved forward",
            );
        }
        Movement::Reset => line(
            &mut out,
            old,
            new,
            &tip_email,
            at,
            &format!("reset: moving to {new}"),
        ),
        Movement::Amend => {
            let (h, d, _) = &commits[0];
            let summary = d.summary.clone().unwrap_or_default();
            line(
                &mut out,
                old,
                h,
                &d.author_email,
                at,
                &format!("commit (amend): {summary}"),
            );
        }
        Movement::Rewrite => {
            let mine: Vec<_> = commits.iter().filter(|c| c.2).collect();
            let onto = mine[0].1.first_parent.clone().unwrap_or_else(|| zeros(new));
            line(
                &mut out,
                old,
                &onto,
                &tip_email,
                at,
                &format!("rebase (start): checkout {onto}"),
            );
            let mut prev = onto;
            for (h, d, _) in mine {
                let summary = d.summary.clone().unwrap_or_default();
                line(
                    &mut out,
                    &prev,
                    h,
                    &d.author_email,
                    at,
                    &format!("rebase (pick): {summary}"),
                );
                prev = h.clone();
            }
            let finish = format!("rebase (finish): returning to refs/heads/{branch}");
            line(&mut out, new, new, &tip_email, at, &finish);
        }
    }
    out
}

/// The commits from `new` back to `old` along first parents (`old` not
/// included): those made on the branch itself.
fn first_parent_line(
    lookup: &mut dyn Lookup,
    old: &str,
    new: &str,
) -> std::collections::HashSet<String> {
    let mut line = std::collections::HashSet::new();
    let mut next = Some(new.to_string());
    while let Some(h) = next.take() {
        if h == old || line.len() >= process::GAINED_LIMIT {
            break;
        }
        next = lookup.first_parent(&h);
        line.insert(h);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(own: usize, others: usize, same_parent: bool) -> Gained {
        Gained {
            own,
            others,
            same_parent,
        }
    }

    #[test]
    fn how_a_branch_movement_is_recorded() {
        use Movement::*;
        use Relation::*;
        let table = [
            // (relation, own, others, one commit on the old tip's parent) -> movement
            (Same, g(0, 0, false), Nothing),
            (Descendant, g(1, 0, false), Commits),
            (Descendant, g(3, 0, false), Commits),
            // A pull, a fast-forward to others' work, a merge of it.
            (Descendant, g(0, 2, false), Gain),
            (Descendant, g(1, 2, false), Gain),
            // Moved to a commit already there (a merge of nothing new).
            (Descendant, g(0, 0, false), Gain),
            (Ancestor, g(0, 0, false), Reset),
            (Diverged, g(1, 0, true), Amend),
            // Amended on another parent: rebased.
            (Diverged, g(1, 0, false), Rewrite),
            (Diverged, g(2, 0, false), Rewrite),
            // `pull --rebase`: others' commits below the developer's.
            (Diverged, g(1, 3, false), Rewrite),
            // `reset --hard origin/main` to others' work.
            (Diverged, g(0, 3, false), Reset),
        ];
        for (relation, gained, want) in table {
            assert_eq!(
                classify_movement(relation, gained),
                want,
                "{relation:?} {gained:?}"
            );
        }
    }
}
