//! The macOS `osascript` channel against a recording stand-in for
//! `osascript`, put first on the `PATH` the channel is given (the test
//! process's environment is never changed): the exact scripts it is
//! handed, the dialog's buttons mapped to reports, cancel and withdraw,
//! and a failing `osascript` reported once and then left alone.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use devtrack::config::Prompts;
use devtrack::daemon::prompts::osascript::{self, Options};
use devtrack::daemon::prompts::{
    AnswerVia, ChannelHandle, FromChannel, PromptView, Report, ToChannel,
};
use devtrack::store::Channel;
use tokio::sync::mpsc;

use crate::util::{recv, recv_all, wait_exited, write_script, WAIT};

/// A stand-in `osascript`: records its argv (tab-separated) as one file
/// per call in `state/calls/`, written under a hidden name and renamed
/// into place once whole, named by the time of the call (nanoseconds) and
/// its pid: calls run side by side (a dialog stays open while the next
/// notification is shown), so appending to one file could interleave two
/// records, and a reader could see one half written. Knobs in `state/`:
/// `fail` (every call fails as macOS does when Apple events are denied);
/// for dialogs, `dialog-out`, `dialog-err`, `dialog-status` (printed and
/// exited with), `dialog-hang` (writes its pid to the `started` FIFO, then
/// sleeps forever).
const OSASCRIPT: &str = r#"#!/bin/sh
S="$(dirname "$0")/state"
tmp="$S/calls/.$$"
{ printf '%s' osascript; for a in "$@"; do printf '\t%s' "$a"; done; echo; } > "$tmp"
mv "$tmp" "$S/calls/$(date +%s%N).$$"
if [ -f "$S/fail" ]; then
  echo "0:0: execution error: Not authorized to send Apple events to System Events. (-1743)" >&2
  exit 1
fi
case "$2" in
  "display notification"*) exit 0 ;;
  "display dialog"*)
    if [ -f "$S/dialog-hang" ]; then echo $$ > "$S/started"; exec sleep 1000; fi
    [ -f "$S/dialog-out" ] && cat "$S/dialog-out"
    [ -f "$S/dialog-err" ] && cat "$S/dialog-err" >&2
    exit "$(cat "$S/dialog-status" 2>/dev/null || echo 0)" ;;
  *) echo "stand-in osascript: unexpected script $2" >&2; exit 64 ;;
esac
"#;

struct Fake {
    _dir: tempfile::TempDir,
    bin: PathBuf,
    state: PathBuf,
}

impl Fake {
    fn new() -> Fake {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        let state = bin.join("state");
        fs::create_dir_all(state.join("calls")).unwrap();
        write_script(&bin.join("osascript"), OSASCRIPT);
        Fake {
            _dir: dir,
            bin,
            state,
        }
    }

    fn knob(&self, name: &str, text: &str) {
        fs::write(self.state.join(name), text).unwrap();
    }

    fn options(&self) -> Options {
        let path =
            std::env::join_paths([self.bin.as_path(), Path::new("/usr/bin"), Path::new("/bin")])
                .unwrap();
        Options {
            path: Some(path),
            backoff: Duration::from_secs(3600),
            ..Options::default()
        }
    }

    fn start(&self, prompts: &Prompts) -> (ChannelHandle, mpsc::UnboundedReceiver<FromChannel>) {
        self.start_with(prompts, self.options())
    }

    fn start_with(
        &self,
        prompts: &Prompts,
        options: Options,
    ) -> (ChannelHandle, mpsc::UnboundedReceiver<FromChannel>) {
        let (reports, rx) = mpsc::unbounded_channel();
        (osascript::spawn(prompts, options, reports), rx)
    }

