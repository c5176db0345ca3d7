//! The launchd backend driven on any platform: the generated plist against
//! its golden file, `launchctl print` parsing against recorded samples, and
//! every lifecycle command against recording stand-ins for `launchctl`,
//! `log` and `devtrack reload`, whose exact call sequences are asserted.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use devtrack::service::launchd::crash_guard::{CrashGuard, CrashGuardState, GaveUp};
use devtrack::service::launchd::launchctl::parse_print;
use devtrack::service::launchd::{manager_status, LaunchdBackend, LaunchdSettings};
use devtrack::service::{Backend, InstallOptions, LogOptions, ServiceError};
use plist::Value;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/launchd");
const OPT_BIN: &str = "/opt/homebrew/opt/devtrack/bin/devtrack";

fn fixture(name: &str) -> String {
    fs::read_to_string(Path::new(FIXTURES).join(name)).unwrap()
}

/// A stand-in `launchctl` keeping launchd's state for one job in files:
/// `loaded` exists while the job is bootstrapped. Knobs (files in the state
/// dir): `no-gui` (every call fails with 125), `fail-bootstrap` (a count of
/// bootstraps that fail with 5), `linger` (a count of `print` calls that
/// still find the job after it was booted out). Each call appends its argv,
/// tab-separated, to `record`.
const LAUNCHCTL: &str = r#"#!/bin/sh
S="$(dirname "$0")/state"
{ printf '%s' launchctl; for a in "$@"; do printf '\t%s' "$a"; done; echo; } >> "$S/record"
if [ -f "$S/no-gui" ]; then
  echo "Could not enable service: 125: Domain does not support specified action" >&2; exit 125
fi
countdown() { # prints nothing; succeeds while the counter in $1 is positive, decrementing it
  [ -f "$1" ] || return 1; n=$(cat "$1"); [ "$n" -gt 0 ] || return 1; echo $((n - 1)) > "$1"
}
case "$1" in
  enable) exit 0 ;;
  print)
    if [ -f "$S/loaded" ] || countdown "$S/linger"; then cat "$S/print.txt"; exit 0; fi
    echo "Bad request." >&2
    echo "Could not find service \"dev.devtrack\" in domain for user gui: $(echo "$2" | cut -d/ -f2)" >&2
    exit 113 ;;
  bootstrap)
    if countdown "$S/fail-bootstrap"; then echo "Bootstrap failed: 5: Input/output error" >&2; exit 5; fi
    [ -f "$3" ] || { echo "Bootstrap failed: 2: No such file or directory" >&2; exit 2; }
    touch "$S/loaded"; exit 0 ;;
  bootout)
    [ -f "$S/loaded" ] || { echo "Boot-out failed: 3: No such process" >&2; exit 3; }
    rm "$S/loaded"; exit 0 ;;
  kickstart)
    [ -f "$S/loaded" ] && exit 0
    echo "Could not find service \"dev.devtrack\" in domain for user gui" >&2; exit 113 ;;
  *) echo "stand-in launchctl: unexpected verb $1" >&2; exit 64 ;;
esac
"#;

/// A stand-in `log`: records its argv, prints five entries.
const LOG: &str = r#"#!/bin/sh
S="$(dirname "$0")/state"
{ printf '%s' log; for a in "$@"; do printf '\t%s' "$a"; done; echo; } >> "$S/record"
for i in 1 2 3 4 5; do echo "2024-05-01 09:0$i:00.000 Df devtrack[42:1a] entry $i"; done
"#;

/// A stand-in `devtrack` for `reload --wait`: records its argv, exits with
/// the status in `reload-status` (0 when absent).
const DEVTRACK: &str = r#"#!/bin/sh
S="$(dirname "$0")/state"
{ printf '%s' devtrack; for a in "$@"; do printf '\t%s' "$a"; done; echo; } >> "$S/record"
exit "$(cat "$S/reload-status" 2>/dev/null || echo 0)"
"#;

struct Fake {
    dir: tempfile::TempDir,
}

