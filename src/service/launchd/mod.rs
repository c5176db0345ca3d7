//! The launchd backend: devtrack as the LaunchAgent `dev.devtrack` in the
//! user's GUI domain (`gui/<uid>`).
//!
//! Compiled and tested on every platform: the plist ([`agent`]), the
//! `launchctl` argument lists and output parsing ([`launchctl`]), the
//! install steps as data ([`plan`]), the `log` invocations ([`logs`]) and
//! the crash guard's decisions ([`crash_guard`]) are pure;
//! [`LaunchdBackend`] only strings them together and runs the tools, whose
//! paths come from [`LaunchdSettings`] so tests can put recording stand-ins
//! in their place.
//!
//! The running daemon's side, called by `crate::daemon`: the crash guard of
//! a run ([`LaunchdCrashGuard`]) and the os_log layer ([`oslog`], the only
//! part that needs macOS).
//!
//! Lifecycle choices:
//! - install: write the plist (only if it changed), `enable`, `bootout` any
//!   loaded instance and wait until `print` no longer finds it, `bootstrap`.
//! - stop is `bootout`, not `kill SIGTERM`: an unloaded job stays stopped no
//!   matter how the daemon exits, whereas after a signal `KeepAlive` would
//!   relaunch a daemon that exits non-zero. It loads again at the next
//!   login (the plist stays) or with `devtrack start`.
//! - start/restart: `kickstart` / `kickstart -k` a loaded job, `bootstrap`
//!   an unloaded one.
//! - reload runs `devtrack reload --wait` (the control socket), not
//!   `launchctl kill SIGHUP`: a signal returns before the new config is
//!   applied and cannot report a rejected config.

pub(crate) mod agent;
pub mod crash_guard;
pub mod launchctl;
pub(crate) mod logs;
pub(crate) mod oslog;
pub(crate) mod plan;

use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::Context;

use agent::{stable_program_path, AgentSpec};
use crash_guard::CrashGuard;
pub(crate) use crash_guard::LaunchdCrashGuard;
use launchctl::{Domain, Outcome, PrintInfo};
use plan::{InstallPlan, InstallState, Step};

use super::{
    Backend, InstallOptions, InstalledFile, LogOptions, ManagerStatus, ServiceError, ServiceFacts,
};
use crate::exit::{Explain, Hinted, Status};

/// The job label, also the os_log subsystem.
pub(crate) const LABEL: &str = "dev.devtrack";

/// How many times `bootstrap` is tried when it fails with error 5.
pub(crate) const BOOTSTRAP_ATTEMPTS: u32 = 3;

/// Where the backend finds its tools and files. [`LaunchdSettings::from_env`]
/// reads the environment; tests build one directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchdSettings {
    /// `DEVTRACK_LAUNCHCTL`, else `/bin/launchctl`.
    pub launchctl: PathBuf,
    /// `DEVTRACK_LOG`, else `/usr/bin/log`.
    pub log: PathBuf,
    /// `DEVTRACK_LAUNCHD_HOME`, else `HOME`: holds `Library/LaunchAgents`.
    pub home: PathBuf,
    /// `DEVTRACK_UID`, else the real uid: names the `gui/<uid>` domain.
    pub uid: u32,
    /// The binary the agent runs (and that serves `reload --wait`).
    pub program: PathBuf,
    /// The crash guard's file; `None` means the default in the data dir.
    pub crash_guard_file: Option<PathBuf>,
    /// Pause between `launchctl print` polls after a `bootout`, and before
    /// a `bootstrap` retry. launchd offers no notification for "job
    /// unloaded", so polling is the only way; the count bounds it.
    pub poll_interval: Duration,
    pub max_polls: u32,
}

