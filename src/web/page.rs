//! The status page rendered from a [`PageModel`]: one HTML document,
//! readable without JavaScript, its pictures inline SVG with no inline
//! style or script (the Content-Security-Policy allows neither), and the
//! fragments the page's script re-fetches on a live event.
//!
//! The DOM is part of the contract (docs/web.md lists it, tests read it):
//! `svg#timeline` with one `g.lane[data-repo]` per repository holding a
//! `circle.commit[data-hash]` per commit, `g.lane.prompts` holding a
//! `g.prompt[data-id][data-outcome]` per prompt, `rect.work-hours`,
//! `rect.pause`, `line#now`; `section#open-prompt` with its forms;
//! `section#standup`, `section#health` (`li.check[data-status]`),
//! `section#week` (`g.day[data-date]` with `rect.bar.commits[data-repo]`
//! and `rect.bar.updates`).

use std::borrow::Cow;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::web::model::{HealthItem, OpenPrompt, PageModel};

/// The page's script and style, served by the daemon as `/page.js` and
/// `/page.css` (the policy allows scripts and styles from the page's own
/// origin only).
pub const SCRIPT: &str = include_str!("page.js");
pub const STYLE: &str = include_str!("page.css");

/// The Content-Security-Policy sent with every page and fragment.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; \
frame-ancestors 'none'";

const WIDTH: f64 = 960.0;
const LABEL: f64 = 130.0;
const RIGHT: f64 = 24.0;
const LANE: f64 = 28.0;
const AXIS: f64 = 22.0;

