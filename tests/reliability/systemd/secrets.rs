//! No secret and no answer text in the logs. The config carries a token in
//! the integration section (`integrations.github.token`: accepted and
//! ignored, as the older DevTrack wrote it), the unit's environment a
//! `GITHUB_TOKEN` (a drop-in `Environment=`), and, once `devtrack note`
//! exists, a note with distinctive text is recorded. After a run with
//! commits, reloads (one rejected), a crash and a stop, neither value is in
//! any field of the user's journal (`journalctl --user -o json`), in the
//! output of the commands that were run, or, for a daemon outside systemd,
//! on its stderr.

use nix::sys::signal::Signal;

use super::{drop_in, figure, has_note_command, signal};
use crate::systemd::{config_watching, manager, since_arg, Ran, UserManager, UserRepo};
use crate::util::{self, Env};

const CONFIG_TOKEN: &str = "ghp_dtSecretConfigToken4f1c9a7e2b";
const ENV_TOKEN: &str = "ghs_dtSecretEnvironmentToken8d3e6b0a";
const NOTE_TEXT: &str = "private answer text 5e7c2a: salary talk with Kim";

fn with_token(yaml: &str) -> String {
    format!("{yaml}integrations:\n  github: {{enabled: true, token: {CONFIG_TOKEN}}}\n")
}

/// The secrets found in `text`, by name.
fn leaks(text: &str, note_sent: bool) -> Vec<&'static str> {
    let mut found = Vec::new();
    if text.contains(CONFIG_TOKEN) {
        found.push("the config's token");
    }
    if text.contains(ENV_TOKEN) {
        found.push("GITHUB_TOKEN");
    }
    if note_sent && text.contains(NOTE_TEXT) {
        found.push("the note's text");
    }
    found
}

/// Every entry of the user's journal since `since`, all fields, as text.
fn whole_journal(m: &UserManager, since: std::time::SystemTime) -> String {
    m.run(
        "journalctl",
        &["--user", "-o", "json", "--no-pager", &since_arg(since)],
    )
    .ok()
    .stdout
}

#[test]
fn no_secret_or_answer_in_the_journal() {
    let Some(m) = manager() else { return };
    let _guard = m.reset();
    let began = std::time::SystemTime::now();
    let repo = UserRepo::create(m, "secrets");
    let config = with_token(&config_watching(&[&repo]));
    m.write_config(&config);
    drop_in(
        m,
        "secrets.conf",
        &format!("[Service]\nEnvironment=GITHUB_TOKEN={ENV_TOKEN}\n"),
    );
    let mut outputs: Vec<Ran> = Vec::new();
    outputs.push(m.devtrack(&["config", "check"]));
    outputs.push(m.devtrack(&["install-service"]).ok());
    let journal = m.follow_journal(&m.journal_cursor());
    repo.commit("a commit while secrets are around");
    journal.wait_for("recorded in `secrets`");
    let note_sent = has_note_command(m);
    if note_sent {
        outputs.push(m.devtrack(&["note", NOTE_TEXT]).ok());
    }
    // A good reload, a rejected one (the token still in the file) and a
    // crash: each logs what it knows.
    m.write_config(&config.replace("prompt_interval: 180", "prompt_interval: 60"));
    outputs.push(m.devtrack(&["reload"]).ok());
    m.write_config(&config.replace("prompt_interval: 180", "prompt_interval: 0"));
    outputs.push(m.devtrack(&["reload"]));
    m.write_config(&config);
    signal(m.main_pid(), Signal::SIGKILL);
    journal.wait_for("Started devtrack.service");
    outputs.push(m.devtrack(&["status"]).ok());
    outputs.push(m.devtrack(&["logs", "-n", "200"]).ok());
    m.devtrack(&["stop"]).ok();
    journal.wait_for("Stopped devtrack.service");

    let text = whole_journal(m, began);
    assert!(
        text.contains("recorded in `secrets`"),
        "the journal read is the run's"
    );
    let in_journal = leaks(&text, note_sent);
    assert!(in_journal.is_empty(), "in the journal: {in_journal:?}");
    for out in &outputs {
        let found = leaks(&out.to_string(), note_sent);
        assert!(found.is_empty(), "{found:?} in command output:\n{out}");
    }
    let entries = text.lines().count();
    figure(
        "systemd::secrets",
        "token in the config and in the unit's environment, and a note's text; journal (all fields) and command output searched",
        entries,
        &format!(
            "0 matches in {entries} journal entries and {} command outputs{}",
            outputs.len(),
            if note_sent { "" } else { "; note not exercised (no `devtrack note`)" }
        ),
    );
    m.devtrack(&["uninstall-service"]).ok();
}

/// Outside systemd the daemon logs to stderr: the same secrets must not
/// reach it.
#[test]
fn no_secret_on_the_daemons_stderr() {
    let env = Env::new();
    let repo = env.home.join("src/proj");
    util::git_repo(&repo);
    let yaml = format!(
        "version: 1.0.0\nsettings:\n  prompt_interval: 180\n  work_hours_only: false\n  \
         timezone: UTC\n  log_level: debug\n  commit_debounce_ms: 100\n\
         repositories:\n  - {{name: proj, path: {}}}\n",
        repo.display()
    );
    env.write_config(&with_token(&yaml));
    let mut daemon = env.start_with(|c| {
        c.env("GITHUB_TOKEN", ENV_TOKEN);
    });
    let stream = util::EventStream::open(&env);
    util::git(&repo, &["commit", "-q", "--allow-empty", "-m", "x"]);
    stream.wait_for("commit");
    env.write_config(&with_token(
        &yaml.replace("prompt_interval: 180", "prompt_interval: 0"),
    ));
    daemon.signal(Signal::SIGHUP);
    stream.wait_for("reload_rejected");
    drop(stream);
    daemon.signal(Signal::SIGTERM);
    let stopped = daemon
        .wait_exit(util::WAIT)
        .expect("the daemon did not stop");
    assert!(stopped.success(), "{stopped}");
    let stderr = daemon.stderr_text();
    assert!(stderr.contains("configuration rejected"), "{stderr}");
    let found = leaks(&stderr, false);
    assert!(found.is_empty(), "{found:?} on stderr:\n{stderr}");
}
