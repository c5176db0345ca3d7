//! Which path of the devtrack binary a unit or plist should name.
//!
//! The service manager runs that path for as long as the service is
//! installed, so it must outlive upgrades and rebuilds: never a cargo
//! `target/` directory, a temporary directory or a versioned Homebrew
//! `Cellar/devtrack/<version>/` path, but a stable name such as `/usr/bin/devtrack`,
//! `<brew prefix>/opt/devtrack/bin/devtrack` or `~/.cargo/bin/devtrack`
//! that resolves to the running binary. The decision is [`choose_binary_path`]
//! (pure); [`stable_binary_path`] gathers its inputs. Shared by the systemd
//! and launchd backends.

use std::path::{Component, Path, PathBuf};

use crate::exit::Hinted;

/// A place the binary may be reachable from, with what it resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub path: PathBuf,
    /// `canonicalize(path)`; `None` when it does not exist.
    pub target: Option<PathBuf>,
}

/// The path to write, and a warning for stderr when it is not stable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BinaryChoice {
    pub path: PathBuf,
    pub warning: Option<Hinted>,
}

/// Why `path` would not survive an upgrade or rebuild, if it would not.
pub(crate) fn unstable_reason(path: &Path, temp_dir: &Path) -> Option<&'static str> {
    if path.to_string_lossy().ends_with(" (deleted)") {
        return Some("a binary that was deleted or replaced");
    }
    let names: Vec<&std::ffi::OsStr> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(name) => Some(name),
            _ => None,
        })
        .collect();
    if names.iter().any(|n| *n == "Cellar") {
        return Some("a versioned Homebrew Cellar directory");
    }
    // target/debug/devtrack, target/release/devtrack,
    // target/x86_64-unknown-linux-gnu/release/devtrack, target/debug/deps/...
    if let Some(i) = names.iter().position(|n| *n == "target") {
        let rest = &names[i + 1..];
        if rest.iter().any(|n| *n == "debug" || *n == "release") {
            return Some("a cargo build directory");
        }
    }
    let under_temp = |dir: &Path| !dir.as_os_str().is_empty() && path.starts_with(dir);
    if under_temp(temp_dir) || under_temp(Path::new("/tmp")) || under_temp(Path::new("/var/tmp")) {
        return Some("a temporary directory");
    }
    None
}

/// `<prefix>/Cellar/devtrack/<version>/bin/devtrack` ->
/// `<prefix>/opt/devtrack/bin/devtrack`, Homebrew's version-independent link.
pub(crate) fn homebrew_opt_path(path: &Path) -> Option<PathBuf> {
    let parts: Vec<Component> = path.components().collect();
    let cellar = parts
        .iter()
        .position(|c| matches!(c, Component::Normal(n) if *n == "Cellar"))?;
    // Cellar / <formula> / <version> / <rest...>
    let formula = parts.get(cellar + 1)?;
    parts.get(cellar + 2)?;
    let rest = &parts[cellar + 3..];
    if rest.is_empty() {
        return None;
    }
    let mut out: PathBuf = parts[..cellar].iter().collect();
    out.push("opt");
    out.push(formula.as_os_str());
    out.extend(rest.iter());
    Some(out)
}

