//! Commits, HEAD activity and reflog cursors.
//!
//! Everything read from one reflog file is written by
//! [`Store::record_reflog_batch`] in one transaction together with the
//! cursor that covers it, so a crash either keeps both or neither. Commits
//! are unique per `(repo, hash)`: reading a line twice (resync, restart)
//! never stores a commit twice.

use std::path::Path;

use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;

use super::{from_millis, to_millis, Store};
use crate::protocol::CommitKind;
use crate::store::cursor::Cursor;

/// A commit about to be recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCommit {
    pub hash: String,
    pub kind: CommitKind,
    /// The commit an amend replaced.
    pub amends: Option<String>,
    /// `None` when HEAD was detached.
    pub branch: Option<String>,
    pub author_name: Option<String>,
    pub author_email: Option<String>,
    pub committed_at: Option<DateTime<Utc>>,
    pub summary: Option<String>,
    pub files_changed: Option<u32>,
    pub insertions: Option<u32>,
    pub deletions: Option<u32>,
    /// Made by a configured author (or the repository's `user.email`).
    pub own: bool,
    /// Read from the reflog when the repository was first watched (a
    /// commit of that day made before): stored, raising no prompt.
    pub found_at_start: bool,
}

#[cfg(test)]
impl NewCommit {
    /// A commit of which only the hash and ownership are known.
    pub(crate) fn bare(hash: &str, own: bool) -> NewCommit {
        NewCommit {
            hash: hash.into(),
            kind: CommitKind::Commit,
            amends: None,
            branch: None,
            author_name: None,
            author_email: None,
            committed_at: None,
            summary: None,
            files_changed: None,
            insertions: None,
            deletions: None,
            own,
            found_at_start: false,
        }
    }
}

/// A HEAD movement that is not the developer's own work.
#[derive(Debug, Clone, PartialEq)]
pub struct NewActivity {
    pub kind: String,
    pub old_hash: Option<String>,
    pub new_hash: Option<String>,
    pub message: Option<String>,
    pub at: DateTime<Utc>,
}

/// What one read of one reflog produced.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReflogBatch {
    pub repo: String,
    pub commits: Vec<NewCommit>,
    pub activity: Vec<NewActivity>,
    /// `(hash, branch)`: commits whose branch became known later (a
    /// finished rebase names the branch its detached picks belong to).
    pub branch_updates: Vec<(String, String)>,
    /// The cursor after this batch, with the reflog's absolute path.
    pub cursor: Option<(String, Cursor)>,
    /// The repository is watched for the first time at this time (kept
    /// only when no first watch is stored yet).
    pub first_watch: Option<DateTime<Utc>>,
    /// `(old, new)`: versions a rewrite replaced (a rebase's commits and
    /// those they were made from; an amend's is its `amends`).
    pub links: Vec<(String, String)>,
}

/// A stored commit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommitRecord {
    pub id: i64,
    pub repo: String,
    pub hash: String,
    pub kind: CommitKind,
    pub amends: Option<String>,
    pub branch: Option<String>,
    pub author_name: Option<String>,
    pub author_email: Option<String>,
    pub committed_at: Option<DateTime<Utc>>,
    pub summary: Option<String>,
    pub files_changed: Option<u32>,
    pub insertions: Option<u32>,
    pub deletions: Option<u32>,
    pub recorded_at: DateTime<Utc>,
    pub trigger_id: Option<i64>,
    /// Own work; `None` for commits recorded before devtrack stored this.
    pub own: Option<bool>,
}

/// A stored HEAD movement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivityRecord {
    pub id: i64,
    pub repo: String,
    pub kind: String,
    pub old_hash: Option<String>,
    pub new_hash: Option<String>,
    pub message: Option<String>,
    pub at: DateTime<Utc>,
}

pub(super) const COMMIT_COLUMNS: &str =
    "id, repo, hash, kind, amends, branch, author_name, author_email, \
     committed_at, summary, files_changed, insertions, deletions, recorded_at, trigger_id, own";

/// [`COMMIT_COLUMNS`] for a schema older than 2 (no `own` column).
const COMMIT_COLUMNS_V1: &str = "id, repo, hash, kind, amends, branch, author_name, \
     author_email, committed_at, summary, files_changed, insertions, deletions, recorded_at, \
     trigger_id, NULL";

