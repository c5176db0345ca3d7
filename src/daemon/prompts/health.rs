//! Which delivery channels are in trouble, so an outage is logged once, not
//! once per prompt: a channel that reports `Unavailable` or `Failed` starts
//! an outage (logged), more of the same while it lasts are quiet, and a
//! `Delivered` or `Available` ends it (logged). `devtrack status` shows the
//! detail of each outage that is still going on.
//!
//! Pure: the run loop feeds it reports and logs what it says to log.

use chrono::{DateTime, Utc};

use crate::store::Channel;

/// A channel's outage: the latest detail and when it began.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outage {
    pub channel: Channel,
    pub detail: String,
    pub since: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ChannelHealth {
    outages: Vec<Outage>,
}

impl ChannelHealth {
    /// `channel` could not deliver; `true` when this begins an outage (log
    /// it). The detail shown in the status is the latest one.
    pub(crate) fn trouble(&mut self, channel: Channel, detail: &str, at: DateTime<Utc>) -> bool {
        match self.outages.iter_mut().find(|o| o.channel == channel) {
            Some(o) => {
                o.detail = detail.to_owned();
                false
            }
            None => {
                self.outages.push(Outage {
                    channel,
                    detail: detail.to_owned(),
                    since: at,
                });
                true
            }
        }
    }

    /// `channel` delivered or can again; the outage it ends, if any (log it).
    pub(crate) fn fine(&mut self, channel: Channel) -> Option<Outage> {
        let i = self.outages.iter().position(|o| o.channel == channel)?;
        Some(self.outages.remove(i))
    }

    /// Forgets every outage (the channels were restarted).
    pub(crate) fn clear(&mut self) {
        self.outages.clear();
    }

    /// Outages going on, oldest first.
    pub(crate) fn outages(&self) -> &[Outage] {
        &self.outages
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_750_000_000 + s, 0).unwrap()
    }

    #[test]
    fn an_outage_is_logged_once_and_its_end_once() {
        use Channel::*;
        let mut h = ChannelHealth::default();
        // (step, want logged)
        assert!(h.trouble(Desktop, "no notification server", t(0)));
        assert!(!h.trouble(Desktop, "no notification server", t(1)));
        assert!(!h.trouble(Desktop, "no bus", t(2)));
        assert!(h.trouble(Hook, "hook refused: config is group-writable", t(3)));
        assert_eq!(
            h.outages(),
            [
                Outage {
                    channel: Desktop,
                    detail: "no bus".into(),
                    since: t(0)
                },
                Outage {
                    channel: Hook,
                    detail: "hook refused: config is group-writable".into(),
                    since: t(3)
                }
            ]
        );
        assert_eq!(h.fine(Desktop).map(|o| o.since), Some(t(0)));
        assert_eq!(h.fine(Desktop), None);
        assert!(h.trouble(Desktop, "no notification server", t(9)));
        h.clear();
        assert!(h.outages().is_empty());
    }
}
