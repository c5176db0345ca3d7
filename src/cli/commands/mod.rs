//! One file per command (or family of commands).

pub mod completions;
pub mod config;
pub mod control;
pub mod events;
pub mod history;
mod history_prompts;
pub mod man;
pub mod note;
pub mod report;
pub mod service;
pub mod status;
pub mod version;