impl Fake {
    fn new() -> Fake {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("bin/state")).unwrap();
        fs::create_dir_all(dir.path().join("home")).unwrap();
        for (name, text) in [
            ("launchctl", LAUNCHCTL),
            ("log", LOG),
            ("devtrack", DEVTRACK),
        ] {
            crate::util::write_script(&dir.path().join("bin").join(name), text);
        }
        let fake = Fake { dir };
        fake.set_print_sample("print-running.txt");
        fake
    }

    fn bin(&self, name: &str) -> PathBuf {
        self.dir.path().join("bin").join(name)
    }

    fn state(&self, name: &str) -> PathBuf {
        self.dir.path().join("bin/state").join(name)
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn plist(&self) -> PathBuf {
        self.home().join("Library/LaunchAgents/dev.devtrack.plist")
    }

    fn guard_file(&self) -> PathBuf {
        self.dir.path().join("data/launchd-crash-guard.json")
    }

    fn set_print_sample(&self, name: &str) {
        fs::write(self.state("print.txt"), fixture(name)).unwrap();
    }

    fn knob(&self, name: &str, value: &str) {
        fs::write(self.state(name), value).unwrap();
    }

    fn settings(&self, program: &Path) -> LaunchdSettings {
        LaunchdSettings {
            launchctl: self.bin("launchctl"),
            log: self.bin("log"),
            home: self.home(),
            uid: 501,
            program: program.to_path_buf(),
            crash_guard_file: Some(self.guard_file()),
            poll_interval: Duration::ZERO,
            max_polls: 5,
        }
    }

    fn backend(&self) -> LaunchdBackend {
        LaunchdBackend::new(self.settings(Path::new(OPT_BIN)))
    }

    /// The calls recorded since the last `take_record`, one string per
    /// call with its arguments joined by spaces (for readable assertions;
    /// the tests that care about argument boundaries read the raw record).
    fn take_record(&self) -> Vec<String> {
        let path = self.state("record");
        let text = fs::read_to_string(&path).unwrap_or_default();
        let _ = fs::remove_file(&path);
        text.lines().map(|l| l.replace('\t', " ")).collect()
    }

    fn loaded(&self) -> bool {
        self.state("loaded").exists()
    }
}

fn install(b: &LaunchdBackend) -> Result<(), ServiceError> {
    b.install(&InstallOptions::default())
}

// The plist.

#[test]
fn generated_plist_matches_the_golden_file() {
    let settings = LaunchdSettings {
        home: PathBuf::from("/Users/alice"),
        program: PathBuf::from(OPT_BIN),
        ..Fake::new().settings(Path::new(OPT_BIN))
    };
    let text = LaunchdBackend::new(settings).render_plist().unwrap();
    assert_eq!(text, fixture("dev.devtrack.plist"));
}

