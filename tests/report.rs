//! `devtrack report` and `devtrack history --prompts` against a fixture
//! store written through the library's store API (a Friday, a Saturday and
//! a Monday morning in Europe/Berlin), compared with the golden files in
//! tests/fixtures/report/. Run with `UPDATE_GOLDEN=1` to rewrite them after
//! an intended change, and read the diff.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use devtrack::protocol::CommitKind;
use devtrack::report::{Format, GroupBy};
use devtrack::scheduler::{MissReason, MissedSlot, SchedulerState};
use devtrack::store::{
    AnswerTarget, NewCommit, NewTrigger, NewUpdate, ReflogBatch, Store, TriggerKind, UpdateSource,
};
use devtrack::tickets::Families;

use crate::util::{text, Env};

const CONFIG: &str = "\
repositories:
  - {name: api-server, path: /nonexistent/api-server, project: Backend}
  - {name: web, path: /nonexistent/web, project: Frontend}
  - {name: tools, path: /nonexistent/tools}
settings:
  timezone: Europe/Berlin
  work_days: mon-fri
integrations:
  github: {enabled: true}
  jira: {enabled: true}
  azure_devops: {enabled: false}
";

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

struct Fixture {
    store: Store,
    families: Families,
}

impl Fixture {
    // One line per commit reads best in `fill`.
    #[allow(clippy::too_many_arguments)]
    fn commit(
        &mut self,
        repo: &str,
        hash: &str,
        kind: CommitKind,
        branch: &str,
        summary: &str,
        when: &str,
        ins: u32,
        del: u32,
    ) {
        let batch = ReflogBatch {
            repo: repo.into(),
            commits: vec![NewCommit {
                hash: hash.into(),
                kind,
                amends: None,
                branch: Some(branch.into()),
                author_name: Some("Dev".into()),
                author_email: Some("dev@example.com".into()),
                committed_at: Some(at(when)),
                summary: Some(summary.into()),
                files_changed: Some(1),
                insertions: Some(ins),
                deletions: Some(del),
                own: true,
                found_at_start: false,
            }],
            ..ReflogBatch::default()
        };
        self.store.record_reflog_batch(&batch, at(when)).unwrap();
    }

    /// A trigger and its prompt; returns the prompt's id.
    fn trigger(&mut self, kind: TriggerKind, when: &str) -> i64 {
        let id = self
            .store
            .record_trigger(&NewTrigger {
                kind,
                scheduled_at: (kind == TriggerKind::Timer).then(|| at(when)),
                fired_at: at(when),
                late: false,
                reason: None,
                detail: None,
            })
            .unwrap();
        self.store
            .open_prompt(id, at(when), None)
            .unwrap()
            .prompt
            .id
    }

    fn answer(&mut self, text: &str, source: UpdateSource, when: &str) {
        let new = NewUpdate {
            text,
            target: AnswerTarget::Oldest,
            source,
        };
        self.store.answer(&new, self.families, at(when)).unwrap();
    }
}

