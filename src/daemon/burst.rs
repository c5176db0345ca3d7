//! What a burst of commits keeps until its commit trigger fires.
//!
//! The debouncer holds a burst until the repositories were quiet for
//! `commit_debounce`, or for at most ten times that; a script makes
//! thousands of commits in that time. Keeping every event (about 1 KiB
//! each) and turning them all into the trigger's JSON detail at once made
//! the heap jump by megabytes at each flush, and glibc kept most of it.
//! A [`CommitBatch`] instead keeps, per commit, its repository's number and
//! its hash in one shared buffer (8 bytes plus the hash), to link it to the
//! trigger; the detail lists the last [`LISTED`] events only (`omitted`
//! counts the others); and a batch of [`MAX_COMMITS`] commits is due at
//! once. So a burst costs at most about 0.5 MiB, whatever its length.

use std::collections::{BTreeMap, VecDeque};

use serde_json::{json, Value};

use super::gitwatch::debounce::Batch;
use super::gitwatch::GitEvent;
use crate::protocol::{CommitKind, Operation};

/// Events a commit trigger lists in its detail (the most recent ones).
pub(crate) const LISTED: usize = 50;
/// Commits a batch holds before it is due without waiting.
pub(crate) const MAX_COMMITS: usize = 10_000;

#[derive(Debug, Default)]
pub(crate) struct CommitBatch {
    events: usize,
    /// The repositories of the batch, numbered in order of appearance.
    repos: BTreeMap<String, u32>,
    /// Every commit's hash, one after another.
    hashes: String,
    /// Per commit: its repository's number and where its hash ends.
    keys: Vec<(u32, u32)>,
    /// The last [`LISTED`] events, oldest first.
    listed: VecDeque<Listed>,
}

#[derive(Debug)]
struct Listed {
    repo: u32,
    hash: String,
    /// `None` for activity, which has no branch field.
    branch: Option<Option<String>>,
    summary: String,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Commit(CommitKind),
    Rebase,
    Activity(Operation),
}

impl CommitBatch {
    fn repo(&mut self, name: String) -> u32 {
        let next = self.repos.len() as u32;
        *self.repos.entry(name).or_insert(next)
    }

    fn key(&mut self, repo: u32, hash: &str) {
        self.hashes.push_str(hash);
        self.keys.push((repo, self.hashes.len() as u32));
    }

    fn list(&mut self, item: Listed) {
        if self.listed.len() == LISTED {
            self.listed.pop_front();
        }
        self.listed.push_back(item);
    }

    /// The repositories of the batch, by name.
    pub(crate) fn repos(&self) -> impl Iterator<Item = &str> {
        self.repos.keys().map(String::as_str)
    }

    /// `(repo, hash)` of every commit of the batch, to link them to the
    /// trigger.
    pub(crate) fn keys(&self) -> impl Iterator<Item = (&str, &str)> {
        let names = self.names();
        let mut start = 0;
        self.keys.iter().map(move |&(repo, end)| {
            let hash = &self.hashes[start..end as usize];
            start = end as usize;
            (names[repo as usize], hash)
        })
    }

    fn names(&self) -> Vec<&str> {
        let mut names = vec![""; self.repos.len()];
        for (name, &i) in &self.repos {
            names[i as usize] = name;
        }
        names
    }

    /// The trigger's detail: the last [`LISTED`] events, enough to prefill
    /// an update, and how many earlier ones are not listed.
    pub(crate) fn detail(&self) -> Value {
        let names = self.names();
        let commits: Vec<Value> = self
            .listed
            .iter()
            .map(|l| {
                let kind = match l.kind {
                    Kind::Commit(k) => json!(k),
                    Kind::Rebase => json!("rebase"),
                    Kind::Activity(op) => json!(op),
                };
                let mut v = json!({
                    "repo": names[l.repo as usize], "hash": l.hash,
                    "summary": l.summary, "kind": kind,
                });
                if let Some(branch) = &l.branch {
                    v["branch"] = json!(branch);
                }
                v
            })
            .collect();
        let mut detail = json!({ "commits": commits });
        let omitted = self.events - self.listed.len();
        if omitted > 0 {
            detail["omitted"] = json!(omitted);
        }
        detail
    }
}

impl Batch<GitEvent> for CommitBatch {
    fn add(&mut self, event: GitEvent) {
        self.events += 1;
        let item = match event {
            GitEvent::Commit(c) => {
                let repo = self.repo(c.repo);
                self.key(repo, &c.hash);
                Listed {
                    repo,
                    hash: c.hash,
                    branch: Some(c.branch),
                    summary: c.summary,
                    kind: Kind::Commit(c.kind),
                }
            }
            GitEvent::Rebase(r) => {
                let repo = self.repo(r.repo);
                for c in &r.commits {
                    self.key(repo, &c.hash);
                }
                Listed {
                    repo,
                    hash: r.head,
                    branch: Some(r.branch),
                    summary: format!(
                        "rebase of {}",
                        crate::display::plural(r.commits.len() as u64, "commit", "commits")
                    ),
                    kind: Kind::Rebase,
                }
            }
            GitEvent::Activity(a) => Listed {
                repo: self.repo(a.repo),
                hash: a.new,
                branch: None,
                summary: a.message,
                kind: Kind::Activity(a.kind),
            },
        };
        self.list(item);
    }

