//! The daemon end to end: the real binary, driven only through the CLI, the
//! control socket and signals, in a private HOME/XDG environment.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use devtrack::scheduler::{Pause, SchedulerState};
use devtrack::store::Store;
use nix::sys::signal::Signal;

use crate::util::{git_repo, output_within, skip, text, Env, EventStream, WAIT};

pub(crate) const BASIC: &str = "\
version: 1.0.0
repositories: []
settings:
  prompt_interval: 180
  work_hours_only: false
  timezone: Europe/Berlin
  log_level: info
";

fn config_with_interval(minutes: u32) -> String {
    BASIC.replace(
        "prompt_interval: 180",
        &format!("prompt_interval: {minutes}"),
    )
}

/// Seeds the scheduler state the daemon will find at start.
fn seed_state(env: &Env, state: SchedulerState) {
    let mut store = Store::open(&env.database()).unwrap();
    store.save_scheduler_state(&state).unwrap();
}

fn history(env: &Env) -> Vec<serde_json::Value> {
    env.json_lines(["history", "--json", "-n", "1000"])
}

fn running_since(anchor: DateTime<Utc>) -> SchedulerState {
    SchedulerState {
        anchor: Some(anchor.trunc_subsecs(3)),
        pause: Pause::Running,
        skip_next: false,
    }
}

