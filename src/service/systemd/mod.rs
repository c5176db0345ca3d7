//! systemd: devtrack as a systemd *user* unit, both sides of it.
//!
//! devtrack never daemonizes; the user manager starts `devtrack run`, waits
//! for its READY=1, watches it (WatchdogSec), restarts it on failure and
//! keeps its log in the journal.
//!
//! The CLI's side (`install-service`, `start`, `logs`, ...): this module
//! writes the unit ([`unit`]), decides install/uninstall steps as data
//! ([`plan`]), reads the manager's state ([`show`]) and the journal for
//! `devtrack logs` ([`logs`]); the [`SystemdBackend`] here only gathers
//! state and runs `systemctl --user`, `journalctl --user` and `loginctl`.
//!
//! The running daemon's side, called by `crate::daemon`: the notify
//! protocol (READY=1, STATUS=, RELOADING=1, the watchdog: [`readiness`])
//! and writing to the journal ([`journald`]: is stderr the journal stream,
//! the tracing layer, the entry for a fatal error).
//!
//! `DEVTRACK_SYSTEMCTL`, `DEVTRACK_JOURNALCTL` and `DEVTRACK_LOGINCTL` name
//! the binaries to run instead of the ones on PATH (a seam for tests).

pub(crate) mod journald;
pub(crate) mod logs;
pub(crate) mod plan;
pub(crate) mod readiness;
pub(crate) mod show;
pub(crate) mod unit;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use anyhow::Context;

use super::{binary_path, desktop_entry};
use super::{Backend, InstallOptions, InstalledFile, LogOptions, ManagerStatus, ServiceError};
use crate::exit::{Explain, Status};
use plan::{Action, InstallState};
use show::UnitProperties;
use unit::UNIT_NAME;

/// Where packages install user units; a unit found here is used as is.
const VENDOR_UNIT_DIRS: &[&str] = &[
    "/etc/systemd/user",
    "/usr/local/lib/systemd/user",
    "/usr/lib/systemd/user",
    "/lib/systemd/user",
];

/// The devtrack user unit, driven through systemctl/journalctl/loginctl.
pub(crate) struct SystemdBackend {
    systemctl: PathBuf,
    journalctl: PathBuf,
    loginctl: PathBuf,
    /// `$XDG_CONFIG_HOME/systemd/user`.
    user_unit_dir: PathBuf,
    vendor_unit_dirs: Vec<PathBuf>,
    /// The login name, for `loginctl`.
    user: String,
}

fn tool_from_env(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default))
}

/// `$XDG_CONFIG_HOME/systemd/user`, or `~/.config/systemd/user`.
pub(crate) fn user_unit_dir() -> PathBuf {
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .unwrap_or_else(|| PathBuf::from(".config"));
    config.join("systemd/user")
}

fn current_user() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(|| {
            nix::unistd::User::from_uid(nix::unistd::getuid())
                .ok()
                .flatten()
                .map(|u| u.name)
        })
        .unwrap_or_else(|| nix::unistd::getuid().to_string())
}

impl SystemdBackend {
    pub(crate) fn from_env() -> SystemdBackend {
        SystemdBackend {
            systemctl: tool_from_env("DEVTRACK_SYSTEMCTL", "systemctl"),
            journalctl: tool_from_env("DEVTRACK_JOURNALCTL", "journalctl"),
            loginctl: tool_from_env("DEVTRACK_LOGINCTL", "loginctl"),
            user_unit_dir: user_unit_dir(),
            vendor_unit_dirs: VENDOR_UNIT_DIRS.iter().map(PathBuf::from).collect(),
            user: current_user(),
        }
    }

    /// `$XDG_CONFIG_HOME/systemd/user/devtrack.service`.
    pub(crate) fn user_unit_path(&self) -> PathBuf {
        self.user_unit_dir.join(UNIT_NAME)
    }

    fn vendor_unit(&self) -> Option<PathBuf> {
        self.vendor_unit_dirs
            .iter()
            .map(|dir| dir.join(UNIT_NAME))
            .find(|p| p.exists())
    }

