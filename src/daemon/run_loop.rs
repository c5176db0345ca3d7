//! The run loop: one `select!` over signals, control requests, watcher
//! messages, the config file's watch and its quiet period (only while a
//! change is pending), the commit debounce deadline, the wall-clock timer, delivery
//! channels' reports, the snooze deadline (a second wall-clock timer), the
//! inotify-limit retry deadline (only while a repository waits for one),
//! the session's away state (`crate::session`: screen locked, idle), the
//! launchd crash-guard timer and the watchdog. All state changes happen
//! here, on one task, so nothing needs a lock; each change is committed to
//! the store before it is announced.
//!
//! Each branch hands its input to one place: requests to
//! `control::handlers`, the scheduler's wake-ups to `timer_triggers`,
//! watcher messages, the debounce deadline and the store's retry deadline
//! (`store_health`) to `commit_triggers`, the limit retry to
//! `limit_retry`, SIGHUP to `reload`, the config watch to `config_watch`, channel reports and the snooze
//! deadline to `prompt_triggers`. What it owns is `state::Daemon`, defined
//! beside it. A branch marks what it changed (`state::Dirty`); after the
//! `select!`, `Daemon::publish` sends the status line and sets the snooze
//! deadline once for the whole turn.

use anyhow::{Context, Result};
use chrono::{DateTime, SubsecRound, Utc};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::backoff::Retry;
use crate::config::paths::Paths;
use crate::config::Config;
use crate::daemon::config_watch::ConfigWatch;
use crate::daemon::control::{self, handlers, ControlRequest};
use crate::daemon::deadline::until;
use crate::daemon::event_bus::EventBus;
use crate::daemon::footprint;
use crate::daemon::gitwatch::{Debouncer, GitWatch};
use crate::daemon::http;
use crate::daemon::limit_retry;
use crate::daemon::logging::LogControl;
use crate::daemon::prompts::health::ChannelHealth;
use crate::daemon::prompts::FromChannel;
use crate::daemon::state::{Commits, Daemon, Dirty, Health, Prompting, Scheduling};
use crate::daemon::store_health::StoreHealth;
use crate::daemon::sync_sender::SyncSender;
use crate::daemon::wallclock::{self, WallClockTimer};
use crate::exit::{Explain, Status};
use crate::protocol::EventBody;
use crate::scheduler::Schedule;
use crate::service::launchd::LaunchdCrashGuard;
use crate::service::systemd::readiness;
use crate::session::{self, AwayState};
use crate::store::{OpenError, Store};

pub(super) async fn run(
    paths: Paths,
    config: Config,
    log: LogControl,
    crash_guard: Option<LaunchdCrashGuard>,
) -> Status {
    let sink = log.sink();
    match run_inner(paths, config, log, crash_guard).await {
        Ok(()) => Status::Ok,
        Err(e) => {
            crate::daemon::logging::fatal(sink, &explained(&e));
            Status::Failure
        }
    }
}

