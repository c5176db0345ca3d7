//! What `install-service` and `uninstall-service` do, decided as data: the
//! current state goes in, the list of [`Action`]s (file writes and exact
//! `systemctl` / `loginctl` argument lists) comes out. `--dry-run` prints the
//! list; a real run executes it in order.

use std::fmt;
use std::path::PathBuf;

use crate::service::{InstallOptions, InstalledFile, ServiceError};

use super::show::UnitProperties;
use super::unit::UNIT_NAME;

/// One step of an install or uninstall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    /// Write a file atomically (temp file + rename in the same dir): the
    /// unit, the desktop entry, the icon.
    WriteFile {
        path: PathBuf,
        contents: String,
    },
    RemoveFile(PathBuf),
    /// `systemctl --user ARGS...`
    Systemctl(Vec<String>),
    /// `loginctl ARGS...`
    Loginctl(Vec<String>),
}

impl Action {
    fn systemctl(args: &[&str]) -> Action {
        Action::Systemctl(args.iter().map(|a| a.to_string()).collect())
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::WriteFile { path, .. } => write!(f, "write {}", path.display()),
            Action::RemoveFile(path) => write!(f, "rm {}", path.display()),
            Action::Systemctl(args) => write!(f, "systemctl --user {}", args.join(" ")),
            Action::Loginctl(args) => write!(f, "loginctl {}", args.join(" ")),
        }
    }
}

/// Everything `install-service` looks at before deciding.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct InstallState {
    /// `$XDG_CONFIG_HOME/systemd/user/devtrack.service`.
    pub user_unit_path: PathBuf,
    /// Our file at `user_unit_path` compared with what we would write now.
    pub user_unit: InstalledFile,
    /// A unit shipped by a package (`/usr/lib/systemd/user/devtrack.service`).
    pub vendor_unit: Option<PathBuf>,
    /// The manager's view before we change anything.
    pub props: UnitProperties,
    /// Whether lingering is already on; `None` when unknown.
    pub linger: Option<bool>,
    /// The desktop entry and icon to write under `~/.local/share`
    /// (`desktop_entry::to_write`).
    pub desktop_files: Vec<(PathBuf, &'static str)>,
    /// The user to enable lingering for.
    pub user: String,
}

/// The decided install: what to do and a one-line summary for the user.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct InstallPlan {
    pub actions: Vec<Action>,
    pub summary: String,
}

/// Decides what `install-service` must do. `unit_text` is the rendered unit.
pub(crate) fn plan_install(
    state: &InstallState,
    unit_text: &str,
    opts: &InstallOptions,
) -> Result<InstallPlan, ServiceError> {
    let mut actions = Vec::new();
    let summary;
    let uses_vendor_unit = state.user_unit == InstalledFile::Missing && state.vendor_unit.is_some();
    if uses_vendor_unit {
        let vendor = state.vendor_unit.as_ref().expect("checked above");
        enable_or_start(state, opts, &mut actions);
        summary = if actions.is_empty() {
            format!(
                "devtrack.service (from `{}`) is already enabled and running; nothing to do",
                vendor.display()
            )
        } else {
            format!("using the packaged unit `{}`", vendor.display())
        };
    } else {
        let write = Action::WriteFile {
            path: state.user_unit_path.clone(),
            contents: unit_text.to_string(),
        };
        match state.user_unit {
            InstalledFile::Missing => {
                actions.push(write);
                actions.push(Action::systemctl(&["daemon-reload"]));
                actions.push(enable_action(opts));
                summary = format!("installed `{}`", state.user_unit_path.display());
            }
            InstalledFile::Current => {
                if state.props.need_daemon_reload {
                    actions.push(Action::systemctl(&["daemon-reload"]));
                }
                enable_or_start(state, opts, &mut actions);
                summary = if actions.is_empty() {
                    format!(
                        "`{}` is up to date and the service is enabled{}; nothing to do",
                        state.user_unit_path.display(),
                        if state.props.is_active() {
                            " and running"
                        } else {
                            ""
                        }
                    )
                } else {
                    format!("`{}` is up to date", state.user_unit_path.display())
                };
            }
            InstalledFile::EditedByHand if !opts.force => {
                return Err(ServiceError::failed(
                    crate::exit::Status::Failure,
                    format!(
                        "`{}` was edited by hand (its hash stamp does not match); not overwriting it",
                        state.user_unit_path.display()
                    ),
                )
                .with_hint(format!(
                    "keep local changes in a drop-in (`systemctl --user edit {UNIT_NAME}`) \
                     and run `devtrack install-service --force` to replace the file"
                )));
            }
            InstalledFile::Outdated | InstalledFile::EditedByHand => {
                actions.push(write);
                actions.push(Action::systemctl(&["daemon-reload"]));
                if !state.props.is_enabled() {
                    actions.push(Action::systemctl(&["enable", UNIT_NAME]));
                }
                // `restart` also starts a stopped unit; with --no-start only a
                // running daemon is restarted onto the new unit.
                let verb = if opts.no_start {
                    "try-restart"
                } else {
                    "restart"
                };
                actions.push(Action::systemctl(&[verb, UNIT_NAME]));
                summary = format!("updated `{}`", state.user_unit_path.display());
            }
        }
    }
    // Before any start: the first notification already names devtrack.
    let first_start = actions
        .iter()
        .position(
            |a| matches!(a, Action::Systemctl(args) if args.iter().any(|a| a != "daemon-reload")),
        )
        .unwrap_or(actions.len());
    let desktop = state
        .desktop_files
        .iter()
        .map(|(path, contents)| Action::WriteFile {
            path: path.clone(),
            contents: contents.to_string(),
        });
    actions.splice(first_start..first_start, desktop);
    if opts.linger && state.linger != Some(true) {
        actions.push(Action::Loginctl(vec![
            "enable-linger".to_string(),
            state.user.clone(),
        ]));
    }
    Ok(InstallPlan { actions, summary })
}

