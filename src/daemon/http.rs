//! The daemon's HTTP socket (`http.sock`, beside the control socket, 0600
//! in the 0700 runtime directory, the peer's uid checked as the control
//! socket does): the status page, its fragments, the API for scripts and
//! the event stream as Server-Sent Events. `devtrack web` puts a browser in
//! front of it; `curl --unix-socket` reaches it as it is.
//!
//! hyper's HTTP/1 server runs each connection in its own task on the
//! daemon's runtime, like the control connections: reads and writes go to
//! the run loop as the same [`ControlRequest`]s `devtrack status`, `note`,
//! `snooze` and `skip` send, and the store is read on its own read-only
//! connection on a blocking thread, so a slow client or a large page never
//! holds up the loop. With no client the listener only waits in `accept`:
//! no timer runs (a connection's header-read timeout lives with it).
//!
//! A page load leaves its freed heap with malloc: on the blocking threads'
//! own arenas (the page's read-only store connection, its model and HTML)
//! and on the loop's (hyper's buffers, the doctor's bus probe). glibc keeps
//! it resident (docs/performance.md measured about 1 MiB after 50 loads),
//! so when the last connection ends the freed pages are given back
//! ([`crate::daemon::footprint::release_free`], as the run loop does once
//! a burst of commits is over): once its clients are gone, the HTTP
//! side keeps only what is still in use.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use futures_lite::{Stream, StreamExt};
use http_body_util::{BodyExt, Either, Full, Limited, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{
    HeaderValue, AUTHORIZATION, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION,
    SET_COOKIE,
};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::Deserialize;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::config::paths::Paths;
use crate::daemon::control::{self, ControlRequest, ControlSocket};
use crate::daemon::event_bus::EventBus;
use crate::doctor::CheckStatus;
use crate::protocol::{Command, NoteRequest, NoteSource, Response as Reply, SnoozeRequest, Status};
use crate::web::guard::{self, Verdict, KEY_PARAM};
use crate::web::model::{with_doctor, HealthItem, HealthStatus};
use crate::web::page::{self, CSP};
use crate::web::routes::{self, ReportFailure, Route};

/// A response body: a whole one, or the event stream.
pub(crate) type Body = Either<Full<Bytes>, StreamBody<EventFrames>>;
pub(crate) type EventFrames = Pin<Box<dyn Stream<Item = Result<Frame<Bytes>, Infallible>> + Send>>;

/// How long a connection may wait for a request's head.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// The largest request body read (an answer's text and a little JSON).
const MAX_BODY: usize = 64 * 1024;

/// What every connection's requests reach: the run loop, the event bus and
/// the paths of the store and config.
pub(crate) struct Shared {
    pub(crate) requests: mpsc::Sender<ControlRequest>,
    pub(crate) events: EventBus,
    pub(crate) paths: Paths,
    /// Connections open now, over both listeners.
    pub(crate) clients: Clients,
}

/// Counts the open connections; the last one to end gives freed heap back.
#[derive(Default)]
pub(crate) struct Clients(AtomicUsize);

impl Clients {
    /// One more connection, until the guard drops (also when the task is
    /// aborted).
    fn enter(&self) -> Client<'_> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Client(self)
    }
}

struct Client<'a>(&'a Clients);

impl Drop for Client<'_> {
    fn drop(&mut self) {
        if self.0 .0.fetch_sub(1, Ordering::Relaxed) == 1 {
            crate::daemon::footprint::release_free();
        }
    }
}

