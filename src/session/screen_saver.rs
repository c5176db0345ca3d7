//! Following the session bus for desktops whose lock logind does not
//! know (sway with swaylock keeps no `LockedHint`): a screen saver's
//! `ActiveChanged(b)` on `org.freedesktop.ScreenSaver` (KDE, Xfce and
//! others) and on `org.gnome.ScreenSaver` (GNOME Shell; GNOME's
//! `org.freedesktop.ScreenSaver` answers `GetActive` with `NotSupported`,
//! which is simply no answer here), and the notification server's
//! `Inhibited` property (KDE's do not disturb), each asked once when its
//! name gets an owner and then followed by its signals. The one thing
//! that can only be asked for, KDE's idle time (`GetSessionIdleTime`), is
//! asked only while the daemon holds a prompt: when the hold starts, when
//! the screen saver goes off, and every 30 s meanwhile. A session bus that
//! cannot be reached is tried again under a back-off (1 s doubling to
//! 5 min).

use std::sync::Arc;

use chrono::Utc;
use futures_lite::StreamExt;
use tokio::sync::watch;
use tokio::time::Instant;
use zbus::fdo::DBusProxy;
use zbus::message::Type;
use zbus::{MatchRule, MessageStream};

use super::{since, AskedIdle, AwayState, Screen, Source};

/// A screen saver: its name, object and interface.
struct Saver {
    name: &'static str,
    path: &'static str,
}

const SAVERS: [Saver; 2] = [
    Saver {
        name: "org.freedesktop.ScreenSaver",
        path: "/org/freedesktop/ScreenSaver",
    },
    Saver {
        name: "org.gnome.ScreenSaver",
        path: "/org/gnome/ScreenSaver",
    },
];

/// While a prompt is held, the idle time is asked for this often at most.
const ASK_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// The notification server, whose `Inhibited` property is followed.
const NOTIFICATIONS: &str = "org.freedesktop.Notifications";
const NOTIFICATIONS_PATH: &str = "/org/freedesktop/Notifications";

/// Sends the session bus's part if it differs from the last one.
fn tell(tx: &watch::Sender<AwayState>, screen: Screen) {
    tx.send_if_modified(|s| {
        let changed = s.screen != screen;
        s.screen = screen;
        changed
    });
}

/// Follows the session bus at `address` (`None`: there is none) for good,
/// telling its part of the state to `tx`.
pub(crate) async fn follow(
    address: Option<String>,
    tx: Arc<watch::Sender<AwayState>>,
    asking: watch::Receiver<bool>,
) {
    let tx = &*tx;
    let Some(address) = address else {
        tell(tx, Screen::missing("no session bus (no address)"));
        return std::future::pending().await;
    };
    super::keep_following(
        "session bus",
        &address,
        |conn| {
            let asking = asking.clone();
            async move { follow_bus(&conn, tx, asking).await }
        },
        |why| tell(tx, Screen::missing(why)),
    )
    .await;
}

/// Signals with `member` on `interface`, from whoever sends them.
async fn signals(
    conn: &zbus::Connection,
    interface: &'static str,
    member: &'static str,
    arg0: Option<&'static str>,
) -> zbus::Result<MessageStream> {
    let mut rule = MatchRule::builder()
        .msg_type(Type::Signal)
        .interface(interface)?
        .member(member)?;
    if let Some(arg) = arg0 {
        rule = rule.arg(0, arg)?;
    }
    MessageStream::for_match_rule(rule.build(), conn, None).await
}

/// Follows the screen savers and the notification server on one
/// connection, until it ends (`Ok`) or a call on it fails.
async fn follow_bus(
    conn: &zbus::Connection,
    tx: &watch::Sender<AwayState>,
    mut asking: watch::Receiver<bool>,
) -> zbus::Result<()> {
    let dbus = DBusProxy::new(conn).await?;
    // Subscribed before asking, so no change is missed.
    let kde = dbus
        .receive_name_owner_changed_with_args(&[(0, SAVERS[0].name)])
        .await?;
    let gnome = dbus
        .receive_name_owner_changed_with_args(&[(0, SAVERS[1].name)])
        .await?;
    let server = dbus
        .receive_name_owner_changed_with_args(&[(0, NOTIFICATIONS)])
        .await?;
    let mut owner_changes = kde.or(gnome).or(server);
    let mut active = signals(conn, SAVERS[0].name, "ActiveChanged", None).await?;
    let mut gnome_active = signals(conn, SAVERS[1].name, "ActiveChanged", None).await?;
    let mut inhibited = signals(
        conn,
        "org.freedesktop.DBus.Properties",
        "PropertiesChanged",
        Some(NOTIFICATIONS),
    )
    .await?;
    let mut asked = ask(conn, &dbus).await?;
    // The next time the idle time is asked for, while the loop holds a
    // prompt (and the screen saver can tell it).
    let mut next_ask = None;
    let held = *asking.borrow_and_update();
    if held {
        next_ask = asked.ask_idle(conn).await;
    }
    tell(tx, asked.screen());
    loop {
        tokio::select! {
            m = active.next() => match m {
                None => return Ok(()),
                Some(m) => {
                    let active = active_in(m);
                    asked.saver_said(0, active);
                    // Unlocked while a prompt waits: is the person back?
                    let held = *asking.borrow();
                    if active == Some(false) && held {
                        next_ask = asked.ask_idle(conn).await;
                    }
                }
            },
            m = gnome_active.next() => match m {
                None => return Ok(()),
                Some(m) => asked.saver_said(1, active_in(m)),
            },
            m = inhibited.next() => match m {
                None => return Ok(()),
                Some(_) => asked.inhibited = inhibited_now(conn).await,
            },
            o = owner_changes.next() => match o {
                None => return Ok(()),
                Some(_) => asked = ask(conn, &dbus).await?,
            },
            changed = asking.changed() => {
                if changed.is_err() {
                    // The loop is gone; so are the receivers, soon.
                    return Ok(());
                }
                let held = *asking.borrow_and_update();
                next_ask = match held {
                    true => asked.ask_idle(conn).await,
                    false => None,
                };
            }
            () = until(next_ask) => next_ask = asked.ask_idle(conn).await,
        }
        let last = tx.borrow().screen.clone();
        tell(tx, asked.screen_after(&last));
    }
}

