//! The stats must be what libgit2's `diff_tree_to_tree` + `Diff::stats`
//! reports for the same two trees: a table of shapes, then generated ones.

use std::collections::BTreeMap;

use git2::{Oid, Repository};
use proptest::prelude::*;

use super::*;

/// A file of a generated tree: its mode and content (a gitlink's content
/// is the commit id it points to).
#[derive(Debug, Clone, PartialEq)]
struct File {
    mode: i32,
    content: Vec<u8>,
}

fn file(content: &str) -> File {
    File {
        mode: 0o100644,
        content: content.as_bytes().to_vec(),
    }
}

type Files = BTreeMap<String, File>;

/// Writes `files` (paths with `/`) as nested trees; returns the root.
fn write_tree(repo: &Repository, files: &Files) -> Oid {
    let mut here = repo.treebuilder(None).unwrap();
    let mut dirs: BTreeMap<&str, Files> = BTreeMap::new();
    for (path, f) in files {
        match path.split_once('/') {
            Some((dir, rest)) => {
                dirs.entry(dir)
                    .or_default()
                    .insert(rest.to_string(), f.clone());
            }
            None => {
                let id = if f.mode == 0o160000 {
                    Oid::hash_object(git2::ObjectType::Commit, &f.content).unwrap()
                } else {
                    repo.blob(&f.content).unwrap()
                };
                here.insert(path, id, f.mode).unwrap();
            }
        }
    }
    for (dir, inner) in dirs {
        here.insert(dir, write_tree(repo, &inner), 0o040000)
            .unwrap();
    }
    here.write().unwrap()
}

fn libgit2_stats(repo: &Repository, old: Option<&Tree<'_>>, new: &Tree<'_>) -> Stats {
    let s = repo
        .diff_tree_to_tree(old, Some(new), None)
        .unwrap()
        .stats()
        .unwrap();
    Stats {
        files_changed: s.files_changed() as u32,
        insertions: s.insertions() as u32,
        deletions: s.deletions() as u32,
    }
}

/// Both implementations on `old` → `new`, in a bare repository (no work
/// tree, so no attributes apply to libgit2's diff either).
fn both(old: Option<&Files>, new: &Files) -> (Stats, Stats) {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init_bare(dir.path()).unwrap();
    let old = old.map(|f| repo.find_tree(write_tree(&repo, f)).unwrap());
    let new = repo.find_tree(write_tree(&repo, new)).unwrap();
    let ours = between(&repo, old.as_ref(), &new, &mut |_, _| TextMode::Auto).unwrap();
    (ours, libgit2_stats(&repo, old.as_ref(), &new))
}

fn files(entries: &[(&str, File)]) -> Files {
    entries
        .iter()
        .map(|(p, f)| (p.to_string(), f.clone()))
        .collect()
}

