//! Gathering a burst of commits into one commit trigger.
//!
//! Pure: the caller passes `now` and owns the timer. A rebase or a script
//! making fifty commits produces one batch once the repositories have been
//! quiet for `quiet` since the last commit. `max_hold` bounds the wait so a
//! steady trickle of commits still prompts eventually. What a batch keeps
//! of its items is up to its [`Batch`] type: a `Vec` keeps them all; the
//! run loop's keeps a bounded summary, and a batch that reports itself
//! full is due at once.

use std::marker::PhantomData;
use std::ops::Add;
use std::time::Duration;

/// How much longer than the quiet period a batch may be held back by a
/// stream of commits that never pauses.
pub(crate) const MAX_HOLD_FACTOR: u32 = 10;

/// What a pending batch keeps of the items pushed into it.
pub trait Batch<T>: Default {
    fn add(&mut self, item: T);
    /// Items added.
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// A full batch is due without waiting for the quiet period.
    fn is_full(&self) -> bool {
        false
    }
}

impl<T> Batch<T> for Vec<T> {
    fn add(&mut self, item: T) {
        self.push(item);
    }

    fn len(&self) -> usize {
        Vec::len(self)
    }
}

#[derive(Debug, Clone)]
pub struct Debouncer<T, I = std::time::Instant, B = Vec<T>> {
    quiet: Duration,
    max_hold: Duration,
    pending: B,
    first: Option<I>,
    last: Option<I>,
    item: PhantomData<fn(T)>,
}

impl<T, I, B> Debouncer<T, I, B>
where
    I: Copy + Ord + Add<Duration, Output = I>,
    B: Batch<T>,
{
    /// `quiet` is the configured `commit_debounce`.
    pub fn new(quiet: Duration) -> Self {
        Self::with_max_hold(quiet, quiet.saturating_mul(MAX_HOLD_FACTOR))
    }

    pub(crate) fn with_max_hold(quiet: Duration, max_hold: Duration) -> Self {
        Debouncer {
            quiet,
            max_hold: max_hold.max(quiet),
            pending: B::default(),
            first: None,
            last: None,
            item: PhantomData,
        }
    }

    /// Changes the quiet period (reload); pending items keep waiting.
    pub(crate) fn set_quiet(&mut self, quiet: Duration) {
        self.quiet = quiet;
        self.max_hold = quiet.saturating_mul(MAX_HOLD_FACTOR);
    }

    /// Adds items seen at `now` and returns when the batch is due. An empty
    /// push changes nothing.
    pub fn push(&mut self, items: impl IntoIterator<Item = T>, now: I) -> Option<I> {
        let before = self.pending.len();
        for item in items {
            self.pending.add(item);
        }
        if self.pending.len() > before {
            self.first.get_or_insert(now);
            self.last = Some(now);
        }
        self.deadline()
    }

    /// When the pending batch is due, if anything is pending: at once
    /// (the last push) when it is full.
    pub fn deadline(&self) -> Option<I> {
        let (first, last) = (self.first?, self.last?);
        if self.pending.is_full() {
            return Some(last);
        }
        Some((last + self.quiet).min(first + self.max_hold))
    }

    /// Takes the batch if it is due at `now`.
    pub fn due(&mut self, now: I) -> Option<B> {
        if self.deadline()? > now {
            return None;
        }
        self.first = None;
        self.last = None;
        Some(std::mem::take(&mut self.pending))
    }

    /// Takes whatever is pending regardless of time (shutdown).
    #[cfg(test)]
    pub(crate) fn flush(&mut self) -> Option<B> {
        self.first = None;
        self.last = None;
        (!self.pending.is_empty()).then(|| std::mem::take(&mut self.pending))
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn a_burst_is_one_batch() {
        let t0 = Instant::now();
        let mut d = Debouncer::new(2 * S);
        assert_eq!(d.deadline(), None);
        assert_eq!(d.push([1], t0), Some(t0 + 2 * S));
        assert_eq!(d.push([2, 3], t0 + S), Some(t0 + 3 * S));
        assert_eq!(d.due(t0 + 2 * S), None);
        assert_eq!(d.push([4], t0 + 2 * S), Some(t0 + 4 * S));
        assert_eq!(d.due(t0 + 4 * S), Some(vec![1, 2, 3, 4]));
        assert_eq!(d.deadline(), None);
        assert_eq!(d.due(t0 + 100 * S), None);
    }

    #[test]
    fn batches_after_a_pause_are_separate() {
        let t0 = Instant::now();
        let mut d = Debouncer::new(2 * S);
        d.push(["a"], t0);
        assert_eq!(d.due(t0 + 5 * S), Some(vec!["a"]));
        d.push(["b"], t0 + 6 * S);
        assert_eq!(d.due(t0 + 8 * S), Some(vec!["b"]));
    }

    #[test]
    fn empty_push_changes_nothing() {
        let t0 = Instant::now();
        let mut d: Debouncer<u8> = Debouncer::new(2 * S);
        assert_eq!(d.push([], t0), None);
        d.push([1], t0);
        assert_eq!(d.push([], t0 + S), Some(t0 + 2 * S));
    }

    #[test]
    fn a_steady_trickle_is_capped() {
        let t0 = Instant::now();
        let mut d: Debouncer<u32> = Debouncer::with_max_hold(2 * S, 5 * S);
        for i in 0..5u32 {
            d.push([i], t0 + i * S);
        }
        assert_eq!(d.deadline(), Some(t0 + 5 * S));
        assert_eq!(d.due(t0 + 5 * S).map(|v| v.len()), Some(5));
    }

    /// Keeps only a count; full at three.
    #[derive(Default, Debug, PartialEq)]
    struct Count(usize);

    impl Batch<u8> for Count {
        fn add(&mut self, _: u8) {
            self.0 += 1;
        }
        fn len(&self) -> usize {
            self.0
        }
        fn is_full(&self) -> bool {
            self.0 >= 3
        }
    }

    #[test]
    fn a_full_batch_is_due_at_once() {
        let t0 = Instant::now();
        let mut d: Debouncer<u8, Instant, Count> = Debouncer::new(2 * S);
        assert_eq!(d.push([1, 2], t0), Some(t0 + 2 * S));
        assert_eq!(d.push([3], t0 + S), Some(t0 + S));
        assert_eq!(d.due(t0 + S), Some(Count(3)));
        assert_eq!(d.deadline(), None);
    }

    #[test]
    fn flush_takes_everything() {
        let t0 = Instant::now();
        let mut d = Debouncer::new(2 * S);
        assert_eq!(d.flush(), None);
        d.push([7], t0);
        assert_eq!(d.flush(), Some(vec![7]));
        assert!(d.is_empty());
    }
}
