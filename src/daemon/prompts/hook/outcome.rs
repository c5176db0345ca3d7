//! What one hook run came to, as the run loop and the log see it: the
//! bounded capture of its output, how it ended, and the pure mapping of
//! both to a [`Report`] and one bounded log line.

use std::fmt::Write as _;
use std::time::Duration;

use crate::daemon::prompts::Report;
use crate::display::seconds;

/// Bytes kept of each of stdout and stderr; the rest is counted, not kept.
pub(crate) const KEPT: usize = 4096;

/// Characters of output quoted in a report's detail.
const DETAIL_CHARS: usize = 120;

/// The start of one output stream, and how long it was in all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Capture {
    kept: Vec<u8>,
    total: u64,
}

impl Capture {
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        let room = KEPT.saturating_sub(self.kept.len());
        self.kept.extend_from_slice(&bytes[..bytes.len().min(room)]);
        self.total += bytes.len() as u64;
    }

    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    pub(crate) fn truncated(&self) -> bool {
        self.total > self.kept.len() as u64
    }

    /// The kept bytes as one line: lossy UTF-8, control characters
    /// escaped (`\n`, `\u{1b}`), so no hook can forge log lines.
    pub(crate) fn one_line(&self) -> String {
        String::from_utf8_lossy(&self.kept)
            .trim_end()
            .escape_debug()
            .to_string()
    }

    /// `stdout 10000 bytes (first 4096 kept)`, or `stdout 12 bytes`.
    fn size(&self, name: &str) -> String {
        if self.truncated() {
            format!(
                "{name} {} bytes (first {} kept)",
                self.total,
                self.kept.len()
            )
        } else {
            format!("{name} {} bytes", self.total)
        }
    }
}

/// How the hook process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ended {
    /// Exited by itself with this status.
    Exited(i32),
    /// Died of a signal devtrack did not send.
    Signaled(i32),
    /// Still running at the timeout: SIGTERM to its process group, and
    /// SIGKILL when `sigkill` (it was still there 5 s later).
    TimedOut { after: Duration, sigkill: bool },
    /// Never ran: the error from starting it.
    NotStarted(String),
}

/// A finished run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Run {
    pub ended: Ended,
    pub stdout: Capture,
    pub stderr: Capture,
    /// Its output was still open when devtrack stopped reading (a process
    /// the hook left behind holds it).
    pub output_left_open: bool,
}

impl Run {
    /// Exit 0 is delivered; anything else failed. The detail starts with
    /// how it ended, then the output's sizes and its first line.
    pub(crate) fn report(&self) -> Report {
        let detail = self.detail();
        match self.ended {
            Ended::Exited(0) => Report::Delivered {
                detail: Some(detail),
            },
            _ => Report::Failed { detail },
        }
    }

    /// One line for the log: the detail and both outputs, escaped.
    pub(crate) fn log_line(&self) -> String {
        let mut line = format!("hook {}", ended_text(&self.ended));
        for (name, capture) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            if capture.total() > 0 {
                let _ = write!(line, "; {}: {}", capture.size(name), capture.one_line());
                if capture.truncated() {
                    line.push('…');
                }
            }
        }
        if self.output_left_open {
            line.push_str("; output still open at the timeout (a process it started holds it)");
        }
        line
    }

    fn detail(&self) -> String {
        let mut detail = ended_text(&self.ended);
        for (name, capture) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            if capture.total() == 0 {
                continue;
            }
            detail.push_str("; ");
            detail.push_str(&capture.size(name));
            let text = capture.one_line();
            let first: String = text.chars().take(DETAIL_CHARS).collect();
            if !first.is_empty() {
                detail.push_str(": ");
                detail.push_str(&first);
                if first.len() < text.len() {
                    detail.push('…');
                }
            }
        }
        if self.output_left_open {
            detail.push_str("; output still open at the timeout");
        }
        detail
    }
}

