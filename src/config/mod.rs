//! Configuration: where it lives, how it is read, and what it means.
//!
//! `yaml.rs` is the only place that knows about the YAML library
//! (granit-parser); it hands `validate.rs` a tree in which every key and
//! value keeps its line and column (`tree.rs`), and everything else sees the
//! typed [`Config`] from `model.rs`. Loading is all-or-nothing: a file either
//! validates completely or yields one [`ConfigError`] naming the file, the key
//! path and the line, so a reload can keep the old config on any error.

mod changes;
mod checkout;
mod defaults;
pub(crate) mod discover;
pub(crate) mod edit;
mod file;
mod keypath;
mod model;
pub(crate) mod paths;
mod scalar;
mod starter;
pub(crate) mod strict;
mod suggest;
mod times;
mod tree;
mod validate;
pub(crate) mod watch;
mod yaml;

pub use checkout::containing_repository;
pub use defaults::local_timezone;
pub use model::{
    AzureDevops, CommitTriggers, Config, Folder, Github, Glob, Hook, Integrations, Jira, JiraApi,
    LogLevel, Prompts, Repository, Settings, TimeOfDay, Web, WeekdaySet, WhenAway, WorkHours,
};
pub(crate) use times::parse_duration_secs;

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

/// `file:line:col` (as much of it as is known).
fn write_location(
    f: &mut fmt::Formatter<'_>,
    file: &Path,
    line: Option<usize>,
    column: Option<usize>,
) -> fmt::Result {
    write!(f, "{}", file.display())?;
    if let Some(line) = line {
        write!(f, ":{line}")?;
        if let Some(col) = column {
            write!(f, ":{col}")?;
        }
    }
    Ok(())
}

impl fmt::Display for ConfigError {
    /// One line: `config.yaml:12:3: settings.intervall: unknown key (did you mean `prompt_interval`?)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_location(f, &self.file, self.line, self.column)?;
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

/// A config error's hint stays in its one line (`(did you mean …?)`), as
/// `config check` and the journal show it; its status is EX_CONFIG.
impl crate::exit::Explain for ConfigError {
    fn message(&self) -> std::borrow::Cow<'_, str> {
        std::borrow::Cow::Owned(self.to_string())
    }

    fn status(&self) -> crate::exit::Status {
        crate::exit::Status::Config
    }
}

/// A key that older DevTrack configs carry and devtrack accepts without
/// using (`settings.notifications`, `integrations.<name>.<anything but
/// enabled>`), for `devtrack config check` to print as a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredKey {
    pub file: PathBuf,
    /// Dotted key path, e.g. `integrations.jira.url`.
    pub key: String,
    /// 1-based line and column of the key.
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl fmt::Display for IgnoredKey {
    /// One line: `config.yaml:14:5: integrations.jira.url: ignored legacy key`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_location(f, &self.file, self.line, self.column)?;
        write!(f, ": {}: ignored legacy key", self.key)
    }
}

/// A valid config together with the legacy keys it ignored.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub config: Config,
    /// In file order.
    pub ignored_keys: Vec<IgnoredKey>,
}

/// Reads and validates the config file at `path`.
// A config error is built at most once per load and carries everything a
// one-line report needs; boxing it would only complicate every caller.
#[allow(clippy::result_large_err)]
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    check(path).map(|checked| checked.config)
}

/// The config devtrack runs on, for the paths in use: the file when it
/// exists; the defaults (see [`defaults`]) when the default location is
/// simply empty. A file named with `--config`/`DEVTRACK_CONFIG` must exist.
/// The daemon starts and reloads with this; the CLI reads the timezone and
/// checks the config before installing the service with it.
#[allow(clippy::result_large_err)]
pub(crate) fn load_or_defaults(paths: &paths::Paths) -> Result<Config, ConfigError> {
    if paths.config_file.exists() {
        return load(&paths.config_file);
    }
    match paths.config_source {
        paths::ConfigSource::Flag => Err(ConfigError {
            file: paths.config_file.clone(),
            key: None,
            line: None,
            column: None,
            message: "no such file".to_string(),
            hint: Some("create it with `devtrack config init`".to_string()),
        }),
        paths::ConfigSource::Xdg | paths::ConfigSource::Legacy => {
            let cwd = std::env::current_dir().unwrap_or_else(|_| "/".into());
            Ok(defaults(&cwd))
        }
    }
}

