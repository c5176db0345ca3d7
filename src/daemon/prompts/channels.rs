//! Starting the delivery channels the config asks for. Each channel is a
//! task started by its module's `spawn`, handed a clone of the sender for
//! its [`FromChannel`] reports; the loop keeps the [`ChannelHandle`]s and
//! sends every channel the same [`super::ToChannel`] messages. Dropping the
//! handles ends the tasks (a reload that changes `prompts:` starts them
//! anew, see `Daemon::restart_channels`).
//!
//! The socket is not a task: `prompt` events are published by the loop
//! itself (`lifecycle.rs`).

use tokio::sync::mpsc;

use super::{ChannelHandle, FromChannel};
use crate::config::Config;

/// The channels `config.prompts` enables, started. Called on the run
/// loop's (current-thread) runtime, so `spawn` may `tokio::spawn`.
pub fn start_channels(
    config: &Config,
    reports: &mpsc::UnboundedSender<FromChannel>,
) -> Vec<ChannelHandle> {
    let prompts = &config.prompts;
    let mut channels: Vec<ChannelHandle> = Vec::new();
    #[cfg(target_os = "linux")]
    if prompts.notifications {
        channels.push(super::desktop::spawn(
            super::desktop::DesktopOptions::from_env(prompts),
            reports.clone(),
        ));
    }
    // The macOS channel reads `notifications` and `dialog` itself.
    #[cfg(target_os = "macos")]
    channels.push(super::osascript::spawn(
        prompts,
        super::osascript::Options::default(),
        reports.clone(),
    ));
    if let Some(hook) = &prompts.on_trigger {
        // The config file's permissions decide whether it may run.
        channels.push(super::hook::spawn(
            hook.clone(),
            config.source.clone(),
            reports.clone(),
        ));
    }
    channels
}
