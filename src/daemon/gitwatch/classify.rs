//! What a reflog message says happened, and whether it is the developer's
//! own work. Pure string logic over the messages git writes
//! (`commit (amend): …`, `rebase (pick): …`, `pull: Fast-forward`, …).
//!
//! Own work creates commits the developer made: commit, amend, merge commit,
//! cherry-pick, revert, and a finished rebase. Moving HEAD onto commits that
//! already exist (checkout, reset, fast-forward, pull) is activity. A
//! `git pull --rebase` (or `pull.rebase`) is a rebase: its lines name the
//! same steps under the action `pull …` (`pull -r (pick): …`), and its
//! picks are the developer's commits made again on the upstream.

use crate::config::CommitTriggers;
use crate::protocol::{CommitKind, Operation};

// The operations themselves (and their wire names) are the protocol's;
// what each one means for own work and triggers is decided here.
impl Operation {
    /// The line's new hash is a commit the developer just made.
    pub(crate) fn creates_commit(self) -> bool {
        matches!(
            self,
            Operation::Commit
                | Operation::Amend
                | Operation::Merge
                | Operation::CherryPick
                | Operation::Revert
                | Operation::RebaseStep
        )
    }

    /// Own work (a finished rebase counts; its steps are folded into it).
    pub(crate) fn is_own(self) -> bool {
        self.creates_commit() || self == Operation::RebaseFinish
    }

    /// The stored `commits.kind` for operations that create a commit.
    pub(crate) fn commit_kind(self) -> Option<CommitKind> {
        Some(match self {
            Operation::Commit => CommitKind::Commit,
            Operation::Amend => CommitKind::Amend,
            Operation::Merge => CommitKind::Merge,
            Operation::CherryPick => CommitKind::CherryPick,
            Operation::Revert => CommitKind::Revert,
            Operation::RebaseStep => CommitKind::Rebase,
            _ => return None,
        })
    }
}

/// Splits `action (step): detail` into `("action", Some("step"), "detail")`.
/// The action never contains `": "` (ref names cannot contain `:`).
pub(crate) fn split_message(message: &str) -> (&str, Option<&str>, &str) {
    let (action, detail) = message.split_once(": ").unwrap_or((message, ""));
    let action = action.trim_end_matches(':').trim();
    if let Some(open) = action.rfind(" (") {
        if let Some(step) = action[open + 2..].strip_suffix(')') {
            return (action[..open].trim(), Some(step), detail);
        }
    }
    (action, None, detail)
}

/// Classifies a reflog message.
pub(crate) fn classify(message: &str) -> Operation {
    let (action, step, detail) = split_message(message);
    let mut words = action.split_whitespace();
    let verb = words.next().unwrap_or("");
    match verb {
        "commit" => match step {
            Some("amend") => Operation::Amend,
            Some("merge") => Operation::Merge,
            Some("cherry-pick") => Operation::CherryPick,
            Some("revert") => Operation::Revert,
            _ => Operation::Commit,
        },
        "merge" => {
            if detail.starts_with("Fast-forward") || detail.starts_with("fast-forward") {
                Operation::FastForward
            } else {
                Operation::Merge
            }
        }
        "cherry-pick" => Operation::CherryPick,
        "revert" => Operation::Revert,
        // `pull --rebase`, `pull -r`, or a plain `pull` under `pull.rebase`:
        // the steps of a rebase.
        "pull" if step.is_some() => rebase_step(step, detail),
        "pull" => Operation::Pull,
        "checkout" => Operation::Checkout,
        "reset" => Operation::Reset,
        "clone" => Operation::Clone,
        // `rebase`, `rebase -i`, `rebase -m`, and `rebase finished:` of old gits.
        "rebase" => {
            if words.next() == Some("finished") {
                return Operation::RebaseFinish;
            }
            rebase_step(step, detail)
        }
        _ => Operation::Other,
    }
}

