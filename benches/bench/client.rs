//! A minimal client of the control socket (docs/protocol.md): one request
//! line, one response line; and an event subscriber that stamps each
//! `commit` and `trigger` event with its arrival time on a reader thread.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::sandbox::SAFETY;

pub const STATUS: &str = "{\"v\":1,\"cmd\":\"status\"}\n";
pub const RELOAD: &str = "{\"v\":1,\"cmd\":\"reload\"}\n";
const SUBSCRIBE: &str = "{\"v\":1,\"cmd\":\"subscribe\"}\n";

pub struct Control {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
    line: String,
}

impl Control {
    /// Connects and reads the hello line.
    pub fn connect(socket: &Path) -> Result<Control> {
        let stream = UnixStream::connect(socket)
            .with_context(|| format!("connecting to `{}`", socket.display()))?;
        stream.set_read_timeout(Some(SAFETY))?;
        let writer = stream.try_clone()?;
        let mut c = Control {
            reader: BufReader::with_capacity(1 << 16, stream),
            writer,
            line: String::new(),
        };
        c.read_line().context("reading the hello line")?;
        if !c.line.contains("\"hello\"") {
            bail!("expected a hello line, got `{}`", c.line.trim_end());
        }
        Ok(c)
    }

    fn read_line(&mut self) -> Result<()> {
        self.line.clear();
        if self.reader.read_line(&mut self.line)? == 0 {
            bail!("the daemon closed the connection");
        }
        Ok(())
    }

    /// Sends `request` (a full line) and reads the reply line; returns the
    /// round trip. The reply is checked after the clock stopped, and only
    /// for `"ok":true`, so parsing a large status does not count.
    pub fn round_trip(&mut self, request: &str) -> Result<Duration> {
        let start = Instant::now();
        self.writer.write_all(request.as_bytes())?;
        self.read_line()?;
        let took = start.elapsed();
        if !self.line.starts_with("{\"v\":1,\"ok\":true") {
            bail!(
                "`{}` failed: {}",
                request.trim_end(),
                self.line.chars().take(400).collect::<String>()
            );
        }
        Ok(took)
    }

    /// Sends `request` (a full line) and returns the reply, parsed.
    pub fn reply(&mut self, request: &str) -> Result<serde_json::Value> {
        self.writer.write_all(request.as_bytes())?;
        self.read_line()?;
        Ok(serde_json::from_str(&self.line)?)
    }

    /// Turns this connection into an event stream.
    pub fn subscribe(mut self) -> Result<Subscription> {
        self.writer.write_all(SUBSCRIBE.as_bytes())?;
        self.read_line()?;
        if !self.line.contains("\"ok\":true") {
            bail!("subscribing failed: {}", self.line.trim_end());
        }
        // Events may be far apart (the idle window): no read timeout on the
        // reader thread; it ends when the daemon closes the connection.
        self.reader.get_ref().set_read_timeout(None)?;
        let (tx, rx) = mpsc::channel();
        let mut reader = self.reader;
        std::thread::spawn(move || {
            let mut line = String::new();
            loop {
                line.clear();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                let at = Instant::now();
                let seen = match commit_hash(&line) {
                    Some(hash) => Seen::Commit(hash),
                    None if is_trigger(&line) => Seen::Trigger,
                    None => match watching_repo(&line) {
                        Some(name) => Seen::Watching(name),
                        None => continue,
                    },
                };
                if tx.send((seen, at)).is_err() {
                    break;
                }
            }
        });
        Ok(Subscription {
            events: rx,
            early: HashMap::new(),
            triggers: Vec::new(),
            _writer: self.writer,
        })
    }
}

/// An event the subscriber reports.
enum Seen {
    Commit(String),
    Trigger,
    /// A `repo` event saying the repository is watched.
    Watching(String),
}

/// The name of the repository a `repo` event says is watched now.
pub fn watching_repo(line: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    if v["event"] != "repo" || v["repo"]["state"] != "watching" {
        return None;
    }
    v["repo"]["name"].as_str().map(str::to_string)
}

/// Whether `line` is a `trigger` event.
pub fn is_trigger(line: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(line).is_ok_and(|v| v["event"] == "trigger")
}

/// The hash of a `commit` event line; `None` for other lines.
pub fn commit_hash(line: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    if v["event"] != "commit" {
        return None;
    }
    v["commit"]["hash"].as_str().map(str::to_string)
}

pub struct Subscription {
    events: Receiver<(Seen, Instant)>,
    /// Commit events that arrived while waiting for another hash.
    early: HashMap<String, Instant>,
    /// When trigger events arrived, in order.
    triggers: Vec<Instant>,
    _writer: UnixStream,
}

impl Subscription {
    /// When the `commit` event for `hash` arrived.
    pub fn wait_commit(&mut self, hash: &str) -> Result<Instant> {
        if let Some(at) = self.early.remove(hash) {
            return Ok(at);
        }
        let deadline = Instant::now() + SAFETY;
        loop {
            match self.next(deadline, &format!("`commit` event for `{hash}`"))? {
                (Seen::Commit(h), at) if h == hash => return Ok(at),
                (seen, at) => self.keep(seen, at),
            }
        }
    }

    /// When the first `trigger` event that arrived after `after` did.
    pub fn wait_trigger_after(&mut self, after: Instant) -> Result<Instant> {
        if let Some(&at) = self.triggers.iter().find(|&&t| t > after) {
            return Ok(at);
        }
        let deadline = Instant::now() + SAFETY;
        loop {
            match self.next(deadline, "`trigger` event")? {
                (Seen::Trigger, at) if at > after => return Ok(at),
                (seen, at) => self.keep(seen, at),
            }
        }
    }

    /// When the `repo` event saying `name` is watched arrived.
    pub fn wait_repo_watching(&mut self, name: &str) -> Result<Instant> {
        let deadline = Instant::now() + SAFETY;
        loop {
            match self.next(deadline, &format!("`repo` event for `{name}`"))? {
                (Seen::Watching(n), at) if n == name => return Ok(at),
                (seen, at) => self.keep(seen, at),
            }
        }
    }

    /// The next event, unless `deadline` passes first.
    fn next(&mut self, deadline: Instant, what: &str) -> Result<(Seen, Instant)> {
        let left = deadline.saturating_duration_since(Instant::now());
        self.events
            .recv_timeout(left)
            .map_err(|_| anyhow::anyhow!("no {what} within {SAFETY:?}"))
    }

    /// Keeps an event that came while waiting for another.
    fn keep(&mut self, seen: Seen, at: Instant) {
        match seen {
            Seen::Commit(h) => {
                self.early.insert(h, at);
            }
            Seen::Trigger => self.triggers.push(at),
            Seen::Watching(_) => {}
        }
    }
}

/// Self-checks, run when the bench binary starts without `--bench`.
pub fn checks() {
    let line = r#"{"v":1,"at":"2026-01-01T00:00:00Z","event":"commit","commit":{"repo":"r","hash":"abc"}}"#;
    assert_eq!(commit_hash(line).as_deref(), Some("abc"));
    let other = r#"{"v":1,"at":"2026-01-01T00:00:00Z","event":"trigger","trigger":{"id":1}}"#;
    assert_eq!(commit_hash(other), None);
    assert!(is_trigger(other) && !is_trigger(line));
    assert_eq!(commit_hash("not json"), None);
    let repo = r#"{"v":1,"at":"2026-01-01T00:00:00Z","event":"repo","repo":{"name":"a/b","state":"watching"}}"#;
    assert_eq!(watching_repo(repo).as_deref(), Some("a/b"));
    assert_eq!(watching_repo(line), None);
}
