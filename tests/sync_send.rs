//! The sender end to end against fake GitHub, Jira (Cloud and Data
//! Center) and Azure DevOps servers on 127.0.0.1: each checks the request
//! against the documented contract (path and query, the Authorization
//! header's form, headers, body shape), answers as the service does and
//! keeps what it stored. Nothing is posted before the first `sync push`;
//! permanent answers fail with the reason; 429 and 5xx are tried again; a
//! comment stored before the connection dropped is found by its marker and
//! not posted twice; the tokens and the text never reach the daemon's
//! stderr, the status or the events.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use crate::util::{text, Env, EventStream};

/// What the server does with the next POST.
#[derive(Clone)]
enum Answer {
    /// Store the comment and answer as the service does.
    Store,
    /// Answer this status with these headers and body; store nothing.
    Status(u16, Vec<(&'static str, &'static str)>, &'static str),
    /// Store the comment, then close the connection without answering.
    StoreThenDrop,
    /// Store the comment and never answer (the connection stays open).
    StoreThenHang,
}

/// One request as received.
#[derive(Debug, Clone)]
struct Received {
    method: String,
    target: String,
    headers: BTreeMap<String, String>,
    body: String,
}

#[derive(Default)]
struct Shared {
    received: Vec<Received>,
    /// Comments stored per comments path (no query).
    stored: BTreeMap<String, Vec<String>>,
    script: VecDeque<Answer>,
    /// While set, a listing (GET) waits for a word on this before it is
    /// answered.
    gate: Option<std::sync::mpsc::Receiver<()>>,
    /// Connections kept open by `StoreThenHang`.
    hung: Vec<TcpStream>,
}

struct Fake {
    port: u16,
    shared: Arc<Mutex<Shared>>,
    /// Each POST answered (or dropped) is sent here: the tests wait on it.
    posts: std::sync::mpsc::Receiver<String>,
}

fn read_request(stream: &mut TcpStream) -> Option<Received> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut headers = BTreeMap::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.insert(k.trim().to_lowercase(), v.trim().to_owned());
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Received {
        method,
        target,
        headers,
        body: String::from_utf8(body).ok()?,
    })
}

fn respond(stream: &mut TcpStream, status: u16, headers: &[(&str, &str)], body: &str) {
    let mut head = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\nContent-Type: application/json\r\n", body.len());
    for (k, v) in headers {
        let _ = write!(head, "{k}: {v}\r\n");
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
}

/// The service's answer to a stored comment, and its listing.
fn created(target: &str, n: usize, body: &str) -> (u16, String) {
    let doc: serde_json::Value = serde_json::from_str(body).unwrap();
    if target.contains("/_apis/") {
        (
            200,
            serde_json::json!({"id": n, "text": doc["text"], "url": format!("http://x/c/{n}")})
                .to_string(),
        )
    } else if target.contains("/rest/api/") {
        (201, serde_json::json!({"id": n.to_string(), "body": doc["body"], "properties": doc.get("properties")}).to_string())
    } else {
        (201, serde_json::json!({"id": n, "body": doc["body"], "html_url": format!("http://x/issues#c{n}")}).to_string())
    }
}

impl Fake {
    fn start() -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Mutex::new(Shared::default()));
        let (tx, posts) = std::sync::mpsc::channel();
        let state = shared.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { break };
                let Some(req) = read_request(&mut stream) else {
                    continue;
                };
                let path = req.target.split('?').next().unwrap().to_owned();
                let mut s = state.lock().unwrap();
                s.received.push(req.clone());
                if req.method == "GET" {
                    let gate = s.gate.take();
                    drop(s);
                    let _ = tx.send(format!("listed {path}"));
                    if let Some(gate) = gate {
                        let _ = gate.recv();
                    }
                    let s = state.lock().unwrap();
                    let comments: Vec<String> = s.stored.get(&path).cloned().unwrap_or_default();
                    let listing: Vec<serde_json::Value> = comments
                        .iter()
                        .enumerate()
                        .map(|(i, c)| {
                            serde_json::from_str::<serde_json::Value>(&created(&path, i + 1, c).1)
                                .unwrap()
                        })
                        .collect();
                    let body = if path.contains("/rest/api/") || path.contains("/_apis/") {
                        serde_json::json!({"comments": listing}).to_string()
                    } else {
                        serde_json::Value::from(listing).to_string()
                    };
                    drop(s);
                    respond(&mut stream, 200, &[], &body);
                    continue;
                }
                let answer = s.script.pop_front().unwrap_or(Answer::Store);
                match answer {
                    Answer::Store | Answer::StoreThenDrop | Answer::StoreThenHang => {
                        let list = s.stored.entry(path.clone()).or_default();
                        list.push(req.body.clone());
                        let (status, body) = created(&path, list.len(), &req.body);
                        match answer {
                            Answer::Store => respond(&mut stream, status, &[], &body),
                            Answer::StoreThenHang => s.hung.push(stream),
                            _ => {}
                        }
                        drop(s);
                        let _ = tx.send(format!("stored {path}"));
                    }
                    Answer::Status(status, headers, body) => {
                        drop(s);
                        respond(&mut stream, status, &headers, body);
                        let _ = tx.send(format!("{status} {path}"));
                    }
                }
            }
        });
        Fake {
            port,
            shared,
            posts,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn then(&self, answer: Answer) {
        self.shared.lock().unwrap().script.push_back(answer);
    }

    fn received(&self) -> Vec<Received> {
        self.shared.lock().unwrap().received.clone()
    }

    fn stored(&self, path: &str) -> Vec<String> {
        self.shared
            .lock()
            .unwrap()
            .stored
            .get(path)
            .cloned()
            .unwrap_or_default()
    }
}

