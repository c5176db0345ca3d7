//! Following the session bus for desktops whose lock logind does not
//! know (sway with swaylock keeps no `LockedHint`): a screen saver's
//! `ActiveChanged(b)` on `org.freedesktop.ScreenSaver` (KDE, Xfce and
//! others) and on `org.gnome.ScreenSaver` (GNOME Shell; GNOME's
//! `org.freedesktop.ScreenSaver` answers `GetActive` with `NotSupported`,
//! which is simply no answer here), and the notification server's
//! `Inhibited` property (KDE's do not disturb), each asked once when its
//! name gets an owner and then followed by its signals. Nothing is polled;
//! a session bus that cannot be reached is tried again under a back-off
//! (1 s doubling to 5 min).

use std::sync::Arc;

use chrono::Utc;
use futures_lite::StreamExt;
use tokio::sync::watch;
use zbus::fdo::DBusProxy;
use zbus::message::Type;
use zbus::{MatchRule, MessageStream};

use super::{since, AwayState, Screen, Source};

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
pub(crate) async fn follow(address: Option<String>, tx: Arc<watch::Sender<AwayState>>) {
    let tx = &*tx;
    let Some(address) = address else {
        tell(tx, Screen::missing("no session bus (no address)"));
        return std::future::pending().await;
    };
    super::keep_following(
        "session bus",
        &address,
        |conn| async move { follow_bus(&conn, tx).await },
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
async fn follow_bus(conn: &zbus::Connection, tx: &watch::Sender<AwayState>) -> zbus::Result<()> {
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
    tell(tx, asked.screen());
    loop {
        tokio::select! {
            m = active.next() => match m {
                None => return Ok(()),
                Some(m) => asked.saver_said(0, active_in(m)),
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
        }
        let last = tx.borrow().screen.clone();
        tell(tx, asked.screen_after(&last));
    }
}

/// The boolean of an `ActiveChanged(b)`.
fn active_in(m: zbus::Result<zbus::Message>) -> Option<bool> {
    m.ok()?.body().deserialize::<bool>().ok()
}

/// What the session bus answered: each screen saver's `GetActive` (`None`:
/// not there or not supported), the notification server's `Inhibited`.
struct Asked {
    active: [Option<bool>; 2],
    inhibited: Option<bool>,
}

impl Asked {
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
    Ok(Asked { active, inhibited })
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
