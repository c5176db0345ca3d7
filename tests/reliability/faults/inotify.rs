//! The per-user inotify limits exhausted: `fs.inotify.max_user_watches`
//! lowered so that only one of two repositories can be watched, and
//! `fs.inotify.max_user_instances` lowered to none.
//!
//! The limits are system-wide settings counted per user, so the daemon
//! runs as a uid of its own (no account needed), whose counts are
//! its alone; root's processes are not counted with it. Lowering a limit
//! still affects every user on the machine while it lasts, so the window
//! spans only the daemon's start, and all tests that change the limits
//! take `/tmp/devtrack-inotify.lock` first. The old value is restored on
//! drop, also when the test fails.

use std::os::unix::fs::OpenOptionsExt;

use super::{as_user, figure, is_root, refused_start, Fixture, Stopped};
use crate::util::{skip, text, Env};

/// The uids the daemons run as here, one per test (a daemon left running
/// by one must not count against the other's limit): no process on a
/// normal machine has them, so their inotify counts start at 0.
const WATCHES_UID: u32 = 64917;
const INSTANCES_UID: u32 = 64918;

/// A lowered `fs.inotify.*` value, restored when dropped.
struct Lowered {
    path: String,
    old: String,
}

impl Lowered {
    fn set(name: &str, value: u64) -> Lowered {
        let path = format!("/proc/sys/fs/inotify/{name}");
        let old = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, value.to_string()).unwrap();
        Lowered { path, old }
    }
}

impl Drop for Lowered {
    fn drop(&mut self) {
        std::fs::write(&self.path, self.old.trim()).unwrap();
    }
}

/// Serializes with every other test on this machine that changes the
/// inotify limits.
fn limits_lock() -> nix::fcntl::Flock<std::fs::File> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o666)
        .open("/tmp/devtrack-inotify.lock")
        .unwrap();
    nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive)
        .map_err(|(_, e)| e)
        .unwrap()
}

/// Two repositories prepared for a daemon run as [`UID`], or `None` (after
/// skipping) where the limits cannot be changed.
fn prepared(test: &str, uid: u32) -> Option<Stopped> {
    if !is_root() {
        skip(test, "lowering fs.inotify limits needs root");
        return None;
    }
    let env = Env::new();
    std::fs::create_dir_all(&env.runtime).unwrap();
    super::chown(env.dir.path(), uid);
    Some(Fixture::prepare(env, Some(uid), &["a", "b"], ""))
}

/// Three watches: `a`'s git directory, its `logs/` and the directory
/// holding both repositories; `b`'s git directory is one too many. The
/// error names the sysctl and the repository; `a` keeps working; once the
/// limit is back, `devtrack reload` watches `b` and stores the commit made
/// in it meanwhile.
#[test]
fn watch_limit_exhausted() {
    const TEST: &str = "faults::inotify::watch_limit_exhausted";
    let Some(prepared) = prepared(TEST, WATCHES_UID) else {
        return;
    };
    let lock = limits_lock();
    let started = std::time::Instant::now();
    let f = {
        let _low = Lowered::set("max_user_watches", 3);
        prepared.start()
    };
    let window = started.elapsed();
    drop(lock);

    let b = f.repo_status("b");
    assert_eq!(b["state"], "error", "{b}");
    let reason = b["reason"].as_str().unwrap().to_string();
    assert!(
        reason.contains("`fs.inotify.max_user_watches` = 3") && reason.contains("devtrack reload"),
        "{reason}"
    );
    assert_eq!(f.repo_status("a")["state"], "watching");
    let in_a = f.commit_seen(&f.repo("a"), "a keeps working");
    let in_b = f.commit(&f.repo("b"), "made while b is not watched");

    let out = f.run(&["reload", "--wait"]);
    assert!(out.status.success(), "{}", text(&out));
    f.wait_commit(&in_b);
    assert_eq!(f.repo_status("b")["state"], "watching");
    assert!(f.stored("a").contains(&in_a));
    let n = f.assert_none_lost("a") + f.assert_none_lost("b");
    let log = f.stop();
    assert!(
        log.contains("repository `b` cannot be watched: watching `")
            && log.contains("`fs.inotify.max_user_watches` = 3"),
        "{log}"
    );
    figure(
        TEST,
        "fs.inotify.max_user_watches lowered to 3 for the daemon's start (2 repositories)",
        "1 repository not watched",
        &format!(
            "status and log named the sysctl and `b`; `a` kept working; after the reload `b` watched and its commit stored; {n} of {n} commits stored; limit lowered for {} ms",
            window.as_millis()
        ),
    );
}

/// No inotify instance left: the daemon cannot watch anything and says so
/// at start, naming the sysctl (exit 1, so a service manager restarts it
/// within its start limit); once the limit is back it starts.
#[test]
fn instance_limit_exhausted() {
    const TEST: &str = "faults::inotify::instance_limit_exhausted";
    let Some(prepared) = prepared(TEST, INSTANCES_UID) else {
        return;
    };
    let mut run = as_user(prepared.env.cmd(["run"]), Some(INSTANCES_UID));
    let lock = limits_lock();
    let started = std::time::Instant::now();
    let (said, stderr) = {
        let _low = Lowered::set("max_user_instances", 0);
        refused_start(&mut run)
    };
    let window = started.elapsed();
    drop(lock);
    assert!(
        said.contains("`fs.inotify.max_user_instances` = 0"),
        "{stderr}"
    );

    let f = prepared.start();
    let hash = f.commit_seen(&f.repo("a"), "after the limit is back");
    assert!(f.stored("a").contains(&hash));
    f.stop();
    figure(
        TEST,
        "fs.inotify.max_user_instances lowered to 0 for one daemon start",
        "1 start",
        &format!(
            "refused with exit 1: `{}`; started once the limit was back; limit lowered for {} ms",
            said.replace('|', "/"),
            window.as_millis()
        ),
    );
}
