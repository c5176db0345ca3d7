//! `devtrack report --since 365d` over a year of data: every day 10 prompts,
//! each answered, and 30 commits in five repositories, written through the
//! store API the daemon and `devtrack note` use (prompts opened from
//! triggers, answers linking the commits since the previous one, tickets
//! extracted). Then the whole command is timed, process spawn to exit.

use std::fmt::Write as _;

use anyhow::{bail, Result};
use chrono::{TimeDelta, Utc};
use devtrack::protocol::CommitKind;
use devtrack::store::{
    AnswerTarget, NewCommit, NewTrigger, NewUpdate, ReflogBatch, Store, TriggerKind, UpdateSource,
};
use devtrack::tickets::Families;

use super::sandbox::Sandbox;

pub const DAYS: i64 = 365;
pub const PROMPTS_PER_DAY: i64 = 10;
pub const COMMITS_PER_DAY: i64 = 30;
const REPOS: [&str; 5] = ["api", "web", "mobile", "infra", "docs"];

/// The sandbox's config: five repositories in two projects, Jira and
/// GitHub tickets recognised.
pub fn config() -> String {
    let mut yaml = String::from("repositories:\n");
    for (i, name) in REPOS.iter().enumerate() {
        let project = if i < 3 { "Product" } else { "Platform" };
        let _ = writeln!(
            yaml,
            "  - {{name: {name}, path: /nonexistent/{name}, project: {project}}}"
        );
    }
    yaml.push_str(
        "settings:\n  timezone: UTC\n  work_days: mon-fri\n\
         integrations:\n  github: {enabled: true}\n  jira: {enabled: true}\n",
    );
    yaml
}

/// Fills the sandbox's store with a year ending now.
pub fn fill(sandbox: &Sandbox) -> Result<()> {
    sandbox.write_config(&config())?;
    let mut store = Store::open(&sandbox.database())?;
    let families = Families {
        github: true,
        jira: true,
        azure_devops: false,
    };
    let start = Utc::now() - TimeDelta::days(DAYS);
    let mut n = 0u64;
    for day in 0..DAYS {
        let morning = start + TimeDelta::days(day) + TimeDelta::hours(8);
        for slot in 0..PROMPTS_PER_DAY {
            let at = morning + TimeDelta::minutes(54 * slot);
            // The commits of this slot, then its prompt and answer.
            let per_slot = COMMITS_PER_DAY / PROMPTS_PER_DAY;
            for k in 0..per_slot {
                n += 1;
                let repo = REPOS[(n % REPOS.len() as u64) as usize];
                let committed = at - TimeDelta::minutes(10 * (per_slot - k));
                let batch = ReflogBatch {
                    repo: repo.into(),
                    commits: vec![NewCommit {
                        hash: format!("{:040x}", u128::from(n) * 0x9E37_79B9_7F4A_7C15),
                        kind: CommitKind::Commit,
                        amends: None,
                        branch: Some(format!("feature/ABC-{}-change", n / 20)),
                        author_name: Some(super::repos::AUTHOR_NAME.into()),
                        author_email: Some(super::repos::AUTHOR_EMAIL.into()),
                        committed_at: Some(committed),
                        summary: Some(format!("Change {n} of the year (#{})", n / 7 + 1)),
                        files_changed: Some(3),
                        insertions: Some(20),
                        deletions: Some(4),
                        own: true,
                        found_at_start: false,
                    }],
                    ..ReflogBatch::default()
                };
                store.record_reflog_batch(&batch, committed)?;
            }
            let trigger = store.record_trigger(&NewTrigger {
                kind: TriggerKind::Timer,
                scheduled_at: Some(at),
                fired_at: at,
                late: false,
                reason: None,
                detail: None,
            })?;
            store.open_prompt(trigger, at, None)?;
            let text = format!("worked on ABC-{} and reviewed #{}", n / 20, n / 7 + 1);
            let answer = NewUpdate {
                text: &text,
                target: AnswerTarget::Oldest,
                source: UpdateSource::Cli,
            };
            store.answer(&answer, families, at + TimeDelta::minutes(2))?;
        }
    }
    let want = (DAYS * COMMITS_PER_DAY) as u64;
    if store.commit_count()? != want {
        bail!("the filled store does not hold {want} commits");
    }
    Ok(())
}
