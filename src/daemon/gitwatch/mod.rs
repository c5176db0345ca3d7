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
//! [`layout`] (where the reflogs are), [`cursor`] (reading from where we
//! stopped), [`details`] (libgit2 commit stats), [`process`] (lines to
//! batch and events), [`watcher`] (notify), [`debounce`].

pub mod classify;
pub mod cursor;
pub mod debounce;
pub mod details;
pub mod events;
pub mod layout;
pub mod process;
pub mod reflog;
pub mod watcher;

pub use classify::{CommitKind, Operation};
pub use cursor::Cursor;
pub use debounce::Debouncer;
pub use events::{
    ActivityInfo, CommitInfo, GitEvent, LastCommit, RebaseInfo, RepoState, RepoStatus,
};
pub use watcher::WatchMsg;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use tokio::sync::mpsc::UnboundedSender;

use crate::config::{CommitTriggers, Repository, Settings};
use crate::daemon::store::{CommitRecord, Store};
use details::{CommitDetails, Readers, RepoReader};
use layout::{Layout, Problem, Role};
use process::{History, LogContext, Lookup, RebaseProgress};
use watcher::FsWatcher;

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
    dirs: Vec<(PathBuf, Role, Option<String>)>,
    /// The branch `HEAD` named when last probed. Any change of `HEAD`
    /// makes the watcher probe again, so `status` need not read N files.
    branch: Option<String>,
    last_commit: Option<LastCommit>,
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
    /// Repositories kept open across a burst of changes.
    readers: Readers,
}

fn dir_identity(path: &Path) -> Option<String> {
    cursor::stat(path).ok().flatten().map(|(id, _)| id)
}

impl GitWatch {
    /// Creates the watcher and arms the watches of every enabled
    /// repository. Problems with single repositories are states, not
    /// errors; only failing to create the watcher is an error.
    pub fn start(
        repos: &[Repository],
        settings: &Settings,
        tx: UnboundedSender<WatchMsg>,
    ) -> Result<GitWatch> {
        let fs = FsWatcher::new(tx).context("creating the file-system watcher")?;
        let mut gw = GitWatch {
            fs,
            repos: BTreeMap::new(),
            policy: Policy::from_settings(settings),
            readers: Readers::default(),
        };
        let now = Utc::now();
        for r in repos {
            let mut watch = RepoWatch::new(r.clone());
            probe_repo(&mut watch, now);
            gw.repos.insert(r.name.clone(), watch);
        }
        gw.sync_watches(now);
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
        let mut events = Vec::new();
        for name in names {
            events.extend(self.refresh(name, store, now)?);
        }
        Ok(events)
    }

    /// Handles one message from the watcher: re-checks the repository,
    /// reads its reflogs, stores what is new and returns the events.
    pub fn handle(
        &mut self,
        msg: WatchMsg,
        store: &mut Store,
        now: DateTime<Utc>,
    ) -> Result<Vec<GitEvent>> {
        match msg {
            WatchMsg::Changed { repo } => {
                if self.repos.contains_key(&repo) {
                    self.refresh(&repo, store, now)
                } else {
                    Ok(Vec::new())
                }
            }
            WatchMsg::Rescan => self.refresh_all(store, now),
            WatchMsg::Error { message } => {
                tracing::warn!(error = %message, "file-system watcher error; re-reading all repositories");
                self.refresh_all(store, now)
            }
        }
    }