/// Accepts connections until the task is aborted.
pub(crate) async fn serve(listener: ControlSocket, shared: Arc<Shared>) {
    loop {
        let Some(mut stream) = control::accept_own(&listener, "HTTP").await else {
            continue;
        };
        if let Err(why) = control::peer_is_owner(&stream) {
            tokio::spawn(async move {
                let body = format!("{why}\n");
                let head = format!(
                    "HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain; charset=utf-8\r\n\
content-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(body.as_bytes()).await;
            });
            continue;
        }
        let shared = shared.clone();
        tokio::spawn(async move {
            let _client = shared.clients.enter();
            let service = service_fn({
                let shared = shared.clone();
                move |req| handle(req, shared.clone())
            });
            connection(stream, service).await;
        });
    }
}

/// The daemon's own TCP listener (`web.listen`) and its key, or `None`
/// (logged) when either cannot be had: the daemon runs on without it.
pub(crate) fn listen(addr: SocketAddr, paths: &Paths) -> Option<(TcpListener, String)> {
    let key_file = paths.data_dir.join("web.key");
    let key = match crate::web::secret::load_or_create_key(&key_file) {
        Ok(k) => k,
        Err(e) => {
            tracing::error!(error = %e, "not listening on {addr} for the status page: {e:#}");
            return None;
        }
    };
    match bind_tcp(addr) {
        Ok(l) => {
            tracing::info!(%addr, "the status page listens on http://{addr}/ (key in `{}`)", key_file.display());
            Some((l, key))
        }
        Err(e) => {
            tracing::error!(error = %e, "not listening on {addr} for the status page: {e}");
            None
        }
    }
}

/// Binds `addr` (before `READY=1`).
fn bind_tcp(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    TcpListener::from_std(listener)
}

/// Serves `listener` until the task is aborted: the same routes, each
/// request first through `web::guard::decide_listen` with `key`.
pub(crate) async fn serve_tcp(listener: TcpListener, key: String, shared: Arc<Shared>) {
    let host: Arc<str> = match listener.local_addr() {
        Ok(a) => Arc::from(a.to_string()),
        Err(e) => {
            tracing::error!(error = %e, "the status page's listener has no address: {e}");
            return;
        }
    };
    let key: Arc<str> = Arc::from(key);
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // As for the sockets: do not spin while descriptors are out.
                tracing::warn!(error = %e, "accepting a status page connection: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let (shared, host, key) = (shared.clone(), host.clone(), key.clone());
        tokio::spawn(async move {
            let _client = shared.clients.enter();
            let service = service_fn({
                let shared = shared.clone();
                move |req| guarded(req, shared.clone(), host.clone(), key.clone())
            });
            connection(stream, service).await;
        });
    }
}

/// Serves one connection until it ends. A connection silent for a minute
/// between requests is closed, as the control socket does; the timer
/// exists only while a connection does.
async fn connection<IO, S>(stream: IO, service: S)
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    S: hyper::service::Service<Request<Incoming>, Response = Response<Body>, Error = Infallible>,
{
    if let Err(e) = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(IDLE_TIMEOUT)
        .serve_connection(TokioIo::new(stream), service)
        .await
    {
        tracing::debug!(error = %e, "HTTP connection ended: {e}");
    }
}

async fn guarded(
    req: Request<Incoming>,
    shared: Arc<Shared>,
    host: Arc<str>,
    key: Arc<str>,
) -> Result<Response<Body>, Infallible> {
    let verdict = {
        let facts = guard::facts(
            req.method().as_str(),
            req.headers(),
            req.uri().query(),
            KEY_PARAM,
        );
        let bearer = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        guard::decide_listen(&facts, bearer, &host, &key)
    };
    match verdict {
        Verdict::Forward => handle(req, shared).await,
        Verdict::Refuse(code, why) => Ok(whole(
            StatusCode::from_u16(code).unwrap_or(StatusCode::FORBIDDEN),
            TEXT,
            format!("{why}\n"),
        )),
        Verdict::Admit => {
            let (to, cookie) =
                guard::admission(req.uri().path(), req.uri().query(), KEY_PARAM, &key);
            let mut r = whole(StatusCode::SEE_OTHER, TEXT, "see the page\n");
            if let (Ok(to), Ok(cookie)) =
                (HeaderValue::from_str(&to), HeaderValue::from_str(&cookie))
            {
                r.headers_mut().insert(LOCATION, to);
                r.headers_mut().insert(SET_COOKIE, cookie);
            }
            Ok(r)
        }
    }
}

async fn handle(req: Request<Incoming>, shared: Arc<Shared>) -> Result<Response<Body>, Infallible> {
    let route = routes::route(req.method().as_str(), req.uri().path());
    let query = req.uri().query().map(str::to_string);
    Ok(match route {
        Route::Page => page(&shared, Part::Page).await,
        Route::Timeline => page(&shared, Part::Timeline).await,
        Route::Prompt => page(&shared, Part::Prompt).await,
        Route::Week => page(&shared, Part::Week).await,
        Route::Script => whole(
            StatusCode::OK,
            "text/javascript; charset=utf-8",
            page::SCRIPT,
        ),
        Route::Style => whole(StatusCode::OK, "text/css; charset=utf-8", page::STYLE),
        Route::Status => status(&shared).await,
        Route::Report => report(&shared, query.as_deref()).await,
        Route::Events => events(&shared),
        Route::Metrics => metrics(&shared).await,
        Route::Healthz => whole(StatusCode::OK, TEXT, "ok\n"),
        Route::Readyz => match ask_status(&shared).await {
            Some(s) if s.store_error.is_none() => whole(StatusCode::OK, TEXT, "ready\n"),
            Some(_) => whole(
                StatusCode::SERVICE_UNAVAILABLE,
                TEXT,
                "the store takes no writes\n",
            ),
            None => whole(
                StatusCode::SERVICE_UNAVAILABLE,
                TEXT,
                "the daemon is shutting down\n",
            ),
        },
        Route::Answer => match body::<AnswerBody>(req).await {
            Ok(a) if a.text.trim().is_empty() => {
                whole(StatusCode::BAD_REQUEST, TEXT, "the answer is empty\n")
            }
            Ok(a) => {
                write(
                    &shared,
                    Command::Note(NoteRequest {
                        text: a.text,
                        prompt: a.prompt,
                        source: Some(NoteSource::Socket),
                    }),
                )
                .await
            }
            Err(r) => r,
        },
        Route::Snooze => match body::<SnoozeRequest>(req).await {
            Ok(s) => write(&shared, Command::Snooze(s)).await,
            Err(r) => r,
        },
        Route::Skip => write(&shared, Command::Skip).await,
        Route::WrongMethod => whole(StatusCode::METHOD_NOT_ALLOWED, TEXT, "method not allowed\n"),
        Route::NotFound => whole(StatusCode::NOT_FOUND, TEXT, "not found\n"),
    })
}

const TEXT: &str = "text/plain; charset=utf-8";
const JSON: &str = "application/json";
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A whole response, with the headers every response carries.
fn whole(code: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::new(Either::Left(Full::new(body.into())));
    *r.status_mut() = code;
    secure(&mut r, content_type);
    r
}

fn secure(r: &mut Response<Body>, content_type: &str) {
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(CONTENT_TYPE, v);
    }
    h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
}

