//! Commit details from libgit2: summary, author, time, diff stats.
//!
//! A [`RepoReader`] opens the repository lazily, on the first question.
//! [`Readers`] keeps the few repositories of a burst of changes open (at
//! most [`MAX_OPEN`], each until it was left alone for [`KEEP_OPEN`]), so
//! a burst of commits opens each repository once rather than once per
//! commit, while no repository stays open between bursts (memory would
//! otherwise grow with the number of watched repositories, and open pack
//! files would keep a repacked repository's old packs on disk). Diff
//! stats come from [`diffstat`]; only counts are taken, no content is kept.

pub(crate) mod cli;
mod diffstat;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset};
use git2::{AttrCheckFlags, AttrValue, Oid, Repository};

use diffstat::TextMode;

/// What the reflog line does not say about a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CommitDetails {
    pub summary: Option<String>,
    pub author_name: String,
    pub author_email: String,
    pub time: DateTime<FixedOffset>,
    pub first_parent: Option<String>,
    pub files_changed: u32,
    pub insertions: u32,
    pub deletions: u32,
}

pub(crate) struct RepoReader {
    gitdir: PathBuf,
    repo: Option<Result<Opened, String>>,
    /// The last commit read and its tree: in a burst, the next commit's
    /// parent, whose tree is then found without reading the parent again.
    last: Option<(Oid, Oid)>,
}

struct Opened {
    repo: Repository,
    /// An attributes file outside the repository's trees exists, so every
    /// changed file's `diff` attribute must be looked up.
    attributes_elsewhere: bool,
}

impl RepoReader {
    /// `gitdir` is the git directory whose HEAD matters (a linked
    /// worktree's own directory for its commits).
    pub(crate) fn new(gitdir: &Path) -> RepoReader {
        RepoReader {
            gitdir: gitdir.to_path_buf(),
            repo: None,
            last: None,
        }
    }

    fn opened(&mut self) -> Result<&Opened, String> {
        open_once(&mut self.repo, &self.gitdir)
    }

    fn repo(&mut self) -> Result<&Repository, String> {
        self.opened().map(|o| &o.repo)
    }

    /// libgit2 cannot read this repository's object format (SHA-256):
    /// questions go to the `git` command ([`cli`]).
    fn through_cli(&mut self) -> bool {
        matches!(self.opened(), Err(e) if cli::unreadable_format(&e))
    }

    /// Opened successfully (worth keeping for the next question).
    pub(crate) fn is_open(&self) -> bool {
        matches!(self.repo, Some(Ok(_)))
    }

    /// The branch HEAD is on, `None` when detached.
    pub(crate) fn head_branch(&mut self) -> Option<String> {
        if self.through_cli() {
            let text = std::fs::read_to_string(self.gitdir.join("HEAD")).ok()?;
            return cli::branch_of_head(&text);
        }
        let repo = self.repo().ok()?;
        if repo.head_detached().unwrap_or(false) {
            return None;
        }
        match repo.head() {
            Ok(head) => head.shorthand().ok().map(str::to_string),
            // An unborn branch has no commit yet but still a name.
            Err(_) => repo
                .find_reference("HEAD")
                .ok()
                .and_then(|r| r.symbolic_target().ok().flatten().map(str::to_string))
                .map(|t| t.strip_prefix("refs/heads/").unwrap_or(&t).to_string()),
        }
    }

    /// `user.email` as git would use it for this repository.
    pub(crate) fn user_email(&mut self) -> Option<String> {
        if self.through_cli() {
            return cli::user_email(&self.gitdir);
        }
        let repo = self.repo().ok()?;
        repo.config().ok()?.get_string("user.email").ok()
    }

