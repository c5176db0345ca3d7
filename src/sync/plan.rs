//! Which tickets one work update is posted to, and whether each row may go
//! or waits (held) and why. One row per (update, integration, ticket):
//! the tickets in the update's text (for enabled integrations, by
//! `crate::tickets`' exact rules) and those of the own commits it covers
//! (a commit's message names its tickets; its branch's only when the
//! message names none). A GitHub `#123` is resolved to one repository here,
//! so a row names it for good (`owner/repo#123`).

use std::collections::BTreeSet;

use super::remote::{Forge, NoRepos, Remote, RepoFacts, Repos};
use crate::config::{Integrations, JiraApi};
use crate::tickets::{self, Families, Family};

/// Everything from the config the planner reads.
#[derive(Clone, Copy)]
pub struct Rules<'a> {
    pub(crate) families: Families,
    pub(crate) auto_sync: bool,
    pub(crate) integrations: &'a Integrations,
    pub(crate) repos: &'a dyn Repos,
}

static NO_INTEGRATIONS: std::sync::LazyLock<Integrations> =
    std::sync::LazyLock::new(Integrations::default);

impl<'a> Rules<'a> {
    /// The config's rules, with the repositories' facts from `repos`.
    pub(crate) fn new(config: &'a crate::config::Config, repos: &'a dyn Repos) -> Rules<'a> {
        Rules {
            families: Families::enabled(&config.integrations),
            auto_sync: config.settings.auto_sync,
            integrations: &config.integrations,
            repos,
        }
    }
}

impl From<Families> for Rules<'static> {
    /// Tickets of `families` count; nothing is configured beyond that (the
    /// rows of GitHub `#123` wait for a repository, Jira's and Azure's for
    /// their settings).
    fn from(families: Families) -> Rules<'static> {
        Rules {
            families,
            auto_sync: false,
            integrations: &NO_INTEGRATIONS,
            repos: &NoRepos,
        }
    }
}

/// A commit the update covers, as the planner needs it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Covered<'a> {
    pub repo: &'a str,
    pub summary: Option<&'a str>,
    pub branch: Option<&'a str>,
}

/// Why a row is held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Hold {
    /// The integration lacks a setting (the line says which).
    Configuration(String),
    /// A GitHub `#123` that no single repository owns.
    Repository,
    /// The integration has never been pushed by hand.
    FirstPush,
    /// `settings.auto_sync: false`.
    AutoSyncOff,
}

impl Hold {
    /// The reason as stored and shown.
    pub(crate) fn reason(&self, family: Family) -> String {
        match self {
            Hold::Configuration(missing) => format!("waiting for configuration: {missing}"),
            Hold::Repository => {
                "needs a repository: no single GitHub repository owns it; write owner/repo#123"
                    .to_owned()
            }
            Hold::FirstPush => format!(
                "ready for {}: check `devtrack sync preview`, then `devtrack sync push`",
                family.as_str()
            ),
            Hold::AutoSyncOff => "auto_sync is off: held until `devtrack sync push`".to_owned(),
        }
    }
}

/// One outbox row to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub family: Family,
    /// `owner/repo#123` (or `#123` while it needs a repository), `ABC-7`,
    /// `AB#123`.
    pub ticket: String,
    /// GitHub: the API base of the ticket's repository.
    pub endpoint: Option<String>,
    pub hold: Option<Hold>,
}

/// What an enabled integration lacks before anything can be sent, as
/// "jira: no url; set integrations.jira.url".
pub(crate) fn missing(family: Family, integrations: &Integrations) -> Option<String> {
    let need = |key: &str| {
        let name = family.as_str();
        Some(format!("{name}: no {key}; set integrations.{name}.{key}"))
    };
    match family {
        Family::Github => None,
        Family::Jira => {
            let jira = &integrations.jira;
            if jira.url.is_none() {
                need("url")
            } else if jira.api == JiraApi::Cloud && jira.email.is_none() {
                need("email")
            } else {
                None
            }
        }
        Family::AzureDevops => {
            let azure = &integrations.azure_devops;
            if azure.url.is_none() && azure.organization.is_none() {
                need("organization")
            } else if azure.project.is_none() {
                need("project")
            } else {
                None
            }
        }
    }
}

