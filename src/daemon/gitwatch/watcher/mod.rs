//! The one file-system watcher shared by all repositories.
//!
//! One kernel watcher serves every repository (Linux allows 128 inotify
//! instances per user), with a non-recursive watch per directory of
//! interest. The backend (`inotify` on Linux; `portable`, the `notify`
//! crate, elsewhere) hands over what the kernel reported as batches of
//! [`Seen`]; [`route`] maps each to the repositories it concerns, and a
//! per-repository "pending" flag collapses the dozens of events one
//! `git commit` produces into one [`WatchMsg`] until the run loop handles
//! it. Reading happens in the run loop.
//!
//! A watch only reports what happens after it was added, and the kernel
//! drops it when its directory goes away. So [`FsWatcher::arm`] says
//! whether it added a watch (the caller must then look into the directory
//! again), and a directory that an event shows removed, moved or created
//! anew is armed again on the next call even when it looks the same
//! (file systems reuse inode numbers), together with the directories below
//! it (a moved directory takes their watches along to its new path).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc::UnboundedSender;

use super::layout::Role;
use crate::config::discover::DirId;

#[cfg(target_os = "linux")]
mod inotify;
#[cfg(any(not(target_os = "linux"), test))]
mod portable;

// Also the config file's watch (`daemon::config_watch`), on an instance
// of its own.
#[cfg(target_os = "linux")]
pub(in crate::daemon) use inotify::Backend;
#[cfg(target_os = "linux")]
use inotify::FolderBackend;
#[cfg(not(target_os = "linux"))]
pub(in crate::daemon) use portable::Backend;
#[cfg(not(target_os = "linux"))]
use portable::FolderBackend;

/// Sent by the watcher callback to the run loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchMsg {
    /// Something relevant changed for this repository (config name).
    Changed { repo: String },
    /// The kernel dropped events (queue overflow): re-read every repository.
    Rescan,
    /// The watcher reported an error; every repository is re-read.
    Error { message: String },
    /// An entry appeared, went or was renamed in a directory of a folder
    /// searched for repositories ([`FsWatcher::take_folder_changes`]).
    Folders,
}

/// What a backend saw, handed over a batch at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::daemon) enum Seen {
    /// Something changed at `path`, a watched directory or an entry of
    /// one. `replaced`: it was created, removed or moved, so when `path` is
    /// a watched directory its watch is gone or on another directory now.
    Change { path: PathBuf, replaced: bool },
    /// The kernel dropped events.
    Overflow,
    /// The backend failed; the message says how.
    Error(String),
}

/// Where a backend hands its batches.
pub(in crate::daemon) type Sink = Box<dyn Fn(&[Seen]) + Send + Sync + 'static>;

/// Something changed in a folder searched for repositories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FolderChange {
    /// The entry `name` of the directory `dir` (the folder's number for
    /// it), or with no name the directory itself: the inotify backend
    /// keeps no path per watch.
    In { dir: DirId, name: Option<OsString> },
    /// At `path` (the portable backend, which knows paths only).
    #[cfg_attr(all(target_os = "linux", not(test)), allow(dead_code))]
    At(PathBuf),
}

/// What the folders' backend saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::daemon) enum FolderSeen {
    Change(FolderChange),
    /// The kernel dropped events.
    Overflow,
    /// The backend failed; the message says how.
    Error(String),
}

/// Where the folders' backend hands its batches.
pub(in crate::daemon) type FolderSink = Box<dyn Fn(&[FolderSeen]) + Send + Sync + 'static>;

/// Why a backend did not watch a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::daemon) enum AddError {
    /// It is gone (or no directory any more) since it was probed.
    Vanished,
    /// It exists but cannot be watched.
    Failed(String),
    /// An inotify limit is reached (the message names it): it may be
    /// watched once watches are free again.
    Limited(Limit, String),
}

/// What a directory's watch must report besides entries appearing, going
/// or being renamed over (which every watch reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(in crate::daemon) enum Wants {
    Entries,
    /// Files written in place, too.
    Writes,
}

