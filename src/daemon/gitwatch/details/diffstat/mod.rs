//! Diff stats of a commit against its first parent (files changed, lines
//! inserted and deleted), from the two trees.
//!
//! libgit2's `diff_tree_to_tree` + `Diff::stats` gives these figures, but
//! costs what the daemon cannot pay per commit: it reads every subtree of
//! both trees (unchanged ones too), takes a snapshot of the repository's
//! whole configuration, and looks up each changed file's `diff` attribute
//! through `.git/index`, which it reads and hashes again after every
//! commit (git rewrites it). Here subtrees whose ids are equal on both
//! sides are skipped unread, only the changed blobs are loaded, and their
//! lines are counted by libgit2's own line differ run on the two buffers
//! (or without it, when the result cannot differ: [`plain_line_changes`]),
//! so the figures stay the ones `diff_tree_to_tree` gave (the tests compare
//! both on the same trees). The `diff` attribute comes from the caller,
//! told whether a directory on the file's path has a `.gitattributes` in
//! the commit's trees (without one, the caller may skip the lookup).

use std::cmp::Ordering;
use std::path::Path;

use git2::{Blob, DiffOptions, Oid, Patch, Repository, Tree, TreeEntry};

/// What a commit changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Stats {
    pub files_changed: u32,
    pub insertions: u32,
    pub deletions: u32,
}

/// How a changed file's content is counted: its `diff` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextMode {
    /// Unspecified: binary when a NUL byte is in its first 8,000 bytes.
    Auto,
    /// `-diff`, `binary`, or a driver with `binary = true`: no lines.
    Binary,
    /// `diff`, or a driver with `binary = false`: always lines.
    Text,
}

/// libgit2 looks at this much of a file for a NUL byte.
const BINARY_PROBE: usize = 8000;
/// Files larger than this count as binary (libgit2's and git's default).
const MAX_TEXT_SIZE: usize = 512 * 1024 * 1024;

const MODE_TYPE: i32 = 0o170000;
const MODE_TREE: i32 = 0o040000;
const MODE_GITLINK: i32 = 0o160000;

/// Gives the `diff` attribute of a changed path (relative to the
/// repository root); the flag says whether a directory on the path has a
/// `.gitattributes` file in the old or the new tree.
pub(crate) type ModeOf<'m> = dyn FnMut(&Path, bool) -> TextMode + 'm;

/// Stats from `old` (`None`: a root commit) to `new`.
pub(crate) fn between(
    repo: &Repository,
    old: Option<&Tree<'_>>,
    new: &Tree<'_>,
    mode: &mut ModeOf<'_>,
) -> Result<Stats, git2::Error> {
    let mut walk = Walk {
        repo,
        mode,
        path: Vec::new(),
        attributes: false,
        stats: Stats::default(),
    };
    walk.trees(old, Some(new))?;
    Ok(walk.stats)
}

fn is_tree(e: &TreeEntry<'_>) -> bool {
    e.filemode() & MODE_TYPE == MODE_TREE
}

/// Git's order of tree entries: names compared bytewise, a tree's name as
/// if it ended in `/`. A file and a directory of the same name are two
/// different entries (libgit2 reports such a change as a deletion and an
/// addition, as here).
pub(crate) fn git_order(a: &[u8], a_tree: bool, b: &[u8], b_tree: bool) -> Ordering {
    let n = a.len().min(b.len());
    a[..n].cmp(&b[..n]).then_with(|| {
        let end =
            |name: &[u8], tree: bool| name.get(n).copied().unwrap_or(if tree { b'/' } else { 0 });
        end(a, a_tree).cmp(&end(b, b_tree))
    })
}

/// Lines of a file added or deleted whole.
pub(crate) fn line_count(content: &[u8], mode: TextMode) -> u32 {
    let binary = match mode {
        TextMode::Binary => true,
        TextMode::Text => false,
        TextMode::Auto => looks_binary(content),
    };
    if binary || content.is_empty() {
        return 0;
    }
    let newlines = content.iter().filter(|&&b| b == b'\n').count();
    let unterminated = usize::from(content.last() != Some(&b'\n'));
    (newlines + unterminated) as u32
}

