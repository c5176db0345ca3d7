//! Builder tests on hand-made store rows: grouping, tickets (following the
//! enabled families), prompts, days and spans. Rendering is pinned by the
//! golden files of tests/report.rs.

use chrono::{DateTime, Utc};

use super::*;
use crate::report::period::{resolve, Spec};
use crate::store::{MissedSlot, PromptSummary};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn commit(id: i64, repo: &str, branch: &str, summary: &str, when: &str) -> CommitRecord {
    CommitRecord {
        id,
        repo: repo.into(),
        hash: format!("{id:040x}"),
        kind: crate::protocol::CommitKind::Commit,
        amends: None,
        branch: Some(branch.into()),
        author_name: None,
        author_email: None,
        committed_at: Some(at(when)),
        summary: Some(summary.into()),
        files_changed: Some(1),
        insertions: Some(10 * id as u32),
        deletions: Some(id as u32),
        recorded_at: at(when),
        trigger_id: None,
        own: Some(true),
    }
}

fn update(id: i64, text: &str, prompt_at: Option<&str>, answered: &str) -> WorkUpdate {
    WorkUpdate {
        id,
        text: text.into(),
        answered_at: at(answered),
        prompt_id: prompt_at.map(|_| id),
        prompt_at: prompt_at.map(at),
        source: Some(UpdateSource::Cli),
    }
}

fn data() -> ReportData {
    ReportData {
        commits: vec![
            commit(
                1,
                "api",
                "main",
                "Fix redirect (#12)",
                "2026-06-12T07:05:00Z",
            ),
            commit(
                2,
                "web",
                "feature/ABC-7-form",
                "Form",
                "2026-06-12T09:00:00Z",
            ),
            commit(
                3,
                "api",
                "feature/ABC-7-form",
                "Limit UTF-8 input ABC-7",
                "2026-06-12T10:00:00Z",
            ),
            commit(4, "Tools", "main", "Bump", "2026-06-13T09:00:00Z"),
        ],
        updates: vec![
            update(
                1,
                "fixed #12",
                Some("2026-06-12T07:30:00Z"),
                "2026-06-12T07:31:00Z",
            ),
            update(2, "notes", None, "2026-06-12T15:00:00Z"),
        ],
        prompts: vec![
            PromptSummary {
                id: 1,
                opened_at: at("2026-06-12T07:30:00Z"),
                state: PromptState::Answered,
                state_at: at("2026-06-12T07:31:00Z"),
                triggers: 1,
            },
            PromptSummary {
                id: 2,
                opened_at: at("2026-06-12T10:00:00Z"),
                state: PromptState::Expired,
                state_at: at("2026-06-12T16:00:00Z"),
                triggers: 3,
            },
        ],
        missed: vec![
            MissedSlot {
                scheduled_at: at("2026-06-12T11:00:00Z"),
                reason: "paused".into(),
            },
            MissedSlot {
                scheduled_at: at("2026-06-12T12:00:00Z"),
                reason: "late".into(),
            },
        ],
    }
}

fn period() -> Period {
    resolve(
        Spec::Range {
            // Friday and Saturday in Berlin.
            since: at("2026-06-11T22:00:00Z"),
            until: Some(at("2026-06-13T22:00:00Z")),
        },
        at("2026-06-15T00:00:00Z"),
        chrono_tz::Europe::Berlin,
        crate::config::WeekdaySet::ALL,
    )
    .unwrap()
}

fn options(by: GroupBy, families: Families) -> Options {
    Options {
        by,
        families,
        projects: [
            ("api".to_string(), "Backend".to_string()),
            ("web".into(), "Backend".into()),
        ]
        .into_iter()
        .collect(),
    }
}

fn names(r: &Report) -> Vec<Option<&str>> {
    r.groups.iter().map(|g| g.name.as_deref()).collect()
}

