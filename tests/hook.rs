//! The `on_trigger` hook channel with real hook scripts: what a hook gets
//! (stdin, argv, environment, working directory), how its end is reported,
//! the timeout killing its whole process group, bounded output, one run
//! per prompt, and the refusal of a config other users can write. Every
//! wait is on the channel's reports (or a pidfd), with a timeout.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use devtrack::config::Hook;
use devtrack::daemon::prompts::{hook, ChannelHandle, FromChannel, PromptView, Report, ToChannel};
use devtrack::store::Channel;
use tokio::sync::mpsc;

use crate::util::{recv, recv_all, wait_exited, write_script, WAIT};

/// A config directory with `config.yaml` and the hook scripts next to it.
struct Setup {
    _dir: tempfile::TempDir,
    root: PathBuf,
    config: PathBuf,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempfile::Builder::new().prefix("dthook").tempdir().unwrap();
        let root = dir.path().join("devtrack");
        fs::create_dir(&root).unwrap();
        fs::set_permissions(&root, fs::Permissions::from_mode(0o700)).unwrap();
        let config = root.join("config.yaml");
        fs::write(&config, "prompts:\n  on_trigger: [./hook.sh]\n").unwrap();
        fs::set_permissions(&config, fs::Permissions::from_mode(0o600)).unwrap();
        Setup {
            _dir: dir,
            root,
            config,
        }
    }

    fn script(&self, name: &str, text: &str) -> String {
        write_script(&self.root.join(name), text);
        format!("./{name}")
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    fn start(
        &self,
        argv: &[&str],
        timeout: Duration,
    ) -> (ChannelHandle, mpsc::UnboundedReceiver<FromChannel>) {
        let (reports, rx) = mpsc::unbounded_channel();
        let hook = Hook {
            argv: argv.iter().map(|a| a.to_string()).collect(),
            timeout,
        };
        (hook::spawn(hook, Some(self.config.clone()), reports), rx)
    }
}