#[test]
fn the_same_figures_as_libgit2_for_each_kind_of_change() {
    let base = files(&[
        ("README", file("one\ntwo\nthree\n")),
        ("src/main.rs", file("fn main() {}\n")),
        ("src/lib/a.rs", file("a\nb\nc\nd\n")),
        ("src/lib/b.rs", file("x\n")),
        ("docs/guide.md", file("# Guide\n\ntext\n")),
        ("bin.dat", file("\0\x01\x02")),
    ]);
    let edit = |f: &dyn Fn(&mut Files)| {
        let mut next = base.clone();
        f(&mut next);
        next
    };
    let exec = File {
        mode: 0o100755,
        ..file("fn main() {}\n")
    };
    let link = File {
        mode: 0o120000,
        ..file("README")
    };
    let gitlink = |c: &str| File {
        mode: 0o160000,
        ..file(c)
    };
    let cases: Vec<(&str, Files)> = vec![
        ("nothing", base.clone()),
        (
            "a line changed deep down",
            edit(&|f| {
                f.insert("src/lib/a.rs".into(), file("a\nB\nc\nd\n"));
            }),
        ),
        (
            "lines added and removed",
            edit(&|f| {
                f.insert("README".into(), file("zero\none\nthree\nfour\nfive\n"));
            }),
        ),
        (
            "last newline dropped",
            edit(&|f| {
                f.insert("README".into(), file("one\ntwo\nthree"));
            }),
        ),
        (
            "file added",
            edit(&|f| {
                f.insert("new/deep/file.txt".into(), file("1\n2"));
            }),
        ),
        (
            "empty file added",
            edit(&|f| {
                f.insert("empty".into(), file(""));
            }),
        ),
        (
            "directory deleted",
            edit(&|f| {
                f.retain(|p, _| !p.starts_with("src/"));
            }),
        ),
        (
            "mode only",
            edit(&|f| {
                f.insert("src/main.rs".into(), exec.clone());
            }),
        ),
        (
            "mode and content",
            edit(&|f| {
                f.insert(
                    "src/main.rs".into(),
                    File {
                        mode: 0o100755,
                        ..file("fn main() { x }\n")
                    },
                );
            }),
        ),
        (
            "binary changed",
            edit(&|f| {
                f.insert("bin.dat".into(), file("\0\x03"));
            }),
        ),
        (
            "text became binary",
            edit(&|f| {
                f.insert("README".into(), file("one\0\n"));
            }),
        ),
        (
            "file became symlink",
            edit(&|f| {
                f.insert("README".into(), link.clone());
            }),
        ),
        (
            "file became directory",
            edit(&|f| {
                f.remove("README");
                f.insert("README/inner".into(), file("in\n"));
            }),
        ),
        (
            "submodule added",
            edit(&|f| {
                f.insert("vendor/lib".into(), gitlink("tree 1"));
            }),
        ),
        (
            "name ordering around a directory",
            edit(&|f| {
                f.insert("src.rs".into(), file("s\n"));
                f.insert("src-x".into(), file("t\n"));
                f.insert("src/lib/b.rs".into(), file("y\n"));
            }),
        ),
    ];
    for (name, next) in &cases {
        let (ours, theirs) = both(Some(&base), next);
        assert_eq!(ours, theirs, "{name}");
    }
    let with_sub = edit(&|f| {
        f.insert("vendor/lib".into(), gitlink("tree 1"));
    });
    let moved_sub = edit(&|f| {
        f.insert("vendor/lib".into(), gitlink("tree 2"));
    });
    let (ours, theirs) = both(Some(&with_sub), &moved_sub);
    assert_eq!(ours, theirs, "submodule moved");
    let (ours, theirs) = both(None, &base);
    assert_eq!(ours, theirs, "root commit");
    assert_eq!(ours.files_changed, 6);
}

#[test]
fn attributes_decide_what_counts_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init_bare(dir.path()).unwrap();
    let old = files(&[("a.txt", file("1\n")), ("b.lock", file("1\n"))]);
    let new = files(&[
        ("a.txt", file("1\n2\n")),
        ("b.lock", file("2\n3\n")),
        ("c.bin", file("\0x\n")),
    ]);
    let old = repo.find_tree(write_tree(&repo, &old)).unwrap();
    let new = repo.find_tree(write_tree(&repo, &new)).unwrap();
    let mut asked = Vec::new();
    let stats = between(&repo, Some(&old), &new, &mut |p, _| {
        asked.push(p.to_path_buf());
        match p.extension().and_then(|e| e.to_str()) {
            Some("lock") => TextMode::Binary,
            Some("bin") => TextMode::Text,
            _ => TextMode::Auto,
        }
    })
    .unwrap();
    assert_eq!(
        stats,
        Stats {
            files_changed: 3,
            insertions: 2,
            deletions: 0
        }
    );
    assert_eq!(asked.len(), 3);
    assert!(asked.contains(&Path::new("b.lock").to_path_buf()));
}

#[test]
fn the_caller_learns_which_paths_have_attributes_files() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init_bare(dir.path()).unwrap();
    let old = files(&[
        ("top.txt", file("1\n")),
        ("a/x.txt", file("1\n")),
        ("b/.gitattributes", file("*.txt -diff\n")),
        ("b/c/y.txt", file("1\n")),
    ]);
    let mut new = old.clone();
    for p in ["top.txt", "a/x.txt", "b/c/y.txt"] {
        new.insert(p.into(), file("2\n"));
    }
    let old = repo.find_tree(write_tree(&repo, &old)).unwrap();
    let new = repo.find_tree(write_tree(&repo, &new)).unwrap();
    let mut seen = Vec::new();
    between(&repo, Some(&old), &new, &mut |p, attrs| {
        seen.push((p.to_str().unwrap().to_string(), attrs));
        TextMode::Auto
    })
    .unwrap();
    seen.sort();
    let expect = [("a/x.txt", false), ("b/c/y.txt", true), ("top.txt", false)];
    assert_eq!(seen, expect.map(|(p, a)| (p.to_string(), a)).to_vec());
}

