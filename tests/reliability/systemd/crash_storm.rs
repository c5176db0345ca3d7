//! Crash consistency under the real user manager: while a writer commits
//! in three repositories (and, once `devtrack note` exists, notes arrive),
//! the daemon is killed with SIGKILL at random moments, 30 times (200 with
//! `DEVTRACK_RELIABILITY_LONG=1`). A drop-in lifts the unit's start limit
//! for the storm. Afterwards every commit made after the first start is
//! stored exactly once, every acknowledged note is stored, the store passes
//! `PRAGMA integrity_check`, `NRestarts` equals the number of kills and the
//! service is active.
//!
//! "Random moments" are taken from the writer's own progress: after each
//! restart (READY=1, seen as the manager's `Started` journal entry) the
//! daemon is killed once the writer reports 0 to 3 further commits, so
//! kills land in start-up catch-up, in the middle of reading a reflog and
//! between commits. Nothing sleeps: every wait is on a journal entry, a
//! writer line or an event.

use std::collections::{HashMap, HashSet};
use std::process::{Child, Stdio};
use std::sync::mpsc::Receiver;

use nix::sys::signal::Signal;

use super::{drop_in, events, figure, has_note_command, integrity, long, open_store, signal, Rng};
use crate::systemd::{config_watching, manager, UserManager, UserRepo, WAIT};
use crate::util::line_channel;

/// Restarts at once and without a start limit: the storm restarts the
/// daemon far more often than the shipped limit allows, on purpose.
const STORM_DROP_IN: &str = "[Unit]\nStartLimitIntervalSec=0\n[Service]\nRestartSec=100ms\n";

/// Commits round-robin in the repositories given as arguments until the
/// file `$STOP` exists, printing `REPO N` after each.
const WRITER: &str = r#"
n=0
while [ ! -e "$STOP" ]; do
    for repo in "$@"; do
        git -C "$repo" commit -q --allow-empty -m "storm $n" || exit 1
        echo "$repo $n"
    done
    n=$((n + 1))
done
"#;

/// Sends notes until `$STOP` exists, printing the text of each one
/// `devtrack note` acknowledged (exit 0).
const NOTER: &str = r#"
n=0
while [ ! -e "$STOP" ]; do
    text="storm note $n"
    if devtrack note "$text" >/dev/null 2>&1; then echo "$text"; fi
    n=$((n + 1))
done
"#;

/// A shell loop running as the user, its stdout lines as they come.
struct Loop {
    child: Child,
    lines: Receiver<String>,
}

impl Loop {
    fn start(m: &UserManager, stop: &str, script: &str, args: &[&str]) -> Loop {
        let mut full = vec!["-c", script, "loop"];
        full.extend_from_slice(args);
        let mut child = m
            .command(&[&format!("STOP={stop}")], "bash", &full)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        Loop {
            child,
            lines: line_channel(stdout),
        }
    }

    /// Drops what was already reported, then waits for `n` new lines.
    fn wait_fresh(&self, n: u64) -> Vec<String> {
        let mut seen: Vec<String> = self.lines.try_iter().collect();
        for _ in 0..n {
            let line = self
                .lines
                .recv_timeout(WAIT)
                .unwrap_or_else(|_| panic!("the writer reported nothing within {WAIT:?}"));
            seen.push(line);
        }
        seen
    }

    /// Waits for the loop to end (after `$STOP` was created); every line it
    /// printed that was not consumed yet.
    fn finish(mut self) -> Vec<String> {
        let status = self.child.wait().unwrap();
        assert!(status.success(), "a storm loop failed: {status}");
        self.lines.try_iter().collect()
    }
}

