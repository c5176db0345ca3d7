//! The edge of `devtrack doctor`: reading the facts the checks judge —
//! the config file and its permissions, each repository on disk, inotify
//! use and limits from `/proc`, the store (`PRAGMA quick_check`, sizes,
//! free space), the shell's timezone and timedated's `NTPSynchronized` on
//! the system bus. The service manager's facts come from its backend
//! (`service::Backend::doctor_facts`), the daemon's from the `doctor`
//! request (asked by the CLI, which owns the client).

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::Duration;

use super::{ClockFacts, ConfigFacts, InotifyFacts, RepoFacts, StoreFacts};
use crate::config::paths::Paths;
use crate::config::{Config, ConfigError};

/// The config file: whether it loads, who may write it, its timezone.
pub(crate) fn config(paths: &Paths, loaded: Result<&Config, &ConfigError>) -> ConfigFacts {
    let path = &paths.config_file;
    let exists = path.exists();
    let me = nix::unistd::getuid().as_raw();
    let text = std::fs::read_to_string(path).unwrap_or_default();
    ConfigFacts {
        path: path.display().to_string(),
        exists,
        error: loaded.err().map(crate::exit::Explain::explained),
        // The hook, and the sync's token commands (refused alike).
        runs_commands: loaded.is_ok_and(|c| {
            let i = &c.integrations;
            c.prompts.on_trigger.is_some()
                || [
                    &i.github.token_command,
                    &i.jira.token_command,
                    &i.azure_devops.token_command,
                ]
                .iter()
                .any(|t| t.as_ref().is_some_and(|argv| !argv.is_empty()))
        }),
        writable_by_others: exists
            .then(|| crate::config::strict::check(path, me).err())
            .flatten()
            .map(|refusal| refusal.to_string()),
        timezone: loaded.map_or_else(
            |_| crate::config::local_timezone().name().to_string(),
            |c| c.settings.timezone.name().to_string(),
        ),
        timezone_set: sets_timezone(&text),
    }
}

/// Whether the file writes `timezone:` (under `settings:`) rather than
/// taking the machine's zone.
fn sets_timezone(text: &str) -> bool {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim_start())
        .any(|l| l.starts_with("timezone:") && !l["timezone:".len()..].trim().is_empty())
}

/// Each listed repository on disk.
pub(crate) fn repositories(config: &Config) -> Vec<RepoFacts> {
    config
        .repositories
        .iter()
        .map(|r| {
            let path = r.path.display().to_string();
            let mut facts = RepoFacts {
                name: r.name.clone(),
                path,
                enabled: r.enabled,
                exists: r.path.exists(),
                ..RepoFacts::default()
            };
            if !facts.exists || !r.enabled {
                return facts;
            }
            match git2::Repository::open(&r.path) {
                Ok(repo) => facts.reflog = Some(writes_reflog(&repo)),
                Err(e) => facts.not_git = Some(e.message().to_string()),
            }
            facts
        })
        .collect()
}

/// `core.logAllRefUpdates` in effect: unset means on in a repository with
/// a work tree, off in a bare one (git-config(1)).
fn writes_reflog(repo: &git2::Repository) -> bool {
    let Ok(config) = repo.config() else {
        return !repo.is_bare();
    };
    if config
        .get_string("core.logAllRefUpdates")
        .is_ok_and(|v| v.eq_ignore_ascii_case("always"))
    {
        return true;
    }
    config
        .get_bool("core.logAllRefUpdates")
        .unwrap_or(!repo.is_bare())
}

fn read_number(path: &str) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// inotify limits and what all of this user's processes hold: instances
/// are their descriptors naming `anon_inode:inotify`, watches the
/// `inotify wd:` lines of those descriptors' fdinfo.
pub(crate) fn inotify() -> InotifyFacts {
    let mut facts = InotifyFacts {
        max_watches: read_number("/proc/sys/fs/inotify/max_user_watches"),
        max_instances: read_number("/proc/sys/fs/inotify/max_user_instances"),
        ..InotifyFacts::default()
    };
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return facts;
    };
    let me = nix::unistd::getuid().as_raw();
    let (mut instances, mut watches) = (0u64, 0u64);
    for proc in procs.filter_map(Result::ok) {
        let name = proc.file_name();
        if !name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if !proc.metadata().is_ok_and(|m| m.uid() == me) {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(proc.path().join("fd")) else {
            continue;
        };
        for fd in fds.filter_map(Result::ok) {
            let is_inotify =
                std::fs::read_link(fd.path()).is_ok_and(|t| t.as_os_str() == "anon_inode:inotify");
            if !is_inotify {
                continue;
            }
            instances += 1;
            let info = proc.path().join("fdinfo").join(fd.file_name());
            if let Ok(text) = std::fs::read_to_string(info) {
                watches += text
                    .lines()
                    .filter(|l| l.starts_with("inotify wd:"))
                    .count() as u64;
            }
        }
    }
    facts.instances_in_use = Some(instances);
    facts.watches_in_use = Some(watches);
    facts
}

