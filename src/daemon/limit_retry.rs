//! Watching again, by itself, the repositories an inotify limit refused.
//!
//! A watch refused by `fs.inotify.max_user_watches`, or no instance under
//! `fs.inotify.max_user_instances`, leaves the repositories concerned in
//! `error`. No event says that watches became free again (a sysctl
//! raised, another program closing its instance), so while at least one
//! repository waits for a limit the run loop holds one deadline in its
//! `select!`, backing off from 1 s to 5 minutes; when none waits there is
//! no deadline at all, so an idle daemon still makes no wake-ups. A retry
//! arms only those repositories and reads what their reflogs gained since
//! they could not be watched (the same probe, start rule and read as a
//! reload); one that succeeds logs and announces that the repository is
//! watched again, one that fails logs nothing new (the first failure was
//! logged). A reload or a git event in between arms them too, as always.
//!
//! The decisions are plain functions over [`Retry`] ([`follow`],
//! [`tried`]), tested with an injected clock; [`Daemon::retry_limited`] is
//! the I/O around them.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::state::Daemon;
use crate::backoff::{Backoff, Retry};

/// From 1 s after the failure up to every 5 minutes.
pub(crate) const LIMIT_RETRY: Backoff =
    Backoff::new(Duration::from_secs(1), Duration::from_secs(300));

/// Brings `retry` in line with whether some repository `waits` for a
/// limit now (called before each turn of the run loop): the first one
/// makes a try due after [`Backoff::first`]; none left ends the retry (no
/// deadline). While it goes on, a try already scheduled keeps its time:
/// other work in between does not push it back or bring it forward.
pub(crate) fn follow<I>(retry: &mut Retry<I>, waits: bool, now: I)
where
    I: Copy + Ord + std::ops::Add<Duration, Output = I>,
{
    match (waits, retry.due().is_some()) {
        (true, false) => {
            retry.failed(now);
        }
        (false, true) => {
            retry.succeeded();
        }
        _ => {}
    }
}

/// A try ran at `now`; `still_waits`: some repository still waits for a
/// limit, so the next try waits twice as long (up to the cap). Returns
/// whether the retry is over (every repository it waited for is armed).
pub(crate) fn tried<I>(retry: &mut Retry<I>, still_waits: bool, now: I) -> bool
where
    I: Copy + Ord + std::ops::Add<Duration, Output = I>,
{
    if still_waits {
        retry.failed(now);
        false
    } else {
        retry.succeeded();
        true
    }
}

impl Daemon {
    /// The limit retry's deadline: arm the repositories waiting for an
    /// inotify limit, store and announce what they gained meanwhile, and
    /// schedule the next try while some still wait.
    pub(crate) fn retry_limited(&mut self, now: DateTime<Utc>) {
        let update = self.commits.git.retry_limited(&mut self.store, now);
        // Announces (and logs) each repository watched again; one still
        // refused keeps its state and says nothing new.
        self.take_update(update, now);
        let still = self.commits.git.waits_for_limit();
        if tried(
            &mut self.commits.limit_retry,
            still,
            tokio::time::Instant::now(),
        ) {
            tracing::info!("every repository refused by an inotify limit is watched again");
        } else {
            tracing::debug!(
                failures = self.commits.limit_retry.failures(),
                "an inotify limit still refuses watches; trying again later"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn a_deadline_exists_only_while_a_repository_waits() {
        let mut r: Retry<Duration> = Retry::new(LIMIT_RETRY);
        // (at, what happens, due afterwards); `follow` is what the run
        // loop does before each turn, `tried` what the deadline does.
        enum Step {
            Follow(bool),
            Tried(bool),
        }
        use Step::*;
        let steps = [
            (0, Follow(false), None),
            (0, Follow(false), None),
            // A repository refused: first try a second later.
            (10, Follow(true), Some(11)),
            // Other turns of the loop leave the schedule alone.
            (10, Follow(true), Some(11)),
            (11, Tried(true), Some(13)),
            (12, Follow(true), Some(13)),
            (13, Tried(true), Some(17)),
            (17, Tried(true), Some(25)),
            // A reload armed it in between: the deadline goes.
            (20, Follow(false), None),
            // Refused again later: a new run, from 1 s.
            (100, Follow(true), Some(101)),
            (101, Tried(false), None),
            (101, Follow(false), None),
        ];
        for (i, (at, step, due)) in steps.into_iter().enumerate() {
            match step {
                Follow(waits) => follow(&mut r, waits, S(at)),
                Tried(waits) => {
                    assert_eq!(tried(&mut r, waits, S(at)), !waits, "step {i}");
                }
            }
            assert_eq!(r.due(), due.map(S), "step {i} at {at} s");
        }
    }

    #[test]
    fn the_wait_grows_to_five_minutes() {
        let mut r: Retry<Duration> = Retry::new(LIMIT_RETRY);
        follow(&mut r, true, S(0));
        let mut waits = Vec::new();
        let mut now = S(0);
        for _ in 0..12 {
            let due = r.due().unwrap();
            waits.push((due - now).as_secs());
            now = due;
            tried(&mut r, true, now);
        }
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
    }
}