/// The operation of a rebase's line, by its step (`pick`, `finish`, …).
fn rebase_step(step: Option<&str>, detail: &str) -> Operation {
    match step {
        Some("start") => Operation::RebaseStart,
        Some("finish") => Operation::RebaseFinish,
        Some("abort") => Operation::RebaseAbort,
        Some("reset") | Some("label") | Some("update-ref") => Operation::RebaseMove,
        Some(_) => Operation::RebaseStep,
        None if detail == "aborting" => Operation::RebaseAbort,
        None if detail.starts_with("fast-forward") => Operation::RebaseMove,
        None => Operation::RebaseStep,
    }
}

/// Whether a rebase's start line is a pull's (`pull --rebase (start): …`):
/// the commits it brings from the upstream are gained as a pull's are.
pub(crate) fn starts_a_pull(message: &str) -> bool {
    split_message(message).0.split_whitespace().next() == Some("pull")
}

/// The branch a finished rebase returned to
/// (`rebase (finish): returning to refs/heads/feature/x` -> `feature/x`).
pub(crate) fn rebase_finish_branch(message: &str) -> Option<String> {
    let (_, _, detail) = split_message(message);
    let refname = detail
        .strip_prefix("returning to ")
        .or_else(|| detail.split_whitespace().next())?;
    refname
        .trim()
        .strip_prefix("refs/heads/")
        .map(str::to_string)
}

/// Whether an event of `operation` raises a commit trigger under `mode`.
/// `author_matches` is the configured-author check for the commit(s).
pub(crate) fn raises_trigger(
    mode: CommitTriggers,
    operation: Operation,
    author_matches: bool,
) -> bool {
    match mode {
        CommitTriggers::None => false,
        CommitTriggers::All => true,
        CommitTriggers::Own => operation.is_own() && author_matches,
    }
}

