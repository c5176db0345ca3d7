//! The control socket: a private Unix socket speaking the line protocol of
//! [`crate::protocol`].
//!
//! Each connection runs in its own task, so a client that connects and says
//! nothing, or a subscriber that stops reading, never stalls the run loop:
//! requests reach the loop through a bounded channel, replies come back on a
//! oneshot, and every read and write has a timeout. The loop answers each
//! request in `handlers`, one file per request; `subscribe` is answered
//! here, since it turns the connection into an event stream; `doctor` is
//! completed here with what takes I/O (`daemon::doctor_view`).

pub(super) mod handlers;
mod socket;

pub(crate) use socket::{bind, ControlSocket};

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::daemon::event_bus::EventBus;
use crate::protocol::{
    self, Command, ErrorKind, Hello, HelloBody, Response, MAX_LINE, PROTOCOL_VERSION,
};

/// A request handed to the run loop, with where to send the reply.
pub(crate) struct ControlRequest {
    pub command: Command,
    pub reply: oneshot::Sender<Response>,
}

/// How long a connection may stay silent before it is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long one write may block before the peer is considered stuck.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// Accepts connections until the task is aborted.
pub(crate) async fn serve(
    listener: ControlSocket,
    requests: mpsc::Sender<ControlRequest>,
    events: EventBus,
) {
    loop {
        let Some(stream) = accept_own(&listener, "control").await else {
            continue;
        };
        if let Err(why) = peer_is_owner(&stream) {
            tokio::spawn(refuse(stream, why));
            continue;
        }
        let requests = requests.clone();
        let events = events.clone();
        tokio::spawn(async move {
            if let Err(e) = connection(stream, requests, events).await {
                tracing::debug!(error = %e, "control connection ended: {e}");
            }
        });
    }
}

/// The next connection on `listener` (`None` when accepting failed: the
/// caller goes on accepting).
pub(crate) async fn accept_own(listener: &ControlSocket, what: &str) -> Option<UnixStream> {
    match listener.accept().await {
        Ok(stream) => Some(stream),
        Err(e) => {
            // Out of file descriptors or memory: retrying at once would
            // spin; give other tasks a moment to release some.
            tracing::warn!(error = %e, "accepting a {what} connection: {e}");
            tokio::time::sleep(Duration::from_millis(100)).await;
            None
        }
    }
}

/// Whether the peer on `stream` is our own user; the refusal's text when
/// it is not (or its credentials cannot be read).
pub(crate) fn peer_is_owner(stream: &UnixStream) -> Result<(), String> {
    let our_uid = nix::unistd::geteuid().as_raw();
    match stream.peer_cred() {
        Ok(cred) if cred.uid() == our_uid => Ok(()),
        Ok(cred) => {
            tracing::warn!(
                peer_uid = cred.uid(),
                "refused a connection from another user (uid {})",
                cred.uid()
            );
            Err(format!(
                "permission denied: this devtrack daemon belongs to uid {our_uid}, you are uid {}",
                cred.uid()
            ))
        }
        Err(e) => {
            tracing::warn!(error = %e, "reading a connection's credentials: {e}");
            Err(format!(
                "permission denied: the peer's credentials are unreadable ({e})"
            ))
        }
    }
}

async fn refuse(mut stream: UnixStream, why: String) {
    let _ = write_line(
        &mut stream,
        &Response::failed(ErrorKind::PermissionDenied, why),
    )
    .await;
}

async fn write_line<W: AsyncWrite + Unpin, T: serde::Serialize>(
    w: &mut W,
    value: &T,
) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(value).map_err(std::io::Error::other)?;
    line.push(b'\n');
    write_raw(w, &line).await
}

async fn write_raw<W: AsyncWrite + Unpin>(w: &mut W, bytes: &[u8]) -> std::io::Result<()> {
    match tokio::time::timeout(WRITE_TIMEOUT, w.write_all(bytes)).await {
        Ok(r) => r,
        Err(_) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "peer stopped reading",
        )),
    }
}

