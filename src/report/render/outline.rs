//! The report as an outline (a title, a summary line, sections of items)
//! and its three markups: plain text for the terminal, Markdown for an issue
//! (GitHub still links `#123` in it), and Slack's mrkdwn (`*bold*`, `•`
//! bullets, `&`, `<`, `>` escaped).
//!
//! Everything that came from a person or a repository (summaries, answers,
//! branch names) is cleaned first: control characters, including the
//! escape sequences a terminal would obey and bidirectional overrides,
//! become spaces.

use super::{count, Clock};
use crate::daemon::store::PromptState;
use crate::report::{CommitItem, Group, GroupBy, Report, UpdateItem};

/// A run of text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Span {
    Text(String),
    Strong(String),
    Code(String),
    Em(String),
    /// Between the columns of an item.
    Sep,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Title(Vec<Span>),
    Para(Vec<Span>),
    Heading(Vec<Span>),
    Item(Vec<Span>),
    Gap,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Markup {
    Text,
    Markdown,
    Slack,
}

fn text(s: impl Into<String>) -> Span {
    Span::Text(s.into())
}

/// The outline of `r`.
pub fn document(r: &Report) -> Vec<Block> {
    let clock = Clock::new(&r.period);
    let mut doc = vec![Block::Title(vec![text(format!(
        "{} ({})",
        r.period.title, r.period.timezone
    ))])];
    let t = &r.totals;
    if t.commits == 0 && t.updates == 0 && t.prompts == 0 && r.prompts.missed_slots.total() == 0 {
        doc.push(Block::Para(vec![text("nothing recorded")]));
        return doc;
    }
    let mut summary = Vec::new();
    if let Some(span) = r.span {
        summary.push(clock.span(span.first, span.last));
    }
    summary.push(format!(
        "{} (+{} -{})",
        count(t.commits, "commit", "commits"),
        t.insertions,
        t.deletions
    ));
    summary.push(count(t.updates, "update", "updates"));
    if t.tickets > 0 {
        summary.push(count(t.tickets, "ticket", "tickets"));
    }
    summary.push(format!(
        "{}, {} answered",
        count(t.prompts, "prompt", "prompts"),
        t.answered
    ));
    doc.push(Block::Para(vec![text(summary.join(" · "))]));
    doc.push(Block::Gap);

    for g in &r.groups {
        group(&mut doc, g, r.by, &clock);
    }
    if r.by != GroupBy::Ticket && !r.updates.is_empty() {
        doc.push(Block::Heading(vec![Span::Strong("Updates".into())]));
        for u in &r.updates {
            doc.push(update(u, &clock));
        }
        doc.push(Block::Gap);
    }
    if !r.tickets.is_empty() {
        doc.push(Block::Heading(vec![Span::Strong("Tickets".into())]));
        for tk in &r.tickets {
            let mut what = Vec::new();
            if tk.commits > 0 {
                what.push(count(tk.commits, "commit", "commits"));
            }
            if tk.updates > 0 {
                what.push(count(tk.updates, "update", "updates"));
            }
            let mut line = vec![text(tk.key.clone()), text(format!(": {}", what.join(", ")))];
            if !tk.repos.is_empty() {
                line.push(text(format!(" ({})", tk.repos.join(", "))));
            }
            doc.push(Block::Item(line));
        }
        doc.push(Block::Gap);
    }
    prompts(&mut doc, r, &clock);
    let (first, last) = r.period.dates();
    if first != last && !r.days.is_empty() {
        doc.push(Block::Heading(vec![Span::Strong("Days".into())]));
        for d in &r.days {
            doc.push(Block::Item(vec![
                text(clock.date(d.date)),
                Span::Sep,
                text(format!(
                    "{}–{}",
                    d.first.with_timezone(&r.period.tz).format("%H:%M"),
                    d.last.with_timezone(&r.period.tz).format("%H:%M")
                )),
                Span::Sep,
                text(format!(
                    "{}, {}",
                    count(d.commits, "commit", "commits"),
                    count(d.updates, "update", "updates")
                )),
            ]));
        }
    }
    while doc.last() == Some(&Block::Gap) {
        doc.pop();
    }
    doc
}

