//! The unit's sandbox on the real user manager. The unit as
//! `install-service` writes it must start (READY=1) and record a commit,
//! and the programs the daemon may start on the person's behalf (the
//! on_trigger hook, a dialog) must keep working under the same filters,
//! since seccomp filters, no_new_privs and the keyring are inherited: here
//! a shell script run with exactly the unit's hardening lines (through
//! `systemd-run --user -p`) uses git, the session bus, a TCP connection and
//! two calls the filter refuses, which must fail with EPERM rather than
//! kill it. `systemd-analyze --user security`'s exposure is the figure.

use std::io::{BufRead, BufReader};

use super::{events, figure};
use crate::systemd::{config_watching, manager, UserManager, UserRepo};

/// The `[Service]` lines of the installed unit from the hardening block on.
fn hardening_lines(unit: &str) -> Vec<String> {
    let service = unit.split("[Service]").nth(1).unwrap();
    let body = service.split("[Install]").next().unwrap();
    body.lines()
        .skip_while(|l| !l.starts_with("NoNewPrivileges="))
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// What a hook might do; prints one line per step that worked.
const HOOK_LIKE: &str = r#"
set -u
git -C "$REPO" commit -q --allow-empty -m "from a sandboxed program" && echo git-ok
busctl --user call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus GetId >/dev/null && echo dbus-ok
exec 3<>"/dev/tcp/127.0.0.1/$PORT" && echo hello >&3 && echo tcp-ok
touch "$REPO/owned"
chown "$(id -u)" "$REPO/owned" 2>/dev/null || echo chown-refused
nice -n 5 true 2>/dev/null; echo nice-survived
"#;

fn run_sandboxed(m: &UserManager, lines: &[String], repo: &UserRepo, port: u16) -> String {
    let mut args: Vec<String> = ["--user", "--wait", "--pipe", "--quiet", "--collect"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for line in lines {
        args.push("-p".to_string());
        args.push(line.clone());
    }
    args.push(format!("--setenv=REPO={}", repo.path.display()));
    args.push(format!("--setenv=PORT={port}"));
    args.extend(["bash", "-c", HOOK_LIKE].map(str::to_string));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let ran = m.run("systemd-run", &refs);
    assert_eq!(ran.code, Some(0), "the sandboxed program failed:\n{ran}");
    ran.stdout
}

#[test]
fn the_hardened_unit_runs_and_lets_hooks_work() {
    let Some(m) = manager() else { return };
    let _guard = m.reset();
    let repo = UserRepo::create(m, "hardened");
    m.write_config(&config_watching(&[&repo]));
    m.devtrack(&["install-service"]).ok();
    assert_eq!(m.show("ActiveState"), "active");
    let stream = events(m);
    let hash = repo.commit("under the sandbox");
    let ev = stream.wait_until("commit", |e| e["commit"]["hash"] == hash.as_str());
    assert_eq!(ev["commit"]["repo"], "hardened");
    let history = m.devtrack(&["history", "--commits", "--json"]).ok();
    assert!(history.stdout.contains(&hash), "{history}");

    let unit = std::fs::read_to_string(m.unit_path()).unwrap();
    let lines = hardening_lines(&unit);
    assert!(
        lines.iter().any(|l| l.starts_with("SystemCallFilter=")),
        "{lines:?}"
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = std::thread::spawn(move || {
        let (conn, _) = listener.accept().unwrap();
        let mut line = String::new();
        BufReader::new(conn).read_line(&mut line).unwrap();
        line
    });
    let out = run_sandboxed(m, &lines, &repo, port);
    for step in [
        "git-ok",
        "dbus-ok",
        "tcp-ok",
        "chown-refused",
        "nice-survived",
    ] {
        assert!(out.lines().any(|l| l == step), "no `{step}` in:\n{out}");
    }
    assert_eq!(accepted.join().unwrap(), "hello\n");

    let security = m
        .run(
            "systemd-analyze",
            &["--user", "security", "--no-pager", "devtrack.service"],
        )
        .ok();
    let overall = security
        .stdout
        .lines()
        .find_map(|l| {
            l.split("Overall exposure level for devtrack.service: ")
                .nth(1)
        })
        .unwrap_or_else(|| panic!("no overall exposure in:\n{security}"))
        // "6.2 MEDIUM :-|": the score and its word, without the smiley.
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    let score: f64 = overall.split(' ').next().unwrap().parse().unwrap();
    println!(
        "systemd-analyze --user security devtrack.service:\n{}",
        security.stdout
    );
    figure(
        "systemd::hardening",
        "systemd-analyze --user security devtrack.service (was 6.6 MEDIUM before this suite)",
        lines.len(),
        &format!("exposure {overall}; starts, records commits; hook-like program keeps git, D-Bus and TCP"),
    );
    assert!(score < 6.6, "the exposure went back up: {overall}");
    m.devtrack(&["uninstall-service"]).ok();
}
