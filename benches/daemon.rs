//! `cargo bench --bench daemon [-- --quick | --full] [folder | web]`: how fast a commit
//! becomes an event, what the daemon costs while it waits, how that grows
//! with the number of repositories and with the number of commits, and what
//! a burst of commits costs next to git's own work. Drives the real release binary
//! as a separate process, prints a Markdown table (each figure next to its
//! target) and writes `<target dir>/bench/results.json`.
//!
//! Exits non-zero only when a measurement could not be made (the daemon did
//! not start, an event never came); a missed target is a result, not a
//! failure. Started without `--bench` (`cargo test --bench daemon`) it runs
//! the self-checks of its pure helpers instead. With the filter `folder` it
//! measures only the folder searched for repositories, and writes
//! `<target dir>/bench/folder.json`; with `web`, only the status page's
//! rows (printed). See docs/performance.md.

// A binary with no public API: `pub` here only shares helpers between its
// modules, so the library's `unreachable_pub` (Cargo.toml) does not apply.
#![allow(unreachable_pub)]

mod bench;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use serde::Serialize;

use bench::burst::Burst;
use bench::folder::FolderSet;
use bench::machine::Machine;
use bench::measure::{Checkpoint, Plan, RepoSet};
use bench::report::{mib, number, Row};
use bench::stats::{summarize, Summary};

const FLOOR_SAMPLES: usize = 200;
const HISTORY_ROWS: usize = 100_000;
const HISTORY_RUNS: usize = 10;
/// Memory is read after this many commits in every repository set.
const MEMORY_COMMITS: usize = 1_000;
/// Memory growth is judged from here to the last count of the set.
const GROWTH_FROM: usize = 2_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Self-checks only (`cargo test`).
    Check,
    Quick,
    Full,
}

/// `cargo bench` passes `--bench`; `cargo test --bench daemon` does not
/// (it may pass libtest options, which are ignored).
fn mode(args: &[String]) -> Mode {
    if args.iter().any(|a| a == "--quick") {
        Mode::Quick
    } else if args.iter().any(|a| a == "--full" || a == "--bench") {
        Mode::Full
    } else {
        Mode::Check
    }
}

fn plans(mode: Mode) -> Vec<Plan> {
    let idle = Duration::from_secs(if mode == Mode::Quick { 30 } else { 60 });
    // One repository also shows whether memory grows with every commit.
    let growth = match mode {
        Mode::Quick => vec![MEMORY_COMMITS, GROWTH_FROM, 4_000],
        _ => vec![MEMORY_COMMITS, GROWTH_FROM, 10_000],
    };
    let plan = |repos: usize, whole: bool| Plan {
        repos,
        ready_starts: 10,
        idle: whole.then_some(idle),
        latency_samples: 200,
        commits: if repos == 1 {
            growth[2]
        } else {
            MEMORY_COMMITS
        },
        memory_at: if repos == 1 {
            growth.clone()
        } else {
            vec![MEMORY_COMMITS]
        },
        socket: whole,
        status_sequential: 2_000,
        clients: 100,
        requests_per_client: 20,
        reloads: 20,
    };
    match mode {
        Mode::Check => Vec::new(),
        Mode::Quick => vec![plan(1, true), plan(100, true)],
        // 10 repositories only for the memory and start-up targets.
        Mode::Full => vec![
            plan(1, true),
            plan(10, false),
            plan(100, true),
            plan(1000, true),
        ],
    }
}

#[derive(Debug, Serialize)]
struct History {
    rows: usize,
    triggers: Summary,
    commits: Summary,
}

/// Commits in the `git cherry-pick` burst.
fn burst_commits(mode: Mode) -> usize {
    if mode == Mode::Quick {
        300
    } else {
        1_000
    }
}

