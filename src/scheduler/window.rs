//! Work-window arithmetic: turning "09:00–18:00 on Mon–Fri in
//! Europe/Berlin" into concrete UTC instants.
//!
//! Kept apart from the slot logic because all the time-zone subtleties live
//! here: local times that do not exist (spring forward), local times that
//! exist twice (fall back), `24:00`, and overnight windows that belong to the
//! day they start on.

use chrono::{
    DateTime, Datelike, Days, LocalResult, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Utc,
};
use chrono_tz::Tz;

use crate::config::{TimeOfDay, WorkHours};

/// How many local days [`next_open`] looks ahead. A non-empty day set opens
/// within a week; the rest is slack for windows that vanish into a DST gap.
const LOOKAHEAD_DAYS: u64 = 15;

/// The UTC instant of a local wall-clock time.
///
/// A time inside a DST gap resolves to the first valid instant after the gap
/// (02:30 on a spring-forward day becomes the 03:00 transition); a time that
/// occurs twice resolves to the earlier occurrence.
fn resolve_local(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, b) => a.min(b).with_timezone(&Utc),
        LocalResult::None => gap_end(tz, local),
    }
}

/// The instant a DST gap containing `local` ends.
///
/// Bisects for the first instant whose local time is past `local`. The
/// bracket is ±15 hours around `local` read as UTC, which holds every real
/// UTC offset; any instant found where the local clock jumps over `local` is
/// by definition the end of the gap that swallowed it.
fn gap_end(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    // Whole seconds: transitions happen on them, so the search lands exactly.
    let wall = |secs: i64| {
        DateTime::from_timestamp(secs, 0)
            .map(|t| t.with_timezone(&tz).naive_local())
            .unwrap_or(local)
    };
    let as_utc = local.and_utc().timestamp();
    let mut before = as_utc - 15 * 3600;
    let mut after = as_utc + 15 * 3600;
    while after - before > 1 {
        let mid = before + (after - before) / 2;
        if wall(mid) > local {
            after = mid;
        } else {
            before = mid;
        }
    }
    DateTime::from_timestamp(after, 0).unwrap_or_else(|| local.and_utc())
}

/// The instant of `at` on local `date`; `24:00` is midnight ending the day.
fn instant_on(tz: Tz, date: NaiveDate, at: TimeOfDay) -> Option<DateTime<Utc>> {
    let midnight = date.and_hms_opt(0, 0, 0)?;
    let local = midnight.checked_add_signed(TimeDelta::minutes(i64::from(at.minutes())))?;
    Some(resolve_local(tz, local))
}

/// The window that opens on local `date`, as `[open, close)`.
///
/// `None` when `date` is not a work day, or when DST squeezes the window to
/// nothing (both ends inside the same gap). `end <= start` is an overnight
/// window closing the next day; `start == end` is therefore a full 24 hours.
pub(crate) fn bounds_on(
    hours: &WorkHours,
    tz: Tz,
    date: NaiveDate,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    if !hours.days.contains(date.weekday()) {
        return None;
    }
    let open = instant_on(tz, date, hours.start)?;
    let close_date = if hours.end > hours.start {
        date
    } else {
        date.succ_opt()?
    };
    let close = instant_on(tz, close_date, hours.end)?;
    (open < close).then_some((open, close))
}

fn local_date(tz: Tz, t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&tz).date_naive()
}

/// The window containing `t`, if any.
///
/// A window can start at most two local days before `t`'s date (an
/// overnight window from `24:00`), so three candidates cover every case.
pub(crate) fn containing(
    hours: &WorkHours,
    tz: Tz,
    t: DateTime<Utc>,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let today = local_date(tz, t);
    (0..=2u64)
        .filter_map(|back| today.checked_sub_days(Days::new(back)))
        .filter_map(|date| bounds_on(hours, tz, date))
        .find(|&(open, close)| open <= t && t < close)
}

/// The first window opening at or after `t`; `None` when the window never
/// opens (an empty day set).
pub(crate) fn next_open(hours: &WorkHours, tz: Tz, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let yesterday = local_date(tz, t).pred_opt()?;
    // Openings of successive days strictly increase, so the first one at or
    // after `t` is the earliest.
    (0..=LOOKAHEAD_DAYS)
        .filter_map(|ahead| yesterday.checked_add_days(Days::new(ahead)))
        .filter_map(|date| bounds_on(hours, tz, date))
        .map(|(open, _)| open)
        .find(|&open| open >= t)
}
