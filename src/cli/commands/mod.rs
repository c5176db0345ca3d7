//! One file per command (or family of commands).

pub(crate) mod completions;
pub(crate) mod config;
pub(crate) mod control;
pub(crate) mod doctor;
pub(crate) mod events;
pub(crate) mod history;
mod history_prompts;
pub(crate) mod man;
pub(crate) mod metrics;
pub(crate) mod note;
pub(crate) mod repo;
pub mod report;
pub(crate) mod service;
pub(crate) mod status;
pub(crate) mod sync;
pub(crate) mod version;
pub(crate) mod web;
