//! The watcher's backend on Linux: one inotify instance, read by a task on
//! the run loop's own runtime.
//!
//! The kernel is asked only for what can change a reflog or the layout
//! ([`mask`]), so reading files in a watched git directory (git, the
//! daemon's own reads, a shell prompt's `git status`) wakes nothing:
//! - git and libgit2 append a reflog line by opening `logs/HEAD` with
//!   `O_APPEND`, writing it and closing it: `IN_CLOSE_WRITE`, once the line
//!   is complete (`IN_MODIFY` would come for every `write`, the index's
//!   pieces included), asked for only where files are written in place
//!   that matter ([`Wants`]: `logs/`, a missing repository's ancestor);
//! - rewrites (`git gc`, `git reflog expire`) and changes of `HEAD`,
//!   `config` and refs write `<name>.lock` and rename it over the file:
//!   `IN_MOVED_TO`;
//! - entries appearing or going (`logs/`, `worktrees/<name>`, a clone in a
//!   missing repository's parent): `IN_CREATE`, `IN_DELETE`,
//!   `IN_MOVED_FROM`, `IN_MOVED_TO`;
//! - permissions changed (a repository made unreadable, or readable
//!   again): `IN_ATTRIB`; git changes none for a commit;
//! - the watched directory itself removed or moved: `IN_DELETE_SELF`,
//!   `IN_MOVE_SELF`; the kernel adds `IN_IGNORED` (the watch is gone),
//!   `IN_UNMOUNT` and `IN_Q_OVERFLOW` unasked.
//!
//! The descriptor is non-blocking and registered with tokio (`AsyncFd`):
//! a wake-up is one turn of the run loop, with no thread of its own to
//! switch to and no hand-over between threads, and everything read until
//! the queue is empty is one batch. The kernel gives the same watch to
//! every path of one directory, so a watch maps to a list of paths.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::ffi::OsStr;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use anyhow::Context;
use nix::errno::Errno;
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify, InotifyEvent, WatchDescriptor};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::task::JoinHandle;

use super::{
    limit_now, AddError, FolderChange, FolderSeen, FolderSink, Limit, OpenError, Seen, Sink, Wants,
};
use crate::config::discover::DirId;

/// Entries created, removed or renamed, and the watched directory itself
/// removed or moved: what every watch asks for.
const ENTRIES: AddWatchFlags = AddWatchFlags::IN_CREATE
    .union(AddWatchFlags::IN_DELETE)
    .union(AddWatchFlags::IN_MOVED_FROM)
    .union(AddWatchFlags::IN_MOVED_TO)
    .union(AddWatchFlags::IN_DELETE_SELF)
    .union(AddWatchFlags::IN_MOVE_SELF);

/// The mask for a watch that wants `wants` (see the module's comment):
/// [`ENTRIES`], with `IN_CLOSE_WRITE` where [`Wants::Writes`].
/// `IN_MASK_ADD`: a directory watched under two paths (one inode, one
/// watch) gets what both want.
pub(crate) fn mask(wants: Wants) -> AddWatchFlags {
    // nix names no `IN_MASK_ADD`.
    let always = ENTRIES
        | AddWatchFlags::IN_ATTRIB
        | AddWatchFlags::IN_ONLYDIR
        | AddWatchFlags::from_bits_retain(nix::libc::IN_MASK_ADD);
    match wants {
        Wants::Entries => always,
        Wants::Writes => always | AddWatchFlags::IN_CLOSE_WRITE,
    }
}

/// Events after which the path may name another directory, or none: the
/// entry events, and the kernel's own notice that the watch is gone.
const REPLACING: AddWatchFlags = ENTRIES
    .union(AddWatchFlags::IN_IGNORED)
    .union(AddWatchFlags::IN_UNMOUNT);