/// A fatal error as the journal gets it: with its hint when it carries one.
fn explained(e: &anyhow::Error) -> String {
    match e.downcast_ref::<OpenError>() {
        Some(open) => open.explained(),
        None => format!("{e:#}"),
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
    let state = store.scheduler_state()?;
    let socket = control::bind(&paths.socket)?;
    let mut sigterm = signal(SignalKind::terminate()).context("installing SIGTERM handler")?;
    let mut sigint = signal(SignalKind::interrupt()).context("installing SIGINT handler")?;
    let mut sighup = signal(SignalKind::hangup()).context("installing SIGHUP handler")?;
    let mut timer = WallClockTimer::new().context("creating the wall-clock timer")?;

    let (git_tx, mut git_rx) = mpsc::unbounded_channel();
    let git = GitWatch::start_with(
        &config.repositories,
        &config.folders,
        &config.settings,
        git_tx,
        now,
    )
    .context("starting the repository watcher")?;
    let commit_batch = Debouncer::new(config.settings.commit_debounce);

    let events = EventBus::new();
    let (channel_reports, mut channel_rx) = mpsc::unbounded_channel::<FromChannel>();
    let mut reopen_timer = WallClockTimer::new().context("creating the snooze wall-clock timer")?;
    let (req_tx, mut req_rx) = mpsc::channel::<ControlRequest>(64);
    let (config_tx, mut config_rx) = mpsc::unbounded_channel();
    let (sync_tx, mut sync_rx) = mpsc::unbounded_channel();
    let mut config_watch = ConfigWatch::new(config_tx);
    // On defaults, no file was read: the first change to settle is read
    // only when a file is there.
    config_watch.known = config.source.is_none().then_some(None);
    let (mut away_rx, ask) = session::follow(session_bus()).await;
    let http_socket = control::bind(&paths.http_socket())?;
    let web = std::sync::Arc::new(http::Shared {
        requests: req_tx.clone(),
        events: events.clone(),
        paths: paths.clone(),
        clients: http::Clients::default(),
    });
    let http = tokio::spawn(http::serve(http_socket, web.clone()));
    let listen = config
        .web
        .listen
        .and_then(|addr| http::listen(addr, &paths))
        .map(|(listener, key)| tokio::spawn(http::serve_tcp(listener, key, web)));
    let server = tokio::spawn(control::serve(socket, req_tx, events.clone()));

    let mut daemon = Daemon {
        scheduling: Scheduling {
            schedule: Schedule::from_settings(&config.settings),
            state,
            next_due: None,
        },
        paths,
        config,
        log,
        store,
        events,
        commits: Commits {
            git,
            batch: commit_batch,
            unrecorded: Vec::new(),
            limit_retry: Retry::new(limit_retry::LIMIT_RETRY),
        },
        prompting: Prompting {
            channels: Vec::new(),
            reports: channel_reports,
            health: ChannelHealth::default(),
            next_reopen: None,
            held: None,
            held_since: None,
            away: AwayState::unasked(),
            ask,
            said: None,
        },
        health: Health {
            started: now,
            reload_error: None,
            last_reload: None,
            store: StoreHealth::default(),
        },
        dirty: Dirty::default(),
        config_watch,
        sync: SyncSender::new(sync_tx),
    };
    daemon.watch_config(false);
    // What the session said first (logged), before anything is shown.
    let away = away_rx.borrow().clone();
    daemon.on_away(away, now);
    // The channels, shown a prompt left open by the previous run; snoozes
    // that ended while the daemon was not running open at once.
    daemon.restart_channels(now);
    daemon.reopen_due(now);
    daemon.catch_up(now)?;
    daemon.run_scheduler(now)?;
    // Rows queued while the daemon was stopped, or left `sending` by a
    // run that ended mid-request (their marker is looked for first).
    daemon.sync_say_held();
    daemon.sync_config_changed(now);
    daemon.dirty.ready = true;
    daemon.publish(wall_now());
    let next_prompt = daemon
        .scheduling
        .next_due
        .map_or("none (paused)".to_string(), |t| t.to_rfc3339());
    tracing::info!(
        pid = std::process::id(),
        socket = %daemon.paths.socket.display(),
        next_prompt = %next_prompt,
        "devtrack started (PID {}), control socket `{}`, next prompt {next_prompt}",
        std::process::id(),
        daemon.paths.socket.display()
    );

    // Under launchd: a run that stays up this long was not a failed start.
    let mut healthy_at = crash_guard
        .as_ref()
        .map(|g| Instant::now() + g.healthy_after());
    // As an interval ticks: the first ping at once, then one every
    // `every` from there (a late one does not move the next).
    let watchdog_every = readiness::watchdog_interval();
    let mut watchdog_at = watchdog_every.map(|_| Instant::now());

    loop {
        limit_retry::follow(
            &mut daemon.commits.limit_retry,
            daemon.commits.git.waits_for_limit(),
            Instant::now(),
        );
        let limit_deadline = daemon.commits.limit_retry.due();
        let commit_deadline = daemon.commits.batch.deadline();
        let idle_deadline = daemon.commits.git.idle_deadline().map(Instant::from_std);
        let store_retry = daemon.health.store.retry_at().map(Instant::from_std);
        let sync_due = daemon.sync.due;
        tokio::select! {
            _ = sigterm.recv() => { tracing::info!("SIGTERM received; stopping"); break; }
            _ = sigint.recv() => { tracing::info!("SIGINT received; stopping"); break; }
            _ = sighup.recv() => {
                tracing::info!("SIGHUP received; reloading configuration");
                // Logged, announced and in the status either way.
                let _ = daemon.reload(wall_now());
            }
            Some(req) = req_rx.recv() => {
                let reply = handlers::handle(&mut daemon, req.command, wall_now());
                let _ = req.reply.send(reply);
            }
            Some(msg) = git_rx.recv() => daemon.on_git_change(msg, wall_now()),
            Some(moved) = config_rx.recv() => daemon.on_config_seen(moved, Instant::now()),
            () = until(daemon.config_watch.settles_at) => daemon.config_settled(wall_now()),
            () = until(commit_deadline) => daemon.flush_commit_batch(wall_now()),
            () = until(idle_deadline) => {
                daemon.commits.git.close_idle(std::time::Instant::now());
                footprint::release_free();
            }
            () = until(store_retry) => daemon.retry_store(wall_now()),
            () = until(limit_deadline) => daemon.retry_limited(wall_now()),
            Some(report) = sync_rx.recv() => daemon.on_sync_report(report, wall_now()),
            () = until(sync_due) => daemon.sync_kick(wall_now()),
            wake = wallclock::wait_for(&mut timer, daemon.scheduling.next_due) => daemon.on_wake(wake, wall_now()),
            Some(report) = channel_rx.recv() => daemon.on_channel_report(report, wall_now()),
            Ok(()) = away_rx.changed() => {
                let away = away_rx.borrow_and_update().clone();
                daemon.on_away(away, wall_now());
            }
            _ = wallclock::wait_for(&mut reopen_timer, daemon.prompting.next_reopen) => daemon.reopen_due(wall_now()),
            () = until(healthy_at) => {
                healthy_at = None;
                if let Some(g) = &crash_guard {
                    g.record_healthy();
                }
            }
            () = until(watchdog_at) => {
                watchdog_at = watchdog_at.zip(watchdog_every).map(|(at, every)| at + every);
                daemon.watchdog_tick();
            }
        }
        // What the branch changed goes out once: the status line, the
        // snooze deadline.
        daemon.publish(wall_now());
    }

    readiness::stopping();
    if let Some(g) = &crash_guard {
        // A requested stop is not a failure.
        g.record_healthy();
    }
    daemon.events.publish(wall_now(), EventBody::Stopping);
    // The notification on screen goes with the daemon.
    daemon.stop_channels().await;
    // Aborting the server drops the listener, which removes the socket file.
    server.abort();
    http.abort();
    let _ = server.await;
    let _ = http.await;
    if let Some(listen) = listen {
        listen.abort();
        let _ = listen.await;
    }
    drop(daemon);
    tracing::info!("devtrack stopped");
    Ok(())
}

/// The session bus the daemon's desktop channel uses too, for the screen
/// saver and the notification server's do not disturb.
#[cfg(target_os = "linux")]
fn session_bus() -> Option<String> {
    let address = std::env::var("DBUS_SESSION_BUS_ADDRESS").ok();
    let runtime = std::env::var_os("XDG_RUNTIME_DIR").map(std::path::PathBuf::from);
    crate::daemon::prompts::desktop::session_bus(address.as_deref(), runtime.as_deref())
        .map(|b| b.address)
}

#[cfg(not(target_os = "linux"))]
fn session_bus() -> Option<String> {
    None
}

/// The wall clock at the store's precision (milliseconds), so what the
/// daemon holds in memory is exactly what a restart reads back.
fn wall_now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

impl Daemon {
    /// Reaching the watchdog branch proves the loop runs; the watcher
    /// must still read events too, or systemd should restart us.
    fn watchdog_tick(&self) {
        if self.commits.git.is_alive() {
            readiness::watchdog();
        } else {
            tracing::error!("the repository watcher stopped; withholding the watchdog ping");
        }
    }
}
