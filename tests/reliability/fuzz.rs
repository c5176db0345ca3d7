//! Property tests of the parsers that read what others write: the config
//! loader, the reflog line parser, the control socket's request decoder and
//! the ticket extractor. Each runs an explicit number of proptest cases
//! (counted as they run, shrinking included, and printed as a figure),
//! must never panic, and has a per-case time bound: a watchdog ends the
//! whole test process when one case runs longer, since a hung case cannot
//! be stopped from outside its thread.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use devtrack::daemon::gitwatch::reflog;
use devtrack::protocol::{self, ErrorKind};
use devtrack::tickets::{self, Families};

use super::{figure, scale};

/// A single case: a thousand times what the slowest takes on a busy machine.
const CASE_BOUND: Duration = Duration::from_secs(10);

/// Runs `cases` cases of `strategy` through `check`, and prints the figure.
fn fuzz<S: Strategy>(
    name: &str,
    what: &str,
    cases: usize,
    strategy: S,
    check: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S::Value: std::fmt::Debug,
{
    let mut runner = TestRunner::new(Config {
        cases: cases as u32,
        // The case count is the point: no persisted failures replayed on
        // top, no forking (the watchdog stands in for the timeout).
        failure_persistence: None,
        max_shrink_iters: 1024,
        ..Config::default()
    });
    let ran = AtomicUsize::new(0);
    let (tick, ticks) = mpsc::channel::<Option<()>>();
    let test = name.to_owned();
    let watchdog = std::thread::spawn(move || loop {
        match ticks.recv_timeout(CASE_BOUND) {
            Ok(Some(_)) => {}
            Ok(None) | Err(mpsc::RecvTimeoutError::Disconnected) => return,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                eprintln!("{test}: a case ran longer than {CASE_BOUND:?}: a hang");
                std::process::exit(101);
            }
        }
    });
    let started = Instant::now();
    let slowest = std::cell::Cell::new(Duration::ZERO);
    let result = runner.run(&strategy, |value| {
        let _ = tick.send(Some(()));
        ran.fetch_add(1, Ordering::Relaxed);
        let case = Instant::now();
        let outcome = check(value);
        slowest.set(slowest.get().max(case.elapsed()));
        outcome
    });
    let _ = tick.send(None);
    watchdog.join().unwrap();
    let ran = ran.into_inner();
    figure(
        &format!("fuzz::{name}"),
        what,
        ran,
        &format!(
            "{}; {} ms in all, slowest case {} ms (bound {} s)",
            if result.is_ok() {
                "0 panics, 0 hangs"
            } else {
                "FAILED"
            },
            started.elapsed().as_millis(),
            slowest.get().as_millis(),
            CASE_BOUND.as_secs()
        ),
    );
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
    assert!(ran >= cases, "{name}: only {ran} of {cases} cases ran");
}

// ---- the config loader ----

/// Pieces of YAML and of devtrack's config, joined at random: keys, values,
/// indentation, flow brackets, anchors, aliases, tags, quotes, comments,
/// document markers, a BOM, CRLF, tabs.
const YAML_PIECES: &[&str] = &[
    "settings:",
    "repositories:",
    "integrations:",
    "version: 1",
    "prompt_interval: ",
    "work_hours_only: ",
    "work_start: ",
    "work_end: ",
    "work_days: ",
    "timezone: ",
    "log_level: ",
    "commit_triggers: ",
    "authors: ",
    "commit_debounce_ms: ",
    "name: ",
    "path: ",
    "enabled: ",
    "github:",
    "jira:",
    "- ",
    "  ",
    "    ",
    "\t",
    "\n",
    "\r\n",
    ": ",
    ":",
    ",",
    "[",
    "]",
    "{",
    "}",
    "&a ",
    "*a",
    "&b ",
    "*b",
    "!!str ",
    "!!int ",
    "!tag ",
    "'",
    "\"",
    "\\",
    "# c",
    "---\n",
    "...\n",
    "|\n",
    ">-\n",
    "? ",
    "~",
    "null",
    "true",
    "no",
    "0",
    "45",
    "-1",
    "1e9",
    "0x1f",
    "99999999999999999999",
    "09:00",
    "25:61",
    "Europe/Berlin",
    "Mars/Olympus",
    "mon-fri",
    "~/src",
    "/",
    "\u{feff}",
    "\u{0}",
    "\u{7f}",
    "é",
    "💥",
    "<<: *a",
    "%YAML 1.2\n",
    "%TAG ! tag:x:\n",
];

