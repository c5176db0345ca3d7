//! What the sender sends next, and when it next has to look: a pure
//! planner over the outbox rows that may go (queued, or left `sending` by
//! a previous run), what is in flight, each host's budget and pause, and
//! the clock. Order is kept per ticket only: a ticket's next row waits for
//! the one before it, and nothing else does, so one failing item never
//! blocks another ticket. The daemon arms a timer only for [`Plan::wake`],
//! which is `None` when nothing is due (no wake-ups while idle).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::backoff::Backoff;
use crate::tickets::Family;

/// The wait after a failure that said nothing about when: seconds at
/// first, doubling up to an hour.
pub(crate) const RETRY: Backoff = Backoff::new(Duration::from_secs(5), Duration::from_secs(3600));

/// How long a row waits after try number `attempts` failed for a reason
/// that may pass: what the server asked (`after`), else the backoff.
pub(crate) fn retry_wait(after: Option<Duration>, attempts: u32) -> Duration {
    after.unwrap_or_else(|| RETRY.delay(attempts))
}

/// One row that may be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub id: String,
    pub family: Family,
    pub ticket: String,
    /// The host its request goes to (budgets and rate limits are per host).
    pub host: String,
    /// Not before this (a retry's wait).
    pub not_before: Option<DateTime<Utc>>,
}

/// The per-host budget: at most `per_minute` requests in any minute and
/// `per_hour` in any hour (the windows shortened in the tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    pub per_minute: usize,
    pub per_hour: usize,
    pub minute: Duration,
    pub hour: Duration,
}

impl Limits {
    /// GitHub's content limits, kept well under: 80 a minute, 500 an hour.
    pub(crate) const HOST: Limits = Limits {
        per_minute: 80,
        per_hour: 500,
        minute: Duration::from_secs(60),
        hour: Duration::from_secs(3600),
    };
}

/// What each host has used and whether it is paused (a rate limit).
#[derive(Debug, Clone, Default)]
pub(crate) struct Hosts {
    /// When each request to a host started, the last hour's.
    started: BTreeMap<String, VecDeque<DateTime<Utc>>>,
    paused: BTreeMap<String, DateTime<Utc>>,
}

fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

impl Hosts {
    /// A request to `host` starts at `now`.
    pub(crate) fn started(&mut self, host: &str, now: DateTime<Utc>, limits: &Limits) {
        let q = self.started.entry(host.to_owned()).or_default();
        q.push_back(now);
        while q.front().is_some_and(|t| *t + delta(limits.hour) <= now) {
            q.pop_front();
        }
    }

    /// `host` said to wait: nothing goes to it before `until`.
    pub(crate) fn pause(&mut self, host: &str, until: DateTime<Utc>) {
        let at = self.paused.entry(host.to_owned()).or_insert(until);
        *at = (*at).max(until);
    }

    /// When `host` may take the next request: `now`, or later.
    fn free_at(&self, host: &str, now: DateTime<Utc>, limits: &Limits) -> DateTime<Utc> {
        let mut at = now;
        if let Some(p) = self.paused.get(host) {
            at = at.max(*p);
        }
        if let Some(q) = self.started.get(host) {
            for (window, most) in [
                (limits.minute, limits.per_minute),
                (limits.hour, limits.per_hour),
            ] {
                let inside: Vec<&DateTime<Utc>> =
                    q.iter().filter(|t| **t + delta(window) > now).collect();
                if inside.len() >= most {
                    // Free once the oldest that counts leaves the window.
                    let oldest = inside[inside.len() - most];
                    at = at.max(*oldest + delta(window));
                }
            }
        }
        at
    }
}

/// What to do now, and when to look again.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Plan {
    /// The rows to send now, in order.
    pub start: Vec<String>,
    /// When something next becomes due; `None`: nothing is waiting.
    pub wake: Option<DateTime<Utc>>,
}

