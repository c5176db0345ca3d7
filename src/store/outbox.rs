//! The outbox table: the rows an update is to be posted as (one per
//! update, integration and ticket), written with the update
//! ([`insert_in`], called by `Store::answer`), listed by `devtrack sync`
//! and cancelled by `devtrack sync cancel`. What each row is and why it
//! waits is decided in `crate::sync::plan`.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::prompts::{parsed, PromptError};
use super::{from_millis, to_millis, Store};
use crate::sync::plan::Target;
use std::fmt::Write as _;

use crate::tickets::{Families, Family};

/// A row's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutboxState {
    /// Waiting: auto_sync off, never pushed, a missing setting, no
    /// repository for a GitHub `#123`.
    Held,
    Queued,
    Sending,
    Sent,
    Failed,
    Cancelled,
}

impl OutboxState {
    pub(crate) const ALL: [OutboxState; 6] = [
        OutboxState::Held,
        OutboxState::Queued,
        OutboxState::Sending,
        OutboxState::Sent,
        OutboxState::Failed,
        OutboxState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Held => "held",
            OutboxState::Queued => "queued",
            OutboxState::Sending => "sending",
            OutboxState::Sent => "sent",
            OutboxState::Failed => "failed",
            OutboxState::Cancelled => "cancelled",
        }
    }

    fn parse(s: &str) -> Option<OutboxState> {
        OutboxState::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// A stored row, with its update's text and time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxRow {
    /// The stable id (the comment's marker).
    pub id: String,
    pub update_id: i64,
    pub family: Family,
    pub ticket: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    pub state: OutboxState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_try_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// Not in `--json`: the JSON carries ids, tickets and states only.
    #[serde(skip)]
    pub update_text: String,
    #[serde(skip)]
    pub answered_at: DateTime<Utc>,
}

fn family(s: &str) -> Option<Family> {
    [Family::Github, Family::Jira, Family::AzureDevops]
        .into_iter()
        .find(|f| f.as_str() == s)
}

/// The integrations that have had their first `devtrack sync push`.
pub(super) fn pushed_in(conn: &Connection) -> rusqlite::Result<Vec<Family>> {
    conn.prepare_cached("SELECT family FROM sync_integrations")?
        .query_map([], |r| r.get::<_, String>(0))?
        .map(|f| f.map(|f| family(&f)))
        .filter_map(|f| f.transpose())
        .collect()
}

/// Writes the rows of update `update` (inside its transaction).
pub(super) fn insert_in(
    conn: &Connection,
    update: i64,
    targets: &[Target],
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let mut ins = conn.prepare_cached(
        "INSERT INTO outbox (work_update_id, family, ticket, endpoint, state, reason,
                             created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    )?;
    for t in targets {
        let state = match t.hold {
            Some(_) => OutboxState::Held,
            None => OutboxState::Queued,
        };
        ins.execute(params![
            update,
            t.family.as_str(),
            t.ticket,
            t.endpoint,
            state.as_str(),
            t.hold.as_ref().map(|h| h.reason(t.family)),
            to_millis(now),
        ])?;
    }
    Ok(())
}

const ROW_SQL: &str = "SELECT o.uid, o.work_update_id, o.family, o.ticket, o.endpoint, o.state,
        o.reason, o.attempts, o.next_try_at, o.remote_url, o.created_at, u.text, u.answered_at,
        o.sent_at
     FROM outbox o JOIN work_updates u ON u.id = o.work_update_id";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxRow> {
    Ok(OutboxRow {
        id: r.get(0)?,
        update_id: r.get(1)?,
        family: parsed(r, 2, family)?,
        ticket: r.get(3)?,
        endpoint: r.get(4)?,
        state: parsed(r, 5, OutboxState::parse)?,
        reason: r.get(6)?,
        attempts: r.get(7)?,
        next_try_at: r.get::<_, Option<i64>>(8)?.map(from_millis),
        remote_url: r.get(9)?,
        created_at: from_millis(r.get(10)?),
        update_text: r.get(11)?,
        answered_at: from_millis(r.get(12)?),
        sent_at: r.get::<_, Option<i64>>(13)?.map(from_millis),
    })
}

