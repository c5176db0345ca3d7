//! Shared test harness: an isolated environment per test (temporary HOME and
//! XDG directories), the real `devtrack` binary, and a daemon started with a
//! `NOTIFY_SOCKET` owned by the test so start-up is awaited on `READY=1`
//! rather than on a sleep.

#![allow(dead_code)]

/// Headless Chromium through chromedriver (W3C WebDriver), for page tests.
pub mod webdriver;

use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Safety net for every wait: far above anything a healthy run needs.
pub const WAIT: Duration = Duration::from_secs(20);

/// Whether this is CI (`CI` set, and not `false`/`0`): there a test that
/// cannot run must fail, not skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Skips the calling test: fails it in CI, and elsewhere prints `reason`
/// straight to the process's stderr, which libtest does not capture (an
/// `eprintln!` in a passing test is swallowed).
pub fn skip(test: &str, reason: &str) {
    if in_ci() {
        panic!("{test} cannot be skipped in CI (CI=true): {reason}");
    }
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "skipped {test}: {reason}");
}

/// Where `program` is on `PATH`, if it is.
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// Whether any of `programs` is missing from `PATH` (then `test` is
/// skipped, naming them and the Debian `packages` that bring them).
pub fn lacks(test: &str, programs: &[&str], packages: &str) -> bool {
    let missing: Vec<&str> = programs
        .iter()
        .copied()
        .filter(|p| which(p).is_none())
        .collect();
    if !missing.is_empty() {
        skip(
            test,
            &format!(
                "{} not installed (Debian packages: {packages})",
                missing.join(", ")
            ),
        );
    }
    !missing.is_empty()
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_devtrack")
}

pub struct Env {
    pub dir: tempfile::TempDir,
    pub home: PathBuf,
    pub config_home: PathBuf,
    pub data_home: PathBuf,
    pub runtime: PathBuf,
    /// The working directory commands run in.
    pub cwd: PathBuf,
}

impl Default for Env {
    fn default() -> Self {
        Self::new()
    }
}

impl Env {
    pub fn new() -> Env {
        // Short paths: a Unix socket path must fit in ~104 bytes.
        let dir = tempfile::Builder::new()
            .prefix("dt")
            .tempdir_in("/tmp")
            .unwrap();
        let root = dir.path().to_path_buf();
        let env = Env {
            home: root.join("home"),
            config_home: root.join("home/.config"),
            data_home: root.join("home/.local/share"),
            runtime: root.join("run"),
            cwd: root.join("work"),
            dir,
        };
        for d in [&env.home, &env.config_home, &env.data_home, &env.cwd] {
            std::fs::create_dir_all(d).unwrap();
        }
        env
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

    pub fn write_config(&self, yaml: &str) {
        let path = self.config_path();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, yaml).unwrap();
    }

