//! The `prompts.on_trigger` channel: the user's command, run once for each
//! new prompt with the prompt as JSON on stdin (docs/prompts.md, "The
//! on_trigger hook").
//!
//! - **Once per prompt.** The first [`ToChannel::Show`] of a prompt runs the
//!   hook; showing it again (a trigger folded in, `update`; a snoozed
//!   prompt reopening) does not. So a hook cannot storm: it runs at most as
//!   often as prompts open, and a failing one is reported once per prompt
//!   with no further backoff. Hooks of different prompts may run at the
//!   same time. [`ToChannel::Withdraw`] changes nothing: a running hook is
//!   left to finish.
//! - **Never in the way.** Each run is its own task; the channel only
//!   starts it. The run's end is one [`Report`] for its prompt:
//!   `Delivered` for exit 0, `Failed` otherwise (the detail says how it
//!   ended, the output's size and first line); its output goes to the log
//!   as one bounded line. When the loop drops its sender, the channel stops
//!   starting hooks; runs in flight still finish and report.
//! - **Refused** when another user could write the config file
//!   ([`strict`]): one `Unavailable` (prompt `None`) when the channel
//!   starts, and it never runs the hook. The check is made when the channel
//!   is spawned, so the loop spawns it anew for a reloaded config.

pub(crate) mod command;
pub(crate) mod outcome;
pub(crate) mod run;
use crate::config::strict;

use std::path::PathBuf;

use tokio::sync::mpsc;

use crate::config;
use crate::daemon::prompts::seen::SeenPrompts;
use crate::daemon::prompts::{ChannelHandle, FromChannel, PromptView, Report, ToChannel};
use crate::store::Channel;

use command::{base_dir, hook_command};

/// Starts the hook channel for `hook`, read from `config_file` (`None`:
/// no file, nothing to check; hooks then run in the home directory).
pub fn spawn(
    hook: config::Hook,
    config_file: Option<PathBuf>,
    reports: mpsc::UnboundedSender<FromChannel>,
) -> ChannelHandle {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(serve(hook, config_file, rx, reports));
    ChannelHandle {
        channel: Channel::Hook,
        tx,
        task: None,
    }
}

async fn serve(
    hook: config::Hook,
    config_file: Option<PathBuf>,
    mut rx: mpsc::UnboundedReceiver<ToChannel>,
    reports: mpsc::UnboundedSender<FromChannel>,
) {
    if let Some(file) = &config_file {
        if let Err(refusal) = strict::check(file, nix::unistd::getuid().as_raw()) {
            // Logged by the loop, once, as the start of the hook's outage.
            let _ = reports.send(FromChannel {
                channel: Channel::Hook,
                prompt: None,
                report: Report::Unavailable {
                    detail: refusal.to_string(),
                },
            });
            return;
        }
    }
    let base = base_dir(config_file.as_deref(), std::env::var_os("HOME"));
    let mut hooked = SeenPrompts::default();
    while let Some(message) = rx.recv().await {
        let ToChannel::Show(view) = message else {
            continue;
        };
        if !hooked.first(view.id) {
            tracing::debug!(prompt = view.id, "hook already ran for this prompt");
            continue;
        }
        tokio::spawn(run_for(hook.clone(), base.clone(), view, reports.clone()));
    }
}

/// One run of the hook for `view`, reported and logged.
async fn run_for(
    hook: config::Hook,
    base: PathBuf,
    view: PromptView,
    reports: mpsc::UnboundedSender<FromChannel>,
) {
    let report = match hook_command(&hook.argv, &base, &view) {
        Some(command) => {
            let run = run::run(&command, view.json.as_bytes(), hook.timeout).await;
            match run.ended {
                outcome::Ended::Exited(0) => tracing::info!(prompt = view.id, "{}", run.log_line()),
                _ => tracing::warn!(prompt = view.id, "{}", run.log_line()),
            }
            run.report()
        }
        None => Report::Failed {
            detail: "could not start: the hook's argv is empty".to_owned(),
        },
    };
    let _ = reports.send(FromChannel {
        channel: Channel::Hook,
        prompt: Some(view.id),
        report,
    });
}
