//! Measuring a process for the figures: a child's wall time and peak RSS,
//! and a running process's high-water mark (`VmHWM` in /proc/PID/status).
//!
//! A child's peak RSS is its own `VmHWM`, read when it is about to exit: the
//! child is traced with `PTRACE_O_TRACEEXIT`, which stops it there with its
//! memory still mapped. `wait4`'s `ru_maxrss` would not do: the kernel
//! carries the forking process's high-water mark over `exec`, so a child of
//! this (large) test process never reports less than the test itself.

use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A finished child: what it printed, how long it ran, its peak RSS.
pub struct Measured {
    pub out: Output,
    pub wall: Duration,
    pub max_rss_kib: u64,
}

/// Runs `cmd` to completion with its output captured; a child still
/// running after `limit` is killed and fails the test (a hang).
pub fn run_measured(cmd: &mut Command, limit: Duration) -> Measured {
    let described = format!("{cmd:?}");
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: ptrace(2) is async-signal-safe, as pre_exec requires.
    unsafe {
        cmd.pre_exec(|| {
            if libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut command = std::mem::replace(cmd, Command::new("true"));
    let (pid_tx, pid_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel();
    let started = Instant::now();
    // Only the thread that forked a tracee may drive it: spawn and trace in
    // one thread.
    std::thread::spawn(move || {
        // Never waited for through std: the trace reaps it.
        #[allow(clippy::zombie_processes)]
        let mut child = command.spawn().unwrap();
        let pid = child.id() as libc::pid_t;
        let _ = pid_tx.send(pid);
        let stdout = drain(child.stdout.take().unwrap());
        let stderr = drain(child.stderr.take().unwrap());
        let (status, max_rss_kib) = trace_until_exit(pid);
        let out = Output {
            status,
            stdout: stdout.join().unwrap(),
            stderr: stderr.join().unwrap(),
        };
        let _ = done_tx.send((out, max_rss_kib));
    });
    let pid = pid_rx.recv().unwrap();
    match done_rx.recv_timeout(limit) {
        Ok((out, max_rss_kib)) => Measured {
            out,
            wall: started.elapsed(),
            max_rss_kib,
        },
        Err(_) => {
            // SAFETY: plain kill(2); the child is not reaped until its tracer
            // sees it die, so the pid is still ours.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("{described} still running after {limit:?}");
        }
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

/// Follows a child that called `PTRACE_TRACEME` until it has exited:
/// its exit status and the `VmHWM` read at its exit stop.
fn trace_until_exit(pid: libc::pid_t) -> (ExitStatus, u64) {
    let mut hwm = 0;
    let mut first = true;
    loop {
        let mut status = 0;
        // SAFETY: waitpid(2) on our own child with an out-parameter.
        let got = unsafe { libc::waitpid(pid, &mut status, 0) };
        assert_eq!(got, pid, "waitpid: {}", std::io::Error::last_os_error());
        if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
            return (ExitStatus::from_raw(status), hwm);
        }
        let mut signal = 0;
        if first {
            // The SIGTRAP of the exec: from now on, stop at the exit too.
            first = false;
            // SAFETY: ptrace(2) on our stopped tracee.
            unsafe {
                libc::ptrace(
                    libc::PTRACE_SETOPTIONS,
                    pid,
                    0,
                    libc::PTRACE_O_TRACEEXIT | libc::PTRACE_O_EXITKILL,
                )
            };
        } else if status >> 8 == (libc::SIGTRAP | (libc::PTRACE_EVENT_EXIT << 8)) {
            hwm = proc_status_kib(pid, "VmHWM");
        } else if libc::WIFSTOPPED(status) {
            // A signal for the child: deliver it.
            signal = libc::WSTOPSIG(status);
        }
        // SAFETY: as above.
        unsafe { libc::ptrace(libc::PTRACE_CONT, pid, 0, signal) };
    }
}

/// A /proc/PID/status field in kB (`VmHWM`, `VmRSS`).
pub fn proc_status_kib(pid: i32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no `{field}` in /proc/{pid}/status"))
}

/// Whole MiB, rounded up, for a figure.
pub fn mib(kib: u64) -> u64 {
    kib.div_ceil(1024)
}
