//! The floor: how long the kernel takes to report a reflog append to an
//! inotify watch like the daemon's (same mask: `IN_CLOSE_WRITE` and the
//! layout events), measured in the same run. No daemon can react to a
//! commit faster than this.

use std::io::Write;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};

use super::sandbox::SAFETY;

/// `samples` appends to a file in a watched directory, each made as git
/// appends a reflog line (open with `O_APPEND`, one write, close) and timed
/// from just before the open to the event's arrival in a thread blocked
/// reading the inotify descriptor (it may read it before `close` returns,
/// on the other CPU; the commit latency is timed from just before its call
/// the same way).
pub fn measure(samples: usize) -> Result<Vec<Duration>> {
    let dir = tempfile::tempdir().context("creating the floor directory")?;
    let inotify = Inotify::init(InitFlags::IN_CLOEXEC).context("creating an inotify instance")?;
    let mask = AddWatchFlags::IN_CLOSE_WRITE
        | AddWatchFlags::IN_CREATE
        | AddWatchFlags::IN_DELETE
        | AddWatchFlags::IN_MOVED_FROM
        | AddWatchFlags::IN_MOVED_TO
        | AddWatchFlags::IN_DELETE_SELF
        | AddWatchFlags::IN_MOVE_SELF
        | AddWatchFlags::IN_ONLYDIR;
    let path = dir.path().join("log");
    std::fs::write(&path, "").with_context(|| format!("creating `{}`", path.display()))?;
    inotify
        .add_watch(dir.path(), mask)
        .context("watching the floor directory")?;
    let (tx, rx) = mpsc::channel::<Instant>();
    // Ends when the sender's receiver is gone and one more event comes
    // (the directory's removal at the end gives it).
    std::thread::spawn(move || {
        while let Ok(events) = inotify.read_events() {
            let at = Instant::now();
            if !events.is_empty() && tx.send(at).is_err() {
                break;
            }
        }
    });
    let mut out = Vec::with_capacity(samples);
    for i in 0..samples {
        while rx.try_recv().is_ok() {}
        let line = format!("line {i}\n");
        let written = Instant::now();
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .with_context(|| format!("opening `{}`", path.display()))?;
        file.write_all(line.as_bytes())?;
        drop(file);
        let at = rx
            .recv_timeout(SAFETY)
            .context("no inotify event for an append to a watched directory")?;
        out.push(at.saturating_duration_since(written));
    }
    Ok(out)
}
