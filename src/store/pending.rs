//! What the commits since the previous answer amount to, for a prompt's
//! text ("3 commits in api-server since 14:00") and every `status` reply.
//!
//! Nobody may have answered for a long time, so the pending commits can
//! be many: aggregating 10,000 of them takes about 10 ms, which made a
//! `status` round trip a hundred times slower once a prompt was open. The
//! store therefore keeps the last overview together with the newest commit
//! and the newest answer it covers. While no answer was added (the answer
//! is what resets "since the previous answer"), only the commits recorded
//! after it are read and merged in, so a prompt's text and a status reply
//! cost what the new commits cost, not what the backlog does. Commits are
//! never deleted and their repository, author and time never change, so
//! an overview stays true for the commits it covers; an answer from any
//! process (a direct `devtrack note`) changes the newest answer's id and
//! makes the next read start over.
//!
//! A change counts once, however often it was reworked: a version a later
//! one replaced (an amend's predecessor, a rebased commit's original) is
//! not pending work. A rewrite marks older versions, which the kept
//! overview may cover, so a new link between versions (links are only
//! ever added) also makes the next read start over; rewrites are rare
//! next to commits.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

use super::commits::{commit_row, COMMIT_COLUMNS};
use super::{from_millis, CommitRecord};

/// What the commits since the previous answer amount to, read without
/// loading them all.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct PendingCommits {
    pub count: usize,
    /// By the order of their first pending commit.
    pub repos: Vec<String>,
    /// The earliest pending commit's time (committed, else recorded).
    pub first_at: Option<DateTime<Utc>>,
    /// The newest few, newest first.
    pub newest: Vec<CommitRecord>,
}

/// The last overview read, and what it covers.
#[derive(Debug, Clone)]
pub(super) struct LastOverview {
    /// The newest commit it covers (commit ids only grow).
    through_commit: i64,
    /// The newest answer when it was read.
    newest_update: i64,
    /// The newest link between versions of a change when it was read.
    newest_link: i64,
    /// How many commits `overview.newest` holds at most.
    limit: usize,
    overview: PendingCommits,
}

/// Whether the store links the versions of a change (schema 5 on), so
/// the versions a later one replaced can be left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Versions {
    Linked,
    Unlinked,
}

impl Versions {
    fn newest_link(self) -> &'static str {
        match self {
            Versions::Linked => "(SELECT coalesce(max(rowid), 0) FROM commit_links)",
            Versions::Unlinked => "0",
        }
    }

    fn latest_only(self) -> &'static str {
        match self {
            Versions::Linked => "AND replaced = 0",
            Versions::Unlinked => "",
        }
    }
}

/// The overview with the `limit` newest commits, reading only the commits
/// `last` does not cover when it is still valid, and remembering the
/// result in `last`.
pub(super) fn overview(
    conn: &Connection,
    versions: Versions,
    last: &mut Option<LastOverview>,
    limit: usize,
) -> rusqlite::Result<PendingCommits> {
    let (through_commit, newest_update, newest_link): (i64, i64, i64) = conn
        .prepare_cached(&format!(
            "SELECT (SELECT coalesce(max(id), 0) FROM commits),
                    (SELECT coalesce(max(id), 0) FROM work_updates),
                    {}",
            versions.newest_link()
        ))?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    let overview = match last.take() {
        Some(l)
            if l.newest_update == newest_update
                && l.newest_link == newest_link
                && l.limit == limit
                && l.through_commit <= through_commit =>
        {
            if l.through_commit == through_commit {
                l.overview
            } else {
                let newer = read(conn, versions, l.through_commit, through_commit, limit)?;
                merge(l.overview, newer, limit)
            }
        }
        _ => {
            let answered_through: i64 = conn
                .prepare_cached("SELECT coalesce(max(last_commit_id), 0) FROM work_updates")?
                .query_row([], |r| r.get(0))?;
            read(conn, versions, answered_through, through_commit, limit)?
        }
    };
    *last = Some(LastOverview {
        through_commit,
        newest_update,
        newest_link,
        limit,
        overview: overview.clone(),
    });
    Ok(overview)
}

