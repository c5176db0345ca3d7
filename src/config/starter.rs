//! The commented config written by `devtrack config init`. It must stay a
//! valid config (a test parses it) and explain every key.

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
  # Whether listeners may sync updates to the enabled integrations.
  auto_sync: true
  # Which commits trigger a prompt: own (your commits, amends, merges,
  # cherry-picks, reverts, finished rebases), all (every HEAD movement,
  # including checkouts and pulls) or none.
  commit_triggers: own
  # E-mail addresses whose commits count as yours. Empty: each repository's
  # `user.email`.
  authors: []
  # Milliseconds to gather a burst of commits into one prompt, 0..60000.
  commit_debounce_ms: 2000

# Which integrations are enabled; syncing is done by tools listening to
# devtrack's event stream. Other keys here (url, organization, tokens) are
# ignored by devtrack itself.
integrations:
  azure_devops: {enabled: false}
  github: {enabled: false}
  jira: {enabled: false}

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
  # A program run for each new prompt, with the prompt as JSON on stdin and
  # DEVTRACK_PROMPT_ID, DEVTRACK_TRIGGER_KIND, DEVTRACK_REPOS set. An argv
  # list, no shell (write ["sh", "-c", "..."] for one); killed after
  # `timeout` (default 30s, 1s..1h). Refused when this file or its
  # directory is writable by another user.
  # on_trigger:
  #   command: ["/usr/local/bin/my-hook", "--json"]
  #   timeout: 30s
"#;
