//! The floor: how long the kernel and the `notify` crate (the daemon's own
//! watcher) take to report a write to a watched directory, measured in the
//! same run. No daemon can react to a commit faster than this.

use std::io::Write;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use notify::{RecursiveMode, Watcher};

use super::sandbox::SAFETY;

/// `samples` appends to a file in a watched directory, each timed from just
/// before the `write` call to the event's arrival in the watcher callback
/// (the callback may run before `write` returns, on the other CPU; the
/// commit latency is timed from just before its call the same way).
pub fn measure(samples: usize) -> Result<Vec<Duration>> {
    let dir = tempfile::tempdir().context("creating the floor directory")?;
    let (tx, rx) = mpsc::channel::<Instant>();
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        let at = Instant::now();
        if res.is_ok() {
            let _ = tx.send(at);
        }
    })?;
    let path = dir.path().join("log");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("opening `{}`", path.display()))?;
    watcher.watch(dir.path(), RecursiveMode::NonRecursive)?;
    let mut out = Vec::with_capacity(samples);
    for i in 0..samples {
        while rx.try_recv().is_ok() {}
        let line = format!("line {i}\n");
        let written = Instant::now();
        file.write_all(line.as_bytes())?;
        let at = rx
            .recv_timeout(SAFETY)
            .context("no inotify event for an append to a watched directory")?;
        out.push(at.saturating_duration_since(written));
    }
    Ok(out)
}
