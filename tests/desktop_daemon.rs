//! The desktop channel through the daemon: a real `devtrack run` whose
//! session bus (`DBUS_SESSION_BUS_ADDRESS`) is a private `dbus-daemon`,
//! with the recording notification server of `notification_server.rs` on
//! it. A trigger is a `Notify`, what the person does in the notification
//! ends up in the store, and the daemon's own changes (answered, snoozed,
//! reloaded) take the notification down. Every wait is on an event: a
//! recorded call, a socket event, a status line, a bus name going away.

use devtrack::store::{PromptState, Store, UpdateSource};

use crate::notification_server::{BlockingServer, Bus, Call, Notified};
use crate::prompts::{commit, prompt_event, request, trigger, with_repo};
use crate::util::{git_repo, text, write_script, Daemon, Env, EventStream, WAIT};

/// No dialog (whatever is installed here), snooze at its minimum.
const CONFIG: &str = "\
repositories: []
settings:
  prompt_interval: 180
  timezone: UTC
prompts:
  dialog: false
  snooze: 1m
";

/// The body of a prompt with no commits, when only `devtrack note` can
/// answer it.
const BODY: &str = "What did you work on?\n\nTo answer, run: devtrack note \"what you did\"";

/// A daemon on a bus of the test's own, and its event stream. Fields drop
/// in order: the daemon goes before its bus.
struct Fixture {
    daemon: Daemon,
    events: EventStream,
    server: Option<BlockingServer>,
    bus: Bus,
    env: Env,
}

impl Fixture {
    /// `caps`: a server with these capabilities is on the bus before the
    /// daemon starts; `None`: no server.
    fn start(config: &str, caps: Option<&[&str]>) -> Fixture {
        Fixture::start_in(Env::new(), config, caps, |_| {})
    }

    /// [`Fixture::start`] in `env`, with `adjust` applied to the daemon's
    /// command.
    fn start_in(
        env: Env,
        config: &str,
        caps: Option<&[&str]>,
        adjust: impl FnOnce(&mut std::process::Command),
    ) -> Fixture {
        env.write_config(config);
        let bus = Bus::start(&env.dir.path().join("bus"));
        let server = caps.map(|caps| BlockingServer::start(&bus.address(), caps));
        let daemon = env.start_with(|c| {
            c.env("DBUS_SESSION_BUS_ADDRESS", bus.address());
            adjust(c);
        });
        let events = EventStream::open(&env);
        Fixture {
            daemon,
            events,
            server,
            bus,
            env,
        }
    }

    fn server(&mut self) -> &mut BlockingServer {
        self.server.as_mut().expect("a server on the bus")
    }

    /// The `Notify` for `prompt`, and the `delivered` event it leads to.
    fn shown(&mut self, prompt: &serde_json::Value) -> Notified {
        let n = self.server().notified();
        assert_eq!(n.summary, prompt["summary"].as_str().unwrap(), "{n:?}");
        let delivered = prompt_event(&self.events, "delivered");
        assert_eq!(delivered["id"], prompt["id"], "{delivered}");
        n
    }

    fn store(&self) -> Store {
        Store::open_read_only(&self.env.database()).unwrap()
    }

    /// The channels `status` lists as having delivered the outstanding
    /// prompt.
    fn delivered_to(&self) -> serde_json::Value {
        let status = self.env.status();
        status["daemon"]["prompt"]["delivered_to"].clone()
    }
}

