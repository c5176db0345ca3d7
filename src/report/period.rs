//! Which stretch of time a report covers: `--today`, `--yesterday` (the last
//! work day), or `--since T [--until T]`, as instants, with days taken in the
//! configured timezone.
//!
//! `--yesterday` is the standup question "what did you do since you last
//! worked?": from the start of the latest work day (`settings.work_days`)
//! before today until the start of today. On the first work day of the week
//! that is the last work day of the previous one, and the days off between
//! are included, so work done on them is not lost.

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::config::WeekdaySet;

/// What was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spec {
    Today,
    Yesterday,
    /// `--since` (and `--until`, default now).
    Range {
        since: DateTime<Utc>,
        until: Option<DateTime<Utc>>,
    },
}

/// The resolved stretch `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Period {
    /// `today`, `yesterday` or `range`.
    pub label: &'static str,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The IANA name days are counted in.
    pub timezone: String,
    /// For people: `Friday 12 June 2026`, `Fri 12 Jun – Sun 14 Jun 2026`.
    pub title: String,
    #[serde(skip)]
    pub tz: Tz,
}

impl Period {
    /// The first and last local dates the period touches.
    pub(crate) fn dates(&self) -> (NaiveDate, NaiveDate) {
        let last = (self.end - TimeDelta::milliseconds(1)).max(self.start);
        (
            self.start.with_timezone(&self.tz).date_naive(),
            last.with_timezone(&self.tz).date_naive(),
        )
    }
}

/// Resolves `spec` at `now`. Fails only for a range that ends before it
/// starts.
pub fn resolve(
    spec: Spec,
    now: DateTime<Utc>,
    tz: Tz,
    work_days: WeekdaySet,
) -> Result<Period, String> {
    let today = now.with_timezone(&tz).date_naive();
    let (label, start, end) = match spec {
        Spec::Today => (
            "today",
            start_of_day(today, tz),
            start_of_day(next(today), tz),
        ),
        Spec::Yesterday => (
            "yesterday",
            start_of_day(last_work_day(today, work_days), tz),
            start_of_day(today, tz),
        ),
        Spec::Range { since, until } => {
            let until = until.unwrap_or(now);
            if until <= since {
                return Err(format!(
                    "`--until` ({}) must be after `--since` ({})",
                    until.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z"),
                    since.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z")
                ));
            }
            ("range", since, until)
        }
    };
    let mut period = Period {
        label,
        start,
        end,
        timezone: tz.name().to_string(),
        title: String::new(),
        tz,
    };
    period.title = title(period.dates());
    Ok(period)
}

/// The latest work day before `today` (the calendar day before when, oddly,
/// no day of the past week is a work day).
pub(crate) fn last_work_day(today: NaiveDate, work_days: WeekdaySet) -> NaiveDate {
    let yesterday = today.pred_opt().unwrap_or(today);
    std::iter::successors(Some(yesterday), |d| d.pred_opt())
        .take(7)
        .find(|d| work_days.contains(d.weekday()))
        .unwrap_or(yesterday)
}

fn next(day: NaiveDate) -> NaiveDate {
    day.succ_opt().unwrap_or(day)
}

/// The first instant of `day` in `tz` (midnight, or the first time that
/// exists when a clock change skips midnight).
pub(crate) fn start_of_day(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).expect("midnight exists");
    (0..=24 * 4)
        .map(|quarter| midnight + TimeDelta::minutes(15 * quarter))
        .find_map(|t| tz.from_local_datetime(&t).earliest())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| midnight.and_utc())
}

