//! `devtrack history` over a large store: the store is filled through the
//! library (not the daemon), then the whole command is timed, process spawn
//! to exit, the way a person or a script runs it.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use chrono::{TimeDelta, Utc};
use devtrack::protocol::CommitKind;
use devtrack::store::{NewCommit, ReflogBatch, Store, TriggerKind};

use super::sandbox::Sandbox;

/// Rows of each kind spread evenly over this many days back from now, so
/// `--since 30d` selects about half of them.
const SPAN_DAYS: i64 = 60;

/// Fills the sandbox's store with `rows` triggers and `rows` commits.
pub fn fill(sandbox: &Sandbox, rows: usize) -> Result<()> {
    let mut store = Store::open(&sandbox.database())?;
    let now = Utc::now();
    let step = TimeDelta::milliseconds(SPAN_DAYS * 86_400_000 / rows as i64);
    let kinds = [TriggerKind::Timer, TriggerKind::Commit, TriggerKind::Manual];
    // One transaction for all triggers: through the connection, since
    // `record_trigger` commits each row on its own.
    {
        let tx = store.connection().transaction()?;
        {
            let mut ins = tx.prepare(
                "INSERT INTO triggers (kind, scheduled_at, fired_at, late, reason, detail)
                 VALUES (?1, ?2, ?3, 0, ?4, NULL)",
            )?;
            for i in 0..rows {
                let at = (now - step * i as i32).timestamp_millis();
                let kind = kinds[i % kinds.len()];
                let scheduled = (kind == TriggerKind::Timer).then_some(at);
                ins.execute(rusqlite::params![
                    kind.as_str(),
                    scheduled,
                    at,
                    format!("bench trigger {i}")
                ])?;
            }
        }
        tx.commit()?;
    }
    // Commits go through the same call the watcher uses, in batches of
    // 10,000 (one transaction each).
    let mut batch = ReflogBatch {
        repo: String::new(),
        ..Default::default()
    };
    for i in 0..rows {
        batch.repo = format!("r{:04}", i % 100);
        batch.commits.push(NewCommit {
            hash: format!("{:040x}", (i as u128 + 1) * 0x9E37_79B9_7F4A_7C15),
            kind: CommitKind::Commit,
            amends: None,
            branch: Some("main".into()),
            author_name: Some(super::repos::AUTHOR_NAME.into()),
            author_email: Some(super::repos::AUTHOR_EMAIL.into()),
            committed_at: Some(now - step * i as i32),
            summary: Some(format!("bench change {i}")),
            files_changed: Some(1),
            insertions: Some(1),
            deletions: Some(0),
            own: true,
            found_at_start: false,
        });
        if batch.commits.len() == 10_000 || i + 1 == rows {
            store.record_reflog_batch(&batch, now)?;
            batch.commits.clear();
        }
    }
    if store.trigger_count()? != rows as u64 || store.commit_count()? != rows as u64 {
        bail!("the filled store does not hold {rows} triggers and {rows} commits");
    }
    Ok(())
}

/// Runs `devtrack ARGS` `runs` times after one untimed warm-up run.
pub fn time_command(sandbox: &Sandbox, args: &[&str], runs: usize) -> Result<Vec<Duration>> {
    let once = || -> Result<Duration> {
        let start = Instant::now();
        let out = sandbox
            .command(args)
            .output()
            .with_context(|| format!("running `devtrack {}`", args.join(" ")))?;
        let took = start.elapsed();
        if !out.status.success() || out.stdout.is_empty() {
            bail!(
                "`devtrack {}` failed ({}): {}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(took)
    };
    once()?;
    (0..runs).map(|_| once()).collect()
}