const GH_TOKEN: &str = "ghp_SECRET_github_0001";
const JIRA_TOKEN: &str = "JIRA_SECRET_0002";
const AZ_TOKEN: &str = "AZURE_SECRET_0003";
const TEXT: &str = "private words about o/r#5 and ABC-7 and AB#9";

fn config(fake: &Fake, auto_sync: bool, jira_dc: bool) -> String {
    let jira = if jira_dc {
        format!(
            "{{enabled: true, url: '{}/jira', api_version: 2}}",
            fake.url()
        )
    } else {
        format!(
            "{{enabled: true, url: '{}/jira', email: me@acme.test}}",
            fake.url()
        )
    };
    format!(
        "settings:\n  timezone: UTC\n  auto_sync: {auto_sync}\n\
         integrations:\n\
         \x20 github: {{enabled: true, api_url: '{url}/gh'}}\n\
         \x20 jira: {jira}\n\
         \x20 azure_devops: {{enabled: true, url: '{url}/tfs/Coll', project: Web, token_command: [cat, '{cred}']}}\n",
        url = fake.url(),
        cred = "AZ_TOKEN_FILE",
    )
}

/// An environment whose daemon finds the three tokens three ways: GitHub
/// in `$CREDENTIALS_DIRECTORY`, Jira in `$JIRA_API_TOKEN`, Azure through
/// `token_command`.
fn setup(fake: &Fake, auto_sync: bool, jira_dc: bool) -> (Env, std::path::PathBuf) {
    let env = Env::new();
    let creds = env.dir.path().join("creds");
    std::fs::create_dir_all(&creds).unwrap();
    std::fs::write(creds.join("devtrack-github"), format!("{GH_TOKEN}\n")).unwrap();
    let az = env.dir.path().join("az-token");
    std::fs::write(&az, AZ_TOKEN).unwrap();
    let yaml = config(fake, auto_sync, jira_dc).replace("AZ_TOKEN_FILE", az.to_str().unwrap());
    env.write_config(&yaml);
    (env, creds)
}

fn start(env: &Env, creds: &std::path::Path) -> crate::util::Daemon {
    env.start_with(|c| {
        c.env("CREDENTIALS_DIRECTORY", creds)
            .env("JIRA_API_TOKEN", JIRA_TOKEN)
            .env("DEVTRACK_TEST_SYNC_FAST", "1000");
    })
}

fn sync_events(events: &EventStream, change: &str, n: usize) -> Vec<serde_json::Value> {
    (0..n)
        .map(|_| events.wait_until("sync", |e| e["change"] == change))
        .collect()
}

