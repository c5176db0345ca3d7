//! Reading the user manager's view of `devtrack.service`: the output of
//! `systemctl --user show -p ...` and `loginctl show-user -p Linger`, parsed
//! by pure functions into [`UnitProperties`] and [`ManagerStatus`].

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::exit::{Hinted, Status};
use crate::service::ManagerStatus;

use super::unit::UNIT_NAME;

/// The binary of `systemctl show -p ExecStart --value`'s first command:
/// `{ path=/usr/bin/devtrack ; argv[]=/usr/bin/devtrack run ; … }`.
pub(crate) fn exec_start_path(value: &str) -> Option<PathBuf> {
    let rest = value.split("path=").nth(1)?;
    let path = rest.split(" ;").next()?.trim();
    (!path.is_empty()).then(|| PathBuf::from(path))
}

/// The properties asked of `systemctl --user show`.
pub(crate) const SHOW_PROPERTIES: &str = "ActiveState,SubState,MainPID,ExecMainStartTimestamp,\
NRestarts,MemoryCurrent,Result,FragmentPath,LoadState,UnitFileState,NeedDaemonReload,\
ExecMainStatus,StartLimitBurst,StartLimitIntervalUSec,ConditionResult,ConditionTimestamp,CanReload,\
Restart,ExecMainExitTimestamp,RestartUSec";

/// Asked with the properties: timestamps as `@SECONDS` (systemd 248 and
/// later), not in the local format whose zone abbreviation cannot be read
/// back.
pub(crate) const SHOW_TIMESTAMP_ARG: &str = "--timestamp=unix";

/// The unit's state as systemd reports it. Empty or unset values are `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct UnitProperties {
    /// `loaded`, `not-found`, `bad-setting`, `error`, `masked`.
    pub load_state: Option<String>,
    /// `active`, `inactive`, `failed`, `activating`, `deactivating`, `reloading`.
    pub active_state: Option<String>,
    pub sub_state: Option<String>,
    pub main_pid: Option<u32>,
    pub started: Option<DateTime<Utc>>,
    /// When the last main process exited (for the restart's time).
    pub exited: Option<DateTime<Utc>>,
    /// `RestartSec=`: how long systemd waits before a restart.
    pub restart_delay: Option<Duration>,
    pub restarts: Option<u32>,
    pub memory_bytes: Option<u64>,
    /// `success`, `exit-code`, `signal`, `watchdog`, `start-limit-hit`, ...
    pub result: Option<String>,
    /// The unit file in use.
    pub fragment_path: Option<PathBuf>,
    /// `enabled`, `disabled`, `static`, `linked`, ...
    pub unit_file_state: Option<String>,
    pub need_daemon_reload: bool,
    /// The exit status of the last main process (78: invalid config).
    pub exec_main_status: Option<i32>,
    /// The start limit: at most `start_limit_burst` starts within
    /// `start_limit_interval` (systemd's own wording, e.g. `5min`).
    pub start_limit_burst: Option<u32>,
    pub start_limit_interval: Option<String>,
    /// The last start was skipped because a `Condition…=` failed (for
    /// devtrack: `ConditionUser=!@system`, a system account).
    pub condition_failed: bool,
    /// Whether the unit has a reload command (`CanReload`); `None` unknown.
    pub can_reload: Option<bool>,
    /// The restart policy: `no`, `on-failure`, `always`, ...
    pub restart: Option<String>,
}

impl UnitProperties {
    /// Whether the manager found a unit file for devtrack.
    pub(crate) fn is_loaded(&self) -> bool {
        self.load_state.as_deref() == Some("loaded")
    }

    pub(crate) fn is_enabled(&self) -> bool {
        matches!(
            self.unit_file_state.as_deref(),
            Some("enabled" | "enabled-runtime" | "linked" | "linked-runtime" | "alias")
        )
    }

    /// Active in the sense that a start is not needed.
    pub(crate) fn is_active(&self) -> bool {
        matches!(
            self.active_state.as_deref(),
            Some("active" | "activating" | "reloading")
        )
    }
}

