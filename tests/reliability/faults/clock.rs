//! Wall-clock jumps forward and back, with an injected clock: the
//! scheduler's pure `step` driven the way the run loop drives it. The
//! daemon sleeps until `next_due` on `CLOCK_REALTIME` (a timerfd with
//! `TFD_TIMER_CANCEL_ON_SET`), and a clock that is set wakes it at once, so
//! a jump is a step at the new time. Every step is checked: a late prompt
//! only at a jump, never a second prompt at the same instant, never a zero
//! or negative sleep, the next prompt at most one interval away; over a
//! whole history, at most one late prompt per jump and no more prompts
//! than one per interval of real time plus one per jump (no storm).
//!
//! Why no real clock is set: see the module above (`faults`).

use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use devtrack::scheduler::{step, Pause, Schedule, SchedulerState};

use super::figure;

fn hourly() -> Schedule {
    every(60)
}

fn every(minutes: i64) -> Schedule {
    Schedule {
        interval: TimeDelta::minutes(minutes),
        window: None,
        tz: chrono_tz::UTC,
    }
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Lives through `jumps`, (real seconds after the previous event, seconds
/// the clock is set by), from the first start at `start`, until three
/// intervals after the last jump. Returns the prompts as (real second,
/// late), checking every step on the way.
fn live_through_jumps(
    s: &Schedule,
    start: DateTime<Utc>,
    jumps: &[(i64, i64)],
) -> Result<Vec<(i64, bool)>, TestCaseError> {
    let interval = s.interval;
    let clock = |real: i64, offset: TimeDelta| start + TimeDelta::seconds(real) + offset;
    let mut state = SchedulerState {
        anchor: None,
        pause: Pause::Running,
        skip_next: false,
    };
    let mut prompts = Vec::new();
    let mut take = |state: &mut SchedulerState,
                    now: DateTime<Utc>,
                    real: i64,
                    after_jump: bool|
     -> Result<DateTime<Utc>, TestCaseError> {
        let out = step(s, state, now);
        if let Some(f) = out.fire {
            prop_assert!(!f.late || after_jump, "late prompt without a jump at {now}");
            prompts.push((real, f.late));
        }
        let again = step(s, &out.state, now);
        prop_assert_eq!(
            again.fire,
            None,
            "a second prompt at the same instant {}",
            now
        );
        let next = out.next_due.expect("running");
        prop_assert!(next > now, "next {next} not after now {now}");
        prop_assert!(
            next - now <= interval,
            "next {next} more than one interval after {now}"
        );
        *state = out.state;
        Ok(next)
    };
    let mut real = 0i64;
    let mut offset = TimeDelta::zero();
    let mut next_due = take(&mut state, clock(0, offset), 0, false)?;
    let mut pending = jumps.iter().copied();
    let mut jump = pending.next();
    let horizon = jumps.iter().map(|(after, _)| after).sum::<i64>() + 3 * interval.num_seconds();
    while real < horizon {
        let timer_at = real + (next_due - clock(real, offset)).num_seconds();
        match jump {
            Some((at, by)) if at <= timer_at => {
                real = at;
                offset += TimeDelta::seconds(by);
                next_due = take(&mut state, clock(real, offset), real, true)?;
                jump = pending.next().map(|(after, by)| (real + after, by));
            }
            _ => {
                real = timer_at;
                next_due = take(&mut state, clock(real, offset), real, false)?;
            }
        }
    }
    Ok(prompts)
}

#[test]
fn clock_jumps_forward_and_back() {
    let start = utc("2026-06-01T09:00:00Z");
    type Story<'a> = (&'a [(i64, i64)], &'a [(i64, bool)]);
    let table: [Story; 5] = [
        // No jump: on time, every hour.
        (&[], &[(3600, false), (7200, false), (10800, false)]),
        // Forward 5 h half an hour in: one late prompt at once, then an
        // hour after it; the slots jumped over are not prompted.
        (
            &[(1800, 5 * 3600)],
            &[(1800, true), (5400, false), (9000, false), (12600, false)],
        ),
        // Back 5 h half an hour in: nothing at the jump, the next prompt
        // one hour later (not five hours later).
        (
            &[(1800, -5 * 3600)],
            &[(5400, false), (9000, false), (12600, false)],
        ),
        // Back a second just as the slot comes: it comes a second later.
        (
            &[(3600, -1)],
            &[(3601, false), (7201, false), (10801, false), (14401, false)],
        ),
        // Forward 50 min (5 min past the slot: late) and back again a
        // minute later: the grid restarts from the back jump, one interval
        // on; no second prompt for the slot.
        (
            &[(900, 3000), (60, -3000)],
            &[(900, true), (4560, false), (8160, false), (11760, false)],
        ),
    ];
    for (jumps, want) in table {
        let got = live_through_jumps(&hourly(), start, jumps).unwrap();
        assert_eq!(got, want, "jumps {jumps:?}");
    }
}

/// Random histories: intervals of 1 to 240 minutes, up to eight jumps of
/// up to three days either way, up to two days apart.
#[test]
fn wall_clock_jumps_never_storm() {
    let cases = if std::env::var_os("DEVTRACK_RELIABILITY_LONG").is_some() {
        10_000
    } else {
        1_000
    };
    let histories = (
        1i64..=240,
        1_704_067_200i64..1_830_297_600,
        proptest::collection::vec((0i64..(2 * 86_400), -(3 * 86_400i64)..(3 * 86_400)), 0..8),
    );
    let totals = std::cell::Cell::new((0usize, 0usize, 0usize, 0usize));
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&histories, |(minutes, start, jumps)| {
            let start = DateTime::from_timestamp(start, 0).unwrap();
            let prompts = live_through_jumps(&every(minutes), start, &jumps)?;
            let late = prompts.iter().filter(|(_, late)| *late).count();
            prop_assert!(
                late <= jumps.len(),
                "{late} late prompts for {} jumps",
                jumps.len()
            );
            let real = prompts.last().map_or(0, |(t, _)| *t);
            let bound = 1 + jumps.len() as i64 + real / (minutes * 60);
            prop_assert!(
                prompts.len() as i64 <= bound,
                "{} prompts, bound {bound}",
                prompts.len()
            );
            let (n, j, p, l) = totals.get();
            totals.set((n + 1, j + jumps.len(), p + prompts.len(), l + late));
            Ok(())
        })
        .unwrap();
    let (n, jumps, prompts, late) = totals.get();
    assert!(n >= cases as usize);
    figure(
        "faults::clock::wall_clock_jumps_never_storm",
        "random histories of wall-clock jumps (up to 3 days either way) through the scheduler, injected clock",
        format!("{n} histories, {jumps} jumps"),
        &format!("{prompts} prompts, {late} late (at most one per jump); 0 zero or negative sleeps; 0 storms; a real CLOCK_REALTIME jump not made (time namespaces do not offset it)"),
    );
}
