//! The one integration-test binary. Each module drives the real `devtrack`
//! binary or the library's public API.

mod gitwatch;
