//! What the daemon's watch on the config file decides, kept apart from the
//! watching itself (`daemon::config_watch`): which files matter, which
//! directories to watch for them, which events are a change of one, when
//! a burst of them has settled, whether the file found then differs from
//! the one last read, and when a config created at the preferred location
//! takes over from the older one.
//!
//! The directory is watched, not the file: editors save by writing a
//! temporary file and renaming it over the old one, which replaces the
//! inode a watch on the file would follow. A directory that does not
//! exist yet (no config ever written) is waited for from its nearest
//! existing ancestor, which reports only entries appearing or going.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::file::MAX_BYTES;
use super::paths::{ConfigSource, Paths};

/// How long the config's directory must be still before a change is
/// read: an editor's save (backup, temporary file, rename, permissions)
/// is one reload, however many events it makes.
pub(crate) const QUIET: Duration = Duration::from_millis(300);

/// The config files whose changes matter: the one in use, and the
/// preferred location (`$XDG_CONFIG_HOME/devtrack/config.yaml`) while the
/// daemon runs on defaults or on the older `~/.devtrack/config.yaml`, so a
/// config written there is picked up. A `--config` file is the only one.
pub(crate) fn files(paths: &Paths, on_defaults: bool) -> Vec<PathBuf> {
    let mut out = vec![paths.config_file.clone()];
    let other = paths.config_source == ConfigSource::Legacy || on_defaults;
    if paths.config_source != ConfigSource::Flag
        && other
        && paths.preferred_config != paths.config_file
    {
        out.push(paths.preferred_config.clone());
    }
    out
}

/// A directory to watch, and whether it holds one of the files (so its
/// files written in place matter) or only lies on the way to one (so
/// only entries appearing or going do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dir {
    pub path: PathBuf,
    pub holds_file: bool,
}

/// The directories to watch for `files`: each file's directory, or its
/// nearest ancestor that is a directory when that is missing.
pub(crate) fn dirs(files: &[PathBuf], is_dir: &dyn Fn(&Path) -> bool) -> Vec<Dir> {
    let mut out: Vec<Dir> = Vec::new();
    for file in files {
        let Some(parent) = file.parent() else {
            continue;
        };
        let Some(dir) = parent.ancestors().find(|d| is_dir(d)) else {
            continue;
        };
        let holds_file = dir == parent;
        match out.iter_mut().find(|d| d.path == dir) {
            Some(d) => d.holds_file |= holds_file,
            None => out.push(Dir {
                path: dir.to_path_buf(),
                holds_file,
            }),
        }
    }
    out
}

/// What one event (on `path`, in or of a watched directory; `replaced`
/// when created, removed or renamed) means for the watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seen {
    /// Nothing: another file, or a read.
    Nothing,
    /// One of the files was written, replaced, created or removed.
    Changed,
    /// A directory on the way to a file, or a watched one, appeared, went
    /// or moved: the watches must be set again, and the file may have come
    /// or gone with it.
    Moved,
}

/// See [`Seen`].
pub(crate) fn seen(path: &Path, replaced: bool, files: &[PathBuf], dirs: &[Dir]) -> Seen {
    if files.iter().any(|f| f == path) {
        return Seen::Changed;
    }
    let on_the_way = files.iter().any(|f| f.starts_with(path));
    if replaced && (on_the_way || dirs.iter().any(|d| d.path == path)) {
        return Seen::Moved;
    }
    Seen::Nothing
}

/// The file to use after a change: the preferred location once a config
/// exists there, while the daemon uses the older one (`None`: keep the
/// one in use). On defaults the preferred location is the one in use.
pub(crate) fn moves_to_preferred(paths: &Paths, exists: &dyn Fn(&Path) -> bool) -> Option<PathBuf> {
    let preferred = &paths.preferred_config;
    (paths.config_source == ConfigSource::Legacy && exists(preferred)).then(|| preferred.clone())
}

/// What a reload would read from a config file: its content, owner and
/// permissions (the hook refuses a config others may write). Equal
/// fingerprints make a second reload pointless; `None` is no file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fingerprint {
    content: u64,
    mode: u32,
    uid: u32,
}

