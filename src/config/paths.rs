//! Where devtrack keeps things: config, data (SQLite, instance lock), runtime (socket).
//!
//! XDG layout on every platform (macOS included: `~/.config`,
//! `~/.local/share`), so one set of paths works everywhere. The decision is
//! the pure [`Paths::resolve_in`]; [`Paths::resolve`] only gathers its inputs
//! from the environment.

use std::path::{Path, PathBuf};

use etcetera::base_strategy::{BaseStrategy, Xdg};

/// How the config path was chosen, for `devtrack config path` and status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConfigSource {
    /// `--config PATH`, which the argument parser also takes from
    /// `DEVTRACK_CONFIG`.
    Flag,
    /// `$XDG_CONFIG_HOME/devtrack/config.yaml`
    Xdg,
    /// `~/.devtrack/config.yaml`, read because the XDG file is absent.
    Legacy,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Paths {
    pub config_file: PathBuf,
    pub config_source: ConfigSource,
    /// `$XDG_CONFIG_HOME/devtrack/config.yaml`, where a config belongs
    /// whichever one is in use (the daemon's config watch picks one up
    /// written there while it runs on defaults or the legacy file).
    pub preferred_config: PathBuf,
    /// `$XDG_DATA_HOME/devtrack`
    pub data_dir: PathBuf,
    /// `data_dir/devtrack.db`
    pub database: PathBuf,
    /// `$XDG_RUNTIME_DIR/devtrack`, or a private fallback when unset.
    pub runtime_dir: PathBuf,
    /// `runtime_dir/control.sock`
    pub socket: PathBuf,
    /// `data_dir/devtrack.lock`: the instance lock, next to the store it
    /// protects, so it holds whatever runtime directory a daemon uses.
    pub lock: PathBuf,
    /// `runtime_dir/devtrack.lock`: keeps daemons with different data
    /// directories off one socket.
    pub socket_lock: PathBuf,
}

impl Paths {
    /// `runtime_dir/http.sock`: the daemon's HTTP socket (the status page
    /// and its API), beside the control socket and as private.
    pub(crate) fn http_socket(&self) -> PathBuf {
        http_socket_beside(&self.socket)
    }
}

/// The HTTP socket of the daemon whose control socket is `control`.
pub(crate) fn http_socket_beside(control: &Path) -> PathBuf {
    control.with_file_name("http.sock")
}

/// Everything path resolution reads from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BaseDirs {
    /// The home directory (for the legacy `~/.devtrack`).
    pub home: PathBuf,
    /// `$XDG_CONFIG_HOME` or `~/.config`.
    pub config_home: PathBuf,
    /// `$XDG_DATA_HOME` or `~/.local/share`.
    pub data_home: PathBuf,
    /// `$XDG_RUNTIME_DIR`, when set.
    pub runtime_dir: Option<PathBuf>,
    /// `std::env::temp_dir()`, for the runtime fallback.
    pub temp_dir: PathBuf,
    /// The real user id, naming the runtime fallback.
    pub uid: u32,
}

impl BaseDirs {
    /// Reads the XDG variables (through etcetera's XDG strategy), the home
    /// directory, the temp dir and the uid.
    pub(crate) fn from_env() -> BaseDirs {
        let home_fallback = || {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("/"))
        };
        let (home, config_home, data_home, runtime_dir) = match Xdg::new() {
            Ok(xdg) => (
                xdg.home_dir().to_path_buf(),
                xdg.config_dir(),
                xdg.data_dir(),
                xdg.runtime_dir(),
            ),
            Err(_) => {
                let home = home_fallback();
                (
                    home.clone(),
                    home.join(".config"),
                    home.join(".local/share"),
                    None,
                )
            }
        };
        BaseDirs {
            home,
            config_home,
            data_home,
            runtime_dir,
            temp_dir: std::env::temp_dir(),
            uid: nix::unistd::getuid().as_raw(),
        }
    }
}

