//! A hung daemon: SIGSTOP under a 2 s `WatchdogSec` drop-in, ten times.
//! Each time the manager must notice the missing keep-alives, kill the
//! daemon (`Result=watchdog`) and start a new one; the time from SIGSTOP to
//! the new daemon's READY=1 is reported.

use nix::sys::signal::Signal;

use super::{drop_in, figure, signal};
use crate::systemd::{manager, CONFIG};

/// A short watchdog, an immediate restart, and no start limit: ten
/// restarts in half a minute are what the test asks for.
const WATCHDOG_DROP_IN: &str =
    "[Unit]\nStartLimitIntervalSec=0\n[Service]\nWatchdogSec=2\nRestartSec=100ms\n";

const ROUNDS: u32 = 10;

#[test]
fn a_stopped_daemon_is_killed_by_the_watchdog_and_restarted() {
    let Some(m) = manager() else { return };
    let _guard = m.reset();
    m.write_config(CONFIG);
    drop_in(m, "watchdog.conf", WATCHDOG_DROP_IN);
    m.devtrack(&["install-service"]).ok();
    assert_eq!(m.show("WatchdogUSec"), "2s");
    let restarts = m.restarts();
    let journal = m.follow_journal(&m.journal_cursor());
    let mut times = Vec::new();
    for _ in 0..ROUNDS {
        let pid = m.main_pid();
        let stopped = std::time::Instant::now();
        signal(pid, Signal::SIGSTOP);
        journal.wait_for("Watchdog timeout");
        journal.wait_for("Failed with result 'watchdog'");
        journal.wait_for("Started devtrack.service");
        times.push(stopped.elapsed().as_secs_f64());
        assert_ne!(m.main_pid(), pid);
    }
    assert_eq!(m.restarts(), restarts + ROUNDS);
    assert_eq!(m.show("ActiveState"), "active");
    times.sort_by(f64::total_cmp);
    figure(
        "systemd::watchdog",
        "SIGSTOP under WatchdogSec=2 (RestartSec=100ms)",
        ROUNDS,
        &format!(
            "{ROUNDS} of {ROUNDS} killed by the watchdog and restarted; SIGSTOP to READY \
             median {:.1} s, max {:.1} s",
            times[times.len() / 2],
            times[times.len() - 1]
        ),
    );
    m.devtrack(&["uninstall-service"]).ok();
}