#[test]
fn golden_plist_has_every_key_right() {
    let text = fixture("dev.devtrack.plist");
    let value = Value::from_reader_xml(text.as_bytes()).unwrap();
    let dict = value.as_dictionary().unwrap();
    let keys: Vec<&str> = dict.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "Label",
            "DevtrackHash",
            "Program",
            "ProgramArguments",
            "KeepAlive",
            "RunAtLoad",
            "EnvironmentVariables",
            "ThrottleInterval",
            "StandardErrorPath",
            "ProcessType"
        ]
    );
    assert_eq!(dict["Label"].as_string(), Some("dev.devtrack"));
    let hash = dict["DevtrackHash"].as_string().unwrap();
    assert_eq!(hash.len(), 64);
    assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(dict["Program"].as_string(), Some(OPT_BIN));
    let args: Vec<&str> = dict["ProgramArguments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_string().unwrap())
        .collect();
    assert_eq!(args, [OPT_BIN, "run"]);
    let keep_alive = dict["KeepAlive"].as_dictionary().unwrap();
    assert_eq!(keep_alive.len(), 1);
    assert_eq!(keep_alive["SuccessfulExit"].as_boolean(), Some(false));
    assert_eq!(dict["RunAtLoad"].as_boolean(), Some(true));
    let env = dict["EnvironmentVariables"].as_dictionary().unwrap();
    assert_eq!(env.len(), 1);
    assert_eq!(
        env["PATH"].as_string(),
        Some("/opt/homebrew/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
    );
    let throttle = dict["ThrottleInterval"].as_unsigned_integer().unwrap();
    assert!(throttle >= 10, "ThrottleInterval {throttle}");
    assert_eq!(
        dict["StandardErrorPath"].as_string(),
        Some("/Users/alice/Library/Logs/devtrack/devtrack.err.log")
    );
    assert_eq!(dict["ProcessType"].as_string(), Some("Standard"));
}

#[test]
fn golden_plist_is_well_formed_xml() {
    let path = Path::new(FIXTURES).join("dev.devtrack.plist");
    match Command::new("xmllint").arg("--noout").arg(&path).output() {
        Ok(out) => assert!(
            out.status.success(),
            "xmllint: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("xmllint is required in CI (package libxml2-utils): {e}")
        }
        Err(e) => eprintln!("skipping the xmllint check: cannot run xmllint ({e})"),
    }
}

// `launchctl print` samples.

#[test]
fn print_of_a_running_agent() {
    let info = parse_print(&fixture("print-running.txt"));
    assert_eq!(info.state.as_deref(), Some("running"));
    assert_eq!(info.pid, Some(48213));
    assert_eq!(info.runs, Some(3));
    assert_eq!(info.last_exit_code, Some(1));
    assert_eq!(info.last_signal, None);
    assert_eq!(
        info.path.as_deref(),
        Some("/Users/alice/Library/LaunchAgents/dev.devtrack.plist")
    );
    let plist = Path::new("/Users/alice/Library/LaunchAgents/dev.devtrack.plist");
    let status = manager_status(Some(&info), plist, true, Path::new("/Users/alice"), None);
    assert_eq!(status.manager, "launchd");
    assert!(status.installed);
    assert_eq!(status.definition.as_deref(), Some(plist));
    assert_eq!(status.state.as_deref(), Some("running"));
    assert_eq!(status.main_pid, Some(48213));
    assert_eq!(status.restarts, Some(2));
    assert_eq!(status.result.as_deref(), Some("exit code 1"));
    assert!(status.logs_hint.contains("devtrack logs"));
    assert!(status
        .logs_hint
        .contains("/Users/alice/Library/Logs/devtrack/devtrack.err.log"));
}

#[test]
fn print_of_an_agent_that_exited() {
    let info = parse_print(&fixture("print-not-running-exited.txt"));
    assert_eq!(info.state.as_deref(), Some("not running"));
    assert_eq!(info.pid, None);
    assert_eq!(info.runs, Some(4));
    assert_eq!(info.last_exit_code, Some(78));
    let status = manager_status(
        Some(&info),
        Path::new("/p"),
        true,
        Path::new("/h"),
        Some("stopped by the crash guard".into()),
    );
    assert_eq!(status.result.as_deref(), Some("exit code 78"));
    assert_eq!(status.restarts, Some(3));
    assert_eq!(
        status.sub_state.as_deref(),
        Some("stopped by the crash guard")
    );
}

#[test]
fn print_of_an_agent_that_never_ran() {
    let info = parse_print(&fixture("print-never-run.txt"));
    assert_eq!(info.state.as_deref(), Some("not running"));
    assert_eq!(info.pid, None);
    assert_eq!(info.runs, Some(0));
    assert_eq!(info.last_exit_code, None);
    let status = manager_status(Some(&info), Path::new("/p"), true, Path::new("/h"), None);
    assert_eq!(status.result, None);
    assert_eq!(status.restarts, Some(0));
}

#[test]
fn print_of_an_agent_killed_by_a_signal() {
    let info = parse_print(&fixture("print-killed.txt"));
    assert_eq!(info.last_signal.as_deref(), Some("Killed: 9"));
    let status = manager_status(Some(&info), Path::new("/p"), true, Path::new("/h"), None);
    assert_eq!(status.result.as_deref(), Some("signal: Killed: 9"));
}

// Lifecycle, against the stand-in launchctl.

#[test]
fn install_writes_the_plist_and_bootstraps() {
    let fake = Fake::new();
    let b = fake.backend();
    install(&b).unwrap();
    let plist = fake.plist();
    assert_eq!(
        fake.take_record(),
        [
            "launchctl enable gui/501/dev.devtrack".to_string(),
            "launchctl print gui/501/dev.devtrack".to_string(),
            format!("launchctl bootstrap gui/501 {}", plist.display()),
        ]
    );
    assert!(fake.loaded());
    assert_eq!(
        fs::read_to_string(&plist).unwrap(),
        b.render_plist().unwrap()
    );
    let mode = fs::metadata(&plist).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644);
    assert!(fake.home().join("Library/Logs/devtrack").is_dir());
    assert!(b.is_installed());
}

#[test]
fn reinstall_unchanged_is_a_no_op() {
    let fake = Fake::new();
    let b = fake.backend();
    install(&b).unwrap();
    fake.take_record();
    let before = fs::metadata(fake.plist()).unwrap().modified().unwrap();
    install(&b).unwrap();
    assert_eq!(fake.take_record(), ["launchctl print gui/501/dev.devtrack"]);
    assert_eq!(
        fs::metadata(fake.plist()).unwrap().modified().unwrap(),
        before
    );
}

#[test]
fn reinstall_unchanged_but_unloaded_loads_it_again() {
    let fake = Fake::new();
    let b = fake.backend();
    install(&b).unwrap();
    fs::remove_file(fake.state("loaded")).unwrap();
    fake.take_record();
    install(&b).unwrap();
    assert_eq!(
        fake.take_record(),
        [
            "launchctl print gui/501/dev.devtrack".to_string(),
            "launchctl enable gui/501/dev.devtrack".to_string(),
            format!("launchctl bootstrap gui/501 {}", fake.plist().display()),
        ]
    );
}

