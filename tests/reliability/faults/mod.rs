//! Environment faults against a running daemon (issue 13, "Environment
//! faults"): a watched repository deleted, recreated, made unreadable,
//! moved, its reflog rewritten (`repo`); the data directory read-only, the
//! disk full, the database deleted or corrupted (`storage`); the inotify
//! limits exhausted (`inotify`); the wall clock set forward and back
//! (`clock`). Each fault must show in `devtrack status`
//! and in the log (the daemon's stderr here), must not crash the daemon,
//! and once cleared every commit still in a reflog must be in the store.
//!
//! Wall-clock jumps go through the scheduler with an injected clock
//! (`clock`: the pure `scheduler::step` driven as the run loop drives it,
//! a table and 1,000 random histories). A real `CLOCK_REALTIME` jump is
//! not made: Linux time namespaces offset only
//! `CLOCK_MONOTONIC` and `CLOCK_BOOTTIME`, never the real-time clock, so
//! the only real jump is setting the machine's clock, which would move
//! every process's time on a shared machine; libfaketime (`LD_PRELOAD`)
//! does not reach the kernel's timerfd that the daemon waits on.
//!
//! Root bypasses permission bits, so faults made of permissions run the
//! daemon, the CLI and git as an unprivileged user ([`Fixture::unprivileged`],
//! uid 65534, `nobody`, which every Linux system has): the test stays root
//! to break and repair things.

mod clock;
mod inotify;
mod repo;
mod storage;

use std::collections::BTreeSet;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::daemon_git::config;
use crate::util::{git_as, output_within, text, Daemon, Env, EventStream};

/// The unprivileged user the permission faults run as (`nobody`).
pub const NOBODY: u32 = 65534;

/// Prints one figure for docs/reliability.md (`scripts/reliability.sh`).
pub fn figure(test: &str, what: &str, count: impl std::fmt::Display, result: &str) {
    for field in [test, what, result] {
        assert!(!field.contains('|'), "a figure field holds `|`: {field}");
    }
    println!("FIGURE|{test}|{what}|{count}|{result}");
}

/// Whether this process can run others as another user (root).
pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// A daemon watching repositories, with its event stream open, run as
/// `uid` (root's own when `None`).
pub struct Fixture {
    pub env: Env,
    pub uid: Option<u32>,
    pub daemon: Daemon,
    pub events: EventStream,
    /// Events read but not waited for yet.
    seen: std::cell::RefCell<Vec<serde_json::Value>>,
    /// Each repository's reflog commits when the daemon started: history,
    /// which devtrack does not import.
    history: std::collections::BTreeMap<String, Vec<String>>,
}

impl Fixture {
    /// A daemon run by root watching `names` (new repositories under the
    /// working directory), with `settings` added to its config.
    pub fn new(names: &[&str], settings: &str) -> Fixture {
        Fixture::start(Env::new(), None, names, settings)
    }

    /// The same, run as [`NOBODY`]: the whole test directory is theirs.
    pub fn unprivileged(names: &[&str], settings: &str) -> Fixture {
        Fixture::run_as(NOBODY, names, settings)
    }

    /// The same, run as `uid` (which needs no account).
    pub fn run_as(uid: u32, names: &[&str], settings: &str) -> Fixture {
        let env = Env::new();
        std::fs::create_dir_all(&env.runtime).unwrap();
        chown(env.dir.path(), uid);
        Fixture::start(env, Some(uid), names, settings)
    }

    /// [`Fixture::new`] or [`Fixture::unprivileged`] in a prepared `env`.
    pub fn start(env: Env, uid: Option<u32>, names: &[&str], settings: &str) -> Fixture {
        Fixture::prepare(env, uid, names, settings).start()
    }

