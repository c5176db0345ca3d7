//! Repositories found under a folder (`- {path: ~/src, discover: true}`):
//! which directories are looked into, which are repositories, how they are
//! named, and how they join the listed ones.
//!
//! The rules are plain functions and a [`Tree`] that keeps what one folder
//! holds; every look at the file system goes through [`Look`], so the
//! daemon can watch a directory before it lists it (what appears in
//! between is then reported) and the tests can walk a table. The rules: a
//! directory down to `depth` levels below the folder is looked into unless
//! an `exclude` glob matches its path relative to the folder; one holding
//! `.git` (a directory or a file) is a repository, and nothing below it is
//! looked at; `.git` directories and symlinks are never entered (a symlink
//! inside the folder pointing inside is found by its real path anyway).
//! Each repository is named by its path relative to the folder; a listed
//! entry for the same repository (path, symlink or worktree, as
//! `checkout.rs` decides) wins silently, as does an earlier folder's.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::ffi::OsString;
use std::io;
use std::ops::Bound;
use std::path::{Component, Path, PathBuf};

use super::checkout::{self, Identity};
use super::model::{Folder, Glob, Repository};

/// The depth when `depth` is not given.
pub(crate) const DEFAULT_DEPTH: u32 = 3;
/// The deepest `depth` accepted.
pub(crate) const MAX_DEPTH: u32 = 16;

impl Glob {
    /// `None` for an empty pattern.
    pub(crate) fn new(text: &str) -> Option<Glob> {
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed == "/" {
            return None;
        }
        let pattern = match trimmed.strip_prefix('/') {
            Some(anchored) => anchored.to_owned(),
            None if !trimmed.trim_end_matches('/').contains('/') => format!("**/{trimmed}"),
            None => trimmed.to_owned(),
        };
        Some(Glob {
            text: trimmed.to_owned(),
            pattern: pattern.trim_end_matches('/').to_owned(),
        })
    }

    /// As written in the config.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the directory at `rel` (relative, `/`-separated) is excluded.
    pub(crate) fn excludes(&self, rel: &str) -> bool {
        let p = self.pattern.as_bytes();
        glob_match(p, rel.as_bytes()) || glob_match(p, format!("{rel}/").as_bytes())
    }
}

/// The length of the UTF-8 character that starts with `first`.
fn char_len(first: u8) -> usize {
    match first {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

fn glob_match(p: &[u8], s: &[u8]) -> bool {
    match p {
        [] => s.is_empty(),
        [b'*', b'*', b'/', rest @ ..] => {
            glob_match(rest, s)
                || (0..s.len()).any(|i| s[i] == b'/' && glob_match(rest, &s[i + 1..]))
        }
        [b'*', b'*', rest @ ..] => (0..=s.len()).any(|i| glob_match(rest, &s[i..])),
        [b'*', rest @ ..] => {
            for i in 0..=s.len() {
                if glob_match(rest, &s[i..]) {
                    return true;
                }
                if s.get(i) == Some(&b'/') {
                    break;
                }
            }
            false
        }
        [b'?', rest @ ..] => match s.first() {
            Some(&c) if c != b'/' => {
                let n = char_len(c).min(s.len());
                glob_match(rest, &s[n..])
            }
            _ => false,
        },
        [c, rest @ ..] => s.first() == Some(c) && glob_match(rest, &s[1..]),
    }
}

/// Whether the enabled folders `a` and `b` would both look into one
/// directory (the same folder, or one inside the other where the outer one
/// looks: within its depth and not excluded). Their watches would then
/// overlap, so validation refuses it. By the paths as written.
pub(crate) fn overlaps(a: &Folder, b: &Folder) -> bool {
    let inside = |outer: &Folder, inner: &Folder| {
        let Ok(rel) = inner.path.strip_prefix(&outer.path) else {
            return false;
        };
        let mut prefix = PathBuf::new();
        for (level, c) in rel.components().enumerate() {
            prefix.push(c);
            let text = slashed(&prefix);
            if level as u32 >= outer.depth || outer.exclude.iter().any(|g| g.excludes(&text)) {
                return false;
            }
        }
        true
    };
    a.enabled && b.enabled && (inside(a, b) || inside(b, a))
}

/// What kind of file a directory entry is (symlinks not followed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Dir,
    Symlink,
    Other,
}

/// One entry of a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub name: OsString,
    pub kind: Kind,
}

