//! Scheduler tests. Expected instants are written out by hand in UTC, with
//! the local reading alongside, so a wrong offset or DST rule shows up as a
//! mismatch instead of being reproduced by the code under test.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc, Weekday};
use chrono_tz::America::New_York;
use chrono_tz::Asia::Kolkata;
use chrono_tz::Europe::Berlin;
use chrono_tz::{Tz, UTC};
use proptest::prelude::*;

use super::*;
use crate::config::{TimeOfDay, WeekdaySet, WorkHours};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("bad instant `{s}`: {e}"))
        .with_timezone(&Utc)
}

fn hm(s: &str) -> TimeOfDay {
    let (h, m) = s.split_once(':').expect("hh:mm");
    TimeOfDay::new(h.parse().unwrap(), m.parse().unwrap()).expect("valid time of day")
}

fn mon_fri() -> WeekdaySet {
    [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ]
    .into_iter()
    .collect()
}

fn only(day: Weekday) -> WeekdaySet {
    WeekdaySet::EMPTY.with(day)
}

// Window helpers over a whole `Schedule`, for the assertions below.

/// The first work-window opening at or after `t`; `None` without a window
/// (or when it never opens).
fn next_window_open(schedule: &Schedule, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let hours = schedule.window.as_ref()?;
    window::next_open(hours, schedule.tz, t)
}

/// The window that opens on local `date` (in `schedule.tz`) as
/// `[open, close)`; `None` without a window or when `date` is not a work day.
fn window_bounds_on(
    schedule: &Schedule,
    date: NaiveDate,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let hours = schedule.window.as_ref()?;
    window::bounds_on(hours, schedule.tz, date)
}

/// The window for humans, e.g. `09:00-18:00 mon,tue,wed,thu,fri Europe/Berlin`,
/// or `any time Europe/Berlin` without one.
fn describe_window(schedule: &Schedule) -> String {
    let tz = schedule.tz.name();
    let Some(hours) = &schedule.window else {
        return format!("any time {tz}");
    };
    let days: Vec<String> = hours
        .days
        .iter()
        .map(|d| d.to_string().to_lowercase())
        .collect();
    let days = if days.is_empty() {
        "no days".to_owned()
    } else {
        days.join(",")
    };
    format!("{}-{} {days} {tz}", hours.start, hours.end)
}

fn hours(start: &str, end: &str, days: WeekdaySet) -> Option<WorkHours> {
    Some(WorkHours {
        start: hm(start),
        end: hm(end),
        days,
    })
}

fn schedule(minutes: i64, window: Option<WorkHours>, tz: Tz) -> Schedule {
    Schedule {
        interval: TimeDelta::minutes(minutes),
        window,
        tz,
    }
}

fn running(anchor: &str) -> SchedulerState {
    SchedulerState {
        anchor: Some(utc(anchor)),
        pause: Pause::Running,
        skip_next: false,
    }
}

fn paused(anchor: &str, pause: Pause) -> SchedulerState {
    SchedulerState {
        pause,
        ..running(anchor)
    }
}

/// The state of a store that never computed a schedule.
fn never_planned() -> SchedulerState {
    SchedulerState {
        anchor: None,
        pause: Pause::Running,
        skip_next: false,
    }
}

fn skipping(anchor: &str) -> SchedulerState {
    SchedulerState {
        skip_next: true,
        ..running(anchor)
    }
}

fn on_time(at: &str) -> Option<Firing> {
    Some(Firing {
        scheduled: utc(at),
        late: false,
    })
}

fn late(at: &str) -> Option<Firing> {
    Some(Firing {
        scheduled: utc(at),
        late: true,
    })
}

fn missed(reason: MissReason, ats: &[&str]) -> Vec<MissedSlot> {
    ats.iter()
        .map(|at| MissedSlot {
            at: utc(at),
            reason,
        })
        .collect()
}

/// One row of the table: stepping `state` at `now` must give `expect`.
struct Case {
    name: &'static str,
    schedule: Schedule,
    state: SchedulerState,
    now: &'static str,
    expect: Step,
}

fn expect(
    fire: Option<Firing>,
    missed: Vec<MissedSlot>,
    state: SchedulerState,
    next_due: Option<&str>,
) -> Step {
    Step {
        fire,
        missed,
        state,
        next_due: next_due.map(utc),
    }
}

