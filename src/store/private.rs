//! The store is private to its user: its directory is created 0700 and the
//! database file 0600 before SQLite opens it, whatever the process umask
//! (the daemon sets `umask 077`, a CLI writing to the store does not).
//! SQLite creates the `-wal` and `-shm` files with the database file's
//! mode. A database, WAL or SHM file readable by others (a copy made by
//! hand, an older devtrack) is tightened to 0600.

use std::fs::{DirBuilder, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

pub(crate) const DIR_MODE: u32 = 0o700;
pub(crate) const FILE_MODE: u32 = 0o600;

/// Creates the directory of `db` (0700, parents as usual) and `db` itself
/// (0600) when missing, and tightens the files that exist.
pub(crate) fn prepare(db: &Path) -> Result<()> {
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            if let Some(up) = dir.parent() {
                std::fs::create_dir_all(up)
                    .with_context(|| format!("creating data directory `{}`", up.display()))?;
            }
            match DirBuilder::new().mode(DIR_MODE).create(dir) {
                Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
                    return Err(e)
                        .with_context(|| format!("creating data directory `{}`", dir.display()))
                }
                _ => {}
            }
        }
    }
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(db)
    {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
            return Err(e).with_context(|| format!("creating store `{}`", db.display()))
        }
        _ => {}
    }
    for file in [db.to_path_buf(), sidecar(db, "-wal"), sidecar(db, "-shm")] {
        tighten(&file)?;
    }
    Ok(())
}

/// `devtrack.db-wal` and the like.
pub(crate) fn sidecar(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

fn tighten(file: &Path) -> Result<()> {
    let meta = match std::fs::metadata(file) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("inspecting `{}`", file.display())),
    };
    if meta.permissions().mode() & 0o077 != 0 {
        std::fs::set_permissions(file, Permissions::from_mode(FILE_MODE))
            .with_context(|| format!("restricting `{}` to 0600", file.display()))?;
    }
    Ok(())
}