#[test]
fn reinstall_changed_rewrites_and_waits_for_the_old_job_to_go() {
    let fake = Fake::new();
    install(&LaunchdBackend::new(
        fake.settings(Path::new("/usr/local/bin/devtrack")),
    ))
    .unwrap();
    fake.take_record();
    // launchd still reports the old job once after `bootout` returns.
    fake.knob("linger", "1");
    let b = fake.backend();
    install(&b).unwrap();
    assert_eq!(
        fake.take_record(),
        [
            "launchctl enable gui/501/dev.devtrack".to_string(),
            "launchctl print gui/501/dev.devtrack".to_string(),
            "launchctl bootout gui/501/dev.devtrack".to_string(),
            "launchctl print gui/501/dev.devtrack".to_string(),
            "launchctl print gui/501/dev.devtrack".to_string(),
            format!("launchctl bootstrap gui/501 {}", fake.plist().display()),
        ]
    );
    assert_eq!(
        fs::read_to_string(fake.plist()).unwrap(),
        b.render_plist().unwrap()
    );
    assert!(fake.loaded());
}

#[test]
fn a_job_that_never_unloads_is_reported() {
    let fake = Fake::new();
    install(&LaunchdBackend::new(
        fake.settings(Path::new("/usr/local/bin/devtrack")),
    ))
    .unwrap();
    fake.take_record();
    fake.knob("linger", "100");
    let err = install(&fake.backend()).unwrap_err();
    assert!(
        err.to_string().starts_with(
            "`dev.devtrack` is still loaded after `launchctl bootout gui/501/dev.devtrack`"
        ),
        "{err}"
    );
    let polls = fake
        .take_record()
        .iter()
        .filter(|c| c.starts_with("launchctl print"))
        .count();
    // One check before the bootout, then the bounded polls.
    assert_eq!(polls, 1 + 5);
}