fn cases() -> Vec<Case> {
    use MissReason::{Late, Paused, Skipped};
    let berlin_9_18 = hours("09:00", "18:00", mon_fri());
    let daily_9_18 = |tz| schedule(60, hours("09:00", "18:00", WeekdaySet::ALL), tz);
    vec![
        // --- plain intervals (2026-06-01 is a Monday) ---
        Case {
            name: "interval 1: fires one minute after the anchor",
            schedule: schedule(1, None, UTC),
            state: running("2026-06-01T10:00:00Z"),
            now: "2026-06-01T10:01:00Z",
            expect: expect(
                on_time("2026-06-01T10:01:00Z"),
                vec![],
                running("2026-06-01T10:01:00Z"),
                Some("2026-06-01T10:02:00Z"),
            ),
        },
        Case {
            name: "interval 1: a second early is not due",
            schedule: schedule(1, None, UTC),
            state: running("2026-06-01T10:00:00Z"),
            now: "2026-06-01T10:00:59Z",
            expect: expect(
                None,
                vec![],
                running("2026-06-01T10:00:00Z"),
                Some("2026-06-01T10:01:00Z"),
            ),
        },
        Case {
            name: "interval 45: within the grace period is on time",
            schedule: schedule(45, None, UTC),
            state: running("2026-06-01T10:00:00Z"),
            now: "2026-06-01T10:45:30Z",
            expect: expect(
                on_time("2026-06-01T10:45:00Z"),
                vec![],
                running("2026-06-01T10:45:00Z"),
                Some("2026-06-01T11:30:00Z"),
            ),
        },
        Case {
            name: "interval 45: past the grace period is late and restarts the interval",
            schedule: schedule(45, None, UTC),
            state: running("2026-06-01T10:00:00Z"),
            now: "2026-06-01T10:46:01Z",
            expect: expect(
                late("2026-06-01T10:45:00Z"),
                missed(Late, &["2026-06-01T10:45:00Z"]),
                running("2026-06-01T10:46:01Z"),
                Some("2026-06-01T11:31:01Z"),
            ),
        },
        Case {
            name: "interval 60: hourly",
            schedule: schedule(60, None, UTC),
            state: running("2026-06-01T10:00:00Z"),
            now: "2026-06-01T11:00:00Z",
            expect: expect(
                on_time("2026-06-01T11:00:00Z"),
                vec![],
                running("2026-06-01T11:00:00Z"),
                Some("2026-06-01T12:00:00Z"),
            ),
        },
        Case {
            name: "interval 180: nothing after one hour",
            schedule: schedule(180, None, UTC),
            state: running("2026-06-01T09:00:00Z"),
            now: "2026-06-01T10:00:00Z",
            expect: expect(
                None,
                vec![],
                running("2026-06-01T09:00:00Z"),
                Some("2026-06-01T12:00:00Z"),
            ),
        },
        Case {
            name: "interval 180: nothing a minute before three hours",
            schedule: schedule(180, None, UTC),
            state: running("2026-06-01T09:00:00Z"),
            now: "2026-06-01T11:59:00Z",
            expect: expect(
                None,
                vec![],
                running("2026-06-01T09:00:00Z"),
                Some("2026-06-01T12:00:00Z"),
            ),
        },
        Case {
            name: "interval 180: fires exactly three hours later",
            schedule: schedule(180, None, UTC),
            state: running("2026-06-01T09:00:00Z"),
            now: "2026-06-01T12:00:00Z",
            expect: expect(
                on_time("2026-06-01T12:00:00Z"),
                vec![],
                running("2026-06-01T12:00:00Z"),
                Some("2026-06-01T15:00:00Z"),
            ),
        },
        Case {
            name: "interval 1440: daily",
            schedule: schedule(1440, None, UTC),
            state: running("2026-06-01T09:00:00Z"),
            now: "2026-06-02T09:00:00Z",
            expect: expect(
                on_time("2026-06-02T09:00:00Z"),
                vec![],
                running("2026-06-02T09:00:00Z"),
                Some("2026-06-03T09:00:00Z"),
            ),
        },
        // --- work hours 09:00-18:00 Mon-Fri, Europe/Berlin (CEST, UTC+2) ---
        Case {
            name: "work hours: before opening waits for 09:00",
            schedule: schedule(60, berlin_9_18, Berlin),
            state: running("2026-06-01T05:30:00Z"), // 07:30 local
            now: "2026-06-01T06:00:00Z",            // 08:00 local
            expect: expect(
                None,
                vec![],
                running("2026-06-01T05:30:00Z"),
                Some("2026-06-01T07:00:00Z"), // 09:00 local
            ),
        },
        Case {
            name: "work hours: the opening itself is a slot",
            schedule: schedule(60, berlin_9_18, Berlin),
            state: running("2026-06-01T05:30:00Z"),
            now: "2026-06-01T07:00:00Z",
            expect: expect(
                on_time("2026-06-01T07:00:00Z"),
                vec![],
                running("2026-06-01T07:00:00Z"),
                Some("2026-06-01T08:00:00Z"), // 10:00 local
            ),
        },
        Case {
            name: "work hours: every interval inside the window",
            schedule: schedule(180, berlin_9_18, Berlin),
            state: running("2026-06-01T07:00:00Z"), // 09:00 local
            now: "2026-06-01T10:00:00Z",            // 12:00 local
            expect: expect(
                on_time("2026-06-01T10:00:00Z"),
                vec![],
                running("2026-06-01T10:00:00Z"),
                Some("2026-06-01T13:00:00Z"), // 15:00 local
            ),
        },
        Case {
            name: "work hours: 18:00 is closed, next is tomorrow's opening",
            schedule: schedule(180, berlin_9_18, Berlin),
            state: running("2026-06-01T13:00:00Z"), // 15:00 local
            now: "2026-06-01T15:00:00Z",            // 17:00 local
            expect: expect(
                None,
                vec![],
                running("2026-06-01T13:00:00Z"),
                Some("2026-06-02T07:00:00Z"), // Tue 09:00 local
            ),
        },
        Case {
            name: "mon-fri: Friday evening waits for Monday's opening",
            schedule: schedule(60, berlin_9_18, Berlin),
            state: running("2026-06-05T15:00:00Z"), // Fri 17:00 local
            now: "2026-06-05T15:30:00Z",
            expect: expect(
                None,
                vec![],
                running("2026-06-05T15:00:00Z"),
                Some("2026-06-08T07:00:00Z"), // Mon 09:00 local
            ),
        },
        Case {
            name: "mon-fri: Monday's opening fires after the weekend",
            schedule: schedule(60, berlin_9_18, Berlin),
            state: running("2026-06-05T15:00:00Z"),
            now: "2026-06-08T07:00:00Z",
            expect: expect(
                on_time("2026-06-08T07:00:00Z"),
                vec![],
                running("2026-06-08T07:00:00Z"),
                Some("2026-06-08T08:00:00Z"),
            ),
        },
        // --- minute precision 09:30-17:15, UTC ---
        Case {
            name: "09:30-17:15: the opening at 09:30 fires",
            schedule: schedule(45, hours("09:30", "17:15", mon_fri()), UTC),
            state: running("2026-06-01T08:00:00Z"),
            now: "2026-06-01T09:30:00Z",
            expect: expect(
                on_time("2026-06-01T09:30:00Z"),
                vec![],
                running("2026-06-01T09:30:00Z"),
                Some("2026-06-01T10:15:00Z"),
            ),
        },
        Case {
            name: "09:30-17:15: 17:00 is still inside",
            schedule: schedule(45, hours("09:30", "17:15", mon_fri()), UTC),
            state: running("2026-06-01T16:15:00Z"),
            now: "2026-06-01T16:30:00Z",
            expect: expect(
                None,
                vec![],
                running("2026-06-01T16:15:00Z"),
                Some("2026-06-01T17:00:00Z"),
            ),
        },
        Case {
            name: "09:30-17:15: 17:45 is outside, next is 09:30 tomorrow",
            schedule: schedule(45, hours("09:30", "17:15", mon_fri()), UTC),
            state: running("2026-06-01T17:00:00Z"),
            now: "2026-06-01T17:10:00Z",
            expect: expect(
                None,
                vec![],
                running("2026-06-01T17:00:00Z"),
                Some("2026-06-02T09:30:00Z"),
            ),
        },
        // --- overnight 22:00-06:00, UTC ---
        Case {
            name: "overnight: 23:00 is inside",
            schedule: schedule(120, hours("22:00", "06:00", WeekdaySet::ALL), UTC),
            state: running("2026-06-01T21:00:00Z"),
            now: "2026-06-01T21:30:00Z",
            expect: expect(
                None,
                vec![],
                running("2026-06-01T21:00:00Z"),
                Some("2026-06-01T23:00:00Z"),
            ),
        },
        Case {
            name: "overnight: Saturday morning belongs to Friday's window",
            schedule: schedule(120, hours("22:00", "06:00", only(Weekday::Fri)), UTC),
            state: running("2026-06-06T03:00:00Z"), // Sat
            now: "2026-06-06T05:00:00Z",
            expect: expect(
                on_time("2026-06-06T05:00:00Z"),
                vec![],
                running("2026-06-06T05:00:00Z"),
                Some("2026-06-12T22:00:00Z"), // next Friday
            ),
        },
        Case {
            name: "overnight: 06:00 is closed, next is 22:00",
            schedule: schedule(120, hours("22:00", "06:00", WeekdaySet::ALL), UTC),
            state: running("2026-06-02T04:00:00Z"),
            now: "2026-06-02T05:00:00Z",
            expect: expect(
                None,
                vec![],
                running("2026-06-02T04:00:00Z"),
                Some("2026-06-02T22:00:00Z"),
            ),
        },
        // --- DST, Europe/Berlin: 2026-03-29 spring forward, 2026-10-25 fall back ---
        Case {
            name: "Berlin spring forward: 09:00 opening is 09:00 CEST",
            schedule: daily_9_18(Berlin),
            state: running("2026-03-28T16:00:00Z"), // Sat 17:00 CET
            now: "2026-03-29T06:00:00Z",            // 08:00 CEST
            expect: expect(
                None,
                vec![],
                running("2026-03-28T16:00:00Z"),
                Some("2026-03-29T07:00:00Z"),
            ),
        },
        Case {
            name: "Berlin spring forward: 02:30 opening is the 03:00 CEST transition",
            schedule: schedule(60, hours("02:30", "06:00", WeekdaySet::ALL), Berlin),
            state: running("2026-03-28T04:00:00Z"), // Sat 05:00 CET
            now: "2026-03-29T01:00:00Z",            // 03:00 CEST
            expect: expect(
                on_time("2026-03-29T01:00:00Z"),
                vec![],
                running("2026-03-29T01:00:00Z"),
                Some("2026-03-29T02:00:00Z"), // 04:00 CEST
            ),
        },
        Case {
            name: "Berlin fall back: 09:00 opening is 09:00 CET",
            schedule: daily_9_18(Berlin),
            state: running("2026-10-24T15:00:00Z"), // Sat 17:00 CEST
            now: "2026-10-25T07:30:00Z",            // 08:30 CET
            expect: expect(
                None,
                vec![],
                running("2026-10-24T15:00:00Z"),
                Some("2026-10-25T08:00:00Z"),
            ),
        },
        Case {
            name: "Berlin fall back: 60 minutes from 02:30 CEST is 02:30 CET",
            schedule: schedule(60, None, Berlin),
            state: running("2026-10-25T00:30:00Z"),
            now: "2026-10-25T01:30:00Z",
            expect: expect(
                on_time("2026-10-25T01:30:00Z"),
                vec![],
                running("2026-10-25T01:30:00Z"),
                Some("2026-10-25T02:30:00Z"),
            ),
        },
        // --- DST, America/New_York: 2026-03-08 spring forward, 2026-11-01 fall back ---
        Case {
            name: "New York spring forward: 09:00 opening is 09:00 EDT",
            schedule: daily_9_18(New_York),
            state: running("2026-03-07T22:00:00Z"), // Sat 17:00 EST
            now: "2026-03-08T13:00:00Z",
            expect: expect(
                on_time("2026-03-08T13:00:00Z"),
                vec![],
                running("2026-03-08T13:00:00Z"),
                Some("2026-03-08T14:00:00Z"),
            ),
        },
        Case {
            name: "New York spring forward: 02:30 opening is 03:00 EDT",
            schedule: schedule(60, hours("02:30", "05:00", WeekdaySet::ALL), New_York),
            state: running("2026-03-07T09:00:00Z"), // Sat 04:00 EST
            now: "2026-03-07T12:00:00Z",
            expect: expect(
                None,
                vec![],
                running("2026-03-07T09:00:00Z"),
                Some("2026-03-08T07:00:00Z"),
            ),
        },
        Case {
            name: "New York fall back: 09:00 opening is 09:00 EST",
            schedule: daily_9_18(New_York),
            state: running("2026-10-31T21:00:00Z"), // Sat 17:00 EDT
            now: "2026-11-01T14:00:30Z",
            expect: expect(
                on_time("2026-11-01T14:00:00Z"),
                vec![],
                running("2026-11-01T14:00:00Z"),
                Some("2026-11-01T15:00:00Z"),
            ),
        },
        Case {
            name: "New York fall back: a 01:30 opening is the earlier 01:30 (EDT)",
            schedule: schedule(60, hours("01:30", "05:00", WeekdaySet::ALL), New_York),
            state: running("2026-10-31T09:00:00Z"), // Sat 05:00 EDT
            now: "2026-10-31T12:00:00Z",
            expect: expect(
                None,
                vec![],
                running("2026-10-31T09:00:00Z"),
                Some("2026-11-01T05:30:00Z"),
            ),
        },
        Case {
            name: "New York fall back: 60 minutes from 01:15 EDT is 01:15 EST",
            schedule: schedule(60, hours("00:00", "06:00", WeekdaySet::ALL), New_York),
            state: running("2026-11-01T05:15:00Z"),
            now: "2026-11-01T06:15:00Z",
            expect: expect(
                on_time("2026-11-01T06:15:00Z"),
                vec![],
                running("2026-11-01T06:15:00Z"),
                Some("2026-11-01T07:15:00Z"), // 02:15 EST
            ),
        },
        // --- suspend and downtime ---
        Case {
            name: "suspend: 5 hours past a 3-hour slot gives one late prompt",
            schedule: schedule(180, None, UTC),
            state: running("2026-06-01T09:00:00Z"),
            now: "2026-06-01T17:00:00Z",
            expect: expect(
                late("2026-06-01T12:00:00Z"),
                missed(Late, &["2026-06-01T12:00:00Z", "2026-06-01T15:00:00Z"]),
                running("2026-06-01T17:00:00Z"),
                Some("2026-06-01T20:00:00Z"),
            ),
        },
        Case {
            name: "daemon down two days with work hours: one late prompt",
            schedule: schedule(180, berlin_9_18, Berlin),
            state: running("2026-06-01T07:00:00Z"), // Mon 09:00 local
            now: "2026-06-03T09:30:00Z",            // Wed 11:30 local
            expect: expect(
                late("2026-06-01T10:00:00Z"),
                missed(
                    Late,
                    &[
                        "2026-06-01T10:00:00Z", // Mon 12:00
                        "2026-06-01T13:00:00Z", // Mon 15:00
                        "2026-06-02T07:00:00Z", // Tue 09:00
                        "2026-06-02T10:00:00Z", // Tue 12:00
                        "2026-06-02T13:00:00Z", // Tue 15:00
                        "2026-06-03T07:00:00Z", // Wed 09:00
                    ],
                ),
                running("2026-06-03T09:30:00Z"),
                Some("2026-06-03T12:30:00Z"), // Wed 14:30 local
            ),
        },
        // --- pause ---
        Case {
            name: "indefinite pause: slots recorded as paused, no wake-up",
            schedule: schedule(60, None, UTC),
            state: paused("2026-06-01T10:00:00Z", Pause::Indefinite),
            now: "2026-06-01T12:30:00Z",
            expect: expect(
                None,
                missed(Paused, &["2026-06-01T11:00:00Z", "2026-06-01T12:00:00Z"]),
                paused("2026-06-01T12:00:00Z", Pause::Indefinite),
                None,
            ),
        },
        Case {
            name: "pause until later: wakes at resume time",
            schedule: schedule(60, None, UTC),
            state: paused(
                "2026-06-01T10:00:00Z",
                Pause::Until(utc("2026-06-01T14:30:00Z")),
            ),
            now: "2026-06-01T12:30:00Z",
            expect: expect(
                None,
                missed(Paused, &["2026-06-01T11:00:00Z", "2026-06-01T12:00:00Z"]),
                paused(
                    "2026-06-01T12:00:00Z",
                    Pause::Until(utc("2026-06-01T14:30:00Z")),
                ),
                Some("2026-06-01T14:30:00Z"),
            ),
        },
        Case {
            name: "pause ending before the next slot: wakes at the slot",
            schedule: schedule(60, None, UTC),
            state: paused(
                "2026-06-01T10:00:00Z",
                Pause::Until(utc("2026-06-01T10:30:00Z")),
            ),
            now: "2026-06-01T10:15:00Z",
            expect: expect(
                None,
                vec![],
                paused(
                    "2026-06-01T10:00:00Z",
                    Pause::Until(utc("2026-06-01T10:30:00Z")),
                ),
                Some("2026-06-01T11:00:00Z"),
            ),
        },
        Case {
            name: "pause expired: slots inside it are paused, the grid resumes",
            schedule: schedule(60, None, UTC),
            state: paused(
                "2026-06-01T10:00:00Z",
                Pause::Until(utc("2026-06-01T12:30:00Z")),
            ),
            now: "2026-06-01T12:30:00Z",
            expect: expect(
                None,
                missed(Paused, &["2026-06-01T11:00:00Z", "2026-06-01T12:00:00Z"]),
                running("2026-06-01T12:00:00Z"),
                Some("2026-06-01T13:00:00Z"),
            ),
        },
        Case {
            name: "pause expired long ago: paused slots, then one late prompt",
            schedule: schedule(60, None, UTC),
            state: paused(
                "2026-06-01T10:00:00Z",
                Pause::Until(utc("2026-06-01T11:30:00Z")),
            ),
            now: "2026-06-01T14:10:00Z",
            expect: expect(
                late("2026-06-01T12:00:00Z"),
                [
                    missed(Paused, &["2026-06-01T11:00:00Z"]),
                    missed(
                        Late,
                        &[
                            "2026-06-01T12:00:00Z",
                            "2026-06-01T13:00:00Z",
                            "2026-06-01T14:00:00Z",
                        ],
                    ),
                ]
                .concat(),
                running("2026-06-01T14:10:00Z"),
                Some("2026-06-01T15:10:00Z"),
            ),
        },
        Case {
            name: "pause ending exactly at a slot: that slot fires",
            schedule: schedule(60, None, UTC),
            state: paused(
                "2026-06-01T10:00:00Z",
                Pause::Until(utc("2026-06-01T11:00:00Z")),
            ),
            now: "2026-06-01T11:00:00Z",
            expect: expect(
                on_time("2026-06-01T11:00:00Z"),
                vec![],
                running("2026-06-01T11:00:00Z"),
                Some("2026-06-01T12:00:00Z"),
            ),
        },
        // --- skip ---
        Case {
            name: "skip: the next slot is skipped, not fired",
            schedule: schedule(60, None, UTC),
            state: skipping("2026-06-01T10:00:00Z"),
            now: "2026-06-01T11:00:00Z",
            expect: expect(
                None,
                missed(Skipped, &["2026-06-01T11:00:00Z"]),
                running("2026-06-01T11:00:00Z"),
                Some("2026-06-01T12:00:00Z"),
            ),
        },
        Case {
            name: "skip: stays pending until a slot is due",
            schedule: schedule(60, None, UTC),
            state: skipping("2026-06-01T10:00:00Z"),
            now: "2026-06-01T10:30:00Z",
            expect: expect(
                None,
                vec![],
                skipping("2026-06-01T10:00:00Z"),
                Some("2026-06-01T11:00:00Z"),
            ),
        },
        Case {
            name: "skip after a suspend: first slot skipped, the rest late",
            schedule: schedule(60, None, UTC),
            state: skipping("2026-06-01T10:00:00Z"),
            now: "2026-06-01T13:30:00Z",
            expect: expect(
                late("2026-06-01T12:00:00Z"),
                [
                    missed(Skipped, &["2026-06-01T11:00:00Z"]),
                    missed(Late, &["2026-06-01T12:00:00Z", "2026-06-01T13:00:00Z"]),
                ]
                .concat(),
                running("2026-06-01T13:30:00Z"),
                Some("2026-06-01T14:30:00Z"),
            ),
        },
        // --- the first schedule, and anchors the clock has left behind ---
        Case {
            name: "first start: the grid is anchored at now and stored",
            schedule: schedule(50, None, Kolkata),
            state: never_planned(),
            now: "2026-06-01T10:30:00Z", // 16:00 IST
            expect: expect(
                None,
                vec![],
                running("2026-06-01T10:30:00Z"),
                Some("2026-06-01T11:20:00Z"), // 16:50 IST
            ),
        },
        Case {
            name: "restart before the first prompt keeps the stored anchor",
            schedule: schedule(50, None, Kolkata),
            state: running("2026-06-01T10:30:00Z"),
            now: "2026-06-01T10:33:00Z",
            expect: expect(
                None,
                vec![],
                running("2026-06-01T10:30:00Z"),
                Some("2026-06-01T11:20:00Z"),
            ),
        },
        Case {
            name: "first start inside a closed window waits for the opening",
            schedule: schedule(60, berlin_9_18, Berlin),
            state: never_planned(),
            now: "2026-06-01T05:00:00Z", // 07:00 CEST
            expect: expect(
                None,
                vec![],
                running("2026-06-01T05:00:00Z"),
                Some("2026-06-01T07:00:00Z"),
            ),
        },
        Case {
            name: "clock stepped back: an anchor in the future is clamped to now",
            schedule: schedule(50, None, UTC),
            state: running("2026-06-01T16:00:00Z"),
            now: "2026-06-01T10:11:00Z",
            expect: expect(
                None,
                vec![],
                running("2026-06-01T10:11:00Z"),
                Some("2026-06-01T11:01:00Z"),
            ),
        },
        Case {
            name: "clock stepped back a second: one interval from now, nothing fires",
            schedule: schedule(60, None, UTC),
            state: running("2026-06-01T10:00:00Z"),
            now: "2026-06-01T09:59:59Z",
            expect: expect(
                None,
                vec![],
                running("2026-06-01T09:59:59Z"),
                Some("2026-06-01T10:59:59Z"),
            ),
        },
        Case {
            name: "a store from a machine days ahead: clamped, then the window decides",
            schedule: schedule(60, berlin_9_18, Berlin),
            state: running("2026-06-09T12:00:00Z"),
            now: "2026-06-01T06:00:00Z", // Mon 08:00 CEST
            expect: expect(
                None,
                vec![],
                running("2026-06-01T06:00:00Z"),
                Some("2026-06-01T07:00:00Z"),
            ),
        },
        Case {
            name: "paused with a future anchor: clamped too",
            schedule: schedule(60, None, UTC),
            state: paused("2026-06-02T10:00:00Z", Pause::Indefinite),
            now: "2026-06-01T10:00:00Z",
            expect: expect(
                None,
                vec![],
                paused("2026-06-01T10:00:00Z", Pause::Indefinite),
                None,
            ),
        },
        // --- travel: same state, different zone ---
        Case {
            name: "travel: in Asia/Kolkata the next opening is 09:00 IST",
            schedule: schedule(60, hours("09:00", "18:00", mon_fri()), Kolkata),
            state: running("2026-06-01T17:00:00Z"), // 22:30 IST
            now: "2026-06-01T17:30:00Z",
            expect: expect(
                None,
                vec![],
                running("2026-06-01T17:00:00Z"),
                Some("2026-06-02T03:30:00Z"),
            ),
        },
        Case {
            name: "travel: in Europe/Berlin the next opening is 09:00 CEST",
            schedule: schedule(60, hours("09:00", "18:00", mon_fri()), Berlin),
            state: running("2026-06-01T17:00:00Z"), // 19:00 CEST
            now: "2026-06-01T17:30:00Z",
            expect: expect(
                None,
                vec![],
                running("2026-06-01T17:00:00Z"),
                Some("2026-06-02T07:00:00Z"),
            ),
        },
    ]
}