/// The overview of the developer's own changes, at their latest version,
/// with ids in `(after, through]`.
fn read(
    conn: &Connection,
    versions: Versions,
    after: i64,
    through: i64,
    limit: usize,
) -> rusqlite::Result<PendingCommits> {
    let mut out = PendingCommits::default();
    let latest_only = versions.latest_only();
    let per_repo: Vec<(String, i64, i64)> = conn
        .prepare_cached(&format!(
            "SELECT repo, count(*), min(coalesce(committed_at, recorded_at)) FROM commits
             WHERE id > ?1 AND id <= ?2 AND coalesce(own, 1) != 0 {latest_only}
             GROUP BY repo ORDER BY min(id)"
        ))?
        .query_map([after, through], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (repo, count, first) in per_repo {
        out.count += count as usize;
        out.repos.push(repo);
        let first = from_millis(first);
        out.first_at = Some(out.first_at.map_or(first, |t: DateTime<Utc>| t.min(first)));
    }
    let sql = format!(
        "SELECT {COMMIT_COLUMNS} FROM commits
         WHERE id > ?1 AND id <= ?2 AND coalesce(own, 1) != 0 {latest_only}
         ORDER BY id DESC LIMIT ?3"
    );
    out.newest = conn
        .prepare_cached(&sql)?
        .query_map(params![after, through, limit as i64], commit_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(out)
}

/// The overview of two consecutive runs of commits, `older` first.
fn merge(older: PendingCommits, newer: PendingCommits, limit: usize) -> PendingCommits {
    let mut repos = older.repos;
    for repo in newer.repos {
        if !repos.contains(&repo) {
            repos.push(repo);
        }
    }
    let mut newest = newer.newest;
    newest.extend(older.newest);
    newest.truncate(limit);
    PendingCommits {
        count: older.count + newer.count,
        repos,
        first_at: match (older.first_at, newer.first_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        },
        newest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(id: i64, repo: &str) -> CommitRecord {
        CommitRecord {
            id,
            repo: repo.into(),
            hash: format!("{id:040x}"),
            kind: crate::protocol::CommitKind::Commit,
            amends: None,
            branch: None,
            author_name: None,
            author_email: None,
            committed_at: Some(from_millis(id * 1000)),
            summary: None,
            files_changed: None,
            insertions: None,
            deletions: None,
            recorded_at: from_millis(id * 1000),
            trigger_id: None,
            own: Some(true),
        }
    }

    /// The overview of `commits` (oldest first), as one read gives it.
    fn of(commits: &[(i64, &str)], limit: usize) -> PendingCommits {
        let mut out = PendingCommits::default();
        for &(id, repo) in commits {
            out.count += 1;
            if !out.repos.iter().any(|r| r == repo) {
                out.repos.push(repo.into());
            }
            let t = from_millis(id * 1000);
            out.first_at = Some(out.first_at.map_or(t, |f| f.min(t)));
        }
        out.newest = commits
            .iter()
            .rev()
            .take(limit)
            .map(|&(id, repo)| commit(id, repo))
            .collect();
        out
    }

    #[test]
    fn merging_two_runs_is_reading_both_at_once() {
        let a = "api";
        let b = "web";
        type Run<'a> = &'a [(i64, &'a str)];
        let cases: &[(&str, Run, Run, usize)] = &[
            ("both empty", &[], &[], 3),
            ("nothing new", &[(1, a), (2, b)], &[], 3),
            ("nothing before", &[], &[(1, a), (2, b)], 3),
            ("same repository", &[(1, a)], &[(2, a), (3, a)], 3),
            (
                "a new repository goes last",
                &[(1, a)],
                &[(2, b), (3, a)],
                3,
            ),
            (
                "an older repository keeps its place",
                &[(1, b), (2, a)],
                &[(3, a), (4, b)],
                3,
            ),
            ("newest cut across both", &[(1, a), (2, a)], &[(3, b)], 2),
            (
                "newest all from the new run",
                &[(1, a)],
                &[(2, b), (3, b), (4, a)],
                2,
            ),
            ("no newest kept", &[(1, a)], &[(2, b)], 0),
        ];
        for (name, older, newer, limit) in cases {
            let all: Vec<(i64, &str)> = older.iter().chain(newer.iter()).copied().collect();
            assert_eq!(
                merge(of(older, *limit), of(newer, *limit), *limit),
                of(&all, *limit),
                "{name}"
            );
        }
    }
}
