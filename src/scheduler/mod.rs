//! When is the next prompt? Pure decision logic, no I/O and no clock reads.
//!
//! The run loop calls [`step`] whenever it wakes (timer expiry, clock jump,
//! pause/resume/skip, reload) with the wall-clock `now`, persists what it
//! returns, and sleeps until [`Step::next_due`]; a reload that changes the
//! schedule goes through [`replan`] first. Because `now` is a parameter,
//! tests cover DST days, suspend, clock steps and travel deterministically.
//!
//! Slot grid: starting from `SchedulerState::anchor`, each slot is
//! [`next_slot`] of the previous one: `previous + interval`, moved to the
//! next work-window opening when it falls outside the window. All instants
//! are UTC; the window is read in `Schedule::tz` (see [`window`]).
//!
//! A top-level module, not part of `daemon`: the store keeps its state,
//! and the CLI, the report and the tests read it through the store, so it
//! names nothing of `daemon` or `cli`.

mod window;

#[cfg(test)]
mod tests;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

use crate::config::{Settings, WorkHours};
/// Why a slot passed without its own prompt: a wire and store name, so it
/// is the protocol's.
pub use crate::protocol::MissReason;

/// A slot that fires more than this long after its time is marked late.
pub(crate) const LATE_AFTER: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// The most slots one [`step`] walks through. Past this (a 1-minute interval
/// after months offline) the anchor jumps to `now` instead, so a step always
/// ends quickly; the slots beyond the cap are not listed as missed.
pub(crate) const MAX_CATCH_UP_SLOTS: usize = 100_000;

/// The shortest interval the grid honours, so a zero or negative interval
/// (rejected by configuration anyway) cannot stall the slot walk.
const MIN_INTERVAL: TimeDelta = TimeDelta::seconds(1);

/// The scheduling part of the settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub interval: chrono::TimeDelta,
    /// `Some` only when `work_hours_only` is set.
    pub window: Option<WorkHours>,
    pub tz: Tz,
}

