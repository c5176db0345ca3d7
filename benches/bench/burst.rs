//! A burst of commits made by `git cherry-pick`, one process after another
//! as a script or a rebase would, in a generated repository with a
//! realistic tree (hundreds of files in nested directories, a few changed
//! per commit): the daemon's CPU time for the burst against git's own for
//! the same commits, and how long after the last `git` returned its
//! commit was stored (its event arrived; the daemon stores a commit
//! before announcing it).
//!
//! git's CPU time is that of the finished children of the bench (each
//! `git cherry-pick` is waited for); the daemon's is `utime + stime` of
//! all its threads from `/proc`, from just before the first pick until
//! the burst's commit trigger arrived, so it covers everything the burst
//! made the daemon do. CPU times on a shared machine vary by tens of
//! percent from run to run, so the burst is run [`ROUNDS`] times, each in
//! a new repository with a new daemon, and the median is reported.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use git2::{Oid, Repository, RepositoryInitOptions, Signature};
use serde::Serialize;

use super::client::Control;
use super::procfs;
use super::repos::{self, Pick, AUTHOR_EMAIL, AUTHOR_NAME};
use super::sandbox::Sandbox;
use super::stats::millis;

/// Files of the generated tree: `src/m<a>/s<b>/f<c>.rs`.
const TOP: usize = 12;
const SUB: usize = 4;
const FILES_PER_DIR: usize = 10;
const LINES: usize = 40;
/// Files each commit of the burst changes.
const CHANGED: usize = 3;
/// Bursts measured; the median is reported.
pub const ROUNDS: usize = 3;

#[derive(Debug, Clone, Serialize)]
pub struct Burst {
    pub commits: usize,
    pub files: usize,
    pub rounds: Vec<Round>,
}

/// One burst, in its own repository and daemon.
#[derive(Debug, Clone, Serialize)]
pub struct Round {
    pub git_cpu_secs: f64,
    pub daemon_cpu_secs: f64,
    /// Per thread of the daemon (by name), over the same window.
    pub daemon_threads: Vec<(String, f64)>,
    /// Voluntary and involuntary context switches of all the daemon's
    /// threads over the same window: how often it woke up.
    pub daemon_switches: u64,
    /// From the last `git cherry-pick`'s exit to its commit's event; 0 when
    /// the event came first.
    pub stored_after_ms: f64,
}

impl Round {
    pub fn ratio(&self) -> f64 {
        self.daemon_cpu_secs / self.git_cpu_secs.max(f64::EPSILON)
    }
}

impl Burst {
    /// The round with the median daemon CPU / git CPU.
    pub fn median(&self) -> &Round {
        let mut by_ratio: Vec<&Round> = self.rounds.iter().collect();
        by_ratio.sort_by(|a, b| a.ratio().total_cmp(&b.ratio()));
        by_ratio[by_ratio.len() / 2]
    }

    /// The lowest and highest daemon CPU / git CPU of the rounds.
    pub fn ratio_range(&self) -> (f64, f64) {
        let ratios = self.rounds.iter().map(Round::ratio);
        let lo = ratios.clone().fold(f64::INFINITY, f64::min);
        (lo, ratios.fold(0.0, f64::max))
    }

    /// The longest time from git's return to the last commit's event.
    pub fn worst_stored_after_ms(&self) -> f64 {
        self.rounds
            .iter()
            .map(|r| r.stored_after_ms)
            .fold(0.0, f64::max)
    }
}

/// A directory of the generated tree, with its tree id once written.
#[derive(Default)]
struct Dir {
    files: BTreeMap<String, (Oid, Vec<String>)>,
    dirs: BTreeMap<String, Dir>,
    written: Option<Oid>,
}

impl Dir {
    fn file_mut(&mut self, path: &[&str]) -> &mut (Oid, Vec<String>) {
        self.written = None;
        match path {
            [name] => self.files.get_mut(*name).expect("generated file"),
            [dir, rest @ ..] => self
                .dirs
                .get_mut(*dir)
                .expect("generated dir")
                .file_mut(rest),
            [] => unreachable!("empty path"),
        }
    }