/// Why `devtrack sync cancel` refused.
#[derive(Debug, thiserror::Error)]
pub enum CancelError {
    #[error("no outbox item `{0}`")]
    Unknown(String),
    #[error("outbox item `{id}` is {} and cannot be cancelled", state.as_str())]
    Finished { id: String, state: OutboxState },
    #[error("outbox item `{id}` is {} (only a failed item is retried)", state.as_str())]
    NotFailed { id: String, state: OutboxState },
    #[error(transparent)]
    Store(#[from] PromptError),
}

impl Store {
    /// The outbox rows of updates answered at or after `since` (all when
    /// `None`), oldest first. Empty for a store older than the outbox.
    pub fn outbox(&self, since: Option<DateTime<Utc>>) -> Result<Vec<OutboxRow>, PromptError> {
        if self.schema < super::OUTBOX_SCHEMA {
            return Ok(Vec::new());
        }
        let sql = format!("{ROW_SQL} WHERE u.answered_at >= ?1 ORDER BY o.id");
        let since = since.map_or(i64::MIN, to_millis);
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_map([since], row)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Cancels row `id` (held, queued or failed): it is never sent.
    pub fn cancel_outbox(
        &mut self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<OutboxRow, CancelError> {
        let tx = self.conn.transaction().map_err(PromptError::from)?;
        let sql = format!("{ROW_SQL} WHERE o.uid = ?1");
        let found = tx
            .prepare_cached(&sql)
            .and_then(|mut s| s.query_row([id], row).optional())
            .map_err(PromptError::from)?;
        let Some(mut found) = found else {
            return Err(CancelError::Unknown(id.to_owned()));
        };
        if !matches!(
            found.state,
            OutboxState::Held | OutboxState::Queued | OutboxState::Failed
        ) {
            return Err(CancelError::Finished {
                id: id.to_owned(),
                state: found.state,
            });
        }
        let reason = "cancelled with `devtrack sync cancel`";
        tx.execute(
            "UPDATE outbox SET state = 'cancelled', reason = ?2, next_try_at = NULL,
                 updated_at = ?3 WHERE uid = ?1",
            params![id, reason, to_millis(now)],
        )
        .map_err(PromptError::from)?;
        tx.commit().map_err(PromptError::from)?;
        found.state = OutboxState::Cancelled;
        found.reason = Some(reason.to_owned());
        Ok(found)
    }
}

/// The reasons `devtrack sync push` releases: the first-push gate and
/// `auto_sync: false` (not a missing setting, not a missing repository).
fn pushable(family: Family) -> [String; 2] {
    use crate::sync::plan::Hold;
    [
        Hold::FirstPush.reason(family),
        Hold::AutoSyncOff.reason(family),
    ]
}

impl Store {
    /// `devtrack sync push` for `family`: records its first push (from now
    /// on nothing of it waits for one) and queues its rows held for the
    /// push or for `auto_sync: false`. Returns how many were queued.
    pub fn push_outbox(
        &mut self,
        family: Family,
        now: DateTime<Utc>,
    ) -> Result<usize, PromptError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT OR IGNORE INTO sync_integrations (family, first_push_at) VALUES (?1, ?2)",
            params![family.as_str(), to_millis(now)],
        )?;
        let [first, off] = pushable(family);
        let n = tx.execute(
            "UPDATE outbox SET state = 'queued', reason = NULL, next_try_at = NULL,
                 updated_at = ?2
             WHERE family = ?1 AND state = 'held' AND reason IN (?3, ?4)",
            params![family.as_str(), to_millis(now), first, off],
        )?;
        tx.commit()?;
        Ok(n)
    }

