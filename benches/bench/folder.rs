//! A folder searched for repositories (`discover: true`): `repos`
//! repositories and about `dirs` other directories within `depth: 3`.
//! Start-up to `READY=1` (the whole folder walked and every directory
//! watched), memory after start, the idle cost, and a repository created
//! in the folder while the daemon runs to its `repo` event saying it is
//! watched.
//!
//! Layout: `d<i>/` at level 1 (one per 20 repositories), `d<i>/e<j>/` at
//! level 2 (one per repository), each holding the repository `r` and
//! plain directories `p<k>/` at level 3 (looked into for a `.git`, one
//! watch each).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::Serialize;

use super::client::Control;
use super::measure::{idle_cost, ready_starts, Idle};
use super::procfs::{self, Memory};
use super::repos;
use super::sandbox::Sandbox;
use super::stats::{summarize, Summary};

/// What to measure.
#[derive(Debug, Clone)]
pub struct Plan {
    pub repos: usize,
    /// Other directories wanted (the layout rounds it).
    pub dirs: usize,
    pub starts: usize,
    pub idle: Duration,
    pub clones: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct FolderSet {
    pub repos: usize,
    /// Other directories within the depth (the folder itself included).
    pub dirs: usize,
    pub ready: Summary,
    pub memory_after_start: Memory,
    pub idle: Idle,
    pub memory_after_idle: Memory,
    /// Creating a repository (directory, then libgit2's init and first
    /// commit) to its `repo` event with `state: watching`.
    pub clone_to_watched: Summary,
    /// The watches `status` reports.
    pub watches: u64,
}

/// How many directories of each level the layout has for `plan`:
/// (level 1, level 2, plain ones per level-2 directory).
pub fn shape(repos: usize, dirs: usize) -> (usize, usize, usize) {
    let top = repos.div_ceil(20).max(1);
    let mid = repos.max(1);
    let leaves = dirs.saturating_sub(1 + top + mid).div_ceil(mid);
    (top, mid, leaves)
}

fn create(root: &Path, plan: &Plan) -> Result<usize> {
    let (top, mid, leaves) = shape(plan.repos, plan.dirs);
    let mut made = 1;
    for j in 0..mid {
        let level2 = root.join(format!("d{}/e{j}", j % top));
        std::fs::create_dir_all(&level2)
            .with_context(|| format!("creating `{}`", level2.display()))?;
        for k in 0..leaves {
            std::fs::create_dir(level2.join(format!("p{k}")))?;
        }
        made += leaves + 1;
        repos::create(&level2, 1)?;
    }
    Ok(made + top)
}

fn config(root: &Path) -> String {
    repos::config_yaml(&[]).replace(
        "repositories:\n",
        &format!(
            "repositories:\n  - {{path: \"{}\", discover: true, depth: 3, project: Bench}}\n",
            root.display()
        ),
    )
}

pub fn run(plan: &Plan) -> Result<FolderSet> {
    let sandbox = Sandbox::new()?;
    let root = sandbox.repos.join("src");
    eprintln!(
        "bench: folder: creating {} repositories and about {} directories",
        plan.repos, plan.dirs
    );
    let dirs = create(&root, plan)?;
    sandbox.write_config(&config(&root))?;

    eprintln!("bench: folder: {} starts to READY=1", plan.starts);
    let ready = ready_starts(&sandbox, plan.starts)?;

    let (daemon, _) = sandbox.start()?;
    daemon.wait_started()?;
    let memory_after_start = procfs::memory(daemon.pid)?;
    let status = Control::connect(&sandbox.socket())?.reply(super::client::STATUS)?;
    let watches = status["status"]["watches"].as_u64().unwrap_or(0);
    let found = status["status"]["folders"][0]["repositories"]
        .as_u64()
        .unwrap_or(0);
    anyhow::ensure!(
        found == plan.repos as u64,
        "the folder offered {found} repositories, not {}",
        plan.repos
    );
    eprintln!("bench: folder: idle for {} s", plan.idle.as_secs());
    let idle = idle_cost(&daemon, plan.idle)?;
    let memory_after_idle = procfs::memory(daemon.pid)?;

    eprintln!(
        "bench: folder: {} repositories created while it runs",
        plan.clones
    );
    let mut events = Control::connect(&sandbox.socket())?.subscribe()?;
    let mut took = Vec::with_capacity(plan.clones);
    for i in 0..plan.clones {
        let parent: PathBuf = root.join(format!("d0/new{i}"));
        let start = Instant::now();
        std::fs::create_dir_all(&parent)?;
        repos::create(&parent, 1)?;
        let name = format!("d0/new{i}/{}", repos::name(0));
        let at = events
            .wait_repo_watching(&name)
            .map_err(|e| e.context(daemon.log_tail()))?;
        took.push(at.saturating_duration_since(start));
    }
    drop(events);
    daemon.stop()?;
    Ok(FolderSet {
        repos: plan.repos,
        dirs,
        ready,
        memory_after_start,
        idle,
        memory_after_idle,
        clone_to_watched: summarize(&took).context("no clones")?,
        watches,
    })
}

/// Self-checks, run when the bench binary starts without `--bench`.
pub fn checks() {
    assert_eq!(shape(1_000, 50_000), (50, 1_000, 49));
    assert_eq!(shape(100, 5_000), (5, 100, 49));
    assert!(config(Path::new("/x/src")).contains("{path: \"/x/src\", discover: true, depth: 3"));
}
