//! The validated, typed configuration the rest of devtrack works with.
//!
//! These types carry no serde derives on purpose: the YAML layer (`yaml.rs`)
//! owns the on-disk shape and its quirks (legacy hour keys, `~` paths), and
//! hands over only values that already passed validation.

use std::path::PathBuf;
use std::time::Duration;

use chrono::Weekday;
use chrono_tz::Tz;

/// The whole configuration after loading and validation.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file this was read from; `None` when running on defaults.
    pub source: Option<PathBuf>,
    /// The listed repositories (`discover` entries are in `folders`).
    pub repositories: Vec<Repository>,
    /// `repositories:` entries with `discover: true`: folders searched.
    pub folders: Vec<Folder>,
    pub settings: Settings,
    pub integrations: Integrations,
    pub prompts: Prompts,
    pub web: Web,
}

/// `web:`: the daemon's own TCP listener for the status page (docs/web.md).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Web {
    /// `listen: "127.0.0.1:7337"`; `None` (the default): only the private
    /// HTTP socket.
    pub listen: Option<std::net::SocketAddr>,
}

/// One entry of `repositories:`.
#[derive(Debug, Clone, PartialEq)]
pub struct Repository {
    pub name: String,
    /// Absolute path with `~` expanded. It may not exist (reported as missing).
    pub path: PathBuf,
    pub enabled: bool,
    pub project: Option<String>,
    /// Per-repository override of `settings.commit_triggers`.
    pub commit_triggers: Option<CommitTriggers>,
    /// `sync: false`: its commits and the updates about them stay on this
    /// machine (no outbox rows).
    pub sync: bool,
}

/// A `repositories:` entry with `discover: true`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    /// `name`, or the folder's last path component: how status names it.
    pub name: String,
    /// Absolute, `~` expanded.
    pub path: PathBuf,
    /// How many levels below the folder a repository may be (1: its
    /// direct subdirectories).
    pub depth: u32,
    pub exclude: Vec<Glob>,
    pub enabled: bool,
    /// Given to every repository found.
    pub project: Option<String>,
    pub commit_triggers: Option<CommitTriggers>,
    /// Given to every repository found (see [`Repository::sync`]).
    pub sync: bool,
}

/// An `exclude` pattern, matched against a path relative to the folder
/// (`/`-separated): `*` is any run of characters but `/`, `?` one of them,
/// `**` any run including `/` (`**/` also none). A pattern without `/`
/// matches a name at any level (`vendor` is `**/vendor`); a leading `/`
/// anchors it at the folder. A directory that matches is skipped with
/// everything below it, and so is one that `dir/` matches (`**/vendor/**`
/// skips `vendor` itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    /// As written.
    pub(crate) text: String,
    /// What is matched (`config::discover`): `**/` put in front of a
    /// pattern without `/`, a leading `/` and trailing ones taken off.
    pub(crate) pattern: String,
}

/// `settings:`.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Minutes between interval prompts, 1..=1440.
    pub prompt_interval_minutes: u32,
    pub work_hours_only: bool,
    pub work_hours: WorkHours,
    pub timezone: Tz,
    pub log_level: LogLevel,
    pub auto_sync: bool,
    pub commit_triggers: CommitTriggers,
    /// Author e-mails whose commits count as the developer's own. Empty means
    /// "the repository's `user.email`".
    pub authors: Vec<String>,
    /// How long a burst of commits is gathered into one commit trigger.
    pub commit_debounce: Duration,
    /// Whether the daemon watches its config file and reloads it on a
    /// change.
    pub watch_config: bool,
}

/// The work window: `start`..`end` on `days`, in the configured timezone.
/// `end < start` is an overnight range (22:00–06:00); the range belongs to
/// the day it starts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkHours {
    pub start: TimeOfDay,
    pub end: TimeOfDay,
    pub days: WeekdaySet,
}

/// Minutes since local midnight, 0..=1440 (1440 is "24:00", end of day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay(u16);

impl TimeOfDay {
    pub(crate) const MIDNIGHT: TimeOfDay = TimeOfDay(0);
    pub const END_OF_DAY: TimeOfDay = TimeOfDay(24 * 60);

    /// `None` unless `hour:minute` is within 00:00..=24:00.
    pub fn new(hour: u32, minute: u32) -> Option<TimeOfDay> {
        if minute >= 60 || hour > 24 || (hour == 24 && minute != 0) {
            return None;
        }
        Some(TimeOfDay((hour * 60 + minute) as u16))
    }

    pub(crate) fn minutes(self) -> u32 {
        u32::from(self.0)
    }

    pub(crate) fn hour(self) -> u32 {
        self.minutes() / 60
    }

    pub(crate) fn minute(self) -> u32 {
        self.minutes() % 60
    }
}

impl std::fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}:{:02}", self.hour(), self.minute())
    }
}

/// A set of weekdays (bit 0 = Monday).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WeekdaySet(u8);

impl WeekdaySet {
    pub const ALL: WeekdaySet = WeekdaySet(0b111_1111);
    pub(crate) const EMPTY: WeekdaySet = WeekdaySet(0);

    pub fn contains(self, day: Weekday) -> bool {
        self.0 & (1 << day.num_days_from_monday()) != 0
    }

    pub(crate) fn with(self, day: Weekday) -> WeekdaySet {
        WeekdaySet(self.0 | (1 << day.num_days_from_monday()))
    }

    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub(crate) fn iter(self) -> impl Iterator<Item = Weekday> {
        [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ]
        .into_iter()
        .filter(move |d| self.contains(*d))
    }
}

