//! The desktop entry and icon that name devtrack on screen. A
//! notification names its application by `app_icon` and the
//! `desktop-entry` hint; without an installed `devtrack.desktop` GNOME's
//! notification settings cannot list devtrack (no per-application Do Not
//! Disturb, banners or sound), and without an icon nothing on screen says
//! which program asks. The Debian package installs both under `/usr/share`;
//! `install-service` writes them under `$XDG_DATA_HOME` (`~/.local/share`)
//! for a `cargo install`, and `uninstall-service` removes the copies that
//! are still ours. On macOS the notification comes from `osascript`, so
//! nothing is installed there. What to write or remove is decided here
//! from what is on disk, as plain data.

use std::path::{Path, PathBuf};

/// What notifications give as `app_icon` and `desktop-entry`: the icon
/// name and the desktop file's basename.
pub(crate) const NAME: &str = "devtrack";

/// `devtrack.desktop`: hidden from menus (`NoDisplay`), listed among the
/// applications that notify (`X-GNOME-UsesNotifications`).
pub(crate) const DESKTOP_ENTRY: &str = include_str!("../../packaging/desktop/devtrack.desktop");

/// The scalable icon, `hicolor/scalable/apps/devtrack.svg`.
pub(crate) const ICON: &str = include_str!("../../packaging/icons/devtrack.svg");

/// Where the two files go below a data directory (`/usr/share` or
/// `~/.local/share`), with their contents.
pub(crate) fn files_under(data_dir: &Path) -> [(PathBuf, &'static str); 2] {
    [
        (
            data_dir.join("applications/devtrack.desktop"),
            DESKTOP_ENTRY,
        ),
        (
            data_dir.join("icons/hicolor/scalable/apps/devtrack.svg"),
            ICON,
        ),
    ]
}

/// `$XDG_DATA_HOME`, or `~/.local/share`.
pub(crate) fn user_data_dir() -> PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from(".local/share"))
}

/// The system data directory a package installs into.
pub(crate) const SYSTEM_DATA_DIR: &str = "/usr/share";

/// The user's files `install-service` must write: none when a package
/// installed the system-wide ones (`packaged`), else each one that is
/// missing or differs from this version's. `read` gives a file's text.
pub(crate) fn to_write(
    user_data_dir: &Path,
    packaged: bool,
    read: &dyn Fn(&Path) -> Option<String>,
) -> Vec<(PathBuf, &'static str)> {
    if packaged {
        return Vec::new();
    }
    files_under(user_data_dir)
        .into_iter()
        .filter(|(path, contents)| read(path).as_deref() != Some(*contents))
        .collect()
}

/// The user's files `uninstall-service` removes: those that hold exactly
/// what some `install-service` wrote (a file the user changed stays).
pub(crate) fn to_remove(
    user_data_dir: &Path,
    read: &dyn Fn(&Path) -> Option<String>,
) -> Vec<PathBuf> {
    files_under(user_data_dir)
        .into_iter()
        .filter(|(path, contents)| read(path).as_deref() == Some(*contents))
        .map(|(path, _)| path)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn disk(files: &[(&str, &str)]) -> impl Fn(&Path) -> Option<String> {
        let map: HashMap<PathBuf, String> = files
            .iter()
            .map(|(p, t)| (PathBuf::from(p), t.to_string()))
            .collect();
        move |p: &Path| map.get(p).cloned()
    }

    const HOME: &str = "/home/me/.local/share";
    const ENTRY: &str = "/home/me/.local/share/applications/devtrack.desktop";
    const SVG: &str = "/home/me/.local/share/icons/hicolor/scalable/apps/devtrack.svg";

    #[test]
    fn install_writes_what_is_missing_or_stale_unless_packaged() {
        let home = Path::new(HOME);
        let paths = |v: Vec<(PathBuf, &str)>| v.into_iter().map(|(p, _)| p).collect::<Vec<_>>();
        assert_eq!(
            paths(to_write(home, false, &disk(&[]))),
            [PathBuf::from(ENTRY), PathBuf::from(SVG)]
        );
        assert_eq!(
            paths(to_write(
                home,
                false,
                &disk(&[(ENTRY, DESKTOP_ENTRY), (SVG, "old")])
            )),
            [PathBuf::from(SVG)]
        );
        assert!(to_write(home, false, &disk(&[(ENTRY, DESKTOP_ENTRY), (SVG, ICON)])).is_empty());
        assert!(
            to_write(home, true, &disk(&[])).is_empty(),
            "the package's files serve"
        );
    }

    #[test]
    fn uninstall_removes_only_files_still_ours() {
        let home = Path::new(HOME);
        assert_eq!(
            to_remove(home, &disk(&[(ENTRY, DESKTOP_ENTRY), (SVG, "edited")])),
            [PathBuf::from(ENTRY)]
        );
        assert!(to_remove(home, &disk(&[])).is_empty());
    }

    #[test]
    fn the_entry_is_hidden_listed_for_notifications_and_names_the_icon() {
        let lines: Vec<&str> = DESKTOP_ENTRY.lines().collect();
        for want in [
            "[Desktop Entry]",
            "Type=Application",
            "Name=devtrack",
            "Icon=devtrack",
            "NoDisplay=true",
            "X-GNOME-UsesNotifications=true",
        ] {
            assert!(lines.contains(&want), "{want} missing:\n{DESKTOP_ENTRY}");
        }
        assert!(ICON.starts_with("<?xml") && ICON.contains("<svg"), "{ICON}");
    }
}
