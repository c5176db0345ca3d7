//! Git watching against real repositories made with the git CLI, the real
//! notify watcher and a real SQLite store. Each test runs git, then waits
//! for the watcher's messages (with a timeout only as a safety net) and
//! hands them to `GitWatch::handle`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use devtrack::config::{
    CommitTriggers, LogLevel, Repository, Settings, TimeOfDay, WeekdaySet, WorkHours,
};
use devtrack::daemon::gitwatch::{Debouncer, GitEvent, GitWatch, WatchMsg};
use devtrack::protocol::{CommitInfo, CommitKind, Operation, RepoState};
use devtrack::store::Store;
use tempfile::TempDir;

use crate::util::stress_cycles;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

const ME: &str = "dev@example.com";
const SAFETY_NET: Duration = Duration::from_secs(60);
/// A stress cycle's safety net: a lost watch fails the cycle this fast.
const STRESS_WAIT: Duration = Duration::from_secs(20);

fn settings(authors: &[&str]) -> Settings {
    Settings {
        prompt_interval_minutes: 180,
        work_hours_only: false,
        work_hours: WorkHours {
            start: TimeOfDay::new(9, 0).unwrap(),
            end: TimeOfDay::new(17, 0).unwrap(),
            days: WeekdaySet::ALL,
        },
        timezone: chrono_tz::UTC,
        log_level: LogLevel::Info,
        auto_sync: false,
        commit_triggers: CommitTriggers::Own,
        authors: authors.iter().map(|s| s.to_string()).collect(),
        commit_debounce: Duration::from_secs(2),
        watch_config: true,
    }
}

fn repo(name: &str, path: &Path) -> Repository {
    Repository {
        name: name.into(),
        path: path.to_path_buf(),
        enabled: true,
        project: Some(format!("{name}-project")),
        commit_triggers: None,
        sync: true,
    }
}

/// A scratch directory with a private git configuration (cheap to clone,
/// so git can run on another thread).
#[derive(Clone)]
struct Sandbox {
    dir: Arc<TempDir>,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("gitconfig"),
            "[init]\n\tdefaultBranch = main\n[protocol \"file\"]\n\tallow = always\n[advice]\n\tdetachedHead = false\n[gc]\n\tauto = 0\n",
        )
        .unwrap();
        Sandbox { dir: Arc::new(dir) }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn git_as(&self, cwd: &Path, email: &str, args: &[&str]) -> String {
        self.git_with(cwd, email, &[], args)
    }

    /// `git args` with extra environment (editors for `rebase -i`).
    fn git_with(&self, cwd: &Path, email: &str, env: &[(&str, &str)], args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(cwd)
            .env("GIT_CONFIG_GLOBAL", self.dir.path().join("gitconfig"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Dev Eloper")
            .env("GIT_AUTHOR_EMAIL", email)
            .env("GIT_COMMITTER_NAME", "Dev Eloper")
            .env("GIT_COMMITTER_EMAIL", email)
            .env("GIT_EDITOR", "true")
            .env("GIT_SEQUENCE_EDITOR", "true")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .envs(env.iter().copied())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?} in {}: {}",
            cwd.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn git(&self, cwd: &Path, args: &[&str]) -> String {
        self.git_as(cwd, ME, args)
    }

    fn init(&self, rel: &str) -> PathBuf {
        let p = self.path(rel);
        std::fs::create_dir_all(&p).unwrap();
        self.git(&p, &["init", "-q"]);
        p
    }

    /// Writes a file, commits it, returns the new hash.
    fn commit(&self, repo: &Path, file: &str, content: &str, msg: &str) -> String {
        std::fs::write(repo.join(file), content).unwrap();
        self.git(repo, &["add", "-A"]);
        self.git(repo, &["commit", "-q", "-m", msg]);
        self.head(repo)
    }

    fn head(&self, repo: &Path) -> String {
        self.git(repo, &["rev-parse", "HEAD"])
    }
}

/// A watcher over some repositories with its store and message channel.
struct Harness {
    store: Store,
    rx: UnboundedReceiver<WatchMsg>,
    gw: GitWatch,
    events: Vec<GitEvent>,
    /// Every state change `handle` reported, in order, with the state then.
    changes: Vec<(String, RepoState)>,
}

impl Harness {
    /// Watches repositories that were watched before (what their reflogs
    /// hold is history).
    fn start(sb: &Sandbox, repos: &[Repository], settings: &Settings) -> Harness {
        let mut store = Store::open(&sb.path("store/devtrack.db")).unwrap();
        for r in repos {
            let before = Utc::now() - chrono::Duration::seconds(1);
            store.record_first_watch(&r.name, before).unwrap();
        }
        Harness::with_store(store, repos, settings)
    }

    /// Watches repositories for the first time.
    fn first_watch(sb: &Sandbox, repos: &[Repository], settings: &Settings) -> Harness {
        let store = Store::open(&sb.path("store/devtrack.db")).unwrap();
        Harness::with_store(store, repos, settings)
    }

    fn with_store(mut store: Store, repos: &[Repository], settings: &Settings) -> Harness {
        let (tx, rx) = unbounded_channel();
        let now = Utc::now();
        let mut gw = GitWatch::start(repos, settings, tx, now).unwrap();
        let events = gw.catch_up(&mut store, now).unwrap();
        Harness {
            store,
            rx,
            gw,
            events,
            changes: Vec::new(),
        }
    }

    /// Handles watcher messages until `done` holds.
    async fn until(&mut self, what: &str, done: impl Fn(&Harness) -> bool) {
        self.until_within(SAFETY_NET, what, done).await
    }

    /// [`Harness::until`] with its own safety net.
    async fn until_within(&mut self, limit: Duration, what: &str, done: impl Fn(&Harness) -> bool) {
        let give_up = tokio::time::Instant::now() + limit;
        while !done(self) {
            let msg = tokio::time::timeout_at(give_up, self.rx.recv())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "timed out waiting for {what}; events: {:#?}; statuses: {:#?}",
                        self.events,
                        self.gw.repo_statuses()
                    )
                })
                .expect("watcher channel closed");
            self.take(msg);
        }
    }

    /// Hands one watcher message to `GitWatch::handle` and keeps what it
    /// reports.
    fn take(&mut self, msg: WatchMsg) {
        let update = self.gw.handle(msg, &mut self.store, Utc::now());
        self.events.extend(update.events.unwrap());
        for name in update.changed {
            let state = self.state(&name);
            self.changes.push((name, state));
        }
    }

    /// Runs `work` on another thread while handling watcher messages, as
    /// the daemon does (git and the watcher race); returns its result.
    async fn meanwhile<T: Send + 'static>(
        &mut self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> T {
        let mut job = tokio::task::spawn_blocking(work);
        loop {
            tokio::select! {
                done = &mut job => return done.expect("the git job panicked"),
                Some(msg) = self.rx.recv() => self.take(msg),
            }
        }
    }

    fn commits(&self) -> Vec<&CommitInfo> {
        self.events
            .iter()
            .filter_map(|e| match e {
                GitEvent::Commit(c) => Some(c),
                _ => None,
            })
            .collect()
    }

    fn has_commit(&self, hash: &str) -> bool {
        self.commits().iter().any(|c| c.hash == hash)
    }

    fn activity(&self, op: Operation) -> usize {
        self.events
            .iter()
            .filter(|e| matches!(e, GitEvent::Activity(a) if a.kind == op))
            .count()
    }

    fn state(&self, name: &str) -> RepoState {
        self.gw
            .repo_statuses()
            .into_iter()
            .find(|s| s.name == name)
            .unwrap()
            .state
    }

    fn count(&self) -> u64 {
        self.store.commit_count().unwrap()
    }
}

