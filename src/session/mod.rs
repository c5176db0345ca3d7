//! Whether the person is at the machine: the screen lock and the idle
//! time of their graphical session, as the system says them, so that a
//! prompt waits for someone to read it instead of piling up on a locked
//! screen.
//!
//! The source on Linux is logind on the system bus ([`logind`]): the
//! user's graphical session and its `LockedHint`, `IdleHint` and
//! `IdleSinceHint`, followed through `PropertiesChanged`. What it yields is
//! an [`AwayState`] on a `watch` channel, each value replacing the last
//! (a storm of lock flips is one value for a loop that was busy); the
//! daemon's loop selects on it. The decisions are pure functions here:
//! which session is the user's graphical one ([`pick_session`]), and
//! whether a state means away, why and since when ([`away`]).

#[cfg(target_os = "linux")]
pub(crate) mod logind;

use chrono::{DateTime, TimeDelta, Utc};

/// How long the daemon's start waits for the session's first word, so
/// that its first status says it (a bus that does not answer is waited
/// for no longer; its word comes as a change).
#[cfg(target_os = "linux")]
const FIRST_WORD: std::time::Duration = std::time::Duration::from_secs(2);

/// Starts following the session (logind on the system bus named by
/// `DBUS_SYSTEM_BUS_ADDRESS`, on Linux); the receiver has the latest state,
/// the first one marked seen.
#[cfg(target_os = "linux")]
pub(crate) async fn follow() -> tokio::sync::watch::Receiver<AwayState> {
    let env = std::env::var("DBUS_SYSTEM_BUS_ADDRESS").ok();
    let mut rx = logind::start(logind::system_bus(env.as_deref()));
    let _ = tokio::time::timeout(FIRST_WORD, rx.changed()).await;
    rx.mark_unchanged();
    rx
}

/// Elsewhere nothing says whether the person is away (yet): prompts are
/// shown as they come.
#[cfg(not(target_os = "linux"))]
pub(crate) async fn follow() -> tokio::sync::watch::Receiver<AwayState> {
    let (tx, rx) = tokio::sync::watch::channel(AwayState::missing(
        "the screen lock is not followed on this system",
    ));
    // No sender: the loop's branch for changes never completes.
    drop(tx);
    rx
}

/// What the session source says, as last heard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AwayState {
    /// Where it comes from, or why there is nothing to say.
    pub source: Source,
    /// Since when the screen is locked (when the lock was first seen).
    pub locked_since: Option<DateTime<Utc>>,
    /// Since when the session is idle (`IdleSinceHint`), while it is.
    pub idle_since: Option<DateTime<Utc>>,
}

impl AwayState {
    /// Nothing known: `why` says which source is missing.
    pub(crate) fn missing(why: impl Into<String>) -> AwayState {
        AwayState {
            source: Source::Missing(why.into()),
            locked_since: None,
            idle_since: None,
        }
    }
}

/// The source of an [`AwayState`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// logind's session at this object path (`/org/freedesktop/login1/session/_32`).
    Logind(String),
    /// No source: the text says which is missing, e.g. "no system bus".
    Missing(String),
}

/// Why the person counts as away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AwayReason {
    /// The screen is locked.
    Locked,
    /// Idle longer than `prompts.idle_after`.
    Idle,
}

/// The person is away for `reason` since `since`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Away {
    pub reason: AwayReason,
    pub since: DateTime<Utc>,
}

/// Whether `state` means away at `now`: a locked screen at once, an idle
/// session once it has been idle for `idle_after`. A lock wins over idle
/// (a locked screen is idle too, and the lock is what a person sees).
pub(crate) fn away(state: &AwayState, idle_after: TimeDelta, now: DateTime<Utc>) -> Option<Away> {
    if let Some(since) = state.locked_since {
        return Some(Away {
            reason: AwayReason::Locked,
            since,
        });
    }
    let since = state.idle_since?;
    (since + idle_after <= now).then_some(Away {
        reason: AwayReason::Idle,
        since,
    })
}

/// A session of the user as logind lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SessionInfo {
    pub path: String,
    /// `Type`: `x11`, `wayland`, `tty`, `mir`, `unspecified`.
    pub kind: String,
    /// `Active`: in the foreground of its seat.
    pub active: bool,
}

#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
/// The user's graphical session: logind's `Display` for the user when it
/// names one (not `/`), else the first graphical (x11/wayland) session,
/// an active one before others; `None` when there is none.
pub(crate) fn pick_session(display: Option<&str>, sessions: &[SessionInfo]) -> Option<String> {
    if let Some(d) = display.filter(|d| !d.is_empty() && *d != "/") {
        return Some(d.to_string());
    }
    let graphical = |s: &&SessionInfo| matches!(s.kind.as_str(), "x11" | "wayland");
    sessions
        .iter()
        .filter(graphical)
        .find(|s| s.active)
        .or_else(|| sessions.iter().find(graphical))
        .map(|s| s.path.clone())
}

/// `IdleSinceHint` (µs since the epoch, 0 when unset) as a time.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub(crate) fn from_micros(micros: u64) -> Option<DateTime<Utc>> {
    (micros > 0)
        .then(|| DateTime::from_timestamp_micros(i64::try_from(micros).ok()?))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(m: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000 + m * 60, 0).unwrap()
    }

    fn state(locked: Option<i64>, idle: Option<i64>) -> AwayState {
        AwayState {
            source: Source::Logind("/s".into()),
            locked_since: locked.map(t),
            idle_since: idle.map(t),
        }
    }

    #[test]
    fn when_the_person_is_away() {
        let ten = TimeDelta::minutes(10);
        let locked = |m| {
            Some(Away {
                reason: AwayReason::Locked,
                since: t(m),
            })
        };
        let idle = |m| {
            Some(Away {
                reason: AwayReason::Idle,
                since: t(m),
            })
        };
        let cases = [
            // locked since, idle since, now, away
            (None, None, 30, None),
            (Some(25), None, 30, locked(25)),
            (Some(25), Some(5), 30, locked(25)),
            // Idle, but not for `idle_after` yet.
            (None, Some(25), 30, None),
            (None, Some(20), 30, idle(20)),
            (None, Some(5), 30, idle(5)),
        ];
        for (l, i, now, want) in cases {
            assert_eq!(away(&state(l, i), ten, t(now)), want, "{l:?} {i:?}");
        }
        assert_eq!(away(&AwayState::missing("no bus"), ten, t(0)), None);
    }

    #[test]
    fn the_graphical_session() {
        let s = |path: &str, kind: &str, active| SessionInfo {
            path: path.into(),
            kind: kind.into(),
            active,
        };
        let tty = s("/tty", "tty", true);
        let x11 = s("/x11", "x11", false);
        let wayland = s("/wl", "wayland", true);
        let cases: [(Option<&str>, Vec<SessionInfo>, Option<&str>); 6] = [
            (Some("/d"), vec![tty.clone()], Some("/d")),
            (Some("/"), vec![tty.clone(), x11.clone()], Some("/x11")),
            (None, vec![x11.clone(), wayland.clone()], Some("/wl")),
            (None, vec![tty.clone(), x11.clone()], Some("/x11")),
            (None, vec![tty], None),
            (Some(""), vec![], None),
        ];
        for (display, sessions, want) in cases {
            assert_eq!(
                pick_session(display, &sessions).as_deref(),
                want,
                "{display:?} {sessions:?}"
            );
        }
    }

    #[test]
    fn idle_since_hint() {
        assert_eq!(from_micros(0), None);
        assert_eq!(from_micros(1_780_000_000_000_000), Some(t(0)));
    }
}
