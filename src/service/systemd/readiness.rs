//! Telling the service manager how we are: systemd's notify protocol.
//!
//! Every call is a no-op without `NOTIFY_SOCKET` (run by hand, or under
//! launchd), so the run loop calls these unconditionally. Failures to notify
//! are logged and otherwise ignored: the daemon's work matters more.

use std::time::Duration;

use sd_notify::NotifyState;

pub(crate) fn ready(status_line: &str) {
    if changed(status_line) {
        send(&[NotifyState::Ready, NotifyState::Status(status_line)]);
    } else {
        send(&[NotifyState::Ready]);
    }
}

/// `RELOADING=1` with `MONOTONIC_USEC`, which systemd requires to pair the
/// reload with the `READY=1` that ends it.
pub(crate) fn reloading() {
    match NotifyState::monotonic_usec_now() {
        Ok(now) => send(&[NotifyState::Reloading, now]),
        Err(e) => tracing::warn!(error = %e, "reading the monotonic clock for RELOADING=1: {e}"),
    }
}

pub(crate) fn stopping() {
    send(&[NotifyState::Stopping, NotifyState::Status("Stopping")]);
}

/// Sends `STATUS=line` unless it is what was sent last: the line is
/// recomputed after every turn of the run loop that may have changed it,
/// and the manager needs only changes.
pub(crate) fn status(line: &str) {
    if changed(line) {
        send(&[NotifyState::Status(line)]);
    }
}

/// Whether `line` differs from the status last sent (and remembers it).
fn changed(line: &str) -> bool {
    static LAST: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    if *last == line {
        return false;
    }
    line.clone_into(&mut last);
    true
}

pub(crate) fn watchdog() {
    send(&[NotifyState::Watchdog]);
}

/// How often to ping the watchdog: half of `WatchdogSec`, when enabled for us.
pub(crate) fn watchdog_interval() -> Option<Duration> {
    sd_notify::watchdog_enabled().map(|d| d / 2)
}

fn send(states: &[NotifyState]) {
    if let Err(e) = sd_notify::notify(states) {
        tracing::warn!(error = %e, "notifying the service manager: {e}");
    }
}
