//! `launchctl`: the exact argument lists devtrack runs (modern verbs only:
//! `enable`, `bootstrap`, `bootout`, `kickstart`, `print`; never the
//! deprecated `load`/`unload`, whose failures are silent), the meaning of
//! its exit statuses, and the parsing of `launchctl print`.

use std::path::Path;

use super::LABEL;
use crate::exit::Hinted;

/// A launchd domain for the user's agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Domain {
    /// `gui/<uid>`: the per-login Aqua session; where LaunchAgents load at
    /// login. Only exists while the user is logged in at the console.
    Gui(u32),
}

impl Domain {
    /// `gui/501`
    pub(crate) fn target(self) -> String {
        match self {
            Domain::Gui(uid) => format!("gui/{uid}"),
        }
    }

    /// `gui/501/dev.devtrack`
    pub(crate) fn service_target(self) -> String {
        format!("{}/{LABEL}", self.target())
    }
}

fn args(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| s.to_string()).collect()
}

/// `launchctl enable gui/501/dev.devtrack`: clears a leftover "disabled"
/// override (from `launchctl disable` or old `unload -w`), which otherwise
/// makes `bootstrap` fail with error 5.
pub(crate) fn enable(domain: Domain) -> Vec<String> {
    args(&["enable", &domain.service_target()])
}

/// `launchctl bootstrap gui/501 <plist>`: loads the agent; `RunAtLoad` starts it.
pub(crate) fn bootstrap(domain: Domain, plist: &Path) -> Vec<String> {
    args(&["bootstrap", &domain.target(), &plist.to_string_lossy()])
}

/// `launchctl bootout gui/501/dev.devtrack`: stops the agent and unloads it.
pub(crate) fn bootout(domain: Domain) -> Vec<String> {
    args(&["bootout", &domain.service_target()])
}

/// `launchctl print gui/501/dev.devtrack`
pub(crate) fn print(domain: Domain) -> Vec<String> {
    args(&["print", &domain.service_target()])
}

/// `launchctl kickstart [-k] gui/501/dev.devtrack`; `-k` kills a running
/// instance first (restart), without it a running instance is left alone.
pub(crate) fn kickstart(domain: Domain, kill_running: bool) -> Vec<String> {
    if kill_running {
        args(&["kickstart", "-k", &domain.service_target()])
    } else {
        args(&["kickstart", &domain.service_target()])
    }
}

/// `launchctl` exit status for "Could not find service".
pub(crate) const EXIT_NOT_FOUND: i32 = 113;
/// `Boot-out failed: 3: No such process`: the job was already gone.
pub(crate) const EXIT_NO_SUCH_PROCESS: i32 = 3;
/// `Bootstrap failed: 5: Input/output error`.
pub(crate) const EXIT_IO_ERROR: i32 = 5;
/// `Domain does not support specified action`: there is no `gui/<uid>`
/// domain (an SSH session or a Mac nobody is logged in to).
pub(crate) const EXIT_DOMAIN_UNSUPPORTED: i32 = 125;

/// What a finished `launchctl` call means to devtrack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Ok,
    /// The service is not loaded in the domain.
    NotFound,
    /// Error 5: a leftover disabled flag or a bootout/bootstrap race.
    IoError,
    /// Error 125: no GUI domain.
    NoGuiDomain,
    Failed,
}

/// Classifies a `launchctl` exit status (plus its stderr, since some
/// macOS versions print "Could not find service" with other statuses).
pub(crate) fn classify(status: i32, stderr: &str) -> Outcome {
    match status {
        0 => Outcome::Ok,
        EXIT_NOT_FOUND | EXIT_NO_SUCH_PROCESS => Outcome::NotFound,
        EXIT_IO_ERROR => Outcome::IoError,
        EXIT_DOMAIN_UNSUPPORTED => Outcome::NoGuiDomain,
        _ if stderr.contains("Could not find service") => Outcome::NotFound,
        _ if stderr.contains("Domain does not support specified action") => Outcome::NoGuiDomain,
        _ => Outcome::Failed,
    }
}

/// Explains error 5 from `bootstrap` after devtrack already retried.
pub(crate) fn io_error_message(domain: Domain, plist: &Path, stderr: &str) -> Hinted {
    Hinted::new(format!(
        "`launchctl bootstrap {} {}` failed: {}",
        domain.target(),
        plist.display(),
        first_line_or(stderr, "5: Input/output error"),
    ))
    .with_hint(format!(
        "launchd refuses agents marked disabled or still being unloaded; check \
         `launchctl print-disabled {}` for `{LABEL}`, run `launchctl enable {}` and \
         `plutil -lint {}`, then `devtrack install-service` again",
        domain.target(),
        domain.service_target(),
        plist.display(),
    ))
}

/// Explains error 125: there is no GUI session to load the agent into.
pub(crate) fn no_gui_domain_message(domain: Domain) -> Hinted {
    Hinted::new(format!(
        "no GUI login session for this user (`{}` does not exist), as over SSH or on a \
         Mac nobody is logged in to",
        domain.target()
    ))
    .with_hint(
        "the agent starts at the next login at the Mac; to run devtrack now, \
         use `devtrack run` in a terminal",
    )
}

/// Message for any other failed call.
pub(crate) fn failure_message(argv: &[String], status: i32, stderr: &str) -> String {
    format!(
        "`launchctl {}` failed with status {status}: {}",
        argv.join(" "),
        first_line_or(stderr, "no message")
    )
}

