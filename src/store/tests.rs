//! The prompt, answer and report parts of the store against real SQLite
//! files: the lifecycle through the API, what an answer links and finds,
//! the upgrade from a version-1 store, file modes, and query plans.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use chrono::{DateTime, TimeDelta, Utc};

use super::*;
use crate::protocol::CommitKind;
use crate::tickets::{Families, Family};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.db")).unwrap();
    (dir, store)
}

fn trigger(store: &mut Store, kind: TriggerKind, fired_at: &str) -> i64 {
    store
        .record_trigger(&NewTrigger {
            kind,
            scheduled_at: None,
            fired_at: at(fired_at),
            late: false,
            reason: None,
            detail: None,
        })
        .unwrap()
}

/// A trigger and its prompt; returns the prompt's id.
fn prompt(store: &mut Store, kind: TriggerKind, fired_at: &str) -> i64 {
    let t = trigger(store, kind, fired_at);
    store.open_prompt(t, at(fired_at), None).unwrap().prompt.id
}

/// Records `(hash, branch, summary)` commits; a hash starting with
/// `theirs` is another author's.
fn commits(store: &mut Store, repo: &str, list: &[(&str, &str, &str)], now: &str) {
    let batch = ReflogBatch {
        repo: repo.into(),
        commits: list
            .iter()
            .map(|(hash, branch, summary)| NewCommit {
                hash: (*hash).into(),
                kind: CommitKind::Commit,
                amends: None,
                branch: Some((*branch).into()),
                author_name: None,
                author_email: None,
                committed_at: Some(at(now)),
                summary: Some((*summary).into()),
                files_changed: Some(1),
                insertions: Some(1),
                deletions: Some(0),
                own: !hash.starts_with("theirs"),
                found_at_start: false,
            })
            .collect(),
        ..ReflogBatch::default()
    };
    store.record_reflog_batch(&batch, at(now)).unwrap();
}

fn states(p: &PromptRecord) -> Vec<PromptState> {
    p.changes.iter().map(|c| c.state).collect()
}

const NOTE: UpdateSource = UpdateSource::Cli;

fn note(text: &str) -> NewUpdate<'_> {
    NewUpdate {
        text,
        target: AnswerTarget::Oldest,
        source: NOTE,
    }
}

#[test]
fn triggers_fold_into_one_prompt_and_an_answer_keeps_its_time() {
    let (_d, mut s) = store();
    let t1 = trigger(&mut s, TriggerKind::Timer, "2026-06-10T10:00:00Z");
    let t2 = trigger(&mut s, TriggerKind::Commit, "2026-06-10T10:20:00Z");
    let first = s.open_prompt(t1, at("2026-06-10T10:00:00Z"), None).unwrap();
    assert_eq!((first.fold, first.expired.as_ref()), (Fold::Open, None));
    assert_eq!(first.prompt.state, PromptState::Open);
    assert_eq!(first.prompt.opened_at, at("2026-06-10T10:00:00Z"));
    let second = s.open_prompt(t2, at("2026-06-10T10:20:00Z"), None).unwrap();
    assert_eq!(second.fold, Fold::Into);
    assert_eq!(second.prompt.id, first.prompt.id);
    let kinds: Vec<(&str, DateTime<Utc>)> = second
        .prompt
        .triggers
        .iter()
        .map(|t| (t.kind.as_str(), t.fired_at))
        .collect();
    assert_eq!(
        kinds,
        [
            ("timer", at("2026-06-10T10:00:00Z")),
            ("commit", at("2026-06-10T10:20:00Z"))
        ]
    );
    assert!(matches!(
        s.open_prompt(t2, at("2026-06-10T10:21:00Z"), None),
        Err(PromptError::TriggerTaken { .. })
    ));

    let answered = s
        .answer(
            &note("  fixed the login bug  \n"),
            Families::NONE,
            at("2026-06-10T11:30:00Z"),
        )
        .unwrap();
    assert_eq!(answered.update.text, "fixed the login bug");
    assert_eq!(answered.update.prompt_id, Some(first.prompt.id));
    assert_eq!(answered.update.prompt_at, Some(at("2026-06-10T10:00:00Z")));
    assert_eq!(answered.update.refers_to(), at("2026-06-10T10:00:00Z"));
    assert_eq!(answered.update.source, Some(NOTE));
    let p = answered.prompt.unwrap();
    assert_eq!(
        (p.state, p.state_at),
        (PromptState::Answered, at("2026-06-10T11:30:00Z"))
    );
    assert_eq!(states(&p), [PromptState::Open, PromptState::Answered]);
    assert_eq!(s.outstanding_prompt().unwrap(), None);
    assert_eq!(s.prompt_update(p.id).unwrap(), Some(answered.update));

    // The next trigger opens a new prompt.
    let t3 = trigger(&mut s, TriggerKind::Manual, "2026-06-10T12:00:00Z");
    let third = s.open_prompt(t3, at("2026-06-10T12:00:00Z"), None).unwrap();
    assert_eq!(third.fold, Fold::Open);
    assert_ne!(third.prompt.id, p.id);
}

#[test]
fn the_schema_allows_one_outstanding_prompt() {
    let (_d, mut s) = store();
    prompt(&mut s, TriggerKind::Timer, "2026-06-10T10:00:00Z");
    let second = s.connection().execute(
        "INSERT INTO prompts (opened_at, state, state_at) VALUES (1, 'snoozed', 1)",
        [],
    );
    assert!(second.is_err(), "a second outstanding prompt was stored");
}

