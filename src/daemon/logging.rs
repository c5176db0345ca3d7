//! Logging setup for the daemon: human-readable lines on stderr, with the
//! level adjustable at reload.

use anyhow::Result;
use tracing_subscriber::{
    filter::LevelFilter, layer::SubscriberExt, reload, util::SubscriberInitExt,
};

use crate::config::LogLevel;

/// Changes the log level of the installed subscriber.
pub struct LogControl {
    handle: reload::Handle<LevelFilter, tracing_subscriber::Registry>,
}

fn filter(level: LogLevel) -> LevelFilter {
    match level {
        LogLevel::Error => LevelFilter::ERROR,
        LogLevel::Warn => LevelFilter::WARN,
        LogLevel::Info => LevelFilter::INFO,
        LogLevel::Debug => LevelFilter::DEBUG,
        LogLevel::Trace => LevelFilter::TRACE,
    }
}

pub fn init(level: LogLevel) -> Result<LogControl> {
    let (filter_layer, handle) = reload::Layer::new(filter(level));
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    tracing_subscriber::registry()
        .with(filter_layer)
        .with(fmt)
        .try_init()?;
    Ok(LogControl { handle })
}

impl LogControl {
    pub fn set_level(&self, level: LogLevel) {
        let _ = self.handle.modify(|f| *f = filter(level));
    }

    /// Where the logs go, for `devtrack status`.
    pub fn destination(&self) -> String {
        "stderr (terminal)".to_string()
    }
}
