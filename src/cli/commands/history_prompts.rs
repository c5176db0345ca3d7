//! `devtrack history --prompts`: each prompt's state, its times (opened,
//! last change, when a snooze ends), how many triggers it gathered, and its
//! answer.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::history::json_lines;
use crate::cli::args::HistoryArgs;
use crate::daemon::store::{PromptRecord, PromptState, Store, WorkUpdate};
use crate::exit;

/// A prompt with its answer, as `--json` prints it.
#[derive(Serialize)]
struct Entry {
    #[serde(flatten)]
    prompt: PromptRecord,
    answer: Option<WorkUpdate>,
}

pub fn run(store: &Store, since: Option<DateTime<Utc>>, args: &HistoryArgs) -> i32 {
    let entries = match entries(store, since, args.limit) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("devtrack: reading prompts: {e:#}");
            return exit::FAILURE;
        }
    };
    let out = if args.json {
        json_lines(&entries)
    } else {
        table(&entries, &chrono::Local)
    };
    print!("{out}");
    exit::OK
}

fn entries(
    store: &Store,
    since: Option<DateTime<Utc>>,
    limit: usize,
) -> anyhow::Result<Vec<Entry>> {
    // A store the daemon has not migrated since the upgrade has no prompts.
    if store.schema_version()? < 2 {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for prompt in store.recent_prompts(since, limit)? {
        let answer = store.prompt_update(prompt.id)?;
        out.push(Entry { prompt, answer });
    }
    Ok(out)
}

fn table<Tz: chrono::TimeZone>(entries: &[Entry], tz: &Tz) -> String
where
    Tz::Offset: std::fmt::Display,
{
    if entries.is_empty() {
        return "no prompts\n".to_string();
    }
    let time = |t: DateTime<Utc>| t.with_timezone(tz).format("%Y-%m-%d %H:%M:%S").to_string();
    let mut out = format!(
        "{:>6}  {:<8}  {:<19}  {:>8}  {:<19}  {}\n",
        "ID", "STATE", "OPENED", "TRIGGERS", "CHANGED", "ANSWER"
    );
    for Entry { prompt: p, answer } in entries {
        let note = match (p.state, answer, p.reopens_at) {
            (_, Some(a), _) => {
                let first = a.text.lines().next().unwrap_or("");
                crate::report::clean(first)
            }
            (PromptState::Snoozed, None, Some(until)) => format!("(until {})", time(until)),
            _ => String::new(),
        };
        out.push_str(&format!(
            "{:>6}  {:<8}  {:<19}  {:>8}  {:<19}  {}\n",
            p.id,
            p.state.as_str(),
            time(p.opened_at),
            p.triggers.len(),
            time(p.state_at),
            note
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::store::{PromptChange, PromptTrigger, UpdateSource};

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn prompt(id: i64, state: PromptState, reopens_at: Option<DateTime<Utc>>) -> PromptRecord {
        let opened = at("2026-06-12T10:00:00Z");
        PromptRecord {
            id,
            opened_at: opened,
            state,
            state_at: at("2026-06-12T10:05:00Z"),
            reopens_at,
            triggers: vec![PromptTrigger {
                trigger_id: 1,
                kind: "timer".into(),
                fired_at: opened,
            }],
            changes: vec![PromptChange {
                state: PromptState::Open,
                at: opened,
                reopens_at: None,
            }],
            deliveries: Vec::new(),
        }
    }

    #[test]
    fn rows_show_state_times_and_answers() {
        let answer = WorkUpdate {
            id: 1,
            text: "fixed #12\nand more".into(),
            answered_at: at("2026-06-12T10:05:00Z"),
            prompt_id: Some(2),
            prompt_at: Some(at("2026-06-12T10:00:00Z")),
            source: Some(UpdateSource::Cli),
        };
        let entries = [
            Entry {
                prompt: prompt(2, PromptState::Answered, None),
                answer: Some(answer),
            },
            Entry {
                prompt: prompt(3, PromptState::Snoozed, Some(at("2026-06-12T10:35:00Z"))),
                answer: None,
            },
        ];
        let text = table(&entries, &chrono::Utc);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "    ID  STATE     OPENED               TRIGGERS  CHANGED              ANSWER"
        );
        assert_eq!(
            lines[1],
            "     2  answered  2026-06-12 10:00:00         1  2026-06-12 10:05:00  fixed #12"
        );
        assert_eq!(lines[2], "     3  snoozed   2026-06-12 10:00:00         1  2026-06-12 10:05:00  (until 2026-06-12 10:35:00)");
        assert_eq!(table(&[], &chrono::Utc), "no prompts\n");
        let json = json_lines(&entries[..1]);
        let v: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
        assert_eq!(v["state"], "answered");
        assert_eq!(v["answer"]["text"], "fixed #12\nand more");
        assert_eq!(v["triggers"][0]["kind"], "timer");
    }
}
