//! Turns a parsed YAML tree into a typed [`Config`], or the first problem
//! found, named by its key path (positions are added by the caller).
//!
//! Pure: everything from the environment (home directory, the config file's
//! directory for relative paths, the local timezone) comes in [`Context`].
//! Sections (`settings:`, `repositories:`, `integrations:` and each
//! integration, `prompts:`) may be empty; leaf values must have the right type.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use chrono_tz::Tz;

use super::discover;
use super::keypath::KeyPath;
use super::model::{
    AzureDevops, CommitTriggers, Config, Folder, Github, Glob, Hook, Integrations, Jira, JiraApi,
    LogLevel, Prompts, Repository, Settings, TimeOfDay, Web, WeekdaySet, WhenAway,
};
use super::suggest::{closest, did_you_mean};
use super::times;
use super::tree::{Entry, Node, Value};

/// What the validator needs from outside the file.
#[derive(Debug, Clone)]
pub(crate) struct Context {
    /// Relative repository paths are taken relative to this (the config
    /// file's directory).
    pub base_dir: Option<PathBuf>,
    /// For `~` in repository paths.
    pub home: Option<PathBuf>,
    /// Used when `settings.timezone` is absent.
    pub default_timezone: Tz,
}

/// One reason the config cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub path: KeyPath,
    pub message: String,
    pub hint: Option<String>,
}

/// A valid config (without `source`) and the legacy keys it ignored.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Validated {
    pub config: Config,
    pub ignored: Vec<KeyPath>,
}

type Checked<T> = Result<T, Problem>;

fn problem(path: &KeyPath, message: impl Into<String>, hint: Option<String>) -> Problem {
    Problem {
        path: path.clone(),
        message: message.into(),
        hint,
    }
}

const TOP_KEYS: &[&str] = &[
    "version",
    "repositories",
    "settings",
    "integrations",
    "prompts",
    "web",
];
const WEB_KEYS: &[&str] = &["listen"];
const REPOSITORY_KEYS: &[&str] = &[
    "name",
    "path",
    "enabled",
    "project",
    "commit_triggers",
    "sync",
    "discover",
    "depth",
    "exclude",
];
pub(crate) const SETTINGS_KEYS: &[&str] = &[
    "prompt_interval",
    "work_hours_only",
    "work_start_hour",
    "work_end_hour",
    "work_start",
    "work_end",
    "work_days",
    "timezone",
    "log_level",
    "auto_sync",
    "commit_triggers",
    "authors",
    "commit_debounce_ms",
    "watch_config",
    "notifications",
];
const INTEGRATION_KEYS: &[&str] = &["azure_devops", "github", "jira"];
const PROMPTS_KEYS: &[&str] = &[
    "notifications",
    "dialog",
    "snooze",
    "on_trigger",
    "idle_after",
    "when_away",
];

const WHEN_AWAY: &[&str] = &["hold", "show"];
const HOOK_KEYS: &[&str] = &["command", "timeout"];
const LOG_LEVELS: &[&str] = &["error", "warn", "info", "debug", "trace"];
const COMMIT_TRIGGERS: &[&str] = &["own", "all", "none"];

/// A user-supplied value as quoted in a message: at most 40 characters.
fn shown(text: &str) -> String {
    const MAX: usize = 40;
    if text.chars().count() <= MAX {
        text.to_owned()
    } else {
        let head: String = text.chars().take(MAX).collect();
        format!("{head}...")
    }
}

/// How a value is named in "expected X, found Y".
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "nothing".to_owned(),
        Value::Bool(b) => format!("the boolean `{b}`"),
        Value::Int(i) => format!("the number `{i}`"),
        Value::Float(f) => format!("the number `{f}`"),
        Value::Str(s) => format!("the string `{}`", shown(s)),
        Value::Seq(_) => "a list".to_owned(),
        Value::Map(_) => "a map".to_owned(),
    }
}

fn expected(path: &KeyPath, what: &str, found: &Value, hint: Option<String>) -> Problem {
    problem(
        path,
        format!("expected {what}, found {}", describe(found)),
        hint,
    )
}

fn unknown_key(path: &KeyPath, key: &str, known: &[&str]) -> Problem {
    let hint = did_you_mean(key, known.iter().copied());
    problem(
        &path.key(key),
        format!("unknown key `{}`", shown(key)),
        hint,
    )
}

/// A section that may be left empty (`settings:` with nothing under it).
fn section<'a>(node: &'a Node, path: &KeyPath, what: &str) -> Checked<&'a [Entry]> {
    match &node.value {
        Value::Null => Ok(&[]),
        Value::Map(entries) => Ok(entries),
        other => Err(expected(path, what, other, None)),
    }
}

fn integer(node: &Node, path: &KeyPath, min: i128, max: i128, unit: &str) -> Checked<i128> {
    match &node.value {
        Value::Int(i) if (min..=max).contains(i) => Ok(*i),
        Value::Int(i) => Err(problem(
            path,
            format!("`{i}` must be between {min} and {max}{unit}"),
            None,
        )),
        Value::Str(s) if s.trim().parse::<i128>().is_ok() => Err(expected(
            path,
            "an integer",
            &node.value,
            Some(format!("remove the quotes: `{}`", s.trim())),
        )),
        other => Err(expected(path, "an integer", other, None)),
    }
}

fn boolean(node: &Node, path: &KeyPath) -> Checked<bool> {
    match &node.value {
        Value::Bool(b) => Ok(*b),
        Value::Str(s)
            if ["yes", "no", "on", "off", "true", "false", "y", "n"]
                .contains(&s.to_ascii_lowercase().as_str()) =>
        {
            Err(expected(
                path,
                "`true` or `false`",
                &node.value,
                Some("write `true` or `false` without quotes".to_owned()),
            ))
        }
        other => Err(expected(path, "`true` or `false`", other, None)),
    }
}

/// Text for names and projects: strings, and numbers taken as written.
fn text(node: &Node, path: &KeyPath, what: &str) -> Checked<String> {
    match &node.value {
        Value::Str(s) => Ok(s.clone()),
        Value::Int(i) => Ok(i.to_string()),
        Value::Float(f) => Ok(f.to_string()),
        other => Err(expected(path, what, other, None)),
    }
}

fn string<'a>(node: &'a Node, path: &KeyPath, what: &str) -> Checked<&'a str> {
    match &node.value {
        Value::Str(s) => Ok(s),
        other => Err(expected(path, what, other, None)),
    }
}

