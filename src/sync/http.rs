//! The sender's HTTP edge: one blocking `ureq` agent (rustls with ring,
//! the system's CA store through the platform verifier, `HTTPS_PROXY` and
//! `NO_PROXY` from the environment, connect and total timeouts, no
//! retries and no redirects followed, so `Authorization` never goes to
//! another host). It runs on the sender's own threads, never on the
//! daemon's runtime. [`classify`] turns an answer into an [`Outcome`] and
//! is pure; [`find_marker`] reads a ticket's recent comments for a row's
//! marker before anything is posted again.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::request::Request;
use super::token::Token;
use crate::config::{Integrations, JiraApi};
use crate::tickets::Family;

/// Connecting may take this long; the whole exchange [`TOTAL_TIMEOUT`].
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const TOTAL_TIMEOUT: Duration = Duration::from_secs(30);
/// A GitHub rate limit that says neither when nor how long waits this.
pub(crate) const GITHUB_RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);

/// What one request came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Posted (or found already posted): the comment's id and web URL.
    Sent {
        remote_id: Option<String>,
        url: Option<String>,
    },
    /// A permanent answer: not tried again until `devtrack sync retry`.
    Failed { reason: String },
    /// Try again later: after `after` when the server said, else by the
    /// backoff. `rate_limited`: the whole host waits, not just this row.
    Retry {
        reason: String,
        after: Option<Duration>,
        rate_limited: bool,
    },
}

