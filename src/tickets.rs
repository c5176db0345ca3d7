//! Ticket references in free text: answers, commit messages, branch names.
//!
//! Three families, each recognised only while its integration is enabled in
//! the config (`integrations.<name>.enabled`), because the same characters
//! mean different things elsewhere: `#1` in "top #1 priority" is a GitHub
//! issue only to someone who uses GitHub, `ABC-123` a Jira key only to
//! someone who uses Jira.
//!
//! | family | forms | key stored |
//! |---|---|---|
//! | GitHub | `#123`, `GH-123`, `owner/repo#123` | `#123` (also for `GH-123`), `owner/repo#123` |
//! | Jira | `ABC-123` (project key: an uppercase letter, then 1–9 uppercase letters, digits or `_`) | `ABC-123` |
//! | Azure DevOps | `AB#123` | `AB#123` |
//!
//! A reference stands alone: no letter or digit right before it, none right
//! after, and not followed by `.5` or `-5` (a version, a date, a CVE id).
//! Numbers have 1–7 digits and no leading zero. Jira keys also exclude
//! names that are standards followed by a number (`UTF-8`, `ISO-8859`,
//! `SHA-256`, `TLS-1`, `CVE-…`; [`NOT_JIRA`]); lowercase (`sha-256`) is
//! never a Jira key. This is pure text scanning: no lookups, no I/O.

use serde::Serialize;

use crate::config::Integrations;

/// A ticket system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    Github,
    Jira,
    AzureDevops,
}

impl Family {
    #[cfg(test)]
    pub(crate) const ALL: [Family; 3] = [Family::Github, Family::Jira, Family::AzureDevops];

    /// The config's name: `github`, `jira`, `azure_devops`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Family::Github => "github",
            Family::Jira => "jira",
            Family::AzureDevops => "azure_devops",
        }
    }

    #[cfg(test)]
    pub(crate) fn parse(s: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// Which families are recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Families {
    pub github: bool,
    pub jira: bool,
    pub azure_devops: bool,
}

impl Families {
    pub const ALL: Families = Families {
        github: true,
        jira: true,
        azure_devops: true,
    };
    pub const NONE: Families = Families {
        github: false,
        jira: false,
        azure_devops: false,
    };

    /// The families whose integration is enabled.
    pub(crate) fn enabled(integrations: &Integrations) -> Families {
        Families {
            github: integrations.github.enabled,
            jira: integrations.jira.enabled,
            azure_devops: integrations.azure_devops.enabled,
        }
    }

    pub fn contains(self, family: Family) -> bool {
        match family {
            Family::Github => self.github,
            Family::Jira => self.jira,
            Family::AzureDevops => self.azure_devops,
        }
    }
}

/// One reference found.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Ticket {
    pub family: Family,
    pub key: String,
}

/// Prefixes that look like Jira project keys but name a standard or an
/// algorithm followed by its number.
pub(crate) const NOT_JIRA: &[&str] = &[
    "AES", "BASE", "CP", "CRC", "CVE", "CWE", "DES", "ECMA", "GPT", "HMAC", "HTTP", "IPV", "ISO",
    "LATIN", "MD", "PEP", "RFC", "RSA", "SHA", "SSL", "TLS", "UCS", "UTF", "WIN", "WINDOWS", "X86",
];

const MAX_DIGITS: usize = 7;
const MAX_JIRA_KEY: usize = 10;

/// The tickets in `text` of the enabled `families`, in order of first
/// appearance, each once.
pub fn extract(text: &str, families: Families) -> Vec<Ticket> {
    let mut found: Vec<Ticket> = Vec::new();
    if families == Families::NONE {
        return found;
    }
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match at(text, i, families) {
            Some((ticket, end)) => {
                if !found.contains(&ticket) {
                    found.push(ticket);
                }
                i = end;
            }
            None => i += 1,
        }
    }
    found
}

/// The tickets a commit counts for: those its message names; the
/// branch's only when the message names none. Five commits on
/// `feature/ABC-7-rate-limit` that say `ABC-8` are work on ABC-8, not on
/// both.
pub fn commit_tickets(
    summary: Option<&str>,
    branch: Option<&str>,
    families: Families,
) -> Vec<Ticket> {
    let named = extract(summary.unwrap_or(""), families);
    if !named.is_empty() {
        return named;
    }
    extract(branch.unwrap_or(""), families)
}

