//! `devtrack doctor`: everything between devtrack and a working day,
//! checked in one go, because when prompts do not arrive nothing else says
//! why (no notification server in the user manager's environment, a stale
//! unit, the inotify limit, a config others can write).
//!
//! Gathering and judging are apart: [`gather`] reads the facts at the edge
//! (the service manager, the config and repositories, `/proc`, the store,
//! timedated) into [`Facts`]; each check in [`checks`] is a pure function
//! from those facts to one or more [`Check`] lines. The daemon's own view
//! (its environment, its bus, its watches) arrives as the `doctor` reply
//! ([`DoctorView`]); it is judged by [`daemon_checks`], which the daemon's
//! status page calls too ([`health`]). docs/doctor.md lists every check.

mod checks;
pub(crate) mod gather;

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::protocol::DoctorView;
use crate::service::ServiceFacts;

pub(crate) use checks::daemon_checks;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum CheckStatus {
    Ok,
    Warning,
    Failure,
}

impl CheckStatus {
    /// The line's mark: `✓`, `!`, `✗`.
    pub(crate) fn mark(self) -> &'static str {
        match self {
            CheckStatus::Ok => "✓",
            CheckStatus::Warning => "!",
            CheckStatus::Failure => "✗",
        }
    }
}

/// One line of `devtrack doctor`: what was checked, how it came out, what
/// was found, and the exact command that fixes it (none when it is fine).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Check {
    /// Stable and machine-readable: `service.active`, `repo.NAME.reflog`.
    pub name: String,
    pub status: CheckStatus,
    pub detail: String,
    pub fix: Option<String>,
}

impl Check {
    pub(crate) fn ok(name: impl Into<String>, detail: impl Into<String>) -> Check {
        Check {
            name: name.into(),
            status: CheckStatus::Ok,
            detail: detail.into(),
            fix: None,
        }
    }

    pub(crate) fn warning(
        name: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Check {
        Check {
            name: name.into(),
            status: CheckStatus::Warning,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    pub(crate) fn failure(
        name: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Check {
        Check {
            name: name.into(),
            status: CheckStatus::Failure,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
}

/// What the daemon said to `doctor`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum DaemonFacts {
    Running(Box<DoctorView>),
    NotRunning,
    /// It holds the socket but gave no usable answer (an older daemon
    /// without `doctor` among them): why.
    NotAnswering(String),
}

/// The config file as doctor finds it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ConfigFacts {
    pub path: String,
    pub exists: bool,
    /// Why it does not load (file, key, line and a hint).
    pub error: Option<String>,
    /// A hook (`prompts.on_trigger`) is configured: devtrack runs a
    /// command named in the file.
    pub runs_commands: bool,
    /// Why the file (or its directory) may be written by others, as the
    /// hook's refusal says it.
    pub writable_by_others: Option<String>,
    /// `settings.timezone` (the machine's zone when not set).
    pub timezone: String,
    /// `settings.timezone` is written in the file.
    pub timezone_set: bool,
}

/// One configured repository as doctor finds it on disk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RepoFacts {
    pub name: String,
    pub path: String,
    pub enabled: bool,
    pub exists: bool,
    /// Why it is not a git repository devtrack can open.
    pub not_git: Option<String>,
    /// `core.logAllRefUpdates` in effect: `false` means no reflog is
    /// written; `None` when it could not be read.
    pub reflog: Option<bool>,
}

/// inotify use by all of the user's processes against the per-user limits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct InotifyFacts {
    pub max_watches: Option<u64>,
    pub max_instances: Option<u64>,
    pub watches_in_use: Option<u64>,
    pub instances_in_use: Option<u64>,
}

/// The store file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct StoreFacts {
    pub path: String,
    pub exists: bool,
    /// `PRAGMA quick_check`: `Err` with what it (or opening) said.
    pub quick_check: Option<Result<(), String>>,
    pub schema: Option<usize>,
    /// The schema this devtrack writes.
    pub expected_schema: usize,
    pub size: Option<u64>,
    pub wal_size: Option<u64>,
    /// Free bytes for the user on the store's file system.
    pub free: Option<u64>,
}

/// The clock as the shell and the system see it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ClockFacts {
    /// The shell's zone (`TZ`, `/etc/localtime`).
    pub shell_timezone: String,
    /// timedated's `NTPSynchronized`; `None` without timedated.
    pub ntp_synchronized: Option<bool>,
}

/// One enabled integration of the ticket sync (docs/sync.md), as the
/// shell finds it: the token is looked up from the shell's environment
/// (the daemon's differs by what the unit gives it, e.g.
/// `LoadCredential=`), and never kept here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyncFacts {
    /// `github`, `jira`, `azure_devops`.
    pub integration: String,
    /// What the config lacks ("jira: no url; set integrations.jira.url").
    pub missing: Option<String>,
    /// Where a token was found (`$GH_TOKEN`), or what was tried.
    pub token: Result<String, String>,
    /// `devtrack status`'s line: sent today, failing with the first reason.
    pub summary: String,
    /// Items that failed and wait for `devtrack sync retry`.
    pub failing: usize,
}

