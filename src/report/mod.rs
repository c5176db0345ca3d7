//! The standup report (`devtrack report`): what the store holds for a period
//! (commits, answers, prompts, missed slots), grouped by repository, project
//! or ticket, with the tickets touched and the span of each day.
//!
//! [`build`] is a pure function from the store's query results
//! ([`ReportData`]) to a [`Report`]; the renderers in `render/` turn a
//! report into text, Markdown, Slack mrkdwn, JSON (its schema is
//! docs/report.md) or CSV. Only `read` reads the store (for
//! `cli::commands::report` and the status page), and only they read the
//! clock.

pub mod period;
pub mod read;
mod render;

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::protocol::CommitKind;
use crate::store::{CommitRecord, PromptState, ReportData, UpdateSource, WorkUpdate};
use crate::tickets::{self, Families, Family};
pub use period::Period;
pub(crate) use period::Spec;
pub(crate) use render::{clean, render};

/// The version of the JSON document ([`Report`]); raised only when a field
/// changes meaning or goes away (new fields may appear at any time).
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// How commits are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    /// Each repository.
    #[default]
    Repo,
    /// The repository's `project` from the config (its own name without one).
    Project,
    /// Each ticket named by commits or updates; the rest in one group
    /// without a name.
    Ticket,
}

/// How a report is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For the terminal.
    Text,
    /// To paste into an issue or a pull request.
    Markdown,
    /// Slack's mrkdwn.
    Slack,
    /// The document described in docs/report.md.
    Json,
    /// One row per item.
    Csv,
}

/// What the builder needs from the config.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Options {
    pub by: GroupBy,
    /// The ticket families enabled (`integrations.*.enabled`).
    pub families: Families,
    /// Repository name → project, from `repositories:`.
    pub projects: HashMap<String, String>,
}

/// The whole report; serialized as the JSON format.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub version: u32,
    pub period: Period,
    pub by: GroupBy,
    pub totals: Totals,
    /// First and last activity (commit, or the time an update refers to).
    pub span: Option<Span>,
    pub groups: Vec<Group>,
    /// Every update of the period, by the time it refers to.
    pub updates: Vec<UpdateItem>,
    pub tickets: Vec<TicketItem>,
    pub prompts: Prompts,
    /// Each local day with activity, oldest first.
    pub days: Vec<Day>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Totals {
    pub commits: u64,
    pub insertions: u64,
    pub deletions: u64,
    pub updates: u64,
    pub tickets: u64,
    pub prompts: u64,
    pub answered: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
}

impl Span {
    fn widen(span: &mut Option<Span>, t: DateTime<Utc>) {
        match span {
            Some(s) => {
                s.first = s.first.min(t);
                s.last = s.last.max(t);
            }
            None => *span = Some(Span { first: t, last: t }),
        }
    }
}