/// The whole page.
pub fn render_page(m: &PageModel) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let date = m.now.with_timezone(&m.tz).format("%A %-d %B %Y");
    let commits: usize = m.lanes.iter().map(|l| l.commits.len()).sum();
    let answered = m
        .prompts
        .iter()
        .filter(|p| p.outcome == crate::store::PromptState::Answered)
        .count();
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>devtrack: {date}</title><link rel=\"stylesheet\" href=\"/page.css\">\
<script src=\"/page.js\" defer></script></head>\n<body>\n\
<header><h1>devtrack</h1><p id=\"summary\" data-date=\"{date}\">{date}: {commits} {}, {} {} ({answered} answered)</p>\
<noscript><p class=\"note\">The page is live and its buttons work with JavaScript on; \
without it, reload to see new commits and answer with <code>devtrack note</code>.</p></noscript></header>\n\
<section id=\"today\"><h2>Today</h2>\n{}</section>\n{}\n\
<section id=\"standup\"><h2>Standup</h2><pre>{}</pre></section>\n{}\n{}\n</body></html>\n",
        plural(commits, "commit", "commits"),
        m.prompts.len(),
        plural(m.prompts.len(), "prompt", "prompts"),
        render_timeline(m),
        render_open_prompt(m.open_prompt.as_ref(), m.tz),
        esc(m.standup.trim_end()),
        render_health(&m.health),
        render_week(m),
    );
    out
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// The day as an SVG timeline (`svg#timeline`).
pub fn render_timeline(m: &PageModel) -> String {
    let (start, end) = m.axis;
    let span = (end - start).num_milliseconds().max(1) as f64;
    let x = |t: DateTime<Utc>| {
        let ms = (t - start).num_milliseconds().clamp(0, span as i64) as f64;
        LABEL + ms / span * (WIDTH - LABEL - RIGHT)
    };
    let lanes = m.lanes.len() + 1;
    let height = AXIS + LANE * lanes as f64;
    let mut s =
        String::with_capacity(256 + 200 * m.lanes.iter().map(|l| l.commits.len()).sum::<usize>());
    let _ = write!(
        s,
        "<svg id=\"timeline\" role=\"img\" aria-label=\"today's commits and prompts\" \
viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" \
data-start=\"{}\" data-end=\"{}\">",
        start.to_rfc3339(),
        end.to_rfc3339()
    );
    if let Some((ws, we)) = m.work {
        let _ = write!(
            s,
            "<rect class=\"work-hours\" x=\"{:.1}\" y=\"{AXIS}\" width=\"{:.1}\" height=\"{}\"><title>work hours {}–{}</title></rect>",
            x(ws),
            x(we) - x(ws),
            height - AXIS,
            hm(ws, m.tz),
            hm(we, m.tz)
        );
    }
    for (ps, pe) in &m.pauses {
        let _ = write!(
            s,
            "<rect class=\"pause\" x=\"{:.1}\" y=\"{AXIS}\" width=\"{:.1}\" height=\"{}\"><title>paused until {}</title></rect>",
            x(*ps),
            (x(*pe) - x(*ps)).max(1.0),
            height - AXIS,
            hm(*pe, m.tz)
        );
    }
    // Hour ticks.
    let mut tick = start;
    while tick <= end {
        let _ = write!(
            s,
            "<g class=\"tick\"><line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{1}\" y2=\"{height}\"/><text x=\"{0:.1}\" y=\"14\">{2}</text></g>",
            x(tick),
            AXIS - 4.0,
            hm(tick, m.tz)
        );
        tick += chrono::Duration::hours(1);
    }
    for (i, lane) in m.lanes.iter().enumerate() {
        let y = AXIS + LANE * i as f64 + LANE / 2.0;
        let _ = write!(
            s,
            "<g class=\"lane\" data-repo=\"{0}\"><text class=\"label\" x=\"4\" y=\"{1:.1}\">{0}</text>",
            esc(&lane.repo),
            y + 4.0
        );
        for c in &lane.commits {
            let short = c.hash.get(..7).unwrap_or(&c.hash);
            let _ = write!(
                s,
                "<circle class=\"commit\" tabindex=\"0\" data-hash=\"{}\" cx=\"{:.1}\" cy=\"{y:.1}\" r=\"5\"><title>{} {} {short} {}</title></circle>",
                esc(&c.hash),
                x(c.at),
                hm(c.at, m.tz),
                esc(&lane.repo),
                esc(&c.summary)
            );
        }
        s.push_str("</g>");
    }
    let y = AXIS + LANE * m.lanes.len() as f64 + LANE / 2.0;
    let _ = write!(
        s,
        "<g class=\"lane prompts\" id=\"prompts-lane\"><text class=\"label\" x=\"4\" y=\"{:.1}\">prompts</text>",
        y + 4.0
    );
    for p in &m.prompts {
        let outcome = p.outcome.as_str();
        let (x0, x1) = (x(p.opened_at), x(p.outcome_at));
        let _ = write!(
            s,
            "<g class=\"prompt\" tabindex=\"0\" data-id=\"{}\" data-outcome=\"{outcome}\" data-opened=\"{}\" data-outcome-at=\"{}\">\
<title>prompt {} at {}: {outcome} at {}</title>\
<line x1=\"{x0:.1}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/><rect x=\"{:.1}\" y=\"{:.1}\" width=\"8\" height=\"8\"/>",
            p.id,
            p.opened_at.to_rfc3339(),
            p.outcome_at.to_rfc3339(),
            p.id,
            hm(p.opened_at, m.tz),
            hm(p.outcome_at, m.tz),
            x1.max(x0),
            x0 - 4.0,
            y - 4.0,
        );
        if p.outcome_at != p.opened_at {
            let _ = write!(
                s,
                "<circle class=\"outcome\" cx=\"{x1:.1}\" cy=\"{y:.1}\" r=\"4\"/>"
            );
        }
        s.push_str("</g>");
    }
    s.push_str("</g>");
    if m.now >= start && m.now <= end {
        let _ = write!(
            s,
            "<line id=\"now\" class=\"now\" x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{AXIS}\" y2=\"{height}\"><title>now, {1}</title></line>",
            x(m.now),
            hm(m.now, m.tz)
        );
    }
    s.push_str("</svg>");
    s
}

/// The open prompt with its answer, snooze and skip forms
/// (`section#open-prompt`). The forms post through the page's script,
/// which adds the `X-Devtrack` header a write needs.
pub fn render_open_prompt(p: Option<&OpenPrompt>, tz: Tz) -> String {
    let Some(p) = p else {
        return "<section id=\"open-prompt\" data-prompt=\"\"><h2>Open prompt</h2>\
<p class=\"none\">No prompt is waiting for an answer.</p>\
<p id=\"write-result\" role=\"status\"></p></section>"
            .to_string();
    };
    let snoozed = p
        .snoozed_until
        .map(|t| format!(" (snoozed until {})", hm(t, tz)))
        .unwrap_or_default();
    format!(
        "<section id=\"open-prompt\" data-prompt=\"{id}\"><h2>Open prompt</h2>\
<p class=\"asked\">Asked at {at}{snoozed}: {summary}</p>\
<form id=\"answer-form\" method=\"post\" action=\"/api/answer\" data-prompt=\"{id}\">\
<label for=\"answer-text\">Your update</label>\
<textarea id=\"answer-text\" name=\"text\" rows=\"3\" required></textarea>\
<button type=\"submit\">Answer</button></form>\
<form id=\"snooze-form\" method=\"post\" action=\"/api/snooze\"><button type=\"submit\">Snooze</button></form>\
<form id=\"skip-form\" method=\"post\" action=\"/api/skip\"><button type=\"submit\">Skip</button></form>\
<p id=\"write-result\" role=\"status\"></p></section>",
        id = p.id,
        at = hm(p.opened_at, tz),
        summary = esc(&p.summary),
    )
}

