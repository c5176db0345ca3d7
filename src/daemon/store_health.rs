//! Whether the store takes writes, and when to try again when it does not.
//!
//! A write that fails (the disk full, a file system remounted read-only,
//! the store deleted or corrupted under the daemon) stores nothing: the
//! transaction holding the commits and the reflog cursor rolls back, so
//! the cursor does not move and the commits stay ahead of it in the
//! reflog. The daemon then reports the error (status, `STATUS=` line, one
//! log line per new error, not one per retry) and tries again at a
//! deadline in the run loop's `select!`, backing off from 1 s to 60 s: no
//! file-system event says that space came back. A retry re-reads the
//! repositories and re-runs the scheduler; the first one that writes
//! clears the error. A git event in between retries at once, as always.
//!
//! The state is plain data ([`StoreHealth`], its back-off a
//! [`Retry`] under [`STORE_RETRY`]), tested here; the retry itself is in
//! `commit_triggers`.

use std::time::{Duration, Instant};

use crate::backoff::{Backoff, Retry};
use crate::exit::Hinted;

/// From 1 s after the first failure, doubling with each failed retry, up
/// to a minute.
pub(crate) const STORE_RETRY: Backoff =
    Backoff::new(Duration::from_secs(1), Duration::from_secs(60));

/// The store's health as the run loop sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoreHealth {
    error: Option<Hinted>,
    retry: Retry<Instant>,
}

impl Default for StoreHealth {
    fn default() -> StoreHealth {
        StoreHealth {
            error: None,
            retry: Retry::new(STORE_RETRY),
        }
    }
}

/// What a change of health means for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    /// A new error (or another one than before): log it.
    Failing,
    /// The same error again: already logged.
    StillFailing,
    /// Writes work again after an error: say so.
    Recovered,
    /// Nothing was wrong.
    Fine,
}

impl StoreHealth {
    /// A write failed with `message` at `now`: the error is kept and the
    /// next retry scheduled. Failures before a retry that is already
    /// scheduled (a git event in between) keep it: only failed retries
    /// back off.
    pub(crate) fn failed(&mut self, message: Hinted, now: Instant) -> Change {
        if self.retry.may_try(now) {
            self.retry.failed(now);
        }
        if self.error.as_ref() == Some(&message) {
            Change::StillFailing
        } else {
            self.error = Some(message);
            Change::Failing
        }
    }

    /// A write (or a whole retry) succeeded.
    pub(crate) fn succeeded(&mut self) -> Change {
        let was = self.error.take();
        self.retry.succeeded();
        match was {
            Some(_) => Change::Recovered,
            None => Change::Fine,
        }
    }

    /// The error shown in the status, while there is one.
    pub(crate) fn error(&self) -> Option<&Hinted> {
        self.error.as_ref()
    }

    /// When to retry; `None` while writes work.
    pub(crate) fn retry_at(&self) -> Option<Instant> {
        self.retry.due()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_is_logged_once_and_its_recovery_once() {
        let t0 = Instant::now();
        let mut h = StoreHealth::default();
        assert_eq!(h.succeeded(), Change::Fine);
        assert_eq!(h.retry_at(), None);
        assert_eq!(h.failed("full".into(), t0), Change::Failing);
        assert_eq!(h.retry_at(), Some(t0 + Duration::from_secs(1)));
        // Before the retry is due: the same deadline.
        assert_eq!(h.failed("full".into(), t0), Change::StillFailing);
        assert_eq!(h.retry_at(), Some(t0 + Duration::from_secs(1)));
        // The retry failed: twice as long.
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(h.failed("full".into(), t1), Change::StillFailing);
        assert_eq!(h.retry_at(), Some(t1 + Duration::from_secs(2)));
        assert_eq!(h.failed("deleted".into(), t1), Change::Failing);
        assert_eq!(h.error(), Some(&Hinted::new("deleted")));
        assert_eq!(h.succeeded(), Change::Recovered);
        assert_eq!((h.error(), h.retry_at()), (None, None));
        assert_eq!(h.failed("full".into(), t0), Change::Failing);
        assert_eq!(h.retry_at(), Some(t0 + Duration::from_secs(1)));
    }
}
