//! Editing `repositories:` in the config file's own text, for `devtrack
//! repo add|remove|enable|disable`. A config is written by hand and
//! commented; rewriting it from the parsed tree would lose that, so these
//! functions change only the bytes of one entry, found through the
//! positions the parser reported, and keep every other byte (comments,
//! blank lines, key order, quoting, flow or block style, CRLF). A new
//! entry copies the shape of the list it joins: `- name: ...` lines at the
//! list's indentation, `- {name: ..., path: ...}`, or an item of a flow
//! list `[{...}]`. What cannot be edited safely (an alias or anchor in the
//! list, a flow map at the top level, `repositories: ~`) is refused with
//! the reason, the line, and the text to paste by hand. Pure: the caller
//! validates the result before writing it.

use std::fmt::Write as _;

use super::scalar;
use super::tree::{Node, Position, Value};

/// A repository entry to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewEntry {
    pub name: String,
    /// As it is to be written (`~/src/api`, `/srv/api`).
    pub path: String,
    pub project: Option<String>,
    pub enabled: bool,
}

/// Why the text was not edited: the reason, the line it is about, and
/// what to paste instead, when there is something to paste.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub message: String,
    pub line: usize,
    pub paste: Option<String>,
}

/// The text with `entry` added at the end of `repositories:` (created at
/// the end of the file when missing).
pub(crate) fn add(
    text: &str,
    root: &Node,
    anchors: &[Position],
    entry: &NewEntry,
) -> Result<String, Refusal> {
    let doc = Doc::new(text);
    let paste = block_entry(entry, "  - ", "    ", None, doc.newline);
    let list = match locate(&doc, root, anchors, &paste)? {
        Located::Missing => {
            let mut out = text.to_owned();
            if !out.is_empty() && !out.ends_with('\n') {
                out.push_str(doc.newline);
            }
            if !out.trim().is_empty() && !out.ends_with(&format!("{0}{0}", doc.newline)) {
                out.push_str(doc.newline);
            }
            let _ = write!(out, "repositories:{}{paste}", doc.newline);
            return Ok(out);
        }
        Located::Empty { key_line } => {
            let at = doc.line_end(key_line);
            return Ok(splice(
                text,
                at,
                at,
                &format!("{}{}", doc.newline, trim_nl(&paste)),
            ));
        }
        Located::List(list) => list,
    };
    match list.style {
        Style::Flow => {
            let open = doc.offset(list.node.at);
            let item = flow_map(entry, None);
            let Some(last) = list.items.last() else {
                return Ok(splice(text, open + 1, open + 1, &item));
            };
            let start = doc.offset(last.at);
            let end = trim_end(text, scan(text, start));
            // One item per line stays one item per line.
            let insert = match list.items.len().checked_sub(2).map(|i| &list.items[i]) {
                Some(prev) if prev.at.line != last.at.line => {
                    format!(",{}{}{item}", doc.newline, " ".repeat(last.at.column - 1))
                }
                _ => format!(", {item}"),
            };
            Ok(splice(text, end, end, &insert))
        }
        Style::Block => {
            let last = list.items.last().expect("a block list has items");
            let (prefix, indent) = block_prefix(&doc, last)?;
            let quote = path_quote(&doc, last);
            let new = if doc.char_at(last.at) == Some('{') {
                format!("{prefix}{}{}", flow_map(entry, quote), doc.newline)
            } else {
                block_entry(entry, &prefix, &indent, quote, doc.newline)
            };
            let end_line = list_end_line(&doc, &list);
            let at = doc.line_end(end_line);
            Ok(splice(
                text,
                at,
                at,
                &format!("{}{}", doc.newline, trim_nl(&new)),
            ))
        }
    }
}

/// The text without the entry at `index` of `repositories:`.
pub(crate) fn remove(
    text: &str,
    root: &Node,
    anchors: &[Position],
    index: usize,
) -> Result<String, Refusal> {
    let doc = Doc::new(text);
    let list = the_list(&doc, root, anchors)?;
    let Some(item) = list.items.get(index) else {
        return Err(refusal(list.key_line, "no such entry", None));
    };
    match list.style {
        Style::Flow => {
            let start = doc.offset(item.at);
            let delimiter = scan(text, start);
            let end = trim_end(text, delimiter);
            if let Some(next) = list.items.get(index + 1) {
                return Ok(splice(text, start, doc.offset(next.at), ""));
            }
            if index > 0 {
                let comma = scan(text, doc.offset(list.items[index - 1].at));
                return Ok(splice(text, comma, end, ""));
            }
            let through = if text[delimiter..].starts_with(',') {
                delimiter + 1
            } else {
                end
            };
            Ok(splice(text, start, through, ""))
        }
        Style::Block => {
            block_prefix(&doc, item)?;
            let first = item.at.line - 1;
            let last = item_end_line(&doc, &list, index, true);
            let from = doc.lines[first].start;
            let to = doc.lines[last].next;
            Ok(splice(text, from, to, ""))
        }
    }
}