impl BaseDirs {
    /// The directories another process would use whose environment is
    /// `var` (e.g. the user service manager's, from `systemctl --user
    /// show-environment`): XDG variables only when absolute, as the XDG
    /// spec and etcetera read them, else below `HOME`. Pure.
    pub(crate) fn from_vars(
        var: &dyn Fn(&str) -> Option<String>,
        temp_dir: &Path,
        uid: u32,
    ) -> BaseDirs {
        let absolute = |name: &str| var(name).map(PathBuf::from).filter(|p| p.is_absolute());
        let home = absolute("HOME").unwrap_or_else(|| PathBuf::from("/"));
        BaseDirs {
            config_home: absolute("XDG_CONFIG_HOME").unwrap_or_else(|| home.join(".config")),
            data_home: absolute("XDG_DATA_HOME").unwrap_or_else(|| home.join(".local/share")),
            runtime_dir: absolute("XDG_RUNTIME_DIR"),
            temp_dir: var("TMPDIR")
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .unwrap_or_else(|| temp_dir.to_path_buf()),
            home,
            uid,
        }
    }
}

impl Paths {
    /// Resolves every path from the flag and the environment. Does no I/O
    /// beyond checking whether the XDG / legacy config files exist.
    pub(crate) fn resolve(config_flag: Option<&Path>) -> Paths {
        Paths::resolve_in(config_flag, &BaseDirs::from_env(), &|path| path.exists())
    }

    /// The paths a daemon started with the environment `var` resolves
    /// (`devtrack run` with no `--config`: `DEVTRACK_CONFIG` or the XDG and
    /// legacy files).
    pub(crate) fn resolve_for(var: &dyn Fn(&str) -> Option<String>, uid: u32) -> Paths {
        let base = BaseDirs::from_vars(var, &std::env::temp_dir(), uid);
        let flag = var("DEVTRACK_CONFIG")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        Paths::resolve_in(flag.as_deref(), &base, &|path| path.exists())
    }

