//! One daemon per user, without a PID file.
//!
//! The runtime directory is created private (0700, under the daemon's
//! `umask 077`, so there is no window where it is readable) and must be owned
//! by us. A POSIX record lock on `devtrack.lock` inside it marks the running
//! instance: the kernel drops it when the process dies, so a crash never
//! leaves a stale lock, and `F_GETLK` tells a second instance the holder's
//! PID without trusting any file content.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

use anyhow::{bail, Context, Result};
use nix::libc;

/// Creates `dir` (and parents) with mode 0700 if missing, and checks that it
/// is a directory owned by us and not accessible to others.
pub fn ensure_private_dir(dir: &Path) -> Result<()> {
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

/// Holds the instance lock for as long as it lives.
pub struct InstanceLock {
    _file: File,
}

/// Why the lock could not be taken.
#[derive(Debug)]
pub enum LockError {
    /// Another process holds it (its PID, when the kernel could tell).
    Held {
        pid: Option<i32>,
    },
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
    pub fn acquire(path: &Path) -> Result<InstanceLock, LockError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_CLOEXEC)
            .open(path)
            .with_context(|| format!("opening lock file `{}`", path.display()))
            .map_err(LockError::Io)?;
        let mut fl = lock_request(libc::F_WRLCK as libc::c_short);
        // SAFETY: valid fd and a valid flock struct.
        let rc = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETLK, &mut fl) };
        if rc == 0 {
            return Ok(InstanceLock { _file: file });
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EACCES) | Some(libc::EAGAIN) => Err(LockError::Held {
                pid: holder_pid(&file),
            }),
            _ => Err(LockError::Io(
                anyhow::Error::new(err).context(format!("locking `{}`", path.display())),
            )),
        }
    }
}

fn holder_pid(file: &File) -> Option<i32> {
    let mut fl = lock_request(libc::F_WRLCK as libc::c_short);
    // SAFETY: valid fd and a valid flock struct.
    let rc = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GETLK, &mut fl) };
    (rc == 0 && fl.l_type != libc::F_UNLCK as libc::c_short && fl.l_pid > 0).then_some(fl.l_pid)
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

    #[test]
    fn a_file_in_the_way_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("rt");
        std::fs::write(&path, b"").unwrap();
        assert!(ensure_private_dir(&path).is_err());
    }
}
