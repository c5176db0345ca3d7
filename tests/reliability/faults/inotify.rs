//! The per-user inotify limits exhausted: `fs.inotify.max_user_watches`
//! lowered so that only one of two repositories can be watched, and
//! `fs.inotify.max_user_instances` lowered to none, so that no repository
//! can be (the daemon runs on, its prompts too). Once the limit is back,
//! the daemon watches the repositories again by itself (its limit retry,
//! no `devtrack reload`) and stores the commits made meanwhile.
//!
//! The limits are system-wide settings counted per user, so the daemon
//! runs as a uid of its own (no account needed), whose counts are its
//! alone; root's processes are not counted with it. Lowering a limit still
//! applies to every user on the machine while it lasts: a daemon of any
//! other test started meanwhile would hit it. So these tests lower a limit
//! only when `DEVTRACK_MACHINE_WIDE_TESTS=1` says that nothing else runs:
//! `scripts/reliability.sh` runs them on their own, after the rest of the
//! suite, with one test thread, and every shared run skips them
//! (`--skip reliability::faults::inotify`). Each test also holds
//! `/tmp/devtrack-inotify.lock` for its whole run (another checkout's run
//! of them on the same machine), and the old value is restored on drop,
//! also when the test fails.

use std::os::unix::fs::OpenOptionsExt;

use super::{figure, is_root, Fixture, Stopped};
use crate::util::{skip, text, Env};

/// Set (to `1`) by the one invocation that runs these tests alone.
const ALONE: &str = "DEVTRACK_MACHINE_WIDE_TESTS";

/// How to run them.
const RUN_ALONE: &str = "DEVTRACK_MACHINE_WIDE_TESTS=1 cargo test --test tests reliability::faults::inotify -- --test-threads=1 (scripts/reliability.sh does, after the rest)";