#[test]
fn table() {
    let cases = cases();
    assert!(cases.len() >= 25);
    for case in &cases {
        let got = step(&case.schedule, &case.state, utc(case.now));
        assert_eq!(got, case.expect, "case `{}`", case.name);
    }
}

#[test]
fn stepping_twice_at_the_same_instant_does_nothing_more() {
    for case in cases() {
        let now = utc(case.now);
        let first = step(&case.schedule, &case.state, now);
        let second = step(&case.schedule, &first.state, now);
        assert_eq!(second.fire, None, "case `{}`", case.name);
        assert_eq!(second.missed, vec![], "case `{}`", case.name);
        assert_eq!(second.state, first.state, "case `{}`", case.name);
        assert_eq!(second.next_due, first.next_due, "case `{}`", case.name);
    }
}

/// Drives the scheduler the way the run loop does: wake at `next_due`, step,
/// repeat. Returns the on-time prompts.
fn run_loop(schedule: &Schedule, anchor: &str, until: &str) -> Vec<DateTime<Utc>> {
    let until = utc(until);
    let mut state = running(anchor);
    let mut fired = Vec::new();
    let mut now = utc(anchor);
    loop {
        let out = step(schedule, &state, now);
        if let Some(f) = out.fire {
            assert!(!f.late, "a loop that wakes on time never fires late");
            fired.push(f.scheduled);
        }
        assert_eq!(out.missed, vec![]);
        state = out.state;
        now = out.next_due.expect("running has a next due");
        if now > until {
            return fired;
        }
    }
}