/// One event on a directory watched as `dir`, in the watcher's terms.
pub(crate) fn seen(mask: AddWatchFlags, dir: &Path, name: Option<&OsStr>) -> Option<Seen> {
    if mask.contains(AddWatchFlags::IN_Q_OVERFLOW) {
        return Some(Seen::Overflow);
    }
    let replaced = mask.intersects(REPLACING);
    let written = AddWatchFlags::IN_CLOSE_WRITE | AddWatchFlags::IN_ATTRIB;
    if !replaced && !mask.intersects(written) {
        return None;
    }
    let path = match name {
        Some(name) if !name.is_empty() => dir.join(name),
        _ => dir.to_path_buf(),
    };
    Some(Seen::Change { path, replaced })
}

/// What each watch stands for: nearly always one thing, kept in `one`;
/// a directory reached by another path too has the others in `more` (a
/// searched folder may have 50,000 watches: no list each).
struct ByWatch<T> {
    one: HashMap<WatchDescriptor, T>,
    more: HashMap<WatchDescriptor, Vec<T>>,
}

impl<T> Default for ByWatch<T> {
    fn default() -> Self {
        ByWatch {
            one: HashMap::new(),
            more: HashMap::new(),
        }
    }
}

impl<T: Clone> ByWatch<T> {
    /// `item` stands for `wd` too.
    fn insert(&mut self, wd: WatchDescriptor, item: T) {
        match self.one.entry(wd) {
            Entry::Vacant(v) => {
                v.insert(item);
            }
            Entry::Occupied(_) => self.more.entry(wd).or_default().push(item),
        }
    }

    /// `item` no longer stands for `wd`; returns whether nothing does now
    /// (the watch is to be removed).
    fn remove<Q: ?Sized + PartialEq>(&mut self, wd: WatchDescriptor, item: &Q) -> bool
    where
        T: std::borrow::Borrow<Q>,
    {
        let Some(others) = self.more.get_mut(&wd) else {
            self.one.remove(&wd);
            return true;
        };
        match others.iter().position(|d| d.borrow() == item) {
            Some(i) => {
                others.swap_remove(i);
            }
            // It was the first: another takes its place.
            None => {
                if let Some(next) = others.pop() {
                    self.one.insert(wd, next);
                }
            }
        }
        if others.is_empty() {
            self.more.remove(&wd);
        }
        false
    }

    /// Everything `wd` stands for.
    fn all(&self, wd: WatchDescriptor) -> impl Iterator<Item = &T> {
        self.one
            .get(&wd)
            .into_iter()
            .chain(self.more.get(&wd).into_iter().flatten())
    }

    /// The kernel dropped `wd`: what it stood for.
    fn forget(&mut self, wd: WatchDescriptor) -> Vec<T> {
        let all: Vec<T> = self.all(wd).cloned().collect();
        self.one.remove(&wd);
        self.more.remove(&wd);
        all
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.one.is_empty() && self.more.is_empty()
    }
}

/// Which paths each watch stands for, and the other way round (one copy
/// of each path, shared).
#[derive(Default)]
struct Watches {
    paths: ByWatch<Arc<Path>>,
    of: HashMap<Arc<Path>, WatchDescriptor>,
}

impl Watches {
    /// `dir` is watched by `wd` now; returns the watch it had before when
    /// no other path uses that one any more (to be removed).
    fn link(&mut self, dir: &Path, wd: WatchDescriptor) -> Option<WatchDescriptor> {
        let unused = self.unlink(dir).filter(|old| *old != wd);
        let dir: Arc<Path> = Arc::from(dir);
        self.of.insert(Arc::clone(&dir), wd);
        self.paths.insert(wd, dir);
        unused
    }

    /// `dir` is not watched any more; returns its watch when no other path
    /// uses it (to be removed).
    fn unlink(&mut self, dir: &Path) -> Option<WatchDescriptor> {
        let wd = self.of.remove(dir)?;
        self.paths.remove(wd, dir).then_some(wd)
    }

    /// Every path `wd` stands for.
    fn all(&self, wd: WatchDescriptor) -> impl Iterator<Item = &Arc<Path>> {
        self.paths.all(wd)
    }

    /// The kernel dropped `wd`: the paths it stood for.
    fn forget(&mut self, wd: WatchDescriptor) -> Vec<PathBuf> {
        let dirs: Vec<PathBuf> = self
            .paths
            .forget(wd)
            .iter()
            .map(|d| d.to_path_buf())
            .collect();
        for d in &dirs {
            self.of.remove(d.as_path());
        }
        dirs
    }

