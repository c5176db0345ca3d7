//! The report as an outline (a title, a summary line, sections of items)
//! and its three markups: plain text for the terminal, Markdown for an issue
//! (GitHub still links `#123` in it), and Slack's mrkdwn (`*bold*`, `•`
//! bullets, `&`, `<`, `>` escaped).
//!
//! Everything that came from a person or a repository (summaries, answers,
//! branch names) is cleaned first: control characters, including the
//! escape sequences a terminal would obey and bidirectional overrides,
//! become spaces.

use std::borrow::Cow;

use super::{count, Clock};
use crate::protocol::CommitKind;
use crate::report::{CommitItem, Group, GroupBy, Report, UpdateItem};
use crate::store::PromptState;

/// A run of text, borrowed from the report where it can be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Span<'a> {
    Text(Cow<'a, str>),
    Strong(Cow<'a, str>),
    Code(Cow<'a, str>),
    Em(Cow<'a, str>),
    /// Between the columns of an item.
    Sep,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Block<'a> {
    Title(Vec<Span<'a>>),
    Para(Vec<Span<'a>>),
    Heading(Vec<Span<'a>>),
    Item(Vec<Span<'a>>),
    Gap,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Markup {
    Text,
    Markdown,
    Slack,
}

fn text<'a>(s: impl Into<Cow<'a, str>>) -> Span<'a> {
    Span::Text(s.into())
}

/// The outline of `r`.
pub(crate) fn document(r: &Report) -> Vec<Block<'_>> {
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
            let mut line = vec![
                text(tk.key.as_str()),
                text(format!(": {}", what.join(", "))),
            ];
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

fn group<'a>(doc: &mut Vec<Block<'a>>, g: &'a Group, by: GroupBy, clock: &Clock) {
    let name = g.name.as_deref().unwrap_or("(no ticket)");
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
        Span::Strong(name.into()),
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

fn commit<'a>(c: &'a CommitItem, with_repo: bool, clock: &Clock) -> Block<'a> {
    let mut line = vec![text(clock.at(c.at)), Span::Sep];
    if with_repo {
        line.extend([text(c.repo.as_str()), Span::Sep]);
    }
    line.push(Span::Code(c.short_hash.as_str().into()));
    line.push(Span::Sep);
    match &c.branch {
        Some(b) => line.push(Span::Code(b.as_str().into())),
        None => line.push(text("(detached)")),
    }
    line.extend([Span::Sep, text(c.summary.as_str())]);
    if c.kind != CommitKind::Commit {
        line.extend([text(" "), Span::Em(format!("({})", c.kind).into())]);
    }
    if let (Some(i), Some(d)) = (c.insertions, c.deletions) {
        line.push(text(format!(" (+{i} -{d})")));
    }
    Block::Item(line)
}

fn update<'a>(u: &'a UpdateItem, clock: &Clock) -> Block<'a> {
    let mut line = vec![text(clock.at(u.at)), Span::Sep, text(u.text.as_str())];
    let note = match u.prompt_at {
        None => Some("(standalone)".to_string()),
        Some(_) if clock.beside(u.answered_at, u.at) != clock.beside(u.at, u.at) => {
            Some(format!("(answered {})", clock.beside(u.answered_at, u.at)))
        }
        Some(_) => None,
    };
    if let Some(note) = note {
        line.extend([text(" "), Span::Em(note.into())]);
    }
    Block::Item(line)
}

fn prompts(doc: &mut Vec<Block<'_>>, r: &Report, clock: &Clock) {
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
pub(crate) fn write(doc: &[Block<'_>], markup: Markup) -> String {
    let mut out = String::with_capacity(doc.len() * 96);
    for block in doc {
        match block {
            Block::Title(spans) => match markup {
                Markup::Text => spans_into(&mut out, spans, markup, false),
                Markup::Markdown => {
                    out.push_str("## ");
                    spans_into(&mut out, spans, markup, false);
                }
                Markup::Slack => {
                    out.push('*');
                    spans_into(&mut out, spans, markup, false);
                    out.push('*');
                }
            },
            Block::Para(spans) => spans_into(&mut out, spans, markup, false),
            // A Markdown heading is bold already.
            Block::Heading(spans) => match markup {
                Markup::Markdown => {
                    out.push_str("### ");
                    spans_into(&mut out, spans, markup, true);
                }
                _ => spans_into(&mut out, spans, markup, false),
            },
            Block::Item(spans) => {
                out.push_str(match markup {
                    Markup::Text => "  ",
                    Markup::Markdown => "- ",
                    Markup::Slack => "• ",
                });
                spans_into(&mut out, spans, markup, false);
            }
            Block::Gap => {}
        }
        out.push('\n');
        // Markdown wants a blank line between a title or heading and what
        // follows it; the other markups keep them together.
        if markup == Markup::Markdown && matches!(block, Block::Title(_) | Block::Heading(_)) {
            out.push('\n');
        }
    }
    out
}

fn spans_into(out: &mut String, spans: &[Span<'_>], markup: Markup, plain_strong: bool) {
    for span in spans {
        let (mark, s) = match span {
            Span::Sep => {
                out.push_str(if markup == Markup::Text { "  " } else { " " });
                continue;
            }
            Span::Code(s) => {
                code_into(out, s, markup);
                continue;
            }
            Span::Text(s) => ("", s),
            Span::Strong(s) if plain_strong => ("", s),
            Span::Strong(s) => match markup {
                Markup::Text => ("", s),
                Markup::Markdown => ("**", s),
                Markup::Slack => ("*", s),
            },
            Span::Em(s) if markup == Markup::Text => ("", s),
            Span::Em(s) => ("_", s),
        };
        out.push_str(mark);
        escape_into(out, s, markup);
        out.push_str(mark);
    }
}

/// Control characters (but line breaks) and bidirectional overrides,
/// which a terminal would obey or which reorder what is shown.
fn unsafe_char(c: char) -> bool {
    c != '\n' && (c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
}

/// `s` with unsafe characters as spaces; line breaks are kept for the
/// caller.
pub(crate) fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if unsafe_char(c) { ' ' } else { c })
        .collect()
}

/// One character of cleaned, escaped text.
fn push_escaped(out: &mut String, c: char, markup: Markup) {
    let c = if unsafe_char(c) { ' ' } else { c };
    match (markup, c) {
        (Markup::Slack, '&') => out.push_str("&amp;"),
        (Markup::Slack, '<') => out.push_str("&lt;"),
        (Markup::Slack, '>') => out.push_str("&gt;"),
        (Markup::Markdown, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '~' | '|') => {
            out.push('\\');
            out.push(c);
        }
        _ => out.push(c),
    }
}

/// Cleaned and escaped text; a line break continues the item on an
/// indented line.
fn escape_into(out: &mut String, s: &str, markup: Markup) {
    for (i, line) in s.split('\n').enumerate() {
        let line = if i == 0 {
            line
        } else if markup == Markup::Markdown {
            out.push_str("  \n  ");
            block_safe_into(out, line.trim_start())
        } else {
            out.push_str("\n    ");
            line
        };
        let mut rest = line;
        while !rest.is_empty() {
            let (before, url, after) = match markup {
                Markup::Markdown => split_url(rest),
                _ => (rest, "", ""),
            };
            for c in before.chars() {
                push_escaped(out, c, markup);
            }
            // A bare URL is written as it is: a linkifier takes `\_` into
            // the link, which then leads nowhere.
            for c in url.chars() {
                out.push(if unsafe_char(c) { ' ' } else { c });
            }
            rest = after;
        }
    }
}

/// `s` split around its first bare `http://` or `https://` URL: the text
/// before it, the URL, the text after it. The URL ends at white space or
/// at a character that cannot stand in one unescaped (`<`, `>`, a
/// backtick, a quote), and trailing punctuation (`.`, `,`, `)` …) is left
/// to the sentence, as GitHub's autolinks do. No URL: `(s, "", "")`.
fn split_url(s: &str) -> (&str, &str, &str) {
    let start = ["https://", "http://"]
        .iter()
        .filter_map(|scheme| {
            s.match_indices(scheme)
                .map(|(at, _)| at)
                .find(|&at| !s[..at].ends_with(|c: char| c.is_alphanumeric()))
        })
        .min();
    let Some(start) = start else {
        return (s, "", "");
    };
    let tail = &s[start..];
    let len = tail
        .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '`' | '"'))
        .unwrap_or(tail.len());
    let url =
        tail[..len].trim_end_matches(['.', ',', ':', ';', '!', '?', ')', '\'', '*', '_', '~']);
    if !url.contains("://") || url.ends_with("://") {
        // A scheme and nothing after it: plain text.
        return (&s[..start + len], "", &s[start + len..]);
    }
    (&s[..start], url, &s[start + url.len()..])
}

/// A Markdown continuation line that would start a block (a heading, a
/// list, a quote) is escaped; `#123` stays a link. Writes the escape and
/// returns what is left to write.
fn block_safe_into<'l>(out: &mut String, line: &'l str) -> &'l str {
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    let numbered = digits > 0 && matches!(line[digits..].chars().next(), Some('.' | ')'));
    let heading = line.starts_with('#') && !line[1..].starts_with(|c: char| c.is_ascii_digit());
    let marker = matches!(line.chars().next(), Some('-' | '+' | '='));
    if heading || marker {
        out.push('\\');
        line
    } else if numbered {
        out.push_str(&line[..digits]);
        out.push('\\');
        &line[digits..]
    } else {
        line
    }
}