fn commit_triggers(node: &Node, path: &KeyPath) -> Checked<CommitTriggers> {
    let word = string(node, path, "one of `own`, `all`, `none`")?;
    match word.trim().to_ascii_lowercase().as_str() {
        "own" => Ok(CommitTriggers::Own),
        "all" => Ok(CommitTriggers::All),
        "none" => Ok(CommitTriggers::None),
        _ => Err(problem(
            path,
            format!("unknown commit trigger mode `{word}`"),
            Some(
                did_you_mean(&word.to_ascii_lowercase(), COMMIT_TRIGGERS.iter().copied())
                    .unwrap_or_else(|| "use `own`, `all` or `none`".to_owned()),
            ),
        )),
    }
}

fn when_away(node: &Node, path: &KeyPath) -> Checked<WhenAway> {
    let word = string(node, path, "`hold` or `show`")?;
    match word.trim().to_ascii_lowercase().as_str() {
        "hold" => Ok(WhenAway::Hold),
        "show" => Ok(WhenAway::Show),
        _ => Err(problem(
            path,
            format!("unknown `when_away` mode `{word}`"),
            Some(
                did_you_mean(&word.to_ascii_lowercase(), WHEN_AWAY.iter().copied())
                    .unwrap_or_else(|| "use `hold` or `show`".to_owned()),
            ),
        )),
    }
}

fn log_level(node: &Node, path: &KeyPath) -> Checked<LogLevel> {
    let word = string(node, path, "a log level")?;
    let lower = word.trim().to_ascii_lowercase();
    match lower.as_str() {
        "error" => Ok(LogLevel::Error),
        // `warning` is what the older, Python-based DevTrack used.
        "warn" | "warning" => Ok(LogLevel::Warn),
        "info" => Ok(LogLevel::Info),
        "debug" => Ok(LogLevel::Debug),
        "trace" => Ok(LogLevel::Trace),
        _ => Err(problem(
            path,
            format!("unknown log level `{word}`"),
            Some(
                did_you_mean(&lower, LOG_LEVELS.iter().copied()).unwrap_or_else(|| {
                    "use `error`, `warn`, `info`, `debug` or `trace`".to_owned()
                }),
            ),
        )),
    }
}

fn timezone(node: &Node, path: &KeyPath) -> Checked<Tz> {
    let name = string(node, path, "an IANA timezone name")?;
    if let Ok(tz) = Tz::from_str(name.trim()) {
        return Ok(tz);
    }
    let names = || chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name());
    let lower = name.trim().to_ascii_lowercase();
    let hint = names()
        .find(|candidate| candidate.to_ascii_lowercase() == lower)
        .or_else(|| closest(name.trim(), names()))
        .map(|candidate| format!("did you mean `{candidate}`?"))
        .unwrap_or_else(|| "use an IANA name such as `Europe/Berlin`".to_owned());
    Err(problem(
        path,
        format!("unknown timezone `{name}`"),
        Some(hint),
    ))
}

fn day_problem(path: &KeyPath, err: times::DayError) -> Problem {
    let hint = times::suggest_day(&err.word)
        .map(|day| format!("did you mean `{day}`?"))
        .unwrap_or_else(|| "use `mon`..`sun` or a range like `mon-fri`".to_owned());
    problem(path, format!("unknown day `{}`", err.word), Some(hint))
}

fn work_days(node: &Node, path: &KeyPath) -> Checked<WeekdaySet> {
    let days = match &node.value {
        Value::Str(s) => times::parse_day_list(s).map_err(|e| day_problem(path, e))?,
        Value::Seq(items) => {
            let mut set = WeekdaySet::EMPTY;
            for (index, item) in items.iter().enumerate() {
                let item_path = path.index(index);
                let word = string(item, &item_path, "a day name")?;
                let span = times::parse_day_span(word).map_err(|e| day_problem(&item_path, e))?;
                set = span.iter().fold(set, WeekdaySet::with);
            }
            set
        }
        other => {
            return Err(expected(
                path,
                "a list of days or a range like `mon-fri`",
                other,
                None,
            ))
        }
    };
    if days.is_empty() {
        return Err(problem(
            path,
            "no work days",
            Some("list at least one day, e.g. `mon-fri`".to_owned()),
        ));
    }
    Ok(days)
}

/// The items of an optional list (an empty key is an empty list).
fn list_items<'a>(node: &'a Node, path: &KeyPath, what: &str, hint: &str) -> Checked<&'a [Node]> {
    match &node.value {
        Value::Null => Ok(&[]),
        Value::Seq(items) => Ok(items),
        other => Err(expected(path, what, other, Some(hint.to_owned()))),
    }
}

/// An optional list whose items `item` checks, each at its own key path.
fn list_of<T>(
    node: &Node,
    path: &KeyPath,
    (what, hint): (&str, &str),
    item: impl Fn(&Node, &KeyPath) -> Checked<T>,
) -> Checked<Vec<T>> {
    list_items(node, path, what, hint)?
        .iter()
        .enumerate()
        .map(|(index, node)| item(node, &path.index(index)))
        .collect()
}

fn authors(node: &Node, path: &KeyPath) -> Checked<Vec<String>> {
    let what = (
        "a list of e-mail addresses",
        "write a list: `[you@example.com]`",
    );
    list_of(node, path, what, |item, item_path| {
        let address = string(item, item_path, "an e-mail address")?.trim();
        match address.split_once('@') {
            Some((user, host)) if !user.is_empty() && !host.is_empty() => Ok(address.to_owned()),
            _ => Err(problem(
                item_path,
                format!("`{address}` is not an e-mail address"),
                Some("authors are matched against commit author e-mails".to_owned()),
            )),
        }
    })
}

/// `~`, `~/x`, absolute, or relative to the config file's directory.
fn repository_path(raw: &str, path: &KeyPath, ctx: &Context) -> Checked<PathBuf> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(problem(path, "empty path", None));
    }
    let expanded = if raw == "~" || raw.starts_with("~/") {
        let home = ctx.home.as_ref().ok_or_else(|| {
            problem(
                path,
                format!("cannot expand `{raw}`: the home directory is unknown"),
                Some("set `HOME` or use an absolute path".to_owned()),
            )
        })?;
        home.join(raw.trim_start_matches('~').trim_start_matches('/'))
    } else if raw.starts_with('~') {
        return Err(problem(
            path,
            format!("`{raw}`: `~user` paths are not supported"),
            Some("use `~/...` or an absolute path".to_owned()),
        ));
    } else if Path::new(raw).is_absolute() {
        PathBuf::from(raw)
    } else {
        match &ctx.base_dir {
            Some(base) => base.join(raw),
            None => PathBuf::from(raw),
        }
    };
    // Drop `.` components and trailing slashes; keep `..` (symlinks).
    Ok(expanded
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect())
}

