//! Triggers and missed slots.

use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::Serialize;

use super::prompts::{open_prompt_in, parsed, PromptOpened};
use super::{from_millis, to_millis, Store};
use crate::protocol::TriggerInfo;
/// A trigger's kind: a wire and store name, so it is the protocol's.
pub use crate::protocol::TriggerKind;
use crate::scheduler::{MissedSlot, SchedulerState};

/// A trigger about to be recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTrigger {
    pub kind: TriggerKind,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub fired_at: DateTime<Utc>,
    pub late: bool,
    pub reason: Option<String>,
    /// Free-form JSON (e.g. the commits a commit trigger lists).
    pub detail: Option<serde_json::Value>,
}

impl NewTrigger {
    /// The record of this trigger once stored under `id`.
    pub(crate) fn recorded(self, id: i64) -> TriggerRecord {
        TriggerRecord {
            id,
            kind: self.kind,
            scheduled_at: self.scheduled_at,
            fired_at: self.fired_at,
            late: self.late,
            reason: self.reason,
            detail: self.detail,
        }
    }
}

/// A recorded trigger.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct TriggerRecord {
    pub id: i64,
    pub kind: TriggerKind,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub fired_at: DateTime<Utc>,
    pub late: bool,
    pub reason: Option<String>,
    pub detail: Option<serde_json::Value>,
}

impl TriggerRecord {
    /// The record as the protocol shows it.
    pub(crate) fn info(&self) -> TriggerInfo {
        TriggerInfo {
            id: self.id,
            kind: self.kind,
            fired_at: self.fired_at,
            scheduled_at: self.scheduled_at,
            late: self.late,
            reason: self.reason.clone(),
        }
    }
}

impl Store {
    /// Records one scheduler step atomically: the trigger (if any), the
    /// missed slots (linked to it) and the new scheduler state. Returns the
    /// trigger's id.
    pub fn record_step(
        &mut self,
        trigger: Option<&NewTrigger>,
        missed: &[MissedSlot],
        state: &SchedulerState,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let tx = self.conn.transaction()?;
        let id = step_in(&tx, trigger, missed, state, now)?;
        tx.commit()?;
        Ok(id)
    }

    /// [`Store::record_step`], and the trigger (if any) gets its prompt
    /// ([`Store::open_prompt`]) in the same transaction: a crash keeps the
    /// trigger with its prompt or neither.
    pub(crate) fn record_step_prompted(
        &mut self,
        trigger: Option<&NewTrigger>,
        missed: &[MissedSlot],
        state: &SchedulerState,
        now: DateTime<Utc>,
        expire_before: Option<DateTime<Utc>>,
    ) -> Result<Option<Prompted>> {
        let tx = self.conn.transaction()?;
        let prompted = match step_in(&tx, trigger, missed, state, now)? {
            Some(id) => Some(Prompted {
                trigger_id: id,
                opened: open_prompt_in(&tx, id, now, expire_before)?,
            }),
            None => None,
        };
        tx.commit()?;
        Ok(prompted)
    }

    /// Records a trigger on its own (manual triggers).
    pub fn record_trigger(&mut self, trigger: &NewTrigger) -> Result<i64> {
        self.record_commit_trigger(trigger, [])
    }

    /// Records a trigger and links the commits it announces, `(repo,
    /// hash)`, to it, in one transaction: a crash keeps both or neither.
    pub(crate) fn record_commit_trigger<'a>(
        &mut self,
        trigger: &NewTrigger,
        commits: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<i64> {
        let tx = self.conn.transaction()?;
        let id = insert_trigger(&tx, trigger)?;
        super::commits::link_to_trigger(&tx, id, commits)?;
        tx.commit()?;
        Ok(id)
    }

