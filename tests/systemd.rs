//! devtrack under a real systemd user manager.
//!
//! `scripts/systemd-user-env.sh start` brings up `systemd --user` for an
//! unprivileged user (and journald); these tests run as root and drive the
//! built `devtrack` as that user through `runuser`, with the binary copied
//! to the user's `~/.local/bin` (a stable path, as `install-service` wants).
//! The tests share one manager, so they take [`MANAGER`] in turn; the
//! harness here is also the one tests/reliability/systemd uses.
//!
//! In CI (`CI=true`) an unreachable manager fails the tests; elsewhere
//! without root they are skipped with a printed reason.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};

/// Serializes every test that uses the shared user manager.
static MANAGER: Mutex<()> = Mutex::new(());

/// The user manager started by the script, as the tests reach it.
pub(crate) struct UserManager {
    pub(crate) user: String,
    pub(crate) home: PathBuf,
    runtime_dir: String,
    bus: String,
}

pub(crate) fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Starts (or finds) the manager; `None` means skip (printed why).
pub(crate) fn manager() -> Option<&'static UserManager> {
    static STARTED: OnceLock<Result<UserManager, String>> = OnceLock::new();
    let result = STARTED.get_or_init(start_manager);
    match result {
        Ok(m) => Some(m),
        Err(reason) if in_ci() => panic!("the systemd user manager is required in CI: {reason}"),
        Err(reason) => {
            eprintln!("skipping systemd test: {reason}");
            None
        }
    }
}

fn start_manager() -> Result<UserManager, String> {
    if !nix::unistd::geteuid().is_root() {
        return Err(
            "not root (scripts/systemd-user-env.sh needs root to create the \
                    user, its cgroup and /run/user/UID)"
                .to_string(),
        );
    }
    let out = Command::new("bash")
        .arg(repo_root().join("scripts/systemd-user-env.sh"))
        .arg("start")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("running scripts/systemd-user-env.sh: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "scripts/systemd-user-env.sh start failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let var = |name: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("export {name}=")))
            .map(str::to_string)
            .ok_or_else(|| format!("the script printed no {name}:\n{stdout}"))
    };
    let user = var("DEVTRACK_SYSTEMD_USER")?;
    let home = nix::unistd::User::from_name(&user)
        .ok()
        .flatten()
        .ok_or_else(|| format!("user `{user}` does not exist"))?
        .dir;
    let m = UserManager {
        user,
        home,
        runtime_dir: var("DEVTRACK_SYSTEMD_RUNTIME_DIR")?,
        bus: var("DEVTRACK_SYSTEMD_BUS")?,
    };
    m.install_binary();
    Ok(m)
}