#[test]
fn snooze_reopen_skip_and_expire() {
    let (_d, mut s) = store();
    let id = prompt(&mut s, TriggerKind::Timer, "2026-06-10T10:00:00Z");
    let until = at("2026-06-10T10:30:00Z");
    let p = s
        .snooze_prompt(None, until, at("2026-06-10T10:01:00Z"))
        .unwrap();
    assert_eq!((p.state, p.reopens_at), (PromptState::Snoozed, Some(until)));
    assert_eq!(s.next_reopen().unwrap(), Some(until));

    // A trigger while snoozed folds in and keeps the snooze.
    let t2 = trigger(&mut s, TriggerKind::Commit, "2026-06-10T10:10:00Z");
    let folded = s.open_prompt(t2, at("2026-06-10T10:10:00Z"), None).unwrap();
    assert_eq!(
        (folded.fold, folded.prompt.state),
        (Fold::Into, PromptState::Snoozed)
    );

    assert_eq!(
        s.reopen_due(at("2026-06-10T10:29:59Z")).unwrap(),
        Vec::new()
    );
    let reopened = s.reopen_due(until).unwrap();
    assert_eq!(reopened.len(), 1);
    assert_eq!((reopened[0].id, reopened[0].state), (id, PromptState::Open));
    assert_eq!(reopened[0].reopens_at, None);
    assert_eq!(s.next_reopen().unwrap(), None);
    assert_eq!(
        reopened[0]
            .changes
            .iter()
            .map(|c| (c.state, c.at, c.reopens_at))
            .collect::<Vec<_>>(),
        [
            (PromptState::Open, at("2026-06-10T10:00:00Z"), None),
            (
                PromptState::Snoozed,
                at("2026-06-10T10:01:00Z"),
                Some(until)
            ),
            (PromptState::Open, until, None),
        ]
    );

    let skipped = s.skip_prompt(None, at("2026-06-10T10:40:00Z")).unwrap();
    assert_eq!(skipped.state, PromptState::Skipped);
    assert!(matches!(
        s.skip_prompt(None, at("2026-06-10T10:41:00Z")),
        Err(PromptError::NoneOutstanding)
    ));
    assert!(matches!(
        s.expire_prompt(Some(id), at("2026-06-10T10:42:00Z")),
        Err(PromptError::Refused { .. })
    ));
    assert!(matches!(
        s.snooze_prompt(Some(999), until, at("2026-06-10T10:42:00Z")),
        Err(PromptError::NoSuchPrompt(999))
    ));

    let id3 = prompt(&mut s, TriggerKind::Timer, "2026-06-10T13:00:00Z");
    let expired = s.expire_prompt(None, at("2026-06-10T18:00:00Z")).unwrap();
    assert_eq!((expired.id, expired.state), (id3, PromptState::Expired));

    // A late answer to the skipped prompt, by id, is still kept.
    let late = NewUpdate {
        target: AnswerTarget::Prompt(id),
        ..note("was in a meeting")
    };
    let a = s
        .answer(&late, Families::NONE, at("2026-06-10T19:00:00Z"))
        .unwrap();
    assert_eq!(a.update.prompt_at, Some(at("2026-06-10T10:00:00Z")));
    let e = s
        .answer(&late, Families::NONE, at("2026-06-10T19:01:00Z"))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("prompt {id}: cannot answer a prompt that is answered")
    );
    assert!(matches!(
        s.answer(&note(" \n "), Families::NONE, at("2026-06-10T19:02:00Z")),
        Err(PromptError::EmptyAnswer)
    ));
}

#[test]
fn an_old_outstanding_prompt_expires_instead_of_taking_a_new_trigger() {
    let (_d, mut s) = store();
    let t1 = trigger(&mut s, TriggerKind::Timer, "2026-06-10T16:00:00Z");
    let old = s
        .open_prompt(t1, at("2026-06-10T16:00:00Z"), None)
        .unwrap()
        .prompt;
    let t2 = trigger(&mut s, TriggerKind::Timer, "2026-06-11T09:00:00Z");
    let today = at("2026-06-11T00:00:00Z");
    let opened = s
        .open_prompt(t2, at("2026-06-11T09:00:00Z"), Some(today))
        .unwrap();
    assert_eq!(opened.fold, Fold::ExpireAndOpen);
    let expired = opened.expired.unwrap();
    assert_eq!((expired.id, expired.state), (old.id, PromptState::Expired));
    assert_ne!(opened.prompt.id, old.id);
    assert_eq!(opened.prompt.state, PromptState::Open);
}