fn code_into(out: &mut String, s: &str, markup: Markup) {
    let fence = match markup {
        Markup::Text => "",
        Markup::Markdown if s.contains('`') => "``",
        _ => "`",
    };
    let pad = if fence == "``" { " " } else { "" };
    out.push_str(fence);
    out.push_str(pad);
    for c in s.chars() {
        let c = if c == '\n' || unsafe_char(c) { ' ' } else { c };
        match (markup, c) {
            (Markup::Slack, '`') => out.push('\''),
            (Markup::Slack, _) => push_escaped(out, c, markup),
            _ => out.push(c),
        }
    }
    out.push_str(pad);
    out.push_str(fence);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escape(s: &str, markup: Markup) -> String {
        let mut out = String::new();
        escape_into(&mut out, s, markup);
        out
    }

    fn code(s: &str, markup: Markup) -> String {
        let mut out = String::new();
        code_into(&mut out, s, markup);
        out
    }

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
                "see https://x.io/a_b_c?q=1*2 and a_b",
                "see https://x.io/a_b_c?q=1*2 and a\\_b",
            ),
            (
                Markup::Markdown,
                "(https://x.io/user_id). done_",
                "(https://x.io/user_id). done\\_",
            ),
            (
                Markup::Markdown,
                "two http://a.io/x_y, https://b.io/__init__",
                "two http://a.io/x_y, https://b.io/__init\\_\\_",
            ),
            (Markup::Markdown, "xhttps://a_b", "xhttps://a\\_b"),
            (Markup::Markdown, "https:// a_b", "https:// a\\_b"),
            (
                Markup::Slack,
                "https://x.io/?a=1&b=2",
                "https://x.io/?a=1&amp;b=2",
            ),
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
