//! The daemon's watch on its config file, on real files and real inotify:
//! every way an editor saves is one reload, a bad edit or a removed file
//! keeps the running config and says why, a file that comes back is read,
//! `settings.watch_config: false` turns it off, and a config written at
//! the preferred location while the daemon runs on defaults or on the
//! older `~/.devtrack/config.yaml` is picked up. Every wait is on the
//! daemon's event stream.

use std::path::Path;
use std::process::Command;

use crate::daemon::BASIC;
use crate::util::{text, Daemon, Env, EventStream};

fn with_interval(minutes: u32) -> String {
    BASIC.replace(
        "prompt_interval: 180",
        &format!("prompt_interval: {minutes}"),
    )
}

/// A daemon on a config with `minutes` as its interval, and its events.
fn running_at(minutes: u32) -> (Env, Daemon, EventStream) {
    let env = Env::new();
    env.write_config(&with_interval(minutes));
    let daemon = env.start();
    let events = EventStream::open(&env);
    (env, daemon, events)
}

/// The next reload verdict on the stream: `reloaded` or `reload_rejected`.
fn verdict(events: &EventStream) -> serde_json::Value {
    loop {
        let line = events.next_line();
        let ev: serde_json::Value = serde_json::from_str(&line).unwrap();
        if ev["event"] == "reloaded" || ev["event"] == "reload_rejected" {
            return ev;
        }
    }
}

/// The next verdict is a reload that changed exactly `changes`.
fn reloaded(events: &EventStream, changes: &[&str]) {
    let ev = verdict(events);
    assert_eq!(ev["event"], "reloaded", "{ev}");
    assert_eq!(ev["changes"], serde_json::json!(changes), "{ev}");
}

/// The next verdict is a reload that changed exactly `changes`, or a
/// rejection saying `why` and then that reload: for a save in two steps a
/// slow machine may let settle in between.
fn reloaded_perhaps_after(events: &EventStream, why: &str, changes: &[&str]) {
    let ev = verdict(events);
    if ev["event"] == "reload_rejected" {
        let error = ev["error"].as_str().unwrap();
        assert!(error.contains(why), "{why:?} in {error}");
        reloaded(events, changes);
    } else {
        assert_eq!(ev["changes"], serde_json::json!(changes), "{ev}");
    }
}

/// The next verdict is a rejection whose reason contains each of `parts`.
fn rejected(events: &EventStream, parts: &[&str]) -> String {
    let ev = verdict(events);
    assert_eq!(ev["event"], "reload_rejected", "{ev}");
    let error = ev["error"].as_str().unwrap().to_string();
    for part in parts {
        assert!(error.contains(part), "{part:?} in {error}");
    }
    error
}

fn interval(env: &Env) -> serde_json::Value {
    env.status()["daemon"]["scheduler"]["interval_minutes"].clone()
}

