//! How far a reflog file has been consumed: the record git watching reads
//! from and the store keeps with the commits it covers. Plain data and a
//! leaf module, so the store and the daemon's watcher share it without
//! the store depending on `daemon`.

use chrono::{DateTime, Utc};

/// `file_id` of a reflog that does not exist yet.
pub(crate) const ABSENT: &str = "";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The file it was taken on (`dev:inode`); [`ABSENT`] before it existed.
    pub file_id: String,
    pub offset: u64,
    /// The new hash of the last consumed line.
    pub last_hash: Option<String>,
    /// When the cursor was last advanced; lines older than this seen again
    /// after a resync are history, not news.
    pub updated_at: DateTime<Utc>,
}

impl Cursor {
    /// A cursor for a reflog that does not exist yet: everything in it will
    /// be new, so it carries no history threshold.
    pub(crate) fn absent() -> Cursor {
        Cursor {
            file_id: ABSENT.to_string(),
            offset: 0,
            last_hash: None,
            updated_at: DateTime::<Utc>::default(),
        }
    }
}
