//! The foreground daemon (`devtrack run`).

pub mod gitwatch;
pub mod scheduler;
pub mod store;