#[test]
fn an_answer_links_the_commits_since_the_last_one_and_stores_their_tickets() {
    let (_d, mut s) = store();
    commits(
        &mut s,
        "api",
        &[
            ("a1", "main", "Start the login page"),
            ("theirs1", "main", "Their fix for #99"),
            ("b2", "feature/ABC-12-login", "Validate the form (#7)"),
        ],
        "2026-06-10T09:00:00Z",
    );
    assert_eq!(s.pending_commits().unwrap().len(), 2);
    prompt(&mut s, TriggerKind::Timer, "2026-06-10T10:00:00Z");
    let jira_and_github = Families {
        github: true,
        jira: true,
        azure_devops: false,
    };
    let a = s
        .answer(
            &note("login form for ABC-12, see UTF-8 issue"),
            jira_and_github,
            at("2026-06-10T10:05:00Z"),
        )
        .unwrap();
    let hashes: Vec<&str> = a.commits.iter().map(|c| c.hash.as_str()).collect();
    assert_eq!(hashes, ["a1", "b2"]);
    let b2 = a.commits[1].id;
    let found: Vec<(Family, &str, TicketSource, Option<i64>)> = a
        .tickets
        .iter()
        .map(|t| (t.family, t.key.as_str(), t.source, t.commit_id))
        .collect();
    assert_eq!(
        found,
        [
            (Family::Jira, "ABC-12", TicketSource::Answer, None),
            // The message names #7, so the branch's ABC-12 is not b2's.
            (Family::Github, "#7", TicketSource::CommitMessage, Some(b2)),
        ]
    );
    assert_eq!(s.update_tickets(a.update.id).unwrap(), a.tickets);
    assert_eq!(s.update_commits(a.update.id).unwrap(), a.commits);
    assert_eq!(s.pending_commits().unwrap(), Vec::new());

    // Nothing outstanding: a standalone update, covering only the new commit.
    commits(
        &mut s,
        "web",
        &[("c3", "main", "Style it")],
        "2026-06-10T11:00:00Z",
    );
    let standalone = s
        .answer(
            &note("styled the form"),
            Families::NONE,
            at("2026-06-10T11:30:00Z"),
        )
        .unwrap();
    assert_eq!(standalone.prompt, None);
    assert_eq!(
        (standalone.update.prompt_id, standalone.update.prompt_at),
        (None, None)
    );
    assert_eq!(standalone.update.refers_to(), at("2026-06-10T11:30:00Z"));
    assert_eq!(standalone.commits.len(), 1);
    assert_eq!(standalone.commits[0].hash, "c3");
    assert_eq!(standalone.tickets, Vec::new());
    // No new commits: the next update links none.
    let again = s
        .answer(&note("more"), Families::NONE, at("2026-06-10T11:40:00Z"))
        .unwrap();
    assert_eq!(again.commits, Vec::new());
}

#[test]
fn channel_results_are_kept_in_order() {
    let (_d, mut s) = store();
    let id = prompt(&mut s, TriggerKind::Timer, "2026-06-10T10:00:00Z");
    s.record_delivery(
        id,
        Channel::Desktop,
        Outcome::Unavailable,
        Some("no notification server"),
        at("2026-06-10T10:00:01Z"),
    )
    .unwrap();
    let p = s
        .record_delivery(
            id,
            Channel::Hook,
            Outcome::Failed,
            Some("exit status 3"),
            at("2026-06-10T10:00:02Z"),
        )
        .unwrap();
    assert_eq!(
        p.deliveries,
        [
            Delivery {
                channel: Channel::Desktop,
                outcome: Outcome::Unavailable,
                detail: Some("no notification server".into()),
                at: at("2026-06-10T10:00:01Z"),
            },
            Delivery {
                channel: Channel::Hook,
                outcome: Outcome::Failed,
                detail: Some("exit status 3".into()),
                at: at("2026-06-10T10:00:02Z"),
            },
        ]
    );
    assert!(matches!(
        s.record_delivery(
            42,
            Channel::Socket,
            Outcome::Delivered,
            None,
            at("2026-06-10T10:00:03Z")
        ),
        Err(PromptError::NoSuchPrompt(42))
    ));
    assert_eq!(s.recent_prompts(None, 10).unwrap(), [p]);
}

/// A copy of the checked-in version-1 store (see tests/fixtures/store/make-v1.sh).
fn v1_copy(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("devtrack.db");
    std::fs::write(&path, include_bytes!("../../tests/fixtures/store/v1.db")).unwrap();
    path
}

#[test]
fn a_version_1_store_upgrades_and_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = v1_copy(dir.path());

    // Read-only, before any upgrade: commits report, prompts are empty.
    let ro = Store::open_read_only(&path).unwrap();
    assert_eq!(ro.schema_version().unwrap(), 1);
    let day = (at("2026-06-10T00:00:00Z"), at("2026-06-11T00:00:00Z"));
    let data = ro.report_data(day.0, day.1).unwrap();
    assert_eq!(
        (data.commits.len(), data.updates.len(), data.missed.len()),
        (3, 0, 1)
    );
    drop(ro);

    let mut s = Store::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len());
    assert_eq!(s.trigger_count().unwrap(), 3);
    assert_eq!(s.missed_slot_count().unwrap(), 1);
    assert_eq!(s.commit_count().unwrap(), 3);
    assert_eq!(s.recent_activity(10).unwrap().len(), 1);
    assert_eq!(s.commit("api", "b2").unwrap().unwrap().trigger_id, Some(2));
    let cursor = s
        .reflog_cursor(Path::new("/home/dev/src/api/.git/logs/HEAD"))
        .unwrap()
        .unwrap();
    assert_eq!(
        (cursor.offset, cursor.last_hash.as_deref()),
        (512, Some("c3"))
    );
    assert_eq!(
        s.scheduler_state().unwrap().anchor,
        Some(at("2026-06-10T10:00:00Z"))
    );

    // The answer to trigger 1 is now an answered prompt holding it; the
    // other is a standalone update. Both keep their text and time.
    let answer = s.update(1).unwrap().unwrap();
    assert_eq!(answer.text, "login page layout");
    assert_eq!(answer.answered_at, at("2026-06-10T10:10:00Z"));
    assert_eq!(answer.prompt_at, Some(at("2026-06-10T10:00:00Z")));
    assert_eq!(answer.source, None);
    let p = s.prompt(answer.prompt_id.unwrap()).unwrap().unwrap();
    assert_eq!(p.state, PromptState::Answered);
    assert_eq!(
        p.triggers.iter().map(|t| t.trigger_id).collect::<Vec<_>>(),
        [1]
    );
    assert_eq!(states(&p), [PromptState::Open, PromptState::Answered]);
    let standalone = s.update(2).unwrap().unwrap();
    assert_eq!(
        (standalone.text.as_str(), standalone.prompt_id),
        ("reviewed ABC-9", None)
    );

    // Commits up to the old answers count as covered: the next answer
    // links none of them.
    assert_eq!(s.pending_commits().unwrap(), Vec::new());
    let data = s.report_data(day.0, day.1).unwrap();
    assert_eq!(
        (data.commits.len(), data.updates.len(), data.prompts.len()),
        (2, 2, 1)
    );
    // c3 amended b2: one change, with c3's summary at b2's time.
    let c3 = data.commits.iter().find(|c| c.hash == "c3").unwrap();
    assert_eq!(c3.committed_at, Some(from_millis(1_781_089_100_000)));
    assert!(data.commits.iter().all(|c| c.hash != "b2"));

    // The upgraded store works like a new one.
    let t = trigger(&mut s, TriggerKind::Timer, "2026-06-11T10:00:00Z");
    s.open_prompt(t, at("2026-06-11T10:00:00Z"), None).unwrap();
    s.answer(
        &note("next day"),
        Families::NONE,
        at("2026-06-11T10:01:00Z"),
    )
    .unwrap();
    drop(s);
    // And opening it again changes nothing.
    let s = Store::open(&path).unwrap();
    assert_eq!(s.update(3).unwrap().unwrap().text, "next day");
}