/// The config a reload applies: [`load_or_defaults`], except that a file
/// the running config was read from and that is gone now is an error, not
/// the defaults. A deleted (or moved, or not yet rewritten) file would
/// otherwise drop every repository and reset every setting without a word.
#[allow(clippy::result_large_err)]
pub(crate) fn load_for_reload(
    paths: &paths::Paths,
    running: &Config,
) -> Result<Config, ConfigError> {
    match &running.source {
        Some(source) if !paths.config_file.exists() => Err(ConfigError {
            file: paths.config_file.clone(),
            key: None,
            line: None,
            column: None,
            message: format!(
                "no such file (the running config was read from {}; it is kept)",
                source.display()
            ),
            hint: Some(
                "put the file back, or `devtrack config init` writes a starter one".to_string(),
            ),
        }),
        _ => load_or_defaults(paths),
    }
}

/// Validates `text` as if it were the content of `source`.
#[allow(clippy::result_large_err)]
pub fn parse(text: &str, source: &Path) -> Result<Config, ConfigError> {
    check_str(text, source).map(|checked| checked.config)
}

/// [`load`], also returning the ignored legacy keys (`devtrack config check`).
#[allow(clippy::result_large_err)]
pub fn check(path: &Path) -> Result<Checked, ConfigError> {
    check_str(&file::read(path)?, path)
}

/// [`parse`], also returning the ignored legacy keys.
#[allow(clippy::result_large_err)]
pub(crate) fn check_str(text: &str, source: &Path) -> Result<Checked, ConfigError> {
    let error = |key: Option<String>,
                 position: Option<(usize, usize)>,
                 message: String,
                 hint: Option<String>| ConfigError {
        file: source.to_path_buf(),
        key: key.map(|k| one_line(&k)),
        line: position.map(|p| p.0),
        column: position.map(|p| p.1),
        message: one_line(&message),
        hint: hint.map(|h| one_line(&h)),
    };
    if text.len() > file::MAX_BYTES {
        return Err(file::too_large(source));
    }
    let root = yaml::parse(text).map_err(|err| {
        error(
            err.path.map(|path| path.to_string()),
            Some((err.at.line, err.at.column)),
            err.message,
            err.hint,
        )
    })?;
    let context = validate::Context {
        base_dir: std::path::absolute(source)
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf)),
        home: etcetera::home_dir().ok(),
        default_timezone: local_timezone(),
    };
    let position = |path: &keypath::KeyPath| {
        let p = root.position_of(path);
        (p.line, p.column)
    };
    match validate::validate(&root, &context) {
        Ok(validated) => {
            let mut config = validated.config;
            if let Some(err) = duplicate_repository(&config.repositories, source, &position) {
                return Err(err);
            }
            config.source = Some(source.to_path_buf());
            let ignored_keys = validated
                .ignored
                .iter()
                .map(|path| {
                    let (line, column) = position(path);
                    IgnoredKey {
                        file: source.to_path_buf(),
                        key: path.to_string(),
                        line: Some(line),
                        column: Some(column),
                    }
                })
                .collect();
            Ok(Checked {
                config,
                ignored_keys,
            })
        }
        Err(problem) => Err(error(
            (!problem.path.is_root()).then(|| problem.path.to_string()),
            Some(position(&problem.path)),
            problem.message,
            problem.hint,
        )),
    }
}