/// Everything the checks judge.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Facts {
    /// This client's version.
    pub version: String,
    /// `None` on a platform without a supported service manager.
    pub service: Option<ServiceFacts>,
    pub daemon: Option<DaemonFacts>,
    pub config: ConfigFacts,
    pub repositories: Vec<RepoFacts>,
    pub inotify: InotifyFacts,
    pub store: StoreFacts,
    pub clock: ClockFacts,
    /// The enabled integrations of the ticket sync.
    pub integrations: Vec<SyncFacts>,
}

/// Every check, in the order shown.
pub(crate) fn run_checks(facts: &Facts) -> Vec<Check> {
    checks::all(facts)
}

/// The failures and warnings the daemon can tell about itself, worst
/// first: what the status page's Health section shows. Reads the inotify
/// limits and use from `/proc` off the caller's thread.
pub(crate) async fn health(view: &DoctorView) -> Vec<Check> {
    let inotify = tokio::task::spawn_blocking(gather::inotify)
        .await
        .unwrap_or_default();
    let mut found: Vec<Check> = daemon_checks(view, &inotify)
        .into_iter()
        .filter(|c| c.status != CheckStatus::Ok)
        .collect();
    found.sort_by_key(|c| c.status != CheckStatus::Failure);
    found
}

/// The zone this process's environment gives: `TZ` when it names one
/// (as `date` honours it), else the machine's.
pub(crate) fn environment_timezone() -> String {
    std::env::var("TZ")
        .ok()
        .map(|tz| tz.trim_start_matches(':').to_string())
        .filter(|tz| tz.parse::<chrono_tz::Tz>().is_ok())
        .unwrap_or_else(|| crate::config::local_timezone().name().to_string())
}

/// Whether any check failed (exit 1).
pub(crate) fn failed(checks: &[Check]) -> bool {
    checks.iter().any(|c| c.status == CheckStatus::Failure)
}

/// The text output: one line per check (`✓ name: detail`), the fix
/// indented under it, and a summary line.
pub(crate) fn render(checks: &[Check]) -> String {
    let mut out = String::new();
    for c in checks {
        let _ = writeln!(out, "{} {}: {}", c.status.mark(), c.name, c.detail);
        if let Some(fix) = &c.fix {
            let _ = writeln!(out, "    fix: {fix}");
        }
    }
    let count = |s: CheckStatus| checks.iter().filter(|c| c.status == s).count() as u64;
    let (failures, warnings) = (count(CheckStatus::Failure), count(CheckStatus::Warning));
    let _ = match (failures, warnings) {
        (0, 0) => writeln!(out, "\nNo problems found."),
        _ => writeln!(
            out,
            "\n{}, {}.",
            crate::display::plural(failures, "failure", "failures"),
            crate::display::plural(warnings, "warning", "warnings")
        ),
    };
    out
}

/// The `--json` output: `{"ok": …, "checks": [{name, status, detail, fix}]}`
/// (docs/doctor.md).
pub(crate) fn to_json(checks: &[Check]) -> String {
    let doc = serde_json::json!({
        "ok": !failed(checks),
        "checks": checks,
    });
    serde_json::to_string_pretty(&doc).expect("checks serialize")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_has_a_line_per_check_its_fix_and_a_summary() {
        let checks = [
            Check::ok("config", "valid"),
            Check::warning("service.linger", "off", "loginctl enable-linger"),
            Check::failure("daemon.running", "not running", "devtrack start"),
        ];
        assert_eq!(
            render(&checks),
            "✓ config: valid\n\
             ! service.linger: off\n    fix: loginctl enable-linger\n\
             ✗ daemon.running: not running\n    fix: devtrack start\n\
             \n1 failure, 1 warning.\n"
        );
        assert!(failed(&checks));
        assert!(!failed(&checks[..2]));
        assert!(render(&checks[..1]).ends_with("\nNo problems found.\n"));
    }

    #[test]
    fn the_json_names_status_detail_and_fix() {
        let json: serde_json::Value = serde_json::from_str(&to_json(&[
            Check::ok("config", "valid"),
            Check::warning("service.linger", "off", "loginctl enable-linger"),
        ]))
        .unwrap();
        assert_eq!(json["ok"], true);
        assert_eq!(json["checks"][0]["status"], "ok");
        assert_eq!(json["checks"][0]["fix"], serde_json::Value::Null);
        assert_eq!(json["checks"][1]["status"], "warning");
        assert_eq!(json["checks"][1]["fix"], "loginctl enable-linger");
    }
}