/// A store file at schema `version`, built from the migration texts up
/// to it, holding `rows` (SQL); its directory and path.
fn older_store(version: usize, rows: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("devtrack.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    for sql in &MIGRATIONS[..version] {
        conn.execute_batch(sql).unwrap();
    }
    conn.execute_batch(&format!("{rows}\nPRAGMA user_version = {version};"))
        .unwrap();
    (dir, path)
}

#[test]
fn stores_built_from_older_migrations_upgrade_too() {
    // The same upgrade from the schema texts themselves, from every older
    // version, so a change to an old migration that the fixture does not
    // reflect is caught.
    for version in 1..PROMPTS_SCHEMA {
        let (_dir, path) = older_store(
            version,
            "INSERT INTO triggers (id, kind, fired_at) VALUES (7, 'manual', 1000);
             INSERT INTO work_updates (trigger_id, created_at, text) VALUES (7, 2000, 'done');",
        );
        let s = Store::open(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len());
        let u = s.update(1).unwrap().unwrap();
        assert_eq!(
            (u.text.as_str(), u.prompt_at.map(to_millis)),
            ("done", Some(1000)),
            "from version {version}"
        );
    }
}

#[test]
fn a_version_3_store_upgrades_to_keep_the_notification_of_a_prompt() {
    let (_dir, path) = older_store(
        NOTIFICATION_SCHEMA - 1,
        "INSERT INTO triggers (id, kind, fired_at) VALUES (7, 'commit', 1000);
         INSERT INTO prompts (id, opened_at, state, state_at) VALUES (3, 1000, 'open', 1000);
         INSERT INTO prompt_changes (prompt_id, state, at) VALUES (3, 'open', 1000);
         INSERT INTO prompt_triggers (trigger_id, prompt_id) VALUES (7, 3);",
    );
    let mut s = Store::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len());
    let p = s.outstanding_prompt().unwrap().expect("kept");
    assert_eq!((p.id, p.state), (3, PromptState::Open));
    assert_eq!(s.notification(3).unwrap(), None);

    s.set_notification(3, 12, ":1.42").unwrap();
    drop(s);
    let mut s = Store::open(&path).unwrap();
    assert_eq!(s.notification(3).unwrap(), Some((12, ":1.42".to_string())));
    s.clear_notification(3).unwrap();
    assert_eq!(s.notification(3).unwrap(), None);
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn the_store_and_its_directory_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("share/devtrack");
    let db = data.join("devtrack.db");
    let s = Store::open(&db).unwrap();
    // Something to write, so the WAL and SHM files exist.
    s.conn
        .execute(
            "INSERT INTO daemon_state (key, value) VALUES ('k', 'v')",
            [],
        )
        .unwrap();
    assert_eq!(mode(&data), 0o700);
    for file in [
        db.clone(),
        private::sidecar(&db, "-wal"),
        private::sidecar(&db, "-shm"),
    ] {
        assert!(file.exists(), "{}", file.display());
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    drop(s);

    // Files left readable by others are tightened on the next open.
    let loose = dir.path().join("loose.db");
    std::fs::write(&loose, b"").unwrap();
    std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).unwrap();
    let wal = private::sidecar(&loose, "-wal");
    std::fs::write(&wal, b"").unwrap();
    std::fs::set_permissions(&wal, std::fs::Permissions::from_mode(0o664)).unwrap();
    let _s = Store::open(&loose).unwrap();
    assert_eq!(mode(&loose), 0o600);
    assert_eq!(mode(&wal), 0o600);
}

