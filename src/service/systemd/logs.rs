//! `devtrack logs` on systemd: the `journalctl --user -u devtrack.service`
//! argument list, built from [`LogOptions`] by a pure function, and the
//! diagnosis given when the journal shows nothing because it cannot be read.

use crate::exit::Status;
use crate::service::{LogOptions, ServiceError};

use super::unit::UNIT_NAME;

/// Maps devtrack's level names to journalctl's priority names.
pub(crate) fn journal_priority(level: &str) -> Result<&'static str, ServiceError> {
    match level.to_ascii_lowercase().as_str() {
        "error" | "err" => Ok("err"),
        "warn" | "warning" => Ok("warning"),
        "info" => Ok("info"),
        "debug" | "trace" => Ok("debug"),
        _ => Err(
            ServiceError::failed(Status::Usage, format!("unknown log level `{level}`"))
                .with_hint("use one of error, warn, info, debug"),
        ),
    }
}

/// The `journalctl` arguments for `devtrack logs`.
pub(crate) fn journalctl_args(opts: &LogOptions) -> Result<Vec<String>, ServiceError> {
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
        args.push(format!("@{}", since.timestamp()));
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

/// What is known about the journal and the user when `journalctl` showed
/// no entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JournalFacts {
    /// `/run/systemd/journal/socket` exists.
    pub journald_running: bool,
    /// `/var/log/journal` exists (entries survive reboots, and user units get
    /// a per-user journal file their user can read).
    pub persistent: bool,
    /// The user manager answers (`systemctl --user show-environment`).
    pub manager_reachable: bool,
    /// The manager knows devtrack.service.
    pub installed: bool,
    /// This process may read every journal file: root, or a member of
    /// `systemd-journal`, `adm` or `wheel` in this login session.
    pub reads_all_journals: bool,
    /// A journal-reading group the user was added to in `/etc/group` that
    /// this session does not have yet (added without logging in again).
    pub pending_group: Option<String>,
}

/// The groups whose members read every journal file.
pub(crate) const JOURNAL_GROUPS: &[&str] = &["systemd-journal", "adm", "wheel"];

/// Why `devtrack logs` shows nothing, when it is not simply that nothing
/// was logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Diagnosis {
    /// The cause.
    pub message: String,
    /// What to do about it.
    pub hint: String,
    pub status: Status,
    /// Following the journal cannot show anything either (`logs -f` stops).
    pub hopeless: bool,
}

impl Diagnosis {
    /// The cause and its hint, as the person reads them.
    pub(crate) fn text(&self) -> String {
        crate::exit::render(&self.message, Some(&self.hint))
    }

    /// The diagnosis as the error `devtrack logs` fails with.
    pub(crate) fn into_error(self) -> ServiceError {
        ServiceError::failed(self.status, self.message).with_hint(self.hint)
    }
}

/// Explains why `journalctl` showed nothing, when it is something the user
/// can fix. `stderr` is what journalctl printed on its error stream.
pub(crate) fn diagnose_empty_journal(stderr: &str, facts: &JournalFacts) -> Option<Diagnosis> {
    let problem = |message: String, hint: String, hopeless: bool| Diagnosis {
        message,
        hint,
        status: Status::Failure,
        hopeless,
    };
    if !facts.journald_running {
        return Some(problem(
            "systemd-journald is not running (no `/run/systemd/journal/socket`), \
             so devtrack's log is not being kept"
                .to_string(),
            "start systemd-journald, or run `devtrack run` in a terminal to see its output"
                .to_string(),
            true,
        ));
    }
    if !facts.manager_reachable {
        return Some(Diagnosis {
            message: "no systemd user manager is reachable, so devtrack does not run as a \
                      service here and the journal holds nothing of it"
                .to_string(),
            hint: crate::service::WITHOUT_MANAGER.to_string(),
            status: Status::NoServiceManager,
            hopeless: true,
        });
    }
    if !facts.installed {
        return Some(Diagnosis {
            message: format!(
                "devtrack is not installed as a service, so {UNIT_NAME} has no log entries"
            ),
            hint: "run `devtrack install-service`".to_string(),
            status: Status::NotRunning,
            hopeless: false,
        });
    }
    let lower = stderr.to_ascii_lowercase();
    let permission = lower.contains("insufficient permissions")
        || lower.contains("permission denied")
        || lower.contains("not seeing messages from other users")
        || lower.contains("no journal files were found");
    let unreadable = permission || (!facts.persistent && !facts.reads_all_journals);
    if unreadable {
        if let Some(group) = &facts.pending_group {
            return Some(problem(
                format!(
                    "you are in the `{group}` group, but this login session started before \
                     you were added, so it cannot read the journal yet"
                ),
                format!("log in again (or run `newgrp {group}`), then `devtrack logs`"),
                false,
            ));
        }
        if !facts.reads_all_journals {
            return Some(problem(
                "your user cannot read the journal that holds devtrack's entries".to_string(),
                "add yourself to the `systemd-journal` group \
                 (`sudo usermod -aG systemd-journal $USER`, then log in again), or make the \
                 journal persistent (`sudo mkdir -p /var/log/journal` and restart \
                 systemd-journald) so user services get a journal file of their own"
                    .to_string(),
                false,
            ));
        }
        let said = stderr
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("no entries although you may read every journal file");
        return Some(problem(
            format!("journalctl could not read the journal files: {said}"),
            "check the ownership and mode of `/var/log/journal` and `/run/log/journal`".to_string(),
            false,
        ));
    }
    None
}

