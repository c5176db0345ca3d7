//! How `devtrack run` writes to the systemd journal: whether its stderr is
//! the journal stream, the tracing layer that speaks the native protocol,
//! and the one entry written by hand for the error that ends the run.
//!
//! Under systemd, stderr is connected to the journal and systemd says so in
//! `JOURNAL_STREAM=<dev>:<inode>`; only when that matches stderr's own device
//! and inode does the daemon use the native protocol (structured fields,
//! real priorities). The journal socket merely existing is not enough: it
//! exists whenever journald runs, also when devtrack was started from a
//! terminal, where the user expects to see the output.
//!
//! The fatal entry: journald learns which unit sent an entry from the
//! sender's cgroup, read from `/proc/PID` when it processes the entry. A
//! process that logs and exits at once is often gone by then, and the entry
//! has no `_SYSTEMD_USER_UNIT` (systemd issue #2913; stream lines are
//! affected as much as datagrams), so `journalctl --user -u devtrack` would
//! not show why the unit failed. The entry therefore names the unit itself
//! in `USER_UNIT=` (`UNIT=` for a system unit), the field through which
//! `journalctl -u` also finds what the manager says about a unit, read from
//! our own `/proc/self/cgroup` while we still run. The matching, the
//! encoding and the cgroup parsing are pure; only [`stderr_is_journal_stream`],
//! [`layer`] and [`send_error`] do I/O.

use std::os::unix::net::UnixDatagram;

/// Where journald reads native entries.
pub(crate) const SOCKET: &str = "/run/systemd/journal/socket";

/// The `SYSLOG_IDENTIFIER` of journal entries (`journalctl -t devtrack`).
pub(crate) const SYSLOG_IDENTIFIER: &str = "devtrack";

/// Prefix of event fields in the journal: `repo = "api"` becomes
/// `DEVTRACK_REPO=api`, so devtrack's fields never collide with journal
/// fields such as `PRIORITY` and are easy to match
/// (`journalctl DEVTRACK_REPO=api`).
pub(crate) const FIELD_PREFIX: &str = "DEVTRACK";

/// Whether `JOURNAL_STREAM` (`<device>:<inode>`, decimal) names the file
/// stderr is connected to.
pub(crate) fn journal_stream_matches(env: Option<&str>, dev: u64, ino: u64) -> bool {
    let Some((d, i)) = env.and_then(|v| v.trim().split_once(':')) else {
        return false;
    };
    matches!((d.parse::<u64>(), i.parse::<u64>()), (Ok(d), Ok(i)) if d == dev && i == ino)
}

/// Whether stderr is systemd's journal stream for this process.
pub(crate) fn stderr_is_journal_stream() -> bool {
    let Ok(stat) = nix::sys::stat::fstat(std::io::stderr()) else {
        return false;
    };
    // dev_t/ino_t are u64 on Linux but narrower or signed elsewhere.
    #[allow(clippy::unnecessary_cast)]
    let (dev, ino) = (stat.st_dev as u64, stat.st_ino as u64);
    journal_stream_matches(std::env::var("JOURNAL_STREAM").ok().as_deref(), dev, ino)
}

/// The journal layer: identifier [`SYSLOG_IDENTIFIER`], fields prefixed
/// with [`FIELD_PREFIX`], and INFO at priority 6 (info) instead of the
/// crate's default 5 (notice). Fails when the journal socket refuses a
/// connection.
pub(crate) fn layer() -> std::io::Result<tracing_journald::Layer> {
    use tracing_journald::{Priority, PriorityMappings};
    Ok(tracing_journald::Layer::new()?
        .with_syslog_identifier(SYSLOG_IDENTIFIER.to_string())
        .with_field_prefix(Some(FIELD_PREFIX.to_string()))
        .with_priority_mappings(PriorityMappings {
            error: Priority::Error,
            warn: Priority::Warning,
            info: Priority::Informational,
            debug: Priority::Debug,
            trace: Priority::Debug,
        }))
}

/// The unit a process runs in, as its cgroup path says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OwnUnit {
    /// A unit of a user manager (`…/user@1000.service/…/devtrack.service`).
    User(String),
    /// A unit of the system manager.
    System(String),
}

/// The unit in `/proc/self/cgroup` (cgroup v2 `0::PATH`, else the v1
/// `name=systemd` hierarchy): the innermost `.service` of the path.
pub(crate) fn own_unit(cgroup: &str) -> Option<OwnUnit> {
    let path = cgroup
        .lines()
        .find_map(|l| l.strip_prefix("0::"))
        .filter(|p| p.contains(".service"))
        .or_else(|| {
            cgroup
                .lines()
                .find_map(|l| l.split_once(":name=systemd:").map(|(_, p)| p))
        })?;
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let (at, unit) = segments
        .iter()
        .enumerate()
        .rev()
        .find(|(_, s)| s.ends_with(".service"))?;
    let in_user_manager = segments[..at]
        .iter()
        .any(|s| s.starts_with("user@") && s.ends_with(".service"));
    if unit.starts_with("user@") && !in_user_manager {
        // The user manager itself, not one of its units.
        return None;
    }
    Some(if in_user_manager {
        OwnUnit::User(unit.to_string())
    } else {
        OwnUnit::System(unit.to_string())
    })
}

