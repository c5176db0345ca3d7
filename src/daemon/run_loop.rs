//! The run loop: one `select!` over signals, control requests, the
//! wall-clock timer and the watchdog. All state changes happen here, on one
//! task, so nothing needs a lock; each change is committed to the store
//! before it is announced.

use anyhow::{Context, Result};
use chrono::{DateTime, SubsecRound, Utc};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;

use crate::config::paths::Paths;
use crate::config::{self, Config};
use crate::daemon::burst::CommitBatch;
use crate::daemon::control::{self, ControlRequest};
use crate::daemon::events::EventBus;
use crate::daemon::gitwatch::{Debouncer, GitEvent, GitWatch};
use crate::daemon::logging::LogControl;
use crate::daemon::scheduler::{self, Pause, Schedule, SchedulerState};
use crate::daemon::store::{NewTrigger, Store, TriggerKind, TriggerRecord};
use crate::daemon::wallclock::{self, WallClockTimer};
use crate::daemon::{footprint, pause, readiness, LaunchdCrashGuard};
use crate::exit;
use crate::protocol::{Command, EventBody, ReloadInfo, Response};

/// Everything the loop owns.
pub(super) struct Daemon {
    pub paths: Paths,
    pub config: Config,
    pub schedule: Schedule,
    pub sched: SchedulerState,
    pub next_due: Option<DateTime<Utc>>,
    pub store: Store,
    pub events: EventBus,
    pub log: LogControl,
    pub started: DateTime<Utc>,
    pub reload_error: Option<String>,
    pub last_reload: Option<DateTime<Utc>>,
    pub git: GitWatch,
    /// Own commits waiting for the debounce window to close.
    pub commit_batch: Debouncer<GitEvent, tokio::time::Instant, CommitBatch>,
}

pub(super) async fn run(
    paths: Paths,
    config: Config,
    log: LogControl,
    crash_guard: Option<LaunchdCrashGuard>,
) -> i32 {
    match run_inner(paths, config, log, crash_guard).await {
        Ok(()) => exit::OK,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("devtrack: {e:#}");
            exit::FAILURE
        }
    }
}

