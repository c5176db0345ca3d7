//! The timezone the CLI reads and shows times in: the daemon's
//! `settings.timezone`, never silently the machine's own zone (the two
//! differ whenever the config names another zone).

use chrono_tz::Tz;

use crate::cli::Context;

/// `settings.timezone` of the config devtrack reads (the machine's zone
/// when the config leaves it out, as for the daemon). With an invalid
/// config the machine's zone is used, and a warning says so.
pub(crate) fn configured(ctx: &Context) -> Tz {
    match ctx.config() {
        Ok(config) => config.settings.timezone,
        Err(e) => {
            let tz = crate::config::local_timezone();
            crate::cli::stderr::warn(&format!(
                "showing times in the machine's timezone ({tz}): the config is invalid: {e}"
            ));
            tz
        }
    }
}
