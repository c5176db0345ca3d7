//! Requests, and classifying a request line that does not decode, so the
//! reply can tell a client of another version ("unknown command") from
//! garbage.

use serde::{Deserialize, Serialize};

use super::response::{ErrorKind, Failure};
use super::{MAX_LINE, PROTOCOL_VERSION};

/// A request line: `{"v":1,"cmd":"pause","for_secs":5400}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub v: u32,
    #[serde(flatten)]
    pub cmd: Command,
}

impl Request {
    pub(crate) fn new(cmd: Command) -> Request {
        Request {
            v: PROTOCOL_VERSION,
            cmd,
        }
    }
}

/// One variant per request; the daemon answers each in its own handler
/// (`daemon::control::handlers`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum Command {
    /// The daemon's state; answered with `status`.
    Status,
    /// Pause interval prompts; commit watching goes on.
    Pause(PauseRequest),
    Resume,
    /// Skip exactly the next interval prompt, and the outstanding prompt
    /// if there is one.
    Skip,
    /// Answer a prompt (the given one, else the oldest outstanding one) or,
    /// with none outstanding, record a standalone update; answered with
    /// `note`.
    Note(NoteRequest),
    /// Put the outstanding prompt off; answered with `prompt`.
    Snooze(SnoozeRequest),
    /// Recent prompts, newest first; answered with `prompts`.
    Prompts(PromptsRequest),
    /// Prompt now (a `manual` trigger); answered with `trigger`.
    Trigger,
    /// Re-read the config file; answered once it was applied (`reload`) or
    /// rejected (`ok: false`, the reason in `error`).
    Reload,
    /// The daemon's counters and gauges as OpenMetrics text; answered with
    /// `metrics`.
    Metrics,
    /// Turn this connection into an event stream.
    Subscribe,
    /// The daemon's own view for `devtrack doctor`; answered with
    /// `doctor`.
    Doctor,
    /// Look at the outbox now (after `devtrack sync push` or `sync retry`
    /// changed it in the store); answered with `done`.
    SyncNow,
    /// A command this version does not know; [`decode_request`] answers it
    /// with `unknown_command`. Never sent.
    #[serde(other, skip_serializing)]
    Unknown,
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

/// `note`: the answer's text and, optionally, the prompt it answers and
/// who wrote it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NoteRequest {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<i64>,
    /// Absent (older clients, other tools): `socket`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<NoteSource>,
}

/// Who wrote a `note`, as the store records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NoteSource {
    /// `devtrack note`.
    Cli,
    /// Another program on the socket; also any source this version does
    /// not know.
    #[serde(other)]
    Socket,
}

/// `snooze`: for how long; neither field means the configured
/// `prompts.snooze`. `seconds` wins when both are set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SnoozeRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<u64>,
}

/// `prompts`: at most `limit` (default 20, at most 1000).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PromptsRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
}

/// Decodes one request line, or says why it is not one.
pub fn decode_request(line: &[u8]) -> Result<Request, Failure> {
    let bad = |error: String| Failure::new(ErrorKind::BadRequest, error);
    if line.len() > MAX_LINE {
        return Err(Failure::new(
            ErrorKind::TooLong,
            format!("request line longer than {MAX_LINE} bytes"),
        ));
    }
    let value: serde_json::Value =
        serde_json::from_slice(line).map_err(|e| bad(format!("invalid JSON: {e}")))?;
    let Some(obj) = value.as_object() else {
        return Err(bad("a request must be a JSON object".into()));
    };
    match obj.get("v").and_then(|v| v.as_u64()) {
        Some(v) if v == u64::from(PROTOCOL_VERSION) => {}
        Some(v) => {
            return Err(Failure::new(
                ErrorKind::UnsupportedVersion,
                format!("protocol version {v} is not supported (this daemon speaks {PROTOCOL_VERSION}); are client and daemon up to date?"),
            ))
        }
        None => return Err(bad("missing protocol version `v`".into())),
    }
    let Some(cmd) = obj.get("cmd").and_then(|c| c.as_str()) else {
        return Err(bad("missing `cmd`".into()));
    };
    let cmd = cmd.to_string();
    let request: Request =
        serde_json::from_value(value).map_err(|e| bad(format!("invalid `{cmd}` request: {e}")))?;
    if request.cmd == Command::Unknown {
        return Err(Failure::new(
            ErrorKind::UnknownCommand,
            format!("unknown command `{cmd}`; the daemon may run a different devtrack version (restart it)"),
        ));
    }
    Ok(request)
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
    fn prompt_requests_in_the_documented_shape() {
        let note = Request::new(Command::Note(NoteRequest {
            text: "fixed #12".into(),
            prompt: Some(4),
            source: None,
        }));
        assert_eq!(
            serde_json::to_string(&note).unwrap(),
            r#"{"v":1,"cmd":"note","text":"fixed #12","prompt":4}"#
        );
        let from_cli = Request::new(Command::Note(NoteRequest {
            text: "x".into(),
            prompt: None,
            source: Some(NoteSource::Cli),
        }));
        assert_eq!(
            serde_json::to_string(&from_cli).unwrap(),
            r#"{"v":1,"cmd":"note","text":"x","source":"cli"}"#
        );
        for (line, source) in [
            (
                r#"{"v":1,"cmd":"note","text":"x","source":"cli"}"#,
                Some(NoteSource::Cli),
            ),
            (
                r#"{"v":1,"cmd":"note","text":"x","source":"socket"}"#,
                Some(NoteSource::Socket),
            ),
            (
                r#"{"v":1,"cmd":"note","text":"x","source":"a pager"}"#,
                Some(NoteSource::Socket),
            ),
            (r#"{"v":1,"cmd":"note","text":"x"}"#, None),
        ] {
            let Command::Note(note) = decode_request(line.as_bytes()).unwrap().cmd else {
                panic!("{line}");
            };
            assert_eq!(note.source, source, "{line}");
        }
        assert_eq!(
            decode_request(br#"{"v":1,"cmd":"snooze"}"#).unwrap(),
            Request::new(Command::Snooze(SnoozeRequest::default()))
        );
        assert_eq!(
            decode_request(br#"{"v":1,"cmd":"prompts","limit":5}"#).unwrap(),
            Request::new(Command::Prompts(PromptsRequest { limit: Some(5) }))
        );
        assert_eq!(
            decode_request(br#"{"v":1,"cmd":"note"}"#).unwrap_err().kind,
            ErrorKind::BadRequest
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
        use ErrorKind::*;
        let kind = |line: &[u8]| decode_request(line).unwrap_err().kind;
        assert_eq!(kind(b"not json"), BadRequest);
        assert_eq!(kind(b"[1,2]"), BadRequest);
        assert_eq!(kind(br#"{"cmd":"status"}"#), BadRequest);
        assert_eq!(kind(br#"{"v":9,"cmd":"status"}"#), UnsupportedVersion);
        assert_eq!(kind(br#"{"v":1,"cmd":"explode"}"#), UnknownCommand);
        assert_eq!(
            kind(br#"{"v":1,"cmd":"pause","for_secs":"soon"}"#),
            BadRequest
        );
        assert_eq!(kind(&vec![b' '; MAX_LINE + 1]), TooLong);
    }

    #[test]
    fn an_unknown_command_is_named_whatever_its_fields() {
        let f = decode_request(br#"{"v":1,"cmd":"explode","for_secs":"soon"}"#).unwrap_err();
        assert_eq!(f.kind, ErrorKind::UnknownCommand);
        assert!(
            f.error.starts_with("unknown command `explode`"),
            "{}",
            f.error
        );
    }
}