/// A GitHub ticket key (`#123` or `owner/repo#123`) resolved against the
/// remotes of the repositories it may belong to: `(ticket, API base)`, or
/// `None` when no single repository owns it.
fn resolve_github(
    key: &str,
    remotes: &BTreeSet<(String, String)>,
    integrations: &Integrations,
) -> Option<(String, String)> {
    let github = &integrations.github;
    let api_for = |host_api: Option<&String>| {
        github
            .api_url
            .clone()
            .or_else(|| host_api.cloned())
            .unwrap_or_else(|| "https://api.github.com".to_owned())
    };
    if let Some(number) = key.strip_prefix('#') {
        if remotes.len() == 1 {
            let (api, path) = remotes.iter().next()?;
            return Some((format!("{path}#{number}"), api_for(Some(api))));
        }
        let (owner, repo) = (github.owner.as_ref()?, github.repo.as_ref()?);
        return Some((format!("{owner}/{repo}#{number}"), api_for(None)));
    }
    // `owner/repo#123`: the host of the covered commits' remote when they
    // all agree on one, else github.com.
    let hosts: BTreeSet<&String> = remotes.iter().map(|(api, _)| api).collect();
    let host = if hosts.len() == 1 {
        hosts.into_iter().next()
    } else {
        None
    };
    Some((key.to_owned(), api_for(host)))
}