/// Output of a command, for assertions and failure messages.
pub(crate) struct Ran {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Ran {
    fn from(out: Output) -> Ran {
        Ran {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    #[track_caller]
    pub(crate) fn ok(self) -> Ran {
        assert_eq!(self.code, Some(0), "command failed:\n{self}");
        self
    }
}

impl std::fmt::Display for Ran {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl UserManager {
    pub(crate) fn bin_dir(&self) -> PathBuf {
        self.home.join(".local/bin")
    }

    pub(crate) fn unit_path(&self) -> PathBuf {
        self.home.join(".config/systemd/user/devtrack.service")
    }

    /// `chown -R USER: path`: files the user's daemon and commands use.
    pub(crate) fn give_to_user(&self, path: &Path) {
        let status = Command::new("chown")
            .args(["-R", &format!("{}:", self.user)])
            .arg(path)
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Copies the built binary to `~/.local/bin/devtrack`, owned by the user.
    fn install_binary(&self) {
        let dir = self.bin_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let dest = dir.join("devtrack");
        let tmp = dir.join(".devtrack.new");
        std::fs::copy(env!("CARGO_BIN_EXE_devtrack"), &tmp).unwrap();
        std::fs::rename(&tmp, &dest).unwrap();
        self.give_to_user(&self.home.join(".local"));
    }

    /// Runs `program args` as the user, with the manager's environment only.
    pub(crate) fn run(&self, program: &str, args: &[&str]) -> Ran {
        self.run_with(&[], program, args)
    }

    /// [`UserManager::run`] with extra `NAME=value` variables.
    pub(crate) fn run_with(&self, vars: &[&str], program: &str, args: &[&str]) -> Ran {
        let out = self
            .command(vars, program, args)
            .output()
            .unwrap_or_else(|e| panic!("running {program} as {}: {e}", self.user));
        Ran::from(out)
    }

    /// `program args` as the user with the manager's environment only (and
    /// `vars`), not yet run: for children a test keeps running.
    pub(crate) fn command(&self, vars: &[&str], program: &str, args: &[&str]) -> Command {
        let path = format!("{}:/usr/local/bin:/usr/bin:/bin", self.bin_dir().display());
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", &self.user, "--", "env", "-i"])
            .arg(format!("HOME={}", self.home.display()))
            .arg(format!("USER={}", self.user))
            .arg(format!("LOGNAME={}", self.user))
            .arg(format!("PATH={path}"))
            .arg(format!("XDG_RUNTIME_DIR={}", self.runtime_dir))
            .arg(format!("DBUS_SESSION_BUS_ADDRESS={}", self.bus))
            .args(vars)
            .arg(program)
            .args(args)
            .current_dir(&self.home)
            .stdin(Stdio::null());
        cmd
    }

    pub(crate) fn devtrack(&self, args: &[&str]) -> Ran {
        self.run("devtrack", args)
    }

    pub(crate) fn systemctl(&self, args: &[&str]) -> Ran {
        let mut full = vec!["--user"];
        full.extend_from_slice(args);
        self.run("systemctl", &full)
    }

    pub(crate) fn show(&self, property: &str) -> String {
        self.systemctl(&["show", "devtrack.service", "-p", property, "--value"])
            .ok()
            .stdout
            .trim()
            .to_string()
    }

    /// Removes any devtrack unit left by an earlier (failed) run.
    pub(crate) fn reset(&self) -> MutexGuard<'static, ()> {
        let guard = MANAGER.lock().unwrap_or_else(|e| e.into_inner());
        self.systemctl(&["disable", "--now", "devtrack.service"]);
        self.systemctl(&["reset-failed", "devtrack.service"]);
        self.systemctl(&["unset-environment", "DEVTRACK_CONFIG"]);
        self.systemctl(&["unset-environment", "DBUS_SYSTEM_BUS_ADDRESS"]);
        let _ = std::fs::remove_file(self.unit_path());
        // An earlier test's config (maybe an invalid one) is not this one's.
        let _ = std::fs::remove_file(self.config_path());
        // Nor its store: a database left by another build (a newer schema)
        // would make this one's daemon refuse to start.
        let _ = std::fs::remove_dir_all(self.home.join(".local/share/devtrack"));
        let _ = std::fs::remove_dir_all(self.unit_path().with_file_name("devtrack.service.d"));
        self.systemctl(&["daemon-reload"]).ok();
        guard
    }
}

fn mtime(path: &Path) -> std::time::SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}

/// Install, idempotence, hand edits, verification and uninstall, with the
/// unit enabled but not started.
#[test]
fn install_service_lifecycle_without_starting() {
    let Some(m) = manager() else { return };
    let _guard = m.reset();
    let unit = m.unit_path();

    // --dry-run prints the unit and the commands, and writes nothing.
    let dry = m.devtrack(&["install-service", "--dry-run"]).ok();
    assert!(dry.stdout.contains("\nType=notify\n"), "{dry}");
    let expected_exec = format!("ExecStart={}/devtrack run", m.bin_dir().display());
    assert!(dry.stdout.contains(&expected_exec), "{dry}");
    assert!(
        dry.stdout
            .contains("systemctl --user enable --now devtrack.service"),
        "{dry}"
    );
    assert!(!unit.exists(), "--dry-run wrote {}", unit.display());

    // First install: written, loaded, enabled, not started.
    let first = m.devtrack(&["install-service", "--no-start"]).ok();
    assert!(first.stdout.contains("installed"), "{first}");
    assert!(unit.exists());
    assert_eq!(
        m.systemctl(&["is-enabled", "devtrack.service"])
            .stdout
            .trim(),
        "enabled"
    );
    assert_eq!(m.show("ActiveState"), "inactive");
    assert_eq!(m.show("FragmentPath"), unit.display().to_string());
    assert!(m
        .show("ExecStart")
        .contains(&format!("path={}/devtrack ;", m.bin_dir().display())));

    // What systemd itself says about the unit: no warning at all.
    let unit_arg = unit.display().to_string();
    let verify = m.run(
        "systemd-analyze",
        &["--user", "verify", "--man=no", &unit_arg],
    );
    assert_eq!(verify.code, Some(0), "{verify}");
    assert_eq!(
        verify.stderr, "",
        "systemd-analyze verify warned:\n{verify}"
    );
    let security = m.run(
        "systemd-analyze",
        &["--user", "security", "devtrack.service"],
    );
    println!(
        "systemd-analyze --user security devtrack.service:\n{}",
        security.stdout
    );
    assert!(
        security.stdout.contains("Overall exposure level"),
        "{security}"
    );

    // Second install: nothing changed, nothing run, file untouched.
    let before = mtime(&unit);
    let second = m.devtrack(&["install-service", "--no-start"]).ok();
    assert!(second.stdout.contains("nothing to do"), "{second}");
    assert!(!second.stdout.contains("ran "), "{second}");
    assert_eq!(mtime(&unit), before);

    // A hand edit is kept unless --force.
    let mut text = std::fs::read_to_string(&unit).unwrap();
    text = text.replace("RestartSec=5", "RestartSec=7");
    std::fs::write(&unit, &text).unwrap();
    let refused = m.devtrack(&["install-service", "--no-start"]);
    assert_eq!(refused.code, Some(1), "{refused}");
    assert!(refused.stderr.contains("edited by hand"), "{refused}");
    assert!(refused.stderr.contains("--force"), "{refused}");
    assert_eq!(std::fs::read_to_string(&unit).unwrap(), text);
    let forced = m
        .devtrack(&["install-service", "--no-start", "--force"])
        .ok();
    assert!(forced.stdout.contains("updated"), "{forced}");
    assert!(std::fs::read_to_string(&unit)
        .unwrap()
        .contains("RestartSec=5\n"));

    // Uninstall leaves nothing behind; a second one says so.
    let removed = m.devtrack(&["uninstall-service"]).ok();
    assert!(removed.stdout.contains("removed"), "{removed}");
    assert!(!unit.exists());
    let listed = m.systemctl(&["list-unit-files", "--no-legend"]).ok();
    assert!(!listed.stdout.contains("devtrack"), "{listed}");
    assert_ne!(m.show("ActiveState"), "active");
    let again = m.devtrack(&["uninstall-service"]).ok();
    assert!(again.stdout.contains("nothing to remove"), "{again}");

    // Service verbs on a missing unit point at install-service.
    let start = m.devtrack(&["start"]);
    assert_eq!(start.code, Some(3), "{start}");
    assert!(start.stderr.contains("devtrack install-service"), "{start}");
}

/// With no user manager reachable, service commands fail with exit 6 and
/// point at `devtrack run`. systemctl is replaced through
/// `DEVTRACK_SYSTEMCTL` by one that fails like it does without a user bus.
#[test]
fn no_user_manager_points_at_devtrack_run() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("systemctl");
    crate::util::write_script(
        &fake,
        "#!/bin/sh\necho 'Failed to connect to bus: No medium found' >&2\nexit 1\n",
    );
    for args in [&["install-service"][..], &["start"], &["uninstall-service"]] {
        let out = Ran::from(
            Command::new(env!("CARGO_BIN_EXE_devtrack"))
                .args(args)
                .env("DEVTRACK_SYSTEMCTL", &fake)
                .env("XDG_CONFIG_HOME", dir.path().join("config"))
                .stdin(Stdio::null())
                .output()
                .unwrap(),
        );
        assert_eq!(out.code, Some(6), "{args:?}: {out}");
        assert!(out.stderr.contains("No medium found"), "{args:?}: {out}");
        assert!(out.stderr.contains("devtrack run"), "{args:?}: {out}");
        // How to run it in the background without one, and where its log goes.
        assert!(
            out.stderr.contains("tmux new -d devtrack run")
                && out.stderr.contains("nohup devtrack run 2>>")
                && out.stderr.contains("not to `devtrack logs`"),
            "{args:?}: {out}"
        );
    }
    assert!(!dir.path().join("config/systemd").exists());
}

/// The service's config. Its tests write the file and then reload through
/// the manager, so the daemon's own watch of the file is off: it would
/// race them to the reload (`a_saved_config_applies_by_itself` has it on).
pub(crate) const CONFIG: &str = "\
version: 1.0.0
repositories: []
settings:
  prompt_interval: 180
  work_hours_only: false
  timezone: Europe/Berlin
  log_level: info
  watch_config: false
";

pub(crate) fn config_with_interval(minutes: u32) -> String {
    CONFIG.replace(
        "prompt_interval: 180",
        &format!("prompt_interval: {minutes}"),
    )
}

impl UserManager {
    pub(crate) fn config_path(&self) -> PathBuf {
        self.home.join(".config/devtrack/config.yaml")
    }

