//! The status page of the day and its HTTP API, shared by the two programs
//! that speak HTTP: the daemon serves the page, the API and the event
//! stream on its private HTTP socket (`daemon::http`), and `devtrack web`
//! guards them on a loopback port for the browser (`cli::commands::web`).
//!
//! Everything here is pure but [`model::load`], which reads the store on
//! its own read-only connection, and `secret`: the page model (`model`), the page and
//! its fragments rendered from it (`page`), which request goes where
//! (`routes`), whether the browser's request may pass (`guard`) and the
//! secrets it checks (`secret`).

pub mod guard;
pub mod model;
pub mod page;
pub(crate) mod routes;
pub(crate) mod secret;

pub use model::{HealthItem, HealthStatus, PageModel};
