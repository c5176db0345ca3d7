//! Where `devtrack run` logs, and changing the level while it runs.
//!
//! The sink is chosen once at start: the systemd journal when stderr is the
//! journal stream (`service::systemd::journald` says whether it is and
//! provides the layer), os_log under launchd on macOS
//! (`service::launchd::oslog`), and everywhere else human-readable lines on
//! stderr, which the service manager (or the terminal) captures.
//!
//! The level comes from `settings.log_level` and is changed on reload
//! through [`LogControl::set_level`]. Logging starts before the config is
//! read, so an invalid config is reported like any other fatal error:
//! [`fatal`] puts it in the journal at priority 3 (error), where `journalctl
//! -p err` finds it, or prints it once on a terminal.

use std::io::IsTerminal;

use anyhow::Context;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Layered, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{reload, Layer, Registry};

use crate::config::LogLevel;
use crate::service::systemd::journald;

/// Where log records go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogSink {
    /// The systemd journal, natively (structured fields, priorities).
    Journal,
    /// Human-readable lines on stderr.
    Stderr,
    /// Human-readable lines on stderr, which is the journal stream (the
    /// journal socket refused the native protocol).
    JournalStream,
    /// macOS unified logging (under launchd).
    #[cfg(target_os = "macos")]
    OsLog,
}

type Base = Layered<reload::Layer<LevelFilter, Registry>, Registry>;
type OutputLayer = Box<dyn Layer<Base> + Send + Sync>;

/// Handle kept by the run loop to change the level on reload.
pub(crate) struct LogControl {
    level: reload::Handle<LevelFilter, Registry>,
    sink: LogSink,
}

impl LogControl {
    /// Applies a new `log_level` (after a config reload). It can only fail
    /// when the subscriber is gone, which is logged rather than returned.
    pub(crate) fn set_level(&self, level: LogLevel) {
        if let Err(e) = self.level.reload(level_filter(level)) {
            tracing::warn!("changing the log level to {}: {e}", level.as_str());
        }
    }

    /// Where records go.
    pub(crate) fn sink(&self) -> LogSink {
        self.sink
    }

    /// Where the logs are, in words, for `devtrack status`.
    pub(crate) fn destination(&self) -> String {
        match self.sink {
            LogSink::Journal => {
                "systemd journal (journalctl --user -u devtrack.service)".to_string()
            }
            LogSink::Stderr => "stderr".to_string(),
            LogSink::JournalStream => {
                "systemd journal, plain lines (journalctl --user -u devtrack.service)".to_string()
            }
            #[cfg(target_os = "macos")]
            LogSink::OsLog => "unified log (devtrack logs, or log show --predicate 'subsystem == \"dev.devtrack\"')".to_string(),
        }
    }
}

/// Reports an error that ends `devtrack run`, once, where it will be read:
/// the journal at priority 3 (error) under systemd, one `devtrack: …` line
/// on a terminal, and under launchd both the unified log and the agent's
/// stderr file.
///
/// Under systemd the entry names the unit itself
/// (`service::systemd::journald`): journald finds the unit of an entry from
/// the sender's cgroup, which it can no longer read when the process has
/// already exited, as it has right after a fatal error. Should the journal
/// socket refuse it, the line goes to the journal stream with a `<3>`
/// prefix, which journald reads as the priority.
pub(crate) fn fatal(sink: LogSink, message: &str) {
    let stream = || {
        for line in message.lines() {
            eprintln!("<3>{line}");
        }
    };
    match sink {
        LogSink::Stderr => eprintln!("devtrack: {message}"),
        LogSink::Journal => {
            if journald::send_error(message).is_err() {
                stream();
            }
        }
        LogSink::JournalStream => stream(),
        #[cfg(target_os = "macos")]
        LogSink::OsLog => {
            tracing::error!("{message}");
            eprintln!("devtrack: {message}");
        }
    }
}

/// Installs the global subscriber for the daemon. Call once, early in
/// `devtrack run`.
pub(crate) fn init(level: LogLevel) -> anyhow::Result<LogControl> {
    let (filter, handle) = reload::Layer::new(level_filter(level));
    let (output, sink, fallback_note) = output_layer();
    tracing_subscriber::registry()
        .with(filter)
        .with(output)
        .try_init()
        .context("installing the log subscriber")?;
    if let Some(note) = fallback_note {
        tracing::warn!("{note}");
    }
    Ok(LogControl {
        level: handle,
        sink,
    })
}

/// Maps devtrack's level to the filter's maximum level.
pub(crate) fn level_filter(level: LogLevel) -> LevelFilter {
    match level {
        LogLevel::Error => LevelFilter::ERROR,
        LogLevel::Warn => LevelFilter::WARN,
        LogLevel::Info => LevelFilter::INFO,
        LogLevel::Debug => LevelFilter::DEBUG,
        LogLevel::Trace => LevelFilter::TRACE,
    }
}

/// Chooses the output layer; the note says why a fallback was taken.
fn output_layer() -> (OutputLayer, LogSink, Option<String>) {
    if journald::stderr_is_journal_stream() {
        match journald::layer() {
            Ok(layer) => return (Box::new(layer), LogSink::Journal, None),
            Err(e) => {
                let note = format!(
                    "stderr is the journal stream but the journal socket refused a \
                     connection ({e}); logging plain lines to stderr"
                );
                return (stderr_layer(true), LogSink::JournalStream, Some(note));
            }
        }
    }
    // Under launchd on macOS: the unified log (`devtrack logs` reads it).
    #[cfg(target_os = "macos")]
    if crate::service::launchd::crash_guard::running_under_launchd(|k| std::env::var(k).ok()) {
        return (
            Box::new(crate::service::launchd::oslog::layer()),
            LogSink::OsLog,
            None,
        );
    }
    (stderr_layer(false), LogSink::Stderr, None)
}

/// Human-readable lines on stderr. `to_journal_stream`: the journal adds its
/// own timestamps, so ours are left out.
fn stderr_layer(to_journal_stream: bool) -> OutputLayer {
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false);
    if to_journal_stream {
        Box::new(layer.without_time())
    } else {
        Box::new(layer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_map_in_order() {
        assert_eq!(level_filter(LogLevel::Error), LevelFilter::ERROR);
        assert_eq!(level_filter(LogLevel::Warn), LevelFilter::WARN);
        assert_eq!(level_filter(LogLevel::Info), LevelFilter::INFO);
        assert_eq!(level_filter(LogLevel::Debug), LevelFilter::DEBUG);
        assert_eq!(level_filter(LogLevel::Trace), LevelFilter::TRACE);
    }

    #[test]
    fn set_level_changes_what_is_enabled() {
        // A local (non-global) subscriber with the same reload wiring.
        let (filter, handle) = reload::Layer::new(level_filter(LogLevel::Warn));
        let control = LogControl {
            level: handle,
            sink: LogSink::Stderr,
        };
        let subscriber = tracing_subscriber::registry().with(filter);
        tracing::subscriber::with_default(subscriber, || {
            assert!(!tracing::enabled!(tracing::Level::INFO));
            control.set_level(LogLevel::Debug);
            tracing::callsite::rebuild_interest_cache();
            assert!(tracing::enabled!(tracing::Level::DEBUG));
            control.set_level(LogLevel::Error);
            tracing::callsite::rebuild_interest_cache();
            assert!(!tracing::enabled!(tracing::Level::WARN));
        });
    }
}