/// The file system as the walk sees it.
pub(crate) trait Look {
    /// Starts watching `dir` and lists it; on an error nothing is held.
    fn enter(&mut self, dir: &Path) -> io::Result<Vec<Entry>>;
    /// `dir` is no longer looked into (a repository, gone, or dropped).
    fn leave(&mut self, dir: &Path);
    /// What `path` is now; `None` when it is gone.
    fn kind(&mut self, path: &Path) -> Option<Kind>;
}

/// [`Look::enter`]'s listing on disk.
pub(crate) fn read_entries(dir: &Path) -> io::Result<Vec<Entry>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = match entry.file_type() {
            Ok(t) if t.is_dir() => Kind::Dir,
            Ok(t) if t.is_symlink() => Kind::Symlink,
            _ => Kind::Other,
        };
        out.push(Entry {
            name: entry.file_name(),
            kind,
        });
    }
    Ok(out)
}

/// [`Look::kind`] on disk.
pub(crate) fn kind_on_disk(path: &Path) -> Option<Kind> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    let t = meta.file_type();
    Some(if t.is_dir() {
        Kind::Dir
    } else if t.is_symlink() {
        Kind::Symlink
    } else {
        Kind::Other
    })
}

/// What one folder holds: the directories looked into (each watched) and
/// the repositories found, by path relative to the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tree {
    root: PathBuf,
    depth: u32,
    exclude: Vec<Glob>,
    /// Boxed: 8 bytes less each than a `PathBuf`, times 50,000.
    dirs: BTreeSet<Box<Path>>,
    /// Each repository, and whether its `.git` is a file (a linked
    /// worktree or a submodule).
    repos: BTreeMap<PathBuf, bool>,
}

/// `rel` as the globs and the names see it.
fn slashed(rel: &Path) -> String {
    rel.to_string_lossy().into_owned()
}

impl Tree {
    pub(crate) fn new(folder: &Folder) -> Tree {
        Tree {
            root: folder.path.clone(),
            depth: folder.depth,
            exclude: folder.exclude.clone(),
            dirs: BTreeSet::new(),
            repos: BTreeMap::new(),
        }
    }

    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// The directories looked into (one watch each).
    pub(crate) fn dirs(&self) -> usize {
        self.dirs.len()
    }

    /// The repositories found: path relative to the folder, and whether
    /// `.git` is a file.
    pub(crate) fn repos(&self) -> impl Iterator<Item = (&Path, bool)> {
        self.repos.iter().map(|(p, f)| (p.as_path(), *f))
    }

    fn excluded(&self, rel: &Path) -> bool {
        let text = slashed(rel);
        self.exclude.iter().any(|g| g.excludes(&text))
    }

    /// Looks at the whole folder again.
    pub(crate) fn scan(&mut self, look: &mut dyn Look) -> bool {
        self.rescan(Path::new(""), look)
    }

    /// Drops every directory looked into (they are left).
    pub(crate) fn clear(&mut self, look: &mut dyn Look) {
        for d in std::mem::take(&mut self.dirs) {
            look.leave(&self.root.join(d));
        }
        self.repos.clear();
    }

    /// Where `path` (absolute, reported changed) lies in the folder: the
    /// entry to look at again, or `None` when it is outside what the
    /// folder looks into. A `.git` appearing or going changes whether its
    /// directory is a repository; anything inside `.git` is no concern.
    pub(crate) fn entry_of(&self, path: &Path) -> Option<PathBuf> {
        let rel = path.strip_prefix(&self.root).ok()?;
        let mut out = PathBuf::new();
        for c in rel.components() {
            match c {
                Component::Normal(name) if name == ".git" => break,
                Component::Normal(name) => out.push(name),
                _ => return None,
            }
        }
        let parent_known = match out.parent() {
            None => true,
            Some(p) => self.dirs.contains(p),
        };
        let level = out.components().count() as u32;
        (parent_known && level <= self.depth).then_some(out)
    }

