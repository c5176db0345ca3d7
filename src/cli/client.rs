//! A blocking client for the control socket.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use crate::daemon::instance;
use crate::protocol::{Command, Hello, Request, Response, PROTOCOL_VERSION};

/// Why talking to the daemon failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("devtrack is not running (no daemon listening on `{socket}`)\nhint: start it with `devtrack start`, or `devtrack run` in a terminal")]
    NotRunning { socket: String },
    /// The instance lock is held, but its holder cannot be reached.
    #[error("devtrack is running{} but not on `{socket}`: {reason}", pid.map(|p| format!(" (PID {p})")).unwrap_or_default())]
    Elsewhere {
        pid: Option<i32>,
        socket: String,
        reason: String,
    },
    #[error("talking to the daemon on `{socket}`: {source}")]
    Io {
        socket: String,
        source: std::io::Error,
    },
    #[error("the daemon sent something this devtrack does not understand: {0}\nhint: restart the daemon so both are the same version")]
    Protocol(String),
}

impl ClientError {
    pub fn exit_status(&self) -> i32 {
        match self {
            ClientError::NotRunning { .. } => crate::exit::NOT_RUNNING,
            _ => crate::exit::FAILURE,
        }
    }
}

pub struct Client {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
    socket: String,
    pub hello: Hello,
}

impl Client {
    /// Connects and reads the daemon's hello; warns on a version mismatch.
    /// When nothing listens on `socket`, asks the instance lock whether a
    /// daemon runs with another socket (another `XDG_RUNTIME_DIR`).
    pub fn connect(socket: &Path) -> Result<Client, ClientError> {
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
        let reason = match holder.socket.as_deref().filter(|s| *s != expected) {
            None => format!(
                "it holds `{}` but does not answer there\nhint: restarting it recreates its socket",
                lock.display()
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
                format!("{why}\nhint: this shell's XDG_RUNTIME_DIR differs from the daemon's")
            }
        };
        Err(ClientError::Elsewhere {
            pid: holder.pid,
            socket,
            reason,
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
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .map_err(io)?;
        let writer = stream.try_clone().map_err(io)?;
        let mut client = Client {
            reader: BufReader::new(stream),
            writer,
            socket: name.clone(),
            hello: Hello {
                v: 0,
                hello: crate::protocol::HelloBody {
                    version: String::new(),
                    protocol: 0,
                    pid: 0,
                },
            },
        };
        let line = client.read_line()?;
        if let Ok(resp) = serde_json::from_str::<Response>(&line) {
            if !resp.ok {
                return Err(ClientError::Protocol(resp.error.unwrap_or_default()));
            }
        }
        client.hello = serde_json::from_str(&line)
            .map_err(|e| ClientError::Protocol(format!("{e}: {line}")))?;
        if client.hello.hello.protocol != PROTOCOL_VERSION {
            eprintln!(
                "warning: the daemon speaks protocol {}, this devtrack speaks {}; restart the daemon",
                client.hello.hello.protocol, PROTOCOL_VERSION
            );
        } else if client.hello.hello.version != env!("CARGO_PKG_VERSION") {
            eprintln!(
                "warning: the daemon runs devtrack {}, this is {}; restart the daemon to use the new version",
                client.hello.hello.version,
                env!("CARGO_PKG_VERSION")
            );
        }
        Ok(client)
    }

    /// Lets a long request (a reload) or a stream run without a read timeout.
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> Result<(), ClientError> {
        self.writer
            .set_read_timeout(timeout)
            .map_err(|e| self.io(e))
    }

    fn io(&self, e: std::io::Error) -> ClientError {
        ClientError::Io {
            socket: self.socket.clone(),
            source: e,
        }
    }

    /// Reads one line; end of stream is an error.
    pub fn read_line(&mut self) -> Result<String, ClientError> {
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
    pub fn next_line(&mut self) -> Result<Option<String>, ClientError> {
        let mut line = String::new();
        let n = self.reader.read_line(&mut line).map_err(|e| self.io(e))?;
        Ok((n > 0).then(|| line.trim_end().to_string()))
    }

    pub fn request(&mut self, cmd: Command) -> Result<Response, ClientError> {
        let mut line = serde_json::to_vec(&Request::new(cmd)).expect("requests serialize");
        line.push(b'\n');
        self.writer.write_all(&line).map_err(|e| self.io(e))?;
        let reply = self.read_line()?;
        serde_json::from_str(&reply).map_err(|e| ClientError::Protocol(format!("{e}: {reply}")))
    }
}
