//! The run loop's side of git watching: turning what the watcher stored into
//! events on the stream and, for the developer's own work, into commit
//! triggers. A burst of commits (a rebase, a script) is gathered by the
//! debouncer into one trigger; every commit is still stored on its own.

use anyhow::Result;
use chrono::{DateTime, Utc};

use super::burst::CommitBatch;
use super::gitwatch::debounce::Batch;
use super::gitwatch::{GitEvent, Update, WatchMsg};
use super::store_health::Change;
use crate::daemon::state::Daemon;
use crate::exit::Explain;
use crate::protocol::EventBody;
use crate::store::{NewTrigger, TriggerKind};

impl Daemon {
    /// A change reported by the watcher: read it, store it, announce it.
    pub(super) fn on_git_change(&mut self, msg: WatchMsg, now: DateTime<Utc>) {
        let update = self.commits.git.handle(msg, &mut self.store, now);
        self.take_update(update, now);
    }

    /// Stores' and announces what a read found; a store that failed is
    /// retried later (the reflog cursors did not move).
    pub(super) fn take_update(&mut self, update: Update, now: DateTime<Utc>) -> bool {
        let ok = match update.events {
            Ok(events) => {
                if !events.is_empty() {
                    // Something was written: the store takes writes.
                    self.store_succeeded();
                }
                self.take_git_events(events, now);
                true
            }
            Err(e) => {
                self.store_failed(&e);
                false
            }
        };
        self.announce_repo_changes(&update.changed, now);
        ok
    }

    /// The store's retry deadline: read every repository again from its
    /// stored cursor, record the commit triggers the store refused, run the
    /// scheduler, and save its state (a write that proves the store
    /// works); any failure schedules the next retry. A
    /// store whose file was deleted is first replaced by a new one, into
    /// which the reads store what the reflogs hold since the daemon
    /// started (their cursors went with the old file).
    pub(super) fn retry_store(&mut self, now: DateTime<Utc>) {
        if self.store.deleted() {
            if let Err(e) = self.store.reopen(&self.paths.database) {
                self.store_failed(&e);
                return;
            }
            tracing::warn!(
                "store `{}` was deleted; created a new one there",
                self.paths.database.display()
            );
        }
        let update = self.commits.git.reread_all(&mut self.store, now);
        if !self.take_update(update, now) {
            return;
        }
        while !self.commits.unrecorded.is_empty() {
            let batch = self.commits.unrecorded.remove(0);
            if let Err(e) = self.record_commit_trigger(TriggerKind::Commit, &batch, now) {
                self.commits.unrecorded.insert(0, batch);
                self.store_failed(&e);
                return;
            }
        }
        let written = self
            .run_scheduler(now)
            .and_then(|()| self.store.save_scheduler_state(&self.scheduling.state));
        match written {
            Ok(()) => self.store_succeeded(),
            Err(e) => {
                self.scheduling.next_due = None;
                self.store_failed(&e);
            }
        }
    }

    /// A write failed: reported (once per new error) and retried later.
    pub(super) fn store_failed(&mut self, err: &anyhow::Error) {
        let message = self.store.explain(err);
        match self
            .health
            .store
            .failed(message.clone(), std::time::Instant::now())
        {
            Change::Failing => {
                tracing::error!("{}", message.explained());
                self.dirty.status = true;
            }
            _ => tracing::debug!("the store still fails: {err:#}"),
        }
    }

    fn store_succeeded(&mut self) {
        if self.health.store.succeeded() == Change::Recovered {
            tracing::info!(
                "store `{}` takes writes again; what waited in the reflogs is stored",
                self.paths.database.display()
            );
            self.dirty.status = true;
        }
    }

    /// A repository that went missing, came back or became unsupported is
    /// announced and shows in the status line.
    fn announce_repo_changes(&mut self, changed: &[String], now: DateTime<Utc>) {
        if changed.is_empty() {
            return;
        }
        for status in self.commits.git.repo_statuses() {
            if changed.contains(&status.name) {
                tracing::info!(
                    repo = %status.name,
                    state = %status.state,
                    "repository `{}` is now {}{}",
                    status.name,
                    status.state,
                    status.state.reason().map(|r| format!(" ({r})")).unwrap_or_default()
                );
                self.events.publish(now, EventBody::Repo { repo: status });
            }
        }
        self.dirty.status = true;
    }