    /// Looks at the entry `rel` again (a path [`Tree::entry_of`] gave):
    /// forgets what was found at and below it, and walks it again when it
    /// is a directory to look into. Returns whether the repositories found
    /// changed.
    pub(crate) fn rescan(&mut self, rel: &Path, look: &mut dyn Look) -> bool {
        let below = |p: &PathBuf| p.starts_with(rel);
        let gone_dirs: Vec<Box<Path>> = self
            .dirs
            .range::<Path, _>((Bound::Included(rel), Bound::Unbounded))
            .take_while(|p| p.starts_with(rel))
            .cloned()
            .collect();
        for d in &gone_dirs {
            self.dirs.remove(d);
            look.leave(&self.root.join(d));
        }
        let before: Vec<(PathBuf, bool)> = self
            .repos
            .range(rel.to_path_buf()..)
            .take_while(|(p, _)| below(p))
            .map(|(p, f)| (p.clone(), *f))
            .collect();
        for (p, _) in &before {
            self.repos.remove(p);
        }
        let level = rel.components().count() as u32;
        let look_into = level <= self.depth
            && (level == 0 || !self.excluded(rel))
            && look.kind(&self.root.join(rel)) == Some(Kind::Dir);
        if look_into {
            self.walk(rel.to_path_buf(), level, look);
        }
        let after = self
            .repos
            .range(rel.to_path_buf()..)
            .take_while(|(p, _)| below(p))
            .map(|(p, f)| (p.clone(), *f));
        !before.into_iter().eq(after)
    }

    fn walk(&mut self, rel: PathBuf, level: u32, look: &mut dyn Look) {
        let abs = self.root.join(&rel);
        let Ok(mut entries) = look.enter(&abs) else {
            return;
        };
        if let Some(git) = entries.iter().find(|e| e.name == ".git") {
            let file = git.kind != Kind::Dir;
            look.leave(&abs);
            self.repos.insert(rel, file);
            return;
        }
        self.dirs.insert(rel.clone().into_boxed_path());
        if level >= self.depth {
            return;
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        for e in entries {
            if e.kind != Kind::Dir {
                continue;
            }
            let child = rel.join(&e.name);
            if !self.excluded(&child) {
                self.walk(child, level + 1, look);
            }
        }
    }
}

/// One repository a folder offers, before merging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    /// Which folder (index into the folders merged).
    pub folder: usize,
    /// Its path relative to the folder (`/`-separated); empty for the
    /// folder itself.
    pub rel: String,
    pub identity: Identity,
}

/// Which candidates join the listed entries, under which names (in
/// order): not one a listed entry or an earlier candidate already is (by
/// [`checkout::same_repository`]'s rules), named by `rel` (the folder's
/// name for the folder itself), or `<folder name>/<rel>` when a listed or
/// earlier name holds that; the rest are returned as skipped, with why.
pub(crate) fn pick(
    listed: &[(String, Identity)],
    folder_names: &[String],
    candidates: Vec<Candidate>,
) -> (Vec<(Candidate, String)>, Vec<String>) {
    let mut paths: HashSet<PathBuf> = HashSet::new();
    let mut reals: HashSet<PathBuf> = HashSet::new();
    let mut commons: HashSet<PathBuf> = HashSet::new();
    let mut names: HashSet<String> = HashSet::new();
    let remember = |id: &Identity,
                    paths: &mut HashSet<PathBuf>,
                    reals: &mut HashSet<PathBuf>,
                    commons: &mut HashSet<PathBuf>| {
        paths.insert(id.path.clone());
        reals.extend(id.real.clone());
        commons.extend(id.common_dir.clone());
    };
    for (name, id) in listed {
        names.insert(name.clone());
        remember(id, &mut paths, &mut reals, &mut commons);
    }
    let mut picked = Vec::new();
    let mut skipped = Vec::new();
    for c in candidates {
        let id = &c.identity;
        let known = paths.contains(&id.path)
            || id.real.as_ref().is_some_and(|r| reals.contains(r))
            || id.common_dir.as_ref().is_some_and(|d| commons.contains(d));
        if known {
            continue;
        }
        let folder = &folder_names[c.folder];
        let plain = if c.rel.is_empty() {
            folder.clone()
        } else {
            c.rel.clone()
        };
        let qualified = format!("{folder}/{}", c.rel);
        let Some(name) = [plain, qualified].into_iter().find(|n| !names.contains(n)) else {
            skipped.push(format!(
                "`{}`: its name `{}` is taken by another repository",
                id.path.display(),
                c.rel
            ));
            continue;
        };
        remember(id, &mut paths, &mut reals, &mut commons);
        names.insert(name.clone());
        picked.push((c, name));
    }
    (picked, skipped)
}

