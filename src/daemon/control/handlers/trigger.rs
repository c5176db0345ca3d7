//! `trigger`: prompt now (a `manual` trigger), recorded before it is
//! announced.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};

use crate::daemon::run_loop::Daemon;
use crate::daemon::store::NewTrigger;
use crate::protocol::{Response, TriggerKind};

pub(super) fn handle(daemon: &mut Daemon, now: DateTime<Utc>) -> Result<Response> {
    let t = NewTrigger {
        kind: TriggerKind::Manual,
        scheduled_at: None,
        fired_at: now,
        late: false,
        reason: Some("requested with `devtrack trigger`".to_string()),
        detail: None,
    };
    let id = daemon
        .store
        .record_trigger(&t)
        .context("recording the trigger")?;
    let record = t.recorded(id);
    let trigger = record.info();
    daemon.announce(record);
    Ok(Response::Triggered {
        message: "prompt triggered".into(),
        trigger,
    })
}
