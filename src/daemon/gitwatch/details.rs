//! Commit details from libgit2: summary, author, time, diff stats.
//!
//! A [`RepoReader`] opens the repository lazily, on the first question,
//! and is dropped after one reflog read, so no repository stays open
//! between changes (memory would otherwise grow with the number of
//! watched repositories). Only counts are taken from diffs; no content is
//! kept.

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use git2::{Oid, Repository};

/// What the reflog line does not say about a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitDetails {
    pub summary: Option<String>,
    pub author_name: String,
    pub author_email: String,
    pub time: DateTime<FixedOffset>,
    pub first_parent: Option<String>,
    pub files_changed: u32,
    pub insertions: u32,
    pub deletions: u32,
}

pub struct RepoReader {
    gitdir: PathBuf,
    repo: Option<Result<Repository, String>>,
}

impl RepoReader {
    /// `gitdir` is the git directory whose HEAD matters (a linked
    /// worktree's own directory for its commits).
    pub fn new(gitdir: &Path) -> RepoReader {
        RepoReader {
            gitdir: gitdir.to_path_buf(),
            repo: None,
        }
    }

    fn repo(&mut self) -> Result<&Repository, String> {
        let gitdir = &self.gitdir;
        self.repo
            .get_or_insert_with(|| {
                Repository::open(gitdir)
                    .map_err(|e| format!("opening `{}`: {}", gitdir.display(), e.message()))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The branch HEAD is on, `None` when detached.
    pub fn head_branch(&mut self) -> Option<String> {
        let repo = self.repo().ok()?;
        if repo.head_detached().unwrap_or(false) {
            return None;
        }
        match repo.head() {
            Ok(head) => head.shorthand().ok().map(str::to_string),
            // An unborn branch has no commit yet but still a name.
            Err(_) => repo
                .find_reference("HEAD")
                .ok()
                .and_then(|r| r.symbolic_target().ok().flatten().map(str::to_string))
                .map(|t| t.strip_prefix("refs/heads/").unwrap_or(&t).to_string()),
        }
    }

    /// `user.email` as git would use it for this repository.
    pub fn user_email(&mut self) -> Option<String> {
        let repo = self.repo().ok()?;
        repo.config().ok()?.get_string("user.email").ok()
    }

    /// Details of `hash`; `Err` when the repository or the object is gone
    /// (gc after an amend while the daemon was down).
    pub fn details(&mut self, hash: &str) -> Result<CommitDetails, String> {
        let repo = self.repo()?;
        let oid = Oid::from_str(hash).map_err(|e| e.message().to_string())?;
        let commit = repo
            .find_commit(oid)
            .map_err(|e| format!("reading commit `{hash}`: {}", e.message()))?;
        let author = commit.author();
        let when = author.when();
        let offset = FixedOffset::east_opt(when.offset_minutes() * 60)
            .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"));
        let time = DateTime::from_timestamp(when.seconds(), 0)
            .unwrap_or_default()
            .with_timezone(&offset);
        let parent = commit.parent(0).ok();
        let tree = commit
            .tree()
            .map_err(|e| format!("reading tree of `{hash}`: {}", e.message()))?;
        let parent_tree = parent.as_ref().and_then(|p| p.tree().ok());
        let stats = repo
            .diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), None)
            .and_then(|d| d.stats())
            .map_err(|e| format!("diffing `{hash}`: {}", e.message()))?;
        Ok(CommitDetails {
            summary: commit
                .summary_bytes()
                .map(|s| String::from_utf8_lossy(s).into_owned()),
            author_name: String::from_utf8_lossy(author.name_bytes()).into_owned(),
            author_email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
            time,
            first_parent: parent.map(|p| p.id().to_string()),
            files_changed: stats.files_changed() as u32,
            insertions: stats.insertions() as u32,
            deletions: stats.deletions() as u32,
        })
    }

    /// The first parent of `hash`.
    pub fn first_parent(&mut self, hash: &str) -> Option<String> {
        let repo = self.repo().ok()?;
        let commit = repo.find_commit(Oid::from_str(hash).ok()?).ok()?;
        commit.parent_id(0).ok().map(|id| id.to_string())
    }
}
