//! Waiting, without polling, for a Unix socket to be created: the session
//! bus's (the desktop channel, before the first login) and devtrack's own
//! control socket (`devtrack events --follow` across daemon restarts). An
//! inotify watch (one instance, only while waiting) on the socket's
//! directory, or on its nearest existing ancestor when the directory itself
//! is missing (`/run/user/1000` before the first login), moving down as the
//! directories appear. A shared leaf: it names no other module.

use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

struct Watch(Inotify);

impl AsRawFd for Watch {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

/// Which file a path names, to tell a socket created anew from the one
/// that was there: device and inode, and the inode's change time, since a
/// socket unlinked and bound again at once often gets the same inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileId {
    dev: u64,
    ino: u64,
    changed: (i64, i64),
}

/// The file at `path` now, if any.
pub fn file_id(path: &Path) -> Option<FileId> {
    std::fs::symlink_metadata(path).ok().map(|m| FileId {
        dev: m.dev(),
        ino: m.ino(),
        changed: (m.ctime(), m.ctime_nsec()),
    })
}

/// Returns once `socket` is created after the call (or, when it is missing
/// at the call, once it exists). An error: the watch could not be set up.
pub async fn created(socket: &Path) -> io::Result<()> {
    created_since(socket, file_id(socket)).await
}

/// Returns once `socket` names another file than `seen` (`None`: none was
/// there): at once when it already does, else when one is created. For a
/// caller that saw the old socket fail before it started to wait, so a
/// socket created in between is not missed.
pub async fn created_since(socket: &Path, seen: Option<FileId>) -> io::Result<()> {
    let replaced = || file_id(socket).is_some_and(|now| Some(now) != seen);
    loop {
        let dir = watched_dir(socket).ok_or_else(|| {
            io::Error::other(format!("no directory to watch for `{}`", socket.display()))
        })?;
        let inotify = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC)?;
        inotify.add_watch(
            &dir,
            AddWatchFlags::IN_CREATE
                | AddWatchFlags::IN_MOVED_TO
                | AddWatchFlags::IN_DELETE_SELF
                | AddWatchFlags::IN_MOVE_SELF
                | AddWatchFlags::IN_ONLYDIR,
        )?;
        // Created before the watch was in place.
        if replaced() {
            return Ok(());
        }
        // SAFETY: the inotify descriptor is owned by the `Watch` that the
        // AsyncFd owns for its whole life, so it stays open and the same.
        let fd = unsafe { AsyncFd::register_with_interest(Watch(inotify), Interest::READABLE) }?;
        'events: loop {
            let mut ready = fd.readable().await?;
            let events =
                match ready.try_io(|w| w.get_ref().0.read_events().map_err(io::Error::from)) {
                    Ok(events) => events?,
                    Err(_would_block) => continue,
                };
            for event in events {
                let gone = event.mask.intersects(
                    AddWatchFlags::IN_DELETE_SELF
                        | AddWatchFlags::IN_MOVE_SELF
                        | AddWatchFlags::IN_IGNORED,
                );
                let name = event.name.as_deref().map(Path::new);
                if gone {
                    break 'events;
                }
                if Some(dir.join(name.unwrap_or(Path::new("")))).as_deref() == Some(socket) {
                    return Ok(());
                }
                // A directory on the way down appeared: watch further down.
                if name.is_some_and(|n| socket.starts_with(dir.join(n))) {
                    if replaced() {
                        return Ok(());
                    }
                    break 'events;
                }
            }
        }
    }
}

/// The socket's directory, or its nearest existing ancestor.
fn watched_dir(socket: &Path) -> Option<PathBuf> {
    socket
        .ancestors()
        .skip(1)
        .find(|d| d.is_dir())
        .map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_nearest_existing_directory_is_watched() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("a/b/bus");
        assert_eq!(watched_dir(&socket).as_deref(), Some(dir.path()));
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        assert_eq!(watched_dir(&socket), Some(dir.path().join("a/b")));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_socket_created_below_missing_directories_is_noticed() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("user/1000/bus");
        let wait = created(&socket);
        tokio::pin!(wait);
        let make = async {
            tokio::task::yield_now().await;
            std::fs::create_dir_all(dir.path().join("user/1000")).unwrap();
            std::fs::write(dir.path().join("user/1000/other"), "").unwrap();
            std::os::unix::net::UnixListener::bind(&socket).unwrap()
        };
        let (done, _listener) = tokio::join!(
            tokio::time::timeout(Duration::from_secs(10), &mut wait),
            make
        );
        done.expect("socket noticed within 10 s").unwrap();
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_socket_replaced_before_the_wait_is_noticed_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("control.sock");
        let old = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        let seen = file_id(&socket);
        assert!(seen.is_some());
        // Replaced between the failed connect and the wait.
        std::fs::remove_file(&socket).unwrap();
        drop(old);
        let _new = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        tokio::time::timeout(Duration::from_secs(10), created_since(&socket, seen))
            .await
            .expect("noticed at once")
            .unwrap();
    }
}