    /// Adds to `batch` what `events` mean.
    fn translate(&mut self, events: &[InotifyEvent], batch: &mut Vec<Seen>) {
        for ev in events {
            if ev.mask.contains(AddWatchFlags::IN_Q_OVERFLOW) {
                batch.push(Seen::Overflow);
                continue;
            }
            let name = ev.name.as_deref();
            if ev.mask.contains(AddWatchFlags::IN_IGNORED) {
                for dir in self.forget(ev.wd) {
                    batch.extend(seen(ev.mask, &dir, name));
                }
            } else {
                for dir in self.all(ev.wd) {
                    batch.extend(seen(ev.mask, dir, name));
                }
            }
        }
    }
}

/// The instance, as tokio registers descriptors.
struct Instance(Inotify);

impl AsRawFd for Instance {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

pub(in crate::daemon) struct Backend(Reader<Watches>);

impl Backend {
    /// Opens the inotify instance and starts reading it on the current
    /// tokio runtime.
    pub(crate) fn start(sink: Sink) -> Result<Backend, OpenError> {
        Reader::start(sink).map(Backend)
    }

    /// Watches `dir` (again: a replaced directory gets its new watch, and
    /// the old one, left on the directory that moved away, is removed).
    pub(crate) fn add(&self, dir: &Path, wants: Wants) -> Result<(), AddError> {
        // Held while adding, so no event of the new watch is read before
        // its path is known.
        let mut watches = self.0.state();
        let inotify = self.0.inotify();
        match inotify.add_watch(dir, mask(wants)) {
            Ok(wd) => {
                self.0.rm_watch(watches.link(dir, wd));
                Ok(())
            }
            Err(e) => {
                self.0.rm_watch(watches.unlink(dir));
                Err(add_error(e))
            }
        }
    }

    pub(crate) fn remove(&self, dir: &Path) {
        let wd = self.0.state().unlink(dir);
        self.0.rm_watch(wd);
    }

    /// The reader task still runs.
    pub(crate) fn is_alive(&self) -> bool {
        self.0.is_alive()
    }
}

/// What a reader keeps to make sense of the events it reads: the paths
/// of the watches ([`Watches`]) or the directories of the folders
/// ([`FolderDirs`]).
trait Translate: Send + 'static {
    type Out: Send + 'static;
    /// Adds to `batch` what `events` mean.
    fn translate(&mut self, events: &[InotifyEvent], batch: &mut Vec<Self::Out>);
    /// Reading failed.
    fn error(message: String) -> Self::Out;
}

impl Translate for Watches {
    type Out = Seen;
    fn translate(&mut self, events: &[InotifyEvent], batch: &mut Vec<Seen>) {
        Watches::translate(self, events, batch);
    }
    fn error(message: String) -> Seen {
        Seen::Error(message)
    }
}

/// Where a reader hands its batches.
type SinkOf<T> = Box<dyn Fn(&[<T as Translate>::Out]) + Send + Sync>;

/// An instance, its translation state, and the task reading it.
struct Reader<T> {
    fd: Arc<AsyncFd<Instance>>,
    state: Arc<Mutex<T>>,
    task: JoinHandle<()>,
}

impl<T: Translate + Default> Reader<T> {
    /// Opens an inotify instance and starts reading it on the current
    /// tokio runtime.
    fn start(sink: SinkOf<T>) -> Result<Reader<T>, OpenError> {
        tokio::runtime::Handle::try_current()
            .context("the file-system watcher runs on a tokio runtime")
            .map_err(OpenError::Other)?;
        let inotify =
            Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC).map_err(init_error)?;
        // SAFETY: the descriptor is owned by `Instance`, which the AsyncFd
        // owns for its whole life, so it stays open and the same.
        let fd = unsafe { AsyncFd::register_with_interest(Instance(inotify), Interest::READABLE) }
            .map_err(std::io::Error::from)
            .context("registering the inotify descriptor")
            .map_err(OpenError::Other)?;
        let fd = Arc::new(fd);
        let state: Arc<Mutex<T>> = Arc::default();
        let task = tokio::spawn(read_events(Arc::clone(&fd), Arc::clone(&state), sink));
        Ok(Reader { fd, state, task })
    }

    fn state(&self) -> MutexGuard<'_, T> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn inotify(&self) -> &Inotify {
        &self.fd.get_ref().0
    }

    /// Removes `wd`, when there is one to remove.
    fn rm_watch(&self, wd: Option<WatchDescriptor>) {
        if let Some(wd) = wd {
            // Fails harmlessly when the kernel dropped it already.
            let _ = self.inotify().rm_watch(wd);
        }
    }

    /// The reader task still runs.
    fn is_alive(&self) -> bool {
        !self.task.is_finished()
    }
}

