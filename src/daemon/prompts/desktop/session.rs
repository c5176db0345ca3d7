//! One connection to the session bus: the notification proxy, the signal
//! streams (the server's three signals and `NameOwnerChanged` for its
//! name, subscribed before the server's presence is asked, so no change is
//! missed), what the current server can do, and the loop that serves the
//! run loop's messages until the connection closes.

use futures_lite::StreamExt;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::content::{self, Action, Capabilities};
use super::dbus::{self, NotificationsProxy, Presence};
use super::{dialog, Desktop};
use crate::backoff::Backoff;
use crate::backoff::Retry;
use crate::daemon::deadline::until;
use crate::daemon::prompts::{AnswerVia, PromptView, Report, Shown, ToChannel};
use crate::service::desktop_entry;

pub(crate) const NO_SERVER: &str =
    "no notification server on the session bus (`org.freedesktop.Notifications` has no owner)";

/// What the server owning the name said about itself (asked once).
struct Server {
    caps: Capabilities,
    /// "dunst 1.9.0".
    detail: String,
    /// Its unique bus name (`:1.42`): whose notification ids are whose.
    owner: String,
}

pub(crate) struct Session {
    conn: zbus::Connection,
    proxy: NotificationsProxy<'static>,
    actions: dbus::ActionInvokedStream,
    closed: dbus::NotificationClosedStream,
    replied: dbus::NotificationRepliedStream,
    owners: zbus::fdo::NameOwnerChangedStream,
    presence: Presence,
    server: Option<Server>,
    /// Consecutive failed `Notify` calls, and when to try again (no try
    /// is due while one runs or none failed).
    retry: Retry<Instant>,
    /// The back-off `retry` follows.
    notify: Backoff,
}

impl Session {
    pub(crate) async fn open(address: &str, notify: Backoff) -> zbus::Result<Session> {
        let conn = dbus::connect(address).await?;
        let proxy = NotificationsProxy::new(&conn).await?;
        let dbus_proxy = zbus::fdo::DBusProxy::new(&conn).await?;
        let owners = dbus_proxy
            .receive_name_owner_changed_with_args(&[(0, dbus::NAME)])
            .await?;
        let actions = proxy.receive_action_invoked().await?;
        let closed = proxy.receive_notification_closed().await?;
        let replied = proxy.receive_notification_replied().await?;
        let presence = dbus::presence(&dbus_proxy).await?;
        Ok(Session {
            conn,
            proxy,
            actions,
            closed,
            replied,
            owners,
            presence,
            server: None,
            retry: Retry::new(notify),
            notify,
        })
    }

    /// A `Notify` can reach a server (one owns the name or can be started).
    pub(crate) fn can_deliver(&self) -> bool {
        self.presence.owned || self.presence.activatable
    }

    /// Serves until the connection closes (`true`) or the loop drops the
    /// channel (`false`).
    pub(crate) async fn serve(
        &mut self,
        desktop: &mut Desktop,
        rx: &mut mpsc::UnboundedReceiver<ToChannel>,
    ) -> bool {
        loop {
            tokio::select! {
                message = rx.recv() => match message {
                    Some(ToChannel::Show(view)) => {
                        let id = view.id;
                        desktop.remember(view);
                        desktop.pending.insert(id);
                        if self.retry.due().is_none() {
                            self.show_pending(desktop).await;
                        }
                    }
                    Some(ToChannel::Withdraw { prompt }) => {
                        if let Some(id) = desktop.forget(prompt) {
                            if let Err(e) = self.proxy.close_notification(id).await {
                                tracing::debug!("failed to close notification {id}: {e}");
                            }
                        }
                    }
                    None => {
                        self.close_all(desktop).await;
                        return false;
                    }
                },
                () = until(self.retry.due()) => {
                    self.retry.trying();
                    self.show_pending(desktop).await;
                }
                signal = self.actions.next() => {
                    let Some(signal) = signal else { return true };
                    if let Ok(args) = signal.args() {
                        self.action(desktop, args.id, &args.action_key);
                    }
                }
                signal = self.closed.next() => {
                    let Some(signal) = signal else { return true };
                    if let Ok(args) = signal.args() {
                        if let Some((prompt, open)) = by_notification(desktop, args.id) {
                            open.notification = None;
                            if !open.acted {
                                if let Some(report) = content::closed(args.reason) {
                                    desktop.report(Some(prompt), report);
                                }
                            }
                        }
                    }
                }
                signal = self.replied.next() => {
                    let Some(signal) = signal else { return true };
                    if let Ok(args) = signal.args() {
                        if let Some((prompt, open)) = by_notification(desktop, args.id) {
                            open.acted = true;
                            if let Some(text) = content::answer(&args.text) {
                                desktop.report(
                                    Some(prompt),
                                    Report::Answer { text, via: AnswerVia::Inline },
                                );
                            }
                        }
                    }
                }
                signal = self.owners.next() => {
                    let Some(signal) = signal else { return true };
                    if let Ok(args) = signal.args() {
                        let (old, new) = (args.old_owner().is_some(), args.new_owner().is_some());
                        self.owner_changed(desktop, old, new);
                    }
                }
                () = self.conn.closed() => return true,
            }
        }
    }

