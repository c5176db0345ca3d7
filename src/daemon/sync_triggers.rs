//! The run loop's side of the outbox's sender (`sync_sender`): what
//! starts when the outbox changes or a wait ends (`sync_kick`), and what
//! a request's answer does to the store, the events and the journal
//! (`on_sync_report`). Kept apart from `sync_sender` so that the daemon's
//! state can hold the sender without an import circle.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use crate::daemon::state::Daemon;
use crate::daemon::sync_sender::{host_of, work, Job, SyncReport};
use crate::protocol::EventBody;
use crate::store::{OutboxRow, OutboxState};
use crate::sync::http::Outcome;
use crate::sync::request::{self, Comment};
use crate::sync::schedule::{self, Candidate};
use crate::tickets::Family;

impl Daemon {
    fn sync_event(
        &self,
        now: DateTime<Utc>,
        change: &str,
        row: (&str, Family, &str),
        url: Option<&str>,
        reason: Option<&str>,
    ) {
        let (id, family, ticket) = row;
        self.events.publish(
            now,
            EventBody::Sync {
                change: change.to_owned(),
                id: id.to_owned(),
                integration: family.as_str().to_owned(),
                ticket: ticket.to_owned(),
                url: url.map(str::to_owned),
                reason: reason.map(str::to_owned),
            },
        );
    }

    /// Row `id` cannot be built (`why`: a missing setting): held.
    fn sync_hold(&mut self, id: &str, why: &str, now: DateTime<Utc>) {
        let reason = format!("waiting for configuration: {why}");
        if let Err(e) = self
            .store
            .outbox_back(id, OutboxState::Held, &reason, None, now)
        {
            tracing::warn!("sync: storing item {id}: {e}");
        }
    }