fn b64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[test]
fn nothing_before_the_first_push_then_each_service_gets_one_comment() {
    let fake = Fake::start();
    let (env, creds) = setup(&fake, true, false);
    let mut daemon = start(&env, &creds);
    let events = EventStream::open(&env);
    let noted = env.run(["note", TEXT]);
    assert!(noted.status.success(), "{}", text(&noted));
    let held = sync_events(&events, "held", 3);
    assert!(
        held.iter()
            .all(|e| e["reason"].as_str().unwrap().starts_with("ready for ")),
        "{held:?}"
    );
    let said = String::from_utf8_lossy(&env.run(["sync"]).stdout).into_owned();
    assert!(said.contains("github: 1 held"), "{said}");
    // Held, not sent: auto_sync is on but nothing was ever pushed.
    assert!(fake.received().is_empty(), "{:?}", fake.received());

    let pushed = env.run(["sync", "push"]);
    assert!(pushed.status.success(), "{}", text(&pushed));
    let out = String::from_utf8_lossy(&pushed.stdout).into_owned();
    assert!(out.contains("github: 1 update queued"), "{out}");
    assert!(out.contains("the daemon is sending them now"), "{out}");
    let sent = sync_events(&events, "sent", 3);
    let mut tickets: Vec<&str> = sent.iter().map(|e| e["ticket"].as_str().unwrap()).collect();
    tickets.sort_unstable();
    assert_eq!(tickets, ["AB#9", "ABC-7", "o/r#5"]);

    let got = fake.received();
    assert_eq!(got.len(), 3, "{got:?}");
    let by = |part: &str| {
        got.iter()
            .find(|r| r.target.contains(part))
            .unwrap()
            .clone()
    };
    let ua = format!("devtrack/{}", env!("CARGO_PKG_VERSION"));

    let gh = by("/gh/");
    assert_eq!(
        (gh.method.as_str(), gh.target.as_str()),
        ("POST", "/gh/repos/o/r/issues/5/comments")
    );
    assert_eq!(gh.headers["authorization"], format!("Bearer {GH_TOKEN}"));
    assert_eq!(gh.headers["accept"], "application/vnd.github+json");
    assert_eq!(gh.headers["x-github-api-version"], "2022-11-28");
    assert_eq!(gh.headers["user-agent"], ua);
    let body: serde_json::Value = serde_json::from_str(&gh.body).unwrap();
    let id = sent.iter().find(|e| e["ticket"] == "o/r#5").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(body["body"], format!("{TEXT}\n\n<!-- devtrack:{id} -->"));

    let jira = by("/jira/");
    assert_eq!(jira.target, "/jira/rest/api/3/issue/ABC-7/comment");
    assert_eq!(
        jira.headers["authorization"],
        format!("Basic {}", b64(&format!("me@acme.test:{JIRA_TOKEN}")))
    );
    let body: serde_json::Value = serde_json::from_str(&jira.body).unwrap();
    assert_eq!(body["body"]["type"], "doc");
    assert_eq!(body["properties"][0]["key"], "devtrack");

    let az = by("/tfs/");
    assert_eq!(
        az.target,
        "/tfs/Coll/Web/_apis/wit/workItems/9/comments?format=markdown&api-version=7.1-preview.4"
    );
    assert_eq!(
        az.headers["authorization"],
        format!("Basic {}", b64(&format!(":{AZ_TOKEN}")))
    );
    let body: serde_json::Value = serde_json::from_str(&az.body).unwrap();
    assert!(body["text"].as_str().unwrap().starts_with(TEXT));

    // After the first push, auto_sync sends a new update by itself.
    let noted = env.run(["note", "second about o/r#5"]);
    assert!(noted.status.success(), "{}", text(&noted));
    let queued = events.wait_until("sync", |e| e["change"] == "queued");
    assert_eq!(queued["ticket"], "o/r#5");
    let again = events.wait_until("sync", |e| e["change"] == "sent");
    assert_eq!(again["ticket"], "o/r#5");
    assert_eq!(fake.stored("/gh/repos/o/r/issues/5/comments").len(), 2);

    let said = String::from_utf8_lossy(&env.run(["sync"]).stdout).into_owned();
    assert!(said.contains("github: 2 sent"), "{said}");
    assert!(said.contains("  last sent: o/r#5 "), "{said}");
    let status = env.run(["status"]);
    let status_text = text(&status);
    assert!(
        status_text.contains("github: 2 sent today"),
        "{status_text}"
    );
    drop(events);
    daemon.signal(nix::sys::signal::Signal::SIGTERM);
    let logged = daemon.stderr_text();
    let events_text: String = sent
        .iter()
        .chain(&held)
        .chain([&queued, &again])
        .map(ToString::to_string)
        .collect();
    for secret in [GH_TOKEN, JIRA_TOKEN, AZ_TOKEN, TEXT] {
        assert!(!logged.contains(secret), "{secret} in {logged}");
        assert!(!status_text.contains(secret), "{secret} in {status_text}");
        assert!(!events_text.contains(secret), "{secret} in {events_text}");
    }
}