#[test]
fn report_queries_use_indexes() {
    let (_d, s) = store();
    let plan = |sql: &str| -> String {
        let mut stmt = s
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap();
        let rows = stmt
            .query_map([0i64, 1i64], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<rusqlite::Result<Vec<_>>>()
            .unwrap();
        rows.join("\n")
    };
    let queries = [
        (
            format!(
                "SELECT {} FROM commits {}",
                commits::COMMIT_COLUMNS,
                report::REPORT_COMMITS
            ),
            "commits_change_time",
        ),
        (
            format!(
                "SELECT {} FROM work_updates {}",
                updates::UPDATE_COLUMNS,
                report::REPORT_UPDATES
            ),
            "work_updates_time",
        ),
        (report::REPORT_PROMPTS.to_string(), "prompts_opened_at"),
        (
            report::REPORT_MISSED.to_string(),
            "missed_slots_scheduled_at",
        ),
    ];
    for (sql, index) in queries {
        let p = plan(&sql);
        assert!(p.contains(&format!("USING INDEX {index}")), "{sql}\n{p}");
        assert!(
            !p.contains("USE TEMP B-TREE"),
            "sorts without the index: {sql}\n{p}"
        );
    }
    let p = plan(report::REPORT_PROMPTS);
    assert!(
        p.contains("prompt_triggers_prompt"),
        "trigger counts scan: {p}"
    );
    // `history --commits` selects by the same time.
    let history = "SELECT id FROM commits WHERE coalesce(committed_at, recorded_at) >= ?1
         ORDER BY coalesce(committed_at, recorded_at) DESC, id DESC LIMIT ?2";
    assert!(plan(history).contains("commits_time"), "{}", plan(history));
}

#[test]
fn a_year_of_commits_in_a_report_range() {
    let (_d, mut s) = store();
    let start = at("2026-01-01T09:00:00Z");
    let batch = ReflogBatch {
        repo: "api".into(),
        commits: (0..400)
            .map(|i| NewCommit {
                hash: format!("{i:040x}"),
                kind: CommitKind::Commit,
                amends: None,
                branch: Some("main".into()),
                author_name: None,
                author_email: None,
                committed_at: Some(start + TimeDelta::days(i)),
                summary: Some(format!("change {i}")),
                files_changed: None,
                insertions: None,
                deletions: None,
                own: true,
                found_at_start: false,
            })
            .collect(),
        ..ReflogBatch::default()
    };
    s.record_reflog_batch(&batch, start).unwrap();
    let data = s
        .report_data(at("2026-02-01T00:00:00Z"), at("2026-03-01T00:00:00Z"))
        .unwrap();
    assert_eq!(data.commits.len(), 28);
    assert_eq!(data.commits[0].summary.as_deref(), Some("change 31"));
}

#[test]
fn the_page_cache_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.db")).unwrap();
    let size: i64 = store
        .conn
        .pragma_query_value(None, "cache_size", |r| r.get(0))
        .unwrap();
    assert_eq!(size, -CACHE_KIB);
}

#[test]
fn a_prompt_holds_its_first_and_latest_triggers_and_each_channels_latest_results() {
    let (_d, mut s) = store();
    let start = at("2026-06-10T10:00:00Z");
    let mut ids = Vec::new();
    let mut last = None;
    for i in 0..50 {
        let t = start + TimeDelta::seconds(i);
        let id = trigger(&mut s, TriggerKind::Manual, &t.to_rfc3339());
        ids.push(id);
        last = Some(s.open_prompt(id, t, None).unwrap().prompt);
    }
    let p = last.unwrap();
    assert_eq!(p.trigger_count, 50);
    let kept: Vec<i64> = p.triggers.iter().map(|t| t.trigger_id).collect();
    let mut expected = vec![ids[0]];
    expected.extend_from_slice(&ids[50 - (TRIGGERS_KEPT - 1)..]);
    assert_eq!(kept, expected);

    for i in 0..30 {
        let t = start + TimeDelta::seconds(100 + i);
        s.record_delivery(p.id, Channel::Socket, Outcome::Delivered, None, t)
            .unwrap();
    }
    let hook_at = start + TimeDelta::seconds(200);
    let p = s
        .record_delivery(
            p.id,
            Channel::Hook,
            Outcome::Failed,
            Some("exit 3"),
            hook_at,
        )
        .unwrap();
    let results: Vec<(Channel, Outcome, DateTime<Utc>)> = p
        .deliveries
        .iter()
        .map(|d| (d.channel, d.outcome, d.at))
        .collect();
    assert_eq!(
        results,
        [
            (
                Channel::Socket,
                Outcome::Delivered,
                start + TimeDelta::seconds(129)
            ),
            (Channel::Hook, Outcome::Failed, hook_at),
        ]
    );
}