/// The agent every request goes through.
pub(crate) fn agent() -> ureq::Agent {
    use ureq::tls::{RootCerts, TlsConfig, TlsProvider};
    ureq::Agent::config_builder()
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_global(Some(TOTAL_TIMEOUT))
        .max_redirects(0)
        .http_status_as_error(false)
        .tls_config(
            TlsConfig::builder()
                .provider(TlsProvider::Rustls)
                .root_certs(RootCerts::PlatformVerifier)
                .build(),
        )
        .build()
        .into()
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The real `Authorization` header for `family`.
pub(crate) fn authorization(family: Family, integrations: &Integrations, token: &Token) -> String {
    match family {
        Family::Github => format!("Bearer {}", token.expose()),
        Family::Jira => match integrations.jira.api {
            JiraApi::Cloud => {
                let email = integrations.jira.email.as_deref().unwrap_or_default();
                format!(
                    "Basic {}",
                    base64(format!("{email}:{}", token.expose()).as_bytes())
                )
            }
            JiraApi::DataCenter => format!("Bearer {}", token.expose()),
        },
        Family::AzureDevops => format!(
            "Basic {}",
            base64(format!(":{}", token.expose()).as_bytes())
        ),
    }
}

/// The first line of a server's error message, at most 200 characters.
fn message(body: &str) -> String {
    let json: Option<Value> = serde_json::from_str(body).ok();
    let found = json.as_ref().and_then(|v| {
        v.get("message")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| {
                v.get("errorMessages")
                    .and_then(|m| m.get(0))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .or_else(|| {
                v.get("errors")
                    .and_then(Value::as_object)
                    .and_then(|m| m.iter().next())
                    .map(|(k, v)| format!("{k}: {}", v.as_str().unwrap_or_default()))
            })
    });
    let text = found.unwrap_or_else(|| body.lines().next().unwrap_or_default().to_owned());
    text.chars().take(200).collect()
}

fn reason_of(status: u16, body: &str) -> String {
    let msg = message(body);
    if msg.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("{status} {msg}")
    }
}

/// How long the server asked to wait: `Retry-After` (seconds), else
/// `x-ratelimit-reset` (epoch seconds) from `now`.
fn asked_wait(header: &dyn Fn(&str) -> Option<String>, now: DateTime<Utc>) -> Option<Duration> {
    if let Some(secs) = header("retry-after").and_then(|v| v.trim().parse::<u64>().ok()) {
        return Some(Duration::from_secs(secs));
    }
    let reset = header("x-ratelimit-reset").and_then(|v| v.trim().parse::<i64>().ok())?;
    Some(Duration::from_secs(
        u64::try_from(reset - now.timestamp()).unwrap_or(0),
    ))
}

/// The comment an answer names: its id and its web URL.
fn posted(family: Family, ticket: &str, post_url: &str, body: &str) -> Outcome {
    let json: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let id = match json.get("id") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let url = match family {
        Family::Github => json
            .get("html_url")
            .and_then(Value::as_str)
            .map(str::to_owned),
        Family::Jira => post_url
            .split_once("/rest/api/")
            .zip(id.as_ref())
            .map(|((site, _), id)| format!("{site}/browse/{ticket}?focusedCommentId={id}")),
        Family::AzureDevops => json.get("url").and_then(Value::as_str).map(str::to_owned),
    };
    Outcome::Sent { remote_id: id, url }
}

/// What an answer means (pure). `header`: the answer's headers by
/// lower-case name.
pub(crate) fn classify(
    family: Family,
    ticket: &str,
    post_url: &str,
    status: u16,
    header: &dyn Fn(&str) -> Option<String>,
    body: &str,
    now: DateTime<Utc>,
) -> Outcome {
    let asked = asked_wait(header, now);
    let github_limit = family == Family::Github
        && (status == 429
            || (status == 403
                && (header("x-ratelimit-remaining").as_deref() == Some("0")
                    || header("retry-after").is_some()
                    || message(body).to_lowercase().contains("rate limit"))));
    match status {
        200..=299 => posted(family, ticket, post_url, body),
        300..=399 => Outcome::Failed {
            reason: format!(
                "HTTP {status}: redirected to {} (not followed; check the API URL)",
                header("location").unwrap_or_default()
            ),
        },
        _ if github_limit => Outcome::Retry {
            reason: format!("rate limited ({})", reason_of(status, body)),
            after: Some(
                asked
                    .unwrap_or(GITHUB_RATE_LIMIT_WAIT)
                    .max(Duration::from_secs(1)),
            ),
            rate_limited: true,
        },
        429 => Outcome::Retry {
            reason: format!("rate limited ({})", reason_of(status, body)),
            after: asked,
            rate_limited: true,
        },
        408 | 500..=599 => Outcome::Retry {
            reason: reason_of(status, body),
            after: asked,
            rate_limited: false,
        },
        _ => Outcome::Failed {
            reason: reason_of(status, body),
        },
    }
}

/// A transport error as an outcome: every one is tried again (the comment
/// may have been stored, so the next try looks for it first).
fn transport(e: &ureq::Error) -> Outcome {
    let reason = match e {
        ureq::Error::Timeout(_) => "timed out".to_owned(),
        ureq::Error::ConnectionFailed => "connection failed".to_owned(),
        ureq::Error::HostNotFound => "host not found".to_owned(),
        ureq::Error::Io(io) => format!("connection error: {}", io.kind()),
        other => format!("connection error: {other}"),
    };
    Outcome::Retry {
        reason,
        after: None,
        rate_limited: false,
    }
}

fn headers_of(resp: &ureq::http::Response<ureq::Body>) -> impl Fn(&str) -> Option<String> + '_ {
    |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

/// `req`'s headers on `builder`, the real `auth` in place of the masked
/// one; without `Content-Type` for a request without a body.
fn with_headers<B>(
    mut builder: ureq::RequestBuilder<B>,
    req: &Request,
    auth: &str,
    bodyless: bool,
) -> ureq::RequestBuilder<B> {
    for (name, value) in &req.headers {
        if bodyless && *name == "Content-Type" {
            continue;
        }
        let value = if *name == "Authorization" {
            auth
        } else {
            value
        };
        builder = builder.header(*name, value);
    }
    builder
}

/// An answer's status, its body (at most `limit` bytes) and what it means.
fn answered(
    family: Family,
    ticket: &str,
    post_url: &str,
    resp: &mut ureq::http::Response<ureq::Body>,
    limit: u64,
) -> (u16, String, Outcome) {
    let body = resp
        .body_mut()
        .with_config()
        .limit(limit)
        .read_to_string()
        .unwrap_or_default();
    let status = resp.status().as_u16();
    let outcome = classify(
        family,
        ticket,
        post_url,
        status,
        &headers_of(resp),
        &body,
        Utc::now(),
    );
    (status, body, outcome)
}

/// Posts `req` with the real `auth`.
pub(crate) fn post(
    agent: &ureq::Agent,
    family: Family,
    ticket: &str,
    req: &Request,
    auth: &str,
) -> Outcome {
    let builder = with_headers(agent.post(&req.url), req, auth, false);
    match builder.send(req.body.as_bytes()) {
        Ok(mut resp) => answered(family, ticket, &req.url, &mut resp, 1 << 20).2,
        Err(e) => transport(&e),
    }
}

/// Where a ticket's recent comments are listed, from the URL a row posts
/// to.
pub(crate) fn list_url(family: Family, post_url: &str) -> String {
    let base = post_url.split('?').next().unwrap_or(post_url);
    match family {
        Family::Github => format!("{base}?per_page=100"),
        Family::Jira => format!("{base}?expand=properties&orderBy=-created"),
        Family::AzureDevops => {
            format!("{base}?api-version={}", super::request::AZURE_API_VERSION)
        }
    }
}

/// The comment carrying row `id`'s marker in a listing, if any (pure).
pub(crate) fn marked(
    family: Family,
    ticket: &str,
    post_url: &str,
    listing: &str,
    id: &str,
) -> Option<Outcome> {
    let json: Value = serde_json::from_str(listing).ok()?;
    let comments = match &json {
        Value::Array(a) => a.clone(),
        v => v
            .get("comments")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
    };
    let html = format!("<!-- devtrack:{id} -->");
    let line = format!("devtrack:{id}");
    comments.into_iter().find_map(|c| {
        let text = c
            .get("body")
            .or_else(|| c.get("text"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let by_property = c
            .get("properties")
            .and_then(Value::as_array)
            .is_some_and(|ps| {
                ps.iter().any(|p| {
                    p.get("key").and_then(Value::as_str) == Some("devtrack")
                        && p.pointer("/value/id").and_then(Value::as_str) == Some(id)
                })
            });
        let found = by_property
            || text.contains(&html)
            || text.lines().last().is_some_and(|l| l.trim() == line);
        found.then(|| posted(family, ticket, post_url, &c.to_string()))
    })
}

/// Looks for row `id`'s comment among the ticket's recent ones: `Ok(Some)`
/// when it was posted already, `Ok(None)` when not, `Err` (an outcome to
/// retry with) when the listing could not be read.
pub(crate) fn find_marker(
    agent: &ureq::Agent,
    family: Family,
    ticket: &str,
    req: &Request,
    auth: &str,
    id: &str,
) -> Result<Option<Outcome>, Outcome> {
    let mut url = list_url(family, &req.url);
    // GitHub lists oldest first: read the first page, then the last.
    for _ in 0..2 {
        let builder = with_headers(agent.get(&url), req, auth, true);
        let mut resp = builder.call().map_err(|e| transport(&e))?;
        let status = resp.status().as_u16();
        let last = resp
            .headers()
            .get("link")
            .and_then(|v| v.to_str().ok())
            .and_then(|link| {
                link.split(',')
                    .find(|l| l.contains("rel=\"last\""))
                    .and_then(|l| Some(l.split_once('<')?.1.split_once('>')?.0.to_owned()))
            });
        let (_, body, outcome) = answered(family, ticket, &req.url, &mut resp, 8 << 20);
        if !(200..300).contains(&status) {
            return Err(match outcome {
                Outcome::Sent { .. } => Outcome::Retry {
                    reason: format!("listing comments: HTTP {status}"),
                    after: None,
                    rate_limited: false,
                },
                other => other,
            });
        }
        if let Some(found) = marked(family, ticket, &req.url, &body, id) {
            return Ok(Some(found));
        }
        match last {
            Some(next) if next != url => url = next,
            _ => break,
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.timestamp_opt(1_000_000, 0).unwrap()
    }

    #[test]
    fn answers_classified() {
        let none = |_: &str| None;
        let gh = "https://api.github.com/repos/o/r/issues/1/comments";
        type Case<'a> = (Family, u16, Vec<(&'a str, &'a str)>, &'a str, Outcome);
        let cases: Vec<Case<'_>> = vec![
            (Family::Github, 201, vec![], r#"{"id":7,"html_url":"https://github.com/o/r/issues/1#issuecomment-7"}"#,
             Outcome::Sent { remote_id: Some("7".into()), url: Some("https://github.com/o/r/issues/1#issuecomment-7".into()) }),
            (Family::Github, 401, vec![], r#"{"message":"Bad credentials"}"#, Outcome::Failed { reason: "401 Bad credentials".into() }),
            (Family::Github, 404, vec![], r#"{"message":"Not Found"}"#, Outcome::Failed { reason: "404 Not Found".into() }),
            (Family::Github, 422, vec![], r#"{"message":"Validation Failed"}"#, Outcome::Failed { reason: "422 Validation Failed".into() }),
            (Family::Github, 403, vec![], r#"{"message":"Resource not accessible"}"#, Outcome::Failed { reason: "403 Resource not accessible".into() }),
            (Family::Github, 403, vec![], r#"{"message":"You have exceeded a secondary rate limit"}"#,
             Outcome::Retry { reason: "rate limited (403 You have exceeded a secondary rate limit)".into(), after: Some(Duration::from_secs(60)), rate_limited: true }),
            (Family::Github, 403, vec![("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1000120")], "{}",
             Outcome::Retry { reason: "rate limited (403 {})".into(), after: Some(Duration::from_secs(120)), rate_limited: true }),
            (Family::Github, 429, vec![("retry-after", "30")], "",
             Outcome::Retry { reason: "rate limited (HTTP 429)".into(), after: Some(Duration::from_secs(30)), rate_limited: true }),
            (Family::Jira, 429, vec![], "", Outcome::Retry { reason: "rate limited (HTTP 429)".into(), after: None, rate_limited: true }),
            (Family::Jira, 400, vec![], r#"{"errorMessages":[],"errors":{"comment":"bad"}}"#, Outcome::Failed { reason: "400 comment: bad".into() }),
            (Family::AzureDevops, 503, vec![], "", Outcome::Retry { reason: "HTTP 503".into(), after: None, rate_limited: false }),
            (Family::Github, 301, vec![("location", "https://elsewhere/x")], "",
             Outcome::Failed { reason: "HTTP 301: redirected to https://elsewhere/x (not followed; check the API URL)".into() }),
        ];
        for (family, status, headers, body, want) in cases {
            let header = |name: &str| {
                headers
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            };
            assert_eq!(
                classify(family, "T-1", gh, status, &header, body, now()),
                want,
                "{family:?} {status} {body}"
            );
        }
        let jira = classify(
            Family::Jira,
            "ABC-7",
            "https://j.test/rest/api/3/issue/ABC-7/comment",
            201,
            &none,
            r#"{"id":"10"}"#,
            now(),
        );
        assert_eq!(
            jira,
            Outcome::Sent {
                remote_id: Some("10".into()),
                url: Some("https://j.test/browse/ABC-7?focusedCommentId=10".into())
            }
        );
    }

    #[test]
    fn markers_found_in_listings() {
        let url = "https://j.test/rest/api/3/issue/A-1/comment";
        let cloud =
            r#"{"comments":[{"id":"1","properties":[{"key":"devtrack","value":{"id":"ab"}}]}]}"#;
        assert!(marked(Family::Jira, "A-1", url, cloud, "ab").is_some());
        assert!(marked(Family::Jira, "A-1", url, cloud, "cd").is_none());
        let dc = r#"{"comments":[{"id":"2","body":"text\n\ndevtrack:ab"}]}"#;
        assert!(marked(Family::Jira, "A-1", url, dc, "ab").is_some());
        let gh = r#"[{"id":3,"body":"x\n<!-- devtrack:ab -->","html_url":"u"}]"#;
        assert_eq!(
            marked(Family::Github, "o/r#1", "g", gh, "ab"),
            Some(Outcome::Sent {
                remote_id: Some("3".into()),
                url: Some("u".into())
            })
        );
        let az = r#"{"comments":[{"id":4,"text":"x<!-- devtrack:ab -->","url":"v"}]}"#;
        assert!(marked(Family::AzureDevops, "AB#1", "a", az, "ab").is_some());
        assert_eq!(
            list_url(Family::AzureDevops, "https://d/o/p/_apis/wit/workItems/1/comments?format=markdown&api-version=7.1-preview.4"),
            "https://d/o/p/_apis/wit/workItems/1/comments?api-version=7.1-preview.4"
        );
    }

    #[test]
    fn authorization_forms() {
        let token = Token::new("t").unwrap();
        let mut i = Integrations::default();
        i.jira.email = Some("me@x".into());
        assert_eq!(authorization(Family::Github, &i, &token), "Bearer t");
        assert_eq!(
            authorization(Family::Jira, &i, &token),
            format!("Basic {}", base64(b"me@x:t"))
        );
        assert_eq!(authorization(Family::AzureDevops, &i, &token), "Basic OnQ=");
        i.jira.api = JiraApi::DataCenter;
        assert_eq!(authorization(Family::Jira, &i, &token), "Bearer t");
    }
}
