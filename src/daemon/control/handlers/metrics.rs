//! `metrics`: the daemon's counters and gauges as OpenMetrics text (built
//! in `daemon::metrics`).

use anyhow::Result;

use crate::daemon::state::Daemon;
use crate::protocol::Response;

pub(super) fn handle(daemon: &Daemon) -> Result<Response> {
    Ok(Response::Metrics {
        message: "metrics".into(),
        metrics: daemon.openmetrics()?,
    })
}