impl Schedule {
    pub(crate) fn from_settings(settings: &Settings) -> Schedule {
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
    /// moment the schedule was first computed. `None` only before the very
    /// first [`step`], which anchors the grid at `now`; because that changes
    /// the state, the run loop stores it at once, so a restart before the
    /// first prompt finds the same grid instead of starting a new one.
    pub anchor: Option<DateTime<Utc>>,
    pub pause: Pause,
    /// Skip exactly the next due slot.
    pub skip_next: bool,
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

/// Decides what to do at `now`: which slot (if any) to prompt for, which
/// slots were missed and why, the state to persist, and when to step again.
///
/// - A single due slot at most [`LATE_AFTER`] old fires on time.
/// - Anything else that passed unnoticed (suspend, daemon down) becomes one
///   late prompt standing for the earliest slot; every slot it covers, that
///   one included, is listed as missed with [`MissReason::Late`], and the
///   interval restarts from `now`.
/// - `skip_next` drops the first due slot ([`MissReason::Skipped`]).
/// - Slots inside a pause are listed with [`MissReason::Paused`]; an expired
///   `Pause::Until(t)` still claims the slots before `t`, and a slot at `t`
///   fires.
/// - The first step (no anchor yet) anchors the grid at `now`; an anchor
///   later than `now` (the clock was set back, or the store came from
///   another machine) is moved back to `now`, so the next prompt is at most
///   one interval away.
///
/// Stepping again with the returned state and the same `now` is a no-op.
pub fn step(schedule: &Schedule, state: &SchedulerState, now: DateTime<Utc>) -> Step {
    let mut anchor = grid_start(state.anchor, now);
    let mut missed = Vec::new();
    let held = |anchor: DateTime<Utc>| SchedulerState {
        anchor: Some(anchor),
        ..*state
    };
    match state.pause {
        Pause::Running => {}
        Pause::Indefinite => {
            pass_paused(schedule, &mut anchor, &mut missed, now, |slot| slot <= now);
            return Step {
                fire: None,
                missed,
                state: held(anchor),
                next_due: None,
            };
        }
        Pause::Until(until) if until > now => {
            pass_paused(schedule, &mut anchor, &mut missed, now, |slot| slot <= now);
            // Wake at resume time when the grid has nothing earlier, so the
            // loop re-steps then and sees the pause expired.
            let next = next_slot(schedule, anchor);
            return Step {
                fire: None,
                missed,
                state: held(anchor),
                next_due: Some(next.max(until)),
            };
        }
        Pause::Until(until) => {
            // Expired. Slots before the resume time still fell inside the
            // pause; prompts resume with the first slot at or after it.
            pass_paused(schedule, &mut anchor, &mut missed, until, |slot| {
                slot < until
            });
        }
    }
    run(schedule, anchor, state.skip_next, missed, now)
}

/// Where the slot grid starts at `now`: the stored anchor, or `now` when the
/// schedule is computed for the first time. An anchor in the future cannot
/// be a slot that was handled; keeping it would hold prompts back by however
/// far the clock was stepped back (hours, or forever for a store copied from
/// a machine with a wrong clock), so it is clamped to `now`.
fn grid_start(anchor: Option<DateTime<Utc>>, now: DateTime<Utc>) -> DateTime<Utc> {
    anchor.map_or(now, |a| a.min(now))
}

/// The state after a reload changed `schedule`, before the next [`step`].
///
/// Slots of the new grid that fall at or before `now` were never due: the
/// old schedule was in force then, and the caller has already stepped it
/// up to `now`. So when the new grid would have something due already (an
/// interval shortened below the time since the anchor), it restarts at
/// `now` instead of producing a late prompt and missed slots that never
/// existed. Otherwise the anchor stays and the grid simply changes pace.
pub(crate) fn replan(
    schedule: &Schedule,
    state: &SchedulerState,
    now: DateTime<Utc>,
) -> SchedulerState {
    if next_slot(schedule, grid_start(state.anchor, now)) <= now {
        SchedulerState {
            anchor: Some(now),
            ..*state
        }
    } else {
        *state
    }
}

/// Records the slots matching `paused` as missed for the pause and moves the
/// anchor past them (to `cutoff` when there were too many to walk).
fn pass_paused(
    schedule: &Schedule,
    anchor: &mut DateTime<Utc>,
    missed: &mut Vec<MissedSlot>,
    cutoff: DateTime<Utc>,
    paused: impl Fn(DateTime<Utc>) -> bool,
) {
    let due = due_slots(schedule, *anchor, paused);
    if let Some(&last) = due.slots.last() {
        *anchor = if due.truncated { cutoff } else { last };
    }
    missed.extend(due.slots.into_iter().map(|at| MissedSlot {
        at,
        reason: MissReason::Paused,
    }));
}

/// The running case: fire the due slot on time, or one late prompt covering
/// everything that passed unnoticed.
fn run(
    schedule: &Schedule,
    mut anchor: DateTime<Utc>,
    mut skip_next: bool,
    mut missed: Vec<MissedSlot>,
    now: DateTime<Utc>,
) -> Step {
    let due = due_slots(schedule, anchor, |slot| slot <= now);
    let mut pending = due.slots.as_slice();
    if skip_next {
        if let Some((&skipped, rest)) = pending.split_first() {
            missed.push(MissedSlot {
                at: skipped,
                reason: MissReason::Skipped,
            });
            skip_next = false;
            anchor = skipped;
            pending = rest;
        }
    }
    let fire = match pending {
        [] => None,
        [only] if !due.truncated && now - *only <= LATE_AFTER => {
            anchor = *only;
            Some(Firing {
                scheduled: *only,
                late: false,
            })
        }
        [earliest, ..] => {
            missed.extend(pending.iter().map(|&at| MissedSlot {
                at,
                reason: MissReason::Late,
            }));
            // The interval restarts from the late prompt rather than
            // following it with a second one moments later.
            anchor = now;
            Some(Firing {
                scheduled: *earliest,
                late: true,
            })
        }
    };
    if due.truncated {
        anchor = now;
    }
    Step {
        fire,
        missed,
        state: SchedulerState {
            anchor: Some(anchor),
            pause: Pause::Running,
            skip_next,
        },
        next_due: Some(next_slot(schedule, anchor)),
    }
}

/// Slots after an anchor, in order, while `is_due` holds.
struct DueSlots {
    slots: Vec<DateTime<Utc>>,
    /// The walk stopped at [`MAX_CATCH_UP_SLOTS`] with more slots due.
    truncated: bool,
}

fn due_slots(
    schedule: &Schedule,
    anchor: DateTime<Utc>,
    is_due: impl Fn(DateTime<Utc>) -> bool,
) -> DueSlots {
    let mut slots = Vec::new();
    let mut slot = next_slot(schedule, anchor);
    while is_due(slot) {
        if slots.len() == MAX_CATCH_UP_SLOTS {
            return DueSlots {
                slots,
                truncated: true,
            };
        }
        slots.push(slot);
        slot = next_slot(schedule, slot);
    }
    DueSlots {
        slots,
        truncated: false,
    }
}

/// The slot after `after`: `after + interval`, or the next work-window
/// opening when that falls outside the window.
///
/// Always later than `after`. A window that never opens (an empty day set,
/// which configuration rejects) does not hold prompts back.
pub(crate) fn next_slot(schedule: &Schedule, after: DateTime<Utc>) -> DateTime<Utc> {
    let candidate = after + schedule.interval.max(MIN_INTERVAL);
    match &schedule.window {
        Some(hours) if window::containing(hours, schedule.tz, candidate).is_none() => {
            window::next_open(hours, schedule.tz, candidate).unwrap_or(candidate)
        }
        _ => candidate,
    }
}

/// Whether `t` is inside the work window (always true without one).
pub(crate) fn in_window(schedule: &Schedule, t: DateTime<Utc>) -> bool {
    current_window(schedule, t).is_some() || schedule.window.is_none()
}

/// When the work window next opens, for a `t` outside it; `None` inside
/// the window, without one, or when it never opens (an empty day set).
pub fn window_opens_after(schedule: &Schedule, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let hours = schedule.window.as_ref()?;
    if window::containing(hours, schedule.tz, t).is_some() {
        return None;
    }
    window::next_open(hours, schedule.tz, t)
}

/// The work window containing `t` as `[open, close)`; `None` outside the
/// window or when no window is configured.
fn current_window(schedule: &Schedule, t: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let hours = schedule.window.as_ref()?;
    window::containing(hours, schedule.tz, t)
}
