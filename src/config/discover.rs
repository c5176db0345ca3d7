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

use std::collections::{BTreeMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::ffi::OsStrExt;
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

/// A directory of a folder's [`Tree`] while it is looked into: the watch
/// of it is known by this number (reused once the directory is left).
pub(crate) type DirId = u32;

/// No node: the root's parent, the end of a list.
const NONE: u32 = u32::MAX;

/// One directory looked into: 20 bytes, its name kept in the tree's one
/// name buffer. Its children are a list through `next`; a free node is on
/// the free list through `next`, with `parent == FREE`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Node {
    parent: u32,
    first_child: u32,
    next: u32,
    name_at: u32,
    name_len: u16,
    level: u16,
}

/// The parent of a node on the free list.
const FREE: u32 = u32::MAX - 1;

/// The directories looked into, as a tree of names: a folder may hold
/// 50,000 directories, so no path is kept for each, only its name and
/// its parent's index. The names share one buffer, compacted when half
/// of it belongs to directories left.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Dirs {
    nodes: Vec<Node>,
    names: Vec<u8>,
    /// The folder itself, when it is looked into.
    top: Option<DirId>,
    /// The first free node.
    free: u32,
    live: usize,
    /// Bytes of `names` that no live node uses.
    dead_names: usize,
}

impl Dirs {
    fn new() -> Dirs {
        Dirs {
            free: NONE,
            ..Dirs::default()
        }
    }

    /// How many directories are in it.
    pub(crate) fn len(&self) -> usize {
        self.live
    }

    fn node(&self, id: DirId) -> Option<&Node> {
        self.nodes.get(id as usize).filter(|n| n.parent != FREE)
    }

    fn name(&self, n: &Node) -> &OsStr {
        let at = n.name_at as usize;
        OsStr::from_bytes(&self.names[at..at + usize::from(n.name_len)])
    }

    fn children(&self, id: DirId) -> impl Iterator<Item = DirId> + '_ {
        let first = self.nodes[id as usize].first_child;
        std::iter::successors((first != NONE).then_some(first), |&c| {
            let next = self.nodes[c as usize].next;
            (next != NONE).then_some(next)
        })
    }

    /// Adds `name` below `parent` (`None`: the folder itself).
    fn add(&mut self, parent: Option<DirId>, name: &OsStr) -> DirId {
        let bytes = name.as_bytes();
        let name_len = u16::try_from(bytes.len()).unwrap_or(u16::MAX);
        let (parent, level, next) = match parent {
            None => (NONE, 0, NONE),
            Some(p) => {
                let pn = &self.nodes[p as usize];
                (p, pn.level + 1, pn.first_child)
            }
        };
        let node = Node {
            parent,
            first_child: NONE,
            next,
            name_at: self.names.len() as u32,
            name_len,
            level,
        };
        self.names
            .extend_from_slice(&bytes[..usize::from(name_len)]);
        let id = if self.free == NONE {
            self.nodes.push(node);
            (self.nodes.len() - 1) as DirId
        } else {
            let id = self.free;
            self.free = self.nodes[id as usize].next;
            self.nodes[id as usize] = node;
            id
        };
        match parent {
            NONE => self.top = Some(id),
            p => self.nodes[p as usize].first_child = id,
        }
        self.live += 1;
        id
    }

    /// Removes `id`, which has no children left.
    fn remove(&mut self, id: DirId) {
        let Node {
            parent,
            next,
            name_len,
            ..
        } = self.nodes[id as usize];
        if parent == NONE {
            self.top = None;
        } else if self.nodes[parent as usize].first_child == id {
            self.nodes[parent as usize].first_child = next;
        } else {
            let before = self
                .children(parent)
                .find(|&c| self.nodes[c as usize].next == id);
            if let Some(before) = before {
                self.nodes[before as usize].next = next;
            }
        }
        let n = &mut self.nodes[id as usize];
        n.parent = FREE;
        n.first_child = NONE;
        n.next = self.free;
        self.free = id;
        self.live -= 1;
        self.dead_names += usize::from(name_len);
        if self.dead_names > 4096 && self.dead_names * 2 > self.names.len() {
            self.compact_names();
        }
    }

    /// Writes the live names into a new buffer.
    fn compact_names(&mut self) {
        let mut names = Vec::with_capacity(self.names.len() - self.dead_names);
        for n in self.nodes.iter_mut().filter(|n| n.parent != FREE) {
            let at = n.name_at as usize;
            let len = usize::from(n.name_len);
            let new_at = names.len() as u32;
            names.extend_from_slice(&self.names[at..at + len]);
            n.name_at = new_at;
        }
        self.names = names;
        self.dead_names = 0;
    }

    /// The directory at `rel` (relative to the folder).
    fn find(&self, rel: &Path) -> Option<DirId> {
        let mut at = self.top?;
        for c in rel.components() {
            let Component::Normal(name) = c else {
                return None;
            };
            at = self
                .children(at)
                .find(|&k| self.name(&self.nodes[k as usize]) == name)?;
        }
        Some(at)
    }

    /// The path of `id` relative to the folder.
    fn rel(&self, id: DirId) -> PathBuf {
        let mut names = Vec::new();
        let mut at = id;
        while let Some(n) = self.node(at) {
            if n.parent == NONE {
                break;
            }
            names.push(self.name(n));
            at = n.parent;
        }
        names.iter().rev().collect()
    }

    /// Gives the memory a walk left over back.
    fn shrink(&mut self) {
        self.nodes.shrink_to_fit();
        self.names.shrink_to_fit();
    }
}

