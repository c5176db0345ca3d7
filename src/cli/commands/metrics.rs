//! `devtrack metrics`: the running daemon's counters and gauges as
//! OpenMetrics text, for a person or a script (node_exporter's textfile
//! collector, a cron job). Exit 3 when the daemon is not running, as for
//! every command that needs it.

use std::time::Duration;

use crate::cli::commands::control;
use crate::cli::{out, CliError, Context};
use crate::exit::Status;
use crate::protocol::{Command, Response};

/// How long the daemon may take: a few grouped queries and `/proc` reads.
const TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) fn run(ctx: &Context) -> Result<Status, CliError> {
    match control::ask(ctx, Command::Metrics, TIMEOUT)? {
        Response::Metrics { metrics, .. } => {
            out::print(&metrics)?;
            Ok(Status::Ok)
        }
        Response::Failed(f) => Err(control::refused(&f)),
        other => Err(control::unexpected(&other)),
    }
}
