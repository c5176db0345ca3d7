//! A private session bus and a notification server written with zbus that
//! records every call and emits the server's signals when asked: what the
//! desktop channel's tests (`desktop.rs`, on the channel alone) and the
//! daemon's (`desktop_daemon.rs`, through `devtrack run`) talk to, and what
//! the `daemon` benchmark times (it includes this file with `#[path]`, so
//! it uses nothing else of the test harness).
//!
//! [`Server`] is async, for tests on a tokio runtime; [`BlockingServer`]
//! runs one on a runtime thread of its own, for tests that block on the
//! daemon (its event stream, its commands) while the server answers.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_lite::StreamExt;
use tokio::sync::{mpsc, oneshot};
use zbus::zvariant::OwnedValue;

pub const NAME: &str = "org.freedesktop.Notifications";
pub const PATH: &str = "/org/freedesktop/Notifications";

/// Safety net for every wait on the server (the harness's `WAIT`).
const WAIT: Duration = Duration::from_secs(20);

/// A bus of the test's own: no service files, so nothing is activated.
pub struct Bus {
    pub socket: PathBuf,
    child: Child,
}

impl Bus {
    /// Starts `dbus-daemon` listening on `socket`; returns once it printed
    /// its address (it listens by then).
    pub fn start(socket: &Path) -> Bus {
        Bus::with_config(socket, "")
    }

    /// A bus that can start a notification server (D-Bus activation) whose
    /// program fails at once, as a desktop's packaged server does without
    /// a display: every `Notify` while no server owns the name fails with
    /// a spawn error, not with "no such name".
    pub fn with_broken_activation(socket: &Path) -> Bus {
        let services = socket.with_extension("services");
        std::fs::create_dir(&services).unwrap();
        std::fs::write(
            services.join(format!("{NAME}.service")),
            format!("[D-BUS Service]\nName={NAME}\nExec=/bin/false\n"),
        )
        .unwrap();
        let dir = format!("  <servicedir>{}</servicedir>\n", services.display());
        Bus::with_config(socket, &dir)
    }

    /// A bus any local user may connect to (a test running as root, the
    /// daemon as the user of the real user manager).
    pub fn for_everyone(socket: &Path) -> Bus {
        Bus::with_config(
            socket,
            "  <policy context=\"default\">\n    <allow user=\"*\"/>\n  </policy>\n",
        )
    }

    fn with_config(socket: &Path, extra: &str) -> Bus {
        let config = socket.with_extension("conf");
        std::fs::write(
            &config,
            format!(
                "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"
 \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">
<busconfig>
  <type>session</type>
  <!-- Required; the command line address overrides it. -->
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context=\"default\">
    <allow send_destination=\"*\" eavesdrop=\"true\"/>
    <allow eavesdrop=\"true\"/>
    <allow own=\"*\"/>
  </policy>
{extra}</busconfig>
"
            ),
        )
        .unwrap();
        let mut child = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .arg(format!("--address=unix:path={}", socket.display()))
            .args(["--nofork", "--print-address"])
            .stdout(Stdio::piped())
            // Here its stderr is only "failed to set fd limit" noise.
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon (Debian package dbus-daemon)");
        let line = first_line(&mut child);
        assert!(line.starts_with("unix:"), "dbus-daemon printed {line:?}");
        Bus {
            socket: socket.to_path_buf(),
            child,
        }
    }

    pub fn address(&self) -> String {
        format!("unix:path={}", self.socket.display())
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The first line a child writes to its piped stdout: a server's "ready,
/// here I am".
pub fn first_line(child: &mut Child) -> String {
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout piped"))
        .read_line(&mut line)
        .unwrap();
    line.trim_end().to_string()
}

/// One call the server received.
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    Notify(Notified),
    /// A `Notify` answered with an error (the summary it had).
    NotifyFailed(String),
    Close(u32),
}

/// A `Notify` call, with the id the server gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct Notified {
    pub id: u32,
    pub app_name: String,
    pub app_icon: String,
    pub replaces_id: u32,
    pub summary: String,
    pub body: String,
    pub actions: Vec<String>,
    /// The hints' keys, sorted.
    pub hints: Vec<String>,
    pub expire_timeout: i32,
    /// The caller's unique bus name (`:1.42`).
    pub sender: String,
}

