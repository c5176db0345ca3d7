//! Turning newly read reflog lines into what is stored and what is
//! announced.
//!
//! Two phases around the store's transaction: [`process`] builds the batch
//! (commits, activity, cursor) and a list of steps; after the batch is
//! written, [`events`] keeps only the commits the store did not have yet
//! and builds the events. A rebase is folded: its picks are stored as they
//! come, and its finish line yields one event listing them. The rebase in
//! progress is carried between reads of the same reflog.
//!
//! [`process`] parses the lines and hands each to a `Reader`, which has
//! one method per kind of reflog operation (a commit, a rebase's finish,
//! any other HEAD movement), so each rule reads on its own.

use chrono::{DateTime, Utc};

use super::classify::{author_matches, classify, raises_trigger, rebase_finish_branch};
use super::details::CommitDetails;
use super::outcome::GitEvent;
use super::reflog::{complete_lines, parse_line, ReflogLine};
use super::tail::Chunk;
use crate::config::CommitTriggers;
use crate::protocol::{ActivityInfo, CommitInfo, CommitKind, Operation, RebaseInfo};
use crate::store::cursor::Cursor;
use crate::store::{NewActivity, NewCommit, ReflogBatch};

/// Questions processing asks git and the store.
pub(crate) trait Lookup {
    fn details(&mut self, hash: &str) -> Result<CommitDetails, String>;
    /// The branch HEAD is on now (`None` when detached).
    fn head_branch(&mut self) -> Option<String>;
    /// The repository's `user.email`.
    fn user_email(&mut self) -> Option<String>;
    fn first_parent(&mut self, hash: &str) -> Option<String>;
    /// A commit stored earlier as part of a rebase.
    fn stored_rebase_commit(&mut self, hash: &str) -> Option<CommitInfo>;
}

/// Who the reflog belongs to and how its events are judged.
#[derive(Debug, Clone)]
pub(crate) struct LogContext<'a> {
    pub repo: &'a str,
    pub project: Option<&'a str>,
    pub worktree: Option<&'a str>,
    pub mode: CommitTriggers,
    /// Configured author e-mails (empty: the repository's `user.email`).
    pub authors: &'a [String],
}

/// A rebase whose finish line was not read yet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RebaseProgress {
    pub onto: Option<String>,
    /// New commits of the rebase so far, oldest first.
    pub commits: Vec<CommitInfo>,
    /// Its start was not seen (the daemon started mid-rebase).
    pub partial: bool,
}

/// A commit of the rebase in progress; `index` points into this batch's
/// commits (`None`: stored by an earlier read).
#[derive(Debug, Clone)]
struct Pending {
    info: CommitInfo,
    index: Option<usize>,
}

/// The rebase in progress while one read is processed.
#[derive(Debug, Clone)]
struct OpenRebase {
    /// The new base, when the start was seen.
    onto: Option<String>,
    /// Its start was not seen.
    partial: bool,
    commits: Vec<Pending>,
}

impl OpenRebase {
    /// Carried over from an earlier read.
    fn resume(p: &RebaseProgress) -> OpenRebase {
        OpenRebase {
            onto: p.onto.clone(),
            partial: p.partial,
            commits: p
                .commits
                .iter()
                .map(|c| Pending {
                    info: c.clone(),
                    index: None,
                })
                .collect(),
        }
    }

    /// Met mid-way: a step or the finish without its start.
    fn unseen_start() -> OpenRebase {
        OpenRebase {
            onto: None,
            partial: true,
            commits: Vec::new(),
        }
    }
}

#[derive(Debug, Clone)]
enum Step {
    Commit {
        index: usize,
        info: CommitInfo,
        historic: bool,
    },
    Activity(ActivityInfo),
    Finish {
        info: RebaseInfo,
        commits: Vec<Pending>,
        historic: bool,
    },
}

