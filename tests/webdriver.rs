//! The headless Chromium harness (`util::webdriver`) proved on a page of its
//! own, served by a small HTTP server in the test: so that a failure of the
//! status page tests is about the page, not the harness. Needs the Debian
//! packages chromium and chromium-driver; skipped without them outside CI.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::json;

use crate::util::webdriver::{artifact, Browser};

/// The page: two items, a button whose handler (in [`SCRIPT`]) adds a third
/// after the click has returned (so the wait happens in the page), a text
/// box, and what shows only with JavaScript off.
const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>harness page</title>
<script src="/page.js" defer></script></head>
<body>
<h1>Harness</h1>
<ul id="list"><li class="item">one</li><li class="item">two</li></ul>
<button id="add" type="button" data-role="adder">Add</button>
<input id="box" type="text" aria-label="Note">
<noscript><p id="no-script">Live updates need JavaScript.</p></noscript>
</body>
</html>
"#;

const SCRIPT: &str = r#"document.documentElement.dataset.script = "ran";
document.getElementById("add").addEventListener("click", () => {
  setTimeout(() => {
    const li = document.createElement("li");
    li.className = "item added";
    li.textContent = "three";
    document.getElementById("list").appendChild(li);
  }, 100);
});
"#;

/// The page's policy: as strict as the status page's (no inline script, no
/// eval), so the harness is proved to work under it.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                      connect-src 'self'; img-src 'self'; base-uri 'none'; \
                      form-action 'self'; frame-ancestors 'none'";

/// An HTTP/1.1 server on 127.0.0.1 that serves [`PAGE`] at `/` with a
/// cookie and [`POLICY`], [`SCRIPT`] at `/page.js`, 404 elsewhere; one thread per connection (chromium opens
/// connections it may never send on).
struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                std::thread::spawn(move || serve(stream));
            }
        });
        Server {
            addr,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accepting thread, which then sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Answers the requests of one connection until the client closes it.
fn serve(stream: TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        // The headers, up to the blank line (GETs: no body).
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            if header == "\r\n" || header == "\n" {
                break;
            }
        }
        let path = request_line.split(' ').nth(1).unwrap_or("");
        let response = match path {
            "/" => format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\
                 Content-Security-Policy: {POLICY}\r\n\
                 Set-Cookie: harness=ok; Path=/; HttpOnly; SameSite=Strict\r\n\
                 Cache-Control: no-store\r\nContent-Length: {}\r\n\r\n{PAGE}",
                PAGE.len()
            ),
            "/page.js" => format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/javascript; charset=utf-8\r\n\
                 Cache-Control: no-store\r\nContent-Length: {}\r\n\r\n{SCRIPT}",
                SCRIPT.len()
            ),
            _ => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_owned(),
        };
        if stream.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

#[test]
fn the_harness_reads_clicks_types_waits_and_keeps_a_screenshot() {
    let Some(browser) =
        Browser::start("webdriver::the_harness_reads_clicks_types_waits_and_keeps_a_screenshot")
    else {
        return;
    };
    let server = Server::start();
    browser.goto(&server.url());
    assert_eq!(browser.title(), "harness page");
    assert_eq!(browser.current_url(), server.url());

    // Reading the DOM.
    assert_eq!(browser.count("li.item"), 2);
    assert_eq!(browser.count("li.added"), 0);
    assert_eq!(browser.count("#no-script"), 0);
    let root = browser.find("html");
    assert_eq!(
        browser.attribute(&root, "data-script").as_deref(),
        Some("ran")
    );
    let items: Vec<String> = browser
        .find_all("li.item")
        .iter()
        .map(|el| browser.text(el))
        .collect();
    assert_eq!(items, ["one", "two"]);
    let button = browser.find("#add");
    assert_eq!(
        browser.attribute(&button, "data-role").as_deref(),
        Some("adder")
    );
    assert_eq!(browser.attribute(&button, "data-missing"), None);

    // A click whose effect comes later, waited for in the page.
    browser.click(&button);
    let added = browser.wait_for("li.added");
    assert_eq!(browser.text(&added), "three");
    assert_eq!(browser.wait_for_count("li.item", 3), added);
    assert_eq!(browser.count("li.item"), 3);

    // Typing, and scripts with an element argument.
    let text_box = browser.find("#box");
    browser.send_keys(&text_box, "shipped the parser");
    assert_eq!(browser.property(&text_box, "value"), "shipped the parser");
    let (value, id) = {
        let got = browser.execute(
            "return [arguments[0].value, arguments[0].id];",
            &[text_box.arg()],
        );
        (got[0].clone(), got[1].clone())
    };
    assert_eq!((value, id), (json!("shipped the parser"), json!("box")));
    let sum = browser.execute_async(
        "const [a, b, done] = arguments; setTimeout(() => done(a + b), 10);",
        &[json!(2), json!(3)],
    );
    assert_eq!(sum, 5);

    // The cookie the server set, HttpOnly included.
    let cookie = browser.cookie("harness").expect("the harness cookie");
    assert_eq!(cookie["value"], "ok");
    assert_eq!(cookie["httpOnly"], true);
    assert_eq!(cookie["sameSite"], "Strict");
    assert_eq!(browser.cookie("absent"), None);

    // A screenshot kept for people to look at.
    let path = artifact("webdriver-harness.png");
    let _ = std::fs::remove_file(&path);
    browser.screenshot(&path);
    let png = std::fs::read(&path).unwrap();
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is not a PNG",
        path.display()
    );
}

/// The message of the panic `f` ends in.
fn panic_message(f: impl FnOnce()) -> String {
    let failed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    *failed
        .expect_err("should have failed")
        .downcast::<String>()
        .unwrap()
}

#[test]
fn a_failed_wait_says_what_it_waited_for() {
    let Some(browser) = Browser::start("webdriver::a_failed_wait_says_what_it_waited_for") else {
        return;
    };
    browser.goto("data:text/html,<p>nothing happens here</p>");
    // A condition that never holds, with a short limit of its own.
    let message = panic_message(|| {
        browser.wait_until_within(
            Duration::from_millis(200),
            "a second paragraph",
            "() => document.querySelectorAll('p')[1]",
            &[],
        );
    });
    assert!(
        message.starts_with("waited 200ms for a second paragraph"),
        "{message}"
    );
    // A condition that throws fails the command at once, with the page's
    // error.
    let message = panic_message(|| {
        browser.wait_until("a thrown error", "() => { throw new Error('boom'); }", &[]);
    });
    assert!(message.contains("boom"), "{message}");
    // The browser is still usable after failed commands.
    assert_eq!(browser.count("p"), 1);
}

#[test]
fn without_javascript_the_page_is_read_as_served() {
    let Some(browser) = Browser::start_without_javascript(
        "webdriver::without_javascript_the_page_is_read_as_served",
    ) else {
        return;
    };
    let server = Server::start();
    browser.goto(&server.url());
    assert_eq!(browser.count("li.item"), 2);
    let note = browser.find("#no-script");
    assert_eq!(browser.text(&note), "Live updates need JavaScript.");
    // The page's script never ran.
    let root = browser.find("html");
    assert_eq!(browser.attribute(&root, "data-script"), None);
}