    /// Details of `hash`; `Err` when the repository or the object is gone
    /// (gc after an amend while the daemon was down).
    pub(crate) fn details(&mut self, hash: &str) -> Result<CommitDetails, String> {
        if self.through_cli() {
            return cli::details(&self.gitdir, hash);
        }
        let last = self.last;
        let Opened {
            repo,
            attributes_elsewhere,
        } = open_once(&mut self.repo, &self.gitdir)?;
        let oid = Oid::from_str(hash).map_err(|e| e.message().to_string())?;
        let commit = repo
            .find_commit(oid)
            .map_err(|e| format!("reading commit `{hash}`: {}", e.message()))?;
        let author = commit.author();
        let when = author.when();
        let offset = FixedOffset::east_opt(when.offset_minutes() * 60)
            .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"));
        let time = DateTime::from_timestamp(when.seconds(), 0)
            .unwrap_or_default()
            .with_timezone(&offset);
        let parent = commit.parent_id(0).ok();
        let tree = commit
            .tree()
            .map_err(|e| format!("reading tree of `{hash}`: {}", e.message()))?;
        let parent_tree = match (parent, last) {
            (Some(p), Some((c, t))) if p == c => repo.find_tree(t).ok(),
            (Some(_), _) => commit.parent(0).ok().and_then(|p| p.tree().ok()),
            (None, _) => None,
        };
        let stats = diffstat::between(repo, parent_tree.as_ref(), &tree, &mut |path, in_tree| {
            if in_tree || *attributes_elsewhere {
                text_mode(repo, path)
            } else {
                TextMode::Auto
            }
        })
        .map_err(|e| format!("diffing `{hash}`: {}", e.message()))?;
        let details = CommitDetails {
            summary: commit
                .summary_bytes()
                .map(|s| String::from_utf8_lossy(s).into_owned()),
            author_name: String::from_utf8_lossy(author.name_bytes()).into_owned(),
            author_email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
            time,
            first_parent: parent.map(|p| p.to_string()),
            files_changed: stats.files_changed,
            insertions: stats.insertions,
            deletions: stats.deletions,
        };
        self.last = Some((oid, tree.id()));
        Ok(details)
    }

    /// Whether `hash` is `tip` or an ancestor of it (`false` when either
    /// cannot be read).
    pub(crate) fn reachable(&mut self, hash: &str, tip: &str) -> bool {
        if hash.eq_ignore_ascii_case(tip) {
            return true;
        }
        if self.through_cli() {
            return cli::reachable(&self.gitdir, hash, tip);
        }
        let Ok(repo) = self.repo() else {
            return false;
        };
        match (Oid::from_str(hash), Oid::from_str(tip)) {
            (Ok(h), Ok(t)) => repo.graph_descendant_of(t, h).unwrap_or(false),
            _ => false,
        }
    }

    /// Whether a rebase is in progress in this git directory (its state
    /// directory exists, as git itself decides).
    pub(crate) fn rebase_in_progress(&self) -> bool {
        ["rebase-merge", "rebase-apply"]
            .iter()
            .any(|d| self.gitdir.join(d).is_dir())
    }

    /// The parents of `hash`, first parent first.
    pub(crate) fn parents(&mut self, hash: &str) -> Vec<String> {
        if self.through_cli() {
            return cli::parents(&self.gitdir, hash);
        }
        let Ok(repo) = self.repo() else {
            return Vec::new();
        };
        let Some(commit) = Oid::from_str(hash)
            .ok()
            .and_then(|o| repo.find_commit(o).ok())
        else {
            return Vec::new();
        };
        commit.parent_ids().map(|p| p.to_string()).collect()
    }

    /// The commits reachable from `new` and not from `old`, oldest first,
    /// at most `limit`, with how many there are.
    pub(crate) fn gained(&mut self, old: &str, new: &str, limit: usize) -> (Vec<String>, usize) {
        if self.through_cli() {
            return cli::gained(&self.gitdir, old, new, limit);
        }
        let mut walk = || -> Result<Vec<Oid>, git2::Error> {
            let repo = self.repo().map_err(|e| git2::Error::from_str(&e))?;
            let mut revwalk = repo.revwalk()?;
            revwalk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE)?;
            revwalk.push(Oid::from_str(new)?)?;
            if let Ok(old) = Oid::from_str(old) {
                // An old tip that is gone (gc) hides nothing.
                let _ = revwalk.hide(old);
            }
            revwalk.collect()
        };
        match walk() {
            Ok(all) => {
                let total = all.len();
                (
                    all.into_iter().take(limit).map(|o| o.to_string()).collect(),
                    total,
                )
            }
            Err(_) => (Vec::new(), 0),
        }
    }

    /// The patch id of `hash` against its first parent (`git patch-id`'s
    /// stable id: the same change applied elsewhere has the same one);
    /// `None` for a commit that changes nothing, or when unreadable.
    pub(crate) fn patch_id(&mut self, hash: &str) -> Option<String> {
        let repo = self.repo().ok()?;
        let commit = repo.find_commit(Oid::from_str(hash).ok()?).ok()?;
        let tree = commit.tree().ok()?;
        let parent = commit.parent(0).ok().and_then(|p| p.tree().ok());
        let diff = repo
            .diff_tree_to_tree(parent.as_ref(), Some(&tree), None)
            .ok()?;
        if diff.deltas().len() == 0 {
            return None;
        }
        diff.patchid(None).ok().map(|id| id.to_string())
    }

    /// The first parent of `hash`.
    pub(crate) fn first_parent(&mut self, hash: &str) -> Option<String> {
        if self.through_cli() {
            return cli::parents(&self.gitdir, hash).into_iter().next();
        }
        let repo = self.repo().ok()?;
        let commit = repo.find_commit(Oid::from_str(hash).ok()?).ok()?;
        commit.parent_id(0).ok().map(|id| id.to_string())
    }
}

