//! Turning newly read reflog lines into what is stored and what is
//! announced.
//!
//! Two phases around the store's transaction: [`process`] builds the batch
//! (commits, activity, cursor) and a list of steps; after the batch is
//! written, [`events`] keeps only the commits the store did not have yet
//! and builds the events.
//!
//! A rebase is held until it ends, because the commits it makes are not
//! work until it finishes: an aborted rebase leaves commits that exist on
//! no branch, and a `reword` first makes a commit with the old message and
//! then amends it. So nothing of a rebase is processed before its finish
//! or abort line is read: while it is in progress the cursor stays before
//! its start line, and the next read takes it again from there. Its
//! finish stores the commits reachable from where it finished (not the
//! transient ones, not those of an abandoned attempt) and yields one event
//! listing them; an abort stores none. Either way its HEAD movements are
//! kept as activity. A rebase that is no longer in progress yet has no
//! finish line (`git rebase --quit`, or the finish written just after the
//! read) is read once more; still without one, it counts as aborted.
//!
//! [`process`] parses the lines and hands each to a `Reader`, which has
//! one method per kind of reflog operation (a commit, a rebase's finish,
//! any other HEAD movement), so each rule reads on its own.

use chrono::{DateTime, Utc};

use super::classify::{
    author_matches, classify, raises_trigger, rebase_finish_branch,
    split_message as split_reflog_message, starts_a_pull,
};
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
    /// Whether `hash` is `tip` or one of its ancestors.
    fn reachable(&mut self, hash: &str, tip: &str) -> bool;
    /// Whether a rebase is in progress in the reflog's working tree.
    fn rebase_in_progress(&mut self) -> bool;
    /// The parents of `hash`, first parent first (empty when unreadable).
    fn parents(&mut self, hash: &str) -> Vec<String>;
    /// The commits `new` has and `old` has not, oldest first, at most
    /// `limit` of them, and how many there are in all.
    fn gained(&mut self, old: &str, new: &str, limit: usize) -> (Vec<String>, usize);
    /// The patch id of `hash` against its first parent (`None`: no change,
    /// or unreadable).
    fn patch_id(&mut self, hash: &str) -> Option<String>;
}

/// Most commits of other authors stored for one movement of a branch (a
/// pull of a year of upstream history would otherwise store it all); the
/// rest are counted in the log.
pub(crate) const GAINED_LIMIT: usize = 1_000;

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

/// A commit of a finished rebase; `index` points into this batch's
/// commits (`None`: stored by an earlier read, as earlier versions stored
/// a rebase's picks as they came).
#[derive(Debug, Clone)]
struct Pending {
    info: CommitInfo,
    index: Option<usize>,
}

/// A rebase whose finish or abort line was not read yet: its lines, held.
#[derive(Debug, Clone)]
struct OpenRebase {
    /// The new base, when the start was seen.
    onto: Option<String>,
    /// Its start was not seen.
    partial: bool,
    /// Where its first line starts in the chunk, and the hash of the line
    /// before it: where the cursor stays while it is in progress.
    from: usize,
    hash_before: Option<String>,
    /// Its lines after the first, in order, with whether each was there
    /// before reading began.
    lines: Vec<(ReflogLine, Operation, bool)>,
}

impl OpenRebase {
    fn new(first: &ReflogLine, op: Operation, historic: bool, at: &At) -> OpenRebase {
        let started = op == Operation::RebaseStart;
        OpenRebase {
            onto: started.then(|| first.new.clone()),
            partial: !started,
            from: at.offset,
            hash_before: at.hash_before.clone(),
            lines: vec![(first.clone(), op, historic)],
        }
    }
}

/// A commit a finished rebase may have replaced: its hash, patch id,
/// details, and the index of the kept commit it is linked to.
type Original = (String, Option<String>, Option<CommitDetails>, Option<usize>);