async fn run_inner(
    paths: Paths,
    config: Config,
    log: LogControl,
    crash_guard: Option<LaunchdCrashGuard>,
) -> Result<()> {
    let now = wall_now();
    let store = Store::open(&paths.database)?;
    let sched = store.scheduler_state(now)?;
    let socket = control::bind(&paths.socket)?;
    let mut sigterm = signal(SignalKind::terminate()).context("installing SIGTERM handler")?;
    let mut sigint = signal(SignalKind::interrupt()).context("installing SIGINT handler")?;
    let mut sighup = signal(SignalKind::hangup()).context("installing SIGHUP handler")?;
    let mut timer = WallClockTimer::new().context("creating the wall-clock timer")?;

    let (git_tx, mut git_rx) = mpsc::unbounded_channel();
    let git = GitWatch::start(&config.repositories, &config.settings, git_tx)
        .context("starting the repository watcher")?;
    let commit_batch = Debouncer::new(config.settings.commit_debounce);

    let events = EventBus::new();
    let (req_tx, mut req_rx) = mpsc::channel::<ControlRequest>(64);
    let server = tokio::spawn(control::serve(socket, req_tx, events.clone()));

    let mut daemon = Daemon {
        schedule: Schedule::from_settings(&config.settings),
        paths,
        config,
        sched,
        next_due: None,
        store,
        events,
        log,
        started: now,
        reload_error: None,
        last_reload: None,
        git,
        commit_batch,
    };
    daemon.catch_up(now)?;
    daemon.run_scheduler(now)?;
    readiness::ready(&daemon.status_line(wall_now()));
    tracing::info!(
        pid = std::process::id(),
        socket = %daemon.paths.socket.display(),
        next_prompt = %daemon.next_due.map_or("none (paused)".to_string(), |t| t.to_rfc3339()),
        "devtrack started"
    );

    // Under launchd: a run that stays up this long was not a failed start.
    let healthy = crash_guard
        .as_ref()
        .map(|g| tokio::time::sleep(g.healthy_after()));
    tokio::pin!(healthy);

    let watchdog_every = readiness::watchdog_interval();
    let mut watchdog = watchdog_every.map(tokio::time::interval);

    loop {
        let commit_deadline = daemon.commit_batch.deadline();
        let idle_deadline = daemon
            .git
            .idle_deadline()
            .map(tokio::time::Instant::from_std);
        tokio::select! {
            _ = sigterm.recv() => { tracing::info!("SIGTERM received; stopping"); break; }
            _ = sigint.recv() => { tracing::info!("SIGINT received; stopping"); break; }
            _ = sighup.recv() => {
                tracing::info!("SIGHUP received; reloading configuration");
                daemon.reload(wall_now());
            }
            Some(req) = req_rx.recv() => {
                let reply = daemon.handle(req.command, wall_now());
                let _ = req.reply.send(reply);
            }
            Some(msg) = git_rx.recv() => daemon.on_git_change(msg, wall_now()),
            _ = tokio::time::sleep_until(commit_deadline.unwrap_or_else(tokio::time::Instant::now)),
                if commit_deadline.is_some() => daemon.flush_commit_batch(wall_now()),
            _ = tokio::time::sleep_until(idle_deadline.unwrap_or_else(tokio::time::Instant::now)),
                if idle_deadline.is_some() => {
                    daemon.git.close_idle(std::time::Instant::now());
                    footprint::release_free();
                }
            wake = wallclock::wait_for(&mut timer, daemon.next_due) => {
                if let Ok(wallclock::Wake::ClockChanged) = wake {
                    tracing::info!("wall clock changed; re-checking the schedule");
                }
                if let Err(e) = wake {
                    tracing::warn!(error = %e, "wall-clock timer failed; re-checking the schedule");
                }
                if let Err(e) = daemon.run_scheduler(wall_now()) {
                    tracing::error!("running the scheduler: {e:#}");
                }
            }
            _ = async { healthy.as_mut().as_pin_mut().expect("guarded").await }, if healthy.is_some() => {
                healthy.set(None);
                if let Some(g) = &crash_guard {
                    g.record_healthy();
                }
            }
            _ = async { watchdog.as_mut().expect("guarded").tick().await }, if watchdog.is_some() => {
                // Reaching this branch proves the loop runs; the watcher thread
                // must answer too, or systemd should restart us.
                if daemon.git.is_alive() {
                    readiness::watchdog();
                } else {
                    tracing::error!("the repository watcher stopped; withholding the watchdog ping");
                }
            }
        }
    }

    readiness::stopping();
    if let Some(g) = &crash_guard {
        // A requested stop is not a failure.
        g.record_healthy();
    }
    daemon.events.publish(wall_now(), EventBody::Stopping);
    // Aborting the server drops the listener, which removes the socket file.
    server.abort();
    let _ = server.await;
    drop(daemon);
    tracing::info!("devtrack stopped");
    Ok(())
}

/// The wall clock at the store's precision (milliseconds), so what the
/// daemon holds in memory is exactly what a restart reads back.
fn wall_now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

