//! The config file's watch: the repositories' watcher backend (inotify on
//! Linux, `notify` elsewhere), on an instance of its own, on the config
//! file's directory. A change of the file starts a quiet period; once it
//! has passed, the file is read through the same reload as SIGHUP
//! (`Daemon::config_settled` in `reload.rs`) unless it is what the last
//! reload read. What counts as a
//! change, which directories to watch and when the preferred location
//! takes over are `config::watch`'s decisions; this is their I/O.
//!
//! Nothing wakes while nothing changes: the backend's descriptor waits in
//! the run loop's reactor and the quiet period is a deadline only while a
//! change is pending (`deadline::until`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;

use crate::config::paths::Paths;
use crate::config::watch::{self, Dir, Fingerprint};
use crate::config::Config;
use crate::daemon::gitwatch::watcher::{AddError, Backend, OpenError, Seen, Sink, Wants};

/// What the sink matches events against.
#[derive(Default)]
struct Targets {
    files: Vec<PathBuf>,
    dirs: Vec<Dir>,
}

/// The watch's state in the run loop.
pub(super) struct ConfigWatch {
    /// `None` while off (`settings.watch_config: false`) or while no
    /// inotify instance could be had.
    backend: Option<Backend>,
    targets: Arc<Mutex<Targets>>,
    /// Where the sink says that a file changed (`false`) or a directory
    /// on the way moved (`true`: set the watches again).
    tx: UnboundedSender<bool>,
    /// When the pending change has settled; `None`: none pending.
    pub settles_at: Option<Instant>,
    /// What the last reload read (`None`: no reload yet).
    pub known: Option<Option<Fingerprint>>,
}

impl ConfigWatch {
    pub(super) fn new(tx: UnboundedSender<bool>) -> ConfigWatch {
        ConfigWatch {
            backend: None,
            targets: Arc::default(),
            tx,
            settles_at: None,
            known: None,
        }
    }

    fn targets(&self) -> MutexGuard<'_, Targets> {
        self.targets.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn open(&self) -> Result<Backend, OpenError> {
        let targets = Arc::clone(&self.targets);
        let tx = self.tx.clone();
        let sink: Sink = Box::new(move |batch: &[Seen]| {
            let t = targets.lock().unwrap_or_else(|p| p.into_inner());
            let mut found = None;
            for seen in batch {
                let what = match seen {
                    Seen::Change { path, replaced } => {
                        watch::seen(path, *replaced, &t.files, &t.dirs)
                    }
                    Seen::Overflow => watch::Seen::Moved,
                    Seen::Error(e) => {
                        tracing::warn!("watching the config file: {e}");
                        watch::Seen::Moved
                    }
                };
                match what {
                    watch::Seen::Nothing => {}
                    watch::Seen::Changed => found = found.or(Some(false)),
                    watch::Seen::Moved => found = Some(true),
                }
            }
            if let Some(moved) = found {
                let _ = tx.send(moved);
            }
        });
        Backend::start(sink)
    }

    /// Makes the watch follow the config file in use and
    /// `settings.watch_config`; `again` after a directory on the way
    /// moved, so each watch is set anew.
    pub(super) fn follow(&mut self, paths: &Paths, config: &Config, again: bool) {
        let files = watch::files(paths, config.source.is_none());
        self.set(config.settings.watch_config, files, again);
    }

    /// Watches the directories of `files` (`on`), or nothing.
    fn set(&mut self, on: bool, files: Vec<PathBuf>, again: bool) {
        if !on {
            self.backend = None;
            self.settles_at = None;
            *self.targets() = Targets::default();
            return;
        }
        if !self.backend.as_ref().is_some_and(Backend::is_alive) {
            *self.targets() = Targets::default();
            match self.open() {
                Ok(b) => self.backend = Some(b),
                Err(e) => {
                    let why = match e {
                        OpenError::Limit(why) => why,
                        OpenError::Other(e) => format!("{e:#}"),
                    };
                    tracing::warn!(
                        "the config file is not watched: {why}; `devtrack reload` applies a change"
                    );
                    self.backend = None;
                    return;
                }
            }
        }
        let dirs = watch::dirs(&files, &|d: &Path| d.is_dir());
        let old = std::mem::replace(
            &mut *self.targets(),
            Targets {
                files,
                dirs: dirs.clone(),
            },
        );
        let backend = self.backend.as_ref().expect("opened above");
        for d in &old.dirs {
            if !dirs.iter().any(|n| n.path == d.path) {
                backend.remove(&d.path);
            }
        }
        for d in &dirs {
            if !again && old.dirs.contains(d) {
                continue;
            }
            let wants = if d.holds_file {
                Wants::Writes
            } else {
                Wants::Entries
            };
            match backend.add(&d.path, wants) {
                Ok(()) => {}
                // Gone since it was looked at: set the watches again.
                Err(AddError::Vanished) => {
                    let _ = self.tx.send(true);
                }
                Err(AddError::Failed(why) | AddError::Limited(_, why)) => tracing::warn!(
                    "the config file is not watched: `{}`: {why}; `devtrack reload` applies a change",
                    d.path.display()
                ),
            }
        }
    }
}
