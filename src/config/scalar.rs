//! What an unquoted YAML scalar means: null, a boolean, an integer, a float
//! or text.
//!
//! The rules are YAML 1.2's core schema as devtrack has always read configs
//! (they were those of serde_yaml, the YAML library devtrack used before):
//! `~`/`null`, `true`/`false` in three spellings each, decimal, `0x`, `0o`
//! and `0b` integers, decimal floats and `.inf`/`.nan`. Everything else is
//! text: `yes`, `09:00`, `1.0.0`, `0755` (a leading zero) and `1_000`.
//! Quoted and block scalars are always text; `yaml.rs` decides which
//! scalars come here.

use super::tree::Value;

/// The value of a plain scalar.
pub(crate) fn resolve(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        _ => integer(text)
            .map(Value::Int)
            .or_else(|| float(text).map(Value::Float))
            .unwrap_or_else(|| Value::Str(text.to_owned())),
    }
}

/// Splits off one leading sign.
fn sign(text: &str) -> (bool, &str) {
    match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    }
}

/// Digits after a leading zero make text in YAML 1.2 (`0755`, `-007`).
fn leading_zero(unsigned: &str) -> bool {
    unsigned.len() > 1
        && unsigned.starts_with('0')
        && unsigned[1..].bytes().all(|b| b.is_ascii_digit())
}

fn integer(text: &str) -> Option<i128> {
    let (negative, unsigned) = sign(text);
    let (radix, digits) = if let Some(digits) = unsigned.strip_prefix("0x") {
        (16, digits)
    } else if let Some(digits) = unsigned.strip_prefix("0o") {
        (8, digits)
    } else if let Some(digits) = unsigned.strip_prefix("0b") {
        (2, digits)
    } else if leading_zero(unsigned) {
        return None;
    } else {
        (10, unsigned)
    };
    // `from_str_radix` would also take a second sign (`0x-1`, `+-5`).
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    // Too large for i128: read as a float below, as before.
    let magnitude = i128::from_str_radix(digits, radix).ok()?;
    Some(if negative { -magnitude } else { magnitude })
}

fn float(text: &str) -> Option<f64> {
    let (negative, unsigned) = sign(text);
    let signed = |f: f64| if negative { -f } else { f };
    match unsigned {
        ".inf" | ".Inf" | ".INF" => return Some(signed(f64::INFINITY)),
        ".nan" | ".NaN" | ".NAN" if text == unsigned => return Some(f64::NAN),
        _ => {}
    }
    if leading_zero(unsigned) || unsigned.starts_with(['+', '-']) {
        return None;
    }
    // Rust also parses `inf`, `nan` and `1e999` (infinite): YAML does not.
    unsigned
        .parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(signed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Value {
        Value::Str(s.to_owned())
    }

    #[test]
    fn resolves_like_the_yaml_1_2_core_schema() {
        let table: &[(&str, Value)] = &[
            ("", Value::Null),
            ("~", Value::Null),
            ("null", Value::Null),
            ("NULL", Value::Null),
            ("nULL", text("nULL")),
            ("true", Value::Bool(true)),
            ("True", Value::Bool(true)),
            ("FALSE", Value::Bool(false)),
            ("yes", text("yes")),
            ("off", text("off")),
            ("180", Value::Int(180)),
            ("+5", Value::Int(5)),
            ("-5", Value::Int(-5)),
            ("0", Value::Int(0)),
            ("-0", Value::Int(0)),
            ("0x3c", Value::Int(60)),
            ("0o17", Value::Int(15)),
            ("0b101", Value::Int(5)),
            ("-0x10", Value::Int(-16)),
            ("0x", text("0x")),
            ("0x-1", text("0x-1")),
            ("+-5", text("+-5")),
            ("0755", text("0755")),
            ("-007", text("-007")),
            ("1_000", text("1_000")),
            (
                "99999999999999999999999",
                Value::Int(99_999_999_999_999_999_999_999),
            ),
            ("1e40", Value::Float(1e40)),
            ("2.5", Value::Float(2.5)),
            ("-2.5", Value::Float(-2.5)),
            ("+.5", Value::Float(0.5)),
            ("1e3", Value::Float(1000.0)),
            (".inf", Value::Float(f64::INFINITY)),
            ("-.Inf", Value::Float(f64::NEG_INFINITY)),
            ("inf", text("inf")),
            ("nan", text("nan")),
            ("1e999", text("1e999")),
            ("07.5", Value::Float(7.5)),
            ("09:00", text("09:00")),
            ("1.0.0", text("1.0.0")),
            ("Europe/Berlin", text("Europe/Berlin")),
        ];
        for (input, want) in table {
            assert_eq!(&resolve(input), want, "{input:?}");
        }
    }

    #[test]
    fn nan_is_a_float() {
        assert!(matches!(resolve(".nan"), Value::Float(f) if f.is_nan()));
        assert!(matches!(resolve(".NaN"), Value::Float(f) if f.is_nan()));
        assert_eq!(resolve("-.nan"), text("-.nan"));
    }
}
