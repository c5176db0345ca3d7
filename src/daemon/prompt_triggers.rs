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
//! While prompts are held (`hold.rs`: paused, outside work hours, the
//! person away from a locked or idle session: [`Daemon::on_away`]) an open
//! prompt is stored and published as always but not shown to the channels;
//! it is shown once, as it then stands, when the hold ends (a resume, the
//! end of the pause or the start of the work period, a deadline the loop
//! waits for only while it holds a prompt). A prompt a person asked for
//! (`devtrack trigger`) is never held.
//!
//! A change's view is built once, from one read of the pending commits,
//! and serves the `prompt` event, the log line and the channels alike; the
//! status line and the snooze deadline that follow from it are only marked
//! (`Daemon::dirty`) and published once at the bottom of the loop's turn.
//!
//! The socket is a channel too: a prompt shown while at least one client
//! subscribes to the event stream is recorded as delivered on `socket`
//! (not announced again: the event was the delivery).

use chrono::{DateTime, Utc};

use super::hold::{self, Hold, HoldReason};
use super::prompts::text;
use super::prompts::{AnswerVia, FromChannel, PromptView, Report, Shown, ToChannel};
use super::state::Daemon;
use super::wallclock::local_midnight;
use crate::config::WhenAway;
use crate::protocol::{EventBody, PromptChangeKind, PromptInfo};
use crate::session::{self, Away, AwayReason, AwayState};
use crate::store::{
    Answered, Channel, Fold, NewUpdate, Outcome, PendingCommits, PromptError, PromptOpened,
    PromptRecord, PromptState, UpdateSource,
};

/// How long the daemon's stop waits for its channels to take down what
/// they show.
const STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// Where an answer a channel reports was typed, as the store records it.
pub(super) fn answer_source(via: AnswerVia) -> UpdateSource {
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
pub(super) fn trouble_is_warning(channel: Channel, outcome: Outcome) -> bool {
    match outcome {
        Outcome::Unavailable => channel == Channel::Hook,
        _ => true,
    }
}

/// When a snooze ends, and whether it changes anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SnoozeEnd {
    pub until: DateTime<Utc>,
    /// The snooze it replaces, if the prompt was snoozed.
    pub was: Option<DateTime<Utc>>,
    /// The prompt stays snoozed as it was (a bare snooze never shortens).
    pub kept: bool,
}

/// Where a snooze asked at `now` ends. An explicit length (`devtrack snooze
/// 2m`) sets `now` + that length, earlier or later than a snooze already
/// running; a bare snooze (`devtrack snooze`, the Snooze button) is
/// `now` + `default`, but never shortens one: a later end stands.
pub(super) fn snooze_end(
    now: DateTime<Utc>,
    asked: Option<chrono::TimeDelta>,
    default: chrono::TimeDelta,
    snoozed_until: Option<DateTime<Utc>>,
) -> SnoozeEnd {
    let until = now + asked.unwrap_or(default);
    match (asked, snoozed_until) {
        (None, Some(was)) if was >= until => SnoozeEnd {
            until: was,
            was: Some(was),
            kept: true,
        },
        (_, was) => SnoozeEnd {
            until,
            was,
            kept: false,
        },
    }
}

/// What channels are told after `change`: show an open prompt (replacing
/// an earlier showing when `update`), take down one that is no longer
/// open, or nothing (a delivery result changes nothing they show).
pub(super) fn channel_message(change: PromptChangeKind, view: &PromptView) -> Option<ToChannel> {
    use PromptChangeKind::{
        Answered, Delivered, Expired, Opened, Other, Reopened, Skipped, Snoozed, Updated,
    };
    match change {
        Opened | Updated | Reopened => Some(ToChannel::Show(PromptView {
            update: change == Updated,
            ..view.clone()
        })),
        Answered | Snoozed | Expired | Skipped => Some(ToChannel::Withdraw { prompt: view.id }),
        Delivered | Other => None,
    }
}

/// What the log says a prompt said when it changes: when it closes
/// (answered, snoozed, expired, skipped), the summary it was last shown
/// with, not one rendered after the change (an answer takes its commits
/// away, the commit that expires it is not its own); otherwise `view`'s.
pub(super) fn logged_summary<'a>(
    change: PromptChangeKind,
    id: i64,
    said: Option<&'a (i64, String)>,
    view: &'a PromptView,
) -> &'a str {
    use PromptChangeKind::{Answered, Expired, Skipped, Snoozed};
    match (change, said) {
        (Answered | Snoozed | Expired | Skipped, Some((shown, summary))) if *shown == id => summary,
        _ => &view.summary,
    }
}