/// The folder searched for repositories: 1,000 repositories and 50,000
/// other directories within `depth: 3` (a tenth of both with `--quick`).
fn folder_plan(mode: Mode) -> bench::folder::Plan {
    let quick = mode == Mode::Quick;
    bench::folder::Plan {
        repos: if quick { 100 } else { 1_000 },
        dirs: if quick { 5_000 } else { 50_000 },
        starts: if quick { 3 } else { 5 },
        idle: Duration::from_secs(if quick { 20 } else { 60 }),
        clones: if quick { 10 } else { 20 },
    }
}

/// The folder's figures, the targets for the full set.
fn folder_rows(f: &FolderSet) -> Vec<Row> {
    let n = Some(f.repos);
    let what = format!("folder, {} other dirs:", count(f.dirs));
    let full = f.repos >= 1_000;
    let row = |figure: &str, value: f64, unit: &str, limit: f64| {
        let figure = format!("{what} {figure}");
        if full {
            Row::at_most(&figure, n, value, unit, limit)
        } else {
            Row::info(
                &figure,
                n,
                format!("{} {unit}", number(value)).trim_end().to_string(),
            )
        }
    };
    vec![
        row("exec→READY=1 p50", f.ready.p50_ms, "ms", 2_000.0),
        row(
            "RssAnon after start",
            mib(f.memory_after_start.rss_anon_kib),
            "MiB",
            16.0,
        ),
        row("idle context switches / min", f.idle.per_minute, "", 0.0),
        Row::info(
            &format!("{what} RssAnon after the idle window"),
            n,
            format!("{} MiB", number(mib(f.memory_after_idle.rss_anon_kib))),
        ),
        row(
            "new repository → watched max",
            f.clone_to_watched.max_ms,
            "ms",
            1_000.0,
        ),
        Row::info(
            &format!("{what} new repository → watched p50"),
            n,
            format!("{} ms", number(f.clone_to_watched.p50_ms)),
        ),
        Row::info(
            &format!("{what} inotify watches"),
            n,
            count(f.watches as usize),
        ),
    ]
}

/// `--quick folder`: the folder's figures only.
fn measure_folder(mode: Mode) -> Result<()> {
    let set = bench::folder::run(&folder_plan(mode))?;
    let table = folder_rows(&set);
    print!("{}", bench::report::table(&table));
    let path = results_path().with_file_name("folder.json");
    std::fs::create_dir_all(path.parent().expect("results path has a parent"))?;
    let json = serde_json::json!({ "folder": set, "table": table });
    std::fs::write(&path, serde_json::to_string_pretty(&json)? + "\n")
        .with_context(|| format!("writing `{}`", path.display()))?;
    println!("\nresults: {}", path.display());
    Ok(())
}

/// The status page's rows alone (`cargo bench --bench daemon -- web`).
fn measure_web(mode: Mode) -> Result<()> {
    let table = [page_rows()?, web_rows(mode)?].concat();
    print!("{}", bench::report::table(&table));
    Ok(())
}

