//! The one file-system watcher shared by all repositories.
//!
//! Each notify watcher opens its own inotify instance and thread, and Linux
//! allows 128 instances per user, so devtrack keeps exactly one and adds a
//! non-recursive watch per directory of interest. The callback runs on
//! notify's thread: it only maps the changed path to the repository it
//! belongs to and sends a small [`WatchMsg`]; reading happens in the run
//! loop. A per-repository "pending" flag collapses the dozens of events one
//! `git commit` produces into one message until the run loop handles it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
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

/// Per-directory interest, shared with the callback.
#[derive(Default)]
struct Routes {
    by_dir: HashMap<PathBuf, Vec<(String, Role)>>,
    pending: HashMap<String, Arc<AtomicBool>>,
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
fn interesting(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        _ => true,
    }
}

pub struct FsWatcher {
    watcher: Mutex<RecommendedWatcher>,
    routes: Arc<Mutex<Routes>>,
    /// Directories currently watched, with the identity they had then, so a
    /// directory deleted and recreated is watched again.
    watched: BTreeMap<PathBuf, Option<String>>,
    closed: Arc<AtomicBool>,
}

fn dir_identity(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path)
            .ok()
            .map(|m| format!("{}:{}", m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        std::fs::metadata(path).ok().map(|_| String::new())
    }
}

impl FsWatcher {
    pub fn new(tx: UnboundedSender<WatchMsg>) -> anyhow::Result<FsWatcher> {
        let routes: Arc<Mutex<Routes>> = Arc::default();
        let closed = Arc::new(AtomicBool::new(false));
        let cb_routes = Arc::clone(&routes);
        let cb_closed = Arc::clone(&closed);
        let send = move |msg: WatchMsg| {
            if tx.send(msg).is_err() {
                cb_closed.store(true, Ordering::Relaxed);
            }
        };
        let watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
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
            let routes = match cb_routes.lock() {
                Ok(r) => r,
                Err(poisoned) => poisoned.into_inner(),
            };
            let mut hit: BTreeSet<&str> = BTreeSet::new();
            for path in &event.paths {
                for dir in [Some(path.as_path()), path.parent()].into_iter().flatten() {
                    if let Some(list) = routes.by_dir.get(dir) {
                        for (repo, role) in list {
                            if relevant(role, dir, path) {
                                hit.insert(repo);
                            }
                        }
                    }
                }
            }
            for repo in hit {
                let first = routes
                    .pending
                    .get(repo)
                    .is_none_or(|flag| !flag.swap(true, Ordering::AcqRel));
                if first {
                    send(WatchMsg::Changed {
                        repo: repo.to_string(),
                    });
                }
            }
        })?;
        Ok(FsWatcher {
            watcher: Mutex::new(watcher),
            routes,
            watched: BTreeMap::new(),
            closed,
        })
    }

    /// Called by the run loop before reading `repo`: changes after this
    /// point send a new message.
    pub fn clear_pending(&self, repo: &str) {
        let routes = self.routes.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(flag) = routes.pending.get(repo) {
            flag.store(false, Ordering::Release);
        }
    }

    /// Makes the watched directories exactly `wanted` (repository name,
    /// directory, role). Returns the directories that could not be watched
    /// (vanished meanwhile), with the error.
    pub fn sync(&mut self, wanted: &[(String, PathBuf, Role)]) -> Vec<(String, PathBuf, String)> {
        let mut failures = Vec::new();
        let mut by_dir: HashMap<PathBuf, Vec<(String, Role)>> = HashMap::new();
        for (repo, dir, role) in wanted {
            by_dir
                .entry(dir.clone())
                .or_default()
                .push((repo.clone(), role.clone()));
        }
        {
            let mut routes = self.routes.lock().unwrap_or_else(|p| p.into_inner());
            routes.by_dir = by_dir.clone();
            let names: BTreeSet<&String> = wanted.iter().map(|(r, _, _)| r).collect();
            routes.pending.retain(|k, _| names.contains(k));
            for name in names {
                routes.pending.entry(name.clone()).or_default();
            }
        }
        let mut watcher = self.watcher.lock().unwrap_or_else(|p| p.into_inner());
        let stale: Vec<PathBuf> = self
            .watched
            .keys()
            .filter(|d| !by_dir.contains_key(*d))
            .cloned()
            .collect();
        for dir in stale {
            // Fails harmlessly when the kernel already dropped the watch
            // because the directory was deleted.
            let _ = watcher.unwatch(&dir);
            self.watched.remove(&dir);
        }
        for (dir, users) in &by_dir {
            let id = dir_identity(dir);
            if id.is_some() && self.watched.get(dir) == Some(&id) {
                continue;
            }
            match watcher.watch(dir, RecursiveMode::NonRecursive) {
                Ok(()) => {
                    self.watched.insert(dir.clone(), id);
                }
                Err(e) => {
                    self.watched.remove(dir);
                    for (repo, _) in users {
                        failures.push((repo.clone(), dir.clone(), e.to_string()));
                    }
                }
            }
        }
        failures
    }

    /// The directories watched now.
    pub fn watched_dirs(&self) -> Vec<PathBuf> {
        self.watched.keys().cloned().collect()
    }

    /// The notify thread still answers and the run loop still listens.
    pub fn is_alive(&self) -> bool {
        if self.closed.load(Ordering::Relaxed) {
            return false;
        }
        let mut watcher = match self.watcher.lock() {
            Ok(w) => w,
            Err(_) => return false,
        };
        // A round trip to the watcher thread: fails once it is gone.
        watcher.configure(notify::Config::default()).is_ok()
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
        assert!(interesting(&EventKind::Remove(
            notify::event::RemoveKind::Any
        )));
    }
}
