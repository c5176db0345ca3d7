//! Where a configured repository keeps its HEAD reflogs, found by reading
//! the directory layout (no libgit2, so it is cheap to redo on every
//! change notification).
//!
//! Handles `.git` files (`gitdir: …`, used by linked worktrees and
//! submodules), the `commondir` file, and linked worktrees under
//! `<commondir>/worktrees/<name>`. Bare repositories and reftable ref
//! storage have no HEAD reflog file and are reported as unsupported.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// A directory watched for a repository, and what its changes mean.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Role {
    /// The common git directory: `logs/` or `worktrees/` appearing matters.
    GitDir,
    /// A `logs/` directory: its `HEAD` is a reflog.
    LogsDir,
    /// `<commondir>/worktrees`: worktrees added or removed.
    WorktreesDir,
    /// `<commondir>/worktrees/<name>`: its `logs/` appearing matters.
    WorktreeAdmin,
    /// `refs/heads` or a directory below it, in a repository recorded
    /// without a reflog: a branch moving is a ref file replaced there.
    RefsDir,
    /// The nearest existing ancestor of a repository that is missing:
    /// anything on the way to `target` appearing matters.
    Ancestor { target: PathBuf },
}

/// One HEAD reflog of a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogSource {
    /// `<gitdir>/logs/HEAD`.
    pub log_path: PathBuf,
    /// The git directory whose HEAD this log records (opened with libgit2
    /// for commit details and the current branch).
    pub gitdir: PathBuf,
    /// The linked worktree's name; `None` for the main working tree.
    pub worktree: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Layout {
    pub commondir: PathBuf,
    /// The git directory of the configured checkout itself.
    pub gitdir: PathBuf,
    pub logs: Vec<LogSource>,
    pub dirs: Vec<(PathBuf, Role)>,
    /// The repository keeps no reflog ([`without_reflog`]): it is recorded
    /// from its branches' movements (`refs`).
    pub no_reflog: bool,
}

/// Why a repository cannot be watched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    /// The path does not exist (yet).
    Missing(String),
    /// The path exists but is no git repository (yet).
    NotRepository(String),
    /// A repository devtrack cannot watch (bare, reftable).
    Unsupported(String),
    /// Permissions or I/O errors.
    Unreadable(String),
}

impl Problem {
    /// Missing and not-yet-a-repository states are retried when the nearest
    /// existing ancestor changes; unsupported ones only on reconfigure.
    pub(crate) fn retry_on_change(&self) -> bool {
        !matches!(self, Problem::Unsupported(_))
    }
}

fn io_problem(what: &str, path: &Path, err: std::io::Error) -> Problem {
    match err.kind() {
        ErrorKind::NotFound => Problem::Missing(format!("`{}` does not exist", path.display())),
        _ => Problem::Unreadable(format!("{what} `{}`: {err}", path.display())),
    }
}

