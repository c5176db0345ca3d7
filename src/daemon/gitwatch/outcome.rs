//! What git watching hands back to the run loop: the [`GitEvent`]s a read
//! found (their payloads are the protocol's, announced as they are), the
//! [`Update`] of one watcher message, and a repository's last commit.

use chrono::{DateTime, Utc};

use crate::protocol::{ActivityInfo, CommitInfo, RebaseInfo};

/// One thing a read of a reflog found.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// The newest stored commit of a repository, for `status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LastCommit {
    pub hash: String,
    pub summary: Option<String>,
    pub time: Option<DateTime<Utc>>,
}
