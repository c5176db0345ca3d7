//! The wire format against lines recorded from a running daemon
//! (tests/fixtures/protocol/v1/, written by scripts/record-protocol-fixtures):
//! each decodes with the protocol types and encodes back to the same JSON,
//! so clients written against what the daemon sent keep working.

use std::path::PathBuf;

use devtrack::protocol::{self, Event, Hello, Response};

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
