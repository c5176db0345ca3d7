//! `trigger`: prompt now (a `manual` trigger), recorded with its prompt
//! before either is announced.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};

use crate::daemon::state::Daemon;
use crate::protocol::{Response, TriggerKind};
use crate::store::NewTrigger;

pub(super) fn handle(daemon: &mut Daemon, now: DateTime<Utc>) -> Result<Response> {
    let t = NewTrigger {
        kind: TriggerKind::Manual,
        scheduled_at: None,
        fired_at: now,
        late: false,
        reason: Some("requested with `devtrack trigger`".to_string()),
        detail: None,
    };
    let prompted = daemon
        .store
        .record_trigger_prompted(&t, [], now, daemon.expire_before(now))
        .context("recording the trigger")?;
    let record = t.recorded(prompted.trigger_id);
    let trigger = record.info();
    daemon.announce(record, prompted.opened, now);
    Ok(Response::Triggered {
        message: "prompt triggered".into(),
        trigger,
    })
}