/// Column `at` of `r` as the [`CommitKind`] it names; only
/// [`CommitKind::as_str`] ever wrote it.
fn commit_kind(r: &Row<'_>, at: usize) -> rusqlite::Result<CommitKind> {
    let name: String = r.get(at)?;
    CommitKind::parse(&name).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            at,
            rusqlite::types::Type::Text,
            format!("unknown commit kind `{name}`").into(),
        )
    })
}

pub(super) fn commit_row(r: &Row<'_>) -> rusqlite::Result<CommitRecord> {
    Ok(CommitRecord {
        id: r.get(0)?,
        repo: r.get(1)?,
        hash: r.get(2)?,
        kind: commit_kind(r, 3)?,
        amends: r.get(4)?,
        branch: r.get(5)?,
        author_name: r.get(6)?,
        author_email: r.get(7)?,
        committed_at: r.get::<_, Option<i64>>(8)?.map(from_millis),
        summary: r.get(9)?,
        files_changed: r.get(10)?,
        insertions: r.get(11)?,
        deletions: r.get(12)?,
        recorded_at: from_millis(r.get(13)?),
        trigger_id: r.get(14)?,
        own: r.get(15)?,
    })
}

/// Records that `new` replaced `old` in `repo`: `old` is a replaced
/// version, and `new` (with the versions it replaced since) takes the
/// time of `old`'s change when that is earlier.
fn link(tx: &rusqlite::Transaction<'_>, repo: &str, old: &str, new: &str) -> rusqlite::Result<()> {
    if old == new {
        return Ok(());
    }
    tx.prepare_cached(
        "INSERT INTO commit_links (repo, old_hash, new_hash) VALUES (?1, ?2, ?3)
         ON CONFLICT DO NOTHING",
    )?
    .execute(params![repo, old, new])?;
    tx.prepare_cached("UPDATE commits SET replaced = 1 WHERE repo = ?1 AND hash = ?2")?
        .execute(params![repo, old])?;
    tx.prepare_cached(
        "UPDATE commits SET first_at = o.first_at
         FROM (SELECT first_at FROM commits WHERE repo = ?1 AND hash = ?2) AS o
         WHERE repo = ?1 AND hash = ?3 AND o.first_at < commits.first_at",
    )?
    .execute(params![repo, old, new])?;
    Ok(())
}

