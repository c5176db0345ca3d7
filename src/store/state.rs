//! Scheduler state that survives restarts: the slot anchor and the pause.

use anyhow::Result;
use rusqlite::{params, OptionalExtension};

use super::{from_millis, to_millis, Store};
use crate::scheduler::{Pause, SchedulerState};

const ANCHOR: &str = "scheduler.anchor";
const PAUSE: &str = "scheduler.pause";
const SKIP: &str = "scheduler.skip_next";

impl Store {
    fn get_state(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT value FROM daemon_state WHERE key = ?1",
                [key],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The persisted scheduler state; without an anchor when the schedule
    /// was never computed (the first [`step`](crate::scheduler::step)
    /// sets it, and the run loop stores it).
    pub(crate) fn scheduler_state(&self) -> Result<SchedulerState> {
        let anchor = self
            .get_state(ANCHOR)?
            .and_then(|v| v.parse::<i64>().ok())
            .map(from_millis);
        let pause = match self.get_state(PAUSE)?.as_deref() {
            Some("indefinite") => Pause::Indefinite,
            Some(v) => v
                .parse::<i64>()
                .map(|ms| Pause::Until(from_millis(ms)))
                .unwrap_or(Pause::Running),
            None => Pause::Running,
        };
        let skip_next = self.get_state(SKIP)?.as_deref() == Some("1");
        Ok(SchedulerState {
            anchor,
            pause,
            skip_next,
        })
    }

    /// Persists `state` (inside the caller's transaction when there is one).
    pub(crate) fn write_scheduler_state(
        conn: &rusqlite::Connection,
        state: &SchedulerState,
    ) -> Result<()> {
        let pause = match state.pause {
            Pause::Running => None,
            Pause::Indefinite => Some("indefinite".to_string()),
            Pause::Until(t) => Some(to_millis(t).to_string()),
        };
        let mut put = conn.prepare_cached(
            "INSERT INTO daemon_state (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )?;
        let anchor = state.anchor.map(|t| to_millis(t).to_string());
        put.execute(params![SKIP, if state.skip_next { "1" } else { "0" }])?;
        for (key, value) in [(ANCHOR, anchor), (PAUSE, pause)] {
            match value {
                Some(v) => {
                    put.execute(params![key, v])?;
                }
                None => {
                    conn.execute("DELETE FROM daemon_state WHERE key = ?1", [key])?;
                }
            }
        }
        Ok(())
    }

    pub fn save_scheduler_state(&mut self, state: &SchedulerState) -> Result<()> {
        let tx = self.conn.transaction()?;
        Store::write_scheduler_state(&tx, state)?;
        tx.commit()?;
        Ok(())
    }
}
