//! Crash-loop guard for the LaunchAgent. launchd has no start limit: with
//! `KeepAlive = {SuccessfulExit = false}` a daemon that dies at startup is
//! relaunched every `ThrottleInterval` forever. So the daemon counts its
//! own fast failures in a small file in the data dir and, after too many,
//! exits 0, which launchd treats as a clean stop and does not relaunch.
//!
//! A run is a "fast failure" when it never became healthy, i.e. never stayed
//! up for [`CrashGuard::healthy_after`]: each start is recorded, and staying
//! up that long clears the record. Catching the failure at the next start
//! instead of at exit also covers deaths no handler sees (SIGKILL, abort).
//!
//! The decisions are pure functions of the stored state and the current
//! time; the file I/O is a thin wrapper.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::LABEL;
use crate::exit::Hinted;

/// File name of the guard's state in the data dir.
pub(crate) const FILE_NAME: &str = "launchd-crash-guard.json";

/// Whether this process was started by launchd as the devtrack agent:
/// launchd sets `XPC_SERVICE_NAME` to the job's label. `env` looks up an
/// environment variable (e.g. `|k| std::env::var(k).ok()`).
pub(crate) fn running_under_launchd(env: impl Fn(&str) -> Option<String>) -> bool {
    env("XPC_SERVICE_NAME").as_deref() == Some(LABEL)
}

/// The policy: give up after `max_fast_failures` fast failures within `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrashGuard {
    pub max_fast_failures: usize,
    pub window: Duration,
    /// How long a run must stay up to count as healthy.
    pub healthy_after: Duration,
}

impl Default for CrashGuard {
    /// 5 fast failures within 10 minutes; healthy after 60 s. With the
    /// agent's 30 s `ThrottleInterval` a loop gives up after about 3 minutes.
    fn default() -> Self {
        CrashGuard {
            max_fast_failures: 5,
            window: Duration::from_secs(600),
            healthy_after: Duration::from_secs(60),
        }
    }
}

/// The persisted state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrashGuardState {
    /// Start times (Unix seconds) of runs that have not (yet) become healthy.
    #[serde(default)]
    pub unhealthy_starts: Vec<u64>,
    /// Set when the guard stopped the agent.
    #[serde(default)]
    pub gave_up: Option<GaveUp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GaveUp {
    /// Unix seconds.
    pub at: u64,
    pub failures: usize,
}

/// What the daemon does at startup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StartDecision {
    /// Run normally.
    Proceed,
    /// Log `reason` and exit 0 so launchd stops relaunching.
    GiveUp { reason: Hinted },
}

impl CrashGuard {
    /// Decides at startup, given the stored state and the current time
    /// (Unix seconds); returns the state to store.
    pub(crate) fn on_start(
        &self,
        state: &CrashGuardState,
        now: u64,
    ) -> (CrashGuardState, StartDecision) {
        let window = self.window.as_secs();
        let recent: Vec<u64> = state
            .unhealthy_starts
            .iter()
            .copied()
            .filter(|&t| t <= now && now - t <= window)
            .collect();
        if recent.len() >= self.max_fast_failures {
            let next = CrashGuardState {
                // Emptied so that the next start (a login, `devtrack start`)
                // gets a full budget again.
                unhealthy_starts: Vec::new(),
                gave_up: Some(GaveUp {
                    at: now,
                    failures: recent.len(),
                }),
            };
            let reason = self.reason(recent.len());
            return (next, StartDecision::GiveUp { reason });
        }
        let mut unhealthy_starts = recent;
        unhealthy_starts.push(now);
        (
            CrashGuardState {
                unhealthy_starts,
                gave_up: None,
            },
            StartDecision::Proceed,
        )
    }

    /// The state to store once the run has stayed up for `healthy_after`
    /// or shuts down cleanly.
    pub(crate) fn on_healthy(&self, _state: &CrashGuardState) -> CrashGuardState {
        CrashGuardState::default()
    }

    fn reason(&self, failures: usize) -> Hinted {
        Hinted::new(format!(
            "stopped after {failures} failed starts within {} minutes (crash guard)",
            self.window.as_secs() / 60
        ))
        .with_hint(
            "see `devtrack logs` and ~/Library/Logs/devtrack/devtrack.err.log, \
             fix the cause, then run `devtrack start`",
        )
    }

