//! When is the next prompt? Pure decision logic, no I/O and no clock reads.
//!
//! The run loop calls [`step`] whenever it wakes (timer expiry, clock jump,
//! pause/resume/skip, reload) with the wall-clock `now`, persists what it
//! returns, and sleeps until [`Step::next_due`]. Because `now` is a
//! parameter, tests cover DST days, suspend and travel deterministically.
//!
//! Slot grid: starting from `SchedulerState::anchor`, each slot is
//! [`next_slot`] of the previous one: `previous + interval`, moved to the
//! next work-window opening when it falls outside the window.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::config::{Settings, WorkHours};

/// A slot that fires more than this long after its time is marked late.
pub const LATE_AFTER: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// The scheduling part of the settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub interval: chrono::TimeDelta,
    /// `Some` only when `work_hours_only` is set.
    pub window: Option<WorkHours>,
    pub tz: Tz,
}

impl Schedule {
    pub fn from_settings(settings: &Settings) -> Schedule {
        Schedule {
            interval: chrono::TimeDelta::minutes(i64::from(settings.prompt_interval_minutes)),
            window: settings.work_hours_only.then_some(settings.work_hours),
            tz: settings.timezone,
        }
    }
}

/// Whether prompts are paused. Persisted, so it survives restarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pause {
    #[default]
    Running,
    Indefinite,
    Until(DateTime<Utc>),
}

/// The scheduler's persistent state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchedulerState {
    /// The last slot that was handled (fired, skipped or missed), or the
    /// first start when nothing was handled yet.
    pub anchor: DateTime<Utc>,
    pub pause: Pause,
    /// Skip exactly the next due slot.
    pub skip_next: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissReason {
    /// Passed while the machine slept or the daemon was down; covered by
    /// the one late prompt of this step.
    Late,
    /// Dropped by `skip`.
    Skipped,
    /// Fell inside a pause.
    Paused,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissedSlot {
    pub at: DateTime<Utc>,
    pub reason: MissReason,
}

/// A prompt to fire now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Firing {
    /// The slot this prompt stands for (the earliest one when late).
    pub scheduled: DateTime<Utc>,
    pub late: bool,
}

/// What the run loop must do at `now`.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub fire: Option<Firing>,
    pub missed: Vec<MissedSlot>,
    pub state: SchedulerState,
    /// When to call [`step`] again; `None` while paused indefinitely.
    pub next_due: Option<DateTime<Utc>>,
}

pub fn step(_schedule: &Schedule, _state: &SchedulerState, _now: DateTime<Utc>) -> Step {
    todo!()
}

/// The slot after `after`: `after + interval`, or the next work-window
/// opening when that falls outside the window.
pub fn next_slot(_schedule: &Schedule, _after: DateTime<Utc>) -> DateTime<Utc> {
    todo!()
}

/// Whether `t` is inside the work window (always true without one).
pub fn in_window(_schedule: &Schedule, _t: DateTime<Utc>) -> bool {
    todo!()
}