    /// `devtrack ARGS` in this environment (nothing inherited but PATH).
    pub fn cmd<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut c = self.command(bin());
        c.args(args);
        c
    }

    /// `program` with this environment only (nothing inherited but PATH).
    fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", &self.config_home)
            .env("XDG_DATA_HOME", &self.data_home)
            .env("XDG_RUNTIME_DIR", &self.runtime)
            .env("TZ", "UTC")
            // No system bus unless a test brings one: the machine's logind
            // (a locked screen, an idle session) holds no test's prompts.
            .env(
                "DBUS_SYSTEM_BUS_ADDRESS",
                format!("unix:path={}/no-system-bus", self.runtime.display()),
            )
            .current_dir(&self.cwd)
            .stdin(Stdio::null());
        c
    }

    /// `bash -c SCRIPT` in this environment, with the binary in `$DEVTRACK`
    /// (for pipelines such as `"$DEVTRACK" events --json | head -n 1`).
    pub fn shell(&self, script: &str) -> Command {
        let mut c = self.command("bash");
        c.args(["-c", script]).env("DEVTRACK", bin());
        c
    }

    pub fn run<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.cmd(args).output().unwrap()
    }

    /// `status --json`, parsed.
    pub fn status(&self) -> serde_json::Value {
        let out = self.run(["status", "--json"]);
        assert!(out.status.success(), "status failed: {}", text(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// A command printing JSON lines (`history --json`), parsed.
    pub fn json_lines<I, S>(&self, args: I) -> Vec<serde_json::Value>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let out = self.run(args);
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// Starts `devtrack run` and waits for `READY=1`.
    pub fn start(&self) -> Daemon {
        self.start_with(|_| {})
    }

    pub fn start_with(&self, adjust: impl FnOnce(&mut Command)) -> Daemon {
        std::fs::create_dir_all(&self.runtime).unwrap();
        let notify_path = self.dir.path().join(format!(
            "notify-{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let socket = UnixDatagram::bind(&notify_path).unwrap();
        // Read every datagram as it comes, as systemd does: a manager that
        // stopped reading would block the daemon's notifications.
        let (notify_tx, notify) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 4096];
            while let Ok(n) = socket.recv(&mut buf) {
                let msg = String::from_utf8_lossy(&buf[..n]).to_string();
                if notify_tx.send(msg).is_err() {
                    break;
                }
            }
        });
        let mut cmd = self.cmd(["run"]);
        cmd.env("NOTIFY_SOCKET", &notify_path)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        adjust(&mut cmd);
        let mut child = cmd.spawn().unwrap();
        // Drain stderr as it comes so a chatty daemon never blocks on a full pipe.
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let drain = {
            let stderr = stderr.clone();
            let pipe = child.stderr.take().unwrap();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    let mut s = stderr.lock().unwrap();
                    s.push_str(&line);
                    s.push('\n');
                }
            })
        };
        let mut daemon = Daemon {
            stderr,
            drain: Some(drain),
            child,
            notify,
            exit_rx: None,
            exited: None,
            notes: Vec::new(),
        };
        daemon.wait_notify("READY=1");
        daemon
    }
}

/// Runs `cmd` to completion with its output captured, for a command that
/// must end on its own (a refused `devtrack run`): one still running after
/// `limit` is killed and fails the test instead of hanging it.
pub fn output_within(cmd: &mut Command, limit: Duration) -> Output {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            // Not reaped yet (the thread is still waiting), so the PID is ours.
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
            let out = rx.recv_timeout(WAIT).map(|o| o.unwrap());
            panic!(
                "{cmd:?} still running after {limit:?}; {}",
                out.map(|o| text(&o)).unwrap_or_default()
            );
        }
    }
}

pub fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub struct Daemon {
    pub child: Child,
    notify: std::sync::mpsc::Receiver<String>,
    exit_rx: Option<std::sync::mpsc::Receiver<std::process::ExitStatus>>,
    exited: Option<std::process::ExitStatus>,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
    drain: Option<std::thread::JoinHandle<()>>,
    /// Every notify message received so far.
    pub notes: Vec<String>,
}

impl Daemon {
    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Waits for a notify datagram containing `needle`; returns it.
    pub fn wait_notify(&mut self, needle: &str) -> String {
        loop {
            match self.notify.recv_timeout(WAIT) {
                Ok(msg) => {
                    self.notes.push(msg.clone());
                    if msg.lines().any(|l| l == needle || l.starts_with(needle)) {
                        return msg;
                    }
                }
                Err(e) => {
                    let _ = self.child.kill();
                    let out = self.stderr_text();
                    panic!(
                        "no `{needle}` from the daemon ({e}); notes so far {:?}; stderr: {out}",
                        self.notes
                    );
                }
            }
        }
    }

