//! The screen lock and the idle time on macOS, where neither says when it
//! changes to a program without a Cocoa run loop: `ioreg` is asked, only
//! while the daemon holds a prompt (when the hold starts, then every 30 s),
//! for `IOHIDSystem`'s `HIDIdleTime` (nanoseconds since the last input) and
//! the console's `IOConsoleLocked` (the undocumented key the login window
//! sets; `CGSSessionScreenIsLocked` in `IOConsoleUsers` on older systems).
//! The parsing is pure and tested everywhere; running `ioreg` is the edge,
//! tested against a stand-in, as the rest of the macOS code is.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;
use tokio::time::Instant;

use super::{since, AskedIdle, AwayState, Screen, Source};

/// While a prompt is held, `ioreg` is asked this often at most.
const ASK_EVERY: Duration = Duration::from_secs(30);

/// An `ioreg` that hangs is given up on after this long.
const IOREG_TIMEOUT: Duration = Duration::from_secs(5);

/// The `ioreg` to run: `DEVTRACK_IOREG` (`env`) or `/usr/sbin/ioreg`.
#[cfg_attr(not(target_os = "macos"), allow(dead_code))]
pub(crate) fn ioreg_program(env: Option<&str>) -> PathBuf {
    PathBuf::from(env.filter(|p| !p.is_empty()).unwrap_or("/usr/sbin/ioreg"))
}

/// `HIDIdleTime` in `ioreg -c IOHIDSystem` output, in whole seconds.
pub(crate) fn hid_idle_secs(ioreg: &str) -> Option<u64> {
    let value = value_of(ioreg, "HIDIdleTime")?;
    value.parse::<u64>().ok().map(|ns| ns / 1_000_000_000)
}

/// Whether the console is locked, from `ioreg -n Root -d 1` output:
/// `IOConsoleLocked`, else `CGSSessionScreenIsLocked` of a console user.
pub(crate) fn console_locked(ioreg: &str) -> Option<bool> {
    let word = value_of(ioreg, "IOConsoleLocked")
        .or_else(|| value_of(ioreg, "CGSSessionScreenIsLocked"))?;
    match word.trim_end_matches([',', '}', ')']) {
        "Yes" => Some(true),
        "No" => Some(false),
        _ => None,
    }
}

/// The value after `"key" = ` (or `"key"=` inside a dictionary).
fn value_of<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let quoted = format!("\"{key}\"");
    let at = text.find(&quoted)? + quoted.len();
    let rest = text[at..].trim_start().strip_prefix('=')?.trim_start();
    let end = rest
        .find(|c: char| c.is_whitespace() || c == ',' || c == '}' || c == ')')
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

