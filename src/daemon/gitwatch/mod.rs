//! Watching git repositories for the developer's own commits.
//!
//! The source of truth is each repository's HEAD reflog (and each linked
//! worktree's): append-only, and it names the operation. One file-system
//! watcher (one inotify instance on Linux) watches the directories holding
//! those files and sends a [`WatchMsg`] to the run loop, which calls
//! [`GitWatch::handle`] to read what was appended, classify it, store
//! commits, activity and the reflog cursor in one transaction, and get
//! back [`GitEvent`]s. The run loop feeds the events that
//! [`GitEvent::triggers`] into a [`Debouncer`] and owns its timer.
//!
//! Modules: [`reflog`] (line parser), [`classify`] (operation and policy),
//! [`layout`] (where the reflogs are), [`refs`] (a repository without a
//! reflog, recorded from its branches' movements), `repo` (one repository and its
//! probe), [`tail`] (reading from where we stopped), `read` (one read of
//! one reflog), [`details`] (libgit2 commit stats), [`process`] (lines to
//! batch and events), `outcome` (what it hands back: [`GitEvent`],
//! [`Update`]), [`watcher`] (inotify; the notify crate elsewhere),
//! [`debounce`], [`startup`] (warnings at start), `folders` (folders
//! searched for repositories). The commits, rebases,
//! activity and repository states themselves are the protocol's types,
//! announced as they are. The decisions are plain functions with table
//! tests; this module, `repo`, `read` and `watcher` are the I/O around
//! them.

pub(crate) mod classify;
pub mod debounce;
pub(crate) mod details;
mod folders;
pub(crate) mod layout;
mod outcome;
pub(crate) mod process;
mod read;
pub mod reflog;
pub(crate) mod refs;
mod repo;
pub(crate) mod startup;
pub(crate) mod tail;
pub(crate) mod watcher;

pub use debounce::Debouncer;
pub use outcome::GitEvent;
pub(crate) use outcome::LastCommit;
pub use outcome::Update;
pub use watcher::WatchMsg;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use tokio::sync::mpsc::UnboundedSender;

use crate::config::{CommitTriggers, Folder, Repository, Settings};
use crate::protocol::{RepoState, RepoStatus};
use crate::store::{CommitRecord, Store};
use details::Readers;
use read::{read_log, ReadError};
use repo::RepoWatch;
use watcher::FsWatcher;

/// The settings git watching uses.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Policy {
    mode: CommitTriggers,
    authors: Vec<String>,
    /// Where a day starts (a repository's first day is recorded).
    timezone: chrono_tz::Tz,
}

impl Policy {
    fn from_settings(settings: &Settings) -> Policy {
        Policy {
            mode: settings.commit_triggers,
            authors: settings.authors.clone(),
            timezone: settings.timezone,
        }
    }
}

