//! Prompts end to end: triggers open one prompt or fold into it, and it is
//! answered (socket `note`, `devtrack note` from arguments, stdin or an
//! editor, with the daemon running or not), snoozed until its deadline, or
//! skipped; every change is a `prompt` event and in the store first.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;

use devtrack::store::{PromptState, Store, UpdateSource, WorkUpdate};

use crate::util::{git, git_repo, text, write_script, Daemon, Env, EventStream, WAIT};

const BASIC: &str = "\
repositories: []
settings:
  prompt_interval: 180
  timezone: UTC
";

/// A config watching `repo` as `api`, with a short commit debounce.
pub fn with_repo(repo: &std::path::Path) -> String {
    format!(
        "repositories:\n  - {{name: api, path: '{}'}}\nsettings:\n  prompt_interval: 180\n  timezone: UTC\n  commit_debounce_ms: 50\n  authors: [dev@example.com]\n",
        repo.display()
    )
}

/// A daemon watching `api` (a new repository), and its event stream.
fn watching_api(env: &Env) -> (std::path::PathBuf, Daemon, EventStream) {
    let repo = env.cwd.join("api");
    git_repo(&repo);
    env.write_config(&with_repo(&repo));
    let daemon = env.start();
    (repo, daemon, EventStream::open(env))
}

/// Commits a new file `name` to `repo`.
pub fn commit(repo: &std::path::Path, name: &str, message: &str) {
    std::fs::write(repo.join(name), format!("{name}\n")).unwrap();
    git(repo, &["add", name]);
    git(repo, &["commit", "-q", "-m", message]);
}

/// The stored answer to the prompt of `event`, if any.
/// A daemon on `config` with a prompt opened by `devtrack trigger`: the
/// daemon, its event stream and the `opened` event.
fn with_open_prompt(env: &Env, config: &str) -> (Daemon, EventStream, serde_json::Value) {
    env.write_config(config);
    let daemon = env.start();
    let events = EventStream::open(env);
    let opened = trigger(env, &events, "opened");
    (daemon, events, opened)
}

fn answer_to(env: &Env, event: &serde_json::Value) -> Option<WorkUpdate> {
    let store = Store::open_read_only(&env.database()).unwrap();
    store.prompt_update(event["id"].as_i64().unwrap()).unwrap()
}

/// One request on a fresh connection; the reply.
pub fn request(env: &Env, line: &str) -> serde_json::Value {
    let mut stream = UnixStream::connect(env.socket()).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut hello = String::new();
    reader.read_line(&mut hello).unwrap();
    stream.write_all(format!("{line}\n").as_bytes()).unwrap();
    let mut reply = String::new();
    reader.read_line(&mut reply).unwrap();
    serde_json::from_str(&reply).unwrap_or_else(|e| panic!("{e}: {reply:?}"))
}

/// The next `prompt` event with this `change`.
pub fn prompt_event(events: &EventStream, change: &str) -> serde_json::Value {
    events.wait_until("prompt", |e| e["change"] == change)["prompt"].clone()
}

/// `devtrack trigger`, and the prompt it opened or updated.
pub fn trigger(env: &Env, events: &EventStream, change: &str) -> serde_json::Value {
    let out = env.run(["trigger"]);
    assert!(out.status.success(), "{}", text(&out));
    prompt_event(events, change)
}