fn first_line_or<'a>(text: &'a str, fallback: &'a str) -> &'a str {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or(fallback)
}

/// The fields devtrack reads from `launchctl print gui/<uid>/dev.devtrack`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrintInfo {
    /// `state`: "running", "not running", "spawn scheduled", ...
    pub state: Option<String>,
    pub pid: Option<u32>,
    /// `path`: the plist launchd loaded.
    pub path: Option<String>,
    /// `runs`: how many times launchd started it since it was loaded.
    pub runs: Option<u32>,
    /// `last exit code` (newer macOS appends a name: "78: EX_CONFIG");
    /// `None` for "(never exited)".
    pub last_exit_code: Option<i32>,
    /// `last terminating signal`, e.g. "Killed: 9".
    pub last_signal: Option<String>,
    /// `program`: the binary launchd runs.
    pub program: Option<String>,
}

/// Parses `launchctl print` output. Only the service's own top-level
/// `key = value` lines count: nested blocks (`environment = { ... }`,
/// `event triggers`, `endpoints`) reuse keys such as `state` with other
/// meanings.
pub fn parse_print(text: &str) -> PrintInfo {
    let mut info = PrintInfo::default();
    let mut depth = 0usize;
    for raw in text.lines() {
        let line = raw.trim();
        if line.starts_with('}') {
            depth = depth.saturating_sub(1);
            continue;
        }
        let opens = line.ends_with('{');
        if depth == 1 && !opens {
            if let Some((key, value)) = line.split_once(" = ") {
                let value = value.trim();
                match key.trim() {
                    "state" => info.state = Some(value.to_string()),
                    "pid" => info.pid = value.parse().ok(),
                    "path" => info.path = Some(value.to_string()),
                    "program" => info.program = Some(value.to_string()),
                    "runs" => info.runs = value.parse().ok(),
                    // "1", "78: EX_CONFIG" or "(never exited)".
                    "last exit code" => {
                        info.last_exit_code =
                            value.split(':').next().and_then(|n| n.trim().parse().ok())
                    }
                    "last terminating signal" => info.last_signal = Some(value.to_string()),
                    _ => {}
                }
            }
        }
        if opens {
            depth += 1;
        }
    }
    info
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::Explain;

    const GUI: Domain = Domain::Gui(501);

    #[test]
    fn argument_lists_use_the_modern_verbs() {
        assert_eq!(enable(GUI), ["enable", "gui/501/dev.devtrack"]);
        assert_eq!(
            bootstrap(
                GUI,
                Path::new("/Users/a/Library/LaunchAgents/dev.devtrack.plist")
            ),
            [
                "bootstrap",
                "gui/501",
                "/Users/a/Library/LaunchAgents/dev.devtrack.plist"
            ]
        );
        assert_eq!(bootout(GUI), ["bootout", "gui/501/dev.devtrack"]);
        assert_eq!(print(GUI), ["print", "gui/501/dev.devtrack"]);
        assert_eq!(kickstart(GUI, false), ["kickstart", "gui/501/dev.devtrack"]);
        assert_eq!(
            kickstart(GUI, true),
            ["kickstart", "-k", "gui/501/dev.devtrack"]
        );
    }

    #[test]
    fn exit_statuses_are_classified() {
        assert_eq!(classify(0, ""), Outcome::Ok);
        assert_eq!(classify(113, ""), Outcome::NotFound);
        assert_eq!(
            classify(3, "Boot-out failed: 3: No such process"),
            Outcome::NotFound
        );
        assert_eq!(
            classify(
                1,
                "Could not find service \"dev.devtrack\" in domain for port"
            ),
            Outcome::NotFound
        );
        assert_eq!(
            classify(5, "Bootstrap failed: 5: Input/output error"),
            Outcome::IoError
        );
        assert_eq!(classify(125, ""), Outcome::NoGuiDomain);
        assert_eq!(classify(1, "boom"), Outcome::Failed);
    }

    #[test]
    fn messages_name_the_command_and_a_hint() {
        let plist = Path::new("/Users/a/Library/LaunchAgents/dev.devtrack.plist");
        let m =
            io_error_message(GUI, plist, "Bootstrap failed: 5: Input/output error\n").explained();
        assert!(m.contains("`launchctl bootstrap gui/501 /Users/a/Library/LaunchAgents/dev.devtrack.plist` failed: Bootstrap failed: 5: Input/output error"));
        assert!(m.contains("hint: "));
        assert!(m.contains("launchctl enable gui/501/dev.devtrack"));
        let m = no_gui_domain_message(GUI).explained();
        assert!(m.contains("`gui/501`") && m.contains("next login"));
        let m = failure_message(&kickstart(GUI, true), 1, "\nsomething broke\n");
        assert_eq!(
            m,
            "`launchctl kickstart -k gui/501/dev.devtrack` failed with status 1: something broke"
        );
    }

    #[test]
    fn nested_blocks_do_not_leak_into_top_level_fields() {
        let text = "gui/501/dev.devtrack = {\n\tstate = not running\n\tevent triggers = {\n\t\tx = {\n\t\t\tstate = 1\n\t\t\tpid = 77\n\t\t}\n\t}\n\truns = 2\n}\n";
        let info = parse_print(text);
        assert_eq!(info.state.as_deref(), Some("not running"));
        assert_eq!(info.pid, None);
        assert_eq!(info.runs, Some(2));
    }
}
