//! The dependency rule between the crate's modules (docs/architecture.md),
//! checked against the sources, and the absence of import circles.
//!
//! The rule: `cli` may use everything but of `daemon` only its entry point
//! `daemon::run`; `daemon` never uses `cli` or `report`; `report` never
//! uses `daemon`; what the CLI, the report and the daemon share (`store`,
//! `scheduler`, `instance`) uses neither `daemon` nor `cli`; `service`
//! never uses `daemon` or `cli`; `protocol` and `config` are leaves. A
//! circle is a set of modules that reach one another through what they
//! name: `daemon/` once had an 11-file one (the loop's state defined in
//! the run loop, imported by the request handlers the loop calls). A `use`
//! that breaks the rule or closes a circle fails these tests instead of
//! slipping into a review.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::source_files::{rust_files, src_dir};

/// What a shared leaf (a helper any module may use) must not name: every
/// module with a part of the program's own.
const SHARED_LEAF: &[&str] = &[
    "cli",
    "config",
    "daemon",
    "instance",
    "protocol",
    "report",
    "scheduler",
    "service",
    "session",
    "store",
];

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
    ("service", &["cli", "daemon", "doctor", "report"]),
    (
        "session",
        &[
            "cli",
            "config",
            "daemon",
            "instance",
            "protocol",
            "report",
            "scheduler",
            "service",
            "store",
        ],
    ),
    ("daemon", &["cli", "report"]),
    ("doctor", &["cli", "daemon", "report"]),
    ("report", &["cli", "daemon", "service"]),
    ("store", &["cli", "daemon", "report", "service"]),
    (
        "scheduler",
        &["cli", "daemon", "report", "service", "store"],
    ),
    ("instance", &["cli", "daemon", "report", "service", "store"]),
    ("bus_address", SHARED_LEAF),
    ("procfs", SHARED_LEAF),
    ("web", &["cli", "daemon", "service"]),
    (
        "when",
        &[
            "cli",
            "daemon",
            "instance",
            "protocol",
            "report",
            "scheduler",
            "service",
            "session",
            "store",
            "web",
        ],
    ),
    (
        "socket_watch",
        &[
            "cli",
            "config",
            "daemon",
            "instance",
            "protocol",
            "report",
            "scheduler",
            "service",
            "store",
        ],
    ),
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

/// A module below the crate root: `daemon/run_loop.rs` is
/// `["daemon", "run_loop"]`, `store/mod.rs` is `["store"]`.
type Module = Vec<String>;

/// The module a file below `src/` is.
fn module_of(relative: &Path) -> Module {
    let mut segments: Module = relative
        .with_extension("")
        .iter()
        .map(|s| s.to_string_lossy().into_owned())
        .collect();
    if segments.last().is_some_and(|s| s == "mod" || s == "lib") {
        segments.pop();
    }
    segments
}

/// The leaves of a `use` tree (`a::{b, c::{self, d as e}, f::*}`), one
/// path each; `self` inside braces stands for the path before them.
fn use_paths(tree: &str) -> Vec<Vec<String>> {
    let mut spaced = String::new();
    for c in tree.chars() {
        match c {
            '{' | '}' | ',' | '*' => spaced.extend([' ', c, ' ']),
            ':' => spaced.push_str(" : "),
            c => spaced.push(c),
        }
    }
    let spaced = spaced.replace(":  :", "::");
    let mut tokens = Vec::new();
    let mut words = spaced.split_whitespace();
    while let Some(word) = words.next() {
        match word {
            "as" => drop(words.next()),
            ":" => {}
            word => tokens.push(word),
        }
    }
    let mut paths = Vec::new();
    use_tree(&tokens, &mut 0, &[], &mut paths);
    paths
}

fn use_tree(tokens: &[&str], at: &mut usize, prefix: &[String], paths: &mut Vec<Vec<String>>) {
    let mut path = prefix.to_vec();
    loop {
        match tokens.get(*at).copied() {
            Some("{") => {
                *at += 1;
                while tokens.get(*at).is_some_and(|t| *t != "}") {
                    use_tree(tokens, at, &path, paths);
                    if tokens.get(*at) == Some(&",") {
                        *at += 1;
                    }
                }
                *at += 1;
                return;
            }
            Some("*") => {
                *at += 1;
                break;
            }
            Some(name) if !matches!(name, "}" | "," | "::") => {
                *at += 1;
                if name != "self" || path.is_empty() {
                    path.push(name.to_string());
                }
            }
            _ => break,
        }
        if tokens.get(*at) == Some(&"::") {
            *at += 1;
        } else {
            break;
        }
    }
    paths.push(path);
}

