//! Watching git repositories for the developer's own commits.
//!
//! The source of truth is each repository's HEAD reflog (and each linked
//! worktree's): append-only, and it names the operation. One notify
//! watcher watches the directories holding those files; its callback sends
//! a [`WatchMsg`] to the run loop, which calls [`GitWatch::handle`] to read
//! what was appended, classify it, store commits, activity and the reflog
//! cursor in one transaction, and get back [`GitEvent`]s. The run loop
//! feeds the events that [`GitEvent::triggers`] into a [`Debouncer`] and
//! owns its timer.
//!
//! Modules: [`reflog`] (line parser), [`classify`] (operation and policy),
//! [`layout`] (where the reflogs are), [`tail`] (reading from where we
//! stopped), [`details`] (libgit2 commit stats), [`process`] (lines to
//! batch and events), [`watcher`] (notify), [`debounce`], [`startup`]
//! (warnings at start).

pub mod classify;
pub mod debounce;
pub mod details;
pub mod events;
pub mod layout;
pub mod process;
pub mod reflog;
pub mod startup;
pub mod tail;
pub mod watcher;

pub use classify::Operation;
pub use debounce::Debouncer;
pub use events::{
    ActivityInfo, CommitInfo, GitEvent, LastCommit, RebaseInfo, RepoState, RepoStatus, Update,
};
pub use watcher::WatchMsg;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use tokio::sync::mpsc::UnboundedSender;

use crate::config::{CommitTriggers, Repository, Settings};
use crate::daemon::cursor::Cursor;
use crate::daemon::store::{CommitRecord, Store};
use crate::protocol::CommitKind;
use details::{CommitDetails, RepoReader};
use layout::{Layout, Problem, Role};
use process::{History, LogContext, LogRead, Lookup, RebaseProgress};
use watcher::{FsWatcher, WantedDir};

/// The settings git watching uses.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Policy {
    mode: CommitTriggers,
    authors: Vec<String>,
}

impl Policy {
    fn from_settings(settings: &Settings) -> Policy {
        Policy {
            mode: settings.commit_triggers,
            authors: settings.authors.clone(),
        }
    }
}

/// One configured repository.
struct RepoWatch {
    config: Repository,
    state: RepoState,
    layout: Option<Layout>,
    /// Where reading starts for reflogs with no stored cursor, taken when
    /// the repository became watchable (history before is not imported).
    baselines: HashMap<PathBuf, Baseline>,
    /// Not probed yet (or re-enabled): what its reflogs hold is history.
    fresh: bool,
    /// Since when it has been missing or unreadable in this run: lines
    /// written after that are news once it becomes watchable.
    unwatchable_since: Option<DateTime<Utc>>,
    /// Rebases in progress, per reflog.
    rebases: HashMap<PathBuf, RebaseProgress>,
    /// The directories this repository needs watched, with their identity
    /// when last looked at; a change means the watches must be redone.
    dirs: Vec<WantedDir>,
    /// The branch `HEAD` named when last probed. Any change of `HEAD`
    /// makes the watcher probe again, so `status` need not read N files.
    branch: Option<String>,
    last_commit: Option<LastCommit>,
    /// How many times in a row settling its watches ran out of rounds.
    unsettled: u32,
}

impl RepoWatch {
    fn new(config: Repository) -> RepoWatch {
        RepoWatch {
            config,
            state: RepoState::Error {
                reason: "not probed yet".into(),
            },
            layout: None,
            baselines: HashMap::new(),
            fresh: true,
            unwatchable_since: None,
            rebases: HashMap::new(),
            dirs: Vec::new(),
            branch: None,
            last_commit: None,
            unsettled: 0,
        }
    }
}

/// Where to start reading a reflog that has no stored cursor.
#[derive(Debug, Clone)]
struct Baseline {
    cursor: Cursor,
    /// Lines older than this predate watching and are skipped.
    skip_before: Option<DateTime<Utc>>,
}

/// All watched repositories and the one watcher.
pub struct GitWatch {
    fs: FsWatcher,
    repos: BTreeMap<String, RepoWatch>,
    policy: Policy,
}