struct Recorder {
    calls: mpsc::UnboundedSender<Call>,
    caps: Vec<String>,
    next_id: u32,
    /// This many `Notify` calls fail before any succeeds.
    failing: u32,
    /// KDE's do not disturb.
    inhibited: bool,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Recorder {
    #[allow(clippy::too_many_arguments)]
    async fn notify(
        &mut self,
        app_name: String,
        replaces_id: u32,
        app_icon: String,
        summary: String,
        body: String,
        actions: Vec<String>,
        hints: HashMap<String, OwnedValue>,
        expire_timeout: i32,
        #[zbus(header)] header: zbus::message::Header<'_>,
    ) -> zbus::fdo::Result<u32> {
        if self.failing > 0 {
            self.failing -= 1;
            let _ = self.calls.send(Call::NotifyFailed(summary));
            return Err(zbus::fdo::Error::Failed("out of order".to_string()));
        }
        let id = if replaces_id != 0 {
            replaces_id
        } else {
            self.next_id += 1;
            self.next_id
        };
        let mut hints: Vec<String> = hints.into_keys().collect();
        hints.sort();
        let _ = self.calls.send(Call::Notify(Notified {
            id,
            app_name,
            app_icon,
            replaces_id,
            summary,
            body,
            actions,
            hints,
            expire_timeout,
            sender: header.sender().map(|s| s.to_string()).unwrap_or_default(),
        }));
        Ok(id)
    }

    async fn close_notification(
        &self,
        id: u32,
        #[zbus(signal_emitter)] emitter: zbus::object_server::SignalEmitter<'_>,
    ) {
        let _ = self.calls.send(Call::Close(id));
        let _ = emitter.emit(NAME, "NotificationClosed", &(id, 3u32)).await;
    }

    fn get_capabilities(&self) -> Vec<String> {
        self.caps.clone()
    }

    /// KDE's `Inhibited`: do not disturb is on.
    #[zbus(property)]
    fn inhibited(&self) -> bool {
        self.inhibited
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "recorder".into(),
            "devtrack tests".into(),
            "0.1".into(),
            "1.2".into(),
        )
    }
}

/// The test's notification server on a bus.
pub struct Server {
    conn: zbus::Connection,
    calls: mpsc::UnboundedReceiver<Call>,
}

impl Server {
    pub async fn start(bus: &Bus, caps: &[&str]) -> Server {
        Server::failing(bus, caps, 0).await
    }

    /// A server whose first `failing` `Notify` calls fail.
    pub async fn failing(bus: &Bus, caps: &[&str], failing: u32) -> Server {
        Server::at(&bus.address(), caps, failing).await
    }

    /// A server on the bus at `address`, owning the name once this returns.
    pub async fn at(address: &str, caps: &[&str], failing: u32) -> Server {
        let (tx, calls) = mpsc::unbounded_channel();
        let recorder = Recorder {
            calls: tx,
            caps: caps.iter().map(|c| c.to_string()).collect(),
            next_id: 0,
            failing,
            inhibited: false,
        };
        let conn = zbus::connection::Builder::address(address)
            .unwrap()
            .serve_at(PATH, recorder)
            .unwrap()
            .name(NAME)
            .unwrap()
            .build()
            .await
            .expect("test notification server on the bus");
        Server { conn, calls }
    }

    pub async fn call(&mut self) -> Call {
        tokio::time::timeout(WAIT, self.calls.recv())
            .await
            .expect("timed out waiting for a call to the notification server")
            .expect("server gone")
    }

