//! A test-side logind: on a private bus standing in for the system bus
//! (a `dbus-daemon` with its own config, reached through
//! `DBUS_SYSTEM_BUS_ADDRESS`), it owns `org.freedesktop.login1` with the
//! calling user (`/org/freedesktop/login1/user/self` and `…/user/_UID`,
//! which `GetUser` names; its `Display` is one session) and that session, whose `LockedHint`, `IdleHint` and
//! `IdleSinceHint` the test sets and announces with `PropertiesChanged`,
//! as a desktop does through `SetLockedHint`/`SetIdleHint`. It can leave
//! the bus and come back, as logind does when it restarts. Beside it, a
//! screen saver (`org.freedesktop.ScreenSaver`, as KDE's) for the session
//! bus, for desktops that keep no logind hints.

use zbus::object_server::SignalEmitter;
use zbus::zvariant::OwnedObjectPath;

pub const NAME: &str = "org.freedesktop.login1";
pub const SESSION: &str = "/org/freedesktop/login1/session/_31";
const USER: &str = "/org/freedesktop/login1/user/self";
const MANAGER: &str = "/org/freedesktop/login1";

struct Manager;

#[zbus::interface(name = "org.freedesktop.login1.Manager")]
impl Manager {
    fn get_user(&self, uid: u32) -> OwnedObjectPath {
        OwnedObjectPath::try_from(user_path(uid)).unwrap()
    }
    #[zbus(signal)]
    async fn session_new(
        emitter: &SignalEmitter<'_>,
        id: &str,
        path: OwnedObjectPath,
    ) -> zbus::Result<()>;
}

/// The user's own object (`self` is an alias for the caller's).
fn user_path(uid: u32) -> String {
    format!("/org/freedesktop/login1/user/_{uid}")
}

struct User;

#[zbus::interface(name = "org.freedesktop.login1.User")]
impl User {
    #[zbus(property)]
    fn display(&self) -> (String, OwnedObjectPath) {
        ("31".into(), OwnedObjectPath::try_from(SESSION).unwrap())
    }

    #[zbus(property)]
    fn sessions(&self) -> Vec<(String, OwnedObjectPath)> {
        vec![("31".into(), OwnedObjectPath::try_from(SESSION).unwrap())]
    }
}

/// The session's hints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hints {
    pub locked: bool,
    /// Idle since this many µs after the epoch.
    pub idle_since: Option<u64>,
}

impl Hints {
    pub const PRESENT: Hints = Hints {
        locked: false,
        idle_since: None,
    };
    pub const LOCKED: Hints = Hints {
        locked: true,
        idle_since: None,
    };

    /// Idle for the last `minutes`.
    pub fn idle_for(minutes: i64) -> Hints {
        let since = chrono::Utc::now() - chrono::TimeDelta::minutes(minutes);
        Hints {
            locked: false,
            idle_since: Some(since.timestamp_micros() as u64),
        }
    }
}

struct Session {
    hints: Hints,
}

#[zbus::interface(name = "org.freedesktop.login1.Session")]
impl Session {
    #[zbus(property)]
    fn locked_hint(&self) -> bool {
        self.hints.locked
    }

    #[zbus(property)]
    fn idle_hint(&self) -> bool {
        self.hints.idle_since.is_some()
    }

    #[zbus(property)]
    fn idle_since_hint(&self) -> u64 {
        self.hints.idle_since.unwrap_or(0)
    }

    #[zbus(property, name = "Type")]
    fn kind(&self) -> String {
        "wayland".into()
    }

    #[zbus(property)]
    fn active(&self) -> bool {
        true
    }
}

struct Saver {
    active: bool,
    /// What `GetSessionIdleTime` answers; `None`: not supported (an error,
    /// as GNOME's proxy answers).
    idle_secs: Option<u32>,
    asks: std::sync::mpsc::Sender<Option<u32>>,
}

#[zbus::interface(name = "org.freedesktop.ScreenSaver")]
impl Saver {
    fn get_active(&self) -> bool {
        self.active
    }

    fn get_session_idle_time(&self) -> zbus::fdo::Result<u32> {
        let _ = self.asks.send(self.idle_secs);
        self.idle_secs
            .ok_or_else(|| zbus::fdo::Error::NotSupported("not here".into()))
    }

    #[zbus(signal)]
    async fn active_changed(emitter: &SignalEmitter<'_>, active: bool) -> zbus::Result<()>;
}

/// A screen saver on the session bus at an address.
pub struct ScreenSaver {
    conn: Option<zbus::Connection>,
    runtime: Option<tokio::runtime::Runtime>,
    asks: std::sync::mpsc::Receiver<Option<u32>>,
}

impl ScreenSaver {
    /// One whose `GetSessionIdleTime` answers `idle_secs`, as KDE's.
    pub fn telling_idle(address: &str, active: bool, idle_secs: Option<u32>) -> ScreenSaver {
        let runtime = runtime();
        let address = address.to_string();
        let (asks, asked) = std::sync::mpsc::channel();
        let saver = Saver {
            active,
            idle_secs,
            asks,
        };
        let conn = runtime.block_on(async move {
            zbus::connection::Builder::address(address.as_str())
                .unwrap()
                .serve_at("/org/freedesktop/ScreenSaver", saver)
                .unwrap()
                .name("org.freedesktop.ScreenSaver")
                .unwrap()
                .build()
                .await
                .expect("test screen saver on the bus")
        });
        ScreenSaver {
            conn: Some(conn),
            runtime: Some(runtime),
            asks: asked,
        }
    }

