//! Which forge repository a local repository's commits belong to, from its
//! git remote's URL: a GitHub `#123` is an issue of that repository, and a
//! commit gets a link when the ticket lives on the same forge.

use std::path::Path;

use crate::config::Config;

/// The forge a remote points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Forge {
    /// `HOST/OWNER/REPO`: github.com or a GitHub Enterprise Server.
    Github,
    /// `dev.azure.com/ORG/PROJECT/_git/REPO` (HTTPS or SSH).
    Azure,
}

/// A parsed remote URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Remote {
    pub forge: Forge,
    pub host: String,
    /// GitHub: `owner/repo`; Azure: `org/project/_git/repo`.
    pub path: String,
}

impl Remote {
    /// The web page of a commit.
    pub(crate) fn commit_url(&self, hash: &str) -> String {
        format!("https://{}/{}/commit/{hash}", self.host, self.path)
    }

    /// GitHub's API base for this remote's host.
    pub(crate) fn github_api(&self) -> String {
        if self.host == "github.com" {
            "https://api.github.com".to_owned()
        } else {
            format!("https://{}/api/v3", self.host)
        }
    }
}

/// Parses `https://host/owner/repo(.git)`, `ssh://git@host[:port]/owner/repo`,
/// `git@host:owner/repo(.git)` and the Azure DevOps forms. `None` for
/// anything else (a local path, a path of another depth).
pub(crate) fn parse(url: &str) -> Option<Remote> {
    let url = url.trim();
    let (host, path) = if let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .or_else(|| url.strip_prefix("ssh://"))
        .or_else(|| url.strip_prefix("git://"))
    {
        let (authority, path) = rest.split_once('/')?;
        let host = authority.rsplit('@').next()?;
        (host.split(':').next()?, path)
    } else {
        // scp-like `user@host:path`; a bare path has no `:` before a `/`.
        let (authority, path) = url.split_once(':')?;
        if authority.contains('/') || path.starts_with("//") {
            return None;
        }
        (authority.rsplit('@').next()?, path)
    };
    let host = host.to_ascii_lowercase();
    let path = path.trim_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    let segments: Vec<&str> = path.split('/').collect();
    if host.is_empty() || segments.iter().any(|s| s.is_empty()) {
        return None;
    }
    let azure = |org: &str, project: &str, repo: &str| Remote {
        forge: Forge::Azure,
        host: "dev.azure.com".to_owned(),
        path: format!("{org}/{project}/_git/{repo}"),
    };
    match (host.as_str(), segments.as_slice()) {
        ("dev.azure.com", [org, project, "_git", repo]) => Some(azure(org, project, repo)),
        ("ssh.dev.azure.com", ["v3", org, project, repo]) => Some(azure(org, project, repo)),
        (_, [owner, repo]) if !host.ends_with("azure.com") => Some(Remote {
            forge: Forge::Github,
            host,
            path: format!("{owner}/{repo}"),
        }),
        _ => None,
    }
}

/// The remote `name` of the work tree at `path`, parsed.
fn read(path: &Path, name: &str) -> Option<Remote> {
    let repo = git2::Repository::open(path).ok()?;
    let remote = repo.find_remote(name).ok()?;
    parse(remote.url().ok()?)
}

/// What the planner knows about a local repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RepoFacts {
    /// `false`: updates about its commits stay local.
    pub sync: bool,
    /// Its GitHub (or Azure) remote, when it has one.
    pub remote: Option<Remote>,
}

/// Where [`RepoFacts`] come from (git, or a table in tests).
pub(crate) trait Repos {
    fn facts(&self, name: &str) -> RepoFacts;
}

/// No repository known: every one syncs and has no remote.
pub(crate) struct NoRepos;

impl Repos for NoRepos {
    fn facts(&self, _name: &str) -> RepoFacts {
        RepoFacts {
            sync: true,
            remote: None,
        }
    }
}

/// What the planner needs to know about the configured repositories:
/// `sync: false`, and their remotes, read from git on demand.
pub(crate) struct ConfigRepos<'a> {
    pub config: &'a Config,
}

