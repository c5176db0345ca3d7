//! Answers (work updates): the text a person gave, the prompt it answers
//! (none for a standalone update), the commits made since the previous
//! answer, and the tickets found in all of them.
//!
//! [`Store::answer`] does all of that in one transaction: the prompt turns
//! `answered`, the update is stored with the prompt's time (what the answer
//! refers to), the commits recorded since the previous update are linked to
//! it, and the tickets of the enabled families are stored with their source.
//! The same transaction writes the update's outbox rows (the tickets it is
//! to be posted to, `crate::sync::plan`). An update acknowledged to the
//! person is therefore complete and durable.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::commits::{commit_row, COMMIT_COLUMNS};
use super::lifecycle::Action;
use super::outbox;
use super::pending::{self, PendingCommits};
use super::prompts::{change_in, outstanding_in, parsed, PromptError, PromptRecord};
use super::{from_millis, to_millis, CommitRecord, Store};
use crate::sync::plan::{self, Covered, Rules};
use crate::tickets::{self, Families, Family};

/// Where an answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UpdateSource {
    /// From a notification, before channels said how it was typed; kept
    /// for the answers stored so (every channel now reports `Inline` or
    /// `Dialog`).
    Notification,
    /// An inline reply (`NotificationReplied`).
    Inline,
    /// A dialog (`zenity`, `kdialog`, `osascript display dialog`).
    Dialog,
    /// `devtrack note`.
    Cli,
    /// A `note` request on the control socket.
    Socket,
}

impl UpdateSource {
    pub(crate) const ALL: [UpdateSource; 5] = [
        UpdateSource::Notification,
        UpdateSource::Inline,
        UpdateSource::Dialog,
        UpdateSource::Cli,
        UpdateSource::Socket,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            UpdateSource::Notification => "notification",
            UpdateSource::Inline => "inline",
            UpdateSource::Dialog => "dialog",
            UpdateSource::Cli => "cli",
            UpdateSource::Socket => "socket",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<UpdateSource> {
        UpdateSource::ALL.into_iter().find(|u| u.as_str() == s)
    }
}

/// Which prompt an answer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerTarget {
    /// The oldest outstanding (open or snoozed) prompt; a standalone update
    /// when none is outstanding.
    Oldest,
    /// This prompt (it may have expired or been skipped; not one already
    /// answered).
    Prompt(i64),
}

/// An answer about to be recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewUpdate<'a> {
    /// Stored trimmed; must not be empty.
    pub text: &'a str,
    pub target: AnswerTarget,
    pub source: UpdateSource,
}

/// A stored answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkUpdate {
    pub id: i64,
    pub text: String,
    pub answered_at: DateTime<Utc>,
    /// `None`: a standalone update.
    pub prompt_id: Option<i64>,
    /// The answered prompt's time.
    pub prompt_at: Option<DateTime<Utc>>,
    /// `None` only for answers recorded before schema version 3.
    pub source: Option<UpdateSource>,
}

impl WorkUpdate {
    /// The time this update is about: its prompt's time, else when it was
    /// given. Reports place it there.
    pub(crate) fn refers_to(&self) -> DateTime<Utc> {
        self.prompt_at.unwrap_or(self.answered_at)
    }
}

/// Where a stored ticket was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketSource {
    Answer,
    CommitMessage,
    Branch,
}

impl TicketSource {
    #[cfg(test)]
    pub(crate) const ALL: [TicketSource; 3] = [
        TicketSource::Answer,
        TicketSource::CommitMessage,
        TicketSource::Branch,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            TicketSource::Answer => "answer",
            TicketSource::CommitMessage => "commit_message",
            TicketSource::Branch => "branch",
        }
    }

    #[cfg(test)]
    pub(crate) fn parse(s: &str) -> Option<TicketSource> {
        TicketSource::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// A ticket reference as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredTicket {
    pub family: Family,
    pub key: String,
    pub source: TicketSource,
    /// The update it was recorded with (for an answer: the one it is in).
    pub work_update_id: i64,
    /// For a commit message or branch name: the commit.
    pub commit_id: Option<i64>,
}

