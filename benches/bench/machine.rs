//! The machine a run measured, for the record next to its table.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub memory_mib: u64,
    pub kernel: String,
}

/// The `model name` of the first CPU in a `/proc/cpuinfo` text.
pub fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo.lines().find_map(|l| {
        let (key, value) = l.split_once(':')?;
        (key.trim() == "model name").then(|| value.trim().to_string())
    })
}

pub fn describe() -> Machine {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    Machine {
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        cpu_model: cpu_model(&read("/proc/cpuinfo")).unwrap_or_else(|| "unknown".into()),
        memory_mib: super::procfs::status_number(&read("/proc/meminfo"), "MemTotal")
            .map_or(0, |kib| kib / 1024),
        kernel: read("/proc/sys/kernel/osrelease").trim().to_string(),
    }
}

/// Self-checks, run when the bench binary starts without `--bench`.
pub fn checks() {
    let info = "processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t\t: fpu\n";
    assert_eq!(cpu_model(info).as_deref(), Some("AMD EPYC 7B13"));
    assert_eq!(cpu_model("processor\t: 0\n"), None);
}
