//! `install-service`, `uninstall-service`, `start`, `stop`, `restart`, `logs`:
//! thin wrappers over the platform's service backend.

use crate::cli::args::{InstallArgs, LogsArgs};
use crate::service::{self, InstallOptions, LogOptions, ServiceError};

fn finish(result: Result<(), ServiceError>) -> i32 {
    match result {
        Ok(()) => crate::exit::OK,
        Err(e) => {
            eprintln!("devtrack: {e}");
            e.exit_status()
        }
    }
}

pub fn install(args: &InstallArgs) -> i32 {
    let opts = InstallOptions {
        dry_run: args.dry_run,
        force: args.force,
        no_start: args.no_start,
        linger: args.linger,
    };
    finish(service::backend().install(&opts))
}

pub fn uninstall() -> i32 {
    finish(service::backend().uninstall())
}

pub fn start() -> i32 {
    finish(service::backend().start())
}

pub fn stop() -> i32 {
    finish(service::backend().stop())
}

pub fn restart() -> i32 {
    finish(service::backend().restart())
}

pub fn logs(args: &LogsArgs) -> i32 {
    let opts = LogOptions {
        follow: args.follow,
        lines: args.lines,
        since: args.since.clone(),
        priority: args.priority.clone(),
    };
    finish(service::backend().logs(&opts))
}
