//! The SQLite log: triggers, missed slots, commits, reflog cursors, the
//! small daemon state that must survive restarts, and prompts with their
//! answers (work updates) and tickets.
//!
//! One connection, owned by the run loop; WAL so readers (`devtrack history`
//! opens the file read-only) never block the daemon. Schema changes are
//! numbered migrations tracked in `PRAGMA user_version`.

mod commits;
pub mod lifecycle;
mod private;
pub mod prompts;
mod report;
mod state;
mod triggers;
mod updates;

pub use commits::*;
pub use lifecycle::{Fold, PromptState, TransitionError};
pub use prompts::{
    Channel, Delivery, Outcome, PromptChange, PromptError, PromptOpened, PromptRecord,
    PromptTrigger,
};
pub use report::*;
pub use triggers::*;
pub use updates::*;

use std::path::Path;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{Connection, OpenFlags};

/// SQLite's page cache of the daemon's connection, in KiB. SQLite's default
/// is 2,000 KiB, which the cache fills as the log grows, so the daemon's
/// memory grew with its history; each commit touches a few pages (the
/// table's last leaf, a leaf of the `(repo, hash)` index), and pages that
/// fall out of the cache are read again from the operating system's.
pub const CACHE_KIB: i64 = 512;

/// Migration `i` brings the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("schema.sql"),
    include_str!("migrate_2.sql"),
    include_str!("migrate_3.sql"),
];

/// The first schema version with prompts, answers and tickets
/// (`migrate_3.sql`); a read-only store that is older has none to show.
pub const PROMPTS_SCHEMA: usize = 3;

pub struct Store {
    conn: Connection,
    /// The schema version of the file: the newest after [`Store::open`]
    /// migrated it; possibly older when opened read-only while an older
    /// daemon runs, so queries leave out the columns it lacks.
    schema: usize,
}

impl Store {
    /// Opens (creating if needed, private to the user) the store at `path`
    /// and migrates it.
    pub fn open(path: &Path) -> Result<Store> {
        private::prepare(path)?;
        let conn = Connection::open(path)
            .with_context(|| format!("opening store `{}`", path.display()))?;
        // The first statement that reads the file: a file that is not a
        // database fails here, and the error must say which file.
        conn.pragma_update(None, "journal_mode", "WAL")
            .with_context(|| format!("opening store `{}`", path.display()))?;
        // NORMAL is durable across process crashes in WAL mode; only a power
        // loss can drop the last transactions.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let mut store = Store {
            conn,
            schema: MIGRATIONS.len(),
        };
        store
            .migrate()
            .with_context(|| format!("migrating store `{}`", path.display()))?;
        Ok(store)
    }

    /// Opens an existing store for reading only (CLI queries).
    pub fn open_read_only(path: &Path) -> Result<Store> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .with_context(|| format!("opening store `{}`", path.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let version: usize = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .with_context(|| format!("reading store `{}`", path.display()))?;
        if version > MIGRATIONS.len() {
            bail!(
                "store `{}` has schema version {version}, newer than this devtrack understands ({})",
                path.display(),
                MIGRATIONS.len()
            );
        }
        Ok(Store {
            conn,
            schema: version,
        })
    }

    fn migrate(&mut self) -> Result<()> {
        let version: usize = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > MIGRATIONS.len() {
            bail!(
                "schema version {version} is newer than this devtrack understands ({})",
                MIGRATIONS.len()
            );
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i + 1)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// The schema version of the file (`PRAGMA user_version`): the CLI
    /// reading an older store tells which tables it may ask for.
    pub fn schema_version(&self) -> Result<usize> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// The underlying connection, for modules that own their own tables
    /// (git watching writes commits and cursors in one transaction).
    pub fn connection(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

pub(crate) fn to_millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

#[cfg(test)]
mod tests;
