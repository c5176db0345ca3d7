//! The only module that touches the YAML library, granit-parser.
//!
//! The parser's events are folded into the library-neutral tree of
//! `tree.rs`, each key and value at the line and column the parser reports,
//! so an error about a well-formed value (an integer out of range) points at
//! it as exactly as a syntax error does. Hostile input stops here, with a
//! position: nesting deeper than [`MAX_DEPTH`] (the parser counts it),
//! anchors and aliases that would copy more than [`MAX_COPIES`] values in all
//! ("billion laughs"), a second document, a key given twice.

use std::collections::HashMap;

use granit_parser::{Event, Marker, Parser, ScalarStyle, ScanError, StructureStyle};

use super::keypath::KeyPath;
use super::scalar;
use super::tree::{Entry, Node, Position, Value};

/// Nested collections allowed (a config needs four).
const MAX_DEPTH: usize = 64;
/// Values copied for anchors (`&a`) and the aliases (`*a`) that repeat them.
const MAX_COPIES: usize = 100_000;

/// A document that is not one well-formed YAML document with unique keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    /// The whole message, e.g. "invalid YAML: unclosed bracket '['".
    pub message: String,
    pub at: Position,
    /// The key the problem is about, when there is one (a duplicate key).
    pub path: Option<KeyPath>,
    pub hint: Option<String>,
}

/// Parses one YAML document. Empty text (or only comments) is null.
pub(crate) fn parse(text: &str) -> Result<Node, SyntaxError> {
    let options = granit_parser::options! {
        flow_nesting_limit: MAX_DEPTH,
        block_nesting_limit: MAX_DEPTH,
        // A block scalar that ends the file gets no line feed, as with
        // libyaml (serde_yaml) and PyYAML (the older DevTrack).
        block_scalar_eof_without_line_feed: true,
    };
    let mut builder = Builder::default();
    for next in Parser::new_from_str_with_options(text, options) {
        let (event, span) = next.map_err(|err| builder.scan_error(&err, text))?;
        builder.event(event, position(&span.start))?;
    }
    Ok(builder.root.unwrap_or(Node {
        value: Value::Null,
        at: Position::START,
    }))
}

/// Where `text` defines an anchor (`&a`) or repeats one (`*a`), in
/// document order; empty when it does not parse. The tree has aliases
/// expanded; an edit of the text must know where they were.
pub(crate) fn anchors(text: &str) -> Vec<Position> {
    let mut out = Vec::new();
    for next in Parser::new_from_str(text) {
        let Ok((event, span)) = next else {
            break;
        };
        let anchored = match event {
            Event::Alias(_) => true,
            Event::Scalar(_, _, anchor, _)
            | Event::SequenceStart(_, anchor, _)
            | Event::MappingStart(_, anchor, _) => anchor != 0,
            _ => false,
        };
        if anchored {
            out.push(position(&span.start));
        }
    }
    out
}

fn error(at: Position, message: String, hint: Option<&str>) -> SyntaxError {
    SyntaxError {
        message,
        at,
        path: None,
        hint: hint.map(str::to_owned),
    }
}

fn position(marker: &Marker) -> Position {
    Position {
        line: marker.line(),
        column: marker.col() + 1,
    }
}

/// A collection whose end event has not come yet.
struct Open {
    at: Position,
    flow: bool,
    /// The anchor id defined on it, 0 for none.
    anchor: usize,
    items: Items,
}

