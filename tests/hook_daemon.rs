//! The `on_trigger` hook through the daemon: a real `devtrack run` whose
//! config (0600 in a 0700 directory, unless a test loosens it) names a
//! hook script. The prompt reaches the hook's stdin, its result reaches the
//! store, a hung hook never holds up the daemon, and the permission check
//! refuses a group-writable config until a reload finds it fixed.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use crate::prompts::{prompt_event, trigger};
use crate::util::{output_within, text, write_script, Env, EventStream, WAIT};

/// A config whose hook is `script`, with `timeout`; the desktop channel
/// off, so the hook is the only channel besides the socket.
fn hook_config(env: &Env, script: &Path, timeout: &str, mode: u32) {
    env.write_config(&format!(
        "repositories: []\nsettings:\n  prompt_interval: 180\n  timezone: UTC\nprompts:\n  notifications: false\n  on_trigger:\n    command: ['{}']\n    timeout: {timeout}\n",
        script.display()
    ));
    let file = env.config_path();
    std::fs::set_permissions(file.parent().unwrap(), PermissionsExt::from_mode(0o700)).unwrap();
    std::fs::set_permissions(&file, PermissionsExt::from_mode(mode)).unwrap();
}

/// A hook writing its stdin to `out` (whole once it exits).
fn writer(env: &Env, out: &Path) -> std::path::PathBuf {
    let script = env.dir.path().join("hook.sh");
    write_script(&script, &format!("#!/bin/sh\ncat > '{}'\n", out.display()));
    script
}

/// The hook's results stored for the newest prompt (`history --prompts`).
fn hook_results(env: &Env) -> Vec<serde_json::Value> {
    let history = env.json_lines(["history", "--prompts", "--json"]);
    history[0]["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["channel"] == "hook")
        .cloned()
        .collect()
}

#[test]
fn the_hook_reads_the_prompt_and_its_result_is_stored() {
    let env = Env::new();
    let out = env.dir.path().join("stdin.json");
    hook_config(&env, &writer(&env, &out), "5s", 0o600);
    let _daemon = env.start();
    let events = EventStream::open(&env);

    let opened = trigger(&env, &events, "opened");
    let delivered = prompt_event(&events, "delivered");
    assert_eq!(delivered["id"], opened["id"]);
    let read: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(read["id"], opened["id"]);
    assert_eq!(read["summary"], opened["summary"]);
    assert_eq!(read["triggers"][0]["kind"], "manual");

    let results = hook_results(&env);
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0]["outcome"], "delivered");
    let status = env.status();
    let to = &status["daemon"]["prompt"]["delivered_to"];
    assert_eq!(to, &serde_json::json!(["socket", "hook"]), "{status}");
}

#[test]
fn a_hung_hook_is_killed_at_its_timeout_and_status_answers_meanwhile() {
    let env = Env::new();
    let started = env.dir.path().join("started");
    nix::unistd::mkfifo(&started, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    // It ignores SIGTERM, so it runs for the timeout and the 5 s grace.
    let script = env.dir.path().join("hang.sh");
    write_script(
        &script,
        &format!(
            "#!/bin/sh\ntrap '' TERM\necho started > '{}'\nexec sleep 1000\n",
            started.display()
        ),
    );
    hook_config(&env, &script, "1s", 0o600);
    let _daemon = env.start();
    let events = EventStream::open(&env);

    // Opening the fifo blocks until the hook opens it: on a thread, so a
    // hook that never starts fails the wait instead of hanging the test.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(std::fs::read_to_string(started));
    });
    let opened = trigger(&env, &events, "opened");
    let line = rx.recv_timeout(WAIT).expect("the hook started").unwrap();
    assert_eq!(line, "started\n");

    let status = output_within(&mut env.cmd(["status", "--json"]), Duration::from_secs(5));
    assert!(status.status.success(), "{}", text(&status));
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["daemon"]["prompt"]["id"], opened["id"]);

    let delivered = prompt_event(&events, "delivered");
    assert_eq!(delivered["id"], opened["id"]);
    let results = hook_results(&env);
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0]["outcome"], "failed");
    let detail = results[0]["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("killed after 1 s timeout (it ignored SIGTERM"),
        "{detail}"
    );
}

