//! The SQLite log: triggers, missed slots, commits, reflog cursors, the
//! small daemon state that must survive restarts, and prompts with their
//! answers (work updates) and tickets.
//!
//! One connection, owned by the run loop; WAL so readers (`devtrack history`
//! opens the file read-only) never block the daemon. Schema changes are
//! numbered migrations tracked in `PRAGMA user_version`.
//!
//! A top-level module, not part of `daemon`: `devtrack note`, `history`
//! and `report` and the benches open the same store, so it depends on
//! nothing of the daemon (the reflog [`cursor`] it keeps with the commits
//! is its own; the scheduler's state it keeps is `crate::scheduler`'s).

mod commits;
pub mod cursor;
mod guard;
pub mod lifecycle;
mod outbox;
mod pending;
mod private;
pub mod prompts;
mod report;
mod state;
mod totals;
mod triggers;
mod updates;

pub use commits::{ActivityRecord, CommitRecord, NewActivity, NewCommit, ReflogBatch};
pub use lifecycle::{Fold, PromptState, TransitionError};
pub use outbox::{summarize, CancelError, IntegrationSummary, OutboxRow, OutboxState};
pub(crate) use pending::PendingCommits;
pub(crate) use prompts::Outcome;
pub use prompts::{
    Channel, Delivery, PromptChange, PromptError, PromptHold, PromptOpened, PromptRecord,
    PromptTrigger,
};
pub use report::{MissedSlot, PromptSummary, ReportData};
pub(crate) use totals::file_sizes;
pub use totals::{ReloadResult, Totals};
pub(crate) use triggers::TriggerRecord;
pub use triggers::{NewTrigger, Prompted, TriggerKind};
pub use updates::{
    AnswerTarget, Answered, NewUpdate, StoredTicket, TicketSource, UpdateSource, WorkUpdate,
};
// Named through the store by its unit tests only.
#[cfg(test)]
pub(crate) use prompts::TRIGGERS_KEPT;

use std::path::Path;

use std::borrow::Cow;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{Connection, OpenFlags};

use crate::exit::{Explain, Hinted};

/// SQLite's page cache of the daemon's connection, in KiB. SQLite's default
/// is 2,000 KiB, which the cache fills as the log grows, so the daemon's
/// memory grew with its history; each commit touches a few pages (the
/// table's last leaf, a leaf of the `(repo, hash)` index), and pages that
/// fall out of the cache are read again from the operating system's.
pub(crate) const CACHE_KIB: i64 = 512;

/// Migration `i` brings the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("schema.sql"),
    include_str!("migrate_2.sql"),
    include_str!("migrate_3.sql"),
    include_str!("migrate_4.sql"),
    include_str!("migrate_5.sql"),
    include_str!("migrate_6.sql"),
    include_str!("migrate_7.sql"),
    include_str!("migrate_8.sql"),
];

/// The schema version this devtrack writes (`PRAGMA user_version`).
pub(crate) const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// The first schema version that keeps a prompt's desktop notification
/// (`migrate_4.sql`).
pub const NOTIFICATION_SCHEMA: usize = 4;
/// The first schema version with each repository's first watch and the
/// commits found at it (`migrate_5.sql`).
pub const RECORD_SCHEMA: usize = 5;

/// The first schema version that keeps the reloads (`migrate_7.sql`).
pub const RELOADS_SCHEMA: usize = 7;

/// The first schema version with prompts, answers and tickets
/// (`migrate_3.sql`); a read-only store that is older has none to show.
pub(crate) const PROMPTS_SCHEMA: usize = 3;
/// The first schema version with the outbox (`migrate_8.sql`).
pub(crate) const OUTBOX_SCHEMA: usize = 8;

pub struct Store {
    /// First, so it closes before `guard` drops the descriptor the guard
    /// keeps (guard.rs: closing it while the connection lives drops
    /// SQLite's locks).
    conn: Connection,
    /// The schema version of the file: the newest after [`Store::open`]
    /// migrated it; possibly older when opened read-only while an older
    /// daemon runs, so queries leave out the columns it lacks.
    schema: usize,
    /// Set on the daemon's read-write store: commits only while the path
    /// still names the opened file.
    guard: Option<guard::FileGuard>,
    /// The last [`Store::pending_overview`], extended by later reads
    /// (pending.rs).
    pending: std::cell::RefCell<Option<pending::LastOverview>>,
}

/// Why [`Store::open`] failed, with what to do about it: what happened to
/// the file, or the SQLite condition the error comes from.
#[derive(Debug)]
pub struct OpenError {
    error: anyhow::Error,
    hint: Option<String>,
}

impl OpenError {
    fn new(path: &Path, error: anyhow::Error) -> OpenError {
        let hint = hint(&path.display().to_string(), &error);
        OpenError { error, hint }
    }
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.error)
    }
}

impl std::error::Error for OpenError {}

impl Explain for OpenError {
    fn message(&self) -> Cow<'_, str> {
        Cow::Owned(self.to_string())
    }

    fn hint(&self) -> Option<Cow<'_, str>> {
        self.hint.as_deref().map(Cow::Borrowed)
    }
}

