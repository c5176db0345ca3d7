//! SIGHUP with a bad config, again and again: the daemon keeps running on
//! the last good config, and says why each reload was rejected in
//! `status` (`reload_error`), in the `reload_rejected` event and in the
//! `STATUS=` line it sends the service manager (read here from the
//! NOTIFY_SOCKET the test binds, as systemd would).

use std::time::Instant;

use nix::sys::signal::Signal;

use super::measure::{mib, proc_status_kib};
use super::{figure, scale};
use crate::daemon::BASIC;
use crate::util::{Env, EventStream};

#[test]
fn fifty_bad_reloads_keep_the_last_good_config_and_say_why() {
    let env = Env::new();
    // Each round is one SIGHUP and one verdict: the daemon's watch of the
    // file would add its own.
    let basic = format!("{BASIC}  watch_config: false\n");
    let good = basic.replace("prompt_interval: 180", "prompt_interval: 60");
    env.write_config(&good);
    let mut daemon = env.start();
    let events = EventStream::open(&env);
    let before = proc_status_kib(daemon.pid(), "VmHWM");
    // (a bad config, what its error must name)
    let bad: [(Vec<u8>, &str); 5] = [
        (
            good.replace("prompt_interval: 60", "prompt_intervall: 30")
                .into_bytes(),
            ":4:3: settings.prompt_intervall: unknown key",
        ),
        (
            good.replace("prompt_interval: 60", "prompt_interval: [30")
                .into_bytes(),
            "invalid YAML",
        ),
        (
            format!("{good}  prompt_interval: 61\n").into_bytes(),
            "settings.prompt_interval: duplicate key",
        ),
        (
            good.replace("Europe/Berlin", "Europe/Berl\u{0}in")
                .into_bytes(),
            "unexpected character",
        ),
        (
            [good.split_once("Berlin").unwrap().0.as_bytes(), b"\xff\n"].concat(),
            "not valid UTF-8",
        ),
    ];
    let rounds = scale(50, 500);
    let started = Instant::now();
    let mut failures = Vec::new();
    for round in 0..rounds {
        let (bytes, names) = &bad[round % bad.len()];
        std::fs::write(env.config_path(), bytes).unwrap();
        daemon.signal(Signal::SIGHUP);
        let rejected = events.wait_for("reload_rejected");
        let error = rejected["error"].as_str().unwrap_or_default().to_owned();
        if !error.contains(names) {
            failures.push(format!(
                "round {round}: event error `{error}` lacks `{names}`"
            ));
        }
        let notified = daemon.wait_notify("STATUS=Reload rejected:");
        if !notified.contains(names) {
            failures.push(format!(
                "round {round}: STATUS= line `{notified}` lacks `{names}`"
            ));
        }
        let status = env.status();
        let shown = status["daemon"]["reload_error"]
            .as_str()
            .unwrap_or_default();
        if !shown.contains(names) {
            failures.push(format!(
                "round {round}: reload_error `{shown}` lacks `{names}`"
            ));
        }
        if status["daemon"]["scheduler"]["interval_minutes"] != 60 {
            failures.push(format!(
                "round {round}: the good config was not kept: {status}"
            ));
        }
    }
    let elapsed = started.elapsed();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    let after = proc_status_kib(daemon.pid(), "VmHWM");
    // A good config afterwards applies and clears the error.
    env.write_config(&basic.replace("prompt_interval: 180", "prompt_interval: 45"));
    daemon.signal(Signal::SIGHUP);
    events.wait_for("reloaded");
    let status = env.status();
    assert_eq!(status["daemon"]["scheduler"]["interval_minutes"], 45);
    assert!(status["daemon"]["reload_error"].is_null(), "{status}");
    // The STATUS= line no longer shows a rejection.
    while daemon
        .wait_notify("STATUS=")
        .contains("STATUS=Reload rejected")
    {}
    figure(
        "reload::bad_sighup",
        "SIGHUP with a bad config (5 kinds in turn), then a good one",
        rounds,
        &format!(
            "still running on the last good config; each rejection in status, event and STATUS=; {} ms per round; daemon VmHWM {} -> {} MiB",
            elapsed.as_millis() / rounds as u128,
            mib(before),
            mib(after)
        ),
    );
}
