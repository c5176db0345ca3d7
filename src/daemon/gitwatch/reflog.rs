//! The HEAD reflog line format, parsed without I/O.
//!
//! Git appends one line per HEAD movement:
//! `<old> SP <new> SP <name> SP <<email>> SP <unix time> SP <+hhmm> [TAB <message>] LF`.
//! Everything here is pure so it can be fuzzed: a malformed line is an
//! error value, never a panic, because reflogs are written by many tools.

use chrono::{DateTime, FixedOffset};

/// One parsed reflog line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReflogLine {
    /// The hash HEAD pointed at before (all zeros for a first commit).
    pub old: String,
    /// The hash HEAD points at after the operation.
    pub new: String,
    /// Identity of whoever moved HEAD (the committer, not the author).
    pub name: String,
    pub email: String,
    /// When HEAD moved, in the timezone of the person who moved it.
    pub time: DateTime<FixedOffset>,
    /// The operation, e.g. `commit: fix parser` or `checkout: moving from a to b`.
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    BadHash,
    BadIdentity,
    BadTime,
    BadOffset,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ParseError::BadHash => "malformed object hash",
            ParseError::BadIdentity => "malformed identity",
            ParseError::BadTime => "malformed timestamp",
            ParseError::BadOffset => "malformed timezone offset",
        })
    }
}

impl std::error::Error for ParseError {}

