//! The one file-system watcher shared by all repositories.
//!
//! Each notify watcher opens its own inotify instance and thread, and Linux
//! allows 128 instances per user, so devtrack keeps exactly one and adds a
//! non-recursive watch per directory of interest. The callback runs on
//! notify's thread: it only maps the changed path to the repository it
//! belongs to and sends a small [`WatchMsg`]; reading happens in the run
//! loop. A per-repository "pending" flag collapses the dozens of events one
//! `git commit` produces into one message until the run loop handles it.
//!
//! A watch only reports what happens after it was added, and the kernel
//! drops it when its directory goes away. So [`FsWatcher::arm`] says
//! whether it added a watch (the caller must then look into the directory
//! again), and a directory that an event shows removed, moved or created
//! anew is armed again on the next call even when it looks the same
//! (file systems reuse inode numbers), together with the directories below
//! it (notify forgets their watches with it).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind};
use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc::UnboundedSender;

use super::layout::Role;

/// Sent by the watcher callback to the run loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchMsg {
    /// Something relevant changed for this repository (config name).
    Changed { repo: String },
    /// The kernel dropped events (queue overflow): re-read every repository.
    Rescan,
    /// The watcher reported an error; every repository is re-read.
    Error { message: String },
}

/// A directory a repository needs watched, and its identity (`dev:inode`)
/// when the repository was probed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WantedDir {
    pub dir: PathBuf,
    pub role: Role,
    pub identity: Option<String>,
}

/// What [`FsWatcher::arm`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Armed {
    /// A watch was added, or a directory was gone by the time it was to be
    /// watched: what the probe saw is out of date, so the repository must
    /// be probed again.
    pub look_again: bool,
    /// Directories that exist but could not be watched, with the error.
    pub failed: Vec<(PathBuf, String)>,
}