/// Whether journalctl's standard output holds at least one entry.
pub(crate) fn has_entries(stdout: &str) -> bool {
    stdout
        .lines()
        .any(|line| !line.trim().is_empty() && !line.starts_with("-- No entries --"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::Explain;

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
            since: Some(chrono::DateTime::from_timestamp(1_769_850_000, 0).unwrap()),
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
                "@1769850000",
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
        assert_eq!(err.status(), Status::Usage);
    }

    fn facts() -> JournalFacts {
        JournalFacts {
            journald_running: true,
            persistent: true,
            manager_reachable: true,
            installed: true,
            reads_all_journals: false,
            pending_group: None,
        }
    }

    #[test]
    fn no_journald() {
        let facts = JournalFacts {
            journald_running: false,
            ..facts()
        };
        let d = diagnose_empty_journal("", &facts).unwrap();
        assert!(d.text().contains("not running"), "{d:?}");
        assert!(d.hopeless);
    }

    #[test]
    fn no_user_manager_is_said_with_its_status() {
        // Root in a shell without a user manager: journalctl --user prints
        // "-- No entries --" and succeeds; the cause is the missing manager.
        let facts = JournalFacts {
            manager_reachable: false,
            reads_all_journals: true,
            ..facts()
        };
        let d = diagnose_empty_journal("", &facts).unwrap();
        assert!(d.text().contains("no systemd user manager"), "{d:?}");
        assert!(d.text().contains("devtrack run"), "{d:?}");
        assert_eq!(d.status, Status::NoServiceManager);
        assert!(d.hopeless);
    }

    #[test]
    fn not_installed() {
        let facts = JournalFacts {
            installed: false,
            ..facts()
        };
        let d = diagnose_empty_journal("", &facts).unwrap();
        assert!(d.text().contains("devtrack install-service"), "{d:?}");
        assert_eq!(d.status, Status::NotRunning);
    }

    const NOT_SEEING: &str = "Hint: You are currently not seeing messages from other users and the system.\n      Users in groups 'adm', 'systemd-journal' can see all messages.\n";

    #[test]
    fn not_in_the_journal_group() {
        let d = diagnose_empty_journal(NOT_SEEING, &facts()).unwrap();
        assert!(d.text().contains("usermod -aG systemd-journal"), "{d:?}");
        assert_eq!(d.status, Status::Failure);
        assert!(!d.hopeless);
        let stderr = "No journal files were opened due to insufficient permissions.";
        assert!(diagnose_empty_journal(stderr, &facts()).is_some());
    }

    #[test]
    fn a_member_of_the_group_is_not_told_to_join_it() {
        let member = JournalFacts {
            reads_all_journals: true,
            ..facts()
        };
        let stderr = "No journal files were opened due to insufficient permissions.";
        let d = diagnose_empty_journal(stderr, &member).unwrap();
        assert!(!d.text().contains("usermod"), "{d:?}");
        assert!(
            d.text().contains(
                "journalctl could not read the journal files: No journal files were opened"
            ),
            "{d:?}"
        );
        // Added to the group but not logged in again since.
        let pending = JournalFacts {
            pending_group: Some("systemd-journal".to_string()),
            ..facts()
        };
        let d = diagnose_empty_journal(NOT_SEEING, &pending).unwrap();
        assert!(!d.text().contains("usermod"), "{d:?}");
        assert!(d.text().contains("log in again"), "{d:?}");
        assert!(d.text().contains("newgrp systemd-journal"), "{d:?}");
    }

    #[test]
    fn volatile_journal() {
        let volatile = JournalFacts {
            persistent: false,
            ..facts()
        };
        let d = diagnose_empty_journal("", &volatile).unwrap();
        assert!(d.text().contains("/var/log/journal"), "{d:?}");
        // Whoever reads every journal reads the volatile one too.
        let root = JournalFacts {
            reads_all_journals: true,
            ..volatile
        };
        assert_eq!(diagnose_empty_journal("", &root), None);
    }

    #[test]
    fn readable_but_empty_needs_no_hint() {
        assert_eq!(diagnose_empty_journal("", &facts()), None);
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