/// `(inserted, deleted)` lines from `old` to `new` when no line differ is
/// needed to tell: once the leading and trailing lines both have in common
/// are set aside (as libgit2's differ does first), one side is empty, or
/// no line of one is a line of the other, so every line left is deleted
/// or inserted however a differ pairs them. Most edits are of this kind.
/// `None`: the differ must decide.
pub(crate) fn plain_line_changes(old: &[u8], new: &[u8]) -> Option<(u32, u32)> {
    let (a, b) = (split_lines(old), split_lines(new));
    let lim = a.len().min(b.len());
    let head = (0..lim).take_while(|&i| a[i] == b[i]).count();
    let tail = (0..lim - head)
        .take_while(|&i| a[a.len() - 1 - i] == b[b.len() - 1 - i])
        .count();
    let (a, b) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
    let counts = Some((b.len() as u32, a.len() as u32));
    if a.is_empty() || b.is_empty() {
        return counts;
    }
    let olds: std::collections::HashSet<&[u8]> = a.iter().copied().collect();
    if b.iter().any(|line| olds.contains(line)) {
        return None;
    }
    counts
}

/// Lines as the differ sees them: each with its newline, the last maybe
/// without one.
fn split_lines(s: &[u8]) -> Vec<&[u8]> {
    s.split_inclusive(|&b| b == b'\n').collect()
}

/// `(inserted, deleted)` lines by libgit2's line differ, on the buffers
/// (with no repository, so no attributes are looked up). With no context
/// lines, each hunk's line counts are exactly its changes.
fn changed_lines(old: &[u8], new: &[u8]) -> Result<(u32, u32), git2::Error> {
    let mut opts = DiffOptions::new();
    opts.force_text(true).context_lines(0).interhunk_lines(0);
    let patch = Patch::from_buffers(old, None, new, None, Some(&mut opts))?;
    let (_, ins, del) = patch.line_stats()?;
    Ok((ins as u32, del as u32))
}

fn looks_binary(content: &[u8]) -> bool {
    content.len() > MAX_TEXT_SIZE || content[..content.len().min(BINARY_PROBE)].contains(&0)
}

struct Walk<'r, 'm> {
    repo: &'r Repository,
    mode: &'m mut ModeOf<'m>,
    /// The directory being walked, `a/b/` form.
    path: Vec<u8>,
    /// A directory on `path` has a `.gitattributes`.
    attributes: bool,
    stats: Stats,
}

fn has_attributes(tree: Option<&Tree<'_>>) -> bool {
    tree.is_some_and(|t| t.get_name(".gitattributes").is_some())
}

enum Side {
    Deleted,
    Added,
}