enum Items {
    Seq(Vec<Node>),
    Map {
        entries: Vec<Entry>,
        /// The key read, waiting for its value.
        key: Option<(String, Position)>,
        /// Where each key was first given.
        seen: HashMap<String, Position>,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Open>,
    /// Anchor id -> the anchored value and its size in values.
    anchors: HashMap<usize, (Node, usize)>,
    copies: usize,
    root: Option<Node>,
    documents: usize,
}

impl Builder {
    fn event(&mut self, event: Event<'_>, at: Position) -> Result<(), SyntaxError> {
        match event {
            Event::DocumentStart(..) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(error(
                        at,
                        "more than one YAML document".to_owned(),
                        Some("a config file is one document: remove this `---` or what follows it"),
                    ));
                }
                Ok(())
            }
            Event::Scalar(text, style, anchor, tag) => {
                let as_text = style != ScalarStyle::Plain
                    || tag.is_some_and(|tag| tag.is_yaml_core_schema_tag("str"));
                let value = if as_text {
                    Value::Str(text.to_string())
                } else {
                    scalar::resolve(&text)
                };
                self.complete(Node { value, at }, anchor, Some(&text))
            }
            Event::SequenceStart(style, anchor, _) => {
                self.open(at, style, anchor, Items::Seq(Vec::new()));
                Ok(())
            }
            Event::MappingStart(style, anchor, _) => {
                let items = Items::Map {
                    entries: Vec::new(),
                    key: None,
                    seen: HashMap::new(),
                };
                self.open(at, style, anchor, items);
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(open) => {
                    let value = match open.items {
                        Items::Seq(items) => Value::Seq(items),
                        Items::Map { entries, .. } => Value::Map(entries),
                    };
                    self.complete(Node { value, at: open.at }, open.anchor, None)
                }
                // The parser balances collections.
                None => Ok(()),
            },
            Event::Alias(id) => {
                let Some((node, size)) = self.anchors.get(&id) else {
                    // Anchors are registered when their value is complete.
                    return Err(error(
                        at,
                        "invalid YAML: an alias inside the value it repeats".to_owned(),
                        None,
                    ));
                };
                let copy = Node {
                    value: node.value.clone(),
                    at,
                };
                let size = *size;
                self.charge(size, at)?;
                self.complete(copy, 0, None)
            }
            // Stream and document ends; anchor and comment events are off.
            _ => Ok(()),
        }
    }

    fn open(&mut self, at: Position, style: StructureStyle, anchor: usize, items: Items) {
        self.stack.push(Open {
            at,
            flow: style == StructureStyle::Flow,
            anchor,
            items,
        });
    }

    /// Counts `size` more copied values against [`MAX_COPIES`].
    fn charge(&mut self, size: usize, at: Position) -> Result<(), SyntaxError> {
        self.copies += size;
        if self.copies > MAX_COPIES {
            return Err(error(
                at,
                format!("YAML anchors and aliases copy more than {MAX_COPIES} values"),
                Some("a config needs few aliases: write the values out"),
            ));
        }
        Ok(())
    }

    /// Places a finished value: as the document, a list item, a map key or
    /// a map value. `text` is a scalar's text, used when it is a key.
    fn complete(
        &mut self,
        node: Node,
        anchor: usize,
        text: Option<&str>,
    ) -> Result<(), SyntaxError> {
        if anchor != 0 {
            let size = size(&node);
            self.charge(size, node.at)?;
            self.anchors.insert(anchor, (node.clone(), size));
        }
        let Some(open) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        let (entries, key, seen) = match &mut open.items {
            Items::Seq(items) => {
                items.push(node);
                return Ok(());
            }
            Items::Map { entries, key, seen } => (entries, key, seen),
        };
        if let Some((key, key_at)) = key.take() {
            entries.push(Entry {
                key,
                key_at,
                value: node,
            });
            return Ok(());
        }
        let name = text.map_or_else(|| key_text(&node.value), str::to_owned);
        if let Some(first) = seen.get(&name).copied() {
            let hint = format!(
                "first set at line {} column {}; keep only one",
                first.line, first.column
            );
            return Err(SyntaxError {
                path: Some(self.path().key(&name)),
                ..error(node.at, "duplicate key".to_owned(), Some(&hint))
            });
        }
        seen.insert(name.clone(), node.at);
        *key = Some((name, node.at));
        Ok(())
    }

    /// The key path of the innermost open collection.
    fn path(&self) -> KeyPath {
        let mut path = KeyPath::root();
        for open in &self.stack[..self.stack.len().saturating_sub(1)] {
            path = match &open.items {
                Items::Seq(items) => path.index(items.len()),
                Items::Map { key, .. } => match key {
                    Some((key, _)) => path.key(key),
                    None => path.key(COMPLEX_KEY),
                },
            };
        }
        path
    }

    /// The parser's error, worded for the user where the open collections
    /// or the line itself say more than the parser's message.
    fn scan_error(&self, err: &ScanError, text: &str) -> SyntaxError {
        use granit_parser::ErrorKind as Kind;
        let at = position(err.marker());
        let open_flow = self.stack.last().filter(|open| open.flow);
        let mut hint = None;
        let message = match (err.kind(), open_flow) {
            // A flow list or map that goes on into the next `key: value`
            // line: most often a missing `]` or `}`.
            (
                Kind::InvalidColonPlacement
                | Kind::ExpectedFlowSequenceSeparator
                | Kind::ExpectedFlowMappingSeparator,
                Some(open),
            ) => {
                let (bracket, close) = match open.items {
                    Items::Seq(_) => ('[', ']'),
                    Items::Map { .. } => ('{', '}'),
                };
                hint = Some(format!(
                    "is the `{bracket}` at line {} column {} missing its `{close}`?",
                    open.at.line, open.at.column
                ));
                format!("did not find expected ',' or '{close}'")
            }
            (Kind::TabInBlockIndentation | Kind::TabInIndentation, _) => {
                hint = Some("indent with spaces".to_owned());
                "a tab in the indentation".to_owned()
            }
            (Kind::RecursionLimitExceeded, _) => {
                format!("collections nested deeper than {MAX_DEPTH} levels")
            }
            (Kind::UnexpectedCharacter { character }, _) => {
                format!("unexpected character `{}`", character.escape_default())
            }
            (kind, _) => kind.to_string(),
        };
        let line = text.lines().nth(at.line.saturating_sub(1)).unwrap_or("");
        let indent = &line[..line.len() - line.trim_start().len()];
        if hint.is_none() && indent.contains('\t') {
            hint = Some("this line is indented with a tab; YAML indents with spaces".to_owned());
        }
        SyntaxError {
            message: format!("invalid YAML: {message}"),
            at,
            path: None,
            hint,
        }
    }
}