#[test]
fn three_hour_interval_is_never_hourly() {
    let fired = run_loop(
        &schedule(180, None, UTC),
        "2026-06-01T00:00:00Z",
        "2026-06-02T00:00:00Z",
    );
    let expected: Vec<_> = [
        "2026-06-01T03:00:00Z",
        "2026-06-01T06:00:00Z",
        "2026-06-01T09:00:00Z",
        "2026-06-01T12:00:00Z",
        "2026-06-01T15:00:00Z",
        "2026-06-01T18:00:00Z",
        "2026-06-01T21:00:00Z",
        "2026-06-02T00:00:00Z",
    ]
    .into_iter()
    .map(utc)
    .collect();
    assert_eq!(fired, expected);
}

#[test]
fn a_work_day_with_three_hour_prompts_in_berlin() {
    let fired = run_loop(
        &schedule(180, hours("09:00", "18:00", mon_fri()), Berlin),
        "2026-06-04T16:00:00Z", // Thu 18:00 CEST, just closed
        "2026-06-08T12:00:00Z", // Mon 14:00 CEST
    );
    let expected: Vec<_> = [
        "2026-06-05T07:00:00Z", // Fri 09:00
        "2026-06-05T10:00:00Z", // Fri 12:00
        "2026-06-05T13:00:00Z", // Fri 15:00
        "2026-06-08T07:00:00Z", // Mon 09:00
        "2026-06-08T10:00:00Z", // Mon 12:00
    ]
    .into_iter()
    .map(utc)
    .collect();
    assert_eq!(fired, expected);
}