impl Store {
    /// The columns [`commit_row`] reads, as this file has them.
    pub(super) fn commit_columns(&self) -> &'static str {
        if self.schema >= 2 {
            COMMIT_COLUMNS
        } else {
            COMMIT_COLUMNS_V1
        }
    }

    /// The stored cursor of the reflog at `log_path`.
    pub fn reflog_cursor(&self, log_path: &Path) -> Result<Option<Cursor>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT file_id, offset, last_hash, updated_at FROM reflog_cursors WHERE log_path = ?1",
        )?;
        Ok(stmt
            .query_row([log_path.to_string_lossy()], |r| {
                Ok(Cursor {
                    file_id: r.get(0)?,
                    offset: r.get::<_, i64>(1)?.max(0) as u64,
                    last_hash: r.get(2)?,
                    updated_at: from_millis(r.get(3)?),
                })
            })
            .optional()?)
    }

    /// Records a batch atomically. Returns, per commit of the batch, whether
    /// it was new (`false`: already stored, left untouched).
    pub fn record_reflog_batch(
        &mut self,
        batch: &ReflogBatch,
        now: DateTime<Utc>,
    ) -> Result<Vec<bool>> {
        let tx = self.conn.transaction()?;
        let mut inserted = Vec::with_capacity(batch.commits.len());
        {
            let mut ins = tx.prepare_cached(
                "INSERT INTO commits (repo, hash, kind, amends, branch, author_name, author_email,
                     committed_at, summary, files_changed, insertions, deletions, recorded_at, own,
                     found_at_start, first_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                     coalesce(?8, ?13))
                 ON CONFLICT (repo, hash) DO NOTHING",
            )?;
            for c in &batch.commits {
                let n = ins.execute(params![
                    batch.repo,
                    c.hash,
                    c.kind.as_str(),
                    c.amends,
                    c.branch,
                    c.author_name,
                    c.author_email,
                    c.committed_at.map(to_millis),
                    c.summary,
                    c.files_changed,
                    c.insertions,
                    c.deletions,
                    to_millis(now),
                    c.own,
                    c.found_at_start,
                ])?;
                inserted.push(n == 1);
            }
            let mut act = tx.prepare_cached(
                "INSERT INTO repo_activity (repo, kind, old_hash, new_hash, message, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for a in &batch.activity {
                act.execute(params![
                    batch.repo,
                    a.kind,
                    a.old_hash,
                    a.new_hash,
                    a.message,
                    to_millis(a.at)
                ])?;
            }
            let amends = batch
                .commits
                .iter()
                .filter_map(|c| Some((c.amends.clone()?, c.hash.clone())));
            for (old, new) in amends.chain(batch.links.iter().cloned()) {
                link(&tx, &batch.repo, &old, &new)?;
            }
            let mut upd = tx.prepare_cached(
                "UPDATE commits SET branch = ?3 WHERE repo = ?1 AND hash = ?2 AND branch IS NULL",
            )?;
            for (hash, branch) in &batch.branch_updates {
                upd.execute(params![batch.repo, hash, branch])?;
            }
            if let Some(at) = batch.first_watch {
                tx.prepare_cached(
                    "INSERT INTO repo_watches (repo, first_watched_at) VALUES (?1, ?2)
                     ON CONFLICT (repo) DO NOTHING",
                )?
                .execute(params![batch.repo, to_millis(at)])?;
            }
            if let Some((log_path, c)) = &batch.cursor {
                tx.prepare_cached(
                    "INSERT INTO reflog_cursors (log_path, repo, file_id, offset, last_hash, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (log_path) DO UPDATE SET repo = excluded.repo,
                         file_id = excluded.file_id, offset = excluded.offset,
                         last_hash = excluded.last_hash, updated_at = excluded.updated_at",
                )?
                .execute(params![
                    log_path,
                    batch.repo,
                    c.file_id,
                    c.offset as i64,
                    c.last_hash,
                    to_millis(c.updated_at)
                ])?;
            }
        }
        tx.commit()?;
        Ok(inserted)
    }

    /// Newest first (by commit time, else recording time), at most `limit`,
    /// optionally only those at or after `since`.
    pub fn recent_commits(
        &self,
        since: Option<DateTime<Utc>>,
        limit: usize,
    ) -> Result<Vec<CommitRecord>> {
        let cols = self.commit_columns();
        let sql = format!(
            "SELECT {cols} FROM commits
             WHERE coalesce(committed_at, recorded_at) >= ?1
             ORDER BY coalesce(committed_at, recorded_at) DESC, id DESC LIMIT ?2"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let since = since.map(to_millis).unwrap_or(i64::MIN);
        let rows = stmt.query_map(params![since, limit as i64], commit_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// When `repo` was first watched (`None`: never, or a store older
    /// than [`super::RECORD_SCHEMA`] opened read-only).
    pub fn first_watch(&self, repo: &str) -> Result<Option<DateTime<Utc>>> {
        if self.schema < super::RECORD_SCHEMA {
            return Ok(None);
        }
        let mut stmt = self
            .conn
            .prepare_cached("SELECT first_watched_at FROM repo_watches WHERE repo = ?1")?;
        Ok(stmt
            .query_row([repo], |r| r.get::<_, i64>(0))
            .optional()?
            .map(from_millis))
    }

    /// Records that `repo` was watched at `at`, unless a first watch is
    /// stored already.
    pub fn record_first_watch(&mut self, repo: &str, at: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "INSERT INTO repo_watches (repo, first_watched_at) VALUES (?1, ?2)
             ON CONFLICT (repo) DO NOTHING",
            params![repo, to_millis(at)],
        )?;
        Ok(())
    }

    /// The hashes of `repo`'s commits found when it was first watched,
    /// oldest first.
    pub fn found_at_start(&self, repo: &str) -> Result<Vec<String>> {
        if self.schema < super::RECORD_SCHEMA {
            return Ok(Vec::new());
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT hash FROM commits WHERE repo = ?1 AND found_at_start = 1 ORDER BY id",
        )?;
        let rows = stmt.query_map([repo], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn commit_count(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM commits", [], |r| r.get(0))?)
    }

    /// Commits of one repository, oldest first.
    pub fn repo_commits(&self, repo: &str) -> Result<Vec<CommitRecord>> {
        let cols = self.commit_columns();
        let sql = format!("SELECT {cols} FROM commits WHERE repo = ?1 ORDER BY id");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([repo], commit_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn commit(&self, repo: &str, hash: &str) -> Result<Option<CommitRecord>> {
        let cols = self.commit_columns();
        let sql = format!("SELECT {cols} FROM commits WHERE repo = ?1 AND hash = ?2");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        Ok(stmt.query_row([repo, hash], commit_row).optional()?)
    }

    /// The newest commit of `repo`, in [`Store::recent_commits`]' order
    /// (by commit time, else recording time; the last recorded on a tie).
    pub fn last_commit(&self, repo: &str) -> Result<Option<CommitRecord>> {
        let cols = self.commit_columns();
        // A version a later one replaced is not the last commit.
        let latest = if self.schema >= super::RECORD_SCHEMA {
            "AND replaced = 0"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {cols} FROM commits WHERE repo = ?1 {latest}
             ORDER BY coalesce(committed_at, recorded_at) DESC, id DESC LIMIT 1"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        Ok(stmt.query_row([repo], commit_row).optional()?)
    }

    /// Newest first.
    pub fn recent_activity(&self, limit: usize) -> Result<Vec<ActivityRecord>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, repo, kind, old_hash, new_hash, message, at FROM repo_activity
             ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok(ActivityRecord {
                id: r.get(0)?,
                repo: r.get(1)?,
                kind: r.get(2)?,
                old_hash: r.get(3)?,
                new_hash: r.get(4)?,
                message: r.get(5)?,
                at: from_millis(r.get(6)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// Links the commits a commit trigger announced, `(repo, hash)`, to it,
/// inside the caller's transaction.
pub(super) fn link_to_trigger<'a>(
    conn: &rusqlite::Connection,
    trigger_id: i64,
    commits: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<()> {
    let mut upd =
        conn.prepare_cached("UPDATE commits SET trigger_id = ?1 WHERE repo = ?2 AND hash = ?3")?;
    for (repo, hash) in commits {
        upd.execute(params![trigger_id, repo, hash])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(hash: &str) -> NewCommit {
        NewCommit {
            hash: hash.into(),
            kind: CommitKind::Commit,
            amends: None,
            branch: None,
            author_name: Some("A".into()),
            author_email: Some("a@x".into()),
            committed_at: Some(from_millis(1_000)),
            summary: Some("s".into()),
            files_changed: Some(1),
            insertions: Some(2),
            deletions: Some(3),
            own: true,
            found_at_start: false,
        }
    }

    #[test]
    fn commits_are_stored_once_with_their_cursor() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("s.db")).unwrap();
        let now = from_millis(5_000);
        let cursor = Cursor {
            file_id: "1:2".into(),
            offset: 10,
            last_hash: Some("b".into()),
            updated_at: now,
        };
        let batch = ReflogBatch {
            first_watch: None,
            links: Vec::new(),
            repo: "r".into(),
            commits: vec![commit("a"), commit("b")],
            activity: vec![NewActivity {
                kind: "checkout".into(),
                old_hash: Some("a".into()),
                new_hash: Some("b".into()),
                message: Some("checkout: moving from x to y".into()),
                at: now,
            }],
            branch_updates: vec![("a".into(), "main".into())],
            cursor: Some(("/r/.git/logs/HEAD".into(), cursor.clone())),
        };
        assert_eq!(
            store.record_reflog_batch(&batch, now).unwrap(),
            vec![true, true]
        );
        assert_eq!(
            store.record_reflog_batch(&batch, now).unwrap(),
            vec![false, false]
        );
        assert_eq!(store.commit_count().unwrap(), 2);
        assert_eq!(store.recent_activity(10).unwrap().len(), 2);
        assert_eq!(
            store.reflog_cursor(Path::new("/r/.git/logs/HEAD")).unwrap(),
            Some(cursor)
        );
        assert_eq!(
            store.commit("r", "a").unwrap().unwrap().branch.as_deref(),
            Some("main")
        );
        let recent = store.recent_commits(None, 10).unwrap();
        assert_eq!(recent.len(), 2);
        assert_eq!(recent[0].hash, "b");
        assert_eq!(store.last_commit("r").unwrap().unwrap().hash, "b");
        // Recorded later but made earlier: not the last commit.
        let older = ReflogBatch {
            repo: "r".into(),
            commits: vec![NewCommit {
                committed_at: Some(from_millis(500)),
                ..commit("c")
            }],
            ..ReflogBatch::default()
        };
        store.record_reflog_batch(&older, now).unwrap();
        assert_eq!(store.last_commit("r").unwrap().unwrap().hash, "b");
        assert!(store
            .recent_commits(Some(from_millis(2_000)), 10)
            .unwrap()
            .is_empty());

        let trigger = crate::store::NewTrigger {
            kind: crate::store::TriggerKind::Commit,
            scheduled_at: None,
            fired_at: now,
            late: false,
            reason: None,
            detail: None,
        };
        let id = store.record_commit_trigger(&trigger, [("r", "a")]).unwrap();
        assert_eq!(
            store.commit("r", "a").unwrap().unwrap().trigger_id,
            Some(id)
        );
        assert_eq!(store.commit("r", "b").unwrap().unwrap().trigger_id, None);

        // The trigger and its links are one transaction: when linking
        // fails, no trigger is left behind.
        store
            .conn
            .execute_batch(
                "CREATE TEMP TRIGGER no_links BEFORE UPDATE OF trigger_id ON commits
                 BEGIN SELECT RAISE(ABORT, 'linking refused'); END;",
            )
            .unwrap();
        let before = store.trigger_count().unwrap();
        assert!(store.record_commit_trigger(&trigger, [("r", "b")]).is_err());
        assert_eq!(store.trigger_count().unwrap(), before);
    }
}

#[cfg(test)]
mod migration_tests {
    use super::*;

    /// A store as devtrack wrote it at schema version 1, with one commit.
    fn version_1_store(path: &Path) {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.execute_batch(super::super::MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "INSERT INTO commits (repo, hash, kind, recorded_at) VALUES ('r', 'old', 'commit', 1)",
            [],
        )
        .unwrap();
    }

    #[test]
    fn commits_recorded_before_ownership_was_stored_read_as_unknown() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        version_1_store(&path);

        // The CLI beside an older daemon reads the file as it is.
        let ro = Store::open_read_only(&path).unwrap();
        let listed = ro.recent_commits(None, 10).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].own, None);
        drop(ro);

        let mut store = Store::open(&path).unwrap();
        let version: usize = store
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, super::super::MIGRATIONS.len());
        assert_eq!(store.commit("r", "old").unwrap().unwrap().own, None);
        let mut theirs = ReflogBatch {
            repo: "r".into(),
            ..ReflogBatch::default()
        };
        for (hash, own) in [("mine", true), ("theirs", false)] {
            theirs.commits.push(NewCommit::bare(hash, own));
        }
        store.record_reflog_batch(&theirs, from_millis(2)).unwrap();
        assert_eq!(store.commit("r", "mine").unwrap().unwrap().own, Some(true));
        assert_eq!(
            store.commit("r", "theirs").unwrap().unwrap().own,
            Some(false)
        );
    }

    #[test]
    fn an_existing_store_takes_its_first_watches_from_its_cursors_and_commits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            for sql in &super::super::MIGRATIONS[..super::super::RECORD_SCHEMA - 1] {
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "user_version", super::super::RECORD_SCHEMA - 1)
                .unwrap();
            conn.execute_batch(
                "INSERT INTO reflog_cursors (log_path, repo, file_id, offset, updated_at)
                     VALUES ('/a/.git/logs/HEAD', 'a', '1:1', 10, 5000),
                            ('/b/.git/logs/HEAD', 'b', '1:2', 10, 7000);
                 INSERT INTO commits (repo, hash, kind, recorded_at) VALUES ('a', 'x', 'commit', 3000);",
            )
            .unwrap();
        }
        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.first_watch("a").unwrap(), Some(from_millis(3000)));
        assert_eq!(store.first_watch("b").unwrap(), Some(from_millis(7000)));
        assert_eq!(store.first_watch("c").unwrap(), None);
        store.record_first_watch("c", from_millis(9000)).unwrap();
        store.record_first_watch("c", from_millis(9999)).unwrap();
        assert_eq!(store.first_watch("c").unwrap(), Some(from_millis(9000)));
        assert!(store.found_at_start("a").unwrap().is_empty());
    }
}
