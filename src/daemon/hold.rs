//! Whether prompts are held: opened, stored and published on the socket as
//! always, but kept from the desktop, osascript and hook channels until the
//! hold ends, then shown once with everything folded into them meanwhile.
//! A pause holds prompts (a person who says "not now" gets no popup), and
//! so do the hours outside the work window (a commit at midnight is no
//! reason to ask), and so does a person away from the machine (the screen
//! locked, idle longer than `prompts.idle_after`: `crate::session`), with
//! `prompts.when_away: hold`. One mechanism for every reason, each one arm
//! here, not another path through the loop.
//!
//! Pure: the pause, the schedule, whether the person is away and the time
//! come in; whether prompts are held, why and until when come out. A pause
//! and the work hours come first (an unlock does not end them). The loop
//! (`prompt_triggers.rs`) withholds and releases, and waits for
//! [`Hold::until`] only while it holds a prompt; the end of an away hold
//! is the session's own event, with no deadline.

use chrono::{DateTime, Utc};

use crate::protocol::TriggerKind;
use crate::scheduler::{self, Pause, Schedule};
use crate::session::{Away, AwayReason};
use crate::store::PromptRecord;

/// Why prompts are held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum HoldReason {
    /// `devtrack pause`.
    Paused,
    /// Outside `work_hours` (with `work_hours_only`).
    OutsideWorkHours,
    /// The person is away: the screen is locked, or idle too long.
    Away(Away),
}

impl HoldReason {
    /// As the store records it and the status names it.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            HoldReason::Paused => "paused",
            HoldReason::OutsideWorkHours => "work_hours",
            HoldReason::Away(away) => match away.reason {
                AwayReason::Locked => "locked",
                AwayReason::Idle => "idle",
                AwayReason::Inhibited => "inhibited",
                AwayReason::Asking => "asking",
            },
        }
    }
}

/// Prompts are held, for `reason`, until `until` (`None`: until something
/// changes it, e.g. `devtrack resume`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Hold {
    pub reason: HoldReason,
    pub until: Option<DateTime<Utc>>,
}

/// Whether prompts are held at `now`. A pause that ends outside the work
/// window holds on until the window opens, so the release comes once.
/// `away` (already `None` with `prompts.when_away: show`) holds until the
/// session says the person is back: no deadline.
pub(super) fn hold_reason(
    now: DateTime<Utc>,
    pause: Pause,
    schedule: &Schedule,
    away: Option<Away>,
) -> Option<Hold> {
    let outside_until = |t: DateTime<Utc>| {
        (!scheduler::in_window(schedule, t)).then(|| scheduler::window_opens_after(schedule, t))
    };
    match pause {
        Pause::Indefinite => Some(Hold {
            reason: HoldReason::Paused,
            until: None,
        }),
        Pause::Until(end) if end > now => Some(Hold {
            reason: HoldReason::Paused,
            until: match outside_until(end) {
                Some(opens) => opens,
                None => Some(end),
            },
        }),
        _ => outside_until(now)
            .map(|until| Hold {
                reason: HoldReason::OutsideWorkHours,
                until,
            })
            .or(away.map(|away| Hold {
                reason: HoldReason::Away(away),
                until: None,
            })),
    }
}

/// A prompt a person asked for (`devtrack trigger`) is shown whatever
/// holds the others.
pub(super) fn asked_for(prompt: &PromptRecord) -> bool {
    prompt
        .triggers
        .iter()
        .any(|t| TriggerKind::parse(&t.kind) == Some(TriggerKind::Manual))
}

