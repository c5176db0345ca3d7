//! Optional deadlines in a `select!`.
//!
//! The run loop and the channels wait on deadlines that exist only some of
//! the time: a commit debounce while commits wait, a retry while something
//! fails, the crash guard's until it fired. [`until`] turns each into one
//! branch that sleeps to the deadline, or never completes when there is
//! none, so a branch needs no guard, no placeholder instant and no
//! `expect`, and an idle daemon arms no timer at all.

use tokio::time::Instant;

/// Completes at `deadline`; never, when there is none.
pub(super) async fn until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(flavor = "current_thread")]
    async fn a_deadline_completes_once_it_passed_and_none_never() {
        let start = Instant::now();
        let at = start + Duration::from_millis(20);
        until(Some(at)).await;
        assert!(Instant::now() >= at);
        let past = futures_lite::future::poll_once(until(Some(start))).await;
        assert_eq!(past, Some(()), "a passed deadline at once");
        let none = futures_lite::future::poll_once(until(None)).await;
        assert_eq!(none, None, "no deadline: pending");
    }
}
