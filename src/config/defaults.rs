//! The values devtrack uses for anything the config leaves out, and the
//! config it runs on when there is no file at all.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use chrono_tz::Tz;

use super::model::{
    CommitTriggers, Config, Integrations, LogLevel, Repository, Settings, TimeOfDay, WeekdaySet,
    WorkHours,
};

impl Settings {
    /// Every setting at its default, in `timezone`: prompts every 180
    /// minutes at any hour, work hours 09:00-18:00 on all seven days, only
    /// the developer's own commits trigger, 2 s commit debounce, the config
    /// file watched.
    pub fn defaults(timezone: Tz) -> Settings {
        Settings {
            prompt_interval_minutes: 180,
            work_hours_only: false,
            work_hours: WorkHours::default(),
            timezone,
            log_level: LogLevel::Info,
            auto_sync: true,
            commit_triggers: CommitTriggers::Own,
            authors: Vec::new(),
            commit_debounce: Duration::from_millis(2000),
            watch_config: true,
        }
    }
}

impl Default for WorkHours {
    /// 09:00-18:00, every day.
    fn default() -> WorkHours {
        WorkHours {
            start: TimeOfDay::new(9, 0).unwrap_or(TimeOfDay::MIDNIGHT),
            end: TimeOfDay::new(18, 0).unwrap_or(TimeOfDay::END_OF_DAY),
            days: WeekdaySet::ALL,
        }
    }
}

/// The machine's IANA timezone, or UTC when it cannot be determined or is
/// not known to chrono-tz.
pub fn local_timezone() -> Tz {
    iana_time_zone::get_timezone()
        .ok()
        .and_then(|name| Tz::from_str(&name).ok())
        .unwrap_or(Tz::UTC)
}

/// The work tree containing `cwd` as a repository entry named after its
/// directory, if `cwd` is inside a non-bare git repository.
pub(crate) fn repository_around(cwd: &Path) -> Option<Repository> {
    let repo = git2::Repository::discover(cwd).ok()?;
    let workdir: PathBuf = repo.workdir()?.components().collect();
    let name = workdir.file_name()?.to_string_lossy().into_owned();
    Some(Repository {
        name,
        path: workdir,
        enabled: true,
        project: None,
        commit_triggers: None,
        sync: true,
    })
}

/// See [`super::defaults`].
pub(crate) fn config_for(cwd: &Path) -> Config {
    Config {
        source: None,
        repositories: repository_around(cwd).into_iter().collect(),
        folders: Vec::new(),
        settings: Settings::defaults(local_timezone()),
        integrations: Integrations::default(),
        prompts: Default::default(),
        web: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) {
        let status = Command::new("git")
            .args(args)
            .current_dir(dir)
            .status()
            .expect("running git");
        assert!(status.success(), "git {args:?}");
    }

    #[test]
    fn finds_the_work_tree_around_a_subdirectory() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("shop-api");
        std::fs::create_dir_all(root.join("src/deep")).unwrap();
        git(&root, &["init", "-q"]);
        let config = config_for(&root.join("src/deep"));
        assert_eq!(config.repositories.len(), 1);
        let repo = &config.repositories[0];
        assert_eq!(repo.name, "shop-api");
        assert_eq!(
            repo.path.canonicalize().unwrap(),
            root.canonicalize().unwrap()
        );
        assert!(repo.enabled);
        assert_eq!(config.source, None);
        assert_eq!(config.settings.prompt_interval_minutes, 180);
        assert!(!config.settings.work_hours_only);
    }

    #[test]
    fn no_repository_outside_git() {
        // The system temp dir is not inside any work tree.
        let tmp = tempfile::tempdir().unwrap();
        assert!(config_for(tmp.path()).repositories.is_empty());
    }

    #[test]
    fn default_work_hours() {
        let hours = WorkHours::default();
        assert_eq!(hours.start.to_string(), "09:00");
        assert_eq!(hours.end.to_string(), "18:00");
        assert_eq!(hours.days, WeekdaySet::ALL);
    }
}
