//! Hostile config files through the real binary: `devtrack config check`
//! and `devtrack run` each exit 78 with the file, line and column and a
//! specific message, never panic, and stay within a time and memory bound
//! (measured per process). The hostile cases themselves are the loader's
//! own table (tests/config.rs); here they go through the CLI end to end.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::figure;
use super::measure::{mib, run_measured, Measured};
use crate::util::{text, Env};

/// Far above what a refused config takes; a process still running then has
/// hung (killed, and the test fails).
const TIME_BOUND: Duration = Duration::from_secs(20);
/// Peak RSS allowed for refusing a config (the binary alone is a few MiB).
const RSS_BOUND_MIB: u64 = 64;

/// What one case must produce on stderr, besides exit 78.
struct Case {
    name: String,
    file: PathBuf,
    /// `FILE:LINE:COLUMN` (or `FILE:` without a position) and the message.
    wants: Vec<String>,
}

fn cases(env: &Env) -> Vec<Case> {
    let dir = env.dir.path().join("configs");
    std::fs::create_dir_all(&dir).unwrap();
    let write = |index: usize, bytes: &[u8]| {
        let file = dir.join(format!("case{index}.yaml"));
        std::fs::write(&file, bytes).unwrap();
        file
    };
    let mut cases: Vec<Case> = crate::config::hostile_cases()
        .into_iter()
        .enumerate()
        .map(|(i, (name, bytes, key, line, column, message, hint))| {
            let file = write(i, &bytes);
            let mut wants = vec![format!("{}:{line}:{column}: ", file.display())];
            if !key.is_empty() {
                wants.push(format!("{key}: "));
            }
            wants.push(message.to_owned());
            wants.extend(hint.map(str::to_owned));
            Case {
                name: name.to_owned(),
                file,
                wants,
            }
        })
        .collect();
    let line = b"  - {name: r, path: /r}\n";
    let mut big = b"repositories:\n".to_vec();
    while big.len() < 10 << 20 {
        big.extend_from_slice(line);
    }
    let size_limit = "over the 1 MiB size limit for a config file";
    for (name, file) in [
        ("10 MiB file", write(cases.len(), &big)),
        ("endless file (/dev/zero)", PathBuf::from("/dev/zero")),
    ] {
        cases.push(Case {
            name: name.to_owned(),
            wants: vec![format!("{}: {size_limit}", file.display())],
            file,
        });
    }
    cases
}

fn check(env: &Env, file: &Path) -> Measured {
    let mut cmd = env.cmd(["config", "check"]);
    cmd.arg(file);
    run_measured(&mut cmd, TIME_BOUND)
}

fn run(env: &Env, file: &Path) -> Measured {
    let mut cmd = env.cmd(["--config"]);
    cmd.arg(file).arg("run");
    run_measured(&mut cmd, TIME_BOUND)
}

#[test]
fn hostile_configs_exit_78_with_a_position_in_bounded_time_and_memory() {
    let env = Env::new();
    let mut failures = Vec::new();
    let cases = cases(&env);
    for case in &cases {
        let mut worst_wall = Duration::ZERO;
        let mut worst_rss = 0;
        for (how, measured) in [
            ("config check", check(&env, &case.file)),
            ("run", run(&env, &case.file)),
        ] {
            let out = &measured.out;
            let stderr = String::from_utf8_lossy(&out.stderr);
            if out.status.code() != Some(78) {
                failures.push(format!("{}: {how}: not exit 78: {}", case.name, text(out)));
            }
            if stderr.contains("panicked") {
                failures.push(format!("{}: {how}: panicked: {stderr}", case.name));
            }
            for want in &case.wants {
                if !stderr.contains(want.as_str()) {
                    failures.push(format!("{}: {how}: no `{want}` in: {stderr}", case.name));
                }
            }
            worst_wall = worst_wall.max(measured.wall);
            worst_rss = worst_rss.max(measured.max_rss_kib);
        }
        if mib(worst_rss) > RSS_BOUND_MIB {
            failures.push(format!(
                "{}: peak RSS {} MiB over {RSS_BOUND_MIB} MiB",
                case.name,
                mib(worst_rss)
            ));
        }
        figure(
            "config::hostile_configs",
            &format!("`config check` and `run` on a config: {}", case.name),
            2,
            &format!(
                "exit 78 naming the file, position and message; slowest {} ms, peak RSS {} MiB (bounds: {} s, {RSS_BOUND_MIB} MiB)",
                worst_wall.as_millis(),
                mib(worst_rss),
                TIME_BOUND.as_secs()
            ),
        );
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn a_bom_and_crlf_line_ends_load() {
    let env = Env::new();
    let yaml = "settings:\n  prompt_interval: 45\n  log_level: debug\n";
    let mut failures = Vec::new();
    for (name, bytes) in [
        ("UTF-8 BOM", format!("\u{feff}{yaml}")),
        ("CRLF line ends", yaml.replace('\n', "\r\n")),
        (
            "BOM and CRLF",
            format!("\u{feff}{}", yaml.replace('\n', "\r\n")),
        ),
    ] {
        let file = env.dir.path().join("ok.yaml");
        std::fs::write(&file, bytes).unwrap();
        let measured = check(&env, &file);
        let out = &measured.out;
        let said = String::from_utf8_lossy(&out.stdout);
        if out.status.code() != Some(0) || !said.contains("45") {
            failures.push(format!("{name}: {}", text(out)));
        }
        figure(
            "config::bom_and_crlf",
            &format!("`config check` on a valid config with {name}"),
            1,
            &format!(
                "loads; {} ms, peak RSS {} MiB",
                measured.wall.as_millis(),
                mib(measured.max_rss_kib)
            ),
        );
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