/// Parses `Key=Value` lines as printed by `systemctl show`.
pub(crate) fn parse_show(output: &str) -> UnitProperties {
    let map: HashMap<&str, &str> = output
        .lines()
        .filter_map(|line| line.split_once('='))
        .collect();
    let text = |key: &str| {
        map.get(key)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty() && *v != "[not set]" && *v != "n/a")
            .map(str::to_string)
    };
    let number = |key: &str| text(key).and_then(|v| v.parse::<u64>().ok());
    UnitProperties {
        load_state: text("LoadState"),
        active_state: text("ActiveState"),
        sub_state: text("SubState"),
        // 0 means "no main process".
        main_pid: number("MainPID")
            .filter(|&pid| pid != 0)
            .and_then(|pid| u32::try_from(pid).ok()),
        started: text("ExecMainStartTimestamp").and_then(|v| timestamp(&v)),
        exited: text("ExecMainExitTimestamp").and_then(|v| timestamp(&v)),
        restart_delay: text("RestartUSec").and_then(|v| timespan(&v)),
        restarts: number("NRestarts").and_then(|n| u32::try_from(n).ok()),
        // u64::MAX is systemd's "unknown" (no memory accounting).
        memory_bytes: number("MemoryCurrent").filter(|&m| m != u64::MAX),
        result: text("Result"),
        fragment_path: text("FragmentPath").map(PathBuf::from),
        unit_file_state: text("UnitFileState"),
        need_daemon_reload: text("NeedDaemonReload").as_deref() == Some("yes"),
        exec_main_status: text("ExecMainStatus").and_then(|v| v.parse().ok()),
        start_limit_burst: number("StartLimitBurst").and_then(|n| u32::try_from(n).ok()),
        start_limit_interval: text("StartLimitIntervalUSec"),
        // ConditionResult is "no" also before any check; the timestamp
        // tells that a check happened.
        condition_failed: text("ConditionResult").as_deref() == Some("no")
            && text("ConditionTimestamp").is_some(),
        can_reload: text("CanReload").map(|v| v == "yes"),
        restart: text("Restart"),
    }
}

/// `@1769850000` (or with a fraction), as `--timestamp=unix` prints it.
fn timestamp(value: &str) -> Option<DateTime<Utc>> {
    let secs: f64 = value.strip_prefix('@')?.parse().ok()?;
    DateTime::from_timestamp_micros((secs * 1e6).round() as i64)
}

/// A systemd time span (`5s`, `100ms`, `1min 30s`, `2h`); `None` for
/// `infinity` or anything else.
fn timespan(value: &str) -> Option<Duration> {
    const UNITS: &[(&str, f64)] = &[
        ("us", 1e-6),
        ("ms", 1e-3),
        ("s", 1.0),
        ("min", 60.0),
        ("h", 3600.0),
        ("d", 86400.0),
    ];
    let mut total = 0.0;
    for word in value.split_whitespace() {
        let split = word
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(word.len());
        let (number, unit) = word.split_at(split);
        let number: f64 = number.parse().ok()?;
        let unit = if unit.is_empty() { "s" } else { unit };
        total += number * UNITS.iter().find(|(u, _)| *u == unit)?.1;
    }
    Some(Duration::from_secs_f64(total))
}

/// Whether systemd is between a crash (or a watchdog kill) and the
/// restart it scheduled (`activating (auto-restart)`, for `RestartSec=`),
/// and when that restart comes, when known.
pub(crate) fn restarting(props: &UnitProperties) -> Option<Option<DateTime<Utc>>> {
    let waiting = props.active_state.as_deref() == Some("activating")
        && props.sub_state.as_deref() == Some("auto-restart");
    waiting.then(|| {
        let delay = chrono::TimeDelta::from_std(props.restart_delay?).ok()?;
        Some(props.exited? + delay)
    })
}

