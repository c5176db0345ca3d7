//! `devtrack history`: recent triggers (or commits, or prompts:
//! `history_prompts.rs`), read straight from the store (read-only, so it
//! works whether or not the daemon runs).

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

use crate::cli::args::HistoryArgs;
use crate::cli::Context;
use crate::daemon::store::Store;
use crate::exit;

/// `2026-01-31`, `2026-01-31T09:00`, `2026-01-31 09:00`, an RFC 3339 instant,
/// or a span back from now: `3d`, `12h`, `90m`. Local forms use `tz`.
pub fn parse_since<Tz: TimeZone>(
    text: &str,
    now: DateTime<Utc>,
    tz: &Tz,
) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(secs) = crate::daemon::parse_duration(text) {
        return Ok(now - chrono::TimeDelta::seconds(secs as i64));
    }
    let local = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .or_else(|| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").ok())
        .or_else(|| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").ok())
        .ok_or_else(|| {
            format!("`{text}` is not a time (e.g. `2026-01-31`, `2026-01-31T09:00`, `3d`, `12h`)")
        })?;
    tz.from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| format!("`{text}` does not exist in the local timezone"))
}

pub fn run(ctx: &Context, args: &HistoryArgs) -> i32 {
    let now = Utc::now();
    let since = match args
        .since
        .as_deref()
        .map(|s| parse_since(s, now, &chrono::Local))
    {
        Some(Ok(t)) => Some(t),
        Some(Err(e)) => {
            eprintln!("devtrack: {e}");
            return exit::USAGE;
        }
        None => None,
    };
    if !ctx.paths.database.exists() {
        if args.json {
            return exit::OK;
        }
        println!(
            "no history yet (no store at `{}`)",
            ctx.paths.database.display()
        );
        return exit::OK;
    }
    let store = match Store::open_read_only(&ctx.paths.database) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("devtrack: {e:#}");
            return exit::FAILURE;
        }
    };
    if args.commits {
        return commits(&store, since, args);
    }
    if args.prompts {
        return super::history_prompts::run(&store, since, args);
    }
    let triggers = match store.recent_triggers(since, args.limit) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("devtrack: reading triggers: {e:#}");
            return exit::FAILURE;
        }
    };
    let mut out = String::new();
    if args.json {
        out = json_lines(&triggers);
    } else if triggers.is_empty() {
        out.push_str("no triggers\n");
    } else {
        out.push_str(&format!(
            "{:>6}  {:<8}  {:<19}  {}\n",
            "ID", "KIND", "FIRED", "NOTE"
        ));
        for t in &triggers {
            let fired = t
                .fired_at
                .with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string();
            let note = match (t.late, &t.reason) {
                (true, Some(r)) => format!("late: {r}"),
                (true, None) => "late".to_string(),
                (false, Some(r)) => r.clone(),
                (false, None) => String::new(),
            };
            out.push_str(&format!(
                "{:>6}  {:<8}  {:<19}  {}\n",
                t.id,
                t.kind.as_str(),
                fired,
                note
            ));
        }
    }
    print!("{out}");
    exit::OK
}

/// One JSON object per line.
pub(super) fn json_lines<T: serde::Serialize>(rows: &[T]) -> String {
    rows.iter()
        .map(|r| serde_json::to_string(r).expect("records serialize") + "\n")
        .collect()
}

fn commits(store: &Store, since: Option<DateTime<Utc>>, args: &HistoryArgs) -> i32 {
    let commits = match store.recent_commits(since, args.limit) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("devtrack: reading commits: {e:#}");
            return exit::FAILURE;
        }
    };
    let mut out = String::new();
    if args.json {
        out = json_lines(&commits);
    } else if commits.is_empty() {
        out.push_str("no commits\n");
    } else {
        for c in &commits {
            let when = c
                .committed_at
                .unwrap_or(c.recorded_at)
                .with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M");
            out.push_str(&format!(
                "{}  {}  {:<12}  {:<11}  {}  {}\n",
                when,
                c.hash,
                c.repo,
                c.kind,
                c.branch.as_deref().unwrap_or("(detached)"),
                c.summary.as_deref().unwrap_or("")
            ));
        }
    }
    print!("{out}");
    exit::OK
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn since_forms() {
        let now = at("2026-11-26T09:00:00Z");
        let tz = chrono_tz::Europe::Berlin;
        assert_eq!(parse_since("3d", now, &tz), Ok(at("2026-11-23T09:00:00Z")));
        assert_eq!(parse_since("12h", now, &tz), Ok(at("2026-11-25T21:00:00Z")));
        assert_eq!(
            parse_since("2026-11-20", now, &tz),
            Ok(at("2026-11-19T23:00:00Z"))
        );
        assert_eq!(
            parse_since("2026-11-20T09:30", now, &tz),
            Ok(at("2026-11-20T08:30:00Z"))
        );
        assert_eq!(
            parse_since("2026-11-20T09:30:00Z", now, &tz),
            Ok(at("2026-11-20T09:30:00Z"))
        );
        assert!(parse_since("yesterday", now, &tz).is_err());
    }
}
