//! Git watching through the running daemon: commits reach the event stream,
//! the store and `status`; checkouts do not prompt; pauses do not stop
//! commit triggers; commits made while stopped are caught up once; a reload
//! adds repositories without a restart.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::util::{git, git_repo, stress_cycles, text, Daemon, Env, EventStream};

pub(crate) fn config(repos: &[(&str, &Path)]) -> String {
    let mut s = String::from("repositories:\n");
    for (name, path) in repos {
        let _ = writeln!(
            s,
            "  - {{name: {name}, path: '{}', project: Proj}}",
            path.display()
        );
    }
    s.push_str(
        "settings:\n  prompt_interval: 180\n  timezone: UTC\n  commit_debounce_ms: 100\n  authors: [dev@example.com]\n",
    );
    s
}

pub(crate) fn commit(repo: &Path, file: &str, message: &str) -> String {
    std::fs::write(repo.join(file), message).unwrap();
    git(repo, &["add", file]);
    git(repo, &["commit", "-q", "-m", message]);
    git(repo, &["rev-parse", "HEAD"]).trim().to_string()
}

/// A running daemon watching one new repository, `<cwd>/<name>`, with the
/// event stream open; `settings` are added to the config's settings.
fn watching_one(name: &str, settings: &str) -> (Env, PathBuf, Daemon, EventStream) {
    let env = Env::new();
    let repo = env.cwd.join(name);
    git_repo(&repo);
    env.write_config(
        &config(&[(name, &repo)]).replace("settings:\n", &format!("settings:\n{settings}")),
    );
    let daemon = env.start();
    let events = EventStream::open(&env);
    (env, repo, daemon, events)
}

/// Every stored commit (`history` shows 20 unless told otherwise).
fn commits_json(env: &Env) -> Vec<serde_json::Value> {
    env.json_lines(["history", "--commits", "--json", "-n", "100000"])
}

#[test]
fn a_commit_is_stored_announced_and_prompts_once() {
    let (env, repo, _daemon, events) = watching_one("api", "");

    let hash = commit(&repo, "a.txt", "Add the a file");
    let ev = events.wait_for("commit");
    assert_eq!(ev["commit"]["hash"], hash.as_str());
    assert_eq!(ev["commit"]["repo"], "api");
    assert_eq!(ev["commit"]["project"], "Proj");
    assert_eq!(ev["commit"]["branch"], "main");
    assert_eq!(ev["commit"]["summary"], "Add the a file");
    assert_eq!(ev["commit"]["files_changed"], 1);
    let trig = events.wait_for("trigger");
    assert_eq!(trig["trigger"]["kind"], "commit");

    let stored = commits_json(&env);
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0]["hash"], hash.as_str());

    let s = env.status();
    let r = &s["daemon"]["repositories"][0];
    assert_eq!(r["state"], "watching");
    assert_eq!(r["branch"], "main");
    assert_eq!(r["last_commit_summary"], "Add the a file");
    let page = String::from_utf8_lossy(&env.run(["status"]).stdout).to_string();
    assert!(
        page.contains("api  watching") && page.contains("Add the a file"),
        "{page}"
    );

    // No second trigger follows for it: the next trigger is the one a later
    // commit raises, and each commit is linked to its own trigger.
    let later = commit(&repo, "b.txt", "Add the b file");
    let seen = events.collect_until("trigger");
    assert_eq!(
        seen.iter().filter(|e| e["event"] == "trigger").count(),
        1,
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .any(|e| e["event"] == "commit" && e["commit"]["hash"] == later.as_str()),
        "{seen:?}"
    );
    let triggers = env.json_lines(["history", "--json"]);
    assert_eq!(triggers.len(), 2, "{triggers:?}");
    let stored = commits_json(&env);
    let trigger_of =
        |hash: &str| stored.iter().find(|c| c["hash"] == hash).unwrap()["trigger_id"].clone();
    assert_eq!(trigger_of(&hash), trig["trigger"]["id"], "{stored:?}");
    assert_eq!(
        trigger_of(&later),
        seen.last().unwrap()["trigger"]["id"],
        "{stored:?}"
    );
}

