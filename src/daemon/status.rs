//! The daemon's own view of itself: the `status` reply and the one-line
//! `STATUS=` text systemd shows, sent once per turn of the run loop that
//! changed something it shows ([`Daemon::publish`]).

use std::fmt::Write as _;

use anyhow::Result;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::hold::HoldReason;
use super::prompt_triggers::prompt_deadline;
use super::state::{known_outstanding, Daemon};
use super::wallclock::local_midnight;
use crate::display;
use crate::exit::Explain;
use crate::procfs;
use crate::protocol::{
    AwayStatus, ChannelProblem, Holding, PromptStatus, Resources, SchedulerStatus, Status,
    StatusPaths, WorkHoursStatus,
};
use crate::scheduler::{self, Pause};
use crate::service::systemd::readiness;
use crate::session::{AwayReason, AwayState, Source};
use crate::store::{self, Channel, Outcome, PromptRecord, TriggerRecord};

/// The `STATUS=` line: what a person wants to see in `systemctl status`.
///
/// systemd shows the last line sent for as long as it likes, so the line
/// holds only what stays true until the daemon sends the next one: absolute
/// local times (`next prompt 16:20 IST`), re-sent when that prompt fires,
/// the pause ends, the schedule or a repository's state changes. Nothing
/// relative to the moment it was written ("in 25m") and no count "today"
/// that would need a wake-up at midnight just to stay right.
pub(super) fn status_line(
    repos_watching: usize,
    pause: Pause,
    next: Option<DateTime<Utc>>,
    reload_error: Option<&str>,
    prompt: Option<&LinePrompt>,
    tz: Tz,
    now: DateTime<Utc>,
) -> String {
    if let Some(err) = reload_error {
        return format!("Reload rejected: {err}");
    }
    let repos = match repos_watching {
        1 => "Watching 1 repo".to_string(),
        n => format!("Watching {n} repos"),
    };
    // `local_time` names the day unless it is `now`'s: a time shown without
    // one is today's and passes (re-sending the line) before midnight.
    let schedule = match (pause, next) {
        (Pause::Indefinite, _) => "paused".to_string(),
        (Pause::Until(t), _) if t > now => {
            format!("paused until {}", display::local_time(t, tz, now))
        }
        (_, Some(t)) => format!("next prompt {}", display::local_time(t, tz, now)),
        (_, None) => "no prompt scheduled".to_string(),
    };
    let mut line = format!("{repos} · {schedule}");
    if let Some(p) = prompt {
        let since = display::local_time(p.opened_at, tz, now);
        let _ = match (p.reopens_at, p.delivered) {
            (Some(t), _) => write!(
                line,
                " · prompt #{} snoozed until {}",
                p.id,
                display::local_time(t, tz, now)
            ),
            (None, true) => write!(line, " · prompt #{} waiting since {since}", p.id),
            (None, false) => write!(line, " · prompt #{} since {since}, not delivered", p.id),
        };
    }
    if let Some(problem) = &prompt.and_then(|p| p.problem.as_deref()) {
        let _ = write!(line, " ({problem})");
    }
    line
}

/// What the status line adds about the person: the prompt held while they
/// are away, else the lock or the idleness the session says. Each part
/// holds until an event changes it (an unlock, a release, the session's
/// `IdleHint`), which sends the line again.
pub(super) fn away_part(
    away: &AwayState,
    held: Option<HoldReason>,
    tz: Tz,
    now: DateTime<Utc>,
) -> String {
    let at = |t| display::local_time(t, tz, now);
    match (held, away.locked(), away.idle_since) {
        (Some(HoldReason::Away(a)), _, _) => {
            let why = match a.reason {
                AwayReason::Locked => "screen locked",
                AwayReason::Idle => "idle",
                AwayReason::Inhibited => "notifications inhibited",
                AwayReason::Asking => "asking the session for its idle time",
            };
            format!(" · holding the prompt: {why} since {}", at(a.since))
        }
        (_, Some(t), _) => format!(" · screen locked since {}", at(t)),
        (_, None, idle) => match (away.screen.inhibited_since, idle) {
            (Some(t), _) => format!(" · notifications inhibited since {}", at(t)),
            (None, Some(t)) => format!(" · idle since {}", at(t)),
            (None, None) => String::new(),
        },
    }
}

/// The outstanding prompt as the status line shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LinePrompt {
    pub id: i64,
    pub opened_at: DateTime<Utc>,
    /// Set while it is snoozed.
    pub reopens_at: Option<DateTime<Utc>>,
    /// Some channel (the socket included) delivered it.
    pub delivered: bool,
    /// A channel's outage, e.g. `desktop: no notification server`.
    pub problem: Option<String>,
}

