//! The foreground daemon (`devtrack run`).

pub mod gitwatch;
pub mod logging;
pub mod scheduler;
pub mod store;