/// Whether `prompt` is held at `now` by `hold`.
pub(super) fn holds(hold: Option<Hold>, prompt: &PromptRecord) -> bool {
    hold.is_some() && !asked_for(prompt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{TimeOfDay, WeekdaySet, WorkHours};
    use crate::store::{PromptState, PromptTrigger};
    use chrono_tz::Tz;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn schedule(window: bool) -> Schedule {
        Schedule {
            interval: chrono::TimeDelta::minutes(60),
            window: window.then(|| WorkHours {
                start: TimeOfDay::new(8, 0).unwrap(),
                end: TimeOfDay::new(23, 30).unwrap(),
                days: WeekdaySet::ALL,
            }),
            tz: Tz::UTC,
        }
    }

    #[test]
    fn holds_and_their_ends() {
        let paused = |until| Hold {
            reason: HoldReason::Paused,
            until,
        };
        let outside = |until| Hold {
            reason: HoldReason::OutsideWorkHours,
            until,
        };
        let evening = at("2026-12-07T21:01:00Z");
        let midnight = at("2026-12-08T00:00:00Z");
        let opens = at("2026-12-08T08:00:00Z");
        let cases = [
            // now, pause, work hours only, held
            (evening, Pause::Running, false, None),
            (evening, Pause::Running, true, None),
            (midnight, Pause::Running, false, None),
            (midnight, Pause::Running, true, Some(outside(Some(opens)))),
            (evening, Pause::Indefinite, true, Some(paused(None))),
            (midnight, Pause::Indefinite, true, Some(paused(None))),
            (
                evening,
                Pause::Until(at("2026-12-07T21:11:00Z")),
                true,
                Some(paused(Some(at("2026-12-07T21:11:00Z")))),
            ),
            // Ending outside the work window: held until it opens.
            (
                evening,
                Pause::Until(at("2026-12-07T23:45:00Z")),
                true,
                Some(paused(Some(opens))),
            ),
            (
                evening,
                Pause::Until(at("2026-12-07T23:45:00Z")),
                false,
                Some(paused(Some(at("2026-12-07T23:45:00Z")))),
            ),
            // A pause that has ended holds nothing.
            (evening, Pause::Until(evening), true, None),
            (
                midnight,
                Pause::Until(at("2026-12-07T23:59:00Z")),
                true,
                Some(outside(Some(opens))),
            ),
        ];
        for (now, pause, window, want) in cases {
            assert_eq!(
                hold_reason(now, pause, &schedule(window), None),
                want,
                "{now} {pause:?} {window}"
            );
        }
    }

    #[test]
    fn away_holds_after_pause_and_work_hours() {
        let evening = at("2026-12-07T21:01:00Z");
        let midnight = at("2026-12-08T00:00:00Z");
        let away = Away {
            reason: AwayReason::Locked,
            since: at("2026-12-07T20:55:00Z"),
        };
        let by_away = Some(Hold {
            reason: HoldReason::Away(away),
            until: None,
        });
        let cases = [
            // now, pause, away, held
            (evening, Pause::Running, Some(away), by_away),
            (evening, Pause::Running, None, None),
            (
                evening,
                Pause::Indefinite,
                Some(away),
                Some(Hold {
                    reason: HoldReason::Paused,
                    until: None,
                }),
            ),
            (
                midnight,
                Pause::Running,
                Some(away),
                Some(Hold {
                    reason: HoldReason::OutsideWorkHours,
                    until: Some(at("2026-12-08T08:00:00Z")),
                }),
            ),
            // A pause that ended: the lock still holds.
            (evening, Pause::Until(evening), Some(away), by_away),
        ];
        for (now, pause, away, want) in cases {
            assert_eq!(
                hold_reason(now, pause, &schedule(true), away),
                want,
                "{now} {pause:?} {away:?}"
            );
        }
    }

    #[test]
    fn a_prompt_someone_asked_for_is_never_held() {
        let prompt = |kinds: &[&str]| PromptRecord {
            id: 1,
            opened_at: at("2026-12-08T00:00:00Z"),
            state: PromptState::Open,
            state_at: at("2026-12-08T00:00:00Z"),
            reopens_at: None,
            trigger_count: kinds.len() as u64,
            triggers: kinds
                .iter()
                .map(|k| PromptTrigger {
                    trigger_id: 1,
                    kind: k.to_string(),
                    fired_at: at("2026-12-08T00:00:00Z"),
                })
                .collect(),
            changes: Vec::new(),
            deliveries: Vec::new(),
            holds: Vec::new(),
        };
        let hold = Some(Hold {
            reason: HoldReason::Paused,
            until: None,
        });
        let cases: [(&[&str], Option<Hold>, bool); 5] = [
            (&["commit"], hold, true),
            (&["timer", "catchup"], hold, true),
            (&["commit", "manual"], hold, false),
            (&["manual"], hold, false),
            (&["commit"], None, false),
        ];
        for (kinds, hold, want) in cases {
            assert_eq!(holds(hold, &prompt(kinds)), want, "{kinds:?} {hold:?}");
        }
    }
}
