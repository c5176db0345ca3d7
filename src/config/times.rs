//! Parsing and printing the work-window pieces: "HH:MM" times of day and
//! weekday names / ranges (`mon`, `Tuesday`, `mon-fri`), and durations
//! (`30m`, `1h30m`; also what the command line's `--for 90m` uses).

use chrono::Weekday;

use super::model::{TimeOfDay, WeekdaySet};

const DAYS: [(Weekday, &str, &str); 7] = [
    (Weekday::Mon, "mon", "monday"),
    (Weekday::Tue, "tue", "tuesday"),
    (Weekday::Wed, "wed", "wednesday"),
    (Weekday::Thu, "thu", "thursday"),
    (Weekday::Fri, "fri", "friday"),
    (Weekday::Sat, "sat", "saturday"),
    (Weekday::Sun, "sun", "sunday"),
];

/// Parses `H:MM` or `HH:MM` within 00:00..=24:00.
pub(crate) fn parse_time(text: &str) -> Result<TimeOfDay, String> {
    let malformed = || format!("`{text}` is not a time of day like `09:30`");
    let (hour, minute) = text.trim().split_once(':').ok_or_else(malformed)?;
    let digits = |s: &str, max_len: usize| {
        !s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(hour, 2) || !digits(minute, 2) || minute.len() != 2 {
        return Err(malformed());
    }
    let (hour, minute): (u32, u32) = (
        hour.parse().map_err(|_| malformed())?,
        minute.parse().map_err(|_| malformed())?,
    );
    if minute >= 60 {
        return Err(format!("`{text}`: minutes must be between 00 and 59"));
    }
    TimeOfDay::new(hour, minute).ok_or_else(|| format!("`{text}` must be between 00:00 and 24:00"))
}

/// Parses `90m`, `2h`, `1h30m`, `45s`, `1d` into seconds.
pub(crate) fn parse_duration_secs(text: &str) -> Result<u64, String> {
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

/// One day name: `mon`..`sun` or the full English name, any case.
pub(crate) fn parse_day(text: &str) -> Option<Weekday> {
    let lower = text.trim().to_ascii_lowercase();
    DAYS.iter()
        .find(|(_, short, long)| lower == *short || lower == *long)
        .map(|(day, _, _)| *day)
}

/// The closest day name to a misspelling, for a "did you mean" hint.
pub(crate) fn suggest_day(text: &str) -> Option<&'static str> {
    let lower = text.trim().to_ascii_lowercase();
    super::suggest::closest(&lower, DAYS.iter().flat_map(|(_, s, l)| [*s, *l]))
}

/// Why a day specification was rejected: the offending word and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DayError {
    pub word: String,
}

/// A day or a range of days: `fri`, `mon-fri`, `fri-mon` (wraps over the
/// weekend).
pub(crate) fn parse_day_span(text: &str) -> Result<WeekdaySet, DayError> {
    let day = |word: &str| {
        parse_day(word).ok_or_else(|| DayError {
            word: word.trim().to_owned(),
        })
    };
    match text.split_once('-') {
        None => Ok(WeekdaySet::EMPTY.with(day(text)?)),
        Some((from, to)) => {
            let (from, to) = (day(from)?, day(to)?);
            let mut set = WeekdaySet::EMPTY.with(from);
            let mut current = from;
            while current != to {
                current = current.succ();
                set = set.with(current);
            }
            Ok(set)
        }
    }
}

/// A comma-separated list of days and ranges: `mon-wed, fri`.
pub(crate) fn parse_day_list(text: &str) -> Result<WeekdaySet, DayError> {
    let mut set = WeekdaySet::EMPTY;
    for part in text.split(',') {
        for day in parse_day_span(part)?.iter() {
            set = set.with(day);
        }
    }
    Ok(set)
}

/// `mon-fri`, `mon, wed, fri`, `sat-sun, tue`; `none` when empty.
pub(crate) fn format_days(days: WeekdaySet) -> String {
    if days.is_empty() {
        return "none".to_owned();
    }
    let mut parts = Vec::new();
    let mut index = 0;
    while index < 7 {
        if !days.contains(DAYS[index].0) {
            index += 1;
            continue;
        }
        let start = index;
        while index + 1 < 7 && days.contains(DAYS[index + 1].0) {
            index += 1;
        }
        parts.push(match index - start {
            0 => DAYS[start].1.to_owned(),
            1 => format!("{}, {}", DAYS[start].1, DAYS[index].1),
            _ => format!("{}-{}", DAYS[start].1, DAYS[index].1),
        });
        index += 1;
    }
    parts.join(", ")
}

impl std::fmt::Display for WeekdaySet {
    /// Compact day list: `mon-fri`, `mon, wed, fri`, `none`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&format_days(*self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_within_the_day() {
        assert_eq!(parse_time("09:30"), Ok(TimeOfDay::new(9, 30).unwrap()));
        assert_eq!(parse_time("9:05"), Ok(TimeOfDay::new(9, 5).unwrap()));
        assert_eq!(parse_time("00:00"), Ok(TimeOfDay::MIDNIGHT));
        assert_eq!(parse_time("24:00"), Ok(TimeOfDay::END_OF_DAY));
    }

    #[test]
    fn malformed_times_are_rejected() {
        for bad in [
            "9", "9:5", "09:300", "ab:cd", "-1:00", "09:", ":30", "123:00", "9.30",
        ] {
            let err = parse_time(bad).unwrap_err();
            assert!(err.contains("not a time of day"), "{bad}: {err}");
        }
        for out in ["24:01", "25:00"] {
            let err = parse_time(out).unwrap_err();
            assert!(
                err.contains("must be between 00:00 and 24:00"),
                "{out}: {err}"
            );
        }
        assert_eq!(
            parse_time("12:60").unwrap_err(),
            "`12:60`: minutes must be between 00 and 59"
        );
    }

    #[test]
    fn day_names_any_case_short_or_long() {
        assert_eq!(parse_day("Mon"), Some(Weekday::Mon));
        assert_eq!(parse_day("SUNDAY"), Some(Weekday::Sun));
        assert_eq!(parse_day(" thu "), Some(Weekday::Thu));
        assert_eq!(parse_day("thurs"), None);
        assert_eq!(parse_day("funday"), None);
    }

    #[test]
    fn ranges_include_both_ends_and_wrap() {
        let weekdays = parse_day_span("mon-fri").unwrap();
        assert_eq!(format_days(weekdays), "mon-fri");
        assert!(!weekdays.contains(Weekday::Sat));
        let wrap = parse_day_span("fri-mon").unwrap();
        assert_eq!(format_days(wrap), "mon, fri-sun");
        assert_eq!(parse_day_span("wed-wed").unwrap().iter().count(), 1);
        assert_eq!(
            parse_day_span("mon-fryday"),
            Err(DayError {
                word: "fryday".into()
            })
        );
    }

    #[test]
    fn lists_combine_days_and_ranges() {
        let set = parse_day_list("mon-wed, fri").unwrap();
        assert_eq!(format_days(set), "mon-wed, fri");
        assert_eq!(format_days(WeekdaySet::ALL), "mon-sun");
        assert_eq!(format_days(WeekdaySet::EMPTY), "none");
        assert_eq!(
            format_days([Weekday::Sat, Weekday::Sun].into_iter().collect()),
            "sat, sun"
        );
    }

    #[test]
    fn suggests_close_day_names() {
        assert_eq!(suggest_day("tuesdy"), Some("tuesday"));
        assert_eq!(suggest_day("xyzzy"), None);
    }
}