    fn insert(&mut self, path: &[&str], blob: Oid, lines: Vec<String>) {
        self.written = None;
        match path {
            [name] => {
                self.files.insert(name.to_string(), (blob, lines));
            }
            [dir, rest @ ..] => self
                .dirs
                .entry(dir.to_string())
                .or_default()
                .insert(rest, blob, lines),
            [] => unreachable!("empty path"),
        }
    }

    /// Writes what changed since the last write; returns the tree's id.
    fn write(&mut self, repo: &Repository) -> Result<Oid> {
        if let Some(id) = self.written {
            return Ok(id);
        }
        let mut tb = repo.treebuilder(None)?;
        for (name, (blob, _)) in &self.files {
            tb.insert(name, *blob, 0o100644)?;
        }
        for (name, dir) in &mut self.dirs {
            tb.insert(name, dir.write(repo)?, 0o040000)?;
        }
        let id = tb.write()?;
        self.written = Some(id);
        Ok(id)
    }
}

fn file_path(i: usize) -> String {
    let (dir, c) = (i / FILES_PER_DIR, i % FILES_PER_DIR);
    format!("src/m{}/s{}/f{c}.rs", dir / SUB, dir % SUB)
}

fn text(lines: &[String]) -> String {
    lines.concat()
}

/// The repository at `path`: `main` with the whole tree checked out, and a
/// branch `topic` of `commits` commits on top of it, each changing
/// [`CHANGED`] files (a line rewritten, one added). Returns the topic
/// commits, oldest first.
fn generate(path: &Path, commits: usize) -> Result<Vec<Oid>> {
    let mut opts = RepositoryInitOptions::new();
    opts.initial_head("main");
    let repo = Repository::init_opts(path, &opts)?;
    {
        let mut cfg = repo.config()?;
        cfg.set_str("user.name", AUTHOR_NAME)?;
        cfg.set_str("user.email", AUTHOR_EMAIL)?;
        // No automatic gc in the middle of the burst: it would rewrite
        // the reflog, which the daemon then reads again from the start.
        cfg.set_i32("gc.auto", 0)?;
        cfg.set_bool("maintenance.auto", false)?;
    }
    let sig = Signature::now(AUTHOR_NAME, AUTHOR_EMAIL)?;
    let files = TOP * SUB * FILES_PER_DIR;
    let mut root = Dir::default();
    for i in 0..files {
        let lines: Vec<String> = (0..LINES)
            .map(|l| format!("// {} line {l}\n", file_path(i)))
            .collect();
        let blob = repo.blob(text(&lines).as_bytes())?;
        let path = file_path(i);
        root.insert(&path.split('/').collect::<Vec<_>>(), blob, lines);
    }
    let tree = repo.find_tree(root.write(&repo)?)?;
    let base = repo.commit(Some("HEAD"), &sig, &sig, "base", &tree, &[])?;
    repo.checkout_head(Some(git2::build::CheckoutBuilder::new().force()))?;

    let mut pick = Pick::new(0xB0257);
    let mut parent = repo.find_commit(base)?;
    let mut topic = Vec::with_capacity(commits);
    for n in 0..commits {
        for k in 0..CHANGED {
            let path = file_path(pick.below(files));
            let parts: Vec<&str> = path.split('/').collect();
            let (blob, lines) = root.file_mut(&parts);
            let at = pick.below(lines.len());
            lines[at] = format!("// change {n}.{k}\n");
            lines.push(format!("// added by change {n}.{k}\n"));
            *blob = repo.blob(text(lines).as_bytes())?;
        }
        let tree = repo.find_tree(root.write(&repo)?)?;
        let id = repo.commit(
            Some("refs/heads/topic"),
            &sig,
            &sig,
            &format!("change {n}"),
            &tree,
            &[&parent],
        )?;
        parent = repo.find_commit(id)?;
        topic.push(id);
    }
    Ok(topic)
}

