//! One file per command (or family of commands).

pub mod completions;
pub mod config;
pub mod control;
pub mod events;
pub mod history;
pub mod man;
pub mod service;
pub mod status;