/// Runs `program args`; its standard output, if it exits 0 in time.
async fn run(program: &Path, args: &[&str]) -> Option<String> {
    let out = tokio::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(IOREG_TIMEOUT, out).await.ok()?.ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// What `ioreg` says now: locked, idle seconds.
async fn ask(program: &Path) -> Option<(bool, u64)> {
    let idle = run(program, &["-c", "IOHIDSystem", "-d", "4"]).await?;
    let root = run(program, &["-n", "Root", "-d", "1"]).await?;
    Some((
        console_locked(&root).unwrap_or(false),
        hid_idle_secs(&idle)?,
    ))
}

/// Asks `program` (an `ioreg`) while `asking` is true, at its start and
/// every 30 s, telling the answers as the session's part of the state.
#[cfg_attr(not(target_os = "macos"), allow(dead_code))]
pub(crate) async fn follow(
    program: PathBuf,
    tx: Arc<watch::Sender<AwayState>>,
    mut asking: watch::Receiver<bool>,
) {
    let missing = |why: String| Screen::missing(why);
    // Once, to say whether it can be asked at all.
    let mut screen = match ask(&program).await {
        Some(_) => Screen {
            source: Source::Asked(format!(
                "{} (HIDIdleTime, IOConsoleLocked)",
                program.display()
            )),
            askable: true,
            ..Screen::missing("")
        },
        None => missing(format!("`{}` gives no idle time", program.display())),
    };
    tell(&tx, &screen);
    let mut next: Option<Instant> = None;
    loop {
        tokio::select! {
            changed = asking.changed() => {
                if changed.is_err() {
                    return;
                }
                let held = *asking.borrow_and_update();
                next = held.then(Instant::now);
            }
            () = async {
                match next {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            } => {
                next = Some(Instant::now() + ASK_EVERY);
                if let Some((locked, idle)) = ask(&program).await {
                    let now = Utc::now();
                    screen.active_since = since(locked, screen.active_since, now);
                    screen.asked = Some(AskedIdle {
                        asked_at: now,
                        idle_since: now - chrono::TimeDelta::seconds(idle as i64),
                    });
                    tell(&tx, &screen);
                }
            }
        }
    }
}

fn tell(tx: &watch::Sender<AwayState>, screen: &Screen) {
    tx.send_if_modified(|s| {
        let changed = s.screen != *screen;
        s.screen = screen.clone();
        changed
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shaped as `ioreg -c IOHIDSystem -d 4` prints it (trimmed).
    const IDLE: &str = r#"+-o Root  <class IORegistryEntry, id 0x100000100, retain 29>
  +-o IOResources  <class IOResources, id 0x100000112>
    +-o IOHIDSystem  <class IOHIDSystem, id 0x100000394, registered>
        {
          "HIDIdleTime" = 754230583
          "HIDParameters" = {"HIDClickTime"=500000000}
        }
"#;

    /// Shaped as `ioreg -n Root -d 1` prints it (trimmed).
    const ROOT: &str = r#"+-o Root  <class IORegistryEntry, id 0x100000100, retain 29>
    {
      "IOConsoleLocked" = Yes
      "IOConsoleUsers" = ({"kCGSSessionOnConsoleKey"=Yes,"CGSSessionScreenIsLocked"=Yes})
    }
"#;

    #[test]
    fn the_idle_time_and_the_lock_in_ioreg_output() {
        assert_eq!(hid_idle_secs(IDLE), Some(0));
        assert_eq!(
            hid_idle_secs(&IDLE.replace("754230583", "1250754230583")),
            Some(1250)
        );
        assert_eq!(hid_idle_secs(ROOT), None);
        assert_eq!(console_locked(ROOT), Some(true));
        assert_eq!(
            console_locked(
                &ROOT
                    .replace("= Yes", "= No")
                    .replace("Locked\"=Yes", "Locked\"=No")
            ),
            Some(false)
        );
        // Older systems: only the console user's key.
        let older = "\"IOConsoleUsers\" = ({\"kCGSSessionOnConsoleKey\"=Yes,\"CGSSessionScreenIsLocked\"=Yes})";
        assert_eq!(console_locked(older), Some(true));
        assert_eq!(console_locked(IDLE), None);
        assert_eq!(ioreg_program(None), PathBuf::from("/usr/sbin/ioreg"));
        assert_eq!(ioreg_program(Some("/x/ioreg")), PathBuf::from("/x/ioreg"));
    }

    /// Against a stand-in `ioreg`: asked once at the start, then only
    /// while a prompt is held.
    #[tokio::test(flavor = "current_thread")]
    async fn ioreg_is_asked_only_while_a_prompt_is_held() {
        let dir = tempfile::tempdir().unwrap();
        let calls = dir.path().join("calls");
        let program = dir.path().join("ioreg");
        std::fs::write(
            &program,
            format!(
                "#!/bin/sh\necho \"$@\" >> '{}'\ncase \"$*\" in\n*IOHIDSystem*) echo '\"HIDIdleTime\" = 1250754230583' ;;\n*) echo '\"IOConsoleLocked\" = Yes' ;;\nesac\n",
                calls.display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
        let (tx, mut rx) = watch::channel(AwayState::unasked());
        let (ask_tx, asking) = watch::channel(false);
        let task = tokio::spawn(follow(program, Arc::new(tx), asking));
        let wait = |rx: &mut watch::Receiver<AwayState>, f: fn(&AwayState) -> bool| {
            let mut rx = rx.clone();
            async move {
                tokio::time::timeout(Duration::from_secs(20), rx.wait_for(f))
                    .await
                    .expect("in time")
                    .expect("sender alive")
                    .clone()
            }
        };
        let first = wait(&mut rx, |s| s.screen.askable).await;
        assert_eq!(first.screen.asked, None, "not asked for an idle time yet");
        let probed = std::fs::read_to_string(&calls).unwrap().lines().count();
        assert_eq!(probed, 2, "one probe: the idle time and the lock");

        ask_tx.send(true).unwrap();
        let held = wait(&mut rx, |s| s.screen.asked.is_some()).await;
        let asked = held.screen.asked.unwrap();
        assert_eq!(
            (asked.asked_at - asked.idle_since).num_seconds(),
            1250,
            "{held:?}"
        );
        assert!(held.screen.active_since.is_some(), "locked: {held:?}");
        task.abort();
    }
}
