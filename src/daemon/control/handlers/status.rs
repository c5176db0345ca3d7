//! `status`: the daemon's own view (built in `daemon::status`).

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::daemon::state::Daemon;
use crate::protocol::Response;

pub(super) fn handle(daemon: &Daemon, now: DateTime<Utc>) -> Result<Response> {
    Ok(Response::Status {
        message: "running".into(),
        status: Box::new(daemon.status(now)?),
    })
}
