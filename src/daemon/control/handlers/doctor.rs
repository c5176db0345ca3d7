//! `doctor`: the loop's part of the daemon's view (its repositories,
//! watches, timezone and `prompts:`), from memory; the connection task
//! adds what takes I/O ([`crate::daemon::doctor_view::complete`]), so the
//! loop never waits on the bus or `/proc`.

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::daemon::state::Daemon;
use crate::protocol::{DoctorView, NotificationView, Response};

pub(super) fn handle(daemon: &Daemon, now: DateTime<Utc>) -> Result<Response> {
    let status = daemon.status(now)?;
    let prompts = &daemon.config.prompts;
    Ok(Response::Doctor {
        message: "doctor".into(),
        doctor: Box::new(DoctorView {
            version: status.version,
            pid: status.pid,
            exe: None,
            timezone: status.scheduler.timezone,
            local_timezone: None,
            display: None,
            wayland_display: None,
            dbus_session_bus_address: None,
            notifications_enabled: prompts.notifications,
            notifications: NotificationView::default(),
            dialog_enabled: prompts.dialog,
            dialog: None,
            inotify_watches: status.watches,
            inotify_instances: None,
            repositories: status.repositories,
        }),
    })
}