#[test]
fn a_plist_edited_by_hand_is_kept_unless_forced() {
    let fake = Fake::new();
    let b = fake.backend();
    install(&b).unwrap();
    fake.take_record();
    let edited = fs::read_to_string(fake.plist())
        .unwrap()
        .replace("<integer>30</integer>", "<integer>10</integer>");
    fs::write(fake.plist(), &edited).unwrap();

    let err = install(&b).unwrap_err();
    assert_eq!(err.exit_status(), 1);
    assert!(err.to_string().contains("was edited by hand"), "{err}");
    assert!(err.to_string().contains("hint: "), "{err}");
    assert_eq!(fake.take_record(), Vec::<String>::new());
    assert_eq!(fs::read_to_string(fake.plist()).unwrap(), edited);

    b.install(&InstallOptions {
        force: true,
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        fs::read_to_string(fake.plist()).unwrap(),
        b.render_plist().unwrap()
    );
    assert_eq!(
        fake.take_record(),
        [
            "launchctl enable gui/501/dev.devtrack".to_string(),
            "launchctl print gui/501/dev.devtrack".to_string(),
            "launchctl bootout gui/501/dev.devtrack".to_string(),
            "launchctl print gui/501/dev.devtrack".to_string(),
            format!("launchctl bootstrap gui/501 {}", fake.plist().display()),
        ]
    );
}

#[test]
fn dry_run_changes_nothing() {
    let fake = Fake::new();
    fake.backend()
        .install(&InstallOptions {
            dry_run: true,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(fake.take_record(), Vec::<String>::new());
    assert!(!fake.plist().exists());
}

#[test]
fn no_start_registers_without_loading() {
    let fake = Fake::new();
    fake.backend()
        .install(&InstallOptions {
            no_start: true,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        fake.take_record(),
        [
            "launchctl enable gui/501/dev.devtrack",
            "launchctl print gui/501/dev.devtrack"
        ]
    );
    assert!(fake.plist().exists());
    assert!(!fake.loaded());
}

#[test]
fn uninstall_boots_out_and_removes_the_plist() {
    let fake = Fake::new();
    let b = fake.backend();
    install(&b).unwrap();
    fake.take_record();
    b.uninstall().unwrap();
    assert_eq!(
        fake.take_record(),
        [
            "launchctl print gui/501/dev.devtrack",
            "launchctl bootout gui/501/dev.devtrack",
            "launchctl print gui/501/dev.devtrack",
        ]
    );
    assert!(!fake.plist().exists());
    assert!(!fake.loaded());
    assert!(!b.is_installed());

    b.uninstall().unwrap();
    assert_eq!(fake.take_record(), ["launchctl print gui/501/dev.devtrack"]);
}

#[test]
fn start_kickstarts_a_loaded_job_and_bootstraps_an_unloaded_one() {
    let fake = Fake::new();
    let b = fake.backend();
    install(&b).unwrap();
    fake.take_record();
    b.start().unwrap();
    assert_eq!(
        fake.take_record(),
        [
            "launchctl print gui/501/dev.devtrack",
            "launchctl kickstart gui/501/dev.devtrack"
        ]
    );
    b.stop().unwrap();
    fake.take_record();
    b.start().unwrap();
    assert_eq!(
        fake.take_record(),
        [
            "launchctl print gui/501/dev.devtrack".to_string(),
            "launchctl enable gui/501/dev.devtrack".to_string(),
            format!("launchctl bootstrap gui/501 {}", fake.plist().display()),
        ]
    );
    assert!(fake.loaded());
}

#[test]
fn start_resets_the_crash_guard() {
    let fake = Fake::new();
    let b = fake.backend();
    install(&b).unwrap();
    CrashGuard::save(
        &fake.guard_file(),
        &CrashGuardState {
            unhealthy_starts: vec![],
            gave_up: Some(GaveUp { at: 1, failures: 5 }),
        },
    )
    .unwrap();
    b.start().unwrap();
    assert!(!fake.guard_file().exists());
}

#[test]
fn stop_boots_out() {
    let fake = Fake::new();
    let b = fake.backend();
    install(&b).unwrap();
    fake.take_record();
    b.stop().unwrap();
    assert_eq!(
        fake.take_record(),
        [
            "launchctl print gui/501/dev.devtrack",
            "launchctl bootout gui/501/dev.devtrack",
            "launchctl print gui/501/dev.devtrack",
        ]
    );
    assert!(!fake.loaded());
    assert!(fake.plist().exists());
    b.stop().unwrap();
    assert_eq!(fake.take_record(), ["launchctl print gui/501/dev.devtrack"]);
}

#[test]
fn restart_kickstarts_with_kill() {
    let fake = Fake::new();
    let b = fake.backend();
    install(&b).unwrap();
    fake.take_record();
    b.restart().unwrap();
    assert_eq!(
        fake.take_record(),
        [
            "launchctl print gui/501/dev.devtrack",
            "launchctl kickstart -k gui/501/dev.devtrack"
        ]
    );
}

#[test]
fn commands_on_an_uninstalled_service_say_so() {
    let fake = Fake::new();
    let b = fake.backend();
    for result in [b.start(), b.stop(), b.restart()] {
        let err = result.unwrap_err();
        assert!(matches!(err, ServiceError::NotInstalled), "{err}");
        assert_eq!(err.exit_status(), 3);
    }
    assert_eq!(fake.take_record(), Vec::<String>::new());
    assert!(!b.is_installed());
}

#[test]
fn reload_asks_the_daemon_and_passes_its_status_through() {
    let fake = Fake::new();
    let b = LaunchdBackend::new(fake.settings(&fake.bin("devtrack")));
    install(&b).unwrap();
    fake.take_record();
    b.reload().unwrap();
    assert_eq!(
        fake.take_record(),
        [
            "launchctl print gui/501/dev.devtrack",
            "devtrack reload --wait"
        ]
    );

    fake.knob("reload-status", "5");
    let err = b.reload().unwrap_err();
    assert_eq!(err.exit_status(), 5);
    assert_eq!(
        fake.take_record(),
        [
            "launchctl print gui/501/dev.devtrack",
            "devtrack reload --wait"
        ]
    );

    // Loaded but not running: nothing to reload.
    fake.set_print_sample("print-not-running-exited.txt");
    let err = b.reload().unwrap_err();
    assert_eq!(err.exit_status(), 3);
    assert!(err.to_string().contains("is not running"), "{err}");
    assert_eq!(fake.take_record(), ["launchctl print gui/501/dev.devtrack"]);
}

#[test]
fn status_reads_launchctl_print() {
    let fake = Fake::new();
    let b = fake.backend();
    let status = b.status().unwrap();
    assert!(!status.installed);
    assert_eq!(status.state, None);
    assert_eq!(fake.take_record(), ["launchctl print gui/501/dev.devtrack"]);

    install(&b).unwrap();
    fake.take_record();
    let status = b.status().unwrap();
    assert_eq!(fake.take_record(), ["launchctl print gui/501/dev.devtrack"]);
    assert!(status.installed);
    assert_eq!(status.state.as_deref(), Some("running"));
    assert_eq!(status.main_pid, Some(48213));

    b.stop().unwrap();
    CrashGuard::save(
        &fake.guard_file(),
        &CrashGuardState {
            unhealthy_starts: vec![],
            gave_up: Some(GaveUp { at: 1, failures: 5 }),
        },
    )
    .unwrap();
    let status = b.status().unwrap();
    assert!(status.installed);
    assert_eq!(status.state.as_deref(), Some("not loaded"));
    assert_eq!(status.definition, Some(fake.plist()));
    assert_eq!(
        status.sub_state.as_deref(),
        Some("stopped by the crash guard after 5 failed starts within 10 minutes")
    );
}

// Error mapping.

#[test]
fn bootstrap_error_5_is_retried_after_enable() {
    let fake = Fake::new();
    fake.knob("fail-bootstrap", "1");
    install(&fake.backend()).unwrap();
    let bootstrap = format!("launchctl bootstrap gui/501 {}", fake.plist().display());
    assert_eq!(
        fake.take_record(),
        [
            "launchctl enable gui/501/dev.devtrack".to_string(),
            "launchctl print gui/501/dev.devtrack".to_string(),
            bootstrap.clone(),
            "launchctl enable gui/501/dev.devtrack".to_string(),
            bootstrap,
        ]
    );
    assert!(fake.loaded());
}

#[test]
fn persistent_bootstrap_error_5_is_explained() {
    let fake = Fake::new();
    fake.knob("fail-bootstrap", "100");
    let err = install(&fake.backend()).unwrap_err();
    // launchctl's 5 is its own; devtrack's 5 means "rejected", so a failed
    // tool is status 1 with the tool's status in the message.
    assert_eq!(err.exit_status(), 1);
    let message = err.to_string();
    assert!(
        message.contains("failed: Bootstrap failed: 5: Input/output error"),
        "{message}"
    );
    assert!(
        message.contains("hint: ") && message.contains("launchctl print-disabled gui/501"),
        "{message}"
    );
    let bootstraps = fake
        .take_record()
        .iter()
        .filter(|c| c.starts_with("launchctl bootstrap"))
        .count();
    assert_eq!(bootstraps, 3);
}

#[test]
fn no_gui_domain_installs_for_the_next_login_and_explains() {
    let fake = Fake::new();
    fake.knob("no-gui", "");
    let b = fake.backend();
    install(&b).unwrap();
    assert_eq!(
        fake.take_record(),
        ["launchctl enable gui/501/dev.devtrack"]
    );
    assert!(fake.plist().exists());

    let err = b.start().unwrap_err();
    assert_eq!(err.exit_status(), 6);
    let message = err.to_string();
    assert!(message.contains("no GUI login session"), "{message}");
    assert!(message.contains("`gui/501`"), "{message}");
    assert!(
        message.contains("hint: the agent starts at the next login"),
        "{message}"
    );

    let status = b.status().unwrap();
    assert!(status.installed);
    assert_eq!(status.state.as_deref(), Some("not loaded"));
}

#[test]
fn missing_launchctl_means_no_service_manager() {
    let fake = Fake::new();
    let b = LaunchdBackend::new(LaunchdSettings {
        launchctl: fake.dir.path().join("nowhere/launchctl"),
        ..fake.settings(Path::new(OPT_BIN))
    });
    let err = b.status().unwrap_err();
    assert_eq!(err.exit_status(), 6);
    assert!(err.to_string().contains("nowhere/launchctl"), "{err}");
}

// Logs.

#[test]
fn logs_show_the_last_n_entries() {
    let fake = Fake::new();
    let mut out = Vec::new();
    fake.backend()
        .logs_to(
            &LogOptions {
                lines: Some(2),
                since: Some(chrono::DateTime::from_timestamp(1_714_554_000, 0).unwrap()),
                ..Default::default()
            },
            &mut out,
        )
        .unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "2024-05-01 09:04:00.000 Df devtrack[42:1a] entry 4\n\
         2024-05-01 09:05:00.000 Df devtrack[42:1a] entry 5\n"
    );
    assert_eq!(
        fs::read_to_string(fake.state("record")).unwrap(),
        "log\tshow\t--predicate\tsubsystem == \"dev.devtrack\"\t--start\t2024-05-01 09:00:00+0000\t\
         --style\tcompact\n"
    );
}

#[test]
fn logs_follow_streams() {
    let fake = Fake::new();
    let mut out = Vec::new();
    fake.backend()
        .logs_to(
            &LogOptions {
                follow: true,
                priority: Some("warn".into()),
                ..Default::default()
            },
            &mut out,
        )
        .unwrap();
    assert_eq!(String::from_utf8(out).unwrap().lines().count(), 5);
    assert_eq!(
        fs::read_to_string(fake.state("record")).unwrap(),
        "log\tstream\t--predicate\tsubsystem == \"dev.devtrack\" AND (messageType == error OR messageType == fault)\t--style\tcompact\n"
    );
}

// The real binary, with the launchd backend selected.

fn devtrack(fake: &Fake, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_devtrack"))
        .args(args)
        .env("DEVTRACK_SERVICE_BACKEND", "launchd")
        .env("DEVTRACK_LAUNCHCTL", fake.bin("launchctl"))
        .env("DEVTRACK_LOG", fake.bin("log"))
        .env("DEVTRACK_LAUNCHD_HOME", fake.home())
        .env("DEVTRACK_UID", "501")
        .env("XDG_CONFIG_HOME", fake.home().join(".config"))
        .env("XDG_DATA_HOME", fake.home().join(".local/share"))
        .env_remove("DEVTRACK_CONFIG")
        .output()
        .unwrap()
}

#[test]
fn binary_a_failing_launchctl_exits_1_with_its_status_in_the_message() {
    let fake = Fake::new();
    fake.knob("fail-bootstrap", "100");
    let out = devtrack(&fake, &["install-service"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Not 5: that is devtrack's "rejected".
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("devtrack: `launchctl bootstrap gui/501 ")
            && stderr.contains("failed: Bootstrap failed: 5: Input/output error"),
        "{stderr}"
    );
    assert!(
        stderr.contains("\nhint: launchd refuses agents"),
        "{stderr}"
    );
}

#[test]
fn binary_dry_run_prints_the_plist_for_itself() {
    let fake = Fake::new();
    let out = devtrack(&fake, &["install-service", "--dry-run"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let value = Value::from_reader_xml(out.stdout.as_slice()).unwrap();
    let dict = value.as_dictionary().unwrap();
    let exe = fs::canonicalize(env!("CARGO_BIN_EXE_devtrack")).unwrap();
    let program = PathBuf::from(dict["Program"].as_string().unwrap());
    assert_eq!(fs::canonicalize(program).unwrap(), exe);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("would write `{}`", fake.plist().display())),
        "{stderr}"
    );
    assert!(stderr.contains("launchctl bootstrap gui/501 "), "{stderr}");
    assert_eq!(fake.take_record(), Vec::<String>::new());
    assert!(!fake.plist().exists());
}

/// The `launchctl` commands a dry run lists (conditions in parentheses
/// left out), and the plist state it names.
fn dry_run_plan(fake: &Fake) -> (String, Vec<String>) {
    let out = devtrack(fake, &["install-service", "--dry-run"]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    let state = stderr.lines().next().unwrap_or_default().to_string();
    let commands = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("  launchctl "))
        .map(|l| format!("launchctl {}", l.split(" (").next().unwrap()))
        .collect();
    (state, commands)
}

/// What install ran, without the `print` queries that decide its steps.
fn changes_made(record: Vec<String>) -> Vec<String> {
    record
        .into_iter()
        .filter(|c| !c.starts_with("launchctl print"))
        .collect()
}

#[test]
fn binary_dry_run_lists_the_steps_install_then_runs() {
    let fake = Fake::new();
    let out = devtrack(&fake, &["install-service"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plist = fake.plist();

    // Current plist, job unloaded: load it again, nothing to boot out.
    fs::remove_file(fake.state("loaded")).unwrap();
    fake.take_record();
    let (state, planned) = dry_run_plan(&fake);
    assert!(state.starts_with("unchanged, would keep"), "{state}");
    // Only the query that decides the plan.
    assert_eq!(fake.take_record(), ["launchctl print gui/501/dev.devtrack"]);
    assert_eq!(
        planned,
        [
            "launchctl enable gui/501/dev.devtrack".to_string(),
            format!("launchctl bootstrap gui/501 {}", plist.display()),
        ]
    );
    assert!(devtrack(&fake, &["install-service"]).status.success());
    assert_eq!(changes_made(fake.take_record()), planned);

    // Outdated plist (another binary's), job loaded: rewrite, boot the old
    // job out, load.
    let other = LaunchdBackend::new(fake.settings(Path::new("/usr/local/bin/devtrack")));
    fs::write(&plist, other.render_plist().unwrap()).unwrap();
    assert!(fake.loaded());
    let (state, planned) = dry_run_plan(&fake);
    assert!(state.starts_with("outdated, would replace"), "{state}");
    assert_eq!(fake.take_record(), Vec::<String>::new());
    assert_eq!(
        planned,
        [
            "launchctl enable gui/501/dev.devtrack".to_string(),
            "launchctl bootout gui/501/dev.devtrack".to_string(),
            format!("launchctl bootstrap gui/501 {}", plist.display()),
        ]
    );
    assert!(devtrack(&fake, &["install-service"]).status.success());
    assert_eq!(changes_made(fake.take_record()), planned);

    // Edited by hand: nothing planned, and install refuses.
    let edited = fs::read_to_string(&plist)
        .unwrap()
        .replace("<integer>30</integer>", "<integer>10</integer>");
    fs::write(&plist, &edited).unwrap();
    let (state, planned) = dry_run_plan(&fake);
    assert!(state.starts_with("edited by hand, would refuse"), "{state}");
    assert!(planned.is_empty(), "{planned:?}");
    assert!(!devtrack(&fake, &["install-service"]).status.success());
    assert_eq!(fake.take_record(), Vec::<String>::new());
}

#[test]
fn binary_start_without_install_exits_3() {
    let fake = Fake::new();
    let out = devtrack(&fake, &["start"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("devtrack install-service"));
}

#[test]
fn binary_logs_takes_the_last_lines() {
    let fake = Fake::new();
    let out = devtrack(&fake, &["logs", "-n", "1"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "2024-05-01 09:05:00.000 Df devtrack[42:1a] entry 5\n"
    );
    assert_eq!(
        fake.take_record(),
        ["log show --predicate subsystem == \"dev.devtrack\" --last 1d --style compact"]
    );
}

// `devtrack doctor`'s service lines from `launchctl print`.

#[test]
fn doctor_facts_come_from_recorded_print_output() {
    use devtrack::service::launchd::service_facts;
    let plist = Path::new("/Users/alice/Library/LaunchAgents/dev.devtrack.plist");
    // (sample, loaded, active, state, pid)
    let cases = [
        (Some("print-running.txt"), true, true, Some("running"), true),
        (
            Some("print-never-run.txt"),
            true,
            false,
            Some("not running"),
            false,
        ),
        (
            Some("print-not-running-exited.txt"),
            true,
            false,
            Some("not running"),
            false,
        ),
        (None, false, false, Some("not loaded"), false),
    ];
    for (sample, loaded, active, state, has_pid) in cases {
        let text = sample.map(fixture);
        let facts = service_facts(text.as_deref(), plist, true);
        assert_eq!(facts.manager, "launchd");
        assert!(facts.installed, "{sample:?}");
        assert_eq!(facts.loaded, loaded, "{sample:?}");
        assert_eq!(facts.active, active, "{sample:?}");
        assert_eq!(facts.state.as_deref(), state, "{sample:?}");
        assert_eq!(facts.main_pid.is_some(), has_pid, "{sample:?}");
        assert_eq!(facts.need_reload, None, "launchd cannot say");
        assert_eq!(facts.definition.as_deref(), Some(plist), "{sample:?}");
        if loaded {
            assert_eq!(
                facts.program.as_deref(),
                Some(Path::new(OPT_BIN)),
                "{sample:?}"
            );
        }
    }
    let none = service_facts(None, plist, false);
    assert!(!none.installed && !none.loaded && none.definition.is_none());
}

#[test]
fn binary_doctor_reads_the_agent_through_launchctl_print() {
    use crate::doctor::check;
    let fake = Fake::new();
    fs::create_dir_all(fake.plist().parent().unwrap()).unwrap();
    fs::write(fake.plist(), fixture("dev.devtrack.plist")).unwrap();
    let doctor = |fake: &Fake| {
        let out = devtrack(fake, &["doctor", "--json"]);
        serde_json::from_slice::<serde_json::Value>(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
    };
    fake.knob("loaded", "");
    let json = doctor(&fake);
    assert_eq!(
        check(&json, "service.installed")["status"],
        "ok",
        "{json:#}"
    );
    let active = check(&json, "service.active");
    assert_eq!(active["status"], "ok", "{json:#}");
    assert_eq!(active["detail"], "running");
    let binary = check(&json, "service.binary");
    assert!(
        binary["detail"].as_str().unwrap().contains(OPT_BIN),
        "{binary:#}"
    );

    fs::remove_file(fake.state("loaded")).unwrap();
    let json = doctor(&fake);
    let loaded = check(&json, "service.loaded");
    assert_eq!(loaded["status"], "failure", "{json:#}");
    assert_eq!(loaded["fix"], "devtrack start");
}
