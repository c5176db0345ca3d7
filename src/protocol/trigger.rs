//! Prompts as the wire shows them: a trigger (`trigger` replies and
//! events, `status.last_trigger`), what raised it, and why an interval slot
//! passed without its own prompt (`missed` events). The store keeps the
//! same names (`triggers.kind`, `missed_slots.reason`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What raised a prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TriggerKind {
    /// An interval slot of the schedule.
    Timer,
    /// The developer's own commits (one trigger per debounced burst).
    Commit,
    /// `devtrack trigger`.
    Manual,
    /// Commits made while devtrack was not running, found at start or when
    /// a reload added their repository.
    Catchup,
}

impl TriggerKind {
    pub(crate) const ALL: [TriggerKind; 4] = [
        TriggerKind::Timer,
        TriggerKind::Commit,
        TriggerKind::Manual,
        TriggerKind::Catchup,
    ];

    /// The wire and store name.
    pub fn as_str(self) -> &'static str {
        match self {
            TriggerKind::Timer => "timer",
            TriggerKind::Commit => "commit",
            TriggerKind::Manual => "manual",
            TriggerKind::Catchup => "catchup",
        }
    }

    /// The kind named `s`; `None` for a name this version does not know.
    pub(crate) fn parse(s: &str) -> Option<TriggerKind> {
        TriggerKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for TriggerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A recorded prompt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriggerInfo {
    pub id: i64,
    pub kind: TriggerKind,
    pub fired_at: DateTime<Utc>,
    /// The slot a timer prompt stands for (the earliest one when late).
    #[serde(default)]
    pub scheduled_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub late: bool,
    #[serde(default)]
    pub reason: Option<String>,
}

/// Why an interval slot passed without its own prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MissReason {
    /// Passed while the machine slept or the daemon was down; covered by
    /// the one late prompt of this step.
    Late,
    /// Dropped by `skip`.
    Skipped,
    /// Fell inside a pause.
    Paused,
}

impl MissReason {
    /// The name used in the store and on the event stream.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            MissReason::Late => "late",
            MissReason::Skipped => "skipped",
            MissReason::Paused => "paused",
        }
    }
}

impl std::fmt::Display for MissReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