fn dir_identity(path: &Path) -> Option<String> {
    tail::stat(path).ok().flatten().map(|(id, _)| id)
}

impl GitWatch {
    /// Creates the watcher and arms the watches of every enabled
    /// repository. Problems with single repositories are states, not
    /// errors; only failing to create the watcher is an error.
    pub fn start(
        repos: &[Repository],
        settings: &Settings,
        tx: UnboundedSender<WatchMsg>,
        now: DateTime<Utc>,
    ) -> Result<GitWatch> {
        let fs = FsWatcher::new(tx).context("creating the file-system watcher")?;
        let mut gw = GitWatch {
            fs,
            repos: BTreeMap::new(),
            policy: Policy::from_settings(settings),
        };
        for r in repos {
            gw.repos.insert(r.name.clone(), RepoWatch::new(r.clone()));
        }
        let names: Vec<String> = gw.repos.keys().cloned().collect();
        gw.settle(names, now);
        for warning in startup::warnings(&gw.repo_states()) {
            tracing::warn!("{warning}");
        }
        Ok(gw)
    }

    /// Reads everything appended since the stored cursors (commits made
    /// while devtrack was not running). The events form one catch-up batch.
    /// Idempotent: calling it again (e.g. after [`GitWatch::reconfigure`])
    /// reports only what is new since.
    pub fn catch_up(&mut self, store: &mut Store, now: DateTime<Utc>) -> Result<Vec<GitEvent>> {
        let names: Vec<String> = self.repos.keys().cloned().collect();
        self.catch_up_repos(&names, store, now)
    }

    /// [`GitWatch::catch_up`] for the named repositories only (those a
    /// [`GitWatch::reconfigure`] returned); unknown names are skipped.
    pub fn catch_up_repos(
        &mut self,
        names: &[String],
        store: &mut Store,
        now: DateTime<Utc>,
    ) -> Result<Vec<GitEvent>> {
        for name in names {
            let last = store.last_commit(name)?.map(last_commit_of);
            if let Some(w) = self.repos.get_mut(name) {
                w.last_commit = last;
            }
        }
        self.refresh_each(names, store, now).events
    }

    /// Handles one message from the watcher: re-checks the repository,
    /// reads its reflogs, stores what is new and returns the events and the
    /// repositories whose state changed.
    pub fn handle(&mut self, msg: WatchMsg, store: &mut Store, now: DateTime<Utc>) -> Update {
        let names: Vec<String> = match msg {
            WatchMsg::Changed { repo } => vec![repo],
            WatchMsg::Rescan => {
                self.fs.forget_all();
                self.repos.keys().cloned().collect()
            }
            WatchMsg::Error { message } => {
                tracing::warn!(error = %message, "file-system watcher error; re-reading all repositories");
                self.fs.forget_all();
                self.repos.keys().cloned().collect()
            }
        };
        self.refresh_each(&names, store, now)
    }

    /// [`GitWatch::refresh`] for each of `names` (unknown ones are
    /// skipped), up to the first store error.
    fn refresh_each(&mut self, names: &[String], store: &mut Store, now: DateTime<Utc>) -> Update {
        let mut changed = BTreeSet::new();
        let mut events = Vec::new();
        for name in names {
            match self.refresh(name, store, now, &mut changed) {
                Ok(evs) => events.extend(evs),
                Err(e) => {
                    return Update {
                        events: Err(e),
                        changed: changed.into_iter().collect(),
                    }
                }
            }
        }
        Update {
            events: Ok(events),
            changed: changed.into_iter().collect(),
        }
    }