/// The daemon's overview (kept and extended between reads, pending.rs)
/// against a fresh read of the same file, after each thing that changes
/// what is pending: commits in a known and a new repository, another
/// author's commit, an answer through the daemon's store, commits after
/// it, and an answer written by another process (a direct `devtrack note`).
#[test]
fn the_kept_pending_overview_matches_a_fresh_read_after_every_change() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let mut daemon = Store::open(&path).unwrap();
    let fresh = |limit| {
        Store::open_read_only(&path)
            .unwrap()
            .pending_overview(limit)
            .unwrap()
    };
    // One limit, as the daemon reads it (another limit starts over).
    let check = |daemon: &Store, step: &str| {
        assert_eq!(daemon.pending_overview(2).unwrap(), fresh(2), "{step}");
    };
    check(&daemon, "empty store");
    type Batch<'a> = &'a [(&'a str, &'a str, &'a str)];
    let batches: [(&str, Batch, &str, &str); 3] = [
        (
            "api",
            &[("a1", "main", "one")],
            "2026-06-10T09:00:00Z",
            "a first commit",
        ),
        (
            "web",
            &[("w1", "main", "two"), ("theirs1", "main", "not mine")],
            "2026-06-10T09:10:00Z",
            "a new repository and another author's commit",
        ),
        (
            "api",
            &[("a2", "main", "three"), ("a3", "main", "four")],
            "2026-06-10T08:00:00Z",
            "older commit times in the first repository",
        ),
    ];
    for (repo, list, when, step) in batches {
        commits(&mut daemon, repo, list, when);
        check(&daemon, step);
        check(&daemon, &format!("{step}, read again with nothing new"));
    }
    assert_eq!(
        daemon.pending_overview(3).unwrap(),
        fresh(3),
        "another limit"
    );
    check(&daemon, "back to the first limit");
    assert_eq!(daemon.pending_overview(2).unwrap().count, 4);

    // A rewrite: `a3` amended, then `a2` and the amended one squashed.
    // Each change counts once, at its latest version.
    for (new, replaced, step, count) in [
        ("a3b", &["a3"][..], "an amend of a kept commit", 4),
        ("a23", &["a2", "a3b"][..], "a squash of two", 3),
    ] {
        let batch = ReflogBatch {
            repo: "api".into(),
            links: replaced
                .iter()
                .map(|old| ((*old).to_string(), new.to_string()))
                .collect(),
            ..ReflogBatch::default()
        };
        commits(
            &mut daemon,
            "api",
            &[(new, "main", step)],
            "2026-06-10T09:20:00Z",
        );
        daemon
            .record_reflog_batch(&batch, at("2026-06-10T09:20:00Z"))
            .unwrap();
        check(&daemon, step);
        assert_eq!(daemon.pending_overview(2).unwrap().count, count, "{step}");
    }

    // An answer through the daemon's store, then one by another process
    // (a direct `devtrack note`), each followed by a commit.
    for (by_daemon, text, answered, repo, hash, committed) in [
        (
            true,
            "by the daemon",
            "2026-06-10T10:00:00Z",
            "web",
            "w2",
            "2026-06-10T10:30:00Z",
        ),
        (
            false,
            "by the CLI",
            "2026-06-10T11:00:00Z",
            "api",
            "a4",
            "2026-06-10T11:30:00Z",
        ),
    ] {
        let answer = note(text);
        if by_daemon {
            daemon.answer(&answer, Families::NONE, at(answered))
        } else {
            Store::open(&path)
                .unwrap()
                .answer(&answer, Families::NONE, at(answered))
        }
        .unwrap();
        check(&daemon, &format!("after an answer {text}"));
        assert_eq!(daemon.pending_overview(2).unwrap().count, 0, "{text}");
        commits(&mut daemon, repo, &[(hash, "main", "later")], committed);
        check(&daemon, &format!("a commit after the answer {text}"));
        assert_eq!(daemon.pending_overview(2).unwrap().count, 1, "{text}");
    }
}

#[test]
fn a_change_reworked_on_a_later_day_counts_once_on_its_first_day() {
    let (_d, mut s) = store();
    let version = |hash: &str, when: &str, amends: Option<&str>| NewCommit {
        hash: hash.into(),
        kind: if amends.is_some() {
            CommitKind::Amend
        } else {
            CommitKind::Commit
        },
        amends: amends.map(str::to_string),
        branch: Some("main".into()),
        author_name: None,
        author_email: None,
        committed_at: Some(at(when)),
        summary: Some(format!("version {hash}")),
        files_changed: Some(1),
        insertions: Some(1),
        deletions: Some(0),
        own: true,
        found_at_start: false,
    };
    let batch = |commits: Vec<NewCommit>, links: Vec<(String, String)>| ReflogBatch {
        repo: "api".into(),
        commits,
        links,
        ..ReflogBatch::default()
    };
    let monday = (at("2026-06-08T00:00:00Z"), at("2026-06-09T00:00:00Z"));
    let tuesday = (at("2026-06-09T00:00:00Z"), at("2026-06-10T00:00:00Z"));
    s.record_reflog_batch(
        &batch(vec![version("a", "2026-06-08T10:00:00Z", None)], vec![]),
        monday.0,
    )
    .unwrap();
    // Amended on Tuesday, then rebased (linked by the rebase).
    s.record_reflog_batch(
        &batch(
            vec![version("b", "2026-06-09T10:00:00Z", Some("a"))],
            vec![],
        ),
        tuesday.0,
    )
    .unwrap();
    s.record_reflog_batch(
        &batch(
            vec![version("c", "2026-06-09T11:00:00Z", None)],
            vec![("b".into(), "c".into())],
        ),
        tuesday.0,
    )
    .unwrap();
    let mon = s.report_data(monday.0, monday.1).unwrap();
    let hashes: Vec<&str> = mon.commits.iter().map(|c| c.hash.as_str()).collect();
    assert_eq!(hashes, ["c"]);
    assert_eq!(mon.commits[0].summary.as_deref(), Some("version c"));
    assert_eq!(
        mon.commits[0].committed_at,
        Some(at("2026-06-08T10:00:00Z"))
    );
    assert!(s
        .report_data(tuesday.0, tuesday.1)
        .unwrap()
        .commits
        .is_empty());
    assert_eq!(s.last_commit("api").unwrap().unwrap().hash, "c");
    assert_eq!(s.commit_count().unwrap(), 3, "every version is kept");
}

#[test]
fn a_prompt_keeps_its_holds_and_how_long_each_lasted() {
    let (_d, mut s) = store();
    let id = prompt(&mut s, TriggerKind::Commit, "2026-06-10T10:00:00Z");
    // Nothing to release: never held.
    assert_eq!(
        s.record_release(id, at("2026-06-10T10:00:01Z")).unwrap(),
        None
    );
    s.record_hold(id, "locked", at("2026-06-10T10:00:00Z"))
        .unwrap();
    // A hold already running is not started again.
    s.record_hold(id, "idle", at("2026-06-10T10:05:00Z"))
        .unwrap();
    let held = s.record_release(id, at("2026-06-10T10:12:00Z")).unwrap();
    assert_eq!(held, Some(TimeDelta::minutes(12)));
    s.record_hold(id, "paused", at("2026-06-10T11:00:00Z"))
        .unwrap();
    let p = s.prompt(id).unwrap().unwrap();
    assert_eq!(
        p.holds,
        [
            PromptHold {
                reason: "locked".into(),
                held_at: at("2026-06-10T10:00:00Z"),
                released_at: Some(at("2026-06-10T10:12:00Z")),
            },
            PromptHold {
                reason: "paused".into(),
                held_at: at("2026-06-10T11:00:00Z"),
                released_at: None,
            },
        ]
    );
}

#[test]
fn a_store_older_than_the_holds_reads_prompts_without_them() {
    let (dir, mut s) = store();
    let id = prompt(&mut s, TriggerKind::Commit, "2026-06-10T10:00:00Z");
    drop(s);
    let path = dir.path().join("s.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("DROP TABLE prompt_holds; PRAGMA user_version = 5;")
        .unwrap();
    drop(conn);
    let s = Store::open_read_only(&path).unwrap();
    assert_eq!(s.prompt(id).unwrap().unwrap().holds, []);
}

#[test]
fn totals_count_each_family_whatever_happened_since() {
    let (_d, mut s) = store();
    assert_eq!(s.totals().unwrap(), Totals::default());
    commits(
        &mut s,
        "api",
        &[("a1", "main", "one"), ("a2", "main", "two")],
        "2026-06-10T09:00:00Z",
    );
    // A prompt snoozed, opened again, expired, then answered late: each
    // change counts once.
    let first = prompt(&mut s, TriggerKind::Commit, "2026-06-10T10:00:00Z");
    s.snooze_prompt(None, at("2026-06-10T10:30:00Z"), at("2026-06-10T10:01:00Z"))
        .unwrap();
    s.reopen_due(at("2026-06-10T10:31:00Z")).unwrap();
    s.expire_prompt(None, at("2026-06-10T18:00:00Z")).unwrap();
    s.record_delivery(
        first,
        Channel::Desktop,
        Outcome::Delivered,
        None,
        at("2026-06-10T10:00:01Z"),
    )
    .unwrap();
    s.answer(
        &NewUpdate {
            text: "late answer",
            target: AnswerTarget::Prompt(first),
            source: UpdateSource::Inline,
        },
        Families::NONE,
        at("2026-06-10T18:05:00Z"),
    )
    .unwrap();
    let second = prompt(&mut s, TriggerKind::Manual, "2026-06-11T10:00:00Z");
    s.skip_prompt(Some(second), at("2026-06-11T10:01:00Z"))
        .unwrap();
    s.answer(
        &note("standalone"),
        Families::NONE,
        at("2026-06-11T11:00:00Z"),
    )
    .unwrap();
    s.record_reload(at("2026-06-11T12:00:00Z"), ReloadResult::Applied)
        .unwrap();
    s.record_reload(at("2026-06-11T12:01:00Z"), ReloadResult::Rejected)
        .unwrap();
    s.record_reload(at("2026-06-11T12:02:00Z"), ReloadResult::Rejected)
        .unwrap();
    s.conn
        .execute_batch(
            "INSERT INTO missed_slots (scheduled_at, reason, recorded_at) VALUES (1, 'late', 2);
             INSERT INTO missed_slots (scheduled_at, reason, recorded_at) VALUES (3, 'late', 4);",
        )
        .unwrap();

    let counts = |pairs: &[(&str, u64)]| -> std::collections::BTreeMap<String, u64> {
        pairs.iter().map(|(k, n)| (k.to_string(), *n)).collect()
    };
    let t = s.totals().unwrap();
    assert_eq!(t.commits, counts(&[("commit", 2)]));
    assert_eq!(t.triggers, counts(&[("commit", 1), ("manual", 1)]));
    assert_eq!(
        t.prompts,
        counts(&[
            ("opened", 2),
            ("snoozed", 1),
            ("expired", 1),
            ("answered", 1),
            ("skipped", 1)
        ])
    );
    assert_eq!(
        t.deliveries,
        [(("desktop".to_string(), "delivered".to_string()), 1)]
            .into_iter()
            .collect()
    );
    assert_eq!(t.updates, counts(&[("inline", 1), ("cli", 1)]));
    assert_eq!(t.missed_slots, counts(&[("late", 2)]));
    assert_eq!(t.reloads, counts(&[("applied", 1), ("rejected", 2)]));
}

#[test]
fn every_older_store_upgrades_to_keep_reloads() {
    for version in 1..RELOADS_SCHEMA {
        let (_dir, path) = older_store(
            version,
            "INSERT INTO triggers (id, kind, fired_at) VALUES (7, 'timer', 1000);",
        );
        let mut s = Store::open(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len());
        let t = s.totals().unwrap();
        assert_eq!(
            (t.triggers.get("timer"), t.reloads.len()),
            (Some(&1), 0),
            "from version {version}"
        );
        s.record_reload(at("2026-06-10T10:00:00Z"), ReloadResult::Unchanged)
            .unwrap();
        assert_eq!(
            s.totals().unwrap().reloads.get("unchanged"),
            Some(&1),
            "from version {version}"
        );
    }
}

#[test]
fn stores_of_every_earlier_schema_gain_the_outbox() {
    for version in 1..MIGRATIONS.len() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("devtrack.db");
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            for sql in &MIGRATIONS[..version] {
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "user_version", version).unwrap();
        }
        if version < OUTBOX_SCHEMA {
            let ro = Store::open_read_only(&path).unwrap();
            assert_eq!(ro.outbox(None).unwrap(), [], "from version {version}");
        }
        let mut s = Store::open(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len());
        s.answer(
            &note("started ABC-1"),
            Families::ALL,
            at("2026-06-10T10:00:00Z"),
        )
        .unwrap();
        let rows = s.outbox(None).unwrap();
        assert_eq!(
            rows.iter()
                .map(|r| (r.ticket.as_str(), r.state))
                .collect::<Vec<_>>(),
            [("ABC-1", OutboxState::Held)],
            "from version {version}"
        );
    }
}