/// The boolean of an `ActiveChanged(b)`.
fn active_in(m: zbus::Result<zbus::Message>) -> Option<bool> {
    m.ok()?.body().deserialize::<bool>().ok()
}

/// Completes at `at`; never, when there is none.
async fn until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// What the session bus answered: each screen saver's `GetActive` (`None`:
/// not there or not supported), the notification server's `Inhibited`,
/// and the idle time, when it can be asked for (`GetSessionIdleTime`).
struct Asked {
    active: [Option<bool>; 2],
    inhibited: Option<bool>,
    askable: bool,
    idle: Option<AskedIdle>,
}

impl Asked {
    /// Asks the screen saver for the session's idle time, if it tells it;
    /// when to ask next.
    async fn ask_idle(&mut self, conn: &zbus::Connection) -> Option<Instant> {
        if !self.askable {
            return None;
        }
        let saver = &SAVERS[0];
        match idle_seconds(conn).await {
            Some(secs) => {
                let now = Utc::now();
                self.idle = Some(AskedIdle {
                    asked_at: now,
                    idle_since: now - chrono::TimeDelta::seconds(i64::from(secs)),
                });
            }
            None => {
                tracing::debug!("{} stopped telling its idle time", saver.name);
                self.askable = false;
                self.idle = None;
            }
        }
        self.askable.then(|| Instant::now() + ASK_EVERY)
    }

    fn saver_said(&mut self, which: usize, active: Option<bool>) {
        if active.is_some() {
            self.active[which] = active;
        }
    }

    fn screen(&self) -> Screen {
        self.screen_after(&Screen::missing(""))
    }

    /// The part as it now stands, times kept from `last`.
    fn screen_after(&self, last: &Screen) -> Screen {
        let now = Utc::now();
        let names: Vec<&str> = SAVERS
            .iter()
            .zip(self.active)
            .filter(|(_, a)| a.is_some())
            .map(|(s, _)| s.name)
            .chain(self.inhibited.map(|_| NOTIFICATIONS))
            .collect();
        let source = if names.is_empty() {
            Source::Missing(
                "no screen saver and no notification server's `Inhibited` on the session bus"
                    .into(),
            )
        } else {
            Source::SessionBus(names.join(", "))
        };
        let active = self.active.contains(&Some(true));
        Screen {
            source,
            active_since: since(active, last.active_since, now),
            inhibited_since: since(self.inhibited == Some(true), last.inhibited_since, now),
            askable: self.askable,
            asked: self.idle,
        }
    }
}

/// Asks every screen saver that has an owner, and the notification server.
async fn ask(conn: &zbus::Connection, dbus: &DBusProxy<'_>) -> zbus::Result<Asked> {
    let mut active = [None, None];
    for (slot, saver) in active.iter_mut().zip(SAVERS.iter()) {
        // Only a running one: a call would start an activatable one.
        if !dbus.name_has_owner(saver.name.try_into()?).await? {
            continue;
        }
        *slot = conn
            .call_method(
                Some(saver.name),
                saver.path,
                Some(saver.name),
                "GetActive",
                &(),
            )
            .await
            .ok()
            .and_then(|reply| reply.body().deserialize::<bool>().ok());
    }
    let inhibited = if dbus.name_has_owner(NOTIFICATIONS.try_into()?).await? {
        inhibited_now(conn).await
    } else {
        None
    };
    // Whether it tells the idle time: asked once, here (GNOME's proxy
    // answers `NotSupported`).
    let askable = active[0].is_some() && idle_seconds(conn).await.is_some();
    Ok(Asked {
        active,
        inhibited,
        askable,
        idle: None,
    })
}

/// `org.freedesktop.ScreenSaver.GetSessionIdleTime`: seconds since the
/// last input (KDE).
async fn idle_seconds(conn: &zbus::Connection) -> Option<u32> {
    let saver = &SAVERS[0];
    let reply = conn
        .call_method(
            Some(saver.name),
            saver.path,
            Some(saver.name),
            "GetSessionIdleTime",
            &(),
        )
        .await
        .ok()?;
    reply.body().deserialize::<u32>().ok()
}

/// The notification server's `Inhibited`, if it has one.
async fn inhibited_now(conn: &zbus::Connection) -> Option<bool> {
    let props = zbus::fdo::PropertiesProxy::builder(conn)
        .destination(NOTIFICATIONS)
        .ok()?
        .path(NOTIFICATIONS_PATH)
        .ok()?
        .cache_properties(zbus::proxy::CacheProperties::No)
        .build()
        .await
        .ok()?;
    let name = zbus::names::InterfaceName::try_from(NOTIFICATIONS).ok()?;
    let value = props.get(name, "Inhibited").await.ok()?;
    bool::try_from(value).ok()
}