/// The text with the entry at `index` enabled or disabled; `None` when it
/// already is.
pub(crate) fn set_enabled(
    text: &str,
    root: &Node,
    anchors: &[Position],
    index: usize,
    enabled: bool,
) -> Result<Option<String>, Refusal> {
    let doc = Doc::new(text);
    let list = the_list(&doc, root, anchors)?;
    let Some(item) = list.items.get(index) else {
        return Err(refusal(list.key_line, "no such entry", None));
    };
    let Value::Map(entries) = &item.value else {
        return Err(refusal(item.at.line, "the entry is not a map", None));
    };
    let word = if enabled { "true" } else { "false" };
    if let Some(current) = entries.iter().find(|e| e.key == "enabled") {
        if current.value.value == Value::Bool(enabled) {
            return Ok(None);
        }
        let start = doc.offset(current.value.at);
        let end = scalar_end(text, start, doc.char_at(item.at) == Some('{'));
        return Ok(Some(splice(text, start, end, word)));
    }
    if enabled {
        return Ok(None);
    }
    if doc.char_at(item.at) == Some('{') {
        let mut close = scan(text, doc.offset(item.at) + 1);
        while text[close..].starts_with(',') {
            close = scan(text, close + 1);
        }
        let at = trim_end(text, close);
        let insert = if text[..at].ends_with(',') {
            " enabled: false"
        } else {
            ", enabled: false"
        };
        return Ok(Some(splice(text, at, at, insert)));
    }
    let (_, indent) = block_prefix(&doc, item)?;
    let last = item_end_line(&doc, &list, index, false);
    let at = doc.line_end(last);
    Ok(Some(splice(
        text,
        at,
        at,
        &format!("{}{indent}enabled: false", doc.newline),
    )))
}