/// The paths a file's program text names: the leaves of its `use` items
/// and every `crate::`, `super::` or `self::` path elsewhere. Comments
/// and the inline `#[cfg(test)] mod tests` at the end are left out: the
/// graph is the program's, not its tests'.
fn named_paths(text: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let mut item = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let line = line.trim();
        if line == "#[cfg(test)]" && lines.peek().is_some_and(|l| l.trim() == "mod tests {") {
            break;
        }
        if line.starts_with("//") {
            continue;
        }
        let is_use = ["use ", "pub use ", "pub(crate) use ", "pub(super) use "]
            .iter()
            .find_map(|start| line.strip_prefix(start));
        if let Some(rest) = is_use.or((!item.is_empty()).then_some(line)) {
            item.push_str(rest);
            item.push(' ');
            if let Some(end) = item.find(';') {
                paths.extend(use_paths(&item[..end]));
                item.clear();
            }
            continue;
        }
        for (at, _) in line.match_indices("::") {
            let start = line[..at]
                .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .map_or(0, |i| i + 1);
            if start == at || line[start..at].contains(':') {
                continue;
            }
            {
                let chain = &line[start..];
                let end = chain
                    .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                    .unwrap_or(chain.len());
                paths.push(
                    chain[..end]
                        .split("::")
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect(),
                );
            }
        }
    }
    paths
}

/// The module `path`, named in `from`, points into: the deepest module
/// file it passes through. A path that starts with neither `crate`,
/// `super` nor `self` counts only when it starts with a child module
/// (else it names another crate).
fn resolve(path: &[String], from: &[String], modules: &BTreeSet<Module>) -> Option<Module> {
    let (mut target, mut rest, bare) = match path.first()?.as_str() {
        "crate" => (Vec::new(), &path[1..], false),
        "self" => (from.to_vec(), &path[1..], false),
        "super" => (from.to_vec(), path, false),
        _ => (from.to_vec(), path, true),
    };
    while rest.first().is_some_and(|s| s == "super") {
        target.pop()?;
        rest = &rest[1..];
    }
    let mut deepest = (!bare).then(|| target.clone());
    for segment in rest {
        target.push(segment.clone());
        if !modules.contains(&target) {
            break;
        }
        deepest = Some(target.clone());
    }
    deepest
}

/// The program's modules below `src/` (one per file; `tests.rs` files and
/// the binary left out), each with the modules it names. A file naming
/// its own parent (or a module above that) does not count: it reaches
/// what the parent's file declares or re-exports, the front its module
/// sits behind, and every `mod.rs` names its children.
fn import_graph() -> BTreeMap<Module, BTreeSet<Module>> {
    let src = src_dir();
    let files: Vec<(Module, PathBuf)> = rust_files(&src)
        .into_iter()
        .filter(|f| !f.ends_with("tests.rs") && !f.ends_with("main.rs"))
        .map(|f| (module_of(f.strip_prefix(&src).unwrap()), f))
        .collect();
    let modules: BTreeSet<Module> = files.iter().map(|(m, _)| m.clone()).collect();
    files
        .iter()
        .map(|(module, file)| {
            let text = std::fs::read_to_string(file).unwrap();
            let named = named_paths(&text)
                .iter()
                .filter_map(|path| resolve(path, module, &modules))
                .filter(|target| !module.starts_with(target))
                .collect();
            (module.clone(), named)
        })
        .collect()
}