    fn refresh_all(&mut self, store: &mut Store, now: DateTime<Utc>) -> Result<Vec<GitEvent>> {
        let names: Vec<String> = self.repos.keys().cloned().collect();
        let mut events = Vec::new();
        for name in names {
            events.extend(self.refresh(&name, store, now)?);
        }
        Ok(events)
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
    ) -> Result<Vec<String>> {
        self.policy = Policy::from_settings(settings);
        let now = Utc::now();
        let mut next = BTreeMap::new();
        let mut unread = Vec::new();
        for r in repos {
            let (mut watch, same_repo) = match self.repos.remove(&r.name) {
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
                probe_repo(&mut watch, now);
            }
            if !was_watching {
                unread.push(r.name.clone());
            }
            next.insert(r.name.clone(), watch);
        }
        self.repos = next;
        self.sync_watches(now);
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
    pub fn repo_states(&self) -> Vec<(String, RepoState)> {
        self.repos
            .values()
            .map(|w| (w.config.name.clone(), w.state.clone()))
            .collect()
    }

    /// The watcher thread answers and the run loop's receiver is open.
    pub fn is_alive(&self) -> bool {
        self.fs.is_alive()
    }

    /// When the repositories kept open since the last change should be
    /// closed ([`GitWatch::close_idle`]); `None` when none is open.
    pub fn idle_deadline(&self) -> Option<std::time::Instant> {
        self.readers.deadline()
    }

    /// Closes the repositories left alone for [`details::KEEP_OPEN`].
    pub fn close_idle(&mut self, now: std::time::Instant) {
        self.readers.close_idle(now);
    }

    /// The directories currently watched (one inotify watch each).
    pub fn watched_dirs(&self) -> Vec<PathBuf> {
        self.fs.watched_dirs()
    }

    /// Probes `name` again, fixes its watches, and reads its reflogs.
    fn refresh(
        &mut self,
        name: &str,
        store: &mut Store,
        now: DateTime<Utc>,
    ) -> Result<Vec<GitEvent>> {
        self.fs.clear_pending(name);
        let Some(watch) = self.repos.get_mut(name) else {
            return Ok(Vec::new());
        };
        let before = watch.dirs.clone();
        probe_repo(watch, now);
        if watch.dirs != before {
            self.sync_watches(now);
        }
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
            match read_log(watch, &self.policy, &mut self.readers, &source, store, now) {
                Ok(evs) => events.extend(evs),
                Err(ReadError::Io(e)) => {
                    watch.state = RepoState::Error {
                        reason: format!("reading `{}`: {e}", source.log_path.display()),
                    };
                }
                Err(ReadError::Store(e)) => return Err(e),
            }
        }
        Ok(events)
    }

    /// Makes the watcher's directories match every repository's needs.
    /// A directory that vanished meanwhile makes its repository probe again.
    fn sync_watches(&mut self, now: DateTime<Utc>) {
        for _ in 0..3 {
            let wanted: Vec<(String, PathBuf, Role)> = self
                .repos
                .iter()
                .flat_map(|(name, w)| {
                    w.dirs
                        .iter()
                        .map(move |(d, role, _)| (name.clone(), d.clone(), role.clone()))
                })
                .collect();
            let failures = self.fs.sync(&wanted);
            if failures.is_empty() {
                return;
            }
            for (name, dir, err) in failures {
                if let Some(w) = self.repos.get_mut(&name) {
                    probe_repo(w, now);
                    if w.dirs.iter().any(|(d, _, _)| *d == dir) {
                        w.state = RepoState::Error {
                            reason: format!("watching `{}`: {err}", dir.display()),
                        };
                    }
                }
            }
        }
    }
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
                                cursor::at_end(&s.log_path, now).unwrap_or_else(|_| absent())
                            } else {
                                absent()
                            },
                            skip_before: None,
                        }
                    } else {
                        Baseline {
                            cursor: absent(),
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
                            cursor: absent(),
                            skip_before: None,
                        });
                }
            }
            w.fresh = false;
            w.unwatchable_since = None;
            w.dirs = layout
                .dirs
                .iter()
                .map(|(d, r)| (d.clone(), r.clone(), dir_identity(d)))
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
                        let id = dir_identity(&d);
                        vec![(
                            d,
                            Role::Ancestor {
                                target: layout::missing_target(&w.config.path),
                            },
                            id,
                        )]
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

/// A cursor for a reflog that does not exist yet: everything in it will be
/// new, so it carries no history threshold.
fn absent() -> Cursor {
    Cursor {
        file_id: cursor::ABSENT.to_string(),
        offset: 0,
        last_hash: None,
        updated_at: DateTime::<Utc>::default(),
    }
}

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
    readers: &mut Readers,
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
            None => (cursor::at_end(path, now).map_err(ReadError::Io)?, None),
        },
    };
    let chunk = match cursor::read_new(path, &cursor).map_err(ReadError::Io)? {
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
            reader: readers.take(&source.gitdir),
            store,
            repo: &w.config.name,
            project: w.config.project.as_deref(),
            worktree: source.worktree.as_deref(),
        };
        let processed = process::process(
            &ctx,
            &mut lookup,
            &path_key,
            &chunk.file_id,
            chunk.start,
            &chunk.bytes,
            &cursor,
            chunk.resync,
            history,
            w.rebases.get(path),
            now,
        );
        readers.put(lookup.reader, std::time::Instant::now());
        processed
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
            w.last_commit = Some(LastCommit {
                hash: c.hash.clone(),
                summary: Some(c.summary.clone()),
                time: Some(c.time.with_timezone(&Utc)),
            });
        }
    }
    Ok(events)
}
