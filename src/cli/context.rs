//! What every command may need: the paths in use and the config, read at
//! most once per command. A command that needs the timezone for its
//! template and the ticket families for its answer (`devtrack note` with
//! no daemon) reads and validates the file once, and says the same thing
//! about it both times.

use std::cell::OnceCell;

use crate::config::paths::Paths;
use crate::config::{Config, ConfigError};

/// The paths in use and the config, loaded when first asked for.
pub(crate) struct Context {
    pub paths: Paths,
    config: OnceCell<Result<Config, ConfigError>>,
}

impl Context {
    pub(crate) fn new(paths: Paths) -> Context {
        Context {
            paths,
            config: OnceCell::new(),
        }
    }

    /// The config devtrack runs on (`config::load_or_defaults`), read on
    /// the first call only.
    #[allow(clippy::result_large_err)]
    pub(crate) fn config(&self) -> Result<&Config, ConfigError> {
        self.config
            .get_or_init(|| crate::config::load_or_defaults(&self.paths))
            .as_ref()
            .map_err(Clone::clone)
    }
}
