//! Durations typed on the command line (`pause --for 90m`, `history
//! --since 2h`): a run of whole numbers with units `d`, `h`, `m`, `s`.
//! Their inverse, `2h 15m` for people, is `display::human_duration`.

/// Parses `90m`, `2h`, `1h30m`, `45s`, `1d` into seconds.
pub fn parse_secs(text: &str) -> Result<u64, String> {
    let err = || format!("`{text}` is not a duration (e.g. `90m`, `2h`, `1h30m`)");
    let mut total: u64 = 0;
    let mut digits = String::new();
    let mut seen_unit = false;
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            _ => return Err(err()),
        };
        let n: u64 = digits.parse().map_err(|_| err())?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(err)?;
        digits.clear();
        seen_unit = true;
    }
    if !digits.is_empty() || !seen_unit || total == 0 {
        return Err(err());
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_secs("90m"), Ok(5400));
        assert_eq!(parse_secs("2h"), Ok(7200));
        assert_eq!(parse_secs("1h30m"), Ok(5400));
        assert_eq!(parse_secs("1d"), Ok(86_400));
        assert!(parse_secs("90").is_err());
        assert!(parse_secs("soon").is_err());
        assert!(parse_secs("0m").is_err());
        assert!(parse_secs("").is_err());
    }
}