/// What [`Store::answer`] recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Answered {
    pub update: WorkUpdate,
    /// The answered prompt as stored now; `None` for a standalone update.
    pub prompt: Option<PromptRecord>,
    /// The commits made since the previous answer, oldest first.
    pub commits: Vec<CommitRecord>,
    pub tickets: Vec<StoredTicket>,
}

pub(super) const UPDATE_COLUMNS: &str = "id, text, answered_at, prompt_id, prompt_at, source";

pub(super) fn update_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<WorkUpdate> {
    let source: Option<String> = r.get(5)?;
    Ok(WorkUpdate {
        id: r.get(0)?,
        text: r.get(1)?,
        answered_at: from_millis(r.get(2)?),
        prompt_id: r.get(3)?,
        prompt_at: r.get::<_, Option<i64>>(4)?.map(from_millis),
        source: match source {
            Some(_) => Some(parsed(r, 5, UpdateSource::parse)?),
            None => None,
        },
    })
}

/// The developer's own commits recorded since the previous update's, oldest
/// first, and the newest commit id (the next update's high-water mark).
fn pending_in(conn: &Connection) -> rusqlite::Result<(Vec<CommitRecord>, Option<i64>)> {
    let after: i64 = conn
        .prepare_cached("SELECT coalesce(max(last_commit_id), 0) FROM work_updates")?
        .query_row([], |r| r.get(0))?;
    // Own work only (`own` is NULL for commits stored before it was known).
    // A version a later one replaced (an amend's predecessor, a rebased
    // commit's original) is not counted again.
    let sql = format!(
        "SELECT {COMMIT_COLUMNS} FROM commits
         WHERE id > ?1 AND coalesce(own, 1) != 0 AND replaced = 0 ORDER BY id"
    );
    let commits: Vec<CommitRecord> = conn
        .prepare_cached(&sql)?
        .query_map([after], commit_row)?
        .collect::<rusqlite::Result<_>>()?;
    let newest: Option<i64> = conn
        .prepare_cached("SELECT max(id) FROM commits WHERE id > ?1 AND coalesce(own, 1) != 0")?
        .query_row([after], |r| r.get(0))?;
    let newest = newest.or(Some(after).filter(|a| *a > 0));
    Ok((commits, newest))
}

/// The tickets of one update: its text, then each commit's message (its
/// branch when the message names none).
fn find_tickets(
    update: i64,
    text: &str,
    commits: &[CommitRecord],
    families: Families,
) -> Vec<StoredTicket> {
    let stored = |t: tickets::Ticket, source, commit_id| StoredTicket {
        family: t.family,
        key: t.key,
        source,
        work_update_id: update,
        commit_id,
    };
    let mut out: Vec<StoredTicket> = tickets::extract(text, families)
        .into_iter()
        .map(|t| stored(t, TicketSource::Answer, None))
        .collect();
    for c in commits {
        let found = tickets::commit_tickets(c.summary.as_deref(), c.branch.as_deref(), families);
        let from_message =
            !tickets::extract(c.summary.as_deref().unwrap_or(""), families).is_empty();
        let source = if from_message {
            TicketSource::CommitMessage
        } else {
            TicketSource::Branch
        };
        out.extend(found.into_iter().map(|t| stored(t, source, Some(c.id))));
    }
    out
}

