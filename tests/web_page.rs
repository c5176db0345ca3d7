//! The status page in a real browser: headless Chromium (through
//! `util::webdriver`) opens the link `devtrack web --no-browser` prints,
//! after a scripted day on a real daemon (two repositories with a known
//! number of commits, prompts answered, skipped, snoozed and one left
//! open). The DOM is read against the CLI's own answers (`history
//! --prompts --json`, `report --today`), the open prompt is answered from
//! the page, a commit made while the page is open appears on it, and the
//! page is read again with JavaScript off. A screenshot is kept as a test
//! artifact. Needs the Debian packages chromium and chromium-driver;
//! skipped without them outside CI.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::Value;

use crate::daemon_git::commit;
use crate::prompts::{prompt_event, request, trigger};
use crate::util::webdriver::{artifact, Browser};
use crate::util::{git_repo, text, Daemon, Env, EventStream};
use crate::web::Web;

/// The day's repositories and how many commits each gets before the page
/// is opened.
const REPOS: [(&str, usize); 2] = [("api", 2), ("web", 3)];

/// The answer typed into the page.
const TYPED: &str = "Paired on the release notes from the status page";

/// A daemon after a scripted day, its event stream, and what was made.
struct Day {
    env: Env,
    _daemon: Daemon,
    events: EventStream,
    repos: Vec<PathBuf>,
    /// Commit hashes per repository, in [`REPOS`]'s order.
    hashes: Vec<Vec<String>>,
    answered: i64,
    skipped: i64,
    /// Snoozed, reopened at its deadline, left open.
    open: i64,
}

/// Two repositories, watched with `commit_triggers: none` so that every
/// prompt of the day is one this script opens (a commit would open or
/// fold into one at a moment of the daemon's choosing), and an interval of
/// a day so that no timer prompt comes in between.
fn config(repos: &[PathBuf]) -> String {
    let mut s = String::from("repositories:\n");
    for ((name, _), path) in REPOS.iter().zip(repos) {
        let _ = writeln!(
            s,
            "  - {{name: {name}, path: '{}', project: Proj}}",
            path.display()
        );
    }
    s + "settings:\n  prompt_interval: 1440\n  timezone: UTC\n  commit_debounce_ms: 100\n  \
         authors: [dev@example.com]\n  commit_triggers: none\n"
}

/// Commits `message` to `repo` and waits until the daemon announced it.
fn committed(events: &EventStream, repo: &Path, file: &str, message: &str) -> String {
    let hash = commit(repo, file, message);
    events.wait_until("commit", |e| e["commit"]["hash"] == hash.as_str());
    hash
}

fn id(prompt: &Value) -> i64 {
    prompt["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no id: {prompt}"))
}

