//! `devtrack sync`: the outbox of updates to post to GitHub, Jira and Azure
//! DevOps (docs/sync.md). `sync` counts each integration's rows by state
//! and lists the ones that wait or failed with the reason; `sync preview`
//! prints exactly the requests that would be sent for the held and queued
//! ones; `sync cancel` drops one. All read the store directly, so they
//! work whether or not the daemon runs. Sending (`sync push`, `sync
//! retry`) is not built yet.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::Utc;
use serde::Serialize;

use crate::cli::args::{SyncArgs, SyncCommand};
use crate::cli::time::parse_since;
use crate::cli::{out, CliError, Context};
use crate::config::Config;
use crate::exit::Status;
use crate::store::{OutboxRow, OutboxState, Store};
use crate::sync::plan::{self, Covered};
use crate::sync::remote::{ConfigRepos, Forge, Repos};
use crate::sync::request::{self, Comment, CommitLine};
use crate::tickets::{Families, Family};

const FAMILIES: [Family; 3] = [Family::Github, Family::Jira, Family::AzureDevops];

pub(crate) fn run(ctx: &Context, args: &SyncArgs) -> Result<Status, CliError> {
    match &args.command {
        None => summary(ctx, args.json),
        Some(SyncCommand::Preview { since }) => preview(ctx, since.as_deref()),
        Some(SyncCommand::Cancel { id }) => cancel(ctx, id),
    }
}

/// The store's rows, or none when there is no store yet.
fn rows(ctx: &Context, since: Option<chrono::DateTime<Utc>>) -> Result<Vec<OutboxRow>, CliError> {
    if !ctx.paths.database.exists() {
        return Ok(Vec::new());
    }
    let store = Store::open_read_only(&ctx.paths.database)?;
    store
        .outbox(since)
        .map_err(|e| CliError::failed(format!("reading the outbox: {e}")))
}

/// Where each integration's token will come from (sending is not built
/// yet, so none is read).
fn token_sources(config: &Config, family: Family) -> String {
    let (credential, env, command) = match family {
        Family::Github => (
            "devtrack-github",
            "DEVTRACK_GITHUB_TOKEN, GH_TOKEN, GITHUB_TOKEN",
            &config.integrations.github.token_command,
        ),
        Family::Jira => (
            "devtrack-jira",
            "DEVTRACK_JIRA_TOKEN, JIRA_API_TOKEN",
            &config.integrations.jira.token_command,
        ),
        Family::AzureDevops => (
            "devtrack-azure",
            "DEVTRACK_AZURE_TOKEN, AZURE_DEVOPS_EXT_PAT",
            &config.integrations.azure_devops.token_command,
        ),
    };
    let mut text = format!("$CREDENTIALS_DIRECTORY/{credential}, then {env}");
    if let Some(argv) = command {
        let _ = write!(text, ", then token_command {argv:?}");
    }
    if family == Family::Github {
        text.push_str(", then `gh auth token`");
    }
    text
}

#[derive(Serialize)]
struct IntegrationSummary<'a> {
    integration: Family,
    enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    missing: Option<String>,
    counts: BTreeMap<&'static str, usize>,
    waiting: Vec<&'a OutboxRow>,
}

fn summary(ctx: &Context, json: bool) -> Result<Status, CliError> {
    let config = ctx.config()?;
    let rows = rows(ctx, None)?;
    let families = Families::enabled(&config.integrations);
    let mut summaries = Vec::new();
    for family in FAMILIES {
        let mine: Vec<&OutboxRow> = rows.iter().filter(|r| r.family == family).collect();
        if !families.contains(family) && mine.is_empty() {
            continue;
        }
        let mut counts = BTreeMap::new();
        for state in OutboxState::ALL {
            let n = mine.iter().filter(|r| r.state == state).count();
            if n > 0 {
                counts.insert(state.as_str(), n);
            }
        }
        summaries.push(IntegrationSummary {
            integration: family,
            enabled: families.contains(family),
            missing: plan::missing(family, &config.integrations),
            counts,
            waiting: mine
                .into_iter()
                .filter(|r| matches!(r.state, OutboxState::Held | OutboxState::Failed))
                .collect(),
        });
    }
    if json {
        let text = serde_json::to_string(&summaries)
            .map_err(|e| CliError::failed(format!("writing JSON: {e}")))?;
        out::line(&text)?;
        return Ok(Status::Ok);
    }
    let mut text = String::new();
    if summaries.is_empty() {
        text.push_str("no integration is enabled (integrations.<name>.enabled)\n");
    }
    for s in &summaries {
        let name = s.integration.as_str();
        let counts: Vec<String> = s.counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
        let counts = if counts.is_empty() {
            "nothing yet".to_owned()
        } else {
            counts.join(" · ")
        };
        let disabled = if s.enabled { "" } else { " (disabled)" };
        let _ = writeln!(text, "{name}{disabled}: {counts}");
        if let Some(missing) = &s.missing {
            let _ = writeln!(text, "  needs: {missing}");
        }
        if s.enabled {
            let _ = writeln!(
                text,
                "  token: {} (read when sending is built)",
                token_sources(config, s.integration)
            );
        }
        for r in &s.waiting {
            let _ = writeln!(
                text,
                "  {} {} {} (update #{}): {}",
                r.id,
                r.state.as_str(),
                r.ticket,
                r.update_id,
                r.reason.as_deref().unwrap_or("")
            );
        }
    }
    text.push_str(
        "sending is not built yet: nothing leaves this machine (`devtrack sync preview` shows the requests)\n",
    );
    out::print(&text)?;
    Ok(Status::Ok)
}

