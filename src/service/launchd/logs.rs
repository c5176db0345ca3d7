//! `devtrack logs` on macOS: the daemon logs to os_log under the subsystem
//! `dev.devtrack`, read back with `log show` / `log stream`. This module
//! builds their exact argument lists; `log show` has no count flag, so
//! `-n N` is applied in-process by keeping the last N lines.

use std::collections::VecDeque;
use std::io::{BufRead, Write};

use super::{LogOptions, ServiceError, LABEL};
use crate::exit::Status;

/// How far back `log show` looks when no `--since` is given.
pub(crate) const DEFAULT_LAST: &str = "1d";

/// One run of `log`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogInvocation {
    /// Arguments after `log`.
    pub args: Vec<String>,
    /// Keep only the last N lines of its output.
    pub tail: Option<u32>,
}

/// The `log` predicate for devtrack's entries at `priority` or above.
/// tracing-oslog maps ERROR to os_log "fault" and WARN to "error"; INFO and
/// DEBUG become "default" and "info", which `log` shows by default or with
/// `--info`.
pub(crate) fn predicate(priority: Option<&str>) -> Result<String, ServiceError> {
    let subsystem = format!("subsystem == \"{LABEL}\"");
    match priority {
        None | Some("info") | Some("debug") => Ok(subsystem),
        Some("warn") => Ok(format!(
            "{subsystem} AND (messageType == error OR messageType == fault)"
        )),
        Some("error") => Ok(format!("{subsystem} AND messageType == fault")),
        Some(other) => Err(ServiceError::failed(
            Status::Usage,
            format!("unknown priority `{other}`"),
        )
        .with_hint("use one of error, warn, info, debug")),
    }
}

fn show(opts: &LogOptions, predicate: &str) -> LogInvocation {
    let mut args = vec![
        "show".to_string(),
        "--predicate".to_string(),
        predicate.to_string(),
    ];
    match opts.since {
        // `log show --start` takes a time with its UTC offset.
        Some(since) => args.extend([
            "--start".to_string(),
            since.format("%Y-%m-%d %H:%M:%S%z").to_string(),
        ]),
        None => args.extend(["--last".to_string(), DEFAULT_LAST.to_string()]),
    }
    if opts.priority.as_deref() == Some("debug") {
        args.extend(["--info".to_string(), "--debug".to_string()]);
    }
    args.extend(["--style".to_string(), "compact".to_string()]);
    LogInvocation {
        args,
        tail: opts.lines,
    }
}

fn stream(opts: &LogOptions, predicate: &str) -> LogInvocation {
    let mut args = vec![
        "stream".to_string(),
        "--predicate".to_string(),
        predicate.to_string(),
    ];
    if opts.priority.as_deref() == Some("debug") {
        args.extend(["--level".to_string(), "debug".to_string()]);
    }
    args.extend(["--style".to_string(), "compact".to_string()]);
    LogInvocation { args, tail: None }
}

/// The `log` runs for `devtrack logs`, in order. With `-f`, past entries
/// are shown first only when asked for (`-n` or `--since`), since
/// `log stream` shows nothing from before it started.
pub(crate) fn plan(opts: &LogOptions) -> Result<Vec<LogInvocation>, ServiceError> {
    let predicate = predicate(opts.priority.as_deref())?;
    let mut runs = Vec::new();
    if !opts.follow || opts.lines.is_some() || opts.since.is_some() {
        runs.push(show(opts, &predicate));
    }
    if opts.follow {
        runs.push(stream(opts, &predicate));
    }
    Ok(runs)
}

/// Copies `input` to `out`, all of it or only its last `tail` lines.
pub(crate) fn copy_tail(
    input: impl BufRead,
    out: &mut dyn Write,
    tail: Option<u32>,
) -> std::io::Result<()> {
    match tail {
        None => {
            for line in input.lines() {
                writeln!(out, "{}", line?)?;
            }
        }
        Some(n) => {
            let mut last = VecDeque::with_capacity(n as usize);
            for line in input.lines() {
                if last.len() == n as usize {
                    last.pop_front();
                }
                if n > 0 {
                    last.push_back(line?);
                }
            }
            for line in last {
                writeln!(out, "{line}")?;
            }
        }
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "subsystem == \"dev.devtrack\"";

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn plain_logs_show_the_last_day() {
        let runs = plan(&LogOptions::default()).unwrap();
        assert_eq!(
            runs,
            [LogInvocation {
                args: strings(&[
                    "show",
                    "--predicate",
                    P,
                    "--last",
                    "1d",
                    "--style",
                    "compact"
                ]),
                tail: None
            }]
        );
    }

    #[test]
    fn since_is_an_absolute_start() {
        let opts = LogOptions {
            since: Some(chrono::DateTime::from_timestamp(1_714_554_000, 0).unwrap()),
            lines: Some(50),
            ..Default::default()
        };
        assert_eq!(
            plan(&opts).unwrap(),
            [LogInvocation {
                args: strings(&[
                    "show",
                    "--predicate",
                    P,
                    "--start",
                    "2024-05-01 09:00:00+0000",
                    "--style",
                    "compact"
                ]),
                tail: Some(50)
            }]
        );
    }

    #[test]
    fn follow_streams_and_shows_history_only_when_asked() {
        let follow = LogOptions {
            follow: true,
            ..Default::default()
        };
        assert_eq!(
            plan(&follow).unwrap(),
            [LogInvocation {
                args: strings(&["stream", "--predicate", P, "--style", "compact"]),
                tail: None
            }]
        );
        let follow_n = LogOptions {
            follow: true,
            lines: Some(10),
            priority: Some("debug".into()),
            ..Default::default()
        };
        assert_eq!(
            plan(&follow_n).unwrap(),
            [
                LogInvocation {
                    args: strings(&[
                        "show",
                        "--predicate",
                        P,
                        "--last",
                        "1d",
                        "--info",
                        "--debug",
                        "--style",
                        "compact"
                    ]),
                    tail: Some(10)
                },
                LogInvocation {
                    args: strings(&[
                        "stream",
                        "--predicate",
                        P,
                        "--level",
                        "debug",
                        "--style",
                        "compact"
                    ]),
                    tail: None
                }
            ]
        );
    }

    #[test]
    fn priorities_filter_by_message_type() {
        assert_eq!(
            predicate(Some("error")).unwrap(),
            "subsystem == \"dev.devtrack\" AND messageType == fault"
        );
        assert_eq!(
            predicate(Some("warn")).unwrap(),
            "subsystem == \"dev.devtrack\" AND (messageType == error OR messageType == fault)"
        );
        assert_eq!(predicate(Some("info")).unwrap(), P);
        let err = predicate(Some("loud")).unwrap_err();
        assert!(err.to_string().starts_with("unknown priority `loud`"));
        assert!(plan(&LogOptions {
            priority: Some("loud".into()),
            ..Default::default()
        })
        .is_err());
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        let input = "a\nb\nc\nd\n";
        let mut out = Vec::new();
        copy_tail(input.as_bytes(), &mut out, Some(2)).unwrap();
        assert_eq!(out, b"c\nd\n");
        let mut out = Vec::new();
        copy_tail(input.as_bytes(), &mut out, None).unwrap();
        assert_eq!(out, input.as_bytes());
        let mut out = Vec::new();
        copy_tail(input.as_bytes(), &mut out, Some(0)).unwrap();
        assert!(out.is_empty());
        let mut out = Vec::new();
        copy_tail(input.as_bytes(), &mut out, Some(10)).unwrap();
        assert_eq!(out, input.as_bytes());
    }
}