/// The file system as the walk sees it.
pub(crate) trait Look {
    /// Starts watching the directory `dir`, known as `id` from now on.
    fn watch(&mut self, dir: &Path, id: DirId) -> io::Result<()>;
    /// Lists `dir`.
    fn list(&mut self, dir: &Path) -> io::Result<Vec<Entry>>;
    /// `dir` (`id`) is no longer looked into (a repository, gone, or
    /// dropped).
    fn leave(&mut self, dir: &Path, id: DirId);
    /// What `path` is now; `None` when it is gone.
    fn kind(&mut self, path: &Path) -> Option<Kind>;
}

/// [`Look::list`] on disk: the kind from the directory entry itself
/// (`d_type`), with no `stat` where the file system gives it.
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
    dirs: Dirs,
    /// Each repository, and whether its `.git` is a file (a linked
    /// worktree or a submodule).
    repos: BTreeMap<PathBuf, bool>,
}

/// `rel` as the globs and the names see it.
fn slashed(rel: &Path) -> String {
    rel.to_string_lossy().into_owned()
}

/// Where a walk is: the directory's path, absolute and relative to the
/// folder, kept in two buffers that each step pushes a name onto and pops.
struct At {
    abs: PathBuf,
    rel: PathBuf,
}

impl At {
    fn push(&mut self, name: &OsStr) {
        self.abs.push(name);
        self.rel.push(name);
    }

    fn pop(&mut self) {
        self.abs.pop();
        self.rel.pop();
    }
}

impl Tree {
    pub(crate) fn new(folder: &Folder) -> Tree {
        Tree {
            root: folder.path.clone(),
            depth: folder.depth,
            exclude: folder.exclude.clone(),
            dirs: Dirs::new(),
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
        if self.exclude.is_empty() {
            return false;
        }
        let text = slashed(rel);
        self.exclude.iter().any(|g| g.excludes(&text))
    }

    /// Looks at the whole folder again.
    pub(crate) fn scan(&mut self, look: &mut dyn Look) -> bool {
        let changed = self.rescan(Path::new(""), look);
        self.dirs.shrink();
        changed
    }

    /// Drops every directory looked into (they are left).
    pub(crate) fn clear(&mut self, look: &mut dyn Look) {
        if let Some(top) = self.dirs.top {
            let mut abs = self.root.clone();
            self.drop_dir(top, &mut abs, look);
        }
        self.dirs = Dirs::new();
        self.repos.clear();
    }

    /// Leaves `id` and every directory below it (`abs` its path, given
    /// back as it came).
    fn drop_dir(&mut self, id: DirId, abs: &mut PathBuf, look: &mut dyn Look) {
        loop {
            let child = self.dirs.nodes[id as usize].first_child;
            if child == NONE {
                break;
            }
            abs.push(self.dirs.name(&self.dirs.nodes[child as usize]));
            self.drop_dir(child, abs, look);
            abs.pop();
        }
        look.leave(abs, id);
        self.dirs.remove(id);
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
            Some(p) => self.dirs.find(p).is_some(),
        };
        let level = out.components().count() as u32;
        (parent_known && level <= self.depth).then_some(out)
    }