/// What [`process`] produced.
#[derive(Clone)]
pub(crate) struct Processed {
    pub batch: ReflogBatch,
    steps: Vec<Step>,
    progress: Option<OpenRebase>,
    /// Lines that could not be parsed (skipped).
    #[cfg_attr(not(test), expect(dead_code, reason = "only the unit tests read it"))]
    pub malformed: usize,
}

/// How lines already in a reflog before reading began are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum History {
    /// Every line is news.
    None,
    /// Lines before this Unix time were most likely read before (a rewritten
    /// reflog read again): their commits are stored if missing but not
    /// announced, and their activity is not recorded again.
    Quiet(i64),
    /// Lines before this Unix time predate watching the repository: skipped.
    Skip(i64),
}

/// Longest first-parent walk when reconstructing a rebase whose start was
/// not seen.
const REBASE_WALK_LIMIT: usize = 10_000;

/// One read of one reflog, as [`process`] takes it.
pub(crate) struct LogRead<'a> {
    pub ctx: LogContext<'a>,
    /// The reflog's absolute path (its cursor's key in the store).
    pub log_path: &'a str,
    /// What was read, from which byte, and whether reading started over.
    pub chunk: &'a Chunk,
    /// The cursor reading began with.
    pub cursor: &'a Cursor,
    /// How lines that were there before are treated.
    pub history: History,
    /// The rebase in progress when the previous read ended.
    pub progress: Option<&'a RebaseProgress>,
    pub now: DateTime<Utc>,
}

/// Builds the batch for what one read of a reflog returned.
pub(crate) fn process(read: LogRead<'_>, lookup: &mut dyn Lookup) -> Processed {
    let LogRead {
        ctx,
        log_path,
        chunk,
        cursor,
        history,
        progress,
        now,
    } = read;
    let (lines, consumed) = complete_lines(&chunk.bytes);
    let mut reader = Reader {
        ctx: &ctx,
        lookup,
        batch: ReflogBatch {
            repo: ctx.repo.to_string(),
            ..ReflogBatch::default()
        },
        steps: Vec::new(),
        rebase: progress.map(OpenRebase::resume),
        head_branch: None,
        authors: None,
    };
    let mut malformed = 0;
    let mut last_hash = if chunk.resync || chunk.start == 0 {
        None
    } else {
        cursor.last_hash.clone()
    };
    for raw in lines {
        let line = match parse_line(&String::from_utf8_lossy(raw)) {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(log = log_path, error = %e, "skipping a malformed line of `{log_path}`: {e}");
                malformed += 1;
                last_hash = None;
                continue;
            }
        };
        last_hash = Some(line.new.clone());
        let ts = line.time.timestamp();
        let historic = match history {
            History::None => false,
            History::Quiet(t) => ts < t,
            History::Skip(t) if ts < t => continue,
            History::Skip(_) => false,
        };
        reader.line(&line, historic);
    }
    let Reader {
        mut batch,
        steps,
        rebase,
        ..
    } = reader;
    batch.cursor = next_cursor(chunk, cursor, consumed, last_hash, now)
        .map(|next| (log_path.to_string(), next));
    Processed {
        batch,
        steps,
        progress: rebase,
        malformed,
    }
}

/// The cursor after a read that consumed `consumed` bytes of `chunk`
/// (`last_hash`: its last line's new hash); `None` when nothing moved.
fn next_cursor(
    chunk: &Chunk,
    cursor: &Cursor,
    consumed: usize,
    last_hash: Option<String>,
    now: DateTime<Utc>,
) -> Option<Cursor> {
    let next = Cursor {
        file_id: chunk.file_id.clone(),
        offset: chunk.start + consumed as u64,
        last_hash: if consumed == 0 && !chunk.resync && chunk.start > 0 {
            cursor.last_hash.clone()
        } else {
            last_hash
        },
        updated_at: if consumed == 0 {
            cursor.updated_at
        } else {
            now
        },
    };
    (next != *cursor || consumed > 0).then_some(next)
}