    /// [`Store::record_commit_trigger`], and the trigger gets its prompt
    /// ([`Store::open_prompt`]) in the same transaction.
    pub fn record_trigger_prompted<'a>(
        &mut self,
        trigger: &NewTrigger,
        commits: impl IntoIterator<Item = (&'a str, &'a str)>,
        now: DateTime<Utc>,
        expire_before: Option<DateTime<Utc>>,
    ) -> Result<Prompted> {
        let tx = self.conn.transaction()?;
        let id = insert_trigger(&tx, trigger)?;
        super::commits::link_to_trigger(&tx, id, commits)?;
        let opened = open_prompt_in(&tx, id, now, expire_before)?;
        tx.commit()?;
        Ok(Prompted {
            trigger_id: id,
            opened,
        })
    }

    pub fn trigger_count(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM triggers", [], |r| r.get(0))?)
    }

    pub(crate) fn triggers_since(&self, since: DateTime<Utc>) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM triggers WHERE fired_at >= ?1",
            [to_millis(since)],
            |r| r.get(0),
        )?)
    }

    pub(crate) fn last_trigger(&self) -> Result<Option<TriggerRecord>> {
        Ok(self.recent_triggers(None, 1)?.into_iter().next())
    }

    /// Newest first, at most `limit`, optionally only those fired at or after `since`.
    pub(crate) fn recent_triggers(
        &self,
        since: Option<DateTime<Utc>>,
        limit: usize,
    ) -> Result<Vec<TriggerRecord>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, kind, scheduled_at, fired_at, late, reason, detail FROM triggers
             WHERE fired_at >= ?1 ORDER BY fired_at DESC, id DESC LIMIT ?2",
        )?;
        let since = since.map(to_millis).unwrap_or(i64::MIN);
        let rows = stmt.query_map(params![since, limit as i64], |r| {
            let detail: Option<String> = r.get(6)?;
            Ok(TriggerRecord {
                id: r.get(0)?,
                kind: parsed(r, 1, TriggerKind::parse)?,
                scheduled_at: r.get::<_, Option<i64>>(2)?.map(from_millis),
                fired_at: from_millis(r.get(3)?),
                late: r.get(4)?,
                reason: r.get(5)?,
                detail: detail.and_then(|d| serde_json::from_str(&d).ok()),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub(crate) fn missed_slot_count(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM missed_slots", [], |r| r.get(0))?)
    }
}

/// What a `*_prompted` method recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompted {
    pub trigger_id: i64,
    pub opened: PromptOpened,
}

fn step_in(
    tx: &rusqlite::Connection,
    trigger: Option<&NewTrigger>,
    missed: &[MissedSlot],
    state: &SchedulerState,
    now: DateTime<Utc>,
) -> Result<Option<i64>> {
    let id = match trigger {
        Some(t) => Some(insert_trigger(tx, t)?),
        None => None,
    };
    let mut ins = tx.prepare_cached(
        "INSERT INTO missed_slots (scheduled_at, reason, recorded_at, trigger_id)
         VALUES (?1, ?2, ?3, ?4)",
    )?;
    for m in missed {
        ins.execute(params![
            to_millis(m.at),
            m.reason.as_str(),
            to_millis(now),
            id
        ])?;
    }
    Store::write_scheduler_state(tx, state)?;
    Ok(id)
}

fn insert_trigger(conn: &rusqlite::Connection, t: &NewTrigger) -> Result<i64> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO triggers (kind, scheduled_at, fired_at, late, reason, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    stmt.execute(params![
        t.kind.as_str(),
        t.scheduled_at.map(to_millis),
        to_millis(t.fired_at),
        t.late,
        t.reason,
        t.detail.as_ref().map(|d| d.to_string()),
    ])?;
    Ok(conn.last_insert_rowid())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manual(at: DateTime<Utc>) -> NewTrigger {
        NewTrigger {
            kind: TriggerKind::Manual,
            scheduled_at: None,
            fired_at: at,
            late: false,
            reason: None,
            detail: None,
        }
    }

    #[test]
    fn kinds_read_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("t.db")).unwrap();
        for (i, kind) in TriggerKind::ALL.into_iter().enumerate() {
            let t = NewTrigger {
                kind,
                ..manual(from_millis(1_000 * (i as i64 + 1)))
            };
            store.record_trigger(&t).unwrap();
        }
        let mut kinds: Vec<TriggerKind> = store
            .recent_triggers(None, 10)
            .unwrap()
            .into_iter()
            .map(|t| t.kind)
            .collect();
        kinds.reverse();
        assert_eq!(kinds, TriggerKind::ALL);
    }

    /// A trigger recorded with its prompt: the first opens one, the second
    /// folds into it, and both are in the store together.
    #[test]
    fn triggers_recorded_with_their_prompt() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("t.db")).unwrap();
        let first = store
            .record_trigger_prompted(&manual(from_millis(1_000)), [], from_millis(1_000), None)
            .unwrap();
        assert_eq!(first.opened.fold, crate::store::Fold::Open);
        let state = store.scheduler_state().unwrap();
        let second = store
            .record_step_prompted(
                Some(&manual(from_millis(2_000))),
                &[],
                &state,
                from_millis(2_000),
                None,
            )
            .unwrap()
            .unwrap();
        assert_eq!(second.opened.fold, crate::store::Fold::Into);
        assert_eq!(second.opened.prompt.id, first.opened.prompt.id);
        let ids: Vec<i64> = second
            .opened
            .prompt
            .triggers
            .iter()
            .map(|t| t.trigger_id)
            .collect();
        assert_eq!(ids, [first.trigger_id, second.trigger_id]);
        assert_eq!(
            store
                .record_step_prompted(None, &[], &state, from_millis(3_000), None)
                .unwrap(),
            None
        );
    }

    /// A kind this version does not know (written by a newer devtrack whose
    /// schema allows more kinds) is an error naming it, not a timer prompt.
    #[test]
    fn an_unknown_stored_kind_is_an_error_not_a_timer() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("t.db")).unwrap();
        let id = store.record_trigger(&manual(from_millis(1_000))).unwrap();
        // This schema's CHECK lists the kinds it knows.
        store
            .conn
            .pragma_update(None, "ignore_check_constraints", true)
            .unwrap();
        store
            .conn
            .execute("UPDATE triggers SET kind = 'snooze' WHERE id = ?1", [id])
            .unwrap();
        let err = store.recent_triggers(None, 10).unwrap_err();
        assert!(
            format!("{err:#}").contains("unknown value `snooze`"),
            "{err:#}"
        );
        assert!(store.last_trigger().is_err());
    }
}
