//! Git facts as they travel on the wire and sit in the store: the commits,
//! rebases and HEAD movements of `commit`, `rebase` and `repo_activity`
//! events, the kind of a recorded commit (`commits.kind`) and the operation
//! a reflog line names (`activity.kind`).
//!
//! Plain data, shared by the watcher that finds them, the store that keeps
//! them and the clients that read them. Which operations are the
//! developer's own work is decided where reflog lines are classified
//! (`daemon::gitwatch::classify`), not here.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

/// What made a commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CommitKind {
    Commit,
    Amend,
    Merge,
    CherryPick,
    Revert,
    Rebase,
}

impl CommitKind {
    pub(crate) const ALL: [CommitKind; 6] = [
        CommitKind::Commit,
        CommitKind::Amend,
        CommitKind::Merge,
        CommitKind::CherryPick,
        CommitKind::Revert,
        CommitKind::Rebase,
    ];

    /// The wire and store name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CommitKind::Commit => "commit",
            CommitKind::Amend => "amend",
            CommitKind::Merge => "merge",
            CommitKind::CherryPick => "cherry-pick",
            CommitKind::Revert => "revert",
            CommitKind::Rebase => "rebase",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<CommitKind> {
        CommitKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The wire and store name, padded as asked (`{:<11}` in a table).
impl std::fmt::Display for CommitKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// Compares with a wire and store name: `kind == "amend"`.
impl PartialEq<&str> for CommitKind {
    fn eq(&self, name: &&str) -> bool {
        self.as_str() == *name
    }
}

/// The operation behind one reflog line; the `kind` of a `repo_activity`
/// event and of a stored activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    /// `commit:`, `commit (initial):`.
    Commit,
    /// `commit (amend):`; the line's old hash is the replaced commit.
    Amend,
    /// `commit (merge):` or `merge <rev>: Merge made by …`.
    Merge,
    /// `cherry-pick:` or `commit (cherry-pick):`.
    CherryPick,
    Revert,
    /// `rebase (start):` — HEAD detaches onto the new base.
    RebaseStart,
    /// `rebase (pick|reword|squash|fixup|continue|merge):` — one rewritten
    /// commit; stored, but announced only with the finished rebase.
    #[serde(rename = "rebase")]
    RebaseStep,
    /// `rebase (finish): returning to refs/heads/x`.
    RebaseFinish,
    /// `rebase (abort):`.
    RebaseAbort,
    /// Other rebase movements that create no commit (`rebase (reset)`).
    RebaseMove,
    Checkout,
    /// `merge <rev>: Fast-forward`.
    FastForward,
    /// Any `pull` form (`pull: Fast-forward`, `pull --rebase (finish)`…):
    /// bringing in others' work.
    Pull,
    Reset,
    Clone,
    /// Anything else (`am`, `branch`, tools with their own messages).
    Other,
}

impl Operation {
    /// The wire and store name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Operation::Commit => "commit",
            Operation::Amend => "amend",
            Operation::Merge => "merge",
            Operation::CherryPick => "cherry-pick",
            Operation::Revert => "revert",
            Operation::RebaseStart => "rebase-start",
            Operation::RebaseStep => "rebase",
            Operation::RebaseFinish => "rebase-finish",
            Operation::RebaseAbort => "rebase-abort",
            Operation::RebaseMove => "rebase-move",
            Operation::Checkout => "checkout",
            Operation::FastForward => "fast-forward",
            Operation::Pull => "pull",
            Operation::Reset => "reset",
            Operation::Clone => "clone",
            Operation::Other => "other",
        }
    }
}

/// A new commit of the developer's (or, with `commit_triggers: all`, any).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