impl ConfigRepos<'_> {
    /// The work tree of repository `name` and its `sync`: a listed one, or
    /// one found in a `discover` folder (named by its path below the
    /// folder, `<folder>/<path>` when that was taken, the folder's name
    /// for the folder itself).
    fn locate(&self, name: &str) -> Option<(std::path::PathBuf, bool)> {
        if let Some(r) = self.config.repositories.iter().find(|r| r.name == name) {
            return Some((r.path.clone(), r.sync));
        }
        self.config.folders.iter().find_map(|f| {
            let path = if name == f.name {
                f.path.clone()
            } else {
                let rel = name.strip_prefix(&format!("{}/", f.name)).unwrap_or(name);
                f.path.join(rel)
            };
            path.join(".git").exists().then_some((path, f.sync))
        })
    }
}

impl Repos for ConfigRepos<'_> {
    fn facts(&self, name: &str) -> RepoFacts {
        let remote_name = self
            .config
            .integrations
            .github
            .remote
            .as_deref()
            .unwrap_or("origin");
        match self.locate(name) {
            Some((path, sync)) => RepoFacts {
                sync,
                remote: read(&path, remote_name),
            },
            None => RepoFacts {
                sync: true,
                remote: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remotes() {
        let gh = |host: &str, path: &str| {
            Some(Remote {
                forge: Forge::Github,
                host: host.to_owned(),
                path: path.to_owned(),
            })
        };
        let az = Some(Remote {
            forge: Forge::Azure,
            host: "dev.azure.com".to_owned(),
            path: "org/Proj/_git/web".to_owned(),
        });
        let cases: &[(&str, Option<Remote>)] = &[
            (
                "https://github.com/owner/repo.git",
                gh("github.com", "owner/repo"),
            ),
            (
                "https://github.com/owner/repo",
                gh("github.com", "owner/repo"),
            ),
            (
                "git@github.com:owner/repo.git",
                gh("github.com", "owner/repo"),
            ),
            (
                "ssh://git@GitHub.com:22/owner/repo",
                gh("github.com", "owner/repo"),
            ),
            (
                "https://user@ghe.corp.example/team/api/",
                gh("ghe.corp.example", "team/api"),
            ),
            ("https://dev.azure.com/org/Proj/_git/web", az.clone()),
            ("git@ssh.dev.azure.com:v3/org/Proj/web", az),
            ("https://gitlab.com/group/sub/repo.git", None),
            ("/srv/git/repo.git", None),
            ("../repo", None),
            ("https://github.com/owner", None),
        ];
        for (url, want) in cases {
            assert_eq!(&parse(url), want, "{url}");
        }
    }

    #[test]
    fn repositories_are_found_listed_or_below_a_folder() {
        use super::Repos;
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        for dir in ["listed", "src/nested/tool", "src"] {
            let repo = git2::Repository::init(root.join(dir)).unwrap();
            repo.remote(
                "origin",
                &format!("git@github.com:o/{}.git", dir.replace('/', "-")),
            )
            .unwrap();
        }
        let text = format!(
            "repositories:\n  - {{name: mine, path: '{0}/listed', sync: false}}\n  - {{path: '{0}/src', discover: true}}\n",
            root.display()
        );
        let config = crate::config::parse(&text, &root.join("c.yaml")).unwrap();
        let repos = ConfigRepos { config: &config };
        let facts = |name: &str| {
            let f = repos.facts(name);
            (f.sync, f.remote.map(|r| r.path))
        };
        assert_eq!(facts("mine"), (false, Some("o/listed".to_owned())));
        assert_eq!(
            facts("nested/tool"),
            (true, Some("o/src-nested-tool".to_owned()))
        );
        assert_eq!(
            facts("src/nested/tool"),
            (true, Some("o/src-nested-tool".to_owned()))
        );
        assert_eq!(facts("src"), (true, Some("o/src".to_owned())));
        assert_eq!(facts("gone"), (true, None));
    }

    #[test]
    fn api_bases_and_links() {
        let r = parse("git@github.com:o/r.git").unwrap();
        assert_eq!(r.github_api(), "https://api.github.com");
        assert_eq!(r.commit_url("abc"), "https://github.com/o/r/commit/abc");
        let r = parse("https://ghe.example/o/r").unwrap();
        assert_eq!(r.github_api(), "https://ghe.example/api/v3");
        let r = parse("https://dev.azure.com/a/b/_git/c").unwrap();
        assert_eq!(
            r.commit_url("abc"),
            "https://dev.azure.com/a/b/_git/c/commit/abc"
        );
    }
}
