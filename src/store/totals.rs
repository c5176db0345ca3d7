//! The store's totals since it was created, for `devtrack metrics`: what
//! happened, counted by kind, from the rows the store keeps anyway (and
//! the reloads, kept for this), so that the counters survive restarts and
//! never go back. One grouped query per family, whatever the number of
//! rows.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use chrono::{DateTime, Utc};

use super::{private, to_millis, Store};

/// Counts by label value, for each family; a value with no rows is absent
/// (the metrics fill in the known ones with 0).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    /// Stored commits by kind (`commit`, `amend`, …).
    pub commits: BTreeMap<String, u64>,
    /// Triggers by kind (`timer`, `commit`, `manual`, `catchup`).
    pub triggers: BTreeMap<String, u64>,
    /// Prompts `opened`, and each change they went through: `answered`,
    /// `snoozed`, `expired`, `skipped` (a late answer to an expired prompt
    /// counts in both).
    pub prompts: BTreeMap<String, u64>,
    /// What each channel did with prompts: by channel, then outcome.
    pub deliveries: BTreeMap<(String, String), u64>,
    /// Work updates by the way they came (`inline`, `dialog`, `cli`, …;
    /// `unknown` for answers stored before the source was).
    pub updates: BTreeMap<String, u64>,
    /// Interval slots without their own prompt, by reason.
    pub missed_slots: BTreeMap<String, u64>,
    /// Reloads of the config by result.
    pub reloads: BTreeMap<String, u64>,
    /// Outbox items (one per update and ticket) by integration, then
    /// state.
    pub outbox: BTreeMap<(String, String), u64>,
}

/// How a reload ended, as the store keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReloadResult {
    /// The new config was applied and changed something.
    Applied,
    /// The new config was applied and equals the old one.
    Unchanged,
    /// The new config was invalid; the old one stays.
    Rejected,
}

impl ReloadResult {
    pub const ALL: [ReloadResult; 3] = [
        ReloadResult::Applied,
        ReloadResult::Unchanged,
        ReloadResult::Rejected,
    ];

    /// The store and metrics name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReloadResult::Applied => "applied",
            ReloadResult::Unchanged => "unchanged",
            ReloadResult::Rejected => "rejected",
        }
    }
}

const COMMITS: &str = "SELECT kind, count(*) FROM commits GROUP BY kind";
const TRIGGERS: &str = "SELECT kind, count(*) FROM triggers GROUP BY kind";
const PROMPTS: &str = "SELECT 'opened', count(*) FROM prompts
     UNION ALL
     SELECT state, count(*) FROM prompt_changes WHERE state <> 'open' GROUP BY state";
const DELIVERIES: &str =
    "SELECT channel, outcome, count(*) FROM prompt_deliveries GROUP BY channel, outcome";
const UPDATES: &str = "SELECT coalesce(source, 'unknown'), count(*) FROM work_updates GROUP BY 1";
const MISSED: &str = "SELECT reason, count(*) FROM missed_slots GROUP BY reason";
const RELOADS: &str = "SELECT result, count(*) FROM reloads GROUP BY result";
const OUTBOX: &str = "SELECT family, state, count(*) FROM outbox GROUP BY family, state";

/// The sizes in bytes of the store's file at `path` and of its
/// write-ahead log (`-wal`); `None` for a file that is not there.
pub(crate) fn file_sizes(path: &Path) -> (Option<u64>, Option<u64>) {
    let size = |p: &Path| std::fs::metadata(p).ok().map(|m| m.len());
    (size(path), size(&private::sidecar(path, "-wal")))
}

impl Store {
    /// Every total, one query per family.
    pub fn totals(&self) -> Result<Totals> {
        let by_one = |sql: &str| -> Result<BTreeMap<String, u64>> {
            let mut stmt = self.conn.prepare_cached(sql)?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows
                .collect::<rusqlite::Result<Vec<(String, u64)>>>()?
                .into_iter()
                .filter(|(_, n)| *n > 0)
                .collect())
        };
        let by_two = |sql: &str| -> Result<BTreeMap<(String, String), u64>> {
            let mut stmt = self.conn.prepare_cached(sql)?;
            let rows = stmt.query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        };
        Ok(Totals {
            commits: by_one(COMMITS)?,
            triggers: by_one(TRIGGERS)?,
            prompts: by_one(PROMPTS)?,
            deliveries: by_two(DELIVERIES)?,
            updates: by_one(UPDATES)?,
            missed_slots: by_one(MISSED)?,
            reloads: by_one(RELOADS)?,
            outbox: by_two(OUTBOX)?,
        })
    }

    /// Keeps one reload of the config and its result.
    pub fn record_reload(&mut self, at: DateTime<Utc>, result: ReloadResult) -> Result<()> {
        self.conn.execute(
            "INSERT INTO reloads (at, result) VALUES (?1, ?2)",
            rusqlite::params![to_millis(at), result.as_str()],
        )?;
        Ok(())
    }
}