/// A reference starting at byte `i`, with the byte just past it.
fn at(text: &str, i: usize, families: Families) -> Option<(Ticket, usize)> {
    if !text.is_char_boundary(i) || !starts_word(text, i) {
        return None;
    }
    let ticket = |family, key: String| Ticket { family, key };
    if families.azure_devops {
        if let Some(end) = literal_number(text, i, b"AB#") {
            return Some((ticket(Family::AzureDevops, text[i..end].to_string()), end));
        }
    }
    if families.github {
        if let Some(end) = literal_number(text, i, b"GH-") {
            return Some((
                ticket(Family::Github, format!("#{}", &text[i + 3..end])),
                end,
            ));
        }
        if let Some(end) = owner_repo_number(text, i) {
            return Some((ticket(Family::Github, text[i..end].to_string()), end));
        }
        let prev = text[..i].chars().next_back();
        if !matches!(prev, Some('&' | '#' | '_')) {
            if let Some(end) = literal_number(text, i, b"#") {
                return Some((ticket(Family::Github, text[i..end].to_string()), end));
            }
        }
    }
    if families.jira {
        if let Some(end) = jira_key(text, i) {
            return Some((ticket(Family::Jira, text[i..end].to_string()), end));
        }
    }
    None
}

/// No letter or digit (of any script) right before byte `i`.
fn starts_word(text: &str, i: usize) -> bool {
    text[..i]
        .chars()
        .next_back()
        .is_none_or(|c| !c.is_alphanumeric())
}

/// The end of a ticket number starting at `i`, if one is there and stands
/// alone.
fn number(text: &str, i: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let digits = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > MAX_DIGITS || bytes[i] == b'0' {
        return None;
    }
    let end = i + digits;
    ends_word(text, end).then_some(end)
}

/// Nothing word-like at `end` (just past an ASCII digit): not a letter or
/// digit of any script, and not `.5` / `-5` (versions, dates,
/// `CVE-2024-1234`).
fn ends_word(text: &str, end: usize) -> bool {
    let mut rest = text[end..].chars();
    match rest.next() {
        None => true,
        Some('.' | '-') => !rest.next().is_some_and(|c| c.is_ascii_digit()),
        Some(c) => !c.is_alphanumeric(),
    }
}

/// `prefix` then a number.
fn literal_number(text: &str, i: usize, prefix: &[u8]) -> Option<usize> {
    let bytes = text.as_bytes();
    bytes[i..]
        .starts_with(prefix)
        .then(|| number(text, i + prefix.len()))
        .flatten()
}

/// `owner/repo#123`: a GitHub owner (letters, digits, `-`, at most 39,
/// not starting with `-`), a repository name (letters, digits, `.`, `-`,
/// `_`, at most 100).
fn owner_repo_number(text: &str, i: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    if i > 0 && matches!(bytes[i - 1], b'/' | b'.' | b'-') {
        return None;
    }
    let owner = run(bytes, i, |b| b.is_ascii_alphanumeric() || b == b'-');
    if owner == 0 || owner > 39 || bytes[i] == b'-' || bytes.get(i + owner) != Some(&b'/') {
        return None;
    }
    let repo_start = i + owner + 1;
    let repo = run(bytes, repo_start, |b| {
        b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_')
    });
    if repo == 0 || repo > 100 || bytes.get(repo_start + repo) != Some(&b'#') {
        return None;
    }
    number(text, repo_start + repo + 1)
}

/// `ABC-123` with a key that is not a standard's name.
fn jira_key(text: &str, i: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    if !bytes[i].is_ascii_uppercase() {
        return None;
    }
    let key = run(bytes, i, |b| {
        b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'
    });
    if !(2..=MAX_JIRA_KEY).contains(&key) || bytes.get(i + key) != Some(&b'-') {
        return None;
    }
    if NOT_JIRA.contains(&&text[i..i + key]) {
        return None;
    }
    number(text, i + key + 1)
}