#[test]
fn a_trigger_is_a_notification_the_next_replaces_it_and_a_note_closes_it() {
    let mut f = Fixture::start(CONFIG, Some(&["actions"]));
    let opened = trigger(&f.env, &f.events, "opened");
    let n = f.shown(&opened);
    assert_eq!(n.app_name, "devtrack");
    assert_eq!(n.replaces_id, 0);
    assert_eq!(n.body, BODY, "one line says how to answer");
    assert_eq!(n.actions, ["snooze", "Snooze", "skip", "Skip"]);

    assert_eq!(f.delivered_to(), serde_json::json!(["socket", "desktop"]));
    let out = f.env.run(["status"]);
    let said = text(&out);
    assert!(said.contains("delivered (socket, desktop)"), "{said}");
    let history = f.env.json_lines(["history", "--prompts", "--json"]);
    let desktop: Vec<_> = history[0]["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["channel"] == "desktop")
        .collect();
    assert_eq!(desktop.len(), 1, "{history:?}");
    assert_eq!(desktop[0]["outcome"], "delivered");
    assert_eq!(desktop[0]["detail"], "recorder 0.1");

    // A second trigger folds: the same notification, replaced.
    let updated = trigger(&f.env, &f.events, "updated");
    assert_eq!(updated["id"], opened["id"]);
    let again = f.shown(&updated);
    assert_eq!((again.replaces_id, again.id), (n.id, n.id));
    assert!(
        again
            .summary
            .starts_with("Check-in requested (asked 2× since "),
        "{again:?}"
    );

    // Answered elsewhere: the notification is taken down.
    let out = f.env.run(["note", "wrote the tests"]);
    assert!(out.status.success(), "{}", text(&out));
    prompt_event(&f.events, "answered");
    assert_eq!(f.server().call(), Call::Close(n.id));
}

#[test]
fn a_commit_is_a_notification_naming_it() {
    let env = Env::new();
    let repo = env.cwd.join("api");
    git_repo(&repo);
    let config = format!("{}prompts:\n  dialog: false\n", with_repo(&repo));
    let mut f = Fixture::start_in(env, &config, Some(&["actions"]), |_| {});
    commit(&repo, "a.txt", "Fix the session refresh");
    let opened = prompt_event(&f.events, "opened");
    assert_eq!(opened["triggers"][0]["kind"], "commit", "{opened}");
    let n = f.shown(&opened);
    assert!(n.summary.starts_with("1 commit in api since "), "{n:?}");
    assert_eq!(
        n.body,
        "What did you work on?\n• Fix the session refresh (api)\n\nTo answer, run: devtrack note \"what you did\""
    );
}

#[test]
fn log_update_opens_the_dialog_and_its_text_is_stored_as_a_dialog_answer() {
    let env = Env::new();
    let bin = env.dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    write_script(
        &bin.join("zenity"),
        "#!/bin/sh\necho 'reviewed the parser change'\n",
    );
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let config = CONFIG.replace("dialog: false", "dialog: true");
    let mut f = Fixture::start_in(env, &config, Some(&["actions"]), |c| {
        c.env("PATH", &path);
    });
    let opened = trigger(&f.env, &f.events, "opened");
    let n = f.shown(&opened);
    assert_eq!(
        n.actions[..4],
        ["default", "Log update", "log", "Log update"]
    );
    assert_eq!(n.body, "What did you work on?", "the dialog is the how");

    f.server().emit("ActionInvoked", &(n.id, "log"));
    let answered = prompt_event(&f.events, "answered");
    assert_eq!(answered["id"], opened["id"]);
    assert_eq!(f.server().call(), Call::Close(n.id));
    let id = opened["id"].as_i64().unwrap();
    let update = f.store().prompt_update(id).unwrap().expect("stored");
    assert_eq!(update.text, "reviewed the parser change");
    assert_eq!(update.source, Some(UpdateSource::Dialog));
}

#[test]
fn snooze_in_the_notification_takes_it_down_until_the_prompt_reopens() {
    let mut f = Fixture::start(CONFIG, Some(&["actions"]));
    let opened = trigger(&f.env, &f.events, "opened");
    let n = f.shown(&opened);

    f.server().emit("ActionInvoked", &(n.id, "snooze"));
    let snoozed = prompt_event(&f.events, "snoozed");
    assert_eq!(snoozed["id"], opened["id"]);
    let at =
        |key: &str| chrono::DateTime::parse_from_rfc3339(snoozed[key].as_str().unwrap()).unwrap();
    assert_eq!(
        at("reopens_at") - at("state_at"),
        chrono::TimeDelta::minutes(1),
        "`prompts.snooze`: {snoozed}"
    );
    let id = opened["id"].as_i64().unwrap();
    let stored = f.store().prompt(id).unwrap().unwrap();
    assert_eq!(stored.state, PromptState::Snoozed);
    assert_eq!(f.server().call(), Call::Close(n.id));

    // Shorter than `prompts.snooze` allows: the socket's snooze.
    let reply = request(&f.env, r#"{"v":1,"cmd":"snooze","seconds":1}"#);
    assert_eq!(reply["ok"], true, "{reply}");
    let reopened = prompt_event(&f.events, "reopened");
    assert_eq!(reopened["id"], opened["id"]);
    let shown = f.shown(&reopened);
    assert_eq!(shown.replaces_id, 0, "the old one was closed");
}

#[test]
fn skip_and_an_inline_reply_in_the_notification() {
    let mut f = Fixture::start(CONFIG, Some(&["actions", "inline-reply"]));
    let first = trigger(&f.env, &f.events, "opened");
    let n = f.shown(&first);
    f.server().emit("ActionInvoked", &(n.id, "skip"));
    let skipped = prompt_event(&f.events, "skipped");
    assert_eq!(skipped["id"], first["id"]);
    assert_eq!(f.server().call(), Call::Close(n.id));
    // As `devtrack skip`: the next interval prompt is skipped too.
    f.events.wait_for("skipped");
    assert_eq!(f.env.status()["daemon"]["scheduler"]["skip_next"], true);

    let second = trigger(&f.env, &f.events, "opened");
    let n = f.shown(&second);
    assert_eq!(n.actions[..2], ["inline-reply", "Reply"]);
    assert_eq!(
        n.body, "What did you work on?",
        "the reply field is the how"
    );
    f.server().emit(
        "NotificationReplied",
        &(n.id, "fixed the login bug for #123"),
    );
    let answered = prompt_event(&f.events, "answered");
    assert_eq!(answered["id"], second["id"]);
    assert_eq!(f.server().call(), Call::Close(n.id));

    let id = second["id"].as_i64().unwrap();
    let update = f.store().prompt_update(id).unwrap().expect("stored");
    assert_eq!(update.text, "fixed the login bug for #123");
    assert_eq!(update.prompt_id, Some(id));
    assert_eq!(update.source, Some(UpdateSource::Inline));
}

#[test]
fn no_server_at_first_is_said_once_and_the_open_prompt_is_shown_when_one_comes() {
    let mut f = Fixture::start(CONFIG, None);
    let first = trigger(&f.env, &f.events, "opened");
    let out = f.env.run(["skip"]);
    assert!(out.status.success(), "{}", text(&out));
    let opened = trigger(&f.env, &f.events, "opened");
    f.daemon
        .wait_status_containing("desktop: no notification server");

    let status = f.env.status();
    let prompt = &status["daemon"]["prompt"];
    assert_eq!(prompt["id"], opened["id"], "{status}");
    assert_eq!(prompt["state"], "open");
    assert_eq!(prompt["delivered_to"], serde_json::json!(["socket"]));
    let problems = &status["daemon"]["channel_problems"];
    assert_eq!(problems.as_array().map(Vec::len), Some(1), "{status}");
    assert_eq!(problems[0]["channel"], "desktop");
    let detail = problems[0]["detail"].as_str().unwrap();
    assert!(detail.contains("no notification server"), "{detail}");
    let said = text(&f.env.run(["status"]));
    assert!(
        said.contains("delivered (socket): "),
        "not to desktop: {said}"
    );
    assert!(
        said.contains("Channel:    desktop cannot deliver since"),
        "{said}"
    );

    // A server takes the name: the open prompt is shown, no trigger needed.
    f.server = Some(BlockingServer::start(&f.bus.address(), &["actions"]));
    let n = f.shown(&opened);
    assert_eq!(n.replaces_id, 0);
    assert_ne!(first["id"], opened["id"]);
    let status = f.env.status();
    assert!(status["daemon"]["channel_problems"].is_null(), "{status}");
    assert_eq!(f.delivered_to(), serde_json::json!(["socket", "desktop"]));

    let Fixture { daemon, .. } = f;
    let log = stop(daemon);
    let said: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("desktop cannot deliver prompts"))
        .collect();
    assert_eq!(said.len(), 1, "once, not per prompt:\n{log}");
    assert!(
        said[0].contains("INFO"),
        "no notification server is news, not a warning: {}",
        said[0]
    );
}

#[test]
fn notifications_turned_off_by_a_reload_stop_the_channel() {
    let mut f = Fixture::start(CONFIG, Some(&["actions"]));
    let opened = trigger(&f.env, &f.events, "opened");
    let n = f.shown(&opened);

    f.env
        .write_config(&format!("{CONFIG}  notifications: false\n"));
    let out = f.env.run(["reload", "--wait"]);
    assert!(out.status.success(), "{}", text(&out));
    // The channel took its notification down, and its connection is gone
    // from the bus: it stopped.
    assert_eq!(f.server().call(), Call::Close(n.id));
    f.server().disconnected(&n.sender);
    let out = f.env.run(["note", "after the reload"]);
    assert!(out.status.success(), "{}", text(&out));
    prompt_event(&f.events, "answered");
    let second = trigger(&f.env, &f.events, "opened");
    assert_ne!(second["id"], opened["id"]);
    assert_eq!(f.delivered_to(), serde_json::json!(["socket"]));
    assert_eq!(f.server().received(), None);
}

#[test]
fn a_reload_that_leaves_notifications_alone_keeps_the_notification() {
    let mut f = Fixture::start(CONFIG, Some(&["actions"]));
    let opened = trigger(&f.env, &f.events, "opened");
    let n = f.shown(&opened);

    f.env
        .write_config(&CONFIG.replace("snooze: 1m", "snooze: 2m"));
    let out = f.env.run(["reload", "--wait"]);
    assert!(out.status.success(), "{}", text(&out));
    // The next showing of the open prompt replaces its notification: the
    // channel was not restarted (a new one would show it as a second one).
    let updated = trigger(&f.env, &f.events, "updated");
    let again = f.shown(&updated);
    assert_eq!(again.replaces_id, n.id, "{again:?}");
    assert_eq!(again.sender, n.sender, "the same connection");
}

/// Stops `daemon`; what it logged.
fn stop(mut daemon: Daemon) -> String {
    daemon.signal(nix::sys::signal::Signal::SIGTERM);
    daemon.stderr_text()
}

#[test]
fn no_bus_at_first_is_news_once_and_a_bus_appearing_shows_the_open_prompt() {
    let env = Env::new();
    env.write_config(CONFIG);
    // No `DBUS_SESSION_BUS_ADDRESS`: the bus would be `$XDG_RUNTIME_DIR/bus`.
    let mut daemon = env.start();
    let events = EventStream::open(&env);
    let opened = trigger(&env, &events, "opened");
    daemon.wait_status_containing("desktop: no session bus: ");
    let socket = env.runtime.join("bus");
    let status = env.status();
    let problems = &status["daemon"]["channel_problems"];
    assert_eq!(
        problems[0]["detail"],
        format!(
            "no session bus: `{}` does not exist (connecting when it is created)",
            socket.display()
        ),
        "{status}"
    );

    // A graphical login: the bus, then a notification server on it.
    let bus = Bus::start(&socket);
    let mut server = BlockingServer::start(&bus.address(), &["actions"]);
    let n = server.notified();
    assert_eq!(n.summary, opened["summary"].as_str().unwrap());
    let delivered = prompt_event(&events, "delivered");
    assert_eq!(delivered["id"], opened["id"]);
    assert!(env.status()["daemon"]["channel_problems"].is_null());

    let log = stop(daemon);
    let said: Vec<&str> = log.lines().filter(|l| l.contains("desktop ")).collect();
    assert_eq!(said.len(), 2, "its outage and its end, once each:\n{log}");
    assert!(said.iter().all(|l| l.contains(" INFO ")), "{said:?}");
    drop(server);
}

/// A daemon watching `api` (a new repository) with `settings` added, on a
/// bus with a recording server.
fn watching_api(settings: &str) -> (std::path::PathBuf, Fixture) {
    let env = Env::new();
    let repo = env.cwd.join("api");
    git_repo(&repo);
    let config = format!("{}{settings}prompts:\n  dialog: false\n", with_repo(&repo));
    let f = Fixture::start_in(env, &config, Some(&["actions"]), |_| {});
    (repo, f)
}

#[test]
fn a_pause_holds_commit_prompts_and_resume_shows_them_once() {
    let (repo, mut f) = watching_api("");
    let out = f.env.run(["pause"]);
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("held and shown once"), "{said}");

    // Opened and published on the socket, not shown.
    commit(&repo, "a.txt", "Fix the session refresh");
    let opened = prompt_event(&f.events, "opened");
    commit(&repo, "b.txt", "Test the session refresh");
    let updated = prompt_event(&f.events, "updated");
    assert_eq!(updated["id"], opened["id"]);
    assert_eq!(f.delivered_to(), serde_json::json!(["socket"]));

    // Resumed: shown once, as it stands now. Had either showing reached
    // the server, its first call would name one commit.
    let out = f.env.run(["resume"]);
    assert!(out.status.success(), "{}", text(&out));
    let n = f.shown(&updated);
    assert_eq!(n.replaces_id, 0, "{n:?}");
    assert_ne!(updated["summary"], opened["summary"]);
    let out = f.env.run(["note", "the session refresh"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(f.server().call(), Call::Close(n.id), "no second showing");
}

#[test]
fn a_pause_for_a_while_releases_its_prompt_when_it_ends() {
    let (repo, mut f) = watching_api("");
    let reply = request(&f.env, r#"{"v":1,"cmd":"pause","for_secs":2}"#);
    assert_eq!(reply["ok"], true, "{reply}");
    let paused = f.events.wait_for("paused");
    let until = chrono::DateTime::parse_from_rfc3339(paused["until"].as_str().unwrap()).unwrap();

    commit(&repo, "a.txt", "Fix the session refresh");
    let opened = prompt_event(&f.events, "opened");
    let n = f.shown(&opened);
    assert!(
        chrono::Utc::now() >= until,
        "shown before the pause ended at {until}: {n:?}"
    );
}

#[test]
fn outside_work_hours_a_commit_prompt_is_held_and_a_trigger_is_shown() {
    // Work hours that start in two hours: now is outside them.
    let start = chrono::Utc::now() + chrono::TimeDelta::hours(2);
    let end = start + chrono::TimeDelta::hours(1);
    let settings = format!(
        "  work_hours_only: true\n  work_start: \"{}\"\n  work_end: \"{}\"\n",
        start.format("%H:00"),
        end.format("%H:00")
    );
    let (repo, mut f) = watching_api(&settings);
    commit(&repo, "a.txt", "Fix the session refresh");
    let opened = prompt_event(&f.events, "opened");
    assert_eq!(opened["triggers"][0]["kind"], "commit", "{opened}");

    // A person asking is always shown, with the held commit folded in:
    // the server's first call is that showing.
    let updated = trigger(&f.env, &f.events, "updated");
    assert_eq!(updated["id"], opened["id"]);
    let n = f.shown(&updated);
    assert_eq!(n.replaces_id, 0, "{n:?}");
}

impl Fixture {
    /// Stops the daemon, waiting for it to exit.
    fn stop(&mut self) {
        self.daemon.signal(nix::sys::signal::Signal::SIGTERM);
        assert!(self.daemon.wait_exit(WAIT).is_some(), "stopped");
    }

    /// Starts the stopped daemon again on the same bus, with a new event
    /// stream.
    fn start_again(&mut self) {
        let address = self.bus.address();
        self.daemon = self.env.start_with(|c| {
            c.env("DBUS_SESSION_BUS_ADDRESS", &address);
        });
        self.events = EventStream::open(&self.env);
    }
}

#[test]
fn a_stopped_daemon_closes_its_notification_and_on_start_replaces_it_on_the_same_server() {
    let mut f = Fixture::start(CONFIG, Some(&["actions"]));
    let opened = trigger(&f.env, &f.events, "opened");
    let n = f.shown(&opened);

    // Stopped: its notification goes with it.
    f.daemon.signal(nix::sys::signal::Signal::SIGTERM);
    assert_eq!(f.server().call(), Call::Close(n.id));

    // Started again, the same server there: the prompt, still open,
    // replaces the notification it had rather than posting a second.
    f.stop();
    f.start_again();
    let again = f.server().notified();
    assert_eq!(again.summary, opened["summary"].as_str().unwrap());
    assert_eq!(again.replaces_id, n.id, "{again:?}");
}

#[test]
fn a_daemon_started_beside_another_server_posts_a_new_notification() {
    let mut f = Fixture::start(CONFIG, Some(&["actions"]));
    let opened = trigger(&f.env, &f.events, "opened");
    let n = f.shown(&opened);

    // Stopped; another server (its ids start again at 1: only its unique
    // name tells them apart); started again.
    f.stop();
    assert_eq!(f.server().call(), Call::Close(n.id));
    f.server.take();
    f.server = Some(BlockingServer::start(&f.bus.address(), &["actions"]));
    f.start_again();
    let again = f.server().notified();
    assert_eq!(again.summary, opened["summary"].as_str().unwrap());
    assert_eq!(again.replaces_id, 0, "{again:?} after {n:?}");
}