/// The change a state change of a stored prompt is announced as.
pub(super) fn change_for(state: PromptState) -> PromptChangeKind {
    match state {
        PromptState::Open => PromptChangeKind::Reopened,
        PromptState::Answered => PromptChangeKind::Answered,
        PromptState::Snoozed => PromptChangeKind::Snoozed,
        PromptState::Expired => PromptChangeKind::Expired,
        PromptState::Skipped => PromptChangeKind::Skipped,
    }
}

/// Outstanding prompts opened before this are expired when a trigger
/// comes: the start of the local day, so an answer never files today's
/// work under yesterday's prompt. A prompt still held has not been asked
/// yet, so it is not expired: it is released, as it stands, when its hold
/// ends.
pub(super) fn expiry_limit(
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
    held: bool,
) -> Option<DateTime<Utc>> {
    (!held).then(|| local_midnight(now, tz))
}

/// When the loop must wake for its prompts: the next snooze's end, or the
/// end of the hold while it holds a prompt.
pub(super) fn prompt_deadline(
    reopen: Option<DateTime<Utc>>,
    release: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    match (reopen, release) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

impl Daemon {
    /// See [`expiry_limit`].
    pub(super) fn expire_before(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let held = self.prompting.held.is_some() && self.hold(now).is_some();
        expiry_limit(now, self.scheduling.schedule.tz, held)
    }

    /// Whether prompts are held at `now`, and until when.
    pub(super) fn hold(&self, now: DateTime<Utc>) -> Option<Hold> {
        hold::hold_reason(
            now,
            self.scheduling.state.pause,
            &self.scheduling.schedule,
            self.away(now),
        )
    }

    /// Whether the person is away at `now`, as far as holding prompts goes
    /// (`prompts.when_away: show`: never).
    fn away(&self, now: DateTime<Utc>) -> Option<Away> {
        let prompts = &self.config.prompts;
        let idle_after =
            chrono::TimeDelta::from_std(prompts.idle_after).unwrap_or(chrono::TimeDelta::MAX);
        match prompts.when_away {
            WhenAway::Hold => session::away(
                &self.prompting.away,
                idle_after,
                now,
                self.prompting.held_since,
            ),
            WhenAway::Show => None,
        }
    }

    /// The session says something new about the person: a prompt held for
    /// them is shown if they are back.
    pub(super) fn on_away(&mut self, away: AwayState, now: DateTime<Utc>) {
        let was = &self.prompting.away;
        for (now_from, was_from) in [
            (&away.source, &was.source),
            (&away.screen.source, &was.screen.source),
        ] {
            if now_from != was_from {
                match now_from.describe() {
                    Ok(source) => tracing::info!("following the screen lock through the {source}"),
                    Err(why) => tracing::info!("not following the screen lock there: {why}"),
                }
            }
        }
        self.prompting.away = away;
        self.dirty.status = true;
        self.release_held(now);
    }

    /// Whether `record` (open) is kept from the channels now; remembers it
    /// as held if so.
    fn withheld(&mut self, record: &PromptRecord, now: DateTime<Utc>) -> bool {
        let hold = self.hold(now);
        let held = hold::holds(hold, record);
        if let (true, Some(hold)) = (held, hold) {
            if self.prompting.held != Some(record.id) {
                self.prompting.held_since = Some(now);
            }
            self.prompting.held = Some(record.id);
            self.record_hold(record.id, hold);
        } else if self.prompting.held == Some(record.id) {
            self.released(record.id, now);
        }
        held
    }

    /// Records that prompt `id` is held for `hold`'s reason since the hold
    /// started (once per hold). The moment an idle time takes to ask is no
    /// hold to record: the answer's reason is, if it holds.
    fn record_hold(&mut self, id: i64, hold: Hold) {
        if let HoldReason::Away(Away {
            reason: AwayReason::Asking,
            ..
        }) = hold.reason
        {
            return;
        }
        let since = self.prompting.held_since.unwrap_or_else(chrono::Utc::now);
        if let Err(e) = self.store.record_hold(id, hold.reason.as_str(), since) {
            tracing::error!("recording the hold of prompt #{id}: {e:#}");
        }
    }

    /// The hold of prompt `id` ends with its showing: logged with how long
    /// it lasted (a moment's asking for an idle time, unrecorded, only at
    /// debug level).
    fn released(&mut self, id: i64, now: DateTime<Utc>) {
        match self.end_hold(id, now) {
            Some(held) => tracing::info!(
                prompt_id = id,
                "prompt #{id} released after {}: prompts are no longer held",
                crate::display::human_duration(held.num_seconds().max(0) as u64)
            ),
            None => tracing::debug!(prompt_id = id, "prompt #{id} released"),
        }
    }

    /// The hold of prompt `id` ends (released, or the prompt closed while
    /// held): the record says for how long it was held.
    fn end_hold(&mut self, id: i64, now: DateTime<Utc>) -> Option<chrono::TimeDelta> {
        self.prompting.held = None;
        self.prompting.held_since = None;
        match self.store.record_release(id, now) {
            Ok(held) => held,
            Err(e) => {
                tracing::error!("recording the release of prompt #{id}: {e:#}");
                None
            }
        }
    }

    /// Shows the held prompt to every channel once its hold has ended.
    pub(super) fn release_held(&mut self, now: DateTime<Utc>) {
        let Some(id) = self.prompting.held else {
            return;
        };
        if let Some(hold) = self.hold(now) {
            // Still held, maybe for another reason now (an idle time asked
            // for came back long).
            self.record_hold(id, hold);
            return;
        }
        // Shown as it now stands; the showing ends the hold (`withheld`),
        // with what the hold was decided on still at hand.
        let kinds: Vec<Channel> = self.prompting.channels.iter().map(|h| h.channel).collect();
        self.show_open_to(&kinds, now);
        if self.prompting.held == Some(id) {
            // Nothing to show it to (no channel, or it closed meanwhile).
            self.released(id, now);
        }
        self.dirty.prompt = true;
    }

    /// A trigger's prompt is in the store: announce it (and the prompt it
    /// expired, if any).
    pub(super) fn prompt_opened(&mut self, opened: PromptOpened, now: DateTime<Utc>) {
        if let Some(old) = &opened.expired {
            self.prompt_changed(PromptChangeKind::Expired, old, now);
        }
        let change = match opened.fold {
            Fold::Into => PromptChangeKind::Updated,
            Fold::Open | Fold::ExpireAndOpen => PromptChangeKind::Opened,
        };
        self.prompt_changed(change, &opened.prompt, now);
    }

    /// What the commits since the previous answer amount to (one store
    /// read); nothing when it cannot be read.
    fn pending(&self) -> PendingCommits {
        self.store
            .pending_overview(text::BODY_COMMITS)
            .unwrap_or_else(|e| {
                tracing::error!("reading the commits since the last answer: {e:#}");
                Default::default()
            })
    }

    /// The prompt as the wire shows it and as every channel shows it,
    /// built once from one read.
    fn prompt_shown(&self, record: &PromptRecord, now: DateTime<Utc>) -> (PromptInfo, PromptView) {
        let pending = self.pending();
        let summary = text::summary(record, &pending, self.scheduling.schedule.tz, now);
        let info = text::info(record, summary, pending.repos.clone());
        let view = PromptView {
            id: record.id,
            summary: info.summary.clone(),
            body: text::body(&pending),
            trigger_kind: record
                .triggers
                .last()
                .map(|t| t.kind.clone())
                .unwrap_or_default(),
            repos: pending.repos,
            json: serde_json::to_string(&info).unwrap_or_default(),
            update: false,
            // A channel knows what it showed in this run; what an earlier
            // run showed is read only where a prompt is shown anew
            // (`show_open_to`).
            notification: None,
        };
        (info, view)
    }

    /// The notification an earlier run showed for prompt `id`, which a
    /// channel replaces when its server is still the same.
    fn kept_notification(&self, id: i64) -> Option<Shown> {
        match self.store.notification(id) {
            Ok(n) => n.map(|(id, server)| Shown { id, server }),
            Err(e) => {
                tracing::error!("reading the notification of prompt #{id}: {e:#}");
                None
            }
        }
    }

    /// The prompt as the wire shows it.
    pub(super) fn prompt_info(&self, record: &PromptRecord, now: DateTime<Utc>) -> PromptInfo {
        let pending = self.pending();
        let summary = text::summary(record, &pending, self.scheduling.schedule.tz, now);
        text::info(record, summary, pending.repos)
    }

    /// A stored change of `record`: published and passed on to the
    /// channels; the reopen deadline and the status line are marked for
    /// the bottom of the turn. Returns the prompt as published.
    pub(super) fn prompt_changed(
        &mut self,
        change: PromptChangeKind,
        record: &PromptRecord,
        now: DateTime<Utc>,
    ) -> PromptInfo {
        // First: the socket's delivery below stores a newer record.
        self.dirty.prompt_stored(record);
        let (prompt, view) = self.prompt_shown(record, now);
        // A channel's results are logged by the channel's outage (once),
        // not once per prompt.
        if change == PromptChangeKind::Delivered {
            tracing::debug!(
                prompt_id = record.id,
                "prompt #{} delivery recorded",
                record.id
            );
        } else {
            let said = logged_summary(change, record.id, self.prompting.said.as_ref(), &view);
            tracing::info!(
                prompt_id = record.id,
                change = change.as_str(),
                "prompt #{} {}: {}",
                record.id,
                change.as_str(),
                said
            );
            self.prompting.said = match change {
                PromptChangeKind::Opened
                | PromptChangeKind::Updated
                | PromptChangeKind::Reopened => Some((record.id, view.summary.clone())),
                PromptChangeKind::Snoozed => self.prompting.said.take(),
                _ => None,
            };
        }
        let reached = self.events.publish(
            now,
            EventBody::Prompt {
                change,
                prompt: prompt.clone(),
            },
        );
        let shown = record.state == PromptState::Open;
        if let Some(message) = channel_message(change, &view) {
            let send = match message {
                ToChannel::Show(_) => shown && !self.withheld(record, now),
                ToChannel::Withdraw { prompt } => {
                    if self.prompting.held == Some(prompt) {
                        self.end_hold(prompt, now);
                    }
                    // Its notification is taken down: nothing to replace.
                    if let Err(e) = self.store.clear_notification(prompt) {
                        tracing::error!("forgetting the notification of prompt #{prompt}: {e:#}");
                    }
                    true
                }
            };
            if send {
                for channel in &self.prompting.channels {
                    channel.send(message.clone());
                }
            }
            if shown && reached > 0 {
                self.record_result(record.id, Channel::Socket, Outcome::Delivered, None, now);
            }
        }
        prompt
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
                self.prompt_changed(PromptChangeKind::Delivered, &record, now);
            }
            Ok(record) => self.dirty.prompt_stored(&record),
            Err(e) => tracing::error!("recording a delivery of prompt #{id}: {e:#}"),
        }
    }

    /// A report from a channel.
    pub(super) fn on_channel_report(&mut self, msg: FromChannel, now: DateTime<Utc>) {
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
                self.show_open_to(&[channel], now);
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
            Report::Notified(shown) => {
                if let Some(id) = prompt {
                    if let Err(e) = self.store.set_notification(id, shown.id, &shown.server) {
                        tracing::error!("keeping the notification of prompt #{id}: {e:#}");
                    }
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
                if let Err(e) = self.snooze(prompt, None, now) {
                    tracing::warn!(channel = name, "snooze from {name}: {e}");
                }
            }
            Report::Skip => {
                if let Err(e) = self.skip(prompt, now) {
                    tracing::warn!(channel = name, "skip from {name}: {e:#}");
                }
            }
        }
        // A channel's outage (or its end) shows in the status line.
        self.dirty.status = true;
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

    /// Shows the open prompt, if any, to `channels` again (they came back
    /// or started): read once, its view built once.
    fn show_open_to(&mut self, channels: &[Channel], now: DateTime<Utc>) {
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
        let to: Vec<Channel> = channels
            .iter()
            .copied()
            .filter(|&c| c != Channel::Hook || record.deliveries.iter().all(|d| d.channel != c))
            .collect();
        if to.is_empty() {
            return;
        }
        if self.withheld(&record, now) {
            return;
        }
        // A hold an earlier run started ends with this showing.
        self.end_hold(record.id, now);
        let (_, mut view) = self.prompt_shown(&record, now);
        view.notification = self.kept_notification(record.id);
        self.prompting.said = Some((record.id, view.summary.clone()));
        for handle in self
            .prompting
            .channels
            .iter()
            .filter(|h| to.contains(&h.channel))
        {
            handle.send(ToChannel::Show(view.clone()));
        }
    }

    /// Stops the channels at the daemon's stop, and waits (a little) for
    /// those that take something down: the desktop closes its
    /// notification, which would otherwise stay on screen with buttons
    /// nothing answers.
    pub(super) async fn stop_channels(&mut self) {
        let tasks: Vec<_> = self
            .prompting
            .channels
            .drain(..)
            .filter_map(|handle| handle.task)
            .collect();
        let ended = async {
            for task in tasks {
                let _ = task.await;
            }
        };
        if tokio::time::timeout(STOP_WAIT, ended).await.is_err() {
            tracing::debug!("a delivery channel did not stop within {STOP_WAIT:?}");
        }
    }

    /// `prompts.snooze` as a time span.
    pub(super) fn snooze_length(&self) -> chrono::TimeDelta {
        chrono::TimeDelta::from_std(self.config.prompts.snooze)
            .unwrap_or(chrono::TimeDelta::minutes(30))
    }

    /// Records an answer (see `Store::answer`) and announces it.
    pub(super) fn answer(
        &mut self,
        new: &NewUpdate<'_>,
        now: DateTime<Utc>,
    ) -> Result<Answered, PromptError> {
        let repos = crate::sync::remote::ConfigRepos {
            config: &self.config,
        };
        let rules = crate::sync::plan::Rules::new(&self.config, &repos);
        let answered = self.store.answer(new, rules, now)?;
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
        // Its outbox rows are announced; the queued ones go now.
        self.sync_stored(answered.update.id, now);
        Ok(answered)
    }

    /// Snoozes prompt `id` (or the outstanding one) for `asked`, or for
    /// `prompts.snooze` without shortening a running snooze (see
    /// [`snooze_end`]); returns it as published, and where the snooze ends.
    pub(super) fn snooze(
        &mut self,
        id: Option<i64>,
        asked: Option<chrono::TimeDelta>,
        now: DateTime<Utc>,
    ) -> Result<(PromptInfo, SnoozeEnd), PromptError> {
        let current = match id {
            Some(id) => self
                .store
                .prompt(id)?
                .ok_or(PromptError::NoSuchPrompt(id))?,
            None => self
                .store
                .outstanding_prompt()?
                .ok_or(PromptError::NoneOutstanding)?,
        };
        let snoozed_until = match current.state {
            PromptState::Snoozed => current.reopens_at,
            _ => None,
        };
        let end = snooze_end(now, asked, self.snooze_length(), snoozed_until);
        if end.kept {
            return Ok((self.prompt_info(&current, now), end));
        }
        let record = self.store.snooze_prompt(Some(current.id), end.until, now)?;
        Ok((
            self.prompt_changed(PromptChangeKind::Snoozed, &record, now),
            end,
        ))
    }

    /// Skips prompt `id` (or the outstanding one).
    pub(super) fn skip_prompt(
        &mut self,
        id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<PromptRecord, PromptError> {
        let record = self.store.skip_prompt(id, now)?;
        self.prompt_changed(PromptChangeKind::Skipped, &record, now);
        Ok(record)
    }

    /// What `devtrack skip` and a channel's Skip do: skip prompt `id` (or
    /// the outstanding one), if it is still outstanding, and exactly the
    /// next interval prompt. The skipped prompt, if any.
    pub(super) fn skip(
        &mut self,
        id: Option<i64>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<PromptRecord>> {
        let skipped = match self.skip_prompt(id, now) {
            Ok(p) => Some(p),
            Err(PromptError::NoneOutstanding | PromptError::Refused { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        self.change_schedule_state(now, |s| s.skip_next = true)?;
        tracing::info!("next prompt will be skipped");
        self.events.publish(now, EventBody::Skipped);
        Ok(skipped)
    }

    /// The prompt deadline passed (or the clock changed): opens the snoozed
    /// prompts that are due and shows them again, and releases a held
    /// prompt whose hold has ended.
    pub(super) fn reopen_due(&mut self, now: DateTime<Utc>) {
        match self.store.reopen_due(now) {
            Ok(records) => {
                for r in &records {
                    self.prompt_changed(change_for(r.state), r, now);
                }
            }
            Err(e) => tracing::error!("reopening snoozed prompts: {e:#}"),
        }
        self.release_held(now);
        // The deadline passed: the next one is read at the bottom of the
        // turn even when nothing reopened (the clock was set).
        self.dirty.prompt = true;
    }

    /// (Re)starts the channels `config.prompts` asks for (at start-up, and
    /// on a reload that changed `prompts:`) and shows them the open prompt;
    /// the old ones end when their handles are dropped.
    pub(super) fn restart_channels(&mut self, now: DateTime<Utc>) {
        self.prompting.channels =
            super::prompts::start_channels(&self.config, &self.prompting.reports);
        self.prompting.health.clear();
        let kinds: Vec<Channel> = self.prompting.channels.iter().map(|h| h.channel).collect();
        self.show_open_to(&kinds, now);
    }

    /// Starts the hook's channel anew (a reload that left `prompts:` as it
    /// was): the config file's permissions are checked again, so a fixed
    /// mode ends a refusal and a loosened one starts it. The hook's outage
    /// is forgotten; a refusal that stands is logged again, once.
    pub(super) fn restart_hook(&mut self, now: DateTime<Utc>) {
        self.prompting
            .channels
            .retain(|h| h.channel != Channel::Hook);
        self.prompting.health.fine(Channel::Hook);
        if let Some(handle) = super::prompts::start_hook(&self.config, &self.prompting.reports) {
            self.prompting.channels.push(handle);
            self.show_open_to(&[Channel::Hook], now);
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
            notification: None,
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
    fn a_held_prompt_is_not_expired_by_a_new_day() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let tz: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
        let now = at("2026-12-08T00:30:00Z"); // 01:30 CET
        assert_eq!(
            expiry_limit(now, tz, false),
            Some(at("2026-12-07T23:00:00Z"))
        );
        assert_eq!(expiry_limit(now, tz, true), None);
    }

    #[test]
    fn the_prompt_deadline_is_the_earlier_one() {
        let t = |m: i64| DateTime::from_timestamp(1_750_000_000 + m * 60, 0).unwrap();
        let cases = [
            (None, None, None),
            (Some(t(5)), None, Some(t(5))),
            (None, Some(t(7)), Some(t(7))),
            (Some(t(5)), Some(t(7)), Some(t(5))),
            (Some(t(9)), Some(t(7)), Some(t(7))),
        ];
        for (reopen, release, want) in cases {
            assert_eq!(
                prompt_deadline(reopen, release),
                want,
                "{reopen:?} {release:?}"
            );
        }
    }

    #[test]
    fn a_bare_snooze_never_shortens_one() {
        let t = |m: i64| DateTime::from_timestamp(1_750_000_000 + m * 60, 0).unwrap();
        let min = chrono::TimeDelta::minutes;
        let end = |until, was, kept| SnoozeEnd { until, was, kept };
        let cases = [
            // asked, snoozed until, end
            (None, None, end(t(30), None, false)),
            (Some(min(2)), None, end(t(2), None, false)),
            // `snooze 2m` then `snooze`: the later end stands.
            (None, Some(t(45)), end(t(45), Some(t(45)), true)),
            (None, Some(t(30)), end(t(30), Some(t(30)), true)),
            (None, Some(t(3)), end(t(30), Some(t(3)), false)),
            // An explicit length is what it says.
            (Some(min(2)), Some(t(45)), end(t(2), Some(t(45)), false)),
            (Some(min(60)), Some(t(45)), end(t(60), Some(t(45)), false)),
        ];
        for (asked, snoozed, want) in cases {
            assert_eq!(
                snooze_end(t(0), asked, min(30), snoozed),
                want,
                "{asked:?} {snoozed:?}"
            );
        }
    }

    #[test]
    fn the_log_names_a_closing_prompt_as_it_was_shown() {
        use PromptChangeKind::*;
        let now = view(); // summary "s", id 4
        let shown = (4, "2 commits in api since 20:43".to_string());
        let other = (3, "1 commit in web since 19:00".to_string());
        let cases = [
            (Answered, Some(&shown), "2 commits in api since 20:43"),
            (Expired, Some(&shown), "2 commits in api since 20:43"),
            (Skipped, Some(&shown), "2 commits in api since 20:43"),
            (Snoozed, Some(&shown), "2 commits in api since 20:43"),
            (Answered, Some(&other), "s"),
            (Answered, None, "s"),
            (Updated, Some(&shown), "s"),
            (Opened, None, "s"),
        ];
        for (change, said, want) in cases {
            assert_eq!(logged_summary(change, 4, said, &now), want, "{change:?}");
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
