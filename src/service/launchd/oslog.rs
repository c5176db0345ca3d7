//! The os_log layer for the daemon's logs on macOS (subsystem
//! `dev.devtrack`, read by `devtrack logs`). Wired into the subscriber by
//! `daemon::logging`.
//!
//! Privacy: tracing-oslog writes every message as `%{public}s`, so whatever
//! is logged is readable by any admin user and in sysdiagnoses. The text of
//! work updates (and anything else the user typed) must never appear in a
//! log message or field; log ids and counts instead.

/// The os_log category of the daemon's entries (`log show --predicate
/// 'category == "daemon"'` narrows to them).
#[cfg(target_os = "macos")]
pub(crate) const CATEGORY: &str = "daemon";

/// A tracing layer writing to os_log under `dev.devtrack` / [`CATEGORY`].
#[cfg(target_os = "macos")]
pub(crate) fn layer<S>() -> impl tracing_subscriber::Layer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    tracing_oslog::OsLogger::new(super::LABEL, CATEGORY)
}
