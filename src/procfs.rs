//! What the kernel says about a process's resources: CPU time, resident and
//! virtual memory, open descriptors and inotify watches. One home for
//! reading `/proc`, because `devtrack status`, `devtrack metrics` (the
//! daemon asks it of itself when asked, with no timer) and the benches
//! (which measure a daemon from outside) all need the same fields: the
//! parsers are pure functions of the files' text, [`read_self`] is the
//! only I/O.
//!
//! On macOS there is no `/proc`: [`read_self`] gives CPU time
//! (`getrusage`), open descriptors (`/dev/fd`) and the descriptor limit
//! (`getrlimit`), and leaves memory, the start time and inotify watches
//! out (`None`), since no cheap call gives the current resident size there.

/// A `Key:   1234 kB` field of a `/proc/*/status` text, in KiB (or the
/// bare number for counters such as `voluntary_ctxt_switches`).
pub fn status_number(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(key)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// The fields of a `/proc/*/stat` line that devtrack reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    /// The command name (`comm`), without its parentheses.
    pub name: String,
    /// User plus system CPU time, in clock ticks.
    pub cpu_ticks: u64,
    /// When the process started, in clock ticks after boot.
    pub start_ticks: u64,
}

impl Stat {
    /// Parses a `/proc/*/stat` text. The name is in parentheses and may
    /// itself hold spaces and parentheses, so fields are counted from the
    /// last `)`.
    pub fn parse(stat: &str) -> Option<Stat> {
        let open = stat.find('(')?;
        let close = stat.rfind(')')?;
        let name = stat.get(open + 1..close)?.to_string();
        // After the name: state (3rd field), …, utime (14th), stime (15th),
        // …, starttime (22nd).
        let rest: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        let field = |i: usize| rest.get(i)?.parse::<u64>().ok();
        Some(Stat {
            name,
            cpu_ticks: field(11)? + field(12)?,
            start_ticks: field(19)?,
        })
    }
}

/// The boot time (`btime`, Unix seconds) of a `/proc/stat` text.
pub fn boot_time(proc_stat: &str) -> Option<u64> {
    proc_stat
        .lines()
        .find_map(|l| l.strip_prefix("btime ")?.trim().parse().ok())
}

/// The watches an inotify descriptor holds: one `inotify wd:` line each in
/// its `/proc/*/fdinfo/<fd>` text.
pub fn inotify_watches(fdinfo: &str) -> u64 {
    fdinfo
        .lines()
        .filter(|l| l.starts_with("inotify wd:"))
        .count() as u64
}

/// The process's resources at one moment; `None` where the platform does
/// not say cheaply.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Usage {
    /// User plus system CPU time of every thread, live and ended.
    pub cpu_secs: f64,
    /// Resident memory (`VmRSS`).
    pub rss_bytes: Option<u64>,
    /// Its private part: heap and stacks (`RssAnon`).
    pub rss_anon_bytes: Option<u64>,
    /// Virtual memory (`VmSize`).
    pub virtual_bytes: Option<u64>,
    pub open_fds: Option<u64>,
    /// The soft limit on open descriptors.
    pub max_fds: Option<u64>,
    /// Unix seconds.
    pub start_time_secs: Option<f64>,
    /// Over every inotify instance of the process.
    pub inotify_watches: Option<u64>,
}

/// This process's resources now: a few small reads of `/proc/self`.
pub(crate) fn read_self() -> Usage {
    let mut usage = Usage {
        cpu_secs: own_cpu_secs(),
        max_fds: max_fds(),
        ..Usage::default()
    };
    #[cfg(target_os = "linux")]
    {
        if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
            let bytes = |key| status_number(&status, key).map(|kib| kib * 1024);
            usage.rss_bytes = bytes("VmRSS");
            usage.rss_anon_bytes = bytes("RssAnon");
            usage.virtual_bytes = bytes("VmSize");
        }
        usage.start_time_secs = start_time_secs();
        let (fds, watches) = descriptors("/proc/self/fd");
        usage.open_fds = fds;
        usage.inotify_watches = watches;
    }
    #[cfg(not(target_os = "linux"))]
    {
        usage.open_fds = descriptors("/dev/fd").0;
    }
    usage
}