/// `value` as a YAML scalar: plain when that reads back as the same
/// string, else double-quoted.
pub(crate) fn scalar_text(value: &str) -> String {
    let plain = !value.is_empty()
        && value.trim() == value
        && !value.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`".contains(c))
        && !value.contains(": ")
        && !value.contains(" #")
        && !value.ends_with(':')
        && !value.contains(|c: char| "[]{},".contains(c) || c.is_control())
        && scalar::resolve(value) == Value::Str(value.to_owned());
    if plain {
        value.to_owned()
    } else {
        double_quoted(value)
    }
}

fn double_quoted(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn single_quoted(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// The path written with the quote character the list already uses.
fn path_text(path: &str, quote: Option<char>) -> String {
    match quote {
        Some('\'') if !path.contains(|c: char| c.is_control()) => single_quoted(path),
        Some('"') => double_quoted(path),
        _ => scalar_text(path),
    }
}

/// `name: ..` lines, the first after `prefix`, the others after `indent`.
fn block_entry(
    entry: &NewEntry,
    prefix: &str,
    indent: &str,
    quote: Option<char>,
    newline: &str,
) -> String {
    let mut out = format!("{prefix}name: {}{newline}", scalar_text(&entry.name));
    let _ = write!(
        out,
        "{indent}path: {}{newline}",
        path_text(&entry.path, quote)
    );
    if let Some(project) = &entry.project {
        let _ = write!(out, "{indent}project: {}{newline}", scalar_text(project));
    }
    if !entry.enabled {
        let _ = write!(out, "{indent}enabled: false{newline}");
    }
    out
}

fn flow_map(entry: &NewEntry, quote: Option<char>) -> String {
    let mut out = format!(
        "{{name: {}, path: {}",
        scalar_text(&entry.name),
        path_text(&entry.path, quote)
    );
    if let Some(project) = &entry.project {
        let _ = write!(out, ", project: {}", scalar_text(project));
    }
    if !entry.enabled {
        out.push_str(", enabled: false");
    }
    out.push('}');
    out
}

fn trim_nl(text: &str) -> &str {
    text.trim_end_matches(['\r', '\n'])
}

fn splice(text: &str, from: usize, to: usize, with: &str) -> String {
    let mut out = String::with_capacity(text.len() + with.len());
    out.push_str(&text[..from]);
    out.push_str(with);
    out.push_str(&text[to..]);
    out
}

fn refusal(line: usize, message: &str, paste: Option<&str>) -> Refusal {
    Refusal {
        message: message.to_owned(),
        line,
        paste: paste.map(str::to_owned),
    }
}

/// One line of the text: where it starts, where its content ends (before
/// `\r\n` or `\n`), where the next one starts.
struct Line {
    start: usize,
    end: usize,
    next: usize,
}

struct Doc<'a> {
    text: &'a str,
    lines: Vec<Line>,
    newline: &'static str,
}

impl<'a> Doc<'a> {
    fn new(text: &'a str) -> Doc<'a> {
        let mut lines = Vec::new();
        let mut start = 0;
        for piece in text.split_inclusive('\n') {
            let content = piece.trim_end_matches('\n').trim_end_matches('\r');
            lines.push(Line {
                start,
                end: start + content.len(),
                next: start + piece.len(),
            });
            start += piece.len();
        }
        if lines.is_empty() {
            lines.push(Line {
                start: 0,
                end: 0,
                next: 0,
            });
        }
        let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
        Doc {
            text,
            lines,
            newline,
        }
    }

    /// The content of 0-based line `i`.
    fn line(&self, i: usize) -> &'a str {
        let line = &self.lines[i];
        &self.text[line.start..line.end]
    }

    /// Where 0-based line `i`'s content ends.
    fn line_end(&self, i: usize) -> usize {
        self.lines[i].end
    }

    /// The byte offset of a parser position (columns count characters; a
    /// byte order mark is not one).
    fn offset(&self, at: Position) -> usize {
        let i = at.line.saturating_sub(1).min(self.lines.len() - 1);
        let mut start = self.lines[i].start;
        if start == 0 && self.text.starts_with('\u{feff}') {
            start += '\u{feff}'.len_utf8();
        }
        let rest = &self.text[start..];
        start
            + rest
                .char_indices()
                .nth(at.column - 1)
                .map_or(rest.len(), |(i, _)| i)
    }

    fn char_at(&self, at: Position) -> Option<char> {
        self.text[self.offset(at)..].chars().next()
    }

    fn indent(&self, i: usize) -> usize {
        let line = self.line(i);
        line.len() - line.trim_start_matches(' ').len()
    }

    fn is_blank(&self, i: usize) -> bool {
        self.line(i).trim().is_empty()
    }

    fn is_comment(&self, i: usize) -> bool {
        self.line(i).trim_start().starts_with('#')
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Block,
    Flow,
}

struct List<'n> {
    node: &'n Node,
    items: &'n [Node],
    style: Style,
    /// 0-based line of the `repositories` key.
    key_line: usize,
    /// 0-based line where the next top-level key starts, if any.
    next_key_line: Option<usize>,
}

enum Located<'n> {
    Missing,
    /// `repositories:` with nothing after it.
    Empty {
        key_line: usize,
    },
    List(List<'n>),
}

fn the_list<'n>(doc: &Doc<'_>, root: &'n Node, anchors: &[Position]) -> Result<List<'n>, Refusal> {
    match locate(doc, root, anchors, "")? {
        Located::List(list) if !list.items.is_empty() => Ok(list),
        Located::List(list) => Err(refusal(list.key_line + 1, "no repositories", None)),
        Located::Empty { key_line } => Err(refusal(key_line + 1, "no repositories", None)),
        Located::Missing => Err(refusal(1, "no `repositories:` key", None)),
    }
}

fn locate<'n>(
    doc: &Doc<'_>,
    root: &'n Node,
    anchors: &[Position],
    paste: &str,
) -> Result<Located<'n>, Refusal> {
    let paste = (!paste.is_empty()).then(|| paste.to_owned());
    let entries = match &root.value {
        Value::Null => return Ok(Located::Missing),
        Value::Map(entries) if doc.char_at(root.at) != Some('{') => entries,
        _ => {
            return Err(refusal(
                root.at.line,
                "the top level is not a block map of `key: value` lines",
                paste.as_deref(),
            ))
        }
    };
    let Some(index) = entries.iter().position(|e| e.key == "repositories") else {
        return Ok(Located::Missing);
    };
    let entry = &entries[index];
    let key_line = entry.key_at.line - 1;
    let next_key_line = entries.get(index + 1).map(|e| e.key_at.line - 1);
    if let Some(at) = anchors
        .iter()
        .find(|at| at.line > key_line && next_key_line.is_none_or(|next| at.line <= next))
    {
        return Err(refusal(
            at.line,
            "`repositories:` uses a YAML anchor or alias; editing it could change other entries",
            paste.as_deref(),
        ));
    }
    let node = &entry.value;
    match &node.value {
        Value::Seq(items) => {
            let style = if doc.char_at(node.at) == Some('[') {
                Style::Flow
            } else {
                Style::Block
            };
            Ok(Located::List(List {
                node,
                items,
                style,
                key_line,
                next_key_line,
            }))
        }
        Value::Null => {
            let line = doc.line(key_line);
            let after = line.split_once(':').map_or("", |(_, rest)| rest).trim();
            if after.is_empty() || after.starts_with('#') {
                Ok(Located::Empty { key_line })
            } else {
                Err(refusal(
                    key_line + 1,
                    "`repositories:` is set to null",
                    paste.as_deref(),
                ))
            }
        }
        _ => Err(refusal(
            key_line + 1,
            "`repositories:` is not a list",
            paste.as_deref(),
        )),
    }
}

/// The text before a block item's key (`  - `) and the indentation of its
/// other keys.
fn block_prefix(doc: &Doc<'_>, item: &Node) -> Result<(String, String), Refusal> {
    let line = doc.line(item.at.line - 1);
    let start = doc.offset(item.at) - doc.lines[item.at.line - 1].start;
    let prefix = &line[..start.min(line.len())];
    if prefix.trim() != "-" || !prefix.starts_with([' ', '-']) {
        return Err(refusal(
            item.at.line,
            "a list item that does not start its own `- ` line",
            None,
        ));
    }
    Ok((prefix.to_owned(), " ".repeat(prefix.chars().count())))
}

/// The quote character the item's `path` is written with, if any.
fn path_quote(doc: &Doc<'_>, item: &Node) -> Option<char> {
    let Value::Map(entries) = &item.value else {
        return None;
    };
    let path = entries.iter().find(|e| e.key == "path")?;
    doc.char_at(path.value.at)
        .filter(|c| *c == '\'' || *c == '"')
}

/// The last 0-based line the block list's items take, comments indented
/// into it included (not those at column 1, nor blank lines, which
/// belong to what follows).
fn list_end_line(doc: &Doc<'_>, list: &List<'_>) -> usize {
    let last_item = list.items.last().map_or(list.key_line, |i| i.at.line - 1);
    let mut line = list.next_key_line.unwrap_or(doc.lines.len()) - 1;
    while line > last_item
        && (doc.is_blank(line) || (doc.is_comment(line) && doc.indent(line) == 0))
    {
        line -= 1;
    }
    line
}

/// The last 0-based line of block item `index`: its last content line,
/// and with `comments`, comments indented deeper than its `-` after it.
fn item_end_line(doc: &Doc<'_>, list: &List<'_>, index: usize, comments: bool) -> usize {
    let first = list.items[index].at.line - 1;
    let dash = doc.indent(first);
    let stop = match list.items.get(index + 1) {
        Some(next) => next.at.line - 1,
        None => list.next_key_line.unwrap_or(doc.lines.len()),
    };
    let mut last = first;
    for line in first + 1..stop {
        let inside = if doc.is_comment(line) {
            comments && doc.indent(line) > dash
        } else {
            !doc.is_blank(line)
        };
        if inside {
            last = line;
        }
    }
    last
}

/// From `from` inside a flow collection: the offset of the first `,`,
/// `]` or `}` not nested deeper nor quoted nor in a comment.
fn scan(text: &str, from: usize) -> usize {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' | b'"' => i = quoted_end(text, i) - 1,
            b'#' if i == 0 || bytes[i - 1].is_ascii_whitespace() => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'[' | b'{' => depth += 1,
            b']' | b'}' if depth == 0 => return i,
            b',' if depth == 0 => return i,
            b']' | b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

/// The offset after the quoted scalar that starts at `from`.
fn quoted_end(text: &str, from: usize) -> usize {
    let bytes = text.as_bytes();
    let quote = bytes[from];
    let mut i = from + 1;
    while i < bytes.len() {
        if quote == b'"' && bytes[i] == b'\\' {
            i += 2;
            continue;
        }
        if bytes[i] == quote {
            if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    bytes.len()
}

/// The offset after the scalar that starts at `from`.
fn scalar_end(text: &str, from: usize, flow: bool) -> usize {
    if text[from..].starts_with(['\'', '"']) {
        return quoted_end(text, from);
    }
    let line_end = text[from..]
        .find(['\r', '\n'])
        .map_or(text.len(), |i| from + i);
    let mut end = line_end;
    if let Some(i) = text[from..line_end].find(" #") {
        end = from + i;
    }
    if flow {
        end = end.min(scan(text, from));
    }
    trim_end(text, end)
}

/// `at` moved back over whitespace.
fn trim_end(text: &str, at: usize) -> usize {
    text[..at].trim_end().len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::yaml;

    fn entry(name: &str, path: &str) -> NewEntry {
        NewEntry {
            name: name.into(),
            path: path.into(),
            project: None,
            enabled: true,
        }
    }

    fn parsed(text: &str) -> (Node, Vec<Position>) {
        (yaml::parse(text).unwrap(), yaml::anchors(text))
    }

    fn added(text: &str, new: &NewEntry) -> Result<String, Refusal> {
        let (root, anchors) = parsed(text);
        add(text, &root, &anchors, new)
    }

    #[test]
    fn add_follows_the_list_style() {
        let api = entry("api", "~/src/api");
        let cases: &[(&str, &str)] = &[
            // Block, comments and blank lines kept, before the next key.
            (
                "# mine\nrepositories:\n  - name: web   # the site\n    path: ~/web\n\n# later\nsettings:\n  log_level: info\n",
                "# mine\nrepositories:\n  - name: web   # the site\n    path: ~/web\n  - name: api\n    path: ~/src/api\n\n# later\nsettings:\n  log_level: info\n",
            ),
            // Indented comments after the last entry stay with the list.
            (
                "repositories:\n  - name: web\n    path: /w\n    # enabled: false\nsettings: {}\n",
                "repositories:\n  - name: web\n    path: /w\n    # enabled: false\n  - name: api\n    path: ~/src/api\nsettings: {}\n",
            ),
            // Dash at the key's indent, odd spacing after the dash.
            (
                "repositories:\n-   name: web\n    path: /w\n",
                "repositories:\n-   name: web\n    path: /w\n-   name: api\n    path: ~/src/api\n",
            ),
            // Flow items in a block list.
            (
                "repositories:\n  - {name: web, path: /w}\n",
                "repositories:\n  - {name: web, path: /w}\n  - {name: api, path: ~/src/api}\n",
            ),
            // Flow list, one line, and empty.
            (
                "repositories: [{name: web, path: /w}]  # one\n",
                "repositories: [{name: web, path: /w}, {name: api, path: ~/src/api}]  # one\n",
            ),
            (
                "repositories: []\nsettings: {}\n",
                "repositories: [{name: api, path: ~/src/api}]\nsettings: {}\n",
            ),
            // Flow list, one item a line.
            (
                "repositories: [\n  {name: a, path: /a},\n  {name: b, path: /b}\n]\n",
                "repositories: [\n  {name: a, path: /a},\n  {name: b, path: /b},\n  {name: api, path: ~/src/api}\n]\n",
            ),
            // Missing key: appended; empty file; comment-only file.
            (
                "settings:\n  log_level: info",
                "settings:\n  log_level: info\n\nrepositories:\n  - name: api\n    path: ~/src/api\n",
            ),
            ("", "repositories:\n  - name: api\n    path: ~/src/api\n"),
            (
                "# nothing\n",
                "# nothing\n\nrepositories:\n  - name: api\n    path: ~/src/api\n",
            ),
            // An empty key, with a comment.
            (
                "repositories:   # none yet\nsettings: {}\n",
                "repositories:   # none yet\n  - name: api\n    path: ~/src/api\nsettings: {}\n",
            ),
            // Quoting follows the list's paths.
            (
                "repositories:\n  - name: web\n    path: '/w'\n",
                "repositories:\n  - name: web\n    path: '/w'\n  - name: api\n    path: '~/src/api'\n",
            ),
            // CRLF stays CRLF.
            (
                "repositories:\r\n  - name: web\r\n    path: /w\r\n",
                "repositories:\r\n  - name: web\r\n    path: /w\r\n  - name: api\r\n    path: ~/src/api\r\n",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(added(text, &api).as_deref(), Ok(*want), "{text:?}");
        }
    }

    #[test]
    fn add_writes_project_disabled_and_quotes() {
        let new = NewEntry {
            name: "my: app".into(),
            path: "/srv/#1".into(),
            project: Some("true".into()),
            enabled: false,
        };
        assert_eq!(
            added("repositories:\n  - name: a\n    path: /a\n", &new).unwrap(),
            "repositories:\n  - name: a\n    path: /a\n  - name: \"my: app\"\n    path: /srv/#1\n    project: \"true\"\n    enabled: false\n"
        );
        assert_eq!(
            added("repositories: []\n", &new).unwrap(),
            "repositories: [{name: \"my: app\", path: /srv/#1, project: \"true\", enabled: false}]\n"
        );
    }

    #[test]
    fn unsafe_shapes_are_refused_with_the_line_to_paste() {
        let api = entry("api", "/a");
        let cases: &[(&str, usize, &str)] = &[
            (
                "base: &b {path: /x}\nrepositories:\n  - <<: *b\n    name: x\n",
                3,
                "anchor or alias",
            ),
            (
                "repositories: &r\n  - {name: x, path: /x}\n",
                2,
                "anchor or alias",
            ),
            ("{settings: {}}\n", 1, "not a block map"),
            ("repositories: ~\n", 1, "set to null"),
        ];
        for (text, line, message) in cases {
            let err = added(text, &api).unwrap_err();
            assert_eq!(err.line, *line, "{text:?}");
            assert!(err.message.contains(message), "{text:?}: {}", err.message);
            assert_eq!(err.paste.as_deref(), Some("  - name: api\n    path: /a\n"));
        }
    }

    fn removed(text: &str, index: usize) -> String {
        let (root, anchors) = parsed(text);
        remove(text, &root, &anchors, index).unwrap()
    }

    #[test]
    fn remove_takes_the_entry_and_its_indented_comments() {
        let block = "repositories:\n  # about the list\n  - name: a\n    path: /a\n    # a's comment\n\n  - name: b\n    path: /b\n    enabled: false\n  # after\nsettings: {}\n";
        let cases: &[(&str, usize, &str)] = &[
            (
                block,
                0,
                "repositories:\n  # about the list\n\n  - name: b\n    path: /b\n    enabled: false\n  # after\nsettings: {}\n",
            ),
            (
                block,
                1,
                "repositories:\n  # about the list\n  - name: a\n    path: /a\n    # a's comment\n\n  # after\nsettings: {}\n",
            ),
            (
                "repositories:\n  - name: a\n    path: /a\n",
                0,
                "repositories:\n",
            ),
            (
                "repositories: [{name: a, path: /a}, {name: b, path: /b}, {name: c, path: /c}]\n",
                1,
                "repositories: [{name: a, path: /a}, {name: c, path: /c}]\n",
            ),
            (
                "repositories: [{name: a, path: /a}, {name: b, path: \"/b,]\"}]\n",
                1,
                "repositories: [{name: a, path: /a}]\n",
            ),
            (
                "repositories: [{name: a, path: /a}]\n",
                0,
                "repositories: []\n",
            ),
            (
                "repositories: [{name: a, path: /a},]\n",
                0,
                "repositories: []\n",
            ),
            (
                "repositories: [\n  {name: a, path: /a},\n  {name: b, path: /b}\n]\n",
                1,
                "repositories: [\n  {name: a, path: /a}\n]\n",
            ),
            (
                "repositories:\r\n  - name: a\r\n    path: /a\r\n  - name: b\r\n    path: /b\r\n",
                0,
                "repositories:\r\n  - name: b\r\n    path: /b\r\n",
            ),
        ];
        for (text, index, want) in cases {
            assert_eq!(removed(text, *index), *want, "{text:?} [{index}]");
        }
    }

    fn flipped(text: &str, index: usize, enabled: bool) -> Option<String> {
        let (root, anchors) = parsed(text);
        set_enabled(text, &root, &anchors, index, enabled).unwrap()
    }

    #[test]
    fn enabled_is_flipped_in_place_or_added() {
        let cases: &[(&str, usize, bool, Option<&str>)] = &[
            (
                "repositories:\n  - name: a\n    enabled: true   # yes\n    path: /a\n",
                0,
                false,
                Some("repositories:\n  - name: a\n    enabled: false   # yes\n    path: /a\n"),
            ),
            (
                "repositories:\n  - name: a\n    path: /a\n  # next\n  - name: b\n    path: /b\n",
                0,
                false,
                Some("repositories:\n  - name: a\n    path: /a\n    enabled: false\n  # next\n  - name: b\n    path: /b\n"),
            ),
            (
                "repositories:\n  - {name: a, path: /a, enabled: false}\n",
                0,
                true,
                Some("repositories:\n  - {name: a, path: /a, enabled: true}\n"),
            ),
            (
                "repositories: [{name: a, path: /a}, {name: b, path: /b }]\n",
                1,
                false,
                Some("repositories: [{name: a, path: /a}, {name: b, path: /b, enabled: false }]\n"),
            ),
            (
                "repositories:\n  - {name: a, path: /a,}\n",
                0,
                false,
                Some("repositories:\n  - {name: a, path: /a, enabled: false}\n"),
            ),
            ("repositories:\n  - {name: a, path: /a}\n", 0, true, None),
            (
                "repositories:\n  - {name: a, path: /a, enabled: false}\n",
                0,
                false,
                None,
            ),
        ];
        for (text, index, enabled, want) in cases {
            assert_eq!(
                flipped(text, *index, *enabled).as_deref(),
                *want,
                "{text:?} [{index}] {enabled}"
            );
        }
    }

    #[test]
    fn more_shapes_keep_every_other_byte() {
        let api = entry("api", "/a");
        let cases: &[(&str, &str)] = &[
            // A document start and a byte order mark.
            (
                "\u{feff}---\nrepositories:\n- name: w\n  path: /w\n",
                "\u{feff}---\nrepositories:\n- name: w\n  path: /w\n- name: api\n  path: /a\n",
            ),
            // Brackets in a comment after a flow list.
            (
                "repositories: [{name: w, path: /w}] # [not, this]\n",
                "repositories: [{name: w, path: /w}, {name: api, path: /a}] # [not, this]\n",
            ),
            // A file without a final line feed.
            (
                "repositories:\n  - name: w\n    path: /w",
                "repositories:\n  - name: w\n    path: /w\n  - name: api\n    path: /a",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(added(text, &api).as_deref(), Ok(*want), "{text:?}");
        }
        // A flow map over several lines in a block list goes whole.
        assert_eq!(
            removed(
                "repositories:\n  - {name: a,\n     path: /a}\n  - name: b\n    path: /b\n",
                0
            ),
            "repositories:\n  - name: b\n    path: /b\n"
        );
        // A quoted key is still the key.
        assert_eq!(
            flipped(
                "repositories:\n  - name: a\n    path: /a\n    \"enabled\": false\n",
                0,
                true
            )
            .as_deref(),
            Some("repositories:\n  - name: a\n    path: /a\n    \"enabled\": true\n")
        );
    }

    #[test]
    fn the_starter_config_is_edited_like_any_file() {
        let starter = crate::config::starter();
        let with_api = added(starter, &entry("api", "/a")).unwrap();
        assert!(
            with_api.contains("project: Work}\n  - name: api\n    path: /a\n\nsettings:"),
            "{with_api}"
        );
        let without = removed(&with_api, 0);
        assert!(!without.contains("myproject") && !without.contains("per-repository override"));
        assert!(without.contains("repositories:\n  # One entry per git work tree"));
        let parse = |text: &str| {
            crate::config::parse(text, std::path::Path::new("/c.yaml")).map_err(|e| e.to_string())
        };
        assert_eq!(parse(&without).unwrap().repositories.len(), 1);
        // The last one gone: `repositories:` and its comments, no entries.
        let empty = removed(&without, 0);
        assert!(empty.contains("repositories:\n  # One entry per git work tree"));
        assert!(parse(&empty).unwrap().repositories.is_empty());
    }

    #[test]
    fn scalars_are_plain_only_when_they_read_back() {
        for (value, want) in [
            ("api", "api"),
            ("~/src/api", "~/src/api"),
            ("~", "\"~\""),
            ("123", "\"123\""),
            ("yes", "yes"),
            ("true", "\"true\""),
            ("a: b", "\"a: b\""),
            ("-x", "\"-x\""),
            ("say \"hi\"", "say \"hi\""),
            ("", "\"\""),
            ("a,b", "\"a,b\""),
        ] {
            assert_eq!(scalar_text(value), want, "{value:?}");
        }
    }
}