/// One repository, project or ticket.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Group {
    /// `None` only for the group of commits and updates without a ticket.
    pub name: Option<String>,
    /// The repositories its commits are in.
    pub repos: Vec<String>,
    /// Oldest first.
    pub commits: Vec<CommitItem>,
    /// In order of first use.
    pub branches: Vec<String>,
    pub insertions: u64,
    pub deletions: u64,
    pub tickets: Vec<String>,
    /// With `by: ticket`, the updates naming the ticket; otherwise empty
    /// (updates are not tied to one repository; see `Report::updates`).
    pub updates: Vec<UpdateItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommitItem {
    pub repo: String,
    pub project: Option<String>,
    pub hash: String,
    pub short_hash: String,
    /// Commit time (recording time when git gave none).
    pub at: DateTime<Utc>,
    pub branch: Option<String>,
    /// `commit`, `amend`, `merge`, `cherry-pick`, `revert`, `rebase`.
    pub kind: CommitKind,
    pub summary: String,
    pub files_changed: Option<u32>,
    pub insertions: Option<u32>,
    pub deletions: Option<u32>,
    /// From the summary; from the branch name only when the summary
    /// names none.
    pub tickets: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpdateItem {
    pub id: i64,
    pub text: String,
    pub answered_at: DateTime<Utc>,
    /// `None` for a standalone update.
    pub prompt_id: Option<i64>,
    pub prompt_at: Option<DateTime<Utc>>,
    /// The time it refers to: `prompt_at`, else `answered_at`.
    pub at: DateTime<Utc>,
    pub source: Option<UpdateSource>,
    pub tickets: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketItem {
    pub family: Family,
    pub key: String,
    pub commits: u64,
    pub updates: u64,
    pub repos: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Prompts {
    pub opened: u64,
    pub answered: u64,
    /// Prompts of the period not answered: expired, skipped, or still open
    /// or snoozed.
    pub unanswered: Vec<PromptItem>,
    /// Interval slots without a prompt of their own, by reason.
    pub missed_slots: MissedSlots,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PromptItem {
    pub id: i64,
    pub opened_at: DateTime<Utc>,
    pub state: PromptState,
    pub state_at: DateTime<Utc>,
    pub triggers: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct MissedSlots {
    pub late: u64,
    pub skipped: u64,
    pub paused: u64,
}

impl MissedSlots {
    pub(crate) fn total(&self) -> u64 {
        self.late + self.skipped + self.paused
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Day {
    /// The local date.
    pub date: NaiveDate,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
    pub commits: u64,
    pub updates: u64,
}

/// Builds the report of `period` from `data` (as [`Store::report_data`]
/// returns it for that period; its strings move into the report).
///
/// [`Store::report_data`]: crate::store::Store::report_data
pub fn build(data: ReportData, period: Period, opts: &Options) -> Report {
    let by = opts.by;
    let mut families_of: HashMap<String, Family> = HashMap::new();
    let mut keys_of = |found: Vec<tickets::Ticket>| -> Vec<String> {
        found
            .into_iter()
            .map(|t| {
                families_of.entry(t.key.clone()).or_insert(t.family);
                t.key
            })
            .collect()
    };
    let prompts = prompts(&data);
    // Other authors' commits (stored with `commit_triggers: all`) are not
    // the developer's work.
    let commits: Vec<CommitItem> = data
        .commits
        .into_iter()
        .filter(|c| c.own != Some(false))
        .map(|c| {
            let tickets = keys_of(tickets::commit_tickets(
                c.summary.as_deref(),
                c.branch.as_deref(),
                opts.families,
            ));
            commit_item(c, opts, tickets)
        })
        .collect();
    let updates: Vec<UpdateItem> = data
        .updates
        .into_iter()
        .map(|u| {
            let tickets = keys_of(tickets::extract(&u.text, opts.families));
            update_item(u, tickets)
        })
        .collect();

    let tickets = ticket_items(&commits, &updates, &families_of);
    let days = days(&period, &commits, &updates);
    let mut span = None;
    for d in &days {
        Span::widen(&mut span, d.first);
        Span::widen(&mut span, d.last);
    }
    let totals = Totals {
        commits: commits.len() as u64,
        insertions: commits
            .iter()
            .filter_map(|c| c.insertions)
            .map(u64::from)
            .sum(),
        deletions: commits
            .iter()
            .filter_map(|c| c.deletions)
            .map(u64::from)
            .sum(),
        updates: updates.len() as u64,
        tickets: tickets.len() as u64,
        prompts: prompts.opened,
        answered: prompts.answered,
    };
    let mut groups = group(by, commits, &updates, opts);
    if by == GroupBy::Ticket {
        // The Tickets section's order, "(no ticket)" last.
        groups.sort_by_cached_key(|g| {
            let key = g.name.as_deref();
            (
                key.is_none(),
                key.map(|key| ticket_sort_key(key, &families_of)),
            )
        });
    }
    Report {
        version: SCHEMA_VERSION,
        period,
        by,
        totals,
        span,
        groups,
        updates,
        tickets,
        prompts,
        days,
    }
}

fn commit_item(c: CommitRecord, opts: &Options, tickets: Vec<String>) -> CommitItem {
    // A merge commit is one commit of the developer's, but the lines it
    // brings are the merged branch's, not theirs.
    let lines = |n: Option<u32>| {
        if c.kind == CommitKind::Merge {
            n.map(|_| 0)
        } else {
            n
        }
    };
    let (files_changed, insertions, deletions) = (
        lines(c.files_changed),
        lines(c.insertions),
        lines(c.deletions),
    );
    CommitItem {
        project: opts.projects.get(&c.repo).cloned(),
        repo: c.repo,
        short_hash: c.hash.chars().take(7).collect(),
        hash: c.hash,
        at: c.committed_at.unwrap_or(c.recorded_at),
        branch: c.branch,
        kind: c.kind,
        summary: c.summary.unwrap_or_default(),
        files_changed,
        insertions,
        deletions,
        tickets,
    }
}

fn update_item(u: WorkUpdate, tickets: Vec<String>) -> UpdateItem {
    UpdateItem {
        at: u.refers_to(),
        id: u.id,
        text: u.text,
        answered_at: u.answered_at,
        prompt_id: u.prompt_id,
        prompt_at: u.prompt_at,
        source: u.source,
        tickets,
    }
}

fn push_new(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|x| x == item) {
        list.push(item.to_string());
    }
}

/// Distinct strings in order of first appearance.
#[derive(Default)]
struct Distinct {
    order: Vec<String>,
    seen: HashSet<String>,
}

impl Distinct {
    fn add(&mut self, s: &str) {
        if !self.seen.contains(s) {
            self.seen.insert(s.to_string());
            self.order.push(s.to_string());
        }
    }
}

/// A group being filled: its repositories, branches and tickets distinct.
#[derive(Default)]
struct Filling {
    group: Group,
    repos: Distinct,
    branches: Distinct,
    tickets: Distinct,
}

/// Keyed to sort by name, case-insensitively, with the unnamed group last.
type Groups = BTreeMap<(bool, String, String), Filling>;

fn group_named<'g>(groups: &'g mut Groups, name: Option<&str>) -> &'g mut Filling {
    let key = (
        name.is_none(),
        name.unwrap_or("").to_lowercase(),
        name.unwrap_or("").to_string(),
    );
    groups.entry(key).or_insert_with(|| Filling {
        group: Group {
            name: name.map(str::to_string),
            ..Group::default()
        },
        ..Filling::default()
    })
}

/// The names of the groups an item with `tickets` belongs to under `--by ticket`.
fn ticket_groups(tickets: &[String]) -> Vec<Option<String>> {
    if tickets.is_empty() {
        vec![None]
    } else {
        tickets.iter().cloned().map(Some).collect()
    }
}

/// The groups in name order. Takes the commits: each goes to its group
/// (under `--by ticket`, a copy to each of its tickets).
fn group(
    by: GroupBy,
    commits: Vec<CommitItem>,
    updates: &[UpdateItem],
    opts: &Options,
) -> Vec<Group> {
    let mut groups = Groups::new();
    for c in commits {
        let names: Vec<Option<String>> = match by {
            GroupBy::Repo => vec![Some(c.repo.clone())],
            GroupBy::Project => vec![Some(opts.projects.get(&c.repo).unwrap_or(&c.repo).clone())],
            GroupBy::Ticket => ticket_groups(&c.tickets),
        };
        let last = names.len() - 1;
        let mut c = Some(c);
        for (i, name) in names.iter().enumerate() {
            let f = group_named(&mut groups, name.as_deref());
            let commit = if i == last {
                c.take().expect("moved into the last group only")
            } else {
                c.clone().expect("not moved yet")
            };
            f.repos.add(&commit.repo);
            if let Some(b) = &commit.branch {
                f.branches.add(b);
            }
            for t in &commit.tickets {
                f.tickets.add(t);
            }
            f.group.insertions += u64::from(commit.insertions.unwrap_or(0));
            f.group.deletions += u64::from(commit.deletions.unwrap_or(0));
            f.group.commits.push(commit);
        }
    }
    if by == GroupBy::Ticket {
        for u in updates {
            for name in ticket_groups(&u.tickets) {
                let f = group_named(&mut groups, name.as_deref());
                for t in &u.tickets {
                    f.tickets.add(t);
                }
                f.group.updates.push(u.clone());
            }
        }
    }
    groups
        .into_values()
        .map(|f| Group {
            repos: f.repos.order,
            branches: f.branches.order,
            tickets: f.tickets.order,
            ..f.group
        })
        .collect()
}

/// The one order of tickets, in the Tickets section and under `--by
/// ticket`: by family, then the project key, then the number.
fn ticket_sort_key(key: &str, families: &HashMap<String, Family>) -> (Family, String, u64) {
    let (prefix, number) = ticket_order(key);
    (families[key], prefix, number)
}

/// `#12` before `#100`, `ABC-7` before `ABC-12`: the prefix, then the
/// number.
fn ticket_order(key: &str) -> (String, u64) {
    let digits = key.len() - key.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (prefix, number) = key.split_at(key.len() - digits);
    (prefix.to_string(), number.parse().unwrap_or(0))
}

fn ticket_items(
    commits: &[CommitItem],
    updates: &[UpdateItem],
    families: &HashMap<String, Family>,
) -> Vec<TicketItem> {
    let mut items: HashMap<String, TicketItem> = HashMap::new();
    let mut mentions = |key: &str, repo: Option<&str>| {
        let item = items.entry(key.to_string()).or_insert_with(|| TicketItem {
            family: families[key],
            key: key.to_string(),
            commits: 0,
            updates: 0,
            repos: Vec::new(),
        });
        match repo {
            Some(repo) => {
                item.commits += 1;
                push_new(&mut item.repos, repo);
            }
            None => item.updates += 1,
        }
    };
    for c in commits {
        for t in &c.tickets {
            mentions(t, Some(&c.repo));
        }
    }
    for u in updates {
        for t in &u.tickets {
            mentions(t, None);
        }
    }
    let mut list: Vec<TicketItem> = items.into_values().collect();
    list.sort_by_cached_key(|t| ticket_sort_key(&t.key, families));
    list
}

fn prompts(data: &ReportData) -> Prompts {
    let mut out = Prompts {
        opened: data.prompts.len() as u64,
        ..Prompts::default()
    };
    for p in &data.prompts {
        if p.state == PromptState::Answered {
            out.answered += 1;
        } else {
            out.unanswered.push(PromptItem {
                id: p.id,
                opened_at: p.opened_at,
                state: p.state,
                state_at: p.state_at,
                triggers: p.triggers,
            });
        }
    }
    for m in &data.missed {
        match m.reason.as_str() {
            "late" => out.missed_slots.late += 1,
            "skipped" => out.missed_slots.skipped += 1,
            "paused" => out.missed_slots.paused += 1,
            // The schema allows no other reason.
            _ => {}
        }
    }
    out
}

fn days(period: &Period, commits: &[CommitItem], updates: &[UpdateItem]) -> Vec<Day> {
    let mut days: BTreeMap<NaiveDate, Day> = BTreeMap::new();
    let times = commits
        .iter()
        .map(|c| (c.at, true))
        .chain(updates.iter().map(|u| (u.at, false)));
    for (t, is_commit) in times {
        let date = t.with_timezone(&period.tz).date_naive();
        let day = days.entry(date).or_insert(Day {
            date,
            first: t,
            last: t,
            commits: 0,
            updates: 0,
        });
        day.first = day.first.min(t);
        day.last = day.last.max(t);
        if is_commit {
            day.commits += 1;
        } else {
            day.updates += 1;
        }
    }
    days.into_values().collect()
}

#[cfg(test)]
mod tests;
