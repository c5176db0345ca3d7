//! The messages between the run loop and a delivery channel.
//!
//! The loop sends [`ToChannel`] (show this prompt, or take it down because
//! it was answered, snoozed, skipped or expired elsewhere); the channel
//! sends [`FromChannel`] (what it did, and what the person did with it).
//! Everything a channel shows is rendered by the loop into a
//! [`PromptView`], so every channel says the same thing and none needs the
//! store or the config beyond its own options.

use tokio::sync::mpsc;

use crate::store::Channel;

/// A prompt as every channel shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptView {
    /// The stored prompt's id.
    pub id: i64,
    /// One line: "3 commits in api-server since 14:00".
    pub summary: String,
    /// The question and the newest commits it is about ("What did you work
    /// on?\n• Fix the login (api)"); not how to answer: a channel that
    /// cannot take the answer itself adds that (`text::shown_body`).
    pub body: String,
    /// The latest trigger's kind: `timer`, `commit`, `manual`, `catchup`.
    pub trigger_kind: String,
    /// Repositories with commits since the last answer, by config name.
    pub repos: Vec<String>,
    /// The prompt as JSON, exactly as the socket's `prompt` events carry it
    /// (a hook reads this on stdin).
    pub json: String,
    /// An earlier showing of the same prompt is replaced (a trigger was
    /// folded in); channels that can update in place do so.
    pub update: bool,
    /// The desktop notification that showed it last, kept in the store
    /// (also by an earlier run of the daemon): replaced while the server
    /// that gave it is still the one there.
    pub notification: Option<Shown>,
}

/// A desktop notification: its id and the unique bus name of the server
/// that gave it (an id means nothing to another server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub id: u32,
    pub server: String,
}

/// From the run loop to a channel.
#[derive(Debug, Clone, PartialEq)]
pub enum ToChannel {
    /// Show the prompt (or replace its earlier showing when `update`).
    /// A channel that cannot deliver it reports [`Report::Unavailable`]
    /// (once per outage) and may drop it: the loop sends `Show` again for
    /// every open prompt on [`Report::Available`].
    Show(PromptView),
    /// The prompt is no longer open (answered, snoozed, skipped, expired):
    /// take down whatever still shows it. Nothing is reported back.
    Withdraw { prompt: i64 },
}

/// From a channel to the run loop.
#[derive(Debug, Clone, PartialEq)]
pub struct FromChannel {
    pub channel: Channel,
    /// The prompt this is about; `None` for news about the channel itself
    /// ([`Report::Available`], [`Report::Unavailable`] before any prompt).
    pub prompt: Option<i64>,
    pub report: Report,
}

/// What happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Report {
    /// The desktop notification now showing the prompt (sent before its
    /// `Delivered`), for the loop to keep with the prompt.
    Notified(Shown),
    /// Shown (for a hook: ran and exited 0). `detail`: e.g. the server's
    /// name, the hook's captured output.
    Delivered { detail: Option<String> },
    /// Tried and failed; `detail` says why (an error, an exit status).
    Failed { detail: String },
    /// Nothing there to deliver to (no bus, no notification server). A
    /// channel reports this once per outage, not per prompt.
    Unavailable { detail: String },
    /// The channel can deliver again (a notification server took the name,
    /// the bus socket appeared): the loop shows it the open prompt again.
    Available,
    /// The person closed the notification without answering; the prompt
    /// stays open.
    Dismissed,
    /// The person answered, in the notification itself or in a dialog.
    Answer { text: String, via: AnswerVia },
    /// The person chose "Snooze".
    Snooze,
    /// The person chose "Skip".
    Skip,
}

/// Where the person typed an answer, so the store records its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerVia {
    /// Into the notification (`NotificationReplied`, KDE's inline reply).
    Inline,
    /// Into an input dialog (`zenity`, `kdialog`, `osascript display dialog`).
    Dialog,
}

/// The loop's end of one running channel.
#[derive(Debug)]
pub struct ChannelHandle {
    pub channel: Channel,
    pub tx: mpsc::UnboundedSender<ToChannel>,
    /// The channel's task, for a channel that has something to take down
    /// when it is stopped (the desktop's notification): the loop waits for
    /// it at shutdown.
    pub task: Option<tokio::task::JoinHandle<()>>,
}

impl ChannelHandle {
    /// Sends `message`; a channel whose task has ended is logged once by
    /// the task itself, so a failed send here needs no report.
    pub fn send(&self, message: ToChannel) {
        let _ = self.tx.send(message);
    }
}