impl<T> Drop for Reader<T> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads until the queue is empty, hands that over as one batch, waits.
/// Ends on an error reading (after handing it over).
async fn read_events<T: Translate>(
    fd: Arc<AsyncFd<Instance>>,
    state: Arc<Mutex<T>>,
    sink: SinkOf<T>,
) {
    let mut batch = Vec::new();
    loop {
        let mut ready = match fd.readable().await {
            Ok(ready) => ready,
            Err(e) => {
                sink(&[T::error(format!("waiting for inotify events: {e}"))]);
                return;
            }
        };
        loop {
            match ready.try_io(|fd| fd.get_ref().0.read_events().map_err(std::io::Error::from)) {
                Ok(Ok(events)) => state
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .translate(&events, &mut batch),
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Ok(Err(e)) => {
                    batch.push(T::error(format!("reading inotify events: {e}")));
                    sink(&batch);
                    return;
                }
                // Empty: the readiness is cleared.
                Err(_would_block) => break,
            }
        }
        if !batch.is_empty() {
            sink(&batch);
            batch.clear();
        }
    }
}

/// Which directory of the folders each watch is: a folder may have
/// 50,000, so no path is kept, only the number its tree gives the
/// directory ([`DirId`]), both ways.
#[derive(Default)]
struct FolderDirs {
    dirs: ByWatch<DirId>,
    /// By [`DirId`].
    wd_of: Vec<Option<WatchDescriptor>>,
}

impl FolderDirs {
    /// `dir` is watched by `wd` now; returns the watch it had before when
    /// no other directory uses that one any more (to be removed).
    fn link(&mut self, dir: DirId, wd: WatchDescriptor) -> Option<WatchDescriptor> {
        let unused = self.unlink(dir).filter(|old| *old != wd);
        let i = dir as usize;
        if self.wd_of.len() <= i {
            self.wd_of.resize(i + 1, None);
        }
        self.wd_of[i] = Some(wd);
        self.dirs.insert(wd, dir);
        unused
    }

    /// `dir` is not watched any more; returns its watch when no other
    /// directory uses it (to be removed).
    fn unlink(&mut self, dir: DirId) -> Option<WatchDescriptor> {
        let wd = self.wd_of.get_mut(dir as usize)?.take()?;
        self.dirs.remove(wd, &dir).then_some(wd)
    }

    /// The kernel dropped `wd`: the directories it was.
    fn forget(&mut self, wd: WatchDescriptor) -> Vec<DirId> {
        let dirs = self.dirs.forget(wd);
        for &d in &dirs {
            self.wd_of[d as usize] = None;
        }
        dirs
    }
}

impl Translate for FolderDirs {
    type Out = FolderSeen;

    fn translate(&mut self, events: &[InotifyEvent], batch: &mut Vec<FolderSeen>) {
        for ev in events {
            if ev.mask.contains(AddWatchFlags::IN_Q_OVERFLOW) {
                batch.push(FolderSeen::Overflow);
                continue;
            }
            if !ev.mask.intersects(REPLACING | AddWatchFlags::IN_ATTRIB) {
                continue;
            }
            let name = ev.name.clone().filter(|n| !n.is_empty());
            let dirs = if ev.mask.contains(AddWatchFlags::IN_IGNORED) {
                self.forget(ev.wd)
            } else {
                self.dirs.all(ev.wd).copied().collect()
            };
            for dir in dirs {
                batch.push(FolderSeen::Change(FolderChange::In {
                    dir,
                    name: name.clone(),
                }));
            }
        }
    }