#[test]
fn hourly_prompts_across_new_york_fall_back_are_sixty_real_minutes_apart() {
    let fired = run_loop(
        &schedule(60, None, New_York),
        "2026-11-01T04:00:00Z", // 00:00 EDT
        "2026-11-01T08:00:00Z", // 03:00 EST
    );
    let expected: Vec<_> = [
        "2026-11-01T05:00:00Z", // 01:00 EDT
        "2026-11-01T06:00:00Z", // 01:00 EST
        "2026-11-01T07:00:00Z", // 02:00 EST
        "2026-11-01T08:00:00Z", // 03:00 EST
    ]
    .into_iter()
    .map(utc)
    .collect();
    assert_eq!(fired, expected);
}

#[test]
fn skip_drops_exactly_one_slot_and_the_next_fires() {
    let s = schedule(60, None, UTC);
    let first = step(
        &s,
        &skipping("2026-06-01T10:00:00Z"),
        utc("2026-06-01T11:00:00Z"),
    );
    assert_eq!(first.fire, None);
    assert_eq!(
        first.missed,
        missed(MissReason::Skipped, &["2026-06-01T11:00:00Z"])
    );
    assert!(!first.state.skip_next);
    let second = step(&s, &first.state, utc("2026-06-01T12:00:00Z"));
    assert_eq!(second.fire, on_time("2026-06-01T12:00:00Z"));
    assert_eq!(second.missed, vec![]);
}

