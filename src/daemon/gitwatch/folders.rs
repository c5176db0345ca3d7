//! Folders searched for repositories, as git watching keeps them: each
//! directory looked into is watched (before it is listed, so what appears
//! meanwhile is reported), and a change in one looks at that entry again
//! (`config::discover` decides what). The repositories found join the
//! listed ones through [`GitWatch::reconfigure`]'s path, so one cloned
//! there is armed and read like one added by a reload, and one removed is
//! dropped (its history stays in the store). A folder that the inotify
//! limit cannot hold gives its watches back, so the listed repositories
//! keep theirs, and waits for the limit like a repository does.

use std::io;
use std::path::{Path, PathBuf};

use super::watcher::{AddError, FolderChange, FsWatcher, Limit};
use super::GitWatch;
use crate::config::discover::{self, DirId, Entry, Kind, Look, Tree};
use crate::config::Folder;
use crate::protocol::FolderStatus;

/// A walk of this many directories gives the heap it freed back.
const BIG_WALK: usize = 1_000;

/// One folder searched.
pub(super) struct FolderWatch {
    pub config: Folder,
    pub tree: Tree,
    /// Why it is not searched (missing, disabled, the limit); `None` while
    /// it is.
    pub problem: Option<String>,
    /// The inotify limit that refused its watches, if one did.
    pub limit: Option<Limit>,
}

/// The file system as the walk sees it, each directory entered watched.
struct Watching<'a> {
    fs: &'a mut FsWatcher,
    /// The limit that refused a watch (the walk then goes on listing, to
    /// count what the folder needs).
    refused: Option<Limit>,
}

impl Look for Watching<'_> {
    fn watch(&mut self, path: &Path, dir: DirId) -> io::Result<()> {
        if self.refused.is_some() {
            return Ok(());
        }
        match self.fs.watch_folder_dir(path, dir) {
            Ok(()) => Ok(()),
            Err(AddError::Vanished) => Err(io::ErrorKind::NotFound.into()),
            Err(AddError::Failed(why)) => Err(io::Error::other(why)),
            Err(AddError::Limited(limit, _)) => {
                self.refused = Some(limit);
                Ok(())
            }
        }
    }

    fn list(&mut self, path: &Path) -> io::Result<Vec<Entry>> {
        discover::read_entries(path)
    }

    fn leave(&mut self, path: &Path, dir: DirId) {
        self.fs.unwatch_folder_dir(path, dir);
    }

    fn kind(&mut self, path: &Path) -> Option<Kind> {
        discover::kind_on_disk(path)
    }
}

impl FolderWatch {
    pub(super) fn new(config: Folder) -> FolderWatch {
        FolderWatch {
            tree: Tree::new(&config),
            config,
            problem: None,
            limit: None,
        }
    }

    /// Searches the whole folder again.
    pub(super) fn scan(&mut self, fs: &mut FsWatcher) -> bool {
        let mut look = Watching { fs, refused: None };
        if !self.config.enabled {
            self.tree.clear(&mut look);
            self.problem = Some("disabled".into());
            return false;
        }
        let changed = self.tree.scan(&mut look);
        self.limited(look);
        if self.tree.dirs() >= BIG_WALK {
            // Each directory's listing was freed between what is kept.
            crate::daemon::footprint::release_free();
        }
        changed
    }

    /// Looks again at the entries `changes` name in it.
    pub(super) fn rescan(&mut self, changes: &[FolderChange], fs: &mut FsWatcher) -> bool {
        if self.problem.is_some() {
            // Disabled, missing when last searched (a reload searches
            // again) or waiting for the limit (its retry does).
            return false;
        }
        let mut entries: Vec<PathBuf> = changes
            .iter()
            .filter_map(|c| match c {
                FolderChange::In { dir, name } => self.tree.entry_in(*dir, name.as_deref()),
                FolderChange::At(path) => self.tree.entry_of(path),
            })
            .collect();
        entries.sort();
        entries.dedup();
        let mut look = Watching { fs, refused: None };
        let mut changed = false;
        let mut done: Option<PathBuf> = None;
        for rel in entries {
            // Sorted: one looked at already covers those below it.
            if done.as_ref().is_some_and(|d| rel.starts_with(d)) {
                continue;
            }
            changed |= self.tree.rescan(&rel, &mut look);
            done = Some(rel);
        }
        changed | self.limited(look)
    }

