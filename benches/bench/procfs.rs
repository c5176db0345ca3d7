//! What the kernel says about the daemon: memory (`VmRSS`, `VmHWM`),
//! context switches summed over every thread, and CPU time (user plus
//! system, per thread and in all), from `/proc`; and the CPU time of this
//! process's finished children (the `git` commands a burst runs).

use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

pub use devtrack::procfs::status_number;

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

/// User plus system CPU time in clock ticks from a `/proc/*/stat` text,
/// and the command name.
pub fn stat_cpu(stat: &str) -> Option<(String, u64)> {
    devtrack::procfs::Stat::parse(stat).map(|s| (s.name, s.cpu_ticks))
}

use devtrack::procfs::ticks_per_sec;

/// CPU time of the whole process (all its threads, live and ended), in
/// seconds.
pub fn cpu_secs(pid: u32) -> Result<f64> {
    let path = format!("/proc/{pid}/stat");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading `{path}`"))?;
    let (_, ticks) = stat_cpu(&text).with_context(|| format!("no CPU times in `{path}`"))?;
    Ok(ticks as f64 / ticks_per_sec())
}

/// CPU time of each live thread, by thread name, in seconds.
pub fn thread_cpu_secs(pid: u32) -> Result<Vec<(String, f64)>> {
    let dir = format!("/proc/{pid}/task");
    let mut out: Vec<(String, f64)> = Vec::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("listing `{dir}`"))? {
        let Ok(text) = std::fs::read_to_string(entry?.path().join("stat")) else {
            continue;
        };
        if let Some((name, ticks)) = stat_cpu(&text) {
            match out.iter_mut().find(|(n, _)| *n == name) {
                Some((_, secs)) => *secs += ticks as f64 / ticks_per_sec(),
                None => out.push((name, ticks as f64 / ticks_per_sec())),
            }
        }
    }
    Ok(out)
}

/// User plus system CPU time of this process's children that ended and
/// were waited for, in seconds.
pub fn children_cpu_secs() -> f64 {
    // SAFETY: getrusage writes only the struct it is given.
    let mut usage: nix::libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { nix::libc::getrusage(nix::libc::RUSAGE_CHILDREN, &mut usage) } != 0 {
        return 0.0;
    }
    let secs = |t: nix::libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
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
    let stat = "4242 (notify-rs (x) y) S 1 4242 4242 0 -1 4194560 120 0 0 0 37 5 0 0 20 0 2 0 777";
    assert_eq!(stat_cpu(stat), Some(("notify-rs (x) y".to_string(), 42)));
    assert_eq!(stat_cpu("4242 (x) S 1"), None);
    assert!(cpu_secs(std::process::id()).unwrap() >= 0.0);
    assert!(!thread_cpu_secs(std::process::id()).unwrap().is_empty());
    let own = memory(std::process::id()).unwrap();
    assert!(own.rss_kib > 0 && own.hwm_kib >= own.rss_kib);
    assert!(threads(std::process::id()).unwrap() >= 1);
}