/// The datagram for `fields`: `KEY=value` lines, or for a value with a
/// newline the binary form (`KEY`, newline, its length as a little-endian
/// u64, the value, newline).
pub(crate) fn encode(fields: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (key, value) in fields {
        out.extend_from_slice(key.as_bytes());
        if value.contains('\n') {
            out.push(b'\n');
            out.extend_from_slice(&(value.len() as u64).to_le_bytes());
        } else {
            out.push(b'=');
        }
        out.extend_from_slice(value.as_bytes());
        out.push(b'\n');
    }
    out
}

/// The fields of an error entry from `identifier` running in `unit`.
pub(crate) fn error_fields<'a>(
    identifier: &'a str,
    message: &'a str,
    unit: Option<&'a OwnUnit>,
) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("MESSAGE", message),
        ("PRIORITY", "3"),
        ("SYSLOG_IDENTIFIER", identifier),
    ];
    match unit {
        Some(OwnUnit::User(name)) => fields.push(("USER_UNIT", name)),
        Some(OwnUnit::System(name)) => fields.push(("UNIT", name)),
        None => {}
    }
    fields
}

/// Sends `message` to the journal at priority 3 (error) as
/// [`SYSLOG_IDENTIFIER`], naming our unit.
pub(crate) fn send_error(message: &str) -> std::io::Result<()> {
    let cgroup = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    let unit = own_unit(&cgroup);
    send(&encode(&error_fields(
        SYSLOG_IDENTIFIER,
        message,
        unit.as_ref(),
    )))
}

fn send(datagram: &[u8]) -> std::io::Result<()> {
    UnixDatagram::unbound()?
        .send_to(datagram, SOCKET)
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_stream_matching() {
        assert!(journal_stream_matches(Some("8:4242"), 8, 4242));
        assert!(journal_stream_matches(Some("8:4242\n"), 8, 4242));
        assert!(!journal_stream_matches(Some("8:4243"), 8, 4242));
        assert!(!journal_stream_matches(Some("9:4242"), 8, 4242));
        assert!(!journal_stream_matches(None, 8, 4242));
        assert!(!journal_stream_matches(Some(""), 8, 4242));
        assert!(!journal_stream_matches(Some("8"), 8, 4242));
        assert!(!journal_stream_matches(Some("x:y"), 8, 4242));
        assert!(!journal_stream_matches(Some("-8:4242"), 8, 4242));
    }

    #[test]
    fn stderr_of_a_test_is_not_a_journal_stream() {
        // JOURNAL_STREAM naming another inode does not match stderr; naming
        // stderr's own device and inode does.
        let stat = nix::sys::stat::fstat(std::io::stderr()).unwrap();
        #[allow(clippy::unnecessary_cast)]
        let (dev, ino) = (stat.st_dev as u64, stat.st_ino as u64);
        let other = format!("{dev}:{}", ino.wrapping_add(1));
        assert!(!journal_stream_matches(Some(&other), dev, ino));
        let same = format!("{dev}:{ino}");
        assert!(journal_stream_matches(Some(&same), dev, ino));
    }

    #[test]
    fn the_unit_comes_from_the_cgroup_path() {
        for (cgroup, unit) in [
            (
                "0::/user.slice/user-1000.slice/user@1000.service/app.slice/devtrack.service\n",
                Some(OwnUnit::User("devtrack.service".into())),
            ),
            (
                // A unit directly below the user manager, as older layouts have it.
                "0::/user.slice/user-1002.slice/user@1002.service/devtrack.service\n",
                Some(OwnUnit::User("devtrack.service".into())),
            ),
            (
                "0::/system.slice/devtrack.service\n",
                Some(OwnUnit::System("devtrack.service".into())),
            ),
            (
                // cgroup v1 with a named systemd hierarchy (and an empty v2 line).
                "9:name=systemd:/user.slice/user-1002.slice/user@1002.service/devtrack.service\n0::/\n",
                Some(OwnUnit::User("devtrack.service".into())),
            ),
            // A login shell, a terminal, a container root.
            ("0::/user.slice/user-1000.slice/session-2.scope\n", None),
            ("0::/\n", None),
            ("0::/user.slice/user-1000.slice/user@1000.service/init.scope\n", None),
            ("", None),
        ] {
            assert_eq!(own_unit(cgroup), unit, "{cgroup}");
        }
    }

    #[test]
    fn fields_are_encoded_for_journald() {
        assert_eq!(
            encode(&[("MESSAGE", "bad config"), ("PRIORITY", "3")]),
            b"MESSAGE=bad config\nPRIORITY=3\n"
        );
        let mut binary = b"MESSAGE\n".to_vec();
        binary.extend_from_slice(&9u64.to_le_bytes());
        binary.extend_from_slice(b"two\nlines\n");
        assert_eq!(encode(&[("MESSAGE", "two\nlines")]), binary);
    }

    #[test]
    fn an_error_names_its_unit() {
        let unit = OwnUnit::User("devtrack.service".into());
        assert_eq!(
            error_fields("devtrack", "invalid configuration: x", Some(&unit)),
            [
                ("MESSAGE", "invalid configuration: x"),
                ("PRIORITY", "3"),
                ("SYSLOG_IDENTIFIER", "devtrack"),
                ("USER_UNIT", "devtrack.service"),
            ]
        );
        let system = OwnUnit::System("devtrack.service".into());
        assert_eq!(
            error_fields("devtrack", "x", Some(&system))[3],
            ("UNIT", "devtrack.service")
        );
        assert_eq!(error_fields("devtrack", "x", None).len(), 3);
    }
}
