//! The daemon's own view of itself (the `status` reply) and of each
//! configured repository (also the `repo` event's payload).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::prompt::{Channel, PromptState};
use super::trigger::TriggerInfo;

/// The daemon's own view, for `devtrack status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    pub version: String,
    pub pid: u32,
    pub started: DateTime<Utc>,
    pub uptime_secs: u64,
    pub triggers_total: u64,
    pub triggers_today: u64,
    #[serde(default)]
    pub last_trigger: Option<TriggerInfo>,
    #[serde(default)]
    pub missed_slots: u64,
    pub paths: StatusPaths,
    pub scheduler: SchedulerStatus,
    pub work_hours: WorkHoursStatus,
    #[serde(default)]
    pub repositories: Vec<RepoStatus>,
    /// Why the last reload was rejected (cleared by a successful one).
    #[serde(default)]
    pub reload_error: Option<String>,
    #[serde(default)]
    pub last_reload: Option<DateTime<Utc>>,
    /// The outstanding (open or snoozed) prompt; absent on the wire when
    /// none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<PromptStatus>,
    /// Delivery channels that cannot deliver right now, and why; absent on
    /// the wire when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channel_problems: Vec<ChannelProblem>,
    /// Why the store does not take writes now (the disk full, the file
    /// deleted, …), with a `hint:` line; absent while it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_error: Option<String>,
    /// Whether prompts wait for the person (screen locked, idle) and what
    /// says so; absent from a daemon that does not know.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub away: Option<AwayStatus>,
    /// The folders searched for repositories; absent when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub folders: Vec<FolderStatus>,
    /// The inotify watches (or, elsewhere, watched directories) git
    /// watching holds: the repositories' and the folders'; absent when
    /// none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub watches: usize,
    /// What the daemon uses of the machine, read when the status was
    /// asked for; absent from a daemon that does not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
}

/// The daemon's use of the machine at the moment of the reply. A field is
/// null where the platform does not say cheaply (memory and inotify on
/// macOS) or the file could not be read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resources {
    /// User plus system CPU time since it started.
    pub cpu_secs: f64,
    /// Resident memory (`VmRSS`).
    #[serde(default)]
    pub rss_bytes: Option<u64>,
    /// Its private part, heap and stacks (`RssAnon`): what the daemon
    /// itself costs, the binary's pages being shared.
    #[serde(default)]
    pub rss_anon_bytes: Option<u64>,
    #[serde(default)]
    pub open_fds: Option<u64>,
    /// inotify watches held over all its instances (git watching and the
    /// config file's watch).
    #[serde(default)]
    pub inotify_watches: Option<u64>,
    /// The store's file and its write-ahead log.
    #[serde(default)]
    pub store_bytes: Option<u64>,
    #[serde(default)]
    pub wal_bytes: Option<u64>,
}

/// The session as the daemon follows it, and the prompt it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AwayStatus {
    /// `prompts.when_away`: `hold` or `show`.
    pub when_away: String,
    /// What says whether the person is away (`logind session /org/…`,
    /// `session bus: org.freedesktop.ScreenSaver`).
    #[serde(default)]
    pub sources: Vec<String>,
    /// Which sources are missing and why (`no system bus at …`).
    #[serde(default)]
    pub missing: Vec<String>,
    /// Since when the screen is locked (logind or a screen saver).
    #[serde(default)]
    pub locked_since: Option<DateTime<Utc>>,
    /// Since when the session is idle (as logind says).
    #[serde(default)]
    pub idle_since: Option<DateTime<Utc>>,
    /// Since when the notification server is inhibited (do not disturb).
    #[serde(default)]
    pub inhibited_since: Option<DateTime<Utc>>,
    /// The outstanding prompt is held back from the person: why and since
    /// when.
    #[serde(default)]
    pub holding: Option<Holding>,
}

/// Why the outstanding prompt is held: `paused`, `work_hours`, `locked`,
/// `idle`, `inhibited` or `asking`, since `since`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Holding {
    pub reason: String,
    #[serde(default)]
    pub since: Option<DateTime<Utc>>,
}

/// A folder searched for repositories (`discover: true`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderStatus {
    pub name: String,
    pub path: String,
    /// The repositories found in it and watched (a listed entry for one
    /// counts there, not here).
    pub repositories: usize,
    /// The directories looked into, one watch each.
    pub watches: usize,
    /// Why it is not searched (missing, disabled, the inotify limit, with
    /// the numbers); null while it is.
    #[serde(default)]
    pub reason: Option<String>,
}

/// The outstanding prompt as `status` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptStatus {
    pub id: i64,
    pub opened_at: DateTime<Utc>,
    pub state: PromptState,
    #[serde(default)]
    pub reopens_at: Option<DateTime<Utc>>,
    pub summary: String,
    /// Channels that delivered it (the socket: a subscriber got its event).
    #[serde(default)]
    pub delivered_to: Vec<Channel>,
}

