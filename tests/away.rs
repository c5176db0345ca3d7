//! Prompts wait for a person: a real `devtrack run` whose system bus
//! (`DBUS_SYSTEM_BUS_ADDRESS`) is a private `dbus-daemon` with the
//! test-side logind of `logind.rs` on it, and whose session bus has the
//! recording notification server of `notification_server.rs`. A commit
//! prompt on a locked (or long idle) session is opened and published but
//! not shown; the unlock shows it once, as it then stands. Every wait is on
//! an event: a recorded call, a socket event, a status line.

use devtrack::store::Store;

use crate::logind::{Hints, Logind, ScreenSaver};
use crate::notification_server::{BlockingServer, Bus, Call, Notified};
use crate::prompts::{commit, prompt_event, with_repo};
use crate::util::{git_repo, text, Daemon, Env, EventStream};

/// A daemon watching `api`, with logind and a notification server. Fields
/// drop in order: the daemon goes before what it talks to.
struct Fixture {
    daemon: Daemon,
    events: EventStream,
    server: BlockingServer,
    logind: Option<Logind>,
    saver: Option<ScreenSaver>,
    _session_bus: Bus,
    _system_bus: Bus,
    env: Env,
    repo: std::path::PathBuf,
}

impl Fixture {
    /// logind's session with `hints` (no logind: `None`); `prompts` is
    /// added to the `prompts:` section.
    fn start(hints: Option<Hints>, prompts: &str) -> Fixture {
        Fixture::with_saver(hints, None, prompts)
    }

    /// [`Fixture::start`], with a screen saver on the session bus, active
    /// or not (none: `None`).
    fn with_saver(hints: Option<Hints>, saver: Option<bool>, prompts: &str) -> Fixture {
        Fixture::with(hints, saver.map(|active| (active, None)), prompts)
    }

    /// [`Fixture::with_saver`], the screen saver telling this idle time
    /// when asked.
    fn with(hints: Option<Hints>, saver: Option<(bool, Option<u32>)>, prompts: &str) -> Fixture {
        let env = Env::new();
        let repo = env.cwd.join("api");
        git_repo(&repo);
        env.write_config(&format!(
            "{}prompts:\n  dialog: false\n{prompts}",
            with_repo(&repo)
        ));
        let system_bus = Bus::start(&env.dir.path().join("system_bus"));
        let session_bus = Bus::start(&env.dir.path().join("bus"));
        let logind = hints.map(|h| Logind::start(&system_bus.address(), h));
        let server = BlockingServer::start(&session_bus.address(), &["actions"]);
        let saver = saver
            .map(|(active, idle)| ScreenSaver::telling_idle(&session_bus.address(), active, idle));
        let daemon = env.start_with(|c| {
            c.env("DBUS_SESSION_BUS_ADDRESS", session_bus.address())
                .env("DBUS_SYSTEM_BUS_ADDRESS", system_bus.address());
        });
        let events = EventStream::open(&env);
        Fixture {
            daemon,
            events,
            server,
            logind,
            saver,
            _session_bus: session_bus,
            _system_bus: system_bus,
            env,
            repo,
        }
    }

    fn logind(&mut self) -> &mut Logind {
        self.logind.as_mut().expect("logind on the bus")
    }

    /// The `Notify` for `prompt`, and the `delivered` event it leads to.
    fn shown(&mut self, prompt: &serde_json::Value) -> Notified {
        let n = self.server.notified();
        assert_eq!(n.summary, prompt["summary"].as_str().unwrap(), "{n:?}");
        assert!(n.hints.contains(&"urgency".to_string()), "{n:?}");
        let delivered = prompt_event(&self.events, "delivered");
        assert_eq!(delivered["id"], prompt["id"], "{delivered}");
        n
    }

    /// The channels `status` lists as having delivered the outstanding
    /// prompt.
    fn delivered_to(&self) -> serde_json::Value {
        self.env.status()["daemon"]["prompt"]["delivered_to"].clone()
    }

    /// Answers the prompt shown as `n`: the next call takes it down, so no
    /// other showing came between.
    fn answer(&mut self, n: &Notified) {
        let out = self.env.run(["note", "the session refresh"]);
        assert!(out.status.success(), "{}", text(&out));
        assert_eq!(self.server.call(), Call::Close(n.id), "no second showing");
    }