impl LaunchdSettings {
    /// Settings from `env` (a variable lookup) and the running binary's path.
    pub(crate) fn from_lookup(env: impl Fn(&str) -> Option<String>, current_exe: &Path) -> Self {
        let uid = env("DEVTRACK_UID")
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| nix::unistd::getuid().as_raw());
        let home = env("DEVTRACK_LAUNCHD_HOME")
            .or_else(|| env("HOME"))
            .map(PathBuf::from)
            .or_else(|| etcetera::home_dir().ok())
            .unwrap_or_else(|| PathBuf::from("/"));
        LaunchdSettings {
            launchctl: env("DEVTRACK_LAUNCHCTL")
                .map_or_else(|| PathBuf::from("/bin/launchctl"), PathBuf::from),
            log: env("DEVTRACK_LOG").map_or_else(|| PathBuf::from("/usr/bin/log"), PathBuf::from),
            home,
            uid,
            program: stable_program_path(current_exe),
            crash_guard_file: None,
            poll_interval: Duration::from_millis(100),
            max_polls: 50,
        }
    }

    /// Settings from the process environment.
    pub(crate) fn from_env() -> Self {
        // A stable name (`/usr/local/bin`, `~/.cargo/bin`, Homebrew's `opt`
        // link) for the running binary, chosen as for the systemd unit.
        let exe = crate::service::binary_path::stable_binary_path()
            .map(|choice| choice.path)
            .or_else(|_| std::env::current_exe())
            .unwrap_or_else(|_| PathBuf::from("devtrack"));
        Self::from_lookup(|k| std::env::var(k).ok(), &exe)
    }
}

/// The job as `launchctl print` reports it.
enum Job {
    Loaded(PrintInfo),
    NotLoaded,
    /// No `gui/<uid>` domain (SSH session, nobody logged in).
    NoGuiDomain,
}

/// One finished tool run.
struct Ran {
    status: i32,
    stdout: String,
    stderr: String,
}

pub struct LaunchdBackend {
    settings: LaunchdSettings,
}

impl LaunchdBackend {
    pub(crate) fn from_env() -> LaunchdBackend {
        LaunchdBackend::new(LaunchdSettings::from_env())
    }

    pub fn new(settings: LaunchdSettings) -> LaunchdBackend {
        LaunchdBackend { settings }
    }

    /// `~/Library/LaunchAgents/dev.devtrack.plist`
    pub(crate) fn plist_path(&self) -> PathBuf {
        agent::plist_path(&self.settings.home)
    }

    /// The plist this binary would install.
    pub fn render_plist(&self) -> Result<String, ServiceError> {
        Ok(agent::render_plist(&self.spec())?)
    }

    fn spec(&self) -> AgentSpec {
        AgentSpec {
            program: self.settings.program.clone(),
            home: self.settings.home.clone(),
        }
    }

    fn domain(&self) -> Domain {
        Domain::Gui(self.settings.uid)
    }

    fn crash_guard_file(&self) -> PathBuf {
        match &self.settings.crash_guard_file {
            Some(path) => path.clone(),
            None => CrashGuard::file_in(&crate::config::paths::Paths::resolve(None).data_dir),
        }
    }

    // Running tools.