    /// Applies a new configuration: repositories added, removed or changed
    /// are armed or dropped; missing and unsupported ones are probed again.
    /// Nothing is read here: added repositories start at their reflogs'
    /// current end and are read on their next change (or call
    /// `catch_up_repos` with the names returned: the repositories added,
    /// moved, or not watchable before). A repository watched before and
    /// after keeps its cursors and is read on its next change, as always,
    /// so a reload costs one probe per repository, not a read.
    pub fn reconfigure(
        &mut self,
        repos: &[Repository],
        settings: &Settings,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>> {
        self.policy = Policy::from_settings(settings);
        let mut next = BTreeMap::new();
        let mut unread = Vec::new();
        let mut to_probe = Vec::new();
        for r in repos {
            let (watch, same_repo) = match self.repos.remove(&r.name) {
                Some(mut w) if w.config.path == r.path => {
                    let same = w.config.enabled == r.enabled;
                    w.config = r.clone();
                    (w, same)
                }
                _ => (RepoWatch::new(r.clone()), false),
            };
            let was_watching = watch.state == RepoState::Watching;
            // A repository already watched at the same path is kept as it
            // is: its watches report any change to it (a new worktree, a
            // replaced reflog) and re-probe it then. Probing all of them
            // again would make a reload cost O(repositories) in file-system
            // calls. Missing, unsupported and failed ones are retried.
            if !(was_watching && same_repo) {
                to_probe.push(r.name.clone());
            }
            if !was_watching {
                unread.push(r.name.clone());
            }
            next.insert(r.name.clone(), watch);
        }
        for gone in self.repos.keys() {
            self.fs.remove(gone);
        }
        self.repos = next;
        self.settle(to_probe, now);
        Ok(unread)
    }

    /// One line per configured repository, for `devtrack status`.
    pub fn repo_statuses(&self) -> Vec<RepoStatus> {
        self.repos
            .values()
            .map(|w| RepoStatus {
                name: w.config.name.clone(),
                path: w.config.path.clone(),
                project: w.config.project.clone(),
                state: w.state.clone(),
                branch: w.branch.clone(),
                worktrees: w.layout.as_ref().map_or(0, |l| {
                    l.logs.iter().filter(|s| s.worktree.is_some()).count()
                }),
                last_commit: w.last_commit.clone(),
            })
            .collect()
    }

    /// How many repositories are being watched (cheap: no file reads).
    pub fn watching_count(&self) -> usize {
        self.repos
            .values()
            .filter(|w| w.state == RepoState::Watching)
            .count()
    }

    /// Every repository's state (cheap: no file reads).
    fn repo_states(&self) -> Vec<(String, RepoState)> {
        self.repos
            .values()
            .map(|w| (w.config.name.clone(), w.state.clone()))
            .collect()
    }

    /// The watcher thread answers and the run loop's receiver is open.
    pub fn is_alive(&self) -> bool {
        self.fs.is_alive()
    }

    /// The directories currently watched (one inotify watch each).
    pub fn watched_dirs(&self) -> Vec<PathBuf> {
        self.fs.watched_dirs()
    }

    /// Probes `name` again, fixes its watches, and reads its reflogs;
    /// adds it to `changed` when its state changed.
    fn refresh(
        &mut self,
        name: &str,
        store: &mut Store,
        now: DateTime<Utc>,
        changed: &mut BTreeSet<String>,
    ) -> Result<Vec<GitEvent>> {
        self.fs.clear_pending(name);
        changed.extend(self.settle([name.to_string()], now));
        let Some(watch) = self.repos.get_mut(name) else {
            return Ok(Vec::new());
        };
        if watch.state != RepoState::Watching {
            return Ok(Vec::new());
        }
        let sources = watch
            .layout
            .as_ref()
            .map(|l| l.logs.clone())
            .unwrap_or_default();
        let mut events = Vec::new();
        for source in sources {
            match read_log(watch, &self.policy, &source, store, now) {
                Ok(evs) => events.extend(evs),
                Err(ReadError::Io(e)) => {
                    watch.state = RepoState::Error {
                        reason: format!("reading `{}`: {e}", source.log_path.display()),
                    };
                    changed.insert(name.to_string());
                }
                Err(ReadError::Store(e)) => return Err(e),
            }
        }
        Ok(events)
    }

    /// Probes the named repositories and arms their watches, again and
    /// again until a probe made after every watch was in place finds the
    /// same directories: what a directory held before its watch was added
    /// gave no event, so only such a probe has seen it. A repository still
    /// changing after [`SETTLE_ROUNDS`] is queued to be handled again.
    /// Returns the repositories whose state this changed.
    fn settle(
        &mut self,
        names: impl IntoIterator<Item = String>,
        now: DateTime<Utc>,
    ) -> BTreeSet<String> {
        let mut todo: Vec<String> = names.into_iter().collect();
        let mut before: BTreeMap<String, RepoState> = BTreeMap::new();
        for _ in 0..SETTLE_ROUNDS {
            let mut again = Vec::new();
            for name in todo {
                let Some(w) = self.repos.get_mut(&name) else {
                    continue;
                };
                before
                    .entry(name.clone())
                    .or_insert_with(|| w.state.clone());
                probe_repo(w, now);
                let armed = self.fs.arm(&name, &w.dirs);
                if let Some((dir, err)) = armed.failed.first() {
                    w.state = RepoState::Error {
                        reason: format!("watching `{}`: {err}", dir.display()),
                    };
                }
                if armed.look_again {
                    again.push(name);
                } else {
                    w.unsettled = 0;
                }
            }
            todo = again;
            if todo.is_empty() {
                break;
            }
        }
        for name in todo {
            let Some(w) = self.repos.get_mut(&name) else {
                continue;
            };
            w.unsettled += 1;
            if w.unsettled <= MAX_REQUEUES {
                self.fs.requeue(&name);
            } else {
                tracing::warn!(repo = %name, "the repository's directories keep changing; looking again on their next change");
            }
        }
        before
            .into_iter()
            .filter(|(name, state)| self.repos.get(name).is_some_and(|w| w.state != *state))
            .map(|(name, _)| name)
            .collect()
    }
}

/// How many probe-and-arm rounds [`GitWatch::settle`] makes before it
/// leaves the rest to a queued message. Creating a repository, a clone or a
/// worktree settles in two or three.
const SETTLE_ROUNDS: usize = 8;

/// How many queued messages in a row a repository that does not settle
/// gets; then it waits for its next change like any other.
const MAX_REQUEUES: u32 = 3;

/// Whether `candidate` replaces `current` as a repository's last commit:
/// the newest by commit time (what `history --commits` lists first), the
/// later-read one on a tie (an amend keeps its commit's author time).
/// Reflogs are read one after another, so the last one read is not
/// necessarily the newest.
fn is_newer(candidate: &LastCommit, current: Option<&LastCommit>) -> bool {
    current.is_none_or(|c| candidate.time >= c.time)
}

fn last_commit_of(r: CommitRecord) -> LastCommit {
    LastCommit {
        hash: r.hash,
        summary: r.summary,
        time: r.committed_at,
    }
}

/// The branch named by `<gitdir>/HEAD`, without libgit2.
fn head_file_branch(gitdir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(gitdir.join("HEAD")).ok()?;
    text.trim()
        .strip_prefix("ref: refs/heads/")
        .map(str::to_string)
}

/// Re-reads the layout of a repository and updates its state, directories
/// and (when it just became watchable) its baselines.
fn probe_repo(w: &mut RepoWatch, now: DateTime<Utc>) {
    if !w.config.enabled {
        w.state = RepoState::Disabled;
        w.layout = None;
        w.branch = None;
        w.dirs.clear();
        w.fresh = true;
        return;
    }
    let was_watching = w.state == RepoState::Watching;
    match layout::probe(&w.config.path) {
        Ok(layout) => {
            if !was_watching {
                // Became watchable now. For a repository seen for the first
                // time, what its reflogs hold is history; for one that was
                // missing, lines written since it went missing are news.
                w.baselines.clear();
                w.rebases.clear();
                for s in &layout.logs {
                    let base = if w.fresh {
                        Baseline {
                            cursor: if s.log_path.exists() {
                                tail::at_end(&s.log_path, now).unwrap_or_else(|_| Cursor::absent())
                            } else {
                                Cursor::absent()
                            },
                            skip_before: None,
                        }
                    } else {
                        Baseline {
                            cursor: Cursor::absent(),
                            skip_before: w.unwatchable_since,
                        }
                    };
                    w.baselines.insert(s.log_path.clone(), base);
                }
            } else {
                // Reflogs that appeared while watching (a new worktree) are
                // read from their start.
                for s in &layout.logs {
                    w.baselines
                        .entry(s.log_path.clone())
                        .or_insert_with(|| Baseline {
                            cursor: Cursor::absent(),
                            skip_before: None,
                        });
                }
            }
            w.fresh = false;
            w.unwatchable_since = None;
            w.dirs = layout
                .dirs
                .iter()
                .map(|(d, r)| WantedDir {
                    dir: d.clone(),
                    role: r.clone(),
                    identity: dir_identity(d),
                })
                .collect();
            w.branch = head_file_branch(&layout.gitdir);
            w.layout = Some(layout);
            w.state = RepoState::Watching;
        }
        Err(problem) => {
            w.layout = None;
            w.branch = None;
            w.rebases.clear();
            w.fresh = false;
            w.unwatchable_since.get_or_insert(now);
            w.dirs = if problem.retry_on_change() {
                layout::nearest_existing_dir(&w.config.path)
                    .map(|d| {
                        vec![WantedDir {
                            identity: dir_identity(&d),
                            dir: d,
                            role: Role::Ancestor {
                                target: layout::missing_target(&w.config.path),
                            },
                        }]
                    })
                    .unwrap_or_default()
            } else {
                Vec::new()
            };
            w.state = match problem {
                Problem::Missing(reason) | Problem::NotRepository(reason) => {
                    RepoState::Missing { reason }
                }
                Problem::Unsupported(reason) => RepoState::Unsupported { reason },
                Problem::Unreadable(reason) => RepoState::Error { reason },
            };
        }
    }
}

/// How long before a cursor's time a line may have been stamped yet still
/// written after the cursor was taken (a slow hook between the two); such
/// lines are still announced after a resync.
const RESYNC_MARGIN_SECS: i64 = 5;

enum ReadError {
    Io(std::io::Error),
    Store(anyhow::Error),
}

/// libgit2 and the store, as [`process`] needs them.
struct GitLookup<'a> {
    reader: RepoReader,
    store: &'a Store,
    repo: &'a str,
    project: Option<&'a str>,
    worktree: Option<&'a str>,
}