/// Chooses the path to write into the unit or plist.
///
/// - `current_exe`: the running binary as the OS reports it;
/// - `current_target`: its canonical path (symlinks resolved);
/// - `candidates`: stable names in order of preference (PATH hits, then
///   well-known locations), with what each resolves to;
/// - `temp_dir`: the OS temporary directory.
pub(crate) fn choose_binary_path(
    current_exe: &Path,
    current_target: &Path,
    candidates: &[Candidate],
    temp_dir: &Path,
) -> BinaryChoice {
    // Running from a Homebrew Cellar (directly or through `<prefix>/bin`):
    // the opt link follows upgrades, and it is the path the formula's
    // service block runs, so `brew services` and install-service agree.
    if let Some(opt) = homebrew_opt_path(current_exe).or_else(|| homebrew_opt_path(current_target))
    {
        return BinaryChoice {
            path: opt,
            warning: None,
        };
    }
    // A stable name that resolves to the very file running now.
    let same_file = candidates.iter().find(|c| {
        c.target.as_deref() == Some(current_target) && unstable_reason(&c.path, temp_dir).is_none()
    });
    if let Some(c) = same_file {
        return BinaryChoice {
            path: c.path.clone(),
            warning: None,
        };
    }
    match unstable_reason(current_exe, temp_dir) {
        None => BinaryChoice {
            path: current_exe.to_path_buf(),
            warning: None,
        },
        Some(reason) => BinaryChoice {
            path: current_exe.to_path_buf(),
            warning: Some(
                Hinted::new(format!(
                    "devtrack runs from `{}`, {reason}; the service breaks when that file \
                     moves or disappears",
                    current_exe.display()
                ))
                .with_hint(
                    "install devtrack (a package, or `cargo install --path .`) and run \
                     `install-service` with the installed binary",
                ),
            ),
        },
    }
}

/// Stable places a devtrack binary is commonly reachable from, in order.
fn well_known_locations(home: Option<&Path>) -> Vec<PathBuf> {
    let mut out = vec![
        PathBuf::from("/usr/bin/devtrack"),
        PathBuf::from("/usr/local/bin/devtrack"),
        PathBuf::from("/opt/homebrew/opt/devtrack/bin/devtrack"),
        PathBuf::from("/usr/local/opt/devtrack/bin/devtrack"),
        PathBuf::from("/home/linuxbrew/.linuxbrew/opt/devtrack/bin/devtrack"),
    ];
    if let Some(home) = home {
        out.push(home.join(".cargo/bin/devtrack"));
        out.push(home.join(".local/bin/devtrack"));
    }
    out
}