/// The repositories of `folders` (each with its tree) joined to `listed`:
/// the listed entries first, then the ones found, with the folder's
/// project, `enabled` and `commit_triggers`. Returns also, for each one
/// found, its folder's index, and the ones skipped (why, one line each).
/// Reads the file system for the identities.
pub(crate) fn merge(
    listed: &[Repository],
    folders: &[(&Folder, &Tree)],
) -> (Vec<Repository>, Vec<(String, usize)>, Vec<String>) {
    let mut candidates = Vec::new();
    for (index, (_, tree)) in folders.iter().enumerate() {
        let real_root = std::fs::canonicalize(tree.root()).ok();
        for (rel, git_file) in tree.repos() {
            let path = tree.root().join(rel);
            let identity = if git_file {
                checkout::identify(&path)
            } else {
                let real = real_root.as_ref().map(|r| r.join(rel));
                Identity {
                    common_dir: real.as_ref().map(|r| r.join(".git")),
                    real,
                    path,
                }
            };
            candidates.push(Candidate {
                folder: index,
                rel: slashed(rel),
                identity,
            });
        }
    }
    let listed_ids: Vec<(String, Identity)> = if candidates.is_empty() {
        Vec::new()
    } else {
        listed
            .iter()
            .map(|r| (r.name.clone(), checkout::identify(&r.path)))
            .collect()
    };
    let names: Vec<String> = folders.iter().map(|(f, _)| f.name.clone()).collect();
    let (picked, skipped) = pick(&listed_ids, &names, candidates);
    let mut repos = listed.to_vec();
    let mut from = Vec::with_capacity(picked.len());
    for (c, name) in picked {
        let folder = folders[c.folder].0;
        from.push((name.clone(), c.folder));
        repos.push(Repository {
            name,
            path: c.identity.path,
            enabled: folder.enabled,
            project: folder.project.clone(),
            commit_triggers: folder.commit_triggers,
            sync: folder.sync,
        });
    }
    (repos, from, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn globs() {
        let table: &[(&str, &str, bool)] = &[
            ("**/vendor/**", "vendor", true),
            ("**/vendor/**", "a/vendor", true),
            ("**/vendor/**", "a/b/vendor/c", true),
            ("**/vendor/**", "a/vendored", false),
            ("vendor", "a/b/vendor", true),
            ("vendor", "vendor", true),
            ("vendor", "a/vendors", false),
            ("/vendor", "vendor", true),
            ("/vendor", "a/vendor", false),
            ("*.tmp", "x/build.tmp", true),
            ("*.tmp", "x/build.tmpl", false),
            ("a/*/c", "a/b/c", true),
            ("a/*/c", "a/b/b/c", false),
            ("a/**/c", "a/c", true),
            ("a/**/c", "a/b/b/c", true),
            ("a/?/c", "a/é/c", true),
            ("a/?/c", "a/bb/c", false),
            ("archive/", "archive", true),
            ("node_modules", "web/node_modules", true),
            ("old-*", "old-api", true),
            ("old-*", "x/old-api", true),
            ("old-*", "old/api", false),
        ];
        for (pattern, rel, want) in table {
            let g = Glob::new(pattern).unwrap();
            assert_eq!(g.excludes(rel), *want, "{pattern} on {rel}");
        }
        assert_eq!(Glob::new("  "), None);
        assert_eq!(Glob::new("/"), None);
    }

    /// A file system in a table: directory (relative to `/f`) to its
    /// entries; what was entered and left is recorded.
    #[derive(Default)]
    struct Fake {
        dirs: BTreeMap<PathBuf, Vec<Entry>>,
        watched: BTreeSet<PathBuf>,
    }

    impl Fake {
        fn new(layout: &[&str]) -> Fake {
            let mut fake = Fake::default();
            fake.dirs.insert("/f".into(), Vec::new());
            for line in layout {
                fake.add(line);
            }
            fake
        }

        /// `a/b/` a directory, `a/.git` a file, `a/l@` a symlink.
        fn add(&mut self, line: &str) {
            let (path, kind) = if let Some(p) = line.strip_suffix('/') {
                (p, Kind::Dir)
            } else if let Some(p) = line.strip_suffix('@') {
                (p, Kind::Symlink)
            } else {
                (line, Kind::Other)
            };
            let abs = Path::new("/f").join(path);
            let parent = abs.parent().unwrap().to_path_buf();
            let name = abs.file_name().unwrap().to_os_string();
            self.dirs
                .get_mut(&parent)
                .unwrap_or_else(|| panic!("no parent for {line}"))
                .push(Entry { name, kind });
            if kind == Kind::Dir {
                self.dirs.insert(abs, Vec::new());
            }
        }

        fn remove(&mut self, path: &str) {
            let abs = Path::new("/f").join(path);
            self.dirs.retain(|d, _| !d.starts_with(&abs));
            let parent = abs.parent().unwrap();
            let name = abs.file_name().unwrap();
            self.dirs
                .get_mut(parent)
                .unwrap()
                .retain(|e| e.name != name);
        }
    }

    impl Look for Fake {
        fn enter(&mut self, dir: &Path) -> io::Result<Vec<Entry>> {
            let entries = self.dirs.get(dir).cloned().ok_or(io::ErrorKind::NotFound)?;
            assert!(
                self.watched.insert(dir.to_path_buf()),
                "entered twice: {dir:?}"
            );
            Ok(entries)
        }
        fn leave(&mut self, dir: &Path) {
            assert!(self.watched.remove(dir), "left unentered: {dir:?}");
        }
        fn kind(&mut self, path: &Path) -> Option<Kind> {
            if self.dirs.contains_key(path) {
                return Some(Kind::Dir);
            }
            let parent = self.dirs.get(path.parent()?)?;
            parent
                .iter()
                .find(|e| Some(e.name.as_os_str()) == path.file_name())
                .map(|e| e.kind)
        }
    }

    fn folder(depth: u32, exclude: &[&str]) -> Folder {
        Folder {
            name: "src".into(),
            path: "/f".into(),
            depth,
            exclude: exclude.iter().map(|g| Glob::new(g).unwrap()).collect(),
            enabled: true,
            project: Some("Work".into()),
            commit_triggers: None,
            sync: true,
        }
    }

    fn found(tree: &Tree) -> Vec<String> {
        tree.repos()
            .map(|(p, file)| format!("{}{}", slashed(p), if file { " (file)" } else { "" }))
            .collect()
    }

    const LAYOUT: &[&str] = &[
        "api/",
        "api/.git/",
        "api/sub/",
        "api/sub/.git/",
        "notes.txt",
        "group/",
        "group/web/",
        "group/web/.git/",
        "group/vendor/",
        "group/vendor/lib/",
        "group/vendor/lib/.git/",
        "group/deep/",
        "group/deep/er/",
        "group/deep/er/too/",
        "group/deep/er/too/.git/",
        "group/deep/er/ok/",
        "group/deep/er/ok/.git",
        "out@",
        "group/fix/",
        "group/fix/.git",
    ];

    #[test]
    fn the_walk_honours_depth_excludes_repositories_and_symlinks() {
        type Case<'a> = (u32, &'a [&'a str], &'a [&'a str], usize);
        let table: &[Case] = &[
            (
                4,
                &["**/vendor/**"],
                &[
                    "api",
                    "group/deep/er/ok (file)",
                    "group/deep/er/too",
                    "group/fix (file)",
                    "group/web",
                ],
                // The folder, group, group/deep, group/deep/er.
                4,
            ),
            (
                3,
                &[],
                &["api", "group/fix (file)", "group/vendor/lib", "group/web"],
                // group/deep/er is looked into (a `.git` may appear), not below.
                5,
            ),
            (
                4,
                &["deep"],
                &["api", "group/fix (file)", "group/vendor/lib", "group/web"],
                3,
            ),
            (1, &[], &["api"], 2),
        ];
        for (depth, exclude, want, dirs) in table {
            let mut fake = Fake::new(LAYOUT);
            let mut tree = Tree::new(&folder(*depth, exclude));
            assert!(tree.scan(&mut fake));
            assert_eq!(found(&tree), *want, "depth {depth}, exclude {exclude:?}");
            assert_eq!(tree.dirs(), *dirs, "depth {depth}, exclude {exclude:?}");
            assert_eq!(fake.watched.len(), *dirs, "a repository is left once found");
        }
    }

    #[test]
    fn a_rescan_looks_at_one_entry_again() {
        let mut fake = Fake::new(LAYOUT);
        let mut tree = Tree::new(&folder(3, &["**/vendor/**"]));
        tree.scan(&mut fake);
        let entry = |tree: &Tree, p: &str| tree.entry_of(&Path::new("/f").join(p));

        // A clone: the directory first, then its `.git`.
        fake.add("group/new/");
        let rel = entry(&tree, "group/new").unwrap();
        assert!(!tree.rescan(&rel, &mut fake), "no repository yet");
        assert!(fake.watched.contains(Path::new("/f/group/new")));
        fake.add("group/new/.git/");
        let rel = entry(&tree, "group/new/.git").unwrap();
        assert_eq!(rel, Path::new("group/new"));
        assert!(tree.rescan(&rel, &mut fake));
        assert!(found(&tree).contains(&"group/new".to_string()));
        assert!(!fake.watched.contains(Path::new("/f/group/new")));

        // Inside a repository, below the depth, or excluded: no concern.
        assert_eq!(entry(&tree, "api/src"), None);
        assert_eq!(entry(&tree, "group/deep/er/too/x"), None);
        let vendor = entry(&tree, "group/vendor").unwrap();
        assert!(!tree.rescan(&vendor, &mut fake));
        // A file: nothing to do.
        let notes = entry(&tree, "notes.txt").unwrap();
        assert!(!tree.rescan(&notes, &mut fake));

        // A directory removed with the repositories in it.
        let dirs = tree.dirs();
        fake.remove("group");
        let rel = entry(&tree, "group").unwrap();
        assert!(tree.rescan(&rel, &mut fake));
        assert_eq!(found(&tree), ["api"]);
        assert_eq!(tree.dirs(), dirs - 3, "group, deep and er are left");
        assert_eq!(fake.watched.len(), tree.dirs());

        // The folder itself gone.
        fake.remove("api");
        assert!(tree.scan(&mut fake));
        assert_eq!(found(&tree), Vec::<String>::new());
        tree.clear(&mut fake);
        assert!(fake.watched.is_empty());
    }

    fn id(path: &str, common: &str) -> Identity {
        Identity {
            path: path.into(),
            real: Some(path.into()),
            common_dir: Some(common.into()),
        }
    }

    fn candidate(folder: usize, rel: &str, identity: Identity) -> Candidate {
        Candidate {
            folder,
            rel: rel.into(),
            identity,
        }
    }

    #[test]
    fn folders_overlap_where_one_looks_into_the_other() {
        let at = |path: &str, depth: u32, exclude: &[&str]| Folder {
            path: path.into(),
            ..folder(depth, exclude)
        };
        let table = [
            (at("/f", 3, &[]), at("/f", 1, &[]), true),
            (at("/f", 3, &[]), at("/f/work", 2, &[]), true),
            (at("/f/work", 2, &[]), at("/f", 3, &[]), true),
            (at("/f", 3, &["work"]), at("/f/work", 2, &[]), false),
            (at("/f", 3, &["/a"]), at("/f/a/b", 2, &[]), false),
            (at("/f", 1, &[]), at("/f/a/b", 2, &[]), false),
            // `a/b` is at the outer one's depth: looked into for a `.git`.
            (at("/f", 2, &[]), at("/f/a/b", 2, &[]), true),
            (at("/f", 3, &[]), at("/f/a/b", 2, &[]), true),
            (at("/f", 3, &[]), at("/g", 3, &[]), false),
            (at("/f", 3, &[]), at("/fx", 3, &[]), false),
        ];
        for (a, b, want) in table {
            assert_eq!(overlaps(&a, &b), want, "{:?} {:?}", a.path, b.path);
        }
        let mut off = at("/f/work", 2, &[]);
        off.enabled = false;
        assert!(!overlaps(&at("/f", 3, &[]), &off));
    }

    #[test]
    fn listed_entries_and_earlier_folders_win() {
        let listed = [
            ("api".to_string(), id("/f/api", "/f/api/.git")),
            (
                "old".to_string(),
                id("/elsewhere/web", "/elsewhere/web/.git"),
            ),
            ("shop".to_string(), id("/x/shop", "/x/shop/.git")),
        ];
        let folders = ["src".to_string(), "more".to_string()];
        let candidates = vec![
            // The same path as a listed one.
            candidate(0, "api", id("/f/api", "/f/api/.git")),
            // A worktree of a listed one.
            candidate(0, "fix", id("/f/fix", "/elsewhere/web/.git")),
            // A new one whose name a listed one holds.
            candidate(0, "shop", id("/f/shop", "/f/shop/.git")),
            candidate(0, "tools", id("/f/tools", "/f/tools/.git")),
            // A second folder holding the same repository through a symlink.
            candidate(1, "tools", id("/g/tools", "/f/tools/.git")),
            // A second folder with a name the first took.
            candidate(1, "group/x", id("/g/group/x", "/g/group/x/.git")),
            candidate(0, "group/x", id("/f/group/x", "/f/group/x/.git")),
            candidate(1, "", id("/g", "/g/.git")),
        ];
        let (picked, skipped) = pick(&listed, &folders, candidates);
        let names: Vec<(&str, &str)> = picked
            .iter()
            .map(|(c, n)| (n.as_str(), c.identity.path.to_str().unwrap()))
            .collect();
        assert_eq!(
            names,
            [
                ("src/shop", "/f/shop"),
                ("tools", "/f/tools"),
                ("group/x", "/g/group/x"),
                ("src/group/x", "/f/group/x"),
                ("more", "/g"),
            ]
        );
        assert!(skipped.is_empty(), "{skipped:?}");
        let (_, skipped) = pick(
            &[
                ("x".to_string(), id("/a", "/a/.git")),
                ("src/x".to_string(), id("/b", "/b/.git")),
            ],
            &folders[..1],
            vec![candidate(0, "x", id("/f/x", "/f/x/.git"))],
        );
        assert_eq!(
            skipped,
            ["`/f/x`: its name `x` is taken by another repository"]
        );
    }

    #[test]
    fn merging_on_disk_takes_the_folder_settings() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("src");
        for repo in ["api/.git", "web/.git", "nested/tool/.git"] {
            std::fs::create_dir_all(root.join(repo)).unwrap();
        }
        struct Disk;
        impl Look for Disk {
            fn enter(&mut self, dir: &Path) -> io::Result<Vec<Entry>> {
                read_entries(dir)
            }
            fn leave(&mut self, _: &Path) {}
            fn kind(&mut self, path: &Path) -> Option<Kind> {
                kind_on_disk(path)
            }
        }
        let mut f = folder(2, &[]);
        f.path = root.clone();
        let mut tree = Tree::new(&f);
        tree.scan(&mut Disk);
        let listed = [Repository {
            name: "the-api".into(),
            path: root.join("api"),
            enabled: false,
            project: None,
            commit_triggers: None,
            sync: true,
        }];
        let (repos, from, skipped) = merge(&listed, &[(&f, &tree)]);
        let names: Vec<&str> = repos.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["the-api", "nested/tool", "web"]);
        assert_eq!(repos[2].project.as_deref(), Some("Work"));
        assert_eq!(repos[2].path, root.join("web"));
        assert_eq!(
            from,
            [("nested/tool".to_string(), 0), ("web".to_string(), 0)]
        );
        assert!(skipped.is_empty());
    }
}