    /// A call received already, if any (nothing is waited for).
    pub fn received(&mut self) -> Option<Call> {
        self.calls.try_recv().ok()
    }

    /// Waits for a `Notify`.
    pub async fn notified(&mut self) -> Notified {
        match self.call().await {
            Call::Notify(notified) => notified,
            other => panic!("expected Notify, got {other:?}"),
        }
    }

    pub async fn emit<B>(&self, member: &str, body: &B)
    where
        B: serde::Serialize + zbus::zvariant::DynamicType,
    {
        self.conn
            .emit_signal(None::<()>, PATH, NAME, member, body)
            .await
            .unwrap();
    }

    /// Turns do not disturb on or off, announced with `PropertiesChanged`.
    pub async fn set_inhibited(&self, on: bool) {
        let iface = self
            .conn
            .object_server()
            .interface::<_, Recorder>(PATH)
            .await
            .unwrap();
        let mut recorder = iface.get_mut().await;
        recorder.inhibited = on;
        recorder
            .inhibited_changed(iface.signal_emitter())
            .await
            .unwrap();
    }

    /// Waits until the bus connection named `unique` (a caller's
    /// [`Notified::sender`]) is gone. Subscribed before asking, so a
    /// disconnection in between is not missed.
    pub async fn disconnected(&self, unique: &str) {
        let dbus = zbus::fdo::DBusProxy::new(&self.conn).await.unwrap();
        let mut changes = dbus
            .receive_name_owner_changed_with_args(&[(0, unique)])
            .await
            .unwrap();
        let name = zbus::names::BusName::try_from(unique).unwrap();
        if !dbus.name_has_owner(name).await.unwrap() {
            return;
        }
        tokio::time::timeout(WAIT, async {
            while let Some(signal) = changes.next().await {
                if signal.args().is_ok_and(|a| a.new_owner().is_none()) {
                    return;
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("`{unique}` still on the bus"));
    }
}

/// A [`Server`] on a current-thread runtime that a thread of its own
/// drives, so it answers while the test thread blocks; each method waits
/// for its answer on the test's thread.
pub struct BlockingServer {
    server: Option<Server>,
    runtime: tokio::runtime::Handle,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BlockingServer {
    pub fn start(address: &str, caps: &[&str]) -> BlockingServer {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        // `Handle::block_on` on a current-thread runtime needs another
        // thread in `Runtime::block_on` to drive its I/O and timers.
        let thread = std::thread::spawn(move || {
            runtime.block_on(async {
                let _ = stopped.await;
            })
        });
        let server = handle.block_on(Server::at(address, caps, 0));
        BlockingServer {
            server: Some(server),
            runtime: handle,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn server(&mut self) -> &mut Server {
        self.server.as_mut().expect("running")
    }

    pub fn call(&mut self) -> Call {
        let runtime = self.runtime.clone();
        runtime.block_on(self.server().call())
    }

    pub fn notified(&mut self) -> Notified {
        let runtime = self.runtime.clone();
        runtime.block_on(self.server().notified())
    }

    pub fn received(&mut self) -> Option<Call> {
        self.server().received()
    }

    pub fn emit<B>(&mut self, member: &str, body: &B)
    where
        B: serde::Serialize + zbus::zvariant::DynamicType,
    {
        let runtime = self.runtime.clone();
        runtime.block_on(self.server().emit(member, body))
    }

    pub fn set_inhibited(&mut self, on: bool) {
        let runtime = self.runtime.clone();
        runtime.block_on(self.server().set_inhibited(on))
    }

    pub fn disconnected(&mut self, unique: &str) {
        let runtime = self.runtime.clone();
        runtime.block_on(self.server().disconnected(unique))
    }
}

impl Drop for BlockingServer {
    fn drop(&mut self) {
        // The connection's tasks live on the runtime: end it there.
        {
            let _in_runtime = self.runtime.enter();
            self.server.take();
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