fn title((first, last): (NaiveDate, NaiveDate)) -> String {
    if first == last {
        first.format("%A %-d %B %Y").to_string()
    } else if first.year() == last.year() {
        format!(
            "{} – {}",
            first.format("%a %-d %b"),
            last.format("%a %-d %b %Y")
        )
    } else {
        format!(
            "{} – {}",
            first.format("%a %-d %b %Y"),
            last.format("%a %-d %b %Y")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Weekday;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn mon_fri() -> WeekdaySet {
        use Weekday::*;
        [Mon, Tue, Wed, Thu, Fri].into_iter().collect()
    }

    #[test]
    fn days_and_yesterdays() {
        let berlin = chrono_tz::Europe::Berlin;
        let kolkata = chrono_tz::Asia::Kolkata;
        let all = WeekdaySet::ALL;
        let cases = [
            // Wednesday 17 June 2026, 10:00 in Berlin (CEST, +02:00).
            (
                Spec::Today,
                "2026-06-17T08:00:00Z",
                berlin,
                mon_fri(),
                "2026-06-16T22:00:00Z",
                "2026-06-17T22:00:00Z",
                "Wednesday 17 June 2026",
            ),
            (
                Spec::Yesterday,
                "2026-06-17T08:00:00Z",
                berlin,
                mon_fri(),
                "2026-06-15T22:00:00Z",
                "2026-06-16T22:00:00Z",
                "Tuesday 16 June 2026",
            ),
            // Monday: the last work day is Friday; the weekend comes along.
            (
                Spec::Yesterday,
                "2026-06-15T07:00:00Z",
                berlin,
                mon_fri(),
                "2026-06-11T22:00:00Z",
                "2026-06-14T22:00:00Z",
                "Fri 12 Jun – Sun 14 Jun 2026",
            ),
            // Every day a work day: Monday's yesterday is Sunday.
            (
                Spec::Yesterday,
                "2026-06-15T07:00:00Z",
                berlin,
                all,
                "2026-06-13T22:00:00Z",
                "2026-06-14T22:00:00Z",
                "Sunday 14 June 2026",
            ),
            // Saturday: Friday.
            (
                Spec::Yesterday,
                "2026-06-13T07:00:00Z",
                berlin,
                mon_fri(),
                "2026-06-11T22:00:00Z",
                "2026-06-12T22:00:00Z",
                "Friday 12 June 2026",
            ),
            // Monday 00:30 in Berlin is still Sunday in UTC: days are local.
            (
                Spec::Yesterday,
                "2026-06-14T22:30:00Z",
                berlin,
                mon_fri(),
                "2026-06-11T22:00:00Z",
                "2026-06-14T22:00:00Z",
                "Fri 12 Jun – Sun 14 Jun 2026",
            ),
            // A Sunday-to-Thursday week: Sunday's yesterday is Thursday.
            (
                Spec::Yesterday,
                "2026-06-14T06:00:00Z",
                kolkata,
                [
                    Weekday::Sun,
                    Weekday::Mon,
                    Weekday::Tue,
                    Weekday::Wed,
                    Weekday::Thu,
                ]
                .into_iter()
                .collect(),
                "2026-06-10T18:30:00Z",
                "2026-06-13T18:30:00Z",
                "Thu 11 Jun – Sat 13 Jun 2026",
            ),
            // New Year: the title names both years.
            (
                Spec::Yesterday,
                "2028-01-03T08:00:00Z",
                berlin,
                mon_fri(),
                "2027-12-30T23:00:00Z",
                "2028-01-02T23:00:00Z",
                "Fri 31 Dec 2027 – Sun 2 Jan 2028",
            ),
            // The day the clocks go forward is 23 hours long.
            (
                Spec::Today,
                "2026-03-29T10:00:00Z",
                berlin,
                all,
                "2026-03-28T23:00:00Z",
                "2026-03-29T22:00:00Z",
                "Sunday 29 March 2026",
            ),
        ];
        for (spec, now, tz, days, start, end, title) in cases {
            let p = resolve(spec, at(now), tz, days).unwrap();
            assert_eq!(
                (p.start, p.end, p.title.as_str()),
                (at(start), at(end), title),
                "{spec:?} at {now} in {tz}"
            );
        }
    }

    #[test]
    fn ranges() {
        let tz = chrono_tz::UTC;
        let now = at("2026-06-17T12:00:00Z");
        let since = at("2026-06-01T00:00:00Z");
        let p = resolve(Spec::Range { since, until: None }, now, tz, WeekdaySet::ALL).unwrap();
        assert_eq!((p.start, p.end, p.label), (since, now, "range"));
        assert_eq!(p.title, "Mon 1 Jun – Wed 17 Jun 2026");
        let until = at("2026-06-02T00:00:00Z");
        let p = resolve(
            Spec::Range {
                since,
                until: Some(until),
            },
            now,
            tz,
            WeekdaySet::ALL,
        )
        .unwrap();
        assert_eq!(p.title, "Monday 1 June 2026");
        let err = resolve(
            Spec::Range {
                since: until,
                until: Some(since),
            },
            now,
            tz,
            WeekdaySet::ALL,
        )
        .unwrap_err();
        assert!(err.contains("must be after `--since`"), "{err}");
    }

    #[test]
    fn a_skipped_midnight_starts_the_day_at_the_first_real_time() {
        // Santiago moves its clocks from 00:00 to 01:00 on 6 September 2026.
        let tz = chrono_tz::America::Santiago;
        let day = NaiveDate::from_ymd_opt(2026, 9, 6).unwrap();
        let start = start_of_day(day, tz).with_timezone(&tz);
        assert_eq!(start.format("%H:%M").to_string(), "01:00");
    }
}