#[test]
fn pause_for_then_resume() {
    let s = schedule(60, None, UTC);
    let until = utc("2026-06-01T12:30:00Z");
    let pause = paused("2026-06-01T10:00:00Z", Pause::Until(until));

    let during = step(&s, &pause, utc("2026-06-01T11:05:00Z"));
    assert_eq!(during.fire, None);
    assert_eq!(
        during.missed,
        missed(MissReason::Paused, &["2026-06-01T11:00:00Z"])
    );
    assert_eq!(during.next_due, Some(until));

    let resumed = step(&s, &during.state, until);
    assert_eq!(
        resumed.missed,
        missed(MissReason::Paused, &["2026-06-01T12:00:00Z"])
    );
    assert_eq!(resumed.state.pause, Pause::Running);
    assert_eq!(resumed.next_due, Some(utc("2026-06-01T13:00:00Z")));

    let prompt = step(&s, &resumed.state, utc("2026-06-01T13:00:00Z"));
    assert_eq!(prompt.fire, on_time("2026-06-01T13:00:00Z"));
}

#[test]
fn travel_changes_the_next_opening_for_the_same_state() {
    let state = running("2026-06-01T17:00:00Z");
    let now = utc("2026-06-01T17:30:00Z");
    let window = hours("09:00", "18:00", mon_fri());
    let in_kolkata = step(&schedule(60, window, Kolkata), &state, now);
    let in_berlin = step(&schedule(60, window, Berlin), &state, now);
    assert_eq!(in_kolkata.next_due, Some(utc("2026-06-02T03:30:00Z")));
    assert_eq!(in_berlin.next_due, Some(utc("2026-06-02T07:00:00Z")));
}

#[test]
fn catching_up_is_capped() {
    let s = schedule(1, None, UTC);
    let now = utc("2026-06-01T00:00:00Z");
    // 200 days of one-minute slots is far more than the cap.
    let out = step(&s, &running("2025-11-13T00:00:00Z"), now);
    assert_eq!(out.fire, late("2025-11-13T00:01:00Z"));
    assert_eq!(out.missed.len(), MAX_CATCH_UP_SLOTS);
    assert_eq!(out.state.anchor, Some(now));
    assert_eq!(out.next_due, Some(utc("2026-06-01T00:01:00Z")));
}

/// One row of the reload table: `state` under the old schedule at `now`
/// (already stepped), then a reload to `schedule`.
struct Reload {
    name: &'static str,
    schedule: Schedule,
    state: SchedulerState,
    now: &'static str,
    /// The anchor after [`replan`].
    anchor: &'static str,
    /// The first step after the reload fires nothing and misses nothing;
    /// it wakes here.
    next_due: &'static str,
}

