//! The command line: one enum variant per command, help from doc comments.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// devtrack notices your commits and asks for short work updates.
///
/// The daemon (`devtrack run`) stays in the foreground; systemd or launchd
/// start, restart and log it (`devtrack install-service`). Every other
/// command talks to the running daemon over its control socket.
#[derive(Debug, Parser)]
#[command(name = "devtrack", version, after_help = exit_codes_help())]
pub(crate) struct Cli {
    #[command(flatten)]
    pub global: GlobalOpts,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub(crate) struct GlobalOpts {
    /// Config file to use instead of the default location.
    #[arg(long, global = true, value_name = "PATH", env = "DEVTRACK_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the daemon in the foreground (what the service manager starts).
    Run,
    /// Show the daemon's state, schedule and repositories.
    Status(JsonOpt),
    /// Pause interval prompts (commit watching continues).
    Pause(PauseArgs),
    /// Resume interval prompts.
    Resume,
    /// Skip the open prompt, if any, and exactly the next interval prompt.
    Skip,
    /// Answer the open prompt with a note (or record one when none is open).
    ///
    /// Without TEXT the note is read from stdin when it is not a terminal,
    /// else written in `$VISUAL`/`$EDITOR` on a template listing the commits
    /// since the last answer (the template's own lines are dropped, typed
    /// `#123 ...` lines are kept; an empty note stores nothing and exits 1;
    /// typed text that is not stored is kept in
    /// `$XDG_STATE_HOME/devtrack/unsaved-note-<time>.txt`). When the daemon
    /// is not running the note is written to the store directly; exit 0
    /// means it is stored.
    Note(NoteArgs),
    /// Put the open prompt off (default: `prompts.snooze`, 30m).
    Snooze(SnoozeArgs),
    /// Prompt now.
    Trigger,
    /// Re-read the config file and apply it.
    Reload(ReloadArgs),
    /// Follow the daemon's event stream.
    Events(EventsArgs),
    /// Print the daemon's counters and gauges as OpenMetrics text.
    ///
    /// Counters come from the store's totals, so they survive restarts;
    /// gauges and the `process_*` metrics are read when asked.
    Metrics,
    /// List recent triggers (or commits, or prompts).
    History(HistoryArgs),
    /// Summarize commits, answers and tickets for a standup (default: today).
    Report(ReportArgs),
    /// Show the outbox: the updates to post to the tickets they name.
    ///
    /// Per integration: the items by state, and each held or failing one
    /// with its reason. Nothing of an integration is sent before its first
    /// `devtrack sync push` (see docs/sync.md).
    #[command(args_conflicts_with_subcommands = true)]
    Sync(SyncArgs),
    /// Show the day in the browser: timeline, open prompt, standup, week.
    ///
    /// Listens on 127.0.0.1 (a free port) and passes the page and its API
    /// on to the daemon's private HTTP socket. The printed link works once
    /// (it sets a session cookie); run the command again for a new one.
    /// Runs until interrupted.
    Web(WebArgs),
    /// Check, locate or create the config file.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// List, add, remove, enable or disable watched repositories.
    ///
    /// These edit the config file in place (everything else in it stays as
    /// written), check the result before replacing the file, and then ask a
    /// running daemon to reload it.
    #[command(subcommand)]
    Repo(RepoCommand),
    /// Install devtrack as a user service (systemd unit or launchd agent) and start it.
    InstallService(InstallArgs),
    /// Stop and remove the user service.
    UninstallService,
    /// Start the user service (the config it will read is checked first).
    Start(StartArgs),
    /// Stop the user service.
    Stop,
    /// Restart the user service (the config it will read is checked first).
    Restart(StartArgs),
    /// Show the service's logs (journalctl / log show).
    Logs(LogsArgs),
    /// Check everything between devtrack and a working day: the service,
    /// the daemon's environment and notification server, the config, each
    /// repository, inotify limits, the store and the clock.
    ///
    /// One line per check, fine, a warning (`!`) or a failure, with the
    /// command that fixes it. Exit 0 when nothing failed (warnings alone:
    /// 0), 1 when something did. Works with the daemon stopped; a running
    /// daemon is asked for its own view (its environment, session bus and
    /// notification server). docs/doctor.md lists the checks.
    Doctor(JsonOpt),
    /// Print version information.
    Version,
    /// Print the completion script for a shell.
    ///
    /// Packages install these; to load them by hand:
    /// `source <(devtrack completions bash)`, `devtrack completions zsh >
    /// ~/.zfunc/_devtrack`, `devtrack completions fish | source`.
    Completions(CompletionsArgs),
    /// Print the manual page devtrack(1) as roff (`devtrack man | man -l -`).
    Man,
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Print JSON lines instead of text.
    #[arg(long)]
    pub json: bool,
    /// Keep following across daemon restarts: wait for the daemon to come
    /// back, then print a `reconnected` line and go on.
    #[arg(short, long)]
    pub follow: bool,
}

#[derive(Debug, Args)]
pub struct WebArgs {
    /// Print the link instead of opening the browser.
    #[arg(long)]
    pub no_browser: bool,
}

#[derive(Debug, Args)]
pub struct JsonOpt {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to print the completion script for.
    #[arg(value_enum)]
    pub shell: CompletionShell,
}

/// The shells `devtrack completions` writes scripts for (those the
/// packages install completions for).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
pub(crate) struct PauseArgs {
    /// Pause for a duration, e.g. `90m`, `2h`, `1h30m`.
    #[arg(long = "for", value_name = "DURATION", conflicts_with = "until", value_parser = crate::cli::time::parse_secs)]
    pub for_: Option<u64>,
    /// Pause until a time of day in the configured timezone
    /// (`settings.timezone`), today or tomorrow if it has passed, e.g.
    /// `17:00`; or an RFC 3339 instant.
    #[arg(long, value_name = "HH:MM", value_parser = crate::cli::time::pause_end)]
    pub until: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct NoteArgs {
    /// The note; several words are joined with spaces.
    #[arg(value_name = "TEXT")]
    pub text: Vec<String>,
    /// Answer this prompt instead of the oldest open one.
    #[arg(long, value_name = "ID")]
    pub prompt: Option<i64>,
}

#[derive(Debug, Args)]
pub(crate) struct SnoozeArgs {
    /// How long, e.g. `10m`, `1h` (at most a day).
    #[arg(value_name = "DURATION", value_parser = crate::cli::time::parse_secs)]
    pub duration: Option<u64>,
}

#[derive(Debug, Args)]
pub(crate) struct ReloadArgs {
    /// Talk to the daemon directly and return only when the new config was
    /// applied or rejected (exit 5 with the reason when rejected).
    #[arg(long)]
    pub wait: bool,
}

#[derive(Debug, Args)]
pub(crate) struct HistoryArgs {
    /// List stored commits instead of triggers.
    #[arg(long)]
    pub commits: bool,
    /// List prompts (state, times, answers) instead of triggers.
    #[arg(long, conflicts_with = "commits")]
    pub prompts: bool,
    /// Only entries at or after this time (`12h`, `3d`, `2026-01-31`,
    /// `2026-01-31T09:00`, `17:00`, `today`, `yesterday`).
    #[arg(long, value_name = "WHEN", allow_hyphen_values = true, value_parser = crate::cli::time::when)]
    pub since: Option<String>,
    /// At most this many entries.
    #[arg(short = 'n', long, default_value_t = 20)]
    pub limit: usize,
    /// Print JSON lines instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Today, in the configured timezone (the default).
    #[arg(long, conflicts_with_all = ["yesterday", "since"])]
    pub today: bool,
    /// The last work day (`settings.work_days`) up to today; on the first
    /// work day of the week, the last one of the week before and the days
    /// off since.
    #[arg(long, conflicts_with = "since")]
    pub yesterday: bool,
    /// From this time (`7d`, `12h`, `2026-01-31`, `2026-01-31T09:00`,
    /// `17:00`, `today`, `yesterday`).
    #[arg(long, value_name = "WHEN", allow_hyphen_values = true, value_parser = crate::cli::time::when)]
    pub since: Option<String>,
    /// Up to this time (default: now; the same forms as `--since`).
    #[arg(long, value_name = "WHEN", requires = "since", allow_hyphen_values = true, value_parser = crate::cli::time::when)]
    pub until: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = crate::report::Format::Text)]
    pub format: crate::report::Format,
    /// Group commits by repository, project or ticket.
    #[arg(long, value_enum, default_value_t = crate::report::GroupBy::Repo)]
    pub by: crate::report::GroupBy,
}

