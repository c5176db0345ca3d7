//! `devtrack history --prompts`: each prompt's state, its times (opened,
//! last change, when a snooze ends), how many triggers it gathered, its
//! answer, and where the answer went (its outbox items: ticket, state,
//! the comment's link once sent).

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::display::stamp;
use crate::store::{OutboxRow, PromptRecord, PromptState, Store, WorkUpdate, PROMPTS_SCHEMA};

/// A prompt with its answer, as `--json` prints it.
#[derive(Serialize)]
pub(super) struct Entry {
    #[serde(flatten)]
    prompt: PromptRecord,
    answer: Option<WorkUpdate>,
    /// The answer's outbox items (no text).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sync: Vec<OutboxRow>,
}

/// Newest first, at most `limit`, optionally only those opened at or after
/// `since`. A store the daemon has not migrated since the upgrade has no
/// prompts.
pub(super) fn entries(
    store: &Store,
    since: Option<DateTime<Utc>>,
    limit: usize,
) -> anyhow::Result<Vec<Entry>> {
    if store.schema_version()? < PROMPTS_SCHEMA {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for prompt in store.recent_prompts(since, limit)? {
        let answer = store.prompt_update(prompt.id)?;
        let sync = match &answer {
            Some(a) => store.outbox_of_update(a.id)?,
            None => Vec::new(),
        };
        out.push(Entry {
            prompt,
            answer,
            sync,
        });
    }
    Ok(out)
}

/// One line per prompt; times in `tz`.
pub(super) fn table(entries: &[Entry], tz: Tz) -> String {
    let rows: Vec<([String; 6], &[OutboxRow])> = entries
        .iter()
        .map(
            |Entry {
                 prompt: p,
                 answer,
                 sync,
             }| {
                let note = match (p.state, answer, p.reopens_at) {
                    (_, Some(a), _) => crate::report::clean(a.text.lines().next().unwrap_or("")),
                    (PromptState::Snoozed, None, Some(until)) => {
                        format!("(until {})", stamp(until, tz))
                    }
                    _ => String::new(),
                };
                (
                    [
                        p.id.to_string(),
                        p.state.as_str().to_string(),
                        stamp(p.opened_at, tz),
                        p.trigger_count.to_string(),
                        stamp(p.state_at, tz),
                        note,
                    ],
                    sync.as_slice(),
                )
            },
        )
        .collect();
    let width = rows
        .iter()
        .map(|(r, _)| r[2].len().max(r[4].len()))
        .max()
        .unwrap_or(0);
    let mut out = format!(
        "{:>6}  {:<8}  {:<width$}  {:>8}  {:<width$}  {}\n",
        "ID", "STATE", "OPENED", "TRIGGERS", "CHANGED", "ANSWER"
    );
    for ([id, state, opened, triggers, changed, note], sync) in &rows {
        let _ = writeln!(
            out,
            "{id:>6}  {state:<8}  {opened:<width$}  {triggers:>8}  {changed:<width$}  {note}"
        );
        for item in *sync {
            let _ = writeln!(
                out,
                "{:>8}-> {} {} {}{}",
                "",
                item.family.as_str(),
                item.ticket,
                item.state.as_str(),
                item.remote_url
                    .as_deref()
                    .map(|u| format!(" {u}"))
                    .unwrap_or_default()
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{PromptChange, PromptTrigger, UpdateSource};

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
            trigger_count: 1,
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
            holds: Vec::new(),
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
                sync: vec![crate::store::OutboxRow {
                    id: "00ff".into(),
                    update_id: 1,
                    family: crate::tickets::Family::Github,
                    ticket: "o/r#12".into(),
                    endpoint: None,
                    state: crate::store::OutboxState::Sent,
                    reason: None,
                    attempts: 1,
                    next_try_at: None,
                    remote_url: Some("https://github.com/o/r/issues/12#issuecomment-1".into()),
                    sent_at: Some(at("2026-06-12T10:06:00Z")),
                    created_at: at("2026-06-12T10:05:00Z"),
                    update_text: String::new(),
                    answered_at: at("2026-06-12T10:05:00Z"),
                }],
            },
            Entry {
                prompt: prompt(3, PromptState::Snoozed, Some(at("2026-06-12T10:35:00Z"))),
                answer: None,
                sync: Vec::new(),
            },
        ];
        let text = table(&entries, chrono_tz::UTC);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "    ID  STATE     OPENED                   TRIGGERS  CHANGED                  ANSWER",
                "     2  answered  2026-06-12 10:00:00 UTC         1  2026-06-12 10:05:00 UTC  fixed #12",
                "        -> github o/r#12 sent https://github.com/o/r/issues/12#issuecomment-1",
                "     3  snoozed   2026-06-12 10:00:00 UTC         1  2026-06-12 10:05:00 UTC  (until 2026-06-12 10:35:00 UTC)",
            ]
        );
        let v = serde_json::to_value(&entries[0]).unwrap();
        assert_eq!(v["state"], "answered");
        assert_eq!(v["answer"]["text"], "fixed #12\nand more");
        assert_eq!(v["triggers"][0]["kind"], "timer");
        assert_eq!(v["sync"][0]["ticket"], "o/r#12");
        assert!(v["sync"][0].get("update_text").is_none());
    }
}