/// Where a line is in the chunk: its byte offset and the new hash of the
/// line before it (`None` at the start of the file or after a malformed
/// line).
#[derive(Debug, Clone)]
struct At {
    offset: usize,
    hash_before: Option<String>,
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
    /// Lines that could not be parsed (skipped).
    #[cfg_attr(not(test), expect(dead_code, reason = "only the unit tests read it"))]
    pub malformed: usize,
    /// A rebase is open at the end of what was read but no longer in
    /// progress: read again (with [`LogRead::settled`]) to find its end.
    pub unsettled: bool,
}

/// How lines already in a reflog before reading began are treated, by
/// their Unix time. A line may fall under several: skipping wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct History {
    /// Lines before this predate watching the repository: skipped.
    pub skip_before: Option<i64>,
    /// Lines before this were most likely read before (a rewritten reflog
    /// read again) or are the first day's earlier work: their commits are
    /// stored if missing but not announced, and their activity is not
    /// recorded.
    pub quiet_before: Option<i64>,
    /// The repository is watched for the first time; lines that start
    /// before this byte offset were in the reflog then: their commits are
    /// the first day's earlier work, stored as found at start and not
    /// announced, and their activity is not recorded.
    pub found_until: Option<u64>,
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
    /// This read follows an unsettled one: a rebase still open at its end
    /// and no longer in progress counts as aborted.
    pub settled: bool,
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
        settled,
        now,
    } = read;
    let (lines, mut consumed) = complete_lines(&chunk.bytes);
    let mut reader = Reader {
        ctx: &ctx,
        lookup,
        batch: ReflogBatch {
            repo: ctx.repo.to_string(),
            ..ReflogBatch::default()
        },
        steps: Vec::new(),
        rebase: None,
        head_branch: None,
        authors: None,
        first_watch: history.found_until.is_some(),
    };
    let mut malformed = 0;
    let mut last_hash = if chunk.resync || chunk.start == 0 {
        None
    } else {
        cursor.last_hash.clone()
    };
    for raw in lines {
        let offset = raw.as_ptr() as usize - chunk.bytes.as_ptr() as usize;
        let line = match parse_line(&String::from_utf8_lossy(raw)) {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(log = log_path, error = %e, "skipping a malformed line of `{log_path}`: {e}");
                malformed += 1;
                last_hash = None;
                continue;
            }
        };
        let at = At {
            offset,
            hash_before: last_hash.replace(line.new.clone()),
        };
        let ts = line.time.timestamp();
        if history.skip_before.is_some_and(|t| ts < t) {
            continue;
        }
        let historic = history.quiet_before.is_some_and(|t| ts < t)
            || history
                .found_until
                .is_some_and(|end| chunk.start + (offset as u64) < end);
        reader.line(&line, historic, &at);
    }
    let mut unsettled = false;
    if let Some(open) = reader.rebase.take() {
        if reader.lookup.rebase_in_progress() {
            // Held: the next read starts at its first line again.
            consumed = open.from;
            last_hash = open.hash_before;
        } else if !settled {
            unsettled = true;
        } else {
            reader.rebase_abort(open, None);
        }
    }
    let Reader {
        mut batch, steps, ..
    } = reader;
    batch.cursor = next_cursor(chunk, cursor, consumed, last_hash, now)
        .map(|next| (log_path.to_string(), next));
    Processed {
        batch,
        steps,
        malformed,
        unsettled,
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
    /// The repository is watched for the first time: the commits of the
    /// lines that were there (`historic`) are marked found at start.
    first_watch: bool,
}

