//! The measurements of one repository count: start-up, idle cost, commit to
//! event latency, memory (after 1,000 commits, and with one repository
//! also after 2,000 and 10,000, to show whether it grows with every
//! commit), control-socket and reload round trips, all against one real
//! daemon process over its real interfaces.

use std::path::Path;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::Serialize;

use super::client::{self, Control};
use super::procfs::{self, Memory};
use super::repos::{self, Pick};
use super::sandbox::{Daemon, Sandbox};
use super::stats::{summarize, Summary};

/// What to measure for one repository count.
#[derive(Debug, Clone)]
pub struct Plan {
    pub repos: usize,
    pub ready_starts: usize,
    /// `None`: no idle window for this count.
    pub idle: Option<Duration>,
    pub latency_samples: usize,
    /// Commits in all (the latency samples included).
    pub commits: usize,
    /// After how many commits memory is read (ascending; the last is
    /// `commits`).
    pub memory_at: Vec<usize>,
    /// Control socket and reload figures.
    pub socket: bool,
    pub status_sequential: usize,
    pub clients: usize,
    pub requests_per_client: usize,
    pub reloads: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Idle {
    pub window_secs: f64,
    pub context_switches: u64,
    pub per_minute: f64,
    pub threads: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Concurrent {
    pub clients: usize,
    pub requests: usize,
    pub latency: Summary,
    pub throughput_per_sec: f64,
}

/// Memory after a number of commits.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Checkpoint {
    pub commits: usize,
    pub memory: Memory,
}

#[derive(Debug, Clone, Serialize)]
pub struct RepoSet {
    pub repos: usize,
    pub ready: Summary,
    pub memory_after_start: Memory,
    pub idle: Option<Idle>,
    /// From just before `Repository::commit` was called to the event's
    /// arrival: an upper bound (it includes libgit2 writing the objects, the
    /// ref and both reflogs); the figure the targets apply to.
    pub commit_to_event: Summary,
    /// From `Repository::commit`'s return to the event's arrival: a lower
    /// bound (libgit2 appends the HEAD reflog before it returns, so the
    /// event may come first; those samples count as 0).
    pub return_to_event: Summary,
    /// How long libgit2's `Repository::commit` call itself took.
    pub commit_call: Summary,
    /// Events that arrived before `Repository::commit` returned (counted as 0).
    pub events_before_return: usize,
    pub commits: usize,
    /// Memory after each of the plan's `memory_at` commit counts.
    pub memory_at: Vec<Checkpoint>,
    pub status_sequential: Option<Summary>,
    pub status_concurrent: Option<Concurrent>,
    pub reload: Option<Summary>,
}

fn progress(repos: usize, what: &str) {
    eprintln!("bench: {repos} repo(s): {what}");
}

pub fn run(plan: &Plan) -> Result<RepoSet> {
    let n = plan.repos;
    let sandbox = Sandbox::new()?;
    progress(n, "creating repositories");
    let paths = repos::create(&sandbox.repos, n)?;
    sandbox.write_config(&repos::config_yaml(&paths))?;

    progress(n, &format!("{} starts to READY=1", plan.ready_starts));
    let ready = ready_starts(&sandbox, plan.ready_starts)?;

    let (daemon, _) = sandbox.start()?;
    daemon.wait_started()?;
    let memory_after_start = procfs::memory(daemon.pid)?;

    let idle = match plan.idle {
        Some(window) => {
            progress(n, &format!("idle for {} s", window.as_secs()));
            Some(idle_cost(&daemon, window)?)
        }
        None => None,
    };

    progress(n, &format!("{} commits", plan.commits));
    let socket = sandbox.socket();
    let mut events = Control::connect(&socket)?.subscribe()?;
    let mut pick = Pick::new(0x5EED ^ n as u64);
    let mut latencies = Vec::with_capacity(plan.latency_samples);
    let mut after_return = Vec::with_capacity(plan.latency_samples);
    let mut calls = Vec::with_capacity(plan.commits);
    let mut early = 0;
    let mut memory_at = Vec::with_capacity(plan.memory_at.len());
    for seq in 0..plan.commits {
        let path = &paths[pick.below(n)];
        let made = repos::commit(path, seq as u64)?;
        let arrived = events
            .wait_commit(&made.hash)
            .with_context(|| format!("waiting for commit {seq} in `{}`", path.display()))
            .map_err(|e| e.context(daemon.log_tail()))?;
        calls.push(made.took);
        if seq < plan.latency_samples {
            if arrived < made.done {
                early += 1;
            }
            latencies.push(arrived.saturating_duration_since(made.start));
            after_return.push(arrived.saturating_duration_since(made.done));
        }
        if plan.memory_at.contains(&(seq + 1)) {
            memory_at.push(Checkpoint {
                commits: seq + 1,
                memory: procfs::memory(daemon.pid)?,
            });
        }
    }

    let (status_sequential, status_concurrent, reload) = if plan.socket {
        progress(n, "control socket round trips");
        let seq = sequential(&socket, client::STATUS, plan.status_sequential)?;
        let conc = concurrent(&socket, plan.clients, plan.requests_per_client)?;
        progress(n, "reloads");
        let rel = sequential(&socket, client::RELOAD, plan.reloads)?;
        (Some(seq), Some(conc), Some(rel))
    } else {
        (None, None, None)
    };
    drop(events);
    daemon.stop()?;

    Ok(RepoSet {
        repos: n,
        ready,
        memory_after_start,
        idle,
        commit_to_event: summarize(&latencies).context("no latency samples")?,
        return_to_event: summarize(&after_return).context("no latency samples")?,
        commit_call: summarize(&calls).context("no commits")?,
        events_before_return: early,
        commits: plan.commits,
        memory_at,
        status_sequential,
        status_concurrent,
        reload,
    })
}

/// `count` starts of the daemon in `sandbox`, each to `READY=1` and
/// stopped.
pub fn ready_starts(sandbox: &Sandbox, count: usize) -> Result<Summary> {
    let mut starts = Vec::with_capacity(count);
    for _ in 0..count {
        let (daemon, took) = sandbox.start()?;
        starts.push(took);
        daemon.stop()?;
    }
    summarize(&starts).context("no starts")
}

/// How long the daemon is left alone before the window opens: each of its
/// threads still has to go to sleep after start-up (one voluntary switch
/// each), and that transition is not idle cost.
const SETTLE: Duration = Duration::from_secs(1);

/// Context switches of all the daemon's threads over `window` of nothing
/// happening. The wait is deliberate: it is what is measured.
pub fn idle_cost(daemon: &Daemon, window: Duration) -> Result<Idle> {
    std::thread::sleep(SETTLE);
    let before = procfs::context_switches(daemon.pid)?;
    let start = Instant::now();
    std::thread::sleep(window);
    let after = procfs::context_switches(daemon.pid)?;
    let secs = start.elapsed().as_secs_f64();
    let switches = after.saturating_sub(before);
    Ok(Idle {
        window_secs: secs,
        context_switches: switches,
        per_minute: switches as f64 * 60.0 / secs,
        threads: procfs::threads(daemon.pid)?,
    })
}

fn sequential(socket: &Path, request: &str, count: usize) -> Result<Summary> {
    let mut c = Control::connect(socket)?;
    let samples = (0..count)
        .map(|_| c.round_trip(request))
        .collect::<Result<Vec<_>>>()?;
    summarize(&samples).context("no round trips")
}

/// `clients` connections at once, each sending `each` status requests as
/// fast as the replies come.
fn concurrent(socket: &Path, clients: usize, each: usize) -> Result<Concurrent> {
    let barrier = Arc::new(Barrier::new(clients + 1));
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let socket = socket.to_path_buf();
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || -> Result<Vec<Duration>> {
                let connected = Control::connect(&socket);
                barrier.wait();
                let mut c = connected?;
                (0..each).map(|_| c.round_trip(client::STATUS)).collect()
            })
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    let mut all = Vec::with_capacity(clients * each);
    for w in workers {
        all.extend(
            w.join()
                .map_err(|_| anyhow::anyhow!("a client thread panicked"))??,
        );
    }
    let wall = start.elapsed().as_secs_f64();
    Ok(Concurrent {
        clients,
        requests: all.len(),
        latency: summarize(&all).context("no round trips")?,
        throughput_per_sec: all.len() as f64 / wall,
    })
}

impl RepoSet {
    /// Memory after `commits` commits, if it was read then.
    pub fn memory_after(&self, commits: usize) -> Option<&Memory> {
        self.memory_at
            .iter()
            .find(|c| c.commits == commits)
            .map(|c| &c.memory)
    }
}
