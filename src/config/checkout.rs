//! Which git repository a configured path is, read from the file system.
//!
//! Two entries may spell one repository differently: the same path twice,
//! a symlink to it, or a linked worktree of it (whose commits the main
//! entry already records, since every worktree of a repository is
//! watched). Commits would go to one entry only, so that is a config error,
//! decided by the pure [`same_repository`] over each entry's [`Identity`].
//! A path inside a repository's working tree is not a repository of its
//! own; [`containing_repository`] finds the one around it so the message
//! can name its top level instead of suggesting `git init`, which would
//! nest a second repository.

use std::fs;
use std::path::{Path, PathBuf};

/// What makes two configured paths the same repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Identity {
    /// The path as configured (normalized by validation).
    pub path: PathBuf,
    /// The path with symlinks resolved, when it exists.
    pub real: Option<PathBuf>,
    /// The common git directory, resolved, when the path is a checkout.
    pub common_dir: Option<PathBuf>,
}

/// How two entries name one repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Same {
    Path,
    Symlink,
    Worktree,
}

impl Same {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Same::Path => "the same path",
            Same::Symlink => "the same directory through a symlink",
            Same::Worktree => "a linked worktree of the same repository",
        }
    }
}

/// Whether `a` and `b` are one repository, and how.
pub(crate) fn same_repository(a: &Identity, b: &Identity) -> Option<Same> {
    if a.path == b.path {
        Some(Same::Path)
    } else if a.real.is_some() && a.real == b.real {
        Some(Same::Symlink)
    } else if a.common_dir.is_some() && a.common_dir == b.common_dir {
        Some(Same::Worktree)
    } else {
        None
    }
}

/// The first pair of entries (by index, the earlier one first) that are
/// one repository. Linear in the number of entries.
pub(crate) fn first_duplicate(entries: &[Identity]) -> Option<(usize, usize, Same)> {
    use std::collections::HashMap;
    let mut paths: HashMap<&Path, usize> = HashMap::new();
    let mut reals: HashMap<&Path, usize> = HashMap::new();
    let mut commons: HashMap<&Path, usize> = HashMap::new();
    for (i, entry) in entries.iter().enumerate() {
        let earlier = [
            paths.get(entry.path.as_path()),
            entry.real.as_deref().and_then(|r| reals.get(r)),
            entry.common_dir.as_deref().and_then(|c| commons.get(c)),
        ];
        if let Some(&first) = earlier.into_iter().flatten().min() {
            let same = same_repository(&entries[first], entry).unwrap_or(Same::Path);
            return Some((first, i, same));
        }
        paths.insert(&entry.path, i);
        if let Some(r) = &entry.real {
            reals.insert(r, i);
        }
        if let Some(c) = &entry.common_dir {
            commons.insert(c, i);
        }
    }
    None
}

/// The identity of the configured `path` (reads the file system).
pub(crate) fn identify(path: &Path) -> Identity {
    Identity {
        path: path.to_path_buf(),
        real: fs::canonicalize(path).ok(),
        common_dir: common_dir(path).and_then(|d| fs::canonicalize(d).ok()),
    }
}

/// The common git directory of the checkout whose top level is `path`:
/// `.git` itself, or where a `.git` file's `gitdir:` and that directory's
/// `commondir` lead.
fn common_dir(path: &Path) -> Option<PathBuf> {
    let dotgit = path.join(".git");
    let meta = fs::metadata(&dotgit).ok()?;
    let gitdir = if meta.is_dir() {
        dotgit
    } else {
        let text = fs::read_to_string(&dotgit).ok()?;
        let target = text.lines().next()?.strip_prefix("gitdir:")?.trim();
        path.join(target)
    };
    match fs::read_to_string(gitdir.join("commondir")) {
        Ok(rel) => Some(gitdir.join(rel.trim_end_matches(['\n', '\r']))),
        Err(_) => Some(gitdir),
    }
}

/// The top level of the git checkout that `path` lies inside (not `path`
/// itself), when there is one: its nearest ancestor holding `.git`.
pub fn containing_repository(path: &Path) -> Option<PathBuf> {
    path.ancestors()
        .skip(1)
        .find(|dir| fs::symlink_metadata(dir.join(".git")).is_ok())
        .map(Path::to_path_buf)
}