    /// A line for `devtrack status` when the guard stopped the agent.
    pub(crate) fn describe(&self, state: &CrashGuardState) -> Option<String> {
        state.gave_up.as_ref().map(|g| {
            format!(
                "stopped by the crash guard after {} failed starts within {} minutes",
                g.failures,
                self.window.as_secs() / 60
            )
        })
    }

    // File I/O.

    /// `data_dir/launchd-crash-guard.json`
    pub(crate) fn file_in(data_dir: &Path) -> PathBuf {
        data_dir.join(FILE_NAME)
    }

    /// Reads the state; a missing or unreadable file is an empty state (a
    /// corrupt guard file must never keep the daemon from starting).
    pub(crate) fn load(path: &Path) -> CrashGuardState {
        std::fs::read(path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Writes the state atomically (temp file + rename).
    pub fn save(path: &Path, state: &CrashGuardState) -> anyhow::Result<()> {
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).with_context(|| format!("creating `{}`", dir.display()))?;
        let tmp = tempfile::NamedTempFile::new_in(dir)
            .with_context(|| format!("creating a temporary file in `{}`", dir.display()))?;
        serde_json::to_writer(&tmp, state)
            .with_context(|| format!("writing `{}`", tmp.path().display()))?;
        tmp.persist(path)
            .with_context(|| format!("replacing `{}`", path.display()))?;
        Ok(())
    }

    /// Forgets all failures, e.g. on `devtrack start`: the user asked for a
    /// fresh attempt.
    pub(crate) fn reset(path: &Path) -> anyhow::Result<()> {
        match std::fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e).with_context(|| format!("removing `{}`", path.display())),
        }
    }

    /// Startup check for `devtrack run` under launchd: loads, decides,
    /// stores, returns the decision.
    pub(crate) fn check_at_start(
        &self,
        path: &Path,
        now: SystemTime,
    ) -> anyhow::Result<StartDecision> {
        let (next, decision) = self.on_start(&Self::load(path), unix_secs(now));
        Self::save(path, &next)?;
        Ok(decision)
    }

    /// Call once the daemon has been up for [`CrashGuard::healthy_after`],
    /// and on a clean shutdown (a stop is not a failure).
    pub(crate) fn record_healthy(&self, path: &Path) -> anyhow::Result<()> {
        Self::save(path, &self.on_healthy(&Self::load(path)))
    }
}

/// The guard of this run of `devtrack run`: the default policy and its
/// file in the data dir. Exists only under launchd (a systemd unit has its
/// own start limit); errors reading or writing the file are logged, never
/// fatal.
pub(crate) struct LaunchdCrashGuard {
    guard: CrashGuard,
    file: PathBuf,
}

impl LaunchdCrashGuard {
    /// `Some` when this process runs as the devtrack agent.
    pub(crate) fn under_launchd(data_dir: &Path) -> Option<LaunchdCrashGuard> {
        running_under_launchd(|k| std::env::var(k).ok()).then(|| LaunchdCrashGuard {
            guard: CrashGuard::default(),
            file: CrashGuard::file_in(data_dir),
        })
    }

    /// Counts this start; `Some(reason)` when too many failed recently.
    pub(crate) fn should_give_up(&self) -> Option<Hinted> {
        match self.guard.check_at_start(&self.file, SystemTime::now()) {
            Ok(StartDecision::Proceed) => None,
            Ok(StartDecision::GiveUp { reason }) => Some(reason),
            Err(e) => {
                tracing::warn!("crash guard: {e:#}");
                None
            }
        }
    }

    /// How long a run must last to count as healthy.
    pub(crate) fn healthy_after(&self) -> Duration {
        self.guard.healthy_after
    }

    /// This run is healthy (up long enough, or stopping cleanly).
    pub(crate) fn record_healthy(&self) {
        if let Err(e) = self.guard.record_healthy(&self.file) {
            tracing::warn!("crash guard: {e:#}");
        }
    }
}

fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> CrashGuard {
        CrashGuard::default()
    }

    /// Runs `starts` startups at the given times, none becoming healthy.
    fn run(starts: &[u64]) -> (CrashGuardState, Vec<StartDecision>) {
        let mut state = CrashGuardState::default();
        let mut decisions = Vec::new();
        for &t in starts {
            let (next, d) = guard().on_start(&state, t);
            state = next;
            decisions.push(d);
        }
        (state, decisions)
    }

    #[test]
    fn gives_up_on_the_sixth_start_after_five_fast_failures() {
        let (state, decisions) = run(&[1000, 1030, 1060, 1090, 1120, 1150]);
        assert!(decisions[..5].iter().all(|d| *d == StartDecision::Proceed));
        let StartDecision::GiveUp { reason } = &decisions[5] else {
            panic!("expected give-up, got {:?}", decisions[5]);
        };
        assert!(reason.message.contains("5 failed starts within 10 minutes"));
        assert!(reason.hint.is_some());
        assert_eq!(
            state.gave_up,
            Some(GaveUp {
                at: 1150,
                failures: 5
            })
        );
        assert!(guard().describe(&state).unwrap().contains("crash guard"));
    }

    #[test]
    fn failures_outside_the_window_do_not_count() {
        // Five failures, but spread over more than 10 minutes.
        let (_, decisions) = run(&[0, 200, 400, 600, 800, 1000, 1200]);
        assert!(decisions.iter().all(|d| *d == StartDecision::Proceed));
    }

    #[test]
    fn a_healthy_run_clears_the_count() {
        let (state, _) = run(&[0, 30, 60, 90]);
        let healthy = guard().on_healthy(&state);
        let mut state = healthy;
        for t in [200, 230, 260, 290, 320] {
            let (next, d) = guard().on_start(&state, t);
            assert_eq!(d, StartDecision::Proceed);
            state = next;
        }
    }

    #[test]
    fn a_start_after_giving_up_gets_a_fresh_budget() {
        let (state, _) = run(&[0, 30, 60, 90, 120, 150]);
        assert!(state.gave_up.is_some());
        let (next, d) = guard().on_start(&state, 180);
        assert_eq!(d, StartDecision::Proceed);
        assert_eq!(next.gave_up, None);
        assert_eq!(next.unhealthy_starts, vec![180]);
    }

    #[test]
    fn a_clock_set_backwards_does_not_count_future_starts() {
        let state = CrashGuardState {
            unhealthy_starts: vec![5000, 5030, 5060, 5090, 5120],
            gave_up: None,
        };
        let (_, d) = guard().on_start(&state, 100);
        assert_eq!(d, StartDecision::Proceed);
    }

    #[test]
    fn launchd_is_detected_by_the_service_name() {
        assert!(running_under_launchd(
            |k| (k == "XPC_SERVICE_NAME").then(|| "dev.devtrack".to_string())
        ));
        assert!(!running_under_launchd(
            |k| (k == "XPC_SERVICE_NAME").then(|| "com.apple.Terminal".to_string())
        ));
        assert!(!running_under_launchd(|_| None));
    }

    #[test]
    fn the_file_round_trips_and_survives_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let path = CrashGuard::file_in(&dir.path().join("data"));
        assert_eq!(CrashGuard::load(&path), CrashGuardState::default());

        let g = guard();
        let t0 = UNIX_EPOCH + Duration::from_secs(10_000);
        for i in 0..5 {
            let d = g
                .check_at_start(&path, t0 + Duration::from_secs(30 * i))
                .unwrap();
            assert_eq!(d, StartDecision::Proceed);
        }
        assert_eq!(CrashGuard::load(&path).unhealthy_starts.len(), 5);
        let d = g
            .check_at_start(&path, t0 + Duration::from_secs(150))
            .unwrap();
        assert!(matches!(d, StartDecision::GiveUp { .. }));
        assert!(CrashGuard::load(&path).gave_up.is_some());

        g.record_healthy(&path).unwrap();
        assert_eq!(CrashGuard::load(&path), CrashGuardState::default());

        std::fs::write(&path, "{not json").unwrap();
        assert_eq!(CrashGuard::load(&path), CrashGuardState::default());
        CrashGuard::reset(&path).unwrap();
        assert!(!path.exists());
        CrashGuard::reset(&path).unwrap();
    }
}