    /// Whether a notify datagram containing `needle` arrived, or arrives
    /// within [`WAIT`]; `false` on timeout, for the caller to assert on.
    pub fn received_notify(&mut self, needle: &str) -> bool {
        let matches = |msg: &str| msg.lines().any(|l| l == needle || l.starts_with(needle));
        if self.notes.iter().any(|n| matches(n)) {
            return true;
        }
        let deadline = Instant::now() + WAIT;
        while let Ok(msg) = self
            .notify
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            self.notes.push(msg.clone());
            if matches(&msg) {
                return true;
            }
        }
        false
    }

    /// Waits for a `STATUS=` line (the status line the service manager
    /// shows) containing `part`, among those received so far or to come;
    /// returns it.
    pub fn wait_status_containing(&mut self, part: &str) -> String {
        let found = |msg: &str| {
            msg.lines()
                .find(|l| l.starts_with("STATUS=") && l.contains(part))
                .map(str::to_string)
        };
        if let Some(line) = self.notes.iter().find_map(|n| found(n)) {
            return line;
        }
        loop {
            let msg = self.wait_notify("STATUS=");
            if let Some(line) = found(&msg) {
                return line;
            }
        }
    }

    pub fn signal(&self, sig: nix::sys::signal::Signal) {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.pid()), sig).unwrap();
    }

    /// Waits for the process to exit, at most `limit`; `None` if it did not.
    /// A helper thread blocks in `waitpid`, so the wait is event-driven.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        if let Some(st) = self.exited {
            return Some(st);
        }
        let rx = self.exit_rx.get_or_insert_with(|| {
            let (tx, rx) = std::sync::mpsc::channel();
            let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
            std::thread::spawn(move || {
                use nix::sys::wait::{waitpid, WaitStatus};
                use std::os::unix::process::ExitStatusExt;
                loop {
                    let st = match waitpid(pid, None) {
                        Ok(WaitStatus::Exited(_, code)) => {
                            std::process::ExitStatus::from_raw(code << 8)
                        }
                        Ok(WaitStatus::Signaled(_, sig, _)) => {
                            std::process::ExitStatus::from_raw(sig as i32)
                        }
                        Ok(_) => continue,
                        Err(_) => return,
                    };
                    let _ = tx.send(st);
                    return;
                }
            });
            rx
        });
        let st = rx.recv_timeout(limit).ok()?;
        self.exited = Some(st);
        Some(st)
    }

    pub fn stop(mut self) -> std::process::ExitStatus {
        self.signal(nix::sys::signal::Signal::SIGTERM);
        self.wait_exit(WAIT).expect("daemon did not stop")
    }

    /// Everything the daemon wrote to stderr (waits for it to exit).
    pub fn stderr_text(&mut self) -> String {
        self.wait_exit(WAIT);
        if let Some(d) = self.drain.take() {
            let _ = d.join();
        }
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if self.exited.is_none() {
            let _ = self.child.kill();
            let _ = self.wait_exit(WAIT);
        }
    }
}

/// `devtrack events --json` as a child; lines read as they come.
pub struct EventStream {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
    /// What the CLI said on stderr once the subscription was live.
    pub announcement: String,
}

impl EventStream {
    pub fn open(env: &Env) -> EventStream {
        EventStream::open_with(env, &["events", "--json"])
    }

    /// `devtrack ARGS` (an `events` command line), once it is live.
    pub fn open_with(env: &Env, args: &[&str]) -> EventStream {
        EventStream::spawn(env.cmd(args))
    }

    /// Runs `cmd` (an `events --json` command line, e.g. as another user)
    /// and returns once its subscription is live.
    pub fn spawn(mut cmd: Command) -> EventStream {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The CLI announces on stderr once the subscription is live.
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut first = String::new();
        stderr.read_line(&mut first).unwrap();
        assert!(first.starts_with("following events"), "events: {first}");
        let stdout: ChildStdout = child.stdout.take().unwrap();
        EventStream {
            child,
            lines: line_channel(stdout),
            announcement: first,
        }
    }

    /// The next line as printed.
    pub fn next_line(&self) -> String {
        self.try_next_line()
            .unwrap_or_else(|| panic!("no event line within {WAIT:?}"))
    }

    /// The next line as printed, or `None` when none came within [`WAIT`]
    /// (for a caller that says more about why).
    pub fn try_next_line(&self) -> Option<String> {
        self.lines.recv_timeout(WAIT).ok()
    }

    /// Waits for an event of type `kind` that satisfies `pred`; returns it.
    pub fn wait_until(
        &self,
        kind: &str,
        pred: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        loop {
            let ev = self.wait_for(kind);
            if pred(&ev) {
                return ev;
            }
        }
    }

