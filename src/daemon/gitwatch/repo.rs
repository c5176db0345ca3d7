//! One configured repository as git watching tracks it, and probing it:
//! reading its layout again and deciding what that means for its state,
//! the directories it needs watched, and where reading its reflogs starts.
//!
//! The decisions are plain functions with table tests ([`start_rule`],
//! [`unwatchable`], [`branch_of_head`]); [`RepoWatch::probe`] is the thin
//! layer that looks at the file system and applies them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::details::cli;
use super::layout::{self, Layout, Problem, Role};
use super::outcome::LastCommit;
use super::tail;
use super::watcher::{Limit, WantedDir};
use crate::config::Repository;
use crate::protocol::RepoState;
use crate::store::cursor::Cursor;

/// One configured repository.
pub(super) struct RepoWatch {
    pub config: Repository,
    pub state: RepoState,
    pub layout: Option<Layout>,
    /// Where reading starts for reflogs with no stored cursor, taken when
    /// the repository became watchable (history before is not imported).
    pub baselines: HashMap<PathBuf, Baseline>,
    /// Not probed yet (or re-enabled): what its reflogs hold is history.
    pub fresh: bool,
    /// Since when it has been missing, unreadable or not watchable in this
    /// run: lines written after that are news once it is watched (cleared
    /// by `GitWatch::settle` once its watches are in place).
    pub unwatchable_since: Option<DateTime<Utc>>,
    /// The directories this repository needs watched, with their identity
    /// when last looked at; a change means the watches must be redone.
    pub dirs: Vec<WantedDir>,
    /// The branch `HEAD` named when last probed. Any change of `HEAD`
    /// makes the watcher probe again, so `status` need not read N files.
    pub branch: Option<String>,
    pub last_commit: Option<LastCommit>,
    /// How many times in a row settling its watches ran out of rounds.
    pub unsettled: u32,
    /// The inotify limit that refused its watches the last time they were
    /// armed; `None` once they are in place (or failed for another reason).
    pub limit: Option<Limit>,
    /// Recorded without a reflog: per git directory (working tree), the
    /// branch and commit its HEAD was last read on in this run (where a
    /// new branch's first movement starts).
    pub ref_heads: HashMap<PathBuf, (String, String)>,
}

/// Where to start reading a reflog that has no stored cursor.
#[derive(Debug, Clone)]
pub(super) struct Baseline {
    pub cursor: Cursor,
    /// Lines older than this predate watching and are skipped.
    pub skip_before: Option<DateTime<Utc>>,
    /// Taken at the reflog's end at this time because the repository was
    /// seen for the first time in this run: when the store has no first
    /// watch of it either, this is its first watch, and its first day is
    /// read instead (`read::read_log`).
    pub at_end: Option<DateTime<Utc>>,
}

/// Where reading starts in a reflog the store has no cursor for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StartRule {
    /// At its current end: what it holds is history from before devtrack.
    AtEnd,
    /// At its beginning; lines stamped before `skip_before` are skipped.
    FromStart { skip_before: Option<DateTime<Utc>> },
}

/// The start rule for the reflogs of a repository probed watchable. Seen
/// for the first time (`fresh`): its reflogs are history. Back after being
/// missing or unreadable: what was written since it became so is news.
/// Already watched: a reflog that appeared meanwhile (a new worktree) is
/// read from its start.
pub(crate) fn start_rule(
    was_watching: bool,
    fresh: bool,
    unwatchable_since: Option<DateTime<Utc>>,
) -> StartRule {
    match (was_watching, fresh) {
        (true, _) => StartRule::FromStart { skip_before: None },
        (false, true) => StartRule::AtEnd,
        (false, false) => StartRule::FromStart {
            skip_before: unwatchable_since,
        },
    }
}

/// The state of a repository that cannot be watched, and whether to watch
/// its nearest existing ancestor meanwhile (a missing repository or one
/// not created yet may appear; an unsupported one is retried only on
/// reconfigure).
pub(crate) fn unwatchable(problem: Problem) -> (RepoState, bool) {
    let watch_ancestor = problem.retry_on_change();
    let state = match problem {
        Problem::Missing(reason) | Problem::NotRepository(reason) => RepoState::Missing { reason },
        Problem::Unsupported(reason) => RepoState::Unsupported { reason },
        Problem::Unreadable(reason) => RepoState::Error { reason },
    };
    (state, watch_ancestor)
}

pub(super) use cli::branch_of_head;

fn dir_identity(path: &Path) -> Option<String> {
    tail::stat(path).ok().flatten().map(|(id, _)| id)
}

fn wanted(dir: PathBuf, role: Role) -> WantedDir {
    WantedDir {
        identity: dir_identity(&dir),
        dir,
        role,
    }
}

/// Whether a repository in `state`, whose watches last failed for
/// `limit`, waits for an inotify limit: arming it again may watch it.
pub(crate) fn waits_for_limit(state: &RepoState, limit: Option<Limit>) -> bool {
    matches!(state, RepoState::Error { .. }) && limit.is_some()
}

impl RepoWatch {
    pub(crate) fn new(config: Repository) -> RepoWatch {
        RepoWatch {
            config,
            state: RepoState::Error {
                reason: "not probed yet".into(),
            },
            layout: None,
            baselines: HashMap::new(),
            fresh: true,
            unwatchable_since: None,
            dirs: Vec::new(),
            branch: None,
            last_commit: None,
            unsettled: 0,
            limit: None,
            ref_heads: HashMap::new(),
        }
    }