/// [`PromptStatus`] from the stored prompt.
fn prompt_status(record: &PromptRecord, summary: String) -> PromptStatus {
    let mut delivered_to: Vec<Channel> = Vec::new();
    for d in &record.deliveries {
        if d.outcome == Outcome::Delivered && !delivered_to.contains(&d.channel) {
            delivered_to.push(d.channel);
        }
    }
    PromptStatus {
        id: record.id,
        opened_at: record.opened_at,
        state: record.state,
        reopens_at: record.reopens_at,
        summary,
        delivered_to,
    }
}

impl Daemon {
    /// The bottom of a turn of the run loop: what the turn marked goes out
    /// once. The outstanding prompt is read at most once, and not at all
    /// when the turn's last change of a prompt is the outstanding one; from
    /// it come the snooze deadline (only a snoozed prompt has one, and it
    /// is outstanding) and the `STATUS=` line, with `READY=1` after a
    /// (re)load.
    pub(super) fn publish(&mut self, now: DateTime<Utc>) {
        // While a prompt is held, an idle time that can only be asked for
        // is asked for.
        let held = self.prompting.held.is_some();
        self.prompting.ask.send_if_modified(|asking| {
            let changed = *asking != held;
            *asking = held;
            changed
        });
        let dirty = std::mem::take(&mut self.dirty);
        let line = dirty.status || dirty.ready;
        if !line && !dirty.prompt {
            return;
        }
        // A store error is the whole line: no prompt to read for it.
        let wanted = dirty.prompt || self.health.store.error().is_none();
        let read;
        let outstanding = match known_outstanding(dirty.last_prompt.as_ref()) {
            Some(known) => Some(known),
            None if wanted => {
                read = self.read_outstanding();
                read.as_ref()
            }
            None => None,
        };
        if dirty.prompt {
            let release = match self.prompting.held {
                Some(_) => self.hold(now).and_then(|h| h.until),
                None => None,
            };
            self.prompting.next_reopen =
                prompt_deadline(outstanding.and_then(|p| p.reopens_at), release);
        }
        if line {
            let text = self.status_line(outstanding, now);
            if dirty.ready {
                readiness::ready(&text);
            } else {
                readiness::status(&text);
            }
        }
    }

    fn read_outstanding(&self) -> Option<PromptRecord> {
        self.store.outstanding_prompt().unwrap_or_else(|e| {
            tracing::error!("reading the outstanding prompt: {e:#}");
            None
        })
    }

    /// The `STATUS=` line with `prompt` the outstanding one.
    fn status_line(&self, prompt: Option<&PromptRecord>, now: DateTime<Utc>) -> String {
        if let Some(err) = self.health.store.error() {
            // Its first line; the hint is in the status and the log.
            let message = &err.message;
            return format!("Store error: {}", message.lines().next().unwrap_or(message));
        }
        let problem = self
            .prompting
            .health
            .outages()
            .first()
            .map(|o| format!("{}: {}", o.channel.as_str(), o.detail));
        let line_prompt = prompt.map(|p| LinePrompt {
            id: p.id,
            opened_at: p.opened_at,
            reopens_at: p.reopens_at,
            delivered: p.deliveries.iter().any(|d| d.outcome == Outcome::Delivered),
            problem,
        });
        let mut line = status_line(
            self.commits.git.watching_count(),
            self.scheduling.state.pause,
            self.scheduling.next_due,
            self.health.reload_error.as_deref(),
            line_prompt.as_ref(),
            self.scheduling.schedule.tz,
            now,
        );
        if self.health.reload_error.is_none() {
            let held = self
                .prompting
                .held
                .and_then(|_| self.hold(now))
                .map(|h| h.reason);
            line.push_str(&away_part(
                &self.prompting.away,
                held,
                self.scheduling.schedule.tz,
                now,
            ));
        }
        line
    }