/// The store: integrity, schema, sizes and free space. Opened read-only;
/// never migrated or created here.
pub(crate) fn store(path: &Path) -> StoreFacts {
    let mut facts = StoreFacts {
        path: path.display().to_string(),
        exists: path.exists(),
        expected_schema: crate::store::SCHEMA_VERSION,
        ..StoreFacts::default()
    };
    if !facts.exists {
        return facts;
    }
    facts.size = std::fs::metadata(path).ok().map(|m| m.len());
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    facts.wal_size = std::fs::metadata(&wal).ok().map(|m| m.len());
    facts.free = path.parent().and_then(|dir| {
        let st = nix::sys::statvfs::statvfs(dir).ok()?;
        Some(st.blocks_available() as u64 * st.fragment_size() as u64)
    });
    let opened = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    );
    let checked = opened.map_err(|e| e.to_string()).and_then(|conn| {
        let _ = conn.busy_timeout(Duration::from_secs(5));
        facts.schema = conn
            .pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))
            .ok()
            .and_then(|v| usize::try_from(v).ok());
        let mut said = Vec::new();
        conn.pragma_query(None, "quick_check", |row| {
            said.push(row.get::<_, String>(0)?);
            Ok(())
        })
        .map_err(|e| e.to_string())?;
        if said == ["ok"] {
            Ok(())
        } else {
            Err(said.join("; "))
        }
    });
    facts.quick_check = Some(checked);
    facts
}

/// The shell's timezone, and timedated's `NTPSynchronized` (`None` when
/// there is no system bus or no timedated on it).
pub(crate) fn clock() -> ClockFacts {
    ClockFacts {
        shell_timezone: super::environment_timezone(),
        ntp_synchronized: ntp_synchronized(),
    }
}

fn ntp_synchronized() -> Option<bool> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    runtime.block_on(async {
        let ask = async {
            let conn = zbus::Connection::system().await?;
            let proxy = zbus::fdo::PropertiesProxy::builder(&conn)
                .destination("org.freedesktop.timedate1")?
                .path("/org/freedesktop/timedate1")?
                .build()
                .await?;
            let value = proxy
                .get(
                    zbus::names::InterfaceName::try_from("org.freedesktop.timedate1")?,
                    "NTPSynchronized",
                )
                .await?;
            zbus::Result::Ok(bool::try_from(value).ok())
        };
        tokio::time::timeout(Duration::from_secs(5), ask)
            .await
            .ok()?
            .ok()?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timezone_is_set_only_by_a_written_value() {
        for (text, want) in [
            ("settings:\n  timezone: Europe/Paris\n", true),
            ("settings:\n  # timezone: Europe/Paris\n", false),
            ("settings:\n  timezone:\n", false),
            ("repositories: []\n", false),
        ] {
            assert_eq!(sets_timezone(text), want, "{text}");
        }
    }

    #[test]
    fn a_corrupted_store_fails_quick_check_and_a_sound_one_passes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("devtrack.db");
        drop(crate::store::Store::open(&path).unwrap());
        let sound = store(&path);
        assert_eq!(sound.quick_check, Some(Ok(())));
        assert_eq!(sound.schema, Some(crate::store::SCHEMA_VERSION));
        assert!(sound.free.is_some() && sound.size.is_some());
        // Garbage over the pages after the first: the header stays valid.
        let mut bytes = std::fs::read(&path).unwrap();
        for b in bytes.iter_mut().skip(4096) {
            *b = 0xA5;
        }
        std::fs::write(&path, bytes).unwrap();
        assert!(matches!(store(&path).quick_check, Some(Err(_))));
    }
}
