//! Integration with the init system that owns the daemon: a systemd user
//! unit on Linux, a launchd LaunchAgent on macOS.
//!
//! Unit and plist text, command sequences and output parsing are pure
//! functions, compiled and tested on every platform; only running
//! `systemctl` / `launchctl` / `journalctl` / `log` does I/O, and only
//! [`backend`] is chosen by `cfg`.

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;

use crate::exit::{Explain, Status};

/// Options of `devtrack install-service`.
#[derive(Debug, Clone, Default)]
pub struct InstallOptions {
    /// Print what would be written and run; change nothing.
    pub dry_run: bool,
    /// Overwrite a unit/plist that was edited by hand.
    pub force: bool,
    /// Register and enable, but do not start now.
    pub no_start: bool,
    /// systemd only: `loginctl enable-linger` so the service starts at boot.
    pub linger: bool,
}

/// Options of `devtrack logs`.
#[derive(Debug, Clone, Default)]
pub struct LogOptions {
    pub follow: bool,
    pub lines: Option<u32>,
    /// Only entries from this instant on (`journalctl --since=@SECONDS`,
    /// `log show --start`); the CLI reads what was typed (`cli::time`).
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    /// Lowest priority shown: error, warn, info, debug.
    pub priority: Option<String>,
}

/// The service manager's view of the devtrack service, merged by
/// `devtrack status` with the daemon's own view.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ManagerStatus {
    /// "systemd" or "launchd".
    pub manager: String,
    pub installed: bool,
    /// The unit file or plist in use.
    pub definition: Option<PathBuf>,
    /// e.g. "active", "inactive", "failed" (systemd ActiveState) or "running" (launchd).
    pub state: Option<String>,
    pub sub_state: Option<String>,
    pub main_pid: Option<u32>,
    /// When the running daemon was started (RFC 3339 in JSON).
    pub started: Option<chrono::DateTime<chrono::Utc>>,
    /// Between a crash (or a watchdog kill) and the restart the manager
    /// scheduled for it.
    pub restarting: bool,
    /// When that restart comes, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_at: Option<chrono::DateTime<chrono::Utc>>,
    pub restarts: Option<u32>,
    pub memory_bytes: Option<u64>,
    /// systemd `Result`, or launchd's last exit code.
    pub result: Option<String>,
    /// systemd only: whether lingering is enabled for the user.
    pub linger: Option<bool>,
    /// Where the logs are, e.g. "journalctl --user -u devtrack".
    pub logs_hint: String,
    /// Why an installed service is not running when the manager can tell,
    /// with what to run (e.g. a packaged unit the running manager has not
    /// started yet).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// How the unit file or plist on disk compares with the one this binary
/// would write. Both carry a hash stamp of their own content, so
/// `install-service` tells its own file, unchanged or outdated, from one
/// edited by hand, the same way on both init systems.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InstalledFile {
    /// No file at the path.
    Missing,
    /// Ours, and what this binary would write now.
    Current,
    /// Ours and unchanged since written (the stamp matches the content),
    /// but for another binary path or from an older template: safe to
    /// replace.
    Outdated,
    /// The stamp is absent or does not match the content: someone edited
    /// it (or it is not ours at all); replaced only with `--force`.
    EditedByHand,
}

/// What went wrong talking to the service manager. Each maps to a status of
/// the README table ([`crate::exit::Status`]) and may say what to do about
/// it ([`Explain`]); shown, it is the message and its hint line.
#[derive(Debug)]
pub enum ServiceError {
    NotInstalled,
    /// No user manager reachable (WSL without systemd, a root shell, a container).
    NoManager {
        message: String,
        hint: Option<String>,
    },
    /// The installed unit has no reload command (Homebrew's generated unit
    /// has no `ExecReload=`): the caller reloads through the daemon itself.
    ReloadUnsupported,
    /// devtrack itself stopped the command; `status` says why (a bad value
    /// is `Usage`, a rejected reload `Rejected`, nothing to reload `NotRunning`).
    Failed {
        message: String,
        status: Status,
        hint: Option<String>,
    },
    /// A wrapped tool (systemctl, launchctl, journalctl, log) failed. Its own
    /// exit status is in the message only: devtrack exits 1, so a tool's
    /// number never reads as one of devtrack's (launchctl's 5 is not
    /// "rejected").
    Tool {
        message: String,
        hint: Option<String>,
    },
    Other(anyhow::Error),
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServiceError::Other(e) => fmt::Display::fmt(e, f),
            e => f.write_str(&e.explained()),
        }
    }
}

