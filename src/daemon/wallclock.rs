//! A timer that follows the wall clock.
//!
//! Monotonic timers (`Instant`, tokio's `sleep`) stop counting while a laptop
//! is suspended, so a 3-hour timer set before a 5-hour sleep would fire 5
//! hours late. On Linux this arms a `timerfd` on `CLOCK_REALTIME` with an
//! absolute expiry: it fires at the wall-clock instant even across suspend,
//! and with `TFD_TIMER_CANCEL_ON_SET` the kernel also wakes us when the clock
//! is set (NTP step, manual change), so the scheduler re-checks at once. No
//! periodic wake-ups: an idle daemon costs nothing. Elsewhere, bounded
//! sleeps re-check the wall clock every [`FALLBACK_SLICE`].
//!
//! Beside it, [`local_midnight`]: the start of the configured day, where
//! the status counts today's triggers from and a new day expires the
//! prompt left open.

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Why the timer returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wake {
    /// The deadline passed.
    Due,
    /// The wall clock jumped; deadlines must be re-evaluated.
    ClockChanged,
}

/// Start of the local day containing `now`, in UTC.
pub(crate) fn local_midnight(now: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    let date = now.with_timezone(&tz).date_naive();
    let midnight = date.and_hms_opt(0, 0, 0).expect("valid time");
    tz.from_local_datetime(&midnight)
        .earliest()
        // A zone whose midnight falls into a DST gap starts its day at 01:00.
        .or_else(|| {
            tz.from_local_datetime(&(midnight + chrono::TimeDelta::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(now)
}

/// Upper bound of one sleep where no cancelable real-time timer exists.
#[cfg(not(target_os = "linux"))]
pub(crate) const FALLBACK_SLICE: std::time::Duration = std::time::Duration::from_secs(30);

#[cfg(target_os = "linux")]
mod imp {
    use super::Wake;
    use chrono::{DateTime, Utc};
    use nix::sys::time::TimeSpec;
    use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};
    use std::io;
    use std::os::fd::{AsFd, AsRawFd, RawFd};
    use tokio::io::unix::AsyncFd;
    use tokio::io::Interest;

    /// Owns the timerfd; gives tokio the raw descriptor it polls.
    struct OwnedTimer(TimerFd);

    impl AsRawFd for OwnedTimer {
        fn as_raw_fd(&self) -> RawFd {
            self.0.as_fd().as_raw_fd()
        }
    }

    pub(crate) struct WallClockTimer {
        fd: AsyncFd<OwnedTimer>,
    }

    impl WallClockTimer {
        pub(crate) fn new() -> io::Result<WallClockTimer> {
            let fd = TimerFd::new(
                ClockId::CLOCK_REALTIME,
                TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC,
            )?;
            // SAFETY: the descriptor is owned by `OwnedTimer`, which the
            // AsyncFd owns for its whole life, so it stays open and the same.
            let fd = unsafe { AsyncFd::register_with_interest(OwnedTimer(fd), Interest::READABLE) }
                .map_err(io::Error::from)?;
            Ok(WallClockTimer { fd })
        }

        /// Waits until the wall clock reaches `deadline` or is changed.
        pub(crate) async fn wait_until(&mut self, deadline: DateTime<Utc>) -> io::Result<Wake> {
            // An expiry of 0 would disarm the timer: clamp to the epoch + 1 ns,
            // which is in the past and fires at once.
            let secs = deadline.timestamp().max(0);
            let nanos = if secs == 0 {
                1
            } else {
                i64::from(deadline.timestamp_subsec_nanos())
            };
            let spec = TimeSpec::new(secs, nanos as _);
            self.fd.get_ref().0.set(
                Expiration::OneShot(spec),
                TimerSetTimeFlags::TFD_TIMER_ABSTIME | TimerSetTimeFlags::TFD_TIMER_CANCEL_ON_SET,
            )?;
            loop {
                let mut guard = self.fd.readable().await?;
                let mut buf = [0u8; 8];
                // SAFETY: reading 8 bytes from a timerfd into an 8-byte buffer.
                let n = unsafe {
                    nix::libc::read(
                        self.fd.get_ref().as_raw_fd(),
                        buf.as_mut_ptr().cast(),
                        buf.len(),
                    )
                };
                if n == 8 {
                    return Ok(Wake::Due);
                }
                let err = io::Error::last_os_error();
                match err.raw_os_error() {
                    Some(nix::libc::ECANCELED) => return Ok(Wake::ClockChanged),
                    Some(nix::libc::EAGAIN) => guard.clear_ready(),
                    Some(nix::libc::EINTR) => continue,
                    _ => return Err(err),
                }
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use super::{Wake, FALLBACK_SLICE};
    use chrono::{DateTime, Utc};
    use std::io;

    pub(crate) struct WallClockTimer;

    impl WallClockTimer {
        pub(crate) fn new() -> io::Result<WallClockTimer> {
            Ok(WallClockTimer)
        }

        pub(crate) async fn wait_until(&mut self, deadline: DateTime<Utc>) -> io::Result<Wake> {
            loop {
                let left = deadline - Utc::now();
                let Ok(left) = left.to_std() else {
                    return Ok(Wake::Due);
                };
                if left.is_zero() {
                    return Ok(Wake::Due);
                }
                tokio::time::sleep(left.min(FALLBACK_SLICE)).await;
            }
        }
    }
}

pub(crate) use imp::WallClockTimer;

/// Waits on `timer` until `deadline`, or forever when there is none.
pub(crate) async fn wait_for(
    timer: &mut WallClockTimer,
    deadline: Option<DateTime<Utc>>,
) -> std::io::Result<Wake> {
    match deadline {
        Some(d) => timer.wait_until(d).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_past_deadline_fires_at_once() {
        let mut timer = WallClockTimer::new().unwrap();
        let wake = timer
            .wait_until(Utc::now() - chrono::TimeDelta::seconds(5))
            .await
            .unwrap();
        assert_eq!(wake, Wake::Due);
    }

    #[tokio::test]
    async fn the_epoch_is_not_mistaken_for_disarm() {
        let mut timer = WallClockTimer::new().unwrap();
        let wake = timer.wait_until(DateTime::<Utc>::UNIX_EPOCH).await.unwrap();
        assert_eq!(wake, Wake::Due);
    }

    #[tokio::test]
    async fn a_near_deadline_fires_after_it_passes() {
        let mut timer = WallClockTimer::new().unwrap();
        let deadline = Utc::now() + chrono::TimeDelta::milliseconds(50);
        let wake = timer.wait_until(deadline).await.unwrap();
        assert_eq!(wake, Wake::Due);
        assert!(Utc::now() >= deadline);
    }

    #[test]
    fn local_midnight_in_the_configured_zone() {
        let tz: Tz = "Asia/Kolkata".parse().unwrap();
        assert_eq!(
            local_midnight("2026-11-26T08:15:00Z".parse().unwrap(), tz),
            "2026-11-25T18:30:00Z".parse::<DateTime<Utc>>().unwrap()
        );
    }
}
