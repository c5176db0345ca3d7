//! What the run loop owns, grouped by concern: the scheduler's plan and
//! progress, the commits on their way to a trigger, the prompts on their
//! way to the person, the daemon's own health, and the store and the event
//! bus everything writes to and announces on.
//!
//! It sits below the loop: the request handlers (`control::handlers`) and
//! the loop's sides (`timer_triggers`, `commit_triggers`,
//! `prompt_triggers`, `status`, `reload`) take a `&mut Daemon` from here,
//! and `run_loop` builds one and calls them, so nothing below the loop
//! imports it. One task owns the whole value, so nothing needs a lock.

use crate::backoff::Retry;
use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use super::burst::CommitBatch;
use super::event_bus::EventBus;
use super::gitwatch::{Debouncer, GitEvent, GitWatch};
use super::logging::LogControl;
use super::prompts::health::ChannelHealth;
use super::prompts::{ChannelHandle, FromChannel};
use super::store_health::StoreHealth;
use crate::config::paths::Paths;
use crate::config::Config;
use crate::scheduler::{Schedule, SchedulerState};
use crate::store::Store;

/// Everything the loop owns.
pub(super) struct Daemon {
    /// Where the config, the store and the socket are.
    pub paths: Paths,
    /// The config the daemon runs on (replaced by a successful reload).
    pub config: Config,
    /// The log level, changed by a reload.
    pub log: LogControl,
    /// The SQLite store: every change is committed here first.
    pub store: Store,
    /// The socket's event stream: every change is announced here after.
    pub events: EventBus,
    /// When the next timer prompt is due.
    pub scheduling: Scheduling,
    /// Own commits on their way to a commit trigger.
    pub commits: Commits,
    /// Prompts on their way to the person.
    pub prompting: Prompting,
    /// The daemon's own health: since when it runs, its reloads, its store.
    pub health: Health,
}

/// The scheduler's side: the plan the config gives and how far the loop
/// has come along it.
pub(super) struct Scheduling {
    /// The plan: interval, work hours, timezone (from the config).
    pub schedule: Schedule,
    /// The progress along it: anchor, pause, last slot (kept in the store).
    pub state: SchedulerState,
    /// When the wall-clock timer wakes the loop next; `None` when paused.
    pub next_due: Option<DateTime<Utc>>,
}

/// Git watching and what it hands on.
pub(super) struct Commits {
    /// The watches on every repository and their reflog reads.
    pub git: GitWatch,
    /// Own commits waiting for the debounce window to close.
    pub batch: Debouncer<GitEvent, tokio::time::Instant, CommitBatch>,
    /// Commit batches whose trigger the store refused: recorded by its
    /// next successful retry.
    pub unrecorded: Vec<CommitBatch>,
    /// When to arm again the repositories an inotify limit refused
    /// (`limit_retry`); no try is due while none waits.
    pub limit_retry: Retry<tokio::time::Instant>,
}

/// The delivery channels and the outstanding prompt's timing.
pub(super) struct Prompting {
    /// The running delivery channels (`prompts::start_channels`).
    pub channels: Vec<ChannelHandle>,
    /// What every channel reports on; kept to start channels anew on reload.
    pub reports: mpsc::UnboundedSender<FromChannel>,
    /// Which channel is in trouble, logged once per outage.
    pub health: ChannelHealth,
    /// When the next snoozed prompt opens again, or the held prompt is
    /// released, whichever comes first.
    pub next_reopen: Option<DateTime<Utc>>,
    /// The open prompt kept from the channels by a hold (`hold.rs`), until
    /// the hold ends.
    pub held: Option<i64>,
    /// The summary the outstanding prompt was last shown with, by prompt,
    /// so that the log names it as the person saw it when it closes.
    pub said: Option<(i64, String)>,
}

/// How the daemon itself is doing, for `status` and the `STATUS=` line.
pub(super) struct Health {
    /// When this run started.
    pub started: DateTime<Utc>,
    /// Why the last reload kept the old config, until one succeeds.
    pub reload_error: Option<String>,
    /// When the config was last reloaded.
    pub last_reload: Option<DateTime<Utc>>,
    /// Whether the store takes writes, and when to retry when not.
    pub store: StoreHealth,
}
