//! The one integration-test binary. Each module drives the real `devtrack`
//! binary or the library's public API.

// A binary with no public API: `pub` here only shares helpers between its
// modules, so the library's `unreachable_pub` (Cargo.toml) does not apply.
#![allow(unreachable_pub)]

/// Shared harness: isolated environments, daemon start on READY=1, event streams.
mod util;

/// The daemon end to end through the CLI, the socket and signals.
mod daemon;

/// The CLI's contract on the real binary: exit statuses, errors, closed
/// pipes, a hung daemon, timezones.
mod cli;

/// `devtrack metrics` read by a real OpenMetrics parser, its counters
/// moving; the resources in `devtrack status`.
mod metrics;

/// Prompts end to end: opened, folded, answered (socket, `devtrack note`
/// from arguments, stdin and an editor, daemon down), snoozed, skipped.
mod prompts;

/// The outbox through `devtrack sync` and `devtrack sync preview`.
mod sync;

/// The sender against fake GitHub, Jira and Azure DevOps servers.
mod sync_send;

/// Config loading and validation against fixture files (tests/fixtures/config).
mod config;

/// The launchd backend against recording `launchctl`/`log` stand-ins.
mod launchd;

/// devtrack under a real systemd user manager (scripts/systemd-user-env.sh).
mod systemd;

/// `devtrack doctor` against real failures (a private bus, files, a uid
/// of its own), its `--json` against docs/doctor.md's schema.
mod doctor;

/// Git watching over real repositories, the real watcher and a real store.
mod gitwatch;

/// The wire format: recorded protocol lines and docs/protocol.md against
/// the protocol types.
mod protocol;

/// The daemon's watch on its config file, on real files and inotify.
mod config_watch;

/// Git watching through the running daemon (events, store, status, reload).
mod daemon_git;

/// `devtrack report` (golden files in tests/fixtures/report) and
/// `history --prompts` over a fixture store.
mod report;

/// The `on_trigger` hook channel with real hook scripts.
mod hook;

/// The macOS `osascript` channel against a recording stand-in.
mod osascript;

/// A private session bus and a recording notification server (also the
/// benchmark's).
mod notification_server;

/// The desktop notification channel on a private session bus, against a
/// recording notification server.
mod desktop;

/// The desktop channel through `devtrack run`, on a private session bus.
mod desktop_daemon;

/// The `on_trigger` hook through `devtrack run`.
mod hook_daemon;

/// The desktop notification channel against dunst, and the real zenity,
/// under Xvfb.
mod desktop_dunst;

// Crashes, bad input, faults and hostile neighbours, with figures.
mod reliability;

/// A test-side logind on a private system bus.
mod logind;

/// The headless Chromium harness (tests/util/webdriver.rs) on a page of
/// its own.
mod webdriver;

/// Prompts wait for a person: a locked or idle session holds them.
mod away;

/// The status page through `devtrack web`: its guard, API and events.
mod web;

/// The status page in headless Chromium after a scripted day: its DOM
/// against the CLI, an answer and a live commit, JavaScript off.
mod web_page;