/// A `repositories:` item: one repository, or a folder to search.
enum Item {
    Repository(Repository),
    Folder(Folder),
}

/// Whether an entry says `discover: true`.
fn discovers(entries: &[Entry], path: &KeyPath) -> Checked<bool> {
    match entries.iter().find(|e| e.key == "discover") {
        Some(e) => boolean(&e.value, &path.key("discover")),
        None => Ok(false),
    }
}

fn excludes(node: &Node, path: &KeyPath) -> Checked<Vec<Glob>> {
    let what = (
        "a list of glob patterns",
        "write a list: `[\"**/vendor/**\"]`",
    );
    list_of(node, path, what, |item, item_path| {
        let text = string(item, item_path, "a glob pattern")?;
        Glob::new(text).ok_or_else(|| {
            problem(
                item_path,
                "empty pattern",
                Some("e.g. `**/vendor/**` or `node_modules`".to_owned()),
            )
        })
    })
}

/// An entry with `discover: true`: a folder whose repositories are found.
fn folder(entries: &[Entry], path: &KeyPath, ctx: &Context) -> Checked<Folder> {
    let mut name = None;
    let mut folder_path = None;
    let mut out = Folder {
        name: String::new(),
        path: PathBuf::new(),
        depth: discover::DEFAULT_DEPTH,
        exclude: Vec::new(),
        enabled: true,
        project: None,
        commit_triggers: None,
        sync: true,
    };
    for Entry { key, value, .. } in entries {
        let key_path = path.key(key);
        match key.as_str() {
            "discover" => {}
            "name" => {
                let text = text(value, &key_path, "a folder name")?;
                if text.trim().is_empty() {
                    return Err(problem(&key_path, "empty folder name", None));
                }
                name = Some(text.trim().to_owned());
            }
            "path" => {
                let raw = string(value, &key_path, "a path")?;
                folder_path = Some(repository_path(raw, &key_path, ctx)?);
            }
            "depth" => {
                out.depth =
                    integer(value, &key_path, 1, discover::MAX_DEPTH.into(), " levels")? as u32;
            }
            "exclude" => out.exclude = excludes(value, &key_path)?,
            "enabled" => out.enabled = boolean(value, &key_path)?,
            "sync" => out.sync = boolean(value, &key_path)?,
            "project" => {
                out.project = match &value.value {
                    Value::Null => None,
                    _ => Some(text(value, &key_path, "a project name")?),
                }
            }
            "commit_triggers" => out.commit_triggers = Some(commit_triggers(value, &key_path)?),
            other => return Err(unknown_key(path, other, REPOSITORY_KEYS)),
        }
    }
    out.path = folder_path.ok_or_else(|| {
        problem(
            &path.key("path"),
            "missing `path` for the folder to search",
            Some("write `- {path: ~/src, discover: true}`".to_owned()),
        )
    })?;
    out.name = name.unwrap_or_else(|| {
        out.path.file_name().map_or_else(
            || out.path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    });
    Ok(out)
}

fn item(node: &Node, path: &KeyPath, ctx: &Context) -> Checked<Item> {
    if let Value::Map(entries) = &node.value {
        if discovers(entries, path)? {
            return folder(entries, path, ctx).map(Item::Folder);
        }
        if let Some(e) = entries
            .iter()
            .find(|e| e.key == "depth" || e.key == "exclude")
        {
            return Err(problem(
                &path.key(&e.key),
                format!("`{}` applies only to a folder to search", e.key),
                Some("add `discover: true` to search the folder for repositories".to_owned()),
            ));
        }
    }
    repository(node, path, ctx).map(Item::Repository)
}

fn repository(node: &Node, path: &KeyPath, ctx: &Context) -> Checked<Repository> {
    let entries = match &node.value {
        Value::Map(entries) => entries,
        other => {
            return Err(expected(
                path,
                "a repository map with `name` and `path`",
                other,
                Some("write `- {name: api, path: ~/src/api}`".to_owned()),
            ))
        }
    };
    let mut name = None;
    let mut repo_path = None;
    let mut enabled = true;
    let mut sync = true;
    let mut project = None;
    let mut triggers = None;
    for Entry { key, value, .. } in entries {
        let key_path = path.key(key);
        match key.as_str() {
            "name" => {
                let text = text(value, &key_path, "a repository name")?;
                if text.trim().is_empty() {
                    return Err(problem(&key_path, "empty repository name", None));
                }
                name = Some(text.trim().to_owned());
            }
            "path" => {
                let raw = string(value, &key_path, "a path")?;
                repo_path = Some(repository_path(raw, &key_path, ctx)?);
            }
            "enabled" => enabled = boolean(value, &key_path)?,
            "sync" => sync = boolean(value, &key_path)?,
            "project" => {
                project = match &value.value {
                    Value::Null => None,
                    _ => Some(text(value, &key_path, "a project name")?),
                }
            }
            "commit_triggers" => triggers = Some(commit_triggers(value, &key_path)?),
            "discover" => {}
            other => return Err(unknown_key(path, other, REPOSITORY_KEYS)),
        }
    }
    let name = name.ok_or_else(|| {
        problem(
            &path.key("name"),
            "missing repository `name`",
            Some("every repository needs a `name` and a `path`".to_owned()),
        )
    })?;
    let repo_path = repo_path.ok_or_else(|| {
        problem(
            &path.key("path"),
            format!("missing `path` for repository `{name}`"),
            Some("every repository needs a `name` and a `path`".to_owned()),
        )
    })?;
    Ok(Repository {
        name,
        path: repo_path,
        enabled,
        project,
        commit_triggers: triggers,
        sync,
    })
}

/// The repositories listed and the folders to search.
type Entries = (Vec<Repository>, Vec<Folder>);

fn repositories(node: &Node, path: &KeyPath, ctx: &Context) -> Checked<Entries> {
    let items = list_items(
        node,
        path,
        "a list of repositories",
        "start each repository with `- name:`",
    )?;
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::with_capacity(items.len());
    let mut folders = Vec::new();
    for (index, node) in items.iter().enumerate() {
        let item_path = path.index(index);
        let repo = match item(node, &item_path, ctx)? {
            Item::Repository(repo) => repo,
            Item::Folder(folder) => {
                let earlier = folders.iter().find(|(_, f)| discover::overlaps(f, &folder));
                if let Some((first, f)) = earlier {
                    return Err(problem(
                        &item_path.key("path"),
                        format!(
                            "the folder `{}` overlaps the folder `{}` (`{path}[{first}]`): its directories would be searched twice",
                            folder.path.display(),
                            f.path.display()
                        ),
                        Some("search the outer folder only, or exclude the inner one from it (`exclude: [\"/name\"]`)".to_owned()),
                    ));
                }
                folders.push((index, folder));
                continue;
            }
        };
        if let Some(first) = seen.get(&repo.name) {
            return Err(problem(
                &item_path.key("name"),
                format!("duplicate repository name `{}`", repo.name),
                Some(format!("`{path}[{first}]` already uses it")),
            ));
        }
        seen.insert(repo.name.clone(), index);
        out.push(repo);
    }
    Ok((out, folders.into_iter().map(|(_, f)| f).collect()))
}

/// One end of the work window and the key that set it.
#[derive(Clone, Copy)]
struct Bound {
    time: TimeOfDay,
    key: &'static str,
}

fn hour_bound(node: &Node, path: &KeyPath, key: &'static str) -> Checked<Bound> {
    let hour = integer(node, path, 0, 24, "")?;
    Ok(Bound {
        time: TimeOfDay::new(hour as u32, 0).unwrap_or(TimeOfDay::END_OF_DAY),
        key,
    })
}

fn time_bound(node: &Node, path: &KeyPath, key: &'static str) -> Checked<Bound> {
    let hint = Some("quote it: `\"09:30\"`".to_owned());
    let raw = match &node.value {
        Value::Str(s) => s,
        other => return Err(expected(path, "a time like `\"09:30\"`", other, hint)),
    };
    let time = times::parse_time(raw).map_err(|message| problem(path, message, None))?;
    Ok(Bound { time, key })
}

fn settings(
    node: &Node,
    path: &KeyPath,
    ctx: &Context,
    ignored: &mut Vec<KeyPath>,
) -> Checked<Settings> {
    let mut out = Settings::defaults(ctx.default_timezone);
    let mut start: Option<Bound> = None;
    let mut end: Option<Bound> = None;
    for Entry { key, value, .. } in section(node, path, "a map of settings")? {
        let key_path = path.key(key);
        match key.as_str() {
            "prompt_interval" => {
                out.prompt_interval_minutes = integer(value, &key_path, 1, 1440, " minutes")? as u32
            }
            "work_hours_only" => out.work_hours_only = boolean(value, &key_path)?,
            "work_start_hour" | "work_start" | "work_end_hour" | "work_end" => {
                let (slot, key): (&mut Option<Bound>, &'static str) = match key.as_str() {
                    "work_start_hour" => (&mut start, "work_start_hour"),
                    "work_start" => (&mut start, "work_start"),
                    "work_end_hour" => (&mut end, "work_end_hour"),
                    _ => (&mut end, "work_end"),
                };
                let bound = if key.ends_with("_hour") {
                    hour_bound(value, &key_path, key)?
                } else {
                    time_bound(value, &key_path, key)?
                };
                if let Some(earlier) = slot {
                    return Err(problem(
                        &key_path,
                        format!("`{key}` and `{}` are both set", earlier.key),
                        Some("keep only one of them".to_owned()),
                    ));
                }
                if key.starts_with("work_start") && bound.time == TimeOfDay::END_OF_DAY {
                    return Err(problem(
                        &key_path,
                        "24:00 is only allowed as the end of the work hours",
                        Some("use `0` / `\"00:00\"` for midnight".to_owned()),
                    ));
                }
                *slot = Some(bound);
            }
            "work_days" => out.work_hours.days = work_days(value, &key_path)?,
            "timezone" => out.timezone = timezone(value, &key_path)?,
            "log_level" => out.log_level = log_level(value, &key_path)?,
            "auto_sync" => out.auto_sync = boolean(value, &key_path)?,
            "commit_triggers" => out.commit_triggers = commit_triggers(value, &key_path)?,
            "authors" => out.authors = authors(value, &key_path)?,
            "commit_debounce_ms" => {
                let ms = integer(value, &key_path, 0, 60_000, " milliseconds")?;
                out.commit_debounce = Duration::from_millis(ms as u64);
            }
            "watch_config" => out.watch_config = boolean(value, &key_path)?,
            // The older DevTrack's desktop-notification settings: accepted so
            // its configs load, but devtrack leaves notifying to its clients.
            "notifications" => ignored.push(key_path),
            other => return Err(unknown_key(path, other, SETTINGS_KEYS)),
        }
    }
    if let Some(bound) = start {
        out.work_hours.start = bound.time;
    }
    if let Some(bound) = end {
        out.work_hours.end = bound.time;
    }
    if out.work_hours.start == out.work_hours.end {
        let culprit = end.or(start).map(|b| b.key).unwrap_or("work_end");
        return Err(problem(
            &path.key(culprit),
            format!(
                "empty work-hours range {}-{}",
                out.work_hours.start, out.work_hours.end
            ),
            Some(
                "the end must differ from the start; an end before the start spans midnight"
                    .to_owned(),
            ),
        ));
    }
    Ok(out)
}

/// A duration written with units (`30m`, `1h30m`, `45s`) within `range`
/// (`min`, `max` in seconds, and how the message writes them: `1m and 24h`).
fn duration(node: &Node, path: &KeyPath, range: (u64, u64, &str)) -> Checked<Duration> {
    let hint = || Some("write it with a unit, e.g. `30m`, `1h30m`, `45s`".to_owned());
    let (secs, raw) = match &node.value {
        Value::Str(s) => (
            times::parse_duration_secs(s).map_err(|m| problem(path, m, hint()))?,
            s.trim(),
        ),
        other => return Err(expected(path, "a duration like `30m`", other, hint())),
    };
    let (min, max, shown) = range;
    if !(min..=max).contains(&secs) {
        return Err(problem(
            path,
            format!("`{raw}` must be between {shown}"),
            None,
        ));
    }
    Ok(Duration::from_secs(secs))
}

/// `prompts.on_trigger`: `command` (an argv list, required) and `timeout`.
fn hook(node: &Node, path: &KeyPath) -> Checked<Hook> {
    let entries = match &node.value {
        Value::Map(entries) => entries,
        other => {
            return Err(expected(
                path,
                "a map with `command`",
                other,
                Some("write `on_trigger: {command: [\"/path/to/program\", \"arg\"]}`".to_owned()),
            ))
        }
    };
    let mut argv = None;
    let mut timeout = Duration::from_secs(30);
    for Entry { key, value, .. } in entries {
        let key_path = path.key(key);
        match key.as_str() {
            "command" => argv = Some(command(value, &key_path)?),
            "timeout" => timeout = duration(value, &key_path, (1, 3600, "1s and 1h"))?,
            other => return Err(unknown_key(path, other, HOOK_KEYS)),
        }
    }
    let argv = argv.ok_or_else(|| {
        problem(
            path,
            "missing `command`",
            Some("add `command: [\"/path/to/program\", \"arg\"]`".to_owned()),
        )
    })?;
    Ok(Hook { argv, timeout })
}

/// A program and its arguments, run without a shell.
fn command(node: &Node, path: &KeyPath) -> Checked<Vec<String>> {
    let hint = "a list like `[\"/path/to/program\", \"arg\"]`; for a shell, write `[\"sh\", \"-c\", \"...\"]`";
    let items = match &node.value {
        Value::Seq(items) => items,
        Value::Str(_) => {
            return Err(expected(
                path,
                "a list of strings",
                &node.value,
                Some(format!("write {hint}")),
            ))
        }
        other => return Err(expected(path, "a list of strings", other, None)),
    };
    if items.is_empty() {
        return Err(problem(
            path,
            "the command is empty",
            Some(format!("write {hint}")),
        ));
    }
    let mut argv = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let item_path = path.index(i);
        let arg = text(item, &item_path, "a string")?;
        if i == 0 && arg.trim().is_empty() {
            return Err(problem(&item_path, "the program name is empty", None));
        }
        argv.push(arg);
    }
    Ok(argv)
}

