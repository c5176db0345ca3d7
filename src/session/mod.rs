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
pub(crate) mod macos;
#[cfg(target_os = "linux")]
pub(crate) mod screen_saver;

use chrono::{DateTime, TimeDelta, Utc};

/// Runs `part` (a source's task) until the receivers are dropped.
#[cfg(any(target_os = "linux", target_os = "macos"))]
fn until_closed(
    tx: std::sync::Arc<tokio::sync::watch::Sender<AwayState>>,
    part: impl std::future::Future<Output = ()> + Send + 'static,
) {
    tokio::spawn(async move {
        tokio::select! {
            () = part => {}
            () = tx.closed() => {}
        }
    });
}

/// How long the daemon's start waits for the session's first word, so
/// that its first status says it (a bus that does not answer is waited
/// for no longer; its word comes as a change).
#[cfg(any(target_os = "linux", target_os = "macos"))]
const FIRST_WORD: std::time::Duration = std::time::Duration::from_secs(2);

/// Starts following the session: logind on the system bus named by
/// `DBUS_SYSTEM_BUS_ADDRESS`, and the screen saver and the notification
/// server on the session bus at `session_bus` (Linux). The receiver has
/// the latest state, the first one marked seen.
#[cfg(target_os = "linux")]
pub(crate) async fn follow(session_bus: Option<String>) -> (Following, Ask) {
    let env = std::env::var("DBUS_SYSTEM_BUS_ADDRESS").ok();
    let (tx, mut rx) = tokio::sync::watch::channel(AwayState::unasked());
    let (ask, asked) = tokio::sync::watch::channel(false);
    let tx = std::sync::Arc::new(tx);
    let system_bus = logind::system_bus(env.as_deref());
    until_closed(tx.clone(), logind::follow(system_bus, tx.clone()));
    until_closed(tx.clone(), screen_saver::follow(session_bus, tx, asked));
    // Both first words, or as many as come in time.
    let _ = tokio::time::timeout(FIRST_WORD, async {
        let _ = rx
            .wait_for(|s| s.source != Source::Unasked && s.screen.source != Source::Unasked)
            .await;
    })
    .await;
    rx.mark_unchanged();
    (rx, ask)
}

/// On macOS `ioreg` is asked while a prompt is held (`macos.rs`).
#[cfg(target_os = "macos")]
pub(crate) async fn follow(_session_bus: Option<String>) -> (Following, Ask) {
    let (tx, mut rx) = tokio::sync::watch::channel(AwayState {
        source: Source::Missing("no logind on macOS".into()),
        ..AwayState::unasked()
    });
    let (ask, asked) = tokio::sync::watch::channel(false);
    let tx = std::sync::Arc::new(tx);
    let env = std::env::var("DEVTRACK_IOREG").ok();
    let program = macos::ioreg_program(env.as_deref());
    until_closed(tx.clone(), macos::follow(program, tx, asked));
    let _ = tokio::time::timeout(FIRST_WORD, async {
        let _ = rx.wait_for(|s| s.screen.source != Source::Unasked).await;
    })
    .await;
    rx.mark_unchanged();
    (rx, ask)
}

/// Elsewhere nothing says whether the person is away (yet): prompts are
/// shown as they come.
#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub(crate) async fn follow(_session_bus: Option<String>) -> (Following, Ask) {
    let missing = || Source::Missing("the screen lock is not followed on this system".into());
    let (tx, rx) = tokio::sync::watch::channel(AwayState {
        source: missing(),
        screen: Screen {
            source: missing(),
            ..Screen::missing("")
        },
        ..AwayState::unasked()
    });
    // No sender: the loop's branch for changes never completes.
    drop(tx);
    (rx, tokio::sync::watch::channel(false).0)
}

/// The latest [`AwayState`], for the run loop.
pub(crate) type Following = tokio::sync::watch::Receiver<AwayState>;

/// The run loop's side of asking: `true` while it holds a prompt.
pub(crate) type Ask = tokio::sync::watch::Sender<bool>;

/// A bus that refuses (or one that is no socket file to wait for): tried
/// again from 1 s, doubling to 5 min.
#[cfg(target_os = "linux")]
const CONNECT: crate::backoff::Backoff = crate::backoff::Backoff::new(
    std::time::Duration::from_secs(1),
    std::time::Duration::from_secs(300),
);

/// A call (or a connection) that gets no reply within this long fails.
#[cfg(target_os = "linux")]
const METHOD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Follows the `bus` (`system bus`, `session bus`) at `address` for good:
/// `follow` runs on each connection until it ends, and `missing` is told
/// why whenever there is none; a failed connect is tried again when its
/// socket is created (a `unix:path=` address whose file is missing), else
/// under [`CONNECT`].
#[cfg(target_os = "linux")]
pub(crate) async fn keep_following<F, Fut>(
    bus: &str,
    address: &str,
    mut follow: F,
    missing: impl Fn(String),
) where
    F: FnMut(zbus::Connection) -> Fut,
    Fut: std::future::Future<Output = zbus::Result<()>>,
{
    let mut failures = 0u32;
    loop {
        match connect(address).await {
            Ok(conn) => {
                failures = 0;
                missing(match follow(conn).await {
                    Ok(()) => format!("the {bus} closed the connection"),
                    Err(e) => format!("the {bus} failed: {e}"),
                });
            }
            Err(_) => {
                failures = failures.saturating_add(1);
                missing(format!("no {bus} at `{address}`"));
                // A bus whose socket is not there is waited for by its
                // creation, not a timer: an idle daemon makes no wake-ups.
                let socket = crate::bus_address::unix_path(address).filter(|s| !s.exists());
                let created = match &socket {
                    Some(socket) => crate::socket_watch::created(socket).await.is_ok(),
                    None => false,
                };
                if created {
                    failures = 0;
                } else {
                    tokio::time::sleep(CONNECT.delay(failures)).await;
                }
            }
        }
    }
}