/// What a directory of this role must report. Reflogs are appended in
/// place, and a missing repository's `.git` file (a linked worktree's, a
/// submodule's) is created and then written. In the git directory, its
/// worktrees' and their admin directories, what matters is directories
/// appearing or going, and `HEAD` and `config`, which git and libgit2
/// replace by renaming a lock file over them; the files git writes there
/// for every commit (`index.lock`, `AUTO_MERGE.lock`, `MERGE_MSG.lock`,
/// `CHERRY_PICK_HEAD.lock`, `HEAD.lock`, …) need not wake the watcher a
/// second time when they are closed.
pub(super) fn wants(role: &Role) -> Wants {
    match role {
        Role::LogsDir | Role::Ancestor { .. } => Wants::Writes,
        Role::GitDir | Role::WorktreesDir | Role::WorktreeAdmin | Role::RefsDir => Wants::Entries,
    }
}

/// A directory a repository needs watched, and its identity (`dev:inode`)
/// when the repository was probed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WantedDir {
    pub dir: PathBuf,
    pub role: Role,
    pub identity: Option<String>,
}

/// What [`FsWatcher::arm`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Armed {
    /// A watch was added, or a directory was gone by the time it was to be
    /// watched: what the probe saw is out of date, so the repository must
    /// be probed again.
    pub look_again: bool,
    /// Directories that exist but could not be watched, with the error.
    pub failed: Vec<(PathBuf, String)>,
    /// The inotify limit that refused a watch (or the instance), if one
    /// did: arming again may succeed once the limit leaves room.
    pub limit: Option<Limit>,
}

/// Per-directory interest, shared with the callback.
#[derive(Default)]
struct Routes {
    by_dir: HashMap<PathBuf, Vec<(String, Role)>>,
    pending: HashMap<String, Arc<AtomicBool>>,
    /// Watched directories an event showed removed, moved away or created
    /// anew: their watch is gone or no longer on what the path names.
    stale: HashSet<PathBuf>,
    /// What changed in them since the run loop last took it; a
    /// [`WatchMsg::Folders`] is on its way while this is not empty.
    folder_changes: Vec<FolderChange>,
}

impl Routes {
    /// Forgets that `repo` wanted `dirs`.
    fn unroute(&mut self, repo: &str, dirs: &[WantedDir]) {
        for d in dirs {
            if let Some(list) = self.by_dir.get_mut(&d.dir) {
                list.retain(|(r, _)| r != repo);
                if list.is_empty() {
                    self.by_dir.remove(&d.dir);
                }
            }
        }
    }

    /// Sends `Changed` for `repo` unless one is already waiting.
    fn notify(&self, repo: &str, send: &dyn Fn(WatchMsg)) {
        let first = self
            .pending
            .get(repo)
            .is_none_or(|flag| !flag.swap(true, Ordering::AcqRel));
        if first {
            send(WatchMsg::Changed {
                repo: repo.to_string(),
            });
        }
    }
}

