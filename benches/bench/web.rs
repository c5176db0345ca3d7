//! The status page's HTTP side against a real daemon watching ten
//! repositories: its resident memory idle with the HTTP socket open and no
//! client, the wake-ups over an idle window with that socket open, what the
//! HTTP side keeps (`RssAnon`) once page loads came and went, what the
//! daemon keeps once an event stream carried commits, and commit →
//! Server-Sent Event latency on `/api/events`.
//!
//! The two memory figures are taken apart because the commits are not the
//! HTTP side's cost: storing them grows the run loop's store connection
//! and libgit2's memory whether a client listens or not.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde::Serialize;

use super::measure::{idle_cost, Idle};
use super::procfs::{self, Memory};
use super::repos::{self, Pick};
use super::sandbox::Sandbox;
use super::stats::{summarize, Summary};

pub const REPOS: usize = 10;
/// Page loads before `RssAnon` is read again.
const PAGE_LOADS: usize = 50;
const SAFETY: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Serialize)]
pub struct WebFigures {
    pub repos: usize,
    /// Idle, the HTTP socket open, no client.
    pub memory_idle: Memory,
    pub idle: Option<Idle>,
    /// After `PAGE_LOADS` pages, every client gone (no commit made yet).
    pub memory_after_pages: Memory,
    /// Then after an event stream carrying the commits, every client gone.
    pub memory_after_clients: Memory,
    pub commit_to_sse: Summary,
}

impl WebFigures {
    /// `RssAnon` the HTTP side keeps once the page loads left, in KiB.
    pub fn rss_anon_kept_by_pages_kib(&self) -> i64 {
        self.memory_after_pages.rss_anon_kib as i64 - self.memory_idle.rss_anon_kib as i64
    }

    /// `RssAnon` added from then by the event stream and the commits it
    /// carried (stored by the run loop), once the stream left, in KiB.
    pub fn rss_anon_kept_by_stream_kib(&self) -> i64 {
        self.memory_after_clients.rss_anon_kib as i64 - self.memory_after_pages.rss_anon_kib as i64
    }
}

pub fn run(samples: usize, idle: Option<Duration>) -> Result<WebFigures> {
    let sandbox = Sandbox::new()?;
    eprintln!("bench: status page: {REPOS} repositories");
    let paths = repos::create(&sandbox.repos, REPOS)?;
    sandbox.write_config(&repos::config_yaml(&paths))?;
    let (daemon, _) = sandbox.start()?;
    daemon.wait_started()?;
    let http = sandbox.socket().with_file_name("http.sock");
    let idle = match idle {
        Some(window) => {
            eprintln!(
                "bench: status page: idle for {} s, no client",
                window.as_secs()
            );
            Some(idle_cost(&daemon, window)?)
        }
        None => None,
    };
    let memory_idle = procfs::memory(daemon.pid)?;

    eprintln!("bench: status page: {PAGE_LOADS} page loads");
    for _ in 0..PAGE_LOADS {
        let page = get(&http, "/")?;
        if !page.starts_with("HTTP/1.1 200") {
            bail!("the page failed: {}", page.lines().next().unwrap_or(""));
        }
    }
    // The daemon runs its connections on one thread: a request on a new
    // connection is answered once the last page's connection has ended,
    // the freed heap given back with it (docs/performance.md).
    get(&http, "/healthz")?;
    let memory_after_pages = procfs::memory(daemon.pid)?;

    eprintln!("bench: status page: commit → SSE ({samples} commits)");
    let stream = UnixStream::connect(&http).context("connecting to the HTTP socket")?;
    stream.set_read_timeout(Some(SAFETY))?;
    (&stream).write_all(b"GET /api/events HTTP/1.1\r\nHost: bench\r\n\r\n")?;
    let mut lines = BufReader::new(&stream).lines();
    wait_line(&mut lines, |l| l.contains(": subscribed"))?;
    let mut pick = Pick::new(0x5EE);
    let mut latencies = Vec::with_capacity(samples);
    for seq in 0..samples {
        let made = repos::commit(&paths[pick.below(REPOS)], seq as u64)?;
        let arrived = wait_line(&mut lines, |l| {
            l.starts_with("data: ") && l.contains(&made.hash)
        })
        .with_context(|| format!("waiting for commit {seq} on the event stream"))?;
        latencies.push(arrived.saturating_duration_since(made.start));
    }
    drop(lines);
    drop(stream);
    // Every client is gone: the daemon has closed its side when a request
    // on a new connection is answered after the stream's end was seen.
    get(&http, "/healthz")?;
    let memory_after_clients = procfs::memory(daemon.pid)?;
    daemon.stop()?;
    Ok(WebFigures {
        repos: REPOS,
        memory_idle,
        idle,
        memory_after_pages,
        memory_after_clients,
        commit_to_sse: summarize(&latencies).context("no SSE samples")?,
    })
}

/// A whole GET on the daemon's HTTP socket, `Connection: close`.
fn get(socket: &Path, path: &str) -> Result<String> {
    let mut s = UnixStream::connect(socket).context("connecting to the HTTP socket")?;
    s.set_read_timeout(Some(SAFETY))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"
    )?;
    let mut got = String::new();
    std::io::Read::read_to_string(&mut s, &mut got)?;
    Ok(got)
}

fn wait_line(
    lines: &mut impl Iterator<Item = std::io::Result<String>>,
    wanted: impl Fn(&str) -> bool,
) -> Result<Instant> {
    for line in lines {
        if wanted(&line?) {
            return Ok(Instant::now());
        }
    }
    bail!("the event stream ended")
}
