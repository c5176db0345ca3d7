//! Desktop notifications on Linux: the freedesktop notification service
//! (`org.freedesktop.Notifications`) on the user's session bus, through
//! zbus (pure Rust, no libdbus).
//!
//! A [`ToChannel::Show`] becomes one `Notify` call: summary and body from
//! the [`PromptView`], actions "Log update" (only when an input dialog is
//! enabled and installed), "Snooze" and "Skip", and KDE's `inline-reply`
//! when the server lists it in `GetCapabilities` (asked once per server).
//! When nothing in the notification can take an answer, the body gets a
//! last line telling the person to run `devtrack note`. An earlier
//! notification of the same prompt that is still on screen is replaced
//! (`replaces_id`), so an updated prompt never piles up; so is one that an
//! earlier run of the daemon left on screen, when the store kept it and
//! the server that gave it (by unique bus name) is still there: every
//! `Notify` is reported ([`Report::Notified`]) for the loop to keep with
//! the prompt. `expire_timeout` is 0: the notification stays until the
//! person acts on it, the loop withdraws the prompt, or the loop stops the
//! channel, also at the daemon's stop (each closes it with
//! `CloseNotification`).
//!
//! Back from the server: "Snooze" and "Skip" are [`Report::Snooze`] and
//! [`Report::Skip`]; an inline reply (`NotificationReplied`) is
//! [`Report::Answer`]; "Log update" (or a click on the body) opens
//! `zenity`/`kdialog` as a child task, whose text is the answer (cancel:
//! nothing); under the user manager its `DISPLAY` is the manager's at that
//! moment ([`display`]). Closed by the person (reason 2) without acting on it is
//! [`Report::Dismissed`]; any other close means nothing.
//!
//! Outages, each reported once as [`Report::Unavailable`] (with the prompt
//! that met it, or none when it is found without one), and
//! [`Report::Available`] when it is over, after which **the loop sends
//! `Show` again for every open prompt**; the channel never re-shows a
//! prompt by itself and drops what it could not show:
//! - no server owns the name (and none can be activated): the channel
//!   watches `NameOwnerChanged` for it; a server taking the name ends the
//!   outage. A server replaced by another (or gone when one can be
//!   activated) takes its notifications with it, so that is reported as
//!   `Available` too.
//! - no bus (no address, the socket missing, the connection refused or
//!   lost): the socket's directory is watched (inotify, [`crate::socket_watch`])
//!   and the channel connects once the socket is created. A socket that
//!   exists but refuses, and addresses that are not a socket path, are
//!   retried with a back-off from 50 ms to 5 min ([`CONNECT`]) — the bus
//!   gives no event for them.
//!
//! A `Notify` that fails otherwise is [`Report::Failed`] and is retried
//! (with the prompt's latest view) after 1 s, doubling to 5 min
//! ([`NOTIFY`]); a `Show` meanwhile waits for that retry. A server taking
//! the name ends the wait at once: it may be the one that works.

mod content;
mod dbus;
mod dialog;
mod display;
mod session;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

pub(crate) use crate::bus_address::{session_bus, BusAddress};
pub use display::DialogDisplay;

use super::messages::{ChannelHandle, FromChannel, PromptView, Report, ToChannel};
use crate::backoff::{Backoff, Retry};
use crate::config::Prompts;
use crate::daemon::deadline::until;
use crate::store::Channel;

/// A failing `Notify` call: 1 s, 2 s, 4 s … 5 min, so a failing server
/// gets a handful of attempts an hour, not a popup storm.
const NOTIFY: Backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(300));

/// Connecting to a bus socket that exists but refuses: 50 ms (the socket
/// file appears at `bind`, a moment before `listen`) doubling to 5 min.
const CONNECT: Backoff = Backoff::new(Duration::from_millis(50), Duration::from_secs(300));

/// What the channel needs from the environment and the config, given
/// explicitly so tests need not change the process environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DesktopOptions {
    /// `DBUS_SESSION_BUS_ADDRESS`.
    pub bus_address: Option<String>,
    /// `XDG_RUNTIME_DIR`: the bus is `$XDG_RUNTIME_DIR/bus` when no address
    /// is set.
    pub runtime_dir: Option<PathBuf>,
    /// `prompts.dialog`: "Log update" opens `zenity` or `kdialog`.
    pub dialog: bool,
    /// Where `zenity` and `kdialog` are looked for (a `PATH`).
    pub search_path: Option<OsString>,
    /// Where the dialog's `DISPLAY` comes from.
    pub display: DialogDisplay,
    /// The first wait after a failed `Notify` (`None`: 1 s; it doubles up
    /// to 5 min). Tests lengthen it to show what ends a wait early.
    pub notify_retry_first: Option<Duration>,
}

