//! Key path -> line and column, read straight from the source text.
//!
//! The YAML library used for parsing does not keep positions in its value
//! tree, so this module scans the (already known to be valid) text into a
//! tree of positions for the YAML shapes config files use: block maps, block
//! sequences (`- name: x`), flow maps and sequences (`{name: x, path: y}`,
//! possibly spanning lines), plain, quoted and block (`|`, `>`) scalars, and
//! comments. A path that cannot be followed to its end resolves to its
//! deepest located prefix, so a missing key points at its parent.

use super::keypath::{KeyPath, Segment};

/// 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Position {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug)]
struct Tree {
    /// Where the value's text starts (for an absent value: where it would).
    pos: Position,
    shape: Shape,
}

#[derive(Debug)]
enum Shape {
    Scalar,
    Map(Vec<Entry>),
    Seq(Vec<Tree>),
}

#[derive(Debug)]
struct Entry {
    key: String,
    key_pos: Position,
    value: Tree,
}

/// Positions of every key and sequence item of one document.
#[derive(Debug)]
pub(crate) struct Locator {
    root: Tree,
}

impl Locator {
    pub fn new(text: &str) -> Locator {
        Locator {
            root: Scanner::new(text).document(),
        }
    }

    /// Position of the key (for a final map key) or of the item's value (for
    /// a final index); the deepest located prefix when the path leaves the
    /// document. The root path gives where the document's content starts.
    pub fn locate(&self, path: &KeyPath) -> Position {
        let mut tree = &self.root;
        let mut best = tree.pos;
        for segment in path.segments() {
            match (segment, &tree.shape) {
                (Segment::Key(key), Shape::Map(entries)) => {
                    match entries.iter().find(|e| &e.key == key) {
                        Some(entry) => {
                            best = entry.key_pos;
                            tree = &entry.value;
                        }
                        None => break,
                    }
                }
                (Segment::Index(index), Shape::Seq(items)) => match items.get(*index) {
                    Some(item) => {
                        best = item.pos;
                        tree = item;
                    }
                    None => break,
                },
                _ => break,
            }
        }
        best
    }
}

struct Scanner {
    chars: Vec<char>,
    i: usize,
    /// Index of the first char of every line.
    line_starts: Vec<usize>,
}

fn is_blank_or_end(c: Option<char>) -> bool {
    matches!(c, None | Some(' ' | '\t' | '\n' | '\r'))
}

impl Scanner {
    fn new(text: &str) -> Scanner {
        let chars: Vec<char> = text.trim_start_matches('\u{feff}').chars().collect();
        let mut line_starts = vec![0];
        for (i, c) in chars.iter().enumerate() {
            if *c == '\n' {
                line_starts.push(i + 1);
            }
        }
        Scanner {
            chars,
            i: 0,
            line_starts,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }

    fn at(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }

    fn line_index(&self, i: usize) -> usize {
        match self.line_starts.binary_search(&i) {
            Ok(line) => line,
            Err(next) => next - 1,
        }
    }

    fn column0(&self, i: usize) -> usize {
        i - self.line_starts[self.line_index(i)]
    }

    fn pos(&self, i: usize) -> Position {
        Position {
            line: self.line_index(i) + 1,
            column: self.column0(i) + 1,
        }
    }

    fn indent_of_line(&self, i: usize) -> usize {
        let start = self.line_starts[self.line_index(i)];
        let mut j = start;
        while self.at(j) == Some(' ') {
            j += 1;
        }
        j - start
    }

    fn end_of_line(&self, from: usize) -> usize {
        let mut j = from;
        while !matches!(self.at(j), None | Some('\n')) {
            j += 1;
        }
        j
    }

    /// Skips spaces and tabs, then a comment up to (not past) the newline.
    fn skip_inline_space(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\r')) {
            self.i += 1;
        }
        if self.peek() == Some('#') {
            self.i = self.end_of_line(self.i);
        }
    }

