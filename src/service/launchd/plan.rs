//! What `install-service` does on launchd, decided as data: the plist's
//! state and what is known about the job go in, the list of [`Step`]s with
//! their exact `launchctl` argument lists comes out. `--dry-run` prints the
//! list; a real run executes it in order, so the two cannot drift apart.
//!
//! Whether the job is loaded is asked before planning only when the plist
//! is current (a loaded job then means there is nothing to do); otherwise
//! the question is the plan's own step ([`Step::BootoutIfLoaded`]), asked
//! after `enable`, because launchd has no notification for "unloaded" and
//! the answer decides whether to wait for the old job to go.

use std::fmt;
use std::path::PathBuf;

use crate::service::{InstallOptions, InstalledFile, ServiceError};

use super::launchctl::{self, Domain};
use super::LABEL;

/// One step of an install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// Write the plist atomically (mode 0644), creating
    /// `~/Library/LaunchAgents` and the agent's log directory.
    WritePlist { path: PathBuf, contents: String },
    /// `launchctl enable <service>`: clears a leftover "disabled" flag.
    /// Without a GUI domain the install ends here, successfully: the plist
    /// is in place and loads at the next login.
    Enable(Vec<String>),
    /// `launchctl print <service>`; when that finds the job loaded,
    /// `launchctl bootout <service>`, then `print` again until launchd has
    /// let go of it (a bounded number of times).
    BootoutIfLoaded {
        print: Vec<String>,
        bootout: Vec<String>,
    },
    /// Forget earlier failed starts: this is a fresh attempt.
    ResetCrashGuard(PathBuf),
    /// `launchctl bootstrap <domain> <plist>` (`RunAtLoad` starts the
    /// daemon); on error 5 `enable` again and retry, a bounded number of
    /// times.
    Bootstrap {
        bootstrap: Vec<String>,
        enable: Vec<String>,
    },
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::WritePlist { path, .. } => write!(f, "write {}", path.display()),
            Step::Enable(args) => write!(f, "launchctl {}", args.join(" ")),
            Step::BootoutIfLoaded { print, bootout } => write!(
                f,
                "launchctl {} (only if `launchctl {}` finds it loaded; then waits until it is gone)",
                bootout.join(" "),
                print.join(" ")
            ),
            Step::ResetCrashGuard(path) => write!(f, "rm {} (the crash guard)", path.display()),
            Step::Bootstrap { bootstrap, enable } => write!(
                f,
                "launchctl {} (on error 5: `launchctl {}` and again)",
                bootstrap.join(" "),
                enable.join(" ")
            ),
        }
    }
}

/// Everything `install-service` looks at before deciding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InstallState {
    /// `~/Library/LaunchAgents/dev.devtrack.plist`.
    pub plist_path: PathBuf,
    /// The file at `plist_path` compared with what this binary would write.
    pub plist: InstalledFile,
    /// Whether the job is loaded, when already asked (a current plist);
    /// `None` leaves the question to [`Step::BootoutIfLoaded`].
    pub loaded: Option<bool>,
    /// The user's `gui/<uid>` domain.
    pub domain: Domain,
    /// The crash guard's file.
    pub crash_guard_file: PathBuf,
}

/// The decided install: its steps and the line printed when all ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InstallPlan {
    pub steps: Vec<Step>,
    pub summary: String,
}