    fn run(&self, program: &Path, args: &[String]) -> Result<Ran, ServiceError> {
        let out = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| {
                ServiceError::no_manager(format!("cannot run `{}`: {e}", program.display()))
                    .with_hint("launchd is only available on macOS")
            })?;
        Ok(Ran {
            status: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }

    fn launchctl(&self, args: &[String]) -> Result<(Outcome, Ran), ServiceError> {
        let ran = self.run(&self.settings.launchctl, args)?;
        Ok((launchctl::classify(ran.status, &ran.stderr), ran))
    }

    /// Runs a `launchctl` call that must succeed.
    fn launchctl_ok(&self, args: &[String]) -> Result<(), ServiceError> {
        match self.launchctl(args)? {
            (Outcome::Ok, _) => Ok(()),
            (Outcome::NoGuiDomain, _) => Err(no_gui_domain(self.domain())),
            (_, ran) => Err(command_failed(args, &ran)),
        }
    }

    /// `launchctl print` (`args`): the job as launchd sees it.
    fn print(&self, args: &[String]) -> Result<Job, ServiceError> {
        match self.launchctl(args)? {
            (Outcome::Ok, ran) => Ok(Job::Loaded(launchctl::parse_print(&ran.stdout))),
            (Outcome::NotFound, _) => Ok(Job::NotLoaded),
            (Outcome::NoGuiDomain, _) => Ok(Job::NoGuiDomain),
            (_, ran) => Err(command_failed(args, &ran)),
        }
    }

    /// `launchctl print`: `Some` when the job is loaded; no GUI domain is an error.
    fn loaded(&self) -> Result<Option<PrintInfo>, ServiceError> {
        self.loaded_by(&launchctl::print(self.domain()))
    }

    /// [`LaunchdBackend::loaded`] with the `print` arguments given.
    fn loaded_by(&self, print: &[String]) -> Result<Option<PrintInfo>, ServiceError> {
        match self.print(print)? {
            Job::Loaded(info) => Ok(Some(info)),
            Job::NotLoaded => Ok(None),
            Job::NoGuiDomain => Err(no_gui_domain(self.domain())),
        }
    }

    /// `bootout`, then polls `print` until launchd has let go of the job:
    /// bootstrapping while the old instance is still being torn down fails
    /// with error 5.
    fn bootout_and_wait(&self, bootout: &[String], print: &[String]) -> Result<(), ServiceError> {
        match self.launchctl(bootout)? {
            (Outcome::Ok | Outcome::NotFound, _) => {}
            (_, ran) => return Err(command_failed(bootout, &ran)),
        }
        for poll in 0..self.settings.max_polls {
            if poll > 0 {
                std::thread::sleep(self.settings.poll_interval);
            }
            if self.loaded_by(print)?.is_none() {
                return Ok(());
            }
        }
        Err(ServiceError::tool(format!(
            "`{LABEL}` is still loaded after `launchctl {}`",
            bootout.join(" ")
        ))
        .with_hint(format!("check `launchctl {}`", print.join(" "))))
    }

    /// `bootstrap`, retrying error 5 (a disabled flag set again meanwhile,
    /// or launchd still unloading) after another `enable`, a bounded number
    /// of times. The caller runs the first `enable`.
    fn bootstrap_with_retries(
        &self,
        args: &[String],
        enable: &[String],
    ) -> Result<(), ServiceError> {
        let plist = self.plist_path();
        let mut last_stderr = String::new();
        for attempt in 0..BOOTSTRAP_ATTEMPTS {
            if attempt > 0 {
                std::thread::sleep(self.settings.poll_interval);
                self.launchctl_ok(enable)?;
            }
            match self.launchctl(args)? {
                (Outcome::Ok, _) => return Ok(()),
                (Outcome::IoError, ran) => last_stderr = ran.stderr,
                (Outcome::NoGuiDomain, _) => return Err(no_gui_domain(self.domain())),
                (_, ran) => return Err(command_failed(args, &ran)),
            }
        }
        Err(hinted_tool(launchctl::io_error_message(
            self.domain(),
            &plist,
            &last_stderr,
        )))
    }

    /// Loads an unloaded agent: `enable`, then `bootstrap` (which starts it
    /// through `RunAtLoad`).
    fn enable_and_bootstrap(&self) -> Result<(), ServiceError> {
        let d = self.domain();
        let enable = launchctl::enable(d);
        self.launchctl_ok(&enable)?;
        self.bootstrap_with_retries(&launchctl::bootstrap(d, &self.plist_path()), &enable)
    }

    /// Stops and unloads the job, waiting until launchd has let go of it.
    fn unload(&self) -> Result<(), ServiceError> {
        let d = self.domain();
        self.bootout_and_wait(&launchctl::bootout(d), &launchctl::print(d))
    }

    /// `start` (`kill_running`: `restart`), asked for by a person: the
    /// crash guard forgets earlier failures; a loaded job is kickstarted
    /// (`-k` kills a running instance first), an unloaded one loaded.
    fn kickstart(&self, kill_running: bool) -> Result<(), ServiceError> {
        self.require_plist()?;
        self.reset_crash_guard()?;
        if self.loaded()?.is_some() {
            self.launchctl_ok(&launchctl::kickstart(self.domain(), kill_running))
        } else {
            self.enable_and_bootstrap()
        }
    }

    fn reset_crash_guard(&self) -> Result<(), ServiceError> {
        Ok(CrashGuard::reset(&self.crash_guard_file())?)
    }

    fn require_plist(&self) -> Result<(), ServiceError> {
        if self.plist_path().exists() {
            Ok(())
        } else {
            Err(ServiceError::NotInstalled)
        }
    }

    /// Writes the plist atomically, creating the LaunchAgents and log dirs.
    fn write_plist(&self, path: &Path, text: &str) -> Result<(), ServiceError> {
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).with_context(|| format!("creating `{}`", dir.display()))?;
        let logs = agent::log_dir(&self.settings.home);
        std::fs::create_dir_all(&logs).with_context(|| format!("creating `{}`", logs.display()))?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)
            .with_context(|| format!("creating a temporary file in `{}`", dir.display()))?;
        tmp.write_all(text.as_bytes())
            .with_context(|| format!("writing `{}`", tmp.path().display()))?;
        // launchd refuses agents writable by others; 0644 like Homebrew's.
        std::fs::set_permissions(
            tmp.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o644),
        )
        .with_context(|| format!("setting permissions of `{}`", tmp.path().display()))?;
        tmp.persist(path)
            .with_context(|| format!("replacing `{}`", path.display()))?;
        Ok(())
    }

    /// What `install-service` looks at: the plist on disk against `text`
    /// and, for a current plist, whether the job is loaded.
    fn install_state(&self, text: &str) -> Result<InstallState, ServiceError> {
        let plist_path = self.plist_path();
        let existing = std::fs::read(&plist_path).ok();
        let plist = agent::classify(existing.as_deref(), text);
        let loaded = match plist {
            InstalledFile::Current => Some(self.loaded()?.is_some()),
            _ => None,
        };
        Ok(InstallState {
            plist_path,
            plist,
            loaded,
            domain: self.domain(),
            crash_guard_file: self.crash_guard_file(),
        })
    }

    /// `install-service --dry-run`: the plist on stdout (so it can be
    /// redirected), on stderr what is there and the plan a real run would
    /// execute.
    fn dry_run(
        &self,
        state: &InstallState,
        text: &str,
        plan: &Result<InstallPlan, ServiceError>,
        opts: &InstallOptions,
    ) {
        let what = match state.plist {
            InstalledFile::Missing => "would write",
            InstalledFile::Current => "unchanged, would keep",
            InstalledFile::Outdated => "outdated, would replace",
            InstalledFile::EditedByHand if opts.force => {
                "edited by hand, would overwrite (--force)"
            }
            InstalledFile::EditedByHand => {
                "edited by hand, would refuse to overwrite without --force"
            }
        };
        eprintln!("{what} `{}`:", state.plist_path.display());
        print!("{text}");
        let Ok(plan) = plan else {
            return;
        };
        if plan.steps.is_empty() {
            eprintln!("would run nothing: {}", plan.summary);
            return;
        }
        eprintln!("would run:");
        for step in &plan.steps {
            eprintln!("  {step}");
        }
    }

    /// Runs one install step; `Ok(false)` ends the install early (no GUI
    /// domain: the plist loads at the next login).
    fn execute(&self, step: &Step) -> Result<bool, ServiceError> {
        match step {
            Step::WritePlist { path, contents } => {
                self.write_plist(path, contents)?;
                println!("wrote `{}`", path.display());
            }
            Step::Enable(args) => match self.launchctl_ok(args) {
                Ok(()) => {}
                Err(e @ ServiceError::NoManager { .. }) => {
                    println!("{}", e.explained());
                    return Ok(false);
                }
                Err(e) => return Err(e),
            },
            Step::BootoutIfLoaded { print, bootout } => {
                if self.loaded_by(print)?.is_some() {
                    self.bootout_and_wait(bootout, print)?;
                }
            }
            Step::ResetCrashGuard(path) => CrashGuard::reset(path)?,
            Step::Bootstrap { bootstrap, enable } => {
                self.bootstrap_with_retries(bootstrap, enable)?
            }
        }
        Ok(true)
    }

    /// `devtrack logs`, writing to `out`.
    pub fn logs_to(&self, opts: &LogOptions, out: &mut dyn Write) -> Result<(), ServiceError> {
        let runs = logs::plan(opts)?;
        for run in runs {
            let mut child = Command::new(&self.settings.log)
                .args(&run.args)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .spawn()
                .map_err(|e| {
                    ServiceError::no_manager(format!(
                        "cannot run `{}`: {e}",
                        self.settings.log.display()
                    ))
                    .with_hint("`log` is only available on macOS")
                })?;
            let stdout = child.stdout.take().expect("stdout is piped");
            let copied = logs::copy_tail(BufReader::new(stdout), out, run.tail);
            let status = child.wait().context("waiting for `log`")?;
            copied.context("copying the output of `log`")?;
            if !status.success() {
                return Err(ServiceError::tool(format!(
                    "`log {}` failed with {status}",
                    run.args.join(" ")
                )));
            }
        }
        Ok(())
    }
}

