//! What git watching hands back to the run loop: the [`GitEvent`]s a read
//! found and their payloads, the [`Update`] of one watcher message, and
//! each repository's state (all serialize to JSON for the event stream).

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;

use super::classify::Operation;
use crate::protocol::CommitKind;

/// A new commit of the developer's (or, with `commit_triggers: all`, any).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitInfo {
    /// Repository name from the config.
    pub repo: String,
    pub project: Option<String>,
    /// The linked worktree it was made in; `None` for the main working tree.
    pub worktree: Option<String>,
    pub hash: String,
    pub short_hash: String,
    /// `None` when made on a detached HEAD.
    pub branch: Option<String>,
    pub summary: String,
    pub kind: CommitKind,
    /// For an amend: the commit it replaced.
    pub amends: Option<String>,
    /// Diff stats against the first parent; `None` when the commit could
    /// not be read (already garbage-collected).
    pub files_changed: Option<u32>,
    pub insertions: Option<u32>,
    pub deletions: Option<u32>,
    pub author_name: String,
    pub author_email: String,
    /// Author time, in the author's offset.
    pub time: DateTime<FixedOffset>,
    /// Own work by a configured author.
    pub own: bool,
    /// Whether this should raise a commit trigger (commit_triggers mode).
    pub trigger: bool,
}

/// A finished rebase: one event for all the commits it rewrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RebaseInfo {
    pub repo: String,
    pub project: Option<String>,
    pub worktree: Option<String>,
    /// The branch the rebase returned to.
    pub branch: Option<String>,
    /// The new base, when the start of the rebase was seen.
    pub onto: Option<String>,
    /// The rebased tip.
    pub head: String,
    /// The rewritten commits, oldest first.
    pub commits: Vec<CommitInfo>,
    pub at: DateTime<FixedOffset>,
    pub own: bool,
    pub trigger: bool,
}

/// A HEAD movement that is not own work (checkout, pull, reset, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActivityInfo {
    pub repo: String,
    pub project: Option<String>,
    pub worktree: Option<String>,
    pub kind: Operation,
    pub old: String,
    pub new: String,
    pub message: String,
    pub at: DateTime<FixedOffset>,
    /// Raises a trigger only with `commit_triggers: all`.
    pub trigger: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum GitEvent {
    Commit(CommitInfo),
    Rebase(RebaseInfo),
    Activity(ActivityInfo),
}

impl GitEvent {
    /// Whether the run loop should push this into the commit-trigger debouncer.
    pub fn triggers(&self) -> bool {
        match self {
            GitEvent::Commit(c) => c.trigger,
            GitEvent::Rebase(r) => r.trigger,
            GitEvent::Activity(a) => a.trigger,
        }
    }

    pub fn repo(&self) -> &str {
        match self {
            GitEvent::Commit(c) => &c.repo,
            GitEvent::Rebase(r) => &r.repo,
            GitEvent::Activity(a) => &a.repo,
        }
    }

    /// `(repo, hash)` of every commit the event stands for (to link them
    /// to the trigger with `Store::link_commits_to_trigger`).
    pub fn commit_keys(&self) -> Vec<(String, String)> {
        match self {
            GitEvent::Commit(c) => vec![(c.repo.clone(), c.hash.clone())],
            GitEvent::Rebase(r) => r
                .commits
                .iter()
                .map(|c| (c.repo.clone(), c.hash.clone()))
                .collect(),
            GitEvent::Activity(_) => Vec::new(),
        }
    }
}

/// What handling one watcher message produced.
#[derive(Debug)]
pub struct Update {
    /// What was read and stored; an error when the store failed (what was
    /// read before it is stored, and `changed` still holds).
    pub events: anyhow::Result<Vec<GitEvent>>,
    /// Repositories whose state changed (went missing, came back, became
    /// unreadable), by name, as the code that changed them reported it.
    pub changed: Vec<String>,
}

/// How a configured repository is being watched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RepoState {
    Watching,
    /// `enabled: false` in the config.
    Disabled,
    /// The path does not exist or is not (yet) a repository; retried when
    /// its nearest existing parent changes.
    Missing {
        reason: String,
    },
    /// Bare or reftable repositories, which have no reflog file.
    Unsupported {
        reason: String,
    },
    /// Unreadable, or the watch could not be set up.
    Error {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LastCommit {
    pub hash: String,
    pub summary: Option<String>,
    pub time: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepoStatus {
    pub name: String,
    pub path: PathBuf,
    pub project: Option<String>,
    pub state: RepoState,
    /// The checked-out branch of the configured working tree; `None` when
    /// detached or unknown.
    pub branch: Option<String>,
    /// Linked worktrees followed besides the main one.
    pub worktrees: usize,
    pub last_commit: Option<LastCommit>,
}
