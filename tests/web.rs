//! The status page over HTTP, through `devtrack web --no-browser` as a
//! browser reaches it: the guard's refusals (rebinding, no cookie, a spent
//! launch token, cross-origin writes), the page and API behind it, an
//! answer given through the API landing in the store, a commit arriving on
//! the event stream; and the daemon's HTTP socket refusing another uid.
//! (What the page's DOM shows in a real browser is the WebDriver tests'.)

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::mpsc;

use crate::daemon_git::{commit, config};
use crate::reliability::security::{chmod, exchange_as_nobody, open_path_to, root_or_skip};
use crate::util::{git_repo, Daemon, Env, WAIT};

/// `devtrack web --no-browser`, its link read from its stdout; or, without
/// a child, the daemon's own listener (`web.listen`).
pub(crate) struct Web {
    child: Option<Child>,
    /// `127.0.0.1:PORT`.
    pub(crate) host: String,
    /// `/?token=…`.
    pub(crate) launch: String,
}

impl Drop for Web {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Web {
    pub(crate) fn start(env: &Env) -> Web {
        let mut child = env
            .cmd(["web", "--no-browser"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(WAIT).expect("devtrack web printed no link");
        let rest = line
            .trim()
            .strip_prefix("http://")
            .unwrap_or_else(|| panic!("not a link: {line:?}"));
        let (host, launch) = rest.split_at(rest.find('/').unwrap());
        Web {
            child: Some(child),
            host: host.to_string(),
            launch: launch.to_string(),
        }
    }

    /// One request with `Connection: close`; the status and the whole
    /// response (head and body).
    fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, String) {
        let mut s = TcpStream::connect(&self.host).unwrap();
        s.set_read_timeout(Some(WAIT)).unwrap();
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
            let _ = write!(req, "Host: {}\r\n", self.host);
        }
        for (k, v) in headers {
            let _ = write!(req, "{k}: {v}\r\n");
        }
        req += "\r\n";
        req += body;
        s.write_all(req.as_bytes()).unwrap();
        let mut got = String::new();
        s.read_to_string(&mut got).unwrap();
        let code = got
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("no status line: {got:?}"));
        (code, got)
    }

    /// Spends the launch token; the `Cookie` header it earned.
    fn admit(&self) -> String {
        let (code, got) = self.send("GET", &self.launch, &[], "");
        assert_eq!(code, 303, "{got}");
        assert!(got.contains("\r\nlocation: /\r\n"), "{got}");
        let set = got
            .lines()
            .find_map(|l| l.strip_prefix("set-cookie: "))
            .unwrap_or_else(|| panic!("no cookie: {got}"));
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Strict"),
            "{set}"
        );
        set.split(';').next().unwrap().to_string()
    }

    fn origin(&self) -> String {
        format!("http://{}", self.host)
    }

    /// The link `devtrack web` printed, as a browser opens it.
    pub(crate) fn link(&self) -> String {
        format!("{}{}", self.origin(), self.launch)
    }
}

fn running(env: &Env) -> Daemon {
    let repo = env.cwd.join("api");
    git_repo(&repo);
    env.write_config(&config(&[("api", &repo)]));
    env.start()
}