#[cfg(target_os = "linux")]
async fn connect(address: &str) -> zbus::Result<zbus::Connection> {
    let connect = zbus::connection::Builder::address(address)?
        .method_timeout(METHOD_TIMEOUT)
        .build();
    match tokio::time::timeout(METHOD_TIMEOUT, connect).await {
        Ok(result) => result,
        Err(_) => Err(zbus::Error::Failure("no answer from the bus".into())),
    }
}

/// What the session sources say, as last heard: logind's part (its own
/// fields) and the session bus's ([`Screen`]), each written by its own
/// task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AwayState {
    /// Where logind's part comes from, or why there is none.
    pub source: Source,
    /// Since when logind says the screen is locked (when it was first
    /// seen so).
    pub locked_since: Option<DateTime<Utc>>,
    /// Since when the session is idle (`IdleSinceHint`), while it is.
    pub idle_since: Option<DateTime<Utc>>,
    /// What the session bus says.
    pub screen: Screen,
}

impl AwayState {
    /// Since when the screen is locked, as logind or a screen saver says
    /// (the earlier of the two).
    pub(crate) fn locked(&self) -> Option<DateTime<Utc>> {
        [self.locked_since, self.screen.active_since]
            .into_iter()
            .flatten()
            .min()
    }

    /// Nothing known yet.
    pub(crate) fn unasked() -> AwayState {
        AwayState {
            source: Source::Unasked,
            locked_since: None,
            idle_since: None,
            screen: Screen {
                source: Source::Unasked,
                ..Screen::missing("")
            },
        }
    }
}

/// The session bus's part: a screen saver's `ActiveChanged` (KDE's and
/// others' `org.freedesktop.ScreenSaver`, GNOME's `org.gnome.ScreenSaver`)
/// for desktops that keep no logind hints, and the notification server's
/// `Inhibited` (do not disturb, KDE); on macOS what `ioreg` answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Screen {
    /// The names that answered, or why none did.
    pub source: Source,
    /// Since when a screen saver is active (when it was first seen so).
    pub active_since: Option<DateTime<Utc>>,
    /// Since when the notification server is inhibited.
    pub inhibited_since: Option<DateTime<Utc>>,
    /// The idle time can only be asked for (KDE's `GetSessionIdleTime`,
    /// macOS's `ioreg`), nothing says when it changes: it is asked while a
    /// prompt is held, at most every 30 s.
    pub askable: bool,
    /// Its last answer.
    pub asked: Option<AskedIdle>,
}

/// An idle time asked for: at `asked_at` the session had been idle since
/// `idle_since`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AskedIdle {
    pub asked_at: DateTime<Utc>,
    pub idle_since: DateTime<Utc>,
}

impl Screen {
    pub(crate) fn missing(why: impl Into<String>) -> Screen {
        Screen {
            source: Source::Missing(why.into()),
            active_since: None,
            inhibited_since: None,
            askable: false,
            asked: None,
        }
    }
}

/// Where a part of an [`AwayState`] comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// logind's session at this object path (`/org/freedesktop/login1/session/_32`).
    Logind(String),
    /// These names on the session bus (`org.freedesktop.ScreenSaver`).
    SessionBus(String),
    /// A program asked while a prompt is held (macOS's `ioreg`).
    Asked(String),
    /// No source: the text says which is missing, e.g. "no system bus".
    Missing(String),
    /// Not asked yet (the daemon's first moments).
    Unasked,
}

impl Source {
    /// What it is, for the log and the status: the source, or why none.
    pub(crate) fn describe(&self) -> Result<String, String> {
        match self {
            Source::Logind(path) => Ok(format!("logind session {path}")),
            Source::SessionBus(names) => Ok(format!("session bus: {names}")),
            Source::Asked(program) => Ok(format!("asked while a prompt is held: {program}")),
            Source::Missing(why) => Err(why.clone()),
            Source::Unasked => Err("not asked yet".into()),
        }
    }
}

/// A time seen to start now, or kept from `last` when it was already on.
pub(crate) fn since(
    on: bool,
    last: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    on.then(|| last.unwrap_or(now))
}

/// Why the person counts as away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AwayReason {
    /// The screen is locked.
    Locked,
    /// Idle longer than `prompts.idle_after`.
    Idle,
    /// The notification server shows nothing (do not disturb): held as
    /// for a lock.
    Inhibited,
    /// The idle time can only be asked for, and no answer since the
    /// prompt came: held for the moment the answer takes.
    Asking,
}

