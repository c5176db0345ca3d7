//! The prompts a channel has already acted on, so that it acts at most once
//! per prompt (one hook run, one dialog) however often the loop shows the
//! prompt again. Bounded: only the most recent ids are kept, which is
//! enough because prompt ids grow and only one prompt is outstanding at a
//! time; an id evicted long ago belongs to a prompt that is long closed.

use std::collections::BTreeSet;

/// How many prompt ids are remembered.
const KEPT: usize = 1024;

#[derive(Debug, Default)]
pub(crate) struct SeenPrompts {
    ids: BTreeSet<i64>,
}

impl SeenPrompts {
    /// Marks `id`; `true` when it was not marked yet (act now).
    pub(crate) fn first(&mut self, id: i64) -> bool {
        if !self.ids.insert(id) {
            return false;
        }
        while self.ids.len() > KEPT {
            self.ids.pop_first();
        }
        true
    }

    /// Forgets `id`, so the next [`first`](Self::first) for it is `true`.
    pub(crate) fn forget(&mut self, id: i64) {
        self.ids.remove(&id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_is_true_once_per_id_until_forgotten() {
        let mut seen = SeenPrompts::default();
        assert!(seen.first(7));
        assert!(!seen.first(7));
        assert!(seen.first(8));
        seen.forget(7);
        assert!(seen.first(7));
        assert!(!seen.first(8));
    }

    #[test]
    fn only_the_newest_ids_are_kept() {
        let mut seen = SeenPrompts::default();
        for id in 0..(KEPT as i64 + 10) {
            assert!(seen.first(id));
        }
        assert_eq!(seen.ids.len(), KEPT);
        assert!(!seen.first(KEPT as i64 + 9), "the newest is kept");
        assert!(seen.first(0), "the oldest was evicted");
    }
}
