//! devtrack under a real systemd user manager.
//!
//! `scripts/systemd-user-env.sh start` brings up `systemd --user` for an
//! unprivileged user (and journald); these tests run as root and drive the
//! built `devtrack` as that user through `runuser`, with the binary copied
//! to the user's `~/.local/bin` (a stable path, as `install-service` wants).
//! The tests share one manager, so they take [`MANAGER`] in turn.
//!
//! In CI (`CI=true`) an unreachable manager fails the tests; elsewhere
//! without root they are skipped with a printed reason.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};

/// Serializes every test that uses the shared user manager.
static MANAGER: Mutex<()> = Mutex::new(());

/// The user manager started by the script, as the tests reach it.
struct UserManager {
    user: String,
    home: PathBuf,
    runtime_dir: String,
    bus: String,
}

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Starts (or finds) the manager; `None` means skip (printed why).
fn manager() -> Option<&'static UserManager> {
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
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
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
    fn ok(self) -> Ran {
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
    fn bin_dir(&self) -> PathBuf {
        self.home.join(".local/bin")
    }

    fn unit_path(&self) -> PathBuf {
        self.home.join(".config/systemd/user/devtrack.service")
    }

    /// Copies the built binary to `~/.local/bin/devtrack`, owned by the user.
    fn install_binary(&self) {
        let dir = self.bin_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let dest = dir.join("devtrack");
        let tmp = dir.join(".devtrack.new");
        std::fs::copy(env!("CARGO_BIN_EXE_devtrack"), &tmp).unwrap();
        std::fs::rename(&tmp, &dest).unwrap();
        let status = Command::new("chown")
            .args(["-R", &format!("{}:", self.user)])
            .arg(self.home.join(".local"))
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Runs `program args` as the user, with the manager's environment only.
    fn run(&self, program: &str, args: &[&str]) -> Ran {
        let path = format!("{}:/usr/local/bin:/usr/bin:/bin", self.bin_dir().display());
        let out = Command::new("runuser")
            .args(["-u", &self.user, "--", "env", "-i"])
            .arg(format!("HOME={}", self.home.display()))
            .arg(format!("USER={}", self.user))
            .arg(format!("LOGNAME={}", self.user))
            .arg(format!("PATH={path}"))
            .arg(format!("XDG_RUNTIME_DIR={}", self.runtime_dir))
            .arg(format!("DBUS_SESSION_BUS_ADDRESS={}", self.bus))
            .arg(program)
            .args(args)
            .current_dir(&self.home)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("running {program} as {}: {e}", self.user));
        Ran::from(out)
    }

    fn devtrack(&self, args: &[&str]) -> Ran {
        self.run("devtrack", args)
    }

    fn systemctl(&self, args: &[&str]) -> Ran {
        let mut full = vec!["--user"];
        full.extend_from_slice(args);
        self.run("systemctl", &full)
    }

    fn show(&self, property: &str) -> String {
        self.systemctl(&["show", "devtrack.service", "-p", property, "--value"])
            .ok()
            .stdout
            .trim()
            .to_string()
    }

    /// Removes any devtrack unit left by an earlier (failed) run.
    fn reset(&self) -> MutexGuard<'static, ()> {
        let guard = MANAGER.lock().unwrap_or_else(|e| e.into_inner());
        self.systemctl(&["disable", "--now", "devtrack.service"]);
        self.systemctl(&["reset-failed", "devtrack.service"]);
        let _ = std::fs::remove_file(self.unit_path());
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
    std::fs::write(
        &fake,
        "#!/bin/sh\necho 'Failed to connect to bus: No medium found' >&2\nexit 1\n",
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
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
    }
    assert!(!dir.path().join("config/systemd").exists());
}