    /// The loop stopped the channel (notifications turned off): what it
    /// still shows is taken down, since nothing would act on its buttons.
    async fn close_all(&mut self, desktop: &mut Desktop) {
        let shown: Vec<u32> = desktop
            .prompts
            .values()
            .filter_map(|o| o.notification)
            .collect();
        for id in shown {
            if let Err(e) = self.proxy.close_notification(id).await {
                tracing::debug!("failed to close notification {id}: {e}");
            }
        }
    }

    /// `NameOwnerChanged` for the server's name. A new server (or the old
    /// one gone) takes the notifications with it; the loop is told to
    /// show again whenever the channel can deliver again. A server taking
    /// the name ends any back-off at once: it may be one that works, where
    /// the one that failed (or could not be started) did not.
    fn owner_changed(&mut self, desktop: &mut Desktop, old: bool, new: bool) {
        self.presence.owned = new;
        if new {
            self.retry.try_now(Instant::now());
        }
        let activated = !old && new && !desktop.unavailable;
        if activated {
            // Started for our own `Notify` (D-Bus activation), or by
            // itself while nothing was unavailable: nothing was lost, and
            // what waits for a retry is tried now.
            return;
        }
        self.server = None;
        self.retry.succeeded();
        desktop.lost_server();
        if self.can_deliver() {
            desktop.unavailable = true;
            desktop.available();
        } else {
            desktop.unavailable(None, NO_SERVER.to_string());
        }
    }

    fn action(&mut self, desktop: &mut Desktop, id: u32, key: &str) {
        let Some((prompt, open)) = by_notification(desktop, id) else {
            return;
        };
        open.acted = true;
        match content::action(key) {
            Action::Report(report) => desktop.report(Some(prompt), report),
            Action::Dialog => {
                let view = open.view.clone();
                open_dialog(desktop, view);
            }
            Action::Ignore => {}
        }
    }

    /// Shows every pending prompt, unless the server fails (then backs
    /// off) or is not there (then reports the outage and drops them: the
    /// loop shows them again on `Available`).
    async fn show_pending(&mut self, desktop: &mut Desktop) {
        while let Some(&prompt) = desktop.pending.first() {
            if !self.can_deliver() {
                desktop.pending.clear();
                desktop.unavailable(Some(prompt), NO_SERVER.to_string());
                return;
            }
            match self.notify(desktop, prompt).await {
                Ok(()) => {
                    desktop.pending.remove(&prompt);
                    self.retry.succeeded();
                }
                Err(e) if dbus::no_server(&e) => {
                    self.presence = Presence {
                        owned: false,
                        activatable: false,
                    };
                    desktop.pending.clear();
                    desktop.unavailable(Some(prompt), NO_SERVER.to_string());
                    return;
                }
                // The `closed` branch of `serve` takes it from here.
                Err(_) if self.conn.is_closed() => return,
                Err(e) => {
                    self.retry.failed(Instant::now());
                    let delay = self.notify.delay(self.retry.failures());
                    desktop.report(
                        Some(prompt),
                        Report::Failed {
                            detail: format!(
                                "notification server failed: {e} (trying again in {} s)",
                                delay.as_secs_f64()
                            ),
                        },
                    );
                    return;
                }
            }
        }
    }