/// Finds the reflogs of the repository at `path`.
pub(crate) fn probe(path: &Path) -> Result<Layout, Problem> {
    let meta = fs::metadata(path).map_err(|e| io_problem("reading", path, e))?;
    if !meta.is_dir() {
        return Err(Problem::NotRepository(format!(
            "`{}` is not a directory",
            path.display()
        )));
    }
    let dotgit = path.join(".git");
    let gitdir = match fs::metadata(&dotgit) {
        Ok(m) if m.is_dir() => dotgit,
        Ok(_) => {
            let text =
                fs::read_to_string(&dotgit).map_err(|e| io_problem("reading", &dotgit, e))?;
            let target = parse_gitfile(&text).ok_or_else(|| {
                Problem::NotRepository(format!("`{}` is not a `gitdir:` pointer", dotgit.display()))
            })?;
            path.join(target)
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {
            if looks_like_gitdir(path) {
                return Err(Problem::Unsupported(format!(
                    "`{}` is a bare repository: it has no working tree and no HEAD reflog",
                    path.display()
                )));
            }
            return Err(Problem::NotRepository(not_a_repository(path)));
        }
        Err(e) => return Err(io_problem("reading", &dotgit, e)),
    };
    // A HEAD that cannot be looked at (a git directory made unreadable)
    // is an error to report, not a missing repository.
    match fs::metadata(gitdir.join("HEAD")) {
        Ok(m) if m.is_file() => {}
        Err(e) if e.kind() != ErrorKind::NotFound => {
            return Err(io_problem("reading", &gitdir.join("HEAD"), e))
        }
        _ => {
            return Err(Problem::NotRepository(format!(
                "`{}` has no HEAD: not a git directory",
                gitdir.display()
            )))
        }
    }
    let commondir = match fs::read_to_string(gitdir.join("commondir")) {
        Ok(text) => {
            let rel = text.trim_end_matches(['\n', '\r']);
            normalize(&gitdir.join(rel))
        }
        Err(e) if e.kind() == ErrorKind::NotFound => gitdir.clone(),
        Err(e) => return Err(io_problem("reading", &gitdir.join("commondir"), e)),
    };
    let gitdir = normalize(&gitdir);
    if !commondir.is_dir() {
        return Err(Problem::Missing(format!(
            "`{}`, the common git directory of `{}`, does not exist",
            commondir.display(),
            gitdir.display()
        )));
    }

    let config = match fs::read_to_string(commondir.join("config")) {
        Ok(text) => text,
        Err(e) if e.kind() == ErrorKind::NotFound => String::new(),
        Err(e) => return Err(io_problem("reading", &commondir.join("config"), e)),
    };
    if let Some(reason) = unsupported_reason(&config, &commondir) {
        return Err(Problem::Unsupported(reason));
    }

    let mut logs = vec![LogSource {
        log_path: commondir.join("logs").join("HEAD"),
        gitdir: commondir.clone(),
        worktree: None,
    }];
    let mut dirs = vec![(commondir.clone(), Role::GitDir)];
    // The working tree's own entry in its parent: moving, deleting or
    // re-permissioning the repository directory changes nothing inside
    // the git directory, whose watches follow it wherever it goes.
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        dirs.push((
            parent.to_path_buf(),
            Role::Ancestor {
                target: missing_target(path),
            },
        ));
    }
    if commondir.join("logs").is_dir() {
        dirs.push((commondir.join("logs"), Role::LogsDir));
    }
    let worktrees = commondir.join("worktrees");
    match fs::read_dir(&worktrees) {
        Ok(entries) => {
            dirs.push((worktrees.clone(), Role::WorktreesDir));
            let mut names: Vec<String> = entries
                .filter_map(|e| e.ok())
                .filter(|e| e.file_type().map(|t| t.is_dir()).unwrap_or(false))
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            for name in names {
                let admin = worktrees.join(&name);
                dirs.push((admin.clone(), Role::WorktreeAdmin));
                if admin.join("logs").is_dir() {
                    dirs.push((admin.join("logs"), Role::LogsDir));
                }
                logs.push(LogSource {
                    log_path: admin.join("logs").join("HEAD"),
                    gitdir: admin,
                    worktree: Some(name),
                });
            }
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(io_problem("listing", &worktrees, e)),
    }
    let no_reflog = without_reflog(
        &config,
        commondir.join("logs").join("HEAD").exists(),
        head_resolves(&gitdir, &commondir),
    );
    if no_reflog {
        ref_dirs(&commondir.join("refs").join("heads"), &mut dirs);
    }
    Ok(Layout {
        commondir,
        gitdir,
        logs,
        dirs,
        no_reflog,
    })
}

/// What `devtrack status` says about a repository recorded without a
/// reflog (`refs`).
pub(crate) const NO_REFLOG_NOTE: &str =
    "recorded without a reflog (core.logAllRefUpdates off, no logs/HEAD): \
commits are read from branch movements; a commit amended or rebased away before the next \
read and commits on a detached HEAD are not seen; a cherry-pick or revert counts as a commit";

/// Whether a repository keeps no HEAD reflog: there is no `logs/HEAD`
/// although HEAD names a commit (made with `core.logAllRefUpdates` off, or
/// its logs deleted), or none while that setting is off (its first commit
/// will write none). git appends to a reflog that exists whatever the
/// setting, so an existing `logs/HEAD` is always read; a repository
/// without commits and with the setting on writes one with its first.
pub(crate) fn without_reflog(config: &str, has_log: bool, head_resolves: bool) -> bool {
    let off = config_value(config, "core", "logallrefupdates").is_some_and(|v| {
        matches!(
            v.to_ascii_lowercase().as_str(),
            "false" | "no" | "off" | "0"
        )
    });
    !has_log && (off || head_resolves)
}

/// Whether `HEAD` names a commit: detached, or on a branch that has a
/// loose ref file or a `packed-refs` line.
fn head_resolves(gitdir: &Path, commondir: &Path) -> bool {
    let Ok(head) = fs::read_to_string(gitdir.join("HEAD")) else {
        return false;
    };
    match head.trim().strip_prefix("ref:") {
        None => !head.trim().is_empty(),
        Some(name) => {
            let name = name.trim();
            commondir.join(name).is_file()
                || fs::read_to_string(commondir.join("packed-refs")).is_ok_and(|p| {
                    p.lines()
                        .any(|l| l.split_once(' ').is_some_and(|(_, n)| n == name))
                })
        }
    }
}

/// `dir` and every directory below it, as [`Role::RefsDir`] (branch names
/// with `/` are files in subdirectories).
fn ref_dirs(dir: &Path, out: &mut Vec<(PathBuf, Role)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    out.push((dir.to_path_buf(), Role::RefsDir));
    let mut subdirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    subdirs.sort();
    for d in subdirs {
        ref_dirs(&d, out);
    }
}

/// Why the existing directory `path` is no repository, and what to do:
/// `git init` there, unless it lies inside one (that would nest a second
/// repository; the top level is what to configure).
fn not_a_repository(path: &Path) -> String {
    match crate::config::containing_repository(path) {
        Some(top) => format!(
            "`{}` is a directory inside the git repository `{}`, not its top level; \
             hint: set the path to `{}`",
            path.display(),
            top.display(),
            top.display()
        ),
        None => format!(
            "`{}` is not a git repository; hint: run `git init` there or fix the path",
            path.display()
        ),
    }
}

/// The directory to watch while the repository at `path` cannot be
/// watched: the nearest existing ancestor of its `.git/HEAD` that can be
/// read (a watch needs read permission, and a directory made unreadable
/// is watched from its parent, which sees its mode restored).
pub(crate) fn nearest_existing_dir(path: &Path) -> Option<PathBuf> {
    let target = path.join(".git").join("HEAD");
    target
        .ancestors()
        .skip(1)
        .find(|p| p.is_dir() && fs::read_dir(p).is_ok())
        .map(Path::to_path_buf)
}

/// The target a missing repository's ancestor watch waits for.
pub(crate) fn missing_target(path: &Path) -> PathBuf {
    path.join(".git").join("HEAD")
}

/// `gitdir: <path>` of a `.git` file.
pub(crate) fn parse_gitfile(text: &str) -> Option<&str> {
    let line = text.lines().next()?;
    let target = line.strip_prefix("gitdir:")?.trim();
    (!target.is_empty()).then_some(target)
}

/// A directory with `HEAD`, `objects` and `refs` is a git directory itself.
fn looks_like_gitdir(path: &Path) -> bool {
    path.join("HEAD").is_file() && path.join("objects").is_dir() && path.join("refs").exists()
}

/// Why a repository with this `config` text cannot be watched, if it cannot.
pub(crate) fn unsupported_reason(config: &str, commondir: &Path) -> Option<String> {
    let reftable = config_value(config, "extensions", "refstorage")
        .is_some_and(|v| v.eq_ignore_ascii_case("reftable"))
        || commondir.join("reftable").is_dir();
    if reftable {
        return Some(format!(
            "`{}` uses reftable ref storage, which keeps no reflog file devtrack can follow",
            commondir.display()
        ));
    }
    if config_value(config, "core", "bare").is_some_and(|v| is_true(&v)) {
        return Some(format!(
            "`{}` is a bare repository: it has no working tree and no HEAD reflog",
            commondir.display()
        ));
    }
    None
}

fn is_true(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "true" | "yes" | "on" | "1")
}

