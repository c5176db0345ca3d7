//! The small input dialog behind "Log update": `zenity --entry` (GNOME and
//! most others) or `kdialog --inputbox` (KDE), whichever is found first on
//! the search path. Its trimmed output on exit 0 is the answer; cancel
//! (exit 1), a failure or an empty text is no answer. The argv builders
//! and the lookup are pure; only [`ask`] runs a process, as a tokio child
//! that is killed when its task is dropped (the prompt was answered or
//! withdrawn elsewhere).

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use super::content;
use super::display::{self, DialogDisplay};
use crate::daemon::prompts::PromptView;

/// An installed dialog program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Dialog {
    Zenity(PathBuf),
    Kdialog(PathBuf),
}

/// The first `zenity`, else the first `kdialog`, on `search_path` (a
/// `PATH`-style list).
pub(crate) fn find(search_path: &OsStr) -> Option<Dialog> {
    let lookup = |name: &str| {
        std::env::split_paths(search_path)
            .filter(|dir| !dir.as_os_str().is_empty())
            .map(|dir| dir.join(name))
            .find(|candidate| is_executable(candidate))
    };
    lookup("zenity")
        .map(Dialog::Zenity)
        .or_else(|| lookup("kdialog").map(Dialog::Kdialog))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The program and its arguments asking for `view`'s answer.
pub(crate) fn argv(dialog: &Dialog, view: &PromptView) -> Vec<OsString> {
    let text = format!("{}\n\n{}", view.summary, view.body);
    match dialog {
        Dialog::Zenity(program) => vec![
            program.into(),
            "--entry".into(),
            "--title=devtrack".into(),
            format!("--text={}", zenity_label(&text)).into(),
            "--entry-text=".into(),
        ],
        Dialog::Kdialog(program) => vec![
            program.into(),
            "--title".into(),
            "devtrack".into(),
            "--inputbox".into(),
            qt_rich_text(&text).into(),
            "".into(),
        ],
    }
}

/// `text` as `zenity --entry --text` shows it literally: zenity unescapes
/// backslash sequences (`g_strcompress`) and then sets a mnemonic label,
/// where `_` marks the next letter. So `\` and `_` are doubled; markup is
/// not parsed there, so nothing else is escaped (`&`, `<` stay as typed).
fn zenity_label(text: &str) -> String {
    text.replace('\\', "\\\\").replace('_', "__")
}

/// `text` as a Qt label shows it literally. A Qt label guesses whether
/// its text is rich text, and plain text takes `&` as a mnemonic; text
/// that starts with `<qt>` is always rich text, where `&`, `<` and `>` are
/// entities and no mnemonic is made. Line breaks become `<br>`.
fn qt_rich_text(text: &str) -> String {
    let mut out = String::from("<qt>");
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("<br>"),
            c => out.push(c),
        }
    }
    out.push_str("</qt>");
    out
}

/// The answer a finished dialog gave: its output when it exited 0.
pub(crate) fn answer(success: bool, stdout: &[u8]) -> Option<String> {
    if !success {
        return None;
    }
    content::answer(&String::from_utf8_lossy(stdout))
}