/// How many bytes from `i` satisfy `ok`.
fn run(bytes: &[u8], i: usize, ok: impl Fn(u8) -> bool) -> usize {
    bytes[i..].iter().take_while(|b| ok(**b)).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const GH: Families = Families {
        github: true,
        jira: false,
        azure_devops: false,
    };
    const JIRA: Families = Families {
        github: false,
        jira: true,
        azure_devops: false,
    };
    const AZ: Families = Families {
        github: false,
        jira: false,
        azure_devops: true,
    };

    fn keys(text: &str, families: Families) -> Vec<String> {
        extract(text, families).into_iter().map(|t| t.key).collect()
    }

    #[test]
    fn a_commit_counts_for_its_message_else_its_branch() {
        let branch = Some("feature/ABC-7-rate-limit");
        let table: &[(Option<&str>, Option<&str>, &[&str])] = &[
            (Some("Limit per user ABC-8"), branch, &["ABC-8"]),
            (Some("Limit per user"), branch, &["ABC-7"]),
            (Some("ABC-7 and ABC-8"), branch, &["ABC-7", "ABC-8"]),
            (Some("Limit per user"), None, &[]),
            (None, branch, &["ABC-7"]),
            (Some("UTF-8 input"), branch, &["ABC-7"]),
        ];
        for (summary, branch, want) in table {
            let got: Vec<String> = commit_tickets(*summary, *branch, Families::ALL)
                .into_iter()
                .map(|t| t.key)
                .collect();
            assert_eq!(got, *want, "{summary:?} on {branch:?}");
        }
    }

    #[test]
    fn recognised_references() {
        let cases: &[(&str, Families, &[&str])] = &[
            ("fixed login bug for #123", GH, &["#123"]),
            ("#7 done", GH, &["#7"]),
            ("(#12), #13.", GH, &["#12", "#13"]),
            ("see GH-45", GH, &["#45"]),
            ("GH-45 and #45", GH, &["#45"]),
            ("rust-lang/rust#1234 upstream", GH, &["rust-lang/rust#1234"]),
            ("bump in my-org/re_po.rs#9", GH, &["my-org/re_po.rs#9"]),
            ("1.0 of my.org/x#9", GH, &[]),
            ("PROJ-42 login page", JIRA, &["PROJ-42"]),
            ("feature/ABC-123-login", JIRA, &["ABC-123"]),
            ("bugfix-ABC-123_retry", JIRA, &["ABC-123"]),
            ("A1_B-9: flaky", JIRA, &["A1_B-9"]),
            ("ABC-1, ABC-2 and ABC-1", JIRA, &["ABC-1", "ABC-2"]),
            ("GH-45 is a Jira key here", JIRA, &["GH-45"]),
            ("done AB#123", AZ, &["AB#123"]),
            ("AB#5 and AB#6", AZ, &["AB#5", "AB#6"]),
            (
                "PROJ-1 AB#2 #3 o/r#4",
                Families::ALL,
                &["PROJ-1", "AB#2", "#3", "o/r#4"],
            ),
            ("«#12»", GH, &["#12"]),
            ("https://x.atlassian.net/browse/ABC-77", JIRA, &["ABC-77"]),
        ];
        for (text, families, want) in cases {
            assert_eq!(keys(text, *families), *want, "{text:?} with {families:?}");
        }
    }

    #[test]
    fn false_positives_are_not_tickets() {
        let cases: &[(&str, Families)] = &[
            ("top #1 priority", JIRA),
            ("top #1 priority", AZ),
            ("fixed #123", Families::NONE),
            ("PROJ-42", GH),
            ("AB#123", GH),
            ("UTF-8 everywhere", Families::ALL),
            ("ISO-8859-1 input", Families::ALL),
            ("use sha-256 now", Families::ALL),
            ("use SHA-256 now", Families::ALL),
            ("TLS-1 is old, HTTP-2 is not", Families::ALL),
            ("CVE-2024-12345 patched", Families::ALL),
            ("ABC-123.4 release", JIRA),
            ("v1.2-ABC-3x", JIRA),
            ("ABC-0123", JIRA),
            ("ABC-12345678", JIRA),
            ("A-1 single letter", JIRA),
            ("TOOLONGPROJ-1", JIRA),
            ("abc-123 lowercase", JIRA),
            ("issue#12", GH),
            ("&#123; entity", GH),
            ("##12", GH),
            ("#12abc", GH),
            ("#0", GH),
            ("#1.5 percent", GH),
            ("café#12", GH),
            ("XAB#12", AZ),
            ("ab#12", AZ),
            ("GH-12x", GH),
            ("https://github.com/o/r#12", GH),
            ("-o/r#12", GH),
            ("color #1e1e1e", GH),
            ("", Families::ALL),
            ("#", Families::ALL),
            ("ABC-", Families::ALL),
        ];
        for (text, families) in cases {
            assert_eq!(
                keys(text, *families),
                Vec::<String>::new(),
                "{text:?} with {families:?}"
            );
        }
    }

    #[test]
    fn families_follow_the_config() {
        let mut i = Integrations::default();
        assert_eq!(Families::enabled(&i), Families::NONE);
        i.jira.enabled = true;
        let f = Families::enabled(&i);
        assert!(f.contains(Family::Jira) && !f.contains(Family::Github));
        assert_eq!(
            extract("ABC-1 #2", f),
            vec![Ticket {
                family: Family::Jira,
                key: "ABC-1".into()
            }]
        );
        for family in Family::ALL {
            assert_eq!(Family::parse(family.as_str()), Some(family));
        }
    }

    proptest! {
        #[test]
        fn never_panics_and_keys_come_from_the_text(text in any::<String>()) {
            for t in extract(&text, Families::ALL) {
                let written = t.key.strip_prefix('#').map(|n| format!("GH-{n}"));
                prop_assert!(
                    text.contains(&t.key) || written.is_some_and(|w| text.contains(&w)),
                    "{:?} not in {:?}", t.key, text
                );
            }
        }

        #[test]
        fn never_panics_on_ticket_like_text(text in "[A-Za-z0-9#/_.\\- é&]{0,40}") {
            let all = extract(&text, Families::ALL);
            let unique: std::collections::HashSet<_> = all.iter().collect();
            prop_assert_eq!(unique.len(), all.len());
        }
    }
}