impl Lookup for GitLookup<'_> {
    fn details(&mut self, hash: &str) -> Result<CommitDetails, String> {
        self.reader.details(hash)
    }

    fn head_branch(&mut self) -> Option<String> {
        self.reader.head_branch()
    }

    fn user_email(&mut self) -> Option<String> {
        self.reader.user_email()
    }

    fn first_parent(&mut self, hash: &str) -> Option<String> {
        self.reader.first_parent(hash)
    }

    fn stored_rebase_commit(&mut self, hash: &str) -> Option<CommitInfo> {
        let r = self.store.commit(self.repo, hash).ok()??;
        if r.kind != CommitKind::Rebase.as_str() {
            return None;
        }
        let time = r.committed_at.unwrap_or(r.recorded_at).fixed_offset();
        Some(CommitInfo {
            repo: self.repo.to_string(),
            project: self.project.map(str::to_string),
            worktree: self.worktree.map(str::to_string),
            short_hash: r.hash.chars().take(7).collect(),
            hash: r.hash,
            branch: r.branch,
            summary: r.summary.unwrap_or_default(),
            kind: CommitKind::Rebase,
            amends: r.amends,
            files_changed: r.files_changed,
            insertions: r.insertions,
            deletions: r.deletions,
            author_name: r.author_name.unwrap_or_default(),
            author_email: r.author_email.unwrap_or_default(),
            time,
            own: true,
            trigger: false,
        })
    }
}

