//! A watched repository misbehaving under the running daemon: deleted and
//! cloned again, moved away and back, made unreadable, its reflog
//! truncated, replaced or rewritten by expire and gc. Each time the status
//! and the log say so, and afterwards every commit the reflog still holds
//! is stored once.

use std::os::unix::fs::PermissionsExt;

use super::{figure, is_root, Fixture};
use crate::util::{git, skip};

/// Deleted, then cloned again at the same path: missing in the status
/// and the log while gone, watched again after the clone, and the commits
/// made before and after are all stored.
#[test]
fn deleted_then_cloned_again() {
    let f = Fixture::new(&["app"], "");
    let repo = f.repo("app");
    let before = f.commit_seen(&repo, "before the delete");
    let src = f.env.cwd.join("upstream");
    git(
        &f.env.cwd,
        &["clone", "-q", repo.to_str().unwrap(), src.to_str().unwrap()],
    );

    std::fs::remove_dir_all(&repo).unwrap();
    f.wait_repo_state("app", "missing");
    let now = f.repo_status("app");
    assert_eq!(now["state"], "missing");
    assert!(
        now["reason"].as_str().is_some_and(|r| !r.is_empty()),
        "{now}"
    );

    git(
        &f.env.cwd,
        &["clone", "-q", src.to_str().unwrap(), repo.to_str().unwrap()],
    );
    f.wait_repo_state("app", "watching");
    let after = f.commit_seen(&repo, "after the clone");
    let stored = f.stored("app");
    assert!(
        stored.contains(&before) && stored.contains(&after),
        "{stored:?}"
    );
    let n = f.finish(
        "app",
        &[
            "repository `app` is now missing",
            "repository `app` is now watching",
        ],
    );
    figure(
        "faults::repo::deleted_then_cloned_again",
        "watched repository deleted then recreated by git clone",
        format!("{} commits", stored.len()),
        &format!("status missing then watching; {n} of {n} reflog commits stored; 0 lost"),
    );
}

/// Moved away (and committed to while away), then moved back: the commit
/// made while it was away is in its reflog and is stored once it is back.
#[test]
fn moved_away_and_back() {
    let f = Fixture::new(&["lib"], "");
    let repo = f.repo("lib");
    f.commit_seen(&repo, "before the move");
    let away = f.env.cwd.join("lib.away");
    std::fs::rename(&repo, &away).unwrap();
    f.wait_repo_state("lib", "missing");
    assert_eq!(f.repo_status("lib")["state"], "missing");
    let while_away = f.commit(&away, "made while moved away");

    std::fs::rename(&away, &repo).unwrap();
    f.wait_repo_state("lib", "watching");
    f.wait_commit(&while_away);
    let after = f.commit_seen(&repo, "after the move back");
    let stored = f.stored("lib");
    assert!(stored.contains(&while_away) && stored.contains(&after));
    let n = f.finish("lib", &["repository `lib` is now missing"]);
    figure(
        "faults::repo::moved_away_and_back",
        "watched repository moved away; committed to there; moved back",
        format!("{n} commits"),
        "status missing then watching; the commit made while away stored; 0 lost",
    );
}

/// The reflog truncated, replaced by another file, and rewritten by
/// `git reflog expire --expire=now --all && git gc --prune=now`: each time
/// the next commit is stored, nothing twice.
#[test]
fn reflog_truncated_replaced_and_expired() {
    let f = Fixture::new(&["svc"], "");
    let repo = f.repo("svc");
    let log_path = repo.join(".git/logs/HEAD");
    let mut made = vec![f.commit_seen(&repo, "one")];

    std::fs::write(&log_path, "").unwrap();
    made.push(f.commit_seen(&repo, "after the truncation"));

    // Replaced: a new file (new inode) renamed over it, holding only the
    // last line of the old one.
    let text = std::fs::read_to_string(&log_path).unwrap();
    let tmp = repo.join(".git/logs/HEAD.new");
    std::fs::write(&tmp, text.lines().last().unwrap().to_string() + "\n").unwrap();
    std::fs::rename(&tmp, &log_path).unwrap();
    made.push(f.commit_seen(&repo, "after the replacement"));

    git(&repo, &["reflog", "expire", "--expire=now", "--all"]);
    git(&repo, &["gc", "-q", "--prune=now"]);
    made.push(f.commit_seen(&repo, "after expire and gc"));
    made.push(f.commit_seen(&repo, "and one more"));

    let stored = f.stored("svc");
    for h in &made {
        assert!(stored.contains(h), "{h} not stored: {stored:?}");
    }
    assert_eq!(f.repo_status("svc")["state"], "watching");
    let n = f.finish("svc", &["was rewritten; reading it again"]);
    figure(
        "faults::repo::reflog_truncated_replaced_and_expired",
        "reflog truncated; replaced by rename; reflog expire --all + gc --prune=now",
        format!("{} commits", made.len()),
        &format!(
            "{} of {} stored once; {n} still in the reflog; 0 lost; 0 duplicates",
            made.len(),
            made.len()
        ),
    );
}

/// `chmod 000` on the working tree, the git directory and the reflog, in
/// turn, with the daemon
/// running as an unprivileged user (root would read through it): an
/// error in the status and the log, and watched again once the mode is
/// restored, with the commit made right after stored.
#[test]
fn made_unreadable() {
    const TEST: &str = "faults::repo::made_unreadable";
    if !is_root() {
        return skip(TEST, "needs root to run the daemon as an unprivileged user");
    }
    let f = Fixture::unprivileged(&["web"], "");
    let repo = f.repo("web");
    let before = f.commit_seen(&repo, "before chmod");
    let gitdir = repo.join(".git");
    let reflog = gitdir.join("logs/HEAD");
    let mut reasons = Vec::new();
    for target in [&repo, &gitdir, &reflog] {
        let mode = std::fs::metadata(target).unwrap().permissions().mode();
        std::fs::set_permissions(target, std::fs::Permissions::from_mode(0o000)).unwrap();
        let ev = f.wait_repo_state("web", "error");
        let reason = ev["repo"]["reason"].as_str().unwrap().to_string();
        assert!(reason.contains("ermission denied"), "{reason}");
        assert_eq!(f.repo_status("web")["state"], "error");
        std::fs::set_permissions(target, std::fs::Permissions::from_mode(mode)).unwrap();
        f.wait_repo_state("web", "watching");
        reasons.push(reason);
    }
    let after = f.commit_seen(&repo, "after chmod");
    let stored = f.stored("web");
    assert!(stored.contains(&before) && stored.contains(&after));
    let n = f.finish("web", &["repository `web` is now error"]);
    figure(
        TEST,
        "chmod 000 on the working tree then .git then .git/logs/HEAD (daemon as uid 65534)",
        "3 faults",
        &format!(
            "status error (permission denied) then watching each time; {n} commits stored; 0 lost"
        ),
    );
}
