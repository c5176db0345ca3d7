//! The exact HTTP request that posts one outbox row's comment: method, URL,
//! headers and body byte for byte, per the vendors' documented contracts
//! (docs/sync.md). The token is never an input: the Authorization header
//! is rendered masked, which is what `devtrack sync preview` shows; the
//! sender will put the real token in its place.

use std::fmt::Write;

use serde_json::{json, Value};

use super::plan::missing;
use crate::config::{Integrations, JiraApi};
use crate::tickets::Family;

/// The GitHub REST API version every request pins.
pub(crate) const GITHUB_API_VERSION: &str = "2022-11-28";
/// Azure DevOps' comments API with the `format` parameter.
pub(crate) const AZURE_API_VERSION: &str = "7.1-preview.4";
/// What stands for the token in a preview.
const MASK: &str = "********";

/// A commit listed under a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CommitLine {
    pub short: String,
    pub summary: String,
    pub branch: Option<String>,
    /// Its web page, when its repository is on the ticket's forge.
    pub link: Option<String>,
}

/// One row's comment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Comment<'a> {
    /// The row's stable id: the marker.
    pub id: &'a str,
    pub text: &'a str,
    pub commits: &'a [CommitLine],
}

/// One request, ready to show (or, later, to send).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Request {
    pub method: &'static str,
    pub url: String,
    /// In the order sent; `Authorization` masked.
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl std::fmt::Display for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{} {}", self.method, self.url)?;
        for (name, value) in &self.headers {
            writeln!(f, "{name}: {value}")?;
        }
        writeln!(f)?;
        writeln!(f, "{}", self.body)
    }
}

/// Percent-encodes one URL path segment (RFC 3986 unreserved kept).
fn segment(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A text comment: the update's text, a blank line, one `line` per
/// commit (then a blank line), and the `marker` last.
fn plain(c: &Comment<'_>, line: impl Fn(&CommitLine) -> String, marker: &str) -> String {
    let mut out = c.text.to_owned();
    out.push_str("\n\n");
    for commit in c.commits {
        out.push_str(&line(commit));
        out.push('\n');
    }
    if !c.commits.is_empty() {
        out.push('\n');
    }
    out.push_str(marker);
    out
}

/// The Markdown comment (GitHub, Azure DevOps): the text, the commits, the
/// hidden marker.
fn markdown(c: &Comment<'_>) -> String {
    let line = |commit: &CommitLine| {
        let mut text = match &commit.link {
            Some(link) => format!("- [`{}`]({link}) {}", commit.short, commit.summary),
            None => format!("- `{}` {}", commit.short, commit.summary),
        };
        if let Some(branch) = &commit.branch {
            let _ = write!(text, " (`{branch}`)");
        }
        text
    };
    plain(c, line, &format!("<!-- devtrack:{} -->", c.id))
}

/// Jira Server/Data Center's wiki markup: no hidden comments there, so the
/// marker is a short visible last line.
fn wiki(c: &Comment<'_>) -> String {
    let line = |commit: &CommitLine| {
        let mut text = format!("* {{{{{}}}}} {}", commit.short, commit.summary);
        if let Some(branch) = &commit.branch {
            let _ = write!(text, " ({{{{{branch}}}}})");
        }
        text
    };
    plain(c, line, &format!("devtrack:{}", c.id))
}

/// Jira Cloud's Atlassian Document Format: a paragraph per block of the
/// text (its lines joined by hard breaks), a bullet list of the commits.
fn adf(c: &Comment<'_>) -> Value {
    let text = |t: &str| json!({"type": "text", "text": t});
    let mut content: Vec<Value> = Vec::new();
    for block in c.text.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let mut nodes = Vec::new();
        for (i, line) in block.lines().enumerate() {
            if i > 0 {
                nodes.push(json!({"type": "hardBreak"}));
            }
            if !line.is_empty() {
                nodes.push(text(line));
            }
        }
        content.push(json!({"type": "paragraph", "content": nodes}));
    }
    if !c.commits.is_empty() {
        let items: Vec<Value> = c
            .commits
            .iter()
            .map(|commit| {
                let mut rest = format!(" {}", commit.summary);
                if let Some(branch) = &commit.branch {
                    let _ = write!(rest, " ({branch})");
                }
                let mut hash =
                    json!({"type": "text", "text": commit.short, "marks": [{"type": "code"}]});
                if let Some(link) = &commit.link {
                    hash["marks"] =
                        json!([{"type": "code"}, {"type": "link", "attrs": {"href": link}}]);
                }
                json!({"type": "listItem", "content": [
                    {"type": "paragraph", "content": [hash, text(&rest)]}
                ]})
            })
            .collect();
        content.push(json!({"type": "bulletList", "content": items}));
    }
    json!({"type": "doc", "version": 1, "content": content})
}

