//! The LaunchAgent plist: its content, where it lives, its hash stamp and
//! how an installed copy compares with the one this binary would write.
//!
//! Everything here is pure so the exact plist is tested on every platform.
//! The plist is built with the `launchd` crate and then finished with the
//! `plist` crate, which adds the `DevtrackHash` key the `launchd` crate has
//! no field for. The stamp is a real key rather than an XML comment because
//! comments do not survive a `plist` parse, and a parse is how an installed
//! copy is read back.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};
use launchd::{KeepAliveOptions, KeepAliveType, Launchd, ProcessType};
use plist::{Dictionary, Value};
use sha2::{Digest, Sha256};

use super::LABEL;
use crate::service::InstalledFile;

/// The key holding the hash stamp. launchd ignores keys it does not know.
pub(crate) const HASH_KEY: &str = "DevtrackHash";

/// Seconds launchd waits before relaunching after an exit. launchd has no
/// start limit, so this (with the crash guard) is what bounds a crash loop.
pub(crate) const THROTTLE_INTERVAL_SECS: u32 = 30;

/// launchd's default PATH is `/usr/bin:/bin:/usr/sbin:/sbin`, which misses
/// Homebrew's `git` and credential helpers on both Apple silicon
/// (`/opt/homebrew/bin`) and Intel (`/usr/local/bin`).
pub(crate) const AGENT_PATH: &str =
    "/opt/homebrew/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";

/// `~/Library/LaunchAgents/dev.devtrack.plist`
pub(crate) fn plist_path(home: &Path) -> PathBuf {
    home.join("Library/LaunchAgents")
        .join(format!("{LABEL}.plist"))
}

/// `~/Library/Logs/devtrack`: only the agent's stderr goes there (panics and
/// anything printed before logging is set up); regular logs go to os_log.
pub(crate) fn log_dir(home: &Path) -> PathBuf {
    home.join("Library/Logs/devtrack")
}

/// `~/Library/Logs/devtrack/devtrack.err.log`
pub(crate) fn stderr_log_path(home: &Path) -> PathBuf {
    log_dir(home).join("devtrack.err.log")
}

/// The path the agent should run: a binary inside a Homebrew Cellar
/// (`<prefix>/Cellar/devtrack/<version>/bin/devtrack`) is replaced by the
/// version-independent `<prefix>/opt/devtrack/bin/devtrack` link, because
/// the versioned directory is deleted by the next `brew upgrade` and the
/// agent would then fail to launch forever. Any other path is kept as is.
pub(crate) fn stable_program_path(exe: &Path) -> PathBuf {
    crate::service::binary_path::homebrew_opt_path(exe).unwrap_or_else(|| exe.to_path_buf())
}

/// What the agent runs and where it writes, for one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AgentSpec {
    /// Absolute, stable path of the `devtrack` binary (see [`stable_program_path`]).
    pub program: PathBuf,
    /// The user's home directory.
    pub home: PathBuf,
}

/// The plist as a dictionary, without the hash stamp. `stderr_log` is the
/// agent's `StandardErrorPath`, left out when `None`.
fn unstamped(program_path: &Path, stderr_log: Option<&Path>) -> anyhow::Result<Dictionary> {
    let program = program_path
        .to_str()
        .ok_or_else(|| anyhow!("binary path `{}` is not UTF-8", program_path.display()))?;
    let agent = Launchd::new(LABEL, program_path)
        .context("building the launchd agent")?
        .with_program_arguments(vec![program.to_string(), "run".to_string()])
        .with_run_at_load(true)
        // Relaunched after a crash or a non-zero exit, not after a clean
        // stop (exit 0), which is also how the crash guard ends a loop.
        .with_keep_alive(KeepAliveType::Options(
            KeepAliveOptions::new().with_successful_exit(false),
        ))
        .with_throttle_interval(THROTTLE_INTERVAL_SECS)
        // `Standard`, not `Background`: Background jobs get App Nap-like
        // timer coalescing and throttled CPU, which would deliver prompts
        // minutes late. Not `Interactive` either: that class is meant for
        // processes the UI waits on, and devtrack sleeps almost always.
        .with_process_type(ProcessType::Standard)
        .with_environment_variables(HashMap::from([(
            "PATH".to_string(),
            AGENT_PATH.to_string(),
        )]));
    let agent = match stderr_log {
        Some(path) => agent
            .with_standard_error_path(path)
            .context("building the launchd agent")?,
        None => agent,
    };
    match plist::to_value(&agent).context("converting the launchd agent to a plist")? {
        Value::Dictionary(dict) => Ok(dict),
        other => Err(anyhow!(
            "the launchd agent became `{other:?}`, not a dictionary"
        )),
    }
}