    /// Everything [`Fixture::start`] does before starting the daemon: the
    /// repositories (one commit each) and the config.
    pub fn prepare(env: Env, uid: Option<u32>, names: &[&str], settings: &str) -> Stopped {
        let repos: Vec<(String, PathBuf)> = names
            .iter()
            .map(|n| (n.to_string(), env.cwd.join(n)))
            .collect();
        for (_, path) in &repos {
            std::fs::create_dir_all(path).unwrap();
            if let Some(uid) = uid {
                chown(path, uid);
            }
            git_as(uid, path, &["init", "-q", "-b", "main"]);
            git_as(uid, path, &["commit", "-q", "--allow-empty", "-m", "first"]);
        }
        let pairs: Vec<(&str, &Path)> = repos
            .iter()
            .map(|(n, p)| (n.as_str(), p.as_path()))
            .collect();
        // A setting given replaces the default config's line for its key.
        let mut text = config(&pairs);
        for key in settings.lines().filter_map(|l| l.trim().split_once(':')) {
            let default = format!("\n  {}:", key.0);
            if let Some(at) = text.find(&default) {
                let end = text[at + 1..].find('\n').map_or(text.len(), |e| at + 1 + e);
                text.replace_range(at..end, "");
            }
        }
        env.write_config(&text.replace("settings:\n", &format!("settings:\n{settings}")));
        if let Some(uid) = uid {
            chown(env.dir.path(), uid);
        }
        let history = repos
            .iter()
            .map(|(n, p)| {
                let log = git_as(uid, p, &["reflog", "--format=%H %gs"]);
                (n.clone(), reflog_commits(&log))
            })
            .collect();
        Stopped {
            env,
            uid,
            history,
            log: String::new(),
        }
    }

    pub fn repo(&self, name: &str) -> PathBuf {
        self.env.cwd.join(name)
    }

    /// `devtrack ARGS` as the daemon's user.
    pub fn run(&self, args: &[&str]) -> Output {
        as_user(self.env.cmd(args), self.uid).output().unwrap()
    }

