//! Turning measurements into the verdicts and the Markdown table: each
//! figure next to its target (reached or not; targets are goals, never
//! assertions).

use std::fmt::Write as _;

use serde::Serialize;

/// One line of the table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub figure: String,
    /// The number of watched repositories, when the figure depends on it.
    pub repos: Option<usize>,
    pub measured: String,
    /// The target as text, empty when the figure has none.
    pub target: String,
    /// Whether the target was reached; `None` without a target.
    pub met: Option<bool>,
}

impl Row {
    pub fn info(figure: &str, repos: Option<usize>, measured: String) -> Row {
        Row {
            figure: figure.to_string(),
            repos,
            measured,
            target: String::new(),
            met: None,
        }
    }

    /// A figure with an upper bound `limit` in the same unit as `value`.
    pub fn at_most(figure: &str, repos: Option<usize>, value: f64, unit: &str, limit: f64) -> Row {
        Row {
            figure: figure.to_string(),
            repos,
            measured: format!("{} {unit}", number(value)).trim_end().to_string(),
            target: format!("≤ {} {unit}", number(limit)).trim_end().to_string(),
            met: Some(value <= limit),
        }
    }
}

/// A number for people: three significant digits, no exponent.
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let a = v.abs();
    if a == 0.0 {
        "0".to_string()
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// The Markdown table of `rows`.
pub fn table(rows: &[Row]) -> String {
    let mut out =
        String::from("| figure | repos | measured | target | ✓/✗ |\n|---|---:|---:|---|:-:|\n");
    for r in rows {
        let repos = r.repos.map(|n| n.to_string()).unwrap_or_default();
        let verdict = match r.met {
            Some(true) => "✓",
            Some(false) => "✗",
            None => "",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            cell(&r.figure),
            repos,
            cell(&r.measured),
            cell(&r.target),
            verdict
        );
    }
    out
}

/// Self-checks, run when the bench binary starts without `--bench`.
pub fn checks() {
    assert_eq!(number(0.0), "0");
    assert_eq!(number(0.0421), "0.042");
    assert_eq!(number(1.234), "1.23");
    assert_eq!(number(12.34), "12.3");
    assert_eq!(number(1234.5), "1234");
    let met = Row::at_most("status p99", Some(1), 1.5, "ms", 2.0);
    assert_eq!(met.met, Some(true));
    assert_eq!(
        (met.measured.as_str(), met.target.as_str()),
        ("1.50 ms", "≤ 2.00 ms")
    );
    let missed = Row::at_most("reload p50", Some(1000), 31.0, "ms", 30.0);
    assert_eq!(missed.met, Some(false));
    let on_the_line = Row::at_most("x", None, 30.0, "ms", 30.0);
    assert_eq!(on_the_line.met, Some(true));
    let t = table(&[
        met,
        missed,
        Row::info("binary size", None, "a|b".to_string()),
    ]);
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[2], "| status p99 | 1 | 1.50 ms | ≤ 2.00 ms | ✓ |");
    assert_eq!(lines[3], "| reload p50 | 1000 | 31.0 ms | ≤ 30.0 ms | ✗ |");
    assert_eq!(lines[4], "| binary size |  | a\\|b |  |  |");
}