    fn run_captured(&self, program: &Path, args: &[String]) -> Result<Output, ServiceError> {
        Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    ServiceError::no_manager(format!(
                        "`{}` not found: systemd does not seem to be installed",
                        program.display()
                    ))
                    .with_hint(super::WITHOUT_MANAGER)
                } else {
                    ServiceError::Other(
                        anyhow::Error::new(e).context(format!("running `{}`", program.display())),
                    )
                }
            })
    }

    fn systemctl(&self, args: &[String]) -> Result<Output, ServiceError> {
        let mut full = vec!["--user".to_string()];
        full.extend_from_slice(args);
        self.run_captured(&self.systemctl, &full)
    }

    /// Runs `systemctl --user ARGS`, turning a failure into a
    /// [`ServiceError::Tool`] naming systemctl's status and message.
    fn systemctl_checked(&self, args: &[String]) -> Result<(), ServiceError> {
        let out = self.systemctl(args)?;
        if out.status.success() {
            return Ok(());
        }
        Err(command_failed(
            &format!("systemctl --user {}", args.join(" ")),
            &out,
            None,
        ))
    }

    /// Runs a `systemctl --user` call that starts the daemon (`start`,
    /// `restart`, `enable --now`); a failure says why the start failed as
    /// far as the manager recorded it (start limit, exit status 78, ...).
    fn systemctl_start(&self, args: &[String]) -> Result<(), ServiceError> {
        let out = self.systemctl(args)?;
        if out.status.success() {
            return Ok(());
        }
        let command = format!("systemctl --user {}", args.join(" "));
        let after = self.properties().unwrap_or_default();
        Err(match show::explain_failed_start(&after) {
            Some(why) => ServiceError::Tool {
                message: format!(
                    "{UNIT_NAME} did not start (`{command}` failed): {}",
                    why.message
                ),
                hint: why.hint,
            },
            None => command_failed(
                &command,
                &out,
                Some("`devtrack logs -n 20` shows why the daemon did not start"),
            ),
        })
    }

    /// `start` or `restart`, asked for by a person: the unit's failed state
    /// and its start limit are cleared first (`reset-failed`), so an earlier
    /// crash loop that hit the limit does not refuse this start.
    fn start_verb(&self, verb: &str) -> Result<(), ServiceError> {
        self.require_installed()?;
        self.systemctl_checked(&["reset-failed".to_string(), UNIT_NAME.to_string()])?;
        self.systemctl_start(&[verb.to_string(), UNIT_NAME.to_string()])
    }

    /// Fails with [`ServiceError::NoManager`] unless the user manager answers.
    pub(crate) fn check_manager(&self) -> Result<(), ServiceError> {
        let out = self.systemctl(&["show-environment".to_string()])?;
        if out.status.success() {
            return Ok(());
        }
        let said = String::from_utf8_lossy(&out.stderr).trim().to_string();
        Err(ServiceError::no_manager(format!(
            "no systemd user manager is reachable (`systemctl --user` said: {})",
            if said.is_empty() { "nothing" } else { &said }
        ))
        .with_hint(format!(
            "without a user manager (WSL without systemd, a root shell, a container), {}",
            super::WITHOUT_MANAGER
        )))
    }

    /// The manager's view of devtrack.service.
    pub(crate) fn properties(&self) -> Result<UnitProperties, ServiceError> {
        let out = self.systemctl(&[
            "show".to_string(),
            show::SHOW_TIMESTAMP_ARG.to_string(),
            UNIT_NAME.to_string(),
            "-p".to_string(),
            show::SHOW_PROPERTIES.to_string(),
        ])?;
        if !out.status.success() {
            return Err(command_failed(
                &format!("systemctl --user show {UNIT_NAME}"),
                &out,
                None,
            ));
        }
        Ok(show::parse_show(&String::from_utf8_lossy(&out.stdout)))
    }

    /// Whether lingering is on for the user: logind's own record
    /// (`/var/lib/systemd/linger/USER`) when present, else `loginctl`.
    fn linger(&self) -> Option<bool> {
        let dir = Path::new("/var/lib/systemd/linger");
        if dir.is_dir() {
            return Some(dir.join(&self.user).exists());
        }
        let out = self
            .run_captured(
                &self.loginctl,
                &[
                    "show-user".to_string(),
                    self.user.clone(),
                    "-p".to_string(),
                    "Linger".to_string(),
                ],
            )
            .ok()?;
        if !out.status.success() {
            return None;
        }
        show::parse_linger(&String::from_utf8_lossy(&out.stdout))
    }

    /// The loaded unit, or [`ServiceError::NotInstalled`].
    fn require_installed(&self) -> Result<UnitProperties, ServiceError> {
        self.check_manager()?;
        let props = self.properties()?;
        if !props.is_loaded() {
            return Err(ServiceError::NotInstalled);
        }
        Ok(props)
    }

    fn execute(&self, action: &Action) -> Result<(), ServiceError> {
        match action {
            Action::WriteFile { path, contents } => {
                write_atomically(path, contents)?;
                println!("wrote {}", path.display());
            }
            Action::RemoveFile(path) => {
                let result = if path.is_dir() {
                    std::fs::remove_dir_all(path)
                } else {
                    std::fs::remove_file(path)
                };
                result
                    .with_context(|| format!("removing `{}`", path.display()))
                    .map_err(ServiceError::Other)?;
                println!("removed {}", path.display());
            }
            Action::Systemctl(args) => {
                let starts = args
                    .iter()
                    .any(|a| matches!(a.as_str(), "--now" | "start" | "restart" | "try-restart"));
                if starts {
                    self.systemctl_start(args)?;
                } else {
                    self.systemctl_checked(args)?;
                }
                println!("ran {action}");
            }
            Action::Loginctl(args) => {
                let out = self.run_captured(&self.loginctl, args)?;
                if !out.status.success() {
                    return Err(command_failed(&action.to_string(), &out, None));
                }
                println!("ran {action}");
            }
        }
        Ok(())
    }

    /// What `devtrack logs` needs to know to explain an empty journal.
    fn journal_facts(&self) -> logs::JournalFacts {
        let manager_reachable = self.check_manager().is_ok();
        let installed =
            manager_reachable && self.properties().map(|p| p.is_loaded()).unwrap_or(false);
        let (reads_all_journals, pending_group) = journal_groups(&self.user);
        logs::JournalFacts {
            journald_running: Path::new(journald::SOCKET).exists(),
            persistent: Path::new("/var/log/journal").is_dir(),
            manager_reachable,
            installed,
            reads_all_journals,
            pending_group,
        }
    }

    /// Runs `journalctl -n 1` to see whether anything is shown at all;
    /// explains an empty result.
    fn probe_journal(&self) -> Result<Option<logs::Diagnosis>, ServiceError> {
        let probe = self.run_captured(
            &self.journalctl,
            &logs::journalctl_args(&LogOptions {
                lines: Some(1),
                ..LogOptions::default()
            })?,
        )?;
        if logs::has_entries(&String::from_utf8_lossy(&probe.stdout)) {
            return Ok(None);
        }
        Ok(logs::diagnose_empty_journal(
            &String::from_utf8_lossy(&probe.stderr),
            &self.journal_facts(),
        ))
    }
}

