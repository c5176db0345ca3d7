//! A blocking client for the control socket.
//!
//! Every read has a timeout: a daemon that accepted the connection (the
//! kernel does that even for a stopped process) but never answers is
//! reported as not answering, with its PID from the socket's peer
//! credentials, instead of blocking the command.
//!
//! A socket served by another user is never talked to: a permissive
//! runtime directory lets anyone plant a socket at our path (or move ours
//! away), and what we send (an answer, a pause) is ours alone. The peer's
//! uid comes from the kernel (`SO_PEERCRED`, `getpeereid`), before the
//! first byte is read or written.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use std::borrow::Cow;

use crate::exit::{Explain, Status};
use crate::instance;
use crate::protocol::{Command, Hello, HelloBody, Request, Response, PROTOCOL_VERSION};

/// Why talking to the daemon failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ClientError {
    #[error("devtrack is not running (no daemon listening on `{socket}`)")]
    NotRunning { socket: String },
    /// The instance lock is held, but its holder cannot be reached.
    #[error("devtrack is running{} but not on `{socket}`: {reason}", pid.map(|p| format!(" (PID {p})")).unwrap_or_default())]
    Elsewhere {
        pid: Option<i32>,
        socket: String,
        reason: String,
        hint: &'static str,
    },
    #[error("{}", not_answering(*.pid, socket, *.waited))]
    NotAnswering {
        socket: String,
        /// The process listening on the socket, when the kernel says.
        pid: Option<u32>,
        waited: Duration,
    },
    #[error("talking to the daemon on `{socket}`: {source}")]
    Io {
        socket: String,
        source: std::io::Error,
    },
    #[error("permission denied: `{socket}` is served by uid {uid}, you are uid {ours}; not talking to it")]
    Foreign { socket: String, uid: u32, ours: u32 },
    #[error("the daemon sent something this devtrack does not understand: {0}")]
    Protocol(String),
}

fn not_answering(pid: Option<u32>, socket: &str, waited: Duration) -> String {
    let who = match pid {
        Some(pid) => format!("the daemon (PID {pid})"),
        None => "the daemon".to_string(),
    };
    format!(
        "{who} is not answering on `{socket}` (nothing within {}s)",
        waited.as_secs()
    )
}

impl Explain for ClientError {
    fn message(&self) -> Cow<'_, str> {
        Cow::Owned(self.to_string())
    }

    fn hint(&self) -> Option<Cow<'_, str>> {
        let hint = match self {
            ClientError::NotRunning { .. } => {
                "start it with `devtrack start`, or `devtrack run` in a terminal"
            }
            ClientError::Elsewhere { hint, .. } => hint,
            ClientError::NotAnswering { .. } => {
                "it may be stopped (SIGSTOP) or hung; `devtrack restart` restarts the service"
            }
            ClientError::Io { .. } => return None,
            ClientError::Foreign { .. } => {
                "another user may have put it there: remove it, and keep the runtime directory private (0700)"
            }
            ClientError::Protocol(_) => "restart the daemon so both are the same version",
        };
        Some(Cow::Borrowed(hint))
    }

    fn status(&self) -> Status {
        match self {
            ClientError::NotRunning { .. } => Status::NotRunning,
            _ => Status::Failure,
        }
    }
}

/// How long a healthy daemon may take to say hello or answer a quick
/// request; it answers in milliseconds.
pub(crate) const ANSWER_TIMEOUT: Duration = Duration::from_secs(2);

/// The PID of the process at the other end of `stream` (the daemon).
fn peer_pid(stream: &UnixStream) -> Option<u32> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        nix::sys::socket::getsockopt(stream, nix::sys::socket::sockopt::PeerCredentials)
            .ok()
            .and_then(|c| u32::try_from(c.pid()).ok())
            .filter(|&p| p > 0)
    }
    #[cfg(target_vendor = "apple")]
    {
        nix::sys::socket::getsockopt(stream, nix::sys::socket::sockopt::LocalPeerPid)
            .ok()
            .and_then(|p| u32::try_from(p).ok())
            .filter(|&p| p > 0)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
    {
        let _ = stream;
        None
    }
}

