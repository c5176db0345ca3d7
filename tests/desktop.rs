//! The desktop notification channel against a private `dbus-daemon` and
//! the recording notification server of `notification_server.rs`, which
//! emits the server's signals when a test asks. Every wait is on an
//! event (a recorded call, a report, the daemon printing its address) with
//! a time limit.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use devtrack::daemon::prompts::desktop::{self, DesktopOptions, DialogDisplay};
use devtrack::daemon::prompts::{
    AnswerVia, ChannelHandle, FromChannel, PromptView, Report, ToChannel,
};
use tokio::sync::mpsc;

pub use crate::notification_server::{first_line, Bus, Call, Server};
use crate::util::{write_script, WAIT};

/// A fifo a stand-in script writes lines to, read without blocking the
/// test's runtime. Opened read-write, so a script's write never blocks and
/// the reader never sees an end of file between writers.
pub struct Fifo {
    lines: tokio::io::Lines<tokio::io::BufReader<tokio::net::unix::pipe::Receiver>>,
}

impl Fifo {
    pub fn create(path: &Path) -> Fifo {
        nix::unistd::mkfifo(path, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let receiver = tokio::net::unix::pipe::OpenOptions::new()
            .read_write(true)
            .open_receiver(path)
            .unwrap();
        Fifo {
            lines: tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(receiver)),
        }
    }

    pub async fn line(&mut self) -> String {
        tokio::time::timeout(WAIT, self.lines.next_line())
            .await
            .expect("timed out waiting for a line in the fifo")
            .unwrap()
            .expect("fifo closed")
    }
}

/// The channel under test and what it reports.
pub struct Channel {
    pub handle: ChannelHandle,
    reports: mpsc::UnboundedReceiver<FromChannel>,
}

impl Channel {
    pub fn spawn(options: DesktopOptions) -> Channel {
        let (tx, reports) = mpsc::unbounded_channel();
        Channel {
            handle: desktop::spawn(options, tx),
            reports,
        }
    }

    pub fn on(bus: &Bus, dialog_path: Option<&Path>) -> Channel {
        Channel::spawn(options(&bus.address(), dialog_path))
    }

    pub async fn report(&mut self) -> FromChannel {
        let report = tokio::time::timeout(WAIT, self.reports.recv())
            .await
            .expect("timed out waiting for a report")
            .expect("channel ended");
        assert_eq!(report.channel, devtrack::store::Channel::Desktop);
        report
    }

    /// The next report, which must be about `prompt`.
    pub async fn expect(&mut self, prompt: Option<i64>, want: Report) {
        let got = self.report().await;
        assert_eq!((got.prompt, got.report), (prompt, want));
    }

    /// The notification shown for `prompt` (kept by the loop), then its
    /// delivery.
    pub async fn delivered(&mut self, prompt: i64) {
        let got = self.report().await;
        assert_eq!(got.prompt, Some(prompt), "{got:?}");
        assert!(matches!(got.report, Report::Notified(_)), "{got:?}");
        self.expect(
            Some(prompt),
            Report::Delivered {
                detail: Some("recorder 0.1".to_string()),
            },
        )
        .await;
    }

    pub async fn unavailable(&mut self) -> FromChannel {
        let got = self.report().await;
        assert!(matches!(got.report, Report::Unavailable { .. }), "{got:?}");
        got
    }

    pub fn show(&self, view: PromptView) {
        self.handle.send(ToChannel::Show(view));
    }
}

pub fn options(address: &str, dialog_path: Option<&Path>) -> DesktopOptions {
    DesktopOptions {
        bus_address: Some(address.to_string()),
        runtime_dir: None,
        dialog: dialog_path.is_some(),
        search_path: dialog_path.map(OsString::from),
        display: DialogDisplay::Inherit,
        notify_retry_first: None,
    }
}

pub fn view(id: i64, summary: &str) -> PromptView {
    PromptView {
        id,
        summary: summary.to_string(),
        body: "What did you work on?".to_string(),
        trigger_kind: "commit".to_string(),
        repos: vec!["api-server".to_string()],
        json: "{}".to_string(),
        update: false,
        notification: None,
    }
}