fn yaml_ish() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(YAML_PIECES), 0..80).prop_map(|v| v.concat())
}

/// The richest good fixture with random byte edits: near-valid configs.
fn mutated_config() -> impl Strategy<Value = Vec<u8>> {
    let base = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config/good/every_new_key.yaml"),
    )
    .unwrap();
    let edit = (any::<prop::sample::Index>(), 0u8..3, any::<u8>());
    prop::collection::vec(edit, 1..8).prop_map(move |edits| {
        let mut bytes = base.clone();
        for (at, kind, byte) in edits {
            let i = at.index(bytes.len() + 1);
            match kind {
                0 => bytes.insert(i, byte),
                1 if i < bytes.len() => {
                    bytes.remove(i);
                }
                _ if i < bytes.len() => bytes[i] = byte,
                _ => bytes.push(byte),
            }
        }
        bytes
    })
}

/// A config error must say where the problem is, in one line, plus a hint.
fn loads_or_explains(bytes: &[u8]) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, bytes).unwrap();
    if let Err(err) = devtrack::config::load(&path) {
        prop_assert_eq!(&err.file, &path);
        prop_assert!(!err.message.is_empty());
        let shown = err.to_string();
        prop_assert!(shown.lines().count() <= 2, "{}", shown);
        if let Some(line) = err.line {
            prop_assert!(
                line >= 1 && line <= bytes.split(|b| *b == b'\n').count(),
                "line {} of {:?}",
                line,
                shown
            );
        }
    }
    Ok(())
}

#[test]
fn config_loader_on_arbitrary_bytes() {
    fuzz(
        "config_bytes",
        "config::load on arbitrary bytes (0-2 KiB)",
        scale(2_000, 50_000),
        prop::collection::vec(any::<u8>(), 0..2048),
        |b| loads_or_explains(&b),
    );
}

#[test]
fn config_loader_on_yaml_ish_text() {
    fuzz(
        "config_yaml_ish",
        "config::load on random joins of YAML and config pieces",
        scale(4_000, 100_000),
        yaml_ish(),
        |s| loads_or_explains(s.as_bytes()),
    );
}

#[test]
fn config_loader_on_mutated_configs() {
    fuzz(
        "config_mutated",
        "config::load on a full config with 1-7 random byte edits",
        scale(3_000, 60_000),
        mutated_config(),
        |b| loads_or_explains(&b),
    );
}

// ---- the reflog line parser ----

fn reflog_ish() -> impl Strategy<Value = String> {
    let hash = prop_oneof![
        "[0-9a-f]{40}",
        "[0-9a-f]{64}",
        "0{40}",
        "[0-9a-fA-Fg]{0,70}"
    ];
    let ident = prop_oneof![
        "[^<>\n]{0,20} <[^<>\n]{0,20}>",
        "[ -~]{0,30}",
        Just(String::new()),
        Just("<>".to_owned()),
        Just("a <b> <c>".to_owned()),
    ];
    let time = prop_oneof![
        "[0-9]{1,12}",
        "-[0-9]{1,20}",
        Just("99999999999999999999".to_owned()),
        "[ -~]{0,6}",
    ];
    let tz = prop_oneof![
        "[+-][0-9]{4}",
        "[+-]?[0-9]{0,6}",
        Just("+9999".to_owned()),
        "[ -~]{0,5}"
    ];
    let tail = prop_oneof!["\t[^\n]{0,40}", Just(String::new()), "[\t\r\n ]{0,3}"];
    let sep = prop_oneof![Just(" "), Just("  "), Just("\t"), Just("")];
    (
        hash.clone(),
        sep.clone(),
        hash,
        sep,
        ident,
        sep_time(),
        time,
        tz,
        tail,
    )
        .prop_map(|(old, s1, new, s2, ident, s3, time, tz, tail)| {
            format!("{old}{s1}{new}{s2}{ident}{s3}{time} {tz}{tail}")
        })
}

fn sep_time() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just(" "), Just(""), Just("  ")]
}

#[test]
fn reflog_parser_on_near_valid_lines() {
    fuzz(
        "reflog_lines",
        "reflog::parse_line on generated near-valid lines",
        scale(4_000, 100_000),
        reflog_ish(),
        |line| {
            if let Ok(parsed) = reflog::parse_line(&line) {
                prop_assert!(line.contains(&parsed.old) && line.contains(&parsed.new));
                prop_assert!(line.contains(&parsed.message));
            }
            Ok(())
        },
    );
}