    /// A new STATUS= line containing `part` (earlier ones are forgotten).
    fn next_status(&mut self, part: &str) -> String {
        self.daemon.notes.clear();
        self.daemon.wait_status_containing(part)
    }
}

#[test]
fn a_prompt_on_a_locked_screen_waits_for_the_unlock_and_is_shown_once() {
    let mut f = Fixture::start(Some(Hints::LOCKED), "");
    // The daemon's first status already knows the lock.
    f.daemon.wait_status_containing("screen locked since");

    // Opened, folded into and published on the socket; not shown.
    commit(&f.repo, "a.txt", "Fix the session refresh");
    let opened = prompt_event(&f.events, "opened");
    commit(&f.repo, "b.txt", "Test the session refresh");
    let updated = prompt_event(&f.events, "updated");
    assert_eq!(updated["id"], opened["id"]);
    assert_eq!(f.delivered_to(), serde_json::json!(["socket"]));
    let status = f.env.status();
    assert_eq!(status["daemon"]["away"]["holding"]["reason"], "locked");
    let said = text(&f.env.run(["status"]));
    assert!(
        said.contains("Away:       holding the prompt: screen locked since"),
        "{said}"
    );

    // Unlocked: shown at once, as it stands now. Had a showing reached
    // the server before, its first call would name one commit.
    f.logind().set(Hints::PRESENT);
    let n = f.shown(&updated);
    assert_eq!(n.replaces_id, 0, "{n:?}");
    assert_ne!(updated["summary"], opened["summary"]);

    // The record says it was held, and until when.
    let id = opened["id"].as_i64().unwrap();
    let store = Store::open_read_only(&f.env.database()).unwrap();
    let record = store.prompt(id).unwrap().unwrap();
    assert_eq!(record.holds.len(), 1, "{record:?}");
    assert_eq!(record.holds[0].reason, "locked");
    let released = record.holds[0].released_at.expect("released");
    assert!(released >= record.holds[0].held_at, "{record:?}");
    f.answer(&n);
}

#[test]
fn a_prompt_while_idle_waits_for_activity() {
    // Idle for 20 minutes: longer than `idle_after`'s 10 minutes.
    let mut f = Fixture::start(Some(Hints::idle_for(20)), "");
    f.daemon.wait_status_containing("idle since");
    commit(&f.repo, "a.txt", "Fix the session refresh");
    let opened = prompt_event(&f.events, "opened");
    f.next_status("holding the prompt: idle since");
    assert_eq!(f.delivered_to(), serde_json::json!(["socket"]));

    f.logind().set(Hints::PRESENT);
    let n = f.shown(&opened);
    f.answer(&n);

    // Idle for less than `idle_after`: shown at once.
    f.logind().set(Hints::idle_for(2));
    f.next_status("idle since");
    commit(&f.repo, "b.txt", "Test the session refresh");
    let opened = prompt_event(&f.events, "opened");
    f.shown(&opened);
}

#[test]
fn a_storm_of_locks_and_unlocks_shows_the_prompt_once() {
    let mut f = Fixture::start(Some(Hints::LOCKED), "");
    f.daemon.wait_status_containing("screen locked since");
    commit(&f.repo, "a.txt", "Fix the session refresh");
    let opened = prompt_event(&f.events, "opened");
    f.next_status("holding the prompt: screen locked");

    // 101 flips, unlocked last.
    for i in 0..101 {
        f.logind().set(if i % 2 == 0 {
            Hints::PRESENT
        } else {
            Hints::LOCKED
        });
    }
    let n = f.shown(&opened);
    f.answer(&n);
}

#[test]
fn logind_leaving_shows_the_held_prompt_and_its_return_holds_again() {
    let mut f = Fixture::start(Some(Hints::LOCKED), "");
    f.daemon.wait_status_containing("screen locked since");
    commit(&f.repo, "a.txt", "Fix the session refresh");
    let opened = prompt_event(&f.events, "opened");
    f.next_status("holding the prompt: screen locked");

    // Nothing says the screen is locked any more: shown as without logind.
    f.logind().vanish();
    let n = f.shown(&opened);
    let status = f.env.status();
    let missing = status["daemon"]["away"]["missing"].to_string();
    assert!(missing.contains("logind"), "{status}");
    f.answer(&n);

    // Back, locked: the next prompt is held again.
    f.logind().come_back(Hints::LOCKED);
    f.next_status("screen locked since");
    commit(&f.repo, "b.txt", "Test the session refresh");
    let opened = prompt_event(&f.events, "opened");
    f.next_status("holding the prompt: screen locked");
    f.logind().set(Hints::PRESENT);
    f.shown(&opened);
}

