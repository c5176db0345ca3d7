//! What the run loop owns, grouped by concern: the scheduler's plan and
//! progress, the commits on their way to a trigger, the prompts on their
//! way to the person, the daemon's own health, and the store and the event
//! bus everything writes to and announces on.
//!
//! It sits below the loop: the request handlers (`control::handlers`) and
//! the loop's sides (`timer_triggers`, `commit_triggers`,
//! `prompt_triggers`, `status`, `reload`, `config_watch`) take a `&mut Daemon` from here,
//! and `run_loop` builds one and calls them, so nothing below the loop
//! imports it. One task owns the whole value, so nothing needs a lock.
//!
//! What a turn of the loop changed is marked in [`Dirty`] by the branch
//! that changed it and published once at the bottom of the turn
//! (`Daemon::publish`, as tokio-console's aggregator does): the `STATUS=`
//! line and the snooze deadline are read and sent once, however many
//! changes the turn made.

use crate::backoff::Retry;
use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use super::burst::CommitBatch;
use super::config_watch::ConfigWatch;
use super::event_bus::EventBus;
use super::gitwatch::{Debouncer, GitEvent, GitWatch};
use super::logging::LogControl;
use super::prompts::health::ChannelHealth;
use super::prompts::{ChannelHandle, FromChannel};
use super::store_health::StoreHealth;
use crate::config::paths::Paths;
use crate::config::Config;
use crate::scheduler::{Schedule, SchedulerState};
use crate::session::AwayState;
use crate::store::{PromptRecord, PromptState, Store};

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
    /// The watch on the config file, and a change waiting to settle.
    pub config_watch: ConfigWatch,
    /// What this turn of the loop changed, for its bottom to publish.
    pub dirty: Dirty,
    /// The outbox's sender: requests under way, host budgets, its timer.
    pub sync: crate::daemon::sync_sender::SyncSender,
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
    /// When the held prompt's hold started: an idle time asked for before
    /// it says nothing about this prompt.
    pub held_since: Option<DateTime<Utc>>,
    /// Whether the person is at the machine, as the session source last
    /// said (`crate::session`).
    pub away: AwayState,
    /// Tells the session sources that a prompt is held: an idle time that
    /// can only be asked for is asked for meanwhile (at most every 30 s).
    pub ask: tokio::sync::watch::Sender<bool>,
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

/// What a turn of the run loop changed: branches mark it, the bottom of
/// the loop publishes it once and clears it.
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct Dirty {
    /// What the `STATUS=` line shows may have changed.
    pub status: bool,
    /// The config was (re)loaded: the line goes out with `READY=1`, which
    /// ends a reload for the service manager.
    pub ready: bool,
    /// A prompt changed: the snooze deadline follows the outstanding
    /// prompt.
    pub prompt: bool,
    /// The record of the turn's last stored change of a prompt, as the
    /// store returned it.
    pub last_prompt: Option<PromptRecord>,
}

impl Dirty {
    /// A stored change of `record` (as the store returned it).
    pub(super) fn prompt_stored(&mut self, record: &PromptRecord) {
        self.status = true;
        self.prompt = true;
        self.last_prompt = Some(record.clone());
    }
}

/// The outstanding prompt, when the turn's last stored change tells it
/// without a read: a record still open or snoozed is the outstanding one
/// (the store keeps at most one); any other (answered, expired, skipped)
/// says nothing about the others, and no record says nothing at all.
pub(super) fn known_outstanding(last: Option<&PromptRecord>) -> Option<&PromptRecord> {
    last.filter(|r| matches!(r.state, PromptState::Open | PromptState::Snoozed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn record(state: PromptState) -> PromptRecord {
        let at = Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap();
        PromptRecord {
            id: 3,
            opened_at: at,
            state,
            state_at: at,
            reopens_at: (state == PromptState::Snoozed).then_some(at),
            trigger_count: 1,
            triggers: Vec::new(),
            changes: Vec::new(),
            deliveries: Vec::new(),
            holds: Vec::new(),
        }
    }

    #[test]
    fn which_last_change_tells_the_outstanding_prompt() {
        use PromptState::*;
        let cases = [
            (Some(Open), true),
            (Some(Snoozed), true),
            (Some(Answered), false),
            (Some(Expired), false),
            (Some(Skipped), false),
            (None, false),
        ];
        for (state, known) in cases {
            let last = state.map(record);
            assert_eq!(
                known_outstanding(last.as_ref()).is_some(),
                known,
                "{state:?}"
            );
        }
    }

    #[test]
    fn marks_accumulate_until_taken() {
        let mut dirty = Dirty::default();
        dirty.prompt_stored(&record(PromptState::Open));
        dirty.prompt_stored(&record(PromptState::Answered));
        assert!(dirty.status && dirty.prompt);
        assert_eq!(dirty.last_prompt, Some(record(PromptState::Answered)));
        dirty.ready = true;
        let want = Dirty {
            status: true,
            ready: true,
            prompt: true,
            last_prompt: Some(record(PromptState::Answered)),
        };
        assert_eq!(std::mem::take(&mut dirty), want);
        assert_eq!(dirty, Dirty::default());
    }
}
