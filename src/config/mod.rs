//! Configuration: where it lives, how it is read, and what it means.
//!
//! `yaml.rs` is the only place that knows about the YAML library (serde_yaml
//! is deprecated upstream and may be swapped); everything else sees the typed
//! [`Config`] from `model.rs`. Loading is all-or-nothing: a file either
//! validates completely or yields one [`ConfigError`] naming the file, the key
//! path and the line, so a reload can keep the old config on any error.

mod model;
pub mod paths;

pub use model::*;

use std::fmt;
use std::path::{Path, PathBuf};

/// A config that cannot be used, located as precisely as possible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    /// Dotted key path, e.g. `settings.prompt_interval` or `repositories[1].name`.
    pub key: Option<String>,
    /// 1-based line and column.
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    /// e.g. "did you mean `prompt_interval`?"
    pub hint: Option<String>,
}

impl fmt::Display for ConfigError {
    /// One line: `config.yaml:12:3: settings.intervall: unknown key (did you mean `prompt_interval`?)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ": ")?;
        if let Some(key) = &self.key {
            write!(f, "{key}: ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// Reads and validates the config file at `path`.
pub fn load(_path: &Path) -> Result<Config, ConfigError> {
    todo!()
}

/// Validates `text` as if it were the content of `source`.
pub fn parse(_text: &str, _source: &Path) -> Result<Config, ConfigError> {
    todo!()
}

/// The config used when no file exists: interval 180 minutes, no work-hours
/// limit, the local timezone, and the git repository containing `cwd` (if any).
pub fn defaults(_cwd: &Path) -> Config {
    todo!()
}

/// Human-readable lines describing what differs from `old` to `new`, for the
/// reload log ("prompt_interval: 180 -> 60", "repository added: api").
pub fn describe_changes(_old: &Config, _new: &Config) -> Vec<String> {
    todo!()
}

/// A commented starter config for `devtrack config init`.
pub fn starter() -> &'static str {
    todo!()
}