#[test]
fn line_counts_and_binary_detection() {
    assert_eq!(line_count(b"", TextMode::Auto), 0);
    assert_eq!(line_count(b"a", TextMode::Auto), 1);
    assert_eq!(line_count(b"a\n", TextMode::Auto), 1);
    assert_eq!(line_count(b"a\n\nb", TextMode::Auto), 3);
    assert_eq!(line_count(b"a\0\n", TextMode::Auto), 0);
    assert_eq!(line_count(b"a\0\n", TextMode::Text), 1);
    assert_eq!(line_count(b"a\n", TextMode::Binary), 0);
    let mut late_nul = vec![b'x'; BINARY_PROBE];
    late_nul.push(0);
    assert_eq!(line_count(&late_nul, TextMode::Auto), 1);
}

#[test]
fn tree_order_puts_a_directory_after_its_name_with_a_dot() {
    use Ordering::*;
    assert_eq!(git_order(b"a", false, b"b", false), Less);
    assert_eq!(git_order(b"src", true, b"src.rs", false), Greater);
    assert_eq!(git_order(b"src", false, b"src.rs", false), Less);
    assert_eq!(git_order(b"src", true, b"src0", false), Less);
    assert_eq!(git_order(b"src", true, b"src", true), Equal);
    assert_eq!(git_order(b"src", true, b"src", false), Greater);
}

fn content() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => prop::collection::vec(prop::sample::select(vec!["a\n", "b\n", "c\n", "dd\n", "\n", "e"]), 0..12)
            .prop_map(|parts| parts.concat().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..40),
    ]
}

fn tree_files() -> impl Strategy<Value = Files> {
    let path = prop::sample::select(vec![
        "a",
        "b.txt",
        "a.rs",
        "d/a",
        "d/b",
        "d/e/f",
        "d/e/g.txt",
        "d.x",
        "e/a",
        "e/d/a",
    ]);
    let mode = prop::sample::select(vec![0o100644, 0o100644, 0o100644, 0o100755, 0o120000]);
    prop::collection::btree_map(path, (mode, content()), 0..8).prop_map(|m| {
        // A path may not be both a file and a directory.
        let mut out = Files::new();
        for (p, (mode, content)) in m {
            let clash = out.keys().any(|q: &String| {
                q.starts_with(&format!("{p}/")) || p.starts_with(&format!("{q}/"))
            });
            if !clash {
                out.insert(p.to_string(), File { mode, content });
            }
        }
        out
    })
}

#[test]
fn plain_line_changes_need_no_differ_when_nothing_is_shared() {
    // (old, new, expected (inserted, deleted))
    type Case = (&'static str, &'static str, Option<(u32, u32)>);
    let table: &[Case] = &[
        ("a\nb\nc\n", "a\nb\nc\n", Some((0, 0))),
        ("a\nc\n", "a\nb\nc\n", Some((1, 0))),
        ("a\nb\nc\n", "a\nc\n", Some((0, 1))),
        ("a\nb\nc\n", "a\nX\nY\nc\n", Some((2, 1))),
        ("a\nb", "a\nb\n", Some((1, 1))),
        ("", "a\nb", Some((2, 0))),
        ("a\nb\n", "", Some((0, 2))),
        ("a\nb\na\n", "a\n", Some((0, 2))),
        // `b` is on both sides of the changed middle: the differ decides.
        ("a\nb\nc\n", "x\nb\ny\n", None),
    ];
    for (old, new, expected) in table {
        assert_eq!(
            plain_line_changes(old.as_bytes(), new.as_bytes()),
            *expected,
            "{old:?} -> {new:?}"
        );
    }
}

fn lines() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop::sample::select(vec!["a\n", "b\n", "c\n", "\n", "a", "d\n"]),
        0..10,
    )
    .prop_map(|parts| parts.concat().into_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn plain_line_changes_agree_with_the_differ(old in lines(), new in lines()) {
        if let Some(counts) = plain_line_changes(&old, &new) {
            prop_assert_eq!(counts, changed_lines(&old, &new).unwrap());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn generated_trees_give_the_same_figures_as_libgit2(old in tree_files(), new in tree_files()) {
        let (ours, theirs) = both(Some(&old), &new);
        prop_assert_eq!(ours, theirs);
    }
}
