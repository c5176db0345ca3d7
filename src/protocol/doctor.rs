//! The daemon's own view for `devtrack doctor` (the `doctor` reply): what
//! only the daemon can say, because its environment is not the shell's —
//! the display and bus it was started with, the notification server on
//! that bus, the dialog program on its `PATH`, the inotify watches and
//! instances it holds, the binary it runs, the timezone it uses, and the
//! repositories as it watches them.

use serde::{Deserialize, Serialize};

use super::status::RepoStatus;

/// The `doctor` reply's `doctor` field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DoctorView {
    pub version: String,
    pub pid: u32,
    /// `/proc/self/exe` (may end in ` (deleted)` after an upgrade).
    #[serde(default)]
    pub exe: Option<String>,
    /// The zone the daemon schedules in (`settings.timezone`).
    pub timezone: String,
    /// The zone the daemon's environment gives (`TZ`, `/etc/localtime`).
    #[serde(default)]
    pub local_timezone: Option<String>,
    #[serde(default)]
    pub display: Option<String>,
    #[serde(default)]
    pub wayland_display: Option<String>,
    #[serde(default)]
    pub dbus_session_bus_address: Option<String>,
    /// `prompts.notifications`.
    pub notifications_enabled: bool,
    pub notifications: NotificationView,
    /// `prompts.dialog`.
    pub dialog_enabled: bool,
    /// The dialog program found on the daemon's `PATH`, if any.
    #[serde(default)]
    pub dialog: Option<String>,
    /// Watches git watching holds (as in `status`).
    pub inotify_watches: usize,
    /// inotify instances the daemon holds.
    #[serde(default)]
    pub inotify_instances: Option<usize>,
    #[serde(default)]
    pub repositories: Vec<RepoStatus>,
}

/// The notification server on the daemon's session bus.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NotificationView {
    /// `name version` from `GetServerInformation`; `None` when no server
    /// answered.
    #[serde(default)]
    pub server: Option<String>,
    /// `GetCapabilities`.
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// Why no server answered (no bus, no owner, an error).
    #[serde(default)]
    pub error: Option<String>,
}
