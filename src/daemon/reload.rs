//! Reloading the config: SIGHUP, the socket's `reload` (what
//! `devtrack reload --wait` and the unit's `ExecReload` use),
//! `systemctl --user reload` and a saved change the config watch saw
//! (`config_watch`) all end in [`Daemon::reload`]. The new file is
//! loaded and validated whole, then applied at once (schedule, timezone,
//! log level, repositories, debounce, prompt channels) or rejected, keeping the old config
//! and putting the reason in the status and the status line. A config file
//! that was read and is gone is such a reason: the defaults would drop
//! every repository.

use std::path::Path;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use crate::config::paths::ConfigSource;
use crate::config::watch;
use crate::config::{self, Config};
use crate::daemon::state::Daemon;
use crate::protocol::EventBody;
use crate::scheduler::Schedule;
use crate::service::systemd::readiness;
use crate::store::ReloadResult;

impl Daemon {
    /// Re-reads the config; applies it whole (returning what changed, one
    /// line each) or keeps the old one (returning why).
    pub(crate) fn reload(&mut self, now: DateTime<Utc>) -> Result<Vec<String>, String> {
        readiness::reloading();
        // Before reading it: a change after this is read by the watch.
        self.config_watch.known = Some(config::watch::fingerprint(&self.paths.config_file));
        let outcome = match config::load_for_reload(&self.paths, &self.config) {
            Ok(new) => {
                let changes = config::describe_changes(&self.config, &new);
                for warning in new.integrations.file_token_warnings() {
                    tracing::warn!("{warning}");
                }
                self.apply(new, now);
                self.health.reload_error = None;
                self.health.last_reload = Some(now);
                self.record_reload(
                    now,
                    if changes.is_empty() {
                        ReloadResult::Unchanged
                    } else {
                        ReloadResult::Applied
                    },
                );
                if changes.is_empty() {
                    tracing::info!("configuration reloaded; nothing changed");
                } else {
                    for c in &changes {
                        tracing::info!(change = %c, "configuration changed: {c}");
                    }
                }
                if let Err(e) = self.run_scheduler(now) {
                    tracing::error!("running the scheduler: {e:#}");
                }
                self.sync_config_changed(now);
                self.events.publish(
                    now,
                    EventBody::Reloaded {
                        changes: changes.clone(),
                    },
                );
                Ok(changes)
            }
            Err(e) => {
                let error = e.to_string();
                // The journal once per distinct error: a file saved again
                // with the same mistake says nothing new.
                if self.health.reload_error.as_deref() == Some(error.as_str()) {
                    tracing::debug!(error = %error, "configuration still rejected: {error}");
                } else {
                    tracing::warn!(error = %error, "configuration rejected, keeping the previous one: {error}");
                }
                self.health.reload_error = Some(error.clone());
                self.health.last_reload = Some(now);
                self.record_reload(now, ReloadResult::Rejected);
                self.events.publish(
                    now,
                    EventBody::ReloadRejected {
                        error: error.clone(),
                    },
                );
                Err(error)
            }
        };
        // The watch follows the file in use and `settings.watch_config`.
        self.watch_config(false);
        // `READY=1` ends the reload, with the status line, at the bottom of
        // the turn.
        self.dirty.ready = true;
        outcome
    }

    /// Keeps the reload for the metrics' counter; a store that refuses it
    /// costs that count only.
    fn record_reload(&mut self, now: DateTime<Utc>, result: ReloadResult) {
        if let Err(e) = self.store.record_reload(now, result) {
            tracing::error!("recording a reload: {e:#}");
        }
    }

    fn apply(&mut self, new: Config, now: DateTime<Utc>) {
        if new.settings.log_level != self.config.settings.log_level {
            self.log.set_level(new.settings.log_level);
        }
        let unread = match self.commits.git.reconfigure_with(
            &new.repositories,
            &new.folders,
            &new.settings,
            now,
        ) {
            Ok(names) => Some(names),
            Err(e) => {
                tracing::error!("re-arming repository watches: {e:#}");
                None
            }
        };
        self.commits.batch.set_quiet(new.settings.commit_debounce);
        if let Err(e) = self.replan(Schedule::from_settings(&new.settings), now) {
            tracing::error!("re-planning the schedule: {e:#}");
        }
        let channels_changed =
            crate::daemon::prompts::notifications_changed(&self.config.prompts, &new.prompts);
        self.config = new;
        if channels_changed {
            self.restart_channels(now);
        } else {
            self.restart_hook(now);
        }
        // `prompts.when_away` or `idle_after` may end a hold.
        self.release_held(now);
        // Repositories added by the reload: read what they hold since their
        // cursors (none for new ones, so this only arms them). Unchanged
        // ones are read on their next change, as before the reload.
        let read = match unread {
            Some(names) => self.catch_up_repos(&names, now),
            None => self.catch_up(now),
        };
        if let Err(e) = read {
            tracing::error!("reading repositories after reload: {e:#}");
        }
    }
}

impl Daemon {
    /// Makes the watch follow the config in use and its setting; `again`
    /// after a directory on the way moved.
    pub(super) fn watch_config(&mut self, again: bool) {
        self.config_watch.follow(&self.paths, &self.config, again);
    }

    /// The sink saw a change: the quiet period starts (again).
    pub(super) fn on_config_seen(&mut self, moved: bool, now: Instant) {
        if moved {
            self.watch_config(true);
        }
        if self.config.settings.watch_config {
            self.config_watch.settles_at = Some(now + watch::QUIET);
        }
    }

    /// The quiet period passed: a config written at the preferred location
    /// takes over from the older one; a file that differs from the last
    /// one read is reloaded.
    pub(super) fn config_settled(&mut self, now: DateTime<Utc>) {
        self.config_watch.settles_at = None;
        if let Some(preferred) = watch::moves_to_preferred(&self.paths, &|p: &Path| p.exists()) {
            tracing::info!(
                "a config file was written at `{}`; reading it instead of `{}`",
                preferred.display(),
                self.paths.config_file.display()
            );
            self.paths.config_file = preferred;
            self.paths.config_source = ConfigSource::Xdg;
            self.config_watch.known = None;
        }
        let current = watch::fingerprint(&self.paths.config_file);
        if watch::differs(self.config_watch.known, current) {
            tracing::info!(
                "the config file `{}` changed; reloading",
                self.paths.config_file.display()
            );
            // Logged, announced and in the status either way.
            let _ = self.reload(now);
        }
    }
}