/// A bus, a server with `caps` on it, and the channel, in a directory of
/// their own; `bin` is the channel's dialog search path when `dialog`.
struct Fixture {
    server: Server,
    channel: Channel,
    keep: Keep,
}

/// What must outlive a test's waits: dropped, it takes the bus down.
struct Keep {
    dir: tempfile::TempDir,
    bin: PathBuf,
    _bus: Bus,
}

impl Fixture {
    async fn start(caps: &[&str], dialog: bool) -> Fixture {
        let dir = tempfile::Builder::new().prefix("dt-bus").tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let bus = Bus::start(&dir.path().join("bus"));
        let server = Server::start(&bus, caps).await;
        let channel = Channel::on(&bus, dialog.then_some(bin.as_path()));
        Fixture {
            server,
            channel,
            keep: Keep {
                dir,
                bin,
                _bus: bus,
            },
        }
    }

    fn split(self) -> (Server, Channel, Keep) {
        (self.server, self.channel, self.keep)
    }
}

#[tokio::test(flavor = "current_thread")]
async fn show_notifies_with_the_prompts_text_and_actions() {
    let (mut server, mut channel, _keep) =
        Fixture::start(&["actions", "body"], false).await.split();

    channel.show(view(4, "3 commits in api-server since 14:00"));
    let n = server.notified().await;
    assert_eq!(n.app_name, "devtrack");
    assert_eq!(n.app_icon, "devtrack", "the installed icon names devtrack");
    assert_eq!(n.replaces_id, 0);
    assert_eq!(n.summary, "3 commits in api-server since 14:00");
    // No reply field and no dialog: the body says how to answer.
    assert_eq!(
        n.body,
        "What did you work on?\n\nTo answer, run: devtrack note \"what you did\""
    );
    assert_eq!(n.actions, ["snooze", "Snooze", "skip", "Skip"]);
    assert_eq!(n.hints, ["desktop-entry", "urgency"]);
    assert_eq!(n.expire_timeout, 0);
    channel.delivered(4).await;
}

#[tokio::test(flavor = "current_thread")]
async fn an_update_replaces_the_first_notification() {
    let (mut server, mut channel, _keep) = Fixture::start(&["actions"], false).await.split();

    channel.show(view(1, "1 commit in api-server since 14:00"));
    let first = server.notified().await.id;
    channel.delivered(1).await;
    let mut update = view(
        1,
        "Check-in (asked 2× since 14:00) · 3 commits in api-server",
    );
    update.update = true;
    channel.show(update);
    let n = server.notified().await;
    assert_eq!(n.replaces_id, first);
    assert_eq!(
        n.summary,
        "Check-in (asked 2× since 14:00) · 3 commits in api-server"
    );
    channel.delivered(1).await;
    // Another prompt gets a notification of its own.
    channel.show(view(2, "1 commit in web since 15:00"));
    let n = server.notified().await;
    assert_eq!(n.replaces_id, 0);
    assert_ne!(n.id, first);
}