/// How a key that is not a plain scalar is named.
const COMPLEX_KEY: &str = "<complex key>";

/// The text of a key that came from an alias or a collection.
fn key_text(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Str(s) => s.clone(),
        Value::Seq(_) | Value::Map(_) => COMPLEX_KEY.to_owned(),
    }
}

/// Values in `node`, itself included (a map entry counts its key).
fn size(node: &Node) -> usize {
    1 + match &node.value {
        Value::Seq(items) => items.iter().map(size).sum(),
        Value::Map(entries) => entries.iter().map(|e| 1 + size(&e.value)).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    fn at(line: usize, column: usize) -> Position {
        Position { line, column }
    }

    fn values(node: &Node) -> Vec<(String, Value, Position)> {
        match &node.value {
            Value::Map(entries) => entries
                .iter()
                .map(|e| (e.key.clone(), e.value.value.clone(), e.value.at))
                .collect(),
            other => panic!("not a map: {other:?}"),
        }
    }

    #[test]
    fn empty_and_comment_only_documents_are_null() {
        for text in ["", "# nothing here\n\n", "---\n", "\u{feff}"] {
            assert_eq!(parse(text).unwrap().value, Value::Null, "{text:?}");
        }
    }

    #[test]
    fn scalars_resolve_by_style_and_tag() {
        let node = parse("a: 1\nb: '1'\nc: !!str 1\nd: |\n  x\ne: 09:00\nf: ~\ng:\n").unwrap();
        let got: Vec<(String, Value)> = values(&node).into_iter().map(|(k, v, _)| (k, v)).collect();
        assert_eq!(
            got,
            [
                ("a".into(), Value::Int(1)),
                ("b".into(), Value::Str("1".into())),
                ("c".into(), Value::Str("1".into())),
                ("d".into(), Value::Str("x\n".into())),
                ("e".into(), Value::Str("09:00".into())),
                ("f".into(), Value::Null),
                ("g".into(), Value::Null),
            ]
        );
    }

    #[test]
    fn keys_and_values_carry_the_parsers_positions() {
        let text = "\
# devtrack config
repositories:
  - name: api
  -   {name: web, \"path\": ~/web}
settings:
  work_days: [mon,
    tue]
";
        let root = parse(text).unwrap();
        let Value::Map(top) = &root.value else {
            panic!()
        };
        assert_eq!(
            (top[0].key.as_str(), top[0].key_at),
            ("repositories", at(2, 1))
        );
        let Value::Seq(repos) = &top[0].value.value else {
            panic!()
        };
        assert_eq!(repos[0].at, at(3, 5));
        assert_eq!(repos[1].at, at(4, 7));
        let Value::Map(web) = &repos[1].value else {
            panic!()
        };
        assert_eq!((web[1].key.as_str(), web[1].key_at), ("path", at(4, 19)));
        assert_eq!(web[1].value.at, at(4, 27));
        let Value::Map(settings) = &top[1].value.value else {
            panic!()
        };
        let Value::Seq(days) = &settings[0].value.value else {
            panic!()
        };
        assert_eq!(days[1].at, at(7, 5));
    }

    #[test]
    fn columns_count_characters_and_ignore_a_bom_and_crlf() {
        let root = parse("\u{feff}é: ü\r\nb: 2\r\n").unwrap();
        let got: Vec<Position> = values(&root).into_iter().map(|(_, _, p)| p).collect();
        assert_eq!(got, [at(1, 4), at(2, 4)]);
        let Value::Map(entries) = &root.value else {
            panic!()
        };
        assert_eq!(entries[0].key_at, at(1, 1));
    }

    #[test]
    fn aliases_repeat_their_anchor_at_the_alias() {
        let root = parse("a: &x [1, 2]\nb: *x\n").unwrap();
        let got = values(&root);
        assert_eq!(got[1].1, got[0].1);
        assert_eq!(got[1].2, at(2, 4));
    }

    #[test]
    fn alias_bombs_stop_at_the_copy_limit() {
        let mut text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n".to_owned();
        for i in 1..10 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            let _ = writeln!(text, "a{i}: &a{i} [{refs}]");
        }
        let err = parse(&text).unwrap_err();
        assert!(
            err.message.contains("copy more than 100000 values"),
            "{}",
            err.message
        );
        assert!(err.at.line > 1 && err.at.line <= 10, "{:?}", err.at);
    }

    #[test]
    fn recursive_aliases_are_rejected() {
        let err = parse("a: &x [*x]\n").unwrap_err();
        assert_eq!(err.at, at(1, 8));
        assert!(
            err.message.contains("alias inside the value"),
            "{}",
            err.message
        );
    }

    #[test]
    fn nesting_is_limited_in_flow_and_block_style() {
        let flow = format!("a: {}{}\n", "[".repeat(100), "]".repeat(100));
        let err = parse(&flow).unwrap_err();
        assert!(
            err.message.contains("nested deeper than 64"),
            "{}",
            err.message
        );
        assert_eq!(err.at.line, 1);
        let block: String = (0..100)
            .map(|i| format!("{}k:\n", "  ".repeat(i)))
            .collect();
        let err = parse(&block).unwrap_err();
        assert!(
            err.message.contains("nested deeper than 64"),
            "{}",
            err.message
        );
        assert!(err.at.line > 60 && err.at.line < 70, "{:?}", err.at);
        let fine: String = (0..60).map(|i| format!("{}k:\n", "  ".repeat(i))).collect();
        assert!(parse(&fine).is_ok());
    }

    #[test]
    fn duplicate_keys_name_the_second_and_point_at_the_first() {
        let err = parse("settings:\n  a: 1\n  b: 2\n  a: 3\n").unwrap_err();
        assert_eq!(
            err.path.map(|p| p.to_string()).as_deref(),
            Some("settings.a")
        );
        assert_eq!(err.at, at(4, 3));
        assert_eq!(err.message, "duplicate key");
        assert_eq!(
            err.hint.as_deref(),
            Some("first set at line 2 column 3; keep only one")
        );
        let err = parse("r:\n  - {n: 1, n: 2}\n").unwrap_err();
        assert_eq!(err.path.map(|p| p.to_string()).as_deref(), Some("r[0].n"));
        // Quoting does not make a key another key.
        assert!(parse("a: 1\n'a': 2\n").is_err());
    }

    #[test]
    fn a_second_document_is_an_error_where_it_starts() {
        let err = parse("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(err.at, at(2, 1));
        assert!(err.message.contains("more than one YAML document"));
    }

    #[test]
    fn unclosed_flow_collections_name_their_bracket() {
        let err = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert_eq!(
            err.message,
            "invalid YAML: did not find expected ',' or ']'"
        );
        assert_eq!(err.at, at(2, 2));
        assert_eq!(
            err.hint.as_deref(),
            Some("is the `[` at line 1 column 4 missing its `]`?")
        );
        let err = parse("a: {x: 1,\n  y: 2\nb: 3\n").unwrap_err();
        assert!(
            err.message.contains("'}'") || err.message.contains("'{'"),
            "{}",
            err.message
        );
    }

    #[test]
    fn tab_indentation_gets_a_hint() {
        let err = parse("settings:\n\tprompt_interval: 5\n").unwrap_err();
        assert_eq!(err.at.line, 2);
        assert_eq!(err.message, "invalid YAML: a tab in the indentation");
        assert_eq!(err.hint.as_deref(), Some("indent with spaces"));
        // Where the parser's message is about something else.
        let err = parse("a: |\n  x\n\tb: 1\n").unwrap_err();
        assert_eq!(err.at.line, 3);
        assert_eq!(
            err.hint.as_deref(),
            Some("this line is indented with a tab; YAML indents with spaces")
        );
        // A tab after `:` separates, as in libyaml.
        assert!(parse("a:\t1\n").is_ok());
    }

    #[test]
    fn control_characters_are_named() {
        let err = parse("a: b\u{0}c\n").unwrap_err();
        assert_eq!(err.message, "invalid YAML: unexpected character `\\u{0}`");
        assert_eq!(err.at, at(1, 5));
    }
}
