//! The repositories the daemon watches: created with libgit2 in-process
//! (hundreds per second), and committed to in-process, so a commit is
//! complete, reflog included, the moment `Repository::commit` returns.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use git2::{Repository, RepositoryInitOptions, Signature};

pub const AUTHOR_NAME: &str = "Bench Mark";
pub const AUTHOR_EMAIL: &str = "bench@example.com";

pub fn name(i: usize) -> String {
    format!("r{i:04}")
}

/// `n` repositories under `dir`, each with one commit on `main`.
pub fn create(dir: &Path, n: usize) -> Result<Vec<PathBuf>> {
    (0..n)
        .map(|i| {
            let path = dir.join(name(i));
            init(&path).with_context(|| format!("creating repository `{}`", path.display()))?;
            Ok(path)
        })
        .collect()
}

fn init(path: &Path) -> Result<()> {
    let mut opts = RepositoryInitOptions::new();
    opts.initial_head("main");
    let repo = Repository::init_opts(path, &opts)?;
    let sig = signature()?;
    let blob = repo.blob(b"hello\n")?;
    let mut tree = repo.treebuilder(None)?;
    tree.insert("README", blob, 0o100644)?;
    let tree = repo.find_tree(tree.write()?)?;
    repo.commit(Some("HEAD"), &sig, &sig, "first", &tree, &[])?;
    Ok(())
}

fn signature() -> Result<Signature<'static>> {
    Ok(Signature::now(AUTHOR_NAME, AUTHOR_EMAIL)?)
}

/// One commit made by [`commit`].
pub struct Made {
    pub hash: String,
    /// Just before `Repository::commit` was called.
    pub start: Instant,
    /// When `Repository::commit` returned: the reflog line is written.
    pub done: Instant,
    /// How long the `Repository::commit` call itself took.
    pub took: Duration,
}

/// Commits a change of `bench.txt` to the current branch of `path`,
/// the way `git commit` does (objects, branch ref, HEAD and branch reflogs).
pub fn commit(path: &Path, seq: u64) -> Result<Made> {
    let repo = Repository::open(path).with_context(|| format!("opening `{}`", path.display()))?;
    let parent = repo.head()?.peel_to_commit()?;
    let blob = repo.blob(format!("change {seq}\n").as_bytes())?;
    let mut tree = repo.treebuilder(Some(&parent.tree()?))?;
    tree.insert("bench.txt", blob, 0o100644)?;
    let tree = repo.find_tree(tree.write()?)?;
    let sig = signature()?;
    let message = format!("bench change {seq}");
    let start = Instant::now();
    let oid = repo.commit(Some("HEAD"), &sig, &sig, &message, &tree, &[&parent])?;
    let done = Instant::now();
    Ok(Made {
        hash: oid.to_string(),
        start,
        done,
        took: done - start,
    })
}

/// A small deterministic generator (xorshift64*): which repository gets
/// the next commit, reproducible from run to run.
pub struct Pick(u64);

impl Pick {
    pub fn new(seed: u64) -> Pick {
        Pick(seed.max(1))
    }

    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }
}

/// The config listing `repos` (see README): prompts far apart so no timer
/// fires during a run; commits by the bench author count as own work; the
/// config file watched (the default, spelled out: the idle row is with it).
pub fn config_yaml(repos: &[PathBuf]) -> String {
    let mut y = String::from("version: 1.0.0\nrepositories:\n");
    for (i, p) in repos.iter().enumerate() {
        let _ = writeln!(
            y,
            "  - {{name: {}, path: \"{}\", enabled: true, project: Bench}}",
            name(i),
            p.display()
        );
    }
    let _ = write!(
        y,
        "settings:\n  prompt_interval: 1440\n  work_hours_only: false\n  timezone: UTC\n  \
         log_level: info\n  commit_triggers: own\n  authors: [{AUTHOR_EMAIL}]\n  \
         watch_config: true\n"
    );
    y
}

/// Self-checks, run when the bench binary starts without `--bench`.
pub fn checks() {
    let mut pick = Pick::new(7);
    let mut seen = [0usize; 10];
    for _ in 0..10_000 {
        seen[pick.below(10)] += 1;
    }
    assert!(seen.iter().all(|&c| c > 800), "{seen:?}");
    assert_eq!(name(7), "r0007");
    let yaml = config_yaml(&[PathBuf::from("/tmp/x/r0000")]);
    assert!(yaml.contains("{name: r0000, path: \"/tmp/x/r0000\""));
    assert!(yaml.contains("authors: [bench@example.com]"));
}