fn ended_text(ended: &Ended) -> String {
    match ended {
        Ended::Exited(status) => format!("exited with status {status}"),
        Ended::Signaled(signal) => format!("killed by signal {}", signal_name(*signal)),
        Ended::TimedOut { after, sigkill } => {
            let mut text = format!("killed after {} timeout", seconds(*after));
            if *sigkill {
                text.push_str(" (it ignored SIGTERM; SIGKILL 5 s later)");
            }
            text
        }
        Ended::NotStarted(error) => format!("could not start: {error}"),
    }
}

fn signal_name(signal: i32) -> String {
    match nix::sys::signal::Signal::try_from(signal) {
        Ok(s) => format!("{signal} ({})", s.as_str()),
        Err(_) => signal.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capture(bytes: &[u8]) -> Capture {
        let mut c = Capture::default();
        c.push(bytes);
        c
    }

    fn run(ended: Ended, stdout: &[u8], stderr: &[u8]) -> Run {
        Run {
            ended,
            stdout: capture(stdout),
            stderr: capture(stderr),
            output_left_open: false,
        }
    }

    #[test]
    fn capture_keeps_the_start_and_counts_the_rest() {
        let mut c = Capture::default();
        c.push(&[b'a'; 3000]);
        c.push(&[b'b'; 3000]);
        assert_eq!(c.total(), 6000);
        assert_eq!(c.kept.len(), KEPT);
        assert!(c.truncated());
        assert!(c.kept[..3000].iter().all(|b| *b == b'a'));
        assert!(!capture(b"ok\n").truncated());
    }

    #[test]
    fn output_becomes_one_escaped_line() {
        assert_eq!(
            capture(b"line 1\nline 2\x1b[31m\n").one_line(),
            "line 1\\nline 2\\u{1b}[31m"
        );
        assert_eq!(capture(&[0xff, b'x']).one_line(), "\u{fffd}x");
    }

    #[test]
    fn reports_by_how_the_hook_ended() {
        let cases = [
            (
                run(Ended::Exited(0), b"", b""),
                Report::Delivered {
                    detail: Some("exited with status 0".into()),
                },
            ),
            (
                run(Ended::Exited(3), b"", b"no token\n"),
                Report::Failed {
                    detail: "exited with status 3; stderr 9 bytes: no token".into(),
                },
            ),
            (
                run(Ended::Signaled(9), b"", b""),
                Report::Failed {
                    detail: "killed by signal 9 (SIGKILL)".into(),
                },
            ),
            (
                run(
                    Ended::TimedOut {
                        after: Duration::from_secs(30),
                        sigkill: false,
                    },
                    b"",
                    b"",
                ),
                Report::Failed {
                    detail: "killed after 30 s timeout".into(),
                },
            ),
            (
                run(
                    Ended::TimedOut {
                        after: Duration::from_millis(1500),
                        sigkill: true,
                    },
                    b"",
                    b"",
                ),
                Report::Failed {
                    detail: "killed after 1.5 s timeout (it ignored SIGTERM; SIGKILL 5 s later)"
                        .into(),
                },
            ),
            (
                run(Ended::NotStarted("`nope`: not found".into()), b"", b""),
                Report::Failed {
                    detail: "could not start: `nope`: not found".into(),
                },
            ),
        ];
        for (run, report) in cases {
            assert_eq!(run.report(), report);
        }
    }

    #[test]
    fn details_and_log_lines_stay_short_and_say_what_was_cut() {
        let long = run(Ended::Exited(0), &[b'x'; 10_000], b"");
        let Report::Delivered {
            detail: Some(detail),
        } = long.report()
        else {
            panic!("{:?}", long.report());
        };
        assert!(
            detail.starts_with("exited with status 0; stdout 10000 bytes (first 4096 kept): xxx")
        );
        assert!(detail.ends_with('…'));
        assert!(detail.len() < 200, "{detail}");
        let line = long.log_line();
        assert!(!line.contains('\n'));
        assert!(line.len() < 4096 + 100, "{}", line.len());
        assert!(line.ends_with('…'));
    }
}
