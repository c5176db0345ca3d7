//! The CLI's contract as a caller sees it, on the real binary: exit
//! statuses from the README table, one `devtrack: …` error line, a closed
//! stdout ending quietly, a hung daemon timed out, and times in the
//! configured timezone.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use nix::sys::signal::Signal;

use crate::util::{text, write_script, Env, EventStream, WAIT};

/// Asia/Kolkata: the harness runs every command with `TZ=UTC`, so a time
/// shown or read in the machine's zone is off by 5h30.
const KOLKATA: &str = "\
version: 1.0.0
repositories: []
settings:
  prompt_interval: 180
  work_hours_only: false
  timezone: Asia/Kolkata
  log_level: info
";

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `cmd` with its stdout a pipe nobody reads: the read end is closed
/// before the command starts, so its first write fails with EPIPE.
fn with_closed_stdout(mut cmd: Command) -> Output {
    let (read, write) = nix::unistd::pipe().unwrap();
    drop(read);
    cmd.stdout(Stdio::from(write)).stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    // `cmd` keeps a copy of the write end; the child's is the one that counts.
    drop(cmd);
    child.wait_with_output().unwrap()
}

#[test]
fn version_flags_print_what_version_prints() {
    let env = Env::new();
    let version = env.run(["version"]);
    assert!(version.status.success(), "{}", text(&version));
    assert_eq!(
        stdout(&version),
        format!("devtrack {}\n", env!("CARGO_PKG_VERSION"))
    );
    for flag in ["--version", "-V"] {
        let out = env.run([flag]);
        assert_eq!(out.status.code(), Some(0), "{flag}: {}", text(&out));
        assert_eq!(stdout(&out), stdout(&version), "{flag}");
        assert_eq!(stderr(&out), "", "{flag}");
    }
}

#[test]
fn a_closed_stdout_ends_quietly_with_status_0() {
    let env = Env::new();
    env.write_config(KOLKATA);
    let daemon = env.start();
    assert!(env.run(["trigger"]).status.success());
    for args in [
        &["history"][..],
        &["history", "--json"],
        &["history", "--commits"],
        &["config", "path"],
        &["config", "check"],
        &["status"],
        &["status", "--json"],
        &["version"],
        &["--version"],
        &["trigger"],
        // Ends at once, without waiting for an event to write.
        &["events", "--json"],
        &["events"],
    ] {
        let out = with_closed_stdout(env.cmd(args));
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
        let err = stderr(&out);
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{args:?}: {err}"
        );
    }
    drop(daemon);
}

/// `devtrack events --json | head -n 1`: the reader goes away after one
/// line and the stream ends with status 0, without waiting for another event.
#[test]
fn events_end_when_their_reader_goes_away() {
    let env = Env::new();
    env.write_config(KOLKATA);
    let _daemon = env.start();
    let mut pipeline = env
        .shell(
            "\"$DEVTRACK\" events --json | head -n 1; echo \"events exited ${PIPESTATUS[0]}\" >&2",
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(pipeline.stderr.take().unwrap());
    let mut first = String::new();
    err.read_line(&mut first).unwrap();
    assert!(first.starts_with("following events"), "{first}");
    assert!(env.run(["trigger"]).status.success());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(pipeline.wait_with_output());
    });
    let out = rx
        .recv_timeout(WAIT)
        .expect("`devtrack events` kept running after its reader left")
        .unwrap();
    let line = stdout(&out);
    assert!(line.contains("\"trigger\""), "{line}");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    assert_eq!(rest, "events exited 0\n");
}

