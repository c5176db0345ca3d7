//! Prompts: opening one for a trigger (or folding the trigger into the one
//! outstanding prompt), what each delivery channel did with it, and its
//! state changes (snooze, reopen, expire, skip; answers are in
//! `updates.rs`).
//!
//! Every method runs in one transaction and returns the prompt as stored
//! after it, so a caller announces (notification, socket event) only what is
//! already durable. The `*_in` functions do the same work inside a
//! transaction the caller owns, e.g. to record a trigger and open its prompt
//! atomically. The rules themselves are the pure ones in `lifecycle.rs`.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::lifecycle::{self, Action, Fold, PromptState, TransitionError};
use super::{from_millis, to_millis, Store};

/// Channels and their outcomes are wire and store names, so they are the
/// protocol's.
pub use crate::protocol::Channel;
pub(crate) use crate::protocol::Outcome;

/// A trigger folded into a prompt.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PromptTrigger {
    pub trigger_id: i64,
    /// `timer`, `commit`, `manual`, `catchup`.
    pub kind: String,
    pub fired_at: DateTime<Utc>,
}

/// One state a prompt entered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PromptChange {
    pub state: PromptState,
    pub at: DateTime<Utc>,
    pub reopens_at: Option<DateTime<Utc>>,
}

/// One channel result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delivery {
    pub channel: Channel,
    pub outcome: Outcome,
    pub detail: Option<String>,
    pub at: DateTime<Utc>,
}

/// A time a prompt was held back from the person.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PromptHold {
    /// `paused`, `work_hours`, `locked`, `idle`, `inhibited`, `asking`.
    pub reason: String,
    pub held_at: DateTime<Utc>,
    /// When it was shown; `None` while it is held.
    pub released_at: Option<DateTime<Utc>>,
}

/// How many of a prompt's triggers a [`PromptRecord`] holds: the first
/// (which opened it) and the latest ones. A prompt left open through a day
/// of commit triggers (or a client calling `trigger` in a loop) folds in
/// any number of them; every fold loads, renders and announces the prompt,
/// so what is loaded must not grow with them. `trigger_count` has the
/// total.
pub(crate) const TRIGGERS_KEPT: usize = 20;

/// A stored prompt with what happened to it, oldest first: its state
/// changes, the first and latest [`TRIGGERS_KEPT`] triggers, and each
/// channel's latest result of each outcome (a prompt shown again and again
/// is delivered again and again; the rows stay in the store).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PromptRecord {
    pub id: i64,
    /// Its first trigger's time; an answer refers to this time.
    pub opened_at: DateTime<Utc>,
    pub state: PromptState,
    /// When it entered `state`.
    pub state_at: DateTime<Utc>,
    /// When a snoozed prompt opens again.
    pub reopens_at: Option<DateTime<Utc>>,
    /// How many triggers were folded into it, `triggers` holding at most
    /// [`TRIGGERS_KEPT`] of them.
    pub trigger_count: u64,
    pub triggers: Vec<PromptTrigger>,
    pub changes: Vec<PromptChange>,
    pub deliveries: Vec<Delivery>,
    /// The times it was held back from the person, oldest first.
    pub holds: Vec<PromptHold>,
}

/// What [`Store::open_prompt`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptOpened {
    /// The prompt the trigger now belongs to, as stored.
    pub prompt: PromptRecord,
    /// [`Fold::Open`]: a new prompt; [`Fold::Into`]: the outstanding one
    /// (update its notification, keep a snooze); [`Fold::ExpireAndOpen`]: a
    /// new one after expiring `expired`.
    pub fold: Fold,
    pub expired: Option<PromptRecord>,
}

/// Why a prompt operation did nothing.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    #[error("no prompt {0}")]
    NoSuchPrompt(i64),
    #[error("no prompt is open")]
    NoneOutstanding,
    #[error("no trigger {0}")]
    NoSuchTrigger(i64),
    #[error("trigger {trigger} already belongs to prompt {prompt}")]
    TriggerTaken { trigger: i64, prompt: i64 },
    #[error("prompt {id}: {source}")]
    Refused {
        id: i64,
        #[source]
        source: TransitionError,
    },
    #[error("an update needs some text")]
    EmptyAnswer,
    #[error("store: {0}")]
    Store(#[from] rusqlite::Error),
}