#[test]
fn reflog_splitter_and_parser_on_arbitrary_bytes() {
    fuzz(
        "reflog_bytes",
        "reflog::complete_lines + parse_line on arbitrary bytes (0-1 KiB)",
        scale(2_000, 50_000),
        prop::collection::vec(any::<u8>(), 0..1024),
        |bytes| {
            let (lines, used) = reflog::complete_lines(&bytes);
            prop_assert!(used <= bytes.len());
            for line in lines {
                let _ = reflog::parse_line(&String::from_utf8_lossy(line));
            }
            Ok(())
        },
    );
}

// ---- the control socket's request decoder ----

fn json_leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("1".to_owned()),
        Just("0".to_owned()),
        Just("-1".to_owned()),
        Just("1e400".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just("4294967296".to_owned()),
        Just("[]".to_owned()),
        Just("{}".to_owned()),
        "\"[ -~é\\\\]{0,12}\"",
        "-?[0-9]{1,25}(\\.[0-9]{1,5})?",
    ]
}

fn request_ish() -> impl Strategy<Value = Vec<u8>> {
    let key = prop_oneof![
        Just("v"),
        Just("cmd"),
        Just("for_secs"),
        Just("until"),
        Just("x"),
        Just(""),
        Just("V"),
    ];
    let cmd = prop_oneof![
        Just("\"status\""),
        Just("\"pause\""),
        Just("\"resume\""),
        Just("\"skip\""),
        Just("\"trigger\""),
        Just("\"reload\""),
        Just("\"subscribe\""),
        Just("\"nope\""),
        Just("1"),
        Just("null"),
        Just("\"Status\""),
    ];
    let field = (key, prop_oneof![cmd.prop_map(str::to_owned), json_leaf()])
        .prop_map(|(k, v)| format!("\"{k}\":{v}"));
    let object =
        prop::collection::vec(field, 0..6).prop_map(|fields| format!("{{{}}}", fields.join(",")));
    prop_oneof![
        4 => object.prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..256),
        1 => "[ -~]{0,64}".prop_map(String::into_bytes),
    ]
}

#[test]
fn request_decoder_on_request_ish_lines() {
    fuzz(
        "request_lines",
        "protocol::decode_request on generated JSON-ish lines and bytes",
        scale(4_000, 100_000),
        request_ish(),
        |line| {
            match protocol::decode_request(&line) {
                Ok(request) => {
                    // What decodes re-encodes and decodes the same.
                    let again = serde_json::to_vec(&request).unwrap();
                    prop_assert_eq!(protocol::decode_request(&again).ok(), Some(request));
                }
                Err(failure) => prop_assert!(
                    !failure.error.is_empty() && failure.kind != ErrorKind::Internal,
                    "{:?}",
                    failure
                ),
            }
            Ok(())
        },
    );
}

// ---- the ticket extractor ----

const TICKET_PIECES: &[&str] = &[
    "#",
    "GH-",
    "gh-",
    "ABC-",
    "AB#",
    "A-",
    "UTF-",
    "SHA-",
    "CVE-",
    "owner/repo#",
    "/",
    "0",
    "1",
    "12",
    "1234567",
    "12345678",
    "00",
    ".5",
    "-5",
    " ",
    "\n",
    "é",
    "ß",
    "_",
    "a",
    "Z",
    "(",
    ")",
    "[",
    "]",
    ":",
    "💥",
    "\u{0}",
];

#[test]
fn ticket_extractor_on_ticket_ish_text() {
    let text = prop_oneof![
        3 => prop::collection::vec(prop::sample::select(TICKET_PIECES), 0..40).prop_map(|v| v.concat()),
        1 => any::<String>(),
    ];
    let families =
        (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(github, jira, azure_devops)| {
            Families {
                github,
                jira,
                azure_devops,
            }
        });
    fuzz(
        "tickets",
        "tickets::extract on ticket-ish and arbitrary text, any families",
        scale(4_000, 100_000),
        (text, families),
        |(text, families)| {
            let found = tickets::extract(&text, families);
            prop_assert!(found.len() <= text.len());
            for t in &found {
                prop_assert!(
                    families.contains(t.family),
                    "{:?} from a disabled family",
                    t
                );
                let digits = t.key.rsplit(['#', '-']).next().unwrap_or("");
                prop_assert!(
                    !digits.is_empty() && text.contains(digits),
                    "{:?} in {:?}",
                    t,
                    text
                );
            }
            Ok(())
        },
    );
}