impl Store {
    /// Opens (creating if needed, private to the user) the store at `path`
    /// and migrates it.
    pub fn open(path: &Path) -> Result<Store, OpenError> {
        Store::open_file(path).map_err(|e| match e.downcast::<OpenError>() {
            Ok(e) => e,
            Err(e) => OpenError::new(path, e),
        })
    }

    fn open_file(path: &Path) -> Result<Store> {
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
        let guard = guard::FileGuard::install(&conn, path);
        // SQLite may read the first page from the `-wal` file and so open
        // a file whose own header was overwritten; every commit would then
        // be refused.
        if let Some(problem) = guard.problem() {
            return Err(OpenError {
                error: anyhow::anyhow!(problem),
                hint: Some(guard.hint()),
            }
            .into());
        }
        let guard = Some(guard);
        let mut store = Store {
            conn,
            schema: MIGRATIONS.len(),
            guard,
            pending: Default::default(),
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
            guard: None,
            pending: Default::default(),
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
    pub(crate) fn schema_version(&self) -> Result<usize> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// Why writing to the store failed, for people: what happened to its
    /// file when it was deleted or replaced, else the error itself, with a
    /// hint where one helps.
    pub(crate) fn explain(&self, err: &anyhow::Error) -> Hinted {
        self.file_fault()
            .unwrap_or_else(|| explain_error(self.conn.path().unwrap_or_default(), err))
    }

    /// What happened to the daemon's store file, with a hint, when it is no
    /// longer the store at its path (before any write found out).
    pub(crate) fn file_fault(&self) -> Option<Hinted> {
        let problem = self.file_problem()?;
        let hint = self.guard.as_ref().map(guard::FileGuard::hint);
        Some(
            Hinted::new(format!("{problem}; nothing more is written to it"))
                .with_hint(hint.unwrap_or_default()),
        )
    }

    /// What happened to the daemon's store file, when it is no longer the
    /// store at its path. Then closing the connection must not write
    /// either: its checkpoint would copy pages into whatever is there now.
    fn file_problem(&self) -> Option<String> {
        let problem = self.guard.as_ref().and_then(guard::FileGuard::problem)?;
        if let Err(e) = self.conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
            true,
        ) {
            tracing::debug!("turning off the checkpoint on close: {e}");
        }
        Some(problem)
    }

    /// The daemon's store file was deleted: a new one may be opened at
    /// its path (nothing else would ever see what is written to the old).
    pub(crate) fn deleted(&self) -> bool {
        self.guard.as_ref().is_some_and(guard::FileGuard::deleted)
    }

    /// Opens a new store at `path` in place of this one, whose file was
    /// deleted. The old connection is closed first: the `-wal` and `-shm`
    /// files at the path belong to the deleted file and must not be
    /// replayed into the new one.
    pub(crate) fn reopen(&mut self, path: &Path) -> Result<()> {
        let old = std::mem::replace(&mut self.conn, Connection::open_in_memory()?);
        if let Err((_, e)) = old.close() {
            tracing::debug!("closing the deleted store: {e}");
        }
        for suffix in ["-wal", "-shm"] {
            match std::fs::remove_file(private::sidecar(path, suffix)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(e)
                        .with_context(|| format!("removing the deleted store's `{suffix}` file"))
                }
                _ => {}
            }
        }
        *self = Store::open(path)?;
        Ok(())
    }

    /// The underlying connection, for modules that own their own tables
    /// (git watching writes commits and cursors in one transaction).
    pub fn connection(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

/// A store error for people: the error, and what to do about the SQLite
/// condition it comes from (or about the file a reopening found).
pub(crate) fn explain_error(path: &str, err: &anyhow::Error) -> Hinted {
    let what = Hinted::new(format!("store `{path}`: {err:#}"));
    let hint = match err.downcast_ref::<OpenError>() {
        Some(open) => open.hint.clone(),
        None => hint(path, err),
    };
    match hint {
        Some(h) => what.with_hint(h),
        None => what,
    }
}

/// What to do about a store error (of the store at `path`), when there is
/// something to say.
pub(crate) fn hint(path: &str, err: &anyhow::Error) -> Option<String> {
    use rusqlite::ErrorCode;
    let code = err
        .chain()
        .find_map(|e| match e.downcast_ref::<rusqlite::Error>() {
            Some(rusqlite::Error::SqliteFailure(f, _)) => Some(f.code),
            _ => None,
        })?;
    Some(match code {
        ErrorCode::DiskFull => "free space on its file system; commits stay in the reflogs and are stored once there is room".to_string(),
        ErrorCode::ReadOnly | ErrorCode::CannotOpen | ErrorCode::PermissionDenied => {
            "make the data directory and the store writable again; commits stay in the reflogs and are stored then".to_string()
        }
        ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => corrupt_hint(path),
        _ => return None,
    })
}

/// What to do about a store that is no longer a database.
pub(crate) fn corrupt_hint(path: &str) -> String {
    format!(
        "stop devtrack and move `{path}` and its `-wal` and `-shm` files away (the next start creates an empty store); `sqlite3 {path} .recover` may save what it holds"
    )
}

pub(crate) fn to_millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

#[cfg(test)]
mod tests;