fn command_failed(args: &[String], ran: &Ran) -> ServiceError {
    ServiceError::tool(launchctl::failure_message(args, ran.status, &ran.stderr))
}

/// No GUI domain to load the agent into.
fn no_gui_domain(domain: Domain) -> ServiceError {
    let Hinted { message, hint } = launchctl::no_gui_domain_message(domain);
    ServiceError::NoManager { message, hint }
}

/// A tool's failure that comes with what to do about it.
fn hinted_tool(failure: Hinted) -> ServiceError {
    let Hinted { message, hint } = failure;
    ServiceError::Tool { message, hint }
}

/// `ManagerStatus` from `launchctl print` (`None`: not loaded), whether the
/// plist exists, and the crash guard's note.
pub fn manager_status(
    info: Option<&PrintInfo>,
    plist: &Path,
    plist_exists: bool,
    home: &Path,
    crash_guard_note: Option<String>,
) -> ManagerStatus {
    let logs_hint = format!(
        "devtrack logs (log show --predicate 'subsystem == \"{LABEL}\"'); crashes: {}",
        agent::stderr_log_path(home).display()
    );
    let Some(info) = info else {
        return ManagerStatus {
            manager: "launchd".into(),
            installed: plist_exists,
            definition: plist_exists.then(|| plist.to_path_buf()),
            state: plist_exists.then(|| "not loaded".to_string()),
            sub_state: crash_guard_note,
            logs_hint,
            ..Default::default()
        };
    };
    let result = match (&info.last_signal, info.last_exit_code) {
        (Some(signal), _) => Some(format!("signal: {signal}")),
        (None, Some(code)) => Some(format!("exit code {code}")),
        (None, None) => None,
    };
    ManagerStatus {
        manager: "launchd".into(),
        installed: true,
        definition: Some(
            info.path
                .as_ref()
                .map_or_else(|| plist.to_path_buf(), PathBuf::from),
        ),
        state: info.state.clone(),
        // The guard's note only matters while the agent is down.
        sub_state: crash_guard_note.filter(|_| info.pid.is_none()),
        main_pid: info.pid,
        started: None,
        restarting: false,
        restart_at: None,
        // `runs` counts every launch since loading; the first is not a restart.
        restarts: info.runs.map(|r| r.saturating_sub(1)),
        memory_bytes: None,
        result,
        linger: None,
        logs_hint,
        note: None,
    }
}