fn enable_action(opts: &InstallOptions) -> Action {
    if opts.no_start {
        Action::systemctl(&["enable", UNIT_NAME])
    } else {
        Action::systemctl(&["enable", "--now", UNIT_NAME])
    }
}

/// For a unit that is already in place: enable it if needed, start it if it
/// should run and does not.
fn enable_or_start(state: &InstallState, opts: &InstallOptions, actions: &mut Vec<Action>) {
    let start_needed = !opts.no_start && !state.props.is_active();
    if !state.props.is_enabled() {
        actions.push(enable_action(opts));
    } else if start_needed {
        actions.push(Action::systemctl(&["start", UNIT_NAME]));
    }
}

/// Decides what `uninstall-service` must do. `None` when nothing is installed.
pub(crate) fn plan_uninstall(
    user_unit_path: &std::path::Path,
    user_unit_exists: bool,
    drop_in_dir_exists: bool,
    props: &UnitProperties,
) -> Option<Vec<Action>> {
    if !user_unit_exists && !props.is_loaded() && !props.is_active() {
        return None;
    }
    let mut actions = Vec::new();
    // A failed unit stays loaded and listed until its result is reset. Only
    // then: an inactive unit is unloaded as soon as it is disabled, and
    // `reset-failed` on an unloaded unit fails.
    if props.active_state.as_deref() == Some("failed") {
        actions.push(Action::systemctl(&["reset-failed", UNIT_NAME]));
    }
    if props.is_loaded() || props.is_active() {
        actions.push(Action::systemctl(&["disable", "--now", UNIT_NAME]));
    }
    if user_unit_exists {
        actions.push(Action::RemoveFile(user_unit_path.to_path_buf()));
        if drop_in_dir_exists {
            actions.push(Action::RemoveFile(drop_in_dir(user_unit_path)));
        }
        actions.push(Action::systemctl(&["daemon-reload"]));
    }
    Some(actions)
}