    /// Each whole call's argv after `osascript`, in the order they were
    /// made (a call killed before its record was whole is not one).
    fn calls(&self) -> Vec<Vec<String>> {
        let mut names: Vec<String> = fs::read_dir(self.state.join("calls"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| !name.starts_with('.'))
            .collect();
        names.sort();
        names
            .iter()
            .map(|name| {
                let record = fs::read_to_string(self.state.join("calls").join(name)).unwrap();
                let line = record.strip_suffix('\n').expect("a whole record");
                line.split('\t').skip(1).map(str::to_owned).collect()
            })
            .collect()
    }
}

fn view(id: i64, update: bool) -> PromptView {
    PromptView {
        id,
        summary: "3 commits in api-server since 14:00".into(),
        body: "What did you work on? Answer \"here\" or run `devtrack note`.".into(),
        trigger_kind: "commit".into(),
        repos: vec!["api-server".into()],
        json: "{}".into(),
        update,
        notification: None,
    }
}

fn report(prompt: i64, report: Report) -> FromChannel {
    FromChannel {
        channel: Channel::Osascript,
        prompt: Some(prompt),
        report,
    }
}

fn delivered(prompt: i64) -> FromChannel {
    report(prompt, Report::Delivered { detail: None })
}

const NOTIFICATION: &str = r#"display notification "What did you work on? Answer \"here\" or run `devtrack note`." with title "devtrack" subtitle "3 commits in api-server since 14:00""#;
const DIALOG: &str = r#"display dialog "3 commits in api-server since 14:00\n\nWhat did you work on? Answer \"here\" or run `devtrack note`." default answer "" buttons {"Skip", "Snooze", "Log update"} default button "Log update" with title "devtrack" giving up after 3600"#;

#[tokio::test]
async fn a_prompt_is_a_notification_then_a_dialog_whose_text_is_the_answer() {
    let fake = Fake::new();
    fake.knob(
        "dialog-out",
        "button returned:Log update, text returned:fixed login, and tests, gave up:false\n",
    );
    let (handle, rx) = fake.start(&Prompts::default());
    handle.send(ToChannel::Show(view(5, false)));
    drop(handle);
    assert_eq!(
        recv_all(rx).await,
        [
            delivered(5),
            report(
                5,
                Report::Answer {
                    text: "fixed login, and tests".into(),
                    via: AnswerVia::Dialog,
                }
            )
        ]
    );
    assert_eq!(fake.calls(), [vec!["-e", NOTIFICATION], vec!["-e", DIALOG]]);
}

#[tokio::test]
async fn the_dialogs_buttons_become_reports() {
    let cases: &[(&str, &str, &str, Option<Report>)] = &[
        // (stdout, stderr, status, report after Delivered)
        (
            "button returned:Snooze, text returned:, gave up:false\n",
            "",
            "0",
            Some(Report::Snooze),
        ),
        (
            "button returned:Skip, text returned:, gave up:false\n",
            "",
            "0",
            Some(Report::Skip),
        ),
        (
            "",
            "0:120: execution error: User canceled. (-128)\n",
            "1",
            None,
        ),
        (
            "button returned:, text returned:, gave up:true\n",
            "",
            "0",
            None,
        ),
        (
            "button returned:Log update, text returned:, gave up:false\n",
            "",
            "0",
            None,
        ),
        (
            "",
            "0:0: execution error: Not authorized to send Apple events. (-1743)\n",
            "1",
            Some(Report::Failed {
                detail: "osascript failed: 0:0: execution error: Not authorized to send \
                         Apple events. (-1743)"
                    .into(),
            }),
        ),
    ];
    for (stdout, stderr, status, expected) in cases {
        let fake = Fake::new();
        fake.knob("dialog-out", stdout);
        fake.knob("dialog-err", stderr);
        fake.knob("dialog-status", status);
        let (handle, rx) = fake.start(&Prompts::default());
        handle.send(ToChannel::Show(view(1, false)));
        drop(handle);
        let mut want = vec![delivered(1)];
        want.extend(expected.iter().map(|r| report(1, r.clone())));
        assert_eq!(recv_all(rx).await, want, "{stdout:?} {stderr:?}");
        assert_eq!(fake.calls().len(), 2);
    }
}

#[tokio::test]
async fn a_folded_trigger_notifies_again_but_asks_only_once() {
    let fake = Fake::new();
    fake.knob("dialog-err", "execution error: User canceled. (-128)\n");
    fake.knob("dialog-status", "1");
    let (handle, rx) = fake.start(&Prompts::default());
    handle.send(ToChannel::Show(view(1, false)));
    handle.send(ToChannel::Show(view(1, true)));
    drop(handle);
    assert_eq!(recv_all(rx).await, [delivered(1), delivered(1)]);
    let scripts: Vec<String> = fake.calls().into_iter().map(|c| c[1].clone()).collect();
    assert_eq!(
        scripts
            .iter()
            .filter(|s| s.starts_with("display dialog"))
            .count(),
        1,
        "{scripts:?}"
    );
    assert_eq!(
        scripts
            .iter()
            .filter(|s| s.starts_with("display notification"))
            .count(),
        2
    );
}

#[tokio::test]
async fn withdrawing_a_prompt_closes_its_dialog() {
    let fake = Fake::new();
    fake.knob("dialog-hang", "");
    let started = fake.state.join("started");
    nix::unistd::mkfifo(&started, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let (handle, mut rx) = fake.start(&Prompts::default());
    handle.send(ToChannel::Show(view(1, false)));
    let first = recv(&mut rx).await;
    assert_eq!(first, delivered(1));
    // The dialog's osascript says its pid once it is up.
    let pid = tokio::time::timeout(
        WAIT,
        tokio::task::spawn_blocking(move || fs::read_to_string(started).unwrap()),
    )
    .await
    .unwrap()
    .unwrap();
    let pid: i32 = pid.trim().parse().unwrap();
    handle.send(ToChannel::Withdraw { prompt: 1 });
    drop(handle);
    assert_eq!(recv_all(rx).await, []);
    assert!(wait_exited(pid, WAIT), "the dialog {pid} is still open");
}

#[tokio::test]
async fn a_failing_osascript_is_reported_once_then_backs_off() {
    let fake = Fake::new();
    fake.knob("fail", "");
    let (handle, rx) = fake.start(&Prompts::default());
    handle.send(ToChannel::Show(view(1, false)));
    handle.send(ToChannel::Show(view(1, true)));
    handle.send(ToChannel::Show(view(2, false)));
    drop(handle);
    assert_eq!(
        recv_all(rx).await,
        [report(
            1,
            Report::Failed {
                detail: "osascript failed: 0:0: execution error: Not authorized to send Apple \
                         events to System Events. (-1743)"
                    .into()
            }
        )]
    );
    assert_eq!(fake.calls().len(), 1, "tried again within the backoff");
}

#[tokio::test]
async fn after_the_backoff_a_recovered_osascript_delivers() {
    let fake = Fake::new();
    fake.knob("fail", "");
    let options = Options {
        backoff: Duration::ZERO,
        ..fake.options()
    };
    let prompts = Prompts {
        dialog: false,
        ..Prompts::default()
    };
    let (handle, mut rx) = fake.start_with(&prompts, options);
    handle.send(ToChannel::Show(view(1, false)));
    let first = recv(&mut rx).await;
    assert!(matches!(first.report, Report::Failed { .. }), "{first:?}");
    // Still failing: tried (no wait), not reported again.
    handle.send(ToChannel::Show(view(1, true)));
    fs::remove_file(fake.state.join("fail")).unwrap();
    handle.send(ToChannel::Show(view(2, false)));
    drop(handle);
    let reports = recv_all(rx).await;
    assert_eq!(reports.last(), Some(&delivered(2)), "{reports:?}");
    assert!(
        reports
            .iter()
            .all(|r| !matches!(r.report, Report::Failed { .. })),
        "{reports:?}"
    );
}

#[tokio::test]
async fn osascript_missing_from_path_fails_to_start() {
    let fake = Fake::new();
    let options = Options {
        path: Some(OsString::from("/nonexistent")),
        ..fake.options()
    };
    let (handle, rx) = fake.start_with(&Prompts::default(), options);
    handle.send(ToChannel::Show(view(1, false)));
    drop(handle);
    assert_eq!(
        recv_all(rx).await,
        [report(
            1,
            Report::Failed {
                detail: "could not start: `osascript` not found on PATH".into()
            }
        )]
    );
}

#[tokio::test]
async fn without_notifications_nothing_is_shown_and_without_dialogs_no_dialog() {
    let fake = Fake::new();
    let off = Prompts {
        notifications: false,
        ..Prompts::default()
    };
    let (handle, rx) = fake.start(&off);
    handle.send(ToChannel::Show(view(1, false)));
    drop(handle);
    assert_eq!(recv_all(rx).await, []);
    assert_eq!(fake.calls().len(), 0);

    let no_dialog = Prompts {
        dialog: false,
        ..Prompts::default()
    };
    let (handle, rx) = fake.start(&no_dialog);
    handle.send(ToChannel::Show(view(1, false)));
    drop(handle);
    assert_eq!(recv_all(rx).await, [delivered(1)]);
    assert_eq!(fake.calls(), [vec!["-e", NOTIFICATION]]);
}
