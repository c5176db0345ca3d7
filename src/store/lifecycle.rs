//! The prompt lifecycle as pure decisions: which state changes are allowed
//! (`open → answered | snoozed | expired | skipped`, a snoozed prompt opens
//! again when due), and whether a new trigger folds into the outstanding
//! prompt or opens a new one.
//!
//! The store applies these decisions inside its transactions
//! (`prompts.rs`); keeping them here lets every rule be read, and tested,
//! as a table.

use chrono::{DateTime, Utc};

/// A prompt's state: a wire and store name, so it is the protocol's.
pub use crate::protocol::PromptState;

/// A change someone asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Answer,
    /// Put off until the given instant (which must be after `now`).
    Snooze(DateTime<Utc>),
    /// A snoozed prompt whose time has come.
    Reopen,
    Expire,
    Skip,
}

impl Action {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Action::Answer => "answer",
            Action::Snooze(_) => "snooze",
            Action::Reopen => "reopen",
            Action::Expire => "expire",
            Action::Skip => "skip",
        }
    }
}

/// Why a change is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("cannot {} a prompt that is {}", .action, .from.as_str())]
    NotAllowed {
        from: PromptState,
        action: &'static str,
    },
    #[error("a snooze must end in the future")]
    SnoozeInPast,
    #[error("the prompt is snoozed until later")]
    NotDue,
}

/// The state after `action`, and when a snoozed prompt reopens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Next {
    pub state: PromptState,
    pub reopens_at: Option<DateTime<Utc>>,
}

/// Decides one state change of a prompt in `from` (snoozed until
/// `reopens_at`) at `now`.
///
/// An answer is taken in every state but `answered`: a late answer to an
/// expired or skipped prompt is still the person's update, and losing it
/// would be worse than a prompt changing its mind. Only outstanding prompts
/// can be snoozed (again), skipped or expired; only a snoozed prompt whose
/// time has come reopens.
pub(crate) fn transition(
    from: PromptState,
    reopens_at: Option<DateTime<Utc>>,
    action: Action,
    now: DateTime<Utc>,
) -> Result<Next, TransitionError> {
    use PromptState::{Answered, Expired, Open, Skipped, Snoozed};
    let to = |state| {
        Ok(Next {
            state,
            reopens_at: None,
        })
    };
    let refuse = Err(TransitionError::NotAllowed {
        from,
        action: action.name(),
    });
    match (from, action) {
        (Answered, _) => refuse,
        (_, Action::Answer) => to(Answered),
        (Open | Snoozed, Action::Snooze(until)) if until <= now => {
            Err(TransitionError::SnoozeInPast)
        }
        (Open | Snoozed, Action::Snooze(until)) => Ok(Next {
            state: Snoozed,
            reopens_at: Some(until),
        }),
        (Snoozed, Action::Reopen) => match reopens_at {
            Some(t) if t > now => Err(TransitionError::NotDue),
            _ => to(Open),
        },
        (Open | Snoozed, Action::Expire) => to(Expired),
        (Open | Snoozed, Action::Skip) => to(Skipped),
        _ => refuse,
    }
}

/// What a new trigger does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fold {
    /// No prompt is outstanding: open one.
    Open,
    /// Fold the trigger into the outstanding prompt (its state, snoozed or
    /// open, is kept: a snooze is respected).
    Into,
    /// The outstanding prompt is too old to stand for this trigger: expire
    /// it, then open a new one.
    ExpireAndOpen,
}