    fn error(message: String) -> FolderSeen {
        FolderSeen::Error(message)
    }
}

/// The folders' own instance: its events name the directory by the
/// number the folder's tree gave it.
pub(in crate::daemon) struct FolderBackend(Reader<FolderDirs>);

impl FolderBackend {
    pub(crate) fn start(sink: FolderSink) -> Result<FolderBackend, OpenError> {
        Reader::start(sink).map(FolderBackend)
    }

    /// Watches `path`, the folder's directory `dir`.
    pub(crate) fn add(&self, path: &Path, dir: DirId) -> Result<(), AddError> {
        // Held while adding, so no event of the new watch is read before
        // its directory is known.
        let mut dirs = self.0.state();
        match self.0.inotify().add_watch(path, mask(Wants::Entries)) {
            Ok(wd) => {
                self.0.rm_watch(dirs.link(dir, wd));
                Ok(())
            }
            Err(e) => Err(add_error(e)),
        }
    }

    pub(crate) fn remove(&self, _path: &Path, dir: DirId) {
        let wd = self.0.state().unlink(dir);
        self.0.rm_watch(wd);
    }

    /// The reader task still runs.
    pub(crate) fn is_alive(&self) -> bool {
        self.0.is_alive()
    }
}

/// Why no watch could be added.
fn add_error(e: Errno) -> AddError {
    match e {
        // Gone since it was probed, or no directory any more.
        Errno::ENOENT | Errno::ENOTDIR => AddError::Vanished,
        Errno::ENOSPC => AddError::Limited(Limit::Watches, limit_now(Limit::Watches)),
        e => AddError::Failed(std::io::Error::from(e).to_string()),
    }
}