    /// The entry to look at again when `name` changed in the directory
    /// `id` (with no name: the directory itself), as [`Tree::entry_of`]
    /// says for a path. `None` when `id` is no longer looked into.
    pub(crate) fn entry_in(&self, id: DirId, name: Option<&OsStr>) -> Option<PathBuf> {
        let node = self.dirs.node(id)?;
        let mut rel = self.dirs.rel(id);
        match name {
            Some(name) if !name.is_empty() && name != ".git" => {
                if u32::from(node.level) >= self.depth {
                    return None;
                }
                rel.push(name);
            }
            _ => {}
        }
        Some(rel)
    }

    /// Looks at the entry `rel` again (a path [`Tree::entry_of`] gave):
    /// forgets what was found at and below it, and walks it again when it
    /// is a directory to look into. Returns whether the repositories found
    /// changed.
    pub(crate) fn rescan(&mut self, rel: &Path, look: &mut dyn Look) -> bool {
        let below = |p: &PathBuf| p.starts_with(rel);
        if let Some(id) = self.dirs.find(rel) {
            let mut abs = self.root.join(rel);
            self.drop_dir(id, &mut abs, look);
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
        let parent = match rel.parent() {
            Some(p) => self.dirs.find(p).map(Some),
            None => Some(None),
        };
        let abs = self.root.join(rel);
        if let Some(parent) = parent {
            let look_into = level <= self.depth
                && (level == 0 || !self.excluded(rel))
                && look.kind(&abs) == Some(Kind::Dir);
            if look_into {
                let mut at = At {
                    abs,
                    rel: rel.to_path_buf(),
                };
                self.walk(&mut at, parent, level, look);
            }
        }
        let after = self
            .repos
            .range(rel.to_path_buf()..)
            .take_while(|(p, _)| below(p))
            .map(|(p, f)| (p.clone(), *f));
        !before.into_iter().eq(after)
    }

    /// Looks into the directory `at` (below `parent`): watched first, then
    /// listed, or, at `depth` (where only a `.git` matters), asked for its
    /// `.git` alone.
    fn walk(&mut self, at: &mut At, parent: Option<DirId>, level: u32, look: &mut dyn Look) {
        let name = match parent {
            Some(_) => at.rel.file_name().unwrap_or_default().to_os_string(),
            None => OsString::new(),
        };
        let id = self.dirs.add(parent, &name);
        if look.watch(&at.abs, id).is_err() {
            self.dirs.remove(id);
            return;
        }
        let (git, mut entries) = if level >= self.depth {
            at.abs.push(".git");
            let git = look.kind(&at.abs);
            at.abs.pop();
            (git, Vec::new())
        } else {
            let Ok(entries) = look.list(&at.abs) else {
                look.leave(&at.abs, id);
                self.dirs.remove(id);
                return;
            };
            let git = entries.iter().find(|e| e.name == ".git").map(|e| e.kind);
            (git, entries)
        };
        if let Some(kind) = git {
            look.leave(&at.abs, id);
            self.dirs.remove(id);
            self.repos.insert(at.rel.clone(), kind != Kind::Dir);
            return;
        }
        entries.retain(|e| e.kind == Kind::Dir);
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        for e in entries {
            at.push(&e.name);
            if !self.excluded(&at.rel) {
                self.walk(at, Some(id), level + 1, look);
            }
            at.pop();
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
        watched: BTreeMap<PathBuf, DirId>,
        /// Directories listed.
        listed: Vec<PathBuf>,
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
        fn watch(&mut self, dir: &Path, id: DirId) -> io::Result<()> {
            if !self.dirs.contains_key(dir) {
                return Err(io::ErrorKind::NotFound.into());
            }
            let taken = self.watched.values().any(|&w| w == id);
            assert!(!taken, "{id} given twice: {dir:?}");
            let old = self.watched.insert(dir.to_path_buf(), id);
            assert_eq!(old, None, "watched twice: {dir:?}");
            Ok(())
        }
        fn list(&mut self, dir: &Path) -> io::Result<Vec<Entry>> {
            assert!(self.watched.contains_key(dir), "listed unwatched: {dir:?}");
            self.listed.push(dir.to_path_buf());
            self.dirs
                .get(dir)
                .cloned()
                .ok_or(io::ErrorKind::NotFound.into())
        }
        fn leave(&mut self, dir: &Path, id: DirId) {
            assert_eq!(self.watched.remove(dir), Some(id), "left: {dir:?}");
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
            let level = |p: &PathBuf| p.components().count() as u32 - 2;
            assert!(
                fake.listed.iter().all(|p| level(p) < *depth),
                "the deepest are not listed: {:?}",
                fake.listed
            );
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
        assert!(fake.watched.contains_key(Path::new("/f/group/new")));
        fake.add("group/new/.git/");
        let rel = entry(&tree, "group/new/.git").unwrap();
        assert_eq!(rel, Path::new("group/new"));
        assert!(tree.rescan(&rel, &mut fake));
        assert!(found(&tree).contains(&"group/new".to_string()));
        assert!(!fake.watched.contains_key(Path::new("/f/group/new")));

        // The same by the number of the directory an event came from.
        let id = |fake: &Fake, p: &str| fake.watched[&Path::new("/f").join(p)];
        let (top, group, er) = (
            id(&fake, ""),
            id(&fake, "group"),
            id(&fake, "group/deep/er"),
        );
        let table: &[(DirId, Option<&str>, Option<&str>)] = &[
            (top, None, Some("")),
            (top, Some("api"), Some("api")),
            (group, Some("new"), Some("group/new")),
            (group, Some(".git"), Some("group")),
            (group, None, Some("group")),
            (er, Some("x"), None),
            (er, Some(".git"), Some("group/deep/er")),
        ];
        for (dir, name, want) in table {
            let got = tree.entry_in(*dir, name.map(OsStr::new));
            assert_eq!(got.as_deref(), want.map(Path::new), "{dir} {name:?}");
        }

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
        assert_eq!(tree.entry_in(er, Some(OsStr::new(".git"))), None);

        // The folder itself gone.
        fake.remove("api");
        assert!(tree.scan(&mut fake));
        assert_eq!(found(&tree), Vec::<String>::new());
        tree.clear(&mut fake);
        assert!(fake.watched.is_empty());
    }

    #[test]
    fn dirs_keep_names_and_parents_and_reuse_what_is_left() {
        let mut d = Dirs::new();
        let top = d.add(None, OsStr::new(""));
        let a = d.add(Some(top), OsStr::new("a"));
        let b = d.add(Some(a), OsStr::new("b"));
        let c = d.add(Some(a), OsStr::new("c"));
        let table: &[(&str, Option<DirId>)] = &[
            ("", Some(top)),
            ("a", Some(a)),
            ("a/b", Some(b)),
            ("a/c", Some(c)),
            ("a/d", None),
            ("b", None),
            ("a/b/c", None),
        ];
        for (rel, want) in table {
            assert_eq!(d.find(Path::new(rel)), *want, "{rel}");
        }
        for (id, rel) in [(top, ""), (a, "a"), (b, "a/b"), (c, "a/c")] {
            assert_eq!(d.rel(id), Path::new(rel));
        }
        assert_eq!(d.len(), 4);
        // `b` is not its parent's first child (children are prepended).
        d.remove(b);
        assert_eq!(d.find(Path::new("a/b")), None);
        assert_eq!(d.find(Path::new("a/c")), Some(c));
        assert_eq!(d.node(b), None);
        let e = d.add(Some(a), OsStr::new("e"));
        assert_eq!(e, b, "the node left is taken again");
        assert_eq!(d.rel(e), Path::new("a/e"));
        assert_eq!(d.find(Path::new("a/e")), Some(e));
        for id in [e, c, a, top] {
            d.remove(id);
        }
        assert_eq!(d.len(), 0);
        assert_eq!(d.find(Path::new("")), None);
    }

    #[test]
    fn dirs_give_back_the_names_of_those_left() {
        let mut d = Dirs::new();
        let top = d.add(None, OsStr::new(""));
        let keep = d.add(Some(top), OsStr::new("keep"));
        for i in 0..500 {
            let gone = d.add(Some(top), OsStr::new(&format!("{i:0>40}")));
            d.remove(gone);
        }
        assert!(d.names.len() < 4096 + 100, "{} bytes kept", d.names.len());
        assert_eq!(d.len(), 2);
        assert_eq!(d.nodes.len(), 3, "one node taken again and again");
        assert_eq!(d.find(Path::new("keep")), Some(keep));
        assert_eq!(d.rel(keep), Path::new("keep"));
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
            fn watch(&mut self, _: &Path, _: DirId) -> io::Result<()> {
                Ok(())
            }
            fn list(&mut self, dir: &Path) -> io::Result<Vec<Entry>> {
                read_entries(dir)
            }
            fn leave(&mut self, _: &Path, _: DirId) {}
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
