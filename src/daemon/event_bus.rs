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

pub const CAPACITY: usize = 1024;

#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Arc<str>>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus {
    pub fn new() -> EventBus {
        let (tx, _) = broadcast::channel(CAPACITY);
        EventBus { tx }
    }

    pub fn publish(&self, at: DateTime<Utc>, body: EventBody) {
        if self.tx.receiver_count() == 0 {
            return;
        }
        match serde_json::to_string(&Event::new(at, body)) {
            Ok(line) => {
                let _ = self.tx.send(Arc::from(line));
            }
            Err(e) => tracing::error!(error = %e, "serializing an event: {e}"),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<str>> {
        self.tx.subscribe()
    }
}
