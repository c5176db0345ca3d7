//! Binding the control socket safely.
//!
//! The socket lives in the private (0700) runtime directory and is itself
//! 0600. `bind(2)` gives a socket file `0777 & !umask`, 0700 under the
//! daemon's `umask 077`, and the umask is process-wide, so it cannot be
//! narrowed for one call while other threads run. The socket is therefore
//! bound under a staging name in the same directory, restricted to 0600,
//! then renamed onto the real path: clients never see it with another mode.
//! A file left at the path by a crashed daemon is probed before being
//! replaced: since we already hold the socket lock, nothing live can be
//! behind it. On shutdown only the socket this process created is removed.

use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use tokio::net::{UnixListener, UnixStream};

pub(crate) struct ControlSocket {
    listener: UnixListener,
    path: PathBuf,
    /// (dev, inode) of the socket we bound, so we never unlink another one.
    identity: (u64, u64),
}

pub(crate) fn bind(path: &Path) -> Result<ControlSocket> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => {
            match std::os::unix::net::UnixStream::connect(path) {
                Ok(_) => tracing::warn!(
                    socket = %path.display(),
                    "a process answered on the control socket `{}` although we hold the lock; replacing it",
                    path.display()
                ),
                Err(_) => {
                    tracing::info!(socket = %path.display(), "removing a stale control socket `{}`", path.display())
                }
            }
            std::fs::remove_file(path)
                .with_context(|| format!("removing stale socket `{}`", path.display()))?;
        }
        Ok(_) => bail!(
            "`{}` exists and is not a socket; refusing to replace it",
            path.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("inspecting `{}`", path.display())),
    }
    let listener = bind_private(path)?;
    let meta = std::fs::metadata(path)?;
    Ok(ControlSocket {
        listener,
        path: path.to_path_buf(),
        identity: (meta.dev(), meta.ino()),
    })
}

/// The socket's mode, as docs/protocol.md states it.
pub(crate) const SOCKET_MODE: u32 = 0o600;

/// Binds `path` with mode [`SOCKET_MODE`] from the moment it exists there.
fn bind_private(path: &Path) -> Result<UnixListener> {
    // Shorter than `control.sock`, so it fits `sun_path` whenever the real
    // path does.
    let staging = path.with_file_name(".binding");
    match std::fs::remove_file(&staging) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("removing `{}`", staging.display())),
    }
    let listener =
        UnixListener::bind(&staging).with_context(|| format!("binding `{}`", path.display()))?;
    let placed = std::fs::set_permissions(&staging, std::fs::Permissions::from_mode(SOCKET_MODE))
        .with_context(|| format!("restricting `{}` to 0600", staging.display()))
        .and_then(|()| {
            std::fs::rename(&staging, path)
                .with_context(|| format!("moving the socket into place at `{}`", path.display()))
        });
    if let Err(e) = placed {
        let _ = std::fs::remove_file(&staging);
        return Err(e);
    }
    Ok(listener)
}

impl ControlSocket {
    pub(crate) async fn accept(&self) -> std::io::Result<UnixStream> {
        self.listener.accept().await.map(|(s, _)| s)
    }
}

impl Drop for ControlSocket {
    fn drop(&mut self) {
        if let Ok(meta) = std::fs::symlink_metadata(&self.path) {
            if (meta.dev(), meta.ino()) == self.identity {
                let _ = std::fs::remove_file(&self.path);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_socket_is_0600_and_nothing_else_is_left_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("control.sock");
        let socket = bind(&path).unwrap();
        let mode = std::fs::symlink_metadata(&path).unwrap().mode() & 0o777;
        assert_eq!(mode, SOCKET_MODE, "mode {mode:o}");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["control.sock"]);
        // Clients reach it under the real name.
        std::os::unix::net::UnixStream::connect(&path).unwrap();
        drop(socket);
        assert!(!path.exists());
    }
}
