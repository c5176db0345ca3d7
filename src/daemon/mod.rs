//! The foreground daemon (`devtrack run`).
//!
//! Start-up order matters for readiness: config, logging, the private
//! runtime directory and instance lock, the store, the control socket and
//! the repository watches are all in place before `READY=1` is sent. The
//! daemon never forks and writes no PID or log file: the init system owns
//! those.

mod burst;
mod commits;
pub mod control;
pub mod events;
mod footprint;
pub mod gitwatch;
pub mod instance;
pub mod logging;
mod pause;
pub mod readiness;
mod run_loop;
pub mod scheduler;
mod status;
pub mod store;
pub mod wallclock;

pub use pause::parse_duration;

use std::path::Path;

use crate::config::paths::{ConfigSource, Paths};
use crate::config::{self, Config, ConfigError};
use crate::exit;
use crate::service::launchd::crash_guard::{running_under_launchd, CrashGuard, StartDecision};

/// Runs the daemon until SIGTERM/SIGINT; returns the process exit status.
pub fn run(config_flag: Option<&Path>) -> i32 {
    // Everything the daemon creates (runtime dir, socket, store) is private.
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));

    footprint::apply();

    let paths = Paths::resolve(config_flag);
    let crash_guard = LaunchdCrashGuard::under_launchd(&paths);
    if let Some(guard) = &crash_guard {
        if let Some(reason) = guard.should_give_up() {
            // Exit 0: launchd's KeepAlive{SuccessfulExit:false} then stops
            // relaunching; `devtrack status` shows the reason.
            eprintln!("devtrack: {reason}");
            return exit::OK;
        }
    }
    let config = match load_config(&paths) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("devtrack: invalid configuration: {e}");
            return exit::CONFIG;
        }
    };
    let log = match logging::init(config.settings.log_level) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("devtrack: setting up logging: {e:#}");
            return exit::FAILURE;
        }
    };
    match &config.source {
        Some(path) => tracing::info!(config = %path.display(), "loaded configuration"),
        None => tracing::info!(
            config = %paths.config_file.display(),
            "no config file; running on defaults (create one with `devtrack config init`)"
        ),
    }

    if let Err(e) = instance::ensure_private_dir(&paths.runtime_dir) {
        tracing::error!("preparing the runtime directory: {e:#}");
        eprintln!("devtrack: preparing the runtime directory: {e:#}");
        return exit::FAILURE;
    }
    let lock = match instance::InstanceLock::acquire(&paths.lock) {
        Ok(lock) => lock,
        Err(instance::LockError::Held { pid }) => {
            let who = pid.map(|p| format!(" (PID {p})")).unwrap_or_default();
            let msg = format!(
                "devtrack is already running for this user{who}; lock `{}`",
                paths.lock.display()
            );
            tracing::error!("{msg}");
            eprintln!(
                "devtrack: {msg}\nhint: use `devtrack status`, or stop it with `devtrack stop`"
            );
            return exit::ALREADY_RUNNING;
        }
        Err(instance::LockError::Io(e)) => {
            eprintln!("devtrack: {e:#}");
            return exit::FAILURE;
        }
    };

    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("devtrack: starting the runtime: {e}");
            return exit::FAILURE;
        }
    };
    let status = runtime.block_on(run_loop::run(paths, config, log, crash_guard));
    drop(lock);
    status
}

/// launchd has no start limit: under it, a persistent count of failed
/// starts stops a crash loop (see `service::launchd::crash_guard`).
pub(crate) struct LaunchdCrashGuard {
    guard: CrashGuard,
    file: std::path::PathBuf,
}

impl LaunchdCrashGuard {
    fn under_launchd(paths: &Paths) -> Option<LaunchdCrashGuard> {
        running_under_launchd(|k| std::env::var(k).ok()).then(|| LaunchdCrashGuard {
            guard: CrashGuard::default(),
            file: CrashGuard::file_in(&paths.data_dir),
        })
    }

    /// Counts this start; `Some(reason)` when too many failed recently.
    fn should_give_up(&self) -> Option<String> {
        match self
            .guard
            .check_at_start(&self.file, std::time::SystemTime::now())
        {
            Ok(StartDecision::Proceed) => None,
            Ok(StartDecision::GiveUp { reason }) => Some(reason),
            Err(e) => {
                eprintln!("devtrack: crash guard: {e:#}");
                None
            }
        }
    }

    /// How long a run must last to count as healthy.
    pub(crate) fn healthy_after(&self) -> std::time::Duration {
        self.guard.healthy_after
    }

    /// This run is healthy (up long enough, or stopping cleanly).
    pub(crate) fn record_healthy(&self) {
        if let Err(e) = self.guard.record_healthy(&self.file) {
            tracing::warn!("crash guard: {e:#}");
        }
    }
}

/// Loads the config devtrack should use: the file when it exists; the
/// defaults when the default location is simply empty. A file named with
/// `--config`/`DEVTRACK_CONFIG` must exist.
#[allow(clippy::result_large_err)] // a rare path; the error carries its location
pub fn load_config(paths: &Paths) -> Result<Config, ConfigError> {
    if paths.config_file.exists() {
        return config::load(&paths.config_file);
    }
    match paths.config_source {
        ConfigSource::Flag => Err(ConfigError {
            file: paths.config_file.clone(),
            key: None,
            line: None,
            column: None,
            message: "no such file".to_string(),
            hint: Some("create it with `devtrack config init`".to_string()),
        }),
        ConfigSource::Xdg | ConfigSource::Legacy => {
            let cwd = std::env::current_dir().unwrap_or_else(|_| "/".into());
            Ok(config::defaults(&cwd))
        }
    }
}