#[test]
fn the_proxy_refuses_rebinding_no_cookie_a_spent_token_and_cross_origin_writes() {
    let env = Env::new();
    let _daemon = running(&env);
    let web = Web::start(&env);

    let port = web.host.rsplit(':').next().unwrap().to_string();
    let rebound = format!("evil.example:{port}");
    assert_eq!(
        web.send("GET", &web.launch, &[("Host", &rebound)], "").0,
        403,
        "rebound host"
    );
    assert_eq!(web.send("GET", "/", &[], "").0, 401, "no cookie");
    let cookie = web.admit();
    assert_eq!(web.send("GET", &web.launch, &[], "").0, 401, "spent token");
    assert_eq!(
        web.send("GET", &web.launch, &[("Cookie", &cookie)], "").0,
        401,
        "spent token, with the cookie"
    );
    assert_eq!(
        web.send("GET", "/", &[("Cookie", "devtrack_session=guess")], "")
            .0,
        401,
        "wrong cookie"
    );
    assert_eq!(
        web.send("GET", "/", &[("Host", &rebound), ("Cookie", &cookie)], "")
            .0,
        403,
        "rebound with the cookie"
    );

    let (code, page) = web.send("GET", "/", &[("Cookie", &cookie)], "");
    assert_eq!(code, 200, "{page}");
    assert!(
        page.contains("content-security-policy: default-src 'none'; script-src 'self'"),
        "{page}"
    );
    assert!(
        !page.to_ascii_lowercase().contains("access-control-"),
        "{page}"
    );
    for hook in [
        "id=\"timeline\"",
        "id=\"open-prompt\"",
        "id=\"standup\"",
        "id=\"health\"",
        "id=\"week\"",
    ] {
        assert!(page.contains(hook), "{hook}");
    }

    let own = web.origin();
    type Headers<'a> = &'a [(&'a str, &'a str)];
    let writes: &[(&str, Headers, u16)] = &[
        (
            "cross-origin",
            &[("Origin", "http://evil.example"), ("X-Devtrack", "1")],
            403,
        ),
        ("no origin", &[("X-Devtrack", "1")], 403),
        ("no custom header", &[("Origin", &own)], 403),
    ];
    for (name, extra, want) in writes {
        let mut headers = vec![("Cookie", cookie.as_str())];
        headers.extend_from_slice(extra);
        let (code, got) = web.send("POST", "/api/skip", &headers, "{}");
        assert_eq!(code, *want, "{name}: {got}");
    }
    assert_eq!(
        env.status()["daemon"]["scheduler"]["skip_next"],
        false,
        "a refused skip went through"
    );
    let (code, got) = web.send(
        "POST",
        "/api/skip",
        &[("Cookie", &cookie), ("Origin", &own), ("X-Devtrack", "1")],
        "{}",
    );
    assert_eq!(code, 200, "{got}");
    assert_eq!(env.status()["daemon"]["scheduler"]["skip_next"], true);

    let (code, got) = web.send("GET", "/api/status", &[("Cookie", &cookie)], "");
    assert_eq!(code, 200, "{got}");
    let body = got.split("\r\n\r\n").nth(1).unwrap();
    let status: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(status["running"], true);
    assert_eq!(status["daemon"]["pid"], env.status()["daemon"]["pid"]);
    let (code, got) = web.send("GET", "/metrics", &[("Cookie", &cookie)], "");
    assert_eq!(code, 200, "{got}");
    assert!(
        got.to_ascii_lowercase()
            .contains("content-type: application/openmetrics-text"),
        "{got}"
    );
    assert!(
        got.contains("devtrack_commits_total") && got.ends_with("# EOF\n"),
        "{got}"
    );
    let (code, page) = web.send("GET", "/", &[("Cookie", &cookie)], "");
    assert_eq!(code, 200);
    // No notification server on this daemon's bus: the doctor's view of
    // it is on the page, with its fix.
    let health = page.split("<section id=\"health\">").nth(1).unwrap();
    let health = health.split("</section>").next().unwrap();
    assert!(
        health.contains("<span class=\"name\">notifications</span>"),
        "{health}"
    );
    for (path, want) in [
        ("/healthz", 200),
        ("/readyz", 200),
        ("/fragment/timeline", 200),
        ("/fragment/prompt", 200),
        ("/fragment/week", 200),
        ("/api/report?since=12h&format=markdown", 200),
        ("/api/report?format=yaml", 400),
        ("/nowhere", 404),
    ] {
        assert_eq!(
            web.send("GET", path, &[("Cookie", &cookie)], "").0,
            want,
            "{path}"
        );
    }
}