fn open_once<'a>(
    repo: &'a mut Option<Result<Opened, String>>,
    gitdir: &Path,
) -> Result<&'a Opened, String> {
    repo.get_or_insert_with(|| open(gitdir))
        .as_ref()
        .map_err(Clone::clone)
}

fn open(gitdir: &Path) -> Result<Opened, String> {
    crate::daemon::footprint::libgit2();
    let failed = |e: git2::Error| format!("opening `{}`: {}", gitdir.display(), e.message());
    let repo = Repository::open(gitdir).map_err(failed)?;
    // Attribute lookups (`text_mode`) read `.gitattributes` from the work
    // tree and from the index; libgit2 would read `.git/index` (and hash
    // all of it) again after every commit, since git rewrites it. An empty
    // in-memory index stands in: attributes come from the work tree,
    // `$GIT_DIR/info/attributes` and the user's and system's files.
    let mut index = git2::Index::new().map_err(failed)?;
    repo.set_index(&mut index).map_err(failed)?;
    Ok(Opened {
        attributes_elsewhere: attributes_elsewhere(&repo),
        repo,
    })
}

/// Whether an attributes file that applies to every path exists:
/// `info/attributes` in the git directory, the user's (`core.attributesFile`,
/// else `attributes` in libgit2's XDG directory) or the system's
/// (`gitattributes` in libgit2's system directory). Without one, only a
/// `.gitattributes` in a commit's trees can set a file's `diff` attribute,
/// and the lookup is skipped for paths without one (a `.gitattributes`
/// only in the work tree, not committed, is then not seen).
fn attributes_elsewhere(repo: &Repository) -> bool {
    let mut files = vec![repo.commondir().join("info").join("attributes")];
    let search = |level, name: &str| -> Vec<PathBuf> {
        // SAFETY: the search paths are only ever read (nothing in the
        // daemon sets them), on the run loop's thread.
        let dirs = unsafe { git2::opts::get_search_path(level) };
        dirs.ok()
            .and_then(|d| d.into_string().ok())
            .map(|d| {
                d.split(':')
                    .filter(|d| !d.is_empty())
                    .map(|d| Path::new(d).join(name))
                    .collect()
            })
            .unwrap_or_default()
    };
    match repo
        .config()
        .and_then(|c| c.get_path("core.attributesFile"))
    {
        Ok(path) => files.push(path),
        Err(_) => files.extend(search(git2::ConfigLevel::XDG, "attributes")),
    }
    files.extend(search(git2::ConfigLevel::System, "gitattributes"));
    files.iter().any(|f| f.exists())
}

/// The `diff` attribute of `path`, as libgit2's diff would apply it.
fn text_mode(repo: &Repository, path: &Path) -> TextMode {
    let value = repo.get_attr_bytes(path, "diff", AttrCheckFlags::FILE_THEN_INDEX);
    match value.map(AttrValue::from_bytes) {
        Ok(AttrValue::True) => TextMode::Text,
        Ok(AttrValue::False) => TextMode::Binary,
        Ok(AttrValue::String(driver)) => driver_mode(repo, driver),
        Ok(AttrValue::Bytes(_) | AttrValue::Unspecified) | Err(_) => TextMode::Auto,
    }
}

/// A named diff driver is binary or text when `diff.<driver>.binary` says so.
fn driver_mode(repo: &Repository, driver: &str) -> TextMode {
    let binary = repo
        .config()
        .and_then(|c| c.get_bool(&format!("diff.{driver}.binary")));
    match binary {
        Ok(true) => TextMode::Binary,
        Ok(false) => TextMode::Text,
        Err(_) => TextMode::Auto,
    }
}

/// How many repositories stay open at once.
pub(crate) const MAX_OPEN: usize = 4;
/// How long a repository stays open after its last use.
pub(crate) const KEEP_OPEN: Duration = Duration::from_secs(2);

/// The repositories kept open across a burst of changes.
#[derive(Default)]
pub(crate) struct Readers {
    /// Least recently used first.
    open: Vec<(RepoReader, Instant)>,
}

