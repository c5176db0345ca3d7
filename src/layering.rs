//! The dependency rule between the crate's top-level modules
//! (docs/architecture.md), checked against the sources: `cli` may use
//! everything; `daemon` uses `service`, `protocol` and `config`, never
//! `cli`; `service` never uses `daemon` or `cli`; `protocol` and `config`
//! are leaves. A `use` that breaks the rule fails this test instead of
//! slipping into a review.

use crate::source_files::{rust_files, src_dir};

/// Each module, the modules its sources must not name.
const FORBIDDEN: &[(&str, &[&str])] = &[
    ("config", &["cli", "daemon", "protocol", "service"]),
    ("protocol", &["cli", "daemon", "service"]),
    ("service", &["cli", "daemon"]),
    ("daemon", &["cli"]),
];

/// The lines of `text` (1-based numbers) that name `crate::<module>`
/// outside comments.
fn naming_lines(text: &str, module: &str) -> Vec<usize> {
    let needle = format!("crate::{module}");
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim_start().starts_with("//"))
        .filter(|(_, line)| {
            line.match_indices(&needle).any(|(at, _)| {
                let after = line[at + needle.len()..].chars().next();
                !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
            })
        })
        .map(|(i, _)| i + 1)
        .collect()
}

#[test]
fn naming_finds_uses_not_comments_or_longer_names() {
    let text = "use crate::daemon::store;\n// crate::daemon in a comment\n\
                let x = crate::daemonic();\n    crate::daemon::run()\n";
    assert_eq!(naming_lines(text, "daemon"), [1, 4]);
}

#[test]
fn modules_use_only_what_the_rule_allows() {
    let src = src_dir();
    let mut broken = Vec::new();
    for (module, forbidden) in FORBIDDEN {
        let files = rust_files(&src.join(module));
        assert!(!files.is_empty(), "no sources under src/{module}");
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for other in *forbidden {
                for line in naming_lines(&text, other) {
                    broken.push(format!(
                        "{}:{line} uses `crate::{other}`, which `{module}` must not",
                        file.strip_prefix(&src).unwrap_or(&file).display()
                    ));
                }
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}