#[tokio::test(flavor = "current_thread")]
async fn snooze_skip_dismiss_and_withdraw() {
    let (mut server, mut channel, _keep) = Fixture::start(&["actions"], false).await.split();

    for (prompt, key, want) in [(1, "snooze", Report::Snooze), (2, "skip", Report::Skip)] {
        channel.show(view(prompt, "a prompt"));
        let id = server.notified().await.id;
        channel.delivered(prompt).await;
        server.emit("ActionInvoked", &(id, key)).await;
        channel.expect(Some(prompt), want).await;
        // Servers close a notification once an action ran: no dismissal.
        server.emit("NotificationClosed", &(id, 2u32)).await;
    }

    // Expired (1) and closed by a call (3) mean nothing; the person's
    // dismissal (2) is reported. Each close is for a notification of its
    // own, so the reports show which ones counted.
    let mut ids = Vec::new();
    for prompt in [3, 4, 5] {
        channel.show(view(prompt, "a prompt"));
        ids.push(server.notified().await.id);
        channel.delivered(prompt).await;
    }
    server.emit("NotificationClosed", &(ids[0], 1u32)).await;
    server.emit("NotificationClosed", &(ids[1], 3u32)).await;
    server.emit("NotificationClosed", &(ids[2], 2u32)).await;
    channel.expect(Some(5), Report::Dismissed).await;

    // An action on an unknown notification is ignored.
    server.emit("ActionInvoked", &(999u32, "skip")).await;
    channel.show(view(6, "a prompt"));
    let id = server.notified().await.id;
    channel.delivered(6).await;
    channel.handle.send(ToChannel::Withdraw { prompt: 6 });
    assert_eq!(server.call().await, Call::Close(id));
    // The close that follows (reason 3) reports nothing; neither does a
    // withdrawal of a prompt never shown.
    channel.handle.send(ToChannel::Withdraw { prompt: 77 });
    channel.show(view(7, "a prompt"));
    server.notified().await;
    channel.delivered(7).await;
}

#[tokio::test(flavor = "current_thread")]
async fn inline_reply_is_the_answer() {
    let caps = ["actions", "inline-reply", "body-markup"];
    let (mut server, mut channel, _keep) = Fixture::start(&caps, false).await.split();

    channel.show(view(9, "3 commits in api-server since 14:00"));
    let n = server.notified().await;
    assert_eq!(
        n.actions,
        ["inline-reply", "Reply", "snooze", "Snooze", "skip", "Skip"]
    );
    assert!(n
        .hints
        .contains(&"x-kde-reply-placeholder-text".to_string()));
    assert_eq!(
        n.body, "What did you work on?",
        "the reply field is the how"
    );
    channel.delivered(9).await;
    let reply = (n.id, "  fixed the login bug for #123\n");
    server.emit("NotificationReplied", &reply).await;
    let text = "fixed the login bug for #123".to_string();
    let via = AnswerVia::Inline;
    channel.expect(Some(9), Report::Answer { text, via }).await;
}

#[tokio::test(flavor = "current_thread")]
async fn log_update_opens_the_dialog_and_its_text_is_the_answer() {
    let (mut server, mut channel, keep) = Fixture::start(&["actions"], true).await.split();
    let (dir, bin) = (&keep.dir, &keep.bin);
    let fifo = dir.path().join("cancelled");
    let mut cancelled = Fifo::create(&fifo);
    // A stand-in zenity: the prompt "cancel me" is cancelled (exit 1, after
    // saying so through the fifo), any other is answered with its argv.
    write_script(
    &bin.join("zenity"),
    &format!(
        "#!/bin/sh\ncase \"$*\" in\n*'cancel me'*) echo cancelled > '{}'; exit 1;;\nesac\necho \"answer from $1 $2\"\n",
        fifo.display()
    ),
);

    channel.show(view(1, "3 commits in api-server since 14:00"));
    let n = server.notified().await;
    assert_eq!(
        n.actions,
        [
            "default",
            "Log update",
            "log",
            "Log update",
            "snooze",
            "Snooze",
            "skip",
            "Skip"
        ]
    );
    assert_eq!(n.body, "What did you work on?", "the dialog is the how");
    channel.delivered(1).await;
    server.emit("ActionInvoked", &(n.id, "log")).await;
    let text = "answer from --entry --title=devtrack".to_string();
    let via = AnswerVia::Dialog;
    channel.expect(Some(1), Report::Answer { text, via }).await;

    channel.show(view(2, "cancel me"));
    let id = server.notified().await.id;
    channel.delivered(2).await;
    server.emit("ActionInvoked", &(id, "log")).await;
    assert_eq!(cancelled.line().await, "cancelled");
    // The cancelled dialog reported nothing: the next report is the skip.
    server.emit("ActionInvoked", &(id, "skip")).await;
    channel.expect(Some(2), Report::Skip).await;
}