/// Why a `start`/`restart` failed, in words, from the unit's state right
/// after the failure; `None` when systemd recorded nothing telling.
pub(crate) fn explain_failed_start(props: &UnitProperties) -> Option<Hinted> {
    let logs = "`devtrack logs -n 20` shows what the daemon said";
    let (text, hint) = match props.result.as_deref()? {
        "start-limit-hit" => {
            let limit = match (props.start_limit_burst, &props.start_limit_interval) {
                (Some(burst), Some(interval)) => {
                    format!(" (more than {burst} starts within {interval})")
                }
                _ => String::new(),
            };
            (
                format!(
                    "systemd refused to start {UNIT_NAME} again: it was started too often{limit}, \
                     the unit's start limit"
                ),
                "`devtrack logs -n 20` shows why it kept stopping; `devtrack start` \
                 clears the limit and tries again",
            )
        }
        "exit-code" if props.exec_main_status == Some(Status::Config.code()) => (
            "the daemon exited with status 78: its configuration is invalid".to_string(),
            "`devtrack config check` shows the error",
        ),
        "exit-code" => match props.exec_main_status {
            Some(status) => (format!("the daemon exited with status {status}"), logs),
            None => ("the daemon exited with an error".to_string(), logs),
        },
        "signal" | "core-dump" => ("the daemon was killed by a signal".to_string(), logs),
        "timeout" => ("the daemon did not report ready in time".to_string(), logs),
        "protocol" => (
            "the daemon exited without reporting ready".to_string(),
            logs,
        ),
        "watchdog" => (
            "the daemon stopped answering systemd's watchdog".to_string(),
            logs,
        ),
        _ => return None,
    };
    Some(Hinted::new(text).with_hint(hint))
}

/// Whether systemd stopped restarting a failing daemon because of the
/// unit's start limit. `Result=start-limit-hit` says so only when the
/// refused start came after a clean state (a person's restarts); when the
/// limit refuses an automatic restart after a crash, systemd keeps the
/// crash's result (`exit-code`, `signal`, ...). That case shows as a failed
/// unit whose result its `Restart=` policy restarts, with `NRestarts` at
/// the burst: the next restart was refused. (Exit status 78 is never
/// restarted: the unit's `RestartPreventExitStatus=`.)
pub(crate) fn gave_up_restarting(props: &UnitProperties) -> bool {
    if props.result.as_deref() == Some("start-limit-hit") {
        return true;
    }
    let restarted_on_failure = matches!(props.restart.as_deref(), Some("on-failure" | "always"));
    let restartable = match props.result.as_deref() {
        Some("exit-code") => props.exec_main_status != Some(Status::Config.code()),
        Some("signal" | "core-dump" | "watchdog" | "timeout") => true,
        _ => false,
    };
    let limit_reached = match (props.restarts, props.start_limit_burst) {
        (Some(restarts), Some(burst)) => restarts >= burst,
        _ => false,
    };
    props.active_state.as_deref() == Some("failed")
        && restarted_on_failure
        && restartable
        && limit_reached
}

/// Parses `systemctl --user show-environment`: `NAME=value` lines, where
/// systemd quotes a value with special characters as `$'…'` with C escapes.
pub(crate) fn parse_environment(output: &str) -> Vec<(String, String)> {
    output
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(name, value)| (name.to_string(), unquote_dollar(value)))
        .collect()
}