/// What one read gathers while it takes the reflog's lines in order.
struct Reader<'r, 'c> {
    ctx: &'r LogContext<'c>,
    lookup: &'r mut dyn Lookup,
    batch: ReflogBatch,
    steps: Vec<Step>,
    rebase: Option<OpenRebase>,
    /// The branch HEAD is on, asked once per read (at its first commit
    /// outside a rebase).
    head_branch: Option<Option<String>>,
    /// Whose commits are own work, asked once per read.
    authors: Option<Vec<String>>,
}

impl Reader<'_, '_> {
    /// One line, by the operation it names: a commit, a rebase's start,
    /// abort or finish, or any other HEAD movement (activity). A line
    /// that was there before reading began (`historic`) is stored if
    /// missing but not announced.
    fn line(&mut self, line: &ReflogLine, historic: bool) {
        let op = classify(&line.message);
        if let Some(kind) = op.commit_kind() {
            return self.commit(line, op, kind, historic);
        }
        match op {
            Operation::RebaseFinish => return self.rebase_finish(line, op, historic),
            Operation::RebaseStart => {
                self.rebase = Some(OpenRebase {
                    onto: Some(line.new.clone()),
                    partial: false,
                    commits: Vec::new(),
                })
            }
            Operation::RebaseAbort => self.rebase = None,
            _ => {}
        }
        if !historic {
            self.activity(line, op);
        }
    }

    /// A line that made a commit: stored, and announced on its own or,
    /// inside a rebase, with the rebase's finish.
    fn commit(&mut self, line: &ReflogLine, op: Operation, kind: CommitKind, historic: bool) {
        let in_rebase = self.rebase.is_some() || op == Operation::RebaseStep;
        let details = self.lookup.details(&line.new);
        let branch = if in_rebase {
            None
        } else {
            self.head_branch
                .get_or_insert_with(|| self.lookup.head_branch())
                .clone()
        };
        let authors = self
            .authors
            .get_or_insert_with(|| configured_authors(self.ctx.authors, self.lookup));
        let (info, new_commit) = commit_info(
            self.ctx, line, kind, op, branch, details, authors, in_rebase,
        );
        let info = CommitInfo {
            trigger: info.trigger && !historic,
            ..info
        };
        let index = self.batch.commits.len();
        self.batch.commits.push(new_commit);
        if in_rebase {
            self.rebase
                .get_or_insert_with(OpenRebase::unseen_start)
                .commits
                .push(Pending {
                    info,
                    index: Some(index),
                });
        } else {
            self.steps.push(Step::Commit {
                index,
                info,
                historic,
            });
        }
    }

    /// A rebase's finish: its commits get the branch it returned to and
    /// are announced together (completed from the store when its start
    /// was not seen).
    fn rebase_finish(&mut self, line: &ReflogLine, op: Operation, historic: bool) {
        let OpenRebase {
            onto,
            partial,
            mut commits,
        } = self.rebase.take().unwrap_or_else(OpenRebase::unseen_start);
        if partial {
            prepend_stored_rebase(self.lookup, &line.new, &mut commits);
        }
        let branch = rebase_finish_branch(&line.message);
        if let Some(b) = &branch {
            for p in &mut commits {
                p.info.branch = Some(b.clone());
                self.batch
                    .branch_updates
                    .push((p.info.hash.clone(), b.clone()));
            }
        }
        let own = commits.iter().any(|p| p.info.own);
        let ctx = self.ctx;
        let info = RebaseInfo {
            repo: ctx.repo.to_string(),
            project: ctx.project.map(str::to_string),
            worktree: ctx.worktree.map(str::to_string),
            branch,
            onto,
            head: line.new.clone(),
            commits: Vec::new(),
            at: line.time,
            own,
            trigger: raises_trigger(ctx.mode, op, own),
        };
        self.steps.push(Step::Finish {
            info,
            commits,
            historic,
        });
    }