#[tokio::test(flavor = "current_thread")]
async fn the_dialog_opens_on_the_user_managers_display() {
    let dir = tempfile::Builder::new().prefix("dt-bus").tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    // The manager's environment: a display only once `display` exists.
    // Each call says through the fifo that it has decided.
    let display = dir.path().join("display");
    let asked = dir.path().join("asked");
    let mut manager = Fifo::create(&asked);
    write_script(
        &bin.join("systemctl"),
        &format!(
            "#!/bin/sh\n[ \"$*\" = '--user show-environment' ] || exit 2\n\
             d=$(cat '{0}' 2>/dev/null)\necho asked > '{1}'\necho HOME=/nowhere\n\
             [ -n \"$d\" ] && echo \"DISPLAY=$d\"\nexit 0\n",
            display.display(),
            asked.display()
        ),
    );
    write_script(&bin.join("zenity"), "#!/bin/sh\necho \"on $DISPLAY\"\n");
    let bus = Bus::start(&dir.path().join("bus"));
    let mut server = Server::start(&bus, &["actions"]).await;
    let mut channel = Channel::spawn(DesktopOptions {
        display: DialogDisplay::UserManager {
            systemctl: bin.join("systemctl"),
        },
        ..options(&bus.address(), Some(&bin))
    });

    // No display known: no dialog (the skip after it is the next report).
    channel.show(view(1, "a prompt"));
    let id = server.notified().await.id;
    channel.delivered(1).await;
    server.emit("ActionInvoked", &(id, "log")).await;
    assert_eq!(manager.line().await, "asked");
    server.emit("ActionInvoked", &(id, "skip")).await;
    channel.expect(Some(1), Report::Skip).await;

    // The session imported its display since: the dialog opens on it.
    std::fs::write(&display, ":42").unwrap();
    channel.show(view(2, "another prompt"));
    let id = server.notified().await.id;
    channel.delivered(2).await;
    server.emit("ActionInvoked", &(id, "log")).await;
    assert_eq!(manager.line().await, "asked");
    let text = "on :42".to_string();
    let via = AnswerVia::Dialog;
    channel.expect(Some(2), Report::Answer { text, via }).await;
}

#[tokio::test(flavor = "current_thread")]
async fn no_server_is_reported_once_and_a_server_taking_the_name_ends_it() {
    let dir = tempfile::Builder::new().prefix("dt-bus").tempdir().unwrap();
    let bus = Bus::start(&dir.path().join("bus"));
    let mut channel = Channel::on(&bus, None);

    let first = channel.unavailable().await;
    assert_eq!(first.prompt, None);
    match first.report {
        Report::Unavailable { detail } => {
            assert!(detail.contains("no notification server"), "{detail}")
        }
        _ => unreachable!(),
    }
    // Shows meanwhile report nothing more (one report per outage).
    channel.show(view(1, "waiting for a server"));
    channel.show(view(2, "waiting too"));
    let mut server = Server::start(&bus, &["actions"]).await;
    channel.expect(None, Report::Available).await;
    // The loop shows its open prompt again.
    channel.show(view(1, "waiting for a server"));
    assert_eq!(server.notified().await.summary, "waiting for a server");
    channel.delivered(1).await;

    // The server leaves: an outage again; a new one: available again.
    drop(server);
    channel.unavailable().await;
    let mut server = Server::start(&bus, &["actions"]).await;
    channel.expect(None, Report::Available).await;
    channel.show(view(1, "waiting for a server"));
    let n = server.notified().await;
    assert_eq!(n.replaces_id, 0, "a new server's ids");
    channel.delivered(1).await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_failing_server_is_retried_later_with_the_latest_view() {
    let dir = tempfile::Builder::new().prefix("dt-bus").tempdir().unwrap();
    let bus = Bus::start(&dir.path().join("bus"));
    let mut server = Server::failing(&bus, &["actions"], 1).await;
    let mut channel = Channel::on(&bus, None);

    let started = std::time::Instant::now();
    channel.show(view(1, "1 commit in api-server since 14:00"));
    assert_eq!(
        server.call().await,
        Call::NotifyFailed("1 commit in api-server since 14:00".to_string())
    );
    let failed = channel.report().await;
    assert_eq!(failed.prompt, Some(1));
    match failed.report {
        Report::Failed { detail } => assert!(detail.contains("out of order"), "{detail}"),
        other => panic!("expected Failed, got {other:?}"),
    }
    // A Show meanwhile waits for the retry, which shows the latest view.
    let mut update = view(
        1,
        "Check-in (asked 2× since 14:00) · 2 commits in api-server",
    );
    update.update = true;
    channel.show(update);
    let n = server.notified().await;
    assert_eq!(
        n.summary,
        "Check-in (asked 2× since 14:00) · 2 commits in api-server"
    );
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "retried after the first back-off (1 s), not at once"
    );
    channel.delivered(1).await;
}

