//! The AppleScript devtrack hands `osascript`, built purely: the
//! notification, the answer dialog, and the quoting that keeps any prompt
//! text (a branch name, a repository called `"; do shell script "…`) a
//! string literal.
//!
//! Each script is one `-e` argument, so `osascript` never reads a file and
//! no shell is involved.

use std::time::Duration;

use crate::daemon::prompts::{text, PromptView};

/// The title of every notification and dialog.
pub(crate) const TITLE: &str = "devtrack";

/// The dialog's buttons, left to right; the last is the default.
pub(crate) const LOG_UPDATE: &str = "Log update";
pub(crate) const SNOOZE: &str = "Snooze";
pub(crate) const SKIP: &str = "Skip";

/// `text` as an AppleScript string literal, quotes included: backslash
/// and double quote escaped, line breaks and tabs as `\n` and `\t`, other
/// control characters (NUL cannot even be passed in an argument) as
/// spaces.
pub(crate) fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => {
                // CRLF and a lone CR are both one line break.
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `osascript`'s arguments for the notification: the body as its text
/// (saying how to answer unless a dialog follows, `dialog`), the summary
/// as its subtitle.
pub(crate) fn notification_args(view: &PromptView, dialog: bool) -> Vec<String> {
    let script = format!(
        "display notification {} with title {} subtitle {}",
        quote(&text::shown_body(&view.body, dialog)),
        quote(TITLE),
        quote(&view.summary)
    );
    vec!["-e".to_owned(), script]
}

/// `osascript`'s arguments for the answer dialog: the summary and the body,
/// an empty answer field, Skip / Snooze / Log update (the default, so
/// Return answers), and giving up after `give_up` (whole seconds, at
/// least 1).
pub(crate) fn dialog_args(view: &PromptView, give_up: Duration) -> Vec<String> {
    let text = format!("{}\n\n{}", view.summary, view.body);
    let script = format!(
        "display dialog {} default answer \"\" buttons {{{}, {}, {}}} default button {} \
         with title {} giving up after {}",
        quote(&text),
        quote(SKIP),
        quote(SNOOZE),
        quote(LOG_UPDATE),
        quote(LOG_UPDATE),
        quote(TITLE),
        give_up.as_secs().max(1)
    );
    vec!["-e".to_owned(), script]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(summary: &str, body: &str) -> PromptView {
        PromptView {
            id: 1,
            summary: summary.into(),
            body: body.into(),
            trigger_kind: "timer".into(),
            repos: vec![],
            json: "{}".into(),
            update: false,
            notification: None,
        }
    }

    #[test]
    fn quoting_keeps_hostile_text_a_string() {
        let cases = [
            ("plain", r#""plain""#),
            ("", r#""""#),
            (r#"say "hi""#, r#""say \"hi\"""#),
            (r"C:\path\", r#""C:\\path\\""#),
            (r#"\""#, r#""\\\"""#),
            ("two\nlines", r#""two\nlines""#),
            ("crlf\r\nand cr\rend", r#""crlf\nand cr\nend""#),
            ("tab\there", r#""tab\there""#),
            ("nul\0bell\x07esc\x1b[31m", r#""nul bell esc [31m""#),
            (
                r#"" & (do shell script "rm -rf ~") & ""#,
                r#""\" & (do shell script \"rm -rf ~\") & \"""#,
            ),
            (
                "¬ continuation «data» “curly” 日本",
                r#""¬ continuation «data» “curly” 日本""#,
            ),
        ];
        for (text, quoted) in cases {
            assert_eq!(quote(text), quoted, "{text:?}");
        }
    }

    #[test]
    fn a_quoted_string_has_no_unescaped_quote_inside() {
        for text in [r#"a"b"#, r#"\"#, r#"\\""#, "\"\"\"", "x\\\"y"] {
            let quoted = quote(text);
            let inner = &quoted[1..quoted.len() - 1];
            let mut escaped = false;
            for c in inner.chars() {
                assert!(escaped || c != '"', "{text:?} -> {quoted}");
                escaped = !escaped && c == '\\';
            }
            assert!(!escaped, "{text:?} ends in a lone backslash: {quoted}");
        }
    }

    #[test]
    fn the_notification_shows_the_body_under_the_summary() {
        let v = view("3 commits in api", "What did you \"do\"?");
        assert_eq!(
            notification_args(&v, true),
            [
                "-e",
                r#"display notification "What did you \"do\"?" with title "devtrack" subtitle "3 commits in api""#
            ]
        );
        // No dialog follows: the text says how to answer.
        assert_eq!(
            notification_args(&v, false),
            [
                "-e",
                r#"display notification "What did you \"do\"?\n\nTo answer, run: devtrack note \"what you did\"" with title "devtrack" subtitle "3 commits in api""#
            ]
        );
    }

    #[test]
    fn the_dialog_asks_with_three_buttons_and_gives_up() {
        assert_eq!(
            dialog_args(
                &view("3 commits in api", "What did you work on?"),
                Duration::from_secs(3600)
            ),
            [
                "-e",
                r#"display dialog "3 commits in api\n\nWhat did you work on?" default answer "" buttons {"Skip", "Snooze", "Log update"} default button "Log update" with title "devtrack" giving up after 3600"#
            ]
        );
        assert!(dialog_args(&view("s", "b"), Duration::ZERO)[1].ends_with("giving up after 1"));
    }
}