    /// Reads what was committed while the daemon was not watching (at start
    /// and for repositories added by a reload); raises one catch-up trigger.
    pub(super) fn catch_up(&mut self, now: DateTime<Utc>) -> Result<()> {
        let events = self.commits.git.catch_up(&mut self.store, now)?;
        self.take_catch_up(events, now)
    }

    /// [`Daemon::catch_up`] for the repositories a reload added or made
    /// watchable again.
    pub(super) fn catch_up_repos(&mut self, names: &[String], now: DateTime<Utc>) -> Result<()> {
        let events = self
            .commits
            .git
            .catch_up_repos(names, &mut self.store, now)?;
        self.take_catch_up(events, now)
    }

    fn take_catch_up(&mut self, events: Vec<GitEvent>, now: DateTime<Utc>) -> Result<()> {
        self.publish_git(&events, now);
        let own: CommitBatch = events.into_iter().filter(GitEvent::triggers).collect();
        if !own.is_empty() {
            self.record_commit_trigger(TriggerKind::Catchup, &own, now)?;
        }
        Ok(())
    }

    fn take_git_events(&mut self, events: Vec<GitEvent>, now: DateTime<Utc>) {
        self.publish_git(&events, now);
        let own = events.into_iter().filter(GitEvent::triggers);
        self.commits.batch.push(own, tokio::time::Instant::now());
    }

    fn publish_git(&mut self, events: &[GitEvent], now: DateTime<Utc>) {
        for event in events {
            match event {
                GitEvent::Commit(c) => {
                    // The summary (the commit's subject) stays out of the log.
                    tracing::info!(
                        repo = %c.repo,
                        commit_hash = %c.hash,
                        commit_kind = ?c.kind,
                        branch = c.branch.as_deref().unwrap_or("(detached)"),
                        "commit {} recorded in `{}` ({:?} on {})",
                        c.short_hash,
                        c.repo,
                        c.kind,
                        c.branch.as_deref().unwrap_or("a detached HEAD")
                    );
                    self.events
                        .publish(now, EventBody::Commit { commit: c.clone() });
                }
                GitEvent::Rebase(r) => {
                    tracing::info!(
                        repo = %r.repo,
                        commit_hash = %r.head,
                        commits = r.commits.len(),
                        "rebase of {} recorded in `{}` (now at {} on {})",
                        crate::display::plural(r.commits.len() as u64, "commit", "commits"),
                        r.repo,
                        short(&r.head),
                        r.branch.as_deref().unwrap_or("a detached HEAD")
                    );
                    self.events
                        .publish(now, EventBody::Rebase { rebase: r.clone() });
                }
                GitEvent::Activity(a) => {
                    tracing::debug!(repo = %a.repo, activity = ?a.kind, "{:?} in `{}` (now at {})", a.kind, a.repo, short(&a.new));
                    self.events.publish(
                        now,
                        EventBody::RepoActivity {
                            activity: a.clone(),
                        },
                    );
                }
            }
        }
    }

    /// The debounce window closed: one commit trigger for the whole batch.
    pub(super) fn flush_commit_batch(&mut self, now: DateTime<Utc>) {
        let Some(batch) = self.commits.batch.due(tokio::time::Instant::now()) else {
            return;
        };
        if let Err(e) = self.record_commit_trigger(TriggerKind::Commit, &batch, now) {
            // The commits are stored; their prompt waits for the retry.
            self.commits.unrecorded.push(batch);
            self.store_failed(&e);
        }
    }

    fn record_commit_trigger(
        &mut self,
        kind: TriggerKind,
        batch: &CommitBatch,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let repos = batch.repos().collect::<Vec<_>>().join(", ");
        let changes = crate::display::plural(batch.len() as u64, "change", "changes");
        let reason = match kind {
            TriggerKind::Catchup => {
                format!("{changes} made while devtrack was not running, in {repos}")
            }
            _ => format!("{changes} in {repos}"),
        };
        let trigger = NewTrigger {
            kind,
            scheduled_at: None,
            fired_at: now,
            late: false,
            reason: Some(reason),
            detail: Some(batch.detail()),
        };
        let prompted = self.store.record_trigger_prompted(
            &trigger,
            batch.keys(),
            now,
            self.expire_before(now),
        )?;
        self.announce(trigger.recorded(prompted.trigger_id), prompted.opened, now);
        Ok(())
    }
}

/// The abbreviated hash log messages name.
fn short(hash: &str) -> &str {
    hash.get(..7).unwrap_or(hash)
}