    pub(super) fn status(&self, now: DateTime<Utc>) -> Result<Status> {
        let settings = &self.config.settings;
        let wh = settings.work_hours;
        // A store that cannot be read (corrupted under the daemon) leaves
        // the counts empty and says why, rather than failing the reply.
        let counts = (|| -> Result<_> {
            Ok((
                self.store.last_trigger()?,
                self.store.trigger_count()?,
                self.store
                    .triggers_since(local_midnight(now, self.scheduling.schedule.tz))?,
                self.store.missed_slot_count()?,
                self.store.outstanding_prompt()?,
            ))
        })();
        let ((last, total, today, missed, prompt), read_error) = match counts {
            Ok(c) => (c, None),
            Err(e) => ((None, 0, 0, 0, None), Some(self.store.explain(&e))),
        };
        Ok(Status {
            version: env!("CARGO_PKG_VERSION").to_string(),
            pid: std::process::id(),
            started: self.health.started,
            uptime_secs: (now - self.health.started).num_seconds().max(0) as u64,
            triggers_total: total,
            triggers_today: today,
            last_trigger: last.as_ref().map(TriggerRecord::info),
            missed_slots: missed,
            paths: StatusPaths {
                config: self.config.source.as_ref().map(|p| p.display().to_string()),
                config_expected: self.paths.config_file.display().to_string(),
                database: self.paths.database.display().to_string(),
                socket: self.paths.socket.display().to_string(),
                lock: self.paths.lock.display().to_string(),
                logs: self.log.destination(),
            },
            scheduler: SchedulerStatus {
                paused: match self.scheduling.state.pause {
                    Pause::Running => false,
                    Pause::Indefinite => true,
                    Pause::Until(t) => t > now,
                },
                paused_until: match self.scheduling.state.pause {
                    Pause::Until(t) if t > now => Some(t),
                    _ => None,
                },
                skip_next: self.scheduling.state.skip_next,
                interval_minutes: settings.prompt_interval_minutes,
                next_trigger: self.scheduling.next_due,
                timezone: self.scheduling.schedule.tz.name().to_string(),
            },
            work_hours: WorkHoursStatus {
                enabled: settings.work_hours_only,
                start: wh.start.to_string(),
                end: wh.end.to_string(),
                days: wh.days.iter().map(|d| d.to_string()).collect(),
                in_hours: scheduler::in_window(&self.scheduling.schedule, now),
            },
            repositories: self.commits.git.repo_statuses(),
            reload_error: self.health.reload_error.clone(),
            last_reload: self.health.last_reload,
            prompt: prompt.map(|p| prompt_status(&p, self.prompt_info(&p, now).summary)),
            channel_problems: self
                .prompting
                .health
                .outages()
                .iter()
                .map(|o| ChannelProblem {
                    channel: o.channel,
                    detail: o.detail.clone(),
                    since: o.since,
                })
                .collect(),
            store_error: self
                .health
                .store
                .error()
                .cloned()
                .or_else(|| self.store.file_fault())
                .or(read_error)
                .map(|e| e.explained()),
            away: Some(self.away_status(now)),
            folders: self.commits.git.folder_statuses(),
            watches: self.commits.git.watch_count(),
            resources: Some(self.resources()),
        })
    }

    /// What the daemon uses of the machine now: `/proc/self` and the
    /// store's files, read for this reply only.
    fn resources(&self) -> Resources {
        let usage = procfs::read_self();
        let (store_bytes, wal_bytes) = store::file_sizes(&self.paths.database);
        Resources {
            cpu_secs: usage.cpu_secs,
            rss_bytes: usage.rss_bytes,
            rss_anon_bytes: usage.rss_anon_bytes,
            open_fds: usage.open_fds,
            inotify_watches: usage.inotify_watches,
            store_bytes,
            wal_bytes,
        }
    }

