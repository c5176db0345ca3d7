//! The data directory misbehaving under the running daemon: the disk full
//! (a small tmpfs as the data directory, mounted by root, filled by a
//! file), the directory's permissions taken away (the daemon as an
//! unprivileged user), the database deleted or overwritten. Each time the
//! status (`store_error`, the `STATUS=` line) and the log say so, and
//! commits made meanwhile are stored once the fault is cleared, because the
//! reflog cursors did not move.
//!
//! A read-only remount of the data directory under the running daemon
//! cannot be made: the kernel refuses `mount -o remount,ro` (EBUSY) while
//! a file on it is open for writing, as the store is. Permission bits do
//! not stop writes through descriptors already open either, so
//! `data_directory_made_read_only` shows the daemon keeps working and the
//! next start is refused with the reason.
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{as_user, figure, is_root, refused_start, Fixture, NOBODY};
use crate::util::{git_as, skip, text, Env};

/// A tmpfs mounted at a path for one test; unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Mounts a tmpfs of `size` (e.g. `4m`) at `dir`, or says why not.
    fn mount(dir: &Path, size: &str) -> Result<Tmpfs, String> {
        if !is_root() {
            return Err("mounting a tmpfs needs root".into());
        }
        std::fs::create_dir_all(dir).unwrap();
        mount(
            &[
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ],
            dir,
        )
        .map_err(|e| format!("cannot mount a tmpfs (a container without CAP_SYS_ADMIN?): {e}"))?;
        Ok(Tmpfs(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).output();
    }
}

