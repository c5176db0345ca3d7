//! Small formatting helpers shared by the daemon's status line and the CLI.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// `1 commit`, `2 commits`: a count with its noun, for every message
/// that counts something (never `commit(s)`).
pub(crate) fn plural(n: impl Into<u64>, one: &str, many: &str) -> String {
    match n.into() {
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    }
}

/// `2h 15m`, `45m`, `30s`, `3d 4h`: the two largest non-zero units.
pub(crate) fn human_duration(secs: u64) -> String {
    const UNITS: [(u64, &str); 4] = [(86_400, "d"), (3_600, "h"), (60, "m"), (1, "s")];
    if secs == 0 {
        return "0s".to_string();
    }
    let mut parts = Vec::new();
    let mut rest = secs;
    for (size, unit) in UNITS {
        if rest >= size {
            parts.push(format!("{}{unit}", rest / size));
            rest %= size;
        }
        if parts.len() == 2 {
            break;
        }
    }
    // Only whole minutes matter once hours are shown.
    if secs >= 3_600 {
        parts.retain(|p| !p.ends_with('s'));
    }
    parts.join(" ")
}

/// A size as a person reads it: `812 B`, `64.0 KiB`, `8.4 MiB`, `1.2 GiB`.
pub(crate) fn bytes(n: u64) -> String {
    const UNITS: [&str; 3] = ["KiB", "MiB", "GiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut size = n as f64 / 1024.0;
    let mut unit = UNITS[0];
    for next in &UNITS[1..] {
        if size < 1024.0 {
            break;
        }
        size /= 1024.0;
        unit = next;
    }
    format!("{size:.1} {unit}")
}

/// A timeout as a person reads it: `30 s`, `1.5 s`.
pub(crate) fn seconds(d: std::time::Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// "in 45m" / "5m ago" / "now" relative to `now`.
pub(crate) fn relative(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (t - now).num_seconds();
    match secs {
        0 => "now".to_string(),
        s if s > 0 => format!("in {}", human_duration(s as u64)),
        s => format!("{} ago", human_duration(s.unsigned_abs())),
    }
}

/// `14:30 IST` today, `Fri 14:30 IST` within a week, a full date otherwise.
pub(crate) fn local_time(t: DateTime<Utc>, tz: Tz, now: DateTime<Utc>) -> String {
    let local = t.with_timezone(&tz);
    let today = now.with_timezone(&tz).date_naive();
    let days = (local.date_naive() - today).num_days();
    if days == 0 {
        local.format("%H:%M %Z").to_string()
    } else if (-6..=6).contains(&days) {
        local.format("%a %H:%M %Z").to_string()
    } else {
        local.format("%a, %d %b %Y %H:%M %Z").to_string()
    }
}

/// The full stamp the status page uses: `Fri, 01 Nov 2025 10:30:00 IST`.
pub(crate) fn full_time(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz)
        .format("%a, %d %b %Y %H:%M:%S %Z")
        .to_string()
}

/// A full stamp for lists: `2025-11-01 10:30:00 IST`.
pub(crate) fn stamp(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz)
        .format("%Y-%m-%d %H:%M:%S %Z")
        .to_string()
}

/// The time of day to the second, with the zone: `10:30:00 IST`.
pub(crate) fn clock(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%H:%M:%S %Z").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        for (n, want) in [
            (0, "0 B"),
            (1023, "1023 B"),
            (1024, "1.0 KiB"),
            (8 * 1024 * 1024 + 400 * 1024, "8.4 MiB"),
            (3 << 30, "3.0 GiB"),
        ] {
            assert_eq!(bytes(n), want, "{n}");
        }
    }

    #[test]
    fn seconds_show_a_fraction_only_when_there_is_one() {
        use std::time::Duration;
        assert_eq!(seconds(Duration::from_secs(30)), "30 s");
        assert_eq!(seconds(Duration::from_millis(1500)), "1.5 s");
        assert_eq!(seconds(Duration::ZERO), "0 s");
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn durations_show_two_units() {
        assert_eq!(human_duration(0), "0s");
        assert_eq!(human_duration(30), "30s");
        assert_eq!(human_duration(45 * 60), "45m");
        assert_eq!(human_duration(45 * 60 + 5), "45m 5s");
        assert_eq!(human_duration(2 * 3600 + 15 * 60 + 9), "2h 15m");
        assert_eq!(human_duration(3 * 86_400 + 4 * 3600), "3d 4h");
        assert_eq!(human_duration(3600 + 5), "1h");
    }

    #[test]
    fn relative_times() {
        let now = at("2026-11-26T09:00:00Z");
        assert_eq!(relative(at("2026-11-26T09:45:00Z"), now), "in 45m");
        assert_eq!(relative(at("2026-11-26T08:55:00Z"), now), "5m ago");
        assert_eq!(relative(now, now), "now");
    }

    #[test]
    fn local_times_in_the_configured_zone() {
        let now = at("2026-11-26T09:00:00Z");
        let tz: Tz = "Asia/Kolkata".parse().unwrap();
        assert_eq!(local_time(at("2026-11-26T09:00:00Z"), tz, now), "14:30 IST");
        assert_eq!(
            local_time(at("2026-11-27T09:00:00Z"), tz, now),
            "Fri 14:30 IST"
        );
        assert_eq!(
            full_time(at("2025-11-01T05:00:00Z"), tz),
            "Sat, 01 Nov 2025 10:30:00 IST"
        );
        assert_eq!(
            stamp(at("2025-11-01T05:00:00Z"), tz),
            "2025-11-01 10:30:00 IST"
        );
        assert_eq!(clock(at("2025-11-01T05:00:00Z"), tz), "10:30:00 IST");
    }
}
