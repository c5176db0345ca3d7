//! Starting the delivery channels the config asks for. Each channel is a
//! task started by its module's `spawn`, handed a clone of the sender for
//! its [`FromChannel`] reports; the loop keeps the [`ChannelHandle`]s and
//! sends every channel the same [`super::ToChannel`] messages. Dropping the
//! handles ends the tasks (a reload that changes `prompts.notifications`
//! or `prompts.dialog` starts them all anew, see `Daemon::restart_channels`;
//! any other reload starts the hook's anew, `Daemon::restart_hook`, which
//! also checks the config file's permissions again).
//!
//! The socket is not a task: `prompt` events are published by the loop
//! itself (`daemon/prompt_triggers.rs`).

use tokio::sync::mpsc;

use super::{ChannelHandle, FromChannel};
use crate::config::{Config, Prompts};

/// The channels `config.prompts` enables, started. Called on the run
/// loop's (current-thread) runtime, so `spawn` may `tokio::spawn`.
pub(crate) fn start_channels(
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
    channels.extend(start_hook(config, reports));
    channels
}

/// Whether a reload from `old` to `new` must restart the notification
/// channels (desktop, osascript): only what they were started with counts.
/// Restarting them needlessly would show the open prompt as a second
/// notification (the old one's id is the old channel's), so a change of
/// `snooze` alone, or of the hook, leaves them running.
pub(crate) fn notifications_changed(old: &Prompts, new: &Prompts) -> bool {
    old.notifications != new.notifications || old.dialog != new.dialog
}

/// The `on_trigger` hook's channel, when the config has one. Its start is
/// when the config file's permissions are checked, so a reload starts it
/// anew even when `prompts:` is unchanged (a `chmod` is no config change).
pub(crate) fn start_hook(
    config: &Config,
    reports: &mpsc::UnboundedSender<FromChannel>,
) -> Option<ChannelHandle> {
    let hook = config.prompts.on_trigger.as_ref()?;
    Some(super::hook::spawn(
        hook.clone(),
        config.source.clone(),
        reports.clone(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_reloads_restart_the_notification_channels() {
        let base = Prompts::default();
        let cases = [
            (
                Prompts {
                    notifications: false,
                    ..base.clone()
                },
                true,
            ),
            (
                Prompts {
                    dialog: false,
                    ..base.clone()
                },
                true,
            ),
            (
                Prompts {
                    snooze: std::time::Duration::from_secs(60),
                    ..base.clone()
                },
                false,
            ),
            (
                Prompts {
                    on_trigger: Some(crate::config::Hook {
                        argv: vec!["notify".into()],
                        timeout: std::time::Duration::from_secs(30),
                    }),
                    ..base.clone()
                },
                false,
            ),
            (base.clone(), false),
        ];
        for (new, want) in cases {
            assert_eq!(notifications_changed(&base, &new), want, "{new:?}");
        }
    }
}
