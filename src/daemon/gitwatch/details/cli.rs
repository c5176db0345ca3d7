//! What libgit2 cannot read, through the `git` command: the objects of a
//! SHA-256 repository (libgit2 without its experimental SHA-256 support
//! refuses to open one: "unknown object format"). Debian's git reads
//! them. One process per question, so only such repositories take this
//! path; every answer is parsed by a plain function with a table test.

use std::path::Path;
use std::process::Command;

use chrono::{DateTime, FixedOffset};

use super::CommitDetails;

/// Whether libgit2's error (as [`super::RepoReader`] keeps it) means the
/// repository's object format is one it does not read.
pub(crate) fn unreadable_format(error: &str) -> bool {
    error.contains("object format")
}

/// What a SHA-256 repository's commits lose, said once when it is watched.
pub(crate) const MISSING: &str =
    "rebased commits are linked to their originals by author and author date only (no patch ids)";

/// The branch a `HEAD` file's text names; `None` when detached.
pub(crate) fn branch_of_head(text: &str) -> Option<String> {
    text.trim()
        .strip_prefix("ref: refs/heads/")
        .map(str::to_string)
}

/// Whether a repository's `config` text sets `extensions.objectFormat`
/// to `sha256` (section and key names are case-insensitive).
pub(crate) fn sha256_config(text: &str) -> bool {
    let mut in_extensions = false;
    for line in text.lines() {
        let line = line.trim();
        if let Some(section) = line.strip_prefix('[') {
            let name = section.trim_end_matches(']').trim();
            in_extensions = name.eq_ignore_ascii_case("extensions");
            continue;
        }
        if !in_extensions {
            continue;
        }
        if let Some((key, value)) = line.split_once('=') {
            if key.trim().eq_ignore_ascii_case("objectformat")
                && value
                    .trim()
                    .trim_matches('"')
                    .eq_ignore_ascii_case("sha256")
            {
                return true;
            }
        }
    }
    false
}