#[tokio::test(flavor = "current_thread")]
async fn no_bus_until_its_socket_appears_and_again_when_it_goes() {
    let dir = tempfile::Builder::new().prefix("dt-bus").tempdir().unwrap();
    // The runtime directory itself appears later, as at a first login.
    let runtime = dir.path().join("user");
    let socket = runtime.join("bus");
    let mut channel = Channel::spawn(DesktopOptions {
        bus_address: None,
        runtime_dir: Some(runtime.clone()),
        dialog: false,
        search_path: None,
        display: DialogDisplay::Inherit,
        notify_retry_first: None,
    });
    let first = channel.unavailable().await;
    assert_eq!(first.prompt, None);
    channel.show(view(1, "no bus yet"));

    std::fs::create_dir(&runtime).unwrap();
    let mut bus = Bus::start(&socket);
    let mut server = Server::start(&bus, &["actions"]).await;
    channel.expect(None, Report::Available).await;
    channel.show(view(1, "no bus yet"));
    server.notified().await;
    channel.delivered(1).await;

    // The bus goes away: unavailable; back at the same path: available.
    drop(server);
    bus.kill();
    // Either the server's leaving or the closed connection is the outage,
    // reported once.
    channel.unavailable().await;
    let bus = Bus::start(&socket);
    let mut server = Server::start(&bus, &["actions"]).await;
    channel.expect(None, Report::Available).await;
    channel.show(view(1, "no bus yet"));
    server.notified().await;
    channel.delivered(1).await;
}

#[tokio::test(flavor = "current_thread")]
async fn no_address_at_all_is_unavailable_and_the_channel_carries_on() {
    let mut channel = Channel::spawn(DesktopOptions::default());
    let first = channel.unavailable().await;
    assert_eq!(first.prompt, None);
    channel.show(view(1, "nowhere"));
    channel.handle.send(ToChannel::Withdraw { prompt: 1 });
    assert!(
        !channel.handle.tx.is_closed(),
        "the channel's task still runs"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_server_taking_the_name_ends_the_back_off_at_once() {
    let dir = tempfile::Builder::new().prefix("dt-bus").tempdir().unwrap();
    // The bus can start a server, but the one it starts fails: every
    // `Notify` fails, and the channel waits an hour before trying again.
    let bus = Bus::with_broken_activation(&dir.path().join("bus"));
    let mut channel = Channel::spawn(DesktopOptions {
        notify_retry_first: Some(std::time::Duration::from_secs(3600)),
        ..options(&bus.address(), None)
    });
    channel.show(view(1, "1 commit in api-server since 14:00"));
    let failed = channel.report().await;
    assert_eq!(failed.prompt, Some(1));
    assert!(matches!(failed.report, Report::Failed { .. }), "{failed:?}");

    // A working server takes the name: the prompt waiting for it is shown
    // at once, not in an hour (the wait below would time out).
    let mut server = Server::start(&bus, &["actions"]).await;
    let n = server.notified().await;
    assert_eq!(n.summary, "1 commit in api-server since 14:00");
    channel.delivered(1).await;
}
