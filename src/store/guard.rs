//! The store refuses to commit to a file that is no longer at its path,
//! or no longer an SQLite database.
//!
//! SQLite keeps writing to the file it opened: deleted, it writes to an
//! unlinked inode nobody will read again; replaced (a restored backup, a
//! copy), it writes beside the file the user now has; overwritten by
//! something else, it keeps adding pages to a file that no longer opens.
//! Either way what is written is lost or makes things worse. So every
//! transaction's commit checks that the path still names the opened file
//! and that the file still starts with SQLite's header (one `stat` and a
//! 16-byte read), and rolls back when not; [`FileGuard::problem`] says
//! what happened, for the error the daemon reports.
//!
//! The header is read through one descriptor opened with the guard and
//! kept for as long as the connection lives, never by opening the file
//! again: closing *any* descriptor of a file drops all of the process's
//! POSIX locks on it, SQLite's included. Without its lock on the database
//! the daemon looks gone to other connections (`devtrack note` writing
//! while the daemon restarts), and the last of them to close deletes the
//! `-wal` file the daemon is still appending to: what it commits after
//! that is lost.

use std::fs::File;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::Connection;

/// The opened file's identity, its path, and a descriptor of it kept
/// open (see the module doc: it must outlive the connection's locks).
#[derive(Debug, Clone)]
pub(crate) struct FileGuard {
    path: PathBuf,
    identity: Option<(u64, u64)>,
    file: Option<Arc<File>>,
}

/// What every SQLite database file starts with.
const HEADER: &[u8; 16] = b"SQLite format 3\0";

fn identity(path: &Path) -> std::io::Result<(u64, u64)> {
    let m = std::fs::metadata(path)?;
    Ok((m.dev(), m.ino()))
}

/// Whether `file` starts with SQLite's header (an empty file does: SQLite
/// writes the header with the first page). Read with `pread` through the
/// kept descriptor, so no descriptor of the database is ever closed.
fn has_header(file: &File) -> bool {
    let mut buf = [0u8; HEADER.len()];
    let mut read = 0;
    while read < buf.len() {
        match file.read_at(&mut buf[read..], read as u64) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            // Not readable: `stat` tells what happened.
            Err(_) => return true,
        }
    }
    read == 0 || (read == buf.len() && &buf == HEADER)
}

/// Why a file whose identity was `opened` is no longer the store at its
/// path, from what `stat` says now and whether the file still has SQLite's
/// header; `None` when it still is.
pub(crate) fn judge(
    path: &Path,
    opened: (u64, u64),
    now: std::io::Result<(u64, u64)>,
    header: bool,
) -> Option<String> {
    match now {
        Ok(id) if id == opened && header => None,
        Ok(id) if id == opened => Some(format!(
            "store `{}` was overwritten: it is no longer an SQLite database",
            path.display()
        )),
        Ok(_) => Some(format!(
            "store `{}` was replaced by another file while devtrack was running",
            path.display()
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(format!(
            "store `{}` was deleted while devtrack was running",
            path.display()
        )),
        Err(e) => Some(format!(
            "store `{}` cannot be looked at: {e}",
            path.display()
        )),
    }
}

impl FileGuard {
    /// Takes the identity of the file just opened at `path` and makes
    /// `conn` roll back every commit while the path names another file.
    pub(crate) fn install(conn: &Connection, path: &Path) -> FileGuard {
        let guard = FileGuard {
            path: path.to_path_buf(),
            identity: identity(path).ok(),
            file: File::open(path).ok().map(Arc::new),
        };
        let hook = guard.clone();
        conn.commit_hook(Some(move || hook.problem().is_some()));
        guard
    }

    /// What happened to the file, when it is no longer at its path.
    pub(crate) fn problem(&self) -> Option<String> {
        let now = identity(&self.path);
        let header = now.is_err() || self.file.as_deref().is_none_or(has_header);
        judge(&self.path, self.identity?, now, header)
    }

    /// What to do about [`FileGuard::problem`].
    pub(crate) fn hint(&self) -> String {
        if self.deleted() {
            "a new store is created there at the next retry, holding what the reflogs still have since devtrack started".to_string()
        } else if identity(&self.path).ok() == self.identity {
            super::corrupt_hint(&self.path.display().to_string())
        } else {
            "stop devtrack, put the right file back or move this one away, and start it again"
                .to_string()
        }
    }

    /// The file was deleted (nothing is at its path now).
    pub(crate) fn deleted(&self) -> bool {
        matches!(identity(&self.path), Err(e) if e.kind() == std::io::ErrorKind::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_happened_to_the_file() {
        let p = Path::new("/d/devtrack.db");
        let gone = || Err(std::io::Error::from(std::io::ErrorKind::NotFound));
        let denied = || Err(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        type Case<'a> = (std::io::Result<(u64, u64)>, bool, Option<&'a str>);
        let table: [Case; 6] = [
            (Ok((1, 2)), true, None),
            (Ok((1, 2)), false, Some("store `/d/devtrack.db` was overwritten: it is no longer an SQLite database")),
            (Ok((1, 3)), true, Some("store `/d/devtrack.db` was replaced by another file while devtrack was running")),
            (Ok((1, 3)), false, Some("store `/d/devtrack.db` was replaced by another file while devtrack was running")),
            (gone(), true, Some("store `/d/devtrack.db` was deleted while devtrack was running")),
            (denied(), true, Some("store `/d/devtrack.db` cannot be looked at: permission denied")),
        ];
        for (now, header, want) in table {
            let what = format!("{now:?} {header}");
            assert_eq!(judge(p, (1, 2), now, header).as_deref(), want, "{what}");
        }
    }

    /// A database with one table, guarded.
    fn guarded() -> (tempfile::TempDir, PathBuf, Connection, FileGuard) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE t (x)").unwrap();
        let guard = FileGuard::install(&conn, &path);
        (dir, path, conn, guard)
    }

    #[test]
    fn a_deleted_store_refuses_to_commit() {
        let (_dir, path, conn, guard) = guarded();
        conn.execute("INSERT INTO t VALUES (1)", []).unwrap();
        assert_eq!(guard.problem(), None);
        std::fs::remove_file(&path).unwrap();
        assert!(conn.execute("INSERT INTO t VALUES (2)", []).is_err());
        assert!(guard.problem().unwrap().contains("was deleted"));
        assert!(guard.deleted());
    }

    #[test]
    fn an_overwritten_store_refuses_to_commit() {
        let (_dir, path, conn, guard) = guarded();
        let mut f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        std::io::Write::write_all(&mut f, b"garbage garbage garbage").unwrap();
        assert!(conn.execute("INSERT INTO t VALUES (2)", []).is_err());
        assert!(
            guard.problem().unwrap().contains("overwritten"),
            "{:?}",
            guard.problem()
        );
        assert!(!guard.deleted());
    }
}