#[test]
fn an_answer_writes_its_outbox_rows_with_it() {
    use crate::config::{AzureDevops, Integrations, Jira};
    use crate::sync::plan::Rules;
    use crate::sync::remote::NoRepos;

    let (_dir, mut s) = store();
    commits(
        &mut s,
        "web",
        &[
            ("a1", "feature/ABC-7-x", "limit retries"),
            ("a2", "feature/ABC-7-x", "fix #3 for ABC-8"),
            ("theirs1", "feature/ABC-7-x", "ABC-99"),
        ],
        "2026-06-10T10:00:00Z",
    );
    let a = s
        .answer(
            &note("fixed the redirect for #12, AB#5 and acme/web#4"),
            Families::ALL,
            at("2026-06-10T10:05:00Z"),
        )
        .unwrap();
    let rows = s.outbox(None).unwrap();
    let shown: Vec<(Family, &str, OutboxState, &str)> = rows
        .iter()
        .map(|r| {
            (
                r.family,
                r.ticket.as_str(),
                r.state,
                r.reason.as_deref().unwrap(),
            )
        })
        .collect();
    let first_push = "ready for github: check `devtrack sync preview`, then `devtrack sync push`";
    assert_eq!(
        shown,
        [
            (
                Family::Github,
                "#12",
                OutboxState::Held,
                "needs a repository: no single GitHub repository owns it; write owner/repo#123"
            ),
            (
                Family::AzureDevops,
                "AB#5",
                OutboxState::Held,
                "waiting for configuration: azure_devops: no organization; set integrations.azure_devops.organization"
            ),
            (Family::Github, "acme/web#4", OutboxState::Held, first_push),
            (
                Family::Jira,
                "ABC-7",
                OutboxState::Held,
                "waiting for configuration: jira: no url; set integrations.jira.url"
            ),
            (
                Family::Github,
                "#3",
                OutboxState::Held,
                "needs a repository: no single GitHub repository owns it; write owner/repo#123"
            ),
            (
                Family::Jira,
                "ABC-8",
                OutboxState::Held,
                "waiting for configuration: jira: no url; set integrations.jira.url"
            ),
        ]
    );
    assert!(rows.iter().all(|r| r.update_id == a.update.id
        && r.id.len() == 16
        && r.id.bytes().all(|b| b.is_ascii_hexdigit())));
    let mut ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    ids.dedup();
    assert_eq!(ids.len(), rows.len());

    // Configured, pushed once, auto_sync on: queued.
    s.connection()
        .execute(
            "INSERT INTO sync_integrations (family, first_push_at) VALUES ('jira', 1)",
            [],
        )
        .unwrap();
    let integrations = Integrations {
        jira: Jira {
            enabled: true,
            url: Some("https://x.atlassian.net".into()),
            email: Some("me@x".into()),
            ..Jira::default()
        },
        azure_devops: AzureDevops {
            enabled: true,
            ..AzureDevops::default()
        },
        ..Integrations::default()
    };
    let rules = Rules {
        families: Families::ALL,
        auto_sync: true,
        integrations: &integrations,
        repos: &NoRepos,
    };
    s.answer(&note("ABC-9 done"), rules, at("2026-06-10T11:00:00Z"))
        .unwrap();
    let last = s.outbox(Some(at("2026-06-10T11:00:00Z"))).unwrap();
    assert_eq!(
        last.iter()
            .map(|r| (r.ticket.as_str(), r.state, r.reason.clone()))
            .collect::<Vec<_>>(),
        [("ABC-9", OutboxState::Queued, None)]
    );

    // Cancelled once; not twice; an unknown id is named.
    let id = rows[0].id.clone();
    let c = s.cancel_outbox(&id, at("2026-06-10T12:00:00Z")).unwrap();
    assert_eq!(c.state, OutboxState::Cancelled);
    assert_eq!(
        s.cancel_outbox(&id, at("2026-06-10T12:00:00Z"))
            .unwrap_err()
            .to_string(),
        format!("outbox item `{id}` is cancelled and cannot be cancelled")
    );
    assert_eq!(
        s.cancel_outbox("nope", at("2026-06-10T12:00:00Z"))
            .unwrap_err()
            .to_string(),
        "no outbox item `nope`"
    );
}
