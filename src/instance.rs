//! One daemon per user, without a PID file.
//!
//! Two POSIX record locks mark the running instance. The instance lock,
//! `devtrack.lock` in the data directory, sits next to the store it
//! protects: two daemons that would share a database always meet there,
//! whatever their `XDG_RUNTIME_DIR` says (unset in one shell, the service's
//! in another). The socket lock, `devtrack.lock` in the runtime directory,
//! keeps daemons with different data directories off one control socket.
//! The kernel drops both when the process dies, so a crash never leaves a
//! stale lock, and `F_GETLK` tells anyone the holder's PID without trusting
//! any file content.
//!
//! The instance lock's file also names the socket its holder bound, so a
//! client whose environment resolves another socket path can still find the
//! daemon ([`holder`]); the client checks the PID the daemon greets it with
//! against the lock's holder before believing it.
//!
//! The runtime directory is created private (0700, under the daemon's
//! `umask 077`, so there is no window where it is readable) and must be owned
//! by us.
//!
//! A top-level module, not part of `daemon`: the daemon takes the locks and
//! the CLI's client reads them to find the daemon, so it names nothing of
//! `daemon` or `cli`.

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{DirBuilderExt, FileExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use nix::libc;

use crate::config::paths::Paths;
use crate::exit::{Explain, Status};

/// Creates `dir` (and parents) with mode 0700 if missing, and checks that it
/// is a directory owned by us and not accessible to others.
pub(crate) fn ensure_private_dir(dir: &Path) -> Result<()> {
    match std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
    {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e).with_context(|| format!("creating `{}`", dir.display())),
    }
    let meta = std::fs::symlink_metadata(dir)
        .with_context(|| format!("inspecting `{}`", dir.display()))?;
    if !meta.is_dir() {
        bail!("`{}` is not a directory", dir.display());
    }
    let uid = nix::unistd::geteuid().as_raw();
    if meta.uid() != uid {
        bail!(
            "`{}` is owned by uid {}, not by us (uid {uid}); refusing to use it",
            dir.display(),
            meta.uid()
        );
    }
    if meta.mode() & 0o077 != 0 {
        // Our own directory with loose permissions (made by hand): tighten it.
        std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .with_context(|| format!("restricting `{}` to 0700", dir.display()))?;
    }
    Ok(())
}

/// What a running daemon holds: the instance lock and the socket lock.
/// Both are released when it is dropped (or the process dies).
pub(crate) struct Instance {
    _store: InstanceLock,
    _socket: InstanceLock,
}

/// Why `devtrack run` cannot become the instance.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ClaimError {
    #[error("devtrack is already running for this user{}; lock `{}`", who(*pid), lock.display())]
    Running { pid: Option<i32>, lock: PathBuf },
    #[error(
        "another devtrack{} with a different data directory is using the control socket `{}`; lock `{}`",
        who(*pid),
        socket.display(),
        lock.display()
    )]
    SocketTaken {
        pid: Option<i32>,
        socket: PathBuf,
        lock: PathBuf,
    },
    /// A symbolic link planted where a lock file belongs.
    #[error("lock file `{}` is a symbolic link; refusing to follow it", .0.display())]
    Symlink(PathBuf),
    #[error("{0:#}")]
    Io(anyhow::Error),
}

fn who(pid: Option<i32>) -> String {
    pid.map(|p| format!(" (PID {p})")).unwrap_or_default()
}

impl Explain for ClaimError {
    fn message(&self) -> std::borrow::Cow<'_, str> {
        std::borrow::Cow::Owned(self.to_string())
    }

    fn status(&self) -> Status {
        match self {
            ClaimError::Running { .. } | ClaimError::SocketTaken { .. } => Status::AlreadyRunning,
            ClaimError::Symlink(_) | ClaimError::Io(_) => Status::Failure,
        }
    }

    fn hint(&self) -> Option<std::borrow::Cow<'_, str>> {
        let hint = match self {
            ClaimError::Running { .. } => {
                Some("use `devtrack status`, or stop it with `devtrack stop`")
            }
            ClaimError::SocketTaken { .. } => {
                Some("stop the other one, or give this one its own XDG_RUNTIME_DIR")
            }
            ClaimError::Symlink(_) => Some("remove it; devtrack creates its lock files itself"),
            ClaimError::Io(e) => denied(e).then_some(
                "the data directory and the files in it must be writable by the user devtrack runs as",
            ),
        };
        hint.map(std::borrow::Cow::Borrowed)
    }
}