/// Two enabled entries that are one repository (the same path, a symlink
/// to it, a linked worktree of it), as an error at the later one naming the
/// earlier one. Reads the file system; the decision is
/// [`checkout::first_duplicate`].
fn duplicate_repository(
    repositories: &[Repository],
    source: &Path,
    position: &dyn Fn(&keypath::KeyPath) -> (usize, usize),
) -> Option<ConfigError> {
    let enabled: Vec<usize> = (0..repositories.len())
        .filter(|&i| repositories[i].enabled)
        .collect();
    let ids: Vec<checkout::Identity> = enabled
        .iter()
        .map(|&i| checkout::identify(&repositories[i].path))
        .collect();
    let (a, b, same) = checkout::first_duplicate(&ids)?;
    let (first, second) = (enabled[a], enabled[b]);
    let path_of = |i: usize| {
        keypath::KeyPath::root()
            .key("repositories")
            .index(i)
            .key("path")
    };
    let (line, column) = position(&path_of(first));
    let (at_line, at_column) = position(&path_of(second));
    Some(ConfigError {
        file: source.to_path_buf(),
        key: Some(path_of(second).to_string()),
        line: Some(at_line),
        column: Some(at_column),
        message: one_line(&format!(
            "repository `{}` is already configured as `{}` ({}:{line}:{column}, {}): {}",
            repositories[second].name,
            repositories[first].name,
            source.display(),
            path_of(first),
            same.describe(),
        )),
        hint: Some(
            "list each repository once; commits in any worktree of a repository are \
             recorded under its entry"
                .to_string(),
        ),
    })
}

/// Escapes control characters (a quoted key or value may hold newlines) so
/// an error always displays as one line.
fn one_line(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

/// The config used when no file exists: interval 180 minutes, no work-hours
/// limit, the local timezone, and the git repository containing `cwd` (if any).
pub(crate) fn defaults(cwd: &Path) -> Config {
    defaults::config_for(cwd)
}

/// Human-readable lines describing what differs from `old` to `new`, for the
/// reload log ("prompt_interval: 180 -> 60", "repository added: api").
/// `source` is not compared.
pub fn describe_changes(old: &Config, new: &Config) -> Vec<String> {
    changes::describe(old, new)
}

/// The config file as `devtrack repo` edits it: its text, where each
/// value is, and what it means now.
pub(crate) struct Editable {
    pub text: String,
    pub config: Config,
    root: tree::Node,
    anchors: Vec<tree::Position>,
}

/// The valid config file at `path` to edit; `None` when there is no file.
#[allow(clippy::result_large_err)]
pub(crate) fn open_for_edit(path: &Path) -> Result<Option<Editable>, ConfigError> {
    if !path.exists() {
        return Ok(None);
    }
    let text = file::read(path)?;
    let config = parse(&text, path)?;
    let root = yaml::parse(&text).map_err(|err| ConfigError {
        file: path.to_path_buf(),
        key: None,
        line: Some(err.at.line),
        column: Some(err.at.column),
        message: err.message,
        hint: err.hint,
    })?;
    let anchors = yaml::anchors(&text);
    Ok(Some(Editable {
        text,
        config,
        root,
        anchors,
    }))
}

impl Editable {
    /// Line and column of the path of `config.repositories[index]`.
    pub(crate) fn position_of_entry(&self, index: usize) -> (usize, usize) {
        let at = self.root.position_of(
            &keypath::KeyPath::root()
                .key("repositories")
                .index(self.item_of(index))
                .key("path"),
        );
        (at.line, at.column)
    }

    /// The item of the file's `repositories:` list that is
    /// `config.repositories[index]`: the list also holds the folders
    /// (`discover: true`), which `config.repositories` leaves out.
    fn item_of(&self, index: usize) -> usize {
        let tree::Value::Map(top) = &self.root.value else {
            return index;
        };
        let Some(tree::Value::Seq(items)) = top
            .iter()
            .find(|e| e.key == "repositories")
            .map(|e| &e.value.value)
        else {
            return index;
        };
        let is_folder = |item: &tree::Node| match &item.value {
            tree::Value::Map(entries) => entries
                .iter()
                .any(|e| e.key == "discover" && e.value.value == tree::Value::Bool(true)),
            _ => false,
        };
        items
            .iter()
            .enumerate()
            .filter(|(_, item)| !is_folder(item))
            .nth(index)
            .map_or(index, |(i, _)| i)
    }

    pub(crate) fn add(&self, entry: &edit::NewEntry) -> Result<String, edit::Refusal> {
        edit::add(&self.text, &self.root, &self.anchors, entry)
    }

    pub(crate) fn remove(&self, index: usize) -> Result<String, edit::Refusal> {
        edit::remove(&self.text, &self.root, &self.anchors, self.item_of(index))
    }

    pub(crate) fn set_enabled(
        &self,
        index: usize,
        enabled: bool,
    ) -> Result<Option<String>, edit::Refusal> {
        edit::set_enabled(
            &self.text,
            &self.root,
            &self.anchors,
            self.item_of(index),
            enabled,
        )
    }
}

/// Writes `text` over the config file at `path` atomically (its mode kept).
pub(crate) fn replace_file(path: &Path, text: &str) -> std::io::Result<()> {
    file::replace(path, text, 0o644)
}

/// The starter config with `entry` as its repository.
pub(crate) fn starter_with(entry: &edit::NewEntry) -> String {
    starter::with_entry(entry)
}

/// Whether `a` and `b` are one repository and how (`the same path`, ...),
/// by the rule `config check` applies to the entries of one file.
pub(crate) fn same_repository(a: &Path, b: &Path) -> Option<&'static str> {
    checkout::same_repository(&checkout::identify(a), &checkout::identify(b))
        .map(checkout::Same::describe)
}

