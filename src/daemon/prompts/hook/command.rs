//! The hook's command line, working directory and environment, decided
//! purely from the config and the prompt.
//!
//! - No shell: `argv[0]` is the program, looked up on `PATH` when it has no
//!   `/`; a relative path with a `/` (`./notify.sh`) is taken relative to
//!   the config file's directory, which is also the working directory (the
//!   home directory when devtrack runs without a config file).
//! - The environment is the daemon's own (what the service manager gave
//!   the user's service) plus `DEVTRACK_PROMPT_ID`, `DEVTRACK_TRIGGER_KIND`
//!   and `DEVTRACK_REPOS` (repository names, one per line). Only the
//!   service manager's messages to the daemon itself are removed
//!   ([`REMOVED`]): a hook must not send readiness or watchdog messages,
//!   or claim sockets, in the daemon's name.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::daemon::prompts::PromptView;

/// Variables of the daemon's environment a hook does not get.
pub(crate) const REMOVED: &[&str] = &[
    "NOTIFY_SOCKET",
    "WATCHDOG_USEC",
    "WATCHDOG_PID",
    "LISTEN_PID",
    "LISTEN_FDS",
    "LISTEN_FDNAMES",
];

/// Everything needed to start one hook run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HookCommand {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub cwd: PathBuf,
    /// Added to the inherited environment.
    pub env: Vec<(&'static str, String)>,
}

/// The run of `argv` for `view`; `base` is the config file's directory
/// (or the home directory). `None` for an empty `argv` (validation rejects
/// one, so this is only a guard).
pub(crate) fn hook_command(argv: &[String], base: &Path, view: &PromptView) -> Option<HookCommand> {
    let (program, args) = argv.split_first()?;
    let program = if program.contains('/') {
        base.join(program)
    } else {
        PathBuf::from(program)
    };
    Some(HookCommand {
        program,
        args: args.to_vec(),
        cwd: base.to_path_buf(),
        env: vec![
            ("DEVTRACK_PROMPT_ID", view.id.to_string()),
            ("DEVTRACK_TRIGGER_KIND", view.trigger_kind.clone()),
            ("DEVTRACK_REPOS", view.repos.join("\n")),
        ],
    })
}

/// Where hooks run: the config file's directory, else `home`.
pub(crate) fn base_dir(config_file: Option<&Path>, home: Option<OsString>) -> PathBuf {
    config_file
        .and_then(Path::parent)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .or_else(|| home.map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> PromptView {
        PromptView {
            id: 42,
            summary: "3 commits in api".into(),
            body: "What did you work on?".into(),
            trigger_kind: "commit".into(),
            repos: vec!["api".into(), "web, mobile".into()],
            json: "{}".into(),
            update: false,
            notification: None,
        }
    }

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn programs_are_looked_up_on_path_or_next_to_the_config() {
        let base = Path::new("/home/a/.config/devtrack");
        let cases = [
            (&["notify-send", "-u", "low"][..], "notify-send"),
            (&["/usr/bin/hook"][..], "/usr/bin/hook"),
            (&["./hook.sh"][..], "/home/a/.config/devtrack/./hook.sh"),
            (&["bin/hook"][..], "/home/a/.config/devtrack/bin/hook"),
        ];
        for (words, program) in cases {
            let cmd = hook_command(&argv(words), base, &view()).unwrap();
            assert_eq!(cmd.program, PathBuf::from(program), "{words:?}");
            assert_eq!(cmd.args, argv(&words[1..]));
            assert_eq!(cmd.cwd, base);
        }
        assert_eq!(hook_command(&[], base, &view()), None);
    }

    #[test]
    fn the_prompt_is_in_three_variables_repositories_one_per_line() {
        let cmd = hook_command(&argv(&["hook"]), Path::new("/"), &view()).unwrap();
        assert_eq!(
            cmd.env,
            [
                ("DEVTRACK_PROMPT_ID", "42".to_owned()),
                ("DEVTRACK_TRIGGER_KIND", "commit".to_owned()),
                ("DEVTRACK_REPOS", "api\nweb, mobile".to_owned()),
            ]
        );
    }

    #[test]
    fn hooks_run_in_the_config_directory_else_home() {
        let cases = [
            (Some("/c/devtrack/config.yaml"), Some("/h"), "/c/devtrack"),
            (Some("config.yaml"), Some("/h"), "/h"),
            (None, Some("/h"), "/h"),
            (None, None, "/"),
        ];
        for (config, home, dir) in cases {
            assert_eq!(
                base_dir(config.map(Path::new), home.map(OsString::from)),
                PathBuf::from(dir)
            );
        }
    }
}