/// The stable binary path for the running devtrack, with a warning when only
/// an unstable one exists.
pub(crate) fn stable_binary_path() -> std::io::Result<BinaryChoice> {
    let current_exe = std::env::current_exe()?;
    let current_target = std::fs::canonicalize(&current_exe).unwrap_or(current_exe.clone());
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let mut paths: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .filter(|dir| dir.is_absolute())
                .map(|dir| dir.join("devtrack"))
                .collect()
        })
        .unwrap_or_default();
    paths.extend(well_known_locations(home.as_deref()));
    let mut candidates: Vec<Candidate> = Vec::new();
    for path in paths {
        if candidates.iter().any(|c| c.path == path) {
            continue;
        }
        let target = std::fs::canonicalize(&path).ok();
        candidates.push(Candidate { path, target });
    }
    Ok(choose_binary_path(
        &current_exe,
        &current_target,
        &candidates,
        &std::env::temp_dir(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(path: &str, target: Option<&str>) -> Candidate {
        Candidate {
            path: PathBuf::from(path),
            target: target.map(PathBuf::from),
        }
    }

    fn choose(exe: &str, target: &str, candidates: &[Candidate]) -> BinaryChoice {
        choose_binary_path(
            Path::new(exe),
            Path::new(target),
            candidates,
            Path::new("/tmp"),
        )
    }

    #[test]
    fn installed_binary_is_used_as_is() {
        let c = choose("/usr/bin/devtrack", "/usr/bin/devtrack", &[]);
        assert_eq!(c.path, PathBuf::from("/usr/bin/devtrack"));
        assert_eq!(c.warning, None);
    }

    #[test]
    fn symlink_on_path_is_preferred_to_the_resolved_file() {
        let candidates = [
            cand("/usr/local/bin/devtrack", None),
            cand(
                "/home/me/.cargo/bin/devtrack",
                Some("/opt/devtrack-1.2/devtrack"),
            ),
        ];
        let c = choose(
            "/opt/devtrack-1.2/devtrack",
            "/opt/devtrack-1.2/devtrack",
            &candidates,
        );
        assert_eq!(c.path, PathBuf::from("/home/me/.cargo/bin/devtrack"));
    }

    #[test]
    fn cellar_path_becomes_the_opt_link() {
        let c = choose(
            "/opt/homebrew/Cellar/devtrack/1.4.2/bin/devtrack",
            "/opt/homebrew/Cellar/devtrack/1.4.2/bin/devtrack",
            &[],
        );
        assert_eq!(
            c.path,
            PathBuf::from("/opt/homebrew/opt/devtrack/bin/devtrack")
        );
        assert_eq!(c.warning, None);
    }

    #[test]
    fn brew_bin_symlink_resolving_into_the_cellar_becomes_the_opt_link() {
        // What the formula's service block runs (`opt_bin/"devtrack"`).
        let target = "/home/linuxbrew/.linuxbrew/Cellar/devtrack/1.4.2/bin/devtrack";
        let candidates = [cand(
            "/home/linuxbrew/.linuxbrew/bin/devtrack",
            Some(target),
        )];
        let c = choose(target, target, &candidates);
        assert_eq!(
            c.path,
            PathBuf::from("/home/linuxbrew/.linuxbrew/opt/devtrack/bin/devtrack")
        );
        let c = choose(
            "/usr/local/bin/devtrack",
            "/usr/local/Cellar/devtrack/2.0/bin/devtrack",
            &[],
        );
        assert_eq!(
            c.path,
            PathBuf::from("/usr/local/opt/devtrack/bin/devtrack")
        );
    }

    #[test]
    fn cargo_target_dir_warns_unless_a_stable_copy_is_the_same_file() {
        let exe = "/home/me/src/devtrack/target/release/devtrack";
        let c = choose(
            exe,
            exe,
            &[cand("/usr/bin/devtrack", Some("/usr/bin/devtrack"))],
        );
        assert_eq!(c.path, PathBuf::from(exe));
        let warning = c.warning.unwrap().message;
        assert!(warning.contains("cargo build directory"), "{warning}");
        assert!(warning.contains(exe), "{warning}");

        let c = choose(exe, exe, &[cand("/home/me/bin/devtrack", Some(exe))]);
        assert_eq!(c.path, PathBuf::from("/home/me/bin/devtrack"));
        assert_eq!(c.warning, None);
    }

    #[test]
    fn unstable_candidates_are_not_chosen() {
        let exe = "/tmp/build/devtrack";
        let c = choose(exe, exe, &[cand("/tmp/other/devtrack", Some(exe))]);
        assert_eq!(c.path, PathBuf::from(exe));
        assert!(c.warning.unwrap().message.contains("temporary directory"));
    }

    #[test]
    fn unstable_reasons() {
        let tmp = Path::new("/var/folders/xy/T");
        let reason = |p: &str| unstable_reason(Path::new(p), tmp);
        assert_eq!(reason("/usr/bin/devtrack"), None);
        assert_eq!(reason("/home/me/.cargo/bin/devtrack"), None);
        assert!(reason("/w/target/debug/devtrack").is_some());
        assert!(reason("/w/target/x86_64-unknown-linux-gnu/release/devtrack").is_some());
        assert!(reason("/var/folders/xy/T/cargo-install/devtrack").is_some());
        assert!(reason("/usr/bin/devtrack (deleted)").is_some());
        // A directory merely named `target` is not a build directory.
        assert_eq!(reason("/srv/target/bin/devtrack"), None);
    }

    #[test]
    fn opt_path_needs_formula_version_and_rest() {
        assert_eq!(
            homebrew_opt_path(Path::new("/usr/local/Cellar/devtrack")),
            None
        );
        assert_eq!(
            homebrew_opt_path(Path::new("/usr/local/Cellar/devtrack/2.0/bin/devtrack")),
            Some(PathBuf::from("/usr/local/opt/devtrack/bin/devtrack"))
        );
    }
}