#[test]
fn groups_by_repo_project_and_ticket() {
    let by_repo = build(data(), period(), &options(GroupBy::Repo, Families::ALL));
    assert_eq!(names(&by_repo), [Some("api"), Some("Tools"), Some("web")]);
    let api = &by_repo.groups[0];
    assert_eq!(api.commits.len(), 2);
    assert_eq!(api.branches, ["main", "feature/ABC-7-form"]);
    assert_eq!((api.insertions, api.deletions), (40, 4));
    assert_eq!(api.tickets, ["#12", "ABC-7"]);
    assert!(api.updates.is_empty());

    let by_project = build(data(), period(), &options(GroupBy::Project, Families::ALL));
    assert_eq!(names(&by_project), [Some("Backend"), Some("Tools")]);
    assert_eq!(by_project.groups[0].repos, ["api", "web"]);
    assert_eq!(by_project.groups[0].commits.len(), 3);

    let by_ticket = build(data(), period(), &options(GroupBy::Ticket, Families::ALL));
    assert_eq!(names(&by_ticket), [Some("#12"), Some("ABC-7"), None]);
    let hashes = |g: &Group| {
        g.commits
            .iter()
            .map(|c| c.short_hash.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(hashes(&by_ticket.groups[1]), ["0000000", "0000000"]);
    assert_eq!(by_ticket.groups[1].repos, ["web", "api"]);
    let ids = |g: &Group| g.updates.iter().map(|u| u.id).collect::<Vec<_>>();
    assert_eq!(ids(&by_ticket.groups[0]), [1]);
    assert_eq!(ids(&by_ticket.groups[2]), [2]);
    assert_eq!(
        by_ticket.groups[2].commits.len(),
        1,
        "the commit without a ticket"
    );
}

#[test]
fn ticket_groups_and_the_tickets_section_share_one_natural_order() {
    let mut d = data();
    d.commits[0].summary = Some("Limit ABC-12 and #100".into());
    d.commits[3].summary = Some("Bump #9".into());
    let r = build(d, period(), &options(GroupBy::Ticket, Families::ALL));
    assert_eq!(
        names(&r),
        [
            Some("#9"),
            Some("#12"),
            Some("#100"),
            Some("ABC-7"),
            Some("ABC-12"),
            None
        ]
    );
    let section: Vec<&str> = r.tickets.iter().map(|t| t.key.as_str()).collect();
    let groups: Vec<&str> = r.groups.iter().filter_map(|g| g.name.as_deref()).collect();
    assert_eq!(section, groups);
}

#[test]
fn csv_rows_of_one_second_keep_their_order_whatever_the_grouping() {
    let mut d = data();
    for c in &mut d.commits {
        c.committed_at = Some(at("2026-06-12T09:00:00Z"));
        c.recorded_at = at("2026-06-12T09:00:00Z");
    }
    d.commits[3].summary = Some("Bump AB#3".into());
    let csv = |by| {
        render(
            &build(d.clone(), period(), &options(by, Families::ALL)),
            Format::Csv,
        )
    };
    let by_repo = csv(GroupBy::Repo);
    assert_eq!(csv(GroupBy::Project), by_repo);
    assert_eq!(csv(GroupBy::Ticket), by_repo);
}

#[test]
fn tickets_follow_the_enabled_families() {
    let none = build(data(), period(), &options(GroupBy::Repo, Families::NONE));
    assert!(none.tickets.is_empty());
    assert_eq!(none.totals.tickets, 0);
    let github_only = Families {
        github: true,
        ..Families::NONE
    };
    let gh = build(data(), period(), &options(GroupBy::Repo, github_only));
    let keys: Vec<(&str, u64, u64)> = gh
        .tickets
        .iter()
        .map(|t| (t.key.as_str(), t.commits, t.updates))
        .collect();
    assert_eq!(keys, [("#12", 1, 1)]);
    let all = build(data(), period(), &options(GroupBy::Repo, Families::ALL));
    let keys: Vec<(&str, u64, &[String])> = all
        .tickets
        .iter()
        .map(|t| (t.key.as_str(), t.commits, t.repos.as_slice()))
        .collect();
    assert_eq!(
        keys,
        [
            ("#12", 1, &["api".to_string()][..]),
            ("ABC-7", 2, &["web".to_string(), "api".to_string()][..])
        ]
    );
    // UTF-8 in a summary is never a ticket.
    assert!(all.groups[0].commits[1].tickets == ["ABC-7"]);
}

#[test]
fn a_branch_ticket_counts_only_commits_whose_message_names_none() {
    let branch = "feature/ABC-7-rate-limit";
    let mut d = data();
    d.commits = (1..=5)
        .map(|i| {
            commit(
                i,
                "api",
                branch,
                "Limit per user ABC-8",
                "2026-06-12T09:00:00Z",
            )
        })
        .chain([commit(
            6,
            "api",
            branch,
            "Limit per key",
            "2026-06-12T10:00:00Z",
        )])
        .collect();
    let r = build(d, period(), &options(GroupBy::Repo, Families::ALL));
    let counts: Vec<(&str, u64)> = r
        .tickets
        .iter()
        .map(|t| (t.key.as_str(), t.commits))
        .collect();
    // #12 is named by an update only.
    assert_eq!(counts, [("#12", 0), ("ABC-7", 1), ("ABC-8", 5)]);
    let by_ticket = build(
        data_with(branch),
        period(),
        &options(GroupBy::Ticket, Families::ALL),
    );
    assert!(by_ticket
        .groups
        .iter()
        .all(|g| g.name.as_deref() != Some("ABC-7")
            || g.commits.iter().all(|c| c.tickets == ["ABC-7"])));
}

fn data_with(branch: &str) -> ReportData {
    let mut d = data();
    d.commits = vec![
        commit(
            1,
            "api",
            branch,
            "Limit per user ABC-8",
            "2026-06-12T09:00:00Z",
        ),
        commit(2, "api", branch, "Limit per key", "2026-06-12T10:00:00Z"),
    ];
    d
}

#[test]
fn totals_prompts_days_and_span() {
    let r = build(data(), period(), &options(GroupBy::Repo, Families::ALL));
    assert_eq!(
        r.totals,
        Totals {
            commits: 4,
            insertions: 100,
            deletions: 10,
            updates: 2,
            tickets: 2,
            prompts: 2,
            answered: 1,
        }
    );
    assert_eq!(r.prompts.unanswered.len(), 1);
    assert_eq!(
        (
            r.prompts.unanswered[0].state,
            r.prompts.unanswered[0].triggers
        ),
        (PromptState::Expired, 3)
    );
    assert_eq!(
        r.prompts.missed_slots,
        MissedSlots {
            late: 1,
            skipped: 0,
            paused: 1
        }
    );
    let days: Vec<(String, u64, u64)> = r
        .days
        .iter()
        .map(|d| (d.date.to_string(), d.commits, d.updates))
        .collect();
    assert_eq!(
        days,
        [("2026-06-12".into(), 3, 2), ("2026-06-13".into(), 1, 0)]
    );
    assert_eq!(r.days[0].first, at("2026-06-12T07:05:00Z"));
    assert_eq!(r.days[0].last, at("2026-06-12T15:00:00Z"));
    assert_eq!(
        r.span,
        Some(Span {
            first: at("2026-06-12T07:05:00Z"),
            last: at("2026-06-13T09:00:00Z")
        })
    );
    // The update of a prompt is placed at the prompt's time.
    assert_eq!(r.updates[0].at, at("2026-06-12T07:30:00Z"));
    assert_eq!(r.updates[1].at, at("2026-06-12T15:00:00Z"));
}

#[test]
fn an_empty_period() {
    let r = build(ReportData::default(), period(), &Options::default());
    assert_eq!((r.groups.len(), r.span, r.days.len()), (0, None, 0));
    assert_eq!(
        render(&r, Format::Text),
        "Fri 12 Jun – Sat 13 Jun 2026 (Europe/Berlin)\nnothing recorded\n"
    );
    assert_eq!(
        render(&r, Format::Csv),
        "kind,time,prompt_time,repo,project,branch,hash,tickets,state,insertions,deletions,text\n"
    );
}

#[test]
fn csv_has_one_row_per_commit_even_in_two_ticket_groups() {
    let mut d = data();
    d.commits[0].summary = Some("ABC-7 and #12".into());
    let r = build(d, period(), &options(GroupBy::Ticket, Families::ALL));
    let csv = render(&r, Format::Csv);
    assert_eq!(csv.lines().filter(|l| l.starts_with("commit,")).count(), 4);
    assert_eq!(csv.lines().filter(|l| l.starts_with("update,")).count(), 2);
    assert_eq!(csv.lines().filter(|l| l.starts_with("prompt,")).count(), 1);
}

#[test]
fn other_authors_commits_are_left_out() {
    let mut d = data();
    d.commits[1].own = Some(false);
    d.commits[2].own = None;
    let r = build(d, period(), &options(GroupBy::Repo, Families::ALL));
    assert_eq!(r.totals.commits, 3);
    assert_eq!(names(&r), [Some("api"), Some("Tools")]);
}

#[test]
fn ticket_keys_sort_by_number() {
    assert!(ticket_order("#12") < ticket_order("#100"));
    assert!(ticket_order("ABC-9") < ticket_order("ABC-10"));
    assert!(ticket_order("ABC-10") < ticket_order("ABD-1"));
}
