//! `install-service`, `uninstall-service`, `start`, `stop`, `restart`, `logs`:
//! thin wrappers over the platform's service backend.

use crate::cli::args::{InstallArgs, LogsArgs, StartArgs};
use crate::cli::{out, CliError, Context};
use crate::config::{self, paths::Paths};
use crate::exit::Status;
use crate::service::{self, Backend, InstallOptions, LogOptions, ServiceError};

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

/// The config the service's daemon will read: the file resolved with the
/// manager's environment (where the unit's `devtrack run` looks, which
/// may not be where this shell looks), or this shell's paths when the
/// manager cannot tell.
fn service_paths(ctx: &Context, backend: &dyn Backend) -> Paths {
    match backend.daemon_environment() {
        Ok(Some(vars)) => {
            let var = |name: &str| {
                vars.iter()
                    .rev()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
            };
            Paths::resolve_for(&var, nix::unistd::getuid().as_raw())
        }
        _ => ctx.paths.clone(),
    }
}

/// A daemon started on an invalid config exits 78 at once: a restart
/// would stop the working one for nothing and leave the unit failed. So
/// `start` and `restart` check the file the service will read first, as
/// `reload` and `install-service` do, unless `--force`.
fn check_service_config(
    ctx: &Context,
    backend: &dyn Backend,
    verb: &str,
    running: bool,
) -> Result<(), CliError> {
    let paths = service_paths(ctx, backend);
    let Err(e) = config::load_or_defaults(&paths) else {
        return Ok(());
    };
    let keeps = if running {
        "; the running daemon keeps running"
    } else {
        ""
    };
    Err(CliError::new(
        Status::Config,
        format!(
            "not {verb}ing: the service reads {}, which is invalid{keeps}: {e}",
            paths.config_file.display()
        ),
    )
    .with_hint(format!(
        "fix it (`devtrack config check {}` checks it again), or `devtrack {verb} --force` \
         to {verb} anyway (the daemon would exit with status 78)",
        paths.config_file.display()
    )))
}

/// Whether the manager runs the daemon now (a start is then a no-op).
fn running(backend: &dyn Backend) -> bool {
    backend.status().is_ok_and(|s| {
        matches!(
            s.state.as_deref(),
            Some("active" | "reloading" | "activating" | "running")
        )
    })
}

pub(crate) fn start(ctx: &Context, args: &StartArgs) -> Result<Status, CliError> {
    let backend = service::backend();
    if !args.force && !running(backend.as_ref()) {
        check_service_config(ctx, backend.as_ref(), "start", false)?;
    }
    finish(backend.start())
}

pub(crate) fn stop() -> Result<Status, CliError> {
    finish(service::backend().stop())
}

pub(crate) fn restart(ctx: &Context, args: &StartArgs) -> Result<Status, CliError> {
    let backend = service::backend();
    if !args.force {
        check_service_config(ctx, backend.as_ref(), "restart", running(backend.as_ref()))?;
    }
    finish(backend.restart())
}

/// `--since` is read as every command reads a time (`cli::time`, in the
/// configured timezone) and handed to the log tool as an instant, so
/// `1h`, `yesterday` or `17:00` mean what they mean to `history`.
pub(crate) fn logs(ctx: &Context, args: &LogsArgs) -> Result<Status, CliError> {
    let since = match &args.since {
        Some(text) => {
            let tz = crate::cli::zone::configured(ctx);
            Some(
                crate::cli::time::parse_since(text, chrono::Utc::now(), &tz)
                    .map_err(CliError::usage)?,
            )
        }
        None => None,
    };
    let opts = LogOptions {
        follow: args.follow,
        lines: args.lines,
        since,
        priority: args.priority.map(|p| p.as_str().to_string()),
    };
    match service::backend().logs(&opts) {
        // The log tool wrote to our stdout and failed because its reader
        // went away (`devtrack logs -f | head`): a closed pipe, not an error.
        Err(ServiceError::Tool { .. }) if out::stdout_closed() => Ok(Status::Ok),
        result => finish(result),
    }
}
