//! The macOS channel: prompts shown through `osascript`, because
//! `UNUserNotificationCenter` aborts a process that is not inside an app
//! bundle (docs/prompts.md, "macOS"). Everything here is plain Unix
//! process handling and builds and is tested on any platform; only the
//! choice of this channel over the desktop one is macOS-only, at the spawn
//! site.
//!
//! The flow, since `display notification` has no buttons:
//!
//! 1. Every [`ToChannel::Show`] (new or `update`) posts a notification:
//!    the summary as subtitle, the body as text. Exit 0 is
//!    `Report::Delivered`.
//! 2. Then, when `prompts.dialog` is on and no dialog was opened for this
//!    prompt since it last opened, a `display dialog` with an answer field
//!    and Skip / Snooze / Log update: `Answer`, `Snooze` or `Skip`.
//!    Cancelled, given up (after [`Options::give_up_after`]) or "Log
//!    update" with nothing typed: nothing is reported and no dialog opens
//!    again for that prompt's folds; the prompt stays open for `devtrack
//!    note`. A dialog runs as its own task, so the channel keeps reading.
//! 3. [`ToChannel::Withdraw`] closes the prompt's dialog (its `osascript`
//!    is killed) and lets the next opening of the prompt (a snooze
//!    ending) ask again.
//!
//! With `prompts.notifications` off the channel shows nothing at all. A
//! failing `osascript` (not found, denied, hung past
//! [`Options::notification_timeout`]) is reported `Failed` once, then
//! tried again only after a doubling wait ([`backoff`]); prompts shown
//! meanwhile are not tried. When the loop drops its sender, open dialogs
//! may still be answered and reported; then the task ends.

pub(crate) mod backoff;
pub(crate) mod reply;
pub(crate) mod run;
pub(crate) mod script;

use std::collections::HashMap;
use std::ffi::OsString;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::config;
use crate::daemon::prompts::seen::SeenPrompts;
use crate::daemon::prompts::{
    AnswerVia, ChannelHandle, FromChannel, PromptView, Report, ToChannel,
};
use crate::store::Channel;

use backoff::Backoff;
use reply::{dialog_reply, failure, Reply};
use run::osascript;

/// How the channel finds and drives `osascript`.
#[derive(Debug, Clone)]
pub struct Options {
    /// The program, looked up on `path` unless it names a path.
    pub program: OsString,
    /// The `PATH` to look it up on (and to give it); `None`: the daemon's.
    pub path: Option<OsString>,
    /// The dialog closes itself after this long unanswered.
    pub give_up_after: Duration,
    /// A notification taking longer than this is killed and failed.
    pub notification_timeout: Duration,
    /// The first wait after a failure; it doubles up to `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            program: OsString::from("osascript"),
            path: None,
            give_up_after: Duration::from_secs(60 * 60),
            notification_timeout: Duration::from_secs(10),
            backoff: Duration::from_secs(60),
            max_backoff: Duration::from_secs(60 * 60),
        }
    }
}

/// Starts the osascript channel for the `prompts:` settings.
pub fn spawn(
    prompts: &config::Prompts,
    options: Options,
    reports: mpsc::UnboundedSender<FromChannel>,
) -> ChannelHandle {
    let (tx, rx) = mpsc::unbounded_channel();
    let (done_tx, done_rx) = mpsc::unbounded_channel();
    let channel = Osascript {
        notifications: prompts.notifications,
        dialog: prompts.dialog,
        backoff: Backoff::new(options.backoff, options.max_backoff),
        options,
        asked: SeenPrompts::default(),
        dialogs: HashMap::new(),
        done_tx,
        reports,
    };
    tokio::spawn(channel.serve(rx, done_rx));
    ChannelHandle {
        channel: Channel::Osascript,
        tx,
    }
}

/// A dialog's end: its prompt and what came of it.
type DialogDone = (i64, Result<Reply, String>);