fn reloads() -> Vec<Reload> {
    vec![
        Reload {
            name: "180 -> 45 with the anchor 100 min ago: re-planned from now",
            schedule: schedule(45, None, Kolkata),
            state: running("2026-06-01T09:00:00Z"),
            now: "2026-06-01T10:40:00Z",
            anchor: "2026-06-01T10:40:00Z",
            next_due: "2026-06-01T11:25:00Z",
        },
        Reload {
            name: "180 -> 45 with the anchor 30 min ago: the anchor stays",
            schedule: schedule(45, None, Kolkata),
            state: running("2026-06-01T10:10:00Z"),
            now: "2026-06-01T10:40:00Z",
            anchor: "2026-06-01T10:10:00Z",
            next_due: "2026-06-01T10:55:00Z",
        },
        Reload {
            name: "45 -> 180: the anchor stays, the next prompt moves out",
            schedule: schedule(180, None, UTC),
            state: running("2026-06-01T10:00:00Z"),
            now: "2026-06-01T10:40:00Z",
            anchor: "2026-06-01T10:00:00Z",
            next_due: "2026-06-01T13:00:00Z",
        },
        Reload {
            name: "shortened exactly to the time since the anchor: re-planned",
            schedule: schedule(40, None, UTC),
            state: running("2026-06-01T10:00:00Z"),
            now: "2026-06-01T10:40:00Z",
            anchor: "2026-06-01T10:40:00Z",
            next_due: "2026-06-01T11:20:00Z",
        },
        Reload {
            name: "work hours switched on at night: the anchor stays, wait for 09:00",
            schedule: schedule(60, hours("09:00", "18:00", mon_fri()), Berlin),
            state: running("2026-06-01T19:00:00Z"), // 21:00 CEST
            now: "2026-06-01T21:00:00Z",
            anchor: "2026-06-01T19:00:00Z",
            next_due: "2026-06-02T07:00:00Z",
        },
        Reload {
            name: "shortened while paused: no paused slots are invented",
            schedule: schedule(15, None, UTC),
            state: paused("2026-06-01T10:00:00Z", Pause::Indefinite),
            now: "2026-06-01T11:00:00Z",
            anchor: "2026-06-01T11:00:00Z",
            next_due: "",
        },
    ]
}

#[test]
fn reload_table() {
    for r in reloads() {
        let now = utc(r.now);
        let state = replan(&r.schedule, &r.state, now);
        assert_eq!(state.anchor, Some(utc(r.anchor)), "case `{}`", r.name);
        assert_eq!(
            (state.pause, state.skip_next),
            (r.state.pause, r.state.skip_next),
            "case `{}`",
            r.name
        );
        let after = step(&r.schedule, &state, now);
        assert_eq!(after.fire, None, "case `{}`", r.name);
        assert_eq!(after.missed, vec![], "case `{}`", r.name);
        let next_due = (!r.next_due.is_empty()).then(|| utc(r.next_due));
        assert_eq!(after.next_due, next_due, "case `{}`", r.name);
    }
}

#[test]
fn without_replan_a_shortened_interval_would_fire_late() {
    // What the reload must not do: step the old anchor on the new grid.
    let s = schedule(45, None, UTC);
    let state = running("2026-06-01T09:00:00Z");
    let naive = step(&s, &state, utc("2026-06-01T10:40:00Z"));
    assert_eq!(naive.fire, late("2026-06-01T09:45:00Z"));
    let planned = step(
        &s,
        &replan(&s, &state, utc("2026-06-01T10:40:00Z")),
        utc("2026-06-01T10:40:00Z"),
    );
    assert_eq!(planned.fire, None);
}

#[test]
fn window_edges() {
    let s = schedule(60, hours("09:30", "17:15", mon_fri()), UTC);
    assert!(!in_window(&s, utc("2026-06-01T09:29:59Z")));
    assert!(in_window(&s, utc("2026-06-01T09:30:00Z")));
    assert!(in_window(&s, utc("2026-06-01T17:14:59Z")));
    assert!(!in_window(&s, utc("2026-06-01T17:15:00Z")));
    assert!(!in_window(&s, utc("2026-06-06T12:00:00Z")), "Saturday");
    assert!(in_window(
        &schedule(60, None, UTC),
        utc("2026-06-06T12:00:00Z")
    ));
}

#[test]
fn when_the_window_opens_again() {
    let s = schedule(60, hours("09:30", "17:15", mon_fri()), UTC);
    let cases = [
        ("2026-06-01T09:29:59Z", Some("2026-06-01T09:30:00Z")),
        ("2026-06-01T09:30:00Z", None),
        ("2026-06-01T17:15:00Z", Some("2026-06-02T09:30:00Z")),
        // Friday evening: Monday.
        ("2026-06-05T18:00:00Z", Some("2026-06-08T09:30:00Z")),
    ];
    for (at, want) in cases {
        assert_eq!(window_opens_after(&s, utc(at)), want.map(utc), "{at}");
    }
    assert_eq!(
        window_opens_after(&schedule(60, None, UTC), utc("2026-06-06T12:00:00Z")),
        None
    );
}

#[test]
fn overnight_window_belongs_to_the_day_it_starts_on() {
    let s = schedule(60, hours("22:00", "06:00", only(Weekday::Fri)), UTC);
    assert!(!in_window(&s, utc("2026-06-05T05:00:00Z")), "Fri morning");
    assert!(in_window(&s, utc("2026-06-05T22:00:00Z")), "Fri evening");
    assert!(in_window(&s, utc("2026-06-06T05:59:00Z")), "Sat morning");
    assert!(!in_window(&s, utc("2026-06-06T06:00:00Z")));
    assert!(!in_window(&s, utc("2026-06-06T22:00:00Z")), "Sat evening");
    assert_eq!(
        current_window(&s, utc("2026-06-06T01:00:00Z")),
        Some((utc("2026-06-05T22:00:00Z"), utc("2026-06-06T06:00:00Z")))
    );
}

#[test]
fn end_of_day_closes_at_midnight() {
    let s = schedule(60, hours("18:00", "24:00", only(Weekday::Mon)), Berlin);
    assert_eq!(
        window_bounds_on(&s, NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()),
        Some((utc("2026-06-01T16:00:00Z"), utc("2026-06-01T22:00:00Z")))
    );
    assert!(in_window(&s, utc("2026-06-01T21:59:00Z")));
    assert!(!in_window(&s, utc("2026-06-01T22:00:00Z")));
    assert_eq!(
        window_bounds_on(&s, NaiveDate::from_ymd_opt(2026, 6, 2).unwrap()),
        None
    );
}

