//! trigger → `Notify`: how long a prompt takes from the `trigger` request
//! on the control socket to the `Notify` call at a notification server, on
//! a private `dbus-daemon` given to the daemon as its session bus. The
//! server is the tests' recording one (`tests/notification_server.rs`,
//! included as it is). Each sample is a new prompt: it is answered (a
//! `note` request, which takes the notification down with
//! `CloseNotification`) before the next trigger, so every `Notify` is a
//! fresh one, not a replacement.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::client::Control;
use super::sandbox::Sandbox;

#[path = "../../tests/notification_server.rs"]
mod notification_server;

use notification_server::{BlockingServer, Bus, Call};

const TRIGGER: &str = "{\"v\":1,\"cmd\":\"trigger\"}\n";
const NOTE: &str = "{\"v\":1,\"cmd\":\"note\",\"text\":\"bench: answered\"}\n";

/// `samples` triggers, each timed from just before its request to the
/// `Notify` it leads to.
pub fn measure(samples: usize) -> Result<Vec<Duration>> {
    let sandbox = Sandbox::new()?;
    sandbox
        .write_config("repositories: []\nsettings: {timezone: UTC}\nprompts: {dialog: false}\n")?;
    let bus = Bus::start(&sandbox.dir.path().join("bus"));
    let mut server = BlockingServer::start(&bus.address(), &["actions"]);
    let (daemon, _) = sandbox.start_with(|c| {
        c.env("DBUS_SESSION_BUS_ADDRESS", bus.address());
    })?;
    let mut control = Control::connect(&sandbox.socket())?;
    let mut took = Vec::with_capacity(samples);
    for _ in 0..samples {
        let start = Instant::now();
        control.round_trip(TRIGGER).context("trigger")?;
        let shown = match server.call() {
            Call::Notify(n) => n,
            other => bail!("expected Notify, got {other:?}"),
        };
        took.push(start.elapsed());
        if shown.replaces_id != 0 {
            bail!("the trigger replaced a notification: the previous prompt was still open");
        }
        control.round_trip(NOTE).context("note")?;
        match server.call() {
            Call::Close(id) if id == shown.id => {}
            other => bail!("expected CloseNotification({}), got {other:?}", shown.id),
        }
    }
    daemon.stop()?;
    drop(server);
    Ok(took)
}