/// The uids the daemons run as here, one per test (a daemon left running
/// by one must not count against the other's limit): no process on a
/// normal machine has them, so their inotify counts start at 0.
const WATCHES_UID: u32 = 64917;
const INSTANCES_UID: u32 = 64918;
const FOLDER_UID: u32 = 64919;
const DOCTOR_UID: u32 = 64920;

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
    if std::env::var(ALONE).as_deref() != Ok("1") {
        skip(
            test,
            &format!("it lowers a machine-wide limit, so it runs alone: {RUN_ALONE}"),
        );
        return None;
    }
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
/// error names the sysctl and the repository; `a` keeps working; a reload
/// while the limit is still low leaves `b` in error; once the limit is
/// back, the daemon watches `b` by itself and stores the commit made in it
/// meanwhile.
#[test]
fn watch_limit_exhausted() {
    const TEST: &str = "faults::inotify::watch_limit_exhausted";
    let Some(prepared) = prepared(TEST, WATCHES_UID) else {
        return;
    };
    let _lock = limits_lock();
    let started = std::time::Instant::now();
    let low = Lowered::set("max_user_watches", 3);
    let f = prepared.start();

    let b = f.repo_status("b");
    assert_eq!(b["state"], "error", "{b}");
    let reason = b["reason"].as_str().unwrap().to_string();
    assert!(
        reason.contains("`fs.inotify.max_user_watches` = 3")
            && reason.contains("devtrack tries again by itself"),
        "{reason}"
    );
    assert_eq!(f.repo_status("a")["state"], "watching");
    let in_a = f.commit_seen(&f.repo("a"), "a keeps working");
    let in_b = f.commit(&f.repo("b"), "made while b is not watched");
    let out = f.run(&["reload", "--wait"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(f.repo_status("b")["state"], "error", "the limit is still 3");
    drop(low);
    let window = started.elapsed();
    let back = std::time::Instant::now();

    // No reload: the limit retry finds room again.
    f.wait_repo_state("b", "watching");
    f.wait_commit(&in_b);
    let recovered = back.elapsed();
    assert!(f.stored("a").contains(&in_a));
    let after = f.commit_seen(&f.repo("b"), "after the limit is back");
    assert!(f.stored("b").contains(&after));
    let n = f.assert_none_lost("a") + f.assert_none_lost("b");
    let log = f.stop();
    assert!(
        log.contains("repository `b` cannot be watched: watching `")
            && log.contains("`fs.inotify.max_user_watches` = 3")
            && log.contains("repository `b` is now watching"),
        "{log}"
    );
    figure(
        TEST,
        "fs.inotify.max_user_watches lowered to 3 while the daemon starts, commits and reloads (2 repositories)",
        "1 repository not watched",
        &format!(
            "status and log named the sysctl and `b`; `a` kept working; still refused after a reload; {} ms after the limit was back `b` watched by itself (no reload) and its commit stored; {n} of {n} commits stored; limit lowered for {} ms",
            recovered.as_millis(),
            window.as_millis()
        ),
    );
}

/// No inotify instance left: the daemon starts anyway, every repository
/// in error naming the sysctl, and prompts still work; once the limit is
/// back, the daemon watches them all by itself and stores the commit made
/// meanwhile.
#[test]
fn instance_limit_exhausted() {
    const TEST: &str = "faults::inotify::instance_limit_exhausted";
    let Some(prepared) = prepared(TEST, INSTANCES_UID) else {
        return;
    };
    let _lock = limits_lock();
    let started = std::time::Instant::now();
    let low = Lowered::set("max_user_instances", 0);
    let f = prepared.start();

    for name in ["a", "b"] {
        let r = f.repo_status(name);
        assert_eq!(r["state"], "error", "{r}");
        let reason = r["reason"].as_str().unwrap();
        assert!(
            reason.contains("`fs.inotify.max_user_instances` = 0")
                && reason.contains("devtrack tries again by itself"),
            "{reason}"
        );
    }
    let out = f.run(&["trigger"]);
    assert!(out.status.success(), "{}", text(&out));
    f.wait_event(|e| e["event"] == "trigger" && e["trigger"]["kind"] == "manual");
    let in_a = f.commit(&f.repo("a"), "made while nothing is watched");
    drop(low);
    let window = started.elapsed();
    let back = std::time::Instant::now();

    // No reload: the limit retry gets an instance.
    for name in ["a", "b"] {
        f.wait_repo_state(name, "watching");
    }
    f.wait_commit(&in_a);
    let recovered = back.elapsed();
    let after = f.commit_seen(&f.repo("b"), "after the limit is back");
    assert!(f.stored("b").contains(&after));
    let n = f.assert_none_lost("a") + f.assert_none_lost("b");
    let log = f.stop();
    assert!(
        log.contains("ERROR")
            && log.contains("`fs.inotify.max_user_instances` = 0")
            && log.contains("an inotify instance could be had again"),
        "{log}"
    );
    figure(
        TEST,
        "fs.inotify.max_user_instances lowered to 0 while the daemon starts and a commit is made (2 repositories)",
        "2 repositories not watched",
        &format!(
            "started; status and log named the sysctl for both; a manual prompt worked; {} ms after the limit was back both watched by themselves (no reload) and the commit made meanwhile stored; {n} of {n} commits stored; limit lowered for {} ms",
            recovered.as_millis(),
            window.as_millis()
        ),
    );
}

/// A folder searched for repositories that needs more watches than the
/// limit leaves: the listed repository, armed first, keeps working; the
/// folder's reason gives the numbers (the watches it needs, the sysctl);
/// once the limit is back the daemon searches it by itself and watches
/// what it holds.
#[test]
fn folder_too_large_for_the_watch_limit() {
    const TEST: &str = "faults::inotify::folder_too_large_for_the_watch_limit";
    let Some(prepared) = prepared(TEST, FOLDER_UID) else {
        return;
    };
    // The folder: itself, 30 plain directories and one repository.
    let src = prepared.env.cwd.join("src");
    for i in 0..30 {
        std::fs::create_dir_all(src.join(format!("d{i}"))).unwrap();
    }
    let found = src.join("d0/found");
    std::fs::create_dir_all(&found).unwrap();
    crate::util::git_as(None, &found, &["init", "-q", "-b", "main"]);
    crate::util::git_as(
        None,
        &found,
        &["commit", "-q", "--allow-empty", "-m", "first"],
    );
    super::chown(&src, FOLDER_UID);
    let config = prepared.env.config_path();
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "settings:\n",
        &format!(
            "  - {{path: '{}', discover: true, depth: 2}}\nsettings:\n",
            src.display()
        ),
    );
    std::fs::write(&config, text).unwrap();
    let _lock = limits_lock();
    let low = Lowered::set("max_user_watches", 8);
    let f = prepared.start();

    let s = f.status();
    let folder = &s["daemon"]["folders"][0];
    let reason = folder["reason"].as_str().unwrap_or_default().to_string();
    assert!(
        reason.contains("needs 31 watches") && reason.contains("`fs.inotify.max_user_watches` = 8"),
        "{folder}"
    );
    assert_eq!(folder["repositories"], 0, "{folder}");
    assert_eq!(f.repo_status("a")["state"], "watching");
    let in_a = f.commit_seen(&f.repo("a"), "a keeps working");
    assert!(f.stored("a").contains(&in_a));
    drop(low);

    // No reload: the limit retry searches the folder again.
    f.wait_repo_state("d0/found", "watching");
    let s = f.status();
    assert!(s["daemon"]["folders"][0]["reason"].is_null(), "{s}");
    let log = f.stop();
    assert!(log.contains("needs 31 watches"), "{log}");
    figure(
        TEST,
        "fs.inotify.max_user_watches lowered to 8, a folder needing 31 (1 listed repository)",
        "1 folder not searched",
        "status and log gave the watches needed and the sysctl; the listed repository kept working; the folder searched by itself once the limit was back",
    );
}

/// `devtrack doctor` with the user's inotify watches exhausted: the limit
/// lowered to 8, and a holder process of the test's uid adding watches
/// until the kernel refuses one more. `inotify.watches` is a failure
/// whose fix is the sysctl, and doctor exits 1.
#[test]
fn doctor_fails_when_the_watches_are_exhausted() {
    use std::os::unix::process::CommandExt;

    const TEST: &str = "faults::inotify::doctor_fails_when_the_watches_are_exhausted";
    if std::env::var(ALONE).as_deref() != Ok("1") {
        skip(
            TEST,
            &format!("it lowers a machine-wide limit, so it runs alone: {RUN_ALONE}"),
        );
        return;
    }
    if !is_root() {
        skip(TEST, "lowering fs.inotify limits needs root");
        return;
    }
    let env = Env::new();
    let dirs: Vec<std::ffi::CString> = (0..16)
        .map(|i| {
            let dir = env.dir.path().join(format!("w{i}"));
            std::fs::create_dir(&dir).unwrap();
            std::ffi::CString::new(dir.to_str().unwrap()).unwrap()
        })
        .collect();
    super::chown(env.dir.path(), DOCTOR_UID);
    let _lock = limits_lock();
    let _low = Lowered::set("max_user_watches", 8);
    let mut holder = std::process::Command::new("sleep");
    holder.arg("infinity").uid(DOCTOR_UID).gid(DOCTOR_UID);
    // After fork, as the uid: one instance, watches until the limit
    // refuses one (only system calls here); the instance survives `exec`.
    unsafe {
        holder.pre_exec(move || {
            let fd = nix::libc::inotify_init();
            for dir in &dirs {
                if nix::libc::inotify_add_watch(fd, dir.as_ptr(), nix::libc::IN_CREATE) < 0 {
                    break;
                }
            }
            Ok(())
        });
    }
    let mut holder = holder.spawn().unwrap();
    let mut cmd = env.cmd(["doctor", "--json"]);
    cmd.uid(DOCTOR_UID).gid(DOCTOR_UID);
    let out = cmd.output().unwrap();
    let _ = holder.kill();
    let _ = holder.wait();
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    assert_eq!(out.status.code(), Some(1), "{json:#}");
    let check = crate::doctor::check(&json, "inotify.watches");
    assert_eq!(check["status"], "failure", "{check:#}");
    assert!(
        check["fix"]
            .as_str()
            .unwrap()
            .contains("sudo sysctl fs.inotify.max_user_watches="),
        "{check:#}"
    );
    figure(
        TEST,
        "devtrack doctor with fs.inotify.max_user_watches lowered to 8 and all 8 held",
        "inotify.watches: failure",
        "doctor named the sysctl and exited 1",
    );
}