/// The commits listed under `row`'s comment: those of its update that
/// reference its ticket, linked when their repository is on its forge.
fn commit_lines(
    store: &Store,
    row: &OutboxRow,
    config: &Config,
    repos: &dyn Repos,
) -> Result<Vec<CommitLine>, CliError> {
    let commits = store
        .update_commits(row.update_id)
        .map_err(|e| CliError::failed(format!("reading the update's commits: {e}")))?;
    let families = Families::enabled(&config.integrations);
    let mut out = Vec::new();
    for c in &commits {
        let covered = Covered {
            repo: &c.repo,
            summary: c.summary.as_deref(),
            branch: c.branch.as_deref(),
        };
        let remote = repos.facts(&c.repo).remote;
        if !plan::commit_references(row.family, &row.ticket, &covered, remote.as_ref(), families) {
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
        out.push(CommitLine {
            short: c.hash.chars().take(7).collect(),
            summary: c.summary.clone().unwrap_or_default(),
            branch: c.branch.clone(),
            link,
        });
    }
    Ok(out)
}

fn preview(ctx: &Context, since: Option<&str>) -> Result<Status, CliError> {
    let config = ctx.config()?;
    let tz = crate::cli::zone::configured(ctx);
    let since = since
        .map(|s| parse_since(s, Utc::now(), &tz))
        .transpose()
        .map_err(CliError::usage)?;
    let rows = rows(ctx, since)?;
    let waiting: Vec<&OutboxRow> = rows
        .iter()
        .filter(|r| matches!(r.state, OutboxState::Held | OutboxState::Queued))
        .collect();
    if waiting.is_empty() {
        out::line("nothing to send: no held or queued updates")?;
        return Ok(Status::Ok);
    }
    let store = Store::open_read_only(&ctx.paths.database)?;
    let repos = ConfigRepos { config };
    let mut text = String::new();
    for row in waiting {
        let _ = writeln!(
            text,
            "# {} · {} {} · update #{} · {}{}",
            row.id,
            row.family.as_str(),
            row.ticket,
            row.update_id,
            row.state.as_str(),
            row.reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        );
        let commits = commit_lines(&store, row, config, &repos)?;
        let comment = Comment {
            id: &row.id,
            text: &row.update_text,
            commits: &commits,
        };
        match request::build(
            row.family,
            &row.ticket,
            row.endpoint.as_deref(),
            &config.integrations,
            &comment,
        ) {
            Ok(req) => {
                let _ = writeln!(text, "{req}");
            }
            Err(why) => {
                let _ = writeln!(text, "(not sendable: {why})\n");
            }
        }
    }
    text.push_str("(sending is not built yet: nothing was sent)\n");
    out::print(&text)?;
    Ok(Status::Ok)
}

fn cancel(ctx: &Context, id: &str) -> Result<Status, CliError> {
    let mut store = Store::open(&ctx.paths.database)?;
    let row = store
        .cancel_outbox(id, Utc::now())
        .map_err(|e| CliError::failed(e.to_string()))?;
    out::line(&format!(
        "cancelled {}: {} {} (update #{}) will not be posted",
        row.id,
        row.family.as_str(),
        row.ticket,
        row.update_id
    ))?;
    Ok(Status::Ok)
}