    /// One `Notify` for `prompt`'s latest view.
    async fn notify(&mut self, desktop: &mut Desktop, prompt: i64) -> zbus::Result<()> {
        if self.server.is_none() {
            let caps = self.proxy.get_capabilities().await?;
            let (name, _vendor, version, _spec) = self.proxy.get_server_information().await?;
            // Asked after the server answered: one started on demand owns
            // the name by now.
            let owner = zbus::fdo::DBusProxy::new(&self.conn)
                .await?
                .get_name_owner(zbus::names::BusName::try_from(dbus::NAME)?)
                .await?
                .to_string();
            self.server = Some(Server {
                caps: Capabilities::from_server(&caps, &name),
                detail: format!("{name} {version}").trim().to_string(),
                owner,
            });
        }
        let server = self
            .server
            .as_ref()
            .expect("server information just fetched");
        let dialog = desktop.options.dialog && find_dialog(desktop).is_some();
        let Some(open) = desktop.prompts.get(&prompt) else {
            return Ok(());
        };
        let notification = content::notification(&open.view, server.caps, dialog);
        let actions: Vec<&str> = notification.actions.iter().map(String::as_str).collect();
        let replaces = open.notification.or_else(|| {
            open.inherited
                .as_ref()
                .filter(|shown| shown.server == server.owner)
                .map(|shown| shown.id)
        });
        let id = self
            .proxy
            .notify(
                "devtrack",
                replaces.unwrap_or(0),
                desktop_entry::NAME,
                &notification.summary,
                &notification.body,
                &actions,
                dbus::hints(&notification),
                0,
            )
            .await?;
        let detail = server.detail.clone();
        let owner = server.owner.clone();
        if let Some(open) = desktop.prompts.get_mut(&prompt) {
            open.notification = Some(id);
            open.inherited = None;
            open.acted = false;
        }
        desktop.report(Some(prompt), Report::Notified(Shown { id, server: owner }));
        desktop.report(
            Some(prompt),
            Report::Delivered {
                detail: Some(detail),
            },
        );
        Ok(())
    }
}

fn by_notification(desktop: &mut Desktop, id: u32) -> Option<(i64, &mut super::Open)> {
    desktop
        .prompts
        .iter_mut()
        .find(|(_, open)| open.notification == Some(id))
        .map(|(prompt, open)| (*prompt, open))
}

fn find_dialog(desktop: &Desktop) -> Option<dialog::Dialog> {
    desktop
        .options
        .search_path
        .as_deref()
        .and_then(dialog::find)
}

/// Opens the input dialog for `view`, unless one is already open for it,
/// or none is enabled or installed (the body then says how to answer).
fn open_dialog(desktop: &mut Desktop, view: PromptView) {
    if !desktop.options.dialog {
        return;
    }
    if desktop
        .dialogs
        .get(&view.id)
        .is_some_and(|d| !d.is_finished())
    {
        return;
    }
    let Some(program) = find_dialog(desktop) else {
        return;
    };
    let reports = desktop.reports.clone();
    let display = desktop.options.display.clone();
    let prompt = view.id;
    let task = tokio::spawn(async move {
        if let Some(text) = dialog::ask(&program, &display, &view).await {
            let _ = reports.send(crate::daemon::prompts::FromChannel {
                channel: crate::store::Channel::Desktop,
                prompt: Some(prompt),
                report: Report::Answer {
                    text,
                    via: AnswerVia::Dialog,
                },
            });
        }
    });
    desktop.dialogs.retain(|_, dialog| !dialog.is_finished());
    desktop.dialogs.insert(prompt, task);
}
