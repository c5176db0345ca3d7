//! The status page rendered server side for a day of 200 commits in five
//! repositories and 20 prompts with their outcomes: the page model built
//! from the store's report data and the whole page rendered, in process
//! (what the daemon does after reading the store on its blocking thread).

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::{TimeDelta, Utc};
use devtrack::protocol::CommitKind;
use devtrack::report::period::{resolve, Spec};
use devtrack::store::{CommitRecord, PromptState, PromptSummary, ReportData, WorkUpdate};
use devtrack::web::model::{build, Inputs};
use devtrack::web::page::render_page;

pub const COMMITS: i64 = 200;
pub const PROMPTS: i64 = 20;
const REPOS: [&str; 5] = ["api", "web", "mobile", "infra", "docs"];

/// A day of `COMMITS` commits and `PROMPTS` prompts ending now.
fn day() -> ReportData {
    let now = Utc::now();
    let start = now - TimeDelta::hours(8);
    let commits = (0..COMMITS)
        .map(|n| {
            let at = start + TimeDelta::seconds(n * 8 * 3600 / COMMITS);
            CommitRecord {
                id: n,
                repo: REPOS[(n % 5) as usize].into(),
                hash: format!("{:040x}", n * 0x9E37_79B9),
                kind: CommitKind::Commit,
                amends: None,
                branch: Some("main".into()),
                author_name: None,
                author_email: None,
                committed_at: Some(at),
                summary: Some(format!("Change {n} of the day <with> & \"quotes\"")),
                files_changed: Some(3),
                insertions: Some(20),
                deletions: Some(4),
                recorded_at: at,
                trigger_id: None,
                own: Some(true),
            }
        })
        .collect();
    let states = [
        PromptState::Answered,
        PromptState::Skipped,
        PromptState::Expired,
        PromptState::Snoozed,
    ];
    let prompts: Vec<PromptSummary> = (0..PROMPTS)
        .map(|n| {
            let at = start + TimeDelta::minutes(n * 24);
            PromptSummary {
                id: n,
                opened_at: at,
                state: states[(n % 4) as usize],
                state_at: at + TimeDelta::minutes(5),
                triggers: 1,
            }
        })
        .collect();
    let updates = prompts
        .iter()
        .filter(|p| p.state == PromptState::Answered)
        .map(|p| WorkUpdate {
            id: p.id,
            text: format!("worked on change {}", p.id),
            answered_at: p.state_at,
            prompt_id: Some(p.id),
            prompt_at: Some(p.opened_at),
            source: None,
        })
        .collect();
    ReportData {
        commits,
        updates,
        prompts,
        missed: Vec::new(),
    }
}

/// The time of each of `runs` renders, and the page's size.
pub fn measure(runs: usize) -> Result<(Vec<Duration>, usize)> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, "settings: {timezone: UTC}\n")?;
    let config = devtrack::config::load(&path).context("the bench config")?;
    let data = day();
    let mut took = Vec::with_capacity(runs);
    let mut size = 0;
    for _ in 0..runs {
        let now = Utc::now();
        let today = resolve(
            Spec::Today,
            now,
            chrono_tz::UTC,
            config.settings.work_hours.days,
        )
        .map_err(anyhow::Error::msg)?;
        let started = Instant::now();
        let page = render_page(&build(Inputs {
            now,
            config: &config,
            today,
            today_data: data.clone(),
            week_data: data.clone(),
            status: None,
        }));
        took.push(started.elapsed());
        size = page.len();
    }
    Ok((took, size))
}