    /// A HEAD movement that made no commit (checkout, pull, reset, a
    /// rebase's start or abort): stored and announced as activity.
    fn activity(&mut self, line: &ReflogLine, op: Operation) {
        let ctx = self.ctx;
        self.batch.activity.push(NewActivity {
            kind: op.as_str().to_string(),
            old_hash: Some(line.old.clone()),
            new_hash: Some(line.new.clone()),
            message: Some(line.message.clone()),
            at: line.time.with_timezone(&Utc),
        });
        self.steps.push(Step::Activity(ActivityInfo {
            repo: ctx.repo.to_string(),
            project: ctx.project.map(str::to_string),
            worktree: ctx.worktree.map(str::to_string),
            kind: op,
            old: line.old.clone(),
            new: line.new.clone(),
            message: line.message.clone(),
            at: line.time,
            trigger: raises_trigger(ctx.mode, op, true),
        }));
    }
}

/// Authors whose commits are own work: the configured ones, else the
/// repository's `user.email`, else anyone (empty).
fn configured_authors(configured: &[String], lookup: &mut dyn Lookup) -> Vec<String> {
    if !configured.is_empty() {
        return configured.to_vec();
    }
    lookup.user_email().into_iter().collect()
}

#[allow(clippy::too_many_arguments)]
fn commit_info(
    ctx: &LogContext<'_>,
    line: &ReflogLine,
    kind: CommitKind,
    op: Operation,
    branch: Option<String>,
    details: Result<CommitDetails, String>,
    authors: &[String],
    in_rebase: bool,
) -> (CommitInfo, NewCommit) {
    let fallback_summary = line
        .message
        .split_once(": ")
        .map(|(_, s)| s.to_string())
        .unwrap_or_default();
    let (summary, author_name, author_email, time, stats) = match &details {
        Ok(d) => (
            d.summary.clone().unwrap_or(fallback_summary),
            d.author_name.clone(),
            d.author_email.clone(),
            d.time,
            Some((d.files_changed, d.insertions, d.deletions)),
        ),
        Err(e) => {
            tracing::warn!(repo = ctx.repo, hash = %line.new, error = %e, "details of commit {} in `{}` unavailable: {e}", line.new.get(..7).unwrap_or(&line.new), ctx.repo);
            (
                fallback_summary,
                line.name.clone(),
                line.email.clone(),
                line.time,
                None,
            )
        }
    };
    let own = author_matches(authors, [line.email.as_str(), author_email.as_str()]);
    let amends = (kind == CommitKind::Amend).then(|| line.old.clone());
    let info = CommitInfo {
        repo: ctx.repo.to_string(),
        project: ctx.project.map(str::to_string),
        worktree: ctx.worktree.map(str::to_string),
        hash: line.new.clone(),
        short_hash: line.new.chars().take(7).collect(),
        branch: branch.clone(),
        summary: summary.clone(),
        kind,
        amends: amends.clone(),
        files_changed: stats.map(|s| s.0),
        insertions: stats.map(|s| s.1),
        deletions: stats.map(|s| s.2),
        author_name: author_name.clone(),
        author_email: author_email.clone(),
        time,
        own,
        trigger: !in_rebase && raises_trigger(ctx.mode, op, own),
    };
    let new = NewCommit {
        hash: line.new.clone(),
        kind,
        amends,
        branch,
        author_name: Some(author_name),
        author_email: Some(author_email),
        committed_at: Some(time.with_timezone(&Utc)),
        summary: Some(summary),
        files_changed: stats.map(|s| s.0),
        insertions: stats.map(|s| s.1),
        deletions: stats.map(|s| s.2),
        own,
    };
    (info, new)
}

