//! Reliability tests against the real systemd user manager
//! (scripts/systemd-user-env.sh), serialized with the rest of tests/systemd.rs
//! through its harness ([`crate::systemd::UserManager`]). What they share is
//! here: figure lines, the long-run switch, drop-ins, the user's event
//! stream, signals and a read-only look into the user's store.

use std::path::PathBuf;

use crate::systemd::UserManager;
use crate::util::EventStream;

/// Crash consistency: `kill -9` storms while commits and notes arrive.
mod crash_storm;

/// The shipped start limit ending a crash loop.
mod start_limit;

/// A hung daemon (SIGSTOP) killed by the watchdog and restarted.
mod watchdog;

/// Bad configs at start and on reload.
mod bad_config;

/// No secret and no answer text in the journal or on stderr.
mod secrets;

/// The unit's sandbox: what systemd-analyze rates it, and what still works
/// inside it.
mod hardening;

pub use super::{figure, long};

/// Writes `~/.config/systemd/user/devtrack.service.d/NAME` and reloads the
/// manager; [`UserManager::reset`] removes the directory again.
pub fn drop_in(m: &UserManager, name: &str, text: &str) {
    let dir = m.unit_path().with_file_name("devtrack.service.d");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), text).unwrap();
    m.give_to_user(&dir);
    m.systemctl(&["daemon-reload"]).ok();
}

/// `devtrack events --json` as the user, once subscribed.
pub fn events(m: &UserManager) -> EventStream {
    EventStream::spawn(m.command(&[], "devtrack", &["events", "--json"]))
}

pub fn signal(pid: i32, sig: nix::sys::signal::Signal) {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), sig)
        .unwrap_or_else(|e| panic!("sending {sig} to {pid}: {e}"));
}

/// The user's store (`~/.local/share/devtrack/devtrack.db`).
pub fn store_path(m: &UserManager) -> PathBuf {
    m.home.join(".local/share/devtrack/devtrack.db")
}

/// The user's store opened read-only, next to the running daemon.
pub fn open_store(m: &UserManager) -> rusqlite::Connection {
    rusqlite::Connection::open_with_flags(
        store_path(m),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .unwrap()
}

/// `PRAGMA integrity_check`'s verdict.
pub fn integrity(db: &rusqlite::Connection) -> String {
    db.query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap()
}

/// Whether this build has `devtrack note`.
pub fn has_note_command(m: &UserManager) -> bool {
    m.devtrack(&["note", "--help"]).code == Some(0)
}

/// A small seeded generator for "random moments": the seed is printed and
/// can be given back through `DEVTRACK_RELIABILITY_SEED`.
pub struct Rng(u64);

impl Rng {
    pub fn seeded(test: &str) -> Rng {
        let seed = std::env::var("DEVTRACK_RELIABILITY_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
            });
        println!("{test}: DEVTRACK_RELIABILITY_SEED={seed}");
        Rng(seed | 1)
    }

    /// A number in `0..n` (xorshift64*).
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}
