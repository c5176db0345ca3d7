//! How long to wait before trying again after a failure, for every retry
//! in devtrack: a failing notification server, a bus that refuses
//! connections, a store that takes no writes, an `osascript` that is
//! denied, an inotify limit that was reached.
//!
//! A [`Backoff`] is the policy: the wait doubles from `first` after each
//! failure in a row, up to `cap`. A [`Retry`] is one thing being retried
//! under a policy: how many failures in a row, when the next try is due,
//! and whether a failure is the first of a run (report it) or one more of
//! the same run (log it quietly at most). Both are plain data: the caller
//! passes the time, so the tests drive them with an injected clock, and
//! the run loop turns [`Retry::due`] into a deadline of its `select!`
//! only while something is failing (an idle daemon has no timer).

use std::time::Duration;

/// Doubling waits from `first` up to `cap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Backoff {
    pub first: Duration,
    pub cap: Duration,
}

impl Backoff {
    pub(crate) const fn new(first: Duration, cap: Duration) -> Backoff {
        Backoff { first, cap }
    }

    /// The wait after `failures` failures in a row (`failures` ≥ 1; 0 is
    /// treated as 1). Never more than `cap`, never less than `first`
    /// (unless `cap` is smaller).
    pub(crate) fn delay(self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(31);
        self.first
            .checked_mul(1u32 << doublings)
            .map_or(self.cap, |d| d.min(self.cap))
    }
}

/// One thing retried under a [`Backoff`]: the failures in a row and when
/// the next try is due. Generic over the clock's instant type, so that
/// `std` and `tokio` instants (and the tests' own) all work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Retry<I> {
    policy: Backoff,
    failures: u32,
    due: Option<I>,
}

impl<I> Retry<I>
where
    I: Copy + Ord + std::ops::Add<Duration, Output = I>,
{
    pub(crate) fn new(policy: Backoff) -> Retry<I> {
        Retry {
            policy,
            failures: 0,
            due: None,
        }
    }

    /// Failures in a row so far (0: nothing is failing).
    pub(crate) fn failures(&self) -> u32 {
        self.failures
    }

    /// When the next try is due; `None` while nothing is failing.
    pub(crate) fn due(&self) -> Option<I> {
        self.due
    }

    /// Whether a try at `now` is allowed (nothing failing, or the wait is
    /// over).
    pub(crate) fn may_try(&self, now: I) -> bool {
        self.due.is_none_or(|at| now >= at)
    }

    /// Records a failure at `now` and schedules the next try. `true` when
    /// it is the first failure of a run (report it), `false` for the ones
    /// after it.
    pub(crate) fn failed(&mut self, now: I) -> bool {
        self.failures = self.failures.saturating_add(1);
        self.due = Some(now + self.policy.delay(self.failures));
        self.failures == 1
    }

    /// Records a success (or that the thing no longer needs retrying):
    /// no try is due, and the next failure starts a new run. `true` when
    /// something had been failing (say that it recovered).
    pub(crate) fn succeeded(&mut self) -> bool {
        let was_failing = self.failures > 0;
        self.failures = 0;
        self.due = None;
        was_failing
    }

    /// The try that was due starts now: none is due until it fails
    /// (which, the count being kept, waits longer than the last time) or
    /// succeeds. For a caller whose deadline fires in a `select!` and must
    /// not fire again while the try runs.
    pub(crate) fn trying(&mut self) {
        self.due = None;
    }

    /// Ends any wait at once, keeping the count: an event said that the
    /// cause may be gone (a server took its bus name), so the next try is
    /// due now.
    pub(crate) fn try_now(&mut self, now: I) {
        if self.due.is_some() {
            self.due = Some(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn delays_double_up_to_the_cap() {
        let policy = Backoff::new(S(1), S(300));
        let cases = [
            (0, S(1)),
            (1, S(1)),
            (2, S(2)),
            (3, S(4)),
            (9, S(256)),
            (10, S(300)),
            (40, S(300)),
            (u32::MAX, S(300)),
        ];
        for (failures, want) in cases {
            assert_eq!(policy.delay(failures), want, "after {failures} failures");
        }
        let fast = Backoff::new(Duration::from_millis(50), S(300));
        assert_eq!(fast.delay(1), Duration::from_millis(50));
        assert_eq!(fast.delay(3), Duration::from_millis(200));
        assert_eq!(fast.delay(30), S(300));
    }

    #[test]
    fn a_retry_waits_then_reports_only_the_first_failure_of_a_run() {
        let mut r: Retry<Duration> = Retry::new(Backoff::new(S(60), S(480)));
        let t0 = Duration::ZERO;
        assert!(r.may_try(t0));
        assert_eq!(r.due(), None);
        // (failure at, reported, due at), in minutes
        let steps = [
            (0, true, 1),
            (1, false, 3),
            (3, false, 7),
            (7, false, 15),
            (15, false, 23),
            (23, false, 31),
        ];
        for (at, reported, due) in steps {
            let now = S(at * 60);
            assert!(r.may_try(now), "at {at}m");
            assert_eq!(r.failed(now), reported, "at {at}m");
            assert_eq!(r.due(), Some(S(due * 60)), "after the failure at {at}m");
            assert!(!r.may_try(S(due * 60) - S(1)));
        }
        assert_eq!(r.failures(), 6);
    }

    #[test]
    fn a_success_starts_over_and_says_whether_anything_failed() {
        let mut r: Retry<Duration> = Retry::new(Backoff::new(S(1), S(60)));
        assert!(!r.succeeded(), "nothing was failing");
        assert!(r.failed(S(0)));
        assert!(!r.failed(S(1)));
        assert!(r.succeeded());
        assert_eq!(r.due(), None);
        assert!(r.failed(S(10)), "a new run is reported");
        assert_eq!(r.due(), Some(S(11)), "and waits `first` again");
    }

    #[test]
    fn a_try_under_way_is_not_due_again_and_keeps_the_count() {
        let mut r: Retry<Duration> = Retry::new(Backoff::new(S(1), S(300)));
        r.failed(S(0));
        r.failed(S(1));
        assert_eq!(r.due(), Some(S(3)));
        r.trying();
        assert_eq!(r.due(), None, "no deadline while the try runs");
        assert!(r.may_try(S(3)));
        assert!(!r.failed(S(3)), "the same run");
        assert_eq!(r.due(), Some(S(7)), "the third failure waits 4 s");
        r.trying();
        assert!(r.succeeded(), "it had been failing");
    }

    #[test]
    fn try_now_ends_a_wait_but_keeps_the_count() {
        let mut r: Retry<Duration> = Retry::new(Backoff::new(S(1), S(300)));
        r.try_now(S(5));
        assert_eq!(r.due(), None, "nothing failing: nothing becomes due");
        r.failed(S(0));
        r.failed(S(1));
        assert_eq!(r.due(), Some(S(3)));
        r.try_now(S(2));
        assert_eq!(r.due(), Some(S(2)));
        r.failed(S(2));
        assert_eq!(r.due(), Some(S(6)), "the third failure waits 4 s");
    }
}