/// Whether this process reads every journal (root, or a journal group in
/// this session), and a journal group `user` is listed in that this
/// session lacks.
fn journal_groups(user: &str) -> (bool, Option<String>) {
    use nix::unistd::{getegid, geteuid, getgroups, Group};
    if geteuid().is_root() {
        return (true, None);
    }
    let mut active = getgroups().unwrap_or_default();
    active.push(getegid());
    let mut pending = None;
    for name in logs::JOURNAL_GROUPS {
        let Ok(Some(group)) = Group::from_name(name) else {
            continue;
        };
        if active.contains(&group.gid) {
            return (true, None);
        }
        if pending.is_none() && group.mem.iter().any(|m| m == user) {
            pending = Some(name.to_string());
        }
    }
    (false, pending)
}

/// A failed manager command as a [`ServiceError::Tool`]: its own status is
/// in the message, not in devtrack's exit status.
fn command_failed(command: &str, out: &Output, hint: Option<&str>) -> ServiceError {
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    let mut message = match out.status.code() {
        Some(status) => format!("`{command}` failed (exit status {status})"),
        None => format!("`{command}` failed ({})", out.status),
    };
    if !stderr.is_empty() {
        message.push_str(": ");
        message.push_str(&stderr);
    }
    let error = ServiceError::tool(message);
    match hint {
        Some(hint) => error.with_hint(hint),
        None => error,
    }
}