fn prompts(node: &Node, path: &KeyPath) -> Checked<Prompts> {
    let mut out = Prompts::default();
    for Entry { key, value, .. } in section(node, path, "a map of prompt settings")? {
        let key_path = path.key(key);
        match key.as_str() {
            "notifications" => out.notifications = boolean(value, &key_path)?,
            "dialog" => out.dialog = boolean(value, &key_path)?,
            "snooze" => out.snooze = duration(value, &key_path, (60, 86_400, "1m and 24h"))?,
            "idle_after" => {
                out.idle_after = duration(value, &key_path, (60, 86_400, "1m and 24h"))?
            }
            "when_away" => out.when_away = when_away(value, &key_path)?,
            "on_trigger" => {
                out.on_trigger = match &value.value {
                    Value::Null => None,
                    _ => Some(hook(value, &key_path)?),
                }
            }
            other => return Err(unknown_key(path, other, PROMPTS_KEYS)),
        }
    }
    Ok(out)
}

fn web(node: &Node, path: &KeyPath) -> Checked<Web> {
    let mut out = Web::default();
    for Entry { key, value, .. } in section(node, path, "a map of status page settings")? {
        let key_path = path.key(key);
        match key.as_str() {
            "listen" => {
                out.listen = match &value.value {
                    Value::Null => None,
                    _ => {
                        let text = string(value, &key_path, "an address and port")?;
                        Some(text.parse().map_err(|_| {
                            problem(
                                &key_path,
                                format!("`{text}` is not an IP address and port"),
                                Some("write `127.0.0.1:7337` (or `[::1]:7337`)".to_owned()),
                            )
                        })?)
                    }
                }
            }
            other => return Err(unknown_key(path, other, WEB_KEYS)),
        }
    }
    Ok(out)
}

