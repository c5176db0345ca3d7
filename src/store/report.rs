//! The queries behind `devtrack report`: the commits, answers, prompts and
//! missed slots of a time range `[start, end)`, each selected through an
//! index on the time it is reported at (a test checks the query plans).
//! The report itself is built from this data by the pure `crate::report`.

use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::Serialize;

use super::commits::{commit_row, COMMIT_COLUMNS};
use super::lifecycle::PromptState;
use super::prompts::parsed;
use super::updates::{update_row, WorkUpdate, UPDATE_COLUMNS};
use super::{from_millis, to_millis, CommitRecord, Store, PROMPTS_SCHEMA, RECORD_SCHEMA};

/// A prompt as a report needs it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PromptSummary {
    pub id: i64,
    pub opened_at: DateTime<Utc>,
    pub state: PromptState,
    pub state_at: DateTime<Utc>,
    /// How many triggers were folded into it.
    pub triggers: u32,
}

/// An interval slot that passed without its own prompt.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MissedSlot {
    pub scheduled_at: DateTime<Utc>,
    /// `late`, `skipped` or `paused`.
    pub reason: String,
}

/// Everything in one range, each list oldest first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReportData {
    /// Each change once: its latest version, with the time of its first
    /// version as `committed_at`, by that time.
    pub commits: Vec<CommitRecord>,
    /// By the time each refers to (its prompt's, else its own).
    pub updates: Vec<WorkUpdate>,
    /// By opening time.
    pub prompts: Vec<PromptSummary>,
    pub missed: Vec<MissedSlot>,
}

pub(super) const REPORT_COMMITS: &str = "WHERE replaced = 0 AND first_at >= ?1 AND first_at < ?2
     ORDER BY first_at, id";
/// [`REPORT_COMMITS`] for a store older than [`RECORD_SCHEMA`] (opened
/// read-only beside an older daemon): every version, by its own time.
const REPORT_COMMITS_V3: &str = "WHERE coalesce(committed_at, recorded_at) >= ?1
       AND coalesce(committed_at, recorded_at) < ?2
     ORDER BY coalesce(committed_at, recorded_at), id";
pub(super) const REPORT_UPDATES: &str = "WHERE coalesce(prompt_at, answered_at) >= ?1
       AND coalesce(prompt_at, answered_at) < ?2
     ORDER BY coalesce(prompt_at, answered_at), answered_at, id";
pub(super) const REPORT_PROMPTS: &str = "SELECT p.id, p.opened_at, p.state, p.state_at,
            (SELECT count(*) FROM prompt_triggers t WHERE t.prompt_id = p.id)
     FROM prompts p WHERE p.opened_at >= ?1 AND p.opened_at < ?2 ORDER BY p.opened_at, p.id";
pub(super) const REPORT_MISSED: &str = "SELECT scheduled_at, reason FROM missed_slots
     WHERE scheduled_at >= ?1 AND scheduled_at < ?2 ORDER BY scheduled_at, id";

impl Store {
    /// The data of a report over `[start, end)`. A store not yet migrated
    /// to version 3 (the daemon has not run since the upgrade; this may be
    /// a read-only connection) has no prompts or answers to show.
    pub fn report_data(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> Result<ReportData> {
        let range = params![to_millis(start), to_millis(end)];
        // A change counts once: its latest version, at the time of its
        // first (which the report shows as the commit's time).
        let sql = if self.schema >= RECORD_SCHEMA {
            let cols = COMMIT_COLUMNS.replace("committed_at", "first_at");
            format!("SELECT {cols} FROM commits {REPORT_COMMITS}")
        } else {
            format!(
                "SELECT {} FROM commits {REPORT_COMMITS_V3}",
                self.commit_columns()
            )
        };
        let commits = self
            .conn
            .prepare(&sql)?
            .query_map(range, commit_row)?
            .collect::<rusqlite::Result<_>>()?;
        let missed = self
            .conn
            .prepare(REPORT_MISSED)?
            .query_map(range, |r| {
                Ok(MissedSlot {
                    scheduled_at: from_millis(r.get(0)?),
                    reason: r.get(1)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        if self.schema < PROMPTS_SCHEMA {
            return Ok(ReportData {
                commits,
                missed,
                ..ReportData::default()
            });
        }
        let sql = format!("SELECT {UPDATE_COLUMNS} FROM work_updates {REPORT_UPDATES}");
        let updates = self
            .conn
            .prepare(&sql)?
            .query_map(range, update_row)?
            .collect::<rusqlite::Result<_>>()?;
        let prompts = self
            .conn
            .prepare(REPORT_PROMPTS)?
            .query_map(range, |r| {
                Ok(PromptSummary {
                    id: r.get(0)?,
                    opened_at: from_millis(r.get(1)?),
                    state: parsed(r, 2, PromptState::parse)?,
                    state_at: from_millis(r.get(3)?),
                    triggers: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ReportData {
            commits,
            updates,
            prompts,
            missed,
        })
    }
}