/// Whether an event on `path` (inside or equal to the watched `dir`)
/// matters for a directory of this role.
pub(crate) fn relevant(role: &Role, dir: &Path, path: &Path) -> bool {
    if path == dir {
        // The directory itself was removed or moved.
        return true;
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    match role {
        Role::GitDir => matches!(
            name,
            "logs" | "worktrees" | "HEAD" | "commondir" | "config" | "packed-refs"
        ),
        Role::RefsDir => !name.ends_with(".lock"),
        Role::LogsDir => name == "HEAD",
        Role::WorktreesDir => true,
        Role::WorktreeAdmin => name == "logs",
        Role::Ancestor { target } => target.starts_with(path),
    }
}

/// What one batch means.
#[derive(Debug, Default, PartialEq, Eq)]
struct Routed {
    /// The repositories it concerns.
    repos: BTreeSet<String>,
    /// Events were lost: every repository must be read again.
    rescan: bool,
    /// What the backend reported failing.
    errors: Vec<String>,
}

/// Maps a batch to the repositories it concerns, and marks the watched
/// directories it shows replaced (with those below them) stale.
fn route(routes: &mut Routes, batch: &[Seen]) -> Routed {
    let mut out = Routed::default();
    for seen in batch {
        let (path, replaced) = match seen {
            Seen::Overflow => {
                out.rescan = true;
                continue;
            }
            Seen::Error(message) => {
                out.errors.push(message.clone());
                continue;
            }
            Seen::Change { path, replaced } => (path, *replaced),
        };
        if replaced && routes.by_dir.contains_key(path) {
            let below: Vec<PathBuf> = routes
                .by_dir
                .keys()
                .filter(|d| d.starts_with(path))
                .cloned()
                .collect();
            for d in below {
                out.repos
                    .extend(routes.by_dir[&d].iter().map(|(r, _)| r.clone()));
                routes.stale.insert(d);
            }
        }
        for dir in [Some(path.as_path()), path.parent()].into_iter().flatten() {
            if let Some(list) = routes.by_dir.get(dir) {
                for (repo, role) in list {
                    if relevant(role, dir, path) {
                        out.repos.insert(repo.clone());
                    }
                }
            }
        }
    }
    out
}

/// A directory watched now.
struct Watch {
    /// Its identity when the watch was added.
    identity: Option<String>,
    /// What it was asked to report.
    wants: Wants,
    /// The repositories that want it.
    users: BTreeSet<String>,
}

pub(crate) struct FsWatcher {
    /// `None` while no inotify instance could be had.
    backend: Option<Backend>,
    /// The folders' own (started with the first folder directory).
    folders: Option<FolderBackend>,
    routes: Arc<Mutex<Routes>>,
    watches: BTreeMap<PathBuf, Watch>,
    /// What each repository asked for last.
    wanted: HashMap<String, Vec<WantedDir>>,
    tx: UnboundedSender<WatchMsg>,
    closed: Arc<AtomicBool>,
}

/// Why no backend could be started.
#[derive(Debug)]
pub(in crate::daemon) enum OpenError {
    /// `fs.inotify.max_user_instances` reached: git watching waits for it.
    Limit(String),
    Other(anyhow::Error),
}

/// What a sink does with one batch: `send` hands a message to the run
/// loop.
type Handle = fn(&mut Routes, &[Seen], &dyn Fn(WatchMsg));

/// A backend whose batches `handle` turns into messages to `tx`.
fn open_with(
    routes: &Arc<Mutex<Routes>>,
    closed: &Arc<AtomicBool>,
    tx: &UnboundedSender<WatchMsg>,
    handle: Handle,
) -> Result<Backend, OpenError> {
    let sink_routes = Arc::clone(routes);
    let sink_closed = Arc::clone(closed);
    let sink_tx = tx.clone();
    let sink: Sink = Box::new(move |batch: &[Seen]| {
        let send = |msg: WatchMsg| {
            if sink_tx.send(msg).is_err() {
                sink_closed.store(true, Ordering::Relaxed);
            }
        };
        let mut routes = sink_routes.lock().unwrap_or_else(|p| p.into_inner());
        handle(&mut routes, batch, &send);
    });
    Backend::start(sink)
}

/// A backend whose batches are routed through `routes` to `tx`.
fn open(
    routes: &Arc<Mutex<Routes>>,
    closed: &Arc<AtomicBool>,
    tx: &UnboundedSender<WatchMsg>,
) -> Result<Backend, OpenError> {
    open_with(routes, closed, tx, |routes, batch, send| {
        let routed = route(routes, batch);
        for message in routed.errors {
            send(WatchMsg::Error { message });
        }
        if routed.rescan {
            send(WatchMsg::Rescan);
            return;
        }
        for repo in routed.repos {
            routes.notify(&repo, send);
        }
    })
}

/// The backend of the folders searched: a kernel watcher of its own, so
/// that a directory watched for a folder and for a repository (the
/// ancestor of a missing one) has a watch for each, which neither removes
/// for the other. Everything it reports goes to the folders, gathered
/// until the run loop takes it ([`FsWatcher::take_folder_changes`]).
fn open_folders(
    routes: &Arc<Mutex<Routes>>,
    closed: &Arc<AtomicBool>,
    tx: &UnboundedSender<WatchMsg>,
) -> Result<FolderBackend, OpenError> {
    let routes = Arc::clone(routes);
    let closed = Arc::clone(closed);
    let tx = tx.clone();
    FolderBackend::start(Box::new(move |batch: &[FolderSeen]| {
        let send = |msg: WatchMsg| {
            if tx.send(msg).is_err() {
                closed.store(true, Ordering::Relaxed);
            }
        };
        let mut changes = Vec::new();
        for seen in batch {
            match seen {
                FolderSeen::Change(change) => changes.push(change.clone()),
                FolderSeen::Overflow => return send(WatchMsg::Rescan),
                FolderSeen::Error(message) => send(WatchMsg::Error {
                    message: message.clone(),
                }),
            }
        }
        if !changes.is_empty() {
            let mut routes = routes.lock().unwrap_or_else(|p| p.into_inner());
            if routes.folder_changes.is_empty() {
                send(WatchMsg::Folders);
            }
            routes.folder_changes.extend(changes);
        }
    }))
}

impl FsWatcher {
    /// The watcher. With no inotify instance left for the user there is
    /// none yet: every directory to watch then fails with the reason, and
    /// each [`FsWatcher::arm`] tries again (the run loop's limit retry, or
    /// a reload), while the rest of the daemon runs.
    pub(crate) fn new(tx: UnboundedSender<WatchMsg>) -> anyhow::Result<FsWatcher> {
        let routes: Arc<Mutex<Routes>> = Arc::default();
        let closed = Arc::new(AtomicBool::new(false));
        let backend = match open(&routes, &closed, &tx) {
            Ok(b) => Some(b),
            Err(OpenError::Limit(reason)) => {
                tracing::error!(
                    "{reason}; no repository is watched until then, prompts on the schedule go on"
                );
                None
            }
            Err(OpenError::Other(e)) => return Err(e),
        };
        Ok(FsWatcher {
            backend,
            folders: None,
            routes,
            watches: BTreeMap::new(),
            wanted: HashMap::new(),
            tx,
            closed,
        })
    }

    fn routes(&self) -> std::sync::MutexGuard<'_, Routes> {
        self.routes.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Called by the run loop before reading `repo`: changes after this
    /// point send a new message.
    pub(crate) fn clear_pending(&self, repo: &str) {
        if let Some(flag) = self.routes().pending.get(repo) {
            flag.store(false, Ordering::Release);
        }
    }

    /// Asks for `repo` to be handled again, through the run loop's channel
    /// like any change (its directories were still changing).
    pub(crate) fn requeue(&self, repo: &str) {
        let closed = &self.closed;
        let tx = &self.tx;
        self.routes().notify(repo, &|msg| {
            if tx.send(msg).is_err() {
                closed.store(true, Ordering::Relaxed);
            }
        });
    }

    /// Makes `repo`'s watched directories exactly `dirs`: adds the watches
    /// that are missing, replaces those whose directory was replaced, and
    /// removes those no repository wants any more.
    pub(crate) fn arm(&mut self, repo: &str, dirs: &[WantedDir]) -> Armed {
        let old = self
            .wanted
            .insert(repo.to_string(), dirs.to_vec())
            .unwrap_or_default();
        let (stale, needs): (HashSet<PathBuf>, HashMap<PathBuf, Wants>) = {
            let mut routes = self.routes();
            routes.unroute(repo, &old);
            for d in dirs {
                routes
                    .by_dir
                    .entry(d.dir.clone())
                    .or_default()
                    .push((repo.to_string(), d.role.clone()));
            }
            routes.pending.entry(repo.to_string()).or_default();
            let stale = dirs
                .iter()
                .filter(|d| routes.stale.remove(&d.dir))
                .map(|d| d.dir.clone())
                .collect();
            let Routes {
                by_dir,
                stale: marks,
                ..
            } = &mut *routes;
            marks.retain(|d| by_dir.contains_key(d));
            // What every repository watching each directory needs.
            let needs = dirs
                .iter()
                .map(|d| {
                    let most = by_dir[&d.dir].iter().map(|(_, role)| wants(role)).max();
                    (d.dir.clone(), most.unwrap_or(Wants::Writes))
                })
                .collect();
            (stale, needs)
        };
        let mut out = Armed::default();
        if self.backend.is_none() {
            match open(&self.routes, &self.closed, &self.tx) {
                Ok(b) => {
                    tracing::info!("an inotify instance could be had again; watching repositories");
                    self.backend = Some(b);
                }
                Err(e) => {
                    let reason = match e {
                        OpenError::Limit(reason) => {
                            out.limit = Some(Limit::Instances);
                            reason
                        }
                        OpenError::Other(e) => format!("{e:#}"),
                    };
                    out.failed = dirs
                        .iter()
                        .map(|d| (d.dir.clone(), reason.clone()))
                        .collect();
                    return out;
                }
            }
        }
        let backend = self.backend.as_ref().expect("set above");
        for o in old {
            if !dirs.iter().any(|d| d.dir == o.dir) {
                release(backend, &mut self.watches, &o.dir, repo);
            }
        }
        for d in dirs {
            let need = needs[&d.dir];
            let current = self.watches.get(&d.dir);
            let rearm = match current {
                None => true,
                Some(w) => {
                    d.identity.is_none()
                        || w.identity != d.identity
                        || stale.contains(&d.dir)
                        || w.wants < need
                }
            };
            if rearm {
                match backend.add(&d.dir, need) {
                    Ok(()) => {
                        let w = self.watches.entry(d.dir.clone()).or_insert_with(|| Watch {
                            identity: None,
                            wants: need,
                            users: BTreeSet::new(),
                        });
                        w.identity = d.identity.clone();
                        w.wants = need;
                        out.look_again = true;
                    }
                    Err(e) => {
                        self.watches.remove(&d.dir);
                        match e {
                            AddError::Vanished => out.look_again = true,
                            AddError::Failed(why) => out.failed.push((d.dir.clone(), why)),
                            AddError::Limited(limit, why) => {
                                out.limit = Some(limit);
                                out.failed.push((d.dir.clone(), why));
                            }
                        }
                        continue;
                    }
                }
            }
            if let Some(w) = self.watches.get_mut(&d.dir) {
                w.users.insert(repo.to_string());
            }
        }
        out
    }

    /// Drops everything `repo` asked for.
    pub(crate) fn remove(&mut self, repo: &str) {
        let old = self.wanted.remove(repo).unwrap_or_default();
        {
            let mut routes = self.routes();
            routes.unroute(repo, &old);
            routes.pending.remove(repo);
            let Routes { by_dir, stale, .. } = &mut *routes;
            stale.retain(|d| by_dir.contains_key(d));
        }
        if let Some(backend) = &self.backend {
            for o in old {
                release(backend, &mut self.watches, &o.dir, repo);
            }
        }
    }

    /// Events were lost (queue overflow): any watch may be gone, so each is
    /// added again on the next [`FsWatcher::arm`].
    pub(crate) fn forget_all(&self) {
        let dirs: Vec<PathBuf> = self.watches.keys().cloned().collect();
        self.routes().stale.extend(dirs);
    }

    /// Watches `path`, the directory `dir` of a folder searched for
    /// repositories: what appears in it, goes or is renamed comes as
    /// [`WatchMsg::Folders`].
    pub(super) fn watch_folder_dir(&mut self, path: &Path, dir: DirId) -> Result<(), AddError> {
        if self.folders.is_none() {
            let backend =
                open_folders(&self.routes, &self.closed, &self.tx).map_err(|e| match e {
                    OpenError::Limit(reason) => AddError::Limited(Limit::Instances, reason),
                    OpenError::Other(e) => AddError::Failed(format!("{e:#}")),
                })?;
            self.folders = Some(backend);
        }
        self.folders.as_ref().expect("set above").add(path, dir)
    }

    /// `path`, the directory `dir` of a searched folder, is no longer
    /// watched.
    pub(crate) fn unwatch_folder_dir(&mut self, path: &Path, dir: DirId) {
        if let Some(backend) = &self.folders {
            backend.remove(path, dir);
        }
    }

    /// What changed in searched folders since the last call.
    pub(crate) fn take_folder_changes(&self) -> Vec<FolderChange> {
        std::mem::take(&mut self.routes().folder_changes)
    }

    /// How many directories the repositories have watched.
    pub(crate) fn watch_count(&self) -> usize {
        self.watches.len()
    }

    /// The directories watched now.
    pub(crate) fn watched_dirs(&self) -> Vec<PathBuf> {
        self.watches.keys().cloned().collect()
    }

    /// The backend still reads events and the run loop still listens.
    /// With no backend (no inotify instance) there is nothing to hang.
    pub(crate) fn is_alive(&self) -> bool {
        !self.closed.load(Ordering::Relaxed)
            && self.backend.as_ref().is_none_or(Backend::is_alive)
            && self.folders.as_ref().is_none_or(FolderBackend::is_alive)
    }
}

/// The per-user inotify limits (sysctls under `fs.inotify.`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limit {
    Watches,
    Instances,
}