#[test]
fn checkouts_do_not_prompt_and_pause_does_not_stop_commit_triggers() {
    let env = Env::new();
    let repo = env.cwd.join("web");
    git_repo(&repo);
    env.write_config(&config(&[("web", &repo)]));
    let _daemon = env.start();
    let events = EventStream::open(&env);
    assert!(env.run(["pause"]).status.success());
    events.wait_for("paused");

    git(&repo, &["checkout", "-q", "-b", "feature/login"]);
    let activity = events.wait_for("repo_activity");
    assert_eq!(activity["activity"]["kind"], "checkout");

    let hash = commit(&repo, "b.txt", "Login form");
    // Everything up to the commit trigger: exactly one trigger, for the commit.
    let seen = events.collect_until("trigger");
    let trig = seen.last().unwrap();
    assert_eq!(trig["trigger"]["kind"], "commit", "{seen:?}");
    assert!(seen
        .iter()
        .any(|e| e["event"] == "commit" && e["commit"]["hash"] == hash.as_str()));
    assert_eq!(
        seen.iter().filter(|e| e["event"] == "trigger").count(),
        1,
        "{seen:?}"
    );
    let stored = commits_json(&env);
    assert_eq!(stored[0]["branch"], "feature/login");
}

#[test]
fn commits_made_while_stopped_are_caught_up_once() {
    let env = Env::new();
    let repo = env.cwd.join("lib");
    git_repo(&repo);
    env.write_config(&config(&[("lib", &repo)]));
    let daemon = env.start();
    daemon.stop();

    let hashes: Vec<String> = (0..3)
        .map(|i| commit(&repo, &format!("f{i}"), &format!("offline {i}")))
        .collect();
    let daemon = env.start();
    let stored = commits_json(&env);
    assert_eq!(stored.len(), 3, "{stored:?}");
    for h in &hashes {
        assert!(stored.iter().any(|c| c["hash"] == h.as_str()));
    }
    let triggers = env.json_lines(["history", "--json"]);
    assert_eq!(triggers.len(), 1, "{triggers:?}");
    assert_eq!(triggers[0]["kind"], "catchup");

    // A second restart finds nothing new.
    daemon.stop();
    let _daemon = env.start();
    assert_eq!(commits_json(&env).len(), 3);
    let out = env.run(["history", "--json"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
}

#[test]
fn a_reload_adds_a_repository_without_a_restart() {
    let env = Env::new();
    let one = env.cwd.join("one");
    let two = env.cwd.join("two");
    git_repo(&one);
    git_repo(&two);
    // What `reload` prints is what it applied: no config watch first.
    let unwatched = |repos: &[(&str, &Path)]| format!("{}  watch_config: false\n", config(repos));
    env.write_config(&unwatched(&[("one", &one)]));
    let daemon = env.start();
    let events = EventStream::open(&env);

    env.write_config(&unwatched(&[("one", &one), ("two", &two)]));
    let out = env.run(["reload", "--wait"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("two"),
        "{}",
        text(&out)
    );
    let hash = commit(&two, "x", "In the second repo");
    let ev = events.wait_for("commit");
    assert_eq!(ev["commit"]["repo"], "two");
    assert_eq!(ev["commit"]["hash"], hash.as_str());
    assert_eq!(env.status()["daemon"]["pid"], daemon.pid());
}

#[test]
fn a_missing_repository_is_reported_and_the_others_keep_working() {
    let env = Env::new();
    let good = env.cwd.join("good");
    git_repo(&good);
    let gone = env.cwd.join("gone");
    env.write_config(&config(&[("good", &good), ("gone", &gone)]));
    let _daemon = env.start();
    let s = env.status();
    let repos = s["daemon"]["repositories"].as_array().unwrap();
    let gone_status = repos.iter().find(|r| r["name"] == "gone").unwrap();
    assert_eq!(gone_status["state"], "missing");
    assert!(gone_status["reason"].is_string());
    let events = EventStream::open(&env);
    let hash = commit(&good, "g", "Still watched");
    assert_eq!(events.wait_for("commit")["commit"]["hash"], hash.as_str());

    // It appears (first a directory, then a repository): announced, and
    // watched from then on.
    git_repo(&gone);
    let ev = events.wait_until("repo", |e| e["repo"]["state"] == "watching");
    assert_eq!(ev["repo"]["name"], "gone");
    // (Its first commit, made as it appeared, is announced too.)
    let hash = commit(&gone, "h", "Now watched too");
    let ev = events.wait_until("commit", |e| e["commit"]["hash"] == hash.as_str());
    assert_eq!(ev["commit"]["repo"], "gone");
}

/// A repository configured at a nested path, deleted with the directories
/// above it and cloned there again, while the daemon runs: each time it
/// is watched again and the commit made right after the clone is stored.
#[test]
fn stress_a_repository_cloned_again_at_its_nested_path_is_watched_again() {
    let env = Env::new();
    let src = env.cwd.join("src");
    git_repo(&src);
    let clones = env.cwd.join("clones");
    let proj = clones.join("sub/proj");
    env.write_config(&config(&[("proj", &proj)]));
    let _daemon = env.start();
    let events = EventStream::open(&env);
    let mut hashes = Vec::new();
    let cycles = stress_cycles(10);
    for i in 0..cycles {
        if clones.exists() {
            std::fs::remove_dir_all(&clones).unwrap();
        }
        git(
            &env.cwd,
            &["clone", "-q", src.to_str().unwrap(), proj.to_str().unwrap()],
        );
        let message = format!("cycle {i}");
        git(&proj, &["commit", "-q", "--allow-empty", "-m", &message]);
        let hash = git(&proj, &["rev-parse", "HEAD"]).trim().to_string();
        events.wait_until("commit", |e| e["commit"]["hash"] == hash.as_str());
        hashes.push(hash);
    }
    let stored = commits_json(&env);
    for h in &hashes {
        assert!(stored.iter().any(|c| c["hash"] == h.as_str()), "{h}");
    }
    let s = env.status();
    let r = &s["daemon"]["repositories"][0];
    assert_eq!(r["state"], "watching", "{r}");
    assert_eq!(r["last_commit_summary"], format!("cycle {}", cycles - 1));
}

/// `git worktree add` and a commit in the new worktree right after it,
/// while the daemon runs: the commit is announced and stored each time.
#[test]
fn stress_a_commit_right_after_worktree_add_is_seen() {
    let (env, repo, _daemon, events) = watching_one("repo1", "");
    let cycles = stress_cycles(20);
    for i in 0..cycles {
        let wt = env.cwd.join(format!("wt{i}"));
        let branch = format!("b{i}");
        git(
            &repo,
            &["worktree", "add", "-q", "-b", &branch, wt.to_str().unwrap()],
        );
        git(
            &wt,
            &["commit", "-q", "--allow-empty", "-m", &format!("x{i}")],
        );
        let hash = git(&wt, &["rev-parse", "HEAD"]).trim().to_string();
        let ev = events.wait_until("commit", |e| e["commit"]["hash"] == hash.as_str());
        assert_eq!(ev["commit"]["worktree"], format!("wt{i}"));
        assert_eq!(ev["commit"]["branch"], branch);
    }
    assert_eq!(commits_json(&env).len(), cycles);
}

/// After a catch-up over two reflogs, `status` shows the newest commit,
/// not the one read last (the linked worktree's reflog is read after the
/// main one), and a restart keeps showing it.
#[test]
fn status_shows_the_newest_commit_after_a_catch_up() {
    let (env, repo, daemon, events) = watching_one("app", "");
    let wt = env.cwd.join("app-wt");
    git(
        &repo,
        &["worktree", "add", "-q", "-b", "side", wt.to_str().unwrap()],
    );
    events.wait_until("repo_activity", |e| e["activity"]["worktree"] == "app-wt");
    drop(events);
    daemon.stop();

    // While stopped: the older commit in the worktree, then the newer one in
    // the main working tree.
    git(
        &wt,
        &[
            "commit",
            "-q",
            "--allow-empty",
            "--date=2 hours ago",
            "-m",
            "older, in the worktree",
        ],
    );
    git(
        &repo,
        &[
            "commit",
            "-q",
            "--allow-empty",
            "--date=1 hour ago",
            "-m",
            "newer, in main",
        ],
    );
    let last = |env: &Env| env.status()["daemon"]["repositories"][0]["last_commit_summary"].clone();
    let daemon = env.start();
    assert_eq!(commits_json(&env).len(), 2);
    assert_eq!(last(&env), "newer, in main");
    daemon.stop();
    let _daemon = env.start();
    assert_eq!(last(&env), "newer, in main");
}

/// With `commit_triggers: all` other authors' commits prompt too; the
/// history marks them in text and JSON.
#[test]
fn history_marks_other_authors_commits() {
    let (env, repo, _daemon, events) = watching_one("shared", "  commit_triggers: all\n");
    let mine = commit(&repo, "m", "My change");
    events.wait_until("commit", |e| e["commit"]["hash"] == mine.as_str());
    std::fs::write(repo.join("t"), "t").unwrap();
    git(&repo, &["add", "t"]);
    git(
        &repo,
        &[
            "-c",
            "user.name=Ann Other",
            "-c",
            "user.email=ann@example.org",
            "commit",
            "-q",
            "-m",
            "Her change",
        ],
    );
    let theirs = git(&repo, &["rev-parse", "HEAD"]).trim().to_string();
    let ev = events.wait_until("commit", |e| e["commit"]["hash"] == theirs.as_str());
    assert_eq!(ev["commit"]["own"], false);

    let stored = commits_json(&env);
    let own_of = |hash: &str| stored.iter().find(|c| c["hash"] == hash).unwrap()["own"].clone();
    assert_eq!(own_of(&mine), true, "{stored:?}");
    assert_eq!(own_of(&theirs), false, "{stored:?}");
    let out = env.run(["history", "--commits"]);
    assert!(out.status.success(), "{}", text(&out));
    let page = String::from_utf8_lossy(&out.stdout).to_string();
    let line = |hash: &str| {
        page.lines()
            .find(|l| l.contains(hash))
            .unwrap_or_else(|| panic!("{page}"))
    };
    assert!(
        line(&theirs).ends_with("Her change  (other author: Ann Other <ann@example.org>)"),
        "{page}"
    );
    assert!(line(&mine).ends_with("My change"), "{page}");
}

/// A repository missing at start, and no watched repository at all, are
/// warnings in the log, not silence.
#[test]
fn unwatched_repositories_are_warned_about_at_start() {
    let env = Env::new();
    let gone = env.cwd.join("gone");
    env.write_config(&config(&[("gone", &gone)]));
    let mut daemon = env.start();
    daemon.signal(nix::sys::signal::Signal::SIGTERM);
    let log = daemon.stderr_text();
    let warned = |needle: &str| {
        log.lines()
            .any(|l| l.contains("WARN") && l.contains(needle))
    };
    assert!(
        warned(&format!(
            "repository `gone` is missing: `{}` does not exist",
            gone.display()
        )),
        "{log}"
    );
    assert!(
        warned("the one configured repository is not watched"),
        "{log}"
    );

    env.write_config("repositories: []\n");
    let mut daemon = env.start();
    daemon.signal(nix::sys::signal::Signal::SIGTERM);
    let log = daemon.stderr_text();
    assert!(
        log.lines()
            .any(|l| l.contains("WARN") && l.contains("no repositories configured")),
        "{log}"
    );
}

/// A folder searched for repositories: what is found (depth, excludes,
/// symlinks, a listed entry winning), a clone added later watched and its
/// commit recorded, a repository removed dropped with its history kept.
#[test]
fn repositories_found_under_a_folder_are_watched_as_they_come_and_go() {
    let env = Env::new();
    let src = env.cwd.join("src");
    for repo in [
        "api",
        "group/web",
        "group/vendor/lib",
        "a/b/c/too-deep",
        "listed",
    ] {
        git_repo(&src.join(repo));
    }
    let outside = env.cwd.join("outside");
    git_repo(&outside.join("ext"));
    std::os::unix::fs::symlink(&outside, src.join("link")).unwrap();
    let origin = env.cwd.join("origin");
    git_repo(&origin);
    env.write_config(
        &config(&[("mine", &src.join("listed"))]).replace(
            "settings:\n",
            &format!(
                "  - {{path: '{}', discover: true, depth: 3, exclude: [\"**/vendor/**\"], project: Work}}\nsettings:\n",
                src.display()
            ),
        ),
    );
    let _daemon = env.start();
    let events = EventStream::open(&env);

    let s = env.status();
    let names = |s: &serde_json::Value| -> Vec<String> {
        s["daemon"]["repositories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&s), ["api", "group/web", "mine"], "{s}");
    let folder = &s["daemon"]["folders"][0];
    assert_eq!(folder["name"], "src", "{folder}");
    assert_eq!(folder["repositories"], 2, "{folder}");
    // src, a, a/b, a/b/c (looked into for a `.git`), group.
    assert_eq!(folder["watches"], 5, "{folder}");
    assert!(folder["reason"].is_null(), "{folder}");
    assert!(s["daemon"]["watches"].as_u64().unwrap() > 5, "{s}");
    let web = &s["daemon"]["repositories"][1];
    assert_eq!(
        (&web["folder"], &web["project"], &web["state"]),
        (&"src".into(), &"Work".into(), &"watching".into()),
        "{web}"
    );
    let page = text(&env.run(["status"]));
    assert!(page.contains("2 repositories found, 5 watches"), "{page}");

    let hash = commit(&src.join("group/web"), "w", "In a found repository");
    let ev = events.wait_until("commit", |e| e["commit"]["hash"] == hash.as_str());
    assert_eq!(ev["commit"]["repo"], "group/web");
    assert_eq!(ev["commit"]["project"], "Work");

    // A clone made while the daemon runs.
    let new = src.join("group/new");
    git(
        &env.cwd,
        &[
            "clone",
            "-q",
            origin.to_str().unwrap(),
            new.to_str().unwrap(),
        ],
    );
    events.wait_until("repo", |e| {
        e["repo"]["name"] == "group/new" && e["repo"]["state"] == "watching"
    });
    let hash = commit(&new, "n", "In the new clone");
    let ev = events.wait_until("commit", |e| e["commit"]["hash"] == hash.as_str());
    assert_eq!(ev["commit"]["repo"], "group/new");

    // A repository removed; then one created, whose event comes after the
    // removal was handled (the watcher reports in order).
    std::fs::remove_dir_all(src.join("group/web")).unwrap();
    git_repo(&src.join("a/b/c"));
    events.wait_until("repo", |e| {
        e["repo"]["name"] == "a/b/c" && e["repo"]["state"] == "watching"
    });
    let s = env.status();
    assert_eq!(names(&s), ["a/b/c", "api", "group/new", "mine"], "{s}");
    // src, a, a/b, group: a/b/c is a repository now.
    assert_eq!(s["daemon"]["folders"][0]["watches"], 4, "{s}");
    let stored = commits_json(&env);
    assert!(
        stored.iter().any(|c| c["repo"] == "group/web"),
        "the history stays: {stored:?}"
    );
}

/// A folder added by a reload is searched; a directory renamed in it
/// renames the repositories below it (the new names watched, the old ones
/// dropped).
#[test]
fn a_reload_adds_a_folder_and_a_rename_in_it_is_followed() {
    let env = Env::new();
    let listed = env.cwd.join("listed");
    git_repo(&listed);
    let src = env.cwd.join("src");
    git_repo(&src.join("team/app"));
    env.write_config(&config(&[("listed", &listed)]));
    let _daemon = env.start();
    let events = EventStream::open(&env);

    env.write_config(&config(&[("listed", &listed)]).replace(
        "settings:\n",
        &format!(
            "  - {{path: '{}', discover: true, depth: 2}}\nsettings:\n",
            src.display()
        ),
    ));
    let out = env.run(["reload", "--wait"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("folder added:"), "{}", text(&out));
    let s = env.status();
    let repos = s["daemon"]["repositories"].as_array().unwrap();
    assert!(
        repos
            .iter()
            .any(|r| r["name"] == "team/app" && r["state"] == "watching"),
        "{s}"
    );

    std::fs::rename(src.join("team"), src.join("crew")).unwrap();
    events.wait_until("repo", |e| {
        e["repo"]["name"] == "crew/app" && e["repo"]["state"] == "watching"
    });
    let s = env.status();
    let names: Vec<&str> = s["daemon"]["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["crew/app", "listed"], "{s}");
    let hash = commit(&src.join("crew/app"), "c", "After the rename");
    let ev = events.wait_until("commit", |e| e["commit"]["hash"] == hash.as_str());
    assert_eq!(ev["commit"]["repo"], "crew/app");
}

/// A listed repository that is missing inside a searched folder: its
/// watch on the folder (the nearest existing ancestor) and the folder's
/// are apart, so once it appears and gives its watch up, a repository
/// created in the folder is still found.
#[test]
fn a_missing_listed_repository_inside_a_folder_leaves_the_folder_watched() {
    let env = Env::new();
    let src = env.cwd.join("src");
    std::fs::create_dir_all(&src).unwrap();
    let later = src.join("later");
    env.write_config(&config(&[("later", &later)]).replace(
        "settings:\n",
        &format!(
            "  - {{path: '{}', discover: true}}\nsettings:\n",
            src.display()
        ),
    ));
    let _daemon = env.start();
    let events = EventStream::open(&env);
    assert_eq!(
        env.status()["daemon"]["repositories"][0]["state"],
        "missing"
    );

    git_repo(&later);
    events.wait_until("repo", |e| {
        e["repo"]["name"] == "later" && e["repo"]["state"] == "watching"
    });
    git_repo(&src.join("found"));
    events.wait_until("repo", |e| {
        e["repo"]["name"] == "found" && e["repo"]["state"] == "watching"
    });
    let s = env.status();
    assert_eq!(s["daemon"]["folders"][0]["repositories"], 1, "{s}");
}