#[test]
fn an_answer_given_through_the_page_lands_in_the_store() {
    let env = Env::new();
    let _daemon = running(&env);
    let out = env.run(["trigger"]);
    assert!(out.status.success(), "{}", crate::util::text(&out));
    let prompt = env.status()["daemon"]["prompt"]["id"]
        .as_i64()
        .expect("an open prompt");
    let web = Web::start(&env);
    let cookie = web.admit();

    let (code, html) = web.send("GET", "/fragment/prompt", &[("Cookie", &cookie)], "");
    assert_eq!(code, 200);
    assert!(
        html.contains(&format!("data-prompt=\"{prompt}\"")),
        "{html}"
    );

    let body =
        format!("{{\"text\":\"Reviewed the login flow from the page\",\"prompt\":{prompt}}}");
    let (code, got) = web.send(
        "POST",
        "/api/answer",
        &[
            ("Cookie", &cookie),
            ("Origin", &web.origin()),
            ("X-Devtrack", "1"),
            ("Content-Type", "application/json"),
        ],
        &body,
    );
    assert_eq!(code, 200, "{got}");
    let report = env.run(["report", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    let texts: Vec<&str> = report["updates"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["text"].as_str())
        .collect();
    assert_eq!(texts, ["Reviewed the login flow from the page"], "{report}");
    assert!(
        env.status()["daemon"]["prompt"].is_null(),
        "the prompt is still open"
    );
}

#[test]
fn a_commit_arrives_on_the_event_stream() {
    let env = Env::new();
    let _daemon = running(&env);
    let web = Web::start(&env);
    let cookie = web.admit();
    let mut s = TcpStream::connect(&web.host).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    write!(
        s,
        "GET /api/events HTTP/1.1\r\nHost: {}\r\nCookie: {cookie}\r\n\r\n",
        web.host
    )
    .unwrap();
    let mut lines = BufReader::new(s).lines();
    let mut head = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if line.contains(": subscribed") {
            break;
        }
        head.push(line);
    }
    assert!(
        head.iter().any(|l| l == "content-type: text/event-stream"),
        "{head:?}"
    );
    let hash = commit(&env.cwd.join("api"), "a.txt", "Add a");
    let event = lines
        .map(Result::unwrap)
        .find(|l| l.starts_with("data: ") && l.contains("\"event\":\"commit\""))
        .expect("no commit event");
    assert!(event.contains(&hash), "{event}");
}

#[test]
fn another_uid_cannot_use_the_http_socket() {
    if !root_or_skip("another_uid_cannot_use_the_http_socket") {
        return;
    }
    let env = Env::new();
    let _daemon = running(&env);
    let socket = env.socket().with_file_name("http.sock");
    let mode =
        std::os::unix::fs::MetadataExt::mode(&std::fs::symlink_metadata(&socket).unwrap()) & 0o777;
    assert_eq!(mode, 0o600);
    // The directory and the socket loosened by hand: the daemon itself
    // refuses by the peer's uid.
    open_path_to(&env.runtime);
    chmod(socket.parent().unwrap(), 0o755);
    chmod(&socket, 0o777);
    let (code, got) = exchange_as_nobody(
        &socket,
        b"POST /api/skip HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!(code, 0, "nobody could not connect");
    assert!(
        got.starts_with("HTTP/1.1 403") && got.contains("belongs to uid 0"),
        "{got}"
    );
    assert_eq!(
        env.status()["daemon"]["scheduler"]["skip_next"],
        false,
        "the skip went through"
    );
}

#[test]
fn without_a_daemon_it_says_so_and_exits_3() {
    let env = Env::new();
    let out = env.run(["web", "--no-browser"]);
    assert_eq!(out.status.code(), Some(3), "{}", crate::util::text(&out));
    assert!(out.stdout.is_empty(), "{}", crate::util::text(&out));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("HTTP socket") && said.contains("devtrack start"),
        "{said}"
    );
}

#[test]
fn the_daemon_listens_itself_with_web_listen_behind_its_key() {
    let env = Env::new();
    let repo = env.cwd.join("api");
    git_repo(&repo);
    // A free port the kernel chose; the daemon binds it next.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let host = format!("127.0.0.1:{port}");
    env.write_config(&format!(
        "{}web: {{listen: \"{host}\"}}\n",
        config(&[("api", &repo)])
    ));
    let _daemon = env.start();
    let key_file = env.data_home.join("devtrack/web.key");
    let mode = std::os::unix::fs::MetadataExt::mode(&std::fs::metadata(&key_file).unwrap()) & 0o777;
    assert_eq!(mode, 0o600);
    let key = std::fs::read_to_string(&key_file)
        .unwrap()
        .trim()
        .to_string();
    let site = Web {
        child: None,
        host: host.clone(),
        launch: format!("/?key={key}"),
    };
    let bearer = format!("Bearer {key}");
    assert_eq!(site.send("GET", "/api/status", &[], "").0, 401, "no key");
    assert_eq!(
        site.send(
            "GET",
            "/api/status",
            &[("Authorization", "Bearer nope")],
            ""
        )
        .0,
        401,
        "wrong key"
    );
    let rebound = format!("evil.example:{port}");
    assert_eq!(
        site.send(
            "GET",
            "/api/status",
            &[("Host", &rebound), ("Authorization", &bearer)],
            ""
        )
        .0,
        403
    );
    assert_eq!(
        site.send("GET", "/api/status", &[("Authorization", &bearer)], "")
            .0,
        200
    );
    // A bookmark with the key sets the cookie, and works again.
    let cookie = site.admit();
    site.admit();
    assert_eq!(site.send("GET", "/", &[("Cookie", &cookie)], "").0, 200);
    let cross = [
        ("Cookie", cookie.as_str()),
        ("Origin", "http://evil.example"),
        ("X-Devtrack", "1"),
    ];
    assert_eq!(site.send("POST", "/api/skip", &cross, "{}").0, 403);
    assert_eq!(env.status()["daemon"]["scheduler"]["skip_next"], false);
    assert_eq!(
        site.send("POST", "/api/skip", &[("Authorization", &bearer)], "{}")
            .0,
        200
    );
    assert_eq!(env.status()["daemon"]["scheduler"]["skip_next"], true);
}