/// Decides what a trigger does given the outstanding prompt's opening time
/// (if any). A prompt opened before `expire_before` (the delivery side's
/// policy, e.g. the start of the local day) is not reused: an answer
/// refers to the prompt's time, so folding today's trigger into yesterday's
/// prompt would file today's work under yesterday.
pub(crate) fn fold(
    outstanding: Option<DateTime<Utc>>,
    expire_before: Option<DateTime<Utc>>,
) -> Fold {
    match (outstanding, expire_before) {
        (None, _) => Fold::Open,
        (Some(opened), Some(limit)) if opened < limit => Fold::ExpireAndOpen,
        (Some(_), _) => Fold::Into,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PromptState::*;

    fn t(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_750_000_000 + min * 60, 0).unwrap()
    }

    /// From, snoozed until, action, outcome.
    type Case = (
        PromptState,
        Option<DateTime<Utc>>,
        Action,
        Result<Next, TransitionError>,
    );

    #[test]
    fn transitions() {
        let now = t(0);
        let ok = |state, reopens_at| Ok(Next { state, reopens_at });
        let no = |from, action: Action| {
            Err(TransitionError::NotAllowed {
                from,
                action: action.name(),
            })
        };
        let cases: &[Case] = &[
            (Open, None, Action::Answer, ok(Answered, None)),
            (Open, None, Action::Snooze(t(30)), ok(Snoozed, Some(t(30)))),
            (
                Open,
                None,
                Action::Snooze(t(0)),
                Err(TransitionError::SnoozeInPast),
            ),
            (
                Open,
                None,
                Action::Snooze(t(-5)),
                Err(TransitionError::SnoozeInPast),
            ),
            (Open, None, Action::Expire, ok(Expired, None)),
            (Open, None, Action::Skip, ok(Skipped, None)),
            (Open, None, Action::Reopen, no(Open, Action::Reopen)),
            (Snoozed, Some(t(30)), Action::Answer, ok(Answered, None)),
            (
                Snoozed,
                Some(t(30)),
                Action::Snooze(t(60)),
                ok(Snoozed, Some(t(60))),
            ),
            (
                Snoozed,
                Some(t(30)),
                Action::Reopen,
                Err(TransitionError::NotDue),
            ),
            (Snoozed, Some(t(0)), Action::Reopen, ok(Open, None)),
            (Snoozed, Some(t(-1)), Action::Reopen, ok(Open, None)),
            (Snoozed, Some(t(30)), Action::Expire, ok(Expired, None)),
            (Snoozed, Some(t(30)), Action::Skip, ok(Skipped, None)),
            (Expired, None, Action::Answer, ok(Answered, None)),
            (
                Expired,
                None,
                Action::Snooze(t(30)),
                no(Expired, Action::Snooze(t(30))),
            ),
            (Expired, None, Action::Skip, no(Expired, Action::Skip)),
            (Expired, None, Action::Expire, no(Expired, Action::Expire)),
            (Skipped, None, Action::Answer, ok(Answered, None)),
            (Skipped, None, Action::Reopen, no(Skipped, Action::Reopen)),
            (Answered, None, Action::Answer, no(Answered, Action::Answer)),
            (Answered, None, Action::Skip, no(Answered, Action::Skip)),
            (
                Answered,
                None,
                Action::Snooze(t(30)),
                no(Answered, Action::Snooze(t(30))),
            ),
        ];
        for (from, reopens, action, want) in cases {
            assert_eq!(
                transition(*from, *reopens, *action, now),
                *want,
                "{from:?} + {action:?}"
            );
        }
    }

    #[test]
    fn folding() {
        let cases = [
            (None, None, Fold::Open),
            (None, Some(t(0)), Fold::Open),
            (Some(t(-10)), None, Fold::Into),
            (Some(t(-10)), Some(t(-20)), Fold::Into),
            (Some(t(-10)), Some(t(-10)), Fold::Into),
            (Some(t(-10)), Some(t(-9)), Fold::ExpireAndOpen),
        ];
        for (outstanding, limit, want) in cases {
            assert_eq!(fold(outstanding, limit), want, "{outstanding:?} {limit:?}");
        }
    }

    #[test]
    fn states_round_trip_and_outstanding() {
        for s in PromptState::ALL {
            assert_eq!(PromptState::parse(s.as_str()), Some(s));
        }
        assert_eq!(PromptState::parse("pending"), None);
        let outstanding: Vec<_> = PromptState::ALL
            .into_iter()
            .filter(|s| s.is_outstanding())
            .collect();
        assert_eq!(outstanding, [Open, Snoozed]);
    }

    #[test]
    fn refusals_read_as_sentences() {
        let e = transition(Answered, None, Action::Skip, t(0)).unwrap_err();
        assert_eq!(e.to_string(), "cannot skip a prompt that is answered");
    }
}
