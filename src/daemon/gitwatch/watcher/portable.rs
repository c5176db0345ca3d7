//! The watcher's backend where there is no inotify (macOS: FSEvents): the
//! `notify` crate behind the interface of the Linux backend. Its events
//! arrive one at a time on its own thread; each is a batch of its own.
//! On Linux it is built for its tests only, so it keeps compiling.

use std::path::Path;
use std::sync::Mutex;

use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind};
use notify::{RecommendedWatcher, RecursiveMode, Watcher};

use super::{
    limit_now, AddError, FolderChange, FolderSeen, FolderSink, Limit, OpenError, Seen, Sink, Wants,
};
use crate::config::discover::DirId;

pub(in crate::daemon) struct Backend {
    watcher: Mutex<RecommendedWatcher>,
}

impl Backend {
    pub(crate) fn start(sink: Sink) -> Result<Backend, OpenError> {
        let watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            let batch = match res {
                Ok(event) => seen(&event),
                Err(e) => vec![Seen::Error(e.to_string())],
            };
            if !batch.is_empty() {
                sink(&batch);
            }
        })
        .map_err(|e| match &e.kind {
            notify::ErrorKind::Io(io) if io.raw_os_error() == Some(nix::libc::EMFILE) => {
                OpenError::Limit(limit_now(Limit::Instances))
            }
            _ => OpenError::Other(anyhow::Error::new(e)),
        })?;
        Ok(Backend {
            watcher: Mutex::new(watcher),
        })
    }

    fn watcher(&self) -> std::sync::MutexGuard<'_, RecommendedWatcher> {
        self.watcher.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Watches `dir` (again: a replaced directory is watched anew). notify
    /// reports every kind of event, whatever is wanted.
    pub(crate) fn add(&self, dir: &Path, _wants: Wants) -> Result<(), AddError> {
        self.watcher()
            .watch(dir, RecursiveMode::NonRecursive)
            .map_err(|e| add_error(&e))
    }

    pub(crate) fn remove(&self, dir: &Path) {
        // Fails harmlessly when the directory's watch is already gone.
        let _ = self.watcher().unwatch(dir);
    }

    /// A round trip to notify's thread: fails once it is gone.
    pub(crate) fn is_alive(&self) -> bool {
        self.watcher().configure(notify::Config::default()).is_ok()
    }
}

/// The folders' backend: the same, its changes by path.
pub(in crate::daemon) struct FolderBackend(Backend);

impl FolderBackend {
    pub(crate) fn start(sink: FolderSink) -> Result<FolderBackend, OpenError> {
        Backend::start(Box::new(move |batch: &[Seen]| {
            let out: Vec<FolderSeen> = batch
                .iter()
                .map(|seen| match seen {
                    Seen::Change { path, .. } => FolderSeen::Change(FolderChange::At(path.clone())),
                    Seen::Overflow => FolderSeen::Overflow,
                    Seen::Error(message) => FolderSeen::Error(message.clone()),
                })
                .collect();
            sink(&out);
        }))
        .map(FolderBackend)
    }

    pub(crate) fn add(&self, path: &Path, _dir: DirId) -> Result<(), AddError> {
        self.0.add(path, Wants::Entries)
    }

    pub(crate) fn remove(&self, path: &Path, _dir: DirId) {
        self.0.remove(path);
    }

    pub(crate) fn is_alive(&self) -> bool {
        self.0.is_alive()
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

/// Why a watch was not added. notify's own text for the limit ("OS file
/// watch limit reached.") names neither the sysctl nor the remedy.
fn add_error(e: &notify::Error) -> AddError {
    if vanished(e) {
        AddError::Vanished
    } else if matches!(e.kind, notify::ErrorKind::MaxFilesWatch) {
        AddError::Limited(Limit::Watches, limit_now(Limit::Watches))
    } else {
        AddError::Failed(e.to_string())
    }
}

/// One notify event in the watcher's terms.
fn seen(event: &notify::Event) -> Vec<Seen> {
    if event.need_rescan() {
        return vec![Seen::Overflow];
    }
    if !interesting(&event.kind) {
        return Vec::new();
    }
    let replaced = replaces_dir(&event.kind);
    event
        .paths
        .iter()
        .map(|path| Seen::Change {
            path: path.clone(),
            replaced,
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

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
        let full = notify::Error::new(notify::ErrorKind::MaxFilesWatch);
        assert!(matches!(
            add_error(&full),
            AddError::Limited(Limit::Watches, m) if m.contains("`fs.inotify.max_user_watches`")
        ));
    }

    #[test]
    fn events_become_changes_of_their_paths() {
        use notify::event::{CreateKind, DataChange};
        let change = |path: &str, replaced| {
            vec![Seen::Change {
                path: path.into(),
                replaced,
            }]
        };
        let table = [
            (
                EventKind::Create(CreateKind::Folder),
                "/r/.git/logs",
                change("/r/.git/logs", true),
            ),
            (
                EventKind::Modify(ModifyKind::Data(DataChange::Any)),
                "/r/.git/logs/HEAD",
                change("/r/.git/logs/HEAD", false),
            ),
            (
                EventKind::Access(AccessKind::Open(AccessMode::Any)),
                "/r/.git/logs/HEAD",
                vec![],
            ),
        ];
        for (kind, path, want) in table {
            let event = notify::Event::new(kind).add_path(path.into());
            assert_eq!(seen(&event), want, "{kind:?}");
        }
        let lost = notify::Event::new(EventKind::Other).set_flag(notify::event::Flag::Rescan);
        assert_eq!(seen(&lost), vec![Seen::Overflow]);
    }

    /// The backend itself, on whatever notify picks here.
    #[test]
    fn a_write_in_a_watched_directory_is_handed_over() {
        let dir = tempfile::tempdir().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<Vec<Seen>>();
        let tx = Mutex::new(tx);
        let backend = Backend::start(Box::new(move |batch: &[Seen]| {
            let _ = tx.lock().unwrap().send(batch.to_vec());
        }))
        .unwrap();
        assert!(backend.is_alive());
        assert_eq!(
            backend.add(&dir.path().join("missing"), Wants::Writes),
            Err(AddError::Vanished)
        );
        backend.add(dir.path(), Wants::Writes).unwrap();
        let file = dir.path().join("HEAD");
        std::fs::write(&file, "x\n").unwrap();
        let want = Seen::Change {
            path: file,
            replaced: false,
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let batch = rx.recv_timeout(left).expect("no event for the write");
            if batch.contains(&want) {
                break;
            }
        }
        backend.remove(dir.path());
    }

    #[test]
    fn a_folder_directory_reports_by_path() {
        let dir = tempfile::tempdir().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<Vec<FolderSeen>>();
        let tx = Mutex::new(tx);
        let backend = FolderBackend::start(Box::new(move |batch: &[FolderSeen]| {
            let _ = tx.lock().unwrap().send(batch.to_vec());
        }))
        .unwrap();
        assert!(backend.is_alive());
        backend.add(dir.path(), 7).unwrap();
        let clone = dir.path().join("new");
        std::fs::create_dir(&clone).unwrap();
        let want = FolderSeen::Change(FolderChange::At(clone));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let batch = rx
                .recv_timeout(left)
                .expect("no event for the new directory");
            if batch.contains(&want) {
                break;
            }
        }
        backend.remove(dir.path(), 7);
    }
}