    /// Waits for a `GetSessionIdleTime` answered with `secs` (the daemon
    /// asks every 30 s while it holds a prompt).
    pub fn asked_and_told(&self, secs: u32) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let told = self
                .asks
                .recv_timeout(left)
                .expect("no GetSessionIdleTime within 90 s");
            if told == Some(secs) {
                return;
            }
        }
    }

    /// What `GetSessionIdleTime` answers from now on.
    pub fn set_idle(&self, secs: u32) {
        self.change(move |saver| saver.idle_secs = Some(secs), None);
    }

    /// Turns the screen saver on or off, announced with `ActiveChanged`.
    pub fn set(&self, active: bool) {
        self.change(move |saver| saver.active = active, Some(active));
    }

    /// Applies `change` to the served screen saver, then announces
    /// `ActiveChanged(active)` if given.
    fn change(&self, change: impl FnOnce(&mut Saver) + Send + 'static, active: Option<bool>) {
        let conn = self.conn.clone().expect("on the bus");
        let runtime = self.runtime.as_ref().expect("running");
        runtime.block_on(async move {
            let iface = conn
                .object_server()
                .interface::<_, Saver>("/org/freedesktop/ScreenSaver")
                .await
                .unwrap();
            change(&mut *iface.get_mut().await);
            if let Some(active) = active {
                Saver::active_changed(iface.signal_emitter(), active)
                    .await
                    .unwrap();
            }
        });
    }
}

impl Drop for ScreenSaver {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            {
                let _in_runtime = runtime.enter();
                self.conn.take();
            }
            runtime.shutdown_background();
        }
    }
}

/// A runtime of a test server's own, so it answers while the test thread
/// blocks.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

/// logind on the bus at an address, driven by a runtime of its own so it
/// answers while the test thread blocks.
pub struct Logind {
    address: String,
    /// The user it serves (the daemon's).
    uid: u32,
    conn: Option<zbus::Connection>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Logind {
    /// logind owning its name on the bus at `address` once this returns,
    /// its session with `hints`.
    pub fn start(address: &str, hints: Hints) -> Logind {
        Logind::for_user(address, hints, nix::unistd::getuid().as_raw())
    }

    /// [`Logind::start`] serving user `uid` (a daemon running as another
    /// user than the test).
    pub fn for_user(address: &str, hints: Hints, uid: u32) -> Logind {
        let runtime = runtime();
        let mut logind = Logind {
            address: address.to_string(),
            uid,
            conn: None,
            runtime: Some(runtime),
        };
        logind.come_back(hints);
        logind
    }

    fn runtime(&self) -> &tokio::runtime::Runtime {
        self.runtime.as_ref().expect("running")
    }

    /// Takes the name again (after [`Logind::vanish`]), the session with
    /// `hints`.
    pub fn come_back(&mut self, hints: Hints) {
        let address = self.address.clone();
        let uid = self.uid;
        let conn = self.runtime().block_on(async move {
            zbus::connection::Builder::address(address.as_str())
                .unwrap()
                .serve_at(MANAGER, Manager)
                .unwrap()
                .serve_at(USER, User)
                .unwrap()
                .serve_at(user_path(uid), User)
                .unwrap()
                .serve_at(SESSION, Session { hints })
                .unwrap()
                .name(NAME)
                .unwrap()
                .build()
                .await
                .expect("test logind on the bus")
        });
        self.conn = Some(conn);
    }

    /// Sets the session's hints and announces each change, as logind does.
    pub fn set(&self, hints: Hints) {
        let conn = self.conn.clone().expect("on the bus");
        self.runtime().block_on(async move {
            let iface = conn
                .object_server()
                .interface::<_, Session>(SESSION)
                .await
                .unwrap();
            let mut session = iface.get_mut().await;
            let was = session.hints;
            session.hints = hints;
            let emitter = iface.signal_emitter();
            if was.locked != hints.locked {
                session.locked_hint_changed(emitter).await.unwrap();
            }
            if was.idle_since != hints.idle_since {
                session.idle_hint_changed(emitter).await.unwrap();
                session.idle_since_hint_changed(emitter).await.unwrap();
            }
        });
    }

    /// Leaves the bus (logind stopped).
    pub fn vanish(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.runtime().block_on(async move {
                let _ = conn.release_name(NAME).await;
                drop(conn);
            });
        }
    }
}

impl Drop for Logind {
    fn drop(&mut self) {
        self.vanish();
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