    /// The decision behind [`Paths::resolve`]: `--config` (or
    /// `DEVTRACK_CONFIG`, which the argument parser reads into it), else the
    /// XDG file, else (only when the XDG file does not exist and the legacy
    /// one does) `~/.devtrack/config.yaml`.
    pub(crate) fn resolve_in(
        config_flag: Option<&Path>,
        base: &BaseDirs,
        exists: &dyn Fn(&Path) -> bool,
    ) -> Paths {
        let xdg_config = base.config_home.join("devtrack").join("config.yaml");
        let legacy_config = base.home.join(".devtrack").join("config.yaml");
        let (config_file, config_source) = if let Some(flag) = config_flag {
            (flag.to_path_buf(), ConfigSource::Flag)
        } else if !exists(&xdg_config) && exists(&legacy_config) {
            (legacy_config, ConfigSource::Legacy)
        } else {
            (xdg_config.clone(), ConfigSource::Xdg)
        };
        let data_dir = base.data_home.join("devtrack");
        let runtime_dir = match &base.runtime_dir {
            Some(dir) => dir.join("devtrack"),
            // Private per-user directory; the daemon creates it 0700 and
            // checks its owner before trusting it.
            None => base.temp_dir.join(format!("devtrack-{}", base.uid)),
        };
        Paths {
            config_file,
            config_source,
            preferred_config: xdg_config,
            database: data_dir.join("devtrack.db"),
            lock: data_dir.join("devtrack.lock"),
            data_dir,
            socket: runtime_dir.join("control.sock"),
            socket_lock: runtime_dir.join("devtrack.lock"),
            runtime_dir,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> BaseDirs {
        BaseDirs {
            home: PathBuf::from("/home/dev"),
            config_home: PathBuf::from("/home/dev/.config"),
            data_home: PathBuf::from("/home/dev/.local/share"),
            runtime_dir: Some(PathBuf::from("/run/user/1000")),
            temp_dir: PathBuf::from("/tmp"),
            uid: 1000,
        }
    }

    fn nothing_exists(_: &Path) -> bool {
        false
    }

    #[test]
    fn xdg_layout_by_default() {
        let paths = Paths::resolve_in(None, &base(), &nothing_exists);
        assert_eq!(
            paths,
            Paths {
                config_file: PathBuf::from("/home/dev/.config/devtrack/config.yaml"),
                config_source: ConfigSource::Xdg,
                preferred_config: PathBuf::from("/home/dev/.config/devtrack/config.yaml"),
                data_dir: PathBuf::from("/home/dev/.local/share/devtrack"),
                database: PathBuf::from("/home/dev/.local/share/devtrack/devtrack.db"),
                runtime_dir: PathBuf::from("/run/user/1000/devtrack"),
                socket: PathBuf::from("/run/user/1000/devtrack/control.sock"),
                lock: PathBuf::from("/home/dev/.local/share/devtrack/devtrack.lock"),
                socket_lock: PathBuf::from("/run/user/1000/devtrack/devtrack.lock"),
            }
        );
    }

    #[test]
    fn flag_beats_files() {
        let everything = |_: &Path| true;
        let flagged = Paths::resolve_in(Some(Path::new("/flag.yaml")), &base(), &everything);
        assert_eq!(
            (flagged.config_file, flagged.config_source),
            (PathBuf::from("/flag.yaml"), ConfigSource::Flag)
        );
    }

    #[test]
    fn legacy_file_only_when_the_xdg_one_is_absent() {
        let legacy = Path::new("/home/dev/.devtrack/config.yaml");
        let only_legacy = |p: &Path| p == legacy;
        let paths = Paths::resolve_in(None, &base(), &only_legacy);
        assert_eq!(
            (paths.config_file.as_path(), paths.config_source),
            (legacy, ConfigSource::Legacy)
        );
        let both = |_: &Path| true;
        let paths = Paths::resolve_in(None, &base(), &both);
        assert_eq!(paths.config_source, ConfigSource::Xdg);
        // Neither exists: the XDG path, where `config init` will write.
        let paths = Paths::resolve_in(None, &base(), &nothing_exists);
        assert_eq!(paths.config_source, ConfigSource::Xdg);
    }

    #[test]
    fn runtime_fallback_is_per_user_in_temp() {
        let mut base = base();
        base.runtime_dir = None;
        base.uid = 1234;
        let paths = Paths::resolve_in(None, &base, &nothing_exists);
        assert_eq!(paths.runtime_dir, PathBuf::from("/tmp/devtrack-1234"));
        assert_eq!(
            paths.socket,
            PathBuf::from("/tmp/devtrack-1234/control.sock")
        );
        assert_eq!(
            paths.socket_lock,
            PathBuf::from("/tmp/devtrack-1234/devtrack.lock")
        );
        // The instance lock does not move with the runtime directory.
        assert_eq!(
            paths.lock,
            PathBuf::from("/home/dev/.local/share/devtrack/devtrack.lock")
        );
    }

    #[test]
    fn another_process_environment() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let plain = BaseDirs::from_vars(&vars(&[("HOME", "/home/dev")]), Path::new("/tmp"), 7);
        assert_eq!(plain.config_home, PathBuf::from("/home/dev/.config"));
        assert_eq!(plain.data_home, PathBuf::from("/home/dev/.local/share"));
        assert_eq!(plain.runtime_dir, None);
        let set = BaseDirs::from_vars(
            &vars(&[
                ("HOME", "/home/dev"),
                ("XDG_CONFIG_HOME", "/cfg"),
                ("XDG_DATA_HOME", "relative/is/ignored"),
                ("XDG_RUNTIME_DIR", "/run/user/7"),
            ]),
            Path::new("/tmp"),
            7,
        );
        assert_eq!(set.config_home, PathBuf::from("/cfg"));
        assert_eq!(set.data_home, PathBuf::from("/home/dev/.local/share"));
        assert_eq!(set.runtime_dir, Some(PathBuf::from("/run/user/7")));
    }

    #[test]
    fn from_env_reads_the_process_environment() {
        // Only reads; the values depend on the machine, their shape does not.
        let base = BaseDirs::from_env();
        assert!(base.config_home.is_absolute());
        assert!(base.data_home.is_absolute());
        assert_eq!(base.uid, nix::unistd::getuid().as_raw());
    }
}
