//! Reading one reflog: where reading starts, how lines that were already
//! there are treated, what is written to the store, and what the read
//! means for the repository's last commit.
//!
//! The decisions are plain functions with table tests ([`history_for`],
//! [`batch_to_write`], [`is_newer`]); [`read_log`] is the layer that reads
//! the file, asks libgit2 and the store, and applies them.

use chrono::{DateTime, Utc};

use super::details::{CommitDetails, Readers, RepoReader};
use super::layout::LogSource;
use super::outcome::{GitEvent, LastCommit};
use super::process::{self, History, LogContext, LogRead, Lookup};
use super::repo::{Baseline, RepoWatch};
use super::tail;
use super::Policy;
use crate::daemon::wallclock::local_midnight;
use crate::protocol::{CommitInfo, CommitKind};
use crate::store::cursor::Cursor;
use crate::store::{ReflogBatch, Store};

/// How long before a cursor's time a line may have been stamped yet still
/// written after the cursor was taken (a slow hook between the two); such
/// lines are still announced after a resync.
const RESYNC_MARGIN_SECS: i64 = 5;

pub(super) enum ReadError {
    Io(std::io::Error),
    Store(anyhow::Error),
}

/// Where a read starts without a stored cursor, and what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Start {
    /// A stored cursor, or a baseline: what was there is history.
    Known,
    /// The repository was never watched before: its reflog is read from
    /// the start, and the commits of its first day that it held up to
    /// this byte offset are recorded as found at start.
    FirstWatch { end: u64 },
}

/// How the lines already in a reflog are treated. Nothing made before the
/// local day of the repository's first watch (`floor`) is ever added.
///
/// When reading started over from its beginning (`resync`) with a stored
/// cursor, the file was rewritten (expire, `reflog delete`, gc, a clone at
/// the same path): lines older than the cursor were most likely read
/// before, so they are stored if missing but not announced. Without one,
/// the repository came back after being missing: lines from before that
/// predate watching and are skipped. At the first watch (`start`), lines
/// of its day before now are stored as found at start, unannounced.
pub(super) fn history_for(
    resync: bool,
    stored: bool,
    skip_before: Option<DateTime<Utc>>,
    cursor_time: DateTime<Utc>,
    floor: DateTime<Utc>,
    start: (Start, DateTime<Utc>),
) -> History {
    let mut h = History {
        skip_before: Some(floor.timestamp()),
        ..History::default()
    };
    match (resync, stored, skip_before) {
        (true, true, _) => h.quiet_before = Some(cursor_time.timestamp() - RESYNC_MARGIN_SECS),
        (true, false, Some(t)) => h.skip_before = Some(t.timestamp().max(floor.timestamp())),
        _ => {}
    }
    if let (Start::FirstWatch { end }, _) = start {
        h.found_until = Some(end);
    }
    h
}

/// What to write after a read: the batch, plus the cursor reading started
/// from (`start`) when the store has none for this reflog yet and the read
/// did not move it, so a restart continues from the same place. `None`
/// when there is nothing to write.
pub(crate) fn batch_to_write(
    mut batch: ReflogBatch,
    start: (String, Cursor),
    stored: bool,
) -> Option<ReflogBatch> {
    if batch.cursor.is_none() && !stored {
        batch.cursor = Some(start);
    }
    let needed = batch.cursor.is_some()
        || batch.first_watch.is_some()
        || !batch.commits.is_empty()
        || !batch.activity.is_empty();
    needed.then_some(batch)
}

/// libgit2 and the store, as [`process::process`] needs them.
pub(super) struct GitLookup<'a> {
    pub reader: RepoReader,
    pub store: &'a Store,
    pub repo: &'a str,
    pub project: Option<&'a str>,
    pub worktree: Option<&'a str>,
}

impl Lookup for GitLookup<'_> {
    fn details(&mut self, hash: &str) -> Result<CommitDetails, String> {
        self.reader.details(hash)
    }

    fn head_branch(&mut self) -> Option<String> {
        self.reader.head_branch()
    }

    fn user_email(&mut self) -> Option<String> {
        self.reader.user_email()
    }

    fn first_parent(&mut self, hash: &str) -> Option<String> {
        self.reader.first_parent(hash)
    }

    fn stored_rebase_commit(&mut self, hash: &str) -> Option<CommitInfo> {
        let r = self.store.commit(self.repo, hash).ok()??;
        if r.kind != CommitKind::Rebase.as_str() {
            return None;
        }
        let time = r.committed_at.unwrap_or(r.recorded_at).fixed_offset();
        Some(CommitInfo {
            repo: self.repo.to_string(),
            project: self.project.map(str::to_string),
            worktree: self.worktree.map(str::to_string),
            short_hash: r.hash.chars().take(7).collect(),
            hash: r.hash,
            branch: r.branch,
            summary: r.summary.unwrap_or_default(),
            kind: CommitKind::Rebase,
            amends: r.amends,
            files_changed: r.files_changed,
            insertions: r.insertions,
            deletions: r.deletions,
            author_name: r.author_name.unwrap_or_default(),
            author_email: r.author_email.unwrap_or_default(),
            time,
            own: true,
            trigger: false,
        })
    }

    fn reachable(&mut self, hash: &str, tip: &str) -> bool {
        self.reader.reachable(hash, tip)
    }

    fn rebase_in_progress(&mut self) -> bool {
        self.reader.rebase_in_progress()
    }

    fn parents(&mut self, hash: &str) -> Vec<String> {
        self.reader.parents(hash)
    }

    fn patch_id(&mut self, hash: &str) -> Option<String> {
        self.reader.patch_id(hash)
    }

    fn gained(&mut self, old: &str, new: &str, limit: usize) -> (Vec<String>, usize) {
        self.reader.gained(old, new, limit)
    }
}

