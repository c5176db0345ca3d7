//! What the person did with the dialog, read purely from `osascript`'s
//! exit status and output. `display dialog` prints its result record as
//! `button returned:Log update, text returned:foo, gave up:false`; the
//! typed text may itself hold commas, colons and even `, gave up:`, so the
//! record is split on the known button names at the start and on the last
//! `, gave up:` at the end, never on commas.

use super::script::{LOG_UPDATE, SKIP, SNOOZE};

/// The dialog's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reply {
    /// "Log update" with text: the answer (trimmed).
    Answer(String),
    Snooze,
    Skip,
    /// Nothing to report, and why (for the debug log): cancelled, gave up,
    /// "Log update" with nothing typed. The prompt stays open.
    Nothing(&'static str),
}

/// `osascript`'s result for the dialog: a [`Reply`], or why it failed.
pub(crate) fn dialog_reply(success: bool, stdout: &str, stderr: &str) -> Result<Reply, String> {
    if !success {
        // Closing the dialog without a button: "execution error: User
        // canceled. (-128)", exit status 1.
        if stderr.contains("(-128)") || stderr.contains("User canceled") {
            return Ok(Reply::Nothing("cancelled"));
        }
        return Err(failure(stderr));
    }
    parse_record(stdout).ok_or_else(|| {
        let shown: String = stdout.trim().chars().take(80).collect();
        format!("unexpected osascript output `{}`", shown.escape_debug())
    })
}

/// One line saying why `osascript` failed, from its stderr.
pub(crate) fn failure(stderr: &str) -> String {
    let line = stderr.trim().lines().next().unwrap_or("");
    let line: String = line.chars().take(200).collect();
    if line.is_empty() {
        "osascript failed without a message".to_owned()
    } else {
        format!("osascript failed: {}", line.escape_debug())
    }
}

fn parse_record(stdout: &str) -> Option<Reply> {
    let record = stdout.strip_suffix('\n').unwrap_or(stdout);
    let rest = record.strip_prefix("button returned:")?;
    let (rest, gave_up) = match rest.rfind(", gave up:") {
        Some(at) => (&rest[..at], &rest[at + ", gave up:".len()..]),
        None => (rest, "false"),
    };
    if gave_up == "true" {
        return Some(Reply::Nothing("gave up"));
    }
    if gave_up != "false" {
        return None;
    }
    let (button, text) = [LOG_UPDATE, SNOOZE, SKIP].into_iter().find_map(|button| {
        let after = rest.strip_prefix(button)?;
        Some((button, after.strip_prefix(", text returned:")?))
    })?;
    Some(match button {
        SNOOZE => Reply::Snooze,
        SKIP => Reply::Skip,
        _ => match text.trim() {
            "" => Reply::Nothing("empty answer"),
            text => Reply::Answer(text.to_owned()),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(stdout: &str) -> Result<Reply, String> {
        dialog_reply(true, stdout, "")
    }

    #[test]
    fn the_button_and_text_become_the_reply() {
        let answer = |t: &str| Ok(Reply::Answer(t.to_owned()));
        let cases = [
            (
                "button returned:Log update, text returned:fixed login, gave up:false\n",
                answer("fixed login"),
            ),
            (
                "button returned:Log update, text returned:a, b, and c: done, gave up:false\n",
                answer("a, b, and c: done"),
            ),
            (
                "button returned:Log update, text returned:x, gave up:true, gave up:false\n",
                answer("x, gave up:true"),
            ),
            (
                "button returned:Log update, text returned:, text returned:y, gave up:false\n",
                answer(", text returned:y"),
            ),
            (
                "button returned:Log update, text returned:  padded  , gave up:false\n",
                answer("padded"),
            ),
            (
                "button returned:Log update, text returned:line 1\nline 2, gave up:false\n",
                answer("line 1\nline 2"),
            ),
            (
                "button returned:Log update, text returned:no gave-up field\n",
                answer("no gave-up field"),
            ),
            (
                "button returned:Snooze, text returned:typed anyway, gave up:false\n",
                Ok(Reply::Snooze),
            ),
            (
                "button returned:Skip, text returned:, gave up:false\n",
                Ok(Reply::Skip),
            ),
            (
                "button returned:Log update, text returned:   , gave up:false\n",
                Ok(Reply::Nothing("empty answer")),
            ),
            (
                "button returned:, text returned:half typed, gave up:true\n",
                Ok(Reply::Nothing("gave up")),
            ),
        ];
        for (stdout, reply) in cases {
            assert_eq!(ok(stdout), reply, "{stdout:?}");
        }
    }

    #[test]
    fn anything_else_is_a_failure_not_an_answer() {
        for stdout in [
            "",
            "button returned:OK, text returned:x, gave up:false\n",
            "button returned:Log update\n",
            "button returned:Log update, text returned:x, gave up:maybe\n",
            "text returned:x, button returned:Log update\n",
        ] {
            let reply = ok(stdout);
            assert!(
                reply
                    .as_ref()
                    .is_err_and(|e| e.starts_with("unexpected osascript output")),
                "{stdout:?}: {reply:?}"
            );
        }
    }

    #[test]
    fn cancel_is_nothing_and_other_errors_fail() {
        assert_eq!(
            dialog_reply(false, "", "0:75: execution error: User canceled. (-128)\n"),
            Ok(Reply::Nothing("cancelled"))
        );
        assert_eq!(
            dialog_reply(
                false,
                "",
                "0:12: execution error: Not authorized to send Apple events. (-1743)\nmore\n"
            ),
            Err(
                "osascript failed: 0:12: execution error: Not authorized to send Apple events. \
                 (-1743)"
                    .to_owned()
            )
        );
        assert_eq!(
            dialog_reply(false, "", ""),
            Err("osascript failed without a message".to_owned())
        );
    }
}