#[test]
fn failures_retries_and_a_dropped_answer() {
    let fake = Fake::start();
    let (env, creds) = setup(&fake, false, true);
    let mut daemon = start(&env, &creds);
    let events = EventStream::open(&env);
    // GitHub: 401 (failed, kept). Jira DC: 429 with Retry-After, then
    // stored. Azure: 503, then stored and the connection dropped, then
    // found by its marker.
    fake.then(Answer::Status(
        401,
        vec![],
        r#"{"message":"Bad credentials"}"#,
    ));
    let noted = env.run(["note", "only o/r#5"]);
    assert!(noted.status.success(), "{}", text(&noted));
    assert!(env.run(["sync", "push", "github"]).status.success());
    let failed = events.wait_until("sync", |e| e["change"] == "failed");
    assert_eq!(failed["reason"], "401 Bad credentials");
    let said = String::from_utf8_lossy(&env.run(["sync"]).stdout).into_owned();
    assert!(
        said.contains("failed o/r#5 (update #1): 401 Bad credentials"),
        "{said}"
    );
    let status = text(&env.run(["status"]));
    assert!(
        status.contains("github: 0 sent today · 1 failing (401 Bad credentials)"),
        "{status}"
    );
    // auto_sync: false: a new update waits for the next push.
    assert!(env.run(["note", "then ABC-7 and AB#9"]).status.success());
    let said = String::from_utf8_lossy(&env.run(["sync"]).stdout).into_owned();
    assert!(said.contains("jira: 1 held"), "{said}");

    fake.then(Answer::Status(429, vec![("Retry-After", "1")], ""));
    fake.then(Answer::Store);
    assert!(env.run(["sync", "push", "jira"]).status.success());
    let jira = events.wait_until("sync", |e| e["change"] == "sent");
    assert_eq!(jira["ticket"], "ABC-7");
    let stored = fake.stored("/jira/rest/api/2/issue/ABC-7/comment");
    assert_eq!(stored.len(), 1);
    assert!(stored[0].contains("devtrack:"), "{stored:?}");
    let dc = fake
        .received()
        .into_iter()
        .find(|r| r.target.contains("/rest/api/2/"))
        .unwrap();
    assert_eq!(dc.headers["authorization"], format!("Bearer {JIRA_TOKEN}"));

    fake.then(Answer::Status(503, vec![], ""));
    fake.then(Answer::StoreThenDrop);
    assert!(env.run(["sync", "push", "azure_devops"]).status.success());
    let az = events.wait_until("sync", |e| e["change"] == "sent");
    assert_eq!(az["ticket"], "AB#9");
    assert_eq!(
        fake.stored("/tfs/Coll/Web/_apis/wit/workItems/9/comments")
            .len(),
        1,
        "posted once"
    );
    let listed = fake
        .received()
        .into_iter()
        .filter(|r| {
            r.method == "GET"
                && r.target
                    == "/tfs/Coll/Web/_apis/wit/workItems/9/comments?api-version=7.1-preview.4"
        })
        .count();
    assert!(listed >= 1, "the marker was looked for");

    // `sync retry` sends the failed one again (the server now accepts).
    let retried = env.run(["sync", "retry", "--failed"]);
    assert!(retried.status.success(), "{}", text(&retried));
    let gh = events.wait_until("sync", |e| e["change"] == "sent");
    assert_eq!(gh["ticket"], "o/r#5");
    assert_eq!(fake.stored("/gh/repos/o/r/issues/5/comments").len(), 1);
    drop(events);
    daemon.signal(nix::sys::signal::Signal::SIGTERM);
    let logged = daemon.stderr_text();
    assert_eq!(logged.matches("401 Bad credentials").count(), 1, "{logged}");
    for secret in [GH_TOKEN, JIRA_TOKEN, AZ_TOKEN, "only o/r#5"] {
        assert!(!logged.contains(secret), "{secret} in {logged}");
    }
}