#[test]
fn a_trigger_opens_a_prompt_and_the_next_folds_into_it() {
    let env = Env::new();
    let (_daemon, events, opened) = with_open_prompt(&env, BASIC);
    assert_eq!(opened["state"], "open");
    assert_eq!(opened["triggers"].as_array().unwrap().len(), 1);
    assert_eq!(opened["triggers"][0]["kind"], "manual");
    assert!(
        opened["summary"]
            .as_str()
            .unwrap()
            .starts_with("Check-in requested at "),
        "{opened}"
    );
    // A subscriber got it: delivered on the socket.
    let status = env.status();
    let prompt = &status["daemon"]["prompt"];
    assert_eq!(prompt["id"], opened["id"], "{status}");
    assert_eq!(prompt["delivered_to"], serde_json::json!(["socket"]));

    let updated = trigger(&env, &events, "updated");
    assert_eq!(updated["id"], opened["id"]);
    assert_eq!(updated["opened_at"], opened["opened_at"]);
    let triggers = updated["triggers"].as_array().unwrap();
    assert_eq!(triggers.len(), 2, "{updated}");
    assert!(
        updated["summary"]
            .as_str()
            .unwrap()
            .starts_with("Check-in requested (asked 2× since "),
        "{updated}"
    );

    let listed = request(&env, r#"{"v":1,"cmd":"prompts","limit":5}"#);
    assert_eq!(listed["ok"], true, "{listed}");
    let prompts = listed["prompts"].as_array().unwrap();
    assert_eq!(prompts.len(), 1, "{listed}");
    assert_eq!(prompts[0]["id"], opened["id"]);
}

#[test]
fn a_note_answers_the_prompt_with_the_commits_since_the_previous_answer() {
    let env = Env::new();
    let (repo, _daemon, events) = watching_api(&env);
    commit(&repo, "a.txt", "Fix the login for #12");
    let opened = prompt_event(&events, "opened");
    assert_eq!(opened["repos"], serde_json::json!(["api"]), "{opened}");
    let summary = opened["summary"].as_str().unwrap();
    assert!(summary.starts_with("1 commit in api since "), "{summary}");
    let id = opened["id"].as_i64().unwrap();

    let reply = request(&env, r#"{"v":1,"cmd":"note","text":"fixed the login bug"}"#);
    assert_eq!(reply["ok"], true, "{reply}");
    assert_eq!(reply["note"]["prompt_id"], id);
    assert_eq!(reply["note"]["commits"], 1);
    let answered = prompt_event(&events, "answered");
    assert_eq!(
        (answered["id"].as_i64(), &answered["state"]),
        (Some(id), &"answered".into())
    );

    // The next commit opens a new prompt; its answer covers only that one.
    commit(&repo, "b.txt", "Add b");
    let second = prompt_event(&events, "opened");
    assert_ne!(second["id"].as_i64(), Some(id));
    let reply = request(&env, r#"{"v":1,"cmd":"note","text":"added b"}"#);
    assert_eq!(reply["note"]["commits"], 1, "{reply}");

    // Standalone: nothing outstanding.
    let reply = request(&env, r#"{"v":1,"cmd":"note","text":"reviewed a PR"}"#);
    assert_eq!(reply["ok"], true, "{reply}");
    assert!(reply["note"]["prompt_id"].is_null(), "{reply}");
    // A prompt already answered cannot be answered again.
    let again = request(
        &env,
        &format!(r#"{{"v":1,"cmd":"note","text":"late","prompt":{id}}}"#),
    );
    assert_eq!(again["error_kind"], "conflict", "{again}");

    let update = answer_to(&env, &opened).expect("stored");
    assert_eq!(update.text, "fixed the login bug");
    assert_eq!(update.source, Some(UpdateSource::Socket));
    let store = Store::open_read_only(&env.database()).unwrap();
    let commits = store.update_commits(update.id).unwrap();
    let subjects: Vec<_> = commits.iter().map(|c| c.summary.clone().unwrap()).collect();
    assert_eq!(subjects, ["Fix the login for #12"]);
}

#[test]
fn a_snoozed_prompt_opens_again_at_its_deadline() {
    let env = Env::new();
    let (_daemon, events, opened) = with_open_prompt(&env, BASIC);

    let reply = request(&env, r#"{"v":1,"cmd":"snooze","seconds":1}"#);
    assert_eq!(reply["ok"], true, "{reply}");
    assert_eq!(reply["prompt"]["state"], "snoozed");
    let snoozed = prompt_event(&events, "snoozed");
    assert_eq!(snoozed["id"], opened["id"]);
    let until = snoozed["reopens_at"].as_str().unwrap().to_string();
    // Folded into while snoozed: it stays snoozed.
    let updated = trigger(&env, &events, "updated");
    assert_eq!(updated["state"], "snoozed");

    let reopened = prompt_event(&events, "reopened");
    assert_eq!(reopened["id"], opened["id"]);
    assert_eq!(reopened["state"], "open");
    assert!(reopened["state_at"].as_str().unwrap() >= until.as_str());

    // Nothing outstanding: nothing to snooze.
    let out = env.run(["skip"]);
    assert!(out.status.success(), "{}", text(&out));
    let none = request(&env, r#"{"v":1,"cmd":"snooze"}"#);
    assert_eq!(none["error_kind"], "not_found", "{none}");
    let out = env.run(["snooze", "10m"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("no prompt is open"), "{}", text(&out));
}

#[test]
fn the_log_names_an_answered_prompt_as_it_was_shown() {
    let env = Env::new();
    let (repo, mut daemon, events) = watching_api(&env);
    commit(&repo, "a.txt", "Fix the session refresh");
    let opened = prompt_event(&events, "opened");
    let out = env.run(["note", "the session refresh"]);
    assert!(out.status.success(), "{}", text(&out));
    prompt_event(&events, "answered");
    daemon.signal(nix::sys::signal::Signal::SIGTERM);
    let log = daemon.stderr_text();
    let said = format!(
        "prompt #{} answered: {}",
        opened["id"],
        opened["summary"].as_str().unwrap()
    );
    assert!(log.contains(&said), "{said}:\n{log}");
}

#[test]
fn a_bare_snooze_never_shortens_a_snooze_and_a_time_is_what_it_says() {
    let env = Env::new();
    let (_daemon, events, opened) =
        with_open_prompt(&env, &format!("{BASIC}prompts:\n  snooze: 1m\n"));
    let id = opened["id"].as_i64().unwrap();

    let long = request(&env, r#"{"v":1,"cmd":"snooze","minutes":2}"#);
    assert_eq!(long["ok"], true, "{long}");
    let until = long["prompt"]["reopens_at"].clone();
    prompt_event(&events, "snoozed");

    // `prompts.snooze` is 1m: the 2m snooze stands, and the reply says so.
    let bare = request(&env, r#"{"v":1,"cmd":"snooze"}"#);
    assert_eq!(bare["ok"], true, "{bare}");
    assert_eq!(bare["prompt"]["reopens_at"], until, "{bare}");
    let said = bare["message"].as_str().unwrap();
    assert!(
        said.starts_with(&format!("prompt #{id} stays snoozed until ")),
        "{said}"
    );
    let store = Store::open_read_only(&env.database()).unwrap();
    let stored = store.prompt(id).unwrap().unwrap();
    assert_eq!(stored.changes.len(), 2, "open, snoozed: {stored:?}");

    // A time given is what it says, also when it is shorter.
    let short = request(&env, r#"{"v":1,"cmd":"snooze","seconds":30}"#);
    assert_eq!(short["ok"], true, "{short}");
    assert!(
        short["prompt"]["reopens_at"].as_str() < until.as_str(),
        "{short}"
    );
    let said = short["message"].as_str().unwrap();
    assert!(said.contains(" (was until "), "{said}");
}

#[test]
fn skip_skips_the_open_prompt_and_the_next_slot() {
    let env = Env::new();
    let (_daemon, events, opened) = with_open_prompt(&env, BASIC);
    let out = env.run(["skip"]);
    assert!(out.status.success(), "{}", text(&out));
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        said.starts_with(&format!("prompt #{} skipped; ", opened["id"])),
        "{said}"
    );
    let skipped = prompt_event(&events, "skipped");
    assert_eq!(skipped["id"], opened["id"]);
    events.wait_for("skipped");
    let status = env.status();
    assert!(status["daemon"]["prompt"].is_null(), "{status}");
    assert_eq!(status["daemon"]["scheduler"]["skip_next"], true);
}

#[test]
fn a_note_with_the_daemon_stopped_is_stored_directly() {
    let env = Env::new();
    let (daemon, events, opened) = with_open_prompt(&env, BASIC);
    drop(events);
    daemon.stop();

    let out = env.run(["note", "wrote", "the", "docs"]);
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains("devtrack is not running; the note was stored directly"),
        "{said}"
    );
    assert!(
        said.contains(&format!("update recorded for prompt #{}", opened["id"])),
        "{said}"
    );

    let update = answer_to(&env, &opened).expect("stored");
    assert_eq!(update.text, "wrote the docs");
    assert_eq!(update.source, Some(UpdateSource::Cli));
    let id = opened["id"].as_i64().unwrap();

    // The daemon started later sees it answered.
    let _daemon = env.start();
    let listed = request(&env, r#"{"v":1,"cmd":"prompts"}"#);
    assert_eq!(listed["prompts"][0]["id"], id, "{listed}");
    assert_eq!(listed["prompts"][0]["state"], "answered");
    assert!(env.status()["daemon"]["prompt"].is_null());
}

/// A connection that keeps the store open (as the daemon does) beside a
/// `devtrack note` that writes directly and closes: nothing either commits
/// is lost. The daemon's store guard looks at the file on every commit; it
/// once did so by opening and closing the file, which drops the process's
/// POSIX locks, SQLite's included; the note's connection, seeing no other,
/// then deleted the `-wal` file the first was still writing to, and its
/// later commits were gone once it was killed (found by the kill storm:
/// acknowledged notes missing after a restart).
#[test]
fn a_direct_note_beside_an_open_store_loses_nothing() {
    use devtrack::store::{AnswerTarget, NewUpdate};
    let env = Env::new();
    env.write_config(BASIC);
    std::fs::create_dir_all(env.database().parent().unwrap()).unwrap();
    let mut store = Store::open(&env.database()).unwrap();
    let note = |store: &mut Store, text: &str| {
        let update = NewUpdate {
            text,
            target: AnswerTarget::Oldest,
            source: UpdateSource::Cli,
        };
        store
            .answer(
                &update,
                devtrack::tickets::Families::ALL,
                chrono::Utc::now(),
            )
            .unwrap();
    };
    note(&mut store, "first, through the open store");
    let out = env
        .cmd(["note", "second, written directly"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    note(&mut store, "third, through the open store");
    // Gone the way a killed daemon goes: without closing (a close would
    // checkpoint what it wrote, hiding a lost `-wal` file).
    std::mem::forget(store);

    let db = rusqlite::Connection::open(env.database()).unwrap();
    let texts: Vec<String> = db
        .prepare("SELECT text FROM work_updates ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        texts,
        [
            "first, through the open store",
            "second, written directly",
            "third, through the open store"
        ]
    );
}

#[test]
fn a_note_from_stdin() {
    let env = Env::new();
    let (_daemon, events, opened) = with_open_prompt(&env, BASIC);
    let out = env
        .shell("printf 'from a pipe\\n' | \"$DEVTRACK\" note")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    prompt_event(&events, "answered");
    let update = answer_to(&env, &opened).unwrap();
    assert_eq!(update.text, "from a pipe");
    assert_eq!(
        update.source,
        Some(UpdateSource::Cli),
        "`devtrack note` through the daemon is recorded as `cli`"
    );
}

/// `devtrack note` with a terminal on stdin (through `script`), so it opens
/// `$EDITOR`.
fn note_in_editor(env: &Env, editor: &std::path::Path) -> std::process::Output {
    env.shell("script -qec \"$DEVTRACK note\" /dev/null")
        .env("EDITOR", editor)
        .output()
        .unwrap()
}

#[test]
fn a_note_written_in_the_editor() {
    let env = Env::new();
    let (repo, _daemon, events) = watching_api(&env);
    commit(&repo, "a.txt", "Tidy the parser");
    let opened = prompt_event(&events, "opened");

    let seen = env.dir.path().join("template.txt");
    let editor = env.dir.path().join("editor");
    write_script(
        &editor,
        &format!(
            "#!/bin/sh\ncp \"$1\" '{}'\n{{ printf 'refactored the parser\\n#12 and its test\\n'; cat '{}'; }} > \"$1\"\n",
            seen.display(),
            seen.display()
        ),
    );
    let out = note_in_editor(&env, &editor);
    assert!(out.status.success(), "{}", text(&out));
    prompt_event(&events, "answered");
    let template = std::fs::read_to_string(&seen).unwrap();
    assert!(
        template.contains("api [main]: Tidy the parser"),
        "{template}"
    );
    assert!(
        template.contains(&format!("prompt #{}", opened["id"])),
        "{template}"
    );
    assert_eq!(
        answer_to(&env, &opened).unwrap().text,
        "refactored the parser\n#12 and its test",
        "the template's lines dropped, the typed `#12` line kept"
    );
}

#[test]
fn a_note_of_only_a_ticket_line_is_stored() {
    let env = Env::new();
    let (_daemon, events, opened) = with_open_prompt(&env, BASIC);
    let editor = env.dir.path().join("editor");
    write_script(
        &editor,
        "#!/bin/sh\nprintf '#123 fixed the login redirect\\n' > \"$1\"\n",
    );
    let out = note_in_editor(&env, &editor);
    assert!(out.status.success(), "{}", text(&out));
    prompt_event(&events, "answered");
    assert_eq!(
        answer_to(&env, &opened).unwrap().text,
        "#123 fixed the login redirect"
    );
}

#[test]
fn a_note_typed_in_the_editor_and_refused_is_kept() {
    let env = Env::new();
    env.write_config(BASIC);
    let _daemon = env.start();
    let editor = env.dir.path().join("editor");
    write_script(
        &editor,
        "#!/bin/sh\nprintf '#7 worth keeping\\n' >> \"$1\"\n",
    );
    let out = env
        .shell("script -qec \"$DEVTRACK note --prompt 99999\" /dev/null")
        .env("EDITOR", &editor)
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", text(&out));
    let dir = env.home.join(".local/state/devtrack");
    let kept: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}; {}", dir.display(), text(&out)))
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let name = kept[0].file_name().unwrap().to_str().unwrap();
    assert!(name.starts_with("unsaved-note-"), "{name}");
    assert!(
        text(&out).contains(&format!(
            "what you typed is kept in `{}`",
            kept[0].display()
        )),
        "{}",
        text(&out)
    );
    assert!(std::fs::read_to_string(&kept[0])
        .unwrap()
        .contains("#7 worth keeping"));
}

#[test]
fn an_empty_note_from_the_editor_stores_nothing() {
    let env = Env::new();
    let (_daemon, _events, opened) = with_open_prompt(&env, BASIC);
    let editor = env.dir.path().join("editor");
    write_script(&editor, "#!/bin/sh\nexit 0\n");
    let out = note_in_editor(&env, &editor);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("the note is empty; nothing was stored"),
        "{}",
        text(&out)
    );
    assert!(answer_to(&env, &opened).is_none());
    let store = Store::open_read_only(&env.database()).unwrap();
    let id = opened["id"].as_i64().unwrap();
    assert_eq!(store.prompt(id).unwrap().unwrap().state, PromptState::Open);
}

#[test]
fn a_prompt_left_open_from_yesterday_expires_with_the_first_trigger_of_today() {
    use chrono::{TimeDelta, Utc};
    use devtrack::store::{NewTrigger, TriggerKind};
    let env = Env::new();
    env.write_config(BASIC);
    let yesterday = Utc::now() - TimeDelta::days(1);
    let old = {
        let mut store = Store::open(&env.database()).unwrap();
        let t = NewTrigger {
            kind: TriggerKind::Manual,
            scheduled_at: None,
            fired_at: yesterday,
            late: false,
            reason: None,
            detail: None,
        };
        store
            .record_trigger_prompted(&t, [], yesterday, None)
            .unwrap()
            .opened
            .prompt
            .id
    };
    let _daemon = env.start();
    let events = EventStream::open(&env);
    assert_eq!(env.status()["daemon"]["prompt"]["id"], old);
    let out = env.run(["trigger"]);
    assert!(out.status.success(), "{}", text(&out));
    let expired = prompt_event(&events, "expired");
    assert_eq!(expired["id"], old);
    assert_eq!(expired["state"], "expired");
    let opened = prompt_event(&events, "opened");
    assert_ne!(opened["id"], old);
    assert_eq!(env.status()["daemon"]["prompt"]["id"], opened["id"]);
}