/// Runs the dialog on `display` and waits for it; `None`: no answer
/// (cancelled, failed to start, empty, no display known). Never logs the
/// text.
pub(crate) async fn ask(
    dialog: &Dialog,
    display: &DialogDisplay,
    view: &PromptView,
) -> Option<String> {
    let argv = argv(dialog, view);
    let mut command = tokio::process::Command::new(&argv[0]);
    if let DialogDisplay::UserManager { systemctl } = display {
        let vars = match display::user_manager(systemctl).await {
            Ok(vars) => vars,
            Err(e) => {
                tracing::warn!("no display for the input dialog: {e}");
                return None;
            }
        };
        if !display::has_display(&vars) {
            tracing::warn!(
                "{}",
                crate::exit::render(
                    "no display for the input dialog: the user manager knows no `DISPLAY` or \
                     `WAYLAND_DISPLAY`",
                    Some(
                        "the desktop session should import them (`systemctl --user \
                         import-environment DISPLAY WAYLAND_DISPLAY XAUTHORITY`)"
                    )
                )
            );
            return None;
        }
        for var in display::VARS {
            command.env_remove(var);
        }
        command.envs(vars);
    }
    let child = command
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn();
    let child = match child {
        Ok(child) => child,
        Err(e) => {
            tracing::warn!("failed to start `{}`: {e}", argv[0].to_string_lossy());
            return None;
        }
    };
    match child.wait_with_output().await {
        Ok(out) => {
            if !out.status.success() {
                tracing::debug!("input dialog closed without an answer ({})", out.status);
            }
            answer(out.status.success(), &out.stdout)
        }
        Err(e) => {
            tracing::warn!("failed to wait for `{}`: {e}", argv[0].to_string_lossy());
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> PromptView {
        PromptView {
            id: 3,
            summary: "Check-in (asked 2× since 14:00) · 3 commits in api".to_string(),
            body: "What did you work on? <now>".to_string(),
            trigger_kind: "timer".to_string(),
            repos: vec![],
            json: "{}".to_string(),
            update: false,
            notification: None,
        }
    }

    #[test]
    fn argv_for_each_dialog() {
        let z = argv(&Dialog::Zenity("/usr/bin/zenity".into()), &view());
        assert_eq!(
            z,
            [
                "/usr/bin/zenity",
                "--entry",
                "--title=devtrack",
                "--text=Check-in (asked 2× since 14:00) · 3 commits in api\n\nWhat did you work on? <now>",
                "--entry-text=",
            ]
            .map(OsString::from)
        );
        let k = argv(&Dialog::Kdialog("/usr/bin/kdialog".into()), &view());
        assert_eq!(
            k,
            [
                "/usr/bin/kdialog",
                "--title",
                "devtrack",
                "--inputbox",
                "<qt>Check-in (asked 2× since 14:00) · 3 commits in api<br><br>What did you work on? &lt;now&gt;</qt>",
                "",
            ]
            .map(OsString::from)
        );
    }

    /// What each dialog is given for commit summaries that markup, a
    /// mnemonic or an escape would change.
    #[test]
    fn summaries_reach_each_dialog_literally() {
        let cases = [
            (
                "fix user_id & <em>x</em>",
                "fix user__id & <em>x</em>",
                "<qt>fix user_id &amp; &lt;em&gt;x&lt;/em&gt;</qt>",
            ),
            ("__init__", "____init____", "<qt>__init__</qt>"),
            (
                "C:\\temp\\new \\n",
                "C:\\\\temp\\\\new \\\\n",
                "<qt>C:\\temp\\new \\n</qt>",
            ),
            (
                "a \"quote\"\nline",
                "a \"quote\"\nline",
                "<qt>a &quot;quote&quot;<br>line</qt>",
            ),
            ("&amp; stays", "&amp; stays", "<qt>&amp;amp; stays</qt>"),
        ];
        for (summary, zenity, kdialog) in cases {
            assert_eq!(zenity_label(summary), zenity, "{summary:?}");
            assert_eq!(qt_rich_text(summary), kdialog, "{summary:?}");
        }
    }

    #[test]
    fn answer_only_from_a_successful_dialog() {
        let cases: &[(bool, &[u8], Option<&str>)] = &[
            (true, b"fixed login\n", Some("fixed login")),
            (true, b"  \n", None),
            (true, b"", None),
            (false, b"typed then cancelled\n", None),
        ];
        for (success, out, want) in cases {
            assert_eq!(answer(*success, out).as_deref(), *want, "{success} {out:?}");
        }
    }

    #[test]
    fn zenity_first_then_kdialog_executables_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        let make = |path: PathBuf, mode: u32| {
            std::fs::write(&path, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            path
        };
        let path = std::env::join_paths([&a, &b]).unwrap();
        assert_eq!(find(&path), None);
        make(a.join("zenity"), 0o644);
        assert_eq!(find(&path), None, "not executable");
        let kdialog = make(a.join("kdialog"), 0o755);
        assert_eq!(find(&path), Some(Dialog::Kdialog(kdialog)));
        let zenity = make(b.join("zenity"), 0o755);
        assert_eq!(find(&path), Some(Dialog::Zenity(zenity)));
        std::fs::create_dir_all(a.join("sub")).unwrap();
        assert_eq!(find(OsStr::new("")), None);
    }
}