#[test]
fn bad_pause_values_are_bad_command_lines() {
    let env = Env::new();
    for args in [
        &["pause", "--until", "25:00"][..],
        &["pause", "--until", "17:60"],
        &["pause", "--for", "banana"],
    ] {
        let out = env.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
    }
    // A well-formed instant the daemon refuses (in the past) is one too.
    env.write_config(KOLKATA);
    let _daemon = env.start();
    let out = env.run(["pause", "--until", "2020-01-01T00:00:00Z"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(
        stderr(&out),
        "devtrack: `2020-01-01T00:00:00Z` is in the past\n"
    );
}

#[test]
fn errors_are_one_devtrack_line_and_a_hint() {
    let env = Env::new();
    let out = env.run(["resume"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].starts_with("devtrack: devtrack is not running"),
        "{err}"
    );
    assert!(lines[1].starts_with("hint: "), "{err}");
}

/// A fake `systemctl` whose user manager runs devtrack.service as `pid`.
fn fake_systemctl(env: &Env, pid: i32) -> std::path::PathBuf {
    let path = env.dir.path().join("systemctl");
    write_script(
        &path,
        &format!(
            "#!/bin/sh\n\
             case \"$2\" in\n\
             show-environment) exit 0 ;;\n\
             show) printf 'LoadState=loaded\\nActiveState=active\\nSubState=running\\nMainPID={pid}\\nResult=success\\nUnitFileState=enabled\\n' ;;\n\
             *) exit 1 ;;\n\
             esac\n"
        ),
    );
    path
}

#[test]
fn status_of_a_hung_daemon_names_it_and_shows_the_manager() {
    let env = Env::new();
    env.write_config(KOLKATA);
    let daemon = env.start();
    let systemctl = fake_systemctl(&env, daemon.pid());
    daemon.signal(Signal::SIGSTOP);
    let started = Instant::now();
    let out = env
        .cmd(["status"])
        .env("DEVTRACK_SERVICE_BACKEND", "systemd")
        .env("DEVTRACK_SYSTEMCTL", &systemctl)
        .output()
        .unwrap();
    let took = started.elapsed();
    let json = env
        .cmd(["status", "--json"])
        .env("DEVTRACK_SERVICE_BACKEND", "systemd")
        .env("DEVTRACK_SYSTEMCTL", &systemctl)
        .output()
        .unwrap();
    daemon.signal(Signal::SIGCONT);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    // The client gives the daemon 2 s; the margin is for a loaded machine.
    assert!(took < Duration::from_secs(10), "status took {took:?}");
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!(
            "devtrack: the daemon (PID {}) is not answering",
            daemon.pid()
        )),
        "{err}"
    );
    let page = stdout(&out);
    assert!(page.contains("Status:     not answering"), "{page}");
    assert!(page.contains("State:        active (running)"), "{page}");
    assert!(
        page.contains(&format!("Main PID:     {}", daemon.pid())),
        "{page}"
    );
    assert_eq!(json.status.code(), Some(1), "{}", text(&json));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["running"], true);
    assert_eq!(v["service"]["state"], "active");
    assert!(
        v["error"].as_str().unwrap().contains("is not answering"),
        "{v}"
    );
}

