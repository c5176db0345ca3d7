//! What a prompt says, rendered once by the run loop for every channel:
//! the one-line summary ("3 commits in api-server since 14:00"), the body
//! (the question, the commits it is about, how to answer), the
//! repositories, and the prompt as the wire shows it.
//!
//! Pure: the prompt as stored, what the commits made since the previous
//! answer amount to, the configured timezone and the time come in; text
//! comes out.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::protocol::{DeliveryInfo, HoldInfo, PromptInfo, PromptTriggerInfo, TriggerKind};
use crate::store::{PendingCommits, PromptRecord};

/// How many commit summaries the body lists.
pub(crate) const BODY_COMMITS: usize = 3;
/// Repositories named in a summary before it only counts them.
const NAMED_REPOS: usize = 2;

/// `14:00` on `now`'s local day, `Fri 14:00` on another.
fn short_time(t: DateTime<Utc>, tz: Tz, now: DateTime<Utc>) -> String {
    let local = t.with_timezone(&tz);
    if local.date_naive() == now.with_timezone(&tz).date_naive() {
        local.format("%H:%M").to_string()
    } else {
        local.format("%a %H:%M").to_string()
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// `3 commits in api-server`, `4 commits in api, web`, `9 commits in 4
/// repositories`.
fn commits_phrase(pending: &PendingCommits) -> String {
    let count = plural(pending.count, "commit", "commits");
    let repos = &pending.repos;
    if repos.len() <= NAMED_REPOS {
        format!("{count} in {}", repos.join(", "))
    } else {
        format!("{count} in {} repositories", repos.len())
    }
}

/// The one-line summary.
pub(crate) fn summary(
    prompt: &PromptRecord,
    pending: &PendingCommits,
    tz: Tz,
    now: DateTime<Utc>,
) -> String {
    let opened = short_time(prompt.opened_at, tz, now);
    let triggers = prompt.trigger_count;
    if triggers > 1 {
        // Folded triggers are one question asked again, not a pile: why
        // once, then how often.
        let head = format!(
            "{} (asked {triggers}× since {opened})",
            folded_reason(prompt)
        );
        return match pending.count {
            0 => head,
            _ => format!("{head} · {}", commits_phrase(pending)),
        };
    }
    if let (Some(first), true) = (pending.first_at, pending.count > 0) {
        return format!(
            "{} since {}",
            commits_phrase(pending),
            short_time(first.min(prompt.opened_at), tz, now)
        );
    }
    let kind = prompt
        .triggers
        .first()
        .and_then(|t| TriggerKind::parse(&t.kind));
    match kind {
        Some(TriggerKind::Manual) => format!("Check-in requested at {opened}"),
        Some(TriggerKind::Timer) => format!("Scheduled check-in at {opened}"),
        _ => format!("Check-in at {opened}"),
    }
}

/// Why a prompt with folded triggers asks, said once: a person asked
/// (`devtrack trigger`), the schedule did, or (commits alone, which the
/// summary then counts) a plain check-in.
fn folded_reason(prompt: &PromptRecord) -> &'static str {
    let kinds: Vec<Option<TriggerKind>> = prompt
        .triggers
        .iter()
        .map(|t| TriggerKind::parse(&t.kind))
        .collect();
    if kinds.contains(&Some(TriggerKind::Manual)) {
        "Check-in requested"
    } else if kinds.contains(&Some(TriggerKind::Timer)) {
        "Scheduled check-in"
    } else {
        "Check-in"
    }
}

/// The question, up to [`BODY_COMMITS`] commit summaries, and how to
/// answer from a terminal.
pub(crate) fn body(pending: &PendingCommits) -> String {
    let mut out = String::from("What did you work on?");
    for c in pending.newest.iter().take(BODY_COMMITS) {
        let subject = c.summary.as_deref().unwrap_or("(no message)");
        let _ = write!(out, "\n• {subject} ({})", c.repo);
    }
    let listed = pending.newest.len().min(BODY_COMMITS);
    if pending.count > listed {
        let _ = write!(out, "\n• and {} more", pending.count - listed);
    }
    out
}

/// The line a channel adds to the body when nothing it shows can take an
/// answer (no reply field, no dialog).
pub(crate) const HOW_TO_ANSWER: &str = "To answer, run: devtrack note \"what you did\"";

/// `body` as a channel shows it: with [`HOW_TO_ANSWER`] as a last
/// paragraph unless the channel can take the answer itself (`answerable`)
/// or the body already names `devtrack note`. The loop's body never says
/// how to answer: only the channel knows whether it can.
pub(crate) fn shown_body(body: &str, answerable: bool) -> String {
    let mut out = body.to_owned();
    if !answerable && !body.contains("devtrack note") {
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(HOW_TO_ANSWER);
    }
    out
}

/// The prompt as the wire shows it, with its summary and repositories.
pub(crate) fn info(prompt: &PromptRecord, summary: String, repos: Vec<String>) -> PromptInfo {
    PromptInfo {
        id: prompt.id,
        opened_at: prompt.opened_at,
        state: prompt.state,
        state_at: prompt.state_at,
        reopens_at: prompt.reopens_at,
        summary,
        repos,
        trigger_count: prompt.trigger_count,
        triggers: prompt
            .triggers
            .iter()
            .filter_map(|t| {
                Some(PromptTriggerInfo {
                    id: t.trigger_id,
                    kind: TriggerKind::parse(&t.kind)?,
                    fired_at: t.fired_at,
                })
            })
            .collect(),
        deliveries: prompt
            .deliveries
            .iter()
            .map(|d| DeliveryInfo {
                channel: d.channel,
                outcome: d.outcome,
                detail: d.detail.clone(),
                at: d.at,
            })
            .collect(),
        holds: prompt
            .holds
            .iter()
            .map(|h| HoldInfo {
                reason: h.reason.clone(),
                held_at: h.held_at,
                released_at: h.released_at,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{CommitRecord, PromptState, PromptTrigger};

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn prompt(opened: &str, kinds: &[&str]) -> PromptRecord {
        PromptRecord {
            id: 3,
            opened_at: at(opened),
            state: PromptState::Open,
            state_at: at(opened),
            reopens_at: None,
            trigger_count: kinds.len() as u64,
            triggers: kinds
                .iter()
                .enumerate()
                .map(|(i, k)| PromptTrigger {
                    trigger_id: i as i64 + 1,
                    kind: k.to_string(),
                    fired_at: at(opened),
                })
                .collect(),
            changes: Vec::new(),
            deliveries: Vec::new(),
            holds: Vec::new(),
        }
    }

    fn commit(repo: &str, summary: &str, at_: &str) -> CommitRecord {
        CommitRecord {
            id: 1,
            repo: repo.into(),
            hash: "a".repeat(40),
            kind: crate::protocol::CommitKind::Commit,
            amends: None,
            branch: Some("main".into()),
            author_name: None,
            author_email: None,
            committed_at: Some(at(at_)),
            summary: Some(summary.into()),
            files_changed: None,
            insertions: None,
            deletions: None,
            recorded_at: at(at_),
            trigger_id: None,
            own: Some(true),
        }
    }

    /// What the store's overview says of `commits` (oldest first).
    fn pending(commits: &[CommitRecord]) -> PendingCommits {
        let mut repos: Vec<String> = Vec::new();
        for c in commits {
            if !repos.contains(&c.repo) {
                repos.push(c.repo.clone());
            }
        }
        PendingCommits {
            count: commits.len(),
            repos,
            first_at: commits.iter().filter_map(|c| c.committed_at).min(),
            newest: commits.iter().rev().take(BODY_COMMITS).cloned().collect(),
        }
    }

    #[test]
    fn summaries() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let now = at("2026-11-26T15:00:00Z"); // Thu 16:00 CET
        let api = |s, t| commit("api-server", s, t);
        let three = [
            api("a", "2026-11-26T13:00:00Z"),
            api("b", "2026-11-26T13:20:00Z"),
            api("c", "2026-11-26T13:40:00Z"),
        ];
        let mixed = [
            api("a", "2026-11-26T13:00:00Z"),
            commit("web", "b", "2026-11-26T13:10:00Z"),
            commit("docs", "c", "2026-11-26T13:20:00Z"),
        ];
        let cases: &[(PromptRecord, &[CommitRecord], &str)] = &[
            (
                prompt("2026-11-26T13:45:00Z", &["commit"]),
                &three,
                "3 commits in api-server since 14:00",
            ),
            (
                prompt("2026-11-26T13:45:00Z", &["commit"]),
                &three[..1],
                "1 commit in api-server since 14:00",
            ),
            // Folded: why once, and how often it was asked.
            (
                prompt("2026-11-26T13:00:00Z", &["timer", "commit"]),
                &three,
                "Scheduled check-in (asked 2× since 14:00) · 3 commits in api-server",
            ),
            (
                prompt("2026-11-26T13:00:00Z", &["timer", "timer", "manual"]),
                &[],
                "Check-in requested (asked 3× since 14:00)",
            ),
            (
                prompt("2026-11-26T13:00:00Z", &["timer", "timer"]),
                &[],
                "Scheduled check-in (asked 2× since 14:00)",
            ),
            (
                prompt("2026-11-26T13:00:00Z", &["commit", "commit", "catchup"]),
                &mixed[..2],
                "Check-in (asked 3× since 14:00) · 2 commits in api-server, web",
            ),
            (
                prompt("2026-11-26T13:45:00Z", &["catchup"]),
                &mixed[..2],
                "2 commits in api-server, web since 14:00",
            ),
            (
                prompt("2026-11-26T13:45:00Z", &["commit"]),
                &mixed,
                "3 commits in 3 repositories since 14:00",
            ),
            (
                prompt("2026-11-26T13:00:00Z", &["timer"]),
                &[],
                "Scheduled check-in at 14:00",
            ),
            (
                prompt("2026-11-26T13:00:00Z", &["manual"]),
                &[],
                "Check-in requested at 14:00",
            ),
            // Opened on another day: the day is named.
            (
                prompt("2026-11-25T13:00:00Z", &["timer"]),
                &[],
                "Scheduled check-in at Wed 14:00",
            ),
        ];
        for (p, commits, want) in cases {
            assert_eq!(summary(p, &pending(commits), tz, now), *want);
        }
    }

    #[test]
    fn bodies_list_the_newest_commits() {
        let c = |s: &str| commit("api", s, "2026-11-26T13:00:00Z");
        assert_eq!(body(&pending(&[])), "What did you work on?");
        assert_eq!(
            body(&pending(&[
                c("one"),
                c("two"),
                c("three"),
                c("four"),
                c("five")
            ])),
            "What did you work on?\n• five (api)\n• four (api)\n• three (api)\n• and 2 more"
        );
    }

    #[test]
    fn a_channel_that_cannot_take_an_answer_says_how() {
        let how = format!("Q?\n\n{HOW_TO_ANSWER}");
        let cases = [
            ("Q?", false, how.as_str()),
            ("Q?", true, "Q?"),
            ("", false, HOW_TO_ANSWER),
            ("Q? Run `devtrack note`.", false, "Q? Run `devtrack note`."),
        ];
        for (body, answerable, want) in cases {
            assert_eq!(shown_body(body, answerable), want, "{body:?} {answerable}");
        }
    }

    #[test]
    fn info_carries_the_record() {
        let p = prompt("2026-11-26T13:00:00Z", &["timer", "commit"]);
        let i = info(&p, "s".into(), vec!["api".into()]);
        assert_eq!(
            (i.id, i.state, i.opened_at),
            (3, PromptState::Open, p.opened_at)
        );
        let kinds: Vec<TriggerKind> = i.triggers.iter().map(|t| t.kind).collect();
        assert_eq!(kinds, [TriggerKind::Timer, TriggerKind::Commit]);
        assert_eq!(i.repos, ["api"]);
    }
}
