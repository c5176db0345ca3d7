//! Exit statuses, one table for the whole program (documented in `devtrack
//! help` and README.md). Every command ends with one of these: a wrapped
//! tool's own status (systemctl, launchctl, journalctl) is never passed
//! through, since its numbers mean other things (launchctl's 5 is not
//! "rejected").
//!
//! An error knows its own status and what the person can do about it
//! ([`Explain`], as nextest's `ExpectedError::process_exit_code`), so no
//! call site picks a number and no hint travels inside a message string to
//! be parsed back out. A hint becomes text in one place, [`render`], where
//! the error leaves the program: the terminal, the journal, the status
//! reply's `store_error`.

use std::borrow::Cow;
use std::fmt;

/// What a finished command tells its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum Status {
    /// Success.
    Ok = 0,
    /// A command failed (the message says why).
    Failure = 1,
    /// The command line could not be parsed or holds a bad value.
    Usage = 2,
    /// The daemon is not running (`status`, control commands).
    NotRunning = 3,
    /// Another `devtrack run` already holds the lock for this user.
    AlreadyRunning = 4,
    /// The daemon rejected the request (e.g. a reload with a bad config).
    Rejected = 5,
    /// The service manager (systemctl/launchctl) is not reachable or not installed.
    NoServiceManager = 6,
    /// Bad configuration (sysexits.h EX_CONFIG); systemd does not restart on it.
    Config = 78,
}

impl Status {
    /// The process exit status.
    pub(crate) const fn code(self) -> i32 {
        self as i32
    }

    /// The status a devtrack process exited with, when it is one of the
    /// table's (a `devtrack reload --wait` run as a child, for example).
    pub(crate) fn from_code(code: i32) -> Option<Status> {
        ALL.into_iter().find(|s| s.code() == code)
    }

    /// What the status means, as README.md and `devtrack help` say it.
    pub(crate) const fn meaning(self) -> &'static str {
        match self {
            Status::Ok => "success",
            Status::Failure => "the command failed",
            Status::Usage => "bad command line",
            Status::NotRunning => "the daemon is not running",
            Status::AlreadyRunning => "another devtrack daemon is already running for this user",
            Status::Rejected => "the daemon rejected the request (e.g. a reload with a bad config)",
            Status::NoServiceManager => {
                "no service manager reachable (systemd user manager / launchd)"
            }
            Status::Config => "the configuration is invalid (EX_CONFIG)",
        }
    }
}

/// Every status, in table order.
pub(crate) const ALL: [Status; 8] = [
    Status::Ok,
    Status::Failure,
    Status::Usage,
    Status::NotRunning,
    Status::AlreadyRunning,
    Status::Rejected,
    Status::NoServiceManager,
    Status::Config,
];

impl From<Status> for std::process::ExitCode {
    fn from(status: Status) -> std::process::ExitCode {
        // Every status of the table is below 256.
        std::process::ExitCode::from(status.code() as u8)
    }
}

/// What an error tells a person and its caller: what happened, what to do
/// about it, and the status a command that fails with it ends with.
pub(crate) trait Explain {
    /// What happened, without the hint.
    fn message(&self) -> Cow<'_, str>;

    /// What the person can do about it: one sentence, without `hint: `.
    fn hint(&self) -> Option<Cow<'_, str>> {
        None
    }

    /// The exit status of a command that fails with this error.
    fn status(&self) -> Status {
        Status::Failure
    }

    /// The message and its hint as the person reads them ([`render`]).
    fn explained(&self) -> String {
        render(&self.message(), self.hint().as_deref())
    }
}

/// A message and what to do about it, for a failure that has no error type
/// of its own (a warning, a store fault, why a service is not running).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hinted {
    pub message: String,
    pub hint: Option<String>,
}

impl Hinted {
    pub(crate) fn new(message: impl Into<String>) -> Hinted {
        Hinted {
            message: message.into(),
            hint: None,
        }
    }

    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Hinted {
        self.hint = Some(hint.into());
        self
    }
}

impl From<&str> for Hinted {
    fn from(message: &str) -> Hinted {
        Hinted::new(message)
    }
}

impl From<String> for Hinted {
    fn from(message: String) -> Hinted {
        Hinted::new(message)
    }
}

impl fmt::Display for Hinted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Explain for Hinted {
    fn message(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.message)
    }

    fn hint(&self) -> Option<Cow<'_, str>> {
        self.hint.as_deref().map(Cow::Borrowed)
    }
}

/// A message and its optional hint as text: the hint on a line of its own,
/// `hint: …`. The one place a hint becomes text.
pub(crate) fn render(message: &str, hint: Option<&str>) -> String {
    match hint {
        Some(hint) => format!("{message}\nhint: {hint}"),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readme_table_matches() {
        let readme = include_str!("../README.md");
        for status in ALL {
            let meaning = status.meaning().replace(" (EX_CONFIG)", "");
            let row = format!("| {} | {meaning}", status.code());
            assert!(readme.contains(&row), "README.md lacks `{row}`");
            assert_eq!(Status::from_code(status.code()), Some(status));
        }
        assert_eq!(Status::from_code(113), None);
    }

    #[test]
    fn a_hint_is_a_line_of_its_own() {
        assert_eq!(render("no store", None), "no store");
        let e = Hinted::new("no store").with_hint("create one");
        assert_eq!(e.to_string(), "no store");
        assert_eq!(e.status(), Status::Failure);
        assert_eq!(
            e.explained().lines().collect::<Vec<_>>(),
            ["no store", "hint: create one"]
        );
    }
}
