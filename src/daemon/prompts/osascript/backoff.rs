//! When a failing `osascript` is tried again: after each failure the wait
//! doubles (from `first` up to `max`), prompts shown meanwhile are not
//! tried, and only the first failure of a run of them is reported, so a
//! broken `osascript` (denied Apple events, no GUI session) is one report,
//! not one per prompt. A success ends the run. Pure: the caller passes the
//! time.

use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    first: Duration,
    max: Duration,
    failures: u32,
    retry_at: Option<Instant>,
}

impl Backoff {
    pub(crate) fn new(first: Duration, max: Duration) -> Backoff {
        Backoff {
            first,
            max: max.max(first),
            failures: 0,
            retry_at: None,
        }
    }

    /// Whether to try at `now`.
    pub(crate) fn may_try(&self, now: Instant) -> bool {
        self.retry_at.is_none_or(|at| now >= at)
    }

    /// Records a failure at `now`; `true` when it is the first of a run
    /// (report it), `false` for the ones after it (log only).
    pub(crate) fn failed(&mut self, now: Instant) -> bool {
        self.failures = self.failures.saturating_add(1);
        let doublings = (self.failures - 1).min(20);
        let wait = self.first.saturating_mul(1 << doublings).min(self.max);
        self.retry_at = Some(now + wait);
        self.failures == 1
    }

    /// Records a success: the next failure is reported again.
    pub(crate) fn succeeded(&mut self) {
        self.failures = 0;
        self.retry_at = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn waits_double_up_to_the_maximum_and_only_the_first_failure_reports() {
        let t0 = Instant::now();
        let mut b = Backoff::new(MIN, 8 * MIN);
        assert!(b.may_try(t0));
        // (failure at, reported, may try again at)
        let steps = [
            (0, true, 1),
            (1, false, 3),
            (3, false, 7),
            (7, false, 15),
            (15, false, 23), // capped at 8 minutes
            (23, false, 31),
        ];
        for (at, reported, retry) in steps {
            let now = t0 + at * MIN;
            assert!(b.may_try(now), "at {at}m");
            assert_eq!(b.failed(now), reported, "at {at}m");
            assert!(!b.may_try(t0 + retry * MIN - Duration::from_secs(1)));
            assert!(b.may_try(t0 + retry * MIN), "retry at {retry}m");
        }
    }

    #[test]
    fn a_success_starts_over() {
        let t0 = Instant::now();
        let mut b = Backoff::new(MIN, 60 * MIN);
        assert!(b.failed(t0));
        assert!(!b.failed(t0 + MIN));
        b.succeeded();
        assert!(b.may_try(t0 + MIN));
        assert!(b.failed(t0 + 2 * MIN), "a new run is reported");
        assert!(
            !b.may_try(t0 + 2 * MIN + MIN / 2),
            "and waits `first` again"
        );
    }
}