/// The health section (`section#health`): one `li.check` per item, marked
/// `✓`, `!` or `✗` with its fix. `doctor`'s checks and the resource usage
/// are fed in here.
pub fn render_health(items: &[HealthItem]) -> String {
    let mut s = String::from("<section id=\"health\"><h2>Health</h2><ul>");
    for i in items {
        let mark = match i.status {
            crate::web::HealthStatus::Ok => "✓",
            crate::web::HealthStatus::Warning => "!",
            crate::web::HealthStatus::Failure => "✗",
        };
        let _ = write!(
            s,
            "<li class=\"check\" data-status=\"{}\"><span class=\"mark\">{mark}</span> \
<span class=\"name\">{}</span>: <span class=\"detail\">{}</span>",
            i.status.as_str(),
            esc(&i.name),
            esc(&i.detail)
        );
        if let Some(fix) = &i.fix {
            let _ = write!(s, " <code class=\"fix\">{}</code>", esc(fix));
        }
        s.push_str("</li>");
    }
    if items.is_empty() {
        s.push_str("<li class=\"none\">The daemon did not answer.</li>");
    }
    s.push_str("</ul></section>");
    s
}

/// The week (`section#week`): per day, a bar per repository as long as its
/// commits and one for the updates.
pub fn render_week(m: &PageModel) -> String {
    const ROW: f64 = 22.0;
    const UNIT: f64 = 8.0;
    let height = ROW * m.week.len() as f64 + 4.0;
    let mut s = format!(
        "<section id=\"week\"><h2>This week</h2><svg role=\"img\" aria-label=\"commits and updates per day\" \
viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\">"
    );
    let repos: Vec<&str> = {
        let mut r: Vec<&str> = m
            .week
            .iter()
            .flat_map(|d| d.commits.iter().map(|(n, _)| n.as_str()))
            .collect();
        r.sort_unstable();
        r.dedup();
        r
    };
    for (row, day) in m.week.iter().enumerate() {
        let y = ROW * row as f64 + 4.0;
        let _ = write!(
            s,
            "<g class=\"day\" data-date=\"{}\"><text class=\"label\" x=\"4\" y=\"{:.1}\">{}</text>",
            day.date,
            y + 13.0,
            day.date.format("%a %-d %b")
        );
        let mut x = LABEL;
        for (repo, n) in &day.commits {
            let w = UNIT * f64::from(*n);
            let shade = repos.iter().position(|r| r == repo).unwrap_or(0) % 6;
            let _ = write!(
                s,
                "<rect class=\"bar commits c{shade}\" data-repo=\"{}\" data-count=\"{n}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"8\"><title>{}: {n} {}</title></rect>",
                esc(repo),
                esc(repo),
                plural(*n as usize, "commit", "commits")
            );
            x += w + 2.0;
        }
        let _ = write!(
            s,
            "<rect class=\"bar updates\" data-count=\"{n}\" x=\"{LABEL}\" y=\"{:.1}\" width=\"{:.1}\" height=\"6\"><title>{n} {}</title></rect></g>",
            y + 10.0,
            UNIT * f64::from(day.updates),
            plural(day.updates as usize, "update", "updates"),
            n = day.updates,
        );
    }
    s.push_str("</svg></section>");
    s
}

fn hm(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%H:%M").to_string()
}

/// `text` safe inside an element or a double-quoted attribute.
pub(crate) fn esc(text: &str) -> Cow<'_, str> {
    if !text.contains(['<', '>', '&', '"', '\'']) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for ch in text.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests;
