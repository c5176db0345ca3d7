//! `devtrack logs` on systemd: the `journalctl --user -u devtrack.service`
//! argument list, built from [`LogOptions`] by a pure function, and the
//! diagnosis given when the journal shows nothing because it cannot be read.

use crate::service::{LogOptions, ServiceError};

use super::unit::UNIT_NAME;

/// Maps devtrack's level names to journalctl's priority names.
pub fn journal_priority(level: &str) -> Result<&'static str, ServiceError> {
    match level.to_ascii_lowercase().as_str() {
        "error" | "err" => Ok("err"),
        "warn" | "warning" => Ok("warning"),
        "info" => Ok("info"),
        "debug" | "trace" => Ok("debug"),
        _ => Err(ServiceError::Command {
            message: format!(
                "unknown log level `{level}`\nhint: use one of error, warn, info, debug"
            ),
            status: crate::exit::USAGE,
        }),
    }
}

/// The `journalctl` arguments for `devtrack logs`.
pub fn journalctl_args(opts: &LogOptions) -> Result<Vec<String>, ServiceError> {
    let mut args: Vec<String> = vec![
        "--user".into(),
        "-u".into(),
        UNIT_NAME.into(),
        "--no-pager".into(),
    ];
    if let Some(n) = opts.lines {
        args.push("-n".into());
        args.push(n.to_string());
    }
    if let Some(since) = &opts.since {
        args.push("--since".into());
        args.push(since.clone());
    }
    if let Some(level) = &opts.priority {
        args.push("-p".into());
        args.push(journal_priority(level)?.into());
    }
    if opts.follow {
        args.push("-f".into());
    }
    Ok(args)
}

/// What is known about the journal when `journalctl` showed no entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JournalFacts {
    /// `/run/systemd/journal/socket` exists.
    pub journald_running: bool,
    /// `/var/log/journal` exists (entries survive reboots, and user units get
    /// a per-user journal file their user can read).
    pub persistent: bool,
}

/// Explains why `journalctl` showed nothing, when it is something the user
/// can fix. `stderr` is what journalctl printed on its error stream.
pub fn diagnose_empty_journal(stderr: &str, facts: JournalFacts) -> Option<String> {
    if !facts.journald_running {
        return Some(
            "systemd-journald is not running (no `/run/systemd/journal/socket`), \
             so devtrack's log is not being kept\n\
             hint: start systemd-journald, or run `devtrack run` in a terminal to see its output"
                .to_string(),
        );
    }
    let lower = stderr.to_ascii_lowercase();
    let permission = lower.contains("insufficient permissions")
        || lower.contains("permission denied")
        || lower.contains("not seeing messages from other users")
        || lower.contains("no journal files were found");
    if permission {
        return Some(
            "your user cannot read the journal that holds devtrack's entries\n\
             hint: add yourself to the `systemd-journal` group \
             (`sudo usermod -aG systemd-journal $USER`, then log in again), or make the \
             journal persistent (`sudo mkdir -p /var/log/journal` and restart \
             systemd-journald) so user services get a journal file of their own"
                .to_string(),
        );
    }
    if !facts.persistent {
        return Some(
            "the journal is volatile (kept in /run only): entries of user services may be \
             unreadable to you and are lost at reboot\n\
             hint: `sudo mkdir -p /var/log/journal` and restart systemd-journald"
                .to_string(),
        );
    }
    None
}

/// Whether journalctl's standard output holds at least one entry.
pub fn has_entries(stdout: &str) -> bool {
    stdout
        .lines()
        .any(|line| !line.trim().is_empty() && !line.starts_with("-- No entries --"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_args() {
        assert_eq!(
            journalctl_args(&LogOptions::default()).unwrap(),
            ["--user", "-u", "devtrack.service", "--no-pager"]
        );
    }

    #[test]
    fn every_option() {
        let opts = LogOptions {
            follow: true,
            lines: Some(5),
            since: Some("1 hour ago".to_string()),
            priority: Some("warn".to_string()),
        };
        assert_eq!(
            journalctl_args(&opts).unwrap(),
            [
                "--user",
                "-u",
                "devtrack.service",
                "--no-pager",
                "-n",
                "5",
                "--since",
                "1 hour ago",
                "-p",
                "warning",
                "-f"
            ]
        );
    }

    #[test]
    fn levels_map_to_journal_priorities() {
        assert_eq!(journal_priority("error").unwrap(), "err");
        assert_eq!(journal_priority("warn").unwrap(), "warning");
        assert_eq!(journal_priority("INFO").unwrap(), "info");
        assert_eq!(journal_priority("debug").unwrap(), "debug");
        let err = journal_priority("loud").unwrap_err();
        assert!(err.to_string().contains("`loud`"));
        assert_eq!(err.exit_status(), crate::exit::USAGE);
    }

    const OK: JournalFacts = JournalFacts {
        journald_running: true,
        persistent: true,
    };

    #[test]
    fn no_journald() {
        let facts = JournalFacts {
            journald_running: false,
            persistent: true,
        };
        let hint = diagnose_empty_journal("", facts).unwrap();
        assert!(hint.contains("not running"), "{hint}");
    }

    #[test]
    fn not_in_the_journal_group() {
        let stderr = "Hint: You are currently not seeing messages from other users and the system.\n      Users in groups 'adm', 'systemd-journal' can see all messages.\n";
        let hint = diagnose_empty_journal(stderr, OK).unwrap();
        assert!(hint.contains("systemd-journal"), "{hint}");
        let stderr = "No journal files were opened due to insufficient permissions.";
        assert!(diagnose_empty_journal(stderr, OK).is_some());
    }

    #[test]
    fn volatile_journal() {
        let facts = JournalFacts {
            journald_running: true,
            persistent: false,
        };
        let hint = diagnose_empty_journal("", facts).unwrap();
        assert!(hint.contains("/var/log/journal"), "{hint}");
    }

    #[test]
    fn readable_but_empty_needs_no_hint() {
        assert_eq!(diagnose_empty_journal("", OK), None);
    }

    #[test]
    fn entries() {
        assert!(!has_entries("-- No entries --\n"));
        assert!(!has_entries(""));
        assert!(has_entries(
            "Jan 31 09:00:01 host devtrack[42]: watching 3 repositories\n"
        ));
    }
}
