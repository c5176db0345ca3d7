//! How long to wait before trying again after a failure: doubling from a
//! first delay up to a cap, so a failing notification server or a bus that
//! refuses connections gets a handful of attempts an hour, not a popup
//! storm.

use std::time::Duration;

/// A failing `Notify` call: 1 s, 2 s, 4 s … 5 min.
pub(crate) const NOTIFY: Backoff = Backoff {
    first: Duration::from_secs(1),
    cap: Duration::from_secs(300),
};

/// Connecting to a bus socket that exists but refuses: 50 ms (the socket
/// file appears at `bind`, a moment before `listen`) doubling to 5 min.
pub(crate) const CONNECT: Backoff = Backoff {
    first: Duration::from_millis(50),
    cap: Duration::from_secs(300),
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Backoff {
    pub first: Duration,
    pub cap: Duration,
}

impl Backoff {
    /// The wait after `failures` failures in a row (`failures` ≥ 1; 0 is
    /// treated as 1).
    pub(crate) fn delay(self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(31);
        self.first
            .checked_mul(1u32 << doublings)
            .map_or(self.cap, |d| d.min(self.cap))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap() {
        let s = Duration::from_secs;
        let cases = [
            (0, s(1)),
            (1, s(1)),
            (2, s(2)),
            (3, s(4)),
            (9, s(256)),
            (10, s(300)),
            (40, s(300)),
            (u32::MAX, s(300)),
        ];
        for (failures, want) in cases {
            assert_eq!(NOTIFY.delay(failures), want, "after {failures} failures");
        }
        assert_eq!(CONNECT.delay(1), Duration::from_millis(50));
        assert_eq!(CONNECT.delay(3), Duration::from_millis(200));
        assert_eq!(CONNECT.delay(30), s(300));
    }
}