impl DesktopOptions {
    /// The options from the daemon's environment and `prompts:`.
    pub(crate) fn from_env(prompts: &Prompts) -> DesktopOptions {
        DesktopOptions {
            bus_address: std::env::var("DBUS_SESSION_BUS_ADDRESS").ok(),
            runtime_dir: std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from),
            dialog: prompts.dialog,
            search_path: std::env::var_os("PATH"),
            // systemd sets INVOCATION_ID for the processes of a unit.
            display: if std::env::var_os("INVOCATION_ID").is_some() {
                DialogDisplay::UserManager {
                    systemctl: PathBuf::from("systemctl"),
                }
            } else {
                DialogDisplay::Inherit
            },
            notify_retry_first: None,
        }
    }

    /// The back-off after failed `Notify` calls.
    fn notify_retry(&self) -> Backoff {
        Backoff::new(self.notify_retry_first.unwrap_or(NOTIFY.first), NOTIFY.cap)
    }
}

/// Why the bus at `bus` could not be reached, for the status and the log:
/// a socket that is not there yet (the usual case: no graphical login) is
/// said plainly, with what happens next; anything else with its error.
fn no_bus(bus: &BusAddress, error: &str) -> String {
    match bus.socket.as_deref() {
        Some(socket) if !socket.exists() => format!(
            "no session bus: `{}` does not exist (connecting when it is created)",
            socket.display()
        ),
        _ => format!("no session bus at `{}`: {error}", bus.address),
    }
}

/// Starts the channel's task; it ends when the returned handle's senders
/// are all dropped. Needs a tokio runtime (current-thread is fine). The
/// loop starts it only with `prompts.notifications: true`, on Linux.
pub fn spawn(
    options: DesktopOptions,
    reports: mpsc::UnboundedSender<FromChannel>,
) -> ChannelHandle {
    let (tx, rx) = mpsc::unbounded_channel();
    let desktop = Desktop {
        options,
        reports,
        unavailable: false,
        prompts: BTreeMap::new(),
        pending: BTreeSet::new(),
        dialogs: HashMap::new(),
    };
    let task = tokio::spawn(desktop.run(rx));
    ChannelHandle {
        channel: Channel::Desktop,
        tx,
        task: Some(task),
    }
}

/// A prompt the loop asked to show and has not withdrawn.
struct Open {
    view: PromptView,
    /// Its notification on the current server, while on screen.
    notification: Option<u32>,
    /// The notification the store says showed it (an earlier run of the
    /// daemon left it on screen): the first `Notify` replaces it when the
    /// same server (by unique name) is still there.
    inherited: Option<super::messages::Shown>,
    /// The person acted on that notification (so its closing is no
    /// dismissal).
    acted: bool,
}

struct Desktop {
    options: DesktopOptions,
    reports: mpsc::UnboundedSender<FromChannel>,
    /// An outage was reported and has not ended.
    unavailable: bool,
    prompts: BTreeMap<i64, Open>,
    /// Prompts whose latest view is not shown yet (a `Notify` back-off).
    pending: BTreeSet<i64>,
    /// Input dialogs running, by prompt.
    dialogs: HashMap<i64, JoinHandle<()>>,
}