/// User plus system CPU time of this process, in seconds.
fn own_cpu_secs() -> f64 {
    // SAFETY: getrusage writes only the struct it is given.
    let mut usage: nix::libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { nix::libc::getrusage(nix::libc::RUSAGE_SELF, &mut usage) } != 0 {
        return 0.0;
    }
    let secs = |t: nix::libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

fn max_fds() -> Option<u64> {
    // SAFETY: getrlimit writes only the struct it is given.
    let mut limit: nix::libc::rlimit = unsafe { std::mem::zeroed() };
    if unsafe { nix::libc::getrlimit(nix::libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return None;
    }
    (limit.rlim_cur != nix::libc::RLIM_INFINITY).then_some(limit.rlim_cur as u64)
}

/// Clock ticks per second (`_SC_CLK_TCK`).
pub fn ticks_per_sec() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { nix::libc::sysconf(nix::libc::_SC_CLK_TCK) };
    if t > 0 {
        t as f64
    } else {
        100.0
    }
}

#[cfg(target_os = "linux")]
fn start_time_secs() -> Option<f64> {
    let stat = Stat::parse(&std::fs::read_to_string("/proc/self/stat").ok()?)?;
    let boot = boot_time(&std::fs::read_to_string("/proc/stat").ok()?)?;
    Some(boot as f64 + stat.start_ticks as f64 / ticks_per_sec())
}

/// The open descriptors listed in `dir` (not counting the one listing it)
/// and, on Linux, the watches of those that are inotify instances.
fn descriptors(dir: &str) -> (Option<u64>, Option<u64>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (None, None);
    };
    let mut fds = 0u64;
    let mut watches = 0u64;
    for entry in entries.flatten() {
        fds += 1;
        // Only Linux's `/proc/self/fd` links name what a descriptor is; a
        // descriptor closed since the listing reads as nothing.
        if cfg!(target_os = "linux")
            && std::fs::read_link(entry.path())
                .is_ok_and(|target| target.as_os_str() == "anon_inode:inotify")
        {
            let info = format!("/proc/self/fdinfo/{}", entry.file_name().to_string_lossy());
            watches += std::fs::read_to_string(info)
                .map(|t| inotify_watches(&t))
                .unwrap_or(0);
        }
    }
    // The directory being read is itself an open descriptor.
    (
        Some(fds.saturating_sub(1)),
        cfg!(target_os = "linux").then_some(watches),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_fields() {
        let status = "Name:\tdevtrack\nVmHWM:\t    9876 kB\nVmRSS:\t    5432 kB\n\
                      RssAnon:\t    1200 kB\nvoluntary_ctxt_switches:\t12\n\
                      nonvoluntary_ctxt_switches:\t3\n";
        let cases = [
            ("VmRSS", Some(5432)),
            ("VmHWM", Some(9876)),
            ("RssAnon", Some(1200)),
            ("VmSwap", None),
            // `voluntary` must not match the tail of `nonvoluntary`.
            ("voluntary_ctxt_switches", Some(12)),
            ("nonvoluntary_ctxt_switches", Some(3)),
            // Nor a key that is a prefix of another.
            ("Vm", None),
        ];
        for (key, want) in cases {
            assert_eq!(status_number(status, key), want, "{key}");
        }
    }

    #[test]
    fn stat_lines() {
        let stat = "4242 (notify-rs (x) y) S 1 4242 4242 0 -1 4194560 120 0 0 0 37 5 0 0 20 0 2 0 \
                    98765 12345678 300";
        assert_eq!(
            Stat::parse(stat),
            Some(Stat {
                name: "notify-rs (x) y".into(),
                cpu_ticks: 42,
                start_ticks: 98765,
            })
        );
        assert_eq!(Stat::parse("4242 (x) S 1"), None);
        assert_eq!(Stat::parse("no parentheses 1 2 3"), None);
    }

    #[test]
    fn boot_time_and_inotify_watches() {
        let proc_stat = "cpu  1 2 3\nintr 5\nctxt 77\nbtime 1765150000\nprocesses 9\n";
        assert_eq!(boot_time(proc_stat), Some(1_765_150_000));
        assert_eq!(boot_time("cpu 1\n"), None);
        let fdinfo = "pos:\t0\nflags:\t02004000\nmnt_id:\t15\nino:\t1057\n\
                      inotify wd:2 ino:1a2b sdev:800001 mask:fce ignored_mask:0\n\
                      inotify wd:1 ino:1a2c sdev:800001 mask:fce ignored_mask:0\n";
        assert_eq!(inotify_watches(fdinfo), 2);
        assert_eq!(inotify_watches("pos:\t0\nflags:\t02\n"), 0);
    }

    #[test]
    fn this_process_reads_itself() {
        let usage = read_self();
        assert!(usage.open_fds.is_some_and(|n| n >= 3), "{usage:?}");
        if cfg!(target_os = "linux") {
            let (rss, anon) = (usage.rss_bytes.unwrap(), usage.rss_anon_bytes.unwrap());
            assert!(rss > 0 && anon <= rss, "{usage:?}");
            assert!(usage.virtual_bytes.unwrap() >= rss, "{usage:?}");
            // Started after the year 2020 and not in the future.
            let start = usage.start_time_secs.unwrap();
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs_f64();
            assert!(start > 1.6e9 && start <= now + 1.0, "{start}");
            // An inotify instance of our own, with one watch, reads as one
            // (other tests' instances in this process come and go).
            use std::os::fd::{AsFd, AsRawFd};
            let dir = tempfile::tempdir().unwrap();
            let ino =
                nix::sys::inotify::Inotify::init(nix::sys::inotify::InitFlags::empty()).unwrap();
            ino.add_watch(dir.path(), nix::sys::inotify::AddWatchFlags::IN_CREATE)
                .unwrap();
            let fd = ino.as_fd().as_raw_fd();
            let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}")).unwrap();
            assert_eq!(inotify_watches(&info), 1, "{info}");
            assert!(read_self().inotify_watches.unwrap() >= 1);
        }
    }
}
