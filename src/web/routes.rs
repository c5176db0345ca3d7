//! Which request goes where on the daemon's HTTP socket: one table, read by
//! the server and by docs/web.md; and what a query asks for.

use std::path::Path;

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::report::period::resolve;
use crate::report::read::generate;
use crate::report::{Format, GroupBy, Period, Spec};
use crate::when::parse_since;

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// `GET /`: the whole page.
    Page,
    /// `GET /fragment/timeline`: the day's SVG, for the live update.
    Timeline,
    /// `GET /fragment/prompt`: the open-prompt section.
    Prompt,
    /// `GET /fragment/week`: the week section.
    Week,
    /// `GET /page.js`, `GET /page.css`.
    Script,
    Style,
    /// `GET /api/status`: the JSON of `devtrack status --json`.
    Status,
    /// `GET /api/report?since=…&until=…&format=…&by=…`.
    Report,
    /// `GET /api/events`: Server-Sent Events from the event stream.
    Events,
    /// `GET /metrics`: the OpenMetrics text of `devtrack metrics`.
    Metrics,
    Healthz,
    Readyz,
    /// `POST /api/answer`, `/api/snooze`, `/api/skip`.
    Answer,
    Snooze,
    Skip,
    /// A known path with the wrong method (405).
    WrongMethod,
    NotFound,
}

/// The route of `method` on `path` (no query).
pub(crate) fn route(method: &str, path: &str) -> Route {
    let read = matches!(method, "GET" | "HEAD");
    let (route, wants_read) = match path {
        "/" => (Route::Page, true),
        "/fragment/timeline" => (Route::Timeline, true),
        "/fragment/prompt" => (Route::Prompt, true),
        "/fragment/week" => (Route::Week, true),
        "/page.js" => (Route::Script, true),
        "/page.css" => (Route::Style, true),
        "/api/status" => (Route::Status, true),
        "/api/report" => (Route::Report, true),
        "/api/events" => (Route::Events, true),
        "/metrics" => (Route::Metrics, true),
        "/healthz" => (Route::Healthz, true),
        "/readyz" => (Route::Readyz, true),
        "/api/answer" => (Route::Answer, false),
        "/api/snooze" => (Route::Snooze, false),
        "/api/skip" => (Route::Skip, false),
        _ => return Route::NotFound,
    };
    if read == wants_read && (read || method == "POST") {
        route
    } else {
        Route::WrongMethod
    }
}

/// Query parameter `name`, percent-decoded (`+` is a space).
pub(crate) fn param(query: Option<&str>, name: &str) -> Option<String> {
    let raw = query?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then_some(v)
    })?;
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// The period `/api/report` is asked for: `since` and `until` as
/// `devtrack report --since/--until` read them, today without `since`.
pub(crate) fn report_period(
    since: Option<&str>,
    until: Option<&str>,
    config: &Config,
    now: DateTime<Utc>,
) -> Result<Period, String> {
    let tz = config.settings.timezone;
    let spec = match since {
        Some(since) => Spec::Range {
            since: parse_since(since, now, &tz)?,
            until: until.map(|u| parse_since(u, now, &tz)).transpose()?,
        },
        None => Spec::Today,
    };
    resolve(spec, now, tz, config.settings.work_hours.days)
}

/// Why `/api/report` gave no report.
pub(crate) enum ReportFailure {
    /// The query asks for something unknown (400).
    Asked(String),
    /// Reading the store failed (500).
    Failed(anyhow::Error),
}

/// `/api/report`: `devtrack report`'s output for the query's `since`,
/// `until`, `format` (default `json`) and `by` (default `repo`), with its
/// content type.
pub(crate) fn report(
    query: Option<&str>,
    database: &Path,
    config: &Config,
    now: DateTime<Utc>,
) -> Result<(&'static str, String), ReportFailure> {
    let asked = ReportFailure::Asked;
    let format = match param(query, "format") {
        None => Format::Json,
        Some(f) => clap::ValueEnum::from_str(&f, true)
            .map_err(|_| asked("format is one of text, markdown, slack, json, csv".into()))?,
    };
    let by = match param(query, "by") {
        None => GroupBy::Repo,
        Some(b) => clap::ValueEnum::from_str(&b, true)
            .map_err(|_| asked("by is one of repo, project, ticket".into()))?,
    };
    let period = report_period(
        param(query, "since").as_deref(),
        param(query, "until").as_deref(),
        config,
        now,
    )
    .map_err(asked)?;
    let text = generate(database, config, period, format, by).map_err(ReportFailure::Failed)?;
    let content_type = match format {
        Format::Json => "application/json",
        Format::Markdown => "text/markdown; charset=utf-8",
        Format::Csv => "text/csv; charset=utf-8",
        Format::Text | Format::Slack => "text/plain; charset=utf-8",
    };
    Ok((content_type, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_decoded() {
        let cases = [
            (
                Some("since=2026-01-31T09%3A00&format=json"),
                "since",
                Some("2026-01-31T09:00"),
            ),
            (Some("since=12h"), "since", Some("12h")),
            (Some("a=b+c"), "a", Some("b c")),
            (Some("a=100%"), "a", Some("100%")),
            (Some("a=%zz"), "a", Some("%zz")),
            (Some("sincex=1"), "since", None),
            (None, "since", None),
        ];
        for (query, name, want) in cases {
            assert_eq!(param(query, name).as_deref(), want, "{query:?}");
        }
    }

    #[test]
    fn routes() {
        let cases = [
            ("GET", "/", Route::Page),
            ("HEAD", "/", Route::Page),
            ("GET", "/api/status", Route::Status),
            ("GET", "/api/report", Route::Report),
            ("GET", "/api/events", Route::Events),
            ("GET", "/fragment/timeline", Route::Timeline),
            ("GET", "/metrics", Route::Metrics),
            ("POST", "/metrics", Route::WrongMethod),
            ("GET", "/fragment/week", Route::Week),
            ("GET", "/healthz", Route::Healthz),
            ("GET", "/readyz", Route::Readyz),
            ("POST", "/api/answer", Route::Answer),
            ("POST", "/api/snooze", Route::Snooze),
            ("POST", "/api/skip", Route::Skip),
            ("GET", "/api/answer", Route::WrongMethod),
            ("PUT", "/api/answer", Route::WrongMethod),
            ("POST", "/", Route::WrongMethod),
            ("DELETE", "/api/status", Route::WrongMethod),
            ("GET", "/metric", Route::NotFound),
            ("GET", "/api/status/", Route::NotFound),
            ("GET", "/../etc/passwd", Route::NotFound),
        ];
        for (method, path, want) in cases {
            assert_eq!(route(method, path), want, "{method} {path}");
        }
    }
}
