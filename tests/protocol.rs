//! The wire format against lines recorded from a running daemon
//! (tests/fixtures/protocol/v1/, written by scripts/record-protocol-fixtures):
//! each decodes with the protocol types and encodes back to the same JSON,
//! so clients written against what the daemon sent keep working. The
//! recordings hold every event, error kind and kind of reply, and
//! docs/protocol.md names exactly the events and error kinds the types have.

use std::collections::BTreeSet;
use std::path::PathBuf;

use devtrack::protocol::{self, ErrorKind, Event, EventBody, Hello, Response};

fn fixture(name: &str) -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/protocol/v1")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading `{}`: {e}", path.display()));
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    assert!(!lines.is_empty(), "`{}` is empty", path.display());
    lines
}

/// `encoded` is the JSON of `line` (objects compare by their members).
fn assert_same_json(line: &str, encoded: String) {
    let recorded: serde_json::Value = serde_json::from_str(line).unwrap();
    let encoded: serde_json::Value = serde_json::from_str(&encoded).unwrap();
    assert_eq!(encoded, recorded, "re-encoding changed the line {line}");
}

#[test]
fn recorded_hello_lines_decode_and_encode_back() {
    for line in fixture("hello.jsonl") {
        let hello: Hello = serde_json::from_str(&line).unwrap();
        assert_eq!(hello.hello.protocol, protocol::PROTOCOL_VERSION);
        assert_same_json(&line, serde_json::to_string(&hello).unwrap());
    }
}

#[test]
fn recorded_requests_decode_and_encode_back() {
    for line in fixture("requests.jsonl") {
        let request =
            protocol::decode_request(line.as_bytes()).unwrap_or_else(|e| panic!("{line}: {e:?}"));
        assert_same_json(&line, serde_json::to_string(&request).unwrap());
    }
}

#[test]
fn recorded_replies_decode_and_encode_back() {
    for line in fixture("replies.jsonl") {
        let reply: Response = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_same_json(&line, serde_json::to_string(&reply).unwrap());
    }
}

#[test]
fn recorded_events_decode_and_encode_back() {
    for line in fixture("events.jsonl") {
        let event: Event = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_same_json(&line, serde_json::to_string(&event).unwrap());
    }
}

/// The wire name of every event the daemon sends, by an exhaustive match:
/// a new [`EventBody`] variant does not compile until it is named here, and
/// then needs a recorded line (re-run the script) and a row in the doc.
fn event_name(body: &EventBody) -> Option<&'static str> {
    Some(match body {
        EventBody::Trigger { .. } => "trigger",
        EventBody::Missed { .. } => "missed",
        EventBody::Paused { .. } => "paused",
        EventBody::Resumed => "resumed",
        EventBody::Skipped => "skipped",
        EventBody::Reloaded { .. } => "reloaded",
        EventBody::ReloadRejected { .. } => "reload_rejected",
        EventBody::Commit { .. } => "commit",
        EventBody::Rebase { .. } => "rebase",
        EventBody::RepoActivity { .. } => "repo_activity",
        EventBody::Repo { .. } => "repo",
        EventBody::Prompt { .. } => "prompt",
        EventBody::Sync { .. } => "sync",
        EventBody::Stopping => "stopping",
        EventBody::Unknown => return None,
    })
}

const EVENTS: [&str; 14] = [
    "trigger",
    "missed",
    "paused",
    "resumed",
    "skipped",
    "reloaded",
    "reload_rejected",
    "commit",
    "rebase",
    "repo_activity",
    "repo",
    "prompt",
    "sync",
    "stopping",
];

/// The same for [`ErrorKind`].
fn error_kind_name(kind: ErrorKind) -> Option<&'static str> {
    Some(match kind {
        ErrorKind::BadRequest => "bad_request",
        ErrorKind::UnknownCommand => "unknown_command",
        ErrorKind::UnsupportedVersion => "unsupported_version",
        ErrorKind::TooLong => "too_long",
        ErrorKind::Rejected => "rejected",
        ErrorKind::PermissionDenied => "permission_denied",
        ErrorKind::Internal => "internal",
        ErrorKind::NotFound => "not_found",
        ErrorKind::Conflict => "conflict",
        ErrorKind::Other => return None,
    })
}

