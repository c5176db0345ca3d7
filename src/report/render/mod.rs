//! Writing a [`Report`] in each [`Format`]. Text, Markdown and Slack share
//! one outline (`outline.rs`) written in three markups, so they cannot
//! drift apart; JSON is the report itself; CSV has one row per item.

mod csv;
mod outline;

pub(crate) use outline::clean;

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;

use super::{Format, Period, Report};

/// The report as `format`; always ends with a newline.
pub(crate) fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Text => outline::write(&outline::document(report), outline::Markup::Text),
        Format::Markdown => outline::write(&outline::document(report), outline::Markup::Markdown),
        Format::Slack => outline::write(&outline::document(report), outline::Markup::Slack),
        Format::Json => serde_json::to_string_pretty(report).expect("reports serialize") + "\n",
        Format::Csv => csv::write(report),
    }
}

/// Times as people read them in this report: the clock alone when the
/// period is one day, the weekday and date too when it is longer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    tz: Tz,
    one_day: bool,
    one_year: bool,
}

impl Clock {
    pub(crate) fn new(period: &Period) -> Clock {
        let (first, last) = period.dates();
        Clock {
            tz: period.tz,
            one_day: first == last,
            one_year: first.year() == last.year(),
        }
    }

    /// `09:05`, `Fri 12 Jun 09:05` or `2025-06-12 09:05`.
    pub(crate) fn at(&self, t: DateTime<Utc>) -> String {
        let local = t.with_timezone(&self.tz);
        let format = if self.one_day {
            "%H:%M"
        } else if self.one_year {
            "%a %-d %b %H:%M"
        } else {
            "%Y-%m-%d %H:%M"
        };
        local.format(format).to_string()
    }

    /// `t` next to `anchor`: the clock alone on the same local day.
    pub(crate) fn beside(&self, t: DateTime<Utc>, anchor: DateTime<Utc>) -> String {
        let local = t.with_timezone(&self.tz);
        if local.date_naive() == anchor.with_timezone(&self.tz).date_naive() {
            local.format("%H:%M").to_string()
        } else {
            local.format("%a %-d %b %H:%M").to_string()
        }
    }

    /// `09:05–17:48` (dates added as [`Clock::at`] does).
    pub(crate) fn span(&self, first: DateTime<Utc>, last: DateTime<Utc>) -> String {
        format!("{}–{}", self.at(first), self.beside(last, first))
    }

    /// A local date: `Fri 12 Jun` (with the year when the period spans two).
    pub(crate) fn date(&self, date: chrono::NaiveDate) -> String {
        let format = if self.one_year {
            "%a %-d %b"
        } else {
            "%a %-d %b %Y"
        };
        date.format(format).to_string()
    }

    /// RFC 3339 with the local offset, for machines.
    pub(crate) fn local_rfc3339(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.tz)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
    }
}

/// `1 commit`, `3 commits`.
pub(crate) fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