/// Reads one line of at most `MAX_LINE` bytes. `Ok(None)` at end of stream;
/// `Err(TooLong)` when the line is longer (the rest is not read).
async fn read_line<R: AsyncRead + Unpin>(
    r: &mut BufReader<R>,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<LineRead>> {
    buf.clear();
    let limit = (MAX_LINE + 1) as u64;
    let mut limited = (&mut *r).take(limit);
    let n = match tokio::time::timeout(IDLE_TIMEOUT, limited.read_until(b'\n', buf)).await {
        Ok(r) => r?,
        Err(_) => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "idle connection",
            ))
        }
    };
    if n == 0 {
        return Ok(None);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        Ok(Some(LineRead::Line))
    } else if buf.len() > MAX_LINE {
        Ok(Some(LineRead::TooLong))
    } else {
        // End of stream without a newline: take what came.
        Ok(Some(LineRead::Line))
    }
}

enum LineRead {
    Line,
    TooLong,
}

use tokio::io::AsyncReadExt;

async fn connection(
    stream: UnixStream,
    requests: mpsc::Sender<ControlRequest>,
    events: EventBus,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let hello = Hello {
        v: PROTOCOL_VERSION,
        hello: HelloBody {
            version: env!("CARGO_PKG_VERSION").to_string(),
            protocol: PROTOCOL_VERSION,
            pid: std::process::id(),
        },
    };
    write_line(&mut write, &hello).await?;
    let mut buf = Vec::with_capacity(256);
    loop {
        match read_line(&mut read, &mut buf).await? {
            None => return Ok(()),
            Some(LineRead::TooLong) => {
                let reply = Response::failed(
                    ErrorKind::TooLong,
                    format!("request line longer than {MAX_LINE} bytes"),
                );
                // The stream cannot be resynchronised: answer and close.
                return write_line(&mut write, &reply).await;
            }
            Some(LineRead::Line) => {}
        }
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let request = match protocol::decode_request(&buf) {
            Ok(r) => r,
            Err(failure) => {
                write_line(&mut write, &Response::from(failure)).await?;
                continue;
            }
        };
        if request.cmd == Command::Subscribe {
            let stream = events.subscribe();
            write_line(&mut write, &Response::done("subscribed")).await?;
            return forward_events(stream, &mut write).await;
        }
        let (tx, rx) = oneshot::channel();
        let sent = requests
            .send(ControlRequest {
                command: request.cmd,
                reply: tx,
            })
            .await;
        let shutting_down = || Response::failed(ErrorKind::Internal, "the daemon is shutting down");
        let mut reply = match sent {
            Ok(()) => rx.await.unwrap_or_else(|_| shutting_down()),
            Err(_) => shutting_down(),
        };
        // The bus and `/proc` are asked here, in this connection's task:
        // the loop answered from memory.
        if let Response::Doctor { doctor, .. } = &mut reply {
            crate::daemon::doctor_view::complete(doctor).await;
        }
        write_line(&mut write, &reply).await?;
    }
}

async fn forward_events<W: AsyncWrite + Unpin>(
    mut stream: broadcast::Receiver<Arc<str>>,
    write: &mut W,
) -> std::io::Result<()> {
    loop {
        match stream.recv().await {
            Ok(line) => {
                let mut bytes = Vec::with_capacity(line.len() + 1);
                bytes.extend_from_slice(line.as_bytes());
                bytes.push(b'\n');
                if let Err(e) = write_raw(write, &bytes).await {
                    tracing::info!(error = %e, "dropped an event subscriber that stopped reading ({e})");
                    return Err(e);
                }
            }
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::info!(
                    missed = n,
                    "dropped an event subscriber that fell behind by {n} events"
                );
                return Ok(());
            }
            Err(broadcast::error::RecvError::Closed) => return Ok(()),
        }
    }
}