    /// Writes the user's config (owned by the user, as the daemon reads it).
    pub(crate) fn write_config(&self, yaml: &str) {
        let path = self.config_path();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, yaml).unwrap();
        self.give_to_user(&self.home.join(".config"));
    }

    pub(crate) fn status_json(&self) -> serde_json::Value {
        let out = self.devtrack(&["status", "--json"]).ok();
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out}"))
    }

    pub(crate) fn main_pid(&self) -> i32 {
        let pid: i32 = self.show("MainPID").parse().unwrap();
        assert_ne!(pid, 0, "devtrack.service has no main process");
        pid
    }

    pub(crate) fn restarts(&self) -> u32 {
        self.show("NRestarts").parse().unwrap()
    }

    /// The cursor after the newest journal entry of the unit.
    pub(crate) fn journal_cursor(&self) -> String {
        let out = self
            .run(
                "journalctl",
                &[
                    "--user",
                    "-u",
                    "devtrack.service",
                    "-n",
                    "1",
                    "-o",
                    "json",
                    "--no-pager",
                ],
            )
            .ok();
        // Before the unit's first start (a fresh journal) the user's newest
        // entry of any kind is the place to follow from.
        let out = if out.stdout.trim().is_empty() {
            self.run(
                "journalctl",
                &["--user", "-n", "1", "-o", "json", "--no-pager"],
            )
            .ok()
        } else {
            out
        };
        let entry: serde_json::Value = serde_json::from_str(out.stdout.trim())
            .unwrap_or_else(|e| panic!("no journal entry to start from ({e}): {out}"));
        entry["__CURSOR"].as_str().unwrap().to_string()
    }

    /// Follows the unit's journal after `cursor` until an entry whose
    /// MESSAGE contains `needle` arrives; returns it. The journal is the
    /// manager's own event stream: restarts and watchdog kills are logged
    /// there the moment they happen.
    pub(crate) fn wait_journal(&self, cursor: &str, needle: &str) -> serde_json::Value {
        self.follow_journal(cursor).wait_for(needle)
    }