fn user_agent() -> (&'static str, String) {
    (
        "User-Agent",
        format!("devtrack/{}", env!("CARGO_PKG_VERSION")),
    )
}

/// The request for a row of `family` on `ticket` (as stored; for GitHub
/// `owner/repo#123` with the API base `endpoint`). `Err`: why it cannot be
/// built (a missing setting, a GitHub ticket without a repository).
pub(crate) fn build(
    family: Family,
    ticket: &str,
    endpoint: Option<&str>,
    integrations: &Integrations,
    comment: &Comment<'_>,
) -> Result<Request, String> {
    if let Some(what) = missing(family, integrations) {
        return Err(what);
    }
    let json_type = ("Content-Type", "application/json".to_owned());
    match family {
        Family::Github => {
            let no_repo = || "no repository: write owner/repo#123".to_owned();
            let (path, number) = ticket.split_once('#').ok_or_else(no_repo)?;
            let api = endpoint.filter(|_| !path.is_empty()).ok_or_else(no_repo)?;
            let (owner, repo) = path.split_once('/').ok_or_else(no_repo)?;
            Ok(Request {
                method: "POST",
                url: format!(
                    "{api}/repos/{}/{}/issues/{number}/comments",
                    segment(owner),
                    segment(repo)
                ),
                headers: vec![
                    ("Accept", "application/vnd.github+json".to_owned()),
                    ("Authorization", format!("Bearer {MASK}")),
                    json_type,
                    user_agent(),
                    ("X-GitHub-Api-Version", GITHUB_API_VERSION.to_owned()),
                ],
                body: json!({"body": markdown(comment)}).to_string(),
            })
        }
        Family::Jira => {
            let jira = &integrations.jira;
            let site = jira.url.as_deref().unwrap_or_default();
            let (version, auth, body) = match jira.api {
                JiraApi::Cloud => (
                    3,
                    format!(
                        "Basic {MASK} (base64 of {}:token)",
                        jira.email.as_deref().unwrap_or_default()
                    ),
                    json!({
                        "body": adf(comment),
                        "properties": [{"key": "devtrack", "value": {"id": comment.id}}],
                    }),
                ),
                JiraApi::DataCenter => {
                    (2, format!("Bearer {MASK}"), json!({"body": wiki(comment)}))
                }
            };
            Ok(Request {
                method: "POST",
                url: format!(
                    "{site}/rest/api/{version}/issue/{}/comment",
                    segment(ticket)
                ),
                headers: vec![
                    ("Accept", "application/json".to_owned()),
                    ("Authorization", auth),
                    json_type,
                    user_agent(),
                ],
                body: body.to_string(),
            })
        }
        Family::AzureDevops => {
            let azure = &integrations.azure_devops;
            let id = ticket.strip_prefix("AB#").unwrap_or(ticket);
            let project = segment(azure.project.as_deref().unwrap_or_default());
            let base = match (&azure.url, &azure.organization) {
                // Azure DevOps Server: the URL names the collection.
                (Some(url), _) if url != "https://dev.azure.com" => url.clone(),
                (url, org) => format!(
                    "{}/{}",
                    url.as_deref().unwrap_or("https://dev.azure.com"),
                    segment(org.as_deref().unwrap_or_default())
                ),
            };
            Ok(Request {
                method: "POST",
                url: format!(
                    "{base}/{project}/_apis/wit/workItems/{id}/comments?format=markdown&api-version={AZURE_API_VERSION}"
                ),
                headers: vec![
                    ("Accept", "application/json".to_owned()),
                    ("Authorization", format!("Basic {MASK} (base64 of :token)")),
                    json_type,
                    user_agent(),
                ],
                body: json!({"text": markdown(comment)}).to_string(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AzureDevops, Jira};

    fn commits() -> Vec<CommitLine> {
        vec![CommitLine {
            short: "1a2b3c4".into(),
            summary: "limit retries".into(),
            branch: Some("feature/ABC-7-x".into()),
            link: Some("https://github.com/acme/web/commit/1a2b3c4d".into()),
        }]
    }

    fn integrations() -> Integrations {
        Integrations {
            jira: Jira {
                enabled: true,
                url: Some("https://acme.atlassian.net".into()),
                email: Some("me@acme.test".into()),
                ..Jira::default()
            },
            azure_devops: AzureDevops {
                enabled: true,
                organization: Some("acme".into()),
                project: Some("My Project".into()),
                ..AzureDevops::default()
            },
            ..Integrations::default()
        }
    }

    #[test]
    fn requests_per_integration() {
        let commits = commits();
        let comment = Comment {
            id: "00ff",
            text: "fixed the \"login\" redirect\nsecond line",
            commits: &commits,
        };
        let mut dc = integrations();
        dc.jira.api = JiraApi::DataCenter;
        dc.jira.url = Some("https://jira.corp/ctx".into());
        dc.azure_devops.url = Some("https://tfs.corp/DefaultCollection".into());
        let ua = format!("User-Agent: devtrack/{}", env!("CARGO_PKG_VERSION"));
        let cases: Vec<(Family, &str, Option<&str>, Integrations, String)> = vec![
            (
                Family::Github,
                "acme/web#123",
                Some("https://api.github.com"),
                integrations(),
                format!("POST https://api.github.com/repos/acme/web/issues/123/comments\n\
                 Accept: application/vnd.github+json\nAuthorization: Bearer ********\n\
                 Content-Type: application/json\n{ua}\nX-GitHub-Api-Version: 2022-11-28\n\n\
                 {{\"body\":\"fixed the \\\"login\\\" redirect\\nsecond line\\n\\n- [`1a2b3c4`](https://github.com/acme/web/commit/1a2b3c4d) limit retries (`feature/ABC-7-x`)\\n\\n<!-- devtrack:00ff -->\"}}\n"),
            ),
            (
                Family::Jira,
                "ABC-7",
                None,
                integrations(),
                format!("POST https://acme.atlassian.net/rest/api/3/issue/ABC-7/comment\n\
                 Accept: application/json\nAuthorization: Basic ******** (base64 of me@acme.test:token)\n\
                 Content-Type: application/json\n{ua}\n\n\
                 {{\"body\":{{\"content\":[{{\"content\":[{{\"text\":\"fixed the \\\"login\\\" redirect\",\"type\":\"text\"}},{{\"type\":\"hardBreak\"}},{{\"text\":\"second line\",\"type\":\"text\"}}],\"type\":\"paragraph\"}},\
                 {{\"content\":[{{\"content\":[{{\"content\":[{{\"marks\":[{{\"type\":\"code\"}},{{\"attrs\":{{\"href\":\"https://github.com/acme/web/commit/1a2b3c4d\"}},\"type\":\"link\"}}],\"text\":\"1a2b3c4\",\"type\":\"text\"}},{{\"text\":\" limit retries (feature/ABC-7-x)\",\"type\":\"text\"}}],\"type\":\"paragraph\"}}],\"type\":\"listItem\"}}],\"type\":\"bulletList\"}}],\"type\":\"doc\",\"version\":1}},\
                 \"properties\":[{{\"key\":\"devtrack\",\"value\":{{\"id\":\"00ff\"}}}}]}}\n"),
            ),
            (
                Family::Jira,
                "ABC-7",
                None,
                dc.clone(),
                format!("POST https://jira.corp/ctx/rest/api/2/issue/ABC-7/comment\n\
                 Accept: application/json\nAuthorization: Bearer ********\n\
                 Content-Type: application/json\n{ua}\n\n\
                 {{\"body\":\"fixed the \\\"login\\\" redirect\\nsecond line\\n\\n* {{{{1a2b3c4}}}} limit retries ({{{{feature/ABC-7-x}}}})\\n\\ndevtrack:00ff\"}}\n"),
            ),
            (
                Family::AzureDevops,
                "AB#123",
                None,
                integrations(),
                format!("POST https://dev.azure.com/acme/My%20Project/_apis/wit/workItems/123/comments?format=markdown&api-version=7.1-preview.4\n\
                 Accept: application/json\nAuthorization: Basic ******** (base64 of :token)\n\
                 Content-Type: application/json\n{ua}\n\n\
                 {{\"text\":\"fixed the \\\"login\\\" redirect\\nsecond line\\n\\n- [`1a2b3c4`](https://github.com/acme/web/commit/1a2b3c4d) limit retries (`feature/ABC-7-x`)\\n\\n<!-- devtrack:00ff -->\"}}\n"),
            ),
        ];
        for (family, ticket, endpoint, integrations, want) in cases {
            let got = build(family, ticket, endpoint, &integrations, &comment).unwrap();
            assert_eq!(got.to_string(), want, "{family:?} {ticket}");
        }
        let server = build(Family::AzureDevops, "AB#5", None, &dc, &comment).unwrap();
        assert_eq!(
            server.url,
            "https://tfs.corp/DefaultCollection/My%20Project/_apis/wit/workItems/5/comments?format=markdown&api-version=7.1-preview.4"
        );
    }

    #[test]
    fn what_cannot_be_built() {
        let comment = Comment {
            id: "1",
            text: "t",
            commits: &[],
        };
        let none = Integrations::default();
        assert_eq!(
            build(Family::Jira, "ABC-7", None, &none, &comment).unwrap_err(),
            "jira: no url; set integrations.jira.url"
        );
        assert_eq!(
            build(Family::Github, "#7", None, &none, &comment).unwrap_err(),
            "no repository: write owner/repo#123"
        );
        let plain = build(
            Family::Github,
            "o/r#7",
            Some("https://api.github.com"),
            &none,
            &comment,
        )
        .unwrap();
        assert_eq!(plain.body, r#"{"body":"t\n\n<!-- devtrack:1 -->"}"#);
    }
}
