//! Exit statuses, one table for the whole program (documented in `devtrack
//! help` and README.md). Every command ends with one of these: a wrapped
//! tool's own status (systemctl, launchctl, journalctl) is never passed
//! through, since its numbers mean other things (launchctl's 5 is not
//! "rejected").

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
    pub const fn code(self) -> i32 {
        self as i32
    }

    /// The status a devtrack process exited with, when it is one of the
    /// table's (a `devtrack reload --wait` run as a child, for example).
    pub fn from_code(code: i32) -> Option<Status> {
        ALL.into_iter().find(|s| s.code() == code)
    }

    /// What the status means, as README.md and `devtrack help` say it.
    pub const fn meaning(self) -> &'static str {
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
pub const ALL: [Status; 8] = [
    Status::Ok,
    Status::Failure,
    Status::Usage,
    Status::NotRunning,
    Status::AlreadyRunning,
    Status::Rejected,
    Status::NoServiceManager,
    Status::Config,
];

// The daemon (`devtrack run`) returns plain codes; these name them.
pub const OK: i32 = Status::Ok.code();
pub const FAILURE: i32 = Status::Failure.code();
pub const USAGE: i32 = Status::Usage.code();
pub const NOT_RUNNING: i32 = Status::NotRunning.code();
pub const ALREADY_RUNNING: i32 = Status::AlreadyRunning.code();
pub const REJECTED: i32 = Status::Rejected.code();
pub const NO_SERVICE_MANAGER: i32 = Status::NoServiceManager.code();
pub const CONFIG: i32 = Status::Config.code();

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
}
