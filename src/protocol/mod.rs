//! The control-socket wire format, shared by the daemon and every client:
//! the one typed description of what travels on the socket.
//!
//! Newline-delimited JSON over a Unix stream socket. On connect the daemon
//! first writes a [`Hello`] line (its version and protocol version); then the
//! client writes one [`Request`] per line (`{"v":1,"cmd":"status"}`) and reads
//! one [`Response`] line per request. After `subscribe`, the daemon writes one
//! [`Event`] per line until the client disconnects. See docs/protocol.md,
//! which tests/protocol.rs checks against these types, and the recorded
//! lines in tests/fixtures/protocol/ that must keep decoding.
//!
//! Modules: `request` (requests and decoding a request line), `response`
//! (one variant per kind of answer, error kinds), `event` (the stream),
//! `status` (the daemon's and each repository's state), `trigger`
//! (triggers, missed slots), `prompt` (prompts, their changes and
//! deliveries, notes), `git` (commits, rebases, HEAD movements), `doctor`
//! (the daemon's view for `devtrack doctor`).
//!
//! Everything here is plain data: no I/O, nothing from `daemon` or `cli`.
//! Optional fields default, and unknown fields are ignored, so a client and a
//! daemon of neighbouring versions still understand each other.

use serde::{Deserialize, Serialize};

mod doctor;
mod event;
mod git;
mod prompt;
mod request;
mod response;
mod status;
mod trigger;

pub use doctor::{DoctorView, NotificationView};
pub use event::{Event, EventBody};
pub use git::{ActivityInfo, CommitInfo, CommitKind, Operation, RebaseInfo};
pub use prompt::{
    Channel, DeliveryInfo, HoldInfo, NoteInfo, Outcome, PromptChangeKind, PromptInfo, PromptState,
    PromptTriggerInfo,
};
pub use request::{
    decode_request, Command, NoteRequest, NoteSource, PauseRequest, PromptsRequest, Request,
    SnoozeRequest,
};
pub use response::{ErrorKind, Failure, ReloadInfo, Response};
pub use status::{
    AwayStatus, ChannelProblem, FolderStatus, Holding, PromptStatus, RepoState, RepoStatus,
    Resources, SchedulerStatus, Status, StatusPaths, WorkHoursStatus,
};
pub use trigger::{MissReason, TriggerInfo, TriggerKind};

/// Bumped on incompatible changes to requests or responses.
pub const PROTOCOL_VERSION: u32 = 1;

/// The longest request line the daemon accepts (bytes, newline excluded).
pub(crate) const MAX_LINE: usize = 64 * 1024;

/// The first line the daemon writes on every connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hello {
    pub v: u32,
    pub hello: HelloBody,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HelloBody {
    /// The daemon's version (Cargo package version).
    pub version: String,
    pub protocol: u32,
    pub pid: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `value` is `"name"` on the wire, both ways.
    fn assert_wire_name<T>(value: T, name: &str)
    where
        T: Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        let json = serde_json::to_string(&value).unwrap();
        assert_eq!(json, format!("\"{name}\""));
        assert_eq!(serde_json::from_str::<T>(&json).unwrap(), value);
    }

    /// The name enums' `as_str` (what the store and the logs use) and
    /// `parse` agree with their serde names.
    #[test]
    fn names_on_the_wire_and_in_the_store_agree() {
        for kind in CommitKind::ALL {
            assert_wire_name(kind, kind.as_str());
            assert_eq!(CommitKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(CommitKind::parse("checkout"), None);
        for kind in TriggerKind::ALL {
            assert_wire_name(kind, kind.as_str());
            assert_eq!(TriggerKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(TriggerKind::parse("Timer"), None);
        assert_eq!(TriggerKind::parse("snooze"), None);
        for reason in [MissReason::Late, MissReason::Skipped, MissReason::Paused] {
            assert_wire_name(reason, reason.as_str());
        }
        // Operation: derived names, and the one that is not (a rebase step
        // is stored as `rebase`).
        for op in [
            Operation::CherryPick,
            Operation::RebaseStart,
            Operation::FastForward,
            Operation::RebaseStep,
        ] {
            assert_wire_name(op, op.as_str());
        }
        assert_eq!(Operation::RebaseStep.as_str(), "rebase");
        for state in PromptState::ALL {
            assert_wire_name(state, state.as_str());
            assert_eq!(PromptState::parse(state.as_str()), Some(state));
        }
        for channel in Channel::ALL {
            assert_wire_name(channel, channel.as_str());
        }
        for outcome in Outcome::ALL {
            assert_wire_name(outcome, outcome.as_str());
        }
        use PromptChangeKind::*;
        for change in [
            Opened, Updated, Delivered, Answered, Snoozed, Reopened, Expired, Skipped,
        ] {
            assert_wire_name(change, change.as_str());
        }
    }
}