impl Reader<'_, '_> {
    /// One line, by the operation it names: a commit, a rebase's start,
    /// abort or finish, or any other HEAD movement (activity). A line
    /// inside a rebase is held until the rebase ends. A line that was
    /// there before reading began (`historic`) is stored if missing but
    /// not announced.
    fn line(&mut self, line: &ReflogLine, historic: bool, at: &At) {
        let op = classify(&line.message);
        match op {
            Operation::RebaseStart => {
                if let Some(earlier) = self.rebase.take() {
                    // Started again without an end: the earlier one was
                    // given up.
                    self.rebase_abort(earlier, None);
                }
                self.rebase = Some(OpenRebase::new(line, op, historic, at));
                return;
            }
            Operation::RebaseFinish => {
                let open = self.rebase.take();
                return self.rebase_finish(open, line, op, historic);
            }
            Operation::RebaseAbort => {
                let open = self.rebase.take();
                if let Some(open) = open {
                    self.rebase_abort(open, Some((line, historic)));
                } else if !historic {
                    self.activity(line, op);
                }
                return;
            }
            Operation::RebaseStep | Operation::RebaseMove if self.rebase.is_none() => {
                // Met mid-way: its start was not read.
                self.rebase = Some(OpenRebase::new(line, op, historic, at));
                return;
            }
            _ => {}
        }
        if let Some(open) = &mut self.rebase {
            open.lines.push((line.clone(), op, historic));
            return;
        }
        if matches!(
            op,
            Operation::Pull | Operation::FastForward | Operation::Merge
        ) {
            return self.gain(line, op, historic);
        }
        if let Some(kind) = op.commit_kind() {
            return self.commit(line, op, kind, historic);
        }
        if !historic {
            self.activity(line, op);
        }
    }

    /// A movement that brings commits into the branch: a merge, a pull, a
    /// fast-forward. A merge commit it made (also a `git pull`'s) is the
    /// developer's own commit; the other authors' commits the branch
    /// gained are stored, not as own work, only under
    /// `commit_triggers: all`, and are not announced on their own (the
    /// movement is).
    fn gain(&mut self, line: &ReflogLine, op: Operation, historic: bool) {
        let parents = self.lookup.parents(&line.new);
        let made_merge = parents.len() > 1 && parents[0] == line.old;
        match op {
            Operation::Merge => self.commit(line, op, CommitKind::Merge, historic),
            Operation::Pull if made_merge => {
                self.commit(line, Operation::Merge, CommitKind::Merge, historic)
            }
            _ if !historic => self.activity(line, op),
            _ => {}
        }
        self.gain_others(line, op, op == Operation::Merge || made_merge);
    }

    /// The other authors' commits a movement brought into the branch,
    /// stored not as own work under `commit_triggers: all` only (the merge
    /// commit the movement made itself, `made_merge`, is stored by the
    /// caller).
    fn gain_others(&mut self, line: &ReflogLine, op: Operation, made_merge: bool) {
        if self.ctx.mode != CommitTriggers::All || line.old.bytes().all(|b| b == b'0') {
            return;
        }
        let (hashes, total) = self.lookup.gained(&line.old, &line.new, GAINED_LIMIT);
        let branch = self
            .head_branch
            .get_or_insert_with(|| self.lookup.head_branch())
            .clone();
        for hash in &hashes {
            if *hash == line.new && made_merge {
                continue;
            }
            let Ok(details) = self.lookup.details(hash) else {
                continue;
            };
            let authors = self
                .authors
                .get_or_insert_with(|| configured_authors(self.ctx.authors, self.lookup));
            if author_matches(authors, [details.author_email.as_str()]) {
                // Own work made elsewhere (another clone): not made here.
                continue;
            }
            let kind = if self.lookup.parents(hash).len() > 1 {
                CommitKind::Merge
            } else {
                CommitKind::Commit
            };
            let gained = ReflogLine {
                new: hash.clone(),
                ..line.clone()
            };
            let (_, mut new_commit) = commit_info(
                self.ctx,
                &gained,
                kind,
                op,
                branch.clone(),
                Ok(details),
                authors,
                false,
            );
            new_commit.own = false;
            self.batch.commits.push(new_commit);
        }
        if total > hashes.len() {
            tracing::info!(
                repo = self.ctx.repo,
                "`{}` gained {total} commits at once; the first {} of other authors are stored",
                self.ctx.repo,
                hashes.len()
            );
        }
    }