/// The uid of the process at the other end of `stream`.
fn peer_uid(stream: &UnixStream) -> Option<u32> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        nix::sys::socket::getsockopt(stream, nix::sys::socket::sockopt::PeerCredentials)
            .ok()
            .map(|c| c.uid())
    }
    #[cfg(target_vendor = "apple")]
    {
        nix::unistd::getpeereid(stream)
            .ok()
            .map(|(uid, _)| uid.as_raw())
    }
    #[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
    {
        let _ = stream;
        None
    }
}

pub(crate) struct Client {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
    socket: String,
    /// The daemon's PID as the kernel reports it.
    peer_pid: Option<u32>,
    /// The read timeout in force.
    timeout: Option<Duration>,
    pub hello: Hello,
}

impl Client {
    /// Connects and reads the daemon's hello; warns on a version mismatch.
    /// When nothing listens on `socket`, asks the instance lock whether a
    /// daemon runs with another socket (another `XDG_RUNTIME_DIR`).
    pub(crate) fn connect(socket: &Path) -> Result<Client, ClientError> {
        match Client::connect_at(socket) {
            // The lock is in the data directory, which `--config` does not move.
            Err(ClientError::NotRunning { .. }) => {
                Client::connect_to_holder(&crate::config::paths::Paths::resolve(None).lock, socket)
            }
            other => other,
        }
    }

    /// The daemon holding `lock`, on the socket it recorded there; when it
    /// cannot be reached, [`ClientError::Elsewhere`] says why.
    fn connect_to_holder(lock: &Path, expected: &Path) -> Result<Client, ClientError> {
        let socket = expected.display().to_string();
        let holder = match instance::holder(lock) {
            Ok(Some(holder)) => holder,
            Ok(None) => return Err(ClientError::NotRunning { socket }),
            Err(source) => {
                let socket = lock.display().to_string();
                return Err(ClientError::Io { socket, source });
            }
        };
        let (reason, hint) = match holder.socket.as_deref().filter(|s| *s != expected) {
            None => (
                format!("it holds `{}` but does not answer there", lock.display()),
                "restarting it recreates its socket",
            ),
            Some(other) => {
                let why = match Client::connect_at(other) {
                    Ok(c)
                        if holder
                            .pid
                            .is_none_or(|p| p.unsigned_abs() == c.hello.hello.pid) =>
                    {
                        return Ok(c)
                    }
                    Ok(c) => format!(
                        "`{}` is answered by PID {}",
                        other.display(),
                        c.hello.hello.pid
                    ),
                    Err(ClientError::NotRunning { .. }) => {
                        format!("nothing answers on its socket `{}` either", other.display())
                    }
                    Err(e) => format!("its socket `{}`: {e}", other.display()),
                };
                (
                    why,
                    "this shell's XDG_RUNTIME_DIR differs from the daemon's",
                )
            }
        };
        Err(ClientError::Elsewhere {
            pid: holder.pid,
            socket,
            reason,
            hint,
        })
    }