/// XML text of a plist value.
fn to_xml(value: &Value) -> anyhow::Result<String> {
    let mut out = Vec::new();
    value
        .to_writer_xml(&mut out)
        .context("writing the plist as XML")?;
    out.push(b'\n');
    String::from_utf8(out).context("reading back the plist XML")
}

/// sha256 (hex) of the dictionary's canonical XML, the stamp key excluded.
fn content_hash(dict: &Dictionary) -> anyhow::Result<String> {
    // Rebuilt rather than `remove`d: `Dictionary::remove` swaps the last
    // key into the hole, which would change the order and so the hash.
    let without: Dictionary = dict
        .iter()
        .filter(|(key, _)| key.as_str() != HASH_KEY)
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    let xml = to_xml(&Value::Dictionary(without))?;
    Ok(Sha256::digest(xml.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// The complete plist text, hash-stamped, as written to
/// `~/Library/LaunchAgents/dev.devtrack.plist` and printed by `--dry-run`.
pub(crate) fn render_plist(spec: &AgentSpec) -> anyhow::Result<String> {
    stamped(unstamped(
        &spec.program,
        Some(&stderr_log_path(&spec.home)),
    )?)
}

/// The agent as packaged for every user (`packaging/launchd/`, for the
/// Homebrew opt path): the same as [`render_plist`] but without
/// `StandardErrorPath`, which would have to name one user's home (launchd
/// does not expand `~`); the log goes to os_log either way.
#[cfg(test)]
pub(crate) fn render_vendor_plist(program: &Path) -> anyhow::Result<String> {
    stamped(unstamped(program, None)?)
}

fn stamped(dict: Dictionary) -> anyhow::Result<String> {
    let hash = content_hash(&dict)?;
    // The stamp goes right after `Label` so a reader sees it first.
    let mut stamped = Dictionary::new();
    for (key, value) in dict {
        let is_label = key == "Label";
        stamped.insert(key, value);
        if is_label {
            stamped.insert(HASH_KEY.to_string(), Value::String(hash.clone()));
        }
    }
    to_xml(&Value::Dictionary(stamped))
}

/// Classifies the text of an installed plist (`None` when there is none)
/// against the `wanted` text from [`render_plist`].
pub(crate) fn classify(installed: Option<&[u8]>, wanted: &str) -> InstalledFile {
    let Some(bytes) = installed else {
        return InstalledFile::Missing;
    };
    let Ok(Value::Dictionary(dict)) = Value::from_reader(std::io::Cursor::new(bytes)) else {
        return InstalledFile::EditedByHand;
    };
    let stamp = dict.get(HASH_KEY).and_then(Value::as_string);
    let Ok(actual) = content_hash(&dict) else {
        return InstalledFile::EditedByHand;
    };
    if stamp != Some(actual.as_str()) {
        return InstalledFile::EditedByHand;
    }
    let wanted_stamp = Value::from_reader_xml(wanted.as_bytes())
        .ok()
        .and_then(|v| {
            v.as_dictionary()
                .and_then(|d| d.get(HASH_KEY))
                .and_then(Value::as_string)
                .map(str::to_string)
        });
    if wanted_stamp.as_deref() == Some(actual.as_str()) {
        InstalledFile::Current
    } else {
        InstalledFile::Outdated
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> AgentSpec {
        AgentSpec {
            program: PathBuf::from("/opt/homebrew/opt/devtrack/bin/devtrack"),
            home: PathBuf::from("/Users/alice"),
        }
    }

    #[test]
    fn cellar_paths_become_the_opt_link() {
        assert_eq!(
            stable_program_path(Path::new(
                "/opt/homebrew/Cellar/devtrack/1.2.3/bin/devtrack"
            )),
            PathBuf::from("/opt/homebrew/opt/devtrack/bin/devtrack")
        );
        assert_eq!(
            stable_program_path(Path::new("/usr/local/Cellar/devtrack/0.9.0_1/bin/devtrack")),
            PathBuf::from("/usr/local/opt/devtrack/bin/devtrack")
        );
        assert_eq!(
            stable_program_path(Path::new(
                "/home/linuxbrew/.linuxbrew/Cellar/devtrack/2.0.0/bin/devtrack"
            )),
            PathBuf::from("/home/linuxbrew/.linuxbrew/opt/devtrack/bin/devtrack")
        );
    }

    #[test]
    fn other_paths_are_kept() {
        for p in [
            "/usr/local/bin/devtrack",
            "/Users/alice/.cargo/bin/devtrack",
            "/opt/homebrew/Cellar/devtrack",
            "/Cellar/x",
        ] {
            assert_eq!(stable_program_path(Path::new(p)), PathBuf::from(p));
        }
    }

    #[test]
    fn paths_live_under_library() {
        assert_eq!(
            plist_path(Path::new("/Users/alice")),
            PathBuf::from("/Users/alice/Library/LaunchAgents/dev.devtrack.plist")
        );
        assert_eq!(
            stderr_log_path(Path::new("/Users/alice")),
            PathBuf::from("/Users/alice/Library/Logs/devtrack/devtrack.err.log")
        );
    }

    #[test]
    fn rendering_is_deterministic_and_stamped() {
        let a = render_plist(&spec()).unwrap();
        let b = render_plist(&spec()).unwrap();
        assert_eq!(a, b);
        assert!(a.contains("<key>DevtrackHash</key>"));
        assert_eq!(classify(Some(a.as_bytes()), &a), InstalledFile::Current);
    }

    #[test]
    fn classification_tells_outdated_from_edited() {
        let wanted = render_plist(&spec()).unwrap();
        let old = render_plist(&AgentSpec {
            program: PathBuf::from("/usr/local/bin/devtrack"),
            ..spec()
        })
        .unwrap();
        assert_eq!(classify(None, &wanted), InstalledFile::Missing);
        assert_eq!(
            classify(Some(old.as_bytes()), &wanted),
            InstalledFile::Outdated
        );

        let edited = wanted.replace("<integer>30</integer>", "<integer>5</integer>");
        assert_ne!(edited, wanted);
        assert_eq!(
            classify(Some(edited.as_bytes()), &wanted),
            InstalledFile::EditedByHand
        );
        let unstamped = wanted
            .lines()
            .filter(|l| !l.contains("DevtrackHash") && !l.contains(&hash_of(&wanted)))
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(
            classify(Some(unstamped.as_bytes()), &wanted),
            InstalledFile::EditedByHand
        );
        assert_eq!(
            classify(Some(b"not a plist"), &wanted),
            InstalledFile::EditedByHand
        );
    }

    #[test]
    fn reformatting_alone_is_not_an_edit() {
        let wanted = render_plist(&spec()).unwrap();
        let reindented = wanted.replace('\t', "    ");
        assert_eq!(
            classify(Some(reindented.as_bytes()), &wanted),
            InstalledFile::Current
        );
    }

    fn hash_of(text: &str) -> String {
        let v = Value::from_reader_xml(text.as_bytes()).unwrap();
        v.as_dictionary().unwrap()[HASH_KEY]
            .as_string()
            .unwrap()
            .to_string()
    }
}
