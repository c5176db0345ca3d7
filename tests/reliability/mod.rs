//! The reliability and security suite (docs/reliability.md): crashes, bad
//! input, hostile neighbours and a misbehaving environment. Each test that
//! measures something prints `FIGURE|test|what was done|count|result`
//! lines ([`figure`]), which `scripts/reliability.sh` turns into the table in
//! docs/reliability.md. Tests that need the real systemd user manager are
//! under `systemd` (scripts/reliability.sh runs them in its second pass).
//! What measures processes (ptrace, /proc) or needs Linux's peer
//! credentials is Linux only; the property tests run everywhere.

#![allow(dead_code)]

mod faults;
mod systemd;

/// Whether the long variants were asked for (`scripts/reliability.sh
/// --long`, which sets `DEVTRACK_RELIABILITY_LONG=1`).
pub fn long() -> bool {
    std::env::var("DEVTRACK_RELIABILITY_LONG").is_ok_and(|v| v == "1")
}

/// `ci` normally, `long` under [`long`].
pub fn scale(ci: usize, long_count: usize) -> usize {
    if long() {
        long_count
    } else {
        ci
    }
}

/// Prints one row of docs/reliability.md. `|` would split a field, so it
/// is replaced; a newline would end the line early, so it becomes a space.
pub fn figure(test: &str, what: &str, count: impl std::fmt::Display, result: &str) {
    let clean = |s: &str| s.replace('|', "/").replace(['\n', '\r'], " ");
    println!(
        "FIGURE|{}|{}|{}|{}",
        clean(test),
        clean(what),
        clean(&count.to_string()),
        clean(result)
    );
}

/// Measuring processes: wall time, peak RSS, VmHWM.
#[cfg(target_os = "linux")]
mod measure;

/// Hostile config files through `config check` and `run`.
#[cfg(target_os = "linux")]
mod config;

/// Property tests of the config loader, reflog parser, request decoder and
/// ticket extractor, with case counts.
mod fuzz;

/// Abuse of the control socket while a client measures `status`.
#[cfg(target_os = "linux")]
mod socket;

/// SIGHUP with bad configs, 50 times (500 with `--long`).
#[cfg(target_os = "linux")]
mod reload;

/// Private files and sockets; other users, planted sockets and symlinks.
#[cfg(target_os = "linux")]
pub(crate) mod security;
