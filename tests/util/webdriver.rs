//! A small W3C WebDriver client for the tests that look at a page the way a
//! person does: Debian's `chromedriver` driving a headless `chromium`, over
//! the WebDriver JSON protocol on loopback HTTP/1.1. It exists so that a
//! page test can load a URL, read the DOM, click and type, and wait for a
//! live update on a browser-side event (a `MutationObserver`), never on a
//! sleep. A [`Browser`] owns chromedriver (in its own process group, so
//! chromium goes with it) and a fresh profile directory; dropping it ends
//! the session and kills both.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use base64::Engine;
use serde_json::{json, Value};

use super::{lacks, line_channel, which, WAIT};

/// The key a W3C element reference is carried under.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Safety net for one WebDriver command (a page load or chromium's start on
/// a loaded machine can take seconds; a healthy one never takes this long).
const COMMAND_LIMIT: Duration = Duration::from_secs(90);

/// An element of the current page, as WebDriver names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element(pub String);

impl Element {
    /// The element as an argument of [`Browser::execute`] (it arrives in
    /// the script as the DOM element).
    pub fn arg(&self) -> Value {
        json!({ ELEMENT_KEY: self.0 })
    }

    /// The element a script returned, if `value` is one.
    pub fn from_value(value: &Value) -> Option<Element> {
        value[ELEMENT_KEY].as_str().map(|id| Element(id.to_owned()))
    }
}

/// Headless Chromium under chromedriver, with one WebDriver session.
pub struct Browser {
    driver: Child,
    /// chromedriver's stdout, read by a thread (kept so it is never a
    /// closed pipe to chromedriver).
    _output: Receiver<String>,
    base: String,
    session: String,
    agent: ureq::Agent,
    profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a headless chromium session; `None` when
    /// either is not installed (then `test` was skipped; in CI it failed).
    pub fn start(test: &str) -> Option<Browser> {
        Browser::start_with(test, true)
    }

    /// As [`Browser::start`], with the pages' JavaScript turned off (for a
    /// page that must be readable without it). WebDriver's own commands
    /// ([`Browser::execute`] too) still work.
    pub fn start_without_javascript(test: &str) -> Option<Browser> {
        Browser::start_with(test, false)
    }

    fn start_with(test: &str, javascript: bool) -> Option<Browser> {
        if lacks(
            test,
            &["chromium", "chromedriver"],
            "chromium, chromium-driver",
        ) {
            return None;
        }
        Some(Browser::launch(javascript))
    }