/// `git cherry-pick <commit>` in `repo`, in the sandbox's environment.
fn cherry_pick(sandbox: &Sandbox, repo: &Path, commit: Oid) -> Result<()> {
    let status = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["cherry-pick", &commit.to_string()])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &sandbox.home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .context("running `git cherry-pick` (is git installed?)")?;
    if !status.success() {
        bail!(
            "`git cherry-pick {commit}` in `{}`: {status}",
            repo.display()
        );
    }
    Ok(())
}

pub fn run(commits: usize) -> Result<Burst> {
    let rounds = (0..ROUNDS)
        .map(|i| {
            eprintln!("bench: burst {} of {ROUNDS}", i + 1);
            round(commits)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Burst {
        commits,
        files: TOP * SUB * FILES_PER_DIR,
        rounds,
    })
}

fn round(commits: usize) -> Result<Round> {
    let sandbox = Sandbox::new()?;
    let path: PathBuf = sandbox.repos.join("burst");
    eprintln!("bench: burst: generating a repository with {commits} commits to pick");
    let topic = generate(&path, commits)?;
    sandbox.write_config(&repos::config_yaml(std::slice::from_ref(&path)))?;
    let (daemon, _) = sandbox.start()?;
    daemon.wait_started()?;
    let mut events = Control::connect(&sandbox.socket())?.subscribe()?;

    eprintln!("bench: burst: {commits} × git cherry-pick");
    let git_before = procfs::children_cpu_secs();
    let daemon_before = procfs::cpu_secs(daemon.pid)?;
    let threads_before = procfs::thread_cpu_secs(daemon.pid)?;
    let switches_before = procfs::context_switches(daemon.pid)?;
    let mut returned = Instant::now();
    for &commit in &topic {
        cherry_pick(&sandbox, &path, commit)?;
        returned = Instant::now();
    }
    let git_cpu_secs = procfs::children_cpu_secs() - git_before;
    let head = Repository::open(&path)?.head()?.peel_to_commit()?.id();
    let arrived = events
        .wait_commit(&head.to_string())
        .map_err(|e| e.context(daemon.log_tail()))?;
    events
        .wait_trigger_after(arrived)
        .map_err(|e| e.context(daemon.log_tail()))?;
    let daemon_cpu_secs = procfs::cpu_secs(daemon.pid)? - daemon_before;
    let daemon_switches = procfs::context_switches(daemon.pid)?.saturating_sub(switches_before);
    let daemon_threads = procfs::thread_cpu_secs(daemon.pid)?
        .into_iter()
        .map(|(name, secs)| {
            let before = threads_before
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(0.0, |(_, s)| *s);
            (name, secs - before)
        })
        .collect();
    drop(events);
    daemon.stop()?;
    Ok(Round {
        git_cpu_secs,
        daemon_cpu_secs,
        daemon_threads,
        daemon_switches,
        stored_after_ms: millis(arrived.saturating_duration_since(returned)),
    })
}

/// Self-checks, run when the bench binary starts without `--bench`.
pub fn checks() {
    assert_eq!(file_path(0), "src/m0/s0/f0.rs");
    assert_eq!(file_path(FILES_PER_DIR * SUB + 3), "src/m1/s0/f3.rs");
    let last = TOP * SUB * FILES_PER_DIR - 1;
    assert_eq!(
        file_path(last),
        format!("src/m{}/s{}/f9.rs", TOP - 1, SUB - 1)
    );
    let round = |daemon: f64, stored: f64| Round {
        git_cpu_secs: 2.0,
        daemon_cpu_secs: daemon,
        daemon_threads: Vec::new(),
        daemon_switches: 0,
        stored_after_ms: stored,
    };
    let b = Burst {
        commits: 10,
        files: 1,
        rounds: vec![round(0.3, 1.0), round(0.1, 7.0), round(0.2, 3.0)],
    };
    assert!((b.median().ratio() - 0.1).abs() < 1e-9);
    let (lo, hi) = b.ratio_range();
    assert!((lo - 0.05).abs() < 1e-9 && (hi - 0.15).abs() < 1e-9);
    assert_eq!(b.worst_stored_after_ms(), 7.0);
}