impl Desktop {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<ToChannel>) {
        let bus = session_bus(
            self.options.bus_address.as_deref(),
            self.options.runtime_dir.as_deref(),
        );
        let Some(bus) = bus else {
            self.unavailable(
                None,
                "no session bus: neither `DBUS_SESSION_BUS_ADDRESS` nor `XDG_RUNTIME_DIR` is set"
                    .to_string(),
            );
            while let Some(message) = rx.recv().await {
                self.offline(message);
            }
            return;
        };
        loop {
            let Some(mut session) = self.connect(&bus, &mut rx).await else {
                return;
            };
            if !session.serve(&mut self, &mut rx).await {
                return;
            }
            self.lost_server();
            self.unavailable(
                None,
                format!("the session bus connection (`{}`) closed", bus.address),
            );
        }
    }

    /// Connects, waiting for the bus while there is none; `None`: the loop
    /// dropped the channel meanwhile.
    async fn connect(
        &mut self,
        bus: &BusAddress,
        rx: &mut mpsc::UnboundedReceiver<ToChannel>,
    ) -> Option<session::Session> {
        let mut retry: Retry<Instant> = Retry::new(CONNECT);
        loop {
            match session::Session::open(&bus.address, self.options.notify_retry()).await {
                Ok(session) => {
                    if session.can_deliver() {
                        self.available();
                    } else {
                        self.unavailable(None, session::NO_SERVER.to_string());
                    }
                    return Some(session);
                }
                Err(e) => {
                    retry.failed(Instant::now());
                    self.unavailable(None, no_bus(bus, &e.to_string()));
                }
            }
            let socket = bus.socket.as_deref();
            let missing = socket.is_some_and(|s| !s.exists());
            // A missing socket is waited for by its creation, not a timer.
            let mut due = if missing { None } else { retry.due() };
            let mut watching = socket.is_some();
            let created = async {
                match socket {
                    Some(socket) => crate::socket_watch::created(socket).await,
                    None => std::future::pending().await,
                }
            };
            tokio::pin!(created);
            loop {
                tokio::select! {
                    message = rx.recv() => match message {
                        Some(message) => self.offline(message),
                        None => return None,
                    },
                    result = &mut created, if watching => {
                        match result {
                            Ok(()) => {
                                retry.succeeded();
                                break;
                            }
                            Err(e) => {
                                tracing::warn!("failed to watch for the session bus socket: {e}");
                                watching = false;
                                due = Some(Instant::now() + CONNECT.delay(retry.failures()));
                            }
                        }
                    }
                    () = until(due) => break,
                }
            }
        }
    }

    /// A message while there is no bus: remember what is open, so a
    /// withdrawal still stops its dialog.
    fn offline(&mut self, message: ToChannel) {
        match message {
            ToChannel::Show(view) => {
                let id = view.id;
                self.remember(view);
                self.unavailable(Some(id), "no session bus".to_string());
            }
            ToChannel::Withdraw { prompt } => {
                self.forget(prompt);
            }
        }
    }

    fn remember(&mut self, view: PromptView) {
        let id = view.id;
        match self.prompts.get_mut(&id) {
            Some(open) => open.view = view,
            None => {
                self.prompts.insert(
                    id,
                    Open {
                        inherited: view.notification.clone(),
                        view,
                        notification: None,
                        acted: false,
                    },
                );
            }
        }
    }

    /// The prompt is closed: stop its dialog, forget it; returns its
    /// notification, if one is on screen.
    fn forget(&mut self, prompt: i64) -> Option<u32> {
        if let Some(dialog) = self.dialogs.remove(&prompt) {
            dialog.abort();
        }
        self.pending.remove(&prompt);
        self.prompts
            .remove(&prompt)
            .and_then(|open| open.notification)
    }

    /// The server's notifications are gone with it.
    fn lost_server(&mut self) {
        for open in self.prompts.values_mut() {
            open.notification = None;
            open.inherited = None;
            open.acted = false;
        }
        self.pending.clear();
    }

    fn report(&self, prompt: Option<i64>, report: Report) {
        let _ = self.reports.send(FromChannel {
            channel: Channel::Desktop,
            prompt,
            report,
        });
    }

    /// Reports an outage, once until it ends.
    fn unavailable(&mut self, prompt: Option<i64>, detail: String) {
        if !self.unavailable {
            tracing::debug!("desktop notifications unavailable: {detail}");
            self.unavailable = true;
            self.report(prompt, Report::Unavailable { detail });
        }
    }

    /// Ends an outage.
    fn available(&mut self) {
        if self.unavailable {
            self.unavailable = false;
            self.report(None, Report::Available);
        }
    }
}

/// The notification server on the bus `options` name, as `devtrack doctor`
/// shows it: its name and version and its capabilities, or why none
/// answered. Its own connection, so it never waits on the channel's.
pub(crate) async fn probe_server(options: &DesktopOptions) -> crate::protocol::NotificationView {
    use crate::protocol::NotificationView;
    let failed = |error: String| NotificationView {
        error: Some(error),
        ..NotificationView::default()
    };
    let Some(bus) = session_bus(
        options.bus_address.as_deref(),
        options.runtime_dir.as_deref(),
    ) else {
        return failed(
            "no session bus: neither DBUS_SESSION_BUS_ADDRESS nor XDG_RUNTIME_DIR is set".into(),
        );
    };
    let conn = match dbus::connect(&bus.address).await {
        Ok(conn) => conn,
        Err(e) => return failed(format!("session bus `{}`: {e}", bus.address)),
    };
    let asked = async {
        let proxy = dbus::NotificationsProxy::new(&conn).await?;
        let caps = proxy.get_capabilities().await?;
        let (name, _vendor, version, _spec) = proxy.get_server_information().await?;
        zbus::Result::Ok((caps, format!("{name} {version}").trim().to_string()))
    };
    match asked.await {
        Ok((capabilities, server)) => NotificationView {
            server: Some(server),
            capabilities,
            error: None,
        },
        Err(e) if dbus::no_server(&e) => failed(format!(
            "no notification server ({}) on the session bus `{}`",
            dbus::NAME,
            bus.address
        )),
        Err(e) => failed(format!("the notification server failed: {e}")),
    }
}

/// The dialog program "Log update" would open, found on `search_path`.
pub(crate) fn dialog_program(search_path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    search_path.and_then(dialog::find).map(|d| match d {
        dialog::Dialog::Zenity(p) | dialog::Dialog::Kdialog(p) => p,
    })
}