fn group(doc: &mut Vec<Block>, g: &Group, by: GroupBy, clock: &Clock) {
    let name = g.name.clone().unwrap_or_else(|| "(no ticket)".into());
    let mut about = Vec::new();
    if !g.commits.is_empty() {
        about.push(format!(
            "{} (+{} -{})",
            count(g.commits.len() as u64, "commit", "commits"),
            g.insertions,
            g.deletions
        ));
    }
    if by == GroupBy::Ticket && !g.updates.is_empty() {
        about.push(count(g.updates.len() as u64, "update", "updates"));
    }
    if by != GroupBy::Repo && !g.repos.is_empty() {
        about.push(format!("in {}", g.repos.join(", ")));
    }
    if !g.branches.is_empty() {
        about.push(format!("on {}", g.branches.join(", ")));
    }
    if by != GroupBy::Ticket && !g.tickets.is_empty() {
        about.push(format!("tickets {}", g.tickets.join(", ")));
    }
    doc.push(Block::Heading(vec![
        Span::Strong(name),
        text(format!(": {}", about.join(" · "))),
    ]));
    // Commits and (with `--by ticket`) updates, in time order.
    let mut items: Vec<_> = g
        .commits
        .iter()
        .map(|c| (c.at, commit(c, by != GroupBy::Repo, clock)))
        .chain(g.updates.iter().map(|u| (u.at, update(u, clock))))
        .collect();
    items.sort_by_key(|(at, _)| *at);
    doc.extend(items.into_iter().map(|(_, item)| item));
    doc.push(Block::Gap);
}

fn commit(c: &CommitItem, with_repo: bool, clock: &Clock) -> Block {
    let mut line = vec![text(clock.at(c.at)), Span::Sep];
    if with_repo {
        line.extend([text(c.repo.clone()), Span::Sep]);
    }
    line.push(Span::Code(c.short_hash.clone()));
    line.push(Span::Sep);
    match &c.branch {
        Some(b) => line.push(Span::Code(b.clone())),
        None => line.push(text("(detached)")),
    }
    line.extend([Span::Sep, text(c.summary.clone())]);
    if c.kind != "commit" {
        line.extend([text(" "), Span::Em(format!("({})", c.kind))]);
    }
    if let (Some(i), Some(d)) = (c.insertions, c.deletions) {
        line.push(text(format!(" (+{i} -{d})")));
    }
    Block::Item(line)
}

fn update(u: &UpdateItem, clock: &Clock) -> Block {
    let mut line = vec![text(clock.at(u.at)), Span::Sep, text(u.text.clone())];
    let note = match u.prompt_at {
        None => Some("(standalone)".to_string()),
        Some(_) if clock.beside(u.answered_at, u.at) != clock.beside(u.at, u.at) => {
            Some(format!("(answered {})", clock.beside(u.answered_at, u.at)))
        }
        Some(_) => None,
    };
    if let Some(note) = note {
        line.extend([text(" "), Span::Em(note)]);
    }
    Block::Item(line)
}

fn prompts(doc: &mut Vec<Block>, r: &Report, clock: &Clock) {
    let p = &r.prompts;
    let missed = p.missed_slots;
    if p.opened == 0 && missed.total() == 0 {
        return;
    }
    doc.push(Block::Heading(vec![Span::Strong("Prompts".into())]));
    doc.push(Block::Item(vec![text(format!(
        "{} opened, {} answered",
        p.opened, p.answered
    ))]));
    for u in &p.unanswered {
        let state = match u.state {
            PromptState::Open => "still open",
            PromptState::Snoozed => "snoozed",
            PromptState::Expired => "expired",
            PromptState::Skipped => "skipped",
            PromptState::Answered => "answered",
        };
        doc.push(Block::Item(vec![
            text(clock.at(u.opened_at)),
            Span::Sep,
            text(format!(
                "{state} ({})",
                count(u64::from(u.triggers), "trigger", "triggers")
            )),
        ]));
    }
    if missed.total() > 0 {
        let reasons: Vec<String> = [
            (missed.late, "late"),
            (missed.skipped, "skipped"),
            (missed.paused, "paused"),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, why)| format!("{n} {why}"))
        .collect();
        doc.push(Block::Item(vec![text(format!(
            "{}: {}",
            count(missed.total(), "missed slot", "missed slots"),
            reasons.join(", ")
        ))]));
    }
    doc.push(Block::Gap);
}