fn unquote_dollar(value: &str) -> String {
    let Some(inner) = value.strip_prefix("$'").and_then(|v| v.strip_suffix('\'')) else {
        return value.to_string();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// Parses the unit's `Environment=` as `systemctl show -p Environment
/// --value` prints it: assignments separated by spaces, one holding a
/// space in double quotes.
pub(crate) fn parse_unit_environment(value: &str) -> Vec<(String, String)> {
    let mut words = Vec::new();
    let mut word = String::new();
    let (mut quoted, mut any) = (false, false);
    let mut chars = value.trim().chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            '\\' if quoted => word.extend(chars.next()),
            c if c.is_whitespace() && !quoted => {
                if any || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                any = false;
            }
            c => word.push(c),
        }
    }
    if any || !word.is_empty() {
        words.push(word);
    }
    words
        .into_iter()
        .filter_map(|w| {
            w.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect()
}

/// Parses `loginctl show-user USER -p Linger` (`Linger=yes`).
pub(crate) fn parse_linger(output: &str) -> Option<bool> {
    output
        .lines()
        .find_map(|line| line.trim().strip_prefix("Linger="))
        .and_then(|v| match v {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        })
}

/// What to run to start a packaged unit the running manager has not picked
/// up, as `devtrack status` prints it.
pub(crate) const START_PACKAGED_UNIT: &str =
    "systemctl --user daemon-reload && systemctl --user start devtrack";

/// Why an installed unit is not running, when that is not the user's doing:
/// a unit installed (by a package) after the user's manager started is not
/// loaded, or loaded and enabled but never started, until the manager's
/// next start or a daemon-reload and start; a system account skips it.
/// `vendor_unit` says whether a packaged unit file exists.
pub(crate) fn not_running_note(props: &UnitProperties, vendor_unit: bool) -> Option<Hinted> {
    if props.is_active() {
        return None;
    }
    // `Result=start-limit-hit` is explained on its own line.
    if gave_up_restarting(props) && props.result.as_deref() != Some("start-limit-hit") {
        let limit = match (props.start_limit_burst, &props.start_limit_interval) {
            (Some(burst), Some(interval)) => format!(" ({burst} starts within {interval})"),
            _ => String::new(),
        };
        return Some(
            Hinted::new(format!(
                "systemd stopped restarting it: it kept failing and reached the unit's start \
                 limit{limit}"
            ))
            .with_hint(
                "`devtrack logs -n 20` shows why it kept failing; \
                 `devtrack start` clears the limit and tries again",
            ),
        );
    }
    if !props.is_loaded() {
        return vendor_unit.then(|| {
            Hinted::new(
                "the packaged unit is installed, but your running user manager has not \
                 loaded it",
            )
            .with_hint(format!("run `{START_PACKAGED_UNIT}`"))
        });
    }
    let never_started =
        props.started.is_none() && matches!(props.result.as_deref(), None | Some("success"));
    if !props.is_enabled() || !never_started {
        return None;
    }
    if props.condition_failed {
        return Some(Hinted::new(
            "not started: system accounts (uid below 1000) do not run devtrack \
             (ConditionUser=!@system)",
        ));
    }
    Some(
        Hinted::new(
            "installed and enabled, but not started by your running user manager (it was \
             installed or enabled after the manager started; it starts at your next \
             login)",
        )
        .with_hint(format!("run `{START_PACKAGED_UNIT}`")),
    )
}

/// Builds the service-manager half of `devtrack status`.
pub(crate) fn manager_status(props: &UnitProperties, linger: Option<bool>) -> ManagerStatus {
    ManagerStatus {
        manager: "systemd".to_string(),
        installed: props.is_loaded(),
        definition: props.fragment_path.clone(),
        state: props.active_state.clone(),
        sub_state: props.sub_state.clone(),
        main_pid: props.main_pid,
        started: props.started,
        restarting: restarting(props).is_some(),
        restart_at: restarting(props).flatten(),
        restarts: props.restarts,
        memory_bytes: props.memory_bytes,
        result: props.result.clone(),
        linger,
        logs_hint: format!("journalctl --user -u {UNIT_NAME}"),
        note: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exec_start_binary_is_its_path_field() {
        for (value, want) in [
            (
                "{ path=/usr/bin/devtrack ; argv[]=/usr/bin/devtrack run ; ignore_errors=no ; start_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }\n",
                Some("/usr/bin/devtrack"),
            ),
            ("", None),
            ("{ path= ; argv[]= }", None),
        ] {
            assert_eq!(exec_start_path(value).as_deref(), want.map(std::path::Path::new), "{value}");
        }
    }
    use crate::exit::Explain;

    const RUNNING: &str = "\
ActiveState=active
SubState=running
MainPID=4242
ExecMainStartTimestamp=@1769846401
NRestarts=2
MemoryCurrent=7340032
Result=success
FragmentPath=/home/me/.config/systemd/user/devtrack.service
LoadState=loaded
UnitFileState=enabled
NeedDaemonReload=no
";

    const NOT_FOUND: &str = "\
ActiveState=inactive
SubState=dead
MainPID=0
ExecMainStartTimestamp=
NRestarts=0
MemoryCurrent=[not set]
Result=success
FragmentPath=
LoadState=not-found
UnitFileState=
NeedDaemonReload=no
";

    #[test]
    fn parses_a_running_service() {
        let props = parse_show(RUNNING);
        assert!(props.is_loaded() && props.is_enabled() && props.is_active());
        assert_eq!(props.main_pid, Some(4242));
        assert_eq!(props.restarts, Some(2));
        assert_eq!(props.memory_bytes, Some(7_340_032));
        assert_eq!(props.started, Some("2026-01-31T08:00:01Z".parse().unwrap()));
        assert_eq!(
            props.fragment_path,
            Some(PathBuf::from(
                "/home/me/.config/systemd/user/devtrack.service"
            ))
        );
        let status = manager_status(&props, Some(true));
        assert!(status.installed);
        assert_eq!(status.state.as_deref(), Some("active"));
        assert_eq!(status.sub_state.as_deref(), Some("running"));
        assert_eq!(status.linger, Some(true));
        assert_eq!(status.manager, "systemd");
    }

    #[test]
    fn parses_a_missing_unit_to_empty_values() {
        let props = parse_show(NOT_FOUND);
        assert!(!props.is_loaded() && !props.is_enabled() && !props.is_active());
        assert_eq!(props.main_pid, None);
        assert_eq!(props.started, None);
        assert_eq!(props.memory_bytes, None);
        assert_eq!(props.fragment_path, None);
        assert!(!manager_status(&props, None).installed);
    }

    #[test]
    fn unknown_memory_and_failed_result() {
        let props = parse_show(
            "MemoryCurrent=18446744073709551615\nActiveState=failed\nResult=exit-code\n\
             NeedDaemonReload=yes\n",
        );
        assert_eq!(props.memory_bytes, None);
        assert!(!props.is_active());
        assert_eq!(props.result.as_deref(), Some("exit-code"));
        assert!(props.need_daemon_reload);
    }

    #[test]
    fn environments_of_the_manager_and_the_unit() {
        let manager = "HOME=/home/me\nXDG_CONFIG_HOME=$'/home/me/my config\\n'\nEMPTY=\n";
        assert_eq!(
            parse_environment(manager),
            [
                ("HOME".to_string(), "/home/me".to_string()),
                (
                    "XDG_CONFIG_HOME".to_string(),
                    "/home/me/my config\n".to_string()
                ),
                ("EMPTY".to_string(), String::new()),
            ]
        );
        assert_eq!(
            parse_unit_environment(r#"A=1 "DEVTRACK_CONFIG=/x y/c.yaml" B=a=b"#),
            [
                ("A".to_string(), "1".to_string()),
                ("DEVTRACK_CONFIG".to_string(), "/x y/c.yaml".to_string()),
                ("B".to_string(), "a=b".to_string()),
            ]
        );
        assert!(parse_unit_environment("").is_empty());
    }

    #[test]
    fn restarting_after_a_crash_and_when() {
        let exited = "ExecMainExitTimestamp=@1769846401.5\n";
        let cases: &[(&str, Option<Option<&str>>)] = &[
            (
                "ActiveState=activating\nSubState=auto-restart\nRestartUSec=5s\n",
                Some(Some("2026-01-31T08:00:06.500Z")),
            ),
            (
                "ActiveState=activating\nSubState=auto-restart\nRestartUSec=1min 30s\n",
                Some(Some("2026-01-31T08:01:31.500Z")),
            ),
            // Restarting, the time unknown.
            (
                "ActiveState=activating\nSubState=auto-restart\nRestartUSec=infinity\n",
                Some(None),
            ),
            // Starting, not restarting.
            (
                "ActiveState=activating\nSubState=start\nRestartUSec=5s\n",
                None,
            ),
            (
                "ActiveState=failed\nSubState=failed\nRestartUSec=5s\n",
                None,
            ),
            ("ActiveState=active\nSubState=running\n", None),
        ];
        for (text, want) in cases {
            let props = parse_show(&format!("{text}{exited}"));
            let want = want.map(|at| at.map(|t| t.parse::<DateTime<Utc>>().unwrap()));
            assert_eq!(restarting(&props), want, "{text}");
            assert_eq!(manager_status(&props, None).restarting, want.is_some());
        }
        assert_eq!(timespan("100ms"), Some(Duration::from_millis(100)));
        assert_eq!(timespan("0"), Some(Duration::ZERO));
    }

    #[test]
    fn value_may_contain_equals_signs() {
        let props = parse_show("FragmentPath=/home/a=b/devtrack.service\n");
        assert_eq!(
            props.fragment_path,
            Some(PathBuf::from("/home/a=b/devtrack.service"))
        );
    }

    #[test]
    fn notes_on_a_packaged_unit_that_is_not_running() {
        let picked_up_later = "LoadState=loaded\nActiveState=inactive\nSubState=dead\n\
            UnitFileState=enabled\nResult=success\nExecMainStartTimestamp=\n\
            ConditionResult=no\nConditionTimestamp=\n";
        let note = not_running_note(&parse_show(picked_up_later), true)
            .unwrap()
            .explained();
        assert!(
            note.contains("not started by your running user manager"),
            "{note}"
        );
        assert!(note.contains(START_PACKAGED_UNIT), "{note}");

        let system_account = picked_up_later.replace(
            "ConditionTimestamp=\n",
            "ConditionTimestamp=Tue 2026-12-01 14:41:47 UTC\n",
        );
        let note = not_running_note(&parse_show(&system_account), true)
            .unwrap()
            .explained();
        assert!(note.contains("ConditionUser=!@system"), "{note}");

        let not_loaded = parse_show(NOT_FOUND);
        let note = not_running_note(&not_loaded, true).unwrap().explained();
        assert!(note.contains("has not loaded it"), "{note}");
        assert_eq!(not_running_note(&not_loaded, false), None);
    }

    #[test]
    fn no_note_when_running_stopped_by_the_user_failed_or_disabled() {
        assert_eq!(not_running_note(&parse_show(RUNNING), true), None);
        let stopped = RUNNING
            .replace("ActiveState=active", "ActiveState=inactive")
            .replace("SubState=running", "SubState=dead");
        assert_eq!(not_running_note(&parse_show(&stopped), true), None);
        let failed = "LoadState=loaded\nActiveState=failed\nUnitFileState=enabled\n\
            Result=exit-code\n";
        assert_eq!(not_running_note(&parse_show(failed), true), None);
        let disabled = "LoadState=loaded\nActiveState=inactive\nUnitFileState=disabled\n\
            Result=success\n";
        assert_eq!(not_running_note(&parse_show(disabled), true), None);
    }

    #[test]
    fn a_crash_loop_stopped_by_the_start_limit_is_told_apart() {
        // What systemd 252 shows after 5 crashes of the shipped unit.
        let crash_loop = "LoadState=loaded\nActiveState=failed\nSubState=failed\n\
            UnitFileState=enabled\nResult=exit-code\nExecMainStatus=1\nNRestarts=5\n\
            StartLimitBurst=5\nStartLimitIntervalUSec=5min\nRestart=on-failure\n\
            ExecMainStartTimestamp=Tue 2026-12-01 18:20:01 UTC\n";
        let with = |from: &str, to: &str| parse_show(&crash_loop.replace(from, to));
        let cases = [
            ("crash loop", parse_show(crash_loop), true),
            (
                "killed each time",
                with("Result=exit-code", "Result=signal"),
                true,
            ),
            (
                "watchdog each time",
                with("Result=exit-code", "Result=watchdog"),
                true,
            ),
            (
                "refused after a clean stop",
                with("Result=exit-code", "Result=start-limit-hit"),
                true,
            ),
            (
                "fewer restarts than the burst",
                with("NRestarts=5", "NRestarts=2"),
                false,
            ),
            (
                "invalid config (78)",
                with("ExecMainStatus=1", "ExecMainStatus=78"),
                false,
            ),
            (
                "no restart policy",
                with("Restart=on-failure", "Restart=no"),
                false,
            ),
            (
                "stopped",
                with("ActiveState=failed", "ActiveState=inactive"),
                false,
            ),
            ("unknown burst", with("StartLimitBurst=5\n", ""), false),
        ];
        for (name, props, expected) in cases {
            assert_eq!(gave_up_restarting(&props), expected, "{name}");
        }
        let note = not_running_note(&parse_show(crash_loop), false).unwrap();
        assert_eq!(
            note.message,
            "systemd stopped restarting it: it kept failing and reached the unit's start \
             limit (5 starts within 5min)"
        );
        let hint = note.hint.unwrap_or_default();
        assert!(hint.contains("`devtrack start` clears the limit"), "{hint}");
        // A literal start-limit-hit has its own words on the Result line.
        let refused = crash_loop.replace("Result=exit-code", "Result=start-limit-hit");
        assert_eq!(not_running_note(&parse_show(&refused), false), None);
    }

    #[test]
    fn can_reload_only_when_the_unit_says_so() {
        assert_eq!(parse_show("CanReload=yes\n").can_reload, Some(true));
        // Homebrew's generated unit has no ExecReload=.
        assert_eq!(parse_show("CanReload=no\n").can_reload, Some(false));
        assert_eq!(parse_show("").can_reload, None);
    }

    #[test]
    fn failed_starts_are_explained() {
        let failed = |result: &str, status: Option<i32>| UnitProperties {
            result: Some(result.to_string()),
            exec_main_status: status,
            start_limit_burst: Some(5),
            start_limit_interval: Some("5min".to_string()),
            ..UnitProperties::default()
        };
        let limit = explain_failed_start(&failed("start-limit-hit", Some(0)))
            .unwrap()
            .explained();
        assert!(
            limit.contains("started too often (more than 5 starts within 5min)"),
            "{limit}"
        );
        assert!(
            limit.contains("`devtrack start` clears the limit"),
            "{limit}"
        );
        let config = explain_failed_start(&failed("exit-code", Some(78)))
            .unwrap()
            .explained();
        assert!(config.contains("configuration is invalid"), "{config}");
        assert!(config.contains("devtrack config check"), "{config}");
        let exited = explain_failed_start(&failed("exit-code", Some(1)))
            .unwrap()
            .explained();
        assert!(
            exited.starts_with("the daemon exited with status 1\n"),
            "{exited}"
        );
        for (result, words) in [
            ("signal", "killed by a signal"),
            ("timeout", "did not report ready in time"),
            ("protocol", "without reporting ready"),
            ("watchdog", "watchdog"),
        ] {
            let text = explain_failed_start(&failed(result, None))
                .unwrap()
                .explained();
            assert!(text.contains(words), "{result}: {text}");
            assert!(text.contains("devtrack logs"), "{result}: {text}");
        }
        assert_eq!(explain_failed_start(&failed("success", Some(0))), None);
        assert_eq!(explain_failed_start(&UnitProperties::default()), None);
    }

    #[test]
    fn start_limit_and_main_status_are_read() {
        let props = parse_show(
            "Result=start-limit-hit\nExecMainStatus=78\nStartLimitBurst=5\n\
             StartLimitIntervalUSec=5min\n",
        );
        assert_eq!(props.result.as_deref(), Some("start-limit-hit"));
        assert_eq!(props.exec_main_status, Some(78));
        assert_eq!(props.start_limit_burst, Some(5));
        assert_eq!(props.start_limit_interval.as_deref(), Some("5min"));
    }

    #[test]
    fn linger() {
        assert_eq!(parse_linger("Linger=yes\n"), Some(true));
        assert_eq!(parse_linger("Linger=no\n"), Some(false));
        assert_eq!(parse_linger(""), None);
    }
}