impl Readers {
    /// The reader for `gitdir`: the open one, else a new one (which opens
    /// the repository when first asked something).
    pub(crate) fn take(&mut self, gitdir: &Path) -> RepoReader {
        match self.open.iter().position(|(r, _)| r.gitdir == gitdir) {
            Some(i) => self.open.remove(i).0,
            None => RepoReader::new(gitdir),
        }
    }

    /// Gives a reader back after use at `now`. One that never opened its
    /// repository (or failed to) is dropped; beyond [`MAX_OPEN`], the least
    /// recently used one is closed.
    pub(crate) fn put(&mut self, reader: RepoReader, now: Instant) {
        if !reader.is_open() {
            return;
        }
        self.open.push((reader, now));
        if self.open.len() > MAX_OPEN {
            self.open.remove(0);
        }
    }

    /// When the next open repository has been idle for [`KEEP_OPEN`].
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.open.first().map(|(_, used)| *used + KEEP_OPEN)
    }

    /// Closes the repositories idle for [`KEEP_OPEN`] at `now`.
    pub(crate) fn close_idle(&mut self, now: Instant) {
        self.open.retain(|(_, used)| now < *used + KEEP_OPEN);
    }

    /// How many repositories are open.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.open.len()
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.open.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_with_commit(dir: &Path, name: &str) -> (PathBuf, String) {
        repo_with_files(dir, name, &[])
    }

    /// Two commits changing `a.txt`; `extra` files are in both (and in
    /// the work tree).
    fn repo_with_files(dir: &Path, name: &str, extra: &[(&str, &str)]) -> (PathBuf, String) {
        let path = dir.join(name);
        let repo = Repository::init(&path).unwrap();
        let sig = git2::Signature::now("A", "a@x").unwrap();
        let mut tb = repo.treebuilder(None).unwrap();
        for (name, text) in extra {
            tb.insert(name, repo.blob(text.as_bytes()).unwrap(), 0o100644)
                .unwrap();
            std::fs::write(path.join(name), text).unwrap();
        }
        tb.insert("a.txt", repo.blob(b"1\n2\n").unwrap(), 0o100644)
            .unwrap();
        let tree = repo.find_tree(tb.write().unwrap()).unwrap();
        let first = repo
            .commit(Some("HEAD"), &sig, &sig, "one", &tree, &[])
            .unwrap();
        let mut tb = repo.treebuilder(Some(&tree)).unwrap();
        tb.insert("a.txt", repo.blob(b"1\n3\n4\n").unwrap(), 0o100644)
            .unwrap();
        let tree = repo.find_tree(tb.write().unwrap()).unwrap();
        let parent = repo.find_commit(first).unwrap();
        let second = repo
            .commit(Some("HEAD"), &sig, &sig, "two", &tree, &[&parent])
            .unwrap();
        (path.join(".git"), second.to_string())
    }

    #[test]
    fn details_never_read_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let (gitdir, hash) = repo_with_commit(dir.path(), "r");
        // An index libgit2 cannot parse: reading it fails the diff.
        std::fs::write(gitdir.join("index"), b"DIRC garbage").unwrap();
        let d = RepoReader::new(&gitdir).details(&hash).unwrap();
        assert_eq!(
            (d.files_changed, d.insertions, d.deletions),
            (1, 2, 1),
            "{d:?}"
        );
        assert_eq!(d.summary.as_deref(), Some("two"));
    }

    #[test]
    fn a_burst_read_by_one_reader_gives_what_fresh_readers_give() {
        let dir = tempfile::tempdir().unwrap();
        let (gitdir, _) = repo_with_commit(dir.path(), "r");
        let repo = Repository::open(&gitdir).unwrap();
        let sig = git2::Signature::now("A", "a@x").unwrap();
        let mut hashes = Vec::new();
        for n in 0..4 {
            let parent = repo.head().unwrap().peel_to_commit().unwrap();
            let mut tb = repo.treebuilder(Some(&parent.tree().unwrap())).unwrap();
            let text = "x\n".repeat(n + 1);
            tb.insert("b.txt", repo.blob(text.as_bytes()).unwrap(), 0o100644)
                .unwrap();
            let tree = repo.find_tree(tb.write().unwrap()).unwrap();
            let id = repo
                .commit(Some("HEAD"), &sig, &sig, "more", &tree, &[&parent])
                .unwrap();
            hashes.push(id.to_string());
        }
        // In order (each commit's parent was read just before), out of
        // order, and each by a reader of its own.
        let mut burst = RepoReader::new(&gitdir);
        let in_order: Vec<_> = hashes.iter().map(|h| burst.details(h).unwrap()).collect();
        let shuffled: Vec<_> = [2, 0, 3, 1]
            .map(|i| (i, burst.details(&hashes[i]).unwrap()))
            .to_vec();
        for (i, h) in hashes.iter().enumerate() {
            let fresh = RepoReader::new(&gitdir).details(h).unwrap();
            assert_eq!(in_order[i], fresh);
            assert_eq!(in_order[i].insertions, 1, "{fresh:?}");
        }
        for (i, d) in shuffled {
            assert_eq!(d, in_order[i]);
        }
    }

    #[test]
    fn attributes_only_staged_in_the_index_are_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let (gitdir, hash) = repo_with_commit(dir.path(), "r");
        let repo = Repository::open(&gitdir).unwrap();
        let mut index = repo.index().unwrap();
        let entry = git2::IndexEntry {
            ctime: git2::IndexTime::new(0, 0),
            mtime: git2::IndexTime::new(0, 0),
            dev: 0,
            ino: 0,
            mode: 0o100644,
            uid: 0,
            gid: 0,
            file_size: 0,
            id: Oid::ZERO_SHA1,
            flags: 0,
            flags_extended: 0,
            path: b".gitattributes".to_vec(),
        };
        index.add_frombuffer(&entry, b"*.txt -diff\n").unwrap();
        index.write().unwrap();
        let d = RepoReader::new(&gitdir).details(&hash).unwrap();
        assert_eq!((d.files_changed, d.insertions, d.deletions), (1, 2, 1));
    }

    #[test]
    fn committed_attributes_make_a_file_binary() {
        let dir = tempfile::tempdir().unwrap();
        let attrs = [(".gitattributes", "*.txt -diff\n")];
        let (gitdir, hash) = repo_with_files(dir.path(), "r", &attrs);
        let d = RepoReader::new(&gitdir).details(&hash).unwrap();
        assert_eq!((d.files_changed, d.insertions, d.deletions), (1, 0, 0));
    }

    #[test]
    fn info_attributes_apply_to_every_path() {
        let dir = tempfile::tempdir().unwrap();
        let (gitdir, hash) = repo_with_commit(dir.path(), "r");
        std::fs::create_dir_all(gitdir.join("info")).unwrap();
        std::fs::write(gitdir.join("info/attributes"), "a.txt binary\n").unwrap();
        let d = RepoReader::new(&gitdir).details(&hash).unwrap();
        assert_eq!((d.files_changed, d.insertions, d.deletions), (1, 0, 0));
    }

    #[test]
    fn readers_stay_open_across_a_burst_and_close_when_idle() {
        let dir = tempfile::tempdir().unwrap();
        let t0 = Instant::now();
        let mut readers = Readers::default();
        let gitdirs: Vec<PathBuf> = (0..MAX_OPEN + 1)
            .map(|i| repo_with_commit(dir.path(), &format!("r{i}")).0)
            .collect();

        // Never asked anything: not kept.
        let unused = readers.take(&gitdirs[0]);
        readers.put(unused, t0);
        assert!(readers.is_empty());

        let mut r = readers.take(&gitdirs[0]);
        assert!(r.head_branch().is_some());
        readers.put(r, t0);
        assert_eq!(readers.deadline(), Some(t0 + KEEP_OPEN));
        // Taken again: the same open repository.
        let r = readers.take(&gitdirs[0]);
        assert!(r.is_open() && readers.is_empty());
        readers.put(r, t0 + Duration::from_millis(500));

        for (i, g) in gitdirs.iter().enumerate().skip(1) {
            let mut r = readers.take(g);
            r.head_branch();
            readers.put(r, t0 + Duration::from_millis(500 + i as u64));
        }
        // The least recently used one was closed to stay within the bound.
        assert_eq!(readers.len(), MAX_OPEN);
        assert!(!readers.take(&gitdirs[0]).is_open());

        let first_idle = t0 + Duration::from_millis(501) + KEEP_OPEN;
        assert_eq!(readers.deadline(), Some(first_idle));
        readers.close_idle(first_idle - Duration::from_millis(1));
        assert_eq!(readers.len(), MAX_OPEN);
        readers.close_idle(first_idle);
        assert_eq!(readers.len(), MAX_OPEN - 1);
        readers.close_idle(first_idle + KEEP_OPEN);
        assert!(readers.is_empty() && readers.deadline().is_none());
    }
}