    /// After a walk: when a limit refused a watch, gives back every watch
    /// (the listed repositories keep room) and says what it would need.
    /// Returns whether that dropped repositories.
    fn limited(&mut self, mut look: Watching<'_>) -> bool {
        let path = self.config.path.display().to_string();
        self.limit = look.refused;
        let Some(limit) = look.refused else {
            let missing = self.tree.dirs() == 0 && self.tree.repos().next().is_none();
            self.problem = missing.then(|| format!("`{path}` does not exist or cannot be read"));
            return false;
        };
        let needs = self.tree.dirs();
        let dropped = self.tree.repos().next().is_some();
        self.tree.clear(&mut look);
        let reason = format!(
            "searching `{path}` needs {} (one per directory down to depth {}), more than the inotify limit leaves: {}",
            crate::display::plural(needs as u64, "watch", "watches"),
            self.config.depth,
            super::watcher::limit_now(limit),
        );
        tracing::error!(folder = %path, "{reason}; its repositories are not watched, the listed ones are");
        self.problem = Some(reason);
        dropped
    }

    pub(super) fn status(&self, repositories: usize) -> FolderStatus {
        FolderStatus {
            name: self.config.name.clone(),
            path: self.config.path.display().to_string(),
            repositories,
            watches: self.tree.dirs(),
            reason: self.problem.clone(),
        }
    }
}

impl GitWatch {
    /// Searches `folders` (keeping those searched already with the same
    /// settings, which their watches keep up to date): returns whether what
    /// they offer may have changed.
    pub(super) fn set_folders(&mut self, folders: &[Folder]) -> bool {
        let mut old = std::mem::take(&mut self.folders);
        let mut next = Vec::with_capacity(folders.len());
        let mut changed = false;
        for f in folders {
            match old.iter().position(|o| o.config == *f) {
                Some(i) => next.push(old.remove(i)),
                None => {
                    next.push(FolderWatch::new(f.clone()));
                    changed = true;
                }
            }
        }
        for mut gone in old {
            changed = true;
            gone.tree.clear(&mut Watching {
                fs: &mut self.fs,
                refused: None,
            });
        }
        for f in next.iter_mut().filter(|f| f.tree.dirs() == 0) {
            changed |= f.scan(&mut self.fs);
        }
        self.folders = next;
        changed
    }

    /// Looks again at what the watcher reported changed in the folders.
    pub(super) fn rescan_folders(&mut self) -> bool {
        let changes = self.fs.take_folder_changes();
        let mut changed = false;
        for f in &mut self.folders {
            changed |= f.rescan(&changes, &mut self.fs);
        }
        changed
    }

    /// Searches again the folders that waited for an inotify limit (and,
    /// with `all`, every folder: events were lost).
    pub(super) fn rescan_all_folders(&mut self, all: bool) -> bool {
        let mut changed = false;
        for f in self.folders.iter_mut().filter(|f| all || f.limit.is_some()) {
            changed |= f.scan(&mut self.fs);
        }
        changed
    }

    /// Whether a folder waits for an inotify limit.
    pub(super) fn folder_waits_for_limit(&self) -> bool {
        self.folders.iter().any(|f| f.limit.is_some())
    }

    /// The listed repositories and those the folders offer, and which
    /// folder each found one came from.
    pub(super) fn merged(&mut self) -> Vec<crate::config::Repository> {
        let pairs: Vec<(&Folder, &Tree)> =
            self.folders.iter().map(|f| (&f.config, &f.tree)).collect();
        let (repos, from, skipped) = discover::merge(&self.listed, &pairs);
        for line in skipped {
            tracing::warn!("not watching the repository {line}");
        }
        self.found_in = from.into_iter().collect();
        repos
    }

    /// One line per folder, for `devtrack status`.
    pub fn folder_statuses(&self) -> Vec<FolderStatus> {
        (0..self.folders.len())
            .map(|i| {
                let found = self.found_in.values().filter(|&&f| f == i).count();
                self.folders[i].status(found)
            })
            .collect()
    }

    /// The inotify watches held: the repositories' and the folders'.
    pub fn watch_count(&self) -> usize {
        self.fs.watch_count() + self.folders.iter().map(|f| f.tree.dirs()).sum::<usize>()
    }
}