/// A channel that cannot deliver, since when, and why ("hook refused: …").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelProblem {
    pub channel: Channel,
    pub detail: String,
    pub since: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusPaths {
    /// The config file in use; `None` when running on defaults.
    pub config: Option<String>,
    /// The file devtrack reads (whether or not it exists).
    pub config_expected: String,
    pub database: String,
    pub socket: String,
    pub lock: String,
    /// Where the logs go: the journal, unified logging, or the terminal.
    pub logs: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchedulerStatus {
    pub paused: bool,
    #[serde(default)]
    pub paused_until: Option<DateTime<Utc>>,
    #[serde(default)]
    pub skip_next: bool,
    pub interval_minutes: u32,
    #[serde(default)]
    pub next_trigger: Option<DateTime<Utc>>,
    pub timezone: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkHoursStatus {
    pub enabled: bool,
    /// `HH:MM`
    pub start: String,
    pub end: String,
    /// Three-letter names, Monday first.
    pub days: Vec<String>,
    pub in_hours: bool,
}

/// One configured repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoStatus {
    pub name: String,
    pub path: String,
    #[serde(default)]
    pub project: Option<String>,
    /// On the wire as `state` and `reason`.
    #[serde(flatten)]
    pub state: RepoState,
    /// The checked-out branch of the configured working tree; `None` when
    /// detached or unknown.
    #[serde(default)]
    pub branch: Option<String>,
    /// Linked worktrees followed besides the main one; absent on the wire
    /// when none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub worktrees: usize,
    #[serde(default)]
    pub last_commit_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_commit_summary: Option<String>,
    /// How it is recorded when that is not the usual way (a repository
    /// without a reflog), and what that loses; absent on the wire when
    /// there is nothing to say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The folder it was found in; absent for a listed one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// How a configured repository is being watched. On the wire it is two
/// fields: `state` (the name) and `reason` (null for `watching` and
/// `disabled`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepoState {
    Watching,
    /// `enabled: false` in the config.
    Disabled,
    /// The path does not exist or is not (yet) a repository; retried when
    /// its nearest existing parent changes.
    Missing {
        reason: String,
    },
    /// Bare or reftable repositories, which have no reflog file.
    Unsupported {
        reason: String,
    },
    /// Unreadable, or the watch could not be set up.
    Error {
        reason: String,
    },
}

impl RepoState {
    pub(crate) const NAMES: &'static [&'static str] =
        &["watching", "disabled", "missing", "unsupported", "error"];

    /// The wire name (`state`).
    pub(crate) fn name(&self) -> &'static str {
        match self {
            RepoState::Watching => "watching",
            RepoState::Disabled => "disabled",
            RepoState::Missing { .. } => "missing",
            RepoState::Unsupported { .. } => "unsupported",
            RepoState::Error { .. } => "error",
        }
    }

    /// Why the repository is not watched.
    pub(crate) fn reason(&self) -> Option<&str> {
        match self {
            RepoState::Watching | RepoState::Disabled => None,
            RepoState::Missing { reason }
            | RepoState::Unsupported { reason }
            | RepoState::Error { reason } => Some(reason),
        }
    }

    /// The state named `name`; `None` for a name this version does not know.
    fn from_wire(name: &str, reason: Option<String>) -> Option<RepoState> {
        let reason = reason.unwrap_or_default();
        Some(match name {
            "watching" => RepoState::Watching,
            "disabled" => RepoState::Disabled,
            "missing" => RepoState::Missing { reason },
            "unsupported" => RepoState::Unsupported { reason },
            "error" => RepoState::Error { reason },
            _ => return None,
        })
    }
}

impl std::fmt::Display for RepoState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// `state` and `reason` as they are on the wire.
#[derive(Serialize, Deserialize)]
struct StateFields {
    state: String,
    #[serde(default)]
    reason: Option<String>,
}

impl Serialize for RepoState {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        StateFields {
            state: self.name().to_string(),
            reason: self.reason().map(str::to_string),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for RepoState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RepoState, D::Error> {
        let fields = StateFields::deserialize(d)?;
        RepoState::from_wire(&fields.state, fields.reason)
            .ok_or_else(|| serde::de::Error::unknown_variant(&fields.state, RepoState::NAMES))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(state: RepoState) -> RepoStatus {
        RepoStatus {
            name: "api".into(),
            path: "/src/api".into(),
            project: None,
            state,
            branch: Some("main".into()),
            worktrees: 0,
            last_commit_at: None,
            last_commit_summary: None,
            note: None,
            folder: None,
        }
    }

    #[test]
    fn a_state_is_a_name_and_a_reason_on_the_wire() {
        let cases = [
            (RepoState::Watching, r#""state":"watching","reason":null"#),
            (RepoState::Disabled, r#""state":"disabled","reason":null"#),
            (
                RepoState::Missing {
                    reason: "`/src/api` does not exist".into(),
                },
                r#""state":"missing","reason":"`/src/api` does not exist""#,
            ),
            (
                RepoState::Unsupported {
                    reason: "a bare repository".into(),
                },
                r#""state":"unsupported","reason":"a bare repository""#,
            ),
            (
                RepoState::Error {
                    reason: "permission denied".into(),
                },
                r#""state":"error","reason":"permission denied""#,
            ),
        ];
        for (state, fields) in cases {
            let status = repo(state);
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(
                json,
                format!(
                    r#"{{"name":"api","path":"/src/api","project":null,{fields},"branch":"main","last_commit_at":null,"last_commit_summary":null}}"#
                )
            );
            assert_eq!(serde_json::from_str::<RepoStatus>(&json).unwrap(), status);
            assert!(RepoState::NAMES.contains(&status.state.name()));
        }
    }

    #[test]
    fn worktrees_are_shown_when_there_are_any() {
        let status = RepoStatus {
            worktrees: 2,
            ..repo(RepoState::Watching)
        };
        let json = serde_json::to_string(&status).unwrap();
        assert!(json.contains(r#""branch":"main","worktrees":2,"#), "{json}");
        assert_eq!(serde_json::from_str::<RepoStatus>(&json).unwrap(), status);
    }

    #[test]
    fn an_unknown_state_is_an_error_naming_it() {
        let json = r#"{"name":"api","path":"/src/api","state":"frozen","reason":null}"#;
        let err = serde_json::from_str::<RepoStatus>(json).unwrap_err();
        assert!(err.to_string().contains("`frozen`"), "{err}");
    }
}
