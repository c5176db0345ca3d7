//! The desktop channel against real programs on an Xvfb display: dunst as
//! the notification daemon on a private session bus, driven back through
//! `dunstctl` (which talks to dunst over the same bus), and the real
//! `zenity` behind "Log update", typed into with `xdotool`. Needs the
//! Debian packages dunst, xvfb, dbus-daemon, zenity, xdotool and x11-apps;
//! skipped without them outside CI.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use devtrack::daemon::prompts::{AnswerVia, Report, ToChannel};

use crate::desktop::{first_line, view, Bus, Channel};
use crate::util::{lacks, write_script};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts Xvfb on a free display; returns once it said which (`-displayfd`
/// is written when the server is ready).
fn xvfb() -> (Killed, String) {
    let mut child = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-nolisten",
            "tcp",
            "-screen",
            "0",
            "640x480x24",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb");
    let display = first_line(&mut child);
    assert!(!display.is_empty(), "Xvfb printed no display number");
    (Killed(child), format!(":{display}"))
}

struct Dunstctl {
    address: String,
}

impl Dunstctl {
    /// Runs `dunstctl` without blocking the test's runtime, on which the
    /// channel runs too.
    async fn run(&self, args: &[&str]) -> std::process::Output {
        tokio::process::Command::new("dunstctl")
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .output()
            .await
            .expect("dunstctl")
    }

    /// Waits until dunst displays `n` notifications. dunst puts a
    /// notification on screen a moment after `Notify` returns and sends no
    /// signal for it, so this is a bounded retry (100 × 20 ms).
    async fn wait_displayed(&self, n: usize) {
        for _ in 0..100 {
            let out = self.run(&["count", "displayed"]).await;
            if String::from_utf8_lossy(&out.stdout).trim() == n.to_string() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let counts = self.run(&["count"]).await;
        panic!(
            "dunst did not display {n} notification(s) within 2 s:\n{}",
            String::from_utf8_lossy(&counts.stdout)
        );
    }
}

#[tokio::test(flavor = "current_thread")]
async fn dunst_shows_the_prompt_and_its_actions_come_back() {
    const TEST: &str = "desktop_dunst::dunst_shows_the_prompt_and_its_actions_come_back";
    if lacks(
        TEST,
        &["Xvfb", "dunst", "dunstctl", "dbus-daemon", "dbus-send"],
        "dunst, xvfb, dbus-daemon, dbus-bin",
    ) {
        return;
    }
    let dir = tempfile::Builder::new()
        .prefix("dt-dunst")
        .tempdir()
        .unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    write_script(
        &bin.join("zenity"),
        "#!/bin/sh\necho 'answered in the dialog'\n",
    );
    let (_x, display) = xvfb();
    let bus = Bus::start(&dir.path().join("bus"));
    let mut channel = Channel::on(&bus, Some(&bin));
    channel.unavailable().await;

    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let _dunst = Killed(
        Command::new("dunst")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("DISPLAY", &display)
            .env("DBUS_SESSION_BUS_ADDRESS", bus.address())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dunst"),
    );
    // dunst taking the name is the event.
    channel.expect(None, Report::Available).await;
    let dunstctl = Dunstctl {
        address: bus.address(),
    };

    channel.show(view(1, "3 commits in api-server since 14:00"));
    let notified = channel.report().await;
    assert!(
        matches!(notified.report, Report::Notified(_)),
        "the notification is kept first: {notified:?}"
    );
    let delivered = channel.report().await;
    match &delivered.report {
        Report::Delivered {
            detail: Some(detail),
        } => {
            assert!(detail.starts_with("dunst "), "server {detail:?}")
        }
        other => panic!("expected Delivered, got {other:?}"),
    }
    // "Log update" is the default action: `dunstctl action` invokes it, and
    // the dialog's text comes back as the answer.
    dunstctl.wait_displayed(1).await;
    let out = dunstctl.run(&["action", "0"]).await;
    assert!(out.status.success(), "dunstctl action: {out:?}");
    channel
        .expect(
            Some(1),
            Report::Answer {
                text: "answered in the dialog".to_string(),
                via: AnswerVia::Dialog,
            },
        )
        .await;

    // dunst leaves the notification up after an action; the loop
    // withdraws the answered prompt, which closes it (not a dismissal).
    channel.handle.send(ToChannel::Withdraw { prompt: 1 });
    dunstctl.wait_displayed(0).await;

    // Closed by the person: dismissed.
    channel.show(view(2, "1 commit in web since 15:00"));
    let notified = channel.report().await;
    assert!(
        matches!(notified.report, Report::Notified(_)),
        "{notified:?}"
    );
    channel.report().await;
    dunstctl.wait_displayed(1).await;
    assert!(dunstctl.run(&["close"]).await.status.success());
    channel.expect(Some(2), Report::Dismissed).await;

    let history = dunstctl.run(&["history"]).await;
    assert!(history.status.success(), "dunstctl history: {history:?}");
    let history: serde_json::Value = serde_json::from_slice(&history.stdout).unwrap();
    let summaries: Vec<&str> = history["data"][0]
        .as_array()
        .expect("history entries")
        .iter()
        .filter_map(|n| n["summary"]["data"].as_str())
        .collect();
    assert!(
        summaries.contains(&"3 commits in api-server since 14:00")
            && summaries.contains(&"1 commit in web since 15:00"),
        "dunst history: {summaries:?}"
    );
}

/// The real `zenity --entry` behind "Log update", on an Xvfb display: the
/// prompt's text reaches it with the argv devtrack builds (a summary with
/// `_`, `&` and a tag in it), the typed answer comes back as the answer,
/// and a screenshot of the dialog is kept in
/// `target/test-artifacts/zenity-dialog.xwd` (convert it with
/// `convert xwd:FILE out.png`) to see that the label shows the text as
/// written.
#[tokio::test(flavor = "current_thread")]
async fn the_real_zenity_asks_with_the_prompts_text_and_its_answer_comes_back() {
    use crate::desktop::Server;
    use devtrack::daemon::prompts::desktop::{DesktopOptions, DialogDisplay};
    const TEST: &str =
        "desktop_dunst::the_real_zenity_asks_with_the_prompts_text_and_its_answer_comes_back";
    if lacks(
        TEST,
        &["Xvfb", "zenity", "xdotool", "xwd", "dbus-daemon"],
        "xvfb, zenity, xdotool, x11-apps, dbus-daemon",
    ) {
        return;
    }
    let dir = tempfile::Builder::new()
        .prefix("dt-zenity")
        .tempdir()
        .unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let zenity = std::env::var_os("PATH")
        .and_then(|path| {
            std::env::split_paths(&path)
                .map(|d| d.join("zenity"))
                .find(|p| p.is_file())
        })
        .unwrap();
    std::os::unix::fs::symlink(&zenity, bin.join("zenity")).unwrap();
    let (_x, display) = xvfb();
    // The user manager's environment names the display, as a desktop
    // session's import does.
    write_script(
        &bin.join("systemctl"),
        &format!(
            "#!/bin/sh\necho DISPLAY={display}\necho HOME={}\n",
            dir.path().display()
        ),
    );
    let bus = crate::desktop::Bus::start(&dir.path().join("bus"));
    let mut server = Server::start(&bus, &["actions"]).await;
    let mut channel = Channel::spawn(DesktopOptions {
        display: DialogDisplay::UserManager {
            systemctl: bin.join("systemctl"),
        },
        ..crate::desktop::options(&bus.address(), Some(&bin))
    });

    channel.show(view(1, "fix user_id & <em>__init__</em>"));
    let id = server.notified().await.id;
    channel.delivered(1).await;
    server.emit("ActionInvoked", &(id, "log")).await;

    let xdotool = |args: &[&str]| {
        let mut c = tokio::process::Command::new("xdotool");
        c.args(args).env("DISPLAY", &display);
        c
    };
    // `--sync` returns once the window is mapped.
    let found = xdotool(&["search", "--sync", "--name", "^devtrack$"])
        .output()
        .await
        .unwrap();
    let window = String::from_utf8_lossy(&found.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(!window.is_empty(), "no zenity window: {found:?}");
    let artifacts = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let shot = tokio::process::Command::new("xwd")
        .args(["-root", "-silent", "-display", &display, "-out"])
        .arg(artifacts.join("zenity-dialog.xwd"))
        .status()
        .await
        .unwrap();
    assert!(shot.success());
    for args in [
        &["windowfocus", "--sync", &window][..],
        &["type", "--delay", "20", "typed in the real zenity"],
        &["key", "Return"],
    ] {
        let status = xdotool(args).status().await.unwrap();
        assert!(status.success(), "xdotool {args:?}");
    }
    channel
        .expect(
            Some(1),
            Report::Answer {
                text: "typed in the real zenity".to_string(),
                via: AnswerVia::Dialog,
            },
        )
        .await;
}