impl Backend for LaunchdBackend {
    fn install(&self, opts: &InstallOptions) -> Result<(), ServiceError> {
        let text = self.render_plist()?;
        let state = self.install_state(&text)?;
        let plan = plan::plan_install(&state, &text, opts);
        if opts.dry_run {
            self.dry_run(&state, &text, &plan, opts);
            return Ok(());
        }
        let plan = plan?;
        for step in &plan.steps {
            if !self.execute(step)? {
                return Ok(());
            }
        }
        println!("{}", plan.summary);
        Ok(())
    }

    fn uninstall(&self) -> Result<(), ServiceError> {
        let path = self.plist_path();
        let loaded = self.loaded()?.is_some();
        if !loaded && !path.exists() {
            println!("devtrack is not installed as a service; nothing to remove");
            return Ok(());
        }
        if loaded {
            self.unload()?;
            println!("stopped and unloaded `{LABEL}`");
        }
        match std::fs::remove_file(&path) {
            Ok(()) => println!("removed `{}`", path.display()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(anyhow::Error::new(e)
                    .context(format!("removing `{}`", path.display()))
                    .into())
            }
        }
        Ok(())
    }

    fn start(&self) -> Result<(), ServiceError> {
        self.kickstart(false)?;
        println!("started `{LABEL}`");
        Ok(())
    }

