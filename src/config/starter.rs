//! The commented config written by `devtrack config init`. It must stay a
//! valid config (a test parses it) and explain every key. Inside a
//! repository (and for `devtrack repo add` with no file yet) its example
//! entry is that repository's.

use super::edit::{scalar_text, NewEntry};

pub(crate) const STARTER: &str = r#"# devtrack configuration.
#
# devtrack watches the repositories below, notices your own commits and asks
# for a short work update every `prompt_interval` minutes. Every key is
# optional; the values shown are the defaults unless noted.
# Check this file with `devtrack config check`.

# Accepted and ignored (configs of the older DevTrack carry it).
version: 1.0.0

repositories:
  # One entry per git work tree to watch. `name` must be unique.
  - name: myproject
    # `~` is your home directory; a relative path is taken relative to this
    # file's directory. A path that does not exist is reported as missing,
    # not an error.
    path: ~/src/myproject
    # Set to false to keep the entry but stop watching it.
    enabled: true
    # Optional label passed along with updates from this repository.
    project: MyProject
    # Optional per-repository override of `settings.commit_triggers`.
    # commit_triggers: own
    # false: the updates about this repository's commits are never posted
    # to a ticket.
    # sync: true
  # The same in one line:
  # - {name: api, path: ~/src/api, enabled: true}
  # Every repository under a folder, named by its path relative to it,
  # down to `depth` levels (default 3), skipping what an `exclude` glob
  # matches; a listed entry for one of them wins:
  # - {path: ~/src, discover: true, depth: 3, exclude: ["**/vendor/**"], project: Work}

settings:
  # Minutes between work-update prompts, 1..1440.
  prompt_interval: 180
  # Only prompt inside the work hours below.
  work_hours_only: false
  # Work hours as "HH:MM" (quote them). An end before the start spans
  # midnight ("22:00" to "06:00"); "24:00" is allowed as an end. The older
  # `work_start_hour: 9` / `work_end_hour: 18` (whole hours) work too, but
  # not both forms for the same end.
  work_start: "09:00"
  work_end: "18:00"
  # Days the work hours apply to: a list like [mon, tue, wed] or a range
  # like mon-fri. Default: every day.
  work_days: mon-sun
  # IANA timezone the work hours are in, e.g. Europe/Berlin. Default: this
  # machine's timezone.
  # timezone: Europe/Berlin
  # error, warn, info, debug or trace.
  log_level: info
  # Post each update to the tickets it names as soon as it is stored
  # (docs/sync.md). false: updates wait for `devtrack sync push`. Nothing is
  # posted for an integration before its first `devtrack sync push`.
  auto_sync: false
  # Which commits trigger a prompt: own (your commits, amends, merges,
  # cherry-picks, reverts, finished rebases), all (every HEAD movement,
  # including checkouts and pulls) or none.
  commit_triggers: own
  # E-mail addresses whose commits count as yours. Empty: each repository's
  # `user.email`.
  authors: []
  # Milliseconds to gather a burst of commits into one prompt, 0..60000.
  commit_debounce_ms: 2000
  # Watch this file and apply a saved change at once, as `devtrack reload`
  # does (a bad edit keeps the running config and says why).
  watch_config: true

# Ticket systems. `enabled` makes their references count (`#123`,
# `ABC-7`, `AB#123`) and puts the updates that name them in the outbox
# (`devtrack sync`, `devtrack sync preview`; docs/sync.md). Never write a
# token here: give it through systemd's LoadCredential=, the environment
# (DEVTRACK_GITHUB_TOKEN, DEVTRACK_JIRA_TOKEN, DEVTRACK_AZURE_TOKEN) or
# `token_command` (an argv list, no shell).
integrations:
  azure_devops:
    enabled: false
    # organization: myorg
    # project: MyProject
    # Azure DevOps Server: https://HOST/COLLECTION (no organization).
    # url: https://dev.azure.com
    # token_command: [pass, show, azure]
  github:
    enabled: false
    # The repository of `#123` comes from the remote of the repository
    # whose commits the update covers; these override it.
    # remote: origin
    # api_url: https://api.github.com
    # owner: myorg
    # repo: myrepo
    # token_command: [gh, auth, token]
  jira:
    enabled: false
    # url: https://example.atlassian.net
    # email: me@example.com
    # Jira Server / Data Center: 2 (wiki markup, a personal access token).
    # api_version: 3
    # token_command: [pass, show, jira]

# How prompts reach you. Every prompt is also a `prompt` event on the
# control socket, and `devtrack note` answers it from any terminal.
prompts:
  # Desktop notifications (the freedesktop notification service on Linux,
  # `osascript` on macOS). false: only the hook, the socket and the CLI.
  notifications: true
  # "Log update" opens a small input dialog (zenity, kdialog, osascript)
  # when one is installed.
  dialog: true
  # How long "Snooze" and `devtrack snooze` (without a duration) put a
  # prompt off, 1m..24h.
  snooze: 30m
  # While you are away (the screen locked, or idle longer than
  # `idle_after`, 1m..24h, as the desktop tells logind), prompts are held
  # and shown once when you are back. `when_away: show` shows them anyway.
  idle_after: 10m
  when_away: hold
  # A program run for each new prompt, with the prompt as JSON on stdin and
  # DEVTRACK_PROMPT_ID, DEVTRACK_TRIGGER_KIND, DEVTRACK_REPOS set. An argv
  # list, no shell (write ["sh", "-c", "..."] for one); killed after
  # `timeout` (default 30s, 1s..1h). Refused when this file or its
  # directory is writable by another user.
  # on_trigger:
  #   command: ["/usr/local/bin/my-hook", "--json"]
  #   timeout: 30s
"#;

/// [`STARTER`] with `entry` in place of the example repository.
pub(crate) fn with_entry(entry: &NewEntry) -> String {
    let project = match &entry.project {
        Some(project) => format!("    project: {}", scalar_text(project)),
        None => "    # project: MyProject".to_owned(),
    };
    let replacements = [
        (
            "  - name: myproject",
            format!("  - name: {}", scalar_text(&entry.name)),
        ),
        (
            "    path: ~/src/myproject",
            format!("    path: {}", scalar_text(&entry.path)),
        ),
        (
            "    enabled: true",
            format!("    enabled: {}", entry.enabled),
        ),
        ("    project: MyProject", project),
    ];
    let mut text = STARTER.to_owned();
    for (placeholder, value) in replacements {
        debug_assert!(text.matches(placeholder).count() == 1, "{placeholder}");
        text = text.replacen(placeholder, &value, 1);
    }
    text
}