    /// The unit's journal after `cursor`, entry by entry as they are written.
    pub(crate) fn follow_journal(&self, cursor: &str) -> JournalFollower {
        let after = format!("--after-cursor={cursor}");
        let mut child = self
            .command(
                &[],
                "journalctl",
                &[
                    "--user",
                    "-u",
                    "devtrack.service",
                    "-f",
                    "-o",
                    "json",
                    "--no-pager",
                    &after,
                ],
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        JournalFollower {
            child,
            lines: crate::util::line_channel(stdout),
        }
    }

    /// The unit's journal entries since `since`: the journal is persistent,
    /// so earlier runs' entries are in it too.
    pub(crate) fn journal_entries(&self, since: std::time::SystemTime) -> Vec<serde_json::Value> {
        let since = since_arg(since);
        let out = self
            .run(
                "journalctl",
                &[
                    "--user",
                    "-u",
                    "devtrack.service",
                    "-o",
                    "json",
                    "--no-pager",
                    &since,
                ],
            )
            .ok();
        out.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

/// journalctl's `--since=@SECONDS` for `since`.
pub(crate) fn since_arg(since: std::time::SystemTime) -> String {
    let secs = since
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    format!("--since=@{secs}")
}

/// A git repository under the user's `~/src`, made and committed to by the
/// user with the real `git`.
pub(crate) struct UserRepo<'m> {
    m: &'m UserManager,
    pub(crate) name: String,
    pub(crate) path: PathBuf,
}

impl<'m> UserRepo<'m> {
    /// A fresh repository `~/src/NAME` with one commit.
    pub(crate) fn create(m: &'m UserManager, name: &str) -> UserRepo<'m> {
        let path = m.home.join("src").join(name);
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        m.give_to_user(&m.home.join("src"));
        let repo = UserRepo {
            m,
            name: name.to_string(),
            path,
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.email", "dev@example.com"]);
        repo.git(&["config", "user.name", "Dev Eloper"]);
        repo.git(&["commit", "-q", "--allow-empty", "-m", "first"]);
        repo
    }

    /// `git -C PATH ARGS` as the user; must succeed.
    pub(crate) fn git(&self, args: &[&str]) -> Ran {
        let mut full = vec!["-C", self.path.to_str().unwrap()];
        full.extend_from_slice(args);
        self.m.run("git", &full).ok()
    }

    /// Makes an empty commit; returns its hash.
    pub(crate) fn commit(&self, message: &str) -> String {
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.head()
    }

    pub(crate) fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"]).stdout.trim().to_string()
    }

    /// The hashes of the commits after `base` up to HEAD.
    pub(crate) fn commits_since(&self, base: &str) -> Vec<String> {
        self.git(&["rev-list", &format!("{base}..HEAD")])
            .stdout
            .lines()
            .map(str::to_string)
            .collect()
    }
}

/// [`CONFIG`] watching `repos`, with a short commit debounce.
pub(crate) fn config_watching(repos: &[&UserRepo]) -> String {
    let mut yaml = format!(
        "{}  commit_debounce_ms: 100\nrepositories:\n",
        CONFIG.replace("repositories: []\n", "")
    );
    for r in repos {
        let _ = writeln!(yaml, "  - {{name: {}, path: {}}}", r.name, r.path.display());
    }
    yaml
}

/// `journalctl -f` on the unit as a child: entries as they are written.
pub(crate) struct JournalFollower {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
}

impl JournalFollower {
    /// Waits for the next entry whose MESSAGE contains `needle`; returns it.
    #[track_caller]
    pub(crate) fn wait_for(&self, needle: &str) -> serde_json::Value {
        self.wait_for_any(&[needle]).1
    }

    /// Waits for the next entry whose MESSAGE contains one of `needles`;
    /// returns which one (its index) and the entry.
    #[track_caller]
    pub(crate) fn wait_for_any(&self, needles: &[&str]) -> (usize, serde_json::Value) {
        let deadline = std::time::Instant::now() + WAIT;
        let mut seen = Vec::new();
        loop {
            // A safety net only: the entry normally arrives within seconds.
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let Ok(line) = self.lines.recv_timeout(left) else {
                panic!(
                    "no journal entry containing any of {needles:?}; saw:\n{}",
                    seen.join("\n")
                );
            };
            let entry: serde_json::Value = serde_json::from_str(&line).unwrap();
            let message = entry["MESSAGE"].as_str().unwrap_or_default().to_string();
            if let Some(i) = needles.iter().position(|n| message.contains(n)) {
                return (i, entry);
            }
            seen.push(message);
        }
    }

    /// Every MESSAGE written within `window` (an observation window for
    /// "nothing happens", where no event can mark the end).
    pub(crate) fn messages_within(&self, window: std::time::Duration) -> Vec<String> {
        let deadline = std::time::Instant::now() + window;
        let mut seen = Vec::new();
        while let Ok(line) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(std::time::Instant::now()))
        {
            let entry: serde_json::Value = serde_json::from_str(&line).unwrap();
            seen.push(entry["MESSAGE"].as_str().unwrap_or_default().to_string());
        }
        seen
    }
}

impl Drop for JournalFollower {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Safety-net timeout for events from the manager.
pub(crate) const WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// The config file's watch under the real user manager: a save applies by
/// itself, a bad save keeps the running config and says why, and the
/// service never restarts for either.
#[test]
fn a_saved_config_applies_by_itself() {
    let Some(m) = manager() else { return };
    let _guard = m.reset();
    let watched = CONFIG.replace("watch_config: false", "watch_config: true");
    m.write_config(&watched);
    m.devtrack(&["install-service"]).ok();
    let pid = m.main_pid();
    let stream = crate::util::EventStream::spawn(m.command(&[], "devtrack", &["events", "--json"]));
    m.write_config(&watched.replace("prompt_interval: 180", "prompt_interval: 60"));
    let reloaded = stream.wait_for("reloaded");
    assert!(
        reloaded["changes"]
            .to_string()
            .contains("prompt_interval: 180 -> 60"),
        "{reloaded}"
    );
    assert_eq!(
        m.status_json()["daemon"]["scheduler"]["interval_minutes"],
        60
    );
    m.write_config(&watched.replace("prompt_interval: 180", "prompt_interval: 0"));
    let rejected = stream.wait_for("reload_rejected");
    assert!(
        rejected["error"]
            .as_str()
            .is_some_and(|e| e.contains("settings.prompt_interval")),
        "{rejected}"
    );
    let status = m.status_json();
    assert_eq!(status["daemon"]["scheduler"]["interval_minutes"], 60);
    assert!(
        status["daemon"]["reload_error"]
            .as_str()
            .is_some_and(|e| e.contains("settings.prompt_interval")),
        "{status}"
    );
    assert_eq!(m.main_pid(), pid, "the same daemon throughout");
    assert_eq!(m.show("ActiveState"), "active");
    m.devtrack(&["uninstall-service"]).ok();
}

/// The daemon as a running service: readiness, status, reloads, journal,
/// crash restarts, the watchdog, a config error at start, stop, uninstall.
#[test]
fn running_service_end_to_end() {
    let Some(m) = manager() else { return };
    let _guard = m.reset();
    let began = std::time::SystemTime::now();
    let unit = m.unit_path();
    m.write_config(CONFIG);

    // `enable --now` returns once the daemon sent READY=1 (Type=notify).
    let installed = m.devtrack(&["install-service"]).ok();
    assert!(installed.stdout.contains("enable --now"), "{installed}");
    assert_eq!(
        m.systemctl(&["is-active", "devtrack.service"])
            .stdout
            .trim(),
        "active"
    );
    let shown = m
        .systemctl(&["status", "devtrack.service", "--no-pager"])
        .stdout;
    assert!(shown.contains("Status: \"Watching 0 repos"), "{shown}");

    // Unchanged: nothing to do, nothing touched.
    let before = mtime(&unit);
    let again = m.devtrack(&["install-service"]).ok();
    assert!(again.stdout.contains("nothing to do"), "{again}");
    assert_eq!(mtime(&unit), before);

    // `devtrack status` merges the daemon's and the manager's views.
    let status = m.status_json();
    assert_eq!(status["daemon"]["scheduler"]["interval_minutes"], 180);
    assert_eq!(status["service"]["state"], "active");
    assert_eq!(status["service"]["manager"], "systemd");
    assert_eq!(status["service"]["main_pid"], m.main_pid());
    assert_eq!(
        status["daemon"]["paths"]["logs"],
        "systemd journal (journalctl --user -u devtrack.service)"
    );

    // A good config applies through ExecReload.
    m.write_config(&config_with_interval(45));
    m.systemctl(&["reload", "devtrack.service"]).ok();
    assert_eq!(
        m.status_json()["daemon"]["scheduler"]["interval_minutes"],
        45
    );

    // Through the manager, `devtrack reload` says what changed too.
    for (from, to) in [(45, 50), (50, 45)] {
        m.write_config(&config_with_interval(to));
        let ran = m.devtrack(&["reload"]).ok();
        assert_eq!(
            ran.stdout,
            format!("configuration reloaded:\n  prompt_interval: {from} -> {to}\n"),
            "{ran}"
        );
    }

    // A bad one fails the reload with the reason; the daemon keeps running
    // on the previous config.
    m.write_config(&config_with_interval(0));
    let rejected = m.systemctl(&["reload", "devtrack.service"]);
    assert_ne!(rejected.code, Some(0), "{rejected}");
    // `devtrack reload` takes the verdict from the daemon: exit 5 and the
    // reason, also when the journal cannot be read.
    for vars in [&[][..], &["DEVTRACK_JOURNALCTL=/bin/false"]] {
        let rejected = m.run_with(vars, "devtrack", &["reload"]);
        assert_eq!(rejected.code, Some(5), "{vars:?}: {rejected}");
        assert!(
            rejected.stderr.starts_with(
                "devtrack: configuration rejected, the daemon keeps the previous one: "
            ) && rejected.stderr.contains("settings.prompt_interval"),
            "{vars:?}: {rejected}"
        );
    }
    assert_eq!(
        m.systemctl(&["is-active", "devtrack.service"])
            .stdout
            .trim(),
        "active"
    );
    assert_eq!(
        m.status_json()["daemon"]["scheduler"]["interval_minutes"],
        45
    );
    m.write_config(&config_with_interval(45));

    // The journal holds native entries: identifier, fields, priorities.
    let entries = m.journal_entries(began);
    // Each MESSAGE reads on its own; the fields stay for matching.
    let loaded_message = format!("loaded configuration from `{}`", m.config_path().display());
    let loaded = entries
        .iter()
        .find(|e| e["MESSAGE"] == loaded_message.as_str())
        .unwrap_or_else(|| panic!("no `{loaded_message}` entry in {entries:#?}"));
    assert_eq!(loaded["PRIORITY"], "6");
    assert_eq!(loaded["SYSLOG_IDENTIFIER"], "devtrack");
    assert_eq!(loaded["_SYSTEMD_USER_UNIT"], "devtrack.service");
    assert_eq!(
        loaded["DEVTRACK_CONFIG"],
        m.config_path().display().to_string()
    );
    let warned = entries
        .iter()
        .find(|e| {
            e["MESSAGE"]
                .as_str()
                .is_some_and(|s| s.contains("configuration rejected"))
        })
        .unwrap_or_else(|| panic!("no rejection entry in {entries:#?}"));
    assert_eq!(warned["PRIORITY"], "4");
    assert!(warned["DEVTRACK_ERROR"]
        .as_str()
        .is_some_and(|s| s.contains("prompt_interval")));
    let message = warned["MESSAGE"].as_str().unwrap();
    assert!(
        message.starts_with("configuration rejected, keeping the previous one: ")
            && message.contains("settings.prompt_interval"),
        "{message}"
    );
    let changed = entries
        .iter()
        .filter_map(|e| e["MESSAGE"].as_str())
        .find(|s| s.starts_with("configuration changed: "))
        .unwrap_or_else(|| panic!("no `configuration changed` entry in {entries:#?}"));
    assert!(changed.contains("45"), "{changed}");
    let logs = m.devtrack(&["logs", "-n", "5"]).ok();
    assert!(logs.stdout.lines().count() >= 5, "{logs}");
    assert!(logs.stdout.contains("devtrack"), "{logs}");

    // Killed outright: the manager restarts it.
    let restarts = m.restarts();
    let cursor = m.journal_cursor();
    let pid = m.main_pid();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    m.wait_journal(&cursor, "Started devtrack.service");
    assert_eq!(m.restarts(), restarts + 1);
    assert_eq!(m.show("ActiveState"), "active");
    assert_ne!(m.main_pid(), pid);

    // Hung (SIGSTOP) under a 2 s watchdog: killed by the watchdog, restarted.
    let drop_in = unit.with_file_name("devtrack.service.d");
    std::fs::create_dir_all(&drop_in).unwrap();
    std::fs::write(drop_in.join("watchdog.conf"), "[Service]\nWatchdogSec=2\n").unwrap();
    m.systemctl(&["daemon-reload"]).ok();
    m.systemctl(&["restart", "devtrack.service"]).ok();
    let restarts = m.restarts();
    let cursor = m.journal_cursor();
    let pid = m.main_pid();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGSTOP,
    )
    .unwrap();
    m.wait_journal(&cursor, "Watchdog timeout");
    m.wait_journal(&cursor, "Started devtrack.service");
    assert_eq!(m.restarts(), restarts + 1);
    assert_ne!(m.main_pid(), pid);
    std::fs::remove_dir_all(&drop_in).unwrap();
    m.systemctl(&["daemon-reload"]).ok();

    // Stop: clean, well inside TimeoutStopSec (a timeout would make the
    // result `timeout`).
    m.devtrack(&["stop"]).ok();
    assert_eq!(m.show("ActiveState"), "inactive");
    assert_eq!(m.show("Result"), "success");

    // A bad config at start: exit 78, failed, and no restart scheduled.
    m.systemctl(&["reset-failed", "devtrack.service"]);
    m.write_config(&config_with_interval(0));
    let restarts = m.restarts();
    let cursor = m.journal_cursor();
    let start_failed_at = std::time::SystemTime::now();
    // (`--force`: without it `start` refuses before systemd runs anything.)
    let started = m.devtrack(&["start", "--force"]);
    assert_eq!(started.code, Some(1), "{started}");
    assert!(
        started.stderr.contains("its configuration is invalid")
            && started.stderr.contains("devtrack config check"),
        "{started}"
    );
    assert_eq!(m.show("ExecMainStatus"), "78");
    assert_eq!(m.show("ActiveState"), "failed");
    assert_eq!(m.show("SubState"), "failed");
    assert_eq!(m.restarts(), restarts);
    // Why it failed is in the journal as an error (priority 3). journald
    // may write the daemon's entry after systemd's own ones, so the journal
    // is followed until it arrives.
    let fatal = m.wait_journal(&cursor, "invalid configuration: ");
    // (`--since`, not `--after-cursor`: journalctl 252 combines a cursor
    // with `-p` and `-u` wrongly and misses entries.)
    let after = format!(
        "--since=@{}",
        start_failed_at
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    );
    let errors = m
        .run(
            "journalctl",
            &[
                "--user",
                "-u",
                "devtrack.service",
                "-p",
                "err",
                "-o",
                "cat",
                "--no-pager",
                &after,
            ],
        )
        .ok();
    assert!(
        errors.stdout.contains("invalid configuration: "),
        "`journalctl -p err` does not say why: {errors}"
    );
    assert_eq!(fatal["PRIORITY"], "3", "{fatal}");
    assert_eq!(fatal["SYSLOG_IDENTIFIER"], "devtrack", "{fatal}");
    // Named by the daemon: journald cannot look up an exited process's unit.
    assert_eq!(fatal["USER_UNIT"], "devtrack.service", "{fatal}");
    assert!(
        fatal["MESSAGE"]
            .as_str()
            .unwrap()
            .contains("settings.prompt_interval"),
        "{fatal}"
    );

    // install-service checks the config first and says what `config check`
    // says, instead of a generic "Job failed".
    let refused = m.devtrack(&["install-service"]);
    assert_eq!(refused.code, Some(78), "{refused}");
    assert!(
        refused
            .stderr
            .contains(&format!("devtrack: {}:", m.config_path().display()))
            && refused.stderr.contains("settings.prompt_interval")
            && refused.stderr.contains("\nhint: "),
        "{refused}"
    );
    assert_eq!(m.show("ActiveState"), "failed");

    // Uninstall leaves nothing behind.
    m.write_config(CONFIG);
    m.devtrack(&["uninstall-service"]).ok();
    assert!(!unit.exists());
    let listed = m.systemctl(&["list-unit-files", "--no-legend"]).ok();
    assert!(!listed.stdout.contains("devtrack"), "{listed}");
    let units = m.systemctl(&["list-units", "--all", "--no-legend"]).ok();
    assert!(!units.stdout.contains("devtrack"), "{units}");
}

/// After a crash loop systemd refuses further starts (start-limit-hit); a
/// person running `devtrack start`/`restart` clears that first, and is told
/// what happened when a start fails.
#[test]
fn an_explicit_start_clears_the_start_limit() {
    let Some(m) = manager() else { return };
    let _guard = m.reset();
    m.write_config(CONFIG);
    m.devtrack(&["install-service"]).ok();
    // The unit allows 5 starts within 5 minutes; the 6th is refused.
    let mut refused = None;
    for attempt in 0..10 {
        let ran = m.systemctl(&["restart", "devtrack.service"]);
        if ran.code != Some(0) {
            refused = Some(attempt);
            break;
        }
    }
    assert!(refused.is_some(), "systemd never applied the start limit");
    assert_eq!(m.show("Result"), "start-limit-hit");
    let page = m.devtrack(&["status"]);
    assert!(
        page.stdout.contains("start-limit-hit (started too often"),
        "{page}"
    );

    let started = m.devtrack(&["start"]).ok();
    assert!(started.stdout.contains("devtrack started"), "{started}");
    assert_eq!(m.show("ActiveState"), "active");
    for _ in 0..7 {
        m.devtrack(&["restart"]).ok();
    }
    assert_eq!(m.show("ActiveState"), "active");
    m.devtrack(&["uninstall-service"]).ok();
}

/// `restart` (and `start` of a stopped unit) checks the config the
/// service will read, resolved with the manager's environment, and refuses
/// with 78 instead of stopping a working daemon; `--force` goes ahead.
#[test]
fn restart_with_a_broken_config_keeps_the_running_daemon() {
    let Some(m) = manager() else { return };
    let _guard = m.reset();
    m.write_config(CONFIG);
    m.devtrack(&["install-service"]).ok();
    let pid = m.show("MainPID");
    let broken = CONFIG.replace("prompt_interval: 180", "prompt_intervall: 180");
    assert_ne!(broken, CONFIG);

    // The manager's environment names another file than this shell reads.
    let elsewhere = m.home.join(".config/service.yaml");
    std::fs::write(&elsewhere, &broken).unwrap();
    m.give_to_user(&elsewhere);
    let set = format!("DEVTRACK_CONFIG={}", elsewhere.display());
    m.systemctl(&["set-environment", &set]).ok();
    let ran = m.devtrack(&["restart"]);
    m.systemctl(&["unset-environment", "DEVTRACK_CONFIG"]).ok();
    assert_eq!(ran.code, Some(78), "{ran}");
    assert!(
        ran.stderr
            .contains(&format!("the service reads {}", elsewhere.display()))
            && ran.stderr.contains("prompt_intervall")
            && ran.stderr.contains("--force"),
        "{ran}"
    );
    assert_eq!(
        (m.show("MainPID"), m.show("ActiveState")),
        (pid.clone(), "active".into())
    );

    // This shell's file, broken: the same, and a stopped unit stays stopped.
    m.write_config(&broken);
    let ran = m.devtrack(&["restart"]);
    assert_eq!(ran.code, Some(78), "{ran}");
    assert_eq!(m.show("MainPID"), pid);
    let stopped = m.devtrack(&["stop"]).ok();
    assert_eq!(stopped.stdout, "devtrack stopped\n", "{stopped}");
    let again = m.devtrack(&["stop"]).ok();
    assert_eq!(again.stdout, "devtrack was not running\n", "{again}");
    let ran = m.devtrack(&["start"]);
    assert_eq!(ran.code, Some(78), "{ran}");
    assert_eq!(m.show("ActiveState"), "inactive");

    // `--force` starts it anyway, and systemd says why it did not start.
    let ran = m.devtrack(&["start", "--force"]);
    assert_eq!(ran.code, Some(1), "{ran}");
    assert!(ran.stderr.contains("status 78"), "{ran}");
    m.write_config(CONFIG);
    m.devtrack(&["start"]).ok();
    m.devtrack(&["uninstall-service"]).ok();
}

/// In the seconds between a crash and systemd's restart (`activating
/// (auto-restart)`), status says the daemon is restarting and when, not to
/// start it; `--json` has the service's times in RFC 3339.
#[test]
fn status_while_systemd_restarts_the_daemon() {
    let Some(m) = manager() else { return };
    let _guard = m.reset();
    m.write_config(CONFIG);
    m.devtrack(&["install-service"]).ok();
    let started = m.status_json()["service"]["started"].clone();
    assert!(
        started
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .is_some(),
        "{started}"
    );
    let journal = m.follow_journal(&m.journal_cursor());
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(m.main_pid()),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    journal.wait_for("Failed with result 'signal'");
    let page = m.devtrack(&["status"]);
    assert_eq!(page.code, Some(3), "{page}");
    assert!(
        page.stdout.contains("Status:     restarting at ")
            && page.stdout.contains("systemd restarts it at ")
            && page.stdout.contains("after it stopped (signal)")
            && !page.stdout.contains("devtrack start"),
        "{page}"
    );
    let json = m.devtrack(&["status", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(json["service"]["restarting"], true, "{json}");
    assert!(json["service"]["restart_at"].is_string(), "{json}");
    m.devtrack(&["uninstall-service"]).ok();
}

/// `journalctl --user -u devtrack` reads on its own: the repository, the
/// short hash and the trigger's reason are in MESSAGE, the commit's
/// subject is not.
#[test]
fn journal_messages_read_on_their_own() {
    let Some(m) = manager() else { return };
    let _guard = m.reset();
    let began = std::time::SystemTime::now();
    let repo = UserRepo::create(m, "proj");
    let git = |args: &[&str]| repo.git(args);
    m.write_config(&config_watching(&[&repo]));
    m.devtrack(&["install-service"]).ok();
    let cursor = m.journal_cursor();
    git(&[
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "a private subject line",
    ]);
    let short = git(&["rev-parse", "--short=7", "HEAD"])
        .stdout
        .trim()
        .to_string();

    let commit = m.wait_journal(&cursor, "recorded in `proj`");
    let message = commit["MESSAGE"].as_str().unwrap();
    assert!(message.contains(&short), "{message}");
    assert_eq!(commit["DEVTRACK_REPO"], "proj");
    let trigger = m.wait_journal(&cursor, "triggered (commit");
    let message = trigger["MESSAGE"].as_str().unwrap();
    assert!(message.contains("1 change in proj"), "{message}");
    let leaked: Vec<String> = m
        .journal_entries(began)
        .iter()
        .filter_map(|e| e["MESSAGE"].as_str())
        .filter(|s| s.contains("private subject"))
        .map(str::to_string)
        .collect();
    assert!(leaked.is_empty(), "commit subjects in the log: {leaked:?}");
    m.devtrack(&["uninstall-service"]).ok();
    m.write_config(CONFIG);
}

/// As root in a shell without a user manager, `devtrack logs` says that
/// instead of printing journalctl's "-- No entries --" with status 0.
#[test]
fn logs_without_a_user_manager_say_so() {
    // Needs journald running (the script starts it) and root's own shell.
    let Some(_m) = manager() else { return };
    let home = tempfile::tempdir().unwrap();
    let out = Ran::from(
        Command::new(env!("CARGO_BIN_EXE_devtrack"))
            .arg("logs")
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("HOME", home.path())
            .stdin(Stdio::null())
            .output()
            .unwrap(),
    );
    assert_eq!(out.code, Some(6), "{out}");
    assert!(!out.stdout.contains("No entries"), "{out}");
    assert!(out.stderr.contains("no systemd user manager"), "{out}");
    assert!(out.stderr.contains("devtrack run"), "{out}");
}

/// Prompts wait for a person under the real user manager: the daemon
/// follows the system bus `systemctl --user set-environment` names
/// (`DBUS_SYSTEM_BUS_ADDRESS`), where the test's logind says the session
/// is locked; a commit prompt is held until the unlock. Every wait is on
/// the journal.
#[test]
fn under_the_user_manager_a_locked_session_holds_prompts_until_the_unlock() {
    use crate::logind::{Hints, Logind};
    use crate::notification_server::Bus;
    use std::os::unix::fs::PermissionsExt;

    let Some(m) = manager() else { return };
    let _guard = m.reset();
    // A private system bus the user's daemon can reach.
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let bus = Bus::for_everyone(&dir.path().join("system_bus_socket"));
    let uid = nix::unistd::User::from_name(&m.user)
        .unwrap()
        .expect("the manager's user")
        .uid
        .as_raw();
    let logind = Logind::for_user(&bus.address(), Hints::LOCKED, uid);
    let variable = format!("DBUS_SYSTEM_BUS_ADDRESS={}", bus.address());
    m.systemctl(&["set-environment", &variable]).ok();

    let repo = UserRepo::create(m, "held");
    m.write_config(&config_watching(&[&repo]));
    let cursor = m.journal_cursor();
    let journal = m.follow_journal(&cursor);
    m.devtrack(&["install-service"]).ok();
    journal.wait_for("following the screen lock through the logind session");
    let status = m.status_json();
    assert!(
        status["daemon"]["away"]["locked_since"].is_string(),
        "{status}"
    );

    repo.commit("Fix the session refresh");
    journal.wait_for("opened");
    let status = m.status_json();
    assert_eq!(
        status["daemon"]["away"]["holding"]["reason"], "locked",
        "{status}"
    );

    logind.set(Hints::PRESENT);
    journal.wait_for("released after");

    m.systemctl(&["unset-environment", "DBUS_SYSTEM_BUS_ADDRESS"])
        .ok();
    m.systemctl(&["disable", "--now", "devtrack.service"]).ok();
}

/// Variables set in the user manager's environment for one test, put back
/// as they were when it ends (also when it fails): a bus address left
/// behind would send every later test's daemon to a bus that is gone.
struct ManagerEnv<'m> {
    m: &'m UserManager,
    old: Vec<(String, Option<String>)>,
}

impl<'m> ManagerEnv<'m> {
    fn set(m: &'m UserManager, vars: &[(&str, &str)]) -> ManagerEnv<'m> {
        let shown = m.systemctl(&["show-environment"]).ok().stdout;
        let old = vars
            .iter()
            .map(|(name, _)| {
                let prefix = format!("{name}=");
                let value = shown
                    .lines()
                    .find_map(|l| l.strip_prefix(&prefix))
                    .map(str::to_string);
                (name.to_string(), value)
            })
            .collect();
        for (name, value) in vars {
            m.systemctl(&["set-environment", &format!("{name}={value}")])
                .ok();
        }
        ManagerEnv { m, old }
    }
}

impl Drop for ManagerEnv<'_> {
    fn drop(&mut self) {
        for (name, value) in &self.old {
            match value {
                Some(v) => self
                    .m
                    .systemctl(&["set-environment", &format!("{name}={v}")]),
                None => self.m.systemctl(&["unset-environment", name]),
            };
        }
    }
}

impl UserManager {
    /// `devtrack doctor --json` as the user: its exit status and the checks
    /// by name.
    fn doctor(&self) -> (Option<i32>, serde_json::Value) {
        let out = self.devtrack(&["doctor", "--json"]);
        let json: serde_json::Value =
            serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out}"));
        (out.code, json)
    }
}

/// `devtrack doctor` under the real user manager: a healthy setup (the
/// service installed and running, a notification server on the bus the
/// manager hands the daemon, a display in its environment) has no `✗`;
/// then the unit edited without `daemon-reload` is a `!` naming it, the
/// notification server stopped a `✗`, and the service stopped a `✗`
/// "daemon not running".
#[test]
fn doctor_under_the_user_manager() {
    use crate::notification_server::{BlockingServer, Bus};
    use std::os::unix::fs::PermissionsExt;

    let Some(m) = manager() else { return };
    let _guard = m.reset();
    // A session bus the user's daemon can reach, with a server on it.
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let bus = Bus::for_everyone(&dir.path().join("session_bus_socket"));
    let server = BlockingServer::start(&bus.address(), &["actions", "body"]);
    let address = bus.address();
    let _env = ManagerEnv::set(
        m,
        &[("DBUS_SESSION_BUS_ADDRESS", &address), ("DISPLAY", ":99")],
    );
    let repo = UserRepo::create(m, "doctor");
    m.write_config(&config_watching(&[&repo]));
    // Returns once the daemon said READY=1 (Type=notify).
    m.devtrack(&["install-service"]).ok();

    let (code, json) = m.doctor();
    let failures: Vec<_> = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "failure")
        .collect();
    assert!(failures.is_empty(), "{failures:#?}\n{json:#}");
    assert_eq!(code, Some(0), "{json:#}");
    for name in [
        "service.manager",
        "service.installed",
        "service.enabled",
        "service.active",
        "service.reload",
        "service.binary",
        "daemon.running",
        "daemon.version",
        "config.permissions",
        "repo.doctor",
        "notifications",
        "display",
        "store.integrity",
    ] {
        assert_eq!(
            crate::doctor::check(&json, name)["status"],
            "ok",
            "{name}: {json:#}"
        );
    }

    // Edited on disk, not reloaded.
    let unit = m.unit_path();
    let mut text = std::fs::read_to_string(&unit).unwrap();
    text.push_str("# edited by hand\n");
    std::fs::write(&unit, text).unwrap();
    let (code, json) = m.doctor();
    let reload = crate::doctor::check(&json, "service.reload");
    assert_eq!(reload["status"], "warning", "{reload:#}");
    assert!(
        reload["fix"]
            .as_str()
            .unwrap()
            .starts_with("systemctl --user daemon-reload"),
        "{reload:#}"
    );
    assert_eq!(code, Some(0), "a warning alone exits 0: {json:#}");
    m.systemctl(&["daemon-reload"]).ok();

    crate::doctor::stop_server(server, &address);
    let (code, json) = m.doctor();
    assert_eq!(code, Some(1), "{json:#}");
    let n = crate::doctor::check(&json, "notifications");
    assert_eq!(n["status"], "failure", "{n:#}");

    m.systemctl(&["stop", "devtrack.service"]).ok();
    let (code, json) = m.doctor();
    assert_eq!(code, Some(1), "{json:#}");
    let running = crate::doctor::check(&json, "daemon.running");
    assert_eq!(running["status"], "failure", "{running:#}");
    assert!(
        running["detail"]
            .as_str()
            .unwrap()
            .contains("daemon not running"),
        "{running:#}"
    );
    assert_eq!(
        crate::doctor::check(&json, "service.active")["status"],
        "failure"
    );

    m.systemctl(&["disable", "--now", "devtrack.service"]).ok();
}
