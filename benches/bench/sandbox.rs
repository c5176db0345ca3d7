//! An isolated devtrack environment (temporary HOME and XDG directories,
//! nothing inherited but PATH) and the real release binary run in it as a
//! separate process, with a `NOTIFY_SOCKET` owned by the bench so start-up
//! is timed to the `READY=1` datagram.

use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// Safety net for every wait on the daemon; a healthy run is far below it.
pub const SAFETY: Duration = Duration::from_secs(120);

/// How much of the daemon's stderr is kept for error messages.
const LOG_TAIL: usize = 16 * 1024;

/// The daemon under test: the release binary this bench was built with, or
/// the one `DEVTRACK_BENCH_BINARY` names (to measure another build, e.g.
/// the previous release, with the same bench).
pub fn binary() -> PathBuf {
    std::env::var_os("DEVTRACK_BENCH_BINARY")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_devtrack")))
}

pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub home: PathBuf,
    pub config_home: PathBuf,
    pub data_home: PathBuf,
    pub runtime: PathBuf,
    pub repos: PathBuf,
}

impl Sandbox {
    pub fn new() -> Result<Sandbox> {
        // Short paths: a Unix socket path must fit in 108 bytes.
        let dir = tempfile::Builder::new()
            .prefix("dtb")
            .tempdir_in("/tmp")
            .context("creating the sandbox directory")?;
        let root = dir.path().to_path_buf();
        let sb = Sandbox {
            home: root.join("home"),
            config_home: root.join("home/.config"),
            data_home: root.join("home/.local/share"),
            runtime: root.join("run"),
            repos: root.join("repos"),
            dir,
        };
        for d in [&sb.home, &sb.config_home, &sb.data_home, &sb.repos] {
            std::fs::create_dir_all(d).with_context(|| format!("creating `{}`", d.display()))?;
        }
        std::fs::create_dir_all(&sb.runtime)?;
        std::fs::set_permissions(
            &sb.runtime,
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )?;
        Ok(sb)
    }

    pub fn config_path(&self) -> PathBuf {
        self.config_home.join("devtrack/config.yaml")
    }

    pub fn socket(&self) -> PathBuf {
        self.runtime.join("devtrack/control.sock")
    }

    pub fn database(&self) -> PathBuf {
        self.data_home.join("devtrack/devtrack.db")
    }

    pub fn write_config(&self, yaml: &str) -> Result<()> {
        let path = self.config_path();
        std::fs::create_dir_all(path.parent().expect("config has a parent"))?;
        std::fs::write(&path, yaml).with_context(|| format!("writing `{}`", path.display()))
    }

    /// `devtrack ARGS` in this environment. No `WATCHDOG_USEC`: the idle
    /// figures are for a daemon without watchdog pings.
    pub fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut c = Command::new(binary());
        c.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", &self.config_home)
            .env("XDG_DATA_HOME", &self.data_home)
            .env("XDG_RUNTIME_DIR", &self.runtime)
            .env("TZ", "UTC")
            .current_dir(&self.home)
            .stdin(Stdio::null());
        c
    }

    /// Starts `devtrack run`; returns it once it sent `READY=1`, with the
    /// time from just before the spawn to that datagram's arrival.
    pub fn start(&self) -> Result<(Daemon, Duration)> {
        self.start_with(|_| {})
    }

    /// [`Sandbox::start`] with `adjust` applied to the command first (an
    /// extra variable in the daemon's environment).
    pub fn start_with(&self, adjust: impl FnOnce(&mut Command)) -> Result<(Daemon, Duration)> {
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        let notify_path = self
            .dir
            .path()
            .join(format!("notify-{}", SEQ.fetch_add(1, Ordering::Relaxed)));
        let notify = UnixDatagram::bind(&notify_path)
            .with_context(|| format!("binding `{}`", notify_path.display()))?;
        let notes = spawn_notify_reader(notify.try_clone()?);

        let mut cmd = self.command(["run"]);
        cmd.env("NOTIFY_SOCKET", &notify_path)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        adjust(&mut cmd);
        let spawned = Instant::now();
        let mut child = cmd.spawn().context("spawning `devtrack run`")?;
        let pid = child.id();

        let log = Arc::new(Mutex::new(String::new()));
        let (started_tx, started_rx) = mpsc::channel();
        {
            let log = Arc::clone(&log);
            let pipe = child.stderr.take().expect("stderr is piped");
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    if line.contains("devtrack started") {
                        let _ = started_tx.send(());
                    }
                    let mut l = log.lock().unwrap_or_else(|p| p.into_inner());
                    l.push_str(&line);
                    l.push('\n');
                    if l.len() > 2 * LOG_TAIL {
                        let cut = l.len() - LOG_TAIL;
                        let cut = (cut..l.len()).find(|i| l.is_char_boundary(*i)).unwrap_or(0);
                        l.drain(..cut);
                    }
                }
            });
        }
        let (exit_tx, exit_rx) = mpsc::channel();
        std::thread::spawn(move || {
            if let Ok(st) = child.wait() {
                let _ = exit_tx.send(st);
            }
        });

        let mut daemon = Daemon {
            pid,
            notes,
            notify,
            log,
            started: started_rx,
            exit: exit_rx,
            exited: None,
        };
        let ready_at = daemon.wait_note("READY=1")?;
        Ok((daemon, ready_at.saturating_duration_since(spawned)))
    }
}