#[derive(Debug, Args)]
pub(crate) struct SyncArgs {
    #[command(subcommand)]
    pub command: Option<SyncCommand>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SyncCommand {
    /// Print exactly the requests that would be sent for the held and
    /// queued items: method, URL, headers (the token masked), body.
    Preview {
        /// Only updates given at or after this time (`12h`, `3d`,
        /// `2026-01-31`, `17:00`, `today`, `yesterday`).
        #[arg(long, value_name = "WHEN", allow_hyphen_values = true, value_parser = crate::cli::time::when)]
        since: Option<String>,
    },
    /// Send the held items of an integration (all enabled ones when none
    /// is named) now; the first push also lets `auto_sync: true` send new
    /// updates by themselves from then on.
    Push {
        /// github, jira or azure_devops.
        #[arg(value_parser = ["github", "jira", "azure_devops"])]
        integration: Option<String>,
    },
    /// Try a failed item again (its id from `devtrack sync`), or every
    /// failed item with `--failed`.
    Retry {
        /// The item's id.
        #[arg(required_unless_present = "failed", conflicts_with = "failed")]
        id: Option<String>,
        /// Every failed item.
        #[arg(long)]
        failed: bool,
    },
    /// Never post this item (its id from `devtrack sync`).
    Cancel {
        /// The item's id.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
    /// Validate a config file (default: the one devtrack would read).
    Check {
        /// The file to check.
        path: Option<PathBuf>,
    },
    /// Print the config path devtrack reads and why.
    Path,
    /// Write a commented starter config (never overwrites).
    Init,
}

#[derive(Debug, Subcommand)]
pub(crate) enum RepoCommand {
    /// List the repositories of the config file.
    List(JsonOpt),
    /// Add a repository (default: the one the current directory is in).
    ///
    /// The entry names the repository's top level. A linked worktree is
    /// refused (its main repository's entry covers it), as is a repository
    /// already configured under another spelling. With no config file yet,
    /// the commented starter config is written with this entry.
    Add(RepoAddArgs),
    /// Remove a repository's entry.
    Remove(RepoTarget),
    /// Watch a disabled repository again.
    Enable(RepoTarget),
    /// Keep a repository's entry but stop watching it.
    Disable(RepoTarget),
}

#[derive(Debug, Args)]
pub(crate) struct RepoAddArgs {
    /// A directory in the repository (default: the current directory).
    pub path: Option<PathBuf>,
    /// The entry's name (default: the directory's name, made unique).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The project label passed along with its updates.
    #[arg(long, value_name = "PROJECT")]
    pub project: Option<String>,
    /// Add the entry with `enabled: false`.
    #[arg(long)]
    pub disabled: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RepoTarget {
    /// The entry's name, or the repository's path.
    #[arg(value_name = "NAME|PATH")]
    pub target: String,
}

#[derive(Debug, Args)]
pub(crate) struct InstallArgs {
    /// Print the unit/plist and the commands; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Overwrite a unit/plist that was edited by hand.
    #[arg(long)]
    pub force: bool,
    /// Enable but do not start now.
    #[arg(long)]
    pub no_start: bool,
    /// Also enable lingering (start at boot without a login session; systemd only).
    #[arg(long)]
    pub linger: bool,
}

#[derive(Debug, Args)]
pub struct StartArgs {
    /// Start even when the config the service will read is invalid.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Keep printing new entries.
    #[arg(short, long)]
    pub follow: bool,
    /// Number of recent entries.
    #[arg(short = 'n', long)]
    pub lines: Option<u32>,
    /// Only entries since this time (`1h`, `3d`, `2026-01-31`,
    /// `2026-01-31T09:00`, `17:00`, `today`, `yesterday`; in the configured
    /// timezone).
    #[arg(long, value_name = "WHEN", allow_hyphen_values = true, value_parser = crate::cli::time::when)]
    pub since: Option<String>,
    /// Lowest priority shown.
    #[arg(short, long, value_enum)]
    pub priority: Option<LogLevelArg>,
}

/// `logs -p`: devtrack's level names (journalctl's `err`/`warning` too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogLevelArg {
    #[value(alias = "err")]
    Error,
    #[value(alias = "warning")]
    Warn,
    Info,
    #[value(alias = "trace")]
    Debug,
}

impl LogLevelArg {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            LogLevelArg::Error => "error",
            LogLevelArg::Warn => "warn",
            LogLevelArg::Info => "info",
            LogLevelArg::Debug => "debug",
        }
    }
}

