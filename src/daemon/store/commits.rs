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
use crate::daemon::gitwatch::{CommitKind, Cursor};

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
}

/// A stored commit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommitRecord {
    pub id: i64,
    pub repo: String,
    pub hash: String,
    pub kind: String,
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

const COMMIT_COLUMNS: &str = "id, repo, hash, kind, amends, branch, author_name, author_email, \
     committed_at, summary, files_changed, insertions, deletions, recorded_at, trigger_id";

fn commit_row(r: &Row<'_>) -> rusqlite::Result<CommitRecord> {
    Ok(CommitRecord {
        id: r.get(0)?,
        repo: r.get(1)?,
        hash: r.get(2)?,
        kind: r.get(3)?,
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
    })
}

impl Store {
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
                     committed_at, summary, files_changed, insertions, deletions, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
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
            let mut upd = tx.prepare_cached(
                "UPDATE commits SET branch = ?3 WHERE repo = ?1 AND hash = ?2 AND branch IS NULL",
            )?;
            for (hash, branch) in &batch.branch_updates {
                upd.execute(params![batch.repo, hash, branch])?;
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
        let sql = format!(
            "SELECT {COMMIT_COLUMNS} FROM commits
             WHERE coalesce(committed_at, recorded_at) >= ?1
             ORDER BY coalesce(committed_at, recorded_at) DESC, id DESC LIMIT ?2"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let since = since.map(to_millis).unwrap_or(i64::MIN);
        let rows = stmt.query_map(params![since, limit as i64], commit_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn commit_count(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM commits", [], |r| r.get(0))?)
    }

    /// Commits of one repository, oldest first.
    pub fn repo_commits(&self, repo: &str) -> Result<Vec<CommitRecord>> {
        let sql = format!("SELECT {COMMIT_COLUMNS} FROM commits WHERE repo = ?1 ORDER BY id");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([repo], commit_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn commit(&self, repo: &str, hash: &str) -> Result<Option<CommitRecord>> {
        let sql = format!("SELECT {COMMIT_COLUMNS} FROM commits WHERE repo = ?1 AND hash = ?2");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        Ok(stmt.query_row([repo, hash], commit_row).optional()?)
    }

    /// The most recently recorded commit of `repo`.
    pub fn last_commit(&self, repo: &str) -> Result<Option<CommitRecord>> {
        let sql = format!(
            "SELECT {COMMIT_COLUMNS} FROM commits WHERE repo = ?1 ORDER BY id DESC LIMIT 1"
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

    pub fn activity_count(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM repo_activity", [], |r| r.get(0))?)
    }

    /// Links the commits a commit trigger announced to that trigger.
    pub fn link_commits_to_trigger<'a>(
        &mut self,
        trigger_id: i64,
        commits: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut upd = tx.prepare_cached(
                "UPDATE commits SET trigger_id = ?1 WHERE repo = ?2 AND hash = ?3",
            )?;
            for (repo, hash) in commits {
                upd.execute(params![trigger_id, repo, hash])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
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
        assert_eq!(store.activity_count().unwrap(), 2);
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
        assert!(store
            .recent_commits(Some(from_millis(2_000)), 10)
            .unwrap()
            .is_empty());

        let id = store
            .record_trigger(&crate::daemon::store::NewTrigger {
                kind: crate::daemon::store::TriggerKind::Commit,
                scheduled_at: None,
                fired_at: now,
                late: false,
                reason: None,
                detail: None,
            })
            .unwrap();
        store.link_commits_to_trigger(id, [("r", "a")]).unwrap();
        assert_eq!(
            store.commit("r", "a").unwrap().unwrap().trigger_id,
            Some(id)
        );
    }
}