#[test]
fn a_group_writable_config_refuses_the_hook_until_a_reload_finds_it_fixed() {
    let env = Env::new();
    let out = env.dir.path().join("stdin.json");
    hook_config(&env, &writer(&env, &out), "5s", 0o620);
    let mut daemon = env.start();
    let events = EventStream::open(&env);

    let opened = trigger(&env, &events, "opened");
    daemon.wait_status_containing("hook: hook refused: ");
    let status = env.status();
    let problems = &status["daemon"]["channel_problems"];
    assert_eq!(problems[0]["channel"], "hook", "{status}");
    let detail = problems[0]["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("hook refused: ") && detail.contains("writable by group"),
        "{detail}"
    );
    let said = text(&env.run(["status"]));
    assert!(said.contains("hook refused: "), "{said}");
    assert!(!out.exists(), "a refused hook never runs");

    // Fixed, and reloaded: the hook channel starts anew and runs the hook
    // for the open prompt.
    std::fs::set_permissions(env.config_path(), PermissionsExt::from_mode(0o600)).unwrap();
    let reload = env.run(["reload", "--wait"]);
    assert!(reload.status.success(), "{}", text(&reload));
    let delivered = prompt_event(&events, "delivered");
    assert_eq!(delivered["id"], opened["id"]);
    assert_eq!(hook_results(&env)[0]["outcome"], "delivered");
    let status = env.status();
    assert!(status["daemon"]["channel_problems"].is_null(), "{status}");

    // Another reload does not run it again for the same prompt; the next
    // prompt's run is the next result.
    let reload = env.run(["reload", "--wait"]);
    assert!(reload.status.success(), "{}", text(&reload));
    let out_ = env.run(["skip"]);
    assert!(out_.status.success(), "{}", text(&out_));
    let next = trigger(&env, &events, "opened");
    let delivered = prompt_event(&events, "delivered");
    assert_eq!(delivered["id"], next["id"], "no second run for the first");
    let history = env.json_lines(["history", "--prompts", "--json"]);
    let first = history.iter().find(|p| p["id"] == opened["id"]).unwrap();
    let runs = first["deliveries"].as_array().unwrap().iter();
    assert_eq!(
        runs.filter(|d| d["channel"] == "hook").count(),
        1,
        "{first}"
    );

    daemon.signal(nix::sys::signal::Signal::SIGTERM);
    let log = daemon.stderr_text();
    let refused = log.lines().filter(|l| l.contains("hook refused")).count();
    assert_eq!(refused, 1, "said once:\n{log}");
}

#[test]
fn a_prompt_held_by_a_pause_runs_the_hook_when_the_pause_ends() {
    let env = Env::new();
    let repo = env.cwd.join("api");
    crate::util::git_repo(&repo);
    let out = env.dir.path().join("stdin.json");
    let script = writer(&env, &out);
    env.write_config(&format!(
        "{}prompts:\n  notifications: false\n  on_trigger:\n    command: ['{}']\n",
        crate::prompts::with_repo(&repo),
        script.display()
    ));
    let file = env.config_path();
    std::fs::set_permissions(file.parent().unwrap(), PermissionsExt::from_mode(0o700)).unwrap();
    std::fs::set_permissions(&file, PermissionsExt::from_mode(0o600)).unwrap();
    let _daemon = env.start();
    let events = EventStream::open(&env);

    let reply = crate::prompts::request(&env, r#"{"v":1,"cmd":"pause","for_secs":2}"#);
    assert_eq!(reply["ok"], true, "{reply}");
    let until = events.wait_for("paused")["until"]
        .as_str()
        .unwrap()
        .to_string();
    crate::prompts::commit(&repo, "a.txt", "Fix the session refresh");
    let opened = prompt_event(&events, "opened");
    // The hook's result is the first delivery, and it ran after the pause.
    let delivered = prompt_event(&events, "delivered");
    assert_eq!(delivered["id"], opened["id"]);
    let hook: Vec<_> = delivered["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["channel"] == "hook")
        .collect();
    assert_eq!(hook.len(), 1, "{delivered}");
    let time = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
    let at = hook[0]["at"].as_str().unwrap();
    assert!(
        time(at) >= time(&until),
        "the hook ran at {at}, paused until {until}"
    );
}