    /// Waits for the next event of type `kind`; returns it.
    pub fn wait_for(&self, kind: &str) -> serde_json::Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no `{kind}` event within {WAIT:?}"));
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            if v["event"] == kind {
                return v;
            }
        }
    }

    /// Every event received until one of type `kind` (inclusive).
    pub fn collect_until(&self, kind: &str) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + WAIT;
        let mut all = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no `{kind}` event within {WAIT:?}; got {all:?}"));
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            let done = v["event"] == kind;
            all.push(v);
            if done {
                return all;
            }
        }
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The lines of `pipe` (a child's output), read by a thread as they come;
/// the channel ends with the pipe.
pub fn line_channel(
    pipe: impl std::io::Read + Send + 'static,
) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Makes a git repository with one commit at `path`.
/// A repository with one commit, made two days ago: history from before
/// devtrack (watching it for the first time records only the day's own
/// commits).
pub fn git_repo(path: &Path) {
    std::fs::create_dir_all(path).unwrap();
    git(path, &["init", "-q", "-b", "main"]);
    std::fs::write(path.join("README"), "hello\n").unwrap();
    git(path, &["add", "README"]);
    let two_days_ago = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 2 * 86_400;
    let date = format!("@{two_days_ago} +0000");
    let env = [
        ("GIT_COMMITTER_DATE", date.as_str()),
        ("GIT_AUTHOR_DATE", date.as_str()),
    ];
    git_env(None, path, &env, &["commit", "-q", "-m", "first"]);
}

pub fn git(dir: &Path, args: &[&str]) -> String {
    git_as(None, dir, args)
}

/// [`git`] as the user `uid` when given (for a daemon run without root).
pub fn git_as(uid: Option<u32>, dir: &Path, args: &[&str]) -> String {
    git_env(uid, dir, &[], args)
}

/// [`git_as`] with extra environment.
pub fn git_env(uid: Option<u32>, dir: &Path, env: &[(&str, &str)], args: &[&str]) -> String {
    let mut cmd = Command::new("git");
    if let Some(uid) = uid {
        use std::os::unix::process::CommandExt;
        cmd.uid(uid).gid(uid);
    }
    let out = cmd
        .args([
            "-c",
            "user.name=Dev Eloper",
            "-c",
            "user.email=dev@example.com",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// Writes an executable script at `path`. The file is written by a child
/// process, so no descriptor open for writing on it ever exists in this
/// (multi-threaded) test process: a child forked by another test while this
/// one wrote would inherit that descriptor and make running the script fail
/// with "Text file busy".
pub fn write_script(path: &Path, text: &str) {
    use std::io::Write;
    let mut child = Command::new("sh")
        .args(["-c", "cat > \"$1\" && chmod 755 \"$1\"", "sh"])
        .arg(path)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    assert!(
        child.wait().unwrap().success(),
        "writing {}",
        path.display()
    );
}

/// How many cycles a stress test runs: its CI default, or
/// `DEVTRACK_STRESS_CYCLES` (scripts/gitwatch-stress.sh raises it).
pub fn stress_cycles(default: usize) -> usize {
    std::env::var("DEVTRACK_STRESS_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Whether process `pid` has exited (or is gone) within `within`, waited
/// for on a pidfd, which becomes readable when the process terminates
/// (whoever its parent is, zombie or reaped): no polling.
pub fn wait_exited(pid: i32, within: Duration) -> bool {
    // SAFETY: plain system calls on integers and a local pollfd.
    unsafe {
        let fd = libc::syscall(libc::SYS_pidfd_open, pid, 0) as i32;
        if fd < 0 {
            // ESRCH: no such process any more.
            return std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
        }
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        let ready = libc::poll(&mut pfd, 1, within.as_millis() as i32);
        libc::close(fd);
        ready == 1
    }
}

/// The next message on `rx`, waited for at most [`WAIT`].
pub async fn recv<T>(rx: &mut tokio::sync::mpsc::UnboundedReceiver<T>) -> T {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("a message within the wait")
        .expect("the sender still open")
}

/// Every message on `rx` until all its senders are gone (each message
/// waited for at most [`WAIT`]).
pub async fn recv_all<T: std::fmt::Debug>(
    mut rx: tokio::sync::mpsc::UnboundedReceiver<T>,
) -> Vec<T> {
    let mut all = Vec::new();
    loop {
        match tokio::time::timeout(WAIT, rx.recv()).await {
            Ok(Some(message)) => all.push(message),
            Ok(None) => return all,
            Err(_) => panic!("the senders were not dropped; so far {all:?}"),
        }
    }
}
