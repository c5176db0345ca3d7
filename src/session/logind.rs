//! Following logind over the system bus: the user's graphical session
//! (`/org/freedesktop/login1/user/self` → `Display`, else the user's
//! x11/wayland sessions) and its `LockedHint`, `IdleHint` and
//! `IdleSinceHint`, read again on each `PropertiesChanged` of the session.
//! Nothing is polled: the session is looked for again when logind says a
//! session came or went (`SessionNew`, `SessionRemoved`, a change of the
//! user's properties), and logind itself is waited for through
//! `NameOwnerChanged` when it leaves the bus or is not there yet. A system
//! bus that cannot be reached is tried again under a back-off (1 s
//! doubling to 5 min); meanwhile the state says which source is missing.

use std::sync::Arc;

use chrono::Utc;
use futures_lite::StreamExt;
use tokio::sync::watch;
use zbus::fdo::{DBusProxy, NameOwnerChangedStream, PropertiesProxy};
use zbus::zvariant::OwnedObjectPath;

use super::{from_micros, pick_session, since, AwayState, SessionInfo, Source};

/// logind's name on the system bus.
const LOGIND: &str = "org.freedesktop.login1";

/// The calling user's object, whoever that is.
const USER_SELF: &str = "/org/freedesktop/login1/user/self";

/// The system bus when `DBUS_SYSTEM_BUS_ADDRESS` is not set.
const DEFAULT_SYSTEM_BUS: &str = "unix:path=/var/run/dbus/system_bus_socket";

#[zbus::proxy(
    interface = "org.freedesktop.login1.Manager",
    default_service = "org.freedesktop.login1",
    default_path = "/org/freedesktop/login1",
    gen_blocking = false
)]
pub(crate) trait Manager {
    fn get_user(&self, uid: u32) -> zbus::Result<OwnedObjectPath>;

    #[zbus(signal)]
    fn session_new(&self, id: String, path: OwnedObjectPath) -> zbus::Result<()>;

    #[zbus(signal)]
    fn session_removed(&self, id: String, path: OwnedObjectPath) -> zbus::Result<()>;
}

#[zbus::proxy(
    interface = "org.freedesktop.login1.User",
    default_service = "org.freedesktop.login1",
    default_path = "/org/freedesktop/login1/user/self",
    gen_blocking = false
)]
pub(crate) trait User {
    #[zbus(property)]
    fn display(&self) -> zbus::Result<(String, OwnedObjectPath)>;

    #[zbus(property)]
    fn sessions(&self) -> zbus::Result<Vec<(String, OwnedObjectPath)>>;
}

#[zbus::proxy(
    interface = "org.freedesktop.login1.Session",
    default_service = "org.freedesktop.login1",
    gen_blocking = false
)]
pub(crate) trait Session {
    #[zbus(property)]
    fn locked_hint(&self) -> zbus::Result<bool>;

    #[zbus(property)]
    fn idle_hint(&self) -> zbus::Result<bool>;

    #[zbus(property)]
    fn idle_since_hint(&self) -> zbus::Result<u64>;

    #[zbus(property, name = "Type")]
    fn kind(&self) -> zbus::Result<String>;

    #[zbus(property)]
    fn active(&self) -> zbus::Result<bool>;
}

/// The system bus's address: `DBUS_SYSTEM_BUS_ADDRESS` (`env`) when set,
/// else the well-known socket.
pub(crate) fn system_bus(env: Option<&str>) -> String {
    env.map(str::trim)
        .filter(|a| !a.is_empty())
        .unwrap_or(DEFAULT_SYSTEM_BUS)
        .to_string()
}

/// Sends logind's part of `state` if it differs from the last one.
fn tell(tx: &watch::Sender<AwayState>, state: Logind) {
    tx.send_if_modified(|s| {
        let changed = s.source != state.source
            || s.locked_since != state.locked_since
            || s.idle_since != state.idle_since;
        s.source = state.source;
        s.locked_since = state.locked_since;
        s.idle_since = state.idle_since;
        changed
    });
}

/// logind's part of an [`AwayState`].
struct Logind {
    source: Source,
    locked_since: Option<chrono::DateTime<Utc>>,
    idle_since: Option<chrono::DateTime<Utc>>,
}

impl Logind {
    fn missing(why: impl Into<String>) -> Logind {
        Logind {
            source: Source::Missing(why.into()),
            locked_since: None,
            idle_since: None,
        }
    }
}

/// Follows logind on the bus at `address` for good, telling its part of
/// the state to `tx`.
pub(crate) async fn follow(address: String, tx: Arc<watch::Sender<AwayState>>) {
    let tx = &*tx;
    super::keep_following(
        "system bus",
        &address,
        |conn| async move { follow_bus(&conn, tx).await },
        |why| tell(tx, Logind::missing(why)),
    )
    .await;
}

/// Follows logind on one connection: until the connection ends
/// (`Ok`) or a call on it fails.
async fn follow_bus(conn: &zbus::Connection, tx: &watch::Sender<AwayState>) -> zbus::Result<()> {
    let dbus = DBusProxy::new(conn).await?;
    // Subscribed before asking, so no arrival is missed.
    let mut owners = dbus
        .receive_name_owner_changed_with_args(&[(0, LOGIND)])
        .await?;
    let name = zbus::names::BusName::try_from(LOGIND)?;
    loop {
        if dbus.name_has_owner(name.clone()).await? {
            match follow_logind(conn, &mut owners, tx).await {
                Ok(Some(())) => continue,
                Ok(None) => return Ok(()),
                Err(e) => {
                    tell(tx, Logind::missing(format!("logind failed: {e}")));
                }
            }
        } else {
            tell(
                tx,
                Logind::missing("logind (`org.freedesktop.login1`) is not on the system bus"),
            );
        }
        // Until logind's name changes hands.
        if owners.next().await.is_none() {
            return Ok(());
        }
    }
}