fn git(gitdir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("--git-dir")
        .arg(gitdir)
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `git show -s` with [`FORMAT`]: subject, author name, e-mail, Unix time,
/// the author date's offset, parents.
const FORMAT: &str = "--format=%s%x00%an%x00%ae%x00%at%x00%ai%x00%P";

/// Parses [`FORMAT`]'s output: the details without line counts, and the
/// parents.
pub(crate) fn parse_show(text: &str) -> Option<(CommitDetails, Vec<String>)> {
    let mut f = text.trim_end_matches('\n').split('\0');
    let summary = f.next()?.to_string();
    let author_name = f.next()?.to_string();
    let author_email = f.next()?.to_string();
    let secs: i64 = f.next()?.parse().ok()?;
    let offset = f.next()?.rsplit(' ').next()?;
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let hh: i32 = offset.get(1..3)?.parse().ok()?;
    let mm: i32 = offset.get(3..5)?.parse().ok()?;
    let tz = FixedOffset::east_opt(sign * (hh * 3600 + mm * 60))?;
    let time = DateTime::from_timestamp(secs, 0)?.with_timezone(&tz);
    let parents: Vec<String> = f.next()?.split_whitespace().map(str::to_string).collect();
    let details = CommitDetails {
        summary: Some(summary),
        author_name,
        author_email,
        time,
        first_parent: parents.first().cloned(),
        files_changed: 0,
        insertions: 0,
        deletions: 0,
    };
    Some((details, parents))
}

/// Sums `git diff-tree --numstat`: files, insertions, deletions (a binary
/// file counts as a file with no lines).
pub(crate) fn parse_numstat(text: &str) -> (u32, u32, u32) {
    let mut sum = (0, 0, 0);
    for line in text.lines() {
        let mut f = line.split('\t');
        let (Some(ins), Some(del), Some(_)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        sum.0 += 1;
        sum.1 += ins.parse::<u32>().unwrap_or(0);
        sum.2 += del.parse::<u32>().unwrap_or(0);
    }
    sum
}

/// Details of `hash`, with line counts against its first parent.
pub(crate) fn details(gitdir: &Path, hash: &str) -> Result<CommitDetails, String> {
    let text = git(gitdir, &["show", "-s", FORMAT, hash])
        .ok_or_else(|| format!("`git show {hash}` failed"))?;
    let (mut d, parents) =
        parse_show(&text).ok_or_else(|| format!("`git show {hash}`: unexpected output"))?;
    let mut args = vec!["diff-tree", "-r", "--numstat", "--no-renames"];
    match parents.first() {
        Some(p) => args.push(p),
        None => args.push("--root"),
    }
    args.push(hash);
    let numstat = git(gitdir, &args).ok_or_else(|| format!("`git diff-tree {hash}` failed"))?;
    (d.files_changed, d.insertions, d.deletions) = parse_numstat(&numstat);
    Ok(d)
}

pub(crate) fn parents(gitdir: &Path, hash: &str) -> Vec<String> {
    git(gitdir, &["show", "-s", "--format=%P", hash])
        .map(|t| t.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}

pub(crate) fn user_email(gitdir: &Path) -> Option<String> {
    git(gitdir, &["config", "user.email"]).map(|t| t.trim().to_string())
}

pub(crate) fn reachable(gitdir: &Path, hash: &str, tip: &str) -> bool {
    git(gitdir, &["merge-base", "--is-ancestor", hash, tip]).is_some()
}

/// `git rev-list --reverse new ^old`, at most `limit`, and the count.
pub(crate) fn gained(gitdir: &Path, old: &str, new: &str, limit: usize) -> (Vec<String>, usize) {
    let not_old = format!("^{old}");
    let Some(text) = git(
        gitdir,
        &["rev-list", "--topo-order", "--reverse", new, &not_old],
    ) else {
        return (Vec::new(), 0);
    };
    let all: Vec<&str> = text.split_whitespace().collect();
    let total = all.len();
    (
        all.into_iter().take(limit).map(str::to_string).collect(),
        total,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_output() {
        let text = [
            "Fix it",
            "Ada",
            "ada@x",
            "1700000000",
            "2023-11-14 23:13:20 +0130",
            "aa bb\n",
        ]
        .join("\0");
        let text = text.as_str();
        let (d, parents) = parse_show(text).unwrap();
        assert_eq!(d.summary.as_deref(), Some("Fix it"));
        assert_eq!(
            (d.author_name.as_str(), d.author_email.as_str()),
            ("Ada", "ada@x")
        );
        assert_eq!(d.time.timestamp(), 1_700_000_000);
        assert_eq!(d.time.offset().local_minus_utc(), 5400);
        assert_eq!(parents, ["aa", "bb"]);
        assert_eq!(d.first_parent.as_deref(), Some("aa"));
        let root = ["first", "A", "a@x", "1", "1970-01-01 00:00:01 -0200", "\n"].join("\0");
        let root = root.as_str();
        let (d, parents) = parse_show(root).unwrap();
        assert!(parents.is_empty());
        assert_eq!(d.time.offset().local_minus_utc(), -7200);
        assert!(parse_show("garbage").is_none());
    }

    #[test]
    fn numstat_output() {
        let table = [
            ("", (0, 0, 0)),
            ("3\t1\ta.txt\n", (1, 3, 1)),
            ("3\t1\ta.txt\n-\t-\timg.png\n10\t0\tb/c.rs\n", (3, 13, 1)),
        ];
        for (text, want) in table {
            assert_eq!(parse_numstat(text), want, "{text:?}");
        }
    }

    #[test]
    fn object_format_in_the_config() {
        let table = [
            (
                "[core]\n\trepositoryformatversion = 1\n[extensions]\n\tobjectformat = sha256\n",
                true,
            ),
            ("[Extensions]\n\tobjectFormat = SHA256\n", true),
            ("[extensions]\n\tobjectformat = sha1\n", false),
            ("[core]\n\tobjectformat = sha256\n", false),
            ("", false),
        ];
        for (text, want) in table {
            assert_eq!(sha256_config(text), want, "{text:?}");
        }
    }

    #[test]
    fn format_errors() {
        assert!(unreadable_format(
            "opening `/r/.git`: unknown object format 'sha256'"
        ));
        assert!(!unreadable_format(
            "opening `/r/.git`: could not find repository"
        ));
    }
}