#[tokio::test]
async fn commit_and_amend_on_a_branch_with_slashes() {
    let sb = Sandbox::new();
    let r = sb.init("app");
    let base = sb.commit(&r, "a.txt", "one\n", "base");
    let mut h = Harness::start(&sb, &[repo("app", &r)], &settings(&[ME]));
    assert!(
        h.events.is_empty(),
        "history before devtrack is not imported"
    );
    assert_eq!(h.state("app"), RepoState::Watching);

    sb.git(&r, &["checkout", "-q", "-b", "feature/x/y"]);
    let c1 = sb.commit(&r, "a.txt", "one\ntwo\nthree\n", "add lines");
    h.until("the commit", |h| h.has_commit(&c1)).await;
    let c = h
        .commits()
        .into_iter()
        .find(|c| c.hash == c1)
        .unwrap()
        .clone();
    assert_eq!(c.kind, CommitKind::Commit);
    assert_eq!(c.branch.as_deref(), Some("feature/x/y"));
    assert_eq!(c.summary, "add lines");
    assert_eq!(c.short_hash, &c1[..7]);
    assert_eq!(
        (c.files_changed, c.insertions, c.deletions),
        (Some(1), Some(2), Some(0))
    );
    assert_eq!(c.author_email, ME);
    assert_eq!(c.project.as_deref(), Some("app-project"));
    assert!(c.own && c.trigger);
    assert_eq!(h.activity(Operation::Checkout), 1);
    assert!(!h
        .store
        .recent_commits(None, 10)
        .unwrap()
        .iter()
        .any(|r| r.hash == base));

    sb.git(&r, &["commit", "-q", "--amend", "-m", "add more lines"]);
    let c2 = sb.head(&r);
    h.until("the amend", |h| h.has_commit(&c2)).await;
    let a = h
        .commits()
        .into_iter()
        .find(|c| c.hash == c2)
        .unwrap()
        .clone();
    assert_eq!(a.kind, CommitKind::Amend);
    assert_eq!(a.amends.as_deref(), Some(c1.as_str()));
    let stored = h.store.commit("app", &c2).unwrap().unwrap();
    assert_eq!(stored.kind, "amend");
    assert_eq!(stored.amends.as_deref(), Some(c1.as_str()));
    assert_eq!(stored.branch.as_deref(), Some("feature/x/y"));
    assert_eq!(h.count(), 2);

    // The cursor covers exactly what was read.
    let log = r.join(".git/logs/HEAD");
    let cursor = h.store.reflog_cursor(&log).unwrap().unwrap();
    assert_eq!(cursor.offset, std::fs::metadata(&log).unwrap().len());
    assert_eq!(cursor.last_hash.as_deref(), Some(c2.as_str()));
    assert!(h.gw.is_alive());
}

#[tokio::test]
async fn merge_cherry_pick_and_revert_are_own_work() {
    let sb = Sandbox::new();
    let r = sb.init("app");
    sb.commit(&r, "a.txt", "a\n", "base");
    let mut h = Harness::start(&sb, &[repo("app", &r)], &settings(&[ME]));

    sb.git(&r, &["checkout", "-q", "-b", "topic"]);
    let t1 = sb.commit(&r, "t.txt", "t\n", "topic work");
    sb.git(&r, &["checkout", "-q", "main"]);
    sb.commit(&r, "m.txt", "m\n", "main work");
    sb.git(&r, &["merge", "-q", "--no-ff", "--no-edit", "topic"]);
    let merge = sb.head(&r);
    h.until("the merge", |h| h.has_commit(&merge)).await;
    let m = h
        .commits()
        .into_iter()
        .find(|c| c.hash == merge)
        .unwrap()
        .clone();
    assert_eq!(m.kind, CommitKind::Merge);
    assert_eq!(m.files_changed, Some(1), "stats against the first parent");

    sb.git(&r, &["checkout", "-q", "-b", "other", "HEAD~1"]);
    sb.git(&r, &["cherry-pick", t1.as_str()]);
    let pick = sb.head(&r);
    sb.git(&r, &["revert", "--no-edit", pick.as_str()]);
    let revert = sb.head(&r);
    h.until("cherry-pick and revert", |h| h.has_commit(&revert))
        .await;
    let kinds: Vec<(String, CommitKind)> = h
        .commits()
        .iter()
        .map(|c| (c.hash.clone(), c.kind))
        .collect();
    assert!(kinds.contains(&(pick.clone(), CommitKind::CherryPick)));
    assert!(kinds.contains(&(revert.clone(), CommitKind::Revert)));
    assert!(h.commits().iter().all(|c| c.own && c.trigger));
    assert_eq!(
        h.store.commit("app", &pick).unwrap().unwrap().kind,
        "cherry-pick"
    );
    assert_eq!(
        h.store.commit("app", &revert).unwrap().unwrap().kind,
        "revert"
    );
}