/// The import circles of `graph`: each set of two or more nodes that all
/// reach one another.
fn circles<N: Ord + Clone>(graph: &BTreeMap<N, BTreeSet<N>>) -> Vec<BTreeSet<N>> {
    let reach = |from: &N| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(node) = todo.pop() {
            for next in graph.get(&node).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&N, BTreeSet<N>> = graph.keys().map(|n| (n, reach(n))).collect();
    let mut circles: Vec<BTreeSet<N>> = Vec::new();
    for (node, reached) in &reaches {
        if !reached.contains(*node) || circles.iter().any(|c| c.contains(*node)) {
            continue;
        }
        let circle = reached
            .iter()
            .filter(|other| reaches.get(other).is_some_and(|r| r.contains(*node)))
            .cloned()
            .collect();
        circles.push(circle);
    }
    circles
}

fn names(circle: &BTreeSet<Module>) -> String {
    let names: Vec<String> = circle.iter().map(|m| m.join("::")).collect();
    names.join(", ")
}

#[test]
fn use_trees_and_paths_resolve_to_modules() {
    let paths =
        |tree: &str| -> Vec<String> { use_paths(tree).iter().map(|p| p.join("::")).collect() };
    assert_eq!(paths("crate::store::Store"), ["crate::store::Store"]);
    assert_eq!(
        paths("crate::store::{self, cursor::{Cursor as C, ABSENT}, *}"),
        [
            "crate::store",
            "crate::store::cursor::Cursor",
            "crate::store::cursor::ABSENT",
            "crate::store"
        ]
    );
    assert_eq!(paths("super::super::x"), ["super::super::x"]);

    let text = "use crate::a::{b,\n    c};\n// use crate::z;\nfn f() { super::d::e(); \
                b::g(); x.crate_y::h(); }\n#[cfg(test)]\nmod tests {\n    use crate::t;\n}\n";
    let named: Vec<String> = named_paths(text).iter().map(|p| p.join("::")).collect();
    assert_eq!(
        named,
        [
            "crate::a::b",
            "crate::a::c",
            "super::d::e",
            "b::g",
            "crate_y::h"
        ]
    );

    let module = |s: &str| -> Module { s.split("::").map(str::to_string).collect() };
    let modules: BTreeSet<Module> = ["a", "a::b", "a::b::c", "d"].map(module).into();
    let from = module("a::b");
    let resolved = |path: &str| resolve(&module(path), &from, &modules).map(|m| m.join("::"));
    assert_eq!(resolved("crate::d::Item"), Some("d".into()));
    assert_eq!(resolved("super::Item"), Some("a".into()));
    assert_eq!(resolved("self::c::f"), Some("a::b::c".into()));
    assert_eq!(resolved("c::f"), Some("a::b::c".into()));
    assert_eq!(resolved("chrono::Utc"), None);
}

#[test]
fn circles_are_the_nodes_that_reach_one_another() {
    let graph: BTreeMap<u8, BTreeSet<u8>> = [
        (1, [2].into()),
        (2, [3].into()),
        (3, [1, 4].into()),
        (4, [5].into()),
        (5, [4].into()),
        (6, [1].into()),
    ]
    .into();
    assert_eq!(circles(&graph), [[1, 2, 3].into(), [4, 5].into()]);
    assert!(circles(&BTreeMap::from([(1, BTreeSet::from([2])), (2, [].into())])).is_empty());
}

#[test]
fn no_import_circle_between_files() {
    let found: Vec<String> = circles(&import_graph()).iter().map(names).collect();
    assert!(
        found.is_empty(),
        "import circles in src/:\n{}",
        found.join("\n")
    );
}

#[test]
fn no_import_circle_between_top_level_modules() {
    let mut graph: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (module, named) in import_graph() {
        let top = |m: &Module| m.iter().take(1).cloned().collect::<Module>();
        let entry = graph.entry(top(&module)).or_default();
        entry.extend(named.iter().map(top).filter(|t| *t != top(&module)));
    }
    let found: Vec<String> = circles(&graph).iter().map(names).collect();
    assert!(
        found.is_empty(),
        "import circles between src/'s modules:\n{}",
        found.join("\n")
    );
}

#[test]
fn nothing_below_the_run_loop_names_it() {
    let run_loop: Module = vec!["daemon".into(), "run_loop".into()];
    let naming: Vec<String> = import_graph()
        .into_iter()
        .filter(|(module, named)| named.contains(&run_loop) && module[..] != ["daemon"])
        .map(|(module, _)| module.join("::"))
        .collect();
    assert!(
        naming.is_empty(),
        "only `daemon::run` starts the loop; named by {naming:?}"
    );
}