/// Asks the run loop, as a control connection does.
async fn ask(shared: &Shared, command: Command) -> Option<Reply> {
    let (reply, rx) = oneshot::channel();
    shared
        .requests
        .send(ControlRequest { command, reply })
        .await
        .ok()?;
    rx.await.ok()
}

async fn ask_status(shared: &Shared) -> Option<Box<Status>> {
    match ask(shared, Command::Status).await? {
        Reply::Status { status, .. } => Some(status),
        _ => None,
    }
}

async fn status(shared: &Shared) -> Response<Body> {
    match ask_status(shared).await {
        Some(s) => {
            let doc = serde_json::json!({ "running": true, "daemon": s });
            whole(StatusCode::OK, JSON, doc.to_string())
        }
        None => whole(
            StatusCode::SERVICE_UNAVAILABLE,
            TEXT,
            "the daemon is shutting down\n",
        ),
    }
}

/// A write, answered with the control reply's JSON: 200, or 409 when the
/// daemon refused it (no prompt to snooze, an unknown prompt…).
async fn write(shared: &Shared, command: Command) -> Response<Body> {
    match ask(shared, command).await {
        Some(reply) => {
            let code = if matches!(reply, Reply::Failed(_)) {
                StatusCode::CONFLICT
            } else {
                StatusCode::OK
            };
            let json = serde_json::to_string(&reply).unwrap_or_default();
            whole(code, JSON, json)
        }
        None => whole(
            StatusCode::SERVICE_UNAVAILABLE,
            TEXT,
            "the daemon is shutting down\n",
        ),
    }
}

#[derive(Deserialize)]
struct AnswerBody {
    text: String,
    #[serde(default)]
    prompt: Option<i64>,
}

/// The request's JSON body (empty: the type's default, when it has one).
async fn body<T: for<'de> Deserialize<'de>>(req: Request<Incoming>) -> Result<T, Response<Body>> {
    let bytes = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return Err(whole(
                StatusCode::PAYLOAD_TOO_LARGE,
                TEXT,
                format!("the body is unreadable or over {MAX_BODY} bytes\n"),
            ))
        }
    };
    let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        &bytes
    };
    serde_json::from_slice(text).map_err(|e| {
        whole(
            StatusCode::BAD_REQUEST,
            TEXT,
            format!("the body is not the JSON expected: {e}\n"),
        )
    })
}

#[derive(Clone, Copy)]
enum Part {
    Page,
    Timeline,
    Prompt,
    Week,
}

/// The page or one of its fragments, built from the store on a blocking
/// thread.
async fn page(shared: &Shared, part: Part) -> Response<Body> {
    let status = ask_status(shared).await;
    // The doctor's view only for the whole page: the live updates fetch
    // the fragments, which have no health section.
    let doctor = match part {
        Part::Page => doctor_health(shared).await,
        Part::Timeline | Part::Prompt | Part::Week => None,
    };
    let paths = shared.paths.clone();
    let built = tokio::task::spawn_blocking(move || {
        let config = crate::config::load_or_defaults(&paths)?;
        let mut model =
            crate::web::model::load(&paths.database, &config, status.as_deref(), Utc::now())?;
        if let Some(doctor) = doctor {
            model.health = with_doctor(std::mem::take(&mut model.health), doctor);
        }
        Ok::<_, anyhow::Error>(match part {
            Part::Page => page::render_page(&model),
            Part::Timeline => page::render_timeline(&model),
            Part::Prompt => page::render_open_prompt(model.open_prompt.as_ref(), model.tz),
            Part::Week => page::render_week(&model),
        })
    })
    .await;
    match built {
        Ok(Ok(html)) => whole(StatusCode::OK, "text/html; charset=utf-8", html),
        Ok(Err(e)) => whole(
            StatusCode::INTERNAL_SERVER_ERROR,
            TEXT,
            format!("building the page: {e:#}\n"),
        ),
        Err(e) => whole(StatusCode::INTERNAL_SERVER_ERROR, TEXT, format!("{e}\n")),
    }
}