    fn connect_at(socket: &Path) -> Result<Client, ClientError> {
        let name = socket.display().to_string();
        let stream = UnixStream::connect(socket).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused => {
                ClientError::NotRunning {
                    socket: name.clone(),
                }
            }
            _ => ClientError::Io {
                socket: name.clone(),
                source: e,
            },
        })?;
        let io = |e| ClientError::Io {
            socket: name.clone(),
            source: e,
        };
        let ours = nix::unistd::geteuid().as_raw();
        match peer_uid(&stream) {
            Some(uid) if uid != ours => {
                return Err(ClientError::Foreign {
                    socket: name,
                    uid,
                    ours,
                })
            }
            _ => {}
        }
        stream.set_read_timeout(Some(ANSWER_TIMEOUT)).map_err(io)?;
        let peer_pid = peer_pid(&stream);
        let writer = stream.try_clone().map_err(io)?;
        let mut client = Client {
            reader: BufReader::new(stream),
            writer,
            socket: name.clone(),
            peer_pid,
            timeout: Some(ANSWER_TIMEOUT),
            hello: Hello {
                v: 0,
                hello: HelloBody {
                    version: String::new(),
                    protocol: 0,
                    pid: 0,
                },
            },
        };
        let line = client.read_line()?;
        // A refusal (another user's daemon) comes instead of the hello.
        if let Ok(Response::Failed(f)) = serde_json::from_str::<Response>(&line) {
            return Err(ClientError::Protocol(f.error));
        }
        client.hello = serde_json::from_str(&line)
            .map_err(|e| ClientError::Protocol(format!("{e}: {line}")))?;
        if let Some(warning) = version_warning(&client.hello.hello) {
            crate::cli::stderr::warn(&warning);
        }
        Ok(client)
    }

    /// Lets a long request (a reload) or a stream run with another read
    /// timeout (`None`: none).
    pub(crate) fn set_read_timeout(
        &mut self,
        timeout: Option<Duration>,
    ) -> Result<(), ClientError> {
        self.writer
            .set_read_timeout(timeout)
            .map_err(|e| self.io(e))?;
        self.timeout = timeout;
        Ok(())
    }

    /// The socket, for polling it together with other descriptors.
    pub(crate) fn socket_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        use std::os::fd::AsFd;
        self.writer.as_fd()
    }

    /// Whether a line (or part of one) is already read and buffered.
    pub(crate) fn has_buffered(&self) -> bool {
        !self.reader.buffer().is_empty()
    }

    fn io(&self, e: std::io::Error) -> ClientError {
        match (e.kind(), self.timeout) {
            (std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut, Some(waited)) => {
                ClientError::NotAnswering {
                    socket: self.socket.clone(),
                    pid: self.peer_pid,
                    waited,
                }
            }
            _ => ClientError::Io {
                socket: self.socket.clone(),
                source: e,
            },
        }
    }

    /// Reads one line; end of stream is an error.
    pub(crate) fn read_line(&mut self) -> Result<String, ClientError> {
        let mut line = String::new();
        let n = self.reader.read_line(&mut line).map_err(|e| self.io(e))?;
        if n == 0 {
            return Err(self.io(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the daemon closed the connection",
            )));
        }
        Ok(line.trim_end().to_string())
    }

    /// Reads one line; `None` at end of stream.
    pub(crate) fn next_line(&mut self) -> Result<Option<String>, ClientError> {
        let mut line = String::new();
        let n = self.reader.read_line(&mut line).map_err(|e| self.io(e))?;
        Ok((n > 0).then(|| line.trim_end().to_string()))
    }

    pub(crate) fn request(&mut self, cmd: Command) -> Result<Response, ClientError> {
        let mut line = serde_json::to_vec(&Request::new(cmd)).expect("requests serialize");
        line.push(b'\n');
        self.writer.write_all(&line).map_err(|e| self.io(e))?;
        let reply = self.read_line()?;
        serde_json::from_str(&reply).map_err(|e| ClientError::Protocol(format!("{e}: {reply}")))
    }
}

/// The warning for a daemon of another version, if any.
fn version_warning(hello: &HelloBody) -> Option<String> {
    if hello.protocol != PROTOCOL_VERSION {
        Some(format!(
            "the daemon speaks protocol {}, this devtrack speaks {PROTOCOL_VERSION}; restart the daemon",
            hello.protocol
        ))
    } else if hello.version != env!("CARGO_PKG_VERSION") {
        Some(format!(
            "the daemon runs devtrack {}, this is {}; restart the daemon to use the new version",
            hello.version,
            env!("CARGO_PKG_VERSION")
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_silent_daemon_is_named_by_its_pid() {
        let e = ClientError::NotAnswering {
            socket: "/run/user/1000/devtrack/control.sock".into(),
            pid: Some(4242),
            waited: ANSWER_TIMEOUT,
        };
        assert_eq!(
            e.to_string(),
            "the daemon (PID 4242) is not answering on `/run/user/1000/devtrack/control.sock` (nothing within 2s)"
        );
        assert!(e.hint().is_some_and(|h| h.contains("`devtrack restart`")));
        assert_eq!(e.status(), Status::Failure);
    }

    #[test]
    fn versions_are_compared() {
        let hello = |protocol, version: &str| HelloBody {
            version: version.to_string(),
            protocol,
            pid: 1,
        };
        assert_eq!(
            version_warning(&hello(PROTOCOL_VERSION, env!("CARGO_PKG_VERSION"))),
            None
        );
        assert!(version_warning(&hello(PROTOCOL_VERSION + 1, "9.9.9"))
            .unwrap()
            .contains("protocol"));
        assert!(version_warning(&hello(PROTOCOL_VERSION, "0.0.0-old"))
            .unwrap()
            .contains("devtrack 0.0.0-old"));
    }
}