#[test]
fn window_bounds_on_dst_days() {
    let s = schedule(60, hours("09:00", "18:00", WeekdaySet::ALL), Berlin);
    let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
    assert_eq!(
        window_bounds_on(&s, day(3, 29)),
        Some((utc("2026-03-29T07:00:00Z"), utc("2026-03-29T16:00:00Z")))
    );
    assert_eq!(
        window_bounds_on(&s, day(10, 25)),
        Some((utc("2026-10-25T08:00:00Z"), utc("2026-10-25T17:00:00Z")))
    );
    // 01:00-04:00 loses an hour in spring and gains one in autumn.
    let night = schedule(60, hours("01:00", "04:00", WeekdaySet::ALL), Berlin);
    assert_eq!(
        window_bounds_on(&night, day(3, 29)),
        Some((utc("2026-03-29T00:00:00Z"), utc("2026-03-29T02:00:00Z")))
    );
    assert_eq!(
        window_bounds_on(&night, day(10, 25)),
        Some((utc("2026-10-24T23:00:00Z"), utc("2026-10-25T03:00:00Z")))
    );
}

#[test]
fn a_window_inside_a_dst_gap_vanishes_for_that_day() {
    // 02:00-02:45 does not exist in Berlin on 2026-03-29.
    let s = schedule(60, hours("02:00", "02:45", WeekdaySet::ALL), Berlin);
    let day = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
    assert_eq!(window_bounds_on(&s, day), None);
    assert_eq!(
        next_window_open(&s, utc("2026-03-29T00:00:00Z")),
        Some(utc("2026-03-30T00:00:00Z")) // Mon 02:00 CEST
    );
}

#[test]
fn next_window_open_includes_an_opening_at_t() {
    let s = schedule(60, hours("09:00", "18:00", mon_fri()), UTC);
    assert_eq!(
        next_window_open(&s, utc("2026-06-01T09:00:00Z")),
        Some(utc("2026-06-01T09:00:00Z"))
    );
    assert_eq!(
        next_window_open(&s, utc("2026-06-01T09:00:01Z")),
        Some(utc("2026-06-02T09:00:00Z"))
    );
    assert_eq!(
        next_window_open(&schedule(60, None, UTC), utc("2026-06-01T09:00:00Z")),
        None
    );
}

#[test]
fn describes_the_window() {
    let s = schedule(60, hours("09:30", "17:15", mon_fri()), Berlin);
    assert_eq!(
        describe_window(&s),
        "09:30-17:15 mon,tue,wed,thu,fri Europe/Berlin"
    );
    assert_eq!(describe_window(&schedule(60, None, UTC)), "any time UTC");
}

#[test]
fn schedule_from_settings_uses_exact_minutes() {
    let settings = Settings {
        prompt_interval_minutes: 180,
        work_hours_only: false,
        work_hours: WorkHours {
            start: hm("09:00"),
            end: hm("18:00"),
            days: mon_fri(),
        },
        timezone: Berlin,
        log_level: Default::default(),
        auto_sync: false,
        commit_triggers: Default::default(),
        authors: vec![],
        commit_debounce: std::time::Duration::from_secs(30),
        watch_config: true,
    };
    let s = Schedule::from_settings(&settings);
    assert_eq!(s.interval, TimeDelta::hours(3));
    assert_eq!(s.window, None);
}

const ZONES: [Tz; 6] = [
    UTC,
    Berlin,
    New_York,
    Kolkata,
    chrono_tz::Australia::Lord_Howe, // 30-minute DST shift
    chrono_tz::Pacific::Chatham,     // UTC+12:45 / +13:45
];

fn any_window() -> impl Strategy<Value = WorkHours> {
    // A window cannot start at 24:00 (it would be the next day's 00:00).
    (0u32..1440, 0u32..=1440, 1u8..=127).prop_map(|(start, end, days)| WorkHours {
        start: TimeOfDay::new(start / 60, start % 60).unwrap(),
        end: TimeOfDay::new(end / 60, end % 60).unwrap(),
        days: [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ]
        .into_iter()
        .enumerate()
        .filter(|(i, _)| days & (1 << i) != 0)
        .map(|(_, d)| d)
        .collect(),
    })
}

proptest! {
    #[test]
    fn next_slot_is_later_and_inside_the_window(
        minutes in 1i64..=1440,
        window in proptest::option::of(any_window()),
        zone in 0usize..ZONES.len(),
        // 2024-01-01 .. 2028-01-01, at second precision.
        secs in 1_704_067_200i64..1_830_297_600,
    ) {
        let s = schedule(minutes, window, ZONES[zone]);
        let t = DateTime::from_timestamp(secs, 0).unwrap();
        let next = next_slot(&s, t);
        prop_assert!(next > t);
        prop_assert!(in_window(&s, next), "{next} outside {}", describe_window(&s));
        if window.is_none() {
            prop_assert_eq!(next - t, TimeDelta::minutes(minutes));
        }
    }

    #[test]
    fn step_is_idempotent(
        minutes in 1i64..=1440,
        window in proptest::option::of(any_window()),
        zone in 0usize..ZONES.len(),
        anchor in 1_704_067_200i64..1_830_297_600,
        ahead in 0i64..(3 * 86_400),
        skip_next: bool,
    ) {
        let s = schedule(minutes, window, ZONES[zone]);
        let anchor = DateTime::from_timestamp(anchor, 0).unwrap();
        let state = SchedulerState {
            anchor: Some(anchor),
            pause: Pause::Running,
            skip_next,
        };
        let now = anchor + TimeDelta::seconds(ahead);
        let first = step(&s, &state, now);
        let second = step(&s, &first.state, now);
        prop_assert_eq!(second.fire, None);
        prop_assert!(second.missed.is_empty());
        prop_assert_eq!(second.state, first.state);
        prop_assert!(first.next_due.unwrap() > now);
    }

    #[test]
    fn the_next_prompt_is_never_more_than_one_slot_away(
        minutes in 1i64..=1440,
        window in proptest::option::of(any_window()),
        zone in 0usize..ZONES.len(),
        now in 1_704_067_200i64..1_830_297_600,
        // The anchor anywhere from three days before to a year after `now`.
        offset in -(3 * 86_400i64)..(366 * 86_400),
        skip_next: bool,
    ) {
        let s = schedule(minutes, window, ZONES[zone]);
        let now = DateTime::from_timestamp(now, 0).unwrap();
        let state = SchedulerState {
            anchor: Some(now + TimeDelta::seconds(offset)),
            pause: Pause::Running,
            skip_next,
        };
        let out = step(&s, &state, now);
        prop_assert!(out.state.anchor.unwrap() <= now);
        prop_assert!(out.next_due.unwrap() <= next_slot(&s, now));
    }
}
