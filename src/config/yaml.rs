//! The only module that touches the YAML library.
//!
//! serde_yaml is deprecated upstream, so its use is fenced in here: the text
//! is parsed into serde_yaml's `Value` and immediately converted into the
//! library-neutral [`Node`] tree the validator walks. Swapping the YAML crate
//! means rewriting this file only; key positions come from `locate.rs`, which
//! reads the source text itself.

/// A parsed YAML document, reduced to what the config needs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Null,
    Bool(bool),
    /// Any integer YAML accepts (`i128` holds both `i64` and `u64`).
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Entries in document order; keys rendered as text.
    Map(Vec<(String, Node)>),
}

/// A document that is not YAML at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub message: String,
    /// 1-based, when the parser knows where it stopped.
    pub line: Option<usize>,
    pub column: Option<usize>,
}

/// Parses one YAML document. Empty text (or only comments) is `Node::Null`.
pub(crate) fn parse(text: &str) -> Result<Node, SyntaxError> {
    match serde_yaml::from_str::<serde_yaml::Value>(text) {
        Ok(value) => Ok(convert(value)),
        Err(err) => {
            let location = err.location();
            Err(SyntaxError {
                message: strip_marks(&err.to_string()),
                line: location.as_ref().map(|l| l.line()),
                column: location.as_ref().map(|l| l.column()),
            })
        }
    }
}

fn convert(value: serde_yaml::Value) -> Node {
    use serde_yaml::Value;
    match value {
        Value::Null => Node::Null,
        Value::Bool(b) => Node::Bool(b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Node::Int(i128::from(i))
            } else if let Some(u) = n.as_u64() {
                Node::Int(i128::from(u))
            } else {
                Node::Float(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Value::String(s) => Node::Str(s),
        Value::Sequence(items) => Node::Seq(items.into_iter().map(convert).collect()),
        Value::Mapping(map) => Node::Map(
            map.into_iter()
                .map(|(k, v)| (key_text(k), convert(v)))
                .collect(),
        ),
        // Tags (`!foo x`) carry no meaning in the config; keep the value.
        Value::Tagged(tagged) => convert(tagged.value),
    }
}

/// Map keys as the user wrote them: `80: x` has the key `80`.
fn key_text(key: serde_yaml::Value) -> String {
    use serde_yaml::Value;
    match key {
        Value::String(s) => s,
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Tagged(tagged) => key_text(tagged.value),
        Value::Sequence(_) | Value::Mapping(_) => "<complex key>".to_owned(),
    }
}

/// serde_yaml appends "at line L column C" (and "at position N") to its
/// messages; the config error carries the location separately.
fn strip_marks(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find(" at ") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 4..];
        let skipped = skip_mark(tail);
        if skipped.len() == tail.len() {
            out.push_str(" at ");
        }
        rest = skipped;
    }
    out.push_str(rest);
    out
}

/// Returns `text` after a leading "line L column C" or "position N", or
/// `text` unchanged when it does not start with one.
fn skip_mark(text: &str) -> &str {
    fn number(s: &str) -> Option<&str> {
        let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        (end > 0).then(|| &s[end..])
    }
    if let Some(after) = text.strip_prefix("line ") {
        if let Some(after) = number(after).and_then(|a| a.strip_prefix(" column ")) {
            if let Some(after) = number(after) {
                return after;
            }
        }
    }
    if let Some(after) = text.strip_prefix("position ").and_then(number) {
        return after;
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_comment_only_documents_are_null() {
        assert_eq!(parse("").unwrap(), Node::Null);
        assert_eq!(parse("# nothing here\n\n").unwrap(), Node::Null);
    }

    #[test]
    fn converts_scalars_lists_and_maps_in_order() {
        let node = parse("b: 1\na: [x, 2.5, true, ~]\n").unwrap();
        assert_eq!(
            node,
            Node::Map(vec![
                ("b".into(), Node::Int(1)),
                (
                    "a".into(),
                    Node::Seq(vec![
                        Node::Str("x".into()),
                        Node::Float(2.5),
                        Node::Bool(true),
                        Node::Null
                    ])
                ),
            ])
        );
    }

    #[test]
    fn times_stay_strings() {
        assert_eq!(
            parse("t: 09:00").unwrap(),
            Node::Map(vec![("t".into(), Node::Str("09:00".into()))])
        );
    }

    #[test]
    fn syntax_error_has_location_and_clean_message() {
        let err = parse("a: 1\nb: [1, 2\n").unwrap_err();
        assert!(err.line.is_some());
        assert!(!err.message.contains("line "), "{}", err.message);
    }

    #[test]
    fn duplicate_keys_are_syntax_errors() {
        let err = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert!(err.message.contains("duplicate"), "{}", err.message);
    }

    #[test]
    fn strip_marks_removes_only_locations() {
        assert_eq!(
            strip_marks("did not find expected key at line 4 column 1, while parsing a block mapping at line 1 column 1"),
            "did not find expected key, while parsing a block mapping"
        );
        assert_eq!(strip_marks("look at this"), "look at this");
        assert_eq!(strip_marks("bad at position 12"), "bad");
    }
}