    fn stop(&self) -> Result<(), ServiceError> {
        self.require_plist()?;
        if self.loaded()?.is_none() {
            println!("`{LABEL}` is not running");
            return Ok(());
        }
        self.unload()?;
        println!("stopped `{LABEL}`; it starts again at the next login or with `devtrack start`");
        Ok(())
    }

    fn restart(&self) -> Result<(), ServiceError> {
        self.kickstart(true)?;
        println!("restarted `{LABEL}`");
        Ok(())
    }

    fn reload(&self) -> Result<(), ServiceError> {
        match self.loaded()? {
            Some(info) if info.pid.is_some() => {}
            _ => {
                return Err(ServiceError::failed(
                    Status::NotRunning,
                    format!("`{LABEL}` is not running"),
                )
                .with_hint("`devtrack start` starts it"))
            }
        }
        let program = &self.settings.program;
        let status = Command::new(program)
            .args(["reload", "--wait"])
            .stdin(Stdio::null())
            // What changed is printed by the caller, from the daemon's
            // `reloaded` event; a rejection's reason stays on stderr.
            .stdout(Stdio::null())
            .status()
            .with_context(|| format!("running `{} reload --wait`", program.display()))?;
        if status.success() {
            Ok(())
        } else {
            // The child is devtrack itself (it printed the reason): its
            // status is one of ours, so it keeps its meaning.
            Err(ServiceError::failed(
                status
                    .code()
                    .and_then(Status::from_code)
                    .unwrap_or(Status::Failure),
                format!("`{} reload --wait` failed with {status}", program.display()),
            ))
        }
    }

    fn is_installed(&self) -> bool {
        self.plist_path().exists()
    }

    fn status(&self) -> Result<ManagerStatus, ServiceError> {
        let plist = self.plist_path();
        // Over SSH without a GUI login the job cannot be loaded; that is a
        // state to show, not an error.
        let info = match self.print(&launchctl::print(self.domain()))? {
            Job::Loaded(info) => Some(info),
            Job::NotLoaded | Job::NoGuiDomain => None,
        };
        let guard = CrashGuard::default();
        let note = guard.describe(&CrashGuard::load(&self.crash_guard_file()));
        Ok(manager_status(
            info.as_ref(),
            &plist,
            plist.exists(),
            &self.settings.home,
            note,
        ))
    }

    fn logs(&self, opts: &LogOptions) -> Result<(), ServiceError> {
        self.logs_to(opts, &mut std::io::stdout().lock())
    }