/// The daemon's `next_trigger`, from `status --json`.
fn next_trigger(env: &Env) -> DateTime<Utc> {
    let s = env.status();
    let next = s["daemon"]["scheduler"]["next_trigger"]
        .as_str()
        .unwrap_or_else(|| panic!("no next trigger: {s}"))
        .to_string();
    DateTime::parse_from_rfc3339(&next)
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn runs_on_defaults_with_the_current_repository() {
    let env = Env::new();
    let repo = env.cwd.join("myproject");
    git_repo(&repo);
    let env = Env {
        cwd: repo.clone(),
        ..env
    };
    let daemon = env.start();

    let s = env.status();
    assert_eq!(s["running"], true);
    let d = &s["daemon"];
    assert_eq!(d["pid"], daemon.pid());
    assert!(d["paths"]["config"].is_null());
    assert_eq!(
        d["paths"]["config_expected"],
        env.config_path().display().to_string()
    );
    assert_eq!(d["scheduler"]["interval_minutes"], 180);
    assert_eq!(d["scheduler"]["paused"], false);
    assert_eq!(d["work_hours"]["enabled"], false);
    assert_eq!(d["repositories"][0]["name"], "myproject");
    assert!(d["scheduler"]["next_trigger"].is_string());

    let out = env.run(["status"]);
    assert!(out.status.success(), "{}", text(&out));
    let page = String::from_utf8_lossy(&out.stdout);
    for field in [
        "Status:     running",
        "PID:",
        "Uptime:",
        "Started:",
        "Triggers:",
        "Last:",
        "Config:",
        "Logs:",
        "Lock:",
        "Paused:       false",
        "Interval:     180 minutes",
        "Next trigger:",
        "(in 2h 59m)",
        "Enabled:      false",
        "In hours:",
        "myproject",
    ] {
        assert!(page.contains(field), "`{field}` missing from:\n{page}");
    }
    assert_eq!(daemon.stop().code(), Some(0));
}

#[test]
fn status_without_a_daemon_exits_3() {
    let env = Env::new();
    let out = env.run(["status"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("not running"));
    let out = env.run(["pause"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("devtrack is not running"));
}

#[test]
fn pause_survives_a_restart_and_resume_clears_it() {
    let env = Env::new();
    env.write_config(BASIC);
    let daemon = env.start();
    let out = env.run(["pause", "--for", "2h"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("paused until"));
    let until = env.status()["daemon"]["scheduler"]["paused_until"].clone();
    assert!(until.is_string());
    assert_eq!(daemon.stop().code(), Some(0));

    let daemon = env.start();
    let s = env.status();
    assert_eq!(s["daemon"]["scheduler"]["paused"], true);
    assert_eq!(s["daemon"]["scheduler"]["paused_until"], until);
    let page = String::from_utf8_lossy(&env.run(["status"]).stdout).to_string();
    assert!(page.contains("Paused:       true (until"), "{page}");

    let out = env.run(["resume"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(env.status()["daemon"]["scheduler"]["paused"], false);
    drop(daemon);
}

#[test]
fn indefinite_pause_has_no_next_trigger() {
    let env = Env::new();
    env.write_config(BASIC);
    let _daemon = env.start();
    assert!(env.run(["pause"]).status.success());
    let s = env.status();
    assert_eq!(s["daemon"]["scheduler"]["paused"], true);
    assert!(s["daemon"]["scheduler"]["next_trigger"].is_null());
    let out = env.run(["pause", "--for", "soon"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn skip_is_remembered_across_a_restart() {
    let env = Env::new();
    env.write_config(BASIC);
    let daemon = env.start();
    let out = env.run(["skip"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(env.status()["daemon"]["scheduler"]["skip_next"], true);
    daemon.stop();
    let _daemon = env.start();
    assert_eq!(env.status()["daemon"]["scheduler"]["skip_next"], true);
    let page = String::from_utf8_lossy(&env.run(["status"]).stdout).to_string();
    assert!(page.contains("will be skipped"), "{page}");
}

#[test]
fn a_skipped_slot_is_recorded_and_the_next_one_fires() {
    let env = Env::new();
    env.write_config(&config_with_interval(1));
    let now = Utc::now();
    // Slots at now-65s (to be skipped) and now-5s (due, on time).
    // The store keeps milliseconds.
    let anchor = (now - TimeDelta::seconds(125)).trunc_subsecs(3);
    seed_state(
        &env,
        SchedulerState {
            anchor: Some(anchor),
            pause: Pause::Running,
            skip_next: true,
        },
    );
    let _daemon = env.start();
    let h = history(&env);
    assert_eq!(h.len(), 1, "{h:?}");
    assert_eq!(h[0]["kind"], "timer");
    assert_eq!(h[0]["late"], false);
    let scheduled = chrono::DateTime::parse_from_rfc3339(h[0]["scheduled_at"].as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(scheduled, anchor + TimeDelta::seconds(120));
    assert_eq!(env.status()["daemon"]["missed_slots"], 1);
    assert_eq!(env.status()["daemon"]["scheduler"]["skip_next"], false);
}

#[test]
fn prompts_missed_while_down_collapse_into_one_late_prompt() {
    let env = Env::new();
    env.write_config(&config_with_interval(60));
    seed_state(
        &env,
        SchedulerState {
            anchor: Some(Utc::now() - TimeDelta::minutes(5 * 60 + 30)),
            pause: Pause::Running,
            skip_next: false,
        },
    );
    let _daemon = env.start();
    let h = history(&env);
    assert_eq!(h.len(), 1, "{h:?}");
    assert_eq!(h[0]["kind"], "timer");
    assert_eq!(h[0]["late"], true);
    assert_eq!(env.status()["daemon"]["missed_slots"], 5);
    let in_secs = (next_trigger(&env) - Utc::now()).num_seconds();
    assert!(
        (3500..=3600).contains(&in_secs),
        "next prompt in {in_secs}s"
    );
}

#[test]
fn a_restart_before_the_first_prompt_keeps_the_schedule() {
    let env = Env::new();
    env.write_config(BASIC);
    let daemon = env.start();
    let first = next_trigger(&env);
    assert_eq!(daemon.stop().code(), Some(0));
    let _daemon = env.start();
    assert_eq!(next_trigger(&env), first);
}

#[test]
fn a_clock_stepped_back_delays_the_next_prompt_by_at_most_one_interval() {
    let env = Env::new();
    env.write_config(&config_with_interval(50));
    // The last prompt "happened" 5 h 49 min from now: the clock was set back.
    seed_state(
        &env,
        running_since(Utc::now() + TimeDelta::minutes(5 * 60 + 49)),
    );
    let before = Utc::now();
    let _daemon = env.start();
    let next = next_trigger(&env);
    assert!(
        next > before && next <= Utc::now() + TimeDelta::minutes(50),
        "next prompt at {next}, started at {before}"
    );
    assert_eq!(history(&env), Vec::<serde_json::Value>::new());
}

#[test]
fn a_reload_that_shortens_the_interval_replans_from_now() {
    let env = Env::new();
    env.write_config(BASIC);
    seed_state(&env, running_since(Utc::now() - TimeDelta::minutes(100)));
    let _daemon = env.start();
    assert_eq!(history(&env), Vec::<serde_json::Value>::new());

    env.write_config(&config_with_interval(45));
    let before = Utc::now().trunc_subsecs(3);
    let out = env.run(["reload", "--wait"]);
    assert!(out.status.success(), "{}", text(&out));
    let after = Utc::now();
    // No prompt for slots of the new interval that were never due.
    assert_eq!(history(&env), Vec::<serde_json::Value>::new());
    assert_eq!(env.status()["daemon"]["missed_slots"], 0);
    let next = next_trigger(&env);
    assert!(
        next >= before + TimeDelta::minutes(45) && next <= after + TimeDelta::minutes(45),
        "next prompt at {next}, reloaded between {before} and {after}"
    );
}

#[test]
fn trigger_is_recorded_then_announced() {
    let env = Env::new();
    env.write_config(BASIC);
    let _daemon = env.start();
    let events = EventStream::open(&env);
    let out = env.run(["trigger"]);
    assert!(out.status.success(), "{}", text(&out));
    let ev = events.wait_for("trigger");
    assert_eq!(ev["trigger"]["kind"], "manual");
    let id = ev["trigger"]["id"].as_i64().unwrap();
    let h = history(&env);
    assert!(
        h.iter().any(|t| t["id"] == id && t["kind"] == "manual"),
        "{h:?}"
    );
    let page = String::from_utf8_lossy(&env.run(["history"]).stdout).to_string();
    assert!(page.contains("manual"), "{page}");
}

#[test]
fn sighup_applies_a_good_config_and_keeps_the_old_one_on_a_bad_one() {
    let env = Env::new();
    env.write_config(BASIC);
    let mut daemon = env.start();
    let events = EventStream::open(&env);

    env.write_config(&config_with_interval(60));
    daemon.signal(Signal::SIGHUP);
    let ev = events.wait_for("reloaded");
    let changes = ev["changes"].to_string();
    assert!(
        changes.contains("180") && changes.contains("60"),
        "{changes}"
    );
    assert_eq!(env.status()["daemon"]["scheduler"]["interval_minutes"], 60);

    env.write_config(&BASIC.replace("prompt_interval: 180", "prompt_intervall: 30"));
    daemon.signal(Signal::SIGHUP);
    let ev = events.wait_for("reload_rejected");
    let error = ev["error"].as_str().unwrap();
    assert!(
        error.contains("prompt_intervall") && error.contains(":4"),
        "{error}"
    );
    let s = env.status();
    assert_eq!(s["daemon"]["scheduler"]["interval_minutes"], 60);
    assert!(s["daemon"]["reload_error"]
        .as_str()
        .unwrap()
        .contains("prompt_intervall"));
    let ready = daemon.wait_notify("STATUS=Reload rejected:");
    assert!(ready.contains("READY=1"), "{ready}");
    assert!(daemon
        .notes
        .iter()
        .any(|n| n.contains("RELOADING=1") && n.contains("MONOTONIC_USEC=")));
    let page = String::from_utf8_lossy(&env.run(["status"]).stdout).to_string();
    assert!(page.contains("REJECTED"), "{page}");
}

#[test]
fn reload_wait_reports_the_verdict() {
    let env = Env::new();
    // What `reload` prints is what it applied: no config watch first.
    let unwatched = |minutes| format!("{}  watch_config: false\n", config_with_interval(minutes));
    env.write_config(&unwatched(180));
    let _daemon = env.start();
    env.write_config(&unwatched(45));
    let out = env.run(["reload", "--wait"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("prompt_interval"));
    assert_eq!(env.status()["daemon"]["scheduler"]["interval_minutes"], 45);

    env.write_config(&unwatched(0));
    let out = env.run(["reload", "--wait"]);
    assert_eq!(out.status.code(), Some(5), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("settings.prompt_interval") && err.contains("config.yaml:4"),
        "{err}"
    );
    assert_eq!(env.status()["daemon"]["scheduler"]["interval_minutes"], 45);
}

#[test]
fn a_reload_with_the_config_file_gone_keeps_the_running_config() {
    let env = Env::new();
    env.write_config(&config_with_interval(45));
    let _daemon = env.start();
    std::fs::remove_file(env.config_path()).unwrap();
    for args in [&["reload", "--wait"][..], &["reload"][..]] {
        let out = env.run(args);
        assert_eq!(out.status.code(), Some(5), "{args:?}: {}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("config.yaml") && err.contains("no such file"),
            "{err}"
        );
    }
    let s = env.status();
    assert_eq!(s["daemon"]["scheduler"]["interval_minutes"], 45);
    assert!(s["daemon"]["reload_error"]
        .as_str()
        .unwrap()
        .contains("no such file"));
}

/// `events --follow` does not end when the daemon stops: it waits for the
/// next daemon (its socket created anew: no polling), says `reconnected`
/// with the new PID, and goes on with its events.
#[test]
fn events_follow_reconnects_across_a_restart() {
    let env = Env::new();
    env.write_config(BASIC);
    let daemon = env.start();
    let follow = EventStream::open_with(&env, &["events", "--follow", "--json"]);
    daemon.stop();
    assert_eq!(follow.wait_for("stopping")["event"], "stopping");

    let daemon = env.start();
    let line = follow.wait_for("reconnected");
    assert_eq!(line["v"], 1, "{line}");
    assert_eq!(line["pid"], daemon.pid(), "{line}");
    assert!(line["at"].as_str().unwrap().ends_with('Z'), "{line}");
    let out = env.run(["trigger"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(follow.wait_for("trigger")["event"], "trigger");
}

#[test]
fn sigterm_stops_within_a_second_and_removes_the_socket() {
    let env = Env::new();
    env.write_config(BASIC);
    let mut daemon = env.start();
    assert!(env.socket().exists());
    daemon.signal(Signal::SIGTERM);
    let status = daemon
        .wait_exit(Duration::from_secs(1))
        .expect("daemon still running 1 s after SIGTERM");
    assert_eq!(status.code(), Some(0));
    assert!(!env.socket().exists());
    assert!(
        daemon.received_notify("STOPPING=1"),
        "no STOPPING=1 before exit; notes {:?}",
        daemon.notes
    );
}

#[test]
fn the_socket_is_0600_in_a_0700_directory() {
    let env = Env::new();
    env.write_config(BASIC);
    let _daemon = env.start();
    let mode = |p: &std::path::Path| {
        let mode = std::fs::metadata(p).unwrap().permissions().mode();
        format!("{:o}", mode & 0o777)
    };
    let socket = env.socket();
    assert_eq!(mode(&socket), "600", "socket `{}`", socket.display());
    assert_eq!(mode(socket.parent().unwrap()), "700");
}

#[test]
fn a_second_instance_is_refused_naming_the_first() {
    let env = Env::new();
    env.write_config(BASIC);
    let daemon = env.start();
    let out = env.run(["run"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("PID {}", daemon.pid())), "{err}");
    // The first one is unharmed.
    assert_eq!(env.status()["daemon"]["pid"], daemon.pid());
}

/// `devtrack ARGS` as from a shell without `XDG_RUNTIME_DIR` (a plain
/// `env -i` or `su` session): its socket path falls back to `$TMPDIR`.
fn without_runtime_dir<const N: usize>(env: &Env, args: [&str; N]) -> std::process::Command {
    let tmp = env.dir.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let mut cmd = env.cmd(args);
    cmd.env_remove("XDG_RUNTIME_DIR").env("TMPDIR", tmp);
    cmd
}

#[test]
fn without_xdg_runtime_dir_a_second_daemon_is_refused_and_status_finds_the_first() {
    let env = Env::new();
    env.write_config(BASIC);
    let daemon = env.start();
    let out = output_within(&mut without_runtime_dir(&env, ["run"]), WAIT);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    let lock = env.data_home.join("devtrack/devtrack.lock");
    assert!(
        err.contains(&format!("PID {}", daemon.pid())) && err.contains(&*lock.to_string_lossy()),
        "{err}"
    );
    let fallback = env.dir.path().join("tmp");
    let bound: Vec<_> = walk(&fallback)
        .filter(|p| p.ends_with("control.sock"))
        .collect();
    assert_eq!(bound, Vec::<std::path::PathBuf>::new());

    // That shell's `status` reaches the running daemon through the lock.
    let out = without_runtime_dir(&env, ["status", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["daemon"]["pid"], daemon.pid());
    assert_eq!(
        s["daemon"]["paths"]["socket"],
        env.socket().display().to_string()
    );
    // And so do the control commands.
    let out = without_runtime_dir(&env, ["skip"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(env.status()["daemon"]["scheduler"]["skip_next"], true);
}

#[test]
fn a_daemon_started_without_xdg_runtime_dir_blocks_the_service_one() {
    let env = Env::new();
    env.write_config(BASIC);
    let first = env.start_with(|cmd| {
        let tmp = env.dir.path().join("tmp");
        std::fs::create_dir_all(&tmp).unwrap();
        cmd.env_remove("XDG_RUNTIME_DIR").env("TMPDIR", tmp);
    });
    std::fs::create_dir_all(&env.runtime).unwrap();
    let out = output_within(&mut env.cmd(["run"]), WAIT);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!("PID {}", first.pid())),
        "{}",
        text(&out)
    );
    assert_eq!(env.status()["daemon"]["pid"], first.pid());
}

#[test]
fn status_says_why_a_running_daemon_cannot_be_reached() {
    let env = Env::new();
    env.write_config(BASIC);
    let daemon = env.start();
    std::fs::remove_file(env.socket()).unwrap();
    let running = format!("devtrack is running (PID {}) but not on", daemon.pid());

    let out = env.run(["status"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&running) && err.contains("restarting it recreates its socket"),
        "{err}"
    );

    let out = without_runtime_dir(&env, ["status"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    let socket = env.socket().display().to_string();
    assert!(
        err.contains(&running)
            && err.contains(&format!("nothing answers on its socket `{socket}` either"))
            && err.contains("XDG_RUNTIME_DIR differs"),
        "{err}"
    );
}

#[test]
fn a_daemon_with_another_data_directory_cannot_take_the_socket() {
    let env = Env::new();
    env.write_config(BASIC);
    let daemon = env.start();
    let other_data = env.dir.path().join("other-data");
    let out = output_within(env.cmd(["run"]).env("XDG_DATA_HOME", &other_data), WAIT);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("PID {}", daemon.pid()))
            && err.contains("different data directory")
            && err.contains(&*env.socket().to_string_lossy()),
        "{err}"
    );
    assert_eq!(env.status()["daemon"]["pid"], daemon.pid());
}

/// Every path below `dir` (none when it does not exist).
pub(crate) fn walk(dir: &std::path::Path) -> impl Iterator<Item = std::path::PathBuf> {
    let mut stack = vec![dir.to_path_buf()];
    let mut found = Vec::new();
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path.clone());
            }
            found.push(path);
        }
    }
    found.into_iter()
}

#[test]
fn a_stale_socket_is_replaced() {
    let env = Env::new();
    env.write_config(BASIC);
    std::fs::create_dir_all(env.socket().parent().unwrap()).unwrap();
    // A socket file with nobody behind it, as a crash leaves it.
    drop(std::os::unix::net::UnixListener::bind(env.socket()).unwrap());
    assert!(env.socket().exists());
    let daemon = env.start();
    assert_eq!(env.status()["daemon"]["pid"], daemon.pid());
}

#[test]
fn a_bad_config_at_start_exits_78_with_the_reason() {
    let env = Env::new();
    env.write_config(&BASIC.replace("timezone: Europe/Berlin", "timezone: Mars/Olympus"));
    let out = env.run(["run"]);
    assert_eq!(out.status.code(), Some(78), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("settings.timezone") && err.contains("config.yaml:6"),
        "{err}"
    );
    // `status` says why nothing runs.
    let out = env.run(["status"]);
    assert_eq!(out.status.code(), Some(3));
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(
        page.contains("INVALID") && page.contains("settings.timezone"),
        "{page}"
    );
}

#[test]
fn config_commands() {
    let env = Env::new();
    let out = env.run(["config", "path"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        env.config_path().display().to_string()
    );
    let out = env.run(["config", "init"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = env.run(["config", "check"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = env.run(["config", "init"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    let bad = env.dir.path().join("bad.yaml");
    std::fs::write(&bad, "settings:\n  prompt_interval: soon\n").unwrap();
    let out = env.run(["config", "check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(78), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.yaml:2"));
}

/// Reads the hello line, then sends `line` and returns the reply.
pub(crate) fn exchange(
    stream: &mut UnixStream,
    reader: &mut BufReader<UnixStream>,
    line: &[u8],
) -> serde_json::Value {
    stream.write_all(line).unwrap();
    let mut reply = String::new();
    reader.read_line(&mut reply).unwrap();
    serde_json::from_str(&reply).unwrap_or_else(|e| panic!("{e}: {reply:?}"))
}

fn connect(env: &Env) -> (UnixStream, BufReader<UnixStream>) {
    let stream = UnixStream::connect(env.socket()).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut hello = String::new();
    reader.read_line(&mut hello).unwrap();
    let hello: serde_json::Value = serde_json::from_str(&hello).unwrap();
    assert_eq!(hello["hello"]["protocol"], 1);
    (stream, reader)
}

#[test]
fn garbage_on_the_socket_gets_errors_not_crashes() {
    let env = Env::new();
    env.write_config(BASIC);
    let _daemon = env.start();
    // A client that connects and says nothing must not block anyone.
    let (_silent, _silent_reader) = connect(&env);

    let (mut s, mut r) = connect(&env);
    assert_eq!(
        exchange(&mut s, &mut r, b"not json\n")["error_kind"],
        "bad_request"
    );
    assert_eq!(
        exchange(&mut s, &mut r, b"{\"v\":1,\"cmd\":\"explode\"}\n")["error_kind"],
        "unknown_command"
    );
    assert_eq!(
        exchange(&mut s, &mut r, b"{\"v\":1}\n")["error_kind"],
        "bad_request"
    );
    assert_eq!(
        exchange(&mut s, &mut r, b"{\"v\":1,\"cmd\":\"status\"}\n")["ok"],
        true
    );
    assert_eq!(
        exchange(&mut s, &mut r, b"\xff\xfe\n")["error_kind"],
        "bad_request"
    );
    // Too long: answered, then the connection is closed (it cannot resync).
    let mut long = vec![b'x'; 70 * 1024];
    long.push(b'\n');
    assert_eq!(exchange(&mut s, &mut r, &long)["error_kind"], "too_long");
    let mut rest = String::new();
    assert_eq!(
        r.read_line(&mut rest).unwrap(),
        0,
        "connection left open: {rest}"
    );
    assert_eq!(env.status()["running"], true);
}

#[test]
fn a_subscriber_that_stops_reading_cannot_stall_the_daemon() {
    let env = Env::new();
    env.write_config(BASIC);
    let _daemon = env.start();
    let (mut sub, mut sub_reader) = connect(&env);
    assert_eq!(
        exchange(
            &mut sub,
            &mut sub_reader,
            b"{\"v\":1,\"cmd\":\"subscribe\"}\n"
        )["ok"],
        true
    );
    // Never read from `sub` again. Enough events to overflow its socket
    // buffer and the daemon's queue:
    let (mut s, mut r) = connect(&env);
    for _ in 0..3000 {
        let reply = exchange(&mut s, &mut r, b"{\"v\":1,\"cmd\":\"trigger\"}\n");
        assert_eq!(reply["ok"], true);
    }
    assert_eq!(env.status()["daemon"]["triggers_total"], 3000);
}

#[test]
fn another_user_is_refused() {
    if !nix::unistd::geteuid().is_root() {
        return skip(
            "daemon::another_user_is_refused",
            "needs root to act as a second user",
        );
    }
    let env = Env::new();
    env.write_config(BASIC);
    let _daemon = env.start();
    // Open the file-system path so only the daemon's own check stands in the way.
    let mut p = env.socket();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o777)).unwrap();
    while p.pop() {
        if p == std::path::Path::new("/tmp") {
            break;
        }
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = {
        use std::os::unix::process::CommandExt;
        env.cmd(["status", "--json"])
            .uid(65534)
            .gid(65534)
            .output()
            .unwrap()
    };
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        // The client sees the socket's owner before a byte is exchanged
        // (reliability::security checks the daemon's own refusal).
        err.contains("permission denied") && err.contains("is served by uid 0"),
        "{err}"
    );
}

#[test]
fn a_crash_loop_under_launchd_stops_itself() {
    // launchd relaunches a failed job forever; the daemon counts failed
    // starts itself and, after five quick ones, exits 0 so KeepAlive
    // {SuccessfulExit: false} leaves it stopped.
    let env = Env::new();
    env.write_config("settings:\n  prompt_interval: 0\n");
    let run = || {
        env.cmd(["run"])
            .env("XPC_SERVICE_NAME", "dev.devtrack")
            .output()
            .unwrap()
    };
    for _ in 0..5 {
        let out = run();
        assert_eq!(out.status.code(), Some(78), "{}", text(&out));
    }
    let out = run();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("crash guard"),
        "{}",
        text(&out)
    );
    // The next start (a login, `devtrack start`) gets a full budget again.
    assert_eq!(run().status.code(), Some(78));
}