const ERROR_KINDS: [&str; 9] = [
    "bad_request",
    "unknown_command",
    "unsupported_version",
    "too_long",
    "rejected",
    "permission_denied",
    "internal",
    "not_found",
    "conflict",
];

/// The same for the kinds of [`Response`].
fn reply_name(reply: &Response) -> &'static str {
    match reply {
        Response::Done { .. } => "done",
        Response::Status { .. } => "status",
        Response::Triggered { .. } => "triggered",
        Response::Reloaded { .. } => "reloaded",
        Response::Noted { .. } => "noted",
        Response::Prompt { .. } => "prompt",
        Response::Prompts { .. } => "prompts",
        Response::Metrics { .. } => "metrics",
        Response::Doctor { .. } => "doctor",
        Response::Failed(_) => "failed",
    }
}

fn set<'a>(names: impl IntoIterator<Item = &'a str>) -> BTreeSet<&'a str> {
    names.into_iter().collect()
}

#[test]
fn the_recordings_hold_every_event_error_kind_and_reply() {
    let mut events = BTreeSet::new();
    for line in fixture("events.jsonl") {
        let event: Event = serde_json::from_str(&line).unwrap();
        let raw: serde_json::Value = serde_json::from_str(&line).unwrap();
        let name = event_name(&event.body).unwrap_or_else(|| panic!("not decoded: {line}"));
        assert_eq!(raw["event"], name, "{line}");
        events.insert(name);
    }
    assert_eq!(events, set(EVENTS));

    let mut kinds = BTreeSet::new();
    let mut replies = BTreeSet::new();
    for line in fixture("replies.jsonl") {
        let reply: Response = serde_json::from_str(&line).unwrap();
        replies.insert(reply_name(&reply));
        if let Response::Failed(f) = reply {
            let raw: serde_json::Value = serde_json::from_str(&line).unwrap();
            let name = error_kind_name(f.kind).unwrap_or_else(|| panic!("not decoded: {line}"));
            assert_eq!(raw["error_kind"], name, "{line}");
            kinds.insert(name);
        }
    }
    assert_eq!(kinds, set(ERROR_KINDS));
    assert_eq!(
        replies,
        set([
            "done",
            "status",
            "triggered",
            "reloaded",
            "noted",
            "prompt",
            "prompts",
            "metrics",
            "doctor",
            "failed"
        ])
    );
}

/// The first cell (a `code` name) of each row of the Markdown table whose
/// header's first cell is `header` (e.g. "`event`").
fn table_names(doc: &str, header: &str) -> BTreeSet<String> {
    let mut lines = doc.lines().map(str::trim);
    let found = lines
        .by_ref()
        .any(|l| l.starts_with('|') && l.trim_start_matches('|').trim().starts_with(header));
    assert!(found, "docs/protocol.md has no table headed {header}");
    lines
        .skip(1) // |---|---|
        .take_while(|l| l.starts_with('|'))
        .map(|row| {
            let cell = row
                .trim_start_matches('|')
                .split('|')
                .next()
                .unwrap()
                .trim();
            cell.trim_matches('`').to_string()
        })
        .collect()
}

#[test]
fn the_protocol_doc_names_every_event_and_error_kind() {
    let doc =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/protocol.md"))
            .unwrap();
    let events = table_names(&doc, "`event`");
    assert_eq!(
        events.iter().map(String::as_str).collect::<BTreeSet<_>>(),
        set(EVENTS)
    );
    let kinds = table_names(&doc, "`error_kind`");
    assert_eq!(
        kinds.iter().map(String::as_str).collect::<BTreeSet<_>>(),
        set(ERROR_KINDS)
    );
    // The names in the doc are the types' own.
    for name in &kinds {
        let kind: ErrorKind = serde_json::from_value(name.as_str().into()).unwrap();
        assert_eq!(error_kind_name(kind), Some(name.as_str()));
    }
}