fn sh(script: &str, file: &Path) {
    let out = Command::new("sh")
        .args(["-c", script, "sh"])
        .arg(file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{script}: {}", text(&out));
}

#[test]
fn every_way_of_saving_is_one_reload() {
    let (env, _daemon, events) = running_at(10);
    let file = env.config_path();

    // Written in place (truncated, written, closed).
    std::fs::write(&file, with_interval(20)).unwrap();
    reloaded(&events, &["prompt_interval: 10 -> 20"]);

    // An editor's atomic save: a temporary file renamed over it.
    let tmp = file.with_extension("yaml.tmp");
    std::fs::write(&tmp, with_interval(30)).unwrap();
    std::fs::rename(&tmp, &file).unwrap();
    reloaded(&events, &["prompt_interval: 20 -> 30"]);

    // `sed -i`: its own temporary file, renamed over it.
    sh(
        r#"sed -i 's/prompt_interval: 30/prompt_interval: 40/' "$1""#,
        &file,
    );
    reloaded(&events, &["prompt_interval: 30 -> 40"]);

    // Deleted, then created. A slow machine may let the gap settle first:
    // then the file is gone, the config kept, and said, before it is read.
    std::fs::remove_file(&file).unwrap();
    std::fs::write(&file, with_interval(50)).unwrap();
    reloaded_perhaps_after(&events, "no such file", &["prompt_interval: 40 -> 50"]);

    // Written in pieces by two writers (`>` then `>>`), then touched: one
    // reload at most per save, none for a file that reads the same.
    let whole = with_interval(60);
    let (head, tail) = whole.split_at(20);
    sh(
        &format!("printf '%s' '{head}' > \"$1\" && printf '%s' '{tail}' >> \"$1\" && touch \"$1\""),
        &file,
    );
    // A rejection first when the two writes were further apart than the
    // quiet period.
    reloaded_perhaps_after(&events, "", &["prompt_interval: 50 -> 60"]);
    std::fs::write(&file, with_interval(70)).unwrap();
    reloaded(&events, &["prompt_interval: 60 -> 70"]);
    assert_eq!(interval(&env), 70);

    // `devtrack reload` still says what changed: nothing, the watch
    // applied it.
    let out = env.run(["reload", "--wait"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("nothing changed"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_bad_edit_keeps_the_running_config_and_says_why() {
    let (env, mut daemon, events) = running_at(10);
    let file = env.config_path();

    let bad = BASIC.replace("prompt_interval: 180", "prompt_intervall: 30");
    std::fs::write(&file, &bad).unwrap();
    let error = rejected(
        &events,
        &["config.yaml:4", "prompt_intervall", "prompt_interval"],
    );
    assert_eq!(interval(&env), 10);
    let s = env.status();
    assert_eq!(
        s["daemon"]["reload_error"].as_str(),
        Some(error.as_str()),
        "{s}"
    );
    let ready = daemon.wait_notify("STATUS=Reload rejected:");
    assert!(ready.contains("prompt_intervall"), "{ready}");

    // Saved again with the same mistake: rejected again, logged once.
    std::fs::write(&file, format!("{bad}# still wrong\n")).unwrap();
    assert_eq!(rejected(&events, &[]), error);

    // Fixed: applied, and the error is gone.
    std::fs::write(&file, with_interval(20)).unwrap();
    reloaded(&events, &["prompt_interval: 10 -> 20"]);
    let s = env.status();
    assert!(s["daemon"]["reload_error"].is_null(), "{s}");

    daemon.signal(nix::sys::signal::Signal::SIGTERM);
    let log = daemon.stderr_text();
    assert_eq!(log.matches("configuration rejected").count(), 1, "{log}");
}

#[test]
fn a_config_removed_or_moved_away_is_kept_and_read_when_it_comes_back() {
    let (env, _daemon, events) = running_at(10);
    let file = env.config_path();
    let aside = env.dir.path().join("aside.yaml");

    std::fs::rename(&file, &aside).unwrap();
    rejected(&events, &["config.yaml", "no such file", "kept"]);
    assert_eq!(interval(&env), 10);
    let s = env.status();
    assert!(
        s["daemon"]["reload_error"]
            .as_str()
            .unwrap()
            .contains("no such file"),
        "{s}"
    );

    // Back as it was: read, nothing changed.
    std::fs::rename(&aside, &file).unwrap();
    reloaded(&events, &[]);
    assert!(env.status()["daemon"]["reload_error"].is_null());

    std::fs::remove_file(&file).unwrap();
    rejected(&events, &["no such file"]);
    std::fs::write(&file, with_interval(20)).unwrap();
    reloaded(&events, &["prompt_interval: 10 -> 20"]);

    // The whole directory removed and made again.
    std::fs::remove_dir_all(file.parent().unwrap()).unwrap();
    rejected(&events, &["no such file"]);
    env.write_config(&with_interval(30));
    reloaded(&events, &["prompt_interval: 20 -> 30"]);
    assert_eq!(interval(&env), 30);
}

#[test]
fn watch_config_false_leaves_reloading_to_the_user() {
    let env = Env::new();
    let off = |minutes| format!("{}  watch_config: false\n", with_interval(minutes));
    env.write_config(&off(10));
    let _daemon = env.start();
    let events = EventStream::open(&env);

    // Not applied by the watch: the next reload, the user's, applies it
    // and says so, without `--wait` too.
    env.write_config(&off(20));
    let out = env.run(["reload"]);
    assert!(out.status.success(), "{}", text(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("prompt_interval: 10 -> 20"), "{said}");
    reloaded(&events, &["prompt_interval: 10 -> 20"]);

    // Turned on by a reload: the next save is applied.
    env.write_config(&with_interval(20));
    let out = env.run(["reload", "--wait"]);
    assert!(out.status.success(), "{}", text(&out));
    reloaded(&events, &["watch_config: false -> true"]);
    env.write_config(&with_interval(30));
    reloaded(&events, &["prompt_interval: 20 -> 30"]);
}

#[test]
fn a_config_written_while_running_on_defaults_is_read() {
    let env = Env::new();
    // No config at all, not even its directory.
    assert!(!env.config_path().parent().unwrap().exists());
    let _daemon = env.start();
    let events = EventStream::open(&env);
    assert_eq!(interval(&env), 180);

    env.write_config(&with_interval(45));
    let ev = verdict(&events);
    assert_eq!(ev["event"], "reloaded", "{ev}");
    let changes = ev["changes"].to_string();
    assert!(changes.contains("prompt_interval: 180 -> 45"), "{changes}");
    let s = env.status();
    assert_eq!(s["daemon"]["scheduler"]["interval_minutes"], 45);
    assert_eq!(
        s["daemon"]["paths"]["config"],
        env.config_path().display().to_string(),
        "{s}"
    );
}

#[test]
fn a_config_written_at_the_preferred_location_takes_over_from_the_older_one() {
    let env = Env::new();
    let legacy = env.home.join(".devtrack/config.yaml");
    std::fs::create_dir_all(legacy.parent().unwrap()).unwrap();
    std::fs::write(&legacy, with_interval(50)).unwrap();
    let _daemon = env.start();
    let events = EventStream::open(&env);
    assert_eq!(interval(&env), 50);

    // The older file is watched too.
    std::fs::write(&legacy, with_interval(55)).unwrap();
    reloaded(&events, &["prompt_interval: 50 -> 55"]);

    env.write_config(&with_interval(45));
    reloaded(&events, &["prompt_interval: 55 -> 45"]);
    let s = env.status();
    assert_eq!(
        s["daemon"]["paths"]["config"],
        env.config_path().display().to_string(),
        "{s}"
    );
    // From now on the preferred file is the one in use.
    std::fs::write(&legacy, with_interval(5)).unwrap();
    env.write_config(&with_interval(40));
    reloaded(&events, &["prompt_interval: 45 -> 40"]);
}