/// Whether `e` comes from a permission or a read-only file system.
fn denied(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>().is_some_and(|io| {
            io.kind() == io::ErrorKind::PermissionDenied || io.raw_os_error() == Some(libc::EROFS)
        })
    })
}

/// Takes the instance lock, then the socket lock, and records the socket
/// path in the instance lock's file for clients looking from elsewhere.
pub(crate) fn claim(paths: &Paths) -> Result<Instance, ClaimError> {
    std::fs::create_dir_all(&paths.data_dir)
        .with_context(|| format!("creating data directory `{}`", paths.data_dir.display()))
        .map_err(ClaimError::Io)?;
    let store = InstanceLock::acquire(&paths.lock).map_err(|e| match e {
        LockError::Held { pid } => ClaimError::Running {
            pid,
            lock: paths.lock.clone(),
        },
        LockError::Symlink(path) => ClaimError::Symlink(path),
        LockError::Io(e) => ClaimError::Io(e),
    })?;
    ensure_private_dir(&paths.runtime_dir)
        .context("preparing the runtime directory")
        .map_err(ClaimError::Io)?;
    let socket = InstanceLock::acquire(&paths.socket_lock).map_err(|e| match e {
        LockError::Held { pid } => ClaimError::SocketTaken {
            pid,
            socket: paths.socket.clone(),
            lock: paths.socket_lock.clone(),
        },
        LockError::Symlink(path) => ClaimError::Symlink(path),
        LockError::Io(e) => ClaimError::Io(e),
    })?;
    let absolute = std::path::absolute(&paths.socket).unwrap_or_else(|_| paths.socket.clone());
    store
        .record(absolute.as_os_str().as_bytes())
        .with_context(|| format!("writing lock file `{}`", paths.lock.display()))
        .map_err(ClaimError::Io)?;
    Ok(Instance {
        _store: store,
        _socket: socket,
    })
}

/// The daemon holding an instance lock, as another process sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Holder {
    /// Its PID, when the kernel reports one.
    pub pid: Option<i32>,
    /// The control socket it recorded (none from a daemon that records
    /// nothing, or in the moment between taking the lock and writing it).
    pub socket: Option<PathBuf>,
}

/// Who holds the instance lock at `lock`; `None` when nobody does.
pub(crate) fn holder(lock: &Path) -> io::Result<Option<Holder>> {
    let mut file = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_CLOEXEC)
        .open(lock)
    {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let Probe::Held { pid } = probe(&file)? else {
        return Ok(None);
    };
    let mut recorded = Vec::new();
    file.read_to_end(&mut recorded)?;
    Ok(Some(Holder {
        pid,
        socket: (!recorded.is_empty()).then(|| PathBuf::from(OsString::from_vec(recorded))),
    }))
}

/// Holds one record lock for as long as it lives.
struct InstanceLock {
    file: File,
}

/// Why a lock could not be taken.
#[derive(Debug)]
enum LockError {
    /// Another process holds it (its PID, when the kernel could tell).
    Held {
        pid: Option<i32>,
    },
    /// A symbolic link at the lock's path, refused rather than followed.
    Symlink(PathBuf),
    Io(anyhow::Error),
}

fn lock_request(kind: libc::c_short) -> libc::flock {
    // SAFETY: flock is a plain C struct; all-zero is a valid value.
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = kind;
    fl.l_whence = libc::SEEK_SET as libc::c_short;
    fl.l_start = 0;
    fl.l_len = 0; // the whole file
    fl
}