/// Reads a text column through `parse`; an unknown value is an error, never
/// a silent default.
pub(super) fn parsed<T>(
    r: &rusqlite::Row<'_>,
    idx: usize,
    parse: fn(&str) -> Option<T>,
) -> rusqlite::Result<T> {
    let text: String = r.get(idx)?;
    parse(&text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            idx,
            rusqlite::types::Type::Text,
            format!("unknown value `{text}`").into(),
        )
    })
}

/// The prompt `id` with its triggers, changes and deliveries.
pub(crate) fn load_prompt(conn: &Connection, id: i64) -> rusqlite::Result<Option<PromptRecord>> {
    let head = conn
        .prepare_cached(
            "SELECT id, opened_at, state, state_at, reopens_at FROM prompts WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok(PromptRecord {
                id: r.get(0)?,
                opened_at: from_millis(r.get(1)?),
                state: parsed(r, 2, PromptState::parse)?,
                state_at: from_millis(r.get(3)?),
                reopens_at: r.get::<_, Option<i64>>(4)?.map(from_millis),
                trigger_count: 0,
                triggers: Vec::new(),
                changes: Vec::new(),
                deliveries: Vec::new(),
                holds: Vec::new(),
            })
        })
        .optional()?;
    let Some(mut p) = head else {
        return Ok(None);
    };
    p.trigger_count = conn
        .prepare_cached("SELECT COUNT(*) FROM prompt_triggers WHERE prompt_id = ?1")?
        .query_row([id], |r| r.get(0))?;
    // The first trigger, then the latest ones (newest first, reversed).
    p.triggers = conn
        .prepare_cached(
            "SELECT * FROM (
               SELECT t.id, t.kind, t.fired_at FROM prompt_triggers pt
               JOIN triggers t ON t.id = pt.trigger_id
               WHERE pt.prompt_id = ?1 ORDER BY t.fired_at, t.id LIMIT 1)
             UNION
             SELECT * FROM (
               SELECT t.id, t.kind, t.fired_at FROM prompt_triggers pt
               JOIN triggers t ON t.id = pt.trigger_id
               WHERE pt.prompt_id = ?1 ORDER BY t.fired_at DESC, t.id DESC LIMIT ?2)
             ORDER BY 3, 1",
        )?
        .query_map(params![id, TRIGGERS_KEPT as i64 - 1], |r| {
            Ok(PromptTrigger {
                trigger_id: r.get(0)?,
                kind: r.get(1)?,
                fired_at: from_millis(r.get(2)?),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    p.changes = conn
        .prepare_cached(
            "SELECT state, at, reopens_at FROM prompt_changes WHERE prompt_id = ?1 ORDER BY id",
        )?
        .query_map([id], |r| {
            Ok(PromptChange {
                state: parsed(r, 0, PromptState::parse)?,
                at: from_millis(r.get(1)?),
                reopens_at: r.get::<_, Option<i64>>(2)?.map(from_millis),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    p.deliveries = conn
        .prepare_cached(
            "SELECT channel, outcome, detail, at FROM prompt_deliveries
             WHERE id IN (SELECT MAX(id) FROM prompt_deliveries
                          WHERE prompt_id = ?1 GROUP BY channel, outcome)
             ORDER BY id",
        )?
        .query_map([id], |r| {
            Ok(Delivery {
                channel: parsed(r, 0, Channel::parse)?,
                outcome: parsed(r, 1, Outcome::parse)?,
                detail: r.get(2)?,
                at: from_millis(r.get(3)?),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    p.holds = load_holds(conn, id)?;
    Ok(Some(p))
}

/// Prompt `id`'s holds; none in a store older than schema version 6
/// (opened read-only by the CLI).
fn load_holds(conn: &Connection, id: i64) -> rusqlite::Result<Vec<PromptHold>> {
    let mut statement = match conn.prepare_cached(
        "SELECT reason, held_at, released_at FROM prompt_holds WHERE prompt_id = ?1 ORDER BY id",
    ) {
        Ok(s) => s,
        Err(rusqlite::Error::SqliteFailure(_, Some(message)))
            if message.contains("no such table") =>
        {
            return Ok(Vec::new())
        }
        Err(e) => return Err(e),
    };
    let holds = statement
        .query_map([id], |r| {
            Ok(PromptHold {
                reason: r.get(0)?,
                held_at: from_millis(r.get(1)?),
                released_at: r.get::<_, Option<i64>>(2)?.map(from_millis),
            })
        })?
        .collect();
    holds
}

/// The outstanding prompt's id and opening time, if there is one (at most
/// one can exist).
pub(crate) fn outstanding_in(conn: &Connection) -> rusqlite::Result<Option<(i64, DateTime<Utc>)>> {
    conn.prepare_cached(
        "SELECT id, opened_at FROM prompts WHERE state IN ('open', 'snoozed')
         ORDER BY opened_at, id LIMIT 1",
    )?
    .query_row([], |r| Ok((r.get(0)?, from_millis(r.get(1)?))))
    .optional()
}

fn must_load(conn: &Connection, id: i64) -> Result<PromptRecord, PromptError> {
    load_prompt(conn, id)?.ok_or(PromptError::NoSuchPrompt(id))
}

/// Applies `action` to prompt `id` inside the caller's transaction.
pub(crate) fn change_in(
    conn: &Connection,
    id: i64,
    action: Action,
    now: DateTime<Utc>,
) -> Result<PromptRecord, PromptError> {
    let current = must_load(conn, id)?;
    let next = lifecycle::transition(current.state, current.reopens_at, action, now)
        .map_err(|source| PromptError::Refused { id, source })?;
    let reopens = next.reopens_at.map(to_millis);
    conn.prepare_cached(
        "UPDATE prompts SET state = ?2, state_at = ?3, reopens_at = ?4 WHERE id = ?1",
    )?
    .execute(params![id, next.state.as_str(), to_millis(now), reopens])?;
    insert_change(conn, id, next.state, now, reopens)?;
    must_load(conn, id)
}

fn insert_change(
    conn: &Connection,
    id: i64,
    state: PromptState,
    at: DateTime<Utc>,
    reopens_at: Option<i64>,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO prompt_changes (prompt_id, state, at, reopens_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![id, state.as_str(), to_millis(at), reopens_at])?;
    Ok(())
}

/// [`Store::open_prompt`] inside the caller's transaction.
pub(crate) fn open_prompt_in(
    conn: &Connection,
    trigger_id: i64,
    now: DateTime<Utc>,
    expire_before: Option<DateTime<Utc>>,
) -> Result<PromptOpened, PromptError> {
    let fired_at: i64 = conn
        .prepare_cached("SELECT fired_at FROM triggers WHERE id = ?1")?
        .query_row([trigger_id], |r| r.get(0))
        .optional()?
        .ok_or(PromptError::NoSuchTrigger(trigger_id))?;
    let taken: Option<i64> = conn
        .prepare_cached("SELECT prompt_id FROM prompt_triggers WHERE trigger_id = ?1")?
        .query_row([trigger_id], |r| r.get(0))
        .optional()?;
    if let Some(prompt) = taken {
        return Err(PromptError::TriggerTaken {
            trigger: trigger_id,
            prompt,
        });
    }
    let outstanding = outstanding_in(conn)?;
    let fold = lifecycle::fold(outstanding.map(|(_, at)| at), expire_before);
    let mut expired = None;
    let id = match (fold, outstanding) {
        (Fold::Into, Some((id, _))) => id,
        (Fold::ExpireAndOpen, Some((old, _))) => {
            expired = Some(change_in(conn, old, Action::Expire, now)?);
            insert_prompt(conn, fired_at)?
        }
        _ => insert_prompt(conn, fired_at)?,
    };
    conn.prepare_cached("INSERT INTO prompt_triggers (trigger_id, prompt_id) VALUES (?1, ?2)")?
        .execute(params![trigger_id, id])?;
    Ok(PromptOpened {
        prompt: must_load(conn, id)?,
        fold,
        expired,
    })
}

fn insert_prompt(conn: &Connection, opened_at: i64) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "INSERT INTO prompts (opened_at, state, state_at) VALUES (?1, 'open', ?1)",
    )?
    .execute([opened_at])?;
    let id = conn.last_insert_rowid();
    insert_change(conn, id, PromptState::Open, from_millis(opened_at), None)?;
    Ok(id)
}

impl Store {
    /// Gives trigger `trigger_id` (already recorded) a prompt: folds it into
    /// the outstanding prompt, or opens a new one whose time is the
    /// trigger's `fired_at`. An outstanding prompt opened before
    /// `expire_before` is expired first and not reused (see
    /// [`lifecycle::fold`]).
    pub fn open_prompt(
        &mut self,
        trigger_id: i64,
        now: DateTime<Utc>,
        expire_before: Option<DateTime<Utc>>,
    ) -> Result<PromptOpened, PromptError> {
        let tx = self.conn.transaction()?;
        let opened = open_prompt_in(&tx, trigger_id, now, expire_before)?;
        tx.commit()?;
        Ok(opened)
    }

    /// The outstanding (open or snoozed) prompt.
    pub(crate) fn outstanding_prompt(&self) -> Result<Option<PromptRecord>, PromptError> {
        match outstanding_in(&self.conn)? {
            Some((id, _)) => Ok(load_prompt(&self.conn, id)?),
            None => Ok(None),
        }
    }

    pub fn prompt(&self, id: i64) -> Result<Option<PromptRecord>, PromptError> {
        Ok(load_prompt(&self.conn, id)?)
    }

    /// Records that prompt `id` is held back from the person for `reason`
    /// from `at` (nothing when a hold of it is already running).
    pub(crate) fn record_hold(
        &mut self,
        id: i64,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<(), PromptError> {
        self.conn
            .prepare_cached(
                "INSERT INTO prompt_holds (prompt_id, reason, held_at)
                 SELECT ?1, ?2, ?3 WHERE NOT EXISTS (
                     SELECT 1 FROM prompt_holds WHERE prompt_id = ?1 AND released_at IS NULL)",
            )?
            .execute(params![id, reason, to_millis(at)])?;
        Ok(())
    }

    /// Records that the hold of prompt `id` ended at `at`; how long it was
    /// held, if it was.
    pub(crate) fn record_release(
        &mut self,
        id: i64,
        at: DateTime<Utc>,
    ) -> Result<Option<chrono::TimeDelta>, PromptError> {
        let held_at: Option<i64> = self
            .conn
            .prepare_cached(
                "UPDATE prompt_holds SET released_at = ?2
                 WHERE prompt_id = ?1 AND released_at IS NULL RETURNING held_at",
            )?
            .query_row(params![id, to_millis(at)], |r| r.get(0))
            .optional()?;
        Ok(held_at.map(|t| at - from_millis(t)))
    }

    /// Records what `channel` did with prompt `id`.
    pub(crate) fn record_delivery(
        &mut self,
        id: i64,
        channel: Channel,
        outcome: Outcome,
        detail: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<PromptRecord, PromptError> {
        let tx = self.conn.transaction()?;
        must_load(&tx, id)?;
        tx.prepare_cached(
            "INSERT INTO prompt_deliveries (prompt_id, channel, outcome, detail, at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            id,
            channel.as_str(),
            outcome.as_str(),
            detail,
            to_millis(at)
        ])?;
        let p = must_load(&tx, id)?;
        tx.commit()?;
        Ok(p)
    }

    /// Applies `action` to prompt `id`, or to the outstanding prompt when
    /// `id` is `None` ([`PromptError::NoneOutstanding`] when there is none).
    fn change(
        &mut self,
        id: Option<i64>,
        action: Action,
        now: DateTime<Utc>,
    ) -> Result<PromptRecord, PromptError> {
        let tx = self.conn.transaction()?;
        let id = match id {
            Some(id) => id,
            None => outstanding_in(&tx)?.ok_or(PromptError::NoneOutstanding)?.0,
        };
        let p = change_in(&tx, id, action, now)?;
        tx.commit()?;
        Ok(p)
    }

    /// Snoozes prompt `id` (or the outstanding one) until `until`.
    pub fn snooze_prompt(
        &mut self,
        id: Option<i64>,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<PromptRecord, PromptError> {
        self.change(id, Action::Snooze(until), now)
    }

    /// Skips prompt `id` (or the outstanding one).
    pub fn skip_prompt(
        &mut self,
        id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<PromptRecord, PromptError> {
        self.change(id, Action::Skip, now)
    }

    /// Expires prompt `id` (or the outstanding one).
    pub fn expire_prompt(
        &mut self,
        id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<PromptRecord, PromptError> {
        self.change(id, Action::Expire, now)
    }

    /// Opens again every snoozed prompt due at `now`; returns them.
    pub fn reopen_due(&mut self, now: DateTime<Utc>) -> Result<Vec<PromptRecord>, PromptError> {
        let tx = self.conn.transaction()?;
        let due: Vec<i64> = tx
            .prepare_cached(
                "SELECT id FROM prompts WHERE reopens_at IS NOT NULL AND reopens_at <= ?1
                 ORDER BY reopens_at, id",
            )?
            .query_map([to_millis(now)], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut reopened = Vec::with_capacity(due.len());
        for id in due {
            reopened.push(change_in(&tx, id, Action::Reopen, now)?);
        }
        tx.commit()?;
        Ok(reopened)
    }

    /// When the next snoozed prompt reopens (the daemon takes it from the
    /// outstanding prompt it already holds; the store's tests check both
    /// agree).
    #[cfg(test)]
    pub(crate) fn next_reopen(&self) -> Result<Option<DateTime<Utc>>, PromptError> {
        Ok(self
            .conn
            .prepare_cached("SELECT min(reopens_at) FROM prompts WHERE reopens_at IS NOT NULL")?
            .query_row([], |r| r.get::<_, Option<i64>>(0))?
            .map(from_millis))
    }

    /// Keeps the desktop notification showing prompt `id`: its id and the
    /// unique bus name of the server that gave it.
    pub fn set_notification(
        &mut self,
        id: i64,
        notification: u32,
        server: &str,
    ) -> Result<(), PromptError> {
        self.conn
            .prepare_cached(
                "UPDATE prompts SET notification_id = ?2, notification_server = ?3 WHERE id = ?1",
            )?
            .execute(params![id, notification, server])?;
        Ok(())
    }

    /// Forgets the desktop notification of prompt `id` (it was taken
    /// down); writes only when one is kept.
    pub fn clear_notification(&mut self, id: i64) -> Result<(), PromptError> {
        if self.schema < super::NOTIFICATION_SCHEMA {
            return Ok(());
        }
        self.conn
            .prepare_cached(
                "UPDATE prompts SET notification_id = NULL, notification_server = NULL
                 WHERE id = ?1 AND notification_id IS NOT NULL",
            )?
            .execute([id])?;
        Ok(())
    }

    /// The desktop notification kept for prompt `id` (see
    /// [`Store::set_notification`]); none in a store older than
    /// [`super::NOTIFICATION_SCHEMA`].
    pub fn notification(&self, id: i64) -> Result<Option<(u32, String)>, PromptError> {
        if self.schema < super::NOTIFICATION_SCHEMA {
            return Ok(None);
        }
        let row = self
            .conn
            .prepare_cached(
                "SELECT notification_id, notification_server FROM prompts WHERE id = ?1",
            )?
            .query_row([id], |r| {
                Ok((r.get::<_, Option<u32>>(0)?, r.get::<_, Option<String>>(1)?))
            })
            .optional()?;
        Ok(match row {
            Some((Some(n), Some(server))) => Some((n, server)),
            _ => None,
        })
    }

    /// Newest first (by opening time), at most `limit`, optionally only those
    /// opened at or after `since`.
    pub(crate) fn recent_prompts(
        &self,
        since: Option<DateTime<Utc>>,
        limit: usize,
    ) -> Result<Vec<PromptRecord>, PromptError> {
        let ids: Vec<i64> = self
            .conn
            .prepare_cached(
                "SELECT id FROM prompts WHERE opened_at >= ?1
                 ORDER BY opened_at DESC, id DESC LIMIT ?2",
            )?
            .query_map(
                params![since.map(to_millis).unwrap_or(i64::MIN), limit as i64],
                |r| r.get(0),
            )?
            .collect::<rusqlite::Result<_>>()?;
        ids.into_iter()
            .map(|id| must_load(&self.conn, id))
            .collect()
    }
}