/// `doc` in `markup`, ending with a newline.
pub fn write(doc: &[Block], markup: Markup) -> String {
    let mut out = String::new();
    for block in doc {
        let line = match block {
            Block::Title(spans) => match markup {
                Markup::Text => spans_in(spans, markup, false),
                Markup::Markdown => format!("## {}", spans_in(spans, markup, false)),
                Markup::Slack => format!("*{}*", spans_in(spans, markup, false)),
            },
            Block::Para(spans) => spans_in(spans, markup, false),
            // A Markdown heading is bold already.
            Block::Heading(spans) => match markup {
                Markup::Markdown => format!("### {}", spans_in(spans, markup, true)),
                _ => spans_in(spans, markup, false),
            },
            Block::Item(spans) => {
                let bullet = match markup {
                    Markup::Text => "  ",
                    Markup::Markdown => "- ",
                    Markup::Slack => "• ",
                };
                format!("{bullet}{}", spans_in(spans, markup, false))
            }
            Block::Gap => String::new(),
        };
        out.push_str(&line);
        out.push('\n');
        // Markdown wants a blank line between a title or heading and what
        // follows it; the other markups keep them together.
        if markup == Markup::Markdown && matches!(block, Block::Title(_) | Block::Heading(_)) {
            out.push('\n');
        }
    }
    out
}

fn spans_in(spans: &[Span], markup: Markup, plain_strong: bool) -> String {
    let mut out = String::new();
    for span in spans {
        match span {
            Span::Text(s) => out.push_str(&escape(s, markup)),
            Span::Strong(s) if plain_strong || markup == Markup::Text => {
                out.push_str(&escape(s, markup))
            }
            Span::Strong(s) => match markup {
                Markup::Markdown => out.push_str(&format!("**{}**", escape(s, markup))),
                _ => out.push_str(&format!("*{}*", escape(s, markup))),
            },
            Span::Em(s) if markup == Markup::Text => out.push_str(&escape(s, markup)),
            Span::Em(s) => out.push_str(&format!("_{}_", escape(s, markup))),
            Span::Code(s) => out.push_str(&code(s, markup)),
            Span::Sep => out.push_str(if markup == Markup::Text { "  " } else { " " }),
        }
    }
    out
}

