//! The run loop's side of the scheduler: letting the pure
//! `scheduler::step` look at the clock, recording what it decided (timer
//! prompts, missed slots, its state) and then announcing it; changing its
//! state for `pause`, `resume` and `skip`; re-planning on a reload. Every
//! recorded trigger, whatever raised it, is announced by
//! [`Daemon::announce`], with the prompt it opened or folded into (stored
//! in the trigger's transaction; `prompt_triggers.rs` takes it from there).

use anyhow::Result;
use chrono::{DateTime, Utc};

use super::wallclock::Wake;
use crate::daemon::state::Daemon;
use crate::protocol::{EventBody, TriggerKind};
use crate::scheduler::{self, Pause, Schedule, SchedulerState};
use crate::store::{NewTrigger, PromptOpened, TriggerRecord};

impl Daemon {
    /// The wall-clock timer woke the loop: at a deadline, or because the
    /// clock was set.
    pub(crate) fn on_wake(&mut self, wake: std::io::Result<Wake>, now: DateTime<Utc>) {
        match wake {
            Ok(Wake::ClockChanged) => {
                tracing::info!("wall clock changed; re-checking the schedule")
            }
            Ok(Wake::Due) => {}
            Err(e) => {
                tracing::warn!(error = %e, "wall-clock timer failed ({e}); re-checking the schedule")
            }
        }
        if let Err(e) = self.run_scheduler(now) {
            // Not stepped: the deadline already passed, so waiting for it
            // again would wake at once, over and over. The store's retry
            // runs the scheduler again.
            self.scheduling.next_due = None;
            self.store_failed(&e);
        }
    }

    /// Lets the scheduler look at `now`; records and announces what it decided.
    pub(crate) fn run_scheduler(&mut self, now: DateTime<Utc>) -> Result<()> {
        let step = scheduler::step(&self.scheduling.schedule, &self.scheduling.state, now);
        let trigger = step.fire.map(|f| NewTrigger {
            kind: TriggerKind::Timer,
            scheduled_at: Some(f.scheduled),
            fired_at: now,
            late: f.late,
            reason: f.late.then(|| {
                format!(
                    "{} passed while asleep or stopped",
                    crate::display::plural(
                        step.missed.len().max(1) as u64,
                        "interval slot",
                        "interval slots"
                    )
                )
            }),
            detail: None,
        });
        if trigger.is_some() || !step.missed.is_empty() || step.state != self.scheduling.state {
            let prompted = self.store.record_step_prompted(
                trigger.as_ref(),
                &step.missed,
                &step.state,
                now,
                self.expire_before(now),
            )?;
            for m in &step.missed {
                self.events.publish(
                    now,
                    EventBody::Missed {
                        scheduled_at: m.at,
                        reason: m.reason,
                    },
                );
            }
            if let (Some(t), Some(p)) = (trigger, prompted) {
                self.announce(t.recorded(p.trigger_id), p.opened, now);
            }
            if self.scheduling.state.pause != Pause::Running && step.state.pause == Pause::Running {
                tracing::info!("pause ended; prompts resume");
                self.events.publish(now, EventBody::Resumed);
            }
        }
        self.scheduling.state = step.state;
        self.scheduling.next_due = step.next_due;
        // A resume, a pause's end or a reload may end a hold, or move its
        // end: the prompt deadline is read again at the bottom of the turn.
        self.release_held(now);
        self.dirty.status = true;
        self.dirty.prompt = true;
        Ok(())
    }

    /// Logs and announces a trigger that is already in the store, with the
    /// prompt it opened or was folded into (stored with it).
    pub(crate) fn announce(
        &mut self,
        record: TriggerRecord,
        opened: PromptOpened,
        now: DateTime<Utc>,
    ) {
        tracing::info!(
            trigger_kind = record.kind.as_str(),
            trigger_id = record.id,
            late = record.late,
            "trigger #{} triggered ({}{}{})",
            record.id,
            record.kind.as_str(),
            if record.late { ", late" } else { "" },
            record
                .reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        );
        self.events.publish(
            record.fired_at,
            EventBody::Trigger {
                trigger: record.info(),
            },
        );
        self.prompt_opened(opened, now);
    }

    /// Applies a change to the scheduler state: first lets the old state
    /// account for `now` (so slots that passed during a pause are recorded
    /// as paused, not fired late), then stores the new state and re-plans.
    pub(crate) fn change_schedule_state(
        &mut self,
        now: DateTime<Utc>,
        change: impl FnOnce(&mut SchedulerState),
    ) -> Result<()> {
        self.run_scheduler(now)?;
        let mut state = self.scheduling.state;
        change(&mut state);
        self.store.save_scheduler_state(&state)?;
        self.scheduling.state = state;
        self.run_scheduler(now)
    }

    /// Switches to `schedule` (a reload): the old one first accounts for
    /// `now`, then the grid is re-planned so that slots the new schedule
    /// would have had before the reload are not treated as missed.
    pub(crate) fn replan(&mut self, schedule: Schedule, now: DateTime<Utc>) -> Result<()> {
        if schedule == self.scheduling.schedule {
            return Ok(());
        }
        let accounted = self.run_scheduler(now);
        self.scheduling.schedule = schedule;
        accounted?;
        let state = scheduler::replan(&self.scheduling.schedule, &self.scheduling.state, now);
        if state != self.scheduling.state {
            self.store.save_scheduler_state(&state)?;
            self.scheduling.state = state;
        }
        Ok(())
    }
}