/// The top level of the checkout `path` is in or at, when there is one.
pub(crate) fn top_level(path: &Path) -> Option<PathBuf> {
    if fs::symlink_metadata(path.join(".git")).is_ok() {
        return Some(path.to_path_buf());
    }
    containing_repository(path)
}

/// When the checkout whose top level is `path` is a linked worktree (its
/// `.git` is a file leading to a `commondir`): the main repository's top
/// level (or its git directory when it is bare).
pub(crate) fn main_of_linked_worktree(path: &Path) -> Option<PathBuf> {
    let dotgit = path.join(".git");
    if !fs::metadata(&dotgit).ok()?.is_file() {
        return None;
    }
    let common = fs::canonicalize(common_dir(path)?).ok()?;
    let own = fs::read_to_string(&dotgit).ok()?;
    let own = path.join(own.lines().next()?.strip_prefix("gitdir:")?.trim());
    if fs::canonicalize(own).ok()? == common {
        // A `.git` file pointing at the repository itself (a submodule).
        return None;
    }
    match common.file_name() {
        Some(name) if name == ".git" => common.parent().map(Path::to_path_buf),
        _ => Some(common),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(path: &str, real: Option<&str>, common: Option<&str>) -> Identity {
        Identity {
            path: path.into(),
            real: real.map(PathBuf::from),
            common_dir: common.map(PathBuf::from),
        }
    }

    #[test]
    fn duplicates_by_path_symlink_and_worktree() {
        let api = id("/src/api", Some("/src/api"), Some("/src/api/.git"));
        type Case<'a> = (&'a [Identity], Option<(usize, usize, Same)>);
        let cases: &[Case] = &[
            (&[], None),
            (std::slice::from_ref(&api), None),
            (
                &[
                    api.clone(),
                    id("/src/web", Some("/src/web"), Some("/src/web/.git")),
                ],
                None,
            ),
            // Missing paths: only the spelling can tell.
            (
                &[id("/gone", None, None), id("/gone", None, None)],
                Some((0, 1, Same::Path)),
            ),
            (&[id("/a", None, None), id("/b", None, None)], None),
            (&[api.clone(), api.clone()], Some((0, 1, Same::Path))),
            (
                &[
                    api.clone(),
                    id("/home/me/api", Some("/src/api"), Some("/src/api/.git")),
                ],
                Some((0, 1, Same::Symlink)),
            ),
            (
                &[
                    id("/src/web", None, None),
                    api.clone(),
                    id("/src/api-fix", Some("/src/api-fix"), Some("/src/api/.git")),
                ],
                Some((1, 2, Same::Worktree)),
            ),
            // Not a checkout (no common dir): directories only.
            (
                &[id("/x", Some("/x"), None), id("/y", Some("/y"), None)],
                None,
            ),
        ];
        for (entries, want) in cases {
            assert_eq!(first_duplicate(entries), *want, "{entries:?}");
        }
    }

    #[test]
    fn identity_and_containing_repository_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("api");
        std::fs::create_dir_all(repo.join(".git/worktrees/fix")).unwrap();
        std::fs::create_dir_all(repo.join("src/deep")).unwrap();
        std::fs::write(repo.join(".git/worktrees/fix/commondir"), "../..\n").unwrap();
        let fix = dir.path().join("fix");
        std::fs::create_dir_all(&fix).unwrap();
        std::fs::write(
            fix.join(".git"),
            format!("gitdir: {}\n", repo.join(".git/worktrees/fix").display()),
        )
        .unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&repo, &link).unwrap();

        let ids: Vec<Identity> = [&repo, &link, &fix].iter().map(|p| identify(p)).collect();
        assert_eq!(same_repository(&ids[0], &ids[1]), Some(Same::Symlink));
        assert_eq!(same_repository(&ids[0], &ids[2]), Some(Same::Worktree));
        assert_eq!(
            containing_repository(&repo.join("src/deep")),
            Some(repo.clone())
        );
        assert_eq!(containing_repository(&dir.path().join("elsewhere")), None);
        assert_eq!(top_level(&repo.join("src/deep")), Some(repo.clone()));
        assert_eq!(top_level(&fix), Some(fix.clone()));
        assert_eq!(
            main_of_linked_worktree(&fix),
            Some(std::fs::canonicalize(&repo).unwrap())
        );
        assert_eq!(main_of_linked_worktree(&repo), None);
    }
}
