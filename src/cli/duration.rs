//! Durations typed on the command line (`pause --for 90m`, `history
//! --since 2h`): a run of whole numbers with units `d`, `h`, `m`, `s`.
//! Their inverse, `2h 15m` for people, is `display::human_duration`. The
//! parser is the config's (`snooze: 30m` is read the same way).

pub use crate::config::parse_duration_secs as parse_secs;

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