#[test]
fn kill_storm_loses_no_commit_and_no_note() {
    let Some(m) = manager() else { return };
    let _guard = m.reset();
    let kills: u32 = if long() { 200 } else { 30 };
    let mut rng = Rng::seeded("kill_storm");
    let repos: Vec<UserRepo> = ["storm-a", "storm-b", "storm-c"]
        .iter()
        .map(|name| UserRepo::create(m, name))
        .collect();
    let repo_refs: Vec<&UserRepo> = repos.iter().collect();
    m.write_config(&config_watching(&repo_refs));
    drop_in(m, "storm.conf", STORM_DROP_IN);
    // Returns once the daemon said READY=1 (Type=notify).
    m.devtrack(&["install-service"]).ok();
    let bases: Vec<String> = repos.iter().map(|r| r.head()).collect();
    let restarts_before = m.restarts();
    let journal = m.follow_journal(&m.journal_cursor());

    let stop = m.home.join(".storm-stop");
    let _ = std::fs::remove_file(&stop);
    let stop_arg = stop.display().to_string();
    let paths: Vec<String> = repos.iter().map(|r| r.path.display().to_string()).collect();
    let path_args: Vec<&str> = paths.iter().map(String::as_str).collect();
    let writer = Loop::start(m, &stop_arg, WRITER, &path_args);
    let notes_on = has_note_command(m);
    let noter = notes_on.then(|| Loop::start(m, &stop_arg, NOTER, &[]));

    let storm_began = std::time::Instant::now();
    let mut acked_notes: Vec<String> = Vec::new();
    for _ in 0..kills {
        let pid = m.main_pid();
        writer.wait_fresh(rng.below(4));
        signal(pid, Signal::SIGKILL);
        // The restart this kill caused: the manager logs `Started` once the
        // new daemon said READY=1.
        journal.wait_for("Started devtrack.service");
        if let Some(noter) = &noter {
            acked_notes.extend(noter.lines.try_iter());
        }
    }
    let storm_took = storm_began.elapsed();

    // Settle: stop the writers, then one marker commit per repository. The
    // daemon reads each reflog in order, so once a marker is announced
    // everything before it in that repository has been stored.
    std::fs::write(&stop, "").unwrap();
    writer.finish();
    if let Some(noter) = noter {
        acked_notes.extend(noter.finish());
    }
    let stream = events(m);
    let mut markers: HashSet<String> = repos.iter().map(|r| r.commit("storm marker")).collect();
    while !markers.is_empty() {
        let ev = stream.wait_for("commit");
        markers.remove(ev["commit"]["hash"].as_str().unwrap());
    }

    let db = open_store(m);
    let mut made = 0;
    for (repo, base) in repos.iter().zip(&bases) {
        let expected = repo.commits_since(base);
        made += expected.len();
        let mut stmt = db
            .prepare("SELECT hash, count(*) FROM commits WHERE repo = ?1 GROUP BY hash")
            .unwrap();
        let stored: HashMap<String, i64> = stmt
            .query_map([&repo.name], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let missing: Vec<&String> = expected
            .iter()
            .filter(|h| !stored.contains_key(*h))
            .collect();
        assert!(
            missing.is_empty(),
            "{}: {} commit(s) not stored: {missing:?}",
            repo.name,
            missing.len()
        );
        let twice: Vec<(&String, &i64)> = stored.iter().filter(|(_, n)| **n != 1).collect();
        assert!(
            twice.is_empty(),
            "{}: stored more than once: {twice:?}",
            repo.name
        );
    }
    let stored_notes: HashSet<String> = if acked_notes.is_empty() {
        HashSet::new()
    } else {
        let mut stmt = db.prepare("SELECT text FROM work_updates").unwrap();
        let texts = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        texts
    };
    if notes_on {
        assert!(
            !acked_notes.is_empty(),
            "no note was acknowledged during the storm"
        );
    }
    let lost_notes: Vec<&String> = acked_notes
        .iter()
        .filter(|t| !stored_notes.contains(*t))
        .collect();
    assert!(
        lost_notes.is_empty(),
        "acknowledged notes not stored: {lost_notes:?}"
    );
    let verdict = integrity(&db);
    assert_eq!(verdict, "ok", "PRAGMA integrity_check");
    assert_eq!(
        m.restarts(),
        restarts_before + kills,
        "NRestarts after {kills} kills"
    );
    assert_eq!(m.show("ActiveState"), "active");

    figure(
        "systemd::crash_storm",
        "kill -9 of the daemon while commits arrive in 3 repositories (systemd restarts it)",
        kills,
        &format!(
            "{kills} restarts (NRestarts); {made} commits all stored exactly once; \
             integrity_check ok; {:.1} s",
            storm_took.as_secs_f64()
        ),
    );
    if notes_on {
        figure(
            "systemd::crash_storm",
            "devtrack note during the kill storm",
            acked_notes.len(),
            &format!(
                "{} acknowledged, all stored in work_updates",
                acked_notes.len()
            ),
        );
    } else {
        figure(
            "systemd::crash_storm",
            "devtrack note during the kill storm",
            0,
            "not exercised: this build has no `devtrack note`",
        );
    }
    m.devtrack(&["uninstall-service"]).ok();
}