    /// Re-reads the layout of the repository and updates its state,
    /// directories and (when it just became watchable) its baselines.
    pub(crate) fn probe(&mut self, now: DateTime<Utc>) {
        if !self.config.enabled {
            self.state = RepoState::Disabled;
            self.layout = None;
            self.branch = None;
            self.dirs.clear();
            self.fresh = true;
            return;
        }
        match layout::probe(&self.config.path) {
            Ok(layout) => self.watchable(layout, now),
            Err(problem) => {
                self.layout = None;
                self.branch = None;
                self.fresh = false;
                self.unwatchable_since.get_or_insert(now);
                let (state, watch_ancestor) = unwatchable(problem);
                self.dirs = match watch_ancestor {
                    true => layout::nearest_existing_dir(&self.config.path)
                        .map(|d| {
                            let target = layout::missing_target(&self.config.path);
                            vec![wanted(d, Role::Ancestor { target })]
                        })
                        .unwrap_or_default(),
                    false => Vec::new(),
                };
                self.state = state;
            }
        }
    }

    fn watchable(&mut self, layout: Layout, now: DateTime<Utc>) {
        let was_watching = self.state == RepoState::Watching;
        let rule = start_rule(was_watching, self.fresh, self.unwatchable_since);
        if !was_watching {
            self.baselines.clear();
            if layout.no_reflog {
                let name = &self.config.name;
                tracing::info!(repo = %name, "repository `{name}` keeps no reflog: {}", layout::NO_REFLOG_NOTE);
            }
            let config = std::fs::read_to_string(layout.commondir.join("config"));
            if config.is_ok_and(|c| cli::sha256_config(&c)) {
                let name = &self.config.name;
                tracing::info!(
                    repo = %name,
                    "repository `{name}` uses SHA-256 object names: its commits are read through the `git` command; {}",
                    cli::MISSING
                );
            }
        }
        for s in &layout.logs {
            if self.baselines.contains_key(&s.log_path) {
                continue;
            }
            let base = match rule {
                StartRule::AtEnd => Baseline {
                    cursor: if s.log_path.exists() {
                        tail::at_end(&s.log_path, now).unwrap_or_else(|_| Cursor::absent())
                    } else {
                        Cursor::absent()
                    },
                    skip_before: None,
                    at_end: Some(now),
                },
                StartRule::FromStart { skip_before } => Baseline {
                    cursor: Cursor::absent(),
                    skip_before,
                    at_end: None,
                },
            };
            self.baselines.insert(s.log_path.clone(), base);
        }
        self.fresh = false;
        self.dirs = layout
            .dirs
            .iter()
            .map(|(d, r)| wanted(d.clone(), r.clone()))
            .collect();
        self.branch = std::fs::read_to_string(layout.gitdir.join("HEAD"))
            .ok()
            .and_then(|text| branch_of_head(&text));
        self.layout = Some(layout);
        self.state = RepoState::Watching;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn where_reading_starts_without_a_stored_cursor() {
        let t = DateTime::from_timestamp(1_700_000_000, 0);
        let table = [
            // (was watching, fresh, unwatchable since) -> rule
            (false, true, None, StartRule::AtEnd),
            (false, true, t, StartRule::AtEnd),
            (false, false, t, StartRule::FromStart { skip_before: t }),
            (
                false,
                false,
                None,
                StartRule::FromStart { skip_before: None },
            ),
            (
                true,
                false,
                None,
                StartRule::FromStart { skip_before: None },
            ),
            (true, true, t, StartRule::FromStart { skip_before: None }),
        ];
        for (was_watching, fresh, since, want) in table {
            assert_eq!(
                start_rule(was_watching, fresh, since),
                want,
                "{was_watching} {fresh} {since:?}"
            );
        }
    }

    #[test]
    fn states_of_repositories_that_cannot_be_watched() {
        let r = || "why".to_string();
        let missing = RepoState::Missing { reason: r() };
        let table = [
            (Problem::Missing(r()), missing.clone(), true),
            (Problem::NotRepository(r()), missing, true),
            (
                Problem::Unsupported(r()),
                RepoState::Unsupported { reason: r() },
                false,
            ),
            (
                Problem::Unreadable(r()),
                RepoState::Error { reason: r() },
                true,
            ),
        ];
        for (problem, state, ancestor) in table {
            assert_eq!(
                unwatchable(problem.clone()),
                (state, ancestor),
                "{problem:?}"
            );
        }
    }

    #[test]
    fn branch_named_by_head() {
        let table = [
            ("ref: refs/heads/main\n", Some("main")),
            ("ref: refs/heads/feature/x/y", Some("feature/x/y")),
            ("0123456789012345678901234567890123456789\n", None),
            ("ref: refs/remotes/origin/main\n", None),
            ("", None),
        ];
        for (text, want) in table {
            assert_eq!(branch_of_head(text).as_deref(), want, "{text:?}");
        }
    }

    #[test]
    fn only_an_error_from_a_limit_waits_for_it() {
        let error = RepoState::Error { reason: "x".into() };
        let missing = RepoState::Missing { reason: "x".into() };
        let table = [
            (error.clone(), Some(Limit::Watches), true),
            (error.clone(), Some(Limit::Instances), true),
            (error, None, false),
            (missing, Some(Limit::Watches), false),
            (RepoState::Watching, Some(Limit::Watches), false),
            (RepoState::Watching, None, false),
        ];
        for (state, limit, want) in table {
            assert_eq!(waits_for_limit(&state, limit), want, "{state:?} {limit:?}");
        }
    }
}
