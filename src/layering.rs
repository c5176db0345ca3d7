//! The dependency rule between the crate's modules (docs/architecture.md),
//! checked against the sources.
//!
//! The rule: `cli` may use everything but of `daemon` only its entry point
//! `daemon::run`; `daemon` never uses `cli` or `report`; `report` never
//! uses `daemon`; what the CLI, the report and the daemon share (`store`,
//! `scheduler`, `instance`) uses neither `daemon` nor `cli`; `service`
//! never uses `daemon` or `cli`; `protocol` and `config` are leaves. A
//! `use` that breaks the rule fails these tests instead of slipping into
//! a review.

use std::path::{Path, PathBuf};

use crate::source_files::{rust_files, src_dir};

/// Each top-level module, the modules its sources must not name.
const FORBIDDEN: &[(&str, &[&str])] = &[
    (
        "config",
        &[
            "cli",
            "daemon",
            "instance",
            "protocol",
            "report",
            "scheduler",
            "service",
            "store",
        ],
    ),
    (
        "protocol",
        &[
            "cli",
            "daemon",
            "instance",
            "report",
            "scheduler",
            "service",
            "store",
        ],
    ),
    ("service", &["cli", "daemon", "report"]),
    ("daemon", &["cli", "report"]),
    ("report", &["cli", "daemon", "service"]),
    ("store", &["cli", "daemon", "report", "service"]),
    (
        "scheduler",
        &["cli", "daemon", "report", "service", "store"],
    ),
    ("instance", &["cli", "daemon", "report", "service", "store"]),
];

/// A module, a module it may name only through one item: the CLI starts
/// the daemon and uses nothing else of it.
const ONLY_THROUGH: &[(&str, &str, &str)] = &[("cli", "daemon", "run")];

/// The lines of `text` (1-based numbers) that name `crate::<module>`
/// outside comments, other than as `crate::<module>::<allowed>`.
fn naming_lines(text: &str, module: &str, allowed: Option<&str>) -> Vec<usize> {
    let needle = format!("crate::{module}");
    let is_name = |c: char| c.is_alphanumeric() || c == '_';
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim_start().starts_with("//"))
        .filter(|(_, line)| {
            line.match_indices(&needle).any(|(at, _)| {
                let rest = &line[at + needle.len()..];
                let through = allowed.and_then(|item| rest.strip_prefix("::")?.strip_prefix(item));
                !rest.starts_with(is_name) && through.is_none_or(|after| after.starts_with(is_name))
            })
        })
        .map(|(i, _)| i + 1)
        .collect()
}

/// The `.rs` files of the top-level module `module`.
fn module_files(src: &Path, module: &str) -> Vec<PathBuf> {
    let file = src.join(format!("{module}.rs"));
    if file.is_file() {
        vec![file]
    } else {
        rust_files(&src.join(module))
    }
}

#[test]
fn naming_finds_uses_not_comments_or_longer_names() {
    let text = "use crate::daemon::store;\n// crate::daemon in a comment\n\
                let x = crate::daemonic();\n    crate::daemon::run()\n\
                crate::daemon::running();\n";
    assert_eq!(naming_lines(text, "daemon", None), [1, 4, 5]);
    assert_eq!(naming_lines(text, "daemon", Some("run")), [1, 5]);
}

#[test]
fn modules_use_only_what_the_rule_allows() {
    let src = src_dir();
    let mut broken = Vec::new();
    let rules = FORBIDDEN
        .iter()
        .flat_map(|(module, others)| others.iter().map(move |other| (*module, *other, None)))
        .chain(
            ONLY_THROUGH
                .iter()
                .map(|(module, other, item)| (*module, *other, Some(*item))),
        );
    for (module, other, allowed) in rules {
        let files = module_files(&src, module);
        assert!(!files.is_empty(), "no sources for src/{module}");
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for line in naming_lines(&text, other, allowed) {
                let only = allowed.map_or(String::new(), |item| format!(" other than `{item}`"));
                broken.push(format!(
                    "{}:{line} uses `crate::{other}`{only}, which `{module}` must not",
                    file.strip_prefix(&src).unwrap_or(&file).display()
                ));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}