/// The plan for `rows` (oldest first) at `now`. `busy`: the tickets with
/// a request in flight.
pub(crate) fn next(
    rows: &[Candidate],
    busy: &BTreeSet<(Family, String)>,
    hosts: &Hosts,
    limits: &Limits,
    now: DateTime<Utc>,
) -> Plan {
    let mut plan = Plan::default();
    let mut seen: BTreeSet<(Family, &str)> = BTreeSet::new();
    let mut hosts = hosts.clone();
    let wake = |at: DateTime<Utc>, plan: &mut Plan| {
        plan.wake = Some(plan.wake.map_or(at, |w| w.min(at)));
    };
    for row in rows {
        // Only a ticket's oldest row may go.
        if !seen.insert((row.family, row.ticket.as_str())) {
            continue;
        }
        if busy.contains(&(row.family, row.ticket.clone())) {
            continue;
        }
        if let Some(at) = row.not_before.filter(|at| *at > now) {
            wake(at, &mut plan);
            continue;
        }
        let free = hosts.free_at(&row.host, now, limits);
        if free > now {
            wake(free, &mut plan);
            continue;
        }
        hosts.started(&row.host, now, limits);
        plan.start.push(row.id.clone());
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap()
    }

    fn row(id: &str, ticket: &str, host: &str, not_before: Option<i64>) -> Candidate {
        Candidate {
            id: id.into(),
            family: Family::Github,
            ticket: ticket.into(),
            host: host.into(),
            not_before: not_before.map(t),
        }
    }

    #[test]
    fn plans() {
        let small = Limits {
            per_minute: 2,
            per_hour: 3,
            ..Limits::HOST
        };
        let mut paused = Hosts::default();
        paused.pause("gh", t(60));
        let mut used = Hosts::default();
        used.started("gh", t(-30), &small);
        used.started("gh", t(-20), &small);
        let mut hour = Hosts::default();
        for s in [-3000, -2000, -1000] {
            hour.started("gh", t(s), &small);
        }
        let busy: BTreeSet<(Family, String)> = [(Family::Github, "o/r#1".to_owned())].into();
        let none = BTreeSet::new();
        type Case<'a> = (
            &'a str,
            Vec<Candidate>,
            &'a BTreeSet<(Family, String)>,
            Hosts,
            Plan,
        );
        let cases: Vec<Case<'_>> = vec![
            (
                "nothing: no wake-up",
                vec![],
                &none,
                Hosts::default(),
                Plan::default(),
            ),
            (
                "per ticket in order, tickets independent",
                vec![
                    row("a", "o/r#1", "gh", None),
                    row("b", "o/r#1", "gh", None),
                    row("c", "o/r#2", "gh", None),
                ],
                &none,
                Hosts::default(),
                Plan {
                    start: vec!["a".into(), "c".into()],
                    wake: None,
                },
            ),
            (
                "a retry waiting holds its ticket only",
                vec![
                    row("a", "o/r#1", "gh", Some(30)),
                    row("b", "o/r#1", "gh", None),
                    row("c", "o/r#2", "gh", None),
                ],
                &none,
                Hosts::default(),
                Plan {
                    start: vec!["c".into()],
                    wake: Some(t(30)),
                },
            ),
            (
                "a ticket in flight waits for its answer",
                vec![row("b", "o/r#1", "gh", None)],
                &busy,
                Hosts::default(),
                Plan::default(),
            ),
            (
                "a paused host waits, others go",
                vec![row("a", "o/r#1", "gh", None), row("b", "X-1", "jira", None)],
                &none,
                paused,
                Plan {
                    start: vec!["b".into()],
                    wake: Some(t(60)),
                },
            ),
            (
                "the minute's budget used up",
                vec![row("a", "o/r#1", "gh", None)],
                &none,
                used,
                Plan {
                    start: vec![],
                    wake: Some(t(30)),
                },
            ),
            (
                "the hour's budget used up",
                vec![row("a", "o/r#1", "gh", None)],
                &none,
                hour,
                Plan {
                    start: vec![],
                    wake: Some(t(600)),
                },
            ),
            (
                "the budget counts this turn's own starts",
                vec![
                    row("a", "o/r#1", "gh", None),
                    row("b", "o/r#2", "gh", None),
                    row("c", "o/r#3", "gh", None),
                ],
                &none,
                Hosts::default(),
                Plan {
                    start: vec!["a".into(), "b".into()],
                    wake: Some(t(60)),
                },
            ),
        ];
        for (name, rows, busy, hosts, want) in cases {
            assert_eq!(next(&rows, busy, &hosts, &small, t(0)), want, "{name}");
        }
    }

    #[test]
    fn refused_for_an_hour_then_back() {
        // Connection refused on every try, on an injected clock: the
        // waits double from 5 s to the hour's cap; when the server is
        // back, the next planned try sends.
        let mut now = t(0);
        let mut waits = Vec::new();
        let mut attempts = 0;
        while now < t(3 * 3600) {
            attempts += 1;
            let wait = retry_wait(None, attempts);
            waits.push(wait.as_secs());
            now += delta(wait);
        }
        assert_eq!(
            waits,
            [5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600]
        );
        let rows = [row(
            "a",
            "o/r#1",
            "gh",
            Some(now.timestamp() - t(0).timestamp()),
        )];
        let none = BTreeSet::new();
        let before = next(
            &rows,
            &none,
            &Hosts::default(),
            &Limits::HOST,
            now - TimeDelta::seconds(1),
        );
        assert_eq!(
            before,
            Plan {
                start: vec![],
                wake: Some(now)
            }
        );
        let back = next(&rows, &none, &Hosts::default(), &Limits::HOST, now);
        assert_eq!(back.start, ["a"]);
        assert_eq!(
            retry_wait(Some(Duration::from_secs(42)), 7),
            Duration::from_secs(42),
            "the server's word wins"
        );
    }

    #[test]
    fn a_pause_only_grows() {
        let mut h = Hosts::default();
        h.pause("gh", t(100));
        h.pause("gh", t(50));
        assert_eq!(h.free_at("gh", t(0), &Limits::HOST), t(100));
        assert_eq!(h.free_at("gh", t(200), &Limits::HOST), t(200));
    }
}