#[test]
fn with_the_daemon_stopped_a_push_queues_and_the_start_sends() {
    let fake = Fake::start();
    let (env, creds) = setup(&fake, true, false);
    assert!(env.run(["note", "about o/r#5"]).status.success());
    assert!(env.run(["note", "again o/r#6"]).status.success());
    // The start says once what waits for the first push.
    let mut first = start(&env, &creds);
    first.signal(nix::sys::signal::Signal::SIGTERM);
    let logged = first.stderr_text();
    assert_eq!(
        logged.matches("sync: 2 updates ready for github: `devtrack sync preview`, then `devtrack sync push`").count(),
        1,
        "{logged}"
    );
    assert!(fake.received().is_empty());
    let pushed = env.run(["sync", "push", "github"]);
    let out = String::from_utf8_lossy(&pushed.stdout).into_owned();
    assert!(
        out.contains("the daemon is not running: they go when it starts"),
        "{out}"
    );
    assert!(fake.received().is_empty());
    let _daemon = start(&env, &creds);
    // Two tickets: sent side by side, in either order.
    let mut posted: Vec<String> = (0..2)
        .map(|_| fake.posts.recv_timeout(crate::util::WAIT).unwrap())
        .collect();
    posted.sort();
    assert_eq!(
        posted,
        [
            "stored /gh/repos/o/r/issues/5/comments",
            "stored /gh/repos/o/r/issues/6/comments"
        ]
    );
}

#[test]
fn a_daemon_killed_mid_request_finds_its_comment_and_does_not_post_again() {
    let fake = Fake::start();
    let (env, creds) = setup(&fake, true, false);
    let daemon = start(&env, &creds);
    fake.then(Answer::StoreThenHang);
    assert!(env.run(["note", "about o/r#5"]).status.success());
    assert!(env.run(["sync", "push", "github"]).status.success());
    let path = "/gh/repos/o/r/issues/5/comments";
    assert_eq!(
        fake.posts.recv_timeout(crate::util::WAIT).unwrap(),
        format!("stored {path}")
    );
    // The comment is stored, the answer never came: the item is `sending`.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(daemon.pid()),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    drop(daemon);
    let (open, gate) = std::sync::mpsc::channel();
    fake.shared.lock().unwrap().gate = Some(gate);
    let _daemon = start(&env, &creds);
    assert_eq!(
        fake.posts.recv_timeout(crate::util::WAIT).unwrap(),
        format!("listed {path}")
    );
    let events = EventStream::open(&env);
    open.send(()).unwrap();
    let sent = events.wait_until("sync", |e| e["change"] == "sent");
    assert_eq!(sent["ticket"], "o/r#5");
    assert_eq!(fake.stored(path).len(), 1, "one comment across the crash");
    assert!(
        fake.received()
            .iter()
            .filter(|r| r.method == "POST")
            .count()
            == 1
    );
}

