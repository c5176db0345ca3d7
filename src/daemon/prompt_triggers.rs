//! The run loop's side of prompts: every trigger opens a prompt or folds
//! into the outstanding one (in the trigger's own transaction, see
//! `Store::record_trigger_prompted`), and every change of a prompt (opened,
//! updated, delivered, answered, snoozed, reopened, expired, skipped) is
//! stored first, then published as a `prompt` event and passed on to the
//! channels: an open prompt is shown, one that is no longer open is
//! withdrawn. What a channel reports back (delivered, failed, answered,
//! snoozed, skipped) comes in through [`Daemon::on_channel_report`]; a
//! snoozed prompt opens again at its deadline ([`Daemon::reopen_due`],
//! a wall-clock timer, not polling).
//!
//! The socket is a channel too: a prompt shown while at least one client
//! subscribes to the event stream is recorded as delivered on `socket`
//! (not announced again: the event was the delivery).

use chrono::{DateTime, Utc};

use super::prompts::text;
use super::prompts::{AnswerVia, FromChannel, PromptView, Report, ToChannel};
use super::state::Daemon;
use super::wallclock::local_midnight;
use crate::protocol::{EventBody, PromptChangeKind, PromptInfo};
use crate::service::systemd::readiness;
use crate::store::{
    Answered, Channel, Fold, NewUpdate, Outcome, PromptError, PromptOpened, PromptRecord,
    PromptState, UpdateSource,
};
use crate::tickets::Families;

/// Where an answer a channel reports was typed, as the store records it.
pub fn answer_source(via: AnswerVia) -> UpdateSource {
    match via {
        AnswerVia::Inline => UpdateSource::Inline,
        AnswerVia::Dialog => UpdateSource::Dialog,
    }
}

/// Whether the start of a channel's outage is a warning. Nowhere to show a
/// notification (no session bus, no server: a headless machine, an SSH
/// login, a service started before the desktop) is how many machines run,
/// so it is news, not trouble; a hook refused by the permission check and
/// a channel that failed are.
pub fn trouble_is_warning(channel: Channel, outcome: Outcome) -> bool {
    match outcome {
        Outcome::Unavailable => channel == Channel::Hook,
        _ => true,
    }
}

/// What channels are told after `change`: show an open prompt (replacing
/// an earlier showing when `update`), take down one that is no longer
/// open, or nothing (a delivery result changes nothing they show).
pub fn channel_message(change: PromptChangeKind, view: &PromptView) -> Option<ToChannel> {
    use PromptChangeKind::*;
    match change {
        Opened | Updated | Reopened => Some(ToChannel::Show(PromptView {
            update: change == Updated,
            ..view.clone()
        })),
        Answered | Snoozed | Expired | Skipped => Some(ToChannel::Withdraw { prompt: view.id }),
        Delivered | Other => None,
    }
}

/// The change a state change of a stored prompt is announced as.
pub fn change_for(state: PromptState) -> PromptChangeKind {
    match state {
        PromptState::Open => PromptChangeKind::Reopened,
        PromptState::Answered => PromptChangeKind::Answered,
        PromptState::Snoozed => PromptChangeKind::Snoozed,
        PromptState::Expired => PromptChangeKind::Expired,
        PromptState::Skipped => PromptChangeKind::Skipped,
    }
}

impl Daemon {
    /// Outstanding prompts opened before this are expired when a trigger
    /// comes: the start of the local day, so an answer never files today's
    /// work under yesterday's prompt.
    pub fn expire_before(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        Some(local_midnight(now, self.scheduling.schedule.tz))
    }

    /// A trigger's prompt is in the store: announce it (and the prompt it
    /// expired, if any).
    pub fn prompt_opened(&mut self, opened: PromptOpened, now: DateTime<Utc>) {
        if let Some(old) = &opened.expired {
            self.prompt_changed(PromptChangeKind::Expired, old, now);
        }
        let change = match opened.fold {
            Fold::Into => PromptChangeKind::Updated,
            Fold::Open | Fold::ExpireAndOpen => PromptChangeKind::Opened,
        };
        self.prompt_changed(change, &opened.prompt, now);
    }