/// The rows for one update (see the module comment). `pushed`: the
/// integrations that have had their first `devtrack sync push`. An update
/// covering a commit of a repository with `sync: false` gets none.
pub(crate) fn targets(
    text: &str,
    covered: &[Covered<'_>],
    rules: &Rules<'_>,
    pushed: &[Family],
) -> Vec<Target> {
    // Each repository looked up once (a long day covers many commits).
    let mut known: std::collections::BTreeMap<&str, RepoFacts> = Default::default();
    let facts: Vec<RepoFacts> = covered
        .iter()
        .map(|c| {
            known
                .entry(c.repo)
                .or_insert_with(|| rules.repos.facts(c.repo))
                .clone()
        })
        .collect();
    if facts.iter().any(|f| !f.sync) {
        return Vec::new();
    }
    let github_remote = |f: &RepoFacts| {
        f.remote
            .as_ref()
            .filter(|r| r.forge == Forge::Github)
            .map(|r| (r.github_api(), r.path.clone()))
    };
    let all_remotes: BTreeSet<(String, String)> = facts.iter().filter_map(github_remote).collect();
    // (ticket, the remotes it may belong to)
    let mut found: Vec<(tickets::Ticket, BTreeSet<(String, String)>)> = Vec::new();
    for t in tickets::extract(text, rules.families) {
        found.push((t, all_remotes.clone()));
    }
    for (c, f) in covered.iter().zip(&facts) {
        for t in tickets::commit_tickets(c.summary, c.branch, rules.families) {
            found.push((t, github_remote(f).into_iter().collect()));
        }
    }
    let mut out: Vec<Target> = Vec::new();
    for (t, remotes) in found {
        let (ticket, endpoint, repo_hold) = match t.family {
            Family::Github => match resolve_github(&t.key, &remotes, rules.integrations) {
                Some((ticket, api)) => (ticket, Some(api), None),
                None => (t.key.clone(), None, Some(Hold::Repository)),
            },
            _ => (t.key.clone(), None, None),
        };
        if out
            .iter()
            .any(|o| o.family == t.family && o.ticket == ticket)
        {
            continue;
        }
        let hold = missing(t.family, rules.integrations)
            .map(Hold::Configuration)
            .or(repo_hold)
            .or_else(|| (!pushed.contains(&t.family)).then_some(Hold::FirstPush))
            .or_else(|| (!rules.auto_sync).then_some(Hold::AutoSyncOff));
        out.push(Target {
            family: t.family,
            ticket,
            endpoint,
            hold,
        });
    }
    out
}

/// Whether commit `c` (of a repository with remote `remote`) references
/// the row's ticket: it is listed under that ticket's comment.
pub(crate) fn commit_references(
    family: Family,
    ticket: &str,
    c: &Covered<'_>,
    remote: Option<&Remote>,
    families: Families,
) -> bool {
    tickets::commit_tickets(c.summary, c.branch, families)
        .iter()
        .any(|t| {
            t.family == family
                && match (family, t.key.strip_prefix('#')) {
                    (Family::Github, Some(number)) => remote.is_some_and(|r| {
                        r.forge == Forge::Github && ticket == format!("{}#{number}", r.path)
                    }),
                    _ => t.key == ticket,
                }
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AzureDevops, Github, Jira};
    use crate::sync::remote::parse;
    use std::collections::BTreeMap;

    struct Table(BTreeMap<&'static str, RepoFacts>);

    impl Repos for Table {
        fn facts(&self, name: &str) -> RepoFacts {
            self.0.get(name).cloned().unwrap_or(RepoFacts {
                sync: true,
                remote: None,
            })
        }
    }

    fn repos() -> Table {
        let with = |url: &str, sync| RepoFacts {
            sync,
            remote: parse(url),
        };
        Table(BTreeMap::from([
            ("web", with("git@github.com:acme/web.git", true)),
            ("api", with("https://ghe.corp/acme/api", true)),
            ("private", with("git@github.com:me/notes.git", false)),
            ("local", with("/srv/git/x", true)),
        ]))
    }

    fn integrations() -> Integrations {
        Integrations {
            github: Github {
                enabled: true,
                ..Github::default()
            },
            jira: Jira {
                enabled: true,
                url: Some("https://x.atlassian.net".into()),
                email: Some("me@x".into()),
                ..Jira::default()
            },
            azure_devops: AzureDevops {
                enabled: true,
                organization: Some("org".into()),
                project: Some("P".into()),
                ..AzureDevops::default()
            },
        }
    }

    fn commit<'a>(repo: &'a str, summary: &'a str, branch: &'a str) -> Covered<'a> {
        Covered {
            repo,
            summary: Some(summary),
            branch: Some(branch),
        }
    }

    /// `family ticket [endpoint] [hold]` per row.
    fn show(targets: &[Target]) -> Vec<String> {
        targets
            .iter()
            .map(|t| {
                use std::fmt::Write;
                let mut line = format!("{} {}", t.family.as_str(), t.ticket);
                if let Some(e) = &t.endpoint {
                    let _ = write!(line, " @{e}");
                }
                if let Some(h) = &t.hold {
                    let _ = write!(line, " ({h:?})");
                }
                line
            })
            .collect()
    }

    #[test]
    fn tickets_and_holds() {
        let all = [Family::Github, Family::Jira, Family::AzureDevops];
        /// (name, text, covered commits, pushed, auto_sync, rows)
        type Case<'a> = (
            &'a str,
            &'a str,
            Vec<Covered<'a>>,
            &'a [Family],
            bool,
            Vec<&'a str>,
        );
        let cases: Vec<Case<'_>> = vec![
            (
                "text only, no commits: #123 has no repository",
                "fixed #123 and ABC-7, AB#9",
                vec![],
                &all,
                true,
                vec![
                    "github #123 (Repository)",
                    "jira ABC-7",
                    "azure_devops AB#9",
                ],
            ),
            (
                "text #123 tied to the one covered repository",
                "fixed #123",
                vec![commit("web", "tidy", "main")],
                &all,
                true,
                vec!["github acme/web#123 @https://api.github.com"],
            ),
            (
                "two repositories: #123 is ambiguous, owner/repo#5 is not",
                "fixed #123, see acme/web#5",
                vec![commit("web", "a", "main"), commit("api", "b", "main")],
                &all,
                true,
                vec![
                    "github #123 (Repository)",
                    "github acme/web#5 @https://api.github.com",
                ],
            ),
            (
                "a commit's #4 belongs to its own repository (GHES api)",
                "reviewed",
                vec![commit("web", "a", "main"), commit("api", "fix #4", "main")],
                &all,
                true,
                vec!["github acme/api#4 @https://ghe.corp/api/v3"],
            ),
            (
                "branch ticket only when the message names none",
                "done",
                vec![
                    commit("web", "limit ABC-8", "feature/ABC-7-x"),
                    commit("web", "more", "feature/ABC-7-x"),
                ],
                &all,
                true,
                vec!["jira ABC-8", "jira ABC-7"],
            ),
            (
                "the same ticket from text and commit is one row",
                "ABC-7 done",
                vec![commit("web", "x", "feature/ABC-7-x")],
                &all,
                true,
                vec!["jira ABC-7"],
            ),
            (
                "never pushed: held for the first push",
                "ABC-7",
                vec![],
                &[],
                true,
                vec!["jira ABC-7 (FirstPush)"],
            ),
            (
                "auto_sync off",
                "ABC-7",
                vec![],
                &all,
                false,
                vec!["jira ABC-7 (AutoSyncOff)"],
            ),
            (
                "a sync: false repository keeps the update local",
                "ABC-7",
                vec![commit("web", "a", "main"), commit("private", "b", "main")],
                &all,
                true,
                vec![],
            ),
            (
                "no fuzzy matches: ABC-7x, #12.5 and UTF-8 are none",
                "ABC-7x #12.5 UTF-8",
                vec![],
                &all,
                true,
                vec![],
            ),
        ];
        let integrations = integrations();
        let repos = repos();
        for (name, text, covered, pushed, auto_sync, want) in cases {
            let rules = Rules {
                families: Families::ALL,
                auto_sync,
                integrations: &integrations,
                repos: &repos,
            };
            assert_eq!(
                show(&targets(text, &covered, &rules, pushed)),
                want,
                "{name}"
            );
        }
    }

    #[test]
    fn disabled_integrations_and_missing_settings() {
        let mut integrations = Integrations::default();
        integrations.github.owner = Some("me".into());
        integrations.github.repo = Some("tracker".into());
        integrations.github.api_url = Some("https://ghe.x/api/v3".into());
        let repos = repos();
        let rules = Rules {
            families: Families {
                github: true,
                jira: true,
                azure_devops: false,
            },
            auto_sync: true,
            integrations: &integrations,
            repos: &repos,
        };
        assert_eq!(
            show(&targets("#1 ABC-2 AB#3", &[], &rules, &[Family::Github])),
            vec![
                "github me/tracker#1 @https://ghe.x/api/v3",
                "jira ABC-2 (Configuration(\"jira: no url; set integrations.jira.url\"))",
            ]
        );
    }

    #[test]
    fn what_each_integration_lacks() {
        let mut i = integrations();
        assert_eq!(missing(Family::Jira, &i), None);
        i.jira.email = None;
        assert_eq!(
            missing(Family::Jira, &i).unwrap(),
            "jira: no email; set integrations.jira.email"
        );
        i.jira.api = JiraApi::DataCenter;
        assert_eq!(missing(Family::Jira, &i), None);
        i.azure_devops.organization = None;
        assert_eq!(
            missing(Family::AzureDevops, &i).unwrap(),
            "azure_devops: no organization; set integrations.azure_devops.organization"
        );
        i.azure_devops.url = Some("https://tfs.corp/DefaultCollection".into());
        assert_eq!(missing(Family::AzureDevops, &i), None);
        i.azure_devops.project = None;
        assert_eq!(
            missing(Family::AzureDevops, &i).unwrap(),
            "azure_devops: no project; set integrations.azure_devops.project"
        );
        assert_eq!(missing(Family::Github, &Integrations::default()), None);
    }

    #[test]
    fn which_commits_are_listed_under_a_ticket() {
        let web = parse("git@github.com:acme/web.git");
        let c = commit("web", "fix #4", "feature/ABC-7-x");
        let f = Families::ALL;
        assert!(commit_references(
            Family::Github,
            "acme/web#4",
            &c,
            web.as_ref(),
            f
        ));
        assert!(!commit_references(
            Family::Github,
            "acme/api#4",
            &c,
            web.as_ref(),
            f
        ));
        assert!(!commit_references(
            Family::Github,
            "acme/web#4",
            &c,
            None,
            f
        ));
        // The message names a ticket: the branch's does not count.
        assert!(!commit_references(Family::Jira, "ABC-7", &c, None, f));
        let c = commit("web", "tidy", "feature/ABC-7-x");
        assert!(commit_references(Family::Jira, "ABC-7", &c, None, f));
    }
}