fn run_ok(env: &Env, args: &[&str]) -> String {
    let out = env.run(args);
    assert!(out.status.success(), "{args:?}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn scripted_day() -> Day {
    let env = Env::new();
    let repos: Vec<PathBuf> = REPOS.iter().map(|(name, _)| env.cwd.join(name)).collect();
    for repo in &repos {
        git_repo(repo);
    }
    env.write_config(&config(&repos));
    let daemon = env.start();
    let events = EventStream::open(&env);

    let mut hashes = Vec::new();
    for ((name, n), repo) in REPOS.iter().zip(&repos) {
        let made = (0..*n)
            .map(|i| {
                committed(
                    &events,
                    repo,
                    &format!("{i}.txt"),
                    &format!("{name} change {i}"),
                )
            })
            .collect();
        hashes.push(made);
    }

    let answered = id(&trigger(&env, &events, "opened"));
    run_ok(&env, &["note", "Reviewed the parser change"]);
    assert_eq!(id(&prompt_event(&events, "answered")), answered);

    let skipped = id(&trigger(&env, &events, "opened"));
    run_ok(&env, &["skip"]);
    assert_eq!(id(&prompt_event(&events, "skipped")), skipped);

    let open = id(&trigger(&env, &events, "opened"));
    let reply = request(&env, r#"{"v":1,"cmd":"snooze","seconds":1}"#);
    assert_eq!(reply["ok"], true, "{reply}");
    assert_eq!(id(&prompt_event(&events, "snoozed")), open);
    assert_eq!(id(&prompt_event(&events, "reopened")), open);

    Day {
        env,
        _daemon: daemon,
        events,
        repos,
        hashes,
        answered,
        skipped,
        open,
    }
}

/// `(id, state)` of every prompt `history --prompts --json` lists.
fn history_prompts(env: &Env) -> BTreeSet<(i64, String)> {
    env.json_lines(["history", "--prompts", "--json", "-n", "1000"])
        .iter()
        .map(|p| (id(p), p["state"].as_str().unwrap().to_owned()))
        .collect()
}

/// `(data-id, data-outcome)` of every prompt on the page's prompts lane.
fn page_prompts(browser: &Browser) -> BTreeSet<(i64, String)> {
    browser
        .find_all("g.lane.prompts#prompts-lane g.prompt[data-outcome]")
        .iter()
        .map(|g| {
            let id = browser.attribute(g, "data-id").unwrap();
            (
                id.parse().unwrap_or_else(|_| panic!("data-id {id:?}")),
                browser.attribute(g, "data-outcome").unwrap(),
            )
        })
        .collect()
}

fn lane(repo: &str) -> String {
    format!("svg#timeline g.lane[data-repo=\"{repo}\"] circle.commit")
}

/// The hashes on `repo`'s lane.
fn page_hashes(browser: &Browser, repo: &str) -> BTreeSet<String> {
    browser
        .find_all(&lane(repo))
        .iter()
        .map(|c| browser.attribute(c, "data-hash").unwrap())
        .collect()
}

/// What the page and the CLI both show of the day, read after the script:
/// a lane per repository with its commits, the prompts lane as `history
/// --prompts`, the standup as `report --today`.
fn shows_the_day(browser: &Browser, day: &Day) {
    let repos: Vec<String> = browser
        .find_all("svg#timeline g.lane[data-repo]")
        .iter()
        .map(|g| browser.attribute(g, "data-repo").unwrap())
        .collect();
    let names: Vec<&str> = REPOS.iter().map(|(name, _)| *name).collect();
    assert_eq!(repos, names, "one lane per repository");
    for ((name, _), hashes) in REPOS.iter().zip(&day.hashes) {
        let want: BTreeSet<String> = hashes.iter().cloned().collect();
        assert_eq!(page_hashes(browser, name), want, "{name}'s commits");
    }

    // Every hour label inside the picture (the last one was cut off once).
    let outside = browser.execute(
        "const svg = document.getElementById('timeline');
         const width = svg.viewBox.baseVal.width;
         return Array.from(svg.querySelectorAll('g.tick text'))
           .map(t => [t.textContent, t.getBBox()])
           .filter(([, b]) => b.x < 0 || b.x + b.width > width)
           .map(([label]) => label);",
        &[],
    );
    assert_eq!(outside, serde_json::json!([]), "hour labels cut off");

    let history = history_prompts(&day.env);
    let want: BTreeSet<(i64, String)> = [
        (day.answered, "answered"),
        (day.skipped, "skipped"),
        (day.open, "open"),
    ]
    .into_iter()
    .map(|(id, s)| (id, s.to_owned()))
    .collect();
    assert_eq!(history, want, "history --prompts");
    assert_eq!(page_prompts(browser), history, "the prompts lane");
    let section = browser.find("section#open-prompt");
    assert_eq!(
        browser.attribute(&section, "data-prompt"),
        Some(day.open.to_string())
    );

    let report = run_ok(&day.env, &["report", "--today"]);
    let standup = browser.execute(
        "return document.querySelector('section#standup pre').textContent;",
        &[],
    );
    assert_eq!(
        standup.as_str().unwrap(),
        report.trim_end(),
        "the standup against report --today"
    );
    assert!(report.contains("api change 1"), "{report}");
}

/// Straight to the process's stderr, as the screenshot's path: libtest
/// captures `eprintln!`.
fn say(line: &str) {
    let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("{line}\n").as_bytes());
}

#[test]
fn the_page_shows_the_day_takes_an_answer_and_a_live_commit() {
    let Some(browser) =
        Browser::start("web_page::the_page_shows_the_day_takes_an_answer_and_a_live_commit")
    else {
        return;
    };
    let day = scripted_day();
    let web = Web::start(&day.env);
    browser.goto(&web.link());

    // The launch token was spent for a session cookie the page's scripts
    // cannot read, and the address bar no longer shows it.
    assert_eq!(browser.current_url(), format!("http://{}/", web.host));
    let cookie = browser
        .cookie("devtrack_session")
        .unwrap_or_else(|| panic!("no session cookie in {:?}", browser.cookies()));
    assert_eq!(cookie["httpOnly"], true, "{cookie}");
    assert_eq!(cookie["sameSite"], "Strict", "{cookie}");
    assert_eq!(cookie["path"], "/", "{cookie}");
    assert_eq!(browser.execute("return document.cookie;", &[]), "");

    shows_the_day(&browser, &day);

    // Live from here: the page's event stream is subscribed.
    browser.wait_for("html[data-live=\"on\"]");

    // The open prompt answered from the page.
    let textarea = browser.find("#open-prompt form#answer-form textarea[name=text]");
    browser.send_keys(&textarea, TYPED);
    browser.click(&browser.find("#open-prompt form#answer-form button[type=submit]"));
    let result = browser.wait_for("#write-result[data-result]");
    assert_eq!(
        browser.attribute(&result, "data-result").as_deref(),
        Some("done"),
        "{}",
        browser.text(&result)
    );
    assert_eq!(id(&prompt_event(&day.events, "answered")), day.open);
    let rows = day
        .env
        .json_lines(["history", "--prompts", "--json", "-n", "1000"]);
    let row = rows
        .iter()
        .find(|p| id(p) == day.open)
        .unwrap_or_else(|| panic!("prompt {} not in {rows:?}", day.open));
    assert_eq!(row["state"], "answered", "{row}");
    assert_eq!(row["answer"]["text"], TYPED, "{row}");
    browser.wait_for(&format!(
        "g.prompt[data-id=\"{}\"][data-outcome=\"answered\"]",
        day.open
    ));
    browser.wait_for("section#open-prompt[data-prompt=\"\"]");
    assert_eq!(page_prompts(&browser), history_prompts(&day.env));

    // A commit made while the page is open appears without a reload.
    let before = browser.count(&lane("api"));
    assert_eq!(before, REPOS[0].1);
    let hash = commit(&day.repos[0], "live.txt", "api change made live");
    let made = Instant::now();
    let mark = browser.wait_for_count(&lane("api"), before + 1);
    say(&format!(
        "live commit: on the page {} ms after `git commit` returned",
        made.elapsed().as_millis()
    ));
    assert_eq!(browser.attribute(&mark, "data-hash"), Some(hash.clone()));
    assert!(page_hashes(&browser, "api").contains(&hash));
    // The header's counts and the standup follow.
    browser.wait_until(
        "the summary to count the live commit and the answer",
        "() => document.getElementById('summary').textContent\
           .endsWith(': 6 commits, 3 prompts (2 answered)')",
        &[],
    );
    let standup = browser.wait_until(
        "the standup to list the live commit",
        "(typed) => { const t = document.querySelector('section#standup pre').textContent;\
           return t.includes('api change made live') && t.includes(typed) && t; }",
        &[Value::from(TYPED)],
    );
    let report = run_ok(&day.env, &["report", "--today"]);
    assert_eq!(standup.as_str().unwrap(), report.trim_end());
    // And the week's bars for today: api's third commit, the second update.
    let today = browser.attribute(
        &browser.find("section#week g.day:last-of-type"),
        "data-date",
    );
    let today = today.expect("the week's days have dates");
    browser.wait_for(&format!(
        "section#week g.day[data-date=\"{today}\"] rect.bar.commits[data-repo=\"api\"][data-count=\"3\"]"
    ));
    browser.wait_for(&format!(
        "section#week g.day[data-date=\"{today}\"] rect.bar.updates[data-count=\"2\"]"
    ));

    browser.screenshot(&artifact("status-page.png"));
    // And the page's lower part: health and the week.
    browser.execute(
        "document.getElementById('health').scrollIntoView({block: 'start'});",
        &[],
    );
    browser.screenshot(&artifact("status-page-week.png"));
}

#[test]
fn without_javascript_the_page_shows_the_same_day() {
    let Some(browser) = Browser::start_without_javascript(
        "web_page::without_javascript_the_page_shows_the_same_day",
    ) else {
        return;
    };
    let day = scripted_day();
    let web = Web::start(&day.env);
    browser.goto(&web.link());
    assert_eq!(browser.current_url(), format!("http://{}/", web.host));
    // The page's script never ran.
    let root = browser.find("html");
    assert_eq!(browser.attribute(&root, "data-live"), None);

    shows_the_day(&browser, &day);
    let asked = browser.find("#open-prompt p.asked");
    assert!(browser.text(&asked).starts_with("Asked at "));
    let note = browser.text(&browser.find("header p.note"));
    assert!(note.contains("devtrack note"), "{note}");
    assert!(browser.count("section#health li.check[data-status]") >= 2);
    assert_eq!(browser.count("section#week g.day[data-date]"), 7);
    let summary = browser.text(&browser.find("#summary"));
    assert!(
        summary.contains("5 commits, 3 prompts (1 answered)"),
        "{summary}"
    );
}