    /// `status --json`, parsed.
    pub fn status(&self) -> serde_json::Value {
        let out = self.run(&["status", "--json"]);
        assert!(out.status.success(), "status failed: {}", text(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// The status entry of the repository `name`.
    pub fn repo_status(&self, name: &str) -> serde_json::Value {
        let s = self.status();
        s["daemon"]["repositories"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("no `{name}` in {s}"))
            .clone()
    }

    pub fn git(&self, dir: &Path, args: &[&str]) -> String {
        git_as(self.uid, dir, args)
    }

    /// An empty commit in `repo`; its hash.
    pub fn commit(&self, repo: &Path, message: &str) -> String {
        self.git(repo, &["commit", "-q", "--allow-empty", "-m", message]);
        self.git(repo, &["rev-parse", "HEAD"]).trim().to_string()
    }

    /// Commits and waits until it is announced (so it is stored).
    pub fn commit_seen(&self, repo: &Path, message: &str) -> String {
        let hash = self.commit(repo, message);
        self.wait_commit(&hash);
        hash
    }

    pub fn wait_commit(&self, hash: &str) {
        self.wait_event(|e| e["event"] == "commit" && e["commit"]["hash"] == hash);
    }

    /// Waits for the `repo` event saying `name` is now in `state`.
    pub fn wait_repo_state(&self, name: &str, state: &str) -> serde_json::Value {
        self.wait_event(|e| {
            e["event"] == "repo" && e["repo"]["name"] == name && e["repo"]["state"] == state
        })
    }

    /// The first event, since the last one taken, matching `pred`; events
    /// read past on the way are kept for later waits (a commit read after a
    /// repository came back is announced just before the `repo` event).
    pub fn wait_event(&self, pred: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
        let mut seen = self.seen.borrow_mut();
        if let Some(i) = seen.iter().position(&pred) {
            return seen.remove(i);
        }
        loop {
            let Some(line) = self.events.try_next_line() else {
                let events: Vec<String> = seen.iter().map(|e| e.to_string()).collect();
                panic!(
                    "no matching event within {:?}; read meanwhile: {events:?}; the daemon's status: {}",
                    crate::util::WAIT,
                    self.status()
                );
            };
            let ev: serde_json::Value = serde_json::from_str(&line).unwrap();
            if pred(&ev) {
                return ev;
            }
            seen.push(ev);
        }
    }

    /// Every stored commit hash of repository `name`.
    pub fn stored(&self, name: &str) -> Vec<String> {
        let out = self.run(&["history", "--commits", "--json", "-n", "100000"]);
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|c| c["repo"] == name)
            .map(|c| c["hash"].as_str().unwrap().to_string())
            .collect()
    }

    /// The commits `repo`'s HEAD reflog still records as made there
    /// (`commit`, `commit (amend)`, …), oldest first.
    pub fn reflog_commits(&self, repo: &Path) -> Vec<String> {
        reflog_commits(&self.git(repo, &["reflog", "--format=%H %gs"]))
    }

    /// Asserts that every commit in `repo`'s reflog made since the daemon
    /// started is stored exactly once; returns how many there are.
    pub fn assert_none_lost(&self, name: &str) -> usize {
        let stored = self.stored(name);
        let unique: BTreeSet<&String> = stored.iter().collect();
        assert_eq!(unique.len(), stored.len(), "stored twice: {stored:?}");
        let before = self.history.get(name).cloned().unwrap_or_default();
        let in_reflog: Vec<String> = self
            .reflog_commits(&self.repo(name))
            .into_iter()
            .filter(|h| !before.contains(h))
            .collect();
        let lost: Vec<&String> = in_reflog.iter().filter(|h| !unique.contains(h)).collect();
        assert!(lost.is_empty(), "lost {lost:?}; stored {stored:?}");
        in_reflog.len()
    }

    /// The end of a fault test: every commit made in `name` since the start
    /// is stored once, the daemon stops cleanly, and its log holds each of
    /// `logged`. Returns how many commits that was.
    pub fn finish(self, name: &str, logged: &[&str]) -> usize {
        let n = self.assert_none_lost(name);
        let log = self.stop();
        for needle in logged {
            assert!(log.contains(needle), "no `{needle}` in the log: {log}");
        }
        n
    }

    /// Stops the daemon; its log (stderr).
    pub fn stop(self) -> String {
        self.stop_keeping_env().log
    }

    /// Stops the daemon, keeping what a restart needs.
    pub fn stop_keeping_env(self) -> Stopped {
        let Fixture {
            env,
            uid,
            mut daemon,
            events,
            history,
            ..
        } = self;
        drop(events);
        daemon.signal(nix::sys::signal::Signal::SIGTERM);
        let status = daemon.wait_exit(crate::util::WAIT);
        let log = daemon.stderr_text();
        assert!(
            status.is_some_and(|s| s.success()),
            "stopped with {status:?}: {log}"
        );
        Stopped {
            env,
            uid,
            history,
            log,
        }
    }
}

/// A fixture whose daemon was stopped, or is not started yet.
pub struct Stopped {
    pub env: Env,
    pub uid: Option<u32>,
    history: std::collections::BTreeMap<String, Vec<String>>,
    /// What the daemon logged.
    pub log: String,
}

impl Stopped {
    /// Starts the daemon again in the same environment.
    pub fn start(self) -> Fixture {
        let daemon = spawn_daemon(&self.env, self.uid);
        let events = EventStream::spawn(as_user(self.env.cmd(["events", "--json"]), self.uid));
        Fixture {
            env: self.env,
            uid: self.uid,
            daemon,
            events,
            seen: Default::default(),
            history: self.history,
        }
    }
}

/// Runs a `devtrack run` that must be refused: exit 1 within 20 s. Its
/// `devtrack: …` line, and all it wrote on stderr.
pub fn refused_start(cmd: &mut Command) -> (String, String) {
    let out = output_within(cmd, std::time::Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let said = stderr
        .lines()
        .find(|l| l.starts_with("devtrack: "))
        .unwrap_or_default()
        .to_string();
    (said, stderr)
}

/// The commit hashes of `git reflog --format='%H %gs'` output, oldest first.
fn reflog_commits(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(_, subject)| subject.starts_with("commit"))
        .map(|(h, _)| h.to_string())
        .collect();
    out.reverse();
    out
}

/// `cmd` run as `uid` (unchanged for `None`).
pub fn as_user(mut cmd: Command, uid: Option<u32>) -> Command {
    if let Some(uid) = uid {
        // std drops the supplementary groups too when it changes the uid.
        cmd.uid(uid).gid(uid);
    }
    cmd
}

/// Starts `devtrack run` in `env` as `uid`. The harness's notify socket
/// is root's; the daemon's user must be able to send to it.
pub fn spawn_daemon(env: &Env, uid: Option<u32>) -> Daemon {
    env.start_with(|c| {
        if let Some(uid) = uid {
            let notify = c
                .get_envs()
                .find(|(k, _)| *k == "NOTIFY_SOCKET")
                .and_then(|(_, v)| v)
                .map(PathBuf::from)
                .expect("the harness sets NOTIFY_SOCKET");
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&notify, std::fs::Permissions::from_mode(0o666)).unwrap();
            c.uid(uid).gid(uid);
        }
    })
}

/// Gives everything under `dir` to `uid` (and the group of that number).
pub fn chown(dir: &Path, uid: u32) {
    let out = Command::new("chown")
        .args(["-R", &format!("{uid}:{uid}")])
        .arg(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn reflog_commit_lines() {
    let text = "c3 commit (amend): x\nc2 checkout: moving from a to b\nc1 commit: y\nc0 commit (initial): z\n";
    assert_eq!(reflog_commits(text), ["c0", "c1", "c3"]);
}
