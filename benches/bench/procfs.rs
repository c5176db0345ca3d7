//! What the kernel says about the daemon: memory (`VmRSS`, `VmHWM`) and
//! context switches summed over every thread, from `/proc`.

use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

/// A `Key:   1234 kB` field of a `/proc/*/status` text, in KiB (or the
/// bare number for counters).
pub fn status_number(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(key)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// Voluntary plus involuntary context switches of one task.
pub fn task_switches(status: &str) -> Option<u64> {
    Some(
        status_number(status, "voluntary_ctxt_switches")?
            + status_number(status, "nonvoluntary_ctxt_switches")?,
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Memory {
    pub rss_kib: u64,
    pub hwm_kib: u64,
    /// The parts of `VmRSS`: private heap and stacks, mapped files (the
    /// binary's own pages, shared with every other process mapping them).
    pub rss_anon_kib: u64,
    pub rss_file_kib: u64,
}

pub fn memory(pid: u32) -> Result<Memory> {
    let path = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading `{path}`"))?;
    let field = |k: &str| status_number(&text, k).with_context(|| format!("no `{k}` in `{path}`"));
    Ok(Memory {
        rss_kib: field("VmRSS")?,
        hwm_kib: field("VmHWM")?,
        rss_anon_kib: field("RssAnon")?,
        rss_file_kib: field("RssFile")?,
    })
}

/// Context switches summed over the threads alive now.
pub fn context_switches(pid: u32) -> Result<u64> {
    let dir = format!("/proc/{pid}/task");
    let mut total = 0;
    for entry in std::fs::read_dir(&dir).with_context(|| format!("listing `{dir}`"))? {
        let path = entry?.path().join("status");
        // A thread may end between listing and reading.
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        total += task_switches(&text)
            .with_context(|| format!("no context-switch counters in `{}`", path.display()))?;
    }
    Ok(total)
}

/// The number of threads alive now.
pub fn threads(pid: u32) -> Result<usize> {
    let dir = format!("/proc/{pid}/task");
    Ok(std::fs::read_dir(Path::new(&dir))
        .with_context(|| format!("listing `{dir}`"))?
        .count())
}

/// Self-checks, run when the bench binary starts without `--bench`.
pub fn checks() {
    let status = "Name:\tdevtrack\nVmHWM:\t    9876 kB\nVmRSS:\t    5432 kB\n\
                  voluntary_ctxt_switches:\t12\nnonvoluntary_ctxt_switches:\t3\n";
    assert_eq!(status_number(status, "VmRSS"), Some(5432));
    assert_eq!(status_number(status, "VmHWM"), Some(9876));
    assert_eq!(status_number(status, "VmSwap"), None);
    // `voluntary` must not match the tail of `nonvoluntary`.
    assert_eq!(status_number(status, "voluntary_ctxt_switches"), Some(12));
    assert_eq!(task_switches(status), Some(15));
    assert_eq!(task_switches("Name:\tx\n"), None);
    let own = memory(std::process::id()).unwrap();
    assert!(own.rss_kib > 0 && own.hwm_kib >= own.rss_kib);
    assert!(threads(std::process::id()).unwrap() >= 1);
}