/// Thursday 11 to Monday 15 June 2026; times are UTC (Berlin is +02:00).
fn fill(db: &Path) {
    let mut f = Fixture {
        store: Store::open(db).unwrap(),
        families: Families {
            github: true,
            jira: true,
            azure_devops: false,
        },
    };
    use CommitKind::{Amend, Commit};
    use TriggerKind::{Manual, Timer};
    f.commit(
        "api-server",
        "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567",
        Commit,
        "main",
        "Thursday's work",
        "2026-06-11T15:00:00Z",
        5,
        1,
    );
    // Friday 12 June.
    f.commit(
        "api-server",
        "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
        Commit,
        "main",
        "Fix login redirect (#123)",
        "2026-06-12T07:05:00Z",
        10,
        2,
    );
    f.trigger(Timer, "2026-06-12T07:30:00Z");
    f.answer(
        "fixed the login redirect for #123, started ABC-7",
        UpdateSource::Inline,
        "2026-06-12T07:32:00Z",
    );
    f.commit(
        "api-server",
        "b2c3d4e5f60718293a4b5c6d7e8f901234567890",
        Commit,
        "feature/ABC-7-rate-limit",
        "Add a rate limiter",
        "2026-06-12T08:15:00Z",
        120,
        5,
    );
    f.commit(
        "web",
        "c3d4e5f60718293a4b5c6d7e8f9012345678901a",
        Commit,
        "main",
        "Style the login form | use *bold* & <em>",
        "2026-06-12T09:00:00Z",
        30,
        12,
    );
    let expired = f.trigger(Timer, "2026-06-12T10:00:00Z");
    f.trigger(TriggerKind::Commit, "2026-06-12T10:20:00Z");
    f.store
        .expire_prompt(Some(expired), at("2026-06-12T12:00:00Z"))
        .unwrap();
    f.store
        .record_step(
            None,
            &[MissedSlot {
                at: at("2026-06-12T11:00:00Z"),
                reason: MissReason::Paused,
            }],
            &SchedulerState {
                anchor: Some(at("2026-06-12T11:00:00Z")),
                pause: Default::default(),
                skip_next: false,
            },
            at("2026-06-12T11:00:00Z"),
        )
        .unwrap();
    f.commit(
        "tools",
        "d4e5f60718293a4b5c6d7e8f9012345678901ab2",
        Commit,
        "main",
        "Bump UTF-8 handling, see sha-256 notes",
        "2026-06-12T12:40:00Z",
        3,
        3,
    );
    f.trigger(Timer, "2026-06-12T13:00:00Z");
    f.store
        .snooze_prompt(None, at("2026-06-12T13:30:00Z"), at("2026-06-12T13:01:00Z"))
        .unwrap();
    f.store.reopen_due(at("2026-06-12T13:30:00Z")).unwrap();
    f.answer(
        "reviewed PRs\n- web#12 styles\n# not a heading",
        UpdateSource::Dialog,
        "2026-06-12T14:10:00Z",
    );
    f.answer(
        "wrote the \"standup\" notes, at last",
        UpdateSource::Cli,
        "2026-06-12T14:45:00Z",
    );
    f.commit(
        "api-server",
        "e5f60718293a4b5c6d7e8f9012345678901ab2c3",
        Amend,
        "feature/ABC-7-rate-limit",
        "Add a rate limiter",
        "2026-06-12T15:30:00Z",
        122,
        5,
    );
    let skipped = f.trigger(Manual, "2026-06-12T16:00:00Z");
    f.store
        .skip_prompt(Some(skipped), at("2026-06-12T16:01:00Z"))
        .unwrap();
    // Saturday 13 June.
    f.commit(
        "web",
        "f60718293a4b5c6d7e8f9012345678901ab2c3d4",
        Commit,
        "hotfix",
        "Weekend hotfix GH-9",
        "2026-06-13T09:00:00Z",
        1,
        1,
    );
    // Monday 15 June: a prompt still open.
    f.trigger(Timer, "2026-06-15T07:00:00Z");
}

fn fixture_env() -> Env {
    let env = Env::new();
    env.write_config(CONFIG);
    fill(&env.database());
    env
}

fn golden_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/report")
        .join(name)
}

/// Compares `actual` with the golden file `name` (rewrites it with
/// `UPDATE_GOLDEN=1`).
fn golden(name: &str, actual: &str) {
    let path = golden_path(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "reading `{}`: {e} (UPDATE_GOLDEN=1 writes it)",
            path.display()
        )
    });
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(e, a)| e != a)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "`{}` differs from the output at line {}:\n--- expected\n{}\n--- actual\n{}\n(UPDATE_GOLDEN=1 rewrites it)",
            path.display(),
            first + 1,
            expected.lines().skip(first).take(5).collect::<Vec<_>>().join("\n"),
            actual.lines().skip(first).take(5).collect::<Vec<_>>().join("\n"),
        );
    }
}

fn report(env: &Env, args: &[&str]) -> String {
    let out = env.run(std::iter::once("report").chain(args.iter().copied()));
    assert!(out.status.success(), "{}", text(&out));
    assert!(out.stderr.is_empty(), "{}", text(&out));
    String::from_utf8(out.stdout).unwrap()
}

const FRIDAY: [&str; 4] = ["--since", "2026-06-12", "--until", "2026-06-13"];