/// Forwards every datagram with its arrival time. The daemon must never
/// block on a full notify queue (Linux queues only 10 datagrams by default).
fn spawn_notify_reader(sock: UnixDatagram) -> Receiver<(String, Instant)> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 4096];
        while let Ok(n) = sock.recv(&mut buf) {
            let at = Instant::now();
            if n == 0 {
                // Shut down by `Daemon::drop`.
                break;
            }
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            if tx.send((text, at)).is_err() {
                break;
            }
        }
    });
    rx
}

pub struct Daemon {
    pub pid: u32,
    notes: Receiver<(String, Instant)>,
    notify: UnixDatagram,
    log: Arc<Mutex<String>>,
    started: Receiver<()>,
    exit: Receiver<ExitStatus>,
    exited: Option<ExitStatus>,
}

impl Daemon {
    /// Waits for a notify datagram with a line `needle`; returns its arrival.
    pub fn wait_note(&mut self, needle: &str) -> Result<Instant> {
        let deadline = Instant::now() + SAFETY;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.notes.recv_timeout(left) {
                Ok((text, at)) if text.lines().any(|l| l == needle) => return Ok(at),
                Ok(_) => continue,
                Err(e) => {
                    let why = match e {
                        RecvTimeoutError::Timeout => format!("not within {SAFETY:?}"),
                        RecvTimeoutError::Disconnected => "notify socket closed".to_string(),
                    };
                    self.kill();
                    bail!(
                        "the daemon sent no `{needle}` ({why}); exit {:?}; its log:\n{}",
                        self.exited,
                        self.log_tail()
                    );
                }
            }
        }
    }

    /// Waits until the run loop logged that it started (the last thing it
    /// does before waiting for work), so an idle window starts idle.
    pub fn wait_started(&self) -> Result<()> {
        self.started
            .recv_timeout(SAFETY)
            .map_err(|_| anyhow::anyhow!("no `devtrack started` line; log:\n{}", self.log_tail()))
    }

    pub fn log_tail(&self) -> String {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// SIGTERM, then waits for the exit; a daemon that does not stop is an error.
    pub fn stop(mut self) -> Result<()> {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.pid as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .context("sending SIGTERM")?;
        match self.exit.recv_timeout(SAFETY) {
            Ok(st) => {
                self.exited = Some(st);
                if !st.success() {
                    bail!("the daemon exited with {st}; log:\n{}", self.log_tail());
                }
                Ok(())
            }
            Err(_) => {
                self.kill();
                bail!("the daemon did not stop within {SAFETY:?} of SIGTERM")
            }
        }
    }

    fn kill(&mut self) {
        if self.exited.is_some() {
            return;
        }
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.pid as i32),
            nix::sys::signal::Signal::SIGKILL,
        );
        self.exited = self.exit.recv_timeout(SAFETY).ok();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
        // Wakes the notify reader thread so it ends.
        let _ = self.notify.shutdown(std::net::Shutdown::Both);
    }
}
