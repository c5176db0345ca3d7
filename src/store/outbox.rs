//! The outbox table: the rows an update is to be posted as (one per
//! update, integration and ticket), written with the update
//! ([`insert_in`], called by `Store::answer`), listed by `devtrack sync`
//! and cancelled by `devtrack sync cancel`. What each row is and why it
//! waits is decided in `crate::sync::plan`.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::prompts::{parsed, PromptError};
use super::{from_millis, to_millis, Store};
use crate::sync::plan::Target;
use crate::tickets::Family;

/// A row's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutboxState {
    /// Waiting: auto_sync off, never pushed, a missing setting, no
    /// repository for a GitHub `#123`.
    Held,
    Queued,
    Sending,
    Sent,
    Failed,
    Cancelled,
}

impl OutboxState {
    pub(crate) const ALL: [OutboxState; 6] = [
        OutboxState::Held,
        OutboxState::Queued,
        OutboxState::Sending,
        OutboxState::Sent,
        OutboxState::Failed,
        OutboxState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Held => "held",
            OutboxState::Queued => "queued",
            OutboxState::Sending => "sending",
            OutboxState::Sent => "sent",
            OutboxState::Failed => "failed",
            OutboxState::Cancelled => "cancelled",
        }
    }

    fn parse(s: &str) -> Option<OutboxState> {
        OutboxState::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// A stored row, with its update's text and time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxRow {
    /// The stable id (the comment's marker).
    pub id: String,
    pub update_id: i64,
    pub family: Family,
    pub ticket: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    pub state: OutboxState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_try_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_url: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Not in `--json`: the JSON carries ids, tickets and states only.
    #[serde(skip)]
    pub update_text: String,
    #[serde(skip)]
    pub answered_at: DateTime<Utc>,
}

fn family(s: &str) -> Option<Family> {
    [Family::Github, Family::Jira, Family::AzureDevops]
        .into_iter()
        .find(|f| f.as_str() == s)
}

/// The integrations that have had their first `devtrack sync push`.
pub(super) fn pushed_in(conn: &Connection) -> rusqlite::Result<Vec<Family>> {
    conn.prepare_cached("SELECT family FROM sync_integrations")?
        .query_map([], |r| r.get::<_, String>(0))?
        .map(|f| f.map(|f| family(&f)))
        .filter_map(|f| f.transpose())
        .collect()
}

/// Writes the rows of update `update` (inside its transaction).
pub(super) fn insert_in(
    conn: &Connection,
    update: i64,
    targets: &[Target],
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let mut ins = conn.prepare_cached(
        "INSERT INTO outbox (work_update_id, family, ticket, endpoint, state, reason,
                             created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    )?;
    for t in targets {
        let state = match t.hold {
            Some(_) => OutboxState::Held,
            None => OutboxState::Queued,
        };
        ins.execute(params![
            update,
            t.family.as_str(),
            t.ticket,
            t.endpoint,
            state.as_str(),
            t.hold.as_ref().map(|h| h.reason(t.family)),
            to_millis(now),
        ])?;
    }
    Ok(())
}

const ROW_SQL: &str = "SELECT o.uid, o.work_update_id, o.family, o.ticket, o.endpoint, o.state,
        o.reason, o.attempts, o.next_try_at, o.remote_url, o.created_at, u.text, u.answered_at
     FROM outbox o JOIN work_updates u ON u.id = o.work_update_id";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxRow> {
    Ok(OutboxRow {
        id: r.get(0)?,
        update_id: r.get(1)?,
        family: parsed(r, 2, family)?,
        ticket: r.get(3)?,
        endpoint: r.get(4)?,
        state: parsed(r, 5, OutboxState::parse)?,
        reason: r.get(6)?,
        attempts: r.get(7)?,
        next_try_at: r.get::<_, Option<i64>>(8)?.map(from_millis),
        remote_url: r.get(9)?,
        created_at: from_millis(r.get(10)?),
        update_text: r.get(11)?,
        answered_at: from_millis(r.get(12)?),
    })
}

/// Why `devtrack sync cancel` refused.
#[derive(Debug, thiserror::Error)]
pub enum CancelError {
    #[error("no outbox item `{0}`")]
    Unknown(String),
    #[error("outbox item `{id}` is {} and cannot be cancelled", state.as_str())]
    Finished { id: String, state: OutboxState },
    #[error(transparent)]
    Store(#[from] PromptError),
}

impl Store {
    /// The outbox rows of updates answered at or after `since` (all when
    /// `None`), oldest first. Empty for a store older than the outbox.
    pub fn outbox(&self, since: Option<DateTime<Utc>>) -> Result<Vec<OutboxRow>, PromptError> {
        if self.schema < super::OUTBOX_SCHEMA {
            return Ok(Vec::new());
        }
        let sql = format!("{ROW_SQL} WHERE u.answered_at >= ?1 ORDER BY o.id");
        let since = since.map_or(i64::MIN, to_millis);
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_map([since], row)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Cancels row `id` (held, queued or failed): it is never sent.
    pub fn cancel_outbox(
        &mut self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<OutboxRow, CancelError> {
        let tx = self.conn.transaction().map_err(PromptError::from)?;
        let sql = format!("{ROW_SQL} WHERE o.uid = ?1");
        let found = tx
            .prepare_cached(&sql)
            .and_then(|mut s| s.query_row([id], row).optional())
            .map_err(PromptError::from)?;
        let Some(mut found) = found else {
            return Err(CancelError::Unknown(id.to_owned()));
        };
        if !matches!(
            found.state,
            OutboxState::Held | OutboxState::Queued | OutboxState::Failed
        ) {
            return Err(CancelError::Finished {
                id: id.to_owned(),
                state: found.state,
            });
        }
        let reason = "cancelled with `devtrack sync cancel`";
        tx.execute(
            "UPDATE outbox SET state = 'cancelled', reason = ?2, next_try_at = NULL,
                 updated_at = ?3 WHERE uid = ?1",
            params![id, reason, to_millis(now)],
        )
        .map_err(PromptError::from)?;
        tx.commit().map_err(PromptError::from)?;
        found.state = OutboxState::Cancelled;
        found.reason = Some(reason.to_owned());
        Ok(found)
    }
}