struct Osascript {
    notifications: bool,
    dialog: bool,
    options: Options,
    backoff: Backoff,
    /// Prompts a dialog was opened for since they last opened.
    asked: SeenPrompts,
    /// Dialogs still open, by prompt.
    dialogs: HashMap<i64, JoinHandle<()>>,
    done_tx: mpsc::UnboundedSender<DialogDone>,
    reports: mpsc::UnboundedSender<FromChannel>,
}

impl Osascript {
    async fn serve(
        mut self,
        mut rx: mpsc::UnboundedReceiver<ToChannel>,
        mut done_rx: mpsc::UnboundedReceiver<DialogDone>,
    ) {
        let mut open = true;
        while open || !self.dialogs.is_empty() {
            tokio::select! {
                message = rx.recv(), if open => match message {
                    Some(ToChannel::Show(view)) => self.show(view).await,
                    Some(ToChannel::Withdraw { prompt }) => self.withdraw(prompt),
                    None => open = false,
                },
                Some((prompt, result)) = done_rx.recv() => {
                    self.dialogs.remove(&prompt);
                    self.dialog_done(prompt, result);
                }
            }
        }
    }

    async fn show(&mut self, view: PromptView) {
        if !self.notifications {
            return;
        }
        if !self.backoff.may_try(Instant::now()) {
            tracing::debug!(prompt = view.id, "osascript failed recently; not tried");
            return;
        }
        let args = script::notification_args(&view, self.dialog);
        let limit = self.options.notification_timeout;
        let result = osascript(
            &self.options.program,
            self.options.path.as_ref(),
            &args,
            limit,
        )
        .await
        .and_then(|out| {
            if out.success {
                Ok(())
            } else {
                Err(failure(&out.stderr))
            }
        });
        if let Err(detail) = result {
            self.failed(view.id, detail);
            return;
        }
        self.backoff.succeeded();
        self.report(view.id, Report::Delivered { detail: None });
        if self.dialog && !self.dialogs.contains_key(&view.id) && self.asked.first(view.id) {
            self.open_dialog(&view);
        }
    }

    fn open_dialog(&mut self, view: &PromptView) {
        let args = script::dialog_args(view, self.options.give_up_after);
        // The dialog gives up by itself; the limit only catches a hung
        // osascript.
        let limit = self.options.give_up_after + self.options.notification_timeout;
        let (program, path) = (self.options.program.clone(), self.options.path.clone());
        let (id, done) = (view.id, self.done_tx.clone());
        let task = tokio::spawn(async move {
            let result = osascript(&program, path.as_ref(), &args, limit)
                .await
                .and_then(|out| dialog_reply(out.success, &out.stdout, &out.stderr));
            let _ = done.send((id, result));
        });
        self.dialogs.insert(view.id, task);
    }

    fn withdraw(&mut self, prompt: i64) {
        if let Some(task) = self.dialogs.remove(&prompt) {
            // Dropping the run kills its osascript: the dialog closes.
            task.abort();
        }
        self.asked.forget(prompt);
    }

    fn dialog_done(&mut self, prompt: i64, result: Result<Reply, String>) {
        let report = match result {
            Ok(Reply::Answer(text)) => Report::Answer {
                text,
                via: AnswerVia::Dialog,
            },
            Ok(Reply::Snooze) => Report::Snooze,
            Ok(Reply::Skip) => Report::Skip,
            Ok(Reply::Nothing(why)) => {
                tracing::debug!(prompt, "dialog closed without an answer: {why}");
                return;
            }
            Err(detail) => return self.failed(prompt, detail),
        };
        self.backoff.succeeded();
        self.report(prompt, report);
    }

    fn failed(&mut self, prompt: i64, detail: String) {
        if self.backoff.failed(Instant::now()) {
            tracing::warn!(prompt, "osascript: {detail}");
            self.report(prompt, Report::Failed { detail });
        } else {
            tracing::debug!(prompt, "osascript still failing: {detail}");
        }
    }

    fn report(&self, prompt: i64, report: Report) {
        let _ = self.reports.send(FromChannel {
            channel: Channel::Osascript,
            prompt: Some(prompt),
            report,
        });
    }
}
