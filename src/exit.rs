//! Exit statuses, one table for the whole program (documented in `devtrack
//! help` and README.md).

/// Success.
pub const OK: i32 = 0;
/// A command failed (the message says why).
pub const FAILURE: i32 = 1;
/// The command line could not be parsed.
pub const USAGE: i32 = 2;
/// The daemon is not running (`status`, control commands).
pub const NOT_RUNNING: i32 = 3;
/// Another `devtrack run` already holds the lock for this user.
pub const ALREADY_RUNNING: i32 = 4;
/// The daemon rejected the request (e.g. `reload --wait` with a bad config).
pub const REJECTED: i32 = 5;
/// The service manager (systemctl/launchctl) is not reachable or not installed.
pub const NO_SERVICE_MANAGER: i32 = 6;
/// Bad configuration (sysexits.h EX_CONFIG); systemd does not restart on it.
pub const CONFIG: i32 = 78;

/// `(status, meaning)` for help texts.
pub const TABLE: &[(i32, &str)] = &[
    (OK, "success"),
    (FAILURE, "the command failed"),
    (USAGE, "bad command line"),
    (NOT_RUNNING, "the daemon is not running"),
    (
        ALREADY_RUNNING,
        "another devtrack daemon is already running for this user",
    ),
    (
        REJECTED,
        "the daemon rejected the request (e.g. a reload with a bad config)",
    ),
    (
        NO_SERVICE_MANAGER,
        "no service manager reachable (systemd user manager / launchd)",
    ),
    (CONFIG, "the configuration is invalid (EX_CONFIG)"),
];