/// `devtrack.service.d/` next to the unit file.
pub(crate) fn drop_in_dir(user_unit_path: &std::path::Path) -> PathBuf {
    user_unit_path.with_file_name(format!("{UNIT_NAME}.d"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::systemd::show::parse_show;

    fn state(user_unit: InstalledFile, show: &str) -> InstallState {
        InstallState {
            user_unit_path: PathBuf::from("/home/me/.config/systemd/user/devtrack.service"),
            user_unit,
            vendor_unit: None,
            props: parse_show(show),
            linger: Some(false),
            user: "me".to_string(),
            desktop_files: Vec::new(),
        }
    }

    const ABSENT: &str = "LoadState=not-found\nActiveState=inactive\nUnitFileState=\n";
    const RUNNING: &str = "LoadState=loaded\nActiveState=active\nUnitFileState=enabled\n";
    const STOPPED: &str = "LoadState=loaded\nActiveState=inactive\nUnitFileState=enabled\n";
    const DISABLED: &str = "LoadState=loaded\nActiveState=inactive\nUnitFileState=disabled\n";

    fn install_plan(
        user_unit: InstalledFile,
        show: &str,
        opts: &InstallOptions,
    ) -> Result<InstallPlan, ServiceError> {
        plan_install(&state(user_unit, show), "UNIT", opts)
    }

    fn default_install(user_unit: InstalledFile, show: &str) -> InstallPlan {
        install_plan(user_unit, show, &InstallOptions::default()).unwrap()
    }

    fn cmds(plan: &InstallPlan) -> Vec<String> {
        plan.actions.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn fresh_install_writes_reloads_and_enables_now() {
        let plan = default_install(InstalledFile::Missing, ABSENT);
        assert_eq!(
            plan.actions[0],
            Action::WriteFile {
                path: PathBuf::from("/home/me/.config/systemd/user/devtrack.service"),
                contents: "UNIT".to_string()
            }
        );
        assert_eq!(
            cmds(&plan)[1..],
            [
                "systemctl --user daemon-reload",
                "systemctl --user enable --now devtrack.service"
            ]
        );
    }

    #[test]
    fn fresh_install_with_no_start_only_enables() {
        let opts = InstallOptions {
            no_start: true,
            ..Default::default()
        };
        let plan = install_plan(InstalledFile::Missing, ABSENT, &opts).unwrap();
        assert_eq!(cmds(&plan)[2], "systemctl --user enable devtrack.service");
    }

    #[test]
    fn unchanged_and_running_does_nothing() {
        let plan = default_install(InstalledFile::Current, RUNNING);
        assert!(plan.actions.is_empty());
        assert!(plan.summary.contains("nothing to do"), "{}", plan.summary);
    }

    #[test]
    fn unchanged_but_stopped_is_started() {
        let plan = default_install(InstalledFile::Current, STOPPED);
        assert_eq!(cmds(&plan), ["systemctl --user start devtrack.service"]);
    }

    #[test]
    fn unchanged_but_disabled_is_enabled() {
        let plan = default_install(InstalledFile::Current, DISABLED);
        assert_eq!(
            cmds(&plan),
            ["systemctl --user enable --now devtrack.service"]
        );
    }

    #[test]
    fn outdated_unit_is_rewritten_reloaded_and_restarted() {
        let plan = default_install(InstalledFile::Outdated, RUNNING);
        assert_eq!(
            cmds(&plan),
            [
                "write /home/me/.config/systemd/user/devtrack.service",
                "systemctl --user daemon-reload",
                "systemctl --user restart devtrack.service"
            ]
        );
    }

    #[test]
    fn outdated_with_no_start_restarts_only_a_running_daemon() {
        let opts = InstallOptions {
            no_start: true,
            ..Default::default()
        };
        let plan = install_plan(InstalledFile::Outdated, RUNNING, &opts).unwrap();
        assert_eq!(
            cmds(&plan)[2],
            "systemctl --user try-restart devtrack.service"
        );
    }

    #[test]
    fn hand_edited_unit_needs_force() {
        let err = install_plan(
            InstalledFile::EditedByHand,
            RUNNING,
            &InstallOptions::default(),
        )
        .unwrap_err();
        let message = err.to_string();
        assert!(message.contains("edited by hand"), "{message}");
        assert!(message.contains("--force"), "{message}");

        let forced = InstallOptions {
            force: true,
            ..Default::default()
        };
        let plan = install_plan(InstalledFile::EditedByHand, RUNNING, &forced).unwrap();
        assert!(matches!(plan.actions[0], Action::WriteFile { .. }));
    }

    #[test]
    fn vendor_unit_is_enabled_instead_of_writing_a_copy() {
        let mut st = state(InstalledFile::Missing, DISABLED);
        st.vendor_unit = Some(PathBuf::from("/usr/lib/systemd/user/devtrack.service"));
        let plan = plan_install(&st, "UNIT", &InstallOptions::default()).unwrap();
        assert_eq!(
            cmds(&plan),
            ["systemctl --user enable --now devtrack.service"]
        );
        assert!(plan.summary.contains("/usr/lib/systemd/user"));

        st.props = parse_show(RUNNING);
        let plan = plan_install(&st, "UNIT", &InstallOptions::default()).unwrap();
        assert!(plan.actions.is_empty());
    }

    #[test]
    fn linger_is_enabled_only_when_asked_and_not_on() {
        let opts = InstallOptions {
            linger: true,
            ..Default::default()
        };
        let plan = install_plan(InstalledFile::Current, RUNNING, &opts).unwrap();
        assert_eq!(cmds(&plan), ["loginctl enable-linger me"]);

        let mut lingering = state(InstalledFile::Current, RUNNING);
        lingering.linger = Some(true);
        let plan = plan_install(&lingering, "UNIT", &opts).unwrap();
        assert!(plan.actions.is_empty());

        let plan = default_install(InstalledFile::Current, RUNNING);
        assert!(plan.actions.is_empty());
    }

    #[test]
    fn uninstall_nothing_installed() {
        let path = PathBuf::from("/home/me/.config/systemd/user/devtrack.service");
        assert_eq!(
            plan_uninstall(&path, false, false, &parse_show(ABSENT)),
            None
        );
    }

    #[test]
    fn uninstall_resets_a_failed_unit_first() {
        let path = PathBuf::from("/home/me/.config/systemd/user/devtrack.service");
        let failed = "LoadState=loaded\nActiveState=failed\nUnitFileState=enabled\n";
        let actions = plan_uninstall(&path, true, false, &parse_show(failed)).unwrap();
        assert_eq!(
            actions[..2],
            [
                Action::systemctl(&["reset-failed", UNIT_NAME]),
                Action::systemctl(&["disable", "--now", UNIT_NAME])
            ]
        );
    }

    #[test]
    fn uninstall_disables_removes_and_reloads() {
        let path = PathBuf::from("/home/me/.config/systemd/user/devtrack.service");
        let actions = plan_uninstall(&path, true, true, &parse_show(RUNNING)).unwrap();
        let cmds: Vec<String> = actions.iter().map(|a| a.to_string()).collect();
        assert_eq!(
            cmds,
            [
                "systemctl --user disable --now devtrack.service",
                "rm /home/me/.config/systemd/user/devtrack.service",
                "rm /home/me/.config/systemd/user/devtrack.service.d",
                "systemctl --user daemon-reload"
            ]
        );
    }
}
