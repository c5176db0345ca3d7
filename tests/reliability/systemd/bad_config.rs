//! Bad configs under the real user manager: at start (exit 78, and systemd
//! leaves it stopped instead of restarting it) and on reload, fifty times in
//! a row through SIGHUP, `devtrack reload` and `systemctl --user reload`
//! (the daemon keeps running on the last good config and says why in
//! `devtrack status` and its `STATUS=` line).

use nix::sys::signal::Signal;

use super::{events, figure, signal};
use crate::systemd::{config_with_interval, manager, CONFIG};

/// How long "nothing happens" is watched after a start failed on a bad
/// config: a restart would come within `RestartSec=5`, so this is six of
/// them. No event marks "no restart"; this is an observation window.
const QUIET_WINDOW: std::time::Duration = std::time::Duration::from_secs(30);

#[test]
fn a_bad_config_at_start_is_not_restarted() {
    let Some(m) = manager() else { return };
    let _guard = m.reset();
    m.write_config(CONFIG);
    m.devtrack(&["install-service", "--no-start"]).ok();
    m.write_config(&config_with_interval(0));
    let restarts = m.restarts();
    let journal = m.follow_journal(&m.journal_cursor());
    // (`--force`: without it `start` refuses before systemd runs anything.)
    let started = m.devtrack(&["start", "--force"]);
    assert_eq!(started.code, Some(1), "{started}");
    assert!(
        started.stderr.contains("its configuration is invalid"),
        "{started}"
    );
    assert_eq!(m.show("ExecMainStatus"), "78");
    journal.wait_for("Failed with result 'exit-code'");
    let later = journal.messages_within(QUIET_WINDOW);
    let restarted: Vec<&String> = later
        .iter()
        .filter(|s| s.contains("Scheduled restart") || s.contains("Starting devtrack.service"))
        .collect();
    assert!(restarted.is_empty(), "restarted on a bad config: {later:?}");
    assert_eq!(m.restarts(), restarts);
    assert_eq!(m.show("ActiveState"), "failed");

    m.write_config(CONFIG);
    let fixed = m.devtrack(&["start"]).ok();
    assert!(fixed.stdout.contains("devtrack started"), "{fixed}");
    assert_eq!(m.show("ActiveState"), "active");
    assert_eq!(
        m.status_json()["daemon"]["scheduler"]["interval_minutes"],
        180
    );
    figure(
        "systemd::bad_config_start",
        "start with an invalid config (exit 78)",
        QUIET_WINDOW.as_secs(),
        &format!(
            "0 restarts in {} s (NRestarts stays {restarts}); fixed config then `devtrack start`: runs",
            QUIET_WINDOW.as_secs()
        ),
    );
    m.devtrack(&["uninstall-service"]).ok();
}

const RELOADS: usize = 50;

#[test]
fn fifty_rejected_reloads_keep_the_last_good_config() {
    let Some(m) = manager() else { return };
    let _guard = m.reset();
    m.write_config(&config_with_interval(45));
    m.devtrack(&["install-service"]).ok();
    let pid = m.main_pid();
    let restarts = m.restarts();
    m.write_config(&config_with_interval(0));
    let stream = events(m);
    for i in 0..RELOADS {
        match i % 3 {
            0 => signal(pid, Signal::SIGHUP),
            1 => {
                let r = m.devtrack(&["reload"]);
                assert_eq!(r.code, Some(5), "{r}");
            }
            _ => {
                let r = m.systemctl(&["reload", "devtrack.service"]);
                assert_ne!(r.code, Some(0), "{r}");
            }
        }
        let rejected = stream.wait_for("reload_rejected");
        assert!(
            rejected["error"]
                .as_str()
                .is_some_and(|e| e.contains("settings.prompt_interval")),
            "{rejected}"
        );
    }
    assert_eq!(m.main_pid(), pid, "still the same daemon");
    assert_eq!(m.restarts(), restarts);
    assert_eq!(m.show("ActiveState"), "active");
    let status = m.status_json();
    assert_eq!(status["daemon"]["scheduler"]["interval_minutes"], 45);
    assert!(
        status["daemon"]["reload_error"]
            .as_str()
            .is_some_and(|e| e.contains("settings.prompt_interval")),
        "{status}"
    );
    let page = m.devtrack(&["status"]).ok();
    assert!(
        page.stdout
            .contains("Reload:   REJECTED, running on the previous config: ")
            && page.stdout.contains("settings.prompt_interval"),
        "{page}"
    );
    let line = m.show("StatusText");
    assert!(
        line.starts_with("Reload rejected: ") && line.contains("settings.prompt_interval"),
        "STATUS= line: {line}"
    );
    figure(
        "systemd::reload_bad_config",
        "reload with an invalid config (SIGHUP / devtrack reload / systemctl reload in turn)",
        RELOADS,
        &format!(
            "{RELOADS} rejected; same PID; 0 restarts; still on the last good config; \
             error in status and STATUS="
        ),
    );
    m.devtrack(&["uninstall-service"]).ok();
}