/// The last value of `section.key` in git config text (sections and keys
/// are case-insensitive; subsections are not looked at).
pub(crate) fn config_value(config: &str, section: &str, key: &str) -> Option<String> {
    let mut in_section = false;
    let mut found = None;
    for line in config.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            let name = rest.split([']', ' ', '"']).next().unwrap_or("");
            in_section = name.eq_ignore_ascii_case(section) && !rest.contains('"');
            continue;
        }
        if !in_section {
            continue;
        }
        let (k, v) = line.split_once('=').unwrap_or((line, "true"));
        if k.trim().eq_ignore_ascii_case(key) {
            let v = v
                .split(['#', ';'])
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches('"');
            found = Some(v.to_string());
        }
    }
    found
}

/// Removes `.` and `..` components without touching the file system
/// (`commondir` is usually `../..`).
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gitfile_pointer() {
        assert_eq!(
            parse_gitfile("gitdir: ../.git/modules/sub\n"),
            Some("../.git/modules/sub")
        );
        assert_eq!(parse_gitfile("gitdir:/abs/path"), Some("/abs/path"));
        assert_eq!(parse_gitfile("nonsense"), None);
        assert_eq!(parse_gitfile("gitdir: "), None);
    }

    #[test]
    fn config_values() {
        let cfg = "[core]\n\trepositoryformatversion = 1\n\tbare = false\n[extensions]\n\trefStorage = reftable\n[remote \"origin\"]\n\turl = x\n";
        assert_eq!(
            config_value(cfg, "extensions", "refstorage").as_deref(),
            Some("reftable")
        );
        assert_eq!(config_value(cfg, "core", "bare").as_deref(), Some("false"));
        assert_eq!(config_value(cfg, "remote", "url"), None);
        assert_eq!(
            config_value("[core]\n bare\n", "core", "bare").as_deref(),
            Some("true")
        );
        assert_eq!(
            config_value("[CORE]\nBare = TRUE ; comment\n", "core", "bare").as_deref(),
            Some("TRUE")
        );
    }

    #[test]
    fn unsupported_configs() {
        let dir = Path::new("/nonexistent-devtrack-test");
        assert!(unsupported_reason("[extensions]\nrefstorage = reftable\n", dir).is_some());
        assert!(unsupported_reason("[core]\nbare = true\n", dir).is_some());
        assert!(unsupported_reason("[core]\nbare = false\n", dir).is_none());
        assert!(unsupported_reason("", dir).is_none());
    }

    #[test]
    fn a_repository_without_a_reflog() {
        let off = "[core]\n\tlogAllRefUpdates = false\n";
        let table = [
            // (config, has logs/HEAD, HEAD names a commit) -> no reflog
            ("", true, true, false),
            // No commit yet: its first one writes the reflog.
            ("", false, false, false),
            ("", false, true, true),
            // git still appends to a reflog that exists.
            (off, true, true, false),
            (off, false, false, true),
            (off, false, true, true),
            ("[core]\n\tlogallrefupdates = 0\n", false, false, true),
            ("[core]\n\tlogAllRefUpdates = true\n", true, true, false),
            ("[core]\n\tlogAllRefUpdates = always\n", false, false, false),
            ("[other]\n\tlogAllRefUpdates = false\n", true, true, false),
        ];
        for (config, has_log, resolves, want) in table {
            assert_eq!(
                without_reflog(config, has_log, resolves),
                want,
                "{config:?} {has_log} {resolves}"
            );
        }
    }

    #[test]
    fn normalizes_commondir() {
        assert_eq!(
            normalize(Path::new("/r/.git/worktrees/wt/../..")),
            PathBuf::from("/r/.git")
        );
        assert_eq!(normalize(Path::new("/r/./a/../b")), PathBuf::from("/r/b"));
    }

    #[test]
    fn a_worktree_whose_main_repository_is_gone_is_missing() {
        let tmp = tempfile::tempdir().unwrap();
        let admin = tmp.path().join("main/.git/worktrees/wt");
        fs::create_dir_all(&admin).unwrap();
        fs::write(admin.join("HEAD"), "ref: refs/heads/wt\n").unwrap();
        fs::write(admin.join("commondir"), "../..\n").unwrap();
        let wt = tmp.path().join("wt");
        fs::create_dir_all(&wt).unwrap();
        fs::write(wt.join(".git"), format!("gitdir: {}\n", admin.display())).unwrap();
        assert!(probe(&wt).is_ok());
        fs::write(admin.join("commondir"), "../../../nowhere\n").unwrap();
        let Err(Problem::Missing(reason)) = probe(&wt) else {
            panic!("{:?}", probe(&wt))
        };
        assert!(reason.contains("common git directory"), "{reason}");
    }

    #[test]
    fn missing_and_not_a_repository() {
        let tmp = tempfile::tempdir().unwrap();
        let missing = tmp.path().join("nope/deeper");
        assert!(matches!(probe(&missing), Err(Problem::Missing(_))));
        assert_eq!(nearest_existing_dir(&missing).as_deref(), Some(tmp.path()));
        assert!(matches!(probe(tmp.path()), Err(Problem::NotRepository(_))));
        assert_eq!(
            nearest_existing_dir(tmp.path()).as_deref(),
            Some(tmp.path())
        );
    }

    #[test]
    fn a_directory_inside_a_repository_names_its_top_level() {
        let tmp = tempfile::tempdir().unwrap();
        let top = tmp.path().join("api");
        std::fs::create_dir_all(top.join(".git")).unwrap();
        std::fs::create_dir_all(top.join("src/server")).unwrap();
        let Err(Problem::NotRepository(reason)) = probe(&top.join("src/server")) else {
            panic!("{:?}", probe(&top.join("src/server")))
        };
        assert!(
            reason.contains(&format!("inside the git repository `{}`", top.display()))
                && reason.contains(&format!("set the path to `{}`", top.display()))
                && !reason.contains("git init"),
            "{reason}"
        );
    }
}