impl Limit {
    fn sysctl(self) -> &'static str {
        match self {
            Limit::Watches => "max_user_watches",
            Limit::Instances => "max_user_instances",
        }
    }
}

/// The limit's current value, when the system says.
fn read_limit(limit: Limit) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/sys/fs/inotify/{}", limit.sysctl()))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// What reaching `limit` (now `value`) means and what to do (the kernel's
/// `ENOSPC` and `EMFILE` name neither the sysctl nor the remedy).
pub(crate) fn limit_reached(limit: Limit, value: Option<u64>) -> String {
    let (what, suggest) = match limit {
        Limit::Watches => ("watches", 524_288),
        Limit::Instances => ("instances", 1024),
    };
    let name = format!("fs.inotify.{}", limit.sysctl());
    let now = value.map(|v| format!(" = {v}")).unwrap_or_default();
    format!(
        "the per-user limit of inotify {what} is reached (`{name}`{now}); hint: raise it, e.g. `sudo sysctl {name}={suggest}`, or end what holds them; devtrack tries again by itself (after 1 s, then less often, at least every 5 minutes), `devtrack reload` at once"
    )
}

/// [`limit_reached`] for `limit`, with its current value.
pub(super) fn limit_now(limit: Limit) -> String {
    limit_reached(limit, read_limit(limit))
}