    /// The rows of update `update`, oldest first (empty for a store older
    /// than the outbox).
    pub fn outbox_of_update(&self, update: i64) -> Result<Vec<OutboxRow>, PromptError> {
        if self.schema < super::OUTBOX_SCHEMA {
            return Ok(Vec::new());
        }
        let sql = format!("{ROW_SQL} WHERE o.work_update_id = ?1 ORDER BY o.id");
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_map([update], row)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// The integrations that have had their first push.
    pub(crate) fn sync_pushed(&self) -> Result<Vec<Family>, PromptError> {
        if self.schema < super::OUTBOX_SCHEMA {
            return Ok(Vec::new());
        }
        Ok(pushed_in(&self.conn)?)
    }

    /// `family`'s rows held for a missing setting, now that it is there:
    /// to `state` with `reason` (queued, or held for the first push or
    /// `auto_sync: false`). Returns how many moved.
    pub(crate) fn outbox_configured(
        &mut self,
        family: Family,
        state: OutboxState,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<usize, PromptError> {
        if self.schema < super::OUTBOX_SCHEMA {
            return Ok(0);
        }
        Ok(self.conn.execute(
            "UPDATE outbox SET state = ?2, reason = ?3, updated_at = ?4
             WHERE family = ?1 AND state = 'held' AND reason LIKE 'waiting for configuration:%'",
            params![family.as_str(), state.as_str(), reason, to_millis(now)],
        )?)
    }

    /// `devtrack sync retry`: queues failed row `id`, or every failed row
    /// when `None`. Returns how many were queued.
    pub fn retry_outbox(
        &mut self,
        id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<usize, CancelError> {
        if let Some(id) = id {
            let found: Option<String> = self
                .conn
                .query_row("SELECT state FROM outbox WHERE uid = ?1", [id], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(PromptError::from)?;
            match found.as_deref().and_then(OutboxState::parse) {
                None => return Err(CancelError::Unknown(id.to_owned())),
                Some(OutboxState::Failed) => {}
                Some(state) => {
                    return Err(CancelError::NotFailed {
                        id: id.to_owned(),
                        state,
                    })
                }
            }
        }
        let n = self
            .conn
            .execute(
                "UPDATE outbox SET state = 'queued', reason = NULL, next_try_at = NULL,
                     updated_at = ?2
                 WHERE state = 'failed' AND (?1 IS NULL OR uid = ?1)",
                params![id, to_millis(now)],
            )
            .map_err(PromptError::from)?;
        Ok(n)
    }

    /// The rows the sender works on: queued, and those left `sending`.
    pub(crate) fn outbox_active(&self) -> Result<Vec<OutboxRow>, PromptError> {
        if self.schema < super::OUTBOX_SCHEMA {
            return Ok(Vec::new());
        }
        let sql = format!("{ROW_SQL} WHERE o.state IN ('queued', 'sending') ORDER BY o.id");
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_map([], row)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Marks row `id` `sending` before its request goes; counts the try.
    pub(crate) fn outbox_sending(
        &mut self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), PromptError> {
        self.conn.execute(
            "UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = ?2
             WHERE uid = ?1",
            params![id, to_millis(now)],
        )?;
        Ok(())
    }

    /// Row `id` is on the ticket: the comment's id and URL.
    pub(crate) fn outbox_sent(
        &mut self,
        id: &str,
        remote_id: Option<&str>,
        url: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), PromptError> {
        self.conn.execute(
            "UPDATE outbox SET state = 'sent', reason = NULL, next_try_at = NULL,
                 remote_id = ?2, remote_url = ?3, sent_at = ?4, updated_at = ?4
             WHERE uid = ?1",
            params![id, remote_id, url, to_millis(now)],
        )?;
        Ok(())
    }

    /// Row `id` goes back to `state` (failed, queued to try at `next`, or
    /// held) with `reason`.
    pub(crate) fn outbox_back(
        &mut self,
        id: &str,
        state: OutboxState,
        reason: &str,
        next: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), PromptError> {
        self.conn.execute(
            "UPDATE outbox SET state = ?2, reason = ?3, next_try_at = ?4, updated_at = ?5
             WHERE uid = ?1",
            params![
                id,
                state.as_str(),
                reason,
                next.map(to_millis),
                to_millis(now)
            ],
        )?;
        Ok(())
    }

    /// The exact request for `row` (its comment with its commits), or why
    /// it cannot be built (`Ok(Err)`: a missing setting or repository).
    pub(crate) fn outbox_request(
        &self,
        row: &OutboxRow,
        config: &crate::config::Config,
    ) -> Result<Result<crate::sync::request::Request, String>, PromptError> {
        let repos = crate::sync::remote::ConfigRepos { config };
        let commits = self.comment_commits(row, config, &repos)?;
        let comment = crate::sync::request::Comment {
            id: &row.id,
            text: &row.update_text,
            commits: &commits,
        };
        Ok(crate::sync::request::build(
            row.family,
            &row.ticket,
            row.endpoint.as_deref(),
            &config.integrations,
            &comment,
        ))
    }

    /// The commits listed under `row`'s comment: those of its update that
    /// reference its ticket, linked when their repository is on its forge.
    pub(crate) fn comment_commits(
        &self,
        row: &OutboxRow,
        config: &crate::config::Config,
        repos: &dyn crate::sync::remote::Repos,
    ) -> Result<Vec<crate::sync::request::CommitLine>, PromptError> {
        use crate::sync::plan::{self, Covered};
        use crate::sync::remote::Forge;
        let commits = self.update_commits(row.update_id)?;
        let families = crate::tickets::Families::enabled(&config.integrations);
        let mut out = Vec::new();
        for c in &commits {
            let covered = Covered {
                repo: &c.repo,
                summary: c.summary.as_deref(),
                branch: c.branch.as_deref(),
            };
            let remote = repos.facts(&c.repo).remote;
            if !plan::commit_references(
                row.family,
                &row.ticket,
                &covered,
                remote.as_ref(),
                families,
            ) {
                continue;
            }
            let forge = match row.family {
                Family::Github => Some(Forge::Github),
                Family::AzureDevops => Some(Forge::Azure),
                Family::Jira => None,
            };
            let link = remote
                .filter(|r| Some(r.forge) == forge)
                .map(|r| r.commit_url(&c.hash));
            out.push(crate::sync::request::CommitLine {
                short: c.hash.chars().take(7).collect(),
                summary: c.summary.clone().unwrap_or_default(),
                branch: c.branch.clone(),
                link,
            });
        }
        Ok(out)
    }
}

/// One enabled integration's items, summed up as `devtrack status`,
/// `devtrack doctor` and the status page show them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrationSummary {
    pub family: Family,
    /// `github: 4 sent today · 1 failing (401 Bad credentials)`.
    pub line: String,
    /// Items that failed and wait for `devtrack sync retry`.
    pub failing: usize,
}

/// The summary of each integration in `families`, from its outbox rows;
/// `midnight`: the start of today, for "sent today".
pub fn summarize(
    rows: &[OutboxRow],
    families: Families,
    midnight: DateTime<Utc>,
) -> Vec<IntegrationSummary> {
    [Family::Github, Family::Jira, Family::AzureDevops]
        .into_iter()
        .filter(|f| families.contains(*f))
        .map(|family| {
            let mine: Vec<&OutboxRow> = rows.iter().filter(|r| r.family == family).collect();
            let sent = mine
                .iter()
                .filter(|r| {
                    r.state == OutboxState::Sent && r.sent_at.is_some_and(|t| t >= midnight)
                })
                .count();
            let failing: Vec<&OutboxRow> = mine
                .iter()
                .copied()
                .filter(|r| r.state == OutboxState::Failed)
                .collect();
            let held = mine.iter().filter(|r| r.state == OutboxState::Held).count();
            IntegrationSummary {
                family,
                line: status_line(family, sent, &failing, held),
                failing: failing.len(),
            }
        })
        .collect()
}

/// `devtrack status`'s line for one integration: `github: 4 sent today ·
/// 1 failing (401 Bad credentials)` (the first failure's reason).
fn status_line(family: Family, sent_today: usize, failing: &[&OutboxRow], held: usize) -> String {
    let mut line = format!("{}: {sent_today} sent today", family.as_str());
    if let Some(first) = failing.first() {
        let _ = write!(
            line,
            " · {} failing ({})",
            failing.len(),
            first.reason.as_deref().unwrap_or("no reason")
        );
    }
    if held > 0 {
        let _ = write!(line, " · {held} held (`devtrack sync`)");
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_per_integration() {
        let failed = OutboxRow {
            id: "a".into(),
            update_id: 1,
            family: Family::Github,
            ticket: "o/r#1".into(),
            endpoint: None,
            state: OutboxState::Failed,
            reason: Some("401 Bad credentials".into()),
            attempts: 1,
            next_try_at: None,
            remote_url: None,
            sent_at: None,
            created_at: Utc::now(),
            update_text: String::new(),
            answered_at: Utc::now(),
        };
        let cases: Vec<(usize, Vec<&OutboxRow>, usize, &str)> = vec![
            (0, vec![], 0, "github: 0 sent today"),
            (
                4,
                vec![&failed],
                0,
                "github: 4 sent today · 1 failing (401 Bad credentials)",
            ),
            (
                1,
                vec![],
                2,
                "github: 1 sent today · 2 held (`devtrack sync`)",
            ),
        ];
        for (sent, failing, held, want) in cases {
            assert_eq!(status_line(Family::Github, sent, &failing, held), want);
        }
    }
}
