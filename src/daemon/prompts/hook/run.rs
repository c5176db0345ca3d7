//! Running one hook: the process in its own process group, the prompt's
//! JSON written to its stdin (then closed) while its stdout and stderr are
//! read into bounded captures, all at once, so a hook that never reads its
//! input or writes a lot of output cannot wedge anything. At the timeout
//! the whole group gets SIGTERM, and SIGKILL 5 s later if any of it is
//! still there; a run dropped before it finished (the daemon exiting)
//! kills the group at once.
//!
//! After the hook exits, its output is read until it closes or until the
//! timeout, whichever is first: a process the hook left running in the
//! background with the hook's stdout open does not hold the report back
//! beyond the timeout, and is left alone (the hook exited by itself).

use std::future::Future;
use std::pin::Pin;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};
use tokio::time::{sleep_until, Instant};

use super::command::{HookCommand, REMOVED};
use super::outcome::{Capture, Ended, Run};

/// How long a hook has between SIGTERM and SIGKILL.
pub(crate) const KILL_GRACE: Duration = Duration::from_secs(5);

/// Runs `command` with `input` on stdin; never fails, the failure is in
/// the [`Run`].
pub(crate) async fn run(command: &HookCommand, input: &[u8], timeout: Duration) -> Run {
    let mut cmd = Command::new(&command.program);
    cmd.args(&command.args)
        .current_dir(&command.cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    for name in REMOVED {
        cmd.env_remove(name);
    }
    for (name, value) in &command.env {
        cmd.env(name, value);
    }
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            return Run {
                ended: Ended::NotStarted(format!("`{}`: {e}", command.program.display())),
                stdout: Capture::default(),
                stderr: Capture::default(),
                output_left_open: false,
            }
        }
    };
    let group = GroupGuard(child.id().map(|pid| Pid::from_raw(pid as i32)));
    let (mut stdout, mut stderr) = (Capture::default(), Capture::default());
    let stdin = child.stdin.take();
    let (out, err) = (child.stdout.take(), child.stderr.take());
    let io: Pin<Box<dyn Future<Output = ()> + Send + '_>> = Box::pin(async {
        let write = async {
            if let Some(mut stdin) = stdin {
                // A hook that exits without reading gives EPIPE: fine.
                let _ = stdin.write_all(input).await;
            }
        };
        tokio::join!(write, drain(out, &mut stdout), drain(err, &mut stderr));
    });
    let (ended, io_done) = supervise(&mut child, &group, io, timeout).await;
    group.disarm();
    Run {
        ended,
        stdout,
        stderr,
        output_left_open: !io_done,
    }
}

/// Waits for the hook while `io` runs; returns how it ended and whether
/// `io` finished (its output closed).
async fn supervise(
    child: &mut Child,
    group: &GroupGuard,
    mut io: Pin<Box<dyn Future<Output = ()> + Send + '_>>,
    timeout: Duration,
) -> (Ended, bool) {
    let deadline = Instant::now() + timeout;
    let mut io_done = false;
    // Until it exits or the timeout.
    let status = loop {
        tokio::select! {
            status = child.wait() => break Some(status),
            () = &mut io, if !io_done => io_done = true,
            () = sleep_until(deadline) => break None,
        }
    };
    if let Some(status) = status {
        // Exited by itself: its output until it closes, or the timeout.
        if !io_done {
            tokio::select! {
                () = &mut io => io_done = true,
                () = sleep_until(deadline) => {}
            }
        }
        return (exited(status), io_done);
    }
    // Timed out: SIGTERM to the group; SIGKILL if any of it is left after
    // the grace (there is no event for a process group becoming empty, so
    // once the leader is gone and the output closed, the group is probed).
    group.signal(Signal::SIGTERM);
    let grace = Instant::now() + KILL_GRACE;
    let mut leader_done = false;
    let mut sigkill = false;
    loop {
        if leader_done && io_done && !group.alive() {
            break;
        }
        tokio::select! {
            _ = child.wait(), if !leader_done => leader_done = true,
            () = &mut io, if !io_done => io_done = true,
            () = sleep_until(grace) => {
                group.signal(Signal::SIGKILL);
                sigkill = true;
                break;
            }
        }
    }
    if !leader_done {
        // SIGKILL cannot be ignored: this returns.
        let _ = child.wait().await;
    }
    if !io_done {
        // The killed group's pipes close at once; only a process that left
        // the group (setsid) could keep them open, so this wait is bounded.
        io_done = tokio::time::timeout(KILL_GRACE, &mut io).await.is_ok();
    }
    drop(io);
    (
        Ended::TimedOut {
            after: timeout,
            sigkill,
        },
        io_done,
    )
}

fn exited(status: std::io::Result<ExitStatus>) -> Ended {
    use std::os::unix::process::ExitStatusExt;
    match status {
        Ok(status) => match (status.code(), status.signal()) {
            (Some(code), _) => Ended::Exited(code),
            (None, Some(signal)) => Ended::Signaled(signal),
            (None, None) => Ended::Exited(-1),
        },
        Err(e) => Ended::NotStarted(format!("waiting for it: {e}")),
    }
}

/// Reads `pipe` to its end into `capture` (all of it is read, so the hook
/// never blocks on a full pipe; only the start is kept).
async fn drain(pipe: Option<impl AsyncRead + Unpin>, capture: &mut Capture) {
    let Some(mut pipe) = pipe else { return };
    let mut buf = [0u8; 8192];
    loop {
        match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => capture.push(&buf[..n]),
        }
    }
}

/// The hook's process group (its pid: it was started as the group's
/// leader). Dropped while armed, it kills the group: a run abandoned
/// mid-way (the daemon exiting) leaves nothing behind.
struct GroupGuard(Option<Pid>);

impl GroupGuard {
    fn signal(&self, signal: Signal) {
        if let Some(pid) = self.0 {
            // ESRCH: the whole group is already gone.
            let _ = killpg(pid, signal);
        }
    }

    /// Whether any process is left in the group.
    fn alive(&self) -> bool {
        self.0.is_some_and(|pid| killpg(pid, None).is_ok())
    }

    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        self.signal(Signal::SIGKILL);
    }
}
