//! Where devtrack keeps things: config, data (SQLite), runtime (socket, lock).

use std::path::{Path, PathBuf};

/// How the config path was chosen, for `devtrack config path` and status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigSource {
    /// `--config PATH`
    Flag,
    /// `DEVTRACK_CONFIG`
    Env,
    /// `$XDG_CONFIG_HOME/devtrack/config.yaml`
    Xdg,
    /// `~/.devtrack/config.yaml`, read because the XDG file is absent.
    Legacy,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub config_file: PathBuf,
    pub config_source: ConfigSource,
    /// `$XDG_DATA_HOME/devtrack`
    pub data_dir: PathBuf,
    /// `data_dir/devtrack.db`
    pub database: PathBuf,
    /// `$XDG_RUNTIME_DIR/devtrack`, or a private fallback when unset.
    pub runtime_dir: PathBuf,
    /// `runtime_dir/control.sock`
    pub socket: PathBuf,
    /// `runtime_dir/devtrack.lock`
    pub lock: PathBuf,
}

impl Paths {
    /// Resolves every path from the flag and the environment. Does no I/O
    /// beyond checking whether the XDG / legacy config files exist.
    pub fn resolve(_config_flag: Option<&Path>) -> Paths {
        todo!()
    }
}