/// The older DevTrack's keys for a secret in the file: loaded, never used.
pub(crate) const TOKEN_KEYS: &[&str] = &["token", "pat", "api_token"];

/// The entries of one integration's map (`None`: written empty).
fn integration_entries<'a>(node: &'a Node, path: &KeyPath) -> Checked<&'a [Entry]> {
    match &node.value {
        Value::Null => Ok(&[]),
        Value::Map(entries) => Ok(entries),
        other => Err(expected(
            path,
            "a map",
            other,
            Some("write `{enabled: true}`".to_owned()),
        )),
    }
}

/// An optional string value (`~` / empty: absent).
fn optional_text(node: &Node, path: &KeyPath, what: &str) -> Checked<Option<String>> {
    Ok(match &node.value {
        Value::Null => None,
        _ => Some(text(node, path, what)?.trim().to_owned()).filter(|t| !t.is_empty()),
    })
}

/// A URL-valued key: `http://` or `https://`, kept without a trailing `/`.
fn url(node: &Node, path: &KeyPath) -> Checked<Option<String>> {
    let Some(raw) = optional_text(node, path, "a URL")? else {
        return Ok(None);
    };
    if !(raw.starts_with("https://") || raw.starts_with("http://")) {
        return Err(problem(
            path,
            format!("`{}` is not an http(s) URL", shown(&raw)),
            Some("write it like `https://example.atlassian.net`".to_owned()),
        ));
    }
    Ok(Some(raw.trim_end_matches('/').to_owned()))
}

/// `enabled`, `token_command` and the token key found, of one section.
type Shared<'a> = (
    &'a mut bool,
    &'a mut Option<Vec<String>>,
    &'a mut Option<&'static str>,
);

/// One integration's section: the keys every integration shares
/// (`enabled`, `token_command`, a token kept in the file), then its own.
trait Section: Default {
    fn shared(&mut self) -> Shared<'_>;
    /// Reads one of its own keys; `false` for a key it does not know.
    fn own(&mut self, key: &str, value: &Node, path: &KeyPath) -> Checked<bool>;
}

/// Reads a section; keys it does not know are kept as ignored (the older
/// DevTrack's own sync code read more of them).
fn integration<T: Section>(node: &Node, path: &KeyPath, ignored: &mut Vec<KeyPath>) -> Checked<T> {
    let mut out = T::default();
    for Entry { key, value, .. } in integration_entries(node, path)? {
        let key_path = path.key(key);
        let (enabled, token_command, file_token) = out.shared();
        match key.as_str() {
            "enabled" => *enabled = boolean(value, &key_path)?,
            "token_command" => {
                *token_command = match &value.value {
                    Value::Null => None,
                    _ => Some(command(value, &key_path)?),
                }
            }
            other => match TOKEN_KEYS.iter().find(|k| **k == other) {
                Some(k) => *file_token = Some(k),
                None => {
                    if !out.own(other, value, &key_path)? {
                        ignored.push(key_path);
                    }
                }
            },
        }
    }
    Ok(out)
}