    /// The outbox's rows that may go now start; the timer is set for the
    /// next that waits.
    pub(super) fn sync_kick(&mut self, now: DateTime<Utc>) {
        let rows = match self.store.outbox_active() {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!("sync: reading the outbox: {e}");
                return;
            }
        };
        let mut waiting: BTreeMap<String, &OutboxRow> = BTreeMap::new();
        let mut candidates = Vec::new();
        let enabled = crate::tickets::Families::enabled(&self.config.integrations);
        let mine: Vec<&OutboxRow> = rows
            .iter()
            .filter(|r| !self.sync.in_flight.contains_key(&r.id))
            .filter(|r| enabled.contains(r.family))
            .collect();
        for row in mine {
            // Where it goes, without its commits: only the rows that start
            // read them (10,000 queued rows are cheap to plan over).
            let comment = Comment {
                id: &row.id,
                text: "",
                commits: &[],
            };
            match request::build(
                row.family,
                &row.ticket,
                row.endpoint.as_deref(),
                &self.config.integrations,
                &comment,
            ) {
                Ok(req) => {
                    candidates.push(Candidate {
                        id: row.id.clone(),
                        family: row.family,
                        ticket: row.ticket.clone(),
                        host: host_of(&req.url),
                        not_before: if row.state == OutboxState::Sending {
                            None
                        } else {
                            row.next_try_at
                        },
                    });
                    waiting.insert(row.id.clone(), row);
                }
                Err(why) => self.sync_hold(&row.id, &why, now),
            }
        }
        let busy: BTreeSet<(Family, String)> = self.sync.in_flight.values().cloned().collect();
        let plan = schedule::next(&candidates, &busy, &self.sync.hosts, &self.sync.limits, now);
        for id in plan.start {
            let Some(row) = waiting.remove(&id) else {
                continue;
            };
            let request = match self.store.outbox_request(row, &self.config) {
                Ok(Ok(request)) => request,
                Ok(Err(why)) => {
                    self.sync_hold(&row.id, &why, now);
                    continue;
                }
                Err(e) => {
                    tracing::warn!("sync: reading item {}'s commits: {e}", row.id);
                    continue;
                }
            };
            if let Err(e) = self.store.outbox_sending(&row.id, now) {
                tracing::warn!("sync: storing item {}: {e}", row.id);
                continue;
            }
            let job = Job {
                id: row.id.clone(),
                family: row.family,
                ticket: row.ticket.clone(),
                host: host_of(&request.url),
                attempts: row.attempts,
                request,
                endpoint: row.endpoint.clone(),
                integrations: self.config.integrations.clone(),
                config: self.config.source.clone(),
            };
            self.sync.hosts.started(&job.host, now, &self.sync.limits);
            self.sync
                .in_flight
                .insert(job.id.clone(), (job.family, job.ticket.clone()));
            let agent = self.sync.agent.clone();
            let reports = self.sync.reports.clone();
            let spawned = std::thread::Builder::new()
                .name("devtrack-sync".into())
                .spawn(move || {
                    let outcome = work(&job, &agent);
                    let _ = reports.send(SyncReport {
                        id: job.id,
                        family: job.family,
                        ticket: job.ticket,
                        host: job.host,
                        attempts: job.attempts + 1,
                        outcome,
                    });
                });
            if let Err(e) = spawned {
                tracing::warn!("sync: starting a sender thread: {e}");
                self.sync.in_flight.remove(&id);
            }
        }
        self.sync.due = plan.wake.map(|at| {
            let wait = (at - now).to_std().unwrap_or_default();
            tokio::time::Instant::now() + wait
        });
    }

    /// A request's answer: stored, announced, logged (a failure once).
    pub(super) fn on_sync_report(&mut self, report: SyncReport, now: DateTime<Utc>) {
        self.sync.in_flight.remove(&report.id);
        let row = (report.id.as_str(), report.family, report.ticket.as_str());
        let stored = match &report.outcome {
            Outcome::Sent { remote_id, url } => {
                tracing::info!(
                    "sync: posted item {} to {} {}{}",
                    report.id,
                    report.family.as_str(),
                    report.ticket,
                    url.as_deref()
                        .map(|u| format!(" ({u})"))
                        .unwrap_or_default()
                );
                self.sync.said.remove(&report.id);
                let stored =
                    self.store
                        .outbox_sent(&report.id, remote_id.as_deref(), url.as_deref(), now);
                self.sync_event(now, "sent", row, url.as_deref(), None);
                stored
            }
            Outcome::Failed { reason } => {
                if self.sync.said.insert(report.id.clone()) {
                    tracing::warn!(
                        "sync: item {} to {} {} failed: {reason}; `devtrack sync retry {}` after fixing it",
                        report.id,
                        report.family.as_str(),
                        report.ticket,
                        report.id
                    );
                }
                let stored =
                    self.store
                        .outbox_back(&report.id, OutboxState::Failed, reason, None, now);
                self.sync_event(now, "failed", row, None, Some(reason));
                stored
            }
            Outcome::Retry {
                reason,
                after,
                rate_limited,
            } => {
                let wait = self
                    .sync
                    .scaled(schedule::retry_wait(*after, report.attempts));
                let at = now + wait;
                if *rate_limited {
                    self.sync.hosts.pause(&report.host, at);
                }
                if self.sync.said.insert(report.id.clone()) {
                    tracing::warn!(
                        "sync: item {} to {} {}: {reason}; trying again",
                        report.id,
                        report.family.as_str(),
                        report.ticket
                    );
                }
                let stored =
                    self.store
                        .outbox_back(&report.id, OutboxState::Queued, reason, Some(at), now);
                self.sync_event(now, "retrying", row, None, Some(reason));
                stored
            }
        };
        if let Err(e) = stored {
            tracing::warn!("sync: storing item {}: {e}", report.id);
        }
        self.dirty.status = true;
        self.sync_kick(now);
    }

    /// At start, once: how many updates wait for each integration's first
    /// `devtrack sync push` (nothing of it is sent before).
    pub(super) fn sync_say_held(&self) {
        let Ok(rows) = self.store.outbox(None) else {
            return;
        };
        for family in [Family::Github, Family::Jira, Family::AzureDevops] {
            let gate = crate::sync::plan::Hold::FirstPush.reason(family);
            let n = rows
                .iter()
                .filter(|r| r.family == family && r.state == OutboxState::Held)
                .filter(|r| r.reason.as_deref() == Some(gate.as_str()))
                .count();
            if n > 0 {
                tracing::info!(
                    "sync: {} ready for {}: `devtrack sync preview`, then `devtrack sync push`",
                    crate::display::plural(n as u64, "update", "updates"),
                    family.as_str()
                );
            }
        }
    }

    /// After a reload (and at start): the rows that waited for a setting
    /// the config now has go on (queued, or held for the first push or
    /// `auto_sync: false`), then the sender looks.
    pub(super) fn sync_config_changed(&mut self, now: DateTime<Utc>) {
        let pushed = self.store.sync_pushed().unwrap_or_default();
        let families = crate::tickets::Families::enabled(&self.config.integrations);
        for family in [Family::Github, Family::Jira, Family::AzureDevops] {
            if !families.contains(family)
                || crate::sync::plan::missing(family, &self.config.integrations).is_some()
            {
                continue;
            }
            let hold = if !pushed.contains(&family) {
                Some(crate::sync::plan::Hold::FirstPush)
            } else if !self.config.settings.auto_sync {
                Some(crate::sync::plan::Hold::AutoSyncOff)
            } else {
                None
            };
            let (state, reason) = match &hold {
                Some(h) => (OutboxState::Held, Some(h.reason(family))),
                None => (OutboxState::Queued, None),
            };
            match self
                .store
                .outbox_configured(family, state, reason.as_deref(), now)
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(
                    "sync: {} has its settings now; {} released",
                    family.as_str(),
                    crate::display::plural(n as u64, "update", "updates")
                ),
                Err(e) => tracing::warn!("sync: updating the outbox: {e}"),
            }
        }
        self.sync_kick(now);
    }

    /// Update `update` was stored: a `sync` event per outbox item
    /// (`queued` or `held`, with the reason), then the sender looks.
    pub(super) fn sync_stored(&mut self, update: i64, now: DateTime<Utc>) {
        match self.store.outbox_of_update(update) {
            Ok(rows) => {
                for r in rows {
                    self.sync_event(
                        now,
                        r.state.as_str(),
                        (&r.id, r.family, &r.ticket),
                        None,
                        r.reason.as_deref(),
                    );
                }
            }
            Err(e) => tracing::warn!("sync: reading the outbox: {e}"),
        }
        self.sync_kick(now);
    }
}