/// Writes `contents` to `path` through a temp file in the same directory and
/// a rename, so the manager never reads a half-written unit.
fn write_atomically(path: &Path, contents: &str) -> Result<(), ServiceError> {
    let dir = path.parent().context("the path has no parent")?;
    let inner = || -> anyhow::Result<()> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating `{}`", dir.display()))?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".devtrack.")
            .tempfile_in(dir)
            .with_context(|| format!("creating a temporary file in `{}`", dir.display()))?;
        tmp.write_all(contents.as_bytes())
            .and_then(|_| tmp.as_file().sync_all())
            .with_context(|| format!("writing `{}`", tmp.path().display()))?;
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644))
                .with_context(|| format!("setting the mode of `{}`", tmp.path().display()))?;
        }
        tmp.persist(path)
            .map_err(|e| e.error)
            .with_context(|| format!("renaming the new file onto `{}`", path.display()))?;
        Ok(())
    };
    inner().map_err(ServiceError::Other)
}

impl Backend for SystemdBackend {
    fn install(&self, opts: &InstallOptions) -> Result<(), ServiceError> {
        let reachable = match self.check_manager() {
            Ok(()) => true,
            Err(e) if opts.dry_run => {
                println!(
                    "# {}\n# (showing what a fresh install would do)",
                    e.explained()
                );
                false
            }
            Err(e) => return Err(e),
        };
        let choice = binary_path::stable_binary_path()
            .context("finding the devtrack binary")
            .map_err(ServiceError::Other)?;
        if let Some(warning) = &choice.warning {
            eprintln!("devtrack: warning: {}", warning.explained());
        }
        if let Some(problem) = unit::exec_path_problem(&choice.path) {
            return Err(ServiceError::failed(Status::Failure, problem).with_hint(
                "install devtrack under a plain path such as \
                 `/usr/local/bin` or `~/.local/bin` and run `install-service` from there",
            ));
        }
        let unit_text = unit::render_unit(&choice.path);
        let path = self.user_unit_path();
        let existing = match std::fs::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(ServiceError::Other(
                    anyhow::Error::new(e).context(format!("reading `{}`", path.display())),
                ))
            }
        };
        let props = if reachable {
            self.properties()?
        } else {
            UnitProperties::default()
        };
        let state = InstallState {
            user_unit_path: path.clone(),
            user_unit: unit::classify_unit(existing.as_deref(), &unit_text),
            vendor_unit: self.vendor_unit(),
            props,
            linger: self.linger(),
            user: self.user.clone(),
            desktop_files: desktop_entry::to_write(
                &desktop_entry::user_data_dir(),
                Path::new(desktop_entry::SYSTEM_DATA_DIR)
                    .join("applications/devtrack.desktop")
                    .exists(),
                &|p| std::fs::read_to_string(p).ok(),
            ),
        };
        let plan = plan::plan_install(&state, &unit_text, opts)?;
        if opts.dry_run {
            println!("# {}: {}", path.display(), describe(state.user_unit));
            print!("{unit_text}");
            println!("# commands install-service would run:");
            if plan.actions.is_empty() {
                println!("# (none: {})", plan.summary);
            }
            for action in &plan.actions {
                println!("{action}");
            }
            return Ok(());
        }
        if let Some(Action::Loginctl(_)) = plan.actions.last() {
            println!(
                "enabling lingering for `{}`: devtrack will start at boot and keep running \
                 after you log out",
                self.user
            );
        }
        for action in &plan.actions {
            self.execute(action)?;
        }
        println!("{}", plan.summary);
        Ok(())
    }

    fn uninstall(&self) -> Result<(), ServiceError> {
        self.check_manager()?;
        let path = self.user_unit_path();
        let props = self.properties()?;
        let drop_in = plan::drop_in_dir(&path);
        let Some(mut actions) =
            plan::plan_uninstall(&path, path.exists(), drop_in.is_dir(), &props)
        else {
            println!("devtrack is not installed as a service; nothing to remove");
            return Ok(());
        };
        actions.extend(
            desktop_entry::to_remove(&desktop_entry::user_data_dir(), &|p| {
                std::fs::read_to_string(p).ok()
            })
            .into_iter()
            .map(Action::RemoveFile),
        );
        for action in &actions {
            self.execute(action)?;
        }
        if !path.exists() {
            if let Some(vendor) = self.vendor_unit() {
                println!(
                    "disabled devtrack.service; the packaged unit `{}` stays (remove the package to delete it)",
                    vendor.display()
                );
                return Ok(());
            }
        }
        println!("devtrack service removed");
        Ok(())
    }

    fn start(&self) -> Result<(), ServiceError> {
        self.start_verb("start")?;
        println!("devtrack started");
        Ok(())
    }

    fn stop(&self) -> Result<(), ServiceError> {
        let props = self.require_installed()?;
        // `stop` runs either way: it also cancels a pending auto-restart.
        let running = props.is_active() || props.active_state.as_deref() == Some("deactivating");
        self.systemctl_checked(&["stop".to_string(), UNIT_NAME.to_string()])?;
        println!(
            "{}",
            if running {
                "devtrack stopped"
            } else {
                "devtrack was not running"
            }
        );
        Ok(())
    }

    fn restart(&self) -> Result<(), ServiceError> {
        self.start_verb("restart")?;
        println!("devtrack restarted");
        Ok(())
    }

    /// `systemctl --user reload`, which runs `ExecReload` (`devtrack reload
    /// --wait`). A failure is reported as systemctl's; the daemon itself
    /// holds the verdict (`devtrack reload` asks it).
    fn reload(&self) -> Result<(), ServiceError> {
        let props = self.require_installed()?;
        if !props.is_active() {
            return Err(ServiceError::failed(
                Status::NotRunning,
                "devtrack is not running, so there is nothing to reload",
            )
            .with_hint("`devtrack start`"));
        }
        if props.can_reload == Some(false) {
            return Err(ServiceError::ReloadUnsupported);
        }
        // What changed is the daemon's to say (`devtrack reload` follows its
        // events); the manager knows only that it worked.
        self.systemctl_checked(&["reload".to_string(), UNIT_NAME.to_string()])
    }

    fn doctor_facts(&self) -> crate::service::ServiceFacts {
        let mut facts = crate::service::ServiceFacts {
            manager: "systemd user manager".into(),
            ..Default::default()
        };
        if let Err(e) = self.check_manager() {
            facts.unreachable = Some(e.explained());
            return facts;
        }
        let props = match self.properties() {
            Ok(props) => props,
            Err(e) => {
                facts.unreachable = Some(e.explained());
                return facts;
            }
        };
        facts.installed = self.user_unit_path().exists() || self.vendor_unit().is_some();
        facts.definition = props.fragment_path.clone();
        facts.loaded = props.is_loaded();
        facts.enabled = Some(props.is_enabled());
        facts.active = props.active_state.as_deref() == Some("active");
        facts.state = props.active_state.as_ref().map(|a| match &props.sub_state {
            Some(sub) => format!("{a} ({sub})"),
            None => a.clone(),
        });
        facts.need_reload = Some(props.need_daemon_reload);
        facts.main_pid = props.main_pid.filter(|pid| *pid != 0);
        facts.program = self
            .systemctl(&[
                "show".to_string(),
                UNIT_NAME.to_string(),
                "-p".to_string(),
                "ExecStart".to_string(),
                "--value".to_string(),
            ])
            .ok()
            .filter(|out| out.status.success())
            .and_then(|out| show::exec_start_path(&String::from_utf8_lossy(&out.stdout)));
        facts.linger = self.linger();
        facts.log = Some(match self.probe_journal() {
            Ok(Some(d)) if d.hopeless => Err(d.text()),
            Ok(_) => Ok(()),
            Err(e) => Err(e.explained()),
        });
        facts.environment = self
            .systemctl(&["show-environment".to_string()])
            .ok()
            .filter(|out| out.status.success())
            .map(|out| show::parse_environment(&String::from_utf8_lossy(&out.stdout)));
        facts
    }

    fn daemon_environment(&self) -> Result<Option<Vec<(String, String)>>, ServiceError> {
        let out = self.systemctl(&["show-environment".to_string()])?;
        if !out.status.success() {
            return Err(command_failed(
                "systemctl --user show-environment",
                &out,
                None,
            ));
        }
        let mut vars = show::parse_environment(&String::from_utf8_lossy(&out.stdout));
        let unit = self.systemctl(&[
            "show".to_string(),
            UNIT_NAME.to_string(),
            "-p".to_string(),
            "Environment".to_string(),
            "--value".to_string(),
        ])?;
        if unit.status.success() {
            for (name, value) in
                show::parse_unit_environment(&String::from_utf8_lossy(&unit.stdout))
            {
                vars.retain(|(n, _)| *n != name);
                vars.push((name, value));
            }
        }
        Ok(Some(vars))
    }

    fn is_installed(&self) -> bool {
        if self.user_unit_path().exists() || self.vendor_unit().is_some() {
            return true;
        }
        self.check_manager().is_ok() && self.properties().map(|p| p.is_loaded()).unwrap_or(false)
    }

    fn status(&self) -> Result<ManagerStatus, ServiceError> {
        self.check_manager()?;
        let props = self.properties()?;
        Ok(ManagerStatus {
            note: show::not_running_note(&props, self.vendor_unit().is_some())
                .map(|note| note.explained()),
            ..show::manager_status(&props, self.linger())
        })
    }

    fn logs(&self, opts: &LogOptions) -> Result<(), ServiceError> {
        let args = logs::journalctl_args(opts)?;
        if opts.follow {
            // Say up front when following would show nothing at all.
            if let Some(d) = self.probe_journal()? {
                if d.hopeless {
                    return Err(d.into_error());
                }
                eprintln!("devtrack: warning: {}", d.text());
            }
            let status = Command::new(&self.journalctl)
                .args(&args)
                .status()
                .with_context(|| format!("running `{}`", self.journalctl.display()))
                .map_err(ServiceError::Other)?;
            return match status.code() {
                Some(0) | None => Ok(()),
                Some(code) => Err(ServiceError::tool(format!(
                    "`journalctl {}` failed (exit status {code})",
                    args.join(" ")
                ))),
            };
        }
        let out = self.run_captured(&self.journalctl, &args)?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if logs::has_entries(&stdout) {
            // Whatever else journalctl said, it showed entries.
            print_flushed(&stdout)?;
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        if let Some(d) = logs::diagnose_empty_journal(&stderr, &self.journal_facts()) {
            return Err(d.into_error());
        }
        if !out.status.success() {
            return Err(command_failed(
                &format!("journalctl {}", args.join(" ")),
                &out,
                None,
            ));
        }
        eprintln!("devtrack: no log entries for {UNIT_NAME}");
        Ok(())
    }
}

/// Writes `text` to stdout; a closed stdout is the caller's to handle.
fn print_flushed(text: &str) -> Result<(), ServiceError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| ServiceError::Other(anyhow::Error::new(e).context("writing the log")))
}

fn describe(state: InstalledFile) -> &'static str {
    match state {
        InstalledFile::Missing => "not installed yet",
        InstalledFile::Current => "installed and up to date",
        InstalledFile::Outdated => "installed by an older devtrack or from another binary path",
        InstalledFile::EditedByHand => "edited by hand",
    }
}
