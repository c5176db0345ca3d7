//! The reliability and security suite (docs/reliability.md): crashes, bad
//! input, hostile neighbours and a misbehaving environment. Each test that
//! measures something prints `FIGURE|test|what was done|count|result`
//! lines, which `scripts/reliability.sh` turns into the table in
//! docs/reliability.md. Tests that need the real systemd user manager are
//! under `systemd` (scripts/test.sh runs them in its second pass).

mod faults;
mod systemd;
