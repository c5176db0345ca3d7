//! The control-socket wire format, shared by the daemon and every client.
//!
//! Newline-delimited JSON over a Unix stream socket. On connect the daemon
//! first writes a [`Hello`] line (its version and protocol version); then the
//! client writes one [`Request`] per line (`{"v":1,"cmd":"status"}`) and reads
//! one [`Response`] line per request. After `subscribe`, the daemon writes one
//! [`Event`] per line until the client disconnects. See docs/protocol.md.
//!
//! Everything here is plain data: no I/O, nothing from `daemon` or `cli`.
//! Optional fields default, and unknown fields are ignored, so a client and a
//! daemon of neighbouring versions still understand each other.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

mod git;

pub use git::CommitKind;

/// Bumped on incompatible changes to requests or responses.
pub const PROTOCOL_VERSION: u32 = 1;

/// The longest request line the daemon accepts (bytes, newline excluded).
pub const MAX_LINE: usize = 64 * 1024;

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

/// A request line: `{"v":1,"cmd":"pause","for_secs":5400}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub v: u32,
    #[serde(flatten)]
    pub cmd: Command,
}

impl Request {
    pub fn new(cmd: Command) -> Request {
        Request {
            v: PROTOCOL_VERSION,
            cmd,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum Command {
    /// The daemon's state; answered with `status`.
    Status,
    /// Pause interval prompts; commit watching goes on.
    Pause(PauseRequest),
    Resume,
    /// Skip exactly the next interval prompt.
    Skip,
    /// Prompt now (a `manual` trigger); answered with `trigger`.
    Trigger,
    /// Re-read the config file; answered once it was applied (`reload`) or
    /// rejected (`ok: false`, the reason in `error`).
    Reload,
    /// Turn this connection into an event stream.
    Subscribe,
}

/// At most one of the fields is set; none means "until resumed".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PauseRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_secs: Option<u64>,
    /// `HH:MM` in the daemon's configured timezone (the next such time), or
    /// an RFC 3339 instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

/// One reply line. `ok` says whether the request succeeded; `message` is
/// text for people; the other fields depend on the request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub v: u32,
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Machine-readable error class: `bad_request`, `unknown_command`,
    /// `too_long`, `rejected`, `internal`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Box<Status>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<TriggerInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reload: Option<ReloadInfo>,
}

impl Response {
    pub fn ok(message: impl Into<String>) -> Response {
        Response {
            v: PROTOCOL_VERSION,
            ok: true,
            message: Some(message.into()),
            ..Response::default()
        }
    }

    pub fn error(kind: &str, error: impl Into<String>) -> Response {
        Response {
            v: PROTOCOL_VERSION,
            ok: false,
            error: Some(error.into()),
            error_kind: Some(kind.to_string()),
            ..Response::default()
        }
    }
}

/// The daemon's own view, for `devtrack status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    pub version: String,
    pub pid: u32,
    pub started: DateTime<Utc>,
    pub uptime_secs: u64,
    pub triggers_total: u64,
    pub triggers_today: u64,
    #[serde(default)]
    pub last_trigger: Option<TriggerInfo>,
    #[serde(default)]
    pub missed_slots: u64,
    pub paths: StatusPaths,
    pub scheduler: SchedulerStatus,
    pub work_hours: WorkHoursStatus,
    #[serde(default)]
    pub repositories: Vec<RepoStatus>,
    /// Why the last reload was rejected (cleared by a successful one).
    #[serde(default)]
    pub reload_error: Option<String>,
    #[serde(default)]
    pub last_reload: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusPaths {
    /// The config file in use; `None` when running on defaults.
    pub config: Option<String>,
    /// The file devtrack reads (whether or not it exists).
    pub config_expected: String,
    pub database: String,
    pub socket: String,
    pub lock: String,
    /// Where the logs go: the journal, unified logging, or the terminal.
    pub logs: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchedulerStatus {
    pub paused: bool,
    #[serde(default)]
    pub paused_until: Option<DateTime<Utc>>,
    #[serde(default)]
    pub skip_next: bool,
    pub interval_minutes: u32,
    #[serde(default)]
    pub next_trigger: Option<DateTime<Utc>>,
    pub timezone: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkHoursStatus {
    pub enabled: bool,
    /// `HH:MM`
    pub start: String,
    pub end: String,
    /// Three-letter names, Monday first.
    pub days: Vec<String>,
    pub in_hours: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepoStatus {
    pub name: String,
    pub path: String,
    #[serde(default)]
    pub project: Option<String>,
    /// `watching`, `missing`, `unsupported`, `error` or `disabled`.
    pub state: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub branch: Option<String>,
    #[serde(default)]
    pub last_commit_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_commit_summary: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriggerInfo {
    pub id: i64,
    /// `timer`, `commit`, `manual` or `catchup`.
    pub kind: String,
    pub fired_at: DateTime<Utc>,
    #[serde(default)]
    pub scheduled_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub late: bool,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReloadInfo {
    /// What changed, one line each (empty when nothing did).
    pub changes: Vec<String>,
}

/// One line of the event stream: `{"v":1,"event":"trigger",...}`. Clients
/// must ignore event types they do not know.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub v: u32,
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub body: EventBody,
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
        reason: String,
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
        commit: serde_json::Value,
    },
    /// A finished rebase: one event listing the rewritten commits.
    Rebase {
        rebase: serde_json::Value,
    },
    /// A HEAD movement that is not the developer's own work.
    RepoActivity {
        activity: serde_json::Value,
    },
    /// A watched repository changed state (missing, back, unsupported).
    Repo {
        repo: RepoStatus,
    },
    /// The daemon is shutting down.
    Stopping,
}

impl Event {
    pub fn new(at: DateTime<Utc>, body: EventBody) -> Event {
        Event {
            v: PROTOCOL_VERSION,
            at,
            body,
        }
    }
}

/// Classifies a request line that failed to decode, so the reply can tell a
/// client of another version ("unknown command") from garbage.
pub fn decode_request(line: &[u8]) -> Result<Request, Box<Response>> {
    decode(line).map_err(Box::new)
}

#[allow(clippy::result_large_err)] // boxed by the one caller above
fn decode(line: &[u8]) -> Result<Request, Response> {
    if line.len() > MAX_LINE {
        return Err(Response::error(
            "too_long",
            format!("request line longer than {MAX_LINE} bytes"),
        ));
    }
    let value: serde_json::Value = serde_json::from_slice(line)
        .map_err(|e| Response::error("bad_request", format!("invalid JSON: {e}")))?;
    let Some(obj) = value.as_object() else {
        return Err(Response::error(
            "bad_request",
            "a request must be a JSON object",
        ));
    };
    match obj.get("v").and_then(|v| v.as_u64()) {
        Some(v) if v == u64::from(PROTOCOL_VERSION) => {}
        Some(v) => {
            return Err(Response::error(
                "unsupported_version",
                format!("protocol version {v} is not supported (this daemon speaks {PROTOCOL_VERSION}); are client and daemon up to date?"),
            ))
        }
        None => return Err(Response::error("bad_request", "missing protocol version `v`")),
    }
    let Some(cmd) = obj.get("cmd").and_then(|c| c.as_str()) else {
        return Err(Response::error("bad_request", "missing `cmd`"));
    };
    const KNOWN: &[&str] = &[
        "status",
        "pause",
        "resume",
        "skip",
        "trigger",
        "reload",
        "subscribe",
    ];
    if !KNOWN.contains(&cmd) {
        return Err(Response::error(
            "unknown_command",
            format!("unknown command `{cmd}`; the daemon may run a different devtrack version (restart it)"),
        ));
    }
    let cmd = cmd.to_string();
    serde_json::from_value(value)
        .map_err(|e| Response::error("bad_request", format!("invalid `{cmd}` request: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_in_the_documented_shape() {
        let req = Request::new(Command::Status);
        assert_eq!(
            serde_json::to_string(&req).unwrap(),
            r#"{"v":1,"cmd":"status"}"#
        );
        let pause = Request::new(Command::Pause(PauseRequest {
            for_secs: Some(5400),
            until: None,
        }));
        assert_eq!(
            serde_json::to_string(&pause).unwrap(),
            r#"{"v":1,"cmd":"pause","for_secs":5400}"#
        );
        assert_eq!(
            decode_request(br#"{"v":1,"cmd":"pause","until":"17:00"}"#).unwrap(),
            Request::new(Command::Pause(PauseRequest {
                for_secs: None,
                until: Some("17:00".into())
            }))
        );
        assert_eq!(
            decode_request(br#"{"v":1,"cmd":"pause"}"#).unwrap(),
            Request::new(Command::Pause(PauseRequest::default()))
        );
    }

    #[test]
    fn unknown_fields_are_ignored() {
        assert_eq!(
            decode_request(br#"{"v":1,"cmd":"skip","from":"a newer client"}"#).unwrap(),
            Request::new(Command::Skip)
        );
    }

    #[test]
    fn bad_lines_get_classified_errors() {
        let kind = |line: &[u8]| decode_request(line).unwrap_err().error_kind.unwrap();
        assert_eq!(kind(b"not json"), "bad_request");
        assert_eq!(kind(b"[1,2]"), "bad_request");
        assert_eq!(kind(br#"{"cmd":"status"}"#), "bad_request");
        assert_eq!(kind(br#"{"v":9,"cmd":"status"}"#), "unsupported_version");
        assert_eq!(kind(br#"{"v":1,"cmd":"explode"}"#), "unknown_command");
        assert_eq!(
            kind(br#"{"v":1,"cmd":"pause","for_secs":"soon"}"#),
            "bad_request"
        );
        assert_eq!(kind(&vec![b' '; MAX_LINE + 1]), "too_long");
    }

    #[test]
    fn events_are_tagged_lines() {
        let at = DateTime::parse_from_rfc3339("2026-11-26T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let e = Event::new(at, EventBody::Resumed);
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"v":1,"at":"2026-11-26T09:00:00Z","event":"resumed"}"#
        );
        let back: Event = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!(back, e);
    }
}