/// Control and bidirectional-override characters become spaces; line
/// breaks are kept for the caller.
pub fn clean(s: &str) -> String {
    s.chars()
        .map(|c| {
            let bidi = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
            if c != '\n' && (c.is_control() || bidi) {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// Cleaned and escaped text; a line break continues the item on an
/// indented line.
fn escape(s: &str, markup: Markup) -> String {
    let cleaned = clean(s);
    let mut lines = cleaned.split('\n');
    let mut out = escape_line(lines.next().unwrap_or(""), markup);
    for line in lines {
        match markup {
            Markup::Markdown => {
                out.push_str("  \n  ");
                out.push_str(&block_safe(&escape_line(line, markup)));
            }
            _ => {
                out.push_str("\n    ");
                out.push_str(&escape_line(line, markup));
            }
        }
    }
    out
}

fn escape_line(s: &str, markup: Markup) -> String {
    match markup {
        Markup::Text => s.to_string(),
        Markup::Slack => s
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;"),
        Markup::Markdown => {
            let mut out = String::with_capacity(s.len());
            for c in s.chars() {
                if matches!(
                    c,
                    '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '~' | '|'
                ) {
                    out.push('\\');
                }
                out.push(c);
            }
            out
        }
    }
}

/// A Markdown continuation line that would start a block (a heading, a
/// list, a quote) is escaped; `#123` stays a link.
fn block_safe(line: &str) -> String {
    let trimmed = line.trim_start();
    let digits = trimmed.chars().take_while(char::is_ascii_digit).count();
    let numbered = digits > 0 && matches!(trimmed[digits..].chars().next(), Some('.' | ')'));
    let heading =
        trimmed.starts_with('#') && !trimmed[1..].starts_with(|c: char| c.is_ascii_digit());
    let marker = matches!(trimmed.chars().next(), Some('-' | '+' | '='));
    if heading || marker {
        format!("\\{trimmed}")
    } else if numbered {
        format!("{}\\{}", &trimmed[..digits], &trimmed[digits..])
    } else {
        trimmed.to_string()
    }
}

fn code(s: &str, markup: Markup) -> String {
    let cleaned = clean(s).replace('\n', " ");
    match markup {
        Markup::Text => cleaned,
        Markup::Slack => format!(
            "`{}`",
            escape_line(&cleaned, Markup::Slack).replace('`', "'")
        ),
        Markup::Markdown if cleaned.contains('`') => format!("`` {cleaned} ``"),
        Markup::Markdown => format!("`{cleaned}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_is_cleaned_and_escaped() {
        let cases = [
            (
                Markup::Text,
                "fix \u{1b}[31mred\u{1b}[0m",
                "fix  [31mred [0m",
            ),
            (Markup::Text, "a\u{202E}b\tc", "a b c"),
            (Markup::Text, "two\nlines", "two\n    lines"),
            (
                Markup::Markdown,
                "use *ptr and a_b [x](y) <b> | ~",
                "use \\*ptr and a\\_b \\[x\\](y) \\<b\\> \\| \\~",
            ),
            (Markup::Markdown, "fixed #123", "fixed #123"),
            (
                Markup::Markdown,
                "one\n# two\n#12 three\n- four\n1. five",
                "one  \n  \\# two  \n  #12 three  \n  \\- four  \n  1\\. five",
            ),
            (
                Markup::Slack,
                "a < b && c > d *x*",
                "a &lt; b &amp;&amp; c &gt; d *x*",
            ),
        ];
        for (markup, input, want) in cases {
            assert_eq!(escape(input, markup), want, "{markup:?} {input:?}");
        }
    }

    #[test]
    fn code_spans_survive_backticks() {
        assert_eq!(code("a`b", Markup::Markdown), "`` a`b ``");
        assert_eq!(code("main", Markup::Markdown), "`main`");
        assert_eq!(code("a`<b", Markup::Slack), "`a'&lt;b`");
        assert_eq!(code("x\u{7}y", Markup::Text), "x y");
    }

    #[test]
    fn markups_of_one_outline() {
        let doc = vec![
            Block::Title(vec![text("Friday")]),
            Block::Heading(vec![Span::Strong("api".into()), text(": 1 commit")]),
            Block::Item(vec![
                text("09:05"),
                Span::Sep,
                Span::Code("abc1234".into()),
                Span::Sep,
                text("fix"),
                text(" "),
                Span::Em("(amend)".into()),
            ]),
        ];
        assert_eq!(
            write(&doc, Markup::Text),
            "Friday\napi: 1 commit\n  09:05  abc1234  fix (amend)\n"
        );
        assert_eq!(
            write(&doc, Markup::Markdown),
            "## Friday\n\n### api: 1 commit\n\n- 09:05 `abc1234` fix _(amend)_\n"
        );
        assert_eq!(
            write(&doc, Markup::Slack),
            "*Friday*\n*api*: 1 commit\n• 09:05 `abc1234` fix _(amend)_\n"
        );
    }
}
