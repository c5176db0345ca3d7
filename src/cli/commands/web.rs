//! `devtrack web`: the status page in the browser. A browser cannot speak
//! HTTP on the daemon's Unix socket, so this command, run as the user,
//! listens on `127.0.0.1:0`, prints (and opens) a link with a one-time
//! launch token, and passes each request the guard lets through
//! (`web::guard`: our own `Host`, the session cookie the token's first use
//! hands out, same-origin writes with `X-Devtrack: 1`) to the daemon's
//! HTTP socket, the response streamed back as it comes (the event stream
//! included). It runs until interrupted.

use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, UnixStream};

use crate::cli::{out, CliError, Context};
use crate::config::paths::{http_socket_beside, Paths};
use crate::exit::Status;
use crate::instance;
use crate::web::guard::{admission, decide, facts, same_secret, Ours, Verdict, TOKEN_PARAM};
use crate::web::secret::random_hex;

type Body = Either<Incoming, Full<Bytes>>;

struct Proxy {
    /// `127.0.0.1:PORT`.
    host: String,
    session: String,
    /// Spent by its first use.
    launch_token: Mutex<Option<String>>,
    socket: PathBuf,
}

pub(crate) fn run(ctx: &Context, no_browser: bool) -> Result<Status, CliError> {
    let Some(socket) = http_socket(ctx) else {
        return Err(CliError::new(
            Status::NotRunning,
            format!(
                "the daemon's HTTP socket `{}` is not there",
                ctx.paths.http_socket().display()
            ),
        )
        .with_hint("start the daemon: `devtrack start` (or `devtrack run` in a terminal)"));
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(socket, no_browser))
}

/// Our HTTP socket, or, when this shell's runtime directory differs from
/// the daemon's, the one beside the control socket the instance lock
/// names (as the control client finds it).
fn http_socket(ctx: &Context) -> Option<PathBuf> {
    let own = ctx.paths.http_socket();
    if own.exists() {
        return Some(own);
    }
    let holder = instance::holder(&Paths::resolve(None).lock).ok()??;
    Some(http_socket_beside(&holder.socket?)).filter(|p| p.exists())
}

async fn serve(socket: PathBuf, no_browser: bool) -> Result<Status, CliError> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let host = format!("127.0.0.1:{}", listener.local_addr()?.port());
    let token = random_hex(16)?;
    let url = format!("http://{host}/?{TOKEN_PARAM}={token}");
    let proxy = Arc::new(Proxy {
        host,
        session: random_hex(32)?,
        launch_token: Mutex::new(Some(token)),
        socket,
    });
    out::line(&url)?;
    if !no_browser {
        open_browser(&url);
    }
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    crate::cli::stderr::warn(&format!("accepting a connection: {e}"));
                    continue;
                }
            },
            _ = tokio::signal::ctrl_c() => return Ok(Status::Ok),
        };
        let proxy = proxy.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| handle(req, proxy.clone()));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle(req: Request<Incoming>, proxy: Arc<Proxy>) -> Result<Response<Body>, Infallible> {
    let verdict = {
        let facts = facts(
            req.method().as_str(),
            req.headers(),
            req.uri().query(),
            TOKEN_PARAM,
        );
        let mut launch = proxy.launch_token.lock().unwrap_or_else(|p| p.into_inner());
        let verdict = decide(
            &facts,
            &Ours {
                host: &proxy.host,
                session: &proxy.session,
                launch_token: launch.as_deref(),
            },
        );
        if verdict == Verdict::Admit
            && facts
                .token
                .zip(launch.as_deref())
                .is_some_and(|(a, b)| same_secret(a, b))
        {
            *launch = None;
        }
        verdict
    };
    Ok(match verdict {
        Verdict::Refuse(code, why) => plain(code, why),
        Verdict::Admit => {
            let (to, cookie) = admission(
                req.uri().path(),
                req.uri().query(),
                TOKEN_PARAM,
                &proxy.session,
            );
            let mut r = plain(303, "see the page");
            let h = r.headers_mut();
            if let (Ok(to), Ok(cookie)) =
                (HeaderValue::from_str(&to), HeaderValue::from_str(&cookie))
            {
                h.insert(LOCATION, to);
                h.insert(SET_COOKIE, cookie);
            }
            r
        }
        Verdict::Forward => forward(req, &proxy).await,
    })
}

/// A short text answer from the proxy itself.
fn plain(code: u16, why: &str) -> Response<Body> {
    let mut r = Response::new(Either::Right(Full::new(Bytes::from(format!("{why}\n")))));
    *r.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::FORBIDDEN);
    let h = r.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Passes the request to the daemon without our cookie; its response comes
/// back streamed, without any CORS header.
async fn forward(req: Request<Incoming>, proxy: &Proxy) -> Response<Body> {
    let stream = match UnixStream::connect(&proxy.socket).await {
        Ok(s) => s,
        Err(e) => {
            return plain(
                502,
                &format!("the daemon does not answer on its HTTP socket: {e}"),
            )
        }
    };
    let (mut sender, connection) =
        match hyper::client::conn::http1::handshake(TokioIo::new(stream)).await {
            Ok(pair) => pair,
            Err(e) => return plain(502, &format!("talking to the daemon: {e}")),
        };
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let (mut parts, body) = req.into_parts();
    parts.headers.remove(COOKIE);
    match sender.send_request(Request::from_parts(parts, body)).await {
        Ok(response) => {
            let (mut parts, body) = response.into_parts();
            let cors: Vec<_> = parts
                .headers
                .keys()
                .filter(|k| k.as_str().starts_with("access-control-"))
                .cloned()
                .collect();
            for k in cors {
                parts.headers.remove(k);
            }
            Response::from_parts(parts, Either::Left(body))
        }
        Err(e) => plain(502, &format!("talking to the daemon: {e}")),
    }
}

/// Opens `url` in the desktop's browser; says so on stderr when it cannot
/// (the link is printed anyway).
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    match std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        Ok(mut child) => {
            std::thread::spawn(move || child.wait());
        }
        Err(e) => crate::cli::stderr::warn(&format!(
            "could not run `{opener}` ({e}); open the link above in a browser"
        )),
    }
}
