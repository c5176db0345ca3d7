//! `install-service`, `uninstall-service`, `start`, `stop`, `restart`, `logs`:
//! thin wrappers over the platform's service backend.

use crate::cli::args::{InstallArgs, LogsArgs};
use crate::cli::{out, CliError, Context};
use crate::exit::Status;
use crate::service::{self, InstallOptions, LogOptions, ServiceError};

fn finish(result: Result<(), ServiceError>) -> Result<Status, CliError> {
    result?;
    Ok(Status::Ok)
}

/// Installing a service whose daemon would exit 78 at once helps nobody:
/// the config is checked first, and its error is the one `config check`
/// prints.
pub(crate) fn install(ctx: &Context, args: &InstallArgs) -> Result<Status, CliError> {
    if let Err(e) = ctx.config() {
        return Err(CliError::from(e).with_hint(
            "the service would stop at once with status 78; fix the file \
             (`devtrack config check` checks it again), then run `devtrack install-service`",
        ));
    }
    let opts = InstallOptions {
        dry_run: args.dry_run,
        force: args.force,
        no_start: args.no_start,
        linger: args.linger,
    };
    finish(service::backend().install(&opts))
}

pub(crate) fn uninstall() -> Result<Status, CliError> {
    finish(service::backend().uninstall())
}

pub(crate) fn start() -> Result<Status, CliError> {
    finish(service::backend().start())
}

pub(crate) fn stop() -> Result<Status, CliError> {
    finish(service::backend().stop())
}

pub(crate) fn restart() -> Result<Status, CliError> {
    finish(service::backend().restart())
}

pub(crate) fn logs(args: &LogsArgs) -> Result<Status, CliError> {
    let opts = LogOptions {
        follow: args.follow,
        lines: args.lines,
        since: args.since.clone(),
        priority: args.priority.map(|p| p.as_str().to_string()),
    };
    match service::backend().logs(&opts) {
        // The log tool wrote to our stdout and failed because its reader
        // went away (`devtrack logs -f | head`): a closed pipe, not an error.
        Err(ServiceError::Tool { .. }) if out::stdout_closed() => Ok(Status::Ok),
        result => finish(result),
    }
}
