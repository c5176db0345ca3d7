//! devtrack: a per-user background service that notices the developer's own
//! commits and, on a schedule, asks for a short work update.
//!
//! The crate is split the way the program is:
//! - [`config`]: the YAML config, its paths and validation;
//! - [`protocol`]: the control-socket wire format shared by daemon and CLI;
//! - [`daemon`]: the foreground service (`devtrack run`): run loop,
//!   scheduler, git watching, control socket and SQLite store;
//! - [`service`]: integration with the init system (systemd, launchd);
//! - [`tickets`]: ticket references in answers, commit messages, branches;
//! - [`report`]: the standup report built from the store (pure);
//! - [`cli`]: the command-line front end.

pub mod cli;
pub mod config;
pub mod daemon;
pub mod display;
pub mod exit;
pub mod protocol;
pub mod report;
pub mod service;
pub mod tickets;