/// All watched repositories and the one watcher.
pub struct GitWatch {
    fs: FsWatcher,
    repos: BTreeMap<String, RepoWatch>,
    policy: Policy,
    /// Repositories kept open across a burst of changes.
    readers: Readers,
    /// The repositories as configured (those found in folders join them).
    listed: Vec<Repository>,
    folders: Vec<folders::FolderWatch>,
    /// Each repository found in a folder, and which.
    found_in: HashMap<String, usize>,
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
        GitWatch::start_with(repos, &[], settings, tx, now)
    }

    /// [`GitWatch::start`] with folders to search: the listed repositories
    /// are armed first, so they have their watches whatever the folders
    /// need.
    pub fn start_with(
        repos: &[Repository],
        folders: &[Folder],
        settings: &Settings,
        tx: UnboundedSender<WatchMsg>,
        now: DateTime<Utc>,
    ) -> Result<GitWatch> {
        let fs = FsWatcher::new(tx).context("creating the file-system watcher")?;
        let mut gw = GitWatch {
            fs,
            repos: BTreeMap::new(),
            policy: Policy::from_settings(settings),
            readers: Readers::default(),
            listed: repos.to_vec(),
            folders: Vec::new(),
            found_in: HashMap::new(),
        };
        for r in repos {
            gw.repos.insert(r.name.clone(), RepoWatch::new(r.clone()));
        }
        let names: Vec<String> = gw.repos.keys().cloned().collect();
        gw.settle(names, now);
        if gw.set_folders(folders) {
            let all = gw.merged();
            gw.apply(&all, now);
        }
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
            WatchMsg::Folders => {
                let found = self.rescan_folders();
                return self.take_found(found, store, now);
            }
            WatchMsg::Rescan => {
                self.fs.forget_all();
                return self.search_again_and_read_all(store, now);
            }
            WatchMsg::Error { message } => {
                tracing::warn!(error = %message, "file-system watcher error ({message}); re-reading all repositories");
                self.fs.forget_all();
                return self.search_again_and_read_all(store, now);
            }
        };
        self.refresh_each(&names, store, now)
    }

    /// Events were lost: searches every folder again and reads every
    /// repository.
    fn search_again_and_read_all(&mut self, store: &mut Store, now: DateTime<Utc>) -> Update {
        let mut moved = BTreeSet::new();
        if self.rescan_all_folders(true) {
            let all = self.merged();
            moved = self.apply(&all, now).1;
        }
        let names: Vec<String> = self.repos.keys().cloned().collect();
        let mut update = self.refresh_each(&names, store, now);
        moved.extend(update.changed);
        update.changed = moved.into_iter().collect();
        update
    }

    /// When the folders' repositories `changed`, watches them as found:
    /// arms and reads the new ones (from their reflogs' current end, as
    /// a reload does), drops the ones gone.
    fn take_found(&mut self, changed: bool, store: &mut Store, now: DateTime<Utc>) -> Update {
        if !changed {
            return Update {
                events: Ok(Vec::new()),
                changed: Vec::new(),
            };
        }
        let all = self.merged();
        let (unread, mut moved) = self.apply(&all, now);
        for name in &unread {
            match store.last_commit(name) {
                Ok(last) => {
                    if let Some(w) = self.repos.get_mut(name) {
                        w.last_commit = last.map(last_commit_of);
                    }
                }
                Err(e) => {
                    return Update {
                        events: Err(e),
                        changed: moved.into_iter().collect(),
                    }
                }
            }
        }
        let mut update = self.refresh_each(&unread, store, now);
        moved.extend(update.changed);
        update.changed = moved.into_iter().collect();
        update
    }

    /// Reads every repository again from its stored cursors (after the
    /// store failed to take what an earlier read found).
    pub(crate) fn reread_all(&mut self, store: &mut Store, now: DateTime<Utc>) -> Update {
        let names: Vec<String> = self.repos.keys().cloned().collect();
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
        self.listed = repos.to_vec();
        let all = self.merged();
        Ok(self.apply(&all, now).0)
    }

    /// [`GitWatch::reconfigure`] with the folders to search: a folder
    /// searched already with the same settings is kept as its watches
    /// keep it.
    pub fn reconfigure_with(
        &mut self,
        repos: &[Repository],
        folders: &[Folder],
        settings: &Settings,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>> {
        self.set_folders(folders);
        self.reconfigure(repos, settings, now)
    }

    /// Makes the watched repositories `repos`; returns those to read (see
    /// [`GitWatch::reconfigure`]) and those whose state changed.
    fn apply(
        &mut self,
        repos: &[Repository],
        now: DateTime<Utc>,
    ) -> (Vec<String>, BTreeSet<String>) {
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
            tracing::info!(repo = %gone, "repository `{gone}` is no longer watched");
            self.fs.remove(gone);
        }
        self.repos = next;
        let changed = self.settle(to_probe, now);
        (unread, changed)
    }

    /// One line per configured repository, for `devtrack status`.
    pub fn repo_statuses(&self) -> Vec<RepoStatus> {
        self.repos
            .values()
            .map(|w| RepoStatus {
                name: w.config.name.clone(),
                path: w.config.path.display().to_string(),
                project: w.config.project.clone(),
                state: w.state.clone(),
                branch: w.branch.clone(),
                worktrees: w.layout.as_ref().map_or(0, |l| {
                    l.logs.iter().filter(|s| s.worktree.is_some()).count()
                }),
                last_commit_at: w.last_commit.as_ref().and_then(|c| c.time),
                last_commit_summary: w.last_commit.as_ref().and_then(|c| c.summary.clone()),
                note: w
                    .layout
                    .as_ref()
                    .filter(|l| l.no_reflog && w.state == RepoState::Watching)
                    .map(|_| refs::NOTE.to_string()),
                folder: self
                    .found_in
                    .get(&w.config.name)
                    .map(|&i| self.folders[i].config.name.clone()),
            })
            .collect()
    }

    /// How many repositories are being watched (cheap: no file reads).
    pub(crate) fn watching_count(&self) -> usize {
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

    /// Whether some repository is in `error` because an inotify limit
    /// refused its watches (cheap: no file reads): while one is, the run
    /// loop retries them ([`GitWatch::retry_limited`]).
    pub(crate) fn waits_for_limit(&self) -> bool {
        self.folder_waits_for_limit()
            || self
                .repos
                .values()
                .any(|w| repo::waits_for_limit(&w.state, w.limit))
    }

    /// Arms again the repositories waiting for an inotify limit and reads
    /// what their reflogs gained since they could not be watched (as a
    /// reload does); the others are left alone.
    pub(crate) fn retry_limited(&mut self, store: &mut Store, now: DateTime<Utc>) -> Update {
        let found = self.rescan_all_folders(false);
        let first = self.take_found(found, store, now);
        let Ok(mut events) = first.events else {
            return first;
        };
        let names: Vec<String> = self
            .repos
            .iter()
            .filter(|(_, w)| repo::waits_for_limit(&w.state, w.limit))
            .map(|(name, _)| name.clone())
            .collect();
        let mut update = self.refresh_each(&names, store, now);
        update.changed.extend(first.changed);
        if let Ok(more) = update.events {
            events.extend(more);
            update.events = Ok(events);
        }
        update
    }

    /// The watcher still reads events and the run loop's receiver is open.
    pub fn is_alive(&self) -> bool {
        self.fs.is_alive()
    }

    /// When the repositories kept open since the last change should be
    /// closed ([`GitWatch::close_idle`]); `None` when none is open.
    pub(crate) fn idle_deadline(&self) -> Option<std::time::Instant> {
        self.readers.deadline()
    }

    /// Closes the repositories left alone for [`details::KEEP_OPEN`].
    pub(crate) fn close_idle(&mut self, now: std::time::Instant) {
        self.readers.close_idle(now);
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
        let no_reflog = watch.layout.as_ref().is_some_and(|l| l.no_reflog);
        let sources = watch
            .layout
            .as_ref()
            .map(|l| l.logs.clone())
            .unwrap_or_default();
        // Without a reflog, every working tree's branch is read under the
        // same first watch (taken once, before the first of them sets it).
        let first_watch = match no_reflog {
            true => Some(store.first_watch(name)?),
            false => None,
        };
        let mut events = Vec::new();
        for source in sources {
            let read = match first_watch {
                Some(first) => {
                    let policy = &self.policy;
                    refs::read_refs(watch, policy, &mut self.readers, &source, first, store, now)
                }
                None => read_log(watch, &self.policy, &mut self.readers, &source, store, now),
            };
            match read {
                Ok(evs) => events.extend(evs),
                Err(ReadError::Io(e)) => {
                    let what = match no_reflog {
                        true => source.gitdir.join("HEAD"),
                        false => source.log_path.clone(),
                    };
                    watch.state = RepoState::Error {
                        reason: format!("reading `{}`: {e}", what.display()),
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
                w.probe(now);
                let armed = self.fs.arm(&name, &w.dirs);
                w.limit = armed.limit;
                if let Some((dir, err)) = armed.failed.first() {
                    w.state = RepoState::Error {
                        reason: format!("watching `{}`: {err}", dir.display()),
                    };
                    // Once it can be watched, what was committed from now
                    // on is read; what came before is history.
                    w.unwatchable_since.get_or_insert(now);
                } else if w.state == RepoState::Watching {
                    w.unwatchable_since = None;
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

fn last_commit_of(r: CommitRecord) -> LastCommit {
    LastCommit {
        hash: r.hash,
        summary: r.summary,
        time: r.committed_at,
    }
}