/// The person is away for `reason` since `since`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Away {
    pub reason: AwayReason,
    pub since: DateTime<Utc>,
}

/// Whether `state` means away at `now`: a locked screen (logind's hint or
/// an active screen saver, whichever came first) or an inhibited
/// notification server at once, an idle session once it has been idle for
/// `idle_after`. A lock wins over the rest (a locked screen is idle too,
/// and the lock is what a person sees). An idle time that can only be
/// asked for counts when it was asked after `fresh_after` (when the
/// prompt started waiting; `None`: no prompt waits yet, so any answer is
/// old); without such an answer the prompt waits for one ([`AwayReason::Asking`]).
pub(crate) fn away(
    state: &AwayState,
    idle_after: TimeDelta,
    now: DateTime<Utc>,
    fresh_after: Option<DateTime<Utc>>,
) -> Option<Away> {
    if let Some(since) = state.locked() {
        return Some(Away {
            reason: AwayReason::Locked,
            since,
        });
    }
    if let Some(since) = state.screen.inhibited_since {
        return Some(Away {
            reason: AwayReason::Inhibited,
            since,
        });
    }
    let asked = match (state.screen.askable, state.screen.asked, fresh_after) {
        (false, _, _) => None,
        (true, Some(a), Some(after)) if a.asked_at >= after => Some(a.idle_since),
        (true, _, _) => {
            return Some(Away {
                reason: AwayReason::Asking,
                since: fresh_after.unwrap_or(now),
            })
        }
    };
    // The longer idle of the two sources.
    let since = [state.idle_since, asked].into_iter().flatten().min()?;
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
            screen: Screen::missing("none"),
        }
    }

    #[test]
    fn the_session_bus_locks_and_inhibits_too() {
        let ten = TimeDelta::minutes(10);
        let screen = |active: Option<i64>, inhibited: Option<i64>| AwayState {
            screen: Screen {
                source: Source::SessionBus("org.freedesktop.ScreenSaver".into()),
                active_since: active.map(t),
                inhibited_since: inhibited.map(t),
                ..Screen::missing("")
            },
            ..state(None, None)
        };
        let away_for = |reason, m| {
            Some(Away {
                reason,
                since: t(m),
            })
        };
        let cases = [
            (screen(Some(20), None), away_for(AwayReason::Locked, 20)),
            (screen(None, Some(25)), away_for(AwayReason::Inhibited, 25)),
            (screen(Some(20), Some(25)), away_for(AwayReason::Locked, 20)),
            // The earlier lock of the two.
            (
                AwayState {
                    locked_since: Some(t(12)),
                    ..screen(Some(20), None)
                },
                away_for(AwayReason::Locked, 12),
            ),
            (screen(None, None), None),
        ];
        for (s, want) in cases {
            assert_eq!(away(&s, ten, t(30), None), want, "{s:?}");
        }
        assert_eq!(since(true, Some(t(1)), t(5)), Some(t(1)));
        assert_eq!(since(true, None, t(5)), Some(t(5)));
        assert_eq!(since(false, Some(t(1)), t(5)), None);
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
            assert_eq!(away(&state(l, i), ten, t(now), None), want, "{l:?} {i:?}");
        }
        assert_eq!(away(&AwayState::unasked(), ten, t(0), None), None);
    }

    #[test]
    fn an_idle_time_only_asked_for_counts_when_asked_for_this_prompt() {
        let ten = TimeDelta::minutes(10);
        let asked = |at: i64, idle: i64| AwayState {
            screen: Screen {
                source: Source::SessionBus("org.freedesktop.ScreenSaver".into()),
                askable: true,
                asked: Some(AskedIdle {
                    asked_at: t(at),
                    idle_since: t(at - idle),
                }),
                ..Screen::missing("")
            },
            ..state(None, None)
        };
        let reason = |a: Option<Away>| a.map(|a| (a.reason, a.since));
        let cases = [
            // state, now, waiting since, (reason, since)
            // No prompt waits: an old answer is no answer.
            (asked(20, 15), 30, None, Some((AwayReason::Asking, t(30)))),
            (
                asked(20, 15),
                30,
                Some(t(25)),
                Some((AwayReason::Asking, t(25))),
            ),
            // Asked since the prompt came: idle 15 of 10 minutes.
            (
                asked(26, 15),
                30,
                Some(t(25)),
                Some((AwayReason::Idle, t(11))),
            ),
            // Idle 2 minutes only: shown.
            (asked(26, 2), 30, Some(t(25)), None),
            // Nothing askable: nothing to wait for.
            (state(None, None), 30, None, None),
            // A lock needs no answer.
            (
                AwayState {
                    locked_since: Some(t(3)),
                    ..asked(20, 15)
                },
                30,
                None,
                Some((AwayReason::Locked, t(3))),
            ),
        ];
        for (s, now, waiting, want) in cases {
            assert_eq!(
                reason(away(&s, ten, t(now), waiting)),
                want,
                "{s:?} {waiting:?}"
            );
        }
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
