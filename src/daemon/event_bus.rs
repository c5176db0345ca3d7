//! The event bus: the stream of [`Event`] lines other tools subscribe to.
//!
//! Events are serialized once and fanned out through a bounded broadcast
//! channel: publishing never waits for a subscriber, and a subscriber that
//! falls more than [`CAPACITY`] events behind is dropped by its connection
//! task (with a logged notice) instead of slowing the daemon down.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::broadcast;

use crate::protocol::{Event, EventBody};

pub(crate) const CAPACITY: usize = 1024;

#[derive(Clone)]
pub(crate) struct EventBus {
    tx: broadcast::Sender<Arc<str>>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus {
    pub(crate) fn new() -> EventBus {
        let (tx, _) = broadcast::channel(CAPACITY);
        EventBus { tx }
    }

    /// Publishes an event; returns how many subscribers it was handed to
    /// (0 when nobody listens; then it is not even serialized).
    pub(crate) fn publish(&self, at: DateTime<Utc>, body: EventBody) -> usize {
        if self.tx.receiver_count() == 0 {
            return 0;
        }
        match serde_json::to_string(&Event::new(at, body)) {
            Ok(line) => self.tx.send(Arc::from(line)).unwrap_or(0),
            Err(e) => {
                tracing::error!(error = %e, "serializing an event: {e}");
                0
            }
        }
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Arc<str>> {
        self.tx.subscribe()
    }
}