    /// Skips whitespace, newlines and comments (between flow tokens).
    fn skip_space(&mut self) {
        loop {
            self.skip_inline_space();
            if self.peek() == Some('\n') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    fn at_line_end(&self) -> bool {
        matches!(self.peek(), None | Some('\n'))
    }

    /// The first content char of the next line that has any, starting
    /// after the line containing `from`.
    fn next_content_line(&self, from: usize) -> Option<usize> {
        let mut j = self.end_of_line(from);
        loop {
            if j >= self.chars.len() {
                return None;
            }
            j += 1; // past '\n'
            while matches!(self.at(j), Some(' ' | '\t' | '\r')) {
                j += 1;
            }
            match self.at(j) {
                None => return None,
                Some('\n') => continue,
                Some('#') => j = self.end_of_line(j),
                Some(_) => {
                    if self.is_document_marker(j) {
                        return None;
                    }
                    return Some(j);
                }
            }
        }
    }

    fn is_document_marker(&self, j: usize) -> bool {
        self.column0(j) == 0
            && ((self.at(j) == Some('-')
                && self.at(j + 1) == Some('-')
                && self.at(j + 2) == Some('-'))
                || (self.at(j) == Some('.')
                    && self.at(j + 1) == Some('.')
                    && self.at(j + 2) == Some('.')))
            && is_blank_or_end(self.at(j + 3))
    }

    fn document(&mut self) -> Tree {
        // Directives (`%YAML`) and a leading `---`.
        loop {
            self.skip_space();
            if self.peek() == Some('%') && self.column0(self.i) == 0 {
                self.i = self.end_of_line(self.i);
            } else {
                break;
            }
        }
        if self.i < self.chars.len() && self.is_document_marker(self.i) && self.peek() == Some('-')
        {
            self.i += 3;
            self.skip_space();
        }
        if self.i >= self.chars.len() {
            return Tree {
                pos: Position { line: 1, column: 1 },
                shape: Shape::Scalar,
            };
        }
        self.node(-1)
    }

    /// A value starting at the current char, in block context; `parent` is
    /// the indentation of the enclosing collection (continuation lines of a
    /// scalar are those indented more).
    fn node(&mut self, parent: isize) -> Tree {
        let start = self.i;
        let pos = self.pos(start);
        match self.peek() {
            Some('{') => self.flow_map(),
            Some('[') => self.flow_seq(),
            Some('-') if is_blank_or_end(self.at(self.i + 1)) => {
                self.block_seq(self.column0(start))
            }
            Some('|' | '>') => {
                self.skip_block_scalar(parent);
                Tree {
                    pos,
                    shape: Shape::Scalar,
                }
            }
            Some('&' | '!') => {
                // Anchor or tag: skip it and read the value it decorates.
                while !is_blank_or_end(self.peek()) {
                    self.i += 1;
                }
                self.skip_inline_space();
                if self.at_line_end() {
                    match self.next_content_line(self.i) {
                        Some(j) if self.indent_of_line(j) as isize > parent => {
                            self.i = j;
                            self.node(parent)
                        }
                        _ => Tree {
                            pos,
                            shape: Shape::Scalar,
                        },
                    }
                } else {
                    self.node(parent)
                }
            }
            _ if self.key_follows(start) => self.block_map(self.column0(start)),
            Some('"' | '\'') => {
                self.quoted();
                self.skip_continuations(parent);
                Tree {
                    pos,
                    shape: Shape::Scalar,
                }
            }
            _ => {
                self.i = self.end_of_line(self.i);
                self.skip_continuations(parent);
                Tree {
                    pos,
                    shape: Shape::Scalar,
                }
            }
        }
    }

    /// Whether a block-map key (`key:` followed by a blank) starts at `i`.
    fn key_follows(&self, i: usize) -> bool {
        let mut j = i;
        match self.at(j) {
            Some(q @ ('"' | '\'')) => {
                j += 1;
                while let Some(c) = self.at(j) {
                    j += 1;
                    if c == '\\' && q == '"' {
                        j += 1;
                    } else if c == q {
                        if q == '\'' && self.at(j) == Some('\'') {
                            j += 1;
                        } else {
                            break;
                        }
                    }
                }
                while matches!(self.at(j), Some(' ' | '\t')) {
                    j += 1;
                }
                self.at(j) == Some(':') && is_blank_or_end(self.at(j + 1))
            }
            _ => {
                let mut prev_blank = true;
                while let Some(c) = self.at(j) {
                    match c {
                        '\n' => return false,
                        '#' if prev_blank => return false,
                        ':' if is_blank_or_end(self.at(j + 1)) => return true,
                        _ => {}
                    }
                    prev_blank = c == ' ' || c == '\t';
                    j += 1;
                }
                false
            }
        }
    }

    /// Skips lines indented more than `parent` (a multi-line plain scalar).
    fn skip_continuations(&mut self, parent: isize) {
        while let Some(j) = self.next_content_line(self.i) {
            if self.indent_of_line(j) as isize > parent {
                self.i = self.end_of_line(j);
            } else {
                break;
            }
        }
    }

    fn skip_block_scalar(&mut self, parent: isize) {
        self.i = self.end_of_line(self.i);
        loop {
            if self.i >= self.chars.len() {
                return;
            }
            let next = self.i + 1;
            let end = self.end_of_line(next);
            let line: String = self.chars[next..end].iter().collect();
            let blank = line.trim().is_empty();
            let indent = line.len() - line.trim_start_matches(' ').len();
            if blank || indent as isize > parent {
                self.i = end;
            } else {
                return;
            }
        }
    }

    /// Reads a quoted scalar at the current char, returning its content.
    fn quoted(&mut self) -> String {
        let quote = self.peek().unwrap_or('"');
        self.i += 1;
        let mut out = String::new();
        while let Some(c) = self.peek() {
            self.i += 1;
            if c == '\\' && quote == '"' {
                if let Some(escaped) = self.peek() {
                    self.i += 1;
                    out.push(match escaped {
                        'n' => '\n',
                        't' => '\t',
                        other => other,
                    });
                }
            } else if c == quote {
                if quote == '\'' && self.peek() == Some('\'') {
                    self.i += 1;
                    out.push('\'');
                } else {
                    break;
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    /// Reads a map key (quoted or plain) up to, not including, its `:`.
    fn block_key(&mut self) -> String {
        if matches!(self.peek(), Some('"' | '\'')) {
            let key = self.quoted();
            while matches!(self.peek(), Some(' ' | '\t')) {
                self.i += 1;
            }
            return key;
        }
        let start = self.i;
        while let Some(c) = self.peek() {
            if c == '\n' || (c == ':' && is_blank_or_end(self.at(self.i + 1))) {
                break;
            }
            self.i += 1;
        }
        self.chars[start..self.i]
            .iter()
            .collect::<String>()
            .trim()
            .to_owned()
    }

    fn block_map(&mut self, indent: usize) -> Tree {
        let pos = self.pos(self.i);
        let mut entries = Vec::new();
        loop {
            let key_pos = self.pos(self.i);
            let key = self.block_key();
            if self.peek() == Some(':') {
                self.i += 1;
            }
            self.skip_inline_space();
            let value = if self.at_line_end() {
                match self.next_content_line(self.i) {
                    Some(j)
                        if self.indent_of_line(j) > indent
                            || (self.indent_of_line(j) == indent
                                && self.at(j) == Some('-')
                                && is_blank_or_end(self.at(j + 1))) =>
                    {
                        self.i = j;
                        self.node(indent as isize)
                    }
                    _ => Tree {
                        pos: key_pos,
                        shape: Shape::Scalar,
                    },
                }
            } else {
                self.node(indent as isize)
            };
            entries.push(Entry {
                key,
                key_pos,
                value,
            });
            // The next key of this map, if any.
            let mut next = self.next_content_line(self.i);
            while let Some(j) = next {
                if self.indent_of_line(j) > indent {
                    // Stray deeper line (not valid YAML after a complete
                    // value); skip rather than misattribute.
                    next = self.next_content_line(j);
                } else {
                    break;
                }
            }
            match next {
                Some(j) if self.indent_of_line(j) == indent && self.key_follows(j) => self.i = j,
                _ => break,
            }
        }
        Tree {
            pos,
            shape: Shape::Map(entries),
        }
    }

    fn block_seq(&mut self, indent: usize) -> Tree {
        let pos = self.pos(self.i);
        let mut items = Vec::new();
        loop {
            let dash = self.i;
            self.i += 1; // '-'
            self.skip_inline_space();
            let item = if self.at_line_end() {
                match self.next_content_line(self.i) {
                    Some(j) if self.indent_of_line(j) > indent => {
                        self.i = j;
                        self.node(indent as isize)
                    }
                    _ => Tree {
                        pos: self.pos(dash),
                        shape: Shape::Scalar,
                    },
                }
            } else {
                self.node(indent as isize)
            };
            items.push(item);
            match self.next_content_line(self.i) {
                Some(j)
                    if self.indent_of_line(j) == indent
                        && self.at(j) == Some('-')
                        && is_blank_or_end(self.at(j + 1)) =>
                {
                    self.i = j
                }
                _ => break,
            }
        }
        Tree {
            pos,
            shape: Shape::Seq(items),
        }
    }

    /// A value inside `{}` or `[]`.
    fn flow_value(&mut self) -> Tree {
        let pos = self.pos(self.i);
        match self.peek() {
            Some('{') => self.flow_map(),
            Some('[') => self.flow_seq(),
            Some('"' | '\'') => {
                self.quoted();
                Tree {
                    pos,
                    shape: Shape::Scalar,
                }
            }
            _ => {
                self.flow_plain();
                Tree {
                    pos,
                    shape: Shape::Scalar,
                }
            }
        }
    }

    /// Reads a plain scalar in flow context (stops at `,` `]` `}` `: ` and
    /// comments), returning it trimmed.
    fn flow_plain(&mut self) -> String {
        let start = self.i;
        let mut prev_blank = false;
        while let Some(c) = self.peek() {
            match c {
                ',' | ']' | '}' | '\n' => break,
                ':' if matches!(
                    self.at(self.i + 1),
                    None | Some(' ' | '\t' | '\n' | ',' | ']' | '}')
                ) =>
                {
                    break
                }
                '#' if prev_blank => break,
                _ => {}
            }
            prev_blank = c == ' ' || c == '\t';
            self.i += 1;
        }
        self.chars[start..self.i]
            .iter()
            .collect::<String>()
            .trim()
            .to_owned()
    }

    fn flow_map(&mut self) -> Tree {
        let pos = self.pos(self.i);
        self.i += 1; // '{'
        let mut entries = Vec::new();
        loop {
            self.skip_space();
            match self.peek() {
                None => break,
                Some('}') => {
                    self.i += 1;
                    break;
                }
                Some(',') => {
                    self.i += 1;
                    continue;
                }
                _ => {}
            }
            let key_pos = self.pos(self.i);
            let key = if matches!(self.peek(), Some('"' | '\'')) {
                self.quoted()
            } else {
                self.flow_plain()
            };
            self.skip_space();
            let value = if self.peek() == Some(':') {
                self.i += 1;
                self.skip_space();
                if matches!(self.peek(), Some(',' | '}') | None) {
                    Tree {
                        pos: key_pos,
                        shape: Shape::Scalar,
                    }
                } else {
                    self.flow_value()
                }
            } else {
                Tree {
                    pos: key_pos,
                    shape: Shape::Scalar,
                }
            };
            entries.push(Entry {
                key,
                key_pos,
                value,
            });
            self.skip_space();
            self.skip_stray(&[',', '}']);
        }
        Tree {
            pos,
            shape: Shape::Map(entries),
        }
    }

    fn flow_seq(&mut self) -> Tree {
        let pos = self.pos(self.i);
        self.i += 1; // '['
        let mut items = Vec::new();
        loop {
            self.skip_space();
            match self.peek() {
                None => break,
                Some(']') => {
                    self.i += 1;
                    break;
                }
                Some(',') => {
                    self.i += 1;
                    continue;
                }
                _ => {}
            }
            items.push(self.flow_value());
            self.skip_space();
            self.skip_stray(&[',', ']']);
        }
        Tree {
            pos,
            shape: Shape::Seq(items),
        }
    }

    /// Inside a flow collection, skips anything up to the next separator
    /// (e.g. the `: b` of a single-pair map `[a: b]`), so scanning always
    /// makes progress.
    fn skip_stray(&mut self, stops: &[char]) {
        while let Some(c) = self.peek() {
            if stops.contains(&c) {
                return;
            }
            match c {
                '{' => {
                    self.flow_map();
                }
                '[' => {
                    self.flow_seq();
                }
                '"' | '\'' => {
                    self.quoted();
                }
                _ => self.i += 1,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, path: KeyPath) -> (usize, usize) {
        let p = Locator::new(text).locate(&path);
        (p.line, p.column)
    }

    fn k(path: &str) -> KeyPath {
        // "a.b[1].c" -> KeyPath, for test brevity.
        let mut out = KeyPath::root();
        for part in path.split('.') {
            let (name, rest) = part.split_once('[').unwrap_or((part, ""));
            if !name.is_empty() {
                out = out.key(name);
            }
            for index in rest.split('[').filter(|s| !s.is_empty()) {
                out = out.index(index.trim_end_matches(']').parse().unwrap());
            }
        }
        out
    }

    const BLOCK: &str = "\
# devtrack config
version: 1.0.0

repositories:
  - name: api
    path: /src/api   # comment: with colon
  -   name: web
      path: ~/web
      enabled: false
settings:
  prompt_interval: 180
  work_days:
    - mon
    - tue
  notifications:
    desktop: true
integrations:
  github: {enabled: true, token: x}
";

    #[test]
    fn block_maps_and_sequences() {
        assert_eq!(at(BLOCK, k("version")), (2, 1));
        assert_eq!(at(BLOCK, k("repositories")), (4, 1));
        assert_eq!(at(BLOCK, k("repositories[0]")), (5, 5));
        assert_eq!(at(BLOCK, k("repositories[0].path")), (6, 5));
        assert_eq!(at(BLOCK, k("repositories[1].name")), (7, 7));
        assert_eq!(at(BLOCK, k("repositories[1].enabled")), (9, 7));
        assert_eq!(at(BLOCK, k("settings.prompt_interval")), (11, 3));
        assert_eq!(at(BLOCK, k("settings.work_days[1]")), (14, 7));
        assert_eq!(at(BLOCK, k("settings.notifications.desktop")), (16, 5));
        assert_eq!(at(BLOCK, k("integrations.github.token")), (18, 27));
    }

    #[test]
    fn missing_keys_resolve_to_the_deepest_prefix() {
        assert_eq!(at(BLOCK, k("repositories[1].project")), (7, 7));
        assert_eq!(at(BLOCK, k("settings.timezone")), (10, 1));
        assert_eq!(at(BLOCK, k("repositories[7]")), (4, 1));
        assert_eq!(at(BLOCK, k("nothing.here")), (2, 1));
    }

    #[test]
    fn root_position_is_first_content() {
        assert_eq!(at("# c\n\n- a\n", KeyPath::root()), (3, 1));
        assert_eq!(at("", KeyPath::root()), (1, 1));
        assert_eq!(at("---\nsettings: {}\n", k("settings")), (2, 1));
    }

    #[test]
    fn flow_collections_on_one_and_many_lines() {
        let text = "\
repositories:
  - {name: a, path: /a}
  - {name: b, 'path': \"/b, c\", enabled: false}
settings: {work_days: [mon, tue,
    wed], log_level: debug}
";
        assert_eq!(at(text, k("repositories[0].path")), (2, 15));
        assert_eq!(at(text, k("repositories[1]")), (3, 5));
        assert_eq!(at(text, k("repositories[1].path")), (3, 15));
        assert_eq!(at(text, k("repositories[1].enabled")), (3, 32));
        assert_eq!(at(text, k("settings.work_days[2]")), (5, 5));
        assert_eq!(at(text, k("settings.log_level")), (5, 11));
    }

    #[test]
    fn sequence_at_the_same_indent_as_its_key() {
        let text = "settings:\n  work_days:\n  - mon\n  - sun\n  timezone: UTC\n";
        assert_eq!(at(text, k("settings.work_days[1]")), (4, 5));
        assert_eq!(at(text, k("settings.timezone")), (5, 3));
    }

    #[test]
    fn block_scalars_and_quoted_keys_are_skipped_correctly() {
        let text = "\
a: |
  line one
  key: not a key

  line three
\"b\": 'it''s'
c:
  d: >
    folded
  e: 1
";
        assert_eq!(at(text, k("b")), (6, 1));
        assert_eq!(at(text, k("c.e")), (10, 3));
        assert_eq!(at(text, k("a.key")), (1, 1));
    }

    #[test]
    fn multi_line_plain_scalars_and_empty_values() {
        let text = "a: first\n  continued\nb:\nc: ~\nd:\n  - \n  - x\n";
        assert_eq!(at(text, k("b")), (3, 1));
        assert_eq!(at(text, k("c")), (4, 1));
        assert_eq!(at(text, k("d[1]")), (7, 5));
        assert_eq!(at(text, k("d[0]")), (6, 3));
    }

    #[test]
    fn nested_sequences() {
        let text = "x:\n  - - a\n    - b\n  - c\n";
        assert_eq!(at(text, k("x[0][1]")), (3, 7));
        assert_eq!(at(text, k("x[1]")), (4, 5));
    }
}
