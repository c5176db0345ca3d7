//! The parsed config document as the validator sees it: a plain tree in
//! which every value and every map key keeps the line and column the YAML
//! parser reported, and the lookup that turns a key path back into one of
//! those positions for an error message.
//!
//! `yaml.rs` builds it; nothing here knows the YAML library.

use super::keypath::{KeyPath, Segment};

/// 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    pub(crate) const START: Position = Position { line: 1, column: 1 };
}

/// A value and where its text starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub value: Value,
    pub at: Position,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    /// Any integer YAML accepts (`i128` holds both `i64` and `u64`).
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Entries in document order.
    Map(Vec<Entry>),
}

/// One `key: value` pair; keys are kept as the text the user wrote.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub key: String,
    pub key_at: Position,
    pub value: Node,
}

impl Node {
    /// Where an error about `path` points: the key itself for a final map
    /// key, the item's value for a final index, and the deepest part of the
    /// path that exists when the rest does not (a missing key points at the
    /// map that lacks it). The root path gives where the content starts.
    pub(crate) fn position_of(&self, path: &KeyPath) -> Position {
        let mut node = self;
        let mut best = self.at;
        for segment in path.segments() {
            let next = match (segment, &node.value) {
                (Segment::Key(key), Value::Map(entries)) => entries
                    .iter()
                    .find(|entry| &entry.key == key)
                    .map(|entry| (entry.key_at, &entry.value)),
                (Segment::Index(index), Value::Seq(items)) => {
                    items.get(*index).map(|item| (item.at, item))
                }
                _ => None,
            };
            match next {
                Some((at, child)) => {
                    best = at;
                    node = child;
                }
                None => break,
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    //! The positions the hand-written text scanner gave before the parser
    //! did, for the YAML shapes config files use: they must not change.

    use super::*;
    use crate::config::yaml;

    /// Asserts where each key path ("" is the root) of `text` points.
    fn check(text: &str, table: &[(&str, (usize, usize))]) {
        let root = yaml::parse(text).unwrap();
        for &(path, want) in table {
            let p = root.position_of(&k(path));
            assert_eq!((p.line, p.column), want, "{path}");
        }
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
        check(
            BLOCK,
            &[
                ("version", (2, 1)),
                ("repositories", (4, 1)),
                ("repositories[0]", (5, 5)),
                ("repositories[0].path", (6, 5)),
                ("repositories[1].name", (7, 7)),
                ("repositories[1].enabled", (9, 7)),
                ("settings.prompt_interval", (11, 3)),
                ("settings.work_days[1]", (14, 7)),
                ("settings.notifications.desktop", (16, 5)),
                ("integrations.github.token", (18, 27)),
            ],
        );
    }

    #[test]
    fn missing_keys_resolve_to_the_deepest_prefix() {
        check(
            BLOCK,
            &[
                ("repositories[1].project", (7, 7)),
                ("settings.timezone", (10, 1)),
                ("repositories[7]", (4, 1)),
                ("nothing.here", (2, 1)),
            ],
        );
    }

    #[test]
    fn root_position_is_first_content() {
        check("# c\n\n- a\n", &[("", (3, 1))]);
        check("", &[("", (1, 1))]);
        check("---\nsettings: {}\n", &[("settings", (2, 1))]);
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
        check(
            text,
            &[
                ("repositories[0].path", (2, 15)),
                ("repositories[1]", (3, 5)),
                ("repositories[1].path", (3, 15)),
                ("repositories[1].enabled", (3, 32)),
                ("settings.work_days[2]", (5, 5)),
                ("settings.log_level", (5, 11)),
            ],
        );
    }

    #[test]
    fn sequence_at_the_same_indent_as_its_key() {
        let text = "settings:\n  work_days:\n  - mon\n  - sun\n  timezone: UTC\n";
        check(
            text,
            &[
                ("settings.work_days[1]", (4, 5)),
                ("settings.timezone", (5, 3)),
            ],
        );
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
        check(text, &[("b", (6, 1)), ("c.e", (10, 3)), ("a.key", (1, 1))]);
    }

    #[test]
    fn multi_line_plain_scalars_and_empty_values() {
        let text = "a: first\n  continued\nb:\nc: ~\nd:\n  - \n  - x\n";
        check(
            text,
            &[
                ("b", (3, 1)),
                ("c", (4, 1)),
                ("d[1]", (7, 5)),
                // An empty item: where its value would be (the scanner gave the `-`).
                ("d[0]", (6, 5)),
            ],
        );
    }

    #[test]
    fn nested_sequences() {
        let text = "x:\n  - - a\n    - b\n  - c\n";
        check(text, &[("x[0][1]", (3, 7)), ("x[1]", (4, 5))]);
    }
}