/// The exit-status table appended to `devtrack help`.
fn exit_codes_help() -> String {
    let mut s = String::from("Exit status:\n");
    for status in crate::exit::ALL {
        let _ = writeln!(s, "  {:>3}  {}", status.code(), status.meaning());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::error::ErrorKind;

    fn parse(line: &str) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("devtrack").chain(line.split_whitespace()))
    }

    #[test]
    fn accepted_command_lines() {
        for line in [
            "run",
            "run --config /tmp/c.yaml",
            "status",
            "status --json",
            "pause",
            "pause --for 90m",
            "pause --until 17:00",
            "resume",
            "skip",
            "note",
            "note fixed the login bug for #12",
            "note --prompt 4 reviewed a PR",
            "snooze",
            "snooze 10m",
            "trigger",
            "reload",
            "reload --wait",
            "events --json",
            "events --follow --json",
            "events -f",
            "history --commits --since 3d -n 5 --json",
            "history --prompts --since 3d",
            "report",
            "report --today --format markdown",
            "report --yesterday --by project --format slack",
            "report --since 365d",
            "report --since 2026-06-01 --until 2026-06-08 --format csv --by ticket",
            "report --format json",
            "config check",
            "config check other.yaml",
            "config path",
            "config init",
            "repo list",
            "repo list --json",
            "repo add",
            "repo add ../api --name api --project Shop --disabled",
            "repo remove api",
            "repo enable api",
            "repo disable /src/api",
            "install-service --dry-run --force --no-start --linger",
            "uninstall-service",
            "start",
            "stop",
            "restart",
            "logs -f -n 20 --since today -p warn",
            "logs -p err",
            // One time syntax for every command.
            "logs --since 1h",
            "logs --since -1h",
            "logs --since 2026-01-31T09:00",
            "logs --since yesterday",
            "history --since 17:00",
            "history --since -12h",
            "history --since today",
            "report --since yesterday --until 17:00",
            "report --since 2026-01-31 --until today",
            "start --force",
            "restart --force",
            "pause --until 00:00",
            "pause --until 23:59",
            "pause --until 2026-01-31T17:00:00+05:30",
            "version",
            "completions bash",
            "completions zsh",
            "completions fish",
            "man",
        ] {
            assert!(
                parse(line).is_ok(),
                "`{line}` should parse: {:?}",
                parse(line).err()
            );
        }
    }

    #[test]
    fn rejected_command_lines() {
        for (line, kind) in [
            ("", ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand),
            ("explode", ErrorKind::InvalidSubcommand),
            ("pause --for 1h --until 17:00", ErrorKind::ArgumentConflict),
            ("status --yaml", ErrorKind::UnknownArgument),
            ("history -n many", ErrorKind::ValueValidation),
            ("history --commits --prompts", ErrorKind::ArgumentConflict),
            ("report --today --yesterday", ErrorKind::ArgumentConflict),
            ("report --yesterday --since 3d", ErrorKind::ArgumentConflict),
            (
                "report --until 2026-06-01",
                ErrorKind::MissingRequiredArgument,
            ),
            ("report --format html", ErrorKind::InvalidValue),
            ("report --by author", ErrorKind::InvalidValue),
            (
                "config",
                ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand,
            ),
            ("repo", ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand),
            ("repo remove", ErrorKind::MissingRequiredArgument),
            ("repo add a b", ErrorKind::UnknownArgument),
            ("completions tcsh", ErrorKind::InvalidValue),
            ("completions", ErrorKind::MissingRequiredArgument),
            ("manpage", ErrorKind::InvalidSubcommand),
            ("pause --for banana", ErrorKind::ValueValidation),
            ("pause --for 90", ErrorKind::ValueValidation),
            ("pause --until 25:00", ErrorKind::ValueValidation),
            ("pause --until 17:60", ErrorKind::ValueValidation),
            ("pause --until soon", ErrorKind::ValueValidation),
            ("logs -p loud", ErrorKind::InvalidValue),
            ("logs --since soon", ErrorKind::ValueValidation),
            ("logs --since ago", ErrorKind::ValueValidation),
            ("history --since 3x", ErrorKind::ValueValidation),
            (
                "report --since 3d --until 2026-13-01",
                ErrorKind::ValueValidation,
            ),
            ("snooze soon", ErrorKind::ValueValidation),
            ("snooze 10", ErrorKind::ValueValidation),
            ("note --prompt first x", ErrorKind::ValueValidation),
            // Not errors, but not commands either: clap prints and stops.
            ("--version", ErrorKind::DisplayVersion),
            ("-V", ErrorKind::DisplayVersion),
            ("--help", ErrorKind::DisplayHelp),
        ] {
            match parse(line) {
                Ok(_) => panic!("`{line}` should be rejected"),
                Err(e) => assert_eq!(e.kind(), kind, "`{line}`: {e}"),
            }
        }
    }

    #[test]
    fn note_and_snooze_values_are_parsed() {
        let Command::Note(n) = parse("note --prompt 4 fixed #12").unwrap().command else {
            panic!("not note");
        };
        assert_eq!(
            (n.prompt, n.text),
            (Some(4), vec!["fixed".into(), "#12".into()])
        );
        let Command::Snooze(s) = parse("snooze 1h30m").unwrap().command else {
            panic!("not snooze");
        };
        assert_eq!(s.duration, Some(5400));
    }

    #[test]
    fn pause_values_are_parsed() {
        let Command::Pause(p) = parse("pause --for 1h30m").unwrap().command else {
            panic!("not pause");
        };
        assert_eq!(p.for_, Some(5400));
        let Command::Pause(p) = parse("pause --until 17:00").unwrap().command else {
            panic!("not pause");
        };
        assert_eq!(p.until.as_deref(), Some("17:00"));
        let Command::Logs(l) = parse("logs -p warning").unwrap().command else {
            panic!("not logs");
        };
        assert_eq!(l.priority, Some(LogLevelArg::Warn));
    }

    #[test]
    fn the_command_tree_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