    /// The prompt as every channel shows it.
    pub fn prompt_view(&self, record: &PromptRecord, now: DateTime<Utc>) -> PromptView {
        let pending = match self.store.pending_overview(text::BODY_COMMITS) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!("reading the commits since the last answer: {e:#}");
                Default::default()
            }
        };
        let summary = text::summary(record, &pending, self.scheduling.schedule.tz, now);
        let info = text::info(record, summary.clone(), pending.repos.clone());
        PromptView {
            id: record.id,
            summary,
            body: text::body(&pending),
            trigger_kind: record
                .triggers
                .last()
                .map(|t| t.kind.clone())
                .unwrap_or_default(),
            repos: pending.repos,
            json: serde_json::to_string(&info).unwrap_or_default(),
            update: false,
        }
    }

    /// The prompt as the wire shows it.
    pub fn prompt_info(&self, record: &PromptRecord, now: DateTime<Utc>) -> PromptInfo {
        let view = self.prompt_view(record, now);
        text::info(record, view.summary, view.repos)
    }

    /// A stored change of `record`: published, passed on to the channels,
    /// the reopen deadline and the status line brought up to date.
    pub fn prompt_changed(
        &mut self,
        change: PromptChangeKind,
        record: &PromptRecord,
        now: DateTime<Utc>,
    ) {
        let view = self.prompt_view(record, now);
        let prompt = text::info(record, view.summary.clone(), view.repos.clone());
        // A channel's results are logged by the channel's outage (once),
        // not once per prompt.
        if change == PromptChangeKind::Delivered {
            tracing::debug!(
                prompt_id = record.id,
                "prompt #{} delivery recorded",
                record.id
            );
        } else {
            tracing::info!(
                prompt_id = record.id,
                change = change.as_str(),
                "prompt #{} {}: {}",
                record.id,
                change.as_str(),
                view.summary
            );
        }
        let reached = self
            .events
            .publish(now, EventBody::Prompt { change, prompt });
        let shown = record.state == PromptState::Open;
        if let Some(message) = channel_message(change, &view) {
            if shown || matches!(message, ToChannel::Withdraw { .. }) {
                for channel in &self.prompting.channels {
                    channel.send(message.clone());
                }
            }
            if shown && reached > 0 {
                self.record_result(record.id, Channel::Socket, Outcome::Delivered, None, now);
            }
        }
        self.refresh_reopen();
        readiness::status(&self.status_line(now));
    }

    /// Stores what `channel` did with prompt `id`; announced as
    /// `delivered` unless the channel is the socket itself.
    fn record_result(
        &mut self,
        id: i64,
        channel: Channel,
        outcome: Outcome,
        detail: Option<&str>,
        now: DateTime<Utc>,
    ) {
        match self
            .store
            .record_delivery(id, channel, outcome, detail, now)
        {
            Ok(record) if channel != Channel::Socket => {
                self.prompt_changed(PromptChangeKind::Delivered, &record, now)
            }
            Ok(_) => readiness::status(&self.status_line(now)),
            Err(e) => tracing::error!("recording a delivery of prompt #{id}: {e:#}"),
        }
    }

    /// A report from a channel.
    pub fn on_channel_report(&mut self, msg: FromChannel, now: DateTime<Utc>) {
        let FromChannel {
            channel,
            prompt,
            report,
        } = msg;
        let name = channel.as_str();
        match report {
            Report::Available => {
                if let Some(outage) = self.prompting.health.fine(channel) {
                    tracing::info!(
                        channel = name,
                        "{name} can deliver prompts again (unavailable since {}: {})",
                        outage.since.to_rfc3339(),
                        outage.detail
                    );
                }
                self.show_open_to(channel, now);
            }
            Report::Unavailable { detail } => {
                self.channel_trouble(channel, prompt, Outcome::Unavailable, &detail, now)
            }
            Report::Failed { detail } => {
                self.channel_trouble(channel, prompt, Outcome::Failed, &detail, now)
            }
            Report::Delivered { detail } => {
                if let Some(outage) = self.prompting.health.fine(channel) {
                    tracing::info!(
                        channel = name,
                        "{name} delivers prompts again (failing since {})",
                        outage.since.to_rfc3339()
                    );
                }
                if let Some(id) = prompt {
                    self.record_result(id, channel, Outcome::Delivered, detail.as_deref(), now);
                }
            }
            Report::Dismissed => {
                if let Some(id) = prompt {
                    self.record_result(id, channel, Outcome::Dismissed, None, now);
                }
            }
            Report::Answer { text, via } => {
                let new = NewUpdate {
                    text: &text,
                    target: match prompt {
                        Some(id) => crate::store::AnswerTarget::Prompt(id),
                        None => crate::store::AnswerTarget::Oldest,
                    },
                    source: answer_source(via),
                };
                // The text stays out of the log.
                if let Err(e) = self.answer(&new, now) {
                    tracing::warn!(channel = name, "an answer from {name} was not stored: {e}");
                }
            }
            Report::Snooze => {
                let until = now + self.snooze_length();
                if let Err(e) = self.snooze(prompt, until, now) {
                    tracing::warn!(channel = name, "snooze from {name}: {e}");
                }
            }
            Report::Skip => {
                if let Err(e) = self.skip_prompt(prompt, now) {
                    tracing::warn!(channel = name, "skip from {name}: {e}");
                }
            }
        }
        // A channel's outage (or its end) shows in the status line.
        readiness::status(&self.status_line(now));
    }

    /// `channel` could not deliver: logged once per outage, recorded for
    /// the prompt it was about.
    fn channel_trouble(
        &mut self,
        channel: Channel,
        prompt: Option<i64>,
        outcome: Outcome,
        detail: &str,
        now: DateTime<Utc>,
    ) {
        let name = channel.as_str();
        if self.prompting.health.trouble(channel, detail, now) {
            let message =
                format!("{name} cannot deliver prompts: {detail} (said once until it can again)");
            if trouble_is_warning(channel, outcome) {
                tracing::warn!(channel = name, "{message}");
            } else {
                tracing::info!(channel = name, "{message}");
            }
        }
        if let Some(id) = prompt {
            self.record_result(id, channel, outcome, Some(detail), now);
        }
    }

    /// Shows the open prompt, if any, to `channel` again (it came back).
    fn show_open_to(&mut self, channel: Channel, now: DateTime<Utc>) {
        let record = match self.store.outstanding_prompt() {
            Ok(Some(r)) if r.state == PromptState::Open => r,
            Ok(_) => return,
            Err(e) => {
                tracing::error!("reading the open prompt: {e:#}");
                return;
            }
        };
        // A hook runs once per prompt, also across restarts of its channel
        // (a reload, a restart of the daemon): one that has a result for
        // this prompt already ran for it.
        if channel == Channel::Hook && record.deliveries.iter().any(|d| d.channel == channel) {
            return;
        }
        let view = self.prompt_view(&record, now);
        for handle in self
            .prompting
            .channels
            .iter()
            .filter(|h| h.channel == channel)
        {
            handle.send(ToChannel::Show(view.clone()));
        }
    }

    /// `prompts.snooze` as a time span.
    pub fn snooze_length(&self) -> chrono::TimeDelta {
        chrono::TimeDelta::from_std(self.config.prompts.snooze)
            .unwrap_or(chrono::TimeDelta::minutes(30))
    }

    /// Records an answer (see `Store::answer`) and announces it.
    pub fn answer(
        &mut self,
        new: &NewUpdate<'_>,
        now: DateTime<Utc>,
    ) -> Result<Answered, PromptError> {
        let families = Families::enabled(&self.config.integrations);
        let answered = self.store.answer(new, families, now)?;
        tracing::info!(
            update_id = answered.update.id,
            prompt_id = answered.update.prompt_id,
            source = new.source.as_str(),
            "update #{} recorded{} ({})",
            answered.update.id,
            answered
                .update
                .prompt_id
                .map(|p| format!(" for prompt #{p}"))
                .unwrap_or_default(),
            crate::display::plural(answered.commits.len() as u64, "commit", "commits")
        );
        if let Some(p) = &answered.prompt {
            self.prompt_changed(PromptChangeKind::Answered, p, now);
        }
        Ok(answered)
    }

    /// Snoozes prompt `id` (or the outstanding one) until `until`.
    pub fn snooze(
        &mut self,
        id: Option<i64>,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<PromptRecord, PromptError> {
        let record = self.store.snooze_prompt(id, until, now)?;
        self.prompt_changed(PromptChangeKind::Snoozed, &record, now);
        Ok(record)
    }

    /// Skips prompt `id` (or the outstanding one).
    pub fn skip_prompt(
        &mut self,
        id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<PromptRecord, PromptError> {
        let record = self.store.skip_prompt(id, now)?;
        self.prompt_changed(PromptChangeKind::Skipped, &record, now);
        Ok(record)
    }

    /// The reopen deadline passed (or the clock changed): opens the snoozed
    /// prompts that are due and shows them again.
    pub fn reopen_due(&mut self, now: DateTime<Utc>) {
        match self.store.reopen_due(now) {
            Ok(records) => {
                for r in &records {
                    self.prompt_changed(change_for(r.state), r, now);
                }
            }
            Err(e) => tracing::error!("reopening snoozed prompts: {e:#}"),
        }
        self.refresh_reopen();
    }

    /// When the next snoozed prompt opens again.
    pub fn refresh_reopen(&mut self) {
        self.prompting.next_reopen = match self.store.next_reopen() {
            Ok(t) => t,
            Err(e) => {
                tracing::error!("reading the next reopen time: {e:#}");
                None
            }
        };
    }

    /// (Re)starts the channels `config.prompts` asks for (at start-up, and
    /// on a reload that changed `prompts:`) and shows them the open prompt;
    /// the old ones end when their handles are dropped.
    pub fn restart_channels(&mut self, now: DateTime<Utc>) {
        self.prompting.channels =
            super::prompts::start_channels(&self.config, &self.prompting.reports);
        self.prompting.health.clear();
        let kinds: Vec<Channel> = self.prompting.channels.iter().map(|h| h.channel).collect();
        for channel in kinds {
            self.show_open_to(channel, now);
        }
    }

    /// Starts the hook's channel anew (a reload that left `prompts:` as it
    /// was): the config file's permissions are checked again, so a fixed
    /// mode ends a refusal and a loosened one starts it. The hook's outage
    /// is forgotten; a refusal that stands is logged again, once.
    pub fn restart_hook(&mut self, now: DateTime<Utc>) {
        self.prompting
            .channels
            .retain(|h| h.channel != Channel::Hook);
        self.prompting.health.fine(Channel::Hook);
        if let Some(handle) = super::prompts::start_hook(&self.config, &self.prompting.reports) {
            self.prompting.channels.push(handle);
            self.show_open_to(Channel::Hook, now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> PromptView {
        PromptView {
            id: 4,
            summary: "s".into(),
            body: "b".into(),
            trigger_kind: "timer".into(),
            repos: vec![],
            json: "{}".into(),
            update: false,
        }
    }

    #[test]
    fn what_channels_are_told() {
        use PromptChangeKind::*;
        let show = |update| Some(ToChannel::Show(PromptView { update, ..view() }));
        let withdraw = Some(ToChannel::Withdraw { prompt: 4 });
        let cases = [
            (Opened, show(false)),
            (Updated, show(true)),
            (Reopened, show(false)),
            (Answered, withdraw.clone()),
            (Snoozed, withdraw.clone()),
            (Expired, withdraw.clone()),
            (Skipped, withdraw),
            (Delivered, None),
        ];
        for (change, want) in cases {
            assert_eq!(channel_message(change, &view()), want, "{change:?}");
        }
    }

    #[test]
    fn answers_name_their_source() {
        assert_eq!(answer_source(AnswerVia::Inline), UpdateSource::Inline);
        assert_eq!(answer_source(AnswerVia::Dialog), UpdateSource::Dialog);
        assert_eq!(change_for(PromptState::Open), PromptChangeKind::Reopened);
    }

    #[test]
    fn which_outages_are_warnings() {
        use Channel::*;
        let cases = [
            (Desktop, Outcome::Unavailable, false),
            (Osascript, Outcome::Unavailable, false),
            (Hook, Outcome::Unavailable, true),
            (Desktop, Outcome::Failed, true),
            (Hook, Outcome::Failed, true),
        ];
        for (channel, outcome, want) in cases {
            assert_eq!(
                trouble_is_warning(channel, outcome),
                want,
                "{channel:?} {outcome:?}"
            );
        }
        assert_eq!(change_for(PromptState::Skipped), PromptChangeKind::Skipped);
    }
}