/// Why no inotify instance could be created.
fn init_error(e: Errno) -> OpenError {
    match e {
        // The user's instances (or the process's open files).
        Errno::EMFILE => OpenError::Limit(limit_now(Limit::Instances)),
        e => OpenError::Other(anyhow::anyhow!(
            "creating an inotify instance: {}",
            std::io::Error::from(e)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_each_event_means() {
        use AddWatchFlags as F;
        let dir = Path::new("/r/.git/logs");
        let head = Some(OsStr::new("HEAD"));
        let change = |path: &str, replaced| {
            Some(Seen::Change {
                path: path.into(),
                replaced,
            })
        };
        let logs = change("/r/.git/logs", true);
        let table = [
            (F::IN_CLOSE_WRITE, head, change("/r/.git/logs/HEAD", false)),
            (F::IN_ATTRIB, head, change("/r/.git/logs/HEAD", false)),
            (
                F::IN_ATTRIB | F::IN_ISDIR,
                None,
                change("/r/.git/logs", false),
            ),
            (F::IN_MOVED_TO, head, change("/r/.git/logs/HEAD", true)),
            (F::IN_CREATE, head, change("/r/.git/logs/HEAD", true)),
            (F::IN_DELETE, head, change("/r/.git/logs/HEAD", true)),
            (F::IN_MOVED_FROM, head, change("/r/.git/logs/HEAD", true)),
            (
                F::IN_CREATE | F::IN_ISDIR,
                Some(OsStr::new("refs")),
                change("/r/.git/logs/refs", true),
            ),
            (F::IN_DELETE_SELF, None, logs.clone()),
            (F::IN_MOVE_SELF, None, logs.clone()),
            (F::IN_IGNORED, None, logs.clone()),
            (F::IN_UNMOUNT, None, logs),
            (F::IN_Q_OVERFLOW, None, Some(Seen::Overflow)),
            // Never asked for; dropped should a kernel send them.
            (F::IN_OPEN, head, None),
            (F::IN_MODIFY, head, None),
            (F::IN_CLOSE_NOWRITE, head, None),
        ];
        for (mask, name, want) in table {
            assert_eq!(seen(mask, dir, name), want, "{mask:?}");
        }
    }

    #[test]
    fn the_mask_asks_for_no_reads() {
        for read in [
            AddWatchFlags::IN_OPEN,
            AddWatchFlags::IN_ACCESS,
            AddWatchFlags::IN_CLOSE_NOWRITE,
            AddWatchFlags::IN_MODIFY,
        ] {
            assert!(!mask(Wants::Writes).intersects(read), "{read:?}");
        }
        assert!(mask(Wants::Writes).contains(AddWatchFlags::IN_CLOSE_WRITE));
        assert!(!mask(Wants::Entries).contains(AddWatchFlags::IN_CLOSE_WRITE));
    }

    #[test]
    fn limits_name_their_setting() {
        assert!(matches!(
            add_error(Errno::ENOSPC),
            AddError::Limited(Limit::Watches, m) if m.contains("`fs.inotify.max_user_watches`")
        ));
        assert!(matches!(
            init_error(Errno::EMFILE),
            OpenError::Limit(m) if m.contains("`fs.inotify.max_user_instances`")
        ));
        assert!(matches!(init_error(Errno::ENOMEM), OpenError::Other(_)));
        assert_eq!(add_error(Errno::ENOENT), AddError::Vanished);
        assert_eq!(add_error(Errno::ENOTDIR), AddError::Vanished);
    }

    fn append(path: &Path) {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
        f.write_all(b"line\n").unwrap();
    }

    async fn next(rx: &mut tokio::sync::mpsc::UnboundedReceiver<Vec<Seen>>) -> Vec<Seen> {
        tokio::time::timeout(std::time::Duration::from_secs(30), rx.recv())
            .await
            .expect("no batch within 30 s")
            .expect("the reader stopped")
    }

    #[tokio::test]
    async fn reads_wake_nothing_and_a_replaced_directory_is_watched_anew() {
        let tmp = tempfile::tempdir().unwrap();
        let logs = tmp.path().join("logs");
        let head = logs.join("HEAD");
        std::fs::create_dir(&logs).unwrap();
        std::fs::write(&head, "old\n").unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Vec<Seen>>();
        let backend = Backend::start(Box::new(move |batch: &[Seen]| {
            let _ = tx.send(batch.to_vec());
        }))
        .unwrap();
        backend.add(&logs, Wants::Writes).unwrap();
        let gitdir = tmp.path().join("git");
        std::fs::create_dir(&gitdir).unwrap();
        backend.add(&gitdir, Wants::Entries).unwrap();
        let written = Seen::Change {
            path: head.clone(),
            replaced: false,
        };

        // Read, then appended as git appends: only the append is seen
        // (the reader runs only once this test waits, so both are queued).
        std::fs::read(&head).unwrap();
        append(&head);
        assert_eq!(next(&mut rx).await, vec![written.clone()]);

        // Where only entries are wanted, a file written whole is seen once,
        // created.
        std::fs::write(gitdir.join("index.lock"), "x").unwrap();
        assert_eq!(
            next(&mut rx).await,
            vec![Seen::Change {
                path: gitdir.join("index.lock"),
                replaced: true
            }]
        );

        // Moved away and made anew under its name.
        let moved = tmp.path().join("logs.old");
        std::fs::rename(&logs, &moved).unwrap();
        std::fs::create_dir(&logs).unwrap();
        std::fs::write(&head, "").unwrap();
        assert_eq!(
            next(&mut rx).await,
            vec![Seen::Change {
                path: logs.clone(),
                replaced: true
            }]
        );
        backend.add(&logs, Wants::Writes).unwrap();
        // The old watch went with the moved directory and is removed.
        append(&moved.join("HEAD"));
        append(&head);
        assert_eq!(next(&mut rx).await, vec![written]);

        // Removed: the watch is gone, and says so.
        std::fs::remove_file(&head).unwrap();
        std::fs::remove_dir(&logs).unwrap();
        let mut seen_all = Vec::new();
        while !seen_all.contains(&Seen::Change {
            path: logs.clone(),
            replaced: true,
        }) {
            seen_all.extend(next(&mut rx).await);
        }
        assert!(backend.is_alive());
        assert_eq!(backend.add(&logs, Wants::Writes), Err(AddError::Vanished));
    }

    #[test]
    fn a_watch_keeps_each_of_its_paths_once() {
        let (a, b, c) = (Path::new("/a"), Path::new("/b"), Path::new("/c"));
        // Two watch descriptors (nix makes them only through the kernel).
        let dir = tempfile::tempdir().unwrap();
        let inotify = Inotify::init(InitFlags::IN_CLOEXEC).unwrap();
        let one = inotify.add_watch(dir.path(), mask(Wants::Entries)).unwrap();
        let two = inotify
            .add_watch(Path::new("/"), mask(Wants::Entries))
            .unwrap();
        let mut w = Watches::default();
        assert_eq!(w.link(a, one), None);
        assert_eq!(w.link(b, one), None, "the same directory by another path");
        assert_eq!(w.link(c, two), None);
        let paths = |w: &Watches, wd| -> Vec<PathBuf> {
            let mut v: Vec<PathBuf> = w.all(wd).map(|d| d.to_path_buf()).collect();
            v.sort();
            v
        };
        assert_eq!(paths(&w, one), [a, b]);
        // The first path goes: the other stands for the watch.
        assert_eq!(w.unlink(a), None);
        assert_eq!(paths(&w, one), [b]);
        assert_eq!(w.unlink(b), Some(one), "unused now: to be removed");
        assert_eq!(paths(&w, one), Vec::<PathBuf>::new());
        // `c` moved to another watch: the old one is unused.
        assert_eq!(w.link(c, one), Some(two));
        assert_eq!(w.forget(one), [c]);
        assert!(w.paths.is_empty() && w.of.is_empty());
    }

    #[test]
    fn a_folder_watch_is_its_directories() {
        let tmp = tempfile::tempdir().unwrap();
        let inotify = Inotify::init(InitFlags::IN_CLOEXEC).unwrap();
        let one = inotify.add_watch(tmp.path(), mask(Wants::Entries)).unwrap();
        let two = inotify
            .add_watch(Path::new("/"), mask(Wants::Entries))
            .unwrap();
        let mut d = FolderDirs::default();
        assert_eq!(d.link(3, one), None);
        assert_eq!(d.link(5, one), None, "the same directory by another path");
        assert_eq!(d.link(0, two), None);
        let event = |wd, mask, name: Option<&str>| InotifyEvent {
            wd,
            mask,
            cookie: 0,
            name: name.map(std::ffi::OsString::from),
        };
        let change = |dir, name: Option<&str>| {
            FolderSeen::Change(FolderChange::In {
                dir,
                name: name.map(std::ffi::OsString::from),
            })
        };
        use AddWatchFlags as F;
        let table = [
            (
                event(two, F::IN_CREATE | F::IN_ISDIR, Some("new")),
                vec![change(0, Some("new"))],
            ),
            (
                event(one, F::IN_MOVED_TO, Some("x")),
                vec![change(3, Some("x")), change(5, Some("x"))],
            ),
            (
                event(two, F::IN_ATTRIB | F::IN_ISDIR, Some("")),
                vec![change(0, None)],
            ),
            (event(two, F::IN_OPEN, Some("x")), vec![]),
            (
                event(two, F::IN_Q_OVERFLOW, None),
                vec![FolderSeen::Overflow],
            ),
        ];
        for (ev, want) in table {
            let mut batch = Vec::new();
            d.translate(std::slice::from_ref(&ev), &mut batch);
            assert_eq!(batch, want, "{:?}", ev.mask);
        }
        // The first of two directories goes: the other keeps the watch.
        assert_eq!(d.unlink(3), None);
        assert_eq!(d.dirs.all(one).collect::<Vec<_>>(), [&5]);
        assert_eq!(d.unlink(5), Some(one), "unused now: to be removed");
        assert_eq!(d.unlink(5), None);
        // The kernel drops a watch.
        let mut batch = Vec::new();
        d.translate(&[event(two, F::IN_IGNORED, None)], &mut batch);
        assert_eq!(batch, [change(0, None)]);
        assert_eq!(d.unlink(0), None, "nothing left to remove");
        assert!(d.dirs.is_empty());
    }
}