#[test]
fn config_check_without_a_file_says_defaults_apply() {
    let env = Env::new();
    let out = env.run(["config", "check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let said = stdout(&out);
    assert!(
        said.contains("no config file at") && said.contains("defaults apply"),
        "{said}"
    );
    // A file named on the command line must exist, as for `devtrack run`.
    let missing = env.dir.path().join("missing.yaml");
    let out = env.run(["config", "check", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(78), "{}", text(&out));
    let out = env.run(["--config", missing.to_str().unwrap(), "config", "check"]);
    assert_eq!(out.status.code(), Some(78), "{}", text(&out));
    assert!(stderr(&out).contains("missing.yaml"), "{}", text(&out));
}

#[test]
fn history_and_events_use_the_configured_timezone() {
    let env = Env::new();
    env.write_config(KOLKATA);
    let _daemon = env.start();
    let events = EventStream::open_with(&env, &["events"]);
    assert!(
        events.announcement.contains("times in Asia/Kolkata"),
        "{}",
        events.announcement
    );

    let before = Utc::now() - TimeDelta::minutes(1);
    assert!(env.run(["trigger"]).status.success());
    let line = events.next_line();
    assert!(line.contains(" IST  trigger #1 (manual)"), "{line}");
    let line = events.next_line();
    assert!(
        line.contains(" IST  prompt #1 opened: Check-in requested at "),
        "{line}"
    );
    let out = env.run(["pause", "--for", "2h"]);
    assert!(out.status.success(), "{}", text(&out));
    let line = events.next_line();
    let until = (Utc::now() + TimeDelta::hours(2)).with_timezone(&chrono_tz::Asia::Kolkata);
    assert!(line.contains("  paused until "), "{line}");
    assert!(line.contains(" IST (in 1h 59m)"), "{line}");
    assert!(line.contains(&until.format("%H:").to_string()), "{line}");
    drop(events);

    // The table names the zone.
    let page = stdout(&env.run(["history"]));
    assert!(page.contains(" IST  requested with"), "{page}");
    // `--since` is read in the configured zone: a minute ago in Kolkata
    // includes the trigger; read as UTC it would lie 5h30 ahead.
    let since = before
        .with_timezone(&chrono_tz::Asia::Kolkata)
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let rows = env.json_lines(["history", "--json", "--since", &since]);
    assert_eq!(rows.len(), 1, "--since {since}: {rows:?}");
}

#[test]
fn a_corrupt_store_is_named() {
    let env = Env::new();
    env.write_config(KOLKATA);
    std::fs::create_dir_all(env.database().parent().unwrap()).unwrap();
    std::fs::write(env.database(), vec![0x5a; 8192]).unwrap();
    let db = env.database().display().to_string();
    let out = env.run(["history"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(stderr(&out).contains(&format!("`{db}`")), "{}", text(&out));
    let out = env.run(["run"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(stderr(&out).contains(&format!("`{db}`")), "{}", text(&out));
}

#[test]
fn already_running_is_said_once() {
    let env = Env::new();
    env.write_config(KOLKATA);
    let _daemon = env.start();
    let out = env.run(["run"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let err = stderr(&out);
    assert_eq!(err.matches("already running").count(), 1, "{err}");
}

/// `logs --since` takes the times `history` and `report` take (`1h`,
/// `-1h`, `17:00`, `yesterday`, a date), read in the configured zone, and
/// hands journalctl an absolute instant it cannot misread.
#[test]
fn logs_since_takes_the_common_time_syntax() {
    let env = Env::new();
    env.write_config(KOLKATA);
    let record = env.dir.path().join("journalctl-args");
    let fake = env.dir.path().join("journalctl");
    write_script(
        &fake,
        &format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > {}\necho 'Jan 31 09:00:00 host devtrack[1]: entry'\n",
            record.display()
        ),
    );
    let now = Utc::now().timestamp();
    for (since, back) in [("1h", 3600), ("-1h", 3600), ("90m", 5400)] {
        let out = env
            .cmd(["logs", "--since", since])
            .env("DEVTRACK_SERVICE_BACKEND", "systemd")
            .env("DEVTRACK_JOURNALCTL", &fake)
            .output()
            .unwrap();
        assert!(out.status.success(), "{since}: {}", text(&out));
        assert!(stdout(&out).contains("entry"), "{since}: {}", text(&out));
        let args = std::fs::read_to_string(&record).unwrap();
        let at: i64 = args
            .lines()
            .skip_while(|l| *l != "--since")
            .nth(1)
            .and_then(|v| v.strip_prefix('@'))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{since}: no --since=@SECONDS in {args:?}"));
        assert!((at - (now - back)).abs() < 60, "{since}: {at} vs {now}");
    }
    // A date is the start of that day in Kolkata (UTC+5:30).
    let out = env
        .cmd(["logs", "--since", "2026-01-31"])
        .env("DEVTRACK_SERVICE_BACKEND", "systemd")
        .env("DEVTRACK_JOURNALCTL", &fake)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let args = std::fs::read_to_string(&record).unwrap();
    assert!(args.contains("@1769797800\n"), "{args}");
    // Not a time: a usage error naming the forms, before journalctl runs.
    let out = env.run(["logs", "--since", "1 hour ago"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stderr(&out).contains("`yesterday`"), "{}", text(&out));
}

/// A usage error is README's one `devtrack: …` line and a `hint:` line
/// (clap's tip, or the usage), with status 2.
#[test]
fn usage_errors_are_one_line_with_a_hint() {
    let env = Env::new();
    for (args, hint) in [
        (&["status", "--yaml"][..], "hint: usage: devtrack status"),
        // `reload`, and `repo` too: "some similar subcommands exist".
        (&["explode"][..], "hint: "),
    ] {
        let out = env.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        let err = stderr(&out);
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 2, "{args:?}: {err}");
        assert!(lines[0].starts_with("devtrack: "), "{args:?}: {err}");
        assert!(lines[1].starts_with(hint), "{args:?}: {err}");
    }
    let out = env.run(["explode"]);
    assert!(
        stderr(&out).contains("similar subcommand"),
        "{}",
        text(&out)
    );
}

/// With no daemon and no service installed, `reload` does not send you
/// to `devtrack start`, which would fail too.
#[test]
fn reload_without_a_service_points_at_install_service() {
    let env = Env::new();
    let out = env.run(["reload"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains("devtrack install-service") && !err.contains("`devtrack start`"),
        "{err}"
    );
}

/// `devtrack repo ...` run in `dir`.
fn repo_in(env: &Env, dir: &std::path::Path, args: &[&str]) -> Output {
    env.cmd(std::iter::once("repo").chain(args.iter().copied()))
        .current_dir(dir)
        .output()
        .unwrap()
}

fn config_text(env: &Env) -> String {
    std::fs::read_to_string(env.config_path()).unwrap()
}

#[test]
fn repo_add_without_a_config_writes_the_starter_with_the_repository() {
    let env = Env::new();
    let api = env.home.join("src/api");
    crate::util::git_repo(&api);
    std::fs::create_dir_all(api.join("deep/er")).unwrap();
    // From a subdirectory: the repository's top level is added.
    let out = repo_in(&env, &api.join("deep/er"), &["add", "--project", "Shop"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stderr(&out).contains("no daemon is running"),
        "{}",
        text(&out)
    );
    let written = config_text(&env);
    assert!(
        written.starts_with("# devtrack configuration.\n"),
        "{written}"
    );
    assert!(
        written.contains("  - name: api\n")
            && written.contains("    path: ~/src/api\n")
            && written.contains("    project: Shop\n"),
        "{written}"
    );
    let check = env.run(["config", "check"]);
    assert!(check.status.success(), "{}", text(&check));
    assert!(stdout(&check).contains("1 repository"), "{}", text(&check));
    // The same repository again, by its path: refused, naming the entry.
    let again = repo_in(&env, &env.cwd, &["add", api.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));
    assert!(
        stderr(&again).contains("already configured as `api`")
            && stderr(&again).contains("the same path"),
        "{}",
        text(&again)
    );
    assert_eq!(config_text(&env), written);
}

#[test]
fn repo_commands_edit_the_file_in_place_byte_for_byte() {
    let env = Env::new();
    let web = env.home.join("src/web");
    let api = env.cwd.join("api");
    crate::util::git_repo(&web);
    crate::util::git_repo(&api);
    let original = "\
# my config   
version: 1.0.0

repositories:
  # the site
  -   name: 'web'
      path: \"~/src/web\"     # quoted

settings: {prompt_interval: 60,   log_level: debug}
# the end
";
    env.write_config(original);
    let add = repo_in(&env, &env.cwd, &["add", "api", "--disabled"]);
    assert!(add.status.success(), "{}", text(&add));
    let with_api = original.replace(
        "# quoted\n",
        &format!(
            "# quoted\n  -   name: api\n      path: \"{}\"\n      enabled: false\n",
            api.display()
        ),
    );
    assert_eq!(config_text(&env), with_api);

    let enable = repo_in(&env, &env.cwd, &["enable", "api"]);
    assert!(enable.status.success(), "{}", text(&enable));
    let enabled = with_api.replace("enabled: false", "enabled: true");
    assert_eq!(config_text(&env), enabled);
    let again = repo_in(&env, &env.cwd, &["enable", "api"]);
    assert!(
        stdout(&again).contains("already enabled"),
        "{}",
        text(&again)
    );

    // By path, through a symlink to it.
    let link = env.home.join("web-link");
    std::os::unix::fs::symlink(&web, &link).unwrap();
    let disable = repo_in(&env, &env.cwd, &["disable", link.to_str().unwrap()]);
    assert!(disable.status.success(), "{}", text(&disable));
    assert_eq!(
        config_text(&env),
        enabled.replace("# quoted\n", "# quoted\n      enabled: false\n")
    );
    let enable = repo_in(&env, &env.cwd, &["enable", "web"]);
    assert!(enable.status.success(), "{}", text(&enable));
    let remove = repo_in(&env, &env.cwd, &["remove", "api"]);
    assert!(remove.status.success(), "{}", text(&remove));
    assert_eq!(
        config_text(&env),
        original.replace("# quoted\n", "# quoted\n      enabled: true\n")
    );

    let unknown = repo_in(&env, &env.cwd, &["remove", "nope"]);
    assert_eq!(unknown.status.code(), Some(2), "{}", text(&unknown));
    assert!(
        stderr(&unknown).contains("configured: web"),
        "{}",
        text(&unknown)
    );
}

#[test]
fn repo_add_refuses_a_linked_worktree_and_a_symlinked_duplicate() {
    let env = Env::new();
    let api = env.cwd.join("api");
    crate::util::git_repo(&api);
    crate::util::git(&api, &["worktree", "add", "-q", "../api-fix", "-b", "fix"]);
    let original = format!(
        "repositories:\n  - {{name: api, path: {}}}\n",
        api.display()
    );
    env.write_config(&original);

    let fix = repo_in(&env, &env.cwd.join("api-fix"), &["add"]);
    assert_eq!(fix.status.code(), Some(1), "{}", text(&fix));
    let main = std::fs::canonicalize(&api).unwrap();
    assert!(
        stderr(&fix).contains(&format!("is a linked worktree of `{}`", main.display())),
        "{}",
        text(&fix)
    );

    let link = env.home.join("api-link");
    std::os::unix::fs::symlink(&api, &link).unwrap();
    let dup = repo_in(&env, &env.home, &["add", "api-link", "--name", "other"]);
    assert_eq!(dup.status.code(), Some(1), "{}", text(&dup));
    assert!(
        stderr(&dup).contains("already configured as `api`")
            && stderr(&dup).contains(":2:")
            && stderr(&dup).contains("symlink"),
        "{}",
        text(&dup)
    );
    assert_eq!(config_text(&env), original);

    // A new entry in a flow-style list stays in its style; the name is made unique.
    let other = env.cwd.join("other/api");
    crate::util::git_repo(&other);
    let out = repo_in(&env, &other, &["add"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        config_text(&env),
        format!(
            "repositories:\n  - {{name: api, path: {}}}\n  - {{name: api-2, path: {}}}\n",
            api.display(),
            other.display()
        )
    );
}

#[test]
fn repo_list_json_and_unsafe_shapes() {
    let env = Env::new();
    let list = env.run(["repo", "list", "--json"]);
    assert!(list.status.success(), "{}", text(&list));
    assert_eq!(stdout(&list), "[]\n");
    let api = env.cwd.join("api");
    crate::util::git_repo(&api);
    env.write_config(&format!(
        "repositories:\n  - name: api\n    path: {}\n    project: Shop\n  - {{name: gone, path: /nowhere, enabled: false}}\n",
        api.display()
    ));
    let list = env.run(["repo", "list", "--json"]);
    assert!(list.status.success(), "{}", text(&list));
    let value: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(
        value,
        serde_json::json!([
            {"name": "api", "path": api, "enabled": true, "project": "Shop", "exists": true},
            {"name": "gone", "path": "/nowhere", "enabled": false, "project": null, "exists": false},
        ])
    );
    let plain = env.run(["repo", "list"]);
    assert!(
        stdout(&plain).contains("gone  /nowhere  (disabled)  (missing)"),
        "{}",
        text(&plain)
    );

    // An alias in the list: refused, with the entry to paste.
    let aliased = "repositories:\n  - name: x\n    path: /x\n    project: &p Shop\n  - name: y\n    path: /y\n    project: *p\n";
    env.write_config(aliased);
    let web = env.cwd.join("web");
    crate::util::git_repo(&web);
    let out = repo_in(&env, &web, &["add"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stderr(&out).contains(":4: cannot edit the file safely")
            && stderr(&out).contains("- name: web"),
        "{}",
        text(&out)
    );
    assert_eq!(config_text(&env), aliased);
}

#[test]
fn config_init_in_a_repository_writes_its_entry() {
    let env = Env::new();
    let api = env.home.join("code/api");
    crate::util::git_repo(&api);
    let out = env
        .cmd(["config", "init"])
        .current_dir(&api)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let written = config_text(&env);
    assert!(
        written.contains("  - name: api\n    # ") && written.contains("    path: ~/code/api\n"),
        "{written}"
    );
    assert!(!written.contains("myproject"), "{written}");
}

#[test]
fn repo_add_asks_the_running_daemon_to_reload() {
    let env = Env::new();
    env.write_config(KOLKATA);
    let daemon = env.start();
    let api = env.cwd.join("api");
    crate::util::git_repo(&api);
    let out = repo_in(&env, &api, &["add"]);
    assert!(out.status.success(), "{}", text(&out));
    // The reload it asks for, or the daemon's watch of the file before it,
    // applied the edit: the reply came after the daemon had it.
    let said = stdout(&out);
    assert!(
        said.contains("repository added: api")
            || said.contains("the running daemon has applied it"),
        "{}",
        text(&out)
    );
    let repos = &env.status()["daemon"]["repositories"];
    assert_eq!(repos[0]["name"], "api", "{repos}");
    assert_eq!(
        config_text(&env),
        KOLKATA.replace(
            "repositories: []",
            &format!("repositories: [{{name: api, path: {}}}]", api.display())
        )
    );
    drop(daemon);
}