impl<'r> Walk<'r, '_> {
    fn trees(&mut self, old: Option<&Tree<'_>>, new: Option<&Tree<'_>>) -> Result<(), git2::Error> {
        let outer = self.attributes;
        self.attributes |= has_attributes(old) || has_attributes(new);
        let walked = self.entries(old, new);
        self.attributes = outer;
        walked
    }

    fn entries(
        &mut self,
        old: Option<&Tree<'_>>,
        new: Option<&Tree<'_>>,
    ) -> Result<(), git2::Error> {
        let mut olds = old.into_iter().flat_map(Tree::iter).peekable();
        let mut news = new.into_iter().flat_map(Tree::iter).peekable();
        loop {
            let order = match (olds.peek(), news.peek()) {
                (None, None) => return Ok(()),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some(o), Some(n)) => {
                    git_order(o.name_bytes(), is_tree(o), n.name_bytes(), is_tree(n))
                }
            };
            match order {
                Ordering::Less => {
                    let o = olds.next().expect("peeked");
                    self.one(&o, Side::Deleted)?;
                }
                Ordering::Greater => {
                    let n = news.next().expect("peeked");
                    self.one(&n, Side::Added)?;
                }
                Ordering::Equal => {
                    let (o, n) = (olds.next().expect("peeked"), news.next().expect("peeked"));
                    self.pair(&o, &n)?;
                }
            }
        }
    }

    /// Runs `f` with `name` appended to the current path.
    fn within<T>(&mut self, name: &[u8], f: impl FnOnce(&mut Self) -> T) -> T {
        let len = self.path.len();
        self.path.extend_from_slice(name);
        let out = f(self);
        self.path.truncate(len);
        out
    }

    /// An entry on one side only: a whole file (or tree of files) added or
    /// deleted.
    fn one(&mut self, e: &TreeEntry<'_>, side: Side) -> Result<(), git2::Error> {
        if is_tree(e) {
            let tree = self.repo.find_tree(e.id())?;
            return self.within(e.name_bytes(), |w| {
                w.path.push(b'/');
                match side {
                    Side::Deleted => w.trees(Some(&tree), None),
                    Side::Added => w.trees(None, Some(&tree)),
                }
            });
        }
        let lines = self.within(e.name_bytes(), |w| -> Result<u32, git2::Error> {
            let mode = w.mode_here();
            Ok(line_count(w.content(e)?.bytes(), mode))
        })?;
        self.stats.files_changed += 1;
        match side {
            Side::Deleted => self.stats.deletions += lines,
            Side::Added => self.stats.insertions += lines,
        }
        Ok(())
    }

    /// The same name on both sides.
    fn pair(&mut self, o: &TreeEntry<'_>, n: &TreeEntry<'_>) -> Result<(), git2::Error> {
        if o.id() == n.id() && o.filemode() == n.filemode() {
            return Ok(());
        }
        if is_tree(o) {
            // Same order position: both are trees.
            let (ot, nt) = (self.repo.find_tree(o.id())?, self.repo.find_tree(n.id())?);
            return self.within(o.name_bytes(), |w| {
                w.path.push(b'/');
                w.trees(Some(&ot), Some(&nt))
            });
        }
        if o.filemode() & MODE_TYPE != n.filemode() & MODE_TYPE {
            // A file became a symlink or a submodule (or back): libgit2
            // splits a type change into a deletion and an addition.
            self.one(o, Side::Deleted)?;
            return self.one(n, Side::Added);
        }
        self.stats.files_changed += 1;
        if o.id() == n.id() {
            // Only the mode changed.
            return Ok(());
        }
        let (ins, del) = self.within(n.name_bytes(), |w| -> Result<_, git2::Error> {
            let mode = w.mode_here();
            if mode == TextMode::Binary {
                return Ok((0, 0));
            }
            let (old, new) = (w.content(o)?, w.content(n)?);
            if mode == TextMode::Auto && (looks_binary(old.bytes()) || looks_binary(new.bytes())) {
                return Ok((0, 0));
            }
            match plain_line_changes(old.bytes(), new.bytes()) {
                Some(counts) => Ok(counts),
                None => changed_lines(old.bytes(), new.bytes()),
            }
        })?;
        self.stats.insertions += ins;
        self.stats.deletions += del;
        Ok(())
    }

    fn mode_here(&mut self) -> TextMode {
        (self.mode)(path_of(&self.path), self.attributes)
    }

    /// A file's content as libgit2's diff sees it (a submodule's is the
    /// line naming its commit).
    fn content(&self, e: &TreeEntry<'_>) -> Result<Content<'r>, git2::Error> {
        Ok(if e.filemode() & MODE_TYPE == MODE_GITLINK {
            Content::Gitlink(gitlink_text(e.id()))
        } else {
            Content::Blob(self.repo.find_blob(e.id())?)
        })
    }
}

enum Content<'r> {
    Blob(Blob<'r>),
    Gitlink(String),
}

impl Content<'_> {
    fn bytes(&self) -> &[u8] {
        match self {
            Content::Blob(b) => b.content(),
            Content::Gitlink(s) => s.as_bytes(),
        }
    }
}

fn gitlink_text(id: Oid) -> String {
    format!("Subproject commit {id}\n")
}

#[cfg(unix)]
fn path_of(bytes: &[u8]) -> &Path {
    use std::os::unix::ffi::OsStrExt;
    Path::new(std::ffi::OsStr::from_bytes(bytes))
}

#[cfg(test)]
mod tests;