impl Section for Github {
    fn shared(&mut self) -> Shared<'_> {
        (
            &mut self.enabled,
            &mut self.token_command,
            &mut self.file_token,
        )
    }

    fn own(&mut self, key: &str, value: &Node, path: &KeyPath) -> Checked<bool> {
        match key {
            "api_url" => self.api_url = url(value, path)?,
            "remote" => self.remote = optional_text(value, path, "a git remote name")?,
            "owner" => self.owner = optional_text(value, path, "an owner name")?,
            "repo" => self.repo = optional_text(value, path, "a repository name")?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl Section for Jira {
    fn shared(&mut self) -> Shared<'_> {
        (
            &mut self.enabled,
            &mut self.token_command,
            &mut self.file_token,
        )
    }

    fn own(&mut self, key: &str, value: &Node, path: &KeyPath) -> Checked<bool> {
        match key {
            "url" => self.url = url(value, path)?,
            "email" | "username" => self.email = optional_text(value, path, "an e-mail")?,
            "api_version" => {
                self.api = match integer(value, path, 2, 3, "")? {
                    2 => JiraApi::DataCenter,
                    _ => JiraApi::Cloud,
                }
            }
            "worklog" => self.worklog = boolean(value, path)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl Section for AzureDevops {
    fn shared(&mut self) -> Shared<'_> {
        (
            &mut self.enabled,
            &mut self.token_command,
            &mut self.file_token,
        )
    }

    fn own(&mut self, key: &str, value: &Node, path: &KeyPath) -> Checked<bool> {
        match key {
            "organization" => {
                self.organization = optional_text(value, path, "an organization name")?
            }
            "project" => self.project = optional_text(value, path, "a project name")?,
            "url" => self.url = url(value, path)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

fn integrations(node: &Node, path: &KeyPath, ignored: &mut Vec<KeyPath>) -> Checked<Integrations> {
    let mut out = Integrations::default();
    for Entry { key, value, .. } in section(node, path, "a map of integrations")? {
        let key_path = path.key(key);
        match key.as_str() {
            "azure_devops" => out.azure_devops = integration(value, &key_path, ignored)?,
            "github" => out.github = integration(value, &key_path, ignored)?,
            "jira" => out.jira = integration(value, &key_path, ignored)?,
            other => return Err(unknown_key(path, other, INTEGRATION_KEYS)),
        }
    }
    Ok(out)
}

/// Validates a whole document.
pub(crate) fn validate(root: &Node, ctx: &Context) -> Checked<Validated> {
    let top = KeyPath::root();
    let entries: &[Entry] = match &root.value {
        Value::Null => &[],
        Value::Map(entries) => entries,
        other => {
            return Err(expected(
                &top,
                "a map at the top level",
                other,
                Some("start with `repositories:` or `settings:`".to_owned()),
            ))
        }
    };
    let mut ignored = Vec::new();
    let mut repos = (Vec::new(), Vec::new());
    let mut settings_value = None;
    let mut integrations_value = Integrations::default();
    let mut prompts_value = Prompts::default();
    let mut web_value = Web::default();
    for Entry { key, value, .. } in entries {
        let key_path = top.key(key);
        match key.as_str() {
            // Written by the older DevTrack; there is only one format.
            "version" => match &value.value {
                Value::Str(_) | Value::Int(_) | Value::Float(_) => {}
                other => return Err(expected(&key_path, "a version string", other, None)),
            },
            "repositories" => repos = repositories(value, &key_path, ctx)?,
            "settings" => settings_value = Some(settings(value, &key_path, ctx, &mut ignored)?),
            "integrations" => integrations_value = integrations(value, &key_path, &mut ignored)?,
            "prompts" => prompts_value = prompts(value, &key_path)?,
            "web" => web_value = web(value, &key_path)?,
            other if SETTINGS_KEYS.contains(&other) => {
                return Err(problem(
                    &key_path,
                    format!("unknown key `{other}`"),
                    Some(format!("`{other}` belongs under `settings:`")),
                ))
            }
            other if REPOSITORY_KEYS.contains(&other) => {
                return Err(problem(
                    &key_path,
                    format!("unknown key `{other}`"),
                    Some(format!(
                        "`{other}` belongs to an entry under `repositories:`"
                    )),
                ))
            }
            other => return Err(unknown_key(&top, other, TOP_KEYS)),
        }
    }
    Ok(Validated {
        config: Config {
            source: None,
            repositories: repos.0,
            folders: repos.1,
            settings: settings_value.unwrap_or_else(|| Settings::defaults(ctx.default_timezone)),
            integrations: integrations_value,
            prompts: prompts_value,
            web: web_value,
        },
        ignored,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::yaml;

    fn ctx() -> Context {
        Context {
            base_dir: Some(PathBuf::from("/etc/cfg")),
            home: Some(PathBuf::from("/home/dev")),
            default_timezone: Tz::UTC,
        }
    }

    fn check(text: &str) -> Checked<Validated> {
        validate(&yaml::parse(text).expect("valid yaml"), &ctx())
    }

    fn fails(text: &str) -> (String, String, Option<String>) {
        let p = check(text).expect_err("should fail");
        (p.path.to_string(), p.message, p.hint)
    }

    #[test]
    fn integration_settings_are_checked() {
        let cases = [
            (
                "integrations:\n  jira: {url: jira.example.com}\n",
                "integrations.jira.url",
                "`jira.example.com` is not an http(s) URL",
            ),
            (
                "integrations:\n  jira: {api_version: 4}\n",
                "integrations.jira.api_version",
                "`4` must be between 2 and 3",
            ),
            (
                "integrations:\n  github: {token_command: gh auth token}\n",
                "integrations.github.token_command",
                "expected a list of strings, found the string `gh auth token`",
            ),
            (
                "repositories:\n  - {name: a, path: /a, sync: maybe}\n",
                "repositories[0].sync",
                "expected `true` or `false`",
            ),
        ];
        for (text, key, message) in cases {
            let (got_key, got, _) = fails(text);
            assert_eq!(got_key, key, "{text}");
            assert!(got.starts_with(message), "{text}: {got}");
        }
        // Empty values are absent; `pat` is a token key too.
        let v =
            check("integrations:\n  azure_devops: {organization: '', url: ~, pat: x}\n").unwrap();
        let azure = &v.config.integrations.azure_devops;
        assert_eq!(
            (azure.organization.as_ref(), azure.url.as_ref()),
            (None, None)
        );
        assert_eq!(azure.file_token, Some("pat"));
    }

    #[test]
    fn empty_document_is_all_defaults() {
        let v = check("").unwrap();
        assert_eq!(v.config.settings, Settings::defaults(Tz::UTC));
        assert!(v.config.repositories.is_empty());
        assert!(v.ignored.is_empty());
    }

    #[test]
    fn paths_expand_home_and_resolve_relative_to_the_file() {
        let v = check(
            "repositories:\n  - {name: a, path: '~'}\n  - {name: b, path: ~/src/b/}\n  - {name: c, path: ./c}\n  - {name: d, path: /abs/d}\n",
        )
        .unwrap();
        let paths: Vec<_> = v
            .config
            .repositories
            .iter()
            .map(|r| r.path.clone())
            .collect();
        assert_eq!(
            paths,
            [
                PathBuf::from("/home/dev"),
                PathBuf::from("/home/dev/src/b"),
                PathBuf::from("/etc/cfg/c"),
                PathBuf::from("/abs/d")
            ]
        );
        let (key, message, _) = fails("repositories:\n  - {name: a, path: ~bob/x}\n");
        assert_eq!(key, "repositories[0].path");
        assert!(message.contains("`~user`"));
    }

    #[test]
    fn folders_to_search() {
        let v = check(
            "repositories:\n  - {name: api, path: ~/api}\n  - {path: ~/src, discover: true, depth: 2, exclude: [\"**/vendor/**\", node_modules], project: Work}\n  - {name: Old, path: /old, discover: true, enabled: false, commit_triggers: all}\n",
        )
        .unwrap();
        assert_eq!(v.config.repositories.len(), 1);
        let [src, old] = &v.config.folders[..] else {
            panic!("{:?}", v.config.folders)
        };
        assert_eq!(src.name, "src");
        assert_eq!(src.path, PathBuf::from("/home/dev/src"));
        assert_eq!(src.depth, 2);
        let globs: Vec<&str> = src.exclude.iter().map(|g| g.as_str()).collect();
        assert_eq!(globs, ["**/vendor/**", "node_modules"]);
        assert_eq!(src.project.as_deref(), Some("Work"));
        assert_eq!(
            (old.name.as_str(), old.depth, old.enabled),
            ("Old", 3, false)
        );
        assert_eq!(old.commit_triggers, Some(CommitTriggers::All));

        let table: &[(&str, &str, &str, Option<&str>)] = &[
            (
                "repositories:\n  - {path: ~/src, discover: true, depth: 40}\n",
                "repositories[0].depth",
                "`40` must be between 1 and 16 levels",
                None,
            ),
            (
                "repositories:\n  - {path: ~/src, discover: true, exclude: ['']}\n",
                "repositories[0].exclude[0]",
                "empty pattern",
                Some("e.g. `**/vendor/**` or `node_modules`"),
            ),
            (
                "repositories:\n  - {path: ~/src, discover: true, exlude: [x]}\n",
                "repositories[0].exlude",
                "unknown key `exlude`",
                Some("did you mean `exclude`?"),
            ),
            (
                "repositories:\n  - {name: a, path: ~/src, depth: 2}\n",
                "repositories[0].depth",
                "`depth` applies only to a folder to search",
                Some("add `discover: true` to search the folder for repositories"),
            ),
            (
                "repositories:\n  - {path: ~/src, discover: true}\n  - {path: ~/src/work, discover: true}\n",
                "repositories[1].path",
                "the folder `/home/dev/src/work` overlaps the folder `/home/dev/src` (`repositories[0]`): its directories would be searched twice",
                Some("search the outer folder only, or exclude the inner one from it (`exclude: [\"/name\"]`)"),
            ),
            (
                "repositories:\n  - {discover: true}\n",
                "repositories[0].path",
                "missing `path` for the folder to search",
                Some("write `- {path: ~/src, discover: true}`"),
            ),
            (
                "repositories:\n  - {path: ~/src, discover: yes please}\n",
                "repositories[0].discover",
                "expected `true` or `false`, found the string `yes please`",
                None,
            ),
        ];
        for (text, key, message, hint) in table {
            let (k, m, h) = fails(text);
            assert_eq!((k.as_str(), m.as_str()), (*key, *message), "{text}");
            if hint.is_some() {
                assert_eq!(h.as_deref(), *hint, "{text}");
            }
        }
    }

    #[test]
    fn hour_keys_and_time_keys_combine() {
        let v = check("settings:\n  work_start: '08:30'\n  work_end_hour: 24\n").unwrap();
        let hours = v.config.settings.work_hours;
        assert_eq!(
            (hours.start.to_string(), hours.end.to_string()),
            ("08:30".into(), "24:00".into())
        );
        let (key, message, _) = fails("settings:\n  work_end: '17:00'\n  work_end_hour: 17\n");
        assert_eq!(key, "settings.work_end_hour");
        assert!(message.contains("both set"));
        let (key, message, _) = fails("settings:\n  work_start_hour: 24\n");
        assert_eq!(key, "settings.work_start_hour");
        assert!(message.contains("only allowed as the end"));
        let (key, message, _) = fails("settings:\n  work_start_hour: 18\n");
        assert_eq!(key, "settings.work_start_hour");
        assert!(message.contains("empty work-hours range 18:00-18:00"));
    }

    #[test]
    fn legacy_keys_are_collected_not_rejected() {
        let v = check(
            "settings:\n  notifications: {desktop: true}\nintegrations:\n  jira: {enabled: true, url: https://x.test/, project_key: X, token: y}\n",
        )
        .unwrap();
        let ignored: Vec<String> = v.ignored.iter().map(ToString::to_string).collect();
        assert_eq!(
            ignored,
            ["settings.notifications", "integrations.jira.project_key"]
        );
        let jira = &v.config.integrations.jira;
        assert!(jira.enabled);
        assert_eq!(jira.url.as_deref(), Some("https://x.test"));
        // A token in the file is noted (to warn about), its value not kept.
        assert_eq!(jira.file_token, Some("token"));
    }

    #[test]
    fn hints_for_misplaced_and_misspelt_keys() {
        let (key, _, hint) = fails("prompt_interval: 5\n");
        assert_eq!(key, "prompt_interval");
        assert_eq!(
            hint.as_deref(),
            Some("`prompt_interval` belongs under `settings:`")
        );
        let (key, _, hint) = fails("settings:\n  timezome: UTC\n");
        assert_eq!(key, "settings.timezome");
        assert_eq!(hint.as_deref(), Some("did you mean `timezone`?"));
        let (_, _, hint) = fails("settings:\n  watch_conifg: false\n");
        assert_eq!(hint.as_deref(), Some("did you mean `watch_config`?"));
        let (_, _, hint) = fails("watch_config: false\n");
        assert_eq!(
            hint.as_deref(),
            Some("`watch_config` belongs under `settings:`")
        );
        let (_, _, hint) = fails("settings:\n  timezone: europe/berlin\n");
        assert_eq!(hint.as_deref(), Some("did you mean `Europe/Berlin`?"));
        let (_, _, hint) = fails("settings:\n  prompt_interval: '60'\n");
        assert_eq!(hint.as_deref(), Some("remove the quotes: `60`"));
    }

    #[test]
    fn long_values_are_shortened_in_messages() {
        let long = "x".repeat(100);
        let (_, message, _) = fails(&format!("settings: {{prompt_interval: {long}}}\n"));
        assert_eq!(
            message,
            format!(
                "expected an integer, found the string `{}...`",
                "x".repeat(40)
            )
        );
    }

    #[test]
    fn legacy_log_level_spelling_is_accepted() {
        let v = check("settings: {log_level: WARNING}\n").unwrap();
        assert_eq!(v.config.settings.log_level, LogLevel::Warn);
    }

    #[test]
    fn prompts_section() {
        let v = check(
            "prompts:\n  notifications: false\n  dialog: false\n  snooze: 1h30m\n  on_trigger:\n    command: [/usr/bin/notify, --urgent, 3]\n    timeout: 5s\n",
        )
        .unwrap();
        let p = &v.config.prompts;
        assert!(!p.notifications && !p.dialog);
        assert_eq!(p.snooze, Duration::from_secs(5400));
        assert_eq!(p.idle_after, Duration::from_secs(600));
        assert_eq!(p.when_away, WhenAway::Hold);
        let away = check("prompts: {idle_after: 25m, when_away: Show}\n").unwrap();
        assert_eq!(away.config.prompts.idle_after, Duration::from_secs(1500));
        assert_eq!(away.config.prompts.when_away, WhenAway::Show);
        assert_eq!(
            p.on_trigger,
            Some(Hook {
                argv: vec!["/usr/bin/notify".into(), "--urgent".into(), "3".into()],
                timeout: Duration::from_secs(5),
            })
        );
        let defaults = check("prompts:\n  on_trigger: {command: [hook]}\n").unwrap();
        assert_eq!(
            defaults.config.prompts.on_trigger.map(|h| h.timeout),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            check("prompts:\n").unwrap().config.prompts,
            Prompts::default()
        );
        assert_eq!(
            check("prompts: {on_trigger: }\n").unwrap().config.prompts,
            Prompts::default()
        );
    }

    #[test]
    fn web_section() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                "web: {listen: \"127.0.0.1:7337\"}\n",
                Some("127.0.0.1:7337"),
            ),
            ("web: {listen: \"[::1]:7337\"}\n", Some("[::1]:7337")),
            ("web: {listen: }\n", None),
            ("web:\n", None),
            ("settings: {timezone: UTC}\n", None),
        ];
        for (doc, want) in cases {
            let got = check(doc).unwrap().config.web.listen.map(|a| a.to_string());
            assert_eq!(got.as_deref(), *want, "{doc}");
        }
    }

    #[test]
    fn bad_prompts_name_the_key() {
        // (document, key path, message part, hint part)
        let cases: &[(&str, &str, &str, &str)] = &[
            (
                "web: {listen: localhost:7337}\n",
                "web.listen",
                "`localhost:7337` is not an IP address and port",
                "127.0.0.1:7337",
            ),
            (
                "web: {listen: 7337}\n",
                "web.listen",
                "expected an address and port",
                "",
            ),
            ("web: {port: 7337}\n", "web.port", "unknown key `port`", ""),
            (
                "prompts: [a]\n",
                "prompts",
                "expected a map of prompt settings",
                "",
            ),
            (
                "prompts: {notification: true}\n",
                "prompts.notification",
                "unknown key `notification`",
                "did you mean `notifications`?",
            ),
            (
                "prompts: {dialog: yes}\n",
                "prompts.dialog",
                "expected `true` or `false`",
                "without quotes",
            ),
            (
                "prompts: {snooze: 30}\n",
                "prompts.snooze",
                "expected a duration like `30m`, found the number `30`",
                "with a unit",
            ),
            (
                "prompts: {snooze: soon}\n",
                "prompts.snooze",
                "`soon` is not a duration",
                "with a unit",
            ),
            (
                "prompts: {snooze: 30s}\n",
                "prompts.snooze",
                "`30s` must be between 1m and 24h",
                "",
            ),
            (
                "prompts: {snooze: 2d}\n",
                "prompts.snooze",
                "`2d` must be between 1m and 24h",
                "",
            ),
            (
                "prompts: {idle_after: 10s}\n",
                "prompts.idle_after",
                "`10s` must be between 1m and 24h",
                "",
            ),
            (
                "prompts: {when_away: hide}\n",
                "prompts.when_away",
                "unknown `when_away` mode `hide`",
                "use `hold` or `show`",
            ),
            (
                "prompts: {when_away: hodl}\n",
                "prompts.when_away",
                "unknown `when_away` mode `hodl`",
                "did you mean `hold`?",
            ),
            (
                "prompts: {on_trigger: /bin/hook}\n",
                "prompts.on_trigger",
                "expected a map with `command`",
                "command:",
            ),
            (
                "prompts: {on_trigger: {timeout: 5s}}\n",
                "prompts.on_trigger",
                "missing `command`",
                "command:",
            ),
            (
                "prompts: {on_trigger: {command: /bin/hook}}\n",
                "prompts.on_trigger.command",
                "expected a list of strings",
                "sh",
            ),
            (
                "prompts: {on_trigger: {command: []}}\n",
                "prompts.on_trigger.command",
                "the command is empty",
                "",
            ),
            (
                "prompts: {on_trigger: {command: [\"\"]}}\n",
                "prompts.on_trigger.command[0]",
                "the program name is empty",
                "",
            ),
            (
                "prompts: {on_trigger: {command: [a, {b: c}]}}\n",
                "prompts.on_trigger.command[1]",
                "expected a string, found a map",
                "",
            ),
            (
                "prompts: {on_trigger: {command: [a], timeout: 0s}}\n",
                "prompts.on_trigger.timeout",
                "`0s` is not a duration",
                "",
            ),
            (
                "prompts: {on_trigger: {command: [a], timeout: 2h}}\n",
                "prompts.on_trigger.timeout",
                "`2h` must be between 1s and 1h",
                "",
            ),
            (
                "prompts: {on_trigger: {command: [a], shell: true}}\n",
                "prompts.on_trigger.shell",
                "unknown key `shell`",
                "",
            ),
            (
                "prompt: {}\n",
                "prompt",
                "unknown key `prompt`",
                "did you mean `prompts`?",
            ),
        ];
        for &(doc, key, message, hint) in cases {
            let (k, m, h) = fails(doc);
            assert_eq!(k, key, "{doc}");
            assert!(m.contains(message), "{doc}: {m}");
            assert!(h.as_deref().unwrap_or("").contains(hint), "{doc}: {h:?}");
        }
    }
}
