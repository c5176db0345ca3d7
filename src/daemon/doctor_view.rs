//! The I/O half of the `doctor` reply, run in the connection's task (never
//! the run loop's): the daemon's binary, environment and timezone, the
//! notification server on its session bus, the dialog program on its
//! `PATH`, and the inotify instances it holds. The loop's half (its
//! repositories, watches, `prompts:`) comes from the `doctor` handler.

use std::path::PathBuf;

use crate::daemon::prompts::desktop::{self, DesktopOptions};
use crate::protocol::DoctorView;

/// How long the bus may take: the client waits 15 s for the whole reply.
const PROBE: std::time::Duration = std::time::Duration::from_secs(5);

/// Fills in what `view` lacks from the loop.
pub(crate) async fn complete(view: &mut DoctorView) {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    view.display = var("DISPLAY");
    view.wayland_display = var("WAYLAND_DISPLAY");
    view.dbus_session_bus_address = var("DBUS_SESSION_BUS_ADDRESS");
    view.local_timezone = Some(crate::doctor::environment_timezone());
    let options = DesktopOptions {
        bus_address: std::env::var("DBUS_SESSION_BUS_ADDRESS").ok(),
        runtime_dir: std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from),
        search_path: std::env::var_os("PATH"),
        ..DesktopOptions::default()
    };
    view.notifications = match tokio::time::timeout(PROBE, desktop::probe_server(&options)).await {
        Ok(found) => found,
        Err(_) => crate::protocol::NotificationView {
            error: Some(format!(
                "the session bus or the notification server gave no answer within {} s",
                PROBE.as_secs()
            )),
            ..Default::default()
        },
    };
    let search_path = options.search_path.clone();
    let files = tokio::task::spawn_blocking(move || {
        let exe = std::fs::read_link("/proc/self/exe")
            .or_else(|_| std::env::current_exe())
            .ok()
            .map(|p| p.display().to_string());
        let dialog = desktop::dialog_program(search_path.as_deref());
        (exe, dialog, inotify_instances())
    })
    .await;
    if let Ok((exe, dialog, instances)) = files {
        view.exe = exe;
        view.dialog = dialog.map(|p| p.display().to_string());
        view.inotify_instances = instances;
    }
}

/// The inotify instances this process holds: its descriptors that name
/// `anon_inode:inotify`; `None` where `/proc` does not say.
fn inotify_instances() -> Option<usize> {
    let fds = std::fs::read_dir("/proc/self/fd").ok()?;
    Some(
        fds.filter_map(Result::ok)
            .filter(|fd| {
                std::fs::read_link(fd.path())
                    .is_ok_and(|target| target.as_os_str() == "anon_inode:inotify")
            })
            .count(),
    )
}
