//! The outbox's sender in the daemon (docs/sync.md): its state on the
//! loop and the work of one request thread; `sync_triggers` holds the
//! loop's side. `Daemon::sync_kick`
//! asks the pure planner (`crate::sync::schedule`) what may go now, marks
//! each such row `sending` in the store, and hands its request to a
//! thread of its own (the token lookup and the blocking HTTP exchange
//! never run on the loop); the thread reports the [`Outcome`] back as a
//! [`SyncReport`] message, which `Daemon::on_sync_report` records and
//! announces. A row tried before (or left `sending` by a previous run)
//! first has the ticket's recent comments read for its marker, so a
//! comment is never posted twice. The loop's timer is armed only while
//! something waits ([`SyncSender::due`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;

use crate::config::Integrations;
use crate::sync::http::{self, Outcome};
use crate::sync::request::Request;
use crate::sync::schedule::{Hosts, Limits};
use crate::sync::token;
use crate::tickets::Family;

/// For the test suite only: every wait of the sender (backoff,
/// `Retry-After`, rate-limit pauses, the budget's windows) is this many
/// times shorter when the variable is set to it (docs/sync.md).
const FAST_ENV: &str = "DEVTRACK_TEST_SYNC_FAST";

/// What a request thread reports.
#[derive(Debug)]
pub(super) struct SyncReport {
    pub(super) id: String,
    pub(super) family: Family,
    pub(super) ticket: String,
    pub(super) host: String,
    pub(super) attempts: u32,
    pub(super) outcome: Outcome,
}

/// The sender's state on the loop.
pub(super) struct SyncSender {
    pub(super) reports: UnboundedSender<SyncReport>,
    pub(super) agent: ureq::Agent,
    /// The rows with a request under way, by id: their ticket.
    pub(super) in_flight: BTreeMap<String, (Family, String)>,
    pub(super) hosts: Hosts,
    pub(super) limits: Limits,
    /// Waits are divided by this (1 outside the tests).
    pub(super) scale: u32,
    /// When the planner must look again; `None`: nothing waits.
    pub due: Option<tokio::time::Instant>,
    /// The ids whose failure was logged (each once).
    pub(super) said: BTreeSet<String>,
}

impl SyncSender {
    pub(super) fn new(reports: UnboundedSender<SyncReport>) -> SyncSender {
        let scale = std::env::var(FAST_ENV)
            .ok()
            .and_then(|v| v.parse::<u32>().ok())
            .filter(|n| *n > 0)
            .unwrap_or(1);
        let limits = Limits {
            minute: Limits::HOST.minute / scale,
            hour: Limits::HOST.hour / scale,
            ..Limits::HOST
        };
        SyncSender {
            reports,
            agent: http::agent(),
            in_flight: BTreeMap::new(),
            hosts: Hosts::default(),
            limits,
            scale,
            due: None,
            said: BTreeSet::new(),
        }
    }

    pub(super) fn scaled(&self, d: Duration) -> chrono::TimeDelta {
        chrono::TimeDelta::from_std(d / self.scale).unwrap_or(chrono::TimeDelta::MAX)
    }
}

/// The host of a URL (`https://HOST[:port]/…`).
pub(super) fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest).to_owned()
}

/// One request's work, on its own thread: the token, then (for a row
/// tried before) the look for its marker, then the post.
pub(super) struct Job {
    pub(super) id: String,
    pub(super) family: Family,
    pub(super) ticket: String,
    pub(super) host: String,
    pub(super) attempts: u32,
    pub(super) request: Request,
    pub(super) endpoint: Option<String>,
    pub(super) integrations: Integrations,
    pub(super) config: Option<PathBuf>,
}

pub(super) fn work(job: &Job, agent: &ureq::Agent) -> Outcome {
    let lookup = token::Lookup {
        env: &token::process_env,
        config: job.config.as_deref(),
    };
    let token = match token::find(
        job.family,
        &job.integrations,
        job.endpoint.as_deref(),
        &lookup,
    ) {
        Ok((token, _)) => token,
        Err(reason) => return Outcome::Failed { reason },
    };
    let auth = http::authorization(job.family, &job.integrations, &token);
    if job.attempts > 0 {
        match http::find_marker(agent, job.family, &job.ticket, &job.request, &auth, &job.id) {
            Ok(Some(found)) => return found,
            Ok(None) => {}
            Err(outcome) => return outcome,
        }
    }
    http::post(agent, job.family, &job.ticket, &job.request, &auth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_of_urls() {
        assert_eq!(
            host_of("https://api.github.com/repos/o/r"),
            "api.github.com"
        );
        assert_eq!(host_of("http://127.0.0.1:4000/x"), "127.0.0.1:4000");
    }
}