/// Completes a rebase whose start was not seen: walks first parents from
/// the rebased tip while the commits were stored as rebase picks.
fn prepend_stored_rebase(lookup: &mut dyn Lookup, head: &str, commits: &mut Vec<Pending>) {
    let known: std::collections::HashSet<String> =
        commits.iter().map(|p| p.info.hash.clone()).collect();
    let mut earlier = Vec::new();
    let mut hash = Some(head.to_string());
    while let Some(h) = hash {
        if earlier.len() >= REBASE_WALK_LIMIT {
            break;
        }
        if !known.contains(&h) {
            match lookup.stored_rebase_commit(&h) {
                Some(info) => earlier.push(Pending { info, index: None }),
                None => break,
            }
        }
        hash = lookup.first_parent(&h);
    }
    earlier.reverse();
    earlier.append(commits);
    *commits = earlier;
}

/// After the batch was written: the events for commits that were new, and
/// the rebase still in progress.
pub(crate) fn events(
    processed: Processed,
    inserted: &[bool],
) -> (Vec<GitEvent>, Option<RebaseProgress>) {
    let is_new = |index: Option<usize>| index.is_none_or(|i| inserted.get(i) == Some(&true));
    let mut out = Vec::new();
    for step in processed.steps {
        match step {
            Step::Commit {
                index,
                info,
                historic,
            } => {
                if !historic && is_new(Some(index)) {
                    out.push(GitEvent::Commit(info));
                }
            }
            Step::Activity(a) => out.push(GitEvent::Activity(a)),
            Step::Finish {
                mut info,
                commits,
                historic,
            } => {
                info.commits = commits
                    .into_iter()
                    .filter(|p| is_new(p.index))
                    .map(|p| p.info)
                    .collect();
                if !historic && !info.commits.is_empty() {
                    out.push(GitEvent::Rebase(info));
                }
            }
        }
    }
    let progress = processed.progress.map(|open| RebaseProgress {
        onto: open.onto,
        partial: open.partial,
        commits: open
            .commits
            .into_iter()
            .filter(|p| is_new(p.index))
            .map(|p| p.info)
            .collect(),
    });
    (out, progress)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    struct Fake;

    impl Lookup for Fake {
        fn details(&mut self, hash: &str) -> Result<CommitDetails, String> {
            Ok(CommitDetails {
                summary: Some(format!("summary {}", &hash[..4])),
                author_name: "Ada".into(),
                author_email: "ada@x".into(),
                time: DateTime::from_timestamp(1_700_000_000, 0)
                    .unwrap()
                    .with_timezone(&FixedOffset::east_opt(0).unwrap()),
                first_parent: None,
                files_changed: 1,
                insertions: 2,
                deletions: 0,
            })
        }
        fn head_branch(&mut self) -> Option<String> {
            Some("main".into())
        }
        fn user_email(&mut self) -> Option<String> {
            Some("ada@x".into())
        }
        fn first_parent(&mut self, _hash: &str) -> Option<String> {
            None
        }
        fn stored_rebase_commit(&mut self, _hash: &str) -> Option<CommitInfo> {
            None
        }
    }

    fn h(n: u8) -> String {
        format!("{:040x}", n)
    }

    fn line(old: u8, new: u8, msg: &str) -> String {
        format!(
            "{} {} Ada <ada@x> 1700000000 +0000\t{msg}\n",
            h(old),
            h(new)
        )
    }

    fn ctx(mode: CommitTriggers) -> LogContext<'static> {
        LogContext {
            repo: "r",
            project: None,
            worktree: None,
            mode,
            authors: &[],
        }
    }

    fn run(
        text: &str,
        mode: CommitTriggers,
        progress: Option<&RebaseProgress>,
    ) -> (Processed, Vec<GitEvent>, Option<RebaseProgress>) {
        let cursor = Cursor {
            file_id: "1:1".into(),
            offset: 0,
            last_hash: None,
            updated_at: DateTime::default(),
        };
        let chunk = Chunk {
            file_id: "1:1".into(),
            start: 0,
            resync: false,
            bytes: text.as_bytes().to_vec(),
        };
        let read = LogRead {
            ctx: ctx(mode),
            log_path: "/r/.git/logs/HEAD",
            chunk: &chunk,
            cursor: &cursor,
            history: History::None,
            progress,
            now: DateTime::from_timestamp(1_700_000_100, 0).unwrap(),
        };
        let p = process(read, &mut Fake);
        let inserted = vec![true; p.batch.commits.len()];
        let (ev, prog) = events(p.clone(), &inserted);
        (p, ev, prog)
    }

    #[test]
    fn commit_amend_and_checkout() {
        let text = format!(
            "{}{}{}",
            line(0, 1, "commit (initial): one"),
            line(1, 2, "commit (amend): one again"),
            line(2, 3, "checkout: moving from main to other"),
        );
        let (p, ev, prog) = run(&text, CommitTriggers::Own, None);
        assert_eq!(p.batch.commits.len(), 2);
        assert_eq!(p.batch.commits[1].amends.as_deref(), Some(h(1).as_str()));
        assert_eq!(p.batch.activity.len(), 1);
        assert_eq!(p.batch.activity[0].kind, "checkout");
        let (path, c) = p.batch.cursor.clone().unwrap();
        assert_eq!(path, "/r/.git/logs/HEAD");
        assert_eq!(c.offset, text.len() as u64);
        assert_eq!(c.last_hash, Some(h(3)));
        assert_eq!(ev.len(), 3);
        assert!(ev[0].triggers() && ev[1].triggers() && !ev[2].triggers());
        assert!(prog.is_none());
    }

    #[test]
    fn a_rebase_is_one_event_even_across_reads() {
        let first = format!(
            "{}{}",
            line(5, 9, "rebase (start): checkout main"),
            line(9, 10, "rebase (pick): a"),
        );
        let (_, ev, prog) = run(&first, CommitTriggers::Own, None);
        assert!(ev.iter().all(|e| !e.triggers()));
        let prog = prog.unwrap();
        assert_eq!(prog.commits.len(), 1);
        let second = format!(
            "{}{}",
            line(10, 11, "rebase (pick): b"),
            line(11, 11, "rebase (finish): returning to refs/heads/feature/x"),
        );
        let (p, ev, prog) = run(&second, CommitTriggers::Own, Some(&prog));
        assert!(prog.is_none());
        assert_eq!(ev.len(), 1);
        let GitEvent::Rebase(r) = &ev[0] else {
            panic!("{ev:?}")
        };
        assert_eq!(r.commits.len(), 2);
        assert_eq!(r.onto, Some(h(9)));
        assert!(r.trigger);
        assert!(r
            .commits
            .iter()
            .all(|c| c.branch.as_deref() == Some("feature/x")));
        assert_eq!(p.batch.branch_updates.len(), 2);
    }

    #[test]
    fn partial_last_line_is_not_consumed() {
        let full = line(0, 1, "commit: a");
        let text = format!("{full}{}", &line(1, 2, "commit: b")[..30]);
        let (p, _, _) = run(&text, CommitTriggers::Own, None);
        assert_eq!(p.batch.commits.len(), 1);
        assert_eq!(p.batch.cursor.unwrap().1.offset, full.len() as u64);
    }

    #[test]
    fn modes() {
        let text = format!(
            "{}{}",
            line(0, 1, "commit: a"),
            line(1, 2, "reset: moving to HEAD~")
        );
        let (_, ev, _) = run(&text, CommitTriggers::All, None);
        assert!(ev.iter().all(GitEvent::triggers));
        let (_, ev, _) = run(&text, CommitTriggers::None, None);
        assert!(ev.iter().all(|e| !e.triggers()));
    }

    #[test]
    fn malformed_lines_are_skipped() {
        let text = format!("garbage\n{}", line(0, 1, "commit: a"));
        let (p, ev, _) = run(&text, CommitTriggers::Own, None);
        assert_eq!(p.malformed, 1);
        assert_eq!(ev.len(), 1);
    }
}