impl Store {
    /// Records an answer (see the module comment). `rules`: the ticket
    /// families enabled in the config and what decides the outbox rows
    /// (`Families` alone: nothing configured beyond them).
    pub fn answer<'r>(
        &mut self,
        new: &NewUpdate<'_>,
        rules: impl Into<Rules<'r>>,
        now: DateTime<Utc>,
    ) -> Result<Answered, PromptError> {
        let rules: Rules<'r> = rules.into();
        let families = rules.families;
        let text = new.text.trim();
        if text.is_empty() {
            return Err(PromptError::EmptyAnswer);
        }
        let tx = self.conn.transaction()?;
        let prompt_id = match new.target {
            AnswerTarget::Prompt(id) => Some(id),
            AnswerTarget::Oldest => outstanding_in(&tx)?.map(|(id, _)| id),
        };
        let prompt = match prompt_id {
            Some(id) => Some(change_in(&tx, id, Action::Answer, now)?),
            None => None,
        };
        let (commits, newest) = pending_in(&tx)?;
        tx.prepare_cached(
            "INSERT INTO work_updates (text, answered_at, prompt_id, prompt_at, source, last_commit_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            text,
            to_millis(now),
            prompt_id,
            prompt.as_ref().map(|p| to_millis(p.opened_at)),
            new.source.as_str(),
            newest,
        ])?;
        let id = tx.last_insert_rowid();
        {
            let mut link = tx.prepare_cached(
                "INSERT INTO work_update_commits (work_update_id, commit_id) VALUES (?1, ?2)",
            )?;
            for c in &commits {
                link.execute([id, c.id])?;
            }
        }
        let tickets = find_tickets(id, text, &commits, families);
        {
            let mut ins = tx.prepare_cached(
                "INSERT INTO tickets (family, key, source, work_update_id, commit_id)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for t in &tickets {
                ins.execute(params![
                    t.family.as_str(),
                    t.key,
                    t.source.as_str(),
                    t.work_update_id,
                    t.commit_id
                ])?;
            }
        }
        let covered: Vec<Covered<'_>> = commits
            .iter()
            .map(|c| Covered {
                repo: &c.repo,
                summary: c.summary.as_deref(),
                branch: c.branch.as_deref(),
            })
            .collect();
        let pushed = outbox::pushed_in(&tx)?;
        let targets = plan::targets(text, &covered, &rules, &pushed);
        outbox::insert_in(&tx, id, &targets, now)?;
        let update = update_in(&tx, id)?.expect("the update was just inserted");
        tx.commit()?;
        Ok(Answered {
            update,
            prompt,
            commits,
            tickets,
        })
    }

    /// The commits recorded since the previous answer, oldest first: what
    /// the next answer will cover (for a prompt's text or an editor
    /// template).
    #[cfg(test)]
    pub(crate) fn pending_commits(&self) -> Result<Vec<CommitRecord>, PromptError> {
        Ok(pending_in(&self.conn)?.0)
    }

    /// [`PendingCommits`] with the `newest` most recent commits.
    pub(crate) fn pending_overview(&self, newest: usize) -> Result<PendingCommits, PromptError> {
        let mut last = self.pending.borrow_mut();
        let versions = if self.schema >= super::RECORD_SCHEMA {
            pending::Versions::Linked
        } else {
            pending::Versions::Unlinked
        };
        Ok(pending::overview(&self.conn, versions, &mut last, newest)?)
    }

    #[cfg(test)]
    pub(crate) fn update(&self, id: i64) -> Result<Option<WorkUpdate>, PromptError> {
        Ok(update_in(&self.conn, id)?)
    }

    /// The answer to prompt `prompt_id`, if it was answered.
    pub fn prompt_update(&self, prompt_id: i64) -> Result<Option<WorkUpdate>, PromptError> {
        let sql = format!("SELECT {UPDATE_COLUMNS} FROM work_updates WHERE prompt_id = ?1");
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row([prompt_id], update_row)
            .optional()?)
    }

    /// The commits linked to update `id`, oldest first.
    pub fn update_commits(&self, id: i64) -> Result<Vec<CommitRecord>, PromptError> {
        let sql = format!(
            "SELECT {COMMIT_COLUMNS} FROM commits WHERE id IN
                 (SELECT commit_id FROM work_update_commits WHERE work_update_id = ?1)
             ORDER BY id"
        );
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_map([id], commit_row)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// The tickets stored with update `id`, in the order they were found.
    #[cfg(test)]
    pub(crate) fn update_tickets(&self, id: i64) -> Result<Vec<StoredTicket>, PromptError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT family, key, source, work_update_id, commit_id FROM tickets
                 WHERE work_update_id = ?1 ORDER BY id",
            )?
            .query_map([id], |r| {
                Ok(StoredTicket {
                    family: parsed(r, 0, Family::parse)?,
                    key: r.get(1)?,
                    source: parsed(r, 2, TicketSource::parse)?,
                    work_update_id: r.get(3)?,
                    commit_id: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?)
    }
}

fn update_in(conn: &Connection, id: i64) -> rusqlite::Result<Option<WorkUpdate>> {
    let sql = format!("SELECT {UPDATE_COLUMNS} FROM work_updates WHERE id = ?1");
    conn.prepare_cached(&sql)?
        .query_row([id], update_row)
        .optional()
}