    fn len(&self) -> usize {
        self.events
    }

    fn is_full(&self) -> bool {
        self.keys.len() >= MAX_COMMITS || self.events >= MAX_COMMITS
    }
}

impl FromIterator<GitEvent> for CommitBatch {
    fn from_iter<I: IntoIterator<Item = GitEvent>>(events: I) -> CommitBatch {
        let mut batch = CommitBatch::default();
        for e in events {
            batch.add(e);
        }
        batch
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{ActivityInfo, CommitInfo, RebaseInfo};
    use chrono::DateTime;

    fn commit(repo: &str, n: usize) -> CommitInfo {
        CommitInfo {
            repo: repo.into(),
            project: None,
            worktree: None,
            hash: format!("{n:040x}"),
            short_hash: format!("{n:07x}"),
            branch: Some("main".into()),
            summary: format!("change {n}"),
            kind: CommitKind::Commit,
            amends: None,
            files_changed: Some(1),
            insertions: Some(1),
            deletions: Some(0),
            author_name: "A".into(),
            author_email: "a@x".into(),
            time: DateTime::default(),
            own: true,
            trigger: true,
        }
    }

    #[test]
    fn lists_the_last_events_and_links_every_commit() {
        let mut events: Vec<GitEvent> = (0..LISTED + 20)
            .map(|n| GitEvent::Commit(commit(if n % 2 == 0 { "b" } else { "a" }, n)))
            .collect();
        events.push(GitEvent::Rebase(RebaseInfo {
            repo: "c".into(),
            project: None,
            worktree: None,
            branch: Some("topic".into()),
            onto: None,
            head: "f".repeat(40),
            commits: vec![commit("c", 1000), commit("c", 1001)],
            at: DateTime::default(),
            own: true,
            trigger: true,
        }));
        events.push(GitEvent::Activity(ActivityInfo {
            repo: "a".into(),
            project: None,
            worktree: None,
            kind: Operation::Reset,
            old: "1".repeat(40),
            new: "2".repeat(40),
            message: "reset: moving to HEAD~".into(),
            at: DateTime::default(),
            trigger: true,
        }));
        let batch: CommitBatch = events.into_iter().collect();
        assert_eq!(batch.len(), LISTED + 22);
        assert_eq!(batch.repos().collect::<Vec<_>>(), ["a", "b", "c"]);

        let keys: Vec<(&str, &str)> = batch.keys().collect();
        assert_eq!(keys.len(), LISTED + 22);
        let first = format!("{:040x}", 0);
        assert_eq!(keys[0], ("b", first.as_str()));
        let last = format!("{:040x}", 1001);
        assert_eq!(keys[LISTED + 21], ("c", last.as_str()));

        let detail = batch.detail();
        let listed = detail["commits"].as_array().unwrap();
        assert_eq!(listed.len(), LISTED);
        assert_eq!(detail["omitted"], 22);
        assert_eq!(listed[0]["summary"], format!("change {}", 22));
        assert_eq!(listed[0]["kind"], "commit");
        assert_eq!(listed[0]["branch"], "main");
        let rebase = &listed[LISTED - 2];
        assert_eq!(
            (&rebase["kind"], &rebase["summary"], &rebase["repo"]),
            (&json!("rebase"), &json!("rebase of 2 commits"), &json!("c"))
        );
        let activity = &listed[LISTED - 1];
        assert_eq!(activity["kind"], "reset");
        assert!(activity.get("branch").is_none());
    }

    #[test]
    fn a_short_batch_lists_everything() {
        let batch: CommitBatch = (0..3).map(|n| GitEvent::Commit(commit("a", n))).collect();
        let detail = batch.detail();
        assert_eq!(detail["commits"].as_array().unwrap().len(), 3);
        assert!(detail.get("omitted").is_none());
        assert!(!batch.is_full());
    }

    #[test]
    fn a_batch_is_full_at_the_commit_bound() {
        let mut batch = CommitBatch::default();
        for n in 0..MAX_COMMITS - 1 {
            batch.add(GitEvent::Commit(commit("a", n)));
        }
        assert!(!batch.is_full());
        batch.add(GitEvent::Commit(commit("a", MAX_COMMITS)));
        assert!(batch.is_full());
        assert_eq!(batch.listed.len(), LISTED);
        assert_eq!(batch.hashes.len(), 40 * MAX_COMMITS);
    }
}