/// `repo` no longer wants `dir`; unwatched when nobody does.
fn release(backend: &Backend, watches: &mut BTreeMap<PathBuf, Watch>, dir: &Path, repo: &str) {
    let Some(w) = watches.get_mut(dir) else {
        return;
    };
    w.users.remove(repo);
    if w.users.is_empty() {
        backend.remove(dir);
        watches.remove(dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing_by_role() {
        let git = Path::new("/r/.git");
        assert!(relevant(&Role::GitDir, git, &git.join("logs")));
        assert!(relevant(&Role::GitDir, git, git));
        assert!(!relevant(&Role::GitDir, git, &git.join("index.lock")));
        assert!(!relevant(&Role::GitDir, git, &git.join("COMMIT_EDITMSG")));
        let logs = git.join("logs");
        assert!(relevant(&Role::LogsDir, &logs, &logs.join("HEAD")));
        assert!(!relevant(&Role::LogsDir, &logs, &logs.join("HEAD.lock")));
        assert!(relevant(&Role::GitDir, git, &git.join("packed-refs")));
        let heads = git.join("refs/heads");
        assert!(relevant(&Role::RefsDir, &heads, &heads.join("main")));
        assert!(relevant(&Role::RefsDir, &heads, &heads.join("feature")));
        assert!(!relevant(&Role::RefsDir, &heads, &heads.join("main.lock")));
        let target = PathBuf::from("/home/u/code/repo/.git/HEAD");
        let anc = Role::Ancestor { target };
        let home = Path::new("/home/u");
        assert!(relevant(&anc, home, Path::new("/home/u/code")));
        assert!(!relevant(&anc, home, Path::new("/home/u/notes.txt")));
    }

    fn routes(dirs: &[(&str, &str, Role)]) -> Routes {
        let mut r = Routes::default();
        for (dir, repo, role) in dirs {
            r.by_dir
                .entry(PathBuf::from(dir))
                .or_default()
                .push((repo.to_string(), role.clone()));
        }
        r
    }

    fn change(path: &str, replaced: bool) -> Seen {
        Seen::Change {
            path: PathBuf::from(path),
            replaced,
        }
    }

    #[test]
    fn a_batch_is_routed_to_each_repository_once() {
        let mut r = routes(&[
            ("/a/.git", "a", Role::GitDir),
            ("/a/.git/logs", "a", Role::LogsDir),
            ("/b/.git/logs", "b", Role::LogsDir),
        ]);
        let batch = [
            change("/a/.git/index.lock", true),
            change("/a/.git/logs/HEAD", false),
            change("/a/.git/logs/HEAD", false),
            change("/b/.git/logs/HEAD.lock", true),
        ];
        let got = route(&mut r, &batch);
        assert_eq!(got.repos, BTreeSet::from(["a".to_string()]));
        assert!(!got.rescan);
        assert!(r.stale.is_empty(), "no watched directory was replaced");
    }

    #[test]
    fn a_replaced_directory_marks_itself_and_those_below_stale() {
        let table: [(Seen, &[&str], &[&str]); 5] = [
            // `.git` removed (or moved away): its watch and logs/'s.
            (
                change("/a/.git", true),
                &["a"],
                &["/a/.git", "/a/.git/logs"],
            ),
            // `logs` created anew in `.git`.
            (change("/a/.git/logs", true), &["a"], &["/a/.git/logs"]),
            // Written, not replaced: nothing stale.
            (change("/a/.git/logs", false), &["a"], &[]),
            // An entry that is no watched directory.
            (change("/a/.git/HEAD", true), &["a"], &[]),
            (change("/a/.git/ORIG_HEAD", true), &[], &[]),
        ];
        for (seen, repos, stale) in table {
            let mut r = routes(&[
                ("/a/.git", "a", Role::GitDir),
                ("/a/.git/logs", "a", Role::LogsDir),
                ("/b/.git", "b", Role::GitDir),
            ]);
            let got = route(&mut r, std::slice::from_ref(&seen));
            let want: BTreeSet<String> = repos.iter().map(|s| s.to_string()).collect();
            assert_eq!(got.repos, want, "{seen:?}");
            let want: HashSet<PathBuf> = stale.iter().map(PathBuf::from).collect();
            assert_eq!(r.stale, want, "{seen:?}");
        }
    }

    #[test]
    fn only_reflog_directories_and_ancestors_want_writes() {
        let table = [
            (Role::LogsDir, Wants::Writes),
            (
                Role::Ancestor {
                    target: "/r/.git/HEAD".into(),
                },
                Wants::Writes,
            ),
            (Role::GitDir, Wants::Entries),
            (Role::WorktreesDir, Wants::Entries),
            (Role::WorktreeAdmin, Wants::Entries),
        ];
        for (role, want) in table {
            assert_eq!(wants(&role), want, "{role:?}");
        }
    }

    #[test]
    fn an_exhausted_limit_names_its_sysctl() {
        assert_eq!(
            limit_reached(Limit::Watches, Some(8192)),
            "the per-user limit of inotify watches is reached (`fs.inotify.max_user_watches` = 8192); hint: raise it, e.g. `sudo sysctl fs.inotify.max_user_watches=524288`, or end what holds them; devtrack tries again by itself (after 1 s, then less often, at least every 5 minutes), `devtrack reload` at once"
        );
        assert_eq!(
            limit_reached(Limit::Instances, None),
            "the per-user limit of inotify instances is reached (`fs.inotify.max_user_instances`); hint: raise it, e.g. `sudo sysctl fs.inotify.max_user_instances=1024`, or end what holds them; devtrack tries again by itself (after 1 s, then less often, at least every 5 minutes), `devtrack reload` at once"
        );
    }

    #[test]
    fn overflow_and_errors_are_passed_on() {
        let mut r = routes(&[("/a/.git/logs", "a", Role::LogsDir)]);
        let got = route(
            &mut r,
            &[
                change("/a/.git/logs/HEAD", false),
                Seen::Overflow,
                Seen::Error("boom".into()),
            ],
        );
        assert!(got.rescan);
        assert_eq!(got.errors, vec!["boom".to_string()]);
    }
}