impl std::error::Error for ServiceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ServiceError::Other(e) => e.source(),
            _ => None,
        }
    }
}

impl From<anyhow::Error> for ServiceError {
    fn from(e: anyhow::Error) -> ServiceError {
        ServiceError::Other(e)
    }
}

impl ServiceError {
    /// `Failed` with a status.
    pub(crate) fn failed(status: Status, message: impl Into<String>) -> ServiceError {
        ServiceError::Failed {
            message: message.into(),
            status,
            hint: None,
        }
    }

    /// `Tool`: a wrapped tool failed.
    pub(crate) fn tool(message: impl Into<String>) -> ServiceError {
        ServiceError::Tool {
            message: message.into(),
            hint: None,
        }
    }

    /// `NoManager`: no service manager to talk to.
    pub(crate) fn no_manager(message: impl Into<String>) -> ServiceError {
        ServiceError::NoManager {
            message: message.into(),
            hint: None,
        }
    }

    /// The error with what to do about it (on the variants that carry a
    /// message of their own).
    pub(crate) fn with_hint(mut self, new: impl Into<String>) -> ServiceError {
        if let ServiceError::NoManager { hint, .. }
        | ServiceError::Failed { hint, .. }
        | ServiceError::Tool { hint, .. } = &mut self
        {
            *hint = Some(new.into());
        }
        self
    }

    /// [`Explain::status`] as the process exit status.
    pub fn exit_status(&self) -> i32 {
        self.status().code()
    }
}

impl Explain for ServiceError {
    fn message(&self) -> Cow<'_, str> {
        match self {
            ServiceError::NotInstalled => Cow::Borrowed("devtrack is not installed as a service"),
            ServiceError::NoManager { message, .. }
            | ServiceError::Failed { message, .. }
            | ServiceError::Tool { message, .. } => Cow::Borrowed(message),
            ServiceError::ReloadUnsupported => {
                Cow::Borrowed("the devtrack service's unit cannot reload (it has no ExecReload=)")
            }
            ServiceError::Other(e) => Cow::Owned(e.to_string()),
        }
    }

    fn hint(&self) -> Option<Cow<'_, str>> {
        match self {
            ServiceError::NotInstalled => Some(Cow::Borrowed("run `devtrack install-service`")),
            ServiceError::NoManager { hint, .. }
            | ServiceError::Failed { hint, .. }
            | ServiceError::Tool { hint, .. } => hint.as_deref().map(Cow::Borrowed),
            ServiceError::ReloadUnsupported | ServiceError::Other(_) => None,
        }
    }

    fn status(&self) -> Status {
        match self {
            ServiceError::NotInstalled => Status::NotRunning,
            ServiceError::NoManager { .. } => Status::NoServiceManager,
            ServiceError::Failed { status, .. } => *status,
            ServiceError::Tool { .. }
            | ServiceError::ReloadUnsupported
            | ServiceError::Other(_) => Status::Failure,
        }
    }
}

/// What to do where no service manager runs devtrack (WSL without
/// systemd, a root shell, a container): the daemon in the foreground, or in
/// the background by other means, and where its log then goes (the daemon
/// writes it to stderr when no journal or os_log takes it).
pub const WITHOUT_MANAGER: &str = "run the daemon in a terminal with `devtrack run`; to keep it \
     running in the background, start it in a terminal multiplexer (`tmux new -d devtrack run`, \
     `screen -dm devtrack run`) or with `nohup devtrack run 2>>~/.local/state/devtrack.log &`; \
     its log then goes to that file (or the multiplexer's window), not to `devtrack logs`";