impl Daemon {
    /// Lets the scheduler look at `now`; records and announces what it decided.
    pub fn run_scheduler(&mut self, now: DateTime<Utc>) -> Result<()> {
        let step = scheduler::step(&self.schedule, &self.sched, now);
        let trigger = step.fire.map(|f| NewTrigger {
            kind: TriggerKind::Timer,
            scheduled_at: Some(f.scheduled),
            fired_at: now,
            late: f.late,
            reason: f.late.then(|| {
                format!(
                    "{} interval slot(s) passed while asleep or stopped",
                    step.missed.len().max(1)
                )
            }),
            detail: None,
        });
        if trigger.is_some() || !step.missed.is_empty() || step.state != self.sched {
            let id = self
                .store
                .record_step(trigger.as_ref(), &step.missed, &step.state, now)?;
            for m in &step.missed {
                self.events.publish(
                    now,
                    EventBody::Missed {
                        scheduled_at: m.at,
                        reason: m.reason.as_str().to_string(),
                    },
                );
            }
            if let (Some(t), Some(id)) = (trigger, id) {
                self.announce(TriggerRecord {
                    id,
                    kind: t.kind,
                    scheduled_at: t.scheduled_at,
                    fired_at: t.fired_at,
                    late: t.late,
                    reason: t.reason,
                    detail: t.detail,
                });
            }
            if self.sched.pause != Pause::Running && step.state.pause == Pause::Running {
                tracing::info!("pause ended; prompts resume");
                self.events.publish(now, EventBody::Resumed);
            }
        }
        self.sched = step.state;
        self.next_due = step.next_due;
        readiness::status(&self.status_line(now));
        Ok(())
    }

    pub fn announce(&mut self, record: TriggerRecord) {
        tracing::info!(
            trigger_kind = record.kind.as_str(),
            trigger_id = record.id,
            late = record.late,
            "prompt triggered"
        );
        self.events.publish(
            record.fired_at,
            EventBody::Trigger {
                trigger: record.info(),
            },
        );
        // "N prompts today" moved.
        readiness::status(&self.status_line(record.fired_at));
    }

    /// Applies a change to the scheduler state: first lets the old state
    /// account for `now` (so slots that passed during a pause are recorded
    /// as paused, not fired late), then stores the new state and re-plans.
    fn change_schedule_state(
        &mut self,
        now: DateTime<Utc>,
        change: impl FnOnce(&mut SchedulerState),
    ) -> Result<()> {
        self.run_scheduler(now)?;
        let mut state = self.sched;
        change(&mut state);
        self.store.save_scheduler_state(&state)?;
        self.sched = state;
        self.run_scheduler(now)
    }

    pub fn handle(&mut self, command: Command, now: DateTime<Utc>) -> Response {
        let result = match command {
            Command::Status => {
                return match self.status(now) {
                    Ok(s) => Response {
                        status: Some(Box::new(s)),
                        ..Response::ok("running")
                    },
                    Err(e) => Response::error("internal", format!("{e:#}")),
                }
            }
            Command::Pause(req) => self.pause(&req, now),
            Command::Resume => self.resume(now),
            Command::Skip => self.skip(now),
            Command::Trigger => return self.manual_trigger(now),
            Command::Reload => return self.reload(now),
            // Handled by the connection task; never reaches the loop.
            Command::Subscribe => Ok(Response::error(
                "bad_request",
                "subscribe is per connection",
            )),
        };
        result.unwrap_or_else(|e| Response::error("internal", format!("{e:#}")))
    }

    fn pause(
        &mut self,
        req: &crate::protocol::PauseRequest,
        now: DateTime<Utc>,
    ) -> Result<Response> {
        let pause = match pause::resolve(req, now, self.schedule.tz) {
            Ok(p) => p,
            Err(e) => return Ok(Response::error("bad_request", e)),
        };
        self.change_schedule_state(now, |s| s.pause = pause)?;
        let until = match pause {
            Pause::Until(t) => Some(t),
            _ => None,
        };
        tracing::info!(until = ?until, "prompts paused");
        self.events.publish(now, EventBody::Paused { until });
        let message = match until {
            Some(t) => format!(
                "prompts paused until {}; commit watching continues",
                crate::display::local_time(t, self.schedule.tz, now)
            ),
            None => "prompts paused; commit watching continues; `devtrack resume` to resume".into(),
        };
        Ok(Response::ok(message))
    }

