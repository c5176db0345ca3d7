//! Where the session bus is: `DBUS_SESSION_BUS_ADDRESS` when set, else the
//! user manager's socket `$XDG_RUNTIME_DIR/bus` (Debian's
//! `dbus-user-session`, what a systemd user unit gets). A pure function of
//! the two values, so a test never touches the process environment. The
//! socket of a `unix:path=` address is what a missing bus is waited for
//! by (`socket_watch`), by the desktop channel and the session's sources
//! alike. A shared leaf: it names no other module.

use std::fmt::Write as _;
use std::path::PathBuf;

/// The session bus to use, and the socket file it lives in when it is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BusAddress {
    /// A D-Bus address string (`unix:path=/run/user/1000/bus`).
    pub address: String,
    /// The socket of a `unix:path=` address: a missing file can be waited
    /// for by watching its directory. `None` for abstract, `tcp:` and other
    /// addresses (and for a list of addresses), which can only be retried.
    pub socket: Option<PathBuf>,
}

/// The bus from `DBUS_SESSION_BUS_ADDRESS` (`env_address`) or the runtime
/// directory; `None` when neither is set (or set empty).
pub(crate) fn session_bus(
    env_address: Option<&str>,
    runtime_dir: Option<&std::path::Path>,
) -> Option<BusAddress> {
    if let Some(address) = env_address.filter(|a| !a.trim().is_empty()) {
        let address = address.trim().to_string();
        return Some(BusAddress {
            socket: unix_path(&address),
            address,
        });
    }
    let dir = runtime_dir.filter(|d| !d.as_os_str().is_empty())?;
    let socket = dir.join("bus");
    Some(BusAddress {
        address: format!("unix:path={}", escape(&socket.to_string_lossy())),
        socket: Some(socket),
    })
}

/// The path of a single `unix:path=…` address, unescaped (`%xx`).
pub(crate) fn unix_path(address: &str) -> Option<PathBuf> {
    if address.contains(';') {
        return None;
    }
    let rest = address.strip_prefix("unix:")?;
    let value = rest.split(',').find_map(|kv| kv.strip_prefix("path="))?;
    unescape(value).map(PathBuf::from)
}

/// D-Bus address values escape every byte outside `[-0-9A-Za-z_/.\*]`.
fn escape(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_/.\\*".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02x}");
        }
    }
    out
}

fn unescape(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = value.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn address_from_the_environment_or_the_runtime_dir() {
        let run = Some(Path::new("/run/user/1000"));
        /// The environment's address, the runtime dir; the address and socket.
        type Case<'a> = (
            Option<&'a str>,
            Option<&'a Path>,
            Option<(&'a str, Option<&'a str>)>,
        );
        let cases: &[Case] = &[
            (
                Some("unix:path=/tmp/b/bus"),
                run,
                Some(("unix:path=/tmp/b/bus", Some("/tmp/b/bus"))),
            ),
            (
                Some("unix:path=/tmp/with%20space/bus,guid=0123"),
                None,
                Some((
                    "unix:path=/tmp/with%20space/bus,guid=0123",
                    Some("/tmp/with space/bus"),
                )),
            ),
            (
                Some("unix:abstract=/tmp/dbus-x"),
                run,
                Some(("unix:abstract=/tmp/dbus-x", None)),
            ),
            (
                Some("tcp:host=localhost,port=1"),
                None,
                Some(("tcp:host=localhost,port=1", None)),
            ),
            (
                Some("unix:path=/a/bus;unix:path=/b/bus"),
                None,
                Some(("unix:path=/a/bus;unix:path=/b/bus", None)),
            ),
            (
                Some("unix:path=/bad%zz"),
                None,
                Some(("unix:path=/bad%zz", None)),
            ),
            (
                None,
                run,
                Some(("unix:path=/run/user/1000/bus", Some("/run/user/1000/bus"))),
            ),
            (
                Some("  "),
                Some(Path::new("/tmp/run dir")),
                Some(("unix:path=/tmp/run%20dir/bus", Some("/tmp/run dir/bus"))),
            ),
            (None, Some(Path::new("")), None),
            (None, None, None),
        ];
        for (env, dir, want) in cases {
            let got = session_bus(*env, *dir);
            let want = want.map(|(address, socket)| BusAddress {
                address: address.to_string(),
                socket: socket.map(PathBuf::from),
            });
            assert_eq!(got, want, "env {env:?}, runtime dir {dir:?}");
        }
    }
}
