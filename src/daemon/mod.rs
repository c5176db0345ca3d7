//! The foreground daemon (`devtrack run`).
//!
//! Start-up order matters for readiness: config, logging, the instance and
//! socket locks (with the private runtime directory), the store, the control
//! socket and the repository watches are all in place before `READY=1` is
//! sent. The daemon never forks and writes no PID or log file: the init
//! system owns those.

mod burst;
mod commit_triggers;
mod config_watch;
pub(crate) mod control;
mod deadline;
mod doctor_view;
pub(crate) mod event_bus;
mod footprint;
pub mod gitwatch;
mod hold;
mod http;
mod limit_retry;
pub(crate) mod logging;
mod metrics;
mod pause;
mod prompt_triggers;
pub mod prompts;
mod reload;
mod run_loop;
mod state;
mod status;
pub(crate) mod store_health;
mod sync_sender;
mod sync_triggers;
mod timer_triggers;
pub(crate) mod wallclock;

use std::path::Path;

use crate::config::paths::Paths;
use crate::exit::{Explain, Status};
use crate::instance;
use crate::service::launchd::LaunchdCrashGuard;

/// Runs the daemon until SIGTERM/SIGINT; returns the process exit status.
pub(crate) fn run(config_flag: Option<&Path>) -> Status {
    // Everything the daemon creates (runtime dir, socket, store) is private.
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
    footprint::one_arena();

    let paths = Paths::resolve(config_flag);
    // Logging first, at the default level until the config says otherwise,
    // so that every error below reaches the journal as an error.
    let log = match logging::init(crate::config::LogLevel::Info) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("devtrack: setting up logging: {e:#}");
            return Status::Failure;
        }
    };
    let fatal = |message: &str| logging::fatal(log.sink(), message);
    let crash_guard = LaunchdCrashGuard::under_launchd(&paths.data_dir);
    if let Some(guard) = &crash_guard {
        if let Some(reason) = guard.should_give_up() {
            // Exit 0: launchd's KeepAlive{SuccessfulExit:false} then stops
            // relaunching; `devtrack status` shows the reason.
            fatal(&reason.explained());
            return Status::Ok;
        }
    }
    let config = match crate::config::load_or_defaults(&paths) {
        Ok(c) => c,
        Err(e) => {
            fatal(&format!("invalid configuration: {e}"));
            return e.status();
        }
    };
    log.set_level(config.settings.log_level);
    for warning in config.integrations.file_token_warnings() {
        tracing::warn!("{warning}");
    }
    match &config.source {
        Some(path) => tracing::info!(
            config = %path.display(),
            "loaded configuration from `{}`",
            path.display()
        ),
        None => tracing::info!(
            config = %paths.config_file.display(),
            "no config file at `{}`; running on defaults (create one with `devtrack config init`)",
            paths.config_file.display()
        ),
    }

    let instance = match instance::claim(&paths) {
        Ok(instance) => instance,
        Err(e) => {
            fatal(&e.explained());
            return e.status();
        }
    };

    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            fatal(&format!("starting the runtime: {e}"));
            return Status::Failure;
        }
    };
    let status = runtime.block_on(run_loop::run(paths, config, log, crash_guard));
    drop(instance);
    status
}