    fn launch(javascript: bool) -> Browser {
        let chromium = which("chromium").expect("chromium on PATH");
        // `--port=0`: chromedriver binds a free port itself and prints it,
        // so there is no window between choosing a port and binding it.
        let mut driver = Command::new("chromedriver")
            .args(["--port=0", "--log-level=WARNING"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            // Its own group: Drop kills chromium's processes with it.
            .process_group(0)
            .spawn()
            .expect("starting chromedriver");
        let output = line_channel(driver.stdout.take().unwrap());
        let port = match ready_port(&output) {
            Ok(port) => port,
            Err(said) => {
                kill_group(&mut driver);
                panic!("chromedriver did not say it was ready within {WAIT:?}; it said: {said:?}")
            }
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(COMMAND_LIMIT))
            .build()
            .into();
        let profile = tempfile::Builder::new()
            .prefix("dt-chromium")
            .tempdir()
            .unwrap();
        let mut browser = Browser {
            driver,
            _output: output,
            base: format!("http://127.0.0.1:{port}"),
            session: String::new(),
            agent,
            profile,
        };
        let user_data = format!("--user-data-dir={}", browser.profile.path().display());
        let created = browser.request(
            "POST",
            "/session".to_owned(),
            Some(json!({
                "capabilities": {
                    "alwaysMatch": {
                        "browserName": "chrome",
                        "pageLoadStrategy": "normal",
                        "goog:chromeOptions": {
                            "binary": chromium,
                            "args": [
                                "--headless=new",
                                "--no-sandbox",
                                "--disable-gpu",
                                "--disable-dev-shm-usage",
                                "--window-size=1280,900",
                                "--no-first-run",
                                "--no-default-browser-check",
                                // Nothing in the background on a loaded
                                // machine, and no network but the page's.
                                "--disable-background-networking",
                                "--disable-component-update",
                                "--disable-extensions",
                                "--disable-sync",
                                user_data,
                            ],
                            // 2: blocked (the content setting chromium's
                            // policy "DefaultJavaScriptSetting" sets).
                            "prefs": {
                                "profile.managed_default_content_settings.javascript":
                                    if javascript { 1 } else { 2 },
                            },
                        },
                    },
                },
            })),
        );
        browser.session = created["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("new session: no sessionId in {created}"))
            .to_owned();
        // Scripts may wait up to the failsafe (`wait_until`); page loads
        // as long as a command may take.
        let script = WAIT + Duration::from_secs(30);
        browser.command(
            "POST",
            "timeouts",
            Some(json!({
                "script": script.as_millis() as u64,
                "pageLoad": COMMAND_LIMIT.as_millis() as u64,
                "implicit": 0,
            })),
        );
        browser
    }

    /// Loads `url` and returns once the page has loaded.
    pub fn goto(&self, url: &str) {
        self.command("POST", "url", Some(json!({ "url": url })));
    }

    /// The URL of the current page.
    pub fn current_url(&self) -> String {
        string(self.command("GET", "url", None))
    }

    /// The current page's title.
    pub fn title(&self) -> String {
        string(self.command("GET", "title", None))
    }

    /// Every element matching the CSS `selector`, in document order.
    pub fn find_all(&self, selector: &str) -> Vec<Element> {
        let found = self.command(
            "POST",
            "elements",
            Some(json!({ "using": "css selector", "value": selector })),
        );
        found
            .as_array()
            .unwrap_or_else(|| panic!("elements `{selector}`: {found}"))
            .iter()
            .map(|v| Element::from_value(v).unwrap_or_else(|| panic!("not an element: {v}")))
            .collect()
    }

    /// The first element matching `selector`; panics when there is none.
    pub fn find(&self, selector: &str) -> Element {
        self.find_all(selector)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no element matches `{selector}` on {}", self.current_url()))
    }

    /// How many elements match `selector`.
    pub fn count(&self, selector: &str) -> usize {
        self.find_all(selector).len()
    }

    /// The element's rendered text (as a person sees it).
    pub fn text(&self, element: &Element) -> String {
        string(self.element_command("GET", element, "text", None))
    }

    /// The element's attribute `name`, `None` when it has none.
    pub fn attribute(&self, element: &Element, name: &str) -> Option<String> {
        let value = self.element_command("GET", element, &format!("attribute/{name}"), None);
        value.as_str().map(str::to_owned)
    }

    /// The element's DOM property `name` (e.g. an input's current `value`).
    pub fn property(&self, element: &Element, name: &str) -> Value {
        self.element_command("GET", element, &format!("property/{name}"), None)
    }

    /// Clicks the element (scrolled into view, as a person would).
    pub fn click(&self, element: &Element) {
        self.element_command("POST", element, "click", Some(json!({})));
    }

    /// Types `text` into the element.
    pub fn send_keys(&self, element: &Element, text: &str) {
        self.element_command("POST", element, "value", Some(json!({ "text": text })));
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the
    /// page and returns what it returned.
    pub fn execute(&self, script: &str, args: &[Value]) -> Value {
        self.command(
            "POST",
            "execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// Runs `script` in the page with a callback as its last argument, and
    /// returns the value the script passed to it.
    pub fn execute_async(&self, script: &str, args: &[Value]) -> Value {
        self.command(
            "POST",
            "execute/async",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// Waits, in the page, until `condition` holds, and returns its value.
    /// `condition` is a JavaScript function expression called with `args`
    /// now and after every DOM change (a `MutationObserver` on the whole
    /// document); the first truthy value it returns ends the wait. After
    /// [`WAIT`] (a failsafe) the test fails, saying `what` it waited for;
    /// a condition that throws fails it at once.
    pub fn wait_until(&self, what: &str, condition: &str, args: &[Value]) -> Value {
        self.wait_until_within(WAIT, what, condition, args)
    }

    /// As [`Browser::wait_until`], failing after `limit` instead of the
    /// failsafe: for a promise the page makes ("a commit appears within a
    /// second"). `limit` must stay under the session's script timeout
    /// ([`WAIT`] + 30 s).
    pub fn wait_until_within(
        &self,
        limit: Duration,
        what: &str,
        condition: &str,
        args: &[Value],
    ) -> Value {
        let script = format!(
            r#"const args = Array.from(arguments);
const done = args.pop();
const limit = args.pop();
const condition = ({condition});
const now = condition(...args);
if (now) {{ done([true, now]); return; }}
let timer = null;
const observer = new MutationObserver(() => {{
  const value = condition(...args);
  if (value) {{ observer.disconnect(); clearTimeout(timer); done([true, value]); }}
}});
observer.observe(document, {{ subtree: true, childList: true, attributes: true, characterData: true }});
timer = setTimeout(() => {{ observer.disconnect(); done([false, null]); }}, limit);"#
        );
        let mut all = args.to_vec();
        all.push(json!(limit.as_millis() as u64));
        let result = self.execute_async(&script, &all);
        match result.as_array().map(Vec::as_slice) {
            Some([Value::Bool(true), value]) => value.clone(),
            Some([Value::Bool(false), _]) => {
                panic!("waited {limit:?} for {what} on {}", self.current_url())
            }
            _ => panic!("waiting for {what}: the script returned {result}"),
        }
    }

    /// Waits until at least `n` elements match `selector` (as the page
    /// changes, without reloading) and returns the `n`th.
    pub fn wait_for_count(&self, selector: &str, n: usize) -> Element {
        let found = self.wait_until(
            &format!("{n} element(s) matching `{selector}`"),
            "(selector, n) => document.querySelectorAll(selector)[n - 1]",
            &[json!(selector), json!(n)],
        );
        Element::from_value(&found).unwrap_or_else(|| panic!("not an element: {found}"))
    }

    /// Waits until an element matches `selector` and returns the first.
    pub fn wait_for(&self, selector: &str) -> Element {
        self.wait_for_count(selector, 1)
    }

    /// Saves a PNG of the viewport at `path` (directories made) and prints
    /// the path where a test run's output shows it.
    pub fn screenshot(&self, path: &Path) {
        let encoded = string(self.command("GET", "screenshot", None));
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .expect("screenshot: not base64");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(path, png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        // Straight to the process's stderr: libtest captures `eprintln!`.
        let _ = writeln!(std::io::stderr(), "screenshot: {}", path.display());
    }

    /// The cookies the browser holds for the current page (W3C cookie
    /// objects: `name`, `value`, `httpOnly`, `sameSite`, `path`, …), the
    /// `HttpOnly` ones included.
    pub fn cookies(&self) -> Vec<Value> {
        let all = self.command("GET", "cookie", None);
        all.as_array()
            .unwrap_or_else(|| panic!("cookies: {all}"))
            .clone()
    }

    /// The cookie called `name` for the current page, if the browser has it.
    pub fn cookie(&self, name: &str) -> Option<Value> {
        self.cookies().into_iter().find(|c| c["name"] == name)
    }

    fn element_command(
        &self,
        method: &str,
        element: &Element,
        what: &str,
        body: Option<Value>,
    ) -> Value {
        self.command(method, &format!("element/{}/{what}", element.0), body)
    }

    /// A command of this session (`/session/{id}/{path}`); its `value`.
    fn command(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.request(method, format!("/session/{}/{path}", self.session), body)
    }

    /// One WebDriver request; its `value`, or a panic naming the command
    /// and WebDriver's error.
    fn request(&self, method: &str, path: String, body: Option<Value>) -> Value {
        match self.try_request(method, &path, body) {
            Ok(value) => value,
            Err(e) => panic!("WebDriver {method} {path}: {e}"),
        }
    }

    fn try_request(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let url = format!("{}{path}", self.base);
        let sent = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            (_, body) => self
                .agent
                .post(&url)
                .header("Content-Type", "application/json; charset=utf-8")
                .send(body.unwrap_or_else(|| json!({})).to_string()),
        };
        let mut response = sent.map_err(|e| e.to_string())?;
        let status = response.status();
        let text = response
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_string()
            .map_err(|e| e.to_string())?;
        let reply: Value =
            serde_json::from_str(&text).map_err(|e| format!("{status}: {e}: {text}"))?;
        let value = reply["value"].clone();
        if !status.is_success() || value.get("error").is_some() {
            return Err(format!(
                "{status} {}: {}",
                value["error"].as_str().unwrap_or("?"),
                value["message"].as_str().unwrap_or(&text)
            ));
        }
        Ok(value)
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            // Chromium quits with its session; errors do not matter here
            // (the process group is killed next in any case).
            let path = format!("/session/{}", self.session);
            let _ = self.try_request("DELETE", &path, None);
        }
        kill_group(&mut self.driver);
    }
}

/// Where a test keeps a file for people to look at after the run (a
/// screenshot): `<target dir>/test-artifacts/<name>`.
pub fn artifact(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory")
        .join("test-artifacts")
        .join(name)
}

/// The port chromedriver says it listens on, from its stdout; what it said
/// otherwise.
fn ready_port(output: &Receiver<String>) -> Result<u16, Vec<String>> {
    let mut said = Vec::new();
    while let Ok(line) = output.recv_timeout(WAIT) {
        if let Some(port) = started_on(&line) {
            return Ok(port);
        }
        said.push(line);
    }
    Err(said)
}

/// The port of chromedriver's "ChromeDriver was started successfully on
/// port 34781." line.
fn started_on(line: &str) -> Option<u16> {
    let rest = line.split("started successfully on port ").nth(1)?;
    rest.trim_end().trim_end_matches('.').parse().ok()
}

/// Kills chromedriver's process group (chromium's processes with it) and
/// reaps chromedriver.
fn kill_group(driver: &mut Child) {
    let group = nix::unistd::Pid::from_raw(driver.id() as i32);
    let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
    let _ = driver.wait();
}

fn string(value: Value) -> String {
    match value {
        Value::String(s) => s,
        other => panic!("expected a string from WebDriver, got {other}"),
    }
}

#[test]
fn the_ready_line_gives_the_port() {
    for (line, port) in [
        (
            "ChromeDriver was started successfully on port 34781.",
            Some(34781),
        ),
        (
            "ChromeDriver was started successfully on port 9515.\r",
            Some(9515),
        ),
        ("Starting ChromeDriver 156.0 on port 0", None),
        ("Only local connections are allowed.", None),
        ("ChromeDriver was started successfully on port x.", None),
    ] {
        assert_eq!(started_on(line), port, "{line}");
    }
}
