//! devtrack: a per-user background service that notices the developer's own
//! commits and, on a schedule, asks for a short work update.
//!
//! The crate is split the way the program is:
//! - [`config`]: the YAML config, its paths and validation;
//! - [`protocol`]: the control-socket wire format shared by daemon and CLI;
//! - [`store`]: the SQLite store (triggers, commits, reflog cursors,
//!   prompts and answers), opened by the daemon and read by the CLI;
//! - [`scheduler`]: when the next prompt is due (pure);
//! - [`instance`]: the locks that keep one daemon per user, and how the
//!   CLI finds it;
//! - [`daemon`]: what runs inside `devtrack run`: run loop, git watching,
//!   control socket, delivery channels;
//! - [`service`]: integration with the init system (systemd, launchd),
//!   both the CLI's side (install, start, logs) and the running daemon's
//!   (readiness, journal, crash guard);
//! - [`backoff`]: the one retry policy (doubling waits up to a cap);
//! - [`socket_watch`]: waiting for a socket to be created (inotify);
//! - [`tickets`]: ticket references in answers, commit messages, branches;
//! - [`report`]: the standup report built from the store (pure);
//! - `doctor`: `devtrack doctor`'s checks, pure over facts gathered at
//!   its edge, also judged by the daemon for its status page;
//! - [`web`]: the status page, its API and the checks of `devtrack web`
//!   (the page rendered from the store and the report; the daemon serves
//!   it on its HTTP socket, the CLI guards it on loopback);
//! - [`cli`]: the command-line front end.
//!
//! The daemon uses the service module, never the reverse; `store`,
//! `scheduler` and `instance` use neither `daemon` nor `cli`; `report`
//! uses nothing of `daemon`, and `cli` only `daemon::run`; `protocol` and
//! `config` are leaves; no modules import each other in a circle
//! (docs/architecture.md; checked by a test).

pub(crate) mod backoff;
pub(crate) mod bus_address;
pub mod cli;
pub mod config;
pub mod daemon;
pub(crate) mod display;
pub(crate) mod doctor;
pub mod exit;
pub(crate) mod instance;
#[cfg(test)]
mod layering;
pub mod procfs;
pub mod protocol;
pub mod report;
pub mod scheduler;
pub mod service;
pub(crate) mod session;
pub mod socket_watch;
#[cfg(test)]
mod source_files;
pub mod store;
pub mod sync;
pub mod tickets;
pub mod web;
pub(crate) mod when;