pub(crate) use checkout::{main_of_linked_worktree, top_level};

/// A commented starter config for `devtrack config init`.
pub(crate) fn starter() -> &'static str {
    starter::STARTER
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `repo` commands name a listed repository; the file's list also
    /// holds folders, which the edit must step over.
    #[test]
    fn a_listed_repository_is_edited_past_the_folders_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.yaml");
        let text = "repositories:\n  - {path: /src, discover: true}\n  - name: a\n    path: /a\n  - {path: /more, discover: true, depth: 2}\n  - name: b\n    path: /b\n";
        std::fs::write(&path, text).unwrap();
        let doc = open_for_edit(&path).unwrap().unwrap();
        let names: Vec<&str> = doc
            .config
            .repositories
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(doc.position_of_entry(1), (7, 5));
        assert_eq!(
            doc.remove(1).unwrap(),
            "repositories:\n  - {path: /src, discover: true}\n  - name: a\n    path: /a\n  - {path: /more, discover: true, depth: 2}\n"
        );
        assert_eq!(
            doc.set_enabled(0, false).unwrap().unwrap(),
            text.replace("    path: /a\n", "    path: /a\n    enabled: false\n")
        );
    }

    #[test]
    fn starter_is_a_valid_config() {
        let checked = check_str(starter(), Path::new("/cfg/config.yaml")).unwrap();
        assert!(checked.ignored_keys.is_empty());
        let config = checked.config;
        assert_eq!(config.repositories.len(), 1);
        assert_eq!(config.repositories[0].name, "myproject");
        assert_eq!(config.settings.prompt_interval_minutes, 180);
        assert_eq!(config.settings.work_hours, WorkHours::default());
        // Nothing is posted until the person says so.
        assert!(!config.settings.auto_sync);
        for key in [
            "api_url:",
            "remote:",
            "owner:",
            "repo:",
            "token_command:",
            "url:",
            "email:",
            "api_version:",
            "organization:",
            "project:",
            "sync:",
        ] {
            assert!(starter().contains(key), "{key}");
        }
    }

    #[test]
    fn starter_with_an_entry_is_valid_and_has_it() {
        let entry = edit::NewEntry {
            name: "api".into(),
            path: "/src/api".into(),
            project: None,
            enabled: false,
        };
        let config = parse(&starter_with(&entry), Path::new("/cfg/config.yaml")).unwrap();
        assert_eq!(config.repositories.len(), 1);
        let repo = &config.repositories[0];
        assert_eq!(
            (repo.name.as_str(), repo.path.as_path(), repo.enabled),
            ("api", Path::new("/src/api"), false)
        );
        assert_eq!(repo.project, None);
    }

    #[test]
    fn starter_mentions_every_settings_key() {
        // `notifications` is a legacy key devtrack ignores.
        for key in validate::SETTINGS_KEYS
            .iter()
            .filter(|k| **k != "notifications")
        {
            assert!(starter().contains(key), "{key}");
        }
    }

    /// Every base directory below `dir`.
    fn base_dirs_in(dir: &Path) -> paths::BaseDirs {
        paths::BaseDirs {
            home: dir.join("home"),
            config_home: dir.join("config"),
            data_home: dir.join("data"),
            runtime_dir: None,
            temp_dir: dir.join("tmp"),
            uid: 1000,
        }
    }

    #[test]
    fn load_or_defaults_reads_the_file_or_falls_back() {
        let dir = tempfile::tempdir().unwrap();
        let base = base_dirs_in(dir.path());
        let exists = |p: &Path| p.exists();
        let named = dir.path().join("named.yaml");
        let xdg = paths::Paths::resolve_in(None, &base, &exists);
        let flag = paths::Paths::resolve_in(Some(&named), &base, &exists);
        assert_eq!(xdg.config_source, paths::ConfigSource::Xdg);

        // Absent at the default location: the defaults.
        let config = load_or_defaults(&xdg).unwrap();
        assert_eq!(config.source, None);
        assert_eq!(config.settings.prompt_interval_minutes, 180);
        // Absent where `--config` points: an error that says so.
        let err = load_or_defaults(&flag).unwrap_err();
        assert_eq!(
            (err.file.as_path(), err.message.as_str()),
            (named.as_path(), "no such file")
        );
        // Present: the file, wherever the path came from.
        for paths in [&xdg, &flag] {
            std::fs::create_dir_all(paths.config_file.parent().unwrap()).unwrap();
            std::fs::write(&paths.config_file, "settings:\n  prompt_interval: 45\n").unwrap();
            let config = load_or_defaults(paths).unwrap();
            assert_eq!(config.source.as_deref(), Some(paths.config_file.as_path()));
            assert_eq!(config.settings.prompt_interval_minutes, 45);
        }
    }

    #[test]
    fn a_reload_keeps_a_config_whose_file_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let base = base_dirs_in(dir.path());
        let paths = paths::Paths::resolve_in(None, &base, &|p: &Path| p.exists());
        std::fs::create_dir_all(paths.config_file.parent().unwrap()).unwrap();
        std::fs::write(&paths.config_file, "settings:\n  prompt_interval: 45\n").unwrap();
        let running = load_or_defaults(&paths).unwrap();
        // Still there: read again.
        assert_eq!(
            load_for_reload(&paths, &running)
                .unwrap()
                .settings
                .prompt_interval_minutes,
            45
        );
        // Gone: an error naming the file, not the defaults.
        std::fs::remove_file(&paths.config_file).unwrap();
        let err = load_for_reload(&paths, &running).unwrap_err();
        assert_eq!(err.file, paths.config_file);
        assert!(err.message.starts_with("no such file"), "{}", err.message);
        // Never read from a file (the defaults): there is nothing to lose.
        let defaults = load_or_defaults(&paths).unwrap();
        assert!(load_for_reload(&paths, &defaults).is_ok());
    }

    #[test]
    fn errors_carry_key_and_position() {
        let err = parse("settings:\n  prompt_interval: 0\n", Path::new("c.yaml")).unwrap_err();
        assert_eq!(err.key.as_deref(), Some("settings.prompt_interval"));
        assert_eq!((err.line, err.column), (Some(2), Some(3)));
        assert_eq!(
            err.to_string(),
            "c.yaml:2:3: settings.prompt_interval: `0` must be between 1 and 1440 minutes"
        );
    }

    #[test]
    fn errors_with_newlines_in_values_stay_one_line() {
        let err = parse(
            "settings:\n  timezone: \"Europe/\\nBerlin\"\n",
            Path::new("c.yaml"),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "c.yaml:2:3: settings.timezone: unknown timezone `Europe/\\nBerlin` \
             (did you mean `Europe/Berlin`?)"
        );
    }

    #[test]
    fn syntax_errors_have_no_key() {
        let err = parse("a: [1,\n", Path::new("c.yaml")).unwrap_err();
        assert_eq!(err.key, None);
        assert!(err.line.is_some());
        assert!(err.message.starts_with("invalid YAML: "), "{}", err.message);
    }

    #[test]
    fn ignored_keys_are_located() {
        let checked = check_str(
            "integrations:\n  github:\n    enabled: true\n    token: abc\n    labels: x\n",
            Path::new("c.yaml"),
        )
        .unwrap();
        assert_eq!(checked.ignored_keys.len(), 1);
        assert_eq!(
            checked.ignored_keys[0].to_string(),
            "c.yaml:5:5: integrations.github.labels: ignored legacy key"
        );
        let warnings = checked.config.integrations.file_token_warnings();
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0]
                .starts_with("integrations.github.token: a token in the config file is never used"),
            "{}",
            warnings[0]
        );
        assert!(!warnings[0].contains("abc"));
    }
}