#[derive(Debug, Serialize)]
struct Results {
    mode: &'static str,
    machine: Machine,
    floor: Summary,
    repo_sets: Vec<RepoSet>,
    folder: FolderSet,
    burst: Burst,
    history: History,
    binary_bytes: u64,
    table: Vec<Row>,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = mode(&args);
    if mode == Mode::Check {
        self_checks();
        println!("bench self-checks passed (run `cargo bench --bench daemon` to measure)");
        return ExitCode::SUCCESS;
    }
    let filter = args.iter().find(|a| !a.starts_with('-'));
    let measured = match filter.map(String::as_str) {
        None => measure(mode),
        Some("folder") => measure_folder(mode),
        Some("web") => measure_web(mode),
        Some(other) => Err(anyhow::anyhow!(
            "unknown filter `{other}` (there are `folder` and `web`)"
        )),
    };
    match measured {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: measurement failed: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn self_checks() {
    assert_eq!(mode(&["--test-threads=2".into()]), Mode::Check);
    assert_eq!(mode(&["--bench".into()]), Mode::Full);
    assert_eq!(mode(&["--bench".into(), "--quick".into()]), Mode::Quick);
    assert_eq!(
        plans(Mode::Quick)
            .iter()
            .map(|p| p.repos)
            .collect::<Vec<_>>(),
        [1, 100]
    );
    for mode in [Mode::Quick, Mode::Full] {
        for p in plans(mode) {
            assert_eq!(p.memory_at.last(), Some(&p.commits));
            assert!(p.memory_at.contains(&MEMORY_COMMITS));
            assert!(p.memory_at.windows(2).all(|w| w[0] < w[1]));
        }
    }
    assert_eq!(plans(Mode::Full)[0].commits, 10_000);
    assert_eq!(
        [count(300), count(1_000), count(10_000)],
        ["300", "1,000", "10,000"]
    );
    growth_checks();
    bench::stats::checks();
    bench::report::checks();
    bench::procfs::checks();
    bench::machine::checks();
    bench::repos::checks();
    bench::client::checks();
    bench::burst::checks();
    bench::folder::checks();
    assert_eq!(folder_plan(Mode::Full).dirs, 50_000);
}

fn measure(mode: Mode) -> Result<()> {
    let machine = bench::machine::describe();
    eprintln!("bench: inotify floor ({FLOOR_SAMPLES} samples)");
    let floor = summarize(&bench::floor::measure(FLOOR_SAMPLES)?).context("no floor samples")?;

    let mut repo_sets = Vec::new();
    for plan in plans(mode) {
        repo_sets.push(bench::measure::run(&plan)?);
    }

    let folder = bench::folder::run(&folder_plan(mode))?;
    let burst = bench::burst::run(burst_commits(mode))?;

    eprintln!("bench: history over {HISTORY_ROWS} triggers and {HISTORY_ROWS} commits");
    let history = history()?;
    let binary_bytes = std::fs::metadata(bench::sandbox::binary())
        .context("reading the release binary's size")?
        .len();

    let table = [
        rows(&floor, &repo_sets, &burst, &history, binary_bytes),
        folder_rows(&folder),
        vec![report_row()?, note_row()?],
        page_rows()?,
        web_rows(mode)?,
        notify_rows(mode)?,
    ]
    .concat();
    let results = Results {
        mode: if mode == Mode::Quick { "quick" } else { "full" },
        machine,
        floor,
        repo_sets,
        folder,
        burst,
        history,
        binary_bytes,
        table,
    };
    println!(
        "\n{} ({} CPUs, {} MiB, Linux {})\n",
        results.machine.cpu_model,
        results.machine.cpus,
        results.machine.memory_mib,
        results.machine.kernel
    );
    print!("{}", bench::report::table(&results.table));
    let path = results_path();
    std::fs::create_dir_all(path.parent().expect("results path has a parent"))?;
    std::fs::write(&path, serde_json::to_string_pretty(&results)? + "\n")
        .with_context(|| format!("writing `{}`", path.display()))?;
    println!("\nresults: {}", path.display());
    Ok(())
}

/// `$CARGO_TARGET_DIR/bench/results.json`, else `target/bench/results.json`
/// in the package.
fn results_path() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("bench/results.json")
}

fn history() -> Result<History> {
    let sandbox = bench::sandbox::Sandbox::new()?;
    bench::history::fill(&sandbox, HISTORY_ROWS)?;
    let time = |args: &[&str]| -> Result<Summary> {
        summarize(&bench::history::time_command(&sandbox, args, HISTORY_RUNS)?)
            .context("no history runs")
    };
    Ok(History {
        rows: HISTORY_ROWS,
        triggers: time(&["history", "--since", "30d"])?,
        commits: time(&["history", "--commits", "--since", "30d"])?,
    })
}

/// `devtrack report --since 365d` as a whole command over a year of data
/// (10 prompts, 10 answers and 30 commits a day).
fn report_row() -> Result<Row> {
    use bench::standup::{COMMITS_PER_DAY, DAYS, PROMPTS_PER_DAY};
    eprintln!("bench: report over {DAYS} days of prompts, answers and commits");
    let sandbox = bench::sandbox::Sandbox::new()?;
    bench::standup::fill(&sandbox)?;
    let runs =
        bench::history::time_command(&sandbox, &["report", "--since", "365d"], HISTORY_RUNS)?;
    let took = summarize(&runs).context("no report runs")?;
    Ok(Row::at_most(
        &format!(
            "`report --since 365d` ({} prompts and answers, {} commits)",
            number((DAYS * PROMPTS_PER_DAY) as f64),
            number((DAYS * COMMITS_PER_DAY) as f64)
        ),
        None,
        took.p50_ms,
        "ms",
        100.0,
    ))
}

/// The status page for a day of 200 commits and 20 prompts, rendered
/// server side (model and HTML), p99 of 50 renders; and its size.
fn page_rows() -> Result<Vec<Row>> {
    use bench::page::{COMMITS, PROMPTS};
    eprintln!("bench: status page for {COMMITS} commits and {PROMPTS} prompts");
    let (runs, size) = bench::page::measure(50)?;
    let took = summarize(&runs).context("no page renders")?;
    Ok(vec![
        Row::at_most(
            &format!("status page rendered ({COMMITS} commits, {PROMPTS} prompts) p99"),
            None,
            took.p99_ms,
            "ms",
            20.0,
        ),
        Row::at_most(
            "status page size (same day), with its script and style",
            None,
            (size + devtrack::web::page::SCRIPT.len() + devtrack::web::page::STYLE.len()) as f64
                / 1024.0,
            "KiB",
            100.0,
        ),
    ])
}

/// The HTTP side against a daemon watching ten repositories: commit →
/// Server-Sent Event, idle wake-ups and memory with the HTTP socket open
/// and no client, what it keeps once clients left (the binary's size is
/// the table's own row; its growth is in docs/design.md).
fn web_rows(mode: Mode) -> Result<Vec<Row>> {
    let (samples, idle) = match mode {
        Mode::Quick => (50, Duration::from_secs(20)),
        _ => (200, Duration::from_secs(60)),
    };
    let w = bench::web::run(samples, Some(idle))?;
    let n = Some(w.repos);
    let mut rows = vec![
        Row::info(
            "commit → SSE message (`/api/events`) p50",
            n,
            format!("{} ms", number(w.commit_to_sse.p50_ms)),
        ),
        Row::at_most(
            "commit → SSE message (`/api/events`) p99",
            n,
            w.commit_to_sse.p99_ms,
            "ms",
            50.0,
        ),
        Row::at_most(
            "RssAnon kept by the HTTP side (50 page loads, then no client)",
            n,
            mib(w.rss_anon_kept_by_pages_kib().max(0) as u64),
            "MiB",
            1.0,
        ),
        Row::info(
            &format!(
                "RssAnon added by an event stream carrying {samples} commits (stored by the run loop), then no client"
            ),
            n,
            format!("{} MiB", number(w.rss_anon_kept_by_stream_kib() as f64 / 1024.0)),
        ),
        Row::info(
            "VmRSS idle, HTTP socket open, no client",
            n,
            format!(
                "{} MiB (RssAnon {} MiB)",
                number(mib(w.memory_idle.rss_kib)),
                number(mib(w.memory_idle.rss_anon_kib))
            ),
        ),
    ];
    if let Some(idle) = &w.idle {
        rows.push(Row::at_most(
            "idle context switches, HTTP socket open, no client",
            n,
            idle.context_switches as f64,
            "",
            0.0,
        ));
    }
    Ok(rows)
}

/// A trigger on the control socket to the `Notify` a notification server
/// receives from the desktop channel, p50 and p99.
fn notify_rows(mode: Mode) -> Result<Vec<Row>> {
    let samples = if mode == Mode::Quick { 50 } else { 200 };
    eprintln!("bench: trigger → Notify ({samples} prompts, private session bus)");
    let took = summarize(&bench::notify::measure(samples)?).context("no Notify samples")?;
    Ok(vec![
        Row::info(
            "trigger → Notify (desktop channel) p50",
            None,
            format!("{} ms", number(took.p50_ms)),
        ),
        Row::at_most(
            "trigger → Notify (desktop channel) p99",
            None,
            took.p99_ms,
            "ms",
            10.0,
        ),
    ])
}

/// `devtrack note TEXT` as a whole command, process spawn to exit, against
/// a running daemon: the answer is stored (one transaction) before the
/// reply, so this is what a person waits for.
fn note_row() -> Result<Row> {
    eprintln!("bench: `devtrack note` round trip ({HISTORY_RUNS} runs)");
    let sandbox = bench::sandbox::Sandbox::new()?;
    sandbox.write_config("repositories: []\nsettings: {timezone: UTC}\n")?;
    let (_daemon, _) = sandbox.start()?;
    let runs = bench::history::time_command(
        &sandbox,
        &["note", "bench: reviewed the parser change"],
        HISTORY_RUNS,
    )?;
    let took = summarize(&runs).context("no note runs")?;
    Ok(Row::at_most(
        "`note` round trip p50 (whole command)",
        None,
        took.p50_ms,
        "ms",
        20.0,
    ))
}

/// Every figure, with its target where the project set one.
fn rows(
    floor: &Summary,
    sets: &[RepoSet],
    burst: &Burst,
    history: &History,
    binary_bytes: u64,
) -> Vec<Row> {
    let mut rows = vec![
        Row::info(
            "inotify floor p50",
            None,
            format!("{} ms", number(floor.p50_ms)),
        ),
        Row::info(
            "inotify floor p99",
            None,
            format!("{} ms", number(floor.p99_ms)),
        ),
    ];
    for s in sets {
        let n = Some(s.repos);
        let lat = &s.commit_to_event;
        rows.push(Row::info(
            "commit→event p50",
            n,
            format!("{} ms", number(lat.p50_ms)),
        ));
        let ratio = lat.p99_ms / floor.p99_ms;
        rows.push(match s.repos {
            1 => Row {
                figure: "commit→event p99".into(),
                repos: n,
                measured: format!("{} ms ({}× floor)", number(lat.p99_ms), number(ratio)),
                target: "≤ 20 ms and ≤ 2× floor".into(),
                met: Some(lat.p99_ms <= 20.0 && ratio <= 2.0),
            },
            1000 => Row::at_most("commit→event p99", n, lat.p99_ms, "ms", 100.0),
            _ => Row::info(
                "commit→event p99",
                n,
                format!("{} ms ({}× floor)", number(lat.p99_ms), number(ratio)),
            ),
        });
        rows.push(Row::info(
            "commit() return→event p50 / p99",
            n,
            format!(
                "{} / {} ms ({} of {} before the return)",
                number(s.return_to_event.p50_ms),
                number(s.return_to_event.p99_ms),
                s.events_before_return,
                s.return_to_event.samples
            ),
        ));
        rows.push(Row::info(
            "libgit2 commit() call p50",
            n,
            format!("{} ms", number(s.commit_call.p50_ms)),
        ));
        rows.push(match s.repos {
            10 => Row::at_most("exec→READY=1 p50", n, s.ready.p50_ms, "ms", 30.0),
            1000 => Row::at_most("exec→READY=1 p50", n, s.ready.p50_ms, "ms", 500.0),
            _ => Row::info(
                "exec→READY=1 p50",
                n,
                format!("{} ms", number(s.ready.p50_ms)),
            ),
        });
        if let Some(idle) = &s.idle {
            rows.push(Row::at_most(
                "idle context switches / min (watch_config on)",
                n,
                idle.per_minute,
                "",
                1.0,
            ));
        }
        let rss_limit = match s.repos {
            10 => Some(8.0),
            1000 => Some(32.0),
            _ => None,
        };
        let after_1k = s.memory_after(MEMORY_COMMITS).copied();
        let after_1k = after_1k.unwrap_or(s.memory_after_start);
        for (figure, kib) in [
            ("VmRSS after start", s.memory_after_start.rss_kib),
            ("VmRSS after 1,000 commits", after_1k.rss_kib),
        ] {
            rows.push(match rss_limit {
                Some(limit) => Row::at_most(figure, n, mib(kib), "MiB", limit),
                None => Row::info(figure, n, format!("{} MiB", number(mib(kib)))),
            });
        }
        rows.push(Row::info(
            "VmHWM / RssAnon / RssFile after 1,000 commits",
            n,
            format!(
                "{} / {} / {} MiB",
                number(mib(after_1k.hwm_kib)),
                number(mib(after_1k.rss_anon_kib)),
                number(mib(after_1k.rss_file_kib))
            ),
        ));
        rows.extend(growth_rows(s));
        if let Some(st) = &s.status_sequential {
            rows.push(Row::info(
                "status round trip p50",
                n,
                format!("{} ms", number(st.p50_ms)),
            ));
            rows.push(Row::at_most(
                "status round trip p99",
                n,
                st.p99_ms,
                "ms",
                2.0,
            ));
        }
        if let Some(c) = &s.status_concurrent {
            rows.push(Row::info(
                &format!("status, {} concurrent clients p50 / p99", c.clients),
                n,
                format!(
                    "{} / {} ms, {} req/s",
                    number(c.latency.p50_ms),
                    number(c.latency.p99_ms),
                    number(c.throughput_per_sec)
                ),
            ));
        }
        if let Some(r) = &s.reload {
            rows.push(Row::at_most(
                "reload round trip p50",
                n,
                r.p50_ms,
                "ms",
                30.0,
            ));
        }
    }
    rows.extend(burst_rows(burst));
    rows.push(Row::at_most(
        "`history --since 30d` (100k rows)",
        None,
        history.triggers.p50_ms,
        "ms",
        50.0,
    ));
    rows.push(Row::at_most(
        "`history --commits --since 30d` (100k rows)",
        None,
        history.commits.p50_ms,
        "ms",
        50.0,
    ));
    rows.push(Row::info(
        "binary size",
        None,
        format!("{} MiB", number(binary_bytes as f64 / (1024.0 * 1024.0))),
    ));
    rows
}

/// `1,000`, `10,000`: counts as the table writes them.
fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Memory after each count of commits in one repository, and its growth
/// (targets: RssAnon grows by at most 1 MiB from 2,000 commits to the
/// last count, VmRSS after the last count is at most 10 MiB).
fn growth_rows(s: &RepoSet) -> Vec<Row> {
    let (Some(first), Some(last)) = (s.memory_at.first(), s.memory_at.last()) else {
        return Vec::new();
    };
    if s.memory_at.len() < 2 {
        return Vec::new();
    }
    let n = Some(s.repos);
    let mut rows: Vec<Row> = s.memory_at[1..]
        .iter()
        .map(|c| {
            Row::info(
                &format!("VmRSS / RssAnon after {} commits", count(c.commits)),
                n,
                format!(
                    "{} / {} MiB",
                    number(mib(c.memory.rss_kib)),
                    number(mib(c.memory.rss_anon_kib))
                ),
            )
        })
        .collect();
    let grown = |from: &Checkpoint| mib(last.memory.rss_anon_kib) - mib(from.memory.rss_anon_kib);
    rows.push(Row::info(
        &format!(
            "RssAnon growth {} → {} commits",
            count(first.commits),
            count(last.commits)
        ),
        n,
        format!("{} MiB", number(grown(first))),
    ));
    if let Some(from) = s.memory_at.iter().find(|c| c.commits == GROWTH_FROM) {
        rows.push(Row::at_most(
            &format!(
                "RssAnon growth {} → {} commits",
                count(from.commits),
                count(last.commits)
            ),
            n,
            grown(from),
            "MiB",
            1.0,
        ));
    }
    rows.push(Row::at_most(
        &format!("VmRSS after {} commits", count(last.commits)),
        n,
        mib(last.memory.rss_kib),
        "MiB",
        10.0,
    ));
    rows
}

/// The `git cherry-pick` bursts (targets: the daemon's CPU at most a
/// tenth of git's, in the median round; the last commit stored within
/// 50 ms of git's return, in every round).
fn burst_rows(b: &Burst) -> Vec<Row> {
    let n = Some(1);
    let what = format!("burst of {} cherry-picks", count(b.commits));
    let m = b.median();
    let ratio = m.ratio();
    let (lo, hi) = b.ratio_range();
    let per_commit = |secs: f64| number(secs * 1000.0 / b.commits.max(1) as f64);
    let threads: Vec<String> = m
        .daemon_threads
        .iter()
        .filter(|(_, secs)| *secs > 0.0)
        .map(|(name, secs)| format!("{name} {}", per_commit(*secs)))
        .collect();
    vec![
        Row {
            figure: format!(
                "{what}: daemon CPU / git CPU (median of {})",
                b.rounds.len()
            ),
            repos: n,
            measured: format!(
                "{} ({} s / {} s; rounds {}–{})",
                number(ratio),
                number(m.daemon_cpu_secs),
                number(m.git_cpu_secs),
                number(lo),
                number(hi)
            ),
            target: "≤ 0.10".into(),
            met: Some(ratio <= 0.10),
        },
        Row::info(
            &format!("{what}: daemon CPU per commit, by thread"),
            n,
            format!(
                "{} ms ({} ms)",
                per_commit(m.daemon_cpu_secs),
                threads.join(" ms, ")
            ),
        ),
        Row::info(
            &format!("{what}: daemon context switches per commit"),
            n,
            number(m.daemon_switches as f64 / b.commits.max(1) as f64),
        ),
        Row::at_most(
            &format!("{what}: last commit stored after git returned (worst round)"),
            n,
            b.worst_stored_after_ms(),
            "ms",
            50.0,
        ),
    ]
}

fn growth_checks() {
    use bench::procfs::Memory;
    let mem = |rss_mib: u64, anon_mib: u64| Memory {
        rss_kib: rss_mib * 1024,
        hwm_kib: rss_mib * 1024,
        rss_anon_kib: anon_mib * 1024,
        rss_file_kib: (rss_mib - anon_mib) * 1024,
    };
    let summary = summarize(&[Duration::from_millis(1)]).unwrap();
    let set = RepoSet {
        repos: 1,
        ready: summary,
        memory_after_start: mem(8, 1),
        idle: None,
        commit_to_event: summary,
        return_to_event: summary,
        commit_call: summary,
        events_before_return: 0,
        commits: 10_000,
        memory_at: [(1_000, mem(9, 2)), (2_000, mem(9, 2)), (10_000, mem(11, 4))]
            .map(|(commits, memory)| Checkpoint { commits, memory })
            .to_vec(),
        status_sequential: None,
        status_concurrent: None,
        reload: None,
    };
    let rows = growth_rows(&set);
    let find = |f: &str| rows.iter().find(|r| r.figure == f).unwrap();
    assert_eq!(
        find("RssAnon growth 1,000 → 10,000 commits").measured,
        "2.00 MiB"
    );
    let judged = find("RssAnon growth 2,000 → 10,000 commits");
    assert_eq!(judged.met, Some(false));
    assert_eq!(find("VmRSS after 10,000 commits").met, Some(false));
    assert_eq!(
        find("VmRSS / RssAnon after 2,000 commits").measured,
        "9.00 / 2.00 MiB"
    );
    assert!(growth_rows(&RepoSet {
        memory_at: set.memory_at[..1].to_vec(),
        ..set.clone()
    })
    .is_empty());
}
