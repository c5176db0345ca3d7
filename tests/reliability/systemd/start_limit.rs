//! The unit's own start limit (`StartLimitIntervalSec=300`,
//! `StartLimitBurst=5`, `RestartSec=5`, exactly as `install-service` writes
//! it, no drop-in) against a real crash loop: the store was written by a
//! newer devtrack, so every start of this one exits 1 at once. systemd must
//! give up after at most `StartLimitBurst` starts ("Start request repeated
//! too quickly"), `devtrack status` must say that the start limit stopped
//! it, and a fixed store starts again.

use std::os::unix::fs::DirBuilderExt;

use super::{figure, store_path};
use crate::systemd::{manager, CONFIG};

#[test]
fn shipped_start_limit_ends_a_crash_loop() {
    let Some(m) = manager() else { return };
    let _guard = m.reset();
    m.write_config(CONFIG);
    let store = store_path(m);
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(store.parent().unwrap())
        .unwrap();
    {
        let db = rusqlite::Connection::open(&store).unwrap();
        db.pragma_update(None, "user_version", 999).unwrap();
    }
    m.give_to_user(store.parent().unwrap());
    m.devtrack(&["install-service", "--no-start"]).ok();
    let unit = m.unit_path();
    assert!(
        !unit.with_file_name("devtrack.service.d").exists(),
        "the shipped unit, without drop-ins"
    );
    let burst: usize = m.show("StartLimitBurst").parse().unwrap();

    let journal = m.follow_journal(&m.journal_cursor());
    let began = std::time::Instant::now();
    let started = m.devtrack(&["start"]);
    assert_eq!(started.code, Some(1), "{started}");
    assert!(
        started.stderr.contains("the daemon exited with status 1"),
        "{started}"
    );
    // Each start is logged as `Starting`; the start the limit refuses as
    // "Start request repeated too quickly" (systemd 252 then logs the
    // previous result; the unit's Result says start-limit-hit).
    let mut starts = 0;
    loop {
        let (which, _) = journal.wait_for_any(&[
            "Starting devtrack.service",
            "Start request repeated too quickly",
        ]);
        if which == 1 {
            break;
        }
        starts += 1;
    }
    let took = began.elapsed();
    assert!(
        (1..=burst).contains(&starts),
        "{starts} starts before the limit (burst {burst})"
    );
    // systemd keeps the crash's result when the limit refuses an automatic
    // restart; `devtrack status` tells the start limit from the unit's state.
    assert_eq!(m.show("Result"), "exit-code");
    assert_eq!(m.show("ActiveState"), "failed");
    assert_eq!(m.show("ExecMainStatus"), "1");

    let page = m.devtrack(&["status"]);
    assert!(
        page.stdout.contains(
            "Note:         systemd stopped restarting it: it kept failing and reached the unit's \
             start limit (5 starts within 5min)"
        ) && page
            .stdout
            .contains("`devtrack start` clears the limit and tries again"),
        "{page}"
    );
    let journal_says = m.devtrack(&["logs", "-n", "50"]).stdout;
    assert!(
        journal_says.contains("newer than this devtrack understands"),
        "the daemon's own reason is in its log: {journal_says}"
    );

    // Fixed: `devtrack start` clears the limit and the daemon runs.
    std::fs::remove_file(&store).unwrap();
    m.devtrack(&["start"]).ok();
    assert_eq!(m.show("ActiveState"), "active");
    figure(
        "systemd::start_limit",
        "crash loop (every start exits 1) under the unit as shipped",
        starts,
        &format!(
            "stopped by the start limit after {starts} starts in {:.0} s; devtrack status says so",
            took.as_secs_f64()
        ),
    );
    m.devtrack(&["uninstall-service"]).ok();
}