/// What `devtrack doctor` asks of the service manager, whichever it is;
/// `None` where the manager cannot tell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceFacts {
    /// "systemd user manager", "launchd".
    pub manager: String,
    /// Why the manager cannot be reached, if it cannot.
    pub unreachable: Option<String>,
    /// A unit file or plist for devtrack exists (where the manager reads it).
    pub installed: bool,
    pub definition: Option<PathBuf>,
    pub enabled: Option<bool>,
    pub loaded: bool,
    pub active: bool,
    /// The state in the manager's words (`active (running)`, `running`).
    pub state: Option<String>,
    /// The file on disk is newer than what the manager loaded.
    pub need_reload: Option<bool>,
    /// The binary the unit's `ExecStart=` (the plist's `Program`) names.
    pub program: Option<PathBuf>,
    pub main_pid: Option<u32>,
    pub linger: Option<bool>,
    /// Whether the service's log can be read (`devtrack logs`): why not
    /// when it cannot; `None` when not looked at.
    pub log: Option<Result<(), String>>,
    /// The manager's environment (`systemctl --user show-environment`).
    pub environment: Option<Vec<(String, String)>>,
}

/// One init system. Methods print their own progress lines to stdout.
pub trait Backend {
    fn install(&self, opts: &InstallOptions) -> Result<(), ServiceError>;
    fn uninstall(&self) -> Result<(), ServiceError>;
    fn start(&self) -> Result<(), ServiceError>;
    fn stop(&self) -> Result<(), ServiceError>;
    fn restart(&self) -> Result<(), ServiceError>;
    /// Asks the manager to reload the service (systemd runs `ExecReload`,
    /// i.e. `devtrack reload --wait`, and reports its result), or
    /// [`ServiceError::ReloadUnsupported`] when the unit has no reload
    /// command.
    fn reload(&self) -> Result<(), ServiceError>;
    /// The environment the manager starts the daemon with (the user
    /// manager's, with the unit's own `Environment=` over it), so the CLI
    /// can resolve the config file the service will read; `None` when the
    /// manager cannot tell (the daemon then sees this shell's).
    fn daemon_environment(&self) -> Result<Option<Vec<(String, String)>>, ServiceError> {
        Ok(None)
    }
    /// Whether a unit/plist for devtrack is registered with the manager.
    fn is_installed(&self) -> bool;
    /// What `devtrack doctor` checks about the service.
    fn doctor_facts(&self) -> ServiceFacts;
    fn status(&self) -> Result<ManagerStatus, ServiceError>;
    fn logs(&self, opts: &LogOptions) -> Result<(), ServiceError>;
}

pub(crate) mod binary_path;
pub(crate) mod desktop_entry;
pub mod launchd;
pub(crate) mod systemd;
#[cfg(test)]
mod vendor_files;

/// The init system of this platform. `DEVTRACK_SERVICE_BACKEND=launchd` or
/// `=systemd` picks one explicitly, so either can be driven on any platform
/// against stand-in tools (see each backend's settings for their paths).
pub(crate) fn backend() -> Box<dyn Backend> {
    match std::env::var("DEVTRACK_SERVICE_BACKEND").as_deref() {
        Ok("launchd") => return Box::new(launchd::LaunchdBackend::from_env()),
        Ok("systemd") => return Box::new(systemd::SystemdBackend::from_env()),
        _ => {}
    }
    #[cfg(target_os = "macos")]
    {
        Box::new(launchd::LaunchdBackend::from_env())
    }
    #[cfg(not(target_os = "macos"))]
    {
        Box::new(systemd::SystemdBackend::from_env())
    }
}