#[tokio::test]
async fn a_rebase_of_ten_commits_is_one_event() {
    let sb = Sandbox::new();
    let r = sb.init("app");
    sb.commit(&r, "base.txt", "b\n", "base");
    sb.git(&r, &["checkout", "-q", "-b", "feature/rebase"]);
    for i in 0..10 {
        sb.commit(&r, &format!("f{i}.txt"), "x\n", &format!("feature {i}"));
    }
    sb.git(&r, &["checkout", "-q", "main"]);
    sb.commit(&r, "main.txt", "m\n", "main moves on");
    sb.git(&r, &["checkout", "-q", "feature/rebase"]);
    let mut h = Harness::start(&sb, &[repo("app", &r)], &settings(&[ME]));

    sb.git(&r, &["rebase", "-q", "main"]);
    h.until("the finished rebase", |h| {
        h.events.iter().any(|e| matches!(e, GitEvent::Rebase(_)))
    })
    .await;
    let rebases: Vec<_> = h
        .events
        .iter()
        .filter_map(|e| match e {
            GitEvent::Rebase(r) => Some(r.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(rebases.len(), 1);
    let rb = &rebases[0];
    assert_eq!(rb.commits.len(), 10);
    assert_eq!(rb.branch.as_deref(), Some("feature/rebase"));
    assert_eq!(rb.head, sb.head(&r));
    assert_eq!(
        rb.onto.as_deref(),
        Some(sb.git(&r, &["rev-parse", "main"]).as_str())
    );
    assert!(rb.trigger && rb.own);
    assert_eq!(rb.commits[0].summary, "feature 0");
    assert!(h.commits().is_empty(), "picks are not separate events");
    let stored = h.store.repo_commits("app").unwrap();
    assert_eq!(stored.len(), 10);
    assert!(stored.iter().all(|c| c.kind == "rebase"));
    assert!(stored
        .iter()
        .all(|c| c.branch.as_deref() == Some("feature/rebase")));
    let triggering: Vec<_> = h.events.iter().filter(|e| e.triggers()).collect();
    assert_eq!(triggering.len(), 1);
    assert_eq!(triggering[0].commit_keys().len(), 10);
}

/// The editor `rebase -i` runs on each reworded message: appends `x`.
const REWORD: (&str, &str) = ("GIT_EDITOR", "sed -i -e 1s/$/x/");

fn rebases(h: &Harness) -> Vec<devtrack::protocol::RebaseInfo> {
    h.events
        .iter()
        .filter_map(|e| match e {
            GitEvent::Rebase(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn an_aborted_interactive_rebase_records_nothing() {
    let sb = Sandbox::new();
    let r = sb.init("app");
    for i in 1..=5 {
        sb.commit(&r, &format!("f{i}"), "x\n", &format!("c{i}"));
    }
    let mut h = Harness::start(&sb, &[repo("app", &r)], &settings(&[ME]));
    let sequence = (
        "GIT_SEQUENCE_EDITOR",
        "sed -i -e 1s/pick/reword/ -e 3s/pick/edit/",
    );
    // Stops at the `edit`, with a reworded and a picked commit made.
    sb.git_with(
        &r,
        ME,
        &[sequence, REWORD],
        &["rebase", "-q", "-i", "HEAD~4"],
    );
    sb.git(&r, &["rebase", "--abort"]);
    h.until("the abort", |h| h.activity(Operation::RebaseAbort) == 1)
        .await;
    assert_eq!(h.count(), 0, "{:#?}", h.store.repo_commits("app").unwrap());
    assert!(rebases(&h).is_empty());
    assert!(h.commits().is_empty());
    assert_eq!(h.activity(Operation::RebaseStart), 1);
    assert!(h.events.iter().all(|e| !e.triggers()));
}

#[tokio::test]
async fn a_reword_stores_each_rebased_commit_once() {
    let sb = Sandbox::new();
    let r = sb.init("app");
    for i in 1..=4 {
        sb.commit(&r, &format!("f{i}"), "x\n", &format!("c{i}"));
    }
    let mut h = Harness::start(&sb, &[repo("app", &r)], &settings(&[ME]));
    // The second reword is no fast-forward: git picks it with the old
    // message, then amends the message.
    let sequence = (
        "GIT_SEQUENCE_EDITOR",
        "sed -i -e 1s/pick/reword/ -e 2s/pick/reword/",
    );
    sb.git_with(
        &r,
        ME,
        &[sequence, REWORD],
        &["rebase", "-q", "-i", "HEAD~3"],
    );
    h.until("the finished rebase", |h| !rebases(h).is_empty())
        .await;
    let log = sb.git(&r, &["log", "--format=%H", "-3"]);
    let mut reachable: Vec<&str> = log.lines().collect();
    reachable.reverse();
    let stored: Vec<String> = h
        .store
        .repo_commits("app")
        .unwrap()
        .into_iter()
        .map(|c| c.hash)
        .collect();
    assert_eq!(stored, reachable, "only the rebased commits, once each");
    let rb = &rebases(&h)[0];
    let summaries: Vec<&str> = rb.commits.iter().map(|c| c.summary.as_str()).collect();
    assert_eq!(summaries, ["c2x", "c3x", "c4"]);
}

/// The report over everything stored (the last ten years to an hour
/// ahead), as `devtrack report` builds it.
fn report(store: &Store) -> devtrack::report::Report {
    use devtrack::report::{period, Options};
    let now = Utc::now();
    let since = now - chrono::Duration::days(3650);
    let until = now + chrono::Duration::hours(1);
    let data = store.report_data(since, until).unwrap();
    let spec = period::Spec::Range {
        since,
        until: Some(until),
    };
    let period = period::resolve(spec, now, chrono_tz::UTC, WeekdaySet::ALL).unwrap();
    let opts = Options {
        families: devtrack::tickets::Families::ALL,
        ..Options::default()
    };
    devtrack::report::build(data, period, &opts)
}

const THEM: &str = "them@example.com";

/// An upstream with another author's first commit, and two clones of it:
/// `own` and `all` (watched with `commit_triggers: all`, [`all_cfg`]).
fn upstream_and_two_clones(sb: &Sandbox) -> (PathBuf, PathBuf, PathBuf) {
    let upstream = sb.init("upstream");
    sb.git_as(
        &upstream,
        THEM,
        &["commit", "-q", "--allow-empty", "-m", "first"],
    );
    let clone = |name: &str| {
        let p = sb.path(name);
        let (from, to) = (upstream.to_str().unwrap(), p.to_str().unwrap());
        sb.git(sb.dir.path(), &["clone", "-q", from, to]);
        p
    };
    let (own, all) = (clone("own"), clone("all"));
    (upstream, own, all)
}

/// `r` watched as `all`, with `commit_triggers: all`.
fn all_cfg(r: &Path) -> Repository {
    let mut cfg = repo("all", r);
    cfg.commit_triggers = Some(CommitTriggers::All);
    cfg
}

#[tokio::test]
async fn a_pulls_merge_commit_is_own_and_other_authors_are_kept_only_under_all() {
    let sb = Sandbox::new();
    let (upstream, own, all) = upstream_and_two_clones(&sb);
    let mut h = Harness::start(&sb, &[repo("own", &own), all_cfg(&all)], &settings(&[ME]));

    std::fs::write(upstream.join("u.txt"), "1\n2\n3\n").unwrap();
    sb.git_as(&upstream, THEM, &["add", "-A"]);
    sb.git_as(&upstream, THEM, &["commit", "-q", "-m", "their work"]);
    let theirs = sb.head(&upstream);
    let mut merges = Vec::new();
    for (r, name) in [(&own, "own"), (&all, "all")] {
        sb.commit(r, "mine.txt", "a\nb\n", &format!("my work in {name}"));
        // A fetch alone records nothing.
        sb.git(r, &["fetch", "-q"]);
        sb.git(r, &["pull", "-q", "--no-rebase", "--no-edit"]);
        merges.push(sb.head(r));
    }
    h.until("both merges", |h| {
        h.commits()
            .iter()
            .filter(|c| merges.contains(&c.hash))
            .count()
            == 2
    })
    .await;
    for (name, merge) in [("own", &merges[0]), ("all", &merges[1])] {
        let m = h.store.commit(name, merge).unwrap().unwrap();
        assert_eq!((m.kind, m.own), (CommitKind::Merge, Some(true)), "{name}");
        assert_eq!(m.branch.as_deref(), Some("main"));
    }
    assert!(h.store.commit("own", &theirs).unwrap().is_none());
    let t = h
        .store
        .commit("all", &theirs)
        .unwrap()
        .expect("their commit");
    assert_eq!(t.own, Some(false));
    assert_eq!(t.author_email.as_deref(), Some(THEM));
    assert_eq!(h.count(), 5, "two own commits, two merges, one of theirs");

    let r = report(&h.store);
    assert_eq!(r.totals.commits, 4);
    assert_eq!(r.totals.insertions, 4, "a merge brings no lines of its own");
}

/// `git pull --rebase` makes the developer's unpushed commits again on the
/// upstream: the picks are recorded when it finishes, as the latest
/// version of each change (counted once), and the upstream's commits it
/// brings are kept, not as own work, under `commit_triggers: all` only.
#[tokio::test]
async fn a_pull_rebase_records_its_picks_once_as_the_latest_versions() {
    let sb = Sandbox::new();
    let (upstream, own, all) = upstream_and_two_clones(&sb);
    let mut h = Harness::start(&sb, &[repo("own", &own), all_cfg(&all)], &settings(&[ME]));

    let mut originals = Vec::new();
    for (r, name) in [(&own, "own"), (&all, "all")] {
        sb.commit(r, "mine.txt", "a\nb\n", &format!("my work in {name}"));
        originals.push(sb.head(r));
    }
    std::fs::write(upstream.join("u.txt"), "1\n2\n3\n").unwrap();
    sb.git_as(&upstream, THEM, &["add", "-A"]);
    sb.git_as(&upstream, THEM, &["commit", "-q", "-m", "their work"]);
    let theirs = sb.head(&upstream);
    let mut picks = Vec::new();
    for (i, r) in [&own, &all].into_iter().enumerate() {
        // `pull.rebase` in one, `--rebase` in the other: the same lines.
        let how: &[&str] = if i == 0 {
            &["-c", "pull.rebase=true", "pull", "-q"]
        } else {
            &["pull", "-q", "--rebase"]
        };
        sb.git(r, how);
        picks.push(sb.head(r));
    }
    h.until("both pulls' rebases", |h| rebases(h).len() == 2)
        .await;
    for (i, name) in ["own", "all"].into_iter().enumerate() {
        let pick = h.store.commit(name, &picks[i]).unwrap().expect("the pick");
        assert_eq!(
            (pick.kind, pick.own, pick.branch.as_deref()),
            (CommitKind::Rebase, Some(true), Some("main")),
            "{name}"
        );
        assert_ne!(picks[i], originals[i], "{name}: the pick is a new commit");
    }
    assert_eq!(
        h.store.last_commit("own").unwrap().unwrap().hash,
        picks[0],
        "the original was replaced by its pick"
    );
    assert!(h.store.commit("own", &theirs).unwrap().is_none());
    let t = h
        .store
        .commit("all", &theirs)
        .unwrap()
        .expect("their commit");
    assert_eq!(t.own, Some(false));

    let r = report(&h.store);
    assert_eq!(r.totals.commits, 2, "each own change once, at its pick");
    assert_eq!(r.totals.insertions, 4);
}

/// `git commit --allow-empty -m msg` dated `days` days ago (the reflog
/// line too).
fn commit_days_ago(sb: &Sandbox, r: &Path, days: i64, msg: &str) -> String {
    let when = format!(
        "@{} +0000",
        (Utc::now() - chrono::Duration::days(days)).timestamp()
    );
    let env = [
        ("GIT_COMMITTER_DATE", when.as_str()),
        ("GIT_AUTHOR_DATE", when.as_str()),
    ];
    sb.git_with(r, ME, &env, &["commit", "-q", "--allow-empty", "-m", msg]);
    sb.head(r)
}

#[tokio::test]
async fn the_first_watch_records_the_days_own_commits_once_and_no_earlier() {
    let sb = Sandbox::new();
    let r = sb.init("app");
    let alpha = commit_days_ago(&sb, &r, 3, "init alpha");
    sb.git_as(
        &r,
        THEM,
        &["commit", "-q", "--allow-empty", "-m", "theirs today"],
    );
    let beta = sb.commit(&r, "b.txt", "b\n", "beta today");
    let h = Harness::first_watch(&sb, &[repo("app", &r)], &settings(&[ME]));
    assert_eq!(h.store.found_at_start("app").unwrap(), [beta]);
    assert!(h.store.commit("app", &alpha).unwrap().is_none());
    assert!(h.events.is_empty(), "found at start: no event, no prompt");
    assert!(h.store.first_watch("app").unwrap().is_some());
    drop(h);

    // Never twice: a restart, and a reload that adds it again.
    let store = Store::open(&sb.path("store/devtrack.db")).unwrap();
    let mut h = Harness::with_store(store, &[repo("app", &r)], &settings(&[ME]));
    assert!(h.events.is_empty());
    let now = Utc::now();
    h.gw.reconfigure(&[], &settings(&[ME]), now).unwrap();
    let added =
        h.gw.reconfigure(&[repo("app", &r)], &settings(&[ME]), now)
            .unwrap();
    let events = h.gw.catch_up_repos(&added, &mut h.store, now).unwrap();
    assert!(events.is_empty());
    assert_eq!(h.count(), 1);
}

#[tokio::test]
async fn a_rewritten_reflog_adds_nothing_from_before_the_first_watch() {
    let sb = Sandbox::new();
    let r = sb.init("app");
    let alpha = commit_days_ago(&sb, &r, 3, "init alpha");
    let mut h = Harness::start(&sb, &[repo("app", &r)], &settings(&[ME]));
    let mut made = Vec::new();
    for i in 0..6 {
        made.push(sb.commit(&r, "a.txt", &format!("{i}\n"), &format!("work {i}")));
    }
    let last = made.last().unwrap().clone();
    h.until("the commits", |h| h.has_commit(&last)).await;
    sb.git(&r, &["reflog", "delete", "HEAD@{5}"]);
    let after = sb.commit(&r, "a.txt", "after\n", "after the rewrite");
    h.until("the commit after the rewrite", |h| h.has_commit(&after))
        .await;
    assert!(
        h.store.commit("app", &alpha).unwrap().is_none(),
        "init alpha is older than the first watch"
    );
    assert_eq!(h.count(), 7);
    assert_eq!(h.commits().len(), 7, "nothing announced twice");
}

/// `(commits, insertions)` the report counts, and what `git log` says of
/// the `n` commits reachable from HEAD.
fn counted(h: &Harness, sb: &Sandbox, r: &Path, n: usize) -> ((u64, u64), (u64, u64)) {
    let rep = report(&h.store);
    let log = sb.git(r, &["log", "--format=", "--numstat", &format!("-{n}")]);
    let lines: u64 = log
        .lines()
        .filter_map(|l| l.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    (
        (rep.totals.commits, rep.totals.insertions),
        (n as u64, lines),
    )
}

#[tokio::test]
async fn a_rewritten_change_is_counted_once() {
    let sb = Sandbox::new();
    let r = sb.init("app");
    sb.commit(&r, "base.txt", "b\n", "base");
    sb.git(&r, &["checkout", "-q", "-b", "feature"]);
    let mut h = Harness::start(&sb, &[repo("app", &r)], &settings(&[ME]));
    for i in 1..=4 {
        sb.commit(
            &r,
            &format!("f{i}"),
            &format!("{i}\n"),
            &format!("rebase-me {i}"),
        );
    }
    // An amend, a reword, a squash, a rebase onto a new base.
    std::fs::write(r.join("f4"), "4\nmore\n").unwrap();
    sb.git(
        &r,
        &["commit", "-q", "-a", "--amend", "-m", "rebase-me 4 amended"],
    );
    let reword = (
        "GIT_SEQUENCE_EDITOR",
        "sed -i -e 1s/pick/reword/ -e 3s/pick/reword/",
    );
    sb.git_with(&r, ME, &[reword, REWORD], &["rebase", "-q", "-i", "HEAD~4"]);
    h.until("the reword", |h| rebases(h).len() == 1).await;
    assert_eq!(counted(&h, &sb, &r, 4).0, counted(&h, &sb, &r, 4).1);
    let first = h.store.repo_commits("app").unwrap()[0].clone();

    let squash = ("GIT_SEQUENCE_EDITOR", "sed -i -e 2s/pick/squash/");
    sb.git_with(&r, ME, &[squash], &["rebase", "-q", "-i", "HEAD~4"]);
    h.until("the squash", |h| rebases(h).len() == 2).await;
    assert_eq!(counted(&h, &sb, &r, 3).0, counted(&h, &sb, &r, 3).1);

    sb.git(&r, &["checkout", "-q", "main"]);
    sb.commit(&r, "main.txt", "m\n", "main moves on");
    sb.git(&r, &["checkout", "-q", "feature"]);
    sb.git(&r, &["rebase", "-q", "main"]);
    h.until("the rebase onto main", |h| rebases(h).len() == 3)
        .await;
    let ((commits, lines), (want, want_lines)) = counted(&h, &sb, &r, 4);
    assert_eq!((commits, lines), (want, want_lines), "3 rebased and main's");

    // Every version is kept; the change shows its latest summary at the
    // time of its first version.
    assert!(h.count() > 10);
    let rep = report(&h.store);
    let summaries: Vec<&str> = rep.groups[0]
        .commits
        .iter()
        .map(|c| c.summary.as_str())
        .collect();
    assert!(summaries.contains(&"rebase-me 1x"), "{summaries:?}");
    let c1 = rep.groups[0]
        .commits
        .iter()
        .find(|c| c.summary == "rebase-me 1x")
        .unwrap();
    assert_eq!(Some(c1.at), first.committed_at);
    // The last commit is the newest by author time among the versions no
    // rewrite replaced: the rebased tip, or main's commit when it was made
    // in a later second than the tip's work (a rebase keeps author times);
    // on a tie, the rebased tip, recorded after it.
    let author_time = |rev: &str| -> i64 {
        sb.git(&r, &["log", "-1", "--format=%at", rev])
            .parse()
            .unwrap()
    };
    let newest = if author_time("main") > author_time("feature") {
        sb.git(&r, &["rev-parse", "main"])
    } else {
        sb.head(&r)
    };
    assert_eq!(
        h.store.last_commit("app").unwrap().unwrap().hash,
        newest,
        "the last commit is the latest version"
    );
}

#[tokio::test]
async fn sha256_repositories_have_their_branch_and_line_counts() {
    let sb = Sandbox::new();
    let r = sb.path("sha");
    std::fs::create_dir_all(&r).unwrap();
    sb.git(&r, &["init", "-q", "--object-format=sha256"]);
    sb.commit(&r, "a.txt", "a\n", "base");
    let mut h = Harness::start(&sb, &[repo("sha", &r)], &settings(&[ME]));
    assert_eq!(h.state("sha"), RepoState::Watching);
    sb.git(&r, &["checkout", "-q", "-b", "feature"]);
    let c = sb.commit(&r, "a.txt", "a\nb\nc\n", "two lines");
    assert_eq!(c.len(), 64);
    sb.git(&r, &["commit", "-q", "--amend", "-m", "two lines, amended"]);
    let amended = sb.head(&r);
    h.until("the amend", |h| h.has_commit(&amended)).await;
    let got = h
        .commits()
        .into_iter()
        .find(|x| x.hash == amended)
        .unwrap()
        .clone();
    assert_eq!(got.branch.as_deref(), Some("feature"));
    assert_eq!(got.summary, "two lines, amended");
    assert_eq!(
        (got.files_changed, got.insertions, got.deletions),
        (Some(1), Some(2), Some(0))
    );
    assert!(got.own);
    assert_eq!(
        report(&h.store).totals.commits,
        1,
        "the amend replaced the commit"
    );
}

#[tokio::test]
async fn checkout_reset_and_fast_forward_pull_are_activity() {
    let sb = Sandbox::new();
    let upstream = sb.init("upstream");
    sb.commit(&upstream, "a.txt", "a\n", "first");
    let clone = sb.path("clone");
    sb.git(
        sb.dir.path(),
        &[
            "clone",
            "-q",
            upstream.to_str().unwrap(),
            clone.to_str().unwrap(),
        ],
    );
    let mut h = Harness::start(&sb, &[repo("clone", &clone)], &settings(&[ME]));

    let theirs = sb.commit(&upstream, "b.txt", "b\n", "upstream work");
    sb.git(&clone, &["pull", "-q", "--ff-only"]);
    h.until("the pull", |h| h.activity(Operation::Pull) == 1)
        .await;
    assert_eq!(sb.head(&clone), theirs);

    sb.git(&clone, &["checkout", "-q", "-b", "side"]);
    sb.git(&clone, &["reset", "-q", "--hard", "HEAD~1"]);
    h.until("checkout and reset", |h| {
        h.activity(Operation::Checkout) == 1 && h.activity(Operation::Reset) == 1
    })
    .await;
    assert!(h.commits().is_empty());
    assert_eq!(h.count(), 0);
    assert!(h.events.iter().all(|e| !e.triggers()));
    let kinds: Vec<String> = h
        .store
        .recent_activity(10)
        .unwrap()
        .into_iter()
        .map(|a| a.kind)
        .collect();
    assert_eq!(kinds, vec!["reset", "checkout", "pull"]);
}

#[tokio::test]
async fn commit_triggers_all_makes_activity_trigger() {
    let sb = Sandbox::new();
    let r = sb.init("app");
    sb.commit(&r, "a.txt", "a\n", "base");
    let mut cfg = repo("app", &r);
    cfg.commit_triggers = Some(CommitTriggers::All);
    let mut h = Harness::start(&sb, &[cfg], &settings(&[ME]));
    sb.git(&r, &["checkout", "-q", "-b", "x"]);
    h.until("the checkout", |h| h.activity(Operation::Checkout) == 1)
        .await;
    assert!(h.events.iter().all(GitEvent::triggers));
}

#[tokio::test]
async fn linked_worktree_commits() {
    let sb = Sandbox::new();
    let r = sb.init("app");
    sb.commit(&r, "a.txt", "a\n", "base");
    let mut h = Harness::start(&sb, &[repo("app", &r)], &settings(&[ME]));
    let wt = sb.path("app-wt");
    sb.git(
        &r,
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "wt/branch",
            wt.to_str().unwrap(),
        ],
    );
    let c = sb.commit(&wt, "w.txt", "w\n", "worktree work");
    h.until("the worktree commit", |h| h.has_commit(&c)).await;
    let info = h
        .commits()
        .into_iter()
        .find(|x| x.hash == c)
        .unwrap()
        .clone();
    assert_eq!(info.worktree.as_deref(), Some("app-wt"));
    assert_eq!(info.branch.as_deref(), Some("wt/branch"));
    assert_eq!(h.gw.repo_statuses()[0].worktrees, 1);

    // A commit in the main worktree still counts once.
    let m = sb.commit(&r, "b.txt", "b\n", "main work");
    h.until("the main commit", |h| h.has_commit(&m)).await;
    assert_eq!(h.count(), 2);
}

#[tokio::test]
async fn configured_path_inside_a_linked_worktree() {
    let sb = Sandbox::new();
    let r = sb.init("app");
    sb.commit(&r, "a.txt", "a\n", "base");
    let wt = sb.path("wt");
    sb.git(
        &r,
        &["worktree", "add", "-q", "-b", "w", wt.to_str().unwrap()],
    );
    let mut h = Harness::start(&sb, &[repo("wt", &wt)], &settings(&[ME]));
    assert_eq!(h.state("wt"), RepoState::Watching);
    let c = sb.commit(&wt, "w.txt", "w\n", "in the worktree");
    h.until("the commit", |h| h.has_commit(&c)).await;
    assert_eq!(h.gw.repo_statuses()[0].branch.as_deref(), Some("w"));
}

#[tokio::test]
async fn submodule_commits() {
    let sb = Sandbox::new();
    let lib = sb.init("lib");
    sb.commit(&lib, "l.txt", "l\n", "lib base");
    let sup = sb.init("super");
    sb.commit(&sup, "s.txt", "s\n", "super base");
    sb.git(
        &sup,
        &[
            "submodule",
            "add",
            "-q",
            lib.to_str().unwrap(),
            "vendor/lib",
        ],
    );
    let sub = sup.join("vendor/lib");
    assert!(sub.join(".git").is_file(), "submodules use a .git file");
    let mut h = Harness::start(&sb, &[repo("lib-sub", &sub)], &settings(&[ME]));
    assert_eq!(h.state("lib-sub"), RepoState::Watching);
    sb.git(&sub, &["checkout", "-q", "-b", "fix"]);
    let c = sb.commit(&sub, "l.txt", "l2\n", "fix in submodule");
    h.until("the submodule commit", |h| h.has_commit(&c)).await;
    let info = h.commits()[0].clone();
    assert_eq!(info.branch.as_deref(), Some("fix"));
    assert_eq!(info.repo, "lib-sub");
}

#[tokio::test]
async fn detached_head_commit_has_no_branch() {
    let sb = Sandbox::new();
    let r = sb.init("app");
    sb.commit(&r, "a.txt", "a\n", "base");
    let mut h = Harness::start(&sb, &[repo("app", &r)], &settings(&[ME]));
    sb.git(&r, &["checkout", "-q", "--detach"]);
    let c = sb.commit(&r, "a.txt", "b\n", "detached work");
    h.until("the detached commit", |h| h.has_commit(&c)).await;
    assert_eq!(h.commits()[0].branch, None);
    assert_eq!(h.store.commit("app", &c).unwrap().unwrap().branch, None);
    assert_eq!(h.gw.repo_statuses()[0].branch, None);
}

#[tokio::test]
async fn first_commit_of_a_fresh_repository() {
    let sb = Sandbox::new();
    let r = sb.init("fresh");
    assert!(!r.join(".git/logs").exists());
    let mut h = Harness::start(&sb, &[repo("fresh", &r)], &settings(&[ME]));
    assert_eq!(h.state("fresh"), RepoState::Watching);
    let c = sb.commit(&r, "a.txt", "a\n", "first ever");
    h.until("the first commit", |h| h.has_commit(&c)).await;
    let info = h.commits()[0].clone();
    assert_eq!(info.kind, CommitKind::Commit);
    assert_eq!(info.branch.as_deref(), Some("main"));
    assert_eq!((info.files_changed, info.insertions), (Some(1), Some(1)));
}

#[tokio::test]
async fn two_hundred_commits_are_stored_and_debounced_into_one_batch() {
    let sb = Sandbox::new();
    let r = sb.init("busy");
    sb.commit(&r, "a.txt", "a\n", "base");
    let mut h = Harness::start(&sb, &[repo("busy", &r)], &settings(&[ME]));
    let script = "for i in $(seq 1 200); do echo $i > n.txt; git add n.txt; git commit -q -m \"commit $i\"; done";
    let out = Command::new("sh")
        .args(["-c", script])
        .current_dir(&r)
        .env("GIT_CONFIG_GLOBAL", sb.path("gitconfig"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Dev")
        .env("GIT_AUTHOR_EMAIL", ME)
        .env("GIT_COMMITTER_NAME", "Dev")
        .env("GIT_COMMITTER_EMAIL", ME)
        .output()
        .unwrap();
    assert!(out.status.success());

    // The run loop's debouncer, driven by a virtual clock that advances
    // one millisecond per handled message (arrival order, not wall time).
    let t0 = std::time::Instant::now();
    let mut clock = t0;
    let mut debouncer: Debouncer<GitEvent> = Debouncer::new(Duration::from_secs(2));
    let mut batches: Vec<Vec<GitEvent>> = Vec::new();
    let give_up = tokio::time::Instant::now() + SAFETY_NET;
    while h.count() < 200 {
        let msg = tokio::time::timeout_at(give_up, h.rx.recv())
            .await
            .expect("timed out waiting for 200 commits")
            .unwrap();
        clock += Duration::from_millis(1);
        let evs = h.gw.handle(msg, &mut h.store, Utc::now()).events.unwrap();
        debouncer.push(evs.into_iter().filter(GitEvent::triggers), clock);
        if let Some(b) = debouncer.due(clock) {
            batches.push(b);
        }
    }
    let deadline = debouncer.deadline().expect("a batch is pending");
    assert_eq!(debouncer.due(deadline - Duration::from_millis(1)), None);
    batches.push(debouncer.due(deadline).unwrap());
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0].len(), 200);
    assert_eq!(h.count(), 200);
    let hashes: std::collections::HashSet<String> = batches[0]
        .iter()
        .flat_map(|e| e.commit_keys())
        .map(|(_, h)| h)
        .collect();
    assert_eq!(hashes.len(), 200);
}

#[tokio::test]
async fn commits_while_stopped_are_caught_up_once_and_survive_reflog_expiry() {
    let sb = Sandbox::new();
    let r = sb.init("app");
    sb.commit(&r, "a.txt", "a\n", "base");
    let repos = [repo("app", &r)];
    let s = settings(&[ME]);
    let mut h = Harness::start(&sb, &repos, &s);
    let c1 = sb.commit(&r, "a.txt", "1\n", "while running");
    h.until("the first commit", |h| h.has_commit(&c1)).await;
    let Harness { store, gw, .. } = h;
    drop(gw);

    let mut offline = Vec::new();
    for i in 0..5 {
        offline.push(sb.commit(&r, "a.txt", &format!("off {i}\n"), &format!("offline {i}")));
    }
    let mut h = Harness::with_store(store, &repos, &s);
    let caught: Vec<String> = h.commits().iter().map(|c| c.hash.clone()).collect();
    assert_eq!(caught, offline, "one catch-up batch, in order");
    assert_eq!(h.count(), 6);
    let again = h.gw.catch_up(&mut h.store, Utc::now()).unwrap();
    assert!(again.is_empty(), "nothing is reported twice");
    assert_eq!(h.count(), 6);

    // Reflog rewritten and objects pruned, then more work.
    sb.git(&r, &["reflog", "expire", "--expire=now", "--all"]);
    sb.git(&r, &["gc", "-q", "--prune=now"]);
    let after = sb.commit(&r, "a.txt", "after gc\n", "after gc");
    h.until("the commit after gc", |h| h.has_commit(&after))
        .await;
    assert_eq!(h.count(), 7);
    let stored = h.store.repo_commits("app").unwrap();
    let mut hashes: Vec<&str> = stored.iter().map(|c| c.hash.as_str()).collect();
    hashes.sort();
    hashes.dedup();
    assert_eq!(hashes.len(), 7);
    assert_eq!(h.commits().len(), 6, "five caught up, one after gc");

    // A restart after the rewrite reads nothing twice.
    let Harness { store, gw, .. } = h;
    drop(gw);
    let h = Harness::with_store(store, &repos, &s);
    assert!(h.events.is_empty());
    assert_eq!(h.count(), 7);
}

#[tokio::test]
async fn repository_deleted_and_recreated_while_watched() {
    let sb = Sandbox::new();
    let r = sb.init("app");
    sb.commit(&r, "a.txt", "a\n", "base");
    let mut h = Harness::start(&sb, &[repo("app", &r)], &settings(&[ME]));
    let c1 = sb.commit(&r, "a.txt", "b\n", "before delete");
    h.until("the first commit", |h| h.has_commit(&c1)).await;

    assert!(h.changes.is_empty(), "commits change no state");
    std::fs::remove_dir_all(&r).unwrap();
    h.until("the repository to be missing", |h| {
        matches!(h.state("app"), RepoState::Missing { .. })
    })
    .await;
    // Reported by the read that saw it.
    assert!(
        matches!(h.changes.last(), Some((name, RepoState::Missing { .. })) if name == "app"),
        "{:?}",
        h.changes
    );

    let r = sb.init("app");
    let c2 = sb.commit(&r, "new.txt", "new\n", "after recreate");
    h.until("the commit in the recreated repository", |h| {
        h.has_commit(&c2)
    })
    .await;
    assert_eq!(h.state("app"), RepoState::Watching);
    assert_eq!(h.count(), 2);
    assert_eq!(
        h.changes.last(),
        Some(&("app".to_string(), RepoState::Watching)),
        "{:?}",
        h.changes
    );
}

#[tokio::test]
async fn missing_bare_and_reftable_repositories_are_reported() {
    let sb = Sandbox::new();
    let bare = sb.path("bare.git");
    std::fs::create_dir_all(&bare).unwrap();
    sb.git(&bare, &["init", "-q", "--bare"]);
    let reftable = sb.path("reftable");
    std::fs::create_dir_all(&reftable).unwrap();
    sb.git(&reftable, &["init", "-q", "--ref-format=reftable"]);
    let missing = sb.path("not/yet/here");
    let good = sb.init("good");
    sb.commit(&good, "a.txt", "a\n", "base");
    let repos = [
        repo("bare", &bare),
        repo("reftable", &reftable),
        repo("missing", &missing),
        repo("good", &good),
    ];
    let mut h = Harness::start(&sb, &repos, &settings(&[ME]));
    let RepoState::Unsupported { reason } = h.state("bare") else {
        panic!("{:?}", h.state("bare"))
    };
    assert!(reason.contains("bare"), "{reason}");
    let RepoState::Unsupported { reason } = h.state("reftable") else {
        panic!("{:?}", h.state("reftable"))
    };
    assert!(reason.contains("reftable"), "{reason}");
    let RepoState::Missing { reason } = h.state("missing") else {
        panic!("{:?}", h.state("missing"))
    };
    assert!(reason.contains("not/yet/here"), "{reason}");

    // Other repositories keep working.
    let c = sb.commit(&good, "a.txt", "b\n", "still watched");
    h.until("the good commit", |h| h.has_commit(&c)).await;

    // The missing one appears later and is picked up.
    std::fs::create_dir_all(&missing).unwrap();
    sb.git(&missing, &["init", "-q"]);
    let first = sb.commit(&missing, "a.txt", "a\n", "first in the late repo");
    h.until("the late repository's commit", |h| h.has_commit(&first))
        .await;
    assert_eq!(h.state("missing"), RepoState::Watching);
}

#[tokio::test]
async fn author_filter_uses_the_repository_email_when_none_configured() {
    let sb = Sandbox::new();
    let r = sb.init("app");
    sb.commit(&r, "a.txt", "a\n", "base");
    sb.git(&r, &["config", "user.email", ME]);
    let mut h = Harness::start(&sb, &[repo("app", &r)], &settings(&[]));
    std::fs::write(r.join("b.txt"), "b").unwrap();
    sb.git(&r, &["add", "-A"]);
    sb.git_as(&r, "someone@else.org", &["commit", "-q", "-m", "not mine"]);
    let theirs = sb.head(&r);
    let mine = sb.commit(&r, "c.txt", "c\n", "mine");
    h.until("both commits", |h| {
        h.has_commit(&theirs) && h.has_commit(&mine)
    })
    .await;
    let by = |hash: &str| {
        h.commits()
            .into_iter()
            .find(|c| c.hash == hash)
            .unwrap()
            .clone()
    };
    assert!(!by(&theirs).own && !by(&theirs).trigger);
    assert!(by(&mine).own && by(&mine).trigger);
    assert_eq!(h.count(), 2, "every commit is stored");
}

#[tokio::test]
async fn reconfigure_adds_and_removes_repositories() {
    let sb = Sandbox::new();
    let a = sb.init("a");
    sb.commit(&a, "a.txt", "a\n", "base");
    let b = sb.init("b");
    sb.commit(&b, "b.txt", "b\n", "base");
    let s = settings(&[ME]);
    let mut h = Harness::start(&sb, &[repo("a", &a)], &s);
    let watched_before = h.gw.watched_dirs().len();
    h.gw.reconfigure(&[repo("b", &b)], &s, Utc::now()).unwrap();
    assert_eq!(h.gw.repo_statuses().len(), 1);
    // b's own directories, and the directory holding it (which a and b
    // share).
    assert!(h
        .gw
        .watched_dirs()
        .iter()
        .all(|d| d.starts_with(&b) || Some(d.as_path()) == b.parent()));
    assert_eq!(h.gw.watched_dirs().len(), watched_before);
    let c = sb.commit(&b, "b.txt", "b2\n", "in b");
    h.until("the commit in the added repository", |h| h.has_commit(&c))
        .await;
    assert_eq!(h.commits()[0].repo, "b");
}

/// A repository configured at a nested path is deleted and cloned again
/// while watched, over and over, each time followed at once by a commit.
/// Every commit must be stored: each new directory on the way to the
/// repository, and each new `.git` and `logs/`, must be watched and
/// looked into at once (anything created before the watch gave no event),
/// and a directory recreated under the same name must be watched again.
#[tokio::test]
async fn stress_a_nested_repository_deleted_and_cloned_again() {
    let sb = Sandbox::new();
    let src = sb.init("src");
    sb.commit(&src, "a.txt", "a\n", "base");
    let clones = sb.path("clones");
    let proj = clones.join("sub/proj");
    let reclone = {
        let (sb, src, clones, proj) = (sb.clone(), src.clone(), clones.clone(), proj.clone());
        move |i: usize| {
            if clones.exists() {
                std::fs::remove_dir_all(&clones).unwrap();
            }
            sb.git(
                sb.dir.path(),
                &["clone", "-q", src.to_str().unwrap(), proj.to_str().unwrap()],
            );
            sb.git(
                &proj,
                &["commit", "-q", "--allow-empty", "-m", &format!("n{i}")],
            );
            sb.head(&proj)
        }
    };
    let mut h = Harness::start(&sb, &[repo("proj", &proj)], &settings(&[ME]));
    assert!(matches!(h.state("proj"), RepoState::Missing { .. }));
    let cycles = stress_cycles(50);
    for i in 0..cycles {
        let reclone = reclone.clone();
        let hash = h.meanwhile(move || reclone(i)).await;
        h.until_within(STRESS_WAIT, &format!("the commit of cycle {i}"), |h| {
            h.store.commit("proj", &hash).unwrap().is_some()
        })
        .await;
    }
    assert_eq!(h.count(), cycles as u64);
    assert_eq!(h.state("proj"), RepoState::Watching);
}

/// A worktree added while watched and committed in at once: its `logs/`
/// appears right after its directory, so it must be looked for as soon
/// as the directory is watched.
#[tokio::test]
async fn stress_worktrees_added_and_committed_in_at_once() {
    let sb = Sandbox::new();
    let r = sb.init("app");
    sb.commit(&r, "a.txt", "a\n", "base");
    let mut h = Harness::start(&sb, &[repo("app", &r)], &settings(&[ME]));
    let cycles = stress_cycles(20);
    for i in 0..cycles {
        let (sb, r) = (sb.clone(), r.clone());
        let hash = h
            .meanwhile(move || {
                let wt = sb.path(&format!("wt{i}"));
                let branch = format!("b{i}");
                sb.git(
                    &r,
                    &["worktree", "add", "-q", "-b", &branch, wt.to_str().unwrap()],
                );
                sb.git(
                    &wt,
                    &["commit", "-q", "--allow-empty", "-m", &format!("x{i}")],
                );
                sb.head(&wt)
            })
            .await;
        h.until_within(STRESS_WAIT, &format!("the commit in worktree {i}"), |h| {
            h.store.commit("app", &hash).unwrap().is_some()
        })
        .await;
    }
    assert_eq!(h.count(), cycles as u64);
}

/// One step of a developer's day, as the property test below runs it.
#[derive(Debug, Clone)]
enum Step {
    Commit,
    Amend,
    /// `rebase -i` rewording the last `n` commits (when they are all own,
    /// made here, and no merge).
    Reword(usize),
    /// `rebase -i` squashing the last `n` (at least 2) into one.
    Squash(usize),
    /// `rebase -i` stopped at an `edit`, then aborted.
    Abort,
    Reset,
    /// A new branch at HEAD, or back to `main`.
    Checkout(bool),
    /// Upstream gains a commit of another author; `git pull` merges it.
    Pull,
    /// Upstream gains a commit of another author; `git pull --rebase`
    /// makes the branch's own commits again on it.
    PullRebase,
    /// Back to `main`, deleting the branch that was checked out: its
    /// commits were made, so they still count.
    DeleteBranch,
}

fn step() -> impl proptest::strategy::Strategy<Value = Step> {
    use proptest::prelude::*;
    prop_oneof![
        3 => Just(Step::Commit),
        1 => Just(Step::Amend),
        1 => (1usize..=3).prop_map(Step::Reword),
        1 => (2usize..=3).prop_map(Step::Squash),
        1 => Just(Step::Abort),
        1 => Just(Step::Reset),
        1 => any::<bool>().prop_map(Step::Checkout),
        1 => Just(Step::Pull),
        1 => Just(Step::PullRebase),
        1 => Just(Step::DeleteBranch),
    ]
}

/// Runs `steps` on a watched clone and returns (what the report counts,
/// the changes the developer made by finished operations, each once).
fn run_day(steps: &[Step]) -> (u64, u64) {
    let sb = Sandbox::new();
    let upstream = sb.init("upstream");
    sb.git_as(
        &upstream,
        THEM,
        &["commit", "-q", "--allow-empty", "-m", "first"],
    );
    let r = sb.path("clone");
    let (from, to) = (upstream.to_str().unwrap(), r.to_str().unwrap());
    sb.git(sb.dir.path(), &["clone", "-q", from, to]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _guard = runtime.enter();
    let mut h = Harness::start(&sb, &[repo("app", &r)], &settings(&[ME]));
    // The own changes made here, by the hash of their latest version.
    let mut own: std::collections::HashSet<String> = Default::default();
    let mut changes = 0u64;
    let head = |sb: &Sandbox| sb.head(&r);
    let upstream_moves = |i: usize| {
        std::fs::write(upstream.join(format!("u{i}")), "u\n").unwrap();
        sb.git_as(&upstream, THEM, &["add", "-A"]);
        sb.git_as(
            &upstream,
            THEM,
            &["commit", "-q", "-m", &format!("theirs {i}")],
        );
    };
    let last = |sb: &Sandbox, n: usize| -> Vec<String> {
        let log = sb.git(&r, &["log", "--format=%H %P", &format!("-{n}")]);
        log.lines().map(str::to_string).collect()
    };
    // The last `n` commits are own, made here, and no merges.
    let rewritable = |sb: &Sandbox, own: &std::collections::HashSet<String>, n: usize| {
        let lines = last(sb, n + 1);
        lines.len() == n + 1
            && lines[..n].iter().all(|l| {
                let mut f = l.split(' ');
                own.contains(f.next().unwrap()) && f.count() == 1
            })
    };
    for (i, step) in steps.iter().enumerate() {
        match step {
            Step::Commit => {
                sb.commit(
                    &r,
                    &format!("f{i}"),
                    &format!("{i}\n"),
                    &format!("step {i}"),
                );
                own.insert(head(&sb));
                changes += 1;
            }
            Step::Amend => {
                let before = head(&sb);
                std::fs::write(r.join(format!("f{i}")), "amended\n").unwrap();
                sb.git(&r, &["add", "-A"]);
                sb.git(
                    &r,
                    &["commit", "-q", "--amend", "-m", &format!("amend {i}")],
                );
                if !own.remove(&before) {
                    changes += 1;
                }
                own.insert(head(&sb));
            }
            Step::Reword(n) | Step::Squash(n) => {
                if !rewritable(&sb, &own, *n) {
                    continue;
                }
                let before: Vec<String> = last(&sb, *n)
                    .iter()
                    .map(|l| l.split(' ').next().unwrap().to_string())
                    .collect();
                let script = match step {
                    Step::Reword(_) => "sed -i -e s/^pick/reword/".to_string(),
                    _ => "sed -i -e '2,$s/^pick/squash/'".to_string(),
                };
                let sequence = ("GIT_SEQUENCE_EDITOR", script.as_str());
                sb.git_with(
                    &r,
                    ME,
                    &[sequence, REWORD],
                    &["rebase", "-q", "-i", &format!("HEAD~{n}")],
                );
                for b in &before {
                    own.remove(b);
                }
                let after = if matches!(step, Step::Squash(_)) {
                    1
                } else {
                    *n
                };
                for l in last(&sb, after) {
                    own.insert(l.split(' ').next().unwrap().to_string());
                }
                if matches!(step, Step::Squash(_)) {
                    changes -= (*n as u64) - 1;
                }
            }
            Step::Abort => {
                let edit = ("GIT_SEQUENCE_EDITOR", "sed -i -e 1s/^pick/edit/");
                // Its status does not matter: what it left in progress does.
                Command::new("git")
                    .args(["rebase", "-q", "-i", "HEAD~1"])
                    .current_dir(&r)
                    .env("GIT_CONFIG_GLOBAL", sb.path("gitconfig"))
                    .env("GIT_CONFIG_NOSYSTEM", "1")
                    .env("GIT_COMMITTER_EMAIL", ME)
                    .env("GIT_AUTHOR_EMAIL", ME)
                    .env("GIT_EDITOR", "true")
                    .env(edit.0, edit.1)
                    .output()
                    .unwrap();
                // Stopped at the `edit`, or at a pick that came out empty or
                // in conflict (a merge's other side picked again): either
                // way in progress, and given up.
                if r.join(".git/rebase-merge").exists() {
                    sb.git(&r, &["rebase", "--abort"]);
                }
            }
            Step::Reset => {
                if last(&sb, 2).len() == 2 {
                    sb.git(&r, &["reset", "-q", "--hard", "HEAD~1"]);
                }
            }
            Step::Checkout(new) => {
                let to = if *new {
                    format!("b{i}")
                } else {
                    "main".to_string()
                };
                let mut args = vec!["checkout", "-q"];
                if *new {
                    args.push("-b");
                }
                args.push(&to);
                sb.git(&r, &args);
            }
            Step::Pull => {
                upstream_moves(i);
                sb.git(&r, &["fetch", "-q", "origin"]);
                let ff = Command::new("git")
                    .args(["merge-base", "--is-ancestor", "HEAD", "origin/main"])
                    .current_dir(&r)
                    .status()
                    .unwrap()
                    .success();
                sb.git(
                    &r,
                    &[
                        "pull",
                        "-q",
                        "--no-rebase",
                        "--no-edit",
                        "--allow-unrelated-histories",
                        "origin",
                        "main",
                    ],
                );
                if !ff {
                    own.insert(head(&sb));
                    changes += 1;
                }
            }
            Step::PullRebase => {
                upstream_moves(i);
                sb.git(&r, &["fetch", "-q", "origin"]);
                // The branch's own commits are made again on the upstream
                // (merges are left out: their lines are upstream's now);
                // each is the latest version of its change.
                let mine = |sb: &Sandbox| -> Vec<String> {
                    sb.git(&r, &["rev-list", "--no-merges", "origin/main..HEAD"])
                        .lines()
                        .map(str::to_string)
                        .collect()
                };
                for b in mine(&sb) {
                    own.remove(&b);
                }
                sb.git(&r, &["pull", "-q", "--rebase", "origin", "main"]);
                own.extend(mine(&sb));
            }
            Step::DeleteBranch => {
                let branch = sb.git(&r, &["rev-parse", "--abbrev-ref", "HEAD"]);
                if branch != "main" && branch != "HEAD" {
                    sb.git(&r, &["checkout", "-q", "main"]);
                    sb.git(&r, &["branch", "-q", "-D", &branch]);
                }
            }
        }
    }
    // Everything before it in the reflog is read once this is.
    let sentinel = sb.commit(&r, "sentinel", "s\n", "sentinel");
    changes += 1;
    runtime.block_on(h.until("the sentinel", |h| h.has_commit(&sentinel)));
    (report(&h.store).totals.commits, changes)
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::default()
    })]

    /// The report counts exactly the developer's own changes: every commit
    /// of a finished operation, minus the versions a later amend, rebase or
    /// squash replaced, each once; dropped commits still count, an aborted
    /// rebase adds nothing.
    #[test]
    fn the_report_counts_each_own_change_once(steps in proptest::collection::vec(step(), 1..10)) {
        let (counted, made) = run_day(&steps);
        proptest::prop_assert_eq!(counted, made, "{:?}", steps);
    }
}

/// The note `status` shows for `name`.
fn note(h: &Harness, name: &str) -> Option<String> {
    h.gw.repo_statuses()
        .into_iter()
        .find(|s| s.name == name)
        .unwrap()
        .note
}

#[tokio::test]
async fn a_repository_without_a_reflog_is_recorded_from_its_refs() {
    let sb = Sandbox::new();
    let upstream = sb.init("upstream");
    sb.commit(&upstream, "a.txt", "a\n", "first");
    let r = sb.path("app");
    let (from, to) = (upstream.to_str().unwrap(), r.to_str().unwrap());
    sb.git(sb.dir.path(), &["clone", "-q", from, to]);
    sb.git(&r, &["config", "core.logAllRefUpdates", "false"]);
    std::fs::remove_dir_all(r.join(".git/logs")).unwrap();
    let mut h = Harness::start(&sb, &[repo("app", &r)], &settings(&[ME]));
    assert_eq!(h.state("app"), RepoState::Watching);
    let said = note(&h, "app").expect("a note in status");
    assert!(said.contains("without a reflog"), "{said}");
    assert!(
        h.events.is_empty(),
        "history before devtrack is not imported"
    );

    // A fast-forward pull of someone else's work: activity, not stored.
    sb.git_as(
        &upstream,
        THEM,
        &["commit", "-q", "--allow-empty", "-m", "theirs"],
    );
    let theirs = sb.head(&upstream);
    sb.git(&r, &["pull", "-q", "--ff-only"]);
    h.until("the pull", |h| h.activity(Operation::Pull) == 1)
        .await;
    assert!(h.store.commit("app", &theirs).unwrap().is_none());

    // A commit, then its amend.
    let c1 = sb.commit(&r, "a.txt", "a\none\n", "one");
    h.until("the commit", |h| h.has_commit(&c1)).await;
    let c = h.store.commit("app", &c1).unwrap().unwrap();
    assert_eq!((c.kind, c.own), (CommitKind::Commit, Some(true)));
    assert_eq!(c.branch.as_deref(), Some("main"));
    assert!(h.commits().iter().any(|c| c.hash == c1 && c.trigger));
    std::fs::write(r.join("a.txt"), "a\none\ntwo\n").unwrap();
    sb.git(&r, &["commit", "-q", "-a", "--amend", "-m", "one amended"]);
    let c2 = sb.head(&r);
    h.until("the amend", |h| h.has_commit(&c2)).await;
    let c = h.store.commit("app", &c2).unwrap().unwrap();
    assert_eq!(c.kind, CommitKind::Amend);
    assert_eq!(c.amends.as_deref(), Some(c1.as_str()));

    // A new branch and a commit on it.
    sb.git(&r, &["checkout", "-q", "-b", "feature/x"]);
    let c3 = sb.commit(&r, "f.txt", "f\n", "feature work");
    h.until("the feature commit", |h| h.has_commit(&c3)).await;
    let c = h.store.commit("app", &c3).unwrap().unwrap();
    assert_eq!(c.branch.as_deref(), Some("feature/x"));

    // main moves on; the feature is rebased onto it.
    sb.git(&r, &["checkout", "-q", "main"]);
    let m = sb.commit(&r, "m.txt", "m\n", "main moves on");
    h.until("main's commit", |h| h.has_commit(&m)).await;
    sb.git(&r, &["checkout", "-q", "feature/x"]);
    sb.git(&r, &["rebase", "-q", "main"]);
    h.until("the rebase", |h| rebases(h).len() == 1).await;
    let rebased = sb.head(&r);
    assert!(h.store.commit("app", &rebased).unwrap().is_some());
    assert!(!r.join(".git/logs/HEAD").exists(), "still no reflog");

    // Each own change counted once: the amended commit, main's, the
    // rebased feature commit.
    let rep = report(&h.store);
    assert_eq!(rep.totals.commits, 3);
    assert_eq!(rep.totals.insertions, 4);

    // The reflog switched back on: read from it again, nothing twice.
    sb.git(&r, &["config", "core.logAllRefUpdates", "true"]);
    let c4 = sb.commit(&r, "g.txt", "g\n", "with a reflog again");
    h.until("the commit with a reflog", |h| h.has_commit(&c4))
        .await;
    assert!(r.join(".git/logs/HEAD").exists());
    assert_eq!(note(&h, "app"), None);
    let mut hashes: Vec<&str> = h.commits().iter().map(|c| c.hash.as_str()).collect();
    let announced = hashes.len();
    hashes.sort();
    hashes.dedup();
    assert_eq!(hashes.len(), announced, "nothing announced twice");
    assert_eq!(report(&h.store).totals.commits, 4);
}

#[tokio::test]
async fn the_first_watch_without_a_reflog_records_the_days_own_commits() {
    let sb = Sandbox::new();
    let r = sb.init("app");
    sb.git(&r, &["config", "core.logAllRefUpdates", "false"]);
    let alpha = commit_days_ago(&sb, &r, 3, "init alpha");
    sb.git_as(
        &r,
        THEM,
        &["commit", "-q", "--allow-empty", "-m", "theirs today"],
    );
    let beta = sb.commit(&r, "b.txt", "b\n", "beta today");
    assert!(!r.join(".git/logs/HEAD").exists());
    let h = Harness::first_watch(&sb, &[repo("app", &r)], &settings(&[ME]));
    assert!(note(&h, "app").is_some());
    assert_eq!(h.store.found_at_start("app").unwrap(), [beta]);
    assert!(h.store.commit("app", &alpha).unwrap().is_none());
    assert!(h.events.is_empty(), "found at start: no event, no prompt");
    drop(h);
    let store = Store::open(&sb.path("store/devtrack.db")).unwrap();
    let h = Harness::with_store(store, &[repo("app", &r)], &settings(&[ME]));
    assert!(h.events.is_empty());
    assert_eq!(h.count(), 1);
}

#[tokio::test]
async fn a_new_repository_without_a_reflog_and_its_worktree_are_recorded() {
    let sb = Sandbox::new();
    let r = sb.init("app");
    sb.git(&r, &["config", "core.logAllRefUpdates", "false"]);
    let mut h = Harness::first_watch(&sb, &[repo("app", &r)], &settings(&[ME]));
    assert!(
        note(&h, "app").is_some(),
        "no commit yet, and none will log"
    );
    let c1 = sb.commit(&r, "a.txt", "a\n", "first");
    h.until("the first commit", |h| h.has_commit(&c1)).await;
    assert!(h.commits().iter().any(|c| c.hash == c1 && c.trigger));
    assert!(h.store.found_at_start("app").unwrap().is_empty());

    let wt = sb.path("wt");
    sb.git(
        &r,
        &["worktree", "add", "-q", "-b", "side", wt.to_str().unwrap()],
    );
    let c2 = sb.commit(&wt, "b.txt", "b\n", "in the worktree");
    h.until("the worktree's commit", |h| h.has_commit(&c2))
        .await;
    let c = h
        .commits()
        .into_iter()
        .find(|c| c.hash == c2)
        .unwrap()
        .clone();
    assert_eq!(c.worktree.as_deref(), Some("wt"));
    assert_eq!(c.branch.as_deref(), Some("side"));
    assert!(!r.join(".git/logs/HEAD").exists());
    assert_eq!(h.count(), 2);
}

#[tokio::test]
async fn without_a_reflog_a_pull_keeps_other_authors_only_under_all() {
    let sb = Sandbox::new();
    let (upstream, own, all) = upstream_and_two_clones(&sb);
    for p in [&own, &all] {
        sb.git(p, &["config", "core.logAllRefUpdates", "false"]);
        std::fs::remove_dir_all(p.join(".git/logs")).unwrap();
    }
    let mut h = Harness::start(&sb, &[repo("own", &own), all_cfg(&all)], &settings(&[ME]));

    std::fs::write(upstream.join("u.txt"), "1\n2\n").unwrap();
    sb.git_as(&upstream, THEM, &["add", "-A"]);
    sb.git_as(&upstream, THEM, &["commit", "-q", "-m", "their work"]);
    let theirs = sb.head(&upstream);
    for r in [&own, &all] {
        sb.git(r, &["pull", "-q", "--ff-only"]);
    }
    h.until("both pulls", |h| h.activity(Operation::Pull) == 2)
        .await;
    assert!(h.store.commit("own", &theirs).unwrap().is_none());
    let t = h
        .store
        .commit("all", &theirs)
        .unwrap()
        .expect("their commit");
    assert_eq!(t.own, Some(false));
    assert!(h.commits().is_empty(), "a pull announces no commit");

    // A pull that merges: its merge commit is own work.
    sb.git_as(
        &upstream,
        THEM,
        &["commit", "-q", "--allow-empty", "-m", "more"],
    );
    sb.commit(&own, "mine.txt", "m\n", "my work");
    sb.git(&own, &["pull", "-q", "--no-rebase", "--no-edit"]);
    let merge = sb.head(&own);
    h.until("the merge", |h| h.has_commit(&merge)).await;
    let m = h.store.commit("own", &merge).unwrap().unwrap();
    assert_eq!((m.kind, m.own), (CommitKind::Merge, Some(true)));
    assert_eq!(report(&h.store).totals.commits, 2, "my work and the merge");
}