/// Whether any of `emails` (the reflog identity, the commit author) is one
/// of the configured authors. No configured authors means everyone matches.
pub(crate) fn author_matches<'a>(
    authors: &[String],
    emails: impl IntoIterator<Item = &'a str>,
) -> bool {
    if authors.is_empty() {
        return true;
    }
    emails.into_iter().any(|e| {
        authors
            .iter()
            .any(|a| a.trim().eq_ignore_ascii_case(e.trim()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits() {
        assert_eq!(classify("commit: fix: the parser"), Operation::Commit);
        assert_eq!(classify("commit (initial): first"), Operation::Commit);
        assert_eq!(classify("commit (amend): better"), Operation::Amend);
        assert_eq!(
            classify("commit (merge): Merge branch 'x'"),
            Operation::Merge
        );
        assert_eq!(
            classify("commit (cherry-pick): port"),
            Operation::CherryPick
        );
        assert_eq!(classify("commit: "), Operation::Commit);
        assert_eq!(classify("commit: a\tb"), Operation::Commit);
    }

    #[test]
    fn merges() {
        assert_eq!(
            classify("merge feature/x/y: Merge made by the 'ort' strategy."),
            Operation::Merge
        );
        assert_eq!(
            classify("merge origin/main: Fast-forward"),
            Operation::FastForward
        );
    }

    #[test]
    fn picks_and_reverts() {
        assert_eq!(classify("cherry-pick: add logging"), Operation::CherryPick);
        assert_eq!(
            classify("revert: Revert \"add logging\""),
            Operation::Revert
        );
    }

    #[test]
    fn rebases() {
        assert_eq!(
            classify("rebase (start): checkout main"),
            Operation::RebaseStart
        );
        assert_eq!(
            classify("rebase -i (start): checkout HEAD~3"),
            Operation::RebaseStart
        );
        assert_eq!(classify("rebase (pick): one"), Operation::RebaseStep);
        assert_eq!(classify("rebase -i (pick): one"), Operation::RebaseStep);
        assert_eq!(classify("rebase (reword): one"), Operation::RebaseStep);
        assert_eq!(classify("rebase (squash): one"), Operation::RebaseStep);
        assert_eq!(classify("rebase (fixup): one"), Operation::RebaseStep);
        assert_eq!(classify("rebase (continue): one"), Operation::RebaseStep);
        assert_eq!(classify("rebase (reset): 'onto'"), Operation::RebaseMove);
        assert_eq!(
            classify("rebase (finish): returning to refs/heads/feature/x/y"),
            Operation::RebaseFinish
        );
        assert_eq!(
            classify("rebase -i (finish): returning to refs/heads/main"),
            Operation::RebaseFinish
        );
        assert_eq!(
            classify("rebase finished: returning to refs/heads/main"),
            Operation::RebaseFinish
        );
        assert_eq!(
            classify("rebase (abort): returning to refs/heads/main"),
            Operation::RebaseAbort
        );
        // `git pull --rebase`, `pull -r` and a `pull` under `pull.rebase`.
        for (msg, op) in [
            (
                "pull -q --rebase (start): checkout 4c3cc00",
                Operation::RebaseStart,
            ),
            ("pull -r (pick): mine", Operation::RebaseStep),
            ("pull (pick): mine", Operation::RebaseStep),
            (
                "pull -q (finish): returning to refs/heads/main",
                Operation::RebaseFinish,
            ),
        ] {
            assert_eq!(classify(msg), op, "{msg}");
        }
        assert!(starts_a_pull("pull -r (start): checkout 4c3cc00"));
        assert!(!starts_a_pull("rebase (start): checkout main"));
        assert_eq!(
            rebase_finish_branch("pull -r (finish): returning to refs/heads/main").as_deref(),
            Some("main")
        );
        assert_eq!(classify("rebase: aborting"), Operation::RebaseAbort);
    }

    #[test]
    fn not_own_work() {
        for (msg, op) in [
            (
                "checkout: moving from main to feature/x",
                Operation::Checkout,
            ),
            ("pull: Fast-forward", Operation::Pull),
            ("pull -q --rebase: Fast-forward", Operation::Pull),
            (
                "pull --rebase (start): checkout abc",
                Operation::RebaseStart,
            ),
            ("pull: Merge made by the 'ort' strategy.", Operation::Pull),
            ("reset: moving to HEAD~1", Operation::Reset),
            ("clone: from /tmp/x", Operation::Clone),
            ("am: patch", Operation::Other),
            ("", Operation::Other),
            ("rebase (start): checkout main", Operation::RebaseStart),
            (
                "rebase (abort): returning to refs/heads/main",
                Operation::RebaseAbort,
            ),
        ] {
            assert_eq!(classify(msg), op, "{msg}");
            assert!(!op.is_own(), "{msg}");
            assert!(!op.creates_commit(), "{msg}");
        }
    }

    #[test]
    fn own_work() {
        for op in [
            Operation::Commit,
            Operation::Amend,
            Operation::Merge,
            Operation::CherryPick,
            Operation::Revert,
            Operation::RebaseFinish,
        ] {
            assert!(op.is_own());
        }
        assert!(Operation::RebaseStep.creates_commit());
        assert!(!Operation::RebaseFinish.creates_commit());
    }

    #[test]
    fn finish_branch() {
        assert_eq!(
            rebase_finish_branch("rebase (finish): returning to refs/heads/feature/x/y").as_deref(),
            Some("feature/x/y")
        );
        assert_eq!(
            rebase_finish_branch("rebase finished: refs/heads/main onto abc").as_deref(),
            Some("main")
        );
        assert_eq!(
            rebase_finish_branch("rebase (finish): returning to HEAD"),
            None
        );
    }

    #[test]
    fn triggers_by_mode() {
        use CommitTriggers::*;
        assert!(raises_trigger(Own, Operation::Commit, true));
        assert!(!raises_trigger(Own, Operation::Commit, false));
        assert!(!raises_trigger(Own, Operation::Checkout, true));
        assert!(raises_trigger(Own, Operation::RebaseFinish, true));
        assert!(raises_trigger(All, Operation::Checkout, false));
        assert!(!raises_trigger(None, Operation::Commit, true));
    }

    #[test]
    fn author_filter() {
        let authors = vec!["Me@Example.com".to_string()];
        assert!(author_matches(&authors, ["me@example.com"]));
        assert!(author_matches(&authors, ["other@x", "ME@example.COM"]));
        assert!(!author_matches(&authors, ["other@x"]));
        assert!(author_matches(&[], ["anyone@x"]));
    }
}