/// Reads one reflog from its cursor and records what is new.
pub(super) fn read_log(
    w: &mut RepoWatch,
    policy: &Policy,
    readers: &mut Readers,
    source: &LogSource,
    store: &mut Store,
    now: DateTime<Utc>,
) -> std::result::Result<Vec<GitEvent>, ReadError> {
    let path = &source.log_path;
    let path_key = path.to_string_lossy().into_owned();
    let stored = store.reflog_cursor(path).map_err(ReadError::Store)?;
    let from_store = stored.is_some();
    let first_watch = store
        .first_watch(&w.config.name)
        .map_err(ReadError::Store)?;
    let (cursor, skip_before, start) = match stored {
        Some(c) => (c, None, (Start::Known, now)),
        None => match w.baselines.get(path) {
            Some(Baseline {
                at_end: Some(at),
                cursor,
                ..
            }) if first_watch.is_none_or(|f| f.timestamp_millis() == at.timestamp_millis()) => {
                // Never watched before this run's baseline (the other
                // reflogs of its first watch too: linked worktrees).
                let end = cursor.offset;
                (Cursor::absent(), None, (Start::FirstWatch { end }, *at))
            }
            Some(b) => (b.cursor.clone(), b.skip_before, (Start::Known, now)),
            None => (
                tail::at_end(path, now).map_err(ReadError::Io)?,
                None,
                (Start::Known, now),
            ),
        },
    };
    // Its first watch is now, unless the baseline was taken earlier.
    let first_watch_at = first_watch.unwrap_or(start.1);
    let floor = local_midnight(first_watch_at, policy.timezone);
    let first_watch = first_watch.is_none().then_some(first_watch_at);
    let mut settled = false;
    let mut processed = loop {
        let Some(chunk) = tail::read_new(path, &cursor).map_err(ReadError::Io)? else {
            // No reflog yet (no commit yet): remember that, so a restart
            // reads the first commits from the start.
            let empty = ReflogBatch {
                repo: w.config.name.clone(),
                first_watch,
                ..ReflogBatch::default()
            };
            if let Some(batch) = batch_to_write(empty, (path_key, cursor), from_store) {
                store
                    .record_reflog_batch(&batch, now)
                    .map_err(ReadError::Store)?;
            }
            return Ok(Vec::new());
        };
        if chunk.resync && from_store && !settled {
            tracing::info!(log = %path.display(), "reflog `{}` was rewritten; reading it again from the start", path.display());
        }
        let history = history_for(
            chunk.resync,
            from_store,
            skip_before,
            cursor.updated_at,
            floor,
            start,
        );
        let mode = w.config.commit_triggers.unwrap_or(policy.mode);
        let ctx = LogContext {
            repo: &w.config.name,
            project: w.config.project.as_deref(),
            worktree: source.worktree.as_deref(),
            mode,
            authors: &policy.authors,
        };
        let mut lookup = GitLookup {
            reader: readers.take(&source.gitdir),
            store,
            repo: &w.config.name,
            project: w.config.project.as_deref(),
            worktree: source.worktree.as_deref(),
        };
        let read = LogRead {
            ctx,
            log_path: &path_key,
            chunk: &chunk,
            cursor: &cursor,
            history,
            settled,
            now,
        };
        let processed = process::process(read, &mut lookup);
        readers.put(lookup.reader, std::time::Instant::now());
        if !processed.unsettled {
            break processed;
        }
        // A rebase ended without its line read: its finish may have been
        // written just after this read.
        settled = true;
    };
    let mut batch = std::mem::take(&mut processed.batch);
    batch.first_watch = first_watch;
    let inserted = match batch_to_write(batch, (path_key, cursor), from_store) {
        Some(batch) => store
            .record_reflog_batch(&batch, now)
            .map_err(ReadError::Store)?,
        None => Vec::new(),
    };
    let events = process::events(processed, &inserted);
    note_last_commit(w, &events);
    Ok(events)
}