#[test]
fn an_item_waiting_for_a_setting_goes_after_the_reload_that_gives_it() {
    let fake = Fake::start();
    let (env, creds) = setup(&fake, true, false);
    let full = std::fs::read_to_string(env.config_path()).unwrap();
    let jira_line = full
        .lines()
        .find(|l| l.contains("jira:"))
        .unwrap()
        .to_owned();
    env.write_config(&full.replace(&jira_line, "  jira: {enabled: true}"));
    let mut daemon = start(&env, &creds);
    let events = EventStream::open(&env);
    assert!(env.run(["note", "looked at ABC-7"]).status.success());
    assert!(env.run(["sync", "push", "jira"]).status.success());
    let said = String::from_utf8_lossy(&env.run(["sync"]).stdout).into_owned();
    assert!(
        said.contains("held ABC-7 (update #1): waiting for configuration: jira: no url; set integrations.jira.url"),
        "{said}"
    );
    // The daemon watches its config file (`watch_config`, on by default)
    // and applies the saved change by itself.
    env.write_config(&full);
    let sent = events.wait_until("sync", |e| e["change"] == "sent");
    assert_eq!(sent["ticket"], "ABC-7");
    assert_eq!(fake.stored("/jira/rest/api/3/issue/ABC-7/comment").len(), 1);
    drop(events);
    daemon.signal(nix::sys::signal::Signal::SIGTERM);
    assert!(daemon
        .stderr_text()
        .contains("sync: jira has its settings now; 1 update released"));
}

#[test]
fn one_poison_item_does_not_hold_the_others() {
    let fake = Fake::start();
    let (env, creds) = setup(&fake, true, false);
    let _daemon = start(&env, &creds);
    let events = EventStream::open(&env);
    assert!(env.run(["sync", "push", "github"]).status.success());
    fake.then(Answer::Status(404, vec![], r#"{"message":"Not Found"}"#));
    fake.then(Answer::Status(
        422,
        vec![],
        r#"{"message":"Validation Failed"}"#,
    ));
    let n = 20;
    for i in 1..=n {
        assert!(env
            .run(["note", &format!("part {i} of o/r#{i}")])
            .status
            .success());
    }
    let mut sent = 0;
    let mut failed = Vec::new();
    while sent + failed.len() < n {
        let e = events.wait_until("sync", |e| e["change"] == "sent" || e["change"] == "failed");
        if e["change"] == "sent" {
            sent += 1;
        } else {
            failed.push(e["reason"].as_str().unwrap().to_owned());
        }
    }
    failed.sort();
    assert_eq!(failed, ["404 Not Found", "422 Validation Failed"]);
    assert_eq!(sent, n - 2);
    let said = String::from_utf8_lossy(&env.run(["sync"]).stdout).into_owned();
    assert!(said.contains("github: 2 failed · 18 sent"), "{said}");
}

#[test]
fn a_token_in_the_config_file_is_never_sent() {
    const FILE_TOKEN: &str = "ghp_IN_THE_FILE_never_sent_77";
    let fake = Fake::start();
    let env = Env::new();
    let empty = env.dir.path().join("empty-path");
    std::fs::create_dir_all(&empty).unwrap();
    env.write_config(&format!(
        "settings:\n  timezone: UTC\n  auto_sync: true\n\
         integrations:\n\
         \x20 github: {{enabled: true, api_url: '{}/gh', token: {FILE_TOKEN}}}\n",
        fake.url()
    ));
    // No other source: no credentials, no variables, no `gh` on PATH.
    let mut daemon = env.start_with(|c| {
        c.env("PATH", &empty).env("DEVTRACK_TEST_SYNC_FAST", "1000");
    });
    let events = EventStream::open(&env);
    assert!(env.run(["note", "about o/r#5"]).status.success());
    assert!(env.run(["sync", "push"]).status.success());
    let failed = events.wait_until("sync", |e| e["change"] == "failed");
    let reason = failed["reason"].as_str().unwrap();
    assert!(reason.starts_with("no github token: tried $CREDENTIALS_DIRECTORY/devtrack-github, $DEVTRACK_GITHUB_TOKEN, $GH_TOKEN, $GITHUB_TOKEN"), "{reason}");
    assert!(fake.received().is_empty(), "nothing sent");
    drop(events);
    daemon.signal(nix::sys::signal::Signal::SIGTERM);
    let logged = daemon.stderr_text();
    assert!(!logged.contains(FILE_TOKEN), "{logged}");
    assert!(!reason.contains(FILE_TOKEN));
}