/// The doctor's failures and warnings as the daemon sees them (its
/// environment, its bus, its watches), for the page's health section;
/// `None` when the loop did not answer.
async fn doctor_health(shared: &Shared) -> Option<Vec<HealthItem>> {
    let Reply::Doctor { mut doctor, .. } = ask(shared, Command::Doctor).await? else {
        return None;
    };
    crate::daemon::doctor_view::complete(&mut doctor).await;
    let checks = crate::doctor::health(&doctor).await;
    Some(
        checks
            .into_iter()
            .map(|c| HealthItem {
                status: match c.status {
                    CheckStatus::Ok => HealthStatus::Ok,
                    CheckStatus::Warning => HealthStatus::Warning,
                    CheckStatus::Failure => HealthStatus::Failure,
                },
                name: c.name,
                detail: c.detail,
                fix: c.fix,
            })
            .collect(),
    )
}

/// `/metrics`: the OpenMetrics text of `devtrack metrics`.
async fn metrics(shared: &Shared) -> Response<Body> {
    match ask(shared, Command::Metrics).await {
        Some(Reply::Metrics { metrics, .. }) => whole(StatusCode::OK, OPENMETRICS, metrics),
        Some(Reply::Failed(f)) => whole(
            StatusCode::INTERNAL_SERVER_ERROR,
            TEXT,
            format!("{}\n", f.error),
        ),
        _ => whole(
            StatusCode::SERVICE_UNAVAILABLE,
            TEXT,
            "the daemon is shutting down\n",
        ),
    }
}

/// `devtrack report`'s output for the query (`web::routes::report`).
async fn report(shared: &Shared, query: Option<&str>) -> Response<Body> {
    let query = query.map(str::to_string);
    let paths = shared.paths.clone();
    let made = tokio::task::spawn_blocking(move || {
        let config =
            crate::config::load_or_defaults(&paths).map_err(|e| ReportFailure::Failed(e.into()))?;
        routes::report(query.as_deref(), &paths.database, &config, Utc::now())
    })
    .await;
    match made {
        Ok(Ok((content_type, text))) => whole(StatusCode::OK, content_type, text),
        Ok(Err(ReportFailure::Asked(why))) => {
            whole(StatusCode::BAD_REQUEST, TEXT, format!("{why}\n"))
        }
        Ok(Err(ReportFailure::Failed(e))) => whole(
            StatusCode::INTERNAL_SERVER_ERROR,
            TEXT,
            format!("reading the report: {e:#}\n"),
        ),
        Err(e) => whole(StatusCode::INTERNAL_SERVER_ERROR, TEXT, format!("{e}\n")),
    }
}

/// The event stream as Server-Sent Events: a `: subscribed` comment once
/// the subscription is in place, then one `data:` message per event line.
/// A client that falls [`crate::daemon::event_bus::CAPACITY`] events
/// behind is dropped (its `EventSource` reconnects).
fn events(shared: &Shared) -> Response<Body> {
    let rx = shared.events.subscribe();
    let first =
        futures_lite::stream::once(Ok(Frame::data(Bytes::from_static(b": subscribed\n\n"))));
    let rest = futures_lite::stream::unfold(rx, |mut rx| async move {
        match rx.recv().await {
            Ok(line) => Some((
                Ok(Frame::data(Bytes::from(format!("data: {line}\n\n")))),
                rx,
            )),
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::info!(
                    missed = n,
                    "dropped an HTTP event subscriber that fell behind by {n} events"
                );
                None
            }
            Err(broadcast::error::RecvError::Closed) => None,
        }
    });
    let frames: EventFrames = Box::pin(first.chain(rest));
    let mut r = Response::new(Either::Right(StreamBody::new(frames)));
    secure(&mut r, "text/event-stream");
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_are_counted_until_their_guards_drop() {
        let clients = Clients::default();
        let open = |c: &Clients| c.0.load(Ordering::Relaxed);
        let first = clients.enter();
        let second = clients.enter();
        assert_eq!(open(&clients), 2);
        drop(first);
        assert_eq!(open(&clients), 1);
        drop(second);
        assert_eq!(open(&clients), 0);
        // The last one gone gave the heap back; a new client counts again.
        let _third = clients.enter();
        assert_eq!(open(&clients), 1);
    }
}