impl FromIterator<Weekday> for WeekdaySet {
    fn from_iter<I: IntoIterator<Item = Weekday>>(iter: I) -> Self {
        iter.into_iter().fold(WeekdaySet::EMPTY, WeekdaySet::with)
    }
}

/// Which reflog operations raise a commit trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CommitTriggers {
    /// The developer's own work: commit, amend, merge commit, cherry-pick,
    /// revert, finished rebase.
    #[default]
    Own,
    /// Every HEAD movement, checkouts and pulls included.
    All,
    None,
}

impl CommitTriggers {
    /// The config spelling: `own`, `all`, `none`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CommitTriggers::Own => "own",
            CommitTriggers::All => "all",
            CommitTriggers::None => "none",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum LogLevel {
    Error,
    Warn,
    #[default]
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

/// `integrations:`: which ticket families count (`enabled`) and where
/// updates that name them are to be posted (see docs/sync.md).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Integrations {
    pub azure_devops: AzureDevops,
    pub github: Github,
    pub jira: Jira,
}

impl Integrations {
    /// One warning per integration whose section holds a token (`token`,
    /// `pat`, `api_token`, as the older DevTrack's files do): it is never
    /// read, and the line names the safe ways to give one. The token's
    /// value is not kept, so it cannot appear here.
    pub fn file_token_warnings(&self) -> Vec<String> {
        let found = [
            ("github", "GITHUB", self.github.file_token),
            ("jira", "JIRA", self.jira.file_token),
            ("azure_devops", "AZURE", self.azure_devops.file_token),
        ];
        found
            .into_iter()
            .filter_map(|(name, env, key)| {
                let key = key?;
                let short = name.split('_').next().unwrap_or(name);
                Some(format!(
                    "integrations.{name}.{key}: a token in the config file is never used; \
                     remove it and give the token through systemd's \
                     LoadCredential=devtrack-{short} ($CREDENTIALS_DIRECTORY), the \
                     DEVTRACK_{env}_TOKEN environment variable, or \
                     integrations.{name}.token_command"
                ))
            })
            .collect()
    }
}

/// `integrations.github`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Github {
    pub enabled: bool,
    /// The API base for every repository, overriding the one derived from
    /// the remote's host.
    pub api_url: Option<String>,
    /// The git remote that names the GitHub repository (default `origin`).
    pub remote: Option<String>,
    pub token_command: Option<Vec<String>>,
    /// `owner`/`repo`: the repository for a `#123` that no covered commit
    /// ties to one.
    pub owner: Option<String>,
    pub repo: Option<String>,
    /// A token key found in the file (never used).
    pub file_token: Option<&'static str>,
}

/// Which Jira REST API: Cloud's v3 or Server/Data Center's v2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JiraApi {
    /// Atlassian Document Format bodies, Basic `email:token`.
    #[default]
    Cloud,
    /// `api_version: 2`: wiki-markup bodies, a Bearer personal access token.
    DataCenter,
}

/// `integrations.jira`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Jira {
    pub enabled: bool,
    /// The site, e.g. `https://example.atlassian.net`.
    pub url: Option<String>,
    /// `email` (or the older `username`): Cloud's Basic user.
    pub email: Option<String>,
    pub api: JiraApi,
    pub token_command: Option<Vec<String>>,
    /// Also log the time worked (planned; off by default).
    pub worklog: bool,
    pub file_token: Option<&'static str>,
}

/// `integrations.azure_devops`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AzureDevops {
    pub enabled: bool,
    pub organization: Option<String>,
    pub project: Option<String>,
    /// `https://dev.azure.com` when absent; Azure DevOps Server's is
    /// `https://HOST/COLLECTION` (no organization segment).
    pub url: Option<String>,
    pub token_command: Option<Vec<String>>,
    pub file_token: Option<&'static str>,
}

/// `prompts:`: how a prompt reaches the person. Every channel is optional;
/// the control socket's `prompt` events are always there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompts {
    /// Desktop notifications (the freedesktop service on Linux, `osascript`
    /// on macOS). `false`: only the hook, the socket and the CLI.
    pub notifications: bool,
    /// "Log update" opens a small input dialog (`zenity`, `kdialog`,
    /// `osascript`) when one is installed.
    pub dialog: bool,
    /// How long "Snooze" (and `devtrack snooze` without a duration) waits.
    pub snooze: Duration,
    /// The `on_trigger` hook, if any.
    pub on_trigger: Option<Hook>,
    /// Idle longer than this (as the session says) counts as away.
    pub idle_after: Duration,
    /// What a prompt does while the person is away (screen locked, idle).
    pub when_away: WhenAway,
}

/// `prompts.when_away`: hold prompts while the person is away, or show
/// them anyway. Neither overrides a pause or work hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WhenAway {
    /// Keep them until the screen is unlocked or the person is back.
    #[default]
    Hold,
    /// Show them as if the person were there.
    Show,
}

impl WhenAway {
    /// As the config spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            WhenAway::Hold => "hold",
            WhenAway::Show => "show",
        }
    }
}

impl Default for Prompts {
    fn default() -> Prompts {
        Prompts {
            notifications: true,
            dialog: true,
            snooze: Duration::from_secs(30 * 60),
            on_trigger: None,
            idle_after: Duration::from_secs(10 * 60),
            when_away: WhenAway::Hold,
        }
    }
}

/// `prompts.on_trigger`: a command run for each new prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    /// The program and its arguments; no shell unless the user writes one.
    pub argv: Vec<String>,
    /// After this long the hook gets SIGTERM, and SIGKILL 5 s later.
    pub timeout: Duration,
}
