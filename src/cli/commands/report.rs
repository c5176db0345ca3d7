//! `devtrack report`: reads the store read-only (the daemon may be stopped
//! or running), builds the report of the period asked for with the
//! config's timezone, work days, projects and ticket families, and prints
//! it in the format asked for.

use chrono::{DateTime, Utc};

use crate::cli::args::ReportArgs;
use crate::cli::time::parse_since;
use crate::cli::{out, CliError, Context};
use crate::config::Config;
use crate::exit::Status;
use crate::report::{self, Period, Spec};

pub(crate) fn run(ctx: &Context, args: &ReportArgs) -> Result<Status, CliError> {
    let config = ctx.config()?;
    let period = period(args, config, Utc::now()).map_err(CliError::usage)?;
    let text = generate(&ctx.paths.database, config, period, args.format, args.by)?;
    out::print(&text)?;
    Ok(Status::Ok)
}

/// The period the arguments ask for, at `now`, in the configured timezone.
pub fn period(args: &ReportArgs, config: &Config, now: DateTime<Utc>) -> Result<Period, String> {
    let tz = config.settings.timezone;
    let spec = if let Some(since) = &args.since {
        Spec::Range {
            since: parse_since(since, now, &tz)?,
            until: args
                .until
                .as_deref()
                .map(|u| parse_since(u, now, &tz))
                .transpose()?,
        }
    } else if args.yesterday {
        Spec::Yesterday
    } else {
        Spec::Today
    };
    report::period::resolve(spec, now, tz, config.settings.work_hours.days)
}

pub use crate::report::read::generate;