/// Follows the user's graphical session until logind's name changes
/// hands (`Some`) or the connection ends (`None`).
async fn follow_logind(
    conn: &zbus::Connection,
    owners: &mut NameOwnerChangedStream,
    tx: &watch::Sender<AwayState>,
) -> zbus::Result<Option<()>> {
    let manager = ManagerProxy::new(conn).await?;
    let mut new = manager.receive_session_new().await?;
    let mut removed = manager.receive_session_removed().await?;
    // The user's own path: logind announces changes from it, not from
    // the `self` alias.
    let uid = nix::unistd::getuid().as_raw();
    let user_path = match manager.get_user(uid).await {
        Ok(path) => path.to_string(),
        Err(_) => USER_SELF.to_string(),
    };
    let user_props = properties(conn, &user_path).await?;
    let mut user_changed = user_props.receive_properties_changed().await?;
    let user = UserProxy::builder(conn)
        .path(user_path.as_str())?
        .cache_properties(zbus::proxy::CacheProperties::No)
        .build()
        .await?;
    loop {
        let path = find_session(conn, &user).await?;
        let mut session_signals = None;
        match &path {
            Some(path) => {
                let props = properties(conn, path).await?;
                let changed = props.receive_properties_changed().await?;
                let session = SessionProxy::builder(conn)
                    .path(path.as_str())?
                    .cache_properties(zbus::proxy::CacheProperties::No)
                    .build()
                    .await?;
                let last = tx.borrow().clone();
                tell(tx, read(&session, path, &last).await?);
                session_signals = Some((changed, session, path.clone()));
            }
            None => tell(
                tx,
                Logind::missing("logind lists no graphical session of the user"),
            ),
        }
        // Until the sessions change: the session's own changes are read
        // as they come.
        loop {
            let session_changed = async {
                match &mut session_signals {
                    Some((changed, _, _)) => changed.next().await.map(|_| ()),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                signal = session_changed => {
                    if signal.is_none() {
                        return Ok(None);
                    }
                    if let Some((_, session, path)) = &session_signals {
                        let last = tx.borrow().clone();
                        tell(tx, read(session, path, &last).await?);
                    }
                }
                signal = new.next() => if signal.is_none() { return Ok(None) } else { break },
                signal = removed.next() => if signal.is_none() { return Ok(None) } else { break },
                signal = user_changed.next() => if signal.is_none() { return Ok(None) } else { break },
                signal = owners.next() => return Ok(signal.map(|_| ())),
            }
        }
    }
}

async fn properties<'a>(
    conn: &zbus::Connection,
    path: &'a str,
) -> zbus::Result<PropertiesProxy<'a>> {
    PropertiesProxy::builder(conn)
        .destination(LOGIND)?
        .path(path)?
        .cache_properties(zbus::proxy::CacheProperties::No)
        .build()
        .await
}

/// The user's graphical session, if any (see [`pick_session`]).
async fn find_session(
    conn: &zbus::Connection,
    user: &UserProxy<'_>,
) -> zbus::Result<Option<String>> {
    let display = user.display().await.ok().map(|(_, p)| p.to_string());
    if let Some(d) = pick_session(display.as_deref(), &[]) {
        return Ok(Some(d));
    }
    let mut sessions = Vec::new();
    for (_, path) in user.sessions().await? {
        let proxy = SessionProxy::builder(conn)
            .path(path.clone())?
            .cache_properties(zbus::proxy::CacheProperties::No)
            .build()
            .await?;
        // A session that ended meanwhile is left out.
        if let (Ok(kind), Ok(active)) = (proxy.kind().await, proxy.active().await) {
            sessions.push(SessionInfo {
                path: path.to_string(),
                kind,
                active,
            });
        }
    }
    Ok(pick_session(None, &sessions))
}

/// The session's hints now; a lock that was already seen keeps its time.
async fn read(session: &SessionProxy<'_>, path: &str, last: &AwayState) -> zbus::Result<Logind> {
    let locked = session.locked_hint().await?;
    let idle = session.idle_hint().await?;
    let same_session = last.source == Source::Logind(path.to_string());
    let idle_since = if idle {
        // A session idle without a time is idle from when it was seen so.
        let seen = last.idle_since.filter(|_| same_session);
        from_micros(session.idle_since_hint().await?)
            .or(seen)
            .or_else(|| Some(Utc::now()))
    } else {
        None
    };
    let locked_since = since(
        locked,
        last.locked_since.filter(|_| same_session),
        Utc::now(),
    );
    Ok(Logind {
        source: Source::Logind(path.to_string()),
        locked_since,
        idle_since,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_bus_address() {
        assert_eq!(system_bus(None), DEFAULT_SYSTEM_BUS);
        assert_eq!(system_bus(Some("  ")), DEFAULT_SYSTEM_BUS);
        assert_eq!(
            system_bus(Some("unix:path=/tmp/x")),
            "unix:path=/tmp/x".to_string()
        );
    }
}