#[test]
fn friday_in_every_format_matches_the_golden_files() {
    let env = fixture_env();
    for (format, file) in [
        ("text", "friday.txt"),
        ("markdown", "friday.md"),
        ("slack", "friday.slack"),
        ("json", "friday.json"),
        ("csv", "friday.csv"),
    ] {
        let mut args = FRIDAY.to_vec();
        args.extend(["--format", format]);
        golden(file, &report(&env, &args));
    }
    for (by, file) in [
        ("project", "friday-by-project.txt"),
        ("ticket", "friday-by-ticket.md"),
    ] {
        let mut args = FRIDAY.to_vec();
        args.extend(["--by", by]);
        if by == "ticket" {
            args.extend(["--format", "markdown"]);
        }
        golden(file, &report(&env, &args));
    }
}

#[test]
fn the_json_report_has_the_documented_shape() {
    let env = fixture_env();
    let mut args = FRIDAY.to_vec();
    args.extend(["--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&report(&env, &args)).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["period"]["timezone"], "Europe/Berlin");
    assert_eq!(v["period"]["start"], "2026-06-11T22:00:00Z");
    assert_eq!(v["totals"]["commits"], 5);
    assert_eq!(v["totals"]["updates"], 3);
    assert_eq!(v["totals"]["prompts"], 4);
    assert_eq!(v["totals"]["answered"], 2);
    let groups: Vec<&str> = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(groups, ["api-server", "tools", "web"]);
    let first_update = &v["updates"][0];
    assert_eq!(first_update["prompt_at"], "2026-06-12T07:30:00Z");
    assert_eq!(first_update["answered_at"], "2026-06-12T07:32:00Z");
    assert_eq!(first_update["source"], "inline");
    let states: Vec<&str> = v["prompts"]["unanswered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["expired", "skipped"]);
    assert_eq!(v["prompts"]["missed_slots"]["paused"], 1);
    // Every documented top-level key is there, and nothing undocumented.
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.md"))
        .unwrap();
    for key in v.as_object().unwrap().keys() {
        assert!(
            doc.contains(&format!("`{key}`")),
            "docs/report.md does not describe `{key}`"
        );
    }
}

#[test]
fn yesterday_on_a_monday_covers_friday_and_the_weekend() {
    let env = fixture_env();
    let config = devtrack::config::load(&env.config_path()).unwrap();
    let args = devtrack::cli::args::ReportArgs {
        today: false,
        yesterday: true,
        since: None,
        until: None,
        format: Format::Text,
        by: GroupBy::Repo,
    };
    let text_of = |period| {
        devtrack::cli::commands::report::generate(
            &env.database(),
            &config,
            period,
            Format::Text,
            GroupBy::Repo,
        )
        .unwrap()
    };
    // Monday 15 June, 09:30 in Berlin.
    let now = at("2026-06-15T07:30:00Z");
    let period = devtrack::cli::commands::report::period(&args, &config, now).unwrap();
    assert_eq!(
        (period.start, period.end),
        (at("2026-06-11T22:00:00Z"), at("2026-06-14T22:00:00Z"))
    );
    let text = text_of(period);
    golden("yesterday-monday.txt", &text);
    assert!(text.contains("Weekend hotfix"), "{text}");
    assert!(!text.contains("Thursday's work"), "{text}");
    // On Tuesday, yesterday is Monday alone: its one open prompt.
    let tuesday = at("2026-06-16T07:30:00Z");
    let period = devtrack::cli::commands::report::period(&args, &config, tuesday).unwrap();
    assert_eq!(period.title, "Monday 15 June 2026");
    let text = text_of(period);
    assert!(text.contains("still open (1 trigger)"), "{text}");
}

#[test]
fn the_report_reads_the_store_without_changing_it() {
    let env = fixture_env();
    let db = env.database();
    let dir = db.parent().unwrap();
    let listing = || {
        let mut names: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        names.sort();
        names
    };
    let before = listing();
    let out = report(
        &env,
        &[
            "--since",
            "2026-06-12",
            "--until",
            "2026-06-13",
            "--format",
            "csv",
        ],
    );
    let rows = |kind: &str| out.lines().filter(|l| l.starts_with(kind)).count();
    assert_eq!(
        (rows("commit,"), rows("update,"), rows("prompt,")),
        (5, 3, 2),
        "{out}"
    );
    // SQLite's read-only WAL reader may leave an empty `-wal` and the
    // shared-memory index behind; they are as private as the store.
    let after = listing();
    use std::os::unix::fs::PermissionsExt;
    for (name, bytes) in &after {
        match before.iter().find(|(n, _)| n == name) {
            Some((_, old)) => assert!(old == bytes, "`{name}` changed"),
            None => {
                assert!(
                    name == "devtrack.db-shm" || name == "devtrack.db-wal",
                    "`{name}` appeared"
                );
                assert!(
                    name != "devtrack.db-wal" || bytes.is_empty(),
                    "the report wrote to the WAL"
                );
                let mode = std::fs::metadata(dir.join(name))
                    .unwrap()
                    .permissions()
                    .mode()
                    & 0o777;
                assert_eq!(mode, 0o600, "`{name}`");
            }
        }
    }
}

#[test]
fn bad_periods_configs_and_a_missing_store() {
    let env = Env::new();
    // No store yet: an empty report.
    let out = env.run(["report", "--since", "2026-06-12", "--until", "2026-06-13"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Friday 12 June 2026 (Etc/UTC)\nnothing recorded\n"
    );
    for (args, needle) in [
        (vec!["--since", "whenever"], "`whenever` is not a time"),
        (
            vec!["--since", "2026-06-13", "--until", "2026-06-12"],
            "must be after `--since`",
        ),
    ] {
        let out = env.run(std::iter::once("report").chain(args));
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(needle),
            "{}",
            text(&out)
        );
    }
    let out = env.run(["report", "--until", "2026-06-12"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    env.write_config("settings:\n  timezone: Mars/Olympus\n");
    let out = env.run(["report"]);
    assert_eq!(out.status.code(), Some(78), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("settings.timezone"),
        "{}",
        text(&out)
    );
}

#[test]
fn history_lists_prompts_with_their_answers() {
    let env = fixture_env();
    let rows = env.json_lines(["history", "--prompts", "--json", "-n", "100"]);
    let summary: Vec<(String, usize, Option<String>)> = rows
        .iter()
        .map(|r| {
            (
                r["state"].as_str().unwrap().to_string(),
                r["triggers"].as_array().unwrap().len(),
                r["answer"]["text"].as_str().map(str::to_string),
            )
        })
        .collect();
    let s = |x: &str| x.to_string();
    assert_eq!(
        summary,
        [
            (s("open"), 1, None),
            (s("skipped"), 1, None),
            (
                s("answered"),
                1,
                Some(s("reviewed PRs\n- web#12 styles\n# not a heading"))
            ),
            (s("expired"), 2, None),
            (
                s("answered"),
                1,
                Some(s("fixed the login redirect for #123, started ABC-7"))
            ),
        ]
    );
    let snoozed = &rows[2]["changes"];
    let changes: Vec<&str> = snoozed
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["state"].as_str().unwrap())
        .collect();
    assert_eq!(changes, ["open", "snoozed", "open", "answered"]);
    assert_eq!(snoozed[1]["reopens_at"], "2026-06-12T13:30:00Z");

    // Times in the configured zone: 17:00 in Berlin is 15:00 UTC.
    let out = env.run(["history", "--prompts", "--since", "2026-06-12T17:00"]);
    assert!(out.status.success(), "{}", text(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].starts_with("    ID  STATE"), "{table}");
    assert!(
        lines[1].contains("  open      2026-06-15 09:00:00 CEST"),
        "{table}"
    );
    assert!(
        lines[2].contains("  skipped   2026-06-12 18:00:00 CEST"),
        "{table}"
    );

    // A store without prompts yet (never upgraded): none, not an error.
    let fresh = Env::new();
    let db = fresh.database();
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(include_str!("../src/store/schema.sql"))
        .unwrap();
    conn.execute_batch("PRAGMA user_version = 1;").unwrap();
    drop(conn);
    let out = fresh.run(["history", "--prompts"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "no prompts\n");
}