/// Decides what `install-service` must do. `plist_text` is the rendered plist.
pub(crate) fn plan_install(
    state: &InstallState,
    plist_text: &str,
    opts: &InstallOptions,
) -> Result<InstallPlan, ServiceError> {
    let path = &state.plist_path;
    let domain = state.domain;
    if state.plist == InstalledFile::EditedByHand && !opts.force {
        return Err(ServiceError::failed(
            crate::exit::Status::Failure,
            format!("`{}` was edited by hand; leaving it alone", path.display()),
        )
        .with_hint(
            "`devtrack install-service --dry-run` shows what would be written, \
             `--force` overwrites it",
        ));
    }
    if state.plist == InstalledFile::Current && state.loaded == Some(true) {
        return Ok(InstallPlan {
            steps: Vec::new(),
            summary: format!(
                "`{LABEL}` is installed and up to date (`{}`); nothing to do",
                path.display()
            ),
        });
    }
    let mut steps = Vec::new();
    if state.plist != InstalledFile::Current {
        steps.push(Step::WritePlist {
            path: path.clone(),
            contents: plist_text.to_string(),
        });
    }
    steps.push(Step::Enable(launchctl::enable(domain)));
    if state.loaded != Some(false) {
        steps.push(Step::BootoutIfLoaded {
            print: launchctl::print(domain),
            bootout: launchctl::bootout(domain),
        });
    }
    if opts.no_start {
        return Ok(InstallPlan {
            steps,
            summary: format!("`{LABEL}` starts at the next login; `devtrack start` starts it now"),
        });
    }
    steps.push(Step::ResetCrashGuard(state.crash_guard_file.clone()));
    steps.push(Step::Bootstrap {
        bootstrap: launchctl::bootstrap(domain, path),
        enable: launchctl::enable(domain),
    });
    Ok(InstallPlan {
        steps,
        summary: format!(
            "`{LABEL}` is loaded and running (`launchctl print {}`)",
            domain.service_target()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::Explain;

    const PLIST: &str = "/Users/a/Library/LaunchAgents/dev.devtrack.plist";

    fn state(plist: InstalledFile, loaded: Option<bool>) -> InstallState {
        InstallState {
            plist_path: PathBuf::from(PLIST),
            plist,
            loaded,
            domain: Domain::Gui(501),
            crash_guard_file: PathBuf::from("/data/launchd-crash-guard.json"),
        }
    }

    fn plan(
        plist: InstalledFile,
        loaded: Option<bool>,
        opts: &InstallOptions,
    ) -> Result<InstallPlan, ServiceError> {
        plan_install(&state(plist, loaded), "PLIST", opts)
    }

    fn steps(plan: &InstallPlan) -> Vec<String> {
        plan.steps.iter().map(Step::to_string).collect()
    }

    const WRITE: &str = "write /Users/a/Library/LaunchAgents/dev.devtrack.plist";
    const ENABLE: &str = "launchctl enable gui/501/dev.devtrack";
    const BOOTOUT: &str = "launchctl bootout gui/501/dev.devtrack (only if `launchctl print \
                           gui/501/dev.devtrack` finds it loaded; then waits until it is gone)";
    const RESET: &str = "rm /data/launchd-crash-guard.json (the crash guard)";
    const BOOTSTRAP: &str = "launchctl bootstrap gui/501 \
                             /Users/a/Library/LaunchAgents/dev.devtrack.plist \
                             (on error 5: `launchctl enable gui/501/dev.devtrack` and again)";

    #[test]
    fn plans_for_every_plist_state() {
        use InstalledFile::{Current, EditedByHand, Missing, Outdated};
        let start = InstallOptions::default();
        let no_start = InstallOptions {
            no_start: true,
            ..Default::default()
        };
        let forced = InstallOptions {
            force: true,
            ..Default::default()
        };
        let all = [WRITE, ENABLE, BOOTOUT, RESET, BOOTSTRAP];
        let table: &[(InstalledFile, Option<bool>, &InstallOptions, &[&str])] = &[
            // A new or replaced plist: an old job may still be loaded.
            (Missing, None, &start, &all),
            (Outdated, None, &start, &all),
            (EditedByHand, None, &forced, &all),
            (Missing, None, &no_start, &[WRITE, ENABLE, BOOTOUT]),
            // A current plist, known to be unloaded: load it again.
            (Current, Some(false), &start, &[ENABLE, RESET, BOOTSTRAP]),
            (Current, Some(false), &no_start, &[ENABLE]),
            // A current plist and a loaded job: nothing.
            (Current, Some(true), &start, &[]),
            (Current, Some(true), &forced, &[]),
        ];
        for (plist, loaded, opts, want) in table {
            let plan = plan(*plist, *loaded, opts).unwrap();
            assert_eq!(steps(&plan), *want, "{plist:?} loaded {loaded:?} {opts:?}");
        }
    }

    #[test]
    fn steps_carry_the_exact_argument_lists() {
        assert_eq!(
            plan(InstalledFile::Missing, None, &InstallOptions::default())
                .unwrap()
                .steps,
            [
                Step::WritePlist {
                    path: PathBuf::from(PLIST),
                    contents: "PLIST".to_string()
                },
                Step::Enable(vec!["enable".into(), "gui/501/dev.devtrack".into()]),
                Step::BootoutIfLoaded {
                    print: vec!["print".into(), "gui/501/dev.devtrack".into()],
                    bootout: vec!["bootout".into(), "gui/501/dev.devtrack".into()],
                },
                Step::ResetCrashGuard(PathBuf::from("/data/launchd-crash-guard.json")),
                Step::Bootstrap {
                    bootstrap: vec!["bootstrap".into(), "gui/501".into(), PLIST.into()],
                    enable: vec!["enable".into(), "gui/501/dev.devtrack".into()],
                },
            ]
        );
    }

    #[test]
    fn summaries_say_what_the_plan_leads_to() {
        let summary =
            |plist, loaded, opts: &InstallOptions| plan(plist, loaded, opts).unwrap().summary;
        let start = InstallOptions::default();
        assert_eq!(
            summary(InstalledFile::Missing, None, &start),
            "`dev.devtrack` is loaded and running (`launchctl print gui/501/dev.devtrack`)"
        );
        assert_eq!(
            summary(InstalledFile::Current, Some(true), &start),
            format!("`dev.devtrack` is installed and up to date (`{PLIST}`); nothing to do")
        );
        let no_start = InstallOptions {
            no_start: true,
            ..Default::default()
        };
        assert_eq!(
            summary(InstalledFile::Outdated, None, &no_start),
            "`dev.devtrack` starts at the next login; `devtrack start` starts it now"
        );
    }

    #[test]
    fn a_plist_edited_by_hand_needs_force() {
        let err = plan(
            InstalledFile::EditedByHand,
            None,
            &InstallOptions::default(),
        )
        .unwrap_err();
        assert_eq!(err.status(), crate::exit::Status::Failure);
        let message = err.explained();
        assert!(message.contains("was edited by hand"), "{message}");
        assert!(message.contains("hint: "), "{message}");
    }
}