    /// The session as followed, and why the held prompt is held.
    fn away_status(&self, now: DateTime<Utc>) -> AwayStatus {
        let away = &self.prompting.away;
        let (sources, missing): (Vec<_>, Vec<_>) = [&away.source, &away.screen.source]
            .into_iter()
            .map(Source::describe)
            .partition(Result::is_ok);
        let holding = match (self.prompting.held, self.hold(now)) {
            (Some(_), Some(hold)) => Some(Holding {
                reason: hold.reason.as_str().to_string(),
                since: match hold.reason {
                    HoldReason::Away(a) => Some(a.since),
                    _ => None,
                },
            }),
            _ => None,
        };
        AwayStatus {
            when_away: self.config.prompts.when_away.as_str().to_string(),
            sources: sources.into_iter().flatten().collect(),
            missing: missing.into_iter().filter_map(Result::err).collect(),
            locked_since: away.locked(),
            idle_since: away.idle_since,
            inhibited_since: away.screen.inhibited_since,
            holding,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn status_lines() {
        let tz: Tz = "Asia/Kolkata".parse().unwrap();
        let now = at("2026-11-26T08:15:00Z"); // Thu 13:45 IST
        let next = Some(at("2026-11-26T09:00:00Z"));
        assert_eq!(
            status_line(3, Pause::Running, next, None, None, tz, now),
            "Watching 3 repos · next prompt 14:30 IST"
        );
        assert_eq!(
            status_line(
                1,
                Pause::Running,
                Some(at("2026-11-27T03:30:00Z")),
                None,
                None,
                tz,
                now
            ),
            "Watching 1 repo · next prompt Fri 09:00 IST"
        );
        assert_eq!(
            status_line(
                1,
                Pause::Until(at("2026-11-26T11:30:00Z")),
                None,
                None,
                None,
                tz,
                now
            ),
            "Watching 1 repo · paused until 17:00 IST"
        );
        assert_eq!(
            status_line(0, Pause::Indefinite, None, None, None, tz, now),
            "Watching 0 repos · paused"
        );
        assert_eq!(
            status_line(
                1,
                Pause::Running,
                None,
                Some("config.yaml:12:3: settings.intervall: unknown key"),
                None,
                tz,
                now
            ),
            "Reload rejected: config.yaml:12:3: settings.intervall: unknown key"
        );
    }

    /// The line is sent only when it changes; nothing refreshes it on a
    /// timer. So the line sent at any moment must read the same (or, across
    /// midnight, say the same thing) until the next prompt, the event that
    /// re-sends it.
    #[test]
    fn a_line_stays_true_until_the_next_prompt() {
        let tz: Tz = "Asia/Kolkata".parse().unwrap();
        let next = at("2026-11-26T09:00:00Z"); // Thu 14:30 IST
        let line = |now| status_line(2, Pause::Running, Some(next), None, None, tz, at(now));
        let sent = line("2026-11-26T08:15:00Z"); // 13:45 IST
        for later in ["2026-11-26T08:40:00Z", "2026-11-26T08:59:59Z"] {
            assert_eq!(line(later), sent, "at {later}");
        }
        // Sent the evening before: the day is named, so after midnight the
        // old line still points at the right prompt.
        let evening = line("2026-11-25T17:00:00Z"); // Wed 22:30 IST
        assert_eq!(evening, "Watching 2 repos · next prompt Thu 14:30 IST");
        assert!(!sent.contains(" in ") && !sent.contains("today"), "{sent}");
    }

    #[test]
    fn the_person_in_the_line() {
        use crate::session::Away;
        let tz: Tz = "Asia/Kolkata".parse().unwrap();
        let now = at("2026-11-26T08:45:00Z"); // 14:15 IST
        let since = at("2026-11-26T08:32:00Z"); // 14:02 IST
        let state = |locked: bool, idle: bool| AwayState {
            source: Source::Logind("/s".into()),
            locked_since: locked.then_some(since),
            idle_since: idle.then_some(since),
            ..AwayState::unasked()
        };
        let locked = HoldReason::Away(Away {
            reason: AwayReason::Locked,
            since,
        });
        let idle = HoldReason::Away(Away {
            reason: AwayReason::Idle,
            since,
        });
        let cases = [
            (
                state(true, false),
                Some(locked),
                " · holding the prompt: screen locked since 14:02 IST",
            ),
            (
                state(false, true),
                Some(idle),
                " · holding the prompt: idle since 14:02 IST",
            ),
            (state(true, true), None, " · screen locked since 14:02 IST"),
            (
                state(true, false),
                Some(HoldReason::Paused),
                " · screen locked since 14:02 IST",
            ),
            (state(false, true), None, " · idle since 14:02 IST"),
            (state(false, false), None, ""),
            (
                AwayState {
                    screen: crate::session::Screen {
                        source: Source::SessionBus("org.freedesktop.Notifications".into()),
                        inhibited_since: Some(since),
                        ..crate::session::Screen::missing("")
                    },
                    ..state(false, true)
                },
                None,
                " · notifications inhibited since 14:02 IST",
            ),
            (AwayState::unasked(), None, ""),
        ];
        for (away, held, want) in cases {
            assert_eq!(away_part(&away, held, tz, now), want, "{away:?} {held:?}");
        }
    }

    #[test]
    fn the_outstanding_prompt_in_the_line() {
        let tz: Tz = "Asia/Kolkata".parse().unwrap();
        let now = at("2026-11-26T08:15:00Z"); // 13:45 IST
        let open = LinePrompt {
            id: 7,
            opened_at: at("2026-11-26T08:00:00Z"),
            reopens_at: None,
            delivered: false,
            problem: None,
        };
        let line = |p: &LinePrompt| status_line(1, Pause::Running, None, None, Some(p), tz, now);
        assert_eq!(
            line(&open),
            "Watching 1 repo · no prompt scheduled · prompt #7 since 13:30 IST, not delivered"
        );
        let delivered = LinePrompt {
            delivered: true,
            ..open.clone()
        };
        assert_eq!(
            line(&delivered),
            "Watching 1 repo · no prompt scheduled · prompt #7 waiting since 13:30 IST"
        );
        let snoozed = LinePrompt {
            reopens_at: Some(at("2026-11-26T08:45:00Z")),
            problem: Some("desktop: no notification server".into()),
            ..open
        };
        assert_eq!(
            line(&snoozed),
            "Watching 1 repo · no prompt scheduled · prompt #7 snoozed until 14:15 IST (desktop: no notification server)"
        );
    }
}
