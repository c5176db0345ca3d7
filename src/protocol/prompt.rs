//! Prompts as the wire shows them: the `prompt` event (what changed and
//! the prompt as stored after it), the replies of `note`, `snooze` and
//! `prompts`, and the names the store keeps too (a prompt's state, a
//! delivery channel, what the channel did).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::trigger::TriggerKind;

/// Where a prompt is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PromptState {
    /// Waiting for an answer.
    Open,
    Answered,
    /// Put off until its `reopens_at`; still outstanding.
    Snoozed,
    /// Never answered and given up on (by the delivery side's policy).
    Expired,
    /// The person chose not to answer it.
    Skipped,
}

impl PromptState {
    pub(crate) const ALL: [PromptState; 5] = [
        PromptState::Open,
        PromptState::Answered,
        PromptState::Snoozed,
        PromptState::Expired,
        PromptState::Skipped,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            PromptState::Open => "open",
            PromptState::Answered => "answered",
            PromptState::Snoozed => "snoozed",
            PromptState::Expired => "expired",
            PromptState::Skipped => "skipped",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<PromptState> {
        PromptState::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Open or snoozed: a trigger folds into it and an answer goes to it.
    #[cfg(test)]
    pub(crate) fn is_outstanding(self) -> bool {
        matches!(self, PromptState::Open | PromptState::Snoozed)
    }
}

/// A way a prompt reaches the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// The freedesktop notification service on the session bus.
    Desktop,
    /// macOS `osascript` notification or dialog.
    Osascript,
    /// The user's `on_trigger` command.
    Hook,
    /// `prompt` events on the control socket.
    Socket,
}

impl Channel {
    pub(crate) const ALL: [Channel; 4] = [
        Channel::Desktop,
        Channel::Osascript,
        Channel::Hook,
        Channel::Socket,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Channel::Desktop => "desktop",
            Channel::Osascript => "osascript",
            Channel::Hook => "hook",
            Channel::Socket => "socket",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// What a channel did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Shown (or, for a hook, run and exited 0).
    Delivered,
    /// Tried and failed (the detail says why: an error, an exit status).
    Failed,
    /// Nothing there to deliver to (no notification server, no bus).
    Unavailable,
    /// The person closed it without answering; the prompt stays open.
    Dismissed,
}

impl Outcome {
    pub(crate) const ALL: [Outcome; 4] = [
        Outcome::Delivered,
        Outcome::Failed,
        Outcome::Unavailable,
        Outcome::Dismissed,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::Failed => "failed",
            Outcome::Unavailable => "unavailable",
            Outcome::Dismissed => "dismissed",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// What happened to a prompt (`change` of a `prompt` event).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PromptChangeKind {
    /// A trigger opened a new prompt.
    Opened,
    /// A trigger was folded into the outstanding prompt.
    Updated,
    /// A channel recorded a result (`deliveries` has it).
    Delivered,
    Answered,
    Snoozed,
    /// A snoozed prompt is open again.
    Reopened,
    Expired,
    Skipped,
    /// A change this version does not know (a newer daemon's); only decoded.
    #[serde(other, skip_serializing)]
    Other,
}

impl PromptChangeKind {
    /// The wire name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            PromptChangeKind::Opened => "opened",
            PromptChangeKind::Updated => "updated",
            PromptChangeKind::Delivered => "delivered",
            PromptChangeKind::Answered => "answered",
            PromptChangeKind::Snoozed => "snoozed",
            PromptChangeKind::Reopened => "reopened",
            PromptChangeKind::Expired => "expired",
            PromptChangeKind::Skipped => "skipped",
            PromptChangeKind::Other => "changed",
        }
    }
}

/// A trigger folded into a prompt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptTriggerInfo {
    pub id: i64,
    pub kind: TriggerKind,
    pub fired_at: DateTime<Utc>,
}

/// One channel result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryInfo {
    pub channel: Channel,
    pub outcome: Outcome,
    #[serde(default)]
    pub detail: Option<String>,
    pub at: DateTime<Utc>,
}

/// A prompt as stored, with the text every channel shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptInfo {
    pub id: i64,
    /// Its first trigger's time; an answer refers to this time.
    pub opened_at: DateTime<Utc>,
    pub state: PromptState,
    /// When it entered `state`.
    pub state_at: DateTime<Utc>,
    /// When a snoozed prompt opens again.
    #[serde(default)]
    pub reopens_at: Option<DateTime<Utc>>,
    /// One line: "3 commits in api-server since 14:00".
    #[serde(default)]
    pub summary: String,
    /// Repositories with commits since the last answer.
    #[serde(default)]
    pub repos: Vec<String>,
    /// How many triggers were folded into it.
    #[serde(default)]
    pub trigger_count: u64,
    /// Oldest first: the first one (which opened it) and the latest, at
    /// most 20 in all (`trigger_count` has the total).
    #[serde(default)]
    pub triggers: Vec<PromptTriggerInfo>,
    /// Each channel's latest result of each outcome, oldest first.
    #[serde(default)]
    pub deliveries: Vec<DeliveryInfo>,
    /// The times it was held back from the person (paused, outside work
    /// hours, screen locked, idle), oldest first; left out when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holds: Vec<HoldInfo>,
}

/// A time a prompt was held back: shown at `released_at` (`None`: still
/// held), so it was held for the time between.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoldInfo {
    /// `paused`, `work_hours`, `locked`, `idle`, `inhibited` or `asking`.
    pub reason: String,
    pub held_at: DateTime<Utc>,
    #[serde(default)]
    pub released_at: Option<DateTime<Utc>>,
}

/// What a `note` stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoteInfo {
    /// The stored update's id.
    pub update_id: i64,
    /// The prompt it answered; `None` for a standalone update.
    #[serde(default)]
    pub prompt_id: Option<i64>,
    /// How many commits (made since the previous answer) it covers.
    #[serde(default)]
    pub commits: usize,
}
