//! `reload`: re-read the config; the reply comes once it was applied or
//! rejected (the reload itself is `daemon::reload`, shared with SIGHUP).

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::daemon::state::Daemon;
use crate::protocol::{ErrorKind, ReloadInfo, Response};

pub(super) fn handle(daemon: &mut Daemon, now: DateTime<Utc>) -> Result<Response> {
    Ok(match daemon.reload(now) {
        Ok(changes) => Response::Reloaded {
            message: "configuration reloaded".into(),
            reload: ReloadInfo { changes },
        },
        Err(error) => Response::failed(ErrorKind::Rejected, error),
    })
}