impl InstanceLock {
    fn acquire(path: &Path) -> Result<InstanceLock, LockError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            // A symlink planted at the path is refused, not followed: the
            // holder writes its socket path into the file.
            .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
            .open(path)
            .map_err(|e| {
                if e.raw_os_error() == Some(libc::ELOOP) {
                    LockError::Symlink(path.to_path_buf())
                } else {
                    LockError::Io(
                        anyhow::Error::new(e)
                            .context(format!("opening lock file `{}`", path.display())),
                    )
                }
            })?;
        let mut fl = lock_request(libc::F_WRLCK as libc::c_short);
        // SAFETY: valid fd and a valid flock struct.
        let rc = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETLK, &mut fl) };
        if rc == 0 {
            return Ok(InstanceLock { file });
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EACCES) | Some(libc::EAGAIN) => Err(LockError::Held {
                pid: match probe(&file) {
                    Ok(Probe::Held { pid }) => pid,
                    _ => None,
                },
            }),
            _ => Err(LockError::Io(
                anyhow::Error::new(err).context(format!("locking `{}`", path.display())),
            )),
        }
    }

    /// Replaces the file's content. Written through the locked descriptor:
    /// closing any other descriptor of the file would drop the lock.
    fn record(&self, content: &[u8]) -> io::Result<()> {
        self.file.set_len(0)?;
        self.file.write_all_at(content, 0)
    }
}

/// Whether someone else holds a lock on `file`.
enum Probe {
    Free,
    Held { pid: Option<i32> },
}

fn probe(file: &File) -> io::Result<Probe> {
    let mut fl = lock_request(libc::F_WRLCK as libc::c_short);
    // SAFETY: valid fd and a valid flock struct.
    let rc = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GETLK, &mut fl) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(if fl.l_type == libc::F_UNLCK as libc::c_short {
        Probe::Free
    } else {
        Probe::Held {
            pid: (fl.l_pid > 0).then_some(fl.l_pid),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_dir_is_created_0700() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b/devtrack");
        ensure_private_dir(&dir).unwrap();
        let mode = std::fs::metadata(&dir).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o700);
    }

    #[test]
    fn loose_permissions_are_tightened() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("rt");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        ensure_private_dir(&dir).unwrap();
        assert_eq!(std::fs::metadata(&dir).unwrap().mode() & 0o777, 0o700);
    }

    fn paths_in(root: &Path) -> Paths {
        let base = crate::config::paths::BaseDirs {
            home: root.join("home"),
            config_home: root.join("home/.config"),
            data_home: root.join("home/.local/share"),
            runtime_dir: None,
            temp_dir: root.join("tmp"),
            uid: 1000,
        };
        Paths::resolve_in(None, &base, &|_| false)
    }

    #[test]
    fn claim_takes_both_locks_and_records_the_socket() {
        let tmp = tempfile::tempdir().unwrap();
        let paths = paths_in(tmp.path());
        let instance = claim(&paths).unwrap();
        assert!(paths.socket_lock.exists());
        assert_eq!(
            std::fs::read(&paths.lock).unwrap(),
            paths.socket.as_os_str().as_bytes()
        );
        let mode = std::fs::metadata(&paths.runtime_dir).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o700);
        drop(instance);
    }

    #[test]
    fn nobody_holds_a_missing_or_unlocked_lock() {
        let tmp = tempfile::tempdir().unwrap();
        let lock = tmp.path().join("devtrack.lock");
        assert_eq!(holder(&lock).unwrap(), None);
        // Left behind by a daemon that exited: the content is not trusted.
        std::fs::write(&lock, "/run/user/1000/devtrack/control.sock").unwrap();
        assert_eq!(holder(&lock).unwrap(), None);
    }

    #[test]
    fn a_file_in_the_way_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("rt");
        std::fs::write(&path, b"").unwrap();
        assert!(ensure_private_dir(&path).is_err());
    }
}