    /// A line that made a commit outside a rebase: stored, and announced
    /// on its own.
    fn commit(&mut self, line: &ReflogLine, op: Operation, kind: CommitKind, historic: bool) {
        let branch = self
            .head_branch
            .get_or_insert_with(|| self.lookup.head_branch())
            .clone();
        let (info, new_commit) = self.made(line, op, kind, branch, false, historic);
        if new_commit.found_at_start && !new_commit.own {
            // The first day's record is the developer's own work.
            return;
        }
        let info = CommitInfo {
            trigger: info.trigger && !historic,
            ..info
        };
        let index = self.batch.commits.len();
        self.batch.commits.push(new_commit);
        self.steps.push(Step::Commit {
            index,
            info,
            historic,
        });
    }

    /// What a line that made a commit stores and announces.
    fn made(
        &mut self,
        line: &ReflogLine,
        op: Operation,
        kind: CommitKind,
        branch: Option<String>,
        in_rebase: bool,
        historic: bool,
    ) -> (CommitInfo, NewCommit) {
        let details = self.lookup.details(&line.new);
        let authors = self
            .authors
            .get_or_insert_with(|| configured_authors(self.ctx.authors, self.lookup));
        let (info, mut new) = commit_info(
            self.ctx, line, kind, op, branch, details, authors, in_rebase,
        );
        new.found_at_start = self.first_watch && historic;
        (info, new)
    }

