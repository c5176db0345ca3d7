//! The event stream: one [`Event`] line per thing that happened, tagged by
//! `event`. An event this version does not know decodes to
//! [`EventBody::Unknown`], so a client keeps reading a newer daemon's
//! stream.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::git::{ActivityInfo, CommitInfo, RebaseInfo};
use super::prompt::{PromptChangeKind, PromptInfo};
use super::status::RepoStatus;
use super::trigger::{MissReason, TriggerInfo};
use super::PROTOCOL_VERSION;

/// One line of the event stream: `{"v":1,"at":…,"event":"trigger",…}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub v: u32,
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub body: EventBody,
}

impl Event {
    pub(crate) fn new(at: DateTime<Utc>, body: EventBody) -> Event {
        Event {
            v: PROTOCOL_VERSION,
            at,
            body,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventBody {
    /// A prompt was triggered (and recorded).
    Trigger {
        trigger: TriggerInfo,
    },
    /// An interval slot passed without its own prompt.
    Missed {
        scheduled_at: DateTime<Utc>,
        reason: MissReason,
    },
    Paused {
        #[serde(default)]
        until: Option<DateTime<Utc>>,
    },
    Resumed,
    Skipped,
    /// A new config was applied.
    Reloaded {
        changes: Vec<String>,
    },
    /// A new config was rejected; the old one stays.
    ReloadRejected {
        error: String,
    },
    /// A commit in a watched repository (stored before it is announced).
    Commit {
        #[serde(with = "typed")]
        commit: CommitInfo,
    },
    /// A finished rebase: one event listing the rewritten commits.
    Rebase {
        #[serde(with = "typed")]
        rebase: RebaseInfo,
    },
    /// A HEAD movement that is not the developer's own work.
    RepoActivity {
        #[serde(with = "typed")]
        activity: ActivityInfo,
    },
    /// A prompt changed (opened, a trigger folded in, delivered, answered,
    /// snoozed, reopened, expired, skipped); `prompt` is as stored after it.
    Prompt {
        change: PromptChangeKind,
        prompt: PromptInfo,
    },
    /// A watched repository changed state (missing, back, unsupported).
    Repo {
        repo: RepoStatus,
    },
    /// An outbox item changed (`queued`, `sent`, `retrying`, `failed`):
    /// its id, integration, ticket and, once sent, the comment's URL;
    /// never the update's text.
    Sync {
        change: String,
        id: String,
        integration: String,
        ticket: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The daemon is shutting down.
    Stopping,
    /// An event of a newer daemon: clients skip it. Never sent.
    #[serde(other, skip_serializing)]
    Unknown,
}

/// The git payloads carry a `type` field (`commit`, `rebase`, `activity`)
/// besides their own, as they always have; it is written, and ignored
/// when read.
mod typed {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::protocol::git::{ActivityInfo, CommitInfo, RebaseInfo};

    pub(crate) trait Tag {
        const TYPE: &'static str;
    }
    impl Tag for CommitInfo {
        const TYPE: &'static str = "commit";
    }
    impl Tag for RebaseInfo {
        const TYPE: &'static str = "rebase";
    }
    impl Tag for ActivityInfo {
        const TYPE: &'static str = "activity";
    }

    #[derive(Serialize)]
    struct Tagged<'a, T> {
        #[serde(rename = "type")]
        tag: &'static str,
        #[serde(flatten)]
        payload: &'a T,
    }

    pub(crate) fn serialize<T: Tag + Serialize, S: Serializer>(
        payload: &T,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        Tagged {
            tag: T::TYPE,
            payload,
        }
        .serialize(s)
    }

    pub(crate) fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<T, D::Error> {
        T::deserialize(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nine() -> DateTime<Utc> {
        "2026-11-26T09:00:00Z".parse().unwrap()
    }

    #[test]
    fn events_are_tagged_lines() {
        let e = Event::new(nine(), EventBody::Resumed);
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"v":1,"at":"2026-11-26T09:00:00Z","event":"resumed"}"#
        );
        let back: Event = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn an_unknown_event_is_skippable_not_an_error() {
        let line = r#"{"v":1,"at":"2026-11-26T09:00:00Z","event":"reminder","reminder":{"id":3}}"#;
        let e: Event = serde_json::from_str(line).unwrap();
        assert_eq!(e.body, EventBody::Unknown);
        assert_eq!(e.at, nine());
    }

    #[test]
    fn git_payloads_carry_their_type() {
        let activity = ActivityInfo {
            repo: "api".into(),
            project: None,
            worktree: None,
            kind: crate::protocol::Operation::Checkout,
            old: "a".repeat(40),
            new: "b".repeat(40),
            message: "checkout: moving from main to x".into(),
            at: DateTime::parse_from_rfc3339("2026-11-26T10:00:00+01:00").unwrap(),
            trigger: false,
        };
        let e = Event::new(
            nine(),
            EventBody::RepoActivity {
                activity: activity.clone(),
            },
        );
        let json: serde_json::Value = serde_json::to_value(&e).unwrap();
        assert_eq!(json["activity"]["type"], "activity");
        assert_eq!(json["activity"]["kind"], "checkout");
        let back: Event = serde_json::from_value(json).unwrap();
        assert_eq!(back.body, EventBody::RepoActivity { activity });
    }
}