/// Per-directory interest, shared with the callback.
#[derive(Default)]
struct Routes {
    by_dir: HashMap<PathBuf, Vec<(String, Role)>>,
    pending: HashMap<String, Arc<AtomicBool>>,
    /// Watched directories an event showed removed, moved away or created
    /// anew: their watch is gone or no longer on what the path names.
    stale: HashSet<PathBuf>,
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
pub fn relevant(role: &Role, dir: &Path, path: &Path) -> bool {
    if path == dir {
        // The directory itself was removed or moved.
        return true;
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    match role {
        Role::GitDir => matches!(name, "logs" | "worktrees" | "HEAD" | "commondir" | "config"),
        Role::LogsDir => name == "HEAD",
        Role::WorktreesDir => true,
        Role::WorktreeAdmin => name == "logs",
        Role::Ancestor { target } => target.starts_with(path),
    }
}

/// Event kinds that can mean a reflog or directory changed. Opens and
/// read-closes are dropped: reading a reflog must not wake the reader.
/// Metadata changes count: a `chmod` can make a repository unreadable or
/// readable again, and nothing else would say so.
fn interesting(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}

/// Whether an event naming a watched directory means its watch is gone
/// or on another directory now: removed (the kernel drops the watch),
/// moved away (the watch follows it), or created (a new directory under
/// the old name). Unknown kinds count, since re-arming is cheap.
fn replaces_dir(kind: &EventKind) -> bool {
    match kind {
        EventKind::Create(_) | EventKind::Remove(_) | EventKind::Any | EventKind::Other => true,
        EventKind::Modify(ModifyKind::Name(_)) => true,
        EventKind::Modify(_) | EventKind::Access(_) => false,
    }
}

/// A directory watched now.
struct Watch {
    /// Its identity when the watch was added.
    identity: Option<String>,
    /// The repositories that want it.
    users: BTreeSet<String>,
}

pub struct FsWatcher {
    /// `None` while no inotify instance could be had.
    watcher: Mutex<Option<RecommendedWatcher>>,
    routes: Arc<Mutex<Routes>>,
    watches: BTreeMap<PathBuf, Watch>,
    /// What each repository asked for last.
    wanted: HashMap<String, Vec<WantedDir>>,
    tx: UnboundedSender<WatchMsg>,
    closed: Arc<AtomicBool>,
}

/// Why no inotify instance could be had.
enum OpenError {
    /// `fs.inotify.max_user_instances` reached: git watching waits for it.
    Limit(String),
    Other(anyhow::Error),
}

/// The notify watcher whose callback routes events through `routes`.
fn open(
    routes: &Arc<Mutex<Routes>>,
    closed: &Arc<AtomicBool>,
    tx: &UnboundedSender<WatchMsg>,
) -> Result<RecommendedWatcher, OpenError> {
    let cb_routes = Arc::clone(routes);
    let cb_closed = Arc::clone(closed);
    let cb_tx = tx.clone();
    let send = move |msg: WatchMsg| {
        if cb_tx.send(msg).is_err() {
            cb_closed.store(true, Ordering::Relaxed);
        }
    };
    notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        let event = match res {
            Ok(e) => e,
            Err(e) => {
                send(WatchMsg::Error {
                    message: e.to_string(),
                });
                return;
            }
        };
        if event.need_rescan() {
            send(WatchMsg::Rescan);
            return;
        }
        if !interesting(&event.kind) {
            return;
        }
        let mut routes = match cb_routes.lock() {
            Ok(r) => r,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut hit: BTreeSet<String> = BTreeSet::new();
        if replaces_dir(&event.kind) {
            for path in &event.paths {
                if routes.by_dir.contains_key(path) {
                    // notify drops the watches below a removed
                    // directory too, even ones added since for a new
                    // directory of the same name.
                    let below: Vec<PathBuf> = routes
                        .by_dir
                        .keys()
                        .filter(|d| d.starts_with(path))
                        .cloned()
                        .collect();
                    for d in below {
                        hit.extend(routes.by_dir[&d].iter().map(|(r, _)| r.clone()));
                        routes.stale.insert(d);
                    }
                }
            }
        }
        for path in &event.paths {
            for dir in [Some(path.as_path()), path.parent()].into_iter().flatten() {
                if let Some(list) = routes.by_dir.get(dir) {
                    for (repo, role) in list {
                        if relevant(role, dir, path) {
                            hit.insert(repo.clone());
                        }
                    }
                }
            }
        }
        for repo in hit {
            routes.notify(&repo, &send);
        }
    })
    .map_err(|e| match &e.kind {
        notify::ErrorKind::Io(io) if io.raw_os_error() == Some(nix::libc::EMFILE) => {
            OpenError::Limit(limit_reached(
                Limit::Instances,
                read_limit(Limit::Instances),
            ))
        }
        _ => OpenError::Other(anyhow::Error::new(e)),
    })
}

impl FsWatcher {
    /// The watcher. With no inotify instance left for the user there is
    /// none yet: every directory to watch then fails with the reason, and
    /// each [`FsWatcher::arm`] tries again (a reload, once the limit was
    /// raised), while the rest of the daemon runs.
    pub fn new(tx: UnboundedSender<WatchMsg>) -> anyhow::Result<FsWatcher> {
        let routes: Arc<Mutex<Routes>> = Arc::default();
        let closed = Arc::new(AtomicBool::new(false));
        let watcher = match open(&routes, &closed, &tx) {
            Ok(w) => Some(w),
            Err(OpenError::Limit(reason)) => {
                tracing::error!(
                    "{reason}; no repository is watched until then, prompts on the schedule go on"
                );
                None
            }
            Err(OpenError::Other(e)) => return Err(e),
        };
        Ok(FsWatcher {
            watcher: Mutex::new(watcher),
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
    pub fn clear_pending(&self, repo: &str) {
        if let Some(flag) = self.routes().pending.get(repo) {
            flag.store(false, Ordering::Release);
        }
    }

    /// Asks for `repo` to be handled again, through the run loop's channel
    /// like any change (its directories were still changing).
    pub fn requeue(&self, repo: &str) {
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
    pub fn arm(&mut self, repo: &str, dirs: &[WantedDir]) -> Armed {
        let old = self
            .wanted
            .insert(repo.to_string(), dirs.to_vec())
            .unwrap_or_default();
        let stale: HashSet<PathBuf> = {
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
            stale
        };
        let mut slot = self.watcher.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = Armed::default();
        if slot.is_none() {
            match open(&self.routes, &self.closed, &self.tx) {
                Ok(w) => {
                    tracing::info!("an inotify instance could be had again; watching repositories");
                    *slot = Some(w);
                }
                Err(OpenError::Limit(reason)) => {
                    out.failed = dirs
                        .iter()
                        .map(|d| (d.dir.clone(), reason.clone()))
                        .collect();
                    return out;
                }
                Err(OpenError::Other(e)) => {
                    let reason = format!("{e:#}");
                    out.failed = dirs
                        .iter()
                        .map(|d| (d.dir.clone(), reason.clone()))
                        .collect();
                    return out;
                }
            }
        }
        let watcher = slot.as_mut().expect("set above");
        for o in old {
            if !dirs.iter().any(|d| d.dir == o.dir) {
                release(watcher, &mut self.watches, &o.dir, repo);
            }
        }
        for d in dirs {
            let current = self.watches.get(&d.dir);
            let rearm = match current {
                None => true,
                Some(w) => {
                    d.identity.is_none() || w.identity != d.identity || stale.contains(&d.dir)
                }
            };
            if rearm {
                match watcher.watch(&d.dir, RecursiveMode::NonRecursive) {
                    Ok(()) => {
                        let w = self.watches.entry(d.dir.clone()).or_insert_with(|| Watch {
                            identity: None,
                            users: BTreeSet::new(),
                        });
                        w.identity = d.identity.clone();
                        out.look_again = true;
                    }
                    Err(e) => {
                        self.watches.remove(&d.dir);
                        if vanished(&e) {
                            out.look_again = true;
                        } else {
                            out.failed.push((d.dir.clone(), describe(&e)));
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
    pub fn remove(&mut self, repo: &str) {
        let old = self.wanted.remove(repo).unwrap_or_default();
        {
            let mut routes = self.routes();
            routes.unroute(repo, &old);
            routes.pending.remove(repo);
            let Routes { by_dir, stale, .. } = &mut *routes;
            stale.retain(|d| by_dir.contains_key(d));
        }
        let mut slot = self.watcher.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(watcher) = slot.as_mut() {
            for o in old {
                release(watcher, &mut self.watches, &o.dir, repo);
            }
        }
    }

    /// Events were lost (queue overflow): any watch may be gone, so each is
    /// added again on the next [`FsWatcher::arm`].
    pub fn forget_all(&self) {
        let dirs: Vec<PathBuf> = self.watches.keys().cloned().collect();
        self.routes().stale.extend(dirs);
    }

    /// The directories watched now.
    pub fn watched_dirs(&self) -> Vec<PathBuf> {
        self.watches.keys().cloned().collect()
    }

    /// The notify thread still answers and the run loop still listens.
    pub fn is_alive(&self) -> bool {
        if self.closed.load(Ordering::Relaxed) {
            return false;
        }
        let mut slot = match self.watcher.lock() {
            Ok(w) => w,
            Err(_) => return false,
        };
        // A round trip to the watcher thread: fails once it is gone. With
        // no watcher (no inotify instance) there is no thread to hang.
        slot.as_mut()
            .is_none_or(|w| w.configure(notify::Config::default()).is_ok())
    }
}

/// The per-user inotify limits (sysctls under `fs.inotify.`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
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

/// What reaching `limit` (now `value`) means and what to do: notify's own
/// text ("OS file watch limit reached.", "Too many open files") names
/// neither the sysctl nor the remedy.
pub fn limit_reached(limit: Limit, value: Option<u64>) -> String {
    let (what, then, suggest) = match limit {
        Limit::Watches => ("watches", "run `devtrack reload`", 524_288),
        Limit::Instances => ("instances", "run `devtrack reload`", 1024),
    };
    let name = format!("fs.inotify.{}", limit.sysctl());
    let now = value.map(|v| format!(" = {v}")).unwrap_or_default();
    format!(
        "the per-user limit of inotify {what} is reached (`{name}`{now}); hint: raise it, e.g. `sudo sysctl {name}={suggest}`, then {then}"
    )
}

/// A failed watch for people.
fn describe(e: &notify::Error) -> String {
    match &e.kind {
        notify::ErrorKind::MaxFilesWatch => {
            limit_reached(Limit::Watches, read_limit(Limit::Watches))
        }
        _ => e.to_string(),
    }
}

/// The directory was removed after it was probed.
fn vanished(e: &notify::Error) -> bool {
    match &e.kind {
        notify::ErrorKind::PathNotFound => true,
        notify::ErrorKind::Io(io) => io.kind() == std::io::ErrorKind::NotFound,
        _ => false,
    }
}

/// `repo` no longer wants `dir`; unwatched when nobody does.
fn release(
    watcher: &mut RecommendedWatcher,
    watches: &mut BTreeMap<PathBuf, Watch>,
    dir: &Path,
    repo: &str,
) {
    let Some(w) = watches.get_mut(dir) else {
        return;
    };
    w.users.remove(repo);
    if w.users.is_empty() {
        // Fails harmlessly when the kernel already dropped the watch
        // because the directory was deleted.
        let _ = watcher.unwatch(dir);
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
        let target = PathBuf::from("/home/u/code/repo/.git/HEAD");
        let anc = Role::Ancestor { target };
        let home = Path::new("/home/u");
        assert!(relevant(&anc, home, Path::new("/home/u/code")));
        assert!(!relevant(&anc, home, Path::new("/home/u/notes.txt")));
    }

    #[test]
    fn events_that_replace_a_watched_directory() {
        use notify::event::{CreateKind, DataChange, MetadataKind, RemoveKind, RenameMode};
        let table = [
            (EventKind::Remove(RemoveKind::Folder), true),
            (EventKind::Remove(RemoveKind::Any), true),
            (EventKind::Create(CreateKind::Folder), true),
            (EventKind::Modify(ModifyKind::Name(RenameMode::From)), true),
            (EventKind::Modify(ModifyKind::Name(RenameMode::To)), true),
            (EventKind::Other, true),
            (EventKind::Modify(ModifyKind::Data(DataChange::Any)), false),
            (
                EventKind::Modify(ModifyKind::Metadata(MetadataKind::Any)),
                false,
            ),
            (
                EventKind::Access(AccessKind::Close(AccessMode::Write)),
                false,
            ),
        ];
        for (kind, want) in table {
            assert_eq!(replaces_dir(&kind), want, "{kind:?}");
        }
    }

    #[test]
    fn an_exhausted_limit_names_its_sysctl() {
        assert_eq!(
            limit_reached(Limit::Watches, Some(8192)),
            "the per-user limit of inotify watches is reached (`fs.inotify.max_user_watches` = 8192); hint: raise it, e.g. `sudo sysctl fs.inotify.max_user_watches=524288`, then run `devtrack reload`"
        );
        assert_eq!(
            limit_reached(Limit::Instances, None),
            "the per-user limit of inotify instances is reached (`fs.inotify.max_user_instances`); hint: raise it, e.g. `sudo sysctl fs.inotify.max_user_instances=1024`, then run `devtrack reload`"
        );
        let full = notify::Error::new(notify::ErrorKind::MaxFilesWatch);
        assert!(describe(&full).contains("`fs.inotify.max_user_watches`"));
    }

    #[test]
    fn opens_and_reads_are_not_changes() {
        assert!(!interesting(&EventKind::Access(AccessKind::Open(
            AccessMode::Any
        ))));
        assert!(!interesting(&EventKind::Access(AccessKind::Close(
            AccessMode::Read
        ))));
        assert!(interesting(&EventKind::Access(AccessKind::Close(
            AccessMode::Write
        ))));
        assert!(interesting(&EventKind::Modify(ModifyKind::Data(
            notify::event::DataChange::Any
        ))));
        assert!(interesting(&EventKind::Create(
            notify::event::CreateKind::Folder
        )));
        assert!(interesting(&EventKind::Modify(ModifyKind::Metadata(
            notify::event::MetadataKind::Permissions
        ))));
        assert!(interesting(&EventKind::Remove(
            notify::event::RemoveKind::Any
        )));
    }
}