    fn doctor_facts(&self) -> ServiceFacts {
        let plist = self.plist_path();
        let mut facts = match self.launchctl(&launchctl::print(self.domain())) {
            Ok((Outcome::Ok, ran)) => service_facts(Some(&ran.stdout), &plist, plist.exists()),
            Ok((Outcome::NoGuiDomain, _)) => {
                let mut facts = service_facts(None, &plist, plist.exists());
                facts.unreachable = Some(no_gui_domain(self.domain()).explained());
                facts
            }
            Ok(_) => service_facts(None, &plist, plist.exists()),
            Err(e) => ServiceFacts {
                manager: "launchd".into(),
                unreachable: Some(e.explained()),
                ..Default::default()
            },
        };
        // `log show` reads unified logging; it exists wherever launchd does.
        facts.log = Some(
            if self.settings.log.is_absolute() && !self.settings.log.exists() {
                Err(format!("`{}` not found", self.settings.log.display()))
            } else {
                Ok(())
            },
        );
        facts
    }
}

/// `devtrack doctor`'s view of the agent from `launchctl print
/// gui/UID/dev.devtrack` output (`None`: launchd does not know the job)
/// and whether the plist exists. Pure: tested on recorded output.
pub fn service_facts(print: Option<&str>, plist: &Path, plist_exists: bool) -> ServiceFacts {
    let mut facts = ServiceFacts {
        manager: "launchd".into(),
        installed: plist_exists,
        definition: plist_exists.then(|| plist.to_path_buf()),
        // A loaded job is enabled; `launchctl disable` keeps it from loading.
        enabled: Some(print.is_some()),
        // launchd reads the plist at `bootstrap`; an edit needs a reload
        // it cannot report.
        need_reload: None,
        ..Default::default()
    };
    let Some(text) = print else {
        facts.state = plist_exists.then(|| "not loaded".to_string());
        return facts;
    };
    let info = launchctl::parse_print(text);
    facts.loaded = true;
    facts.active = info.state.as_deref() == Some("running");
    facts.state = info.state;
    facts.main_pid = info.pid;
    facts.program = info.program.map(PathBuf::from);
    if let Some(path) = info.path {
        facts.definition = Some(PathBuf::from(path));
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_honour_the_env_seams() {
        let env = |k: &str| match k {
            "DEVTRACK_LAUNCHCTL" => Some("/tmp/fake/launchctl".to_string()),
            "DEVTRACK_LOG" => Some("/tmp/fake/log".to_string()),
            "DEVTRACK_LAUNCHD_HOME" => Some("/tmp/home".to_string()),
            "HOME" => Some("/Users/alice".to_string()),
            "DEVTRACK_UID" => Some("502".to_string()),
            _ => None,
        };
        let s = LaunchdSettings::from_lookup(
            env,
            Path::new("/opt/homebrew/Cellar/devtrack/1.2.3/bin/devtrack"),
        );
        assert_eq!(s.launchctl, PathBuf::from("/tmp/fake/launchctl"));
        assert_eq!(s.log, PathBuf::from("/tmp/fake/log"));
        assert_eq!(s.home, PathBuf::from("/tmp/home"));
        assert_eq!(s.uid, 502);
        assert_eq!(
            s.program,
            PathBuf::from("/opt/homebrew/opt/devtrack/bin/devtrack")
        );
        assert_eq!(s.crash_guard_file, None);
    }

    #[test]
    fn settings_default_to_the_system_tools() {
        let env = |k: &str| (k == "HOME").then(|| "/Users/alice".to_string());
        let s = LaunchdSettings::from_lookup(env, Path::new("/usr/local/bin/devtrack"));
        assert_eq!(s.launchctl, PathBuf::from("/bin/launchctl"));
        assert_eq!(s.log, PathBuf::from("/usr/bin/log"));
        assert_eq!(s.home, PathBuf::from("/Users/alice"));
        assert_eq!(s.uid, nix::unistd::getuid().as_raw());
        assert_eq!(s.program, PathBuf::from("/usr/local/bin/devtrack"));
    }
}