    /// A rebase's finish: the commits it made that are reachable from
    /// where it finished are stored with the branch it returned to and
    /// announced together (completed from the store when its start was
    /// not seen); its other movements are activity.
    fn rebase_finish(
        &mut self,
        open: Option<OpenRebase>,
        line: &ReflogLine,
        op: Operation,
        historic: bool,
    ) {
        let (onto, partial, lines) = match open {
            Some(o) => (o.onto, o.partial, o.lines),
            None => (None, true, Vec::new()),
        };
        let branch = rebase_finish_branch(&line.message);
        let mut commits = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (l, step_op, step_historic) in &lines {
            let Some(kind) = step_op.commit_kind() else {
                if !step_historic {
                    self.activity(l, *step_op);
                }
                continue;
            };
            // A commit the rebase went past (a reword's first version, an
            // attempt redone after `reset`) is not on the result.
            if !seen.insert(l.new.clone()) || !self.lookup.reachable(&l.new, &line.new) {
                continue;
            }
            let kind = match kind {
                CommitKind::Amend | CommitKind::Commit => CommitKind::Rebase,
                k => k,
            };
            let (info, new_commit) =
                self.made(l, *step_op, kind, branch.clone(), true, *step_historic);
            let index = self.batch.commits.len();
            self.batch.commits.push(new_commit);
            commits.push(Pending {
                info,
                index: Some(index),
            });
        }
        self.link_rebased(&lines, &commits, &line.new);
        if let Some((start, Operation::RebaseStart, _)) = lines.first() {
            // A `pull --rebase`'s start moves onto the upstream: what it
            // brings is gained as a pull's is.
            if starts_a_pull(&start.message) {
                self.gain_others(start, Operation::Pull, false);
            }
        }
        if partial {
            prepend_stored_rebase(self.lookup, &line.new, &mut commits);
        }
        if let Some(b) = &branch {
            for p in &mut commits {
                if p.index.is_none() {
                    p.info.branch = Some(b.clone());
                    self.batch
                        .branch_updates
                        .push((p.info.hash.clone(), b.clone()));
                }
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

    /// Links each commit a finished rebase kept to the commits it was made
    /// from, among those of the old tip (on its start line) that are not
    /// on where it finished: first by the patch id of the kept commit or of
    /// a version it went through (a reword's first version, the pick a
    /// squash amended); then a squash or fixup takes the commit it amended
    /// and the next one of the old history (what it absorbed); last, a
    /// commit still without one takes the one with its author and author
    /// date.
    fn link_rebased(
        &mut self,
        lines: &[(ReflogLine, Operation, bool)],
        kept: &[Pending],
        head: &str,
    ) {
        let Some((start, Operation::RebaseStart, _)) = lines.first() else {
            return;
        };
        let (hashes, _) = self.lookup.gained(head, &start.old, REBASE_WALK_LIMIT);
        // Oldest first: (hash, patch id, details, linked to).
        let mut olds: Vec<Original> = hashes
            .into_iter()
            .map(|h| {
                let patch = self.lookup.patch_id(&h);
                let details = self.lookup.details(&h).ok();
                (h, patch, details, None)
            })
            .collect();
        let made: std::collections::HashMap<&str, &ReflogLine> = lines
            .iter()
            .filter(|(_, op, _)| op.commit_kind().is_some())
            .map(|(l, _, _)| (l.new.as_str(), l))
            .collect();
        let kept_hashes: std::collections::HashSet<&str> =
            kept.iter().map(|p| p.info.hash.as_str()).collect();
        // The versions each kept commit went through, oldest first.
        let chains: Vec<Vec<&ReflogLine>> = kept
            .iter()
            .map(|p| {
                let mut chain = vec![made[p.info.hash.as_str()]];
                while let Some(prev) = made.get(chain.last().expect("not empty").old.as_str()) {
                    if kept_hashes.contains(prev.new.as_str()) || chain.len() > made.len() {
                        break;
                    }
                    chain.push(prev);
                }
                chain.reverse();
                chain
            })
            .collect();
        for (k, chain) in chains.iter().enumerate() {
            for version in chain {
                let Some(patch) = self.lookup.patch_id(&version.new) else {
                    continue;
                };
                if let Some(old) = olds
                    .iter_mut()
                    .find(|o| o.3.is_none() && o.1.as_deref() == Some(patch.as_str()))
                {
                    old.3 = Some(k);
                }
            }
        }
        for (k, chain) in chains.iter().enumerate() {
            for version in chain {
                let (_, step, _) = split_reflog_message(&version.message);
                if !matches!(step, Some("squash") | Some("fixup")) {
                    continue;
                }
                if let Some(old) = olds
                    .iter_mut()
                    .find(|o| o.3.is_none() && o.0 == version.old)
                {
                    old.3 = Some(k);
                }
                let after = olds.iter().rposition(|o| o.3 == Some(k));
                let from = after.map_or(0, |a| a + 1);
                if let Some(old) = olds[from..].iter_mut().find(|o| o.3.is_none()) {
                    old.3 = Some(k);
                }
            }
        }
        for (k, p) in kept.iter().enumerate() {
            if olds.iter().any(|o| o.3 == Some(k)) {
                continue;
            }
            if let Some(old) = olds.iter_mut().find(|o| {
                o.3.is_none()
                    && o.2.as_ref().is_some_and(|d| {
                        d.author_email == p.info.author_email && d.time == p.info.time
                    })
            }) {
                old.3 = Some(k);
            }
        }
        for (old, _, _, k) in olds {
            if let Some(k) = k {
                self.batch.links.push((old, kept[k].info.hash.clone()));
            }
        }
    }

    /// A rebase that ended without finishing (its abort line, when there
    /// is one): none of its commits is stored; its movements are activity.
    fn rebase_abort(&mut self, open: OpenRebase, abort: Option<(&ReflogLine, bool)>) {
        for (l, op, historic) in &open.lines {
            if !historic && op.commit_kind().is_none() {
                self.activity(l, *op);
            }
        }
        if let Some((line, historic)) = abort {
            if !historic {
                self.activity(line, Operation::RebaseAbort);
            }
        }
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
pub(crate) fn configured_authors(configured: &[String], lookup: &mut dyn Lookup) -> Vec<String> {
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
        found_at_start: false,
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

/// After the batch was written: the events for commits that were new.
pub(crate) fn events(processed: Processed, inserted: &[bool]) -> Vec<GitEvent> {
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
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    /// A repository whose commits are all reachable but `unreachable`,
    /// with a rebase in progress when `in_progress`.
    #[derive(Default)]
    struct Fake {
        in_progress: bool,
        unreachable: Vec<String>,
    }

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
        fn reachable(&mut self, hash: &str, _tip: &str) -> bool {
            !self.unreachable.iter().any(|u| u == hash)
        }
        fn rebase_in_progress(&mut self) -> bool {
            self.in_progress
        }
        fn parents(&mut self, _hash: &str) -> Vec<String> {
            Vec::new()
        }
        fn gained(&mut self, _old: &str, _new: &str, _limit: usize) -> (Vec<String>, usize) {
            (Vec::new(), 0)
        }
        fn patch_id(&mut self, _hash: &str) -> Option<String> {
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

    fn read(
        text: &str,
        mode: CommitTriggers,
        settled: bool,
        git: &mut Fake,
    ) -> (Processed, Vec<GitEvent>) {
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
            history: History::default(),
            settled,
            now: DateTime::from_timestamp(1_700_000_100, 0).unwrap(),
        };
        let p = process(read, git);
        let inserted = vec![true; p.batch.commits.len()];
        let ev = events(p.clone(), &inserted);
        (p, ev)
    }

    fn run(text: &str, mode: CommitTriggers) -> (Processed, Vec<GitEvent>) {
        read(text, mode, false, &mut Fake::default())
    }

    fn hashes(p: &Processed) -> Vec<String> {
        p.batch.commits.iter().map(|c| c.hash.clone()).collect()
    }

    fn activity(p: &Processed) -> Vec<&str> {
        p.batch.activity.iter().map(|a| a.kind.as_str()).collect()
    }

    #[test]
    fn commit_amend_and_checkout() {
        let text = format!(
            "{}{}{}",
            line(0, 1, "commit (initial): one"),
            line(1, 2, "commit (amend): one again"),
            line(2, 3, "checkout: moving from main to other"),
        );
        let (p, ev) = run(&text, CommitTriggers::Own);
        assert_eq!(p.batch.commits.len(), 2);
        assert_eq!(p.batch.commits[1].amends.as_deref(), Some(h(1).as_str()));
        assert_eq!(activity(&p), ["checkout"]);
        let (path, c) = p.batch.cursor.clone().unwrap();
        assert_eq!(path, "/r/.git/logs/HEAD");
        assert_eq!(c.offset, text.len() as u64);
        assert_eq!(c.last_hash, Some(h(3)));
        assert_eq!(ev.len(), 3);
        assert!(ev[0].triggers() && ev[1].triggers() && !ev[2].triggers());
    }

    #[test]
    fn a_rebase_in_progress_is_held_before_its_start() {
        let before = line(4, 5, "commit: base");
        let first = format!(
            "{before}{}{}",
            line(5, 9, "rebase (start): checkout main"),
            line(9, 10, "rebase (pick): a"),
        );
        let mut git = Fake {
            in_progress: true,
            ..Fake::default()
        };
        let (p, ev) = read(&first, CommitTriggers::Own, false, &mut git);
        assert_eq!(hashes(&p), [h(5)]);
        assert!(activity(&p).is_empty());
        assert_eq!(ev.len(), 1);
        let c = p.batch.cursor.unwrap().1;
        assert_eq!(
            c.offset,
            before.len() as u64,
            "the cursor stays before the start"
        );
        assert_eq!(c.last_hash, Some(h(5)));

        let whole = format!(
            "{}{}{}",
            line(5, 9, "rebase (start): checkout main"),
            line(9, 10, "rebase (pick): a"),
            line(10, 11, "rebase (pick): b"),
        );
        let finished = format!(
            "{whole}{}",
            line(11, 11, "rebase (finish): returning to refs/heads/feature/x"),
        );
        git.in_progress = false;
        let (p, ev) = read(&finished, CommitTriggers::Own, false, &mut git);
        assert_eq!(hashes(&p), [h(10), h(11)]);
        assert!(p
            .batch
            .commits
            .iter()
            .all(|c| c.branch.as_deref() == Some("feature/x") && c.kind == CommitKind::Rebase));
        assert_eq!(activity(&p), ["rebase-start"]);
        assert_eq!(p.batch.cursor.unwrap().1.offset, finished.len() as u64);
        let rebases: Vec<&RebaseInfo> = ev
            .iter()
            .filter_map(|e| match e {
                GitEvent::Rebase(r) => Some(r),
                _ => None,
            })
            .collect();
        assert_eq!(rebases.len(), 1);
        assert_eq!(rebases[0].commits.len(), 2);
        assert_eq!(rebases[0].onto, Some(h(9)));
        assert!(rebases[0].trigger);
        assert!(ev.iter().filter(|e| e.triggers()).count() == 1);
    }

    #[test]
    fn an_aborted_rebase_stores_no_commit() {
        let text = format!(
            "{}{}{}{}{}",
            line(5, 6, "rebase -i (start): checkout HEAD~4"),
            line(6, 7, "rebase -i (reword): c2x"),
            line(7, 8, "rebase -i (pick): c3"),
            line(8, 9, "rebase -i (edit): c4"),
            line(9, 5, "rebase -i (abort): returning to refs/heads/main"),
        );
        let (p, ev) = run(&text, CommitTriggers::Own);
        assert!(p.batch.commits.is_empty());
        assert_eq!(activity(&p), ["rebase-start", "rebase-abort"]);
        assert!(ev.iter().all(|e| !e.triggers()));
        assert_eq!(p.batch.cursor.unwrap().1.offset, text.len() as u64);
    }

    #[test]
    fn a_rewords_first_version_is_not_stored() {
        let text = format!(
            "{}{}{}{}{}",
            line(5, 6, "rebase (start): checkout HEAD~3"),
            line(6, 7, "rebase (reword): c3x"),
            line(7, 8, "rebase (reword): c3xy"),
            line(8, 9, "rebase (pick): c4"),
            line(9, 9, "rebase (finish): returning to refs/heads/main"),
        );
        let mut git = Fake {
            unreachable: vec![h(7)],
            ..Fake::default()
        };
        let (p, _) = read(&text, CommitTriggers::Own, false, &mut git);
        assert_eq!(hashes(&p), [h(8), h(9)]);
    }

    #[test]
    fn a_rebase_that_ended_without_a_line_is_read_again_then_dropped() {
        let text = format!(
            "{}{}",
            line(5, 6, "rebase (start): checkout HEAD~3"),
            line(6, 7, "rebase (pick): a"),
        );
        let mut git = Fake::default();
        let (p, _) = read(&text, CommitTriggers::Own, false, &mut git);
        assert!(p.unsettled);
        let (p, _) = read(&text, CommitTriggers::Own, true, &mut git);
        assert!(!p.unsettled);
        assert!(p.batch.commits.is_empty());
        assert_eq!(activity(&p), ["rebase-start"]);
        assert_eq!(p.batch.cursor.unwrap().1.offset, text.len() as u64);
    }

    #[test]
    fn partial_last_line_is_not_consumed() {
        let full = line(0, 1, "commit: a");
        let text = format!("{full}{}", &line(1, 2, "commit: b")[..30]);
        let (p, _) = run(&text, CommitTriggers::Own);
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
        let (_, ev) = run(&text, CommitTriggers::All);
        assert!(ev.iter().all(GitEvent::triggers));
        let (_, ev) = run(&text, CommitTriggers::None);
        assert!(ev.iter().all(|e| !e.triggers()));
    }

    #[test]
    fn malformed_lines_are_skipped() {
        let text = format!("garbage\n{}", line(0, 1, "commit: a"));
        let (p, ev) = run(&text, CommitTriggers::Own);
        assert_eq!(p.malformed, 1);
        assert_eq!(ev.len(), 1);
    }
}
