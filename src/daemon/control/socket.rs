//! Binding the control socket safely.
//!
//! The socket lives in the private runtime directory and is created under
//! the daemon's `umask 077`, so it is 0600 from the first instant. A file
//! left at the path by a crashed daemon is probed before being replaced:
//! since we already hold the instance lock, nothing live can be behind it.
//! On shutdown only the socket this process created is removed.

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use tokio::net::{UnixListener, UnixStream};

pub struct ControlSocket {
    listener: UnixListener,
    path: PathBuf,
    /// (dev, inode) of the socket we bound, so we never unlink another one.
    identity: (u64, u64),
}

pub fn bind(path: &Path) -> Result<ControlSocket> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => {
            match std::os::unix::net::UnixStream::connect(path) {
                Ok(_) => tracing::warn!(
                    socket = %path.display(),
                    "a process answered on the control socket although we hold the lock; replacing it"
                ),
                Err(_) => {
                    tracing::info!(socket = %path.display(), "removing a stale control socket")
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
    let listener =
        UnixListener::bind(path).with_context(|| format!("binding `{}`", path.display()))?;
    let meta = std::fs::metadata(path)?;
    Ok(ControlSocket {
        listener,
        path: path.to_path_buf(),
        identity: (meta.dev(), meta.ino()),
    })
}

impl ControlSocket {
    pub async fn accept(&self) -> std::io::Result<UnixStream> {
        self.listener.accept().await.map(|(s, _)| s)
    }

    pub fn path(&self) -> &Path {
        &self.path
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
