//! Whether a hook may run at all, decided like OpenSSH's `StrictModes`: the
//! hook is a command devtrack runs as the user, so whoever can write the
//! config file (or replace it, by writing its directory) could run code as
//! the user. The file and its directory must each be owned by the user or
//! by root and be writable by neither group nor others; otherwise the hook
//! is refused and the reason says how to fix it.
//!
//! A symlinked config is followed link by link: the directory holding each
//! link (whoever writes it can point the link elsewhere), then the file it
//! finally names and that file's directory. Directories further up are not
//! checked (as OpenSSH's `StrictModes` checks only the file and the
//! directories it names itself, not every parent up to `/`).
//!
//! [`judge`] is the pure rule over (owner, mode, our uid); [`check`] reads
//! the metadata. The hook channel refuses to start on a [`Refusal`];
//! `devtrack doctor` shows the same refusal as a failure.

use std::fmt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// What is wrong with one file or directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    /// Writable by group and/or others (`who`: "group", "others", "group
    /// and others"); `mode` is the permission bits.
    Writable { who: &'static str, mode: u32 },
    /// Owned by neither the user nor root.
    Owner { owner: u32, me: u32 },
    /// Its metadata could not be read.
    Unreadable { error: String },
}

/// Why the hook is refused: the path and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub path: PathBuf,
    pub problem: Problem,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match &self.problem {
            Problem::Writable { who, mode } => {
                let bits = match *who {
                    "group" => "g-w",
                    "others" => "o-w",
                    _ => "go-w",
                };
                write!(
                    f,
                    "hook refused: `{path}` is writable by {who} (mode {mode:04o}); \
                     fix: chmod {bits} {path}"
                )
            }
            Problem::Owner { owner, me } => write!(
                f,
                "hook refused: `{path}` is owned by uid {owner}, neither you (uid {me}) \
                 nor root; fix: keep the config in a file and directory you own"
            ),
            Problem::Unreadable { error } => {
                write!(f, "hook refused: cannot check `{path}`: {error}")
            }
        }
    }
}

/// The rule for one file or directory: owned by `me` or root, and no
/// write bit for group or others. `mode` may carry the file type bits.
pub(crate) fn judge(owner: u32, mode: u32, me: u32) -> Option<Problem> {
    if owner != me && owner != 0 {
        return Some(Problem::Owner { owner, me });
    }
    let who = match (mode & 0o020 != 0, mode & 0o002 != 0) {
        (false, false) => return None,
        (true, false) => "group",
        (false, true) => "others",
        (true, true) => "group and others",
    };
    Some(Problem::Writable {
        who,
        mode: mode & 0o7777,
    })
}

/// Checks `config` for a user with uid `me`: the first problem found, in
/// the order link directories, file, file's directory.
pub(crate) fn check(config: &Path, me: u32) -> Result<(), Refusal> {
    for path in checked_paths(config)? {
        let problem = match std::fs::metadata(&path) {
            Ok(meta) => judge(meta.uid(), meta.mode(), me),
            Err(e) => Some(Problem::Unreadable {
                error: e.to_string(),
            }),
        };
        if let Some(problem) = problem {
            return Err(Refusal { path, problem });
        }
    }
    Ok(())
}

/// Links are followed at most this many times (the kernel's own limit).
const MAX_LINKS: usize = 40;

/// The directory of every link on the way from `config` to the file it
/// names, then that file and its directory; no path twice.
fn checked_paths(config: &Path) -> Result<Vec<PathBuf>, Refusal> {
    let unreadable = |path: &Path, error: String| Refusal {
        path: path.to_path_buf(),
        problem: Problem::Unreadable { error },
    };
    let mut paths = Vec::new();
    let push = |p: PathBuf, paths: &mut Vec<PathBuf>| {
        if !paths.contains(&p) {
            paths.push(p);
        }
    };
    let mut current = config.to_path_buf();
    for _ in 0..MAX_LINKS {
        let meta =
            std::fs::symlink_metadata(&current).map_err(|e| unreadable(&current, e.to_string()))?;
        if !meta.file_type().is_symlink() {
            let file = current
                .canonicalize()
                .map_err(|e| unreadable(&current, e.to_string()))?;
            let dir = directory_of(&file);
            push(file, &mut paths);
            push(dir, &mut paths);
            return Ok(paths);
        }
        let dir = directory_of(&current);
        let target =
            std::fs::read_link(&current).map_err(|e| unreadable(&current, e.to_string()))?;
        push(
            dir.canonicalize().unwrap_or_else(|_| dir.clone()),
            &mut paths,
        );
        current = dir.join(target);
    }
    Err(unreadable(
        config,
        format!("more than {MAX_LINKS} symbolic links"),
    ))
}

/// The directory holding `path` (`.` for a bare file name).
fn directory_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: u32 = 1000;

    #[test]
    fn judge_follows_strict_modes() {
        let writable = |who, mode| Some(Problem::Writable { who, mode });
        let cases: &[(u32, u32, u32, Option<Problem>)] = &[
            // (owner, mode, me, verdict)
            (ME, 0o100600, ME, None),
            (ME, 0o100644, ME, None),
            (ME, 0o100640, ME, None),
            (ME, 0o040700, ME, None),
            (ME, 0o040755, ME, None),
            (0, 0o040755, ME, None), // /etc: root's, not writable by others
            (0, 0o100644, ME, None),
            (ME, 0o100664, ME, writable("group", 0o664)),
            (ME, 0o100620, ME, writable("group", 0o620)),
            (ME, 0o100602, ME, writable("others", 0o602)),
            (ME, 0o100666, ME, writable("group and others", 0o666)),
            (ME, 0o040775, ME, writable("group", 0o775)),
            // Sticky does not help: OpenSSH refuses /tmp-like directories too.
            (0, 0o041777, ME, writable("group and others", 0o1777)),
            (0, 0o041757, ME, writable("others", 0o1757)),
            (
                1001,
                0o100600,
                ME,
                Some(Problem::Owner {
                    owner: 1001,
                    me: ME,
                }),
            ),
            (ME, 0o100600, 0, Some(Problem::Owner { owner: ME, me: 0 })),
            (0, 0o100600, 0, None),
        ];
        for (owner, mode, me, verdict) in cases {
            assert_eq!(
                &judge(*owner, *mode, *me),
                verdict,
                "owner {owner} mode {mode:o} me {me}"
            );
        }
    }

    #[test]
    fn refusals_name_the_path_and_the_fix() {
        let refusal = |problem| Refusal {
            path: PathBuf::from("/home/a/.config/devtrack/config.yaml"),
            problem,
        };
        assert_eq!(
            refusal(Problem::Writable {
                who: "group",
                mode: 0o664
            })
            .to_string(),
            "hook refused: `/home/a/.config/devtrack/config.yaml` is writable by group \
             (mode 0664); fix: chmod g-w /home/a/.config/devtrack/config.yaml"
        );
        assert!(refusal(Problem::Writable {
            who: "group and others",
            mode: 0o666
        })
        .to_string()
        .ends_with("fix: chmod go-w /home/a/.config/devtrack/config.yaml"));
        assert!(refusal(Problem::Owner {
            owner: 1001,
            me: 1000
        })
        .to_string()
        .contains("is owned by uid 1001, neither you (uid 1000) nor root"));
    }

    #[test]
    fn a_bare_file_name_lives_in_the_current_directory() {
        assert_eq!(directory_of(Path::new("config.yaml")), PathBuf::from("."));
        assert_eq!(directory_of(Path::new("/a/b.yaml")), PathBuf::from("/a"));
    }
}
