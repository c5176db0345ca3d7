//! The freedesktop notification interface as a zbus proxy, and the few bus
//! calls around it: connecting to an address, asking whether a server owns
//! (or can be started for) the name, and telling "no server" apart from
//! other failures.

use std::collections::HashMap;
use std::time::Duration;

use zbus::zvariant::Value;

use super::content::{Hint, Notification};

/// The well-known name a notification server owns.
pub(crate) const NAME: &str = "org.freedesktop.Notifications";

/// A method call that gets no reply within this long fails (a hung server
/// must not keep the channel waiting for zbus's default 25 s).
const METHOD_TIMEOUT: Duration = Duration::from_secs(10);

#[zbus::proxy(
    interface = "org.freedesktop.Notifications",
    default_service = "org.freedesktop.Notifications",
    default_path = "/org/freedesktop/Notifications",
    gen_blocking = false
)]
pub(crate) trait Notifications {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: &str,
        replaces_id: u32,
        app_icon: &str,
        summary: &str,
        body: &str,
        actions: &[&str],
        hints: HashMap<&str, Value<'_>>,
        expire_timeout: i32,
    ) -> zbus::Result<u32>;

    fn close_notification(&self, id: u32) -> zbus::Result<()>;

    fn get_capabilities(&self) -> zbus::Result<Vec<String>>;

    fn get_server_information(&self) -> zbus::Result<(String, String, String, String)>;

    #[zbus(signal)]
    fn action_invoked(&self, id: u32, action_key: String) -> zbus::Result<()>;

    #[zbus(signal)]
    fn notification_closed(&self, id: u32, reason: u32) -> zbus::Result<()>;

    /// KDE Plasma's inline reply (not in the freedesktop spec).
    #[zbus(signal)]
    fn notification_replied(&self, id: u32, text: String) -> zbus::Result<()>;
}

/// Connects to the bus at `address` (and says hello).
pub(crate) async fn connect(address: &str) -> zbus::Result<zbus::Connection> {
    let connect = zbus::connection::Builder::address(address)?
        .method_timeout(METHOD_TIMEOUT)
        .build();
    match tokio::time::timeout(METHOD_TIMEOUT, connect).await {
        Ok(result) => result,
        Err(_) => Err(zbus::Error::Failure(format!(
            "no answer from the bus within {} s",
            METHOD_TIMEOUT.as_secs()
        ))),
    }
}

/// Whether a server owns the name now, and whether the bus can start one
/// for it (D-Bus activation: a `Notify` call then starts the server).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Presence {
    pub owned: bool,
    pub activatable: bool,
}

pub(crate) async fn presence(dbus: &zbus::fdo::DBusProxy<'_>) -> zbus::Result<Presence> {
    let owned = dbus
        .name_has_owner(zbus::names::BusName::try_from(NAME)?)
        .await?;
    let activatable = dbus
        .list_activatable_names()
        .await?
        .iter()
        .any(|n| n.as_str() == NAME);
    Ok(Presence { owned, activatable })
}

/// The error says nobody owns the name (rather than that the server failed).
pub(crate) fn no_server(error: &zbus::Error) -> bool {
    const UNKNOWN: [&str; 2] = [
        "org.freedesktop.DBus.Error.ServiceUnknown",
        "org.freedesktop.DBus.Error.NameHasNoOwner",
    ];
    match error {
        zbus::Error::MethodError(name, _, _) => UNKNOWN.contains(&name.as_str()),
        zbus::Error::FDO(e) => matches!(
            **e,
            zbus::fdo::Error::ServiceUnknown(_) | zbus::fdo::Error::NameHasNoOwner(_)
        ),
        _ => false,
    }
}

/// `Notify`'s `hints` argument.
pub(crate) fn hints(notification: &Notification) -> HashMap<&str, Value<'_>> {
    notification
        .hints
        .iter()
        .map(|(key, hint)| {
            let value = match hint {
                Hint::Text(s) => Value::from(s.as_str()),
                Hint::Byte(b) => Value::from(*b),
            };
            (*key, value)
        })
        .collect()
}