    fn resume(&mut self, now: DateTime<Utc>) -> Result<Response> {
        if self.sched.pause == Pause::Running {
            return Ok(Response::ok("prompts were not paused"));
        }
        self.change_schedule_state(now, |s| s.pause = Pause::Running)?;
        tracing::info!("prompts resumed");
        self.events.publish(now, EventBody::Resumed);
        Ok(Response::ok(match self.next_due {
            Some(t) => format!(
                "prompts resumed; next at {}",
                crate::display::local_time(t, self.schedule.tz, now)
            ),
            None => "prompts resumed".to_string(),
        }))
    }

    fn skip(&mut self, now: DateTime<Utc>) -> Result<Response> {
        self.change_schedule_state(now, |s| s.skip_next = true)?;
        tracing::info!("next prompt will be skipped");
        self.events.publish(now, EventBody::Skipped);
        Ok(Response::ok(match self.next_due {
            Some(t) => format!(
                "the prompt due at {} will be skipped",
                crate::display::local_time(t, self.schedule.tz, now)
            ),
            None => "the next prompt will be skipped".to_string(),
        }))
    }

    fn manual_trigger(&mut self, now: DateTime<Utc>) -> Response {
        let t = NewTrigger {
            kind: TriggerKind::Manual,
            scheduled_at: None,
            fired_at: now,
            late: false,
            reason: Some("requested with `devtrack trigger`".to_string()),
            detail: None,
        };
        match self.store.record_trigger(&t) {
            Ok(id) => {
                let record = TriggerRecord {
                    id,
                    kind: t.kind,
                    scheduled_at: None,
                    fired_at: now,
                    late: false,
                    reason: t.reason,
                    detail: None,
                };
                let info = record.info();
                self.announce(record);
                Response {
                    trigger: Some(info),
                    ..Response::ok("prompt triggered")
                }
            }
            Err(e) => Response::error("internal", format!("recording the trigger: {e:#}")),
        }
    }

    /// Re-reads the config; applies it whole or keeps the old one.
    pub fn reload(&mut self, now: DateTime<Utc>) -> Response {
        readiness::reloading();
        let response = match super::load_config(&self.paths) {
            Ok(new) => {
                let changes = config::describe_changes(&self.config, &new);
                self.apply(new, now);
                self.reload_error = None;
                self.last_reload = Some(now);
                if changes.is_empty() {
                    tracing::info!("configuration reloaded; nothing changed");
                } else {
                    for c in &changes {
                        tracing::info!(change = %c, "configuration changed");
                    }
                }
                if let Err(e) = self.run_scheduler(now) {
                    tracing::error!("running the scheduler: {e:#}");
                }
                self.events.publish(
                    now,
                    EventBody::Reloaded {
                        changes: changes.clone(),
                    },
                );
                Response {
                    reload: Some(ReloadInfo { changes }),
                    ..Response::ok("configuration reloaded")
                }
            }
            Err(e) => {
                let error = e.to_string();
                tracing::warn!(error = %error, "configuration rejected; keeping the previous one");
                self.reload_error = Some(error.clone());
                self.last_reload = Some(now);
                self.events.publish(
                    now,
                    EventBody::ReloadRejected {
                        error: error.clone(),
                    },
                );
                Response::error("rejected", error)
            }
        };
        readiness::ready(&self.status_line(now));
        response
    }

    fn apply(&mut self, new: Config, now: DateTime<Utc>) {
        if new.settings.log_level != self.config.settings.log_level {
            self.log.set_level(new.settings.log_level);
        }
        let unread = match self.git.reconfigure(&new.repositories, &new.settings) {
            Ok(names) => Some(names),
            Err(e) => {
                tracing::error!("re-arming repository watches: {e:#}");
                None
            }
        };
        self.commit_batch.set_quiet(new.settings.commit_debounce);
        self.schedule = Schedule::from_settings(&new.settings);
        self.config = new;
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
