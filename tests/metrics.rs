//! `devtrack metrics` end to end: the text a running daemon gives is read
//! by a real OpenMetrics parser (the Prometheus project's Python client,
//! Debian's python3-prometheus-client), and its counters move after a
//! commit, a prompt, an answer and a reload, and keep their values across a
//! restart; `devtrack status` shows the daemon's resources.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use crate::prompts::{commit, prompt_event, with_repo};
use crate::util::{git_repo, skip, text, Env, EventStream};

/// Debian's interpreter, not one on PATH (pyenv and the like have no
/// `prometheus_client`).
const PYTHON: &str = "/usr/bin/python3";

/// Parses stdin with the OpenMetrics parser; prints each sample as
/// `{"name", "labels", "value", "type"}`, one JSON document in all.
const PARSE: &str = r#"
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
out = []
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        out.append({"name": s.name, "labels": s.labels, "value": s.value, "type": family.type})
print(json.dumps(out))
"#;

/// Whether the parser is there; else the calling test skips (fails in CI).
fn parser_present(test: &str) -> bool {
    let present = Command::new(PYTHON)
        .args(["-c", "import prometheus_client.openmetrics.parser"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !present {
        skip(
            test,
            "no OpenMetrics parser: install python3-prometheus-client (for /usr/bin/python3)",
        );
    }
    present
}

/// A sample: its name and labels (`name{k="v",…}`, labels sorted).
type Samples = BTreeMap<String, f64>;

/// `devtrack metrics`, parsed by the real parser (which refuses text that
/// is not OpenMetrics, a missing `# EOF` included).
fn metrics(env: &Env) -> Samples {
    let out = env.run(["metrics"]);
    assert!(out.status.success(), "{}", text(&out));
    let body = String::from_utf8(out.stdout).unwrap();
    assert!(body.ends_with("# EOF\n"), "{body}");
    let mut python = Command::new(PYTHON)
        .args(["-c", PARSE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    python
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let parsed = python.wait_with_output().unwrap();
    assert!(
        parsed.status.success(),
        "the OpenMetrics parser refused the text: {}\n{body}",
        String::from_utf8_lossy(&parsed.stderr)
    );
    let samples: Vec<serde_json::Value> = serde_json::from_slice(&parsed.stdout).unwrap();
    let mut out = Samples::new();
    for s in samples {
        let labels: BTreeMap<String, String> = serde_json::from_value(s["labels"].clone()).unwrap();
        let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
        let name = s["name"].as_str().unwrap();
        if s["type"] == "counter" {
            assert!(
                name.ends_with("_total") || name.ends_with("_created"),
                "{name}"
            );
        }
        let key = if labels.is_empty() {
            name.to_string()
        } else {
            format!("{name}{{{}}}", labels.join(","))
        };
        out.insert(key, s["value"].as_f64().unwrap());
    }
    out
}

fn get(samples: &Samples, key: &str) -> f64 {
    *samples
        .get(key)
        .unwrap_or_else(|| panic!("no `{key}` in {samples:#?}"))
}

/// `key` went up by exactly `by` from `before` to `after`.
fn moved(before: &Samples, after: &Samples, key: &str, by: f64) {
    assert_eq!(get(after, key) - get(before, key), by, "{key}");
}

#[test]
fn metrics_need_a_running_daemon() {
    let env = Env::new();
    let out = env.run(["metrics"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(out.stdout.is_empty(), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("devtrack: devtrack is not running"),
        "{err}"
    );
    assert!(err.contains("\nhint: "), "{err}");
}

#[test]
fn counters_move_after_a_commit_a_prompt_an_answer_and_a_reload() {
    if !parser_present("counters_move_after_a_commit_a_prompt_an_answer_and_a_reload") {
        return;
    }
    let env = Env::new();
    let repo = env.cwd.join("api");
    git_repo(&repo);
    env.write_config(&with_repo(&repo));
    let daemon = env.start();
    let events = EventStream::open(&env);
    let start = metrics(&env);
    assert_eq!(
        get(&start, r#"devtrack_repositories{state="watching"}"#),
        1.0
    );
    assert_eq!(get(&start, "devtrack_prompt_open"), 0.0);
    for standard in [
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_virtual_memory_bytes",
        "process_open_fds",
        "process_max_fds",
        "process_start_time_seconds",
    ] {
        assert!(get(&start, standard) > 0.0, "{standard}");
    }
    // The daemon watches the repository: inotify watches in use.
    assert!(get(&start, "devtrack_inotify_watches") >= 1.0);

    // A commit: stored, a commit trigger, a prompt opened.
    commit(&repo, "a.txt", "Fix the login");
    let opened = prompt_event(&events, "opened");
    let after_commit = metrics(&env);
    moved(
        &start,
        &after_commit,
        r#"devtrack_commits_total{kind="commit"}"#,
        1.0,
    );
    moved(
        &start,
        &after_commit,
        r#"devtrack_triggers_total{kind="commit"}"#,
        1.0,
    );
    moved(
        &start,
        &after_commit,
        r#"devtrack_prompts_total{outcome="opened"}"#,
        1.0,
    );
    assert_eq!(get(&after_commit, "devtrack_prompt_open"), 1.0);

    // The answer.
    let out = env.run(["note", "fixed the login"]);
    assert!(out.status.success(), "{}", text(&out));
    let answered = prompt_event(&events, "answered");
    assert_eq!(answered["id"], opened["id"]);
    let after_answer = metrics(&env);
    moved(
        &after_commit,
        &after_answer,
        r#"devtrack_updates_total{source="cli"}"#,
        1.0,
    );
    moved(
        &after_commit,
        &after_answer,
        r#"devtrack_prompts_total{outcome="answered"}"#,
        1.0,
    );
    assert_eq!(get(&after_answer, "devtrack_prompt_open"), 0.0);

    // A reload that changes nothing (it answers once applied).
    let out = env.run(["reload"]);
    assert!(out.status.success(), "{}", text(&out));
    let after_reload = metrics(&env);
    moved(
        &after_answer,
        &after_reload,
        r#"devtrack_reloads_total{result="unchanged"}"#,
        1.0,
    );

    // The counters come from the store: a new daemon starts from them.
    drop(events);
    assert!(daemon.stop().success());
    let _daemon = env.start();
    let restarted = metrics(&env);
    for (key, value) in &after_reload {
        if key.starts_with("devtrack_") && key.contains("_total") {
            assert_eq!(restarted.get(key), Some(value), "{key}");
        }
    }
}

#[test]
fn status_shows_the_daemons_resources() {
    let env = Env::new();
    env.write_config("repositories: []\nsettings:\n  timezone: UTC\n");
    let _daemon = env.start();
    let status = env.status();
    let r = &status["daemon"]["resources"];
    assert!(r["cpu_secs"].as_f64().is_some(), "{status}");
    assert!(r["open_fds"].as_u64().unwrap() >= 3, "{r}");
    assert!(r["store_bytes"].as_u64().unwrap() > 0, "{r}");
    if cfg!(target_os = "linux") {
        let (rss, anon) = (r["rss_bytes"].as_u64(), r["rss_anon_bytes"].as_u64());
        assert!(rss.unwrap() >= anon.unwrap(), "{r}");
        assert!(r["inotify_watches"].as_u64().is_some(), "{r}");
    }
    let out = env.run(["status"]);
    let page = text(&out);
    assert!(out.status.success(), "{page}");
    for line in ["Resources:", "CPU time:", "Descriptors:", "Store:"] {
        assert!(page.contains(line), "no `{line}` in\n{page}");
    }
    if cfg!(target_os = "linux") {
        assert!(page.contains("(RssAnon)"), "{page}");
    }
}
