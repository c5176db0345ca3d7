//! The one integration-test binary. Each module drives the real `devtrack`
//! binary or the library's public API.

// Config loading and validation against fixture files (tests/fixtures/config).
mod config;