fn mount(args: &[&str], dir: &Path) -> Result<(), String> {
    let out = Command::new("mount").args(args).arg(dir).output().unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// Writes `path` until the file system is full.
fn fill(path: &Path) -> u64 {
    let mut f = std::fs::File::create(path).unwrap();
    let chunk = vec![0u8; 4096];
    let mut written = 0;
    loop {
        match f.write(&chunk) {
            Ok(0) => break,
            Ok(n) => written += n as u64,
            Err(e) if e.raw_os_error() == Some(nix::libc::ENOSPC) => break,
            Err(e) => panic!("filling {}: {e}", path.display()),
        }
    }
    written
}

/// A daemon (as root) on a tmpfs data directory of `size`; `seed` may
/// prepare the store first.
fn on_tmpfs(
    test: &str,
    size: &str,
    settings: &str,
    seed: impl FnOnce(&Env),
) -> Option<(Tmpfs, Fixture)> {
    let env = Env::new();
    let tmpfs = match Tmpfs::mount(&env.data_home.join("devtrack"), size) {
        Ok(t) => t,
        Err(why) => {
            skip(test, &why);
            return None;
        }
    };
    seed(&env);
    Some((tmpfs, Fixture::start(env, None, &["app"], settings)))
}

/// Commits `n` times while the store fails; waits until the daemon says so
/// on its `STATUS=` line; returns the hashes and that line.
fn commits_while_failing(f: &mut Fixture, n: usize, what: &str) -> (Vec<String>, String) {
    let repo = f.repo("app");
    let made = (0..n)
        .map(|i| f.commit(&repo, &format!("{what} {i}")))
        .collect();
    let line = f.daemon.wait_notify("STATUS=Store error");
    (made, line)
}

/// Waits until the daemon says the store takes writes again, then for
/// each of `made` to be announced (so stored).
fn recovered(f: &mut Fixture, made: &[String]) {
    f.daemon.wait_notify("STATUS=Watching");
    for h in made {
        f.wait_commit(h);
    }
    assert_eq!(f.status()["daemon"]["store_error"], serde_json::Value::Null);
}

#[test]
fn disk_full_then_space_back() {
    const TEST: &str = "faults::storage::disk_full_then_space_back";
    let Some((_tmpfs, mut f)) = on_tmpfs(TEST, "4m", "", |_| {}) else {
        return;
    };
    let repo = f.repo("app");
    f.commit_seen(&repo, "before the disk filled");
    let filler = f.env.data_home.join("devtrack/filler");
    fill(&filler);

    let (made, line) = commits_while_failing(&mut f, 3, "while full");
    assert!(line.contains("full"), "{line}");
    let err = f.status()["daemon"]["store_error"].clone();
    let err = err
        .as_str()
        .unwrap_or_else(|| panic!("no store_error: {err}"));
    assert!(
        err.contains("full") && err.contains("\nhint: free space"),
        "{err}"
    );
    let page = String::from_utf8_lossy(&f.run(&["status"]).stdout).to_string();
    assert!(page.contains("Store:    NOT WRITABLE"), "{page}");

    std::fs::remove_file(&filler).unwrap();
    recovered(&mut f, &made);
    let n = f.finish("app", &["database or disk is full", "takes writes again"]);
    figure(
        TEST,
        "data dir a 4 MiB tmpfs filled by a file; commits made; file removed",
        format!("{} commits while full", made.len()),
        &format!("status and log said full; all stored once space was back; {n} of {n} in the reflog stored; 0 lost"),
    );
}

/// Permission bits on the data directory and the store (the daemon as an
/// unprivileged user): the running daemon keeps writing through the files
/// it has open, so nothing fails and nothing is lost; a start while they
/// are read-only is refused with the file named and a hint; once writable
/// again, a start catches up what was committed meanwhile.
#[test]
fn data_directory_made_read_only() {
    const TEST: &str = "faults::storage::data_directory_made_read_only";
    if !is_root() {
        return skip(TEST, "needs root to run the daemon as an unprivileged user");
    }
    let f = Fixture::unprivileged(&["app"], "");
    let repo = f.repo("app");
    let data = f.env.data_home.join("devtrack");
    f.commit_seen(&repo, "before chmod");
    chmod(&data, "a-w");
    f.commit_seen(&repo, "while read-only, running");
    let stopped = f.stop_keeping_env();
    assert!(!stopped.log.contains("ERROR"), "{}", stopped.log);

    let (said, refused) = refused_start(&mut as_user(stopped.env.cmd(["run"]), Some(NOBODY)));
    assert!(
        said.contains(&format!("`{}/", data.display())) && refused.contains("\nhint: "),
        "{refused}"
    );
    git_as(
        Some(NOBODY),
        &repo,
        &["commit", "-q", "--allow-empty", "-m", "while stopped"],
    );
    let offline = git_as(Some(NOBODY), &repo, &["rev-parse", "HEAD"])
        .trim()
        .to_string();

    chmod(&data, "u+w");
    let f = stopped.start();
    assert!(f.stored("app").contains(&offline));
    let n = f.assert_none_lost("app");
    f.stop();
    figure(
        TEST,
        "chmod -R a-w on the data dir (daemon as uid 65534); restart while read-only; chmod u+w; start",
        format!("{n} commits"),
        &format!(
            "running daemon kept writing through its open files; the start was refused naming the file with a hint (`{}`); the next start caught up; 0 lost",
            said
                .replace(&data.display().to_string(), "DATA")
                .replace('|', "/")
        ),
    );
}

fn chmod(dir: &Path, how: &str) {
    let out = Command::new("chmod")
        .args(["-R", how])
        .arg(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

/// The database deleted under the running daemon: it refuses to go on
/// writing to the unlinked file, says so, opens a new store at the path at
/// its next retry and stores there what the reflogs hold since it started.
#[test]
fn database_deleted_while_running() {
    const TEST: &str = "faults::storage::database_deleted_while_running";
    let mut f = Fixture::new(&["app"], "");
    let repo = f.repo("app");
    let before = f.commit_seen(&repo, "before the delete");
    std::fs::remove_file(f.env.database()).unwrap();
    // Said before any write finds out.
    let err = f.status()["daemon"]["store_error"].clone();
    assert!(
        err.as_str().is_some_and(|e| e.contains("was deleted")),
        "{err}"
    );
    let (made, line) = commits_while_failing(&mut f, 2, "after the delete");
    assert!(line.contains("was deleted"), "{line}");
    recovered(&mut f, &made);
    let stored = f.stored("app");
    assert!(stored.contains(&before), "{stored:?}");
    let n = f.finish(
        "app",
        &[
            "was deleted while devtrack was running",
            "created a new one there",
        ],
    );
    figure(
        TEST,
        "devtrack.db deleted while the daemon runs; commits made",
        format!("{} commits after the delete", made.len()),
        &format!("refused to write to the unlinked file; status and log said so; a new store at the path holds all {n} commits made since the start; 0 lost"),
    );
}

/// The database overwritten with garbage under the running daemon: it
/// refuses every write (and the checkpoint at exit), says so with a hint;
/// the next start is refused naming the file with what to do; once the
/// file is moved away, a start runs on a new store.
#[test]
fn database_corrupted_while_running() {
    const TEST: &str = "faults::storage::database_corrupted_while_running";
    let mut f = Fixture::new(&["app"], "");
    let repo = f.repo("app");
    f.commit_seen(&repo, "before the corruption");
    let db = f.env.database();
    let mut file = std::fs::OpenOptions::new().write(true).open(&db).unwrap();
    file.write_all(&[0x5a; 4096]).unwrap();
    drop(file);
    let (_made, line) = commits_while_failing(&mut f, 1, "after the corruption");
    assert!(line.contains("no longer an SQLite database"), "{line}");
    let err = f.status()["daemon"]["store_error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(err.contains("\nhint: stop devtrack"), "{err}");
    let stopped = f.stop_keeping_env();
    assert!(stopped.log.contains("was overwritten"), "{}", stopped.log);
    assert_eq!(
        std::fs::read(&db).unwrap()[..16],
        [0x5a; 16],
        "the file was written to after it was found corrupt"
    );

    let (said, refused) = refused_start(&mut stopped.env.cmd(["run"]));
    assert!(said.contains(&format!("`{}`", db.display())), "{refused}");
    assert!(
        refused.contains(&format!(
            "hint: stop devtrack and move `{}` and its",
            db.display()
        )),
        "{refused}"
    );

    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", db.display()));
        if file.exists() {
            std::fs::rename(&file, format!("{}.corrupt", file.display())).unwrap();
        }
    }
    let f = stopped.start();
    let after = f.commit_seen(&f.repo("app"), "on the new store");
    assert!(f.stored("app").contains(&after));
    f.stop();
    figure(
        TEST,
        "first 4 KiB of devtrack.db overwritten while the daemon runs",
        "1 fault",
        &format!(
            "writes and the exit checkpoint refused; status said so with a hint; next start refused (`{}`) with a hint; runs once the file is moved away; commits in the corrupt file not recovered",
            said.replace(&db.display().to_string(), "DATA/devtrack.db")
                .replace('|', "/")
        ),
    );
}

/// A timer prompt due while the disk is full: the failed step is reported
/// once and retried by the store's back-off, not by the wall-clock timer
/// firing again at its passed deadline over and over; once there is room
/// the prompt fires, once.
#[test]
fn a_prompt_due_while_the_disk_is_full() {
    const TEST: &str = "faults::storage::a_prompt_due_while_the_disk_is_full";
    // The next slot of a 1-minute grid comes 4 s after the start.
    let anchor = chrono::Utc::now() - chrono::TimeDelta::seconds(56);
    let seed = |env: &Env| {
        let mut store = devtrack::store::Store::open(&env.database()).unwrap();
        let state = devtrack::scheduler::SchedulerState {
            anchor: Some(chrono::SubsecRound::trunc_subsecs(anchor, 3)),
            pause: devtrack::scheduler::Pause::Running,
            skip_next: false,
        };
        store.save_scheduler_state(&state).unwrap();
    };
    let Some((_tmpfs, mut f)) = on_tmpfs(
        TEST,
        "4m",
        "  prompt_interval: 1\n  log_level: debug\n",
        seed,
    ) else {
        return;
    };
    let filler = f.env.data_home.join("devtrack/filler");
    fill(&filler);
    let line = f.daemon.wait_notify("STATUS=Store error");
    assert!(line.contains("full"), "{line}");
    std::fs::remove_file(&filler).unwrap();
    f.daemon.wait_notify("STATUS=Watching");
    let trigger = f.wait_event(|e| e["event"] == "trigger");
    assert_eq!(trigger["trigger"]["kind"], "timer", "{trigger}");
    let triggers = {
        let out = f.run(&["history", "--json"]);
        String::from_utf8_lossy(&out.stdout).lines().count()
    };
    assert_eq!(triggers, 1);
    let log = f.stop();
    let errors = log.lines().filter(|l| l.contains("ERROR")).count();
    assert_eq!(errors, 1, "{log}");
    // Each failed attempt after the first: one per retry (1 s, 2 s, …),
    // not one per wake-up of a timer whose deadline passed.
    let attempts = log
        .lines()
        .filter(|l| l.contains("the store still fails"))
        .count();
    assert!(attempts <= 2, "{attempts} attempts: {log}");
    figure(
        TEST,
        "a timer prompt due while the 4 MiB tmpfs data dir is full; space freed",
        "1 prompt",
        &format!("1 error logged; {} failed retries (no wake-up storm); the prompt fired once after recovery; {triggers} trigger stored", attempts),
    );
}

/// The disk fills between a commit being stored and its commit trigger
/// (the debounce window): the commit is kept, and its prompt is recorded
/// by the store's retry once there is room, linked to it, not dropped.
#[test]
fn a_commit_trigger_refused_by_a_full_disk_is_recorded_later() {
    const TEST: &str = "faults::storage::a_commit_trigger_refused_by_a_full_disk_is_recorded_later";
    let Some((_tmpfs, mut f)) = on_tmpfs(TEST, "4m", "  commit_debounce_ms: 1500\n", |_| {}) else {
        return;
    };
    let repo = f.repo("app");
    let hash = f.commit_seen(&repo, "stored before the disk filled");
    let filler = f.env.data_home.join("devtrack/filler");
    fill(&filler);
    let line = f.daemon.wait_notify("STATUS=Store error");
    assert!(line.contains("full"), "{line}");
    std::fs::remove_file(&filler).unwrap();
    f.daemon.wait_notify("STATUS=Watching");
    let trigger = f.wait_event(|e| e["event"] == "trigger");
    assert_eq!(trigger["trigger"]["kind"], "commit", "{trigger}");
    let out = f.run(&["history", "--commits", "--json"]);
    let linked = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|c| c["hash"] == hash.as_str())
        .map(|c| c["trigger_id"].clone());
    assert_eq!(linked, Some(trigger["trigger"]["id"].clone()));
    f.stop();
    figure(
        TEST,
        "the 4 MiB tmpfs data dir filled inside the commit debounce window",
        "1 commit trigger",
        "the commit kept; its trigger recorded by the retry once space was back and linked to it; 0 prompts lost",
    );
}