/// The file's fingerprint now; `None` when it cannot be read (gone, or a
/// directory), which a reload reports.
pub(crate) fn fingerprint(path: &Path) -> Option<Fingerprint> {
    let file = std::fs::File::open(path).ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(MAX_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .ok()?;
    let mut hasher = DefaultHasher::new();
    bytes.hash(&mut hasher);
    Some(Fingerprint {
        content: hasher.finish(),
        mode: meta.mode(),
        uid: meta.uid(),
    })
}

/// Whether a settled change is worth a reload: the file differs from what
/// the last reload read (`known`; `None` when nothing was read by one yet,
/// as at start, where any change reloads).
pub(crate) fn differs(known: Option<Option<Fingerprint>>, now: Option<Fingerprint>) -> bool {
    known != Some(now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::paths::BaseDirs;

    fn paths(flag: Option<&str>, existing: &[&str]) -> Paths {
        let base = BaseDirs {
            home: "/h".into(),
            config_home: "/h/.config".into(),
            data_home: "/h/.local/share".into(),
            runtime_dir: None,
            temp_dir: "/tmp".into(),
            uid: 1,
        };
        let exists = |p: &Path| existing.iter().any(|e| Path::new(e) == p);
        Paths::resolve_in(flag.map(Path::new), &base, &exists)
    }

    const XDG: &str = "/h/.config/devtrack/config.yaml";
    const LEGACY: &str = "/h/.devtrack/config.yaml";

    #[test]
    fn the_file_in_use_and_the_preferred_one_while_it_may_take_over() {
        let p = |v: &[&str]| v.iter().map(PathBuf::from).collect::<Vec<_>>();
        let table: [(Paths, bool, Vec<PathBuf>); 5] = [
            (paths(None, &[XDG]), false, p(&[XDG])),
            // On defaults, the XDG path is already the one in use.
            (paths(None, &[]), true, p(&[XDG])),
            (paths(None, &[LEGACY]), false, p(&[LEGACY, XDG])),
            (paths(Some("/etc/d.yaml"), &[]), false, p(&["/etc/d.yaml"])),
            (paths(Some("/etc/d.yaml"), &[]), true, p(&["/etc/d.yaml"])),
        ];
        for (paths, on_defaults, want) in table {
            assert_eq!(files(&paths, on_defaults), want, "{paths:?}");
        }
    }

    #[test]
    fn a_missing_directory_is_waited_for_from_its_nearest_ancestor() {
        let files = [PathBuf::from(LEGACY), PathBuf::from(XDG)];
        let some =
            |dirs: &'static [&'static str]| move |d: &Path| dirs.iter().any(|x| Path::new(x) == d);
        let want = |v: &[(&str, bool)]| {
            v.iter()
                .map(|(p, holds_file)| Dir {
                    path: p.into(),
                    holds_file: *holds_file,
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            dirs(
                &files,
                &some(&[
                    "/",
                    "/h",
                    "/h/.devtrack",
                    "/h/.config",
                    "/h/.config/devtrack"
                ])
            ),
            want(&[("/h/.devtrack", true), ("/h/.config/devtrack", true)])
        );
        assert_eq!(
            dirs(&files, &some(&["/", "/h", "/h/.devtrack"])),
            want(&[("/h/.devtrack", true), ("/h", false)])
        );
        // Two files waited for from one ancestor: one watch.
        assert_eq!(dirs(&files, &some(&["/", "/h"])), want(&[("/h", false)]));
        assert_eq!(
            dirs(
                &[
                    PathBuf::from("/h/config.yaml"),
                    PathBuf::from("/h/.config/x.yaml")
                ],
                &some(&["/h"])
            ),
            want(&[("/h", true)])
        );
    }

    #[test]
    fn which_events_are_a_change_of_the_config() {
        let files = [PathBuf::from(XDG)];
        let dirs = [Dir {
            path: "/h/.config/devtrack".into(),
            holds_file: true,
        }];
        let ancestor = [Dir {
            path: "/h".into(),
            holds_file: false,
        }];
        let table: [(&str, bool, &[Dir], Seen); 9] = [
            // Written in place, renamed over, created, removed.
            (XDG, false, &dirs, Seen::Changed),
            (XDG, true, &dirs, Seen::Changed),
            // An editor's temporary file, a backup, a swap file.
            (
                "/h/.config/devtrack/config.yaml.tmp",
                false,
                &dirs,
                Seen::Nothing,
            ),
            (
                "/h/.config/devtrack/.config.yaml.swp",
                true,
                &dirs,
                Seen::Nothing,
            ),
            (
                "/h/.config/devtrack/config.yaml~",
                true,
                &dirs,
                Seen::Nothing,
            ),
            // The directory itself removed or moved; its permissions changed.
            ("/h/.config/devtrack", true, &dirs, Seen::Moved),
            ("/h/.config/devtrack", false, &dirs, Seen::Nothing),
            // Waiting in the home directory: `.config` created; another entry.
            ("/h/.config", true, &ancestor, Seen::Moved),
            ("/h/.bash_history", true, &ancestor, Seen::Nothing),
        ];
        for (path, replaced, dirs, want) in table {
            assert_eq!(
                seen(Path::new(path), replaced, &files, dirs),
                want,
                "{path} {replaced}"
            );
        }
    }

    #[test]
    fn a_config_at_the_preferred_location_takes_over() {
        let xdg = |p: &Path| p == Path::new(XDG);
        let none = |_: &Path| false;
        let legacy = paths(None, &[LEGACY]);
        assert_eq!(moves_to_preferred(&legacy, &xdg), Some(XDG.into()));
        assert_eq!(moves_to_preferred(&legacy, &none), None);
        // On defaults at the XDG path: the file appeared where it is read.
        assert_eq!(moves_to_preferred(&paths(None, &[]), &xdg), None);
        // Running on the XDG file, or a `--config` one: stays.
        assert_eq!(moves_to_preferred(&paths(None, &[XDG]), &xdg), None);
        let flag = paths(Some("/etc/d.yaml"), &[]);
        assert_eq!(moves_to_preferred(&flag, &xdg), None);
    }

    #[test]
    fn a_change_is_read_when_the_file_differs_from_the_last_read() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("config.yaml");
        assert_eq!(fingerprint(&file), None);
        assert_eq!(fingerprint(tmp.path()), None, "a directory");
        std::fs::write(&file, "a: 1\n").unwrap();
        let one = fingerprint(&file);
        assert!(one.is_some());
        std::fs::write(&file, "a: 1\n").unwrap();
        assert_eq!(fingerprint(&file), one, "rewritten the same");
        std::fs::write(&file, "a: 2\n").unwrap();
        let two = fingerprint(&file);
        assert_ne!(two, one);
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o664)).unwrap();
        let three = fingerprint(&file);
        assert_ne!(three, two, "permissions count");

        assert!(differs(None, three), "nothing read yet");
        assert!(differs(None, None));
        assert!(!differs(Some(three), three));
        assert!(differs(Some(two), three));
        assert!(differs(Some(three), None), "removed");
        assert!(!differs(Some(None), None), "still gone");
    }
}