/// Keeps the newest commit of `events` as the repository's last commit.
pub(super) fn note_last_commit(w: &mut RepoWatch, events: &[GitEvent]) {
    for e in events {
        let latest = match e {
            GitEvent::Commit(c) => Some(c),
            GitEvent::Rebase(r) => r.commits.last(),
            GitEvent::Activity(_) => None,
        };
        if let Some(c) = latest {
            let candidate = LastCommit {
                hash: c.hash.clone(),
                summary: Some(c.summary.clone()),
                time: Some(c.time.with_timezone(&Utc)),
            };
            if is_newer(&candidate, w.last_commit.as_ref()) {
                w.last_commit = Some(candidate);
            }
        }
    }
}

/// Whether `candidate` replaces `current` as a repository's last commit:
/// the newest by commit time (what `history --commits` lists first), the
/// later-read one on a tie (an amend keeps its commit's author time).
/// Reflogs are read one after another, so the last one read is not
/// necessarily the newest.
fn is_newer(candidate: &LastCommit, current: Option<&LastCommit>) -> bool {
    current.is_none_or(|c| candidate.time >= c.time)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NewActivity, NewCommit};

    fn at(secs: Option<i64>) -> LastCommit {
        LastCommit {
            hash: "h".into(),
            summary: None,
            time: secs.map(|s| DateTime::from_timestamp(s, 0).unwrap()),
        }
    }

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).unwrap()
    }

    #[test]
    fn how_lines_already_there_are_treated() {
        let h = |skip: i64, quiet: Option<i64>, found: Option<u64>| History {
            skip_before: Some(skip),
            quiet_before: quiet,
            found_until: found,
        };
        let known = (Start::Known, t(200));
        let first = (Start::FirstWatch { end: 300 }, t(200));
        let table = [
            // (resync, cursor stored, skip before, start) -> history; the
            // floor (the first watch's day) is 10, the cursor's time 100.
            (false, true, None, known, h(10, None, None)),
            (false, false, Some(t(50)), known, h(10, None, None)),
            (true, true, None, known, h(10, Some(95), None)),
            (true, true, Some(t(50)), known, h(10, Some(95), None)),
            (true, false, Some(t(50)), known, h(50, None, None)),
            (true, false, Some(t(5)), known, h(10, None, None)),
            (true, false, None, known, h(10, None, None)),
            (false, false, None, first, h(10, None, Some(300))),
        ];
        for (resync, stored, skip_before, start, want) in table {
            assert_eq!(
                history_for(resync, stored, skip_before, t(100), t(10), start),
                want,
                "{resync} {stored} {skip_before:?} {start:?}"
            );
        }
    }

    #[test]
    fn what_a_read_writes() {
        let start = || ("/r/.git/logs/HEAD".to_string(), Cursor::absent());
        let moved = Cursor {
            offset: 10,
            ..Cursor::absent()
        };
        let batch = |cursor: Option<Cursor>, commits: usize, activity: usize| ReflogBatch {
            repo: "r".into(),
            commits: (0..commits)
                .map(|i| NewCommit::bare(&i.to_string(), true))
                .collect(),
            activity: (0..activity)
                .map(|_| NewActivity {
                    kind: "checkout".into(),
                    old_hash: None,
                    new_hash: None,
                    message: None,
                    at: t(0),
                })
                .collect(),
            branch_updates: Vec::new(),
            cursor: cursor.map(|c| (start().0, c)),
            first_watch: None,
            links: Vec::new(),
        };
        // (batch, cursor stored) -> written?, with which cursor
        let table = [
            (batch(None, 0, 0), true, None),
            (batch(None, 0, 0), false, Some(Some(Cursor::absent()))),
            (
                batch(Some(moved.clone()), 0, 0),
                true,
                Some(Some(moved.clone())),
            ),
            (
                batch(Some(moved.clone()), 0, 0),
                false,
                Some(Some(moved.clone())),
            ),
            (batch(None, 1, 0), true, Some(None)),
            (batch(None, 0, 1), true, Some(None)),
            (batch(None, 1, 0), false, Some(Some(Cursor::absent()))),
        ];
        for (b, stored, want) in table {
            let what = format!("{b:?} stored={stored}");
            let got = batch_to_write(b, start(), stored).map(|b| b.cursor.map(|(_, c)| c));
            assert_eq!(got, want, "{what}");
        }
    }

    #[test]
    fn the_last_commit_is_the_newest_not_the_last_read() {
        let table = [
            (Some(10), None, true),
            (Some(10), Some(Some(5)), true),
            (Some(10), Some(Some(10)), true),
            (Some(5), Some(Some(10)), false),
            (None, Some(Some(10)), false),
            (Some(10), Some(None), true),
            (None, Some(None), true),
        ];
        for (candidate, current, want) in table {
            let current = current.map(at);
            assert_eq!(
                is_newer(&at(candidate), current.as_ref()),
                want,
                "{candidate:?} over {current:?}"
            );
        }
    }
}