#[test]
fn no_system_bus_shows_prompts_as_they_come_and_status_says_so() {
    let mut f = Fixture::start(None, "");
    // The bus runs but nobody owns logind's name there; then no bus at all.
    let status = f.env.status();
    let missing = status["daemon"]["away"]["missing"].to_string();
    assert!(missing.contains("logind"), "{status}");
    commit(&f.repo, "a.txt", "Fix the session refresh");
    let opened = prompt_event(&f.events, "opened");
    f.shown(&opened);

    let env = Env::new();
    env.write_config("repositories: []\nsettings:\n  timezone: UTC\n");
    let _daemon = env.start();
    let status = env.status();
    let missing = status["daemon"]["away"]["missing"].to_string();
    assert!(missing.contains("no system bus"), "{status}");
    let said = text(&env.run(["status"]));
    assert!(
        said.contains("Away:       not followed (no system bus"),
        "{said}"
    );
}

#[test]
fn when_away_show_shows_prompts_on_a_locked_screen() {
    let mut f = Fixture::start(Some(Hints::LOCKED), "  when_away: show\n");
    f.daemon.wait_status_containing("screen locked since");
    commit(&f.repo, "a.txt", "Fix the session refresh");
    let opened = prompt_event(&f.events, "opened");
    f.shown(&opened);
}

#[test]
fn a_screen_saver_on_the_session_bus_holds_prompts_without_logind() {
    let mut f = Fixture::with_saver(None, Some(true), "");
    f.daemon.wait_status_containing("screen locked since");
    commit(&f.repo, "a.txt", "Fix the session refresh");
    let opened = prompt_event(&f.events, "opened");
    f.next_status("holding the prompt: screen locked");
    assert_eq!(f.delivered_to(), serde_json::json!(["socket"]));
    let status = f.env.status();
    let sources = status["daemon"]["away"]["sources"].to_string();
    assert!(sources.contains("org.freedesktop.ScreenSaver"), "{status}");

    f.saver.as_ref().unwrap().set(false);
    let n = f.shown(&opened);
    f.answer(&n);
}

#[test]
fn do_not_disturb_holds_prompts_like_a_lock() {
    let mut f = Fixture::start(Some(Hints::PRESENT), "");
    f.server.set_inhibited(true);
    f.next_status("notifications inhibited since");
    commit(&f.repo, "a.txt", "Fix the session refresh");
    let opened = prompt_event(&f.events, "opened");
    f.next_status("holding the prompt: notifications inhibited");
    assert_eq!(f.delivered_to(), serde_json::json!(["socket"]));

    f.server.set_inhibited(false);
    let n = f.shown(&opened);
    f.answer(&n);
}

#[test]
fn an_idle_time_that_can_only_be_asked_for_is_asked_while_the_prompt_is_held() {
    // KDE: no logind hints, a screen saver telling 20 minutes idle.
    let mut f = Fixture::with(None, Some((false, Some(1200))), "");
    commit(&f.repo, "a.txt", "Fix the session refresh");
    let opened = prompt_event(&f.events, "opened");
    f.next_status("holding the prompt: idle since");
    assert_eq!(f.delivered_to(), serde_json::json!(["socket"]));

    // Back at the keyboard: the next ask (within 30 s) shows it.
    let saver = f.saver.take().unwrap();
    saver.set_idle(0);
    saver.asked_and_told(0);
    let n = f.shown(&opened);
    // Recorded as held while idle, from the prompt's start; the moment of
    // asking is no hold of its own.
    let id = opened["id"].as_i64().unwrap();
    let store = Store::open_read_only(&f.env.database()).unwrap();
    let holds = store.prompt(id).unwrap().unwrap().holds;
    assert_eq!(holds.len(), 1, "{holds:?}");
    assert_eq!(holds[0].reason, "idle");
    assert!(holds[0].released_at.is_some(), "{holds:?}");
    f.answer(&n);
    f.saver = Some(saver);
}
