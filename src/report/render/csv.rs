//! The report as CSV (RFC 4180 quoting, LF line ends): a header, then one
//! row per item — each commit, update and unanswered prompt — ordered by
//! the `time` column (for an update, when it was given; `prompt_time` is
//! the time it refers to), rows of the same second by kind, then the
//! columns from left to right, whatever `--by` says. Grouping is left to the spreadsheet: `repo`, `project`
//! and `tickets` are columns. Times are RFC 3339 with the configured
//! timezone's offset.

use super::outline::clean;
use super::{count, Clock};
use crate::report::Report;

const HEADER: [&str; 12] = [
    "kind",
    "time",
    "prompt_time",
    "repo",
    "project",
    "branch",
    "hash",
    "tickets",
    "state",
    "insertions",
    "deletions",
    "text",
];

pub(crate) fn write(r: &Report) -> String {
    let clock = Clock::new(&r.period);
    let time = |t| clock.local_rfc3339(t);
    let mut rows: Vec<(chrono::DateTime<chrono::Utc>, [String; 12])> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for c in r.groups.iter().flat_map(|g| &g.commits) {
        // With `--by ticket` a commit naming two tickets is in two groups;
        // it is still one row.
        if !seen.insert((&c.repo, &c.hash)) {
            continue;
        }
        rows.push((
            c.at,
            [
                "commit".into(),
                time(c.at),
                String::new(),
                c.repo.clone(),
                c.project.clone().unwrap_or_default(),
                c.branch.clone().unwrap_or_default(),
                c.hash.clone(),
                c.tickets.join(" "),
                c.kind.to_string(),
                opt(c.insertions),
                opt(c.deletions),
                c.summary.clone(),
            ],
        ));
    }
    for u in &r.updates {
        rows.push((
            u.answered_at,
            [
                "update".into(),
                time(u.answered_at),
                u.prompt_at.map(time).unwrap_or_default(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                u.tickets.join(" "),
                u.source.map(|s| s.as_str().to_string()).unwrap_or_default(),
                String::new(),
                String::new(),
                u.text.clone(),
            ],
        ));
    }
    for p in &r.prompts.unanswered {
        rows.push((
            p.opened_at,
            [
                "prompt".into(),
                time(p.opened_at),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                p.state.as_str().into(),
                String::new(),
                String::new(),
                count(u64::from(p.triggers), "trigger", "triggers"),
            ],
        ));
    }
    // Rows of the same second by their fields (kind, repository, hash …),
    // not by the groups they came from: `--by` changes no row's place.
    rows.sort();
    let mut out = line(HEADER.iter().map(|h| h.to_string()));
    for (_, row) in rows {
        out.push_str(&line(row));
    }
    out
}

fn opt(n: Option<u32>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

fn line(fields: impl IntoIterator<Item = String>) -> String {
    let mut out = fields
        .into_iter()
        .map(|f| field(&f))
        .collect::<Vec<_>>()
        .join(",");
    out.push('\n');
    out
}

/// One field: quoted when it holds a comma, a quote or a line break
/// (quotes doubled); other control characters become spaces.
pub(crate) fn field(s: &str) -> String {
    let s = clean(s);
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_as_rfc_4180_says() {
        let cases = [
            ("plain", "plain"),
            ("", ""),
            ("a,b", "\"a,b\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("two\nlines", "\"two\nlines\""),
            ("cr\r", "cr "),
            ("tab\there", "tab here"),
            ("ünïcode #12", "ünïcode #12"),
        ];
        for (input, want) in cases {
            assert_eq!(field(input), want, "{input:?}");
        }
    }
}