/// Reads one reflog from its cursor and records what is new.
fn read_log(
    w: &mut RepoWatch,
    policy: &Policy,
    source: &layout::LogSource,
    store: &mut Store,
    now: DateTime<Utc>,
) -> std::result::Result<Vec<GitEvent>, ReadError> {
    let path = &source.log_path;
    let path_key = path.to_string_lossy().into_owned();
    let stored = store.reflog_cursor(path).map_err(ReadError::Store)?;
    let from_store = stored.is_some();
    let (cursor, skip_before) = match stored {
        Some(c) => (c, None),
        None => match w.baselines.get(path) {
            Some(b) => (b.cursor.clone(), b.skip_before),
            None => (tail::at_end(path, now).map_err(ReadError::Io)?, None),
        },
    };
    let chunk = match tail::read_new(path, &cursor).map_err(ReadError::Io)? {
        Some(c) => c,
        None => {
            // No reflog yet (no commit yet): remember that, so a restart
            // reads the first commits from the start.
            if !from_store {
                let batch = crate::daemon::store::ReflogBatch {
                    repo: w.config.name.clone(),
                    cursor: Some((path_key, cursor)),
                    ..Default::default()
                };
                store
                    .record_reflog_batch(&batch, now)
                    .map_err(ReadError::Store)?;
            }
            return Ok(Vec::new());
        }
    };
    let history = match (chunk.resync, from_store, skip_before) {
        (true, true, _) => {
            tracing::info!(log = %path.display(), "reflog was rewritten; reading it again from the start");
            History::Quiet(cursor.updated_at.timestamp() - RESYNC_MARGIN_SECS)
        }
        (true, false, Some(t)) => History::Skip(t.timestamp()),
        _ => History::None,
    };
    let mode = w.config.commit_triggers.unwrap_or(policy.mode);
    let ctx = LogContext {
        repo: &w.config.name,
        project: w.config.project.as_deref(),
        worktree: source.worktree.as_deref(),
        mode,
        authors: &policy.authors,
    };
    let mut processed = {
        let mut lookup = GitLookup {
            reader: RepoReader::new(&source.gitdir),
            store,
            repo: &w.config.name,
            project: w.config.project.as_deref(),
            worktree: source.worktree.as_deref(),
        };
        let read = LogRead {
            ctx,
            log_path: &path_key,
            chunk: &chunk,
            cursor: &cursor,
            history,
            progress: w.rebases.get(path),
            now,
        };
        process::process(read, &mut lookup)
    };
    if processed.batch.cursor.is_none() && !from_store {
        processed.batch.cursor = Some((path_key, cursor));
    }
    let needs_write = processed.batch.cursor.is_some()
        || !processed.batch.commits.is_empty()
        || !processed.batch.activity.is_empty();
    let inserted = if needs_write {
        store
            .record_reflog_batch(&processed.batch, now)
            .map_err(ReadError::Store)?
    } else {
        Vec::new()
    };
    let (events, progress) = process::events(processed, &inserted);
    match progress {
        Some(p) => {
            w.rebases.insert(path.clone(), p);
        }
        None => {
            w.rebases.remove(path);
        }
    }
    for e in &events {
        let latest = match e {
            GitEvent::Commit(c) => Some(c),
            GitEvent::Rebase(r) => r.commits.last(),
            GitEvent::Activity(_) => None,
        };
        if let Some(c) = latest {
            let candidate = LastCommit {
                hash: c.hash.clone(),
                summary: Some(c.summary.clone()),
                time: Some(c.time.with_timezone(&Utc)),
            };
            if is_newer(&candidate, w.last_commit.as_ref()) {
                w.last_commit = Some(candidate);
            }
        }
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: Option<i64>) -> LastCommit {
        LastCommit {
            hash: "h".into(),
            summary: None,
            time: secs.map(|s| DateTime::from_timestamp(s, 0).unwrap()),
        }
    }

    #[test]
    fn the_last_commit_is_the_newest_not_the_last_read() {
        let table = [
            (Some(10), None, true),
            (Some(10), Some(Some(5)), true),
            (Some(10), Some(Some(10)), true),
            (Some(5), Some(Some(10)), false),
            (None, Some(Some(10)), false),
            (Some(10), Some(None), true),
            (None, Some(None), true),
        ];
        for (candidate, current, want) in table {
            let current = current.map(at);
            assert_eq!(
                is_newer(&at(candidate), current.as_ref()),
                want,
                "{candidate:?} over {current:?}"
            );
        }
    }
}