fn view(id: i64, update: bool) -> PromptView {
    PromptView {
        id,
        summary: "3 commits in api since 14:00".into(),
        body: "What did you work on?".into(),
        trigger_kind: "commit".into(),
        repos: vec!["api".into(), "web, mobile".into()],
        json: format!(r#"{{"id":{id},"state":"open","text":"it's \"quoted\""}}"#),
        update,
        notification: None,
    }
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn failed(report: &FromChannel) -> &str {
    match &report.report {
        Report::Failed { detail } => detail,
        other => panic!("expected Failed, got {other:?}"),
    }
}

/// Records its stdin, argv, environment and working directory next to
/// itself, per prompt, then exits with the status in its first argument.
const RECORDER: &str = r#"#!/bin/sh
out="$(dirname "$0")/out.$DEVTRACK_PROMPT_ID"
cat > "$out.stdin"
printf '%s\n' "$@" > "$out.argv"
env > "$out.env"
pwd > "$out.cwd"
echo "$DEVTRACK_PROMPT_ID" >> "$(dirname "$0")/runs"
echo "hello from the hook"
echo "a warning" >&2
exit "$1"
"#;

#[tokio::test]
async fn a_hook_gets_the_prompt_on_stdin_and_in_its_environment() {
    let setup = Setup::new();
    let script = setup.script("hook.sh", RECORDER);
    let (handle, mut rx) = setup.start(&[&script, "0", "two words"], WAIT);
    handle.send(ToChannel::Show(view(7, false)));
    let report = recv(&mut rx).await;
    assert_eq!(report.channel, Channel::Hook);
    assert_eq!(report.prompt, Some(7));
    assert_eq!(
        report.report,
        Report::Delivered {
            detail: Some(
                "exited with status 0; stdout 20 bytes: hello from the hook; \
                 stderr 10 bytes: a warning"
                    .into()
            )
        }
    );
    assert_eq!(read(&setup.path("out.7.stdin")), view(7, false).json);
    assert_eq!(read(&setup.path("out.7.argv")), "0\ntwo words\n");
    assert_eq!(
        read(&setup.path("out.7.cwd")).trim_end(),
        setup.root.canonicalize().unwrap().to_str().unwrap()
    );
    let env = read(&setup.path("out.7.env"));
    assert!(env.contains("DEVTRACK_PROMPT_ID=7\n"), "{env}");
    assert!(env.contains("DEVTRACK_TRIGGER_KIND=commit\n"), "{env}");
    assert!(env.contains("DEVTRACK_REPOS=api\nweb, mobile\n"), "{env}");
    // Otherwise the daemon's own environment.
    let home = std::env::var("HOME").unwrap();
    assert!(env.lines().any(|l| l == format!("HOME={home}")), "{env}");
}

#[tokio::test]
async fn a_failing_hook_is_reported_with_its_status() {
    let setup = Setup::new();
    let script = setup.script("hook.sh", RECORDER);
    let (handle, mut rx) = setup.start(&[&script, "3"], WAIT);
    handle.send(ToChannel::Show(view(1, false)));
    let report = recv(&mut rx).await;
    assert_eq!(report.prompt, Some(1));
    assert!(
        failed(&report).starts_with("exited with status 3; stdout 20 bytes"),
        "{report:?}"
    );
}

#[tokio::test]
async fn a_hook_that_cannot_start_is_reported() {
    let setup = Setup::new();
    let (handle, mut rx) = setup.start(&["./no-such-hook"], WAIT);
    handle.send(ToChannel::Show(view(1, false)));
    let report = recv(&mut rx).await;
    let detail = failed(&report);
    assert!(detail.starts_with("could not start: `"), "{detail}");
    assert!(detail.contains("no-such-hook`: No such file"), "{detail}");
}

#[tokio::test]
async fn a_hook_runs_once_per_prompt_however_often_it_is_shown() {
    let setup = Setup::new();
    let script = setup.script("hook.sh", RECORDER);
    let (handle, rx) = setup.start(&[&script, "0"], WAIT);
    handle.send(ToChannel::Show(view(1, false)));
    handle.send(ToChannel::Show(view(1, true)));
    handle.send(ToChannel::Withdraw { prompt: 1 });
    handle.send(ToChannel::Show(view(1, false)));
    handle.send(ToChannel::Show(view(2, false)));
    handle.send(ToChannel::Show(view(2, true)));
    drop(handle);
    let reports = recv_all(rx).await;
    let mut prompts: Vec<_> = reports.iter().map(|r| r.prompt).collect();
    prompts.sort();
    assert_eq!(prompts, [Some(1), Some(2)], "{reports:?}");
    let mut runs: Vec<_> = read(&setup.path("runs"))
        .lines()
        .map(str::to_owned)
        .collect();
    runs.sort();
    assert_eq!(runs, ["1", "2"]);
}

#[tokio::test]
async fn hooks_of_different_prompts_run_side_by_side() {
    // Prompt 1's hook waits for prompt 2's: serialised runs would time out.
    let setup = Setup::new();
    let fifo = setup.path("fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let script = setup.script(
        "hook.sh",
        r#"#!/bin/sh
if [ "$DEVTRACK_PROMPT_ID" = 1 ]; then read line < fifo; echo "got $line"; else echo go > fifo; fi
"#,
    );
    let (handle, mut rx) = setup.start(&[&script], WAIT);
    handle.send(ToChannel::Show(view(1, false)));
    handle.send(ToChannel::Show(view(2, false)));
    let (a, b) = (recv(&mut rx).await, recv(&mut rx).await);
    let first = if a.prompt == Some(1) { &a } else { &b };
    assert_eq!(
        first.report,
        Report::Delivered {
            detail: Some("exited with status 0; stdout 7 bytes: got go".into())
        }
    );
}

/// Runs `script` (which starts a child and writes its pid to `child.pid`,
/// whole: written to `child.pid.tmp` and renamed, since the hook is killed
/// at its timeout and may be killed while writing) with a 1 s timeout; the
/// reported detail, once the child is gone too.
async fn killed_at_timeout(script: &str) -> String {
    let setup = Setup::new();
    let script = setup.script("hook.sh", script);
    let (handle, mut rx) = setup.start(&[&script], Duration::from_secs(1));
    handle.send(ToChannel::Show(view(1, false)));
    let report = recv(&mut rx).await;
    // The report comes once the hook was reaped: whatever it wrote is
    // there, and `child.pid` is whole if it is there at all.
    let pid = setup.path("child.pid");
    assert!(
        pid.exists(),
        "the hook was killed at its 1 s timeout before it started its child"
    );
    let child: i32 = read(&pid).trim().parse().unwrap();
    assert!(
        wait_exited(child, WAIT),
        "the hook's child {child} is still running"
    );
    failed(&report).to_owned()
}

#[tokio::test]
async fn a_hook_past_its_timeout_is_killed_with_its_children() {
    let detail = killed_at_timeout(
        "#!/bin/sh\nsleep 1000 &\necho $! > child.pid.tmp\nmv child.pid.tmp child.pid\nwait\n",
    )
    .await;
    assert!(detail.starts_with("killed after 1 s timeout"), "{detail}");
}

#[tokio::test]
async fn a_hook_ignoring_sigterm_gets_sigkill() {
    // The ignored SIGTERM is inherited by the child too.
    let detail = killed_at_timeout(
        "#!/bin/sh\ntrap '' TERM\nsleep 1000 &\necho $! > child.pid.tmp\nmv child.pid.tmp child.pid\nwhile :; do wait; done\n",
    )
    .await;
    assert_eq!(
        detail,
        "killed after 1 s timeout (it ignored SIGTERM; SIGKILL 5 s later)"
    );
}

#[tokio::test]
async fn a_hooks_output_is_kept_bounded() {
    let setup = Setup::new();
    let script = setup.script(
        "hook.sh",
        "#!/bin/sh\nhead -c 100000 /dev/zero | tr '\\0' x\nhead -c 5000 /dev/zero | tr '\\0' e >&2\n",
    );
    let (handle, mut rx) = setup.start(&[&script], WAIT);
    handle.send(ToChannel::Show(view(1, false)));
    let report = recv(&mut rx).await;
    let Report::Delivered {
        detail: Some(detail),
    } = report.report
    else {
        panic!("{report:?}")
    };
    assert!(
        detail.starts_with("exited with status 0; stdout 100000 bytes (first 4096 kept): xxxx"),
        "{detail}"
    );
    assert!(
        detail.contains("; stderr 5000 bytes (first 4096 kept): eeee"),
        "{detail}"
    );
    assert!(detail.len() < 400, "{} bytes: {detail}", detail.len());
}

#[tokio::test]
async fn a_hook_that_does_not_read_stdin_still_finishes() {
    // 1 MiB does not fit in a pipe: a write that waited for the reader
    // would never end.
    let setup = Setup::new();
    let script = setup.script("hook.sh", "#!/bin/sh\necho done\n");
    let (handle, mut rx) = setup.start(&[&script], WAIT);
    let mut big = view(1, false);
    big.json = format!(r#"{{"id":1,"pad":"{}"}}"#, "p".repeat(1 << 20));
    handle.send(ToChannel::Show(big));
    let report = recv(&mut rx).await;
    assert_eq!(
        report.report,
        Report::Delivered {
            detail: Some("exited with status 0; stdout 5 bytes: done".into())
        }
    );
}

#[tokio::test]
async fn a_group_writable_config_refuses_the_hook() {
    let setup = Setup::new();
    let script = setup.script("hook.sh", RECORDER);
    fs::set_permissions(&setup.config, fs::Permissions::from_mode(0o620)).unwrap();
    let (handle, mut rx) = setup.start(&[&script, "0"], WAIT);
    let report = recv(&mut rx).await;
    let config = setup.config.canonicalize().unwrap();
    assert_eq!(
        report,
        FromChannel {
            channel: Channel::Hook,
            prompt: None,
            report: Report::Unavailable {
                detail: format!(
                    "hook refused: `{0}` is writable by group (mode 0620); fix: chmod g-w {0}",
                    config.display()
                ),
            },
        }
    );
    handle.send(ToChannel::Show(view(1, false)));
    drop(handle);
    assert_eq!(recv_all(rx).await, []);
    assert!(!setup.path("runs").exists(), "the refused hook ran");
}

#[tokio::test]
async fn a_symlinked_config_is_checked_where_it_points() {
    let setup = Setup::new();
    let script = setup.script("hook.sh", RECORDER);
    // The link is in a private directory, its target in an open one.
    let open = setup.root.parent().unwrap().join("shared");
    fs::create_dir(&open).unwrap();
    fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).unwrap();
    let target = open.join("config.yaml");
    fs::rename(&setup.config, &target).unwrap();
    std::os::unix::fs::symlink(&target, &setup.config).unwrap();
    let (handle, mut rx) = setup.start(&[&script, "0"], WAIT);
    let report = recv(&mut rx).await;
    assert_eq!(report.prompt, None);
    let Report::Unavailable { detail } = report.report else {
        panic!("{report:?}")
    };
    let open = open.canonicalize().unwrap();
    assert_eq!(
        detail,
        format!(
            "hook refused: `{0}` is writable by group and others (mode 0777); \
             fix: chmod go-w {0}",
            open.display()
        )
    );
    drop(handle);
}