/// SHA-1 (40) or SHA-256 (64) hex object names.
fn is_hash(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Parses one line (without its trailing newline; a trailing `\r` is
/// tolerated). The message is everything after the first tab, tabs included.
pub fn parse_line(line: &str) -> Result<ReflogLine, ParseError> {
    let line = line.strip_suffix('\n').unwrap_or(line);
    let line = line.strip_suffix('\r').unwrap_or(line);
    let (header, message) = line.split_once('\t').unwrap_or((line, ""));

    let (old, rest) = header.split_once(' ').ok_or(ParseError::BadHash)?;
    let (new, ident) = rest.split_once(' ').ok_or(ParseError::BadHash)?;
    if !is_hash(old) || !is_hash(new) || old.len() != new.len() {
        return Err(ParseError::BadHash);
    }

    let ident = ident.trim_end();
    let (ident, tz) = ident.rsplit_once(' ').ok_or(ParseError::BadIdentity)?;
    let (who, secs) = ident.rsplit_once(' ').ok_or(ParseError::BadIdentity)?;

    let gt = who.rfind('>').ok_or(ParseError::BadIdentity)?;
    if gt + 1 != who.len() {
        return Err(ParseError::BadIdentity);
    }
    let lt = who[..gt].rfind('<').ok_or(ParseError::BadIdentity)?;
    let email = &who[lt + 1..gt];
    let name = who[..lt].trim_end();

    let secs: i64 = secs.parse().map_err(|_| ParseError::BadTime)?;
    let offset = parse_offset(tz).ok_or(ParseError::BadOffset)?;
    let utc = DateTime::from_timestamp(secs, 0).ok_or(ParseError::BadTime)?;

    Ok(ReflogLine {
        old: old.to_ascii_lowercase(),
        new: new.to_ascii_lowercase(),
        name: name.to_string(),
        email: email.to_string(),
        time: utc.with_timezone(&offset),
        message: message.to_string(),
    })
}

/// `+hhmm` / `-hhmm` as git writes it.
fn parse_offset(tz: &str) -> Option<FixedOffset> {
    let bytes = tz.as_bytes();
    if bytes.len() != 5 || !bytes[1..].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sign = match bytes[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let hours: i32 = tz[1..3].parse().ok()?;
    let minutes: i32 = tz[3..5].parse().ok()?;
    if minutes >= 60 {
        return None;
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

/// Splits `buf` into complete lines (each ending in `\n`, which is not
/// included) and returns them with the number of bytes they cover. A last
/// line without its newline is still being written and is left for later.
pub fn complete_lines(buf: &[u8]) -> (Vec<&[u8]>, usize) {
    let consumed = match buf.iter().rposition(|&b| b == b'\n') {
        Some(i) => i + 1,
        None => return (Vec::new(), 0),
    };
    let lines = buf[..consumed - 1].split(|&b| b == b'\n').collect();
    (lines, consumed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";

    #[test]
    fn parses_a_commit_line() {
        let line = format!(
            "{A} {B} Ada Lovelace <ada@example.com> 1700000000 +0100\tcommit: fix the parser"
        );
        let l = parse_line(&line).unwrap();
        assert_eq!(l.old, A);
        assert_eq!(l.new, B);
        assert_eq!(l.name, "Ada Lovelace");
        assert_eq!(l.email, "ada@example.com");
        assert_eq!(l.time.timestamp(), 1_700_000_000);
        assert_eq!(l.time.offset().local_minus_utc(), 3600);
        assert_eq!(l.message, "commit: fix the parser");
    }

    #[test]
    fn negative_offsets_and_half_hours() {
        let line = format!("{A} {B} X <x@y> 1700000000 -0530\tcheckout: moving from a to b");
        let l = parse_line(&line).unwrap();
        assert_eq!(l.time.offset().local_minus_utc(), -(5 * 3600 + 30 * 60));
        assert_eq!(l.time.timestamp(), 1_700_000_000);
    }

    #[test]
    fn messages_keep_their_tabs() {
        let line = format!("{A} {B} X <x@y> 1 +0000\tcommit: a\tb\t\tc");
        assert_eq!(parse_line(&line).unwrap().message, "commit: a\tb\t\tc");
    }

    #[test]
    fn odd_identities() {
        let line = format!(
            "{A} {B} Jöhn \"J.\" O'Brien-Ñ (work) <j+tag@ex-ample.co.uk> 1 +0000\tcommit: x"
        );
        let l = parse_line(&line).unwrap();
        assert_eq!(l.name, "Jöhn \"J.\" O'Brien-Ñ (work)");
        assert_eq!(l.email, "j+tag@ex-ample.co.uk");

        let empty = format!("{A} {B}  <> 1 +0000\tcommit: x");
        let l = parse_line(&empty).unwrap();
        assert_eq!(l.name, "");
        assert_eq!(l.email, "");
    }

    #[test]
    fn line_without_message() {
        let line = format!("{A} {B} X <x@y> 1700000000 +0000");
        assert_eq!(parse_line(&line).unwrap().message, "");
    }

    #[test]
    fn null_old_hash_of_a_first_commit() {
        let zero = "0".repeat(40);
        let line = format!("{zero} {B} X <x@y> 1 +0000\tcommit (initial): start");
        let l = parse_line(&line).unwrap();
        assert_eq!(l.old, zero);
        assert_eq!(l.new, B);
    }

    #[test]
    fn sha256_hashes() {
        let a = "a".repeat(64);
        let b = "b".repeat(64);
        let line = format!("{a} {b} X <x@y> 1 +0000\tcommit: x");
        assert_eq!(parse_line(&line).unwrap().new, b);
        let mixed = format!("{A} {b} X <x@y> 1 +0000\tcommit: x");
        assert_eq!(parse_line(&mixed), Err(ParseError::BadHash));
    }

    #[test]
    fn rejects_malformed_lines() {
        assert_eq!(parse_line(""), Err(ParseError::BadHash));
        assert_eq!(
            parse_line(&format!("{A} zzz X <x@y> 1 +0000\tm")),
            Err(ParseError::BadHash)
        );
        assert_eq!(
            parse_line(&format!("{A} {B} X x@y 1 +0000\tm")),
            Err(ParseError::BadIdentity)
        );
        assert_eq!(
            parse_line(&format!("{A} {B} X <x@y> soon +0000\tm")),
            Err(ParseError::BadTime)
        );
        assert_eq!(
            parse_line(&format!("{A} {B} X <x@y> 1 0100\tm")),
            Err(ParseError::BadOffset)
        );
        assert_eq!(
            parse_line(&format!("{A} {B} X <x@y> 1 +0199\tm")),
            Err(ParseError::BadOffset)
        );
        assert_eq!(
            parse_line(&format!("{A} {B} X <x@y> 99999999999999999 +0000\tm")),
            Err(ParseError::BadTime)
        );
    }

    #[test]
    fn complete_lines_leaves_a_partial_tail() {
        let (lines, used) = complete_lines(b"a\nb\nc");
        assert_eq!(lines, vec![&b"a"[..], &b"b"[..]]);
        assert_eq!(used, 4);
        let (lines, used) = complete_lines(b"partial");
        assert!(lines.is_empty());
        assert_eq!(used, 0);
        let (lines, used) = complete_lines(b"x\n\ny\n");
        assert_eq!(lines, vec![&b"x"[..], &b""[..], &b"y"[..]]);
        assert_eq!(used, 5);
    }

    mod prop {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn never_panics_on_strings(s in ".*") {
                let _ = parse_line(&s);
            }

            #[test]
            fn never_panics_on_bytes(b in proptest::collection::vec(any::<u8>(), 0..300)) {
                let _ = parse_line(&String::from_utf8_lossy(&b));
                let (lines, used) = complete_lines(&b);
                prop_assert!(used <= b.len());
                for l in lines {
                    let _ = parse_line(&String::from_utf8_lossy(l));
                }
            }

            #[test]
            fn never_panics_near_valid_lines(
                prefix in "[0-9a-f]{40} [0-9a-f]{40} ",
                tail in ".{0,80}",
            ) {
                let _ = parse_line(&format!("{prefix}{tail}"));
            }

            #[test]
            fn round_trips(
                old in "[0-9a-f]{40}",
                new in "[0-9a-f]{40}",
                name in "[^<>\n\t]{0,30}",
                email in "[^<>\n\t ]{0,30}",
                secs in 0i64..4_000_000_000,
                east in any::<bool>(),
                hh in 0i32..15,
                mm in 0i32..60,
                message in "[^\n\r]{0,80}",
            ) {
                let sign = if east { '+' } else { '-' };
                let line = format!("{old} {new} {name} <{email}> {secs} {sign}{hh:02}{mm:02}\t{message}");
                let parsed = parse_line(&line).unwrap();
                prop_assert_eq!(parsed.old, old);
                prop_assert_eq!(parsed.new, new);
                prop_assert_eq!(parsed.name, name.trim_end());
                prop_assert_eq!(parsed.email, email);
                prop_assert_eq!(parsed.time.timestamp(), secs);
                let off = (hh * 3600 + mm * 60) * if east { 1 } else { -1 };
                prop_assert_eq!(parsed.time.offset().local_minus_utc(), off);
                prop_assert_eq!(parsed.message, message);
            }
        }
    }
}
