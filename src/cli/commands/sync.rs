//! `devtrack sync`: the outbox of updates to post to GitHub, Jira and Azure
//! DevOps (docs/sync.md). `sync` counts each integration's rows by state
//! and lists the ones that wait or failed with the reason; `sync preview`
//! prints exactly the requests that would be sent for the held and queued
//! ones; `sync cancel` drops one. All read the store directly, so they
//! work whether or not the daemon runs. `sync push` and `sync retry`
//! change the store too, then ask a running daemon to send now; with the
//! daemon stopped the items go when it starts.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::Utc;
use serde::Serialize;

use crate::cli::args::{SyncArgs, SyncCommand};
use crate::cli::time::parse_since;
use crate::cli::{out, CliError, Context};
use crate::config::Config;
use crate::exit::Status;
use crate::protocol::{Command, Response};
use crate::store::{self, summarize, OutboxRow, OutboxState, Store};
use crate::sync::plan;
use crate::tickets::{Families, Family};

const FAMILIES: [Family; 3] = [Family::Github, Family::Jira, Family::AzureDevops];

pub(crate) fn run(ctx: &Context, args: &SyncArgs) -> Result<Status, CliError> {
    match &args.command {
        None => summary(ctx, args.json),
        Some(SyncCommand::Preview { since }) => preview(ctx, since.as_deref()),
        Some(SyncCommand::Cancel { id }) => cancel(ctx, id),
        Some(SyncCommand::Push { integration }) => push(ctx, integration.as_deref()),
        Some(SyncCommand::Retry { id, .. }) => retry(ctx, id.as_deref()),
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

/// Where each integration's token will come from, in order (none is read
/// here: the daemon reads it when it sends).
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
    /// The item sent last (its ticket, time and link).
    #[serde(skip_serializing_if = "Option::is_none")]
    last_sent: Option<&'a OutboxRow>,
    waiting: Vec<&'a OutboxRow>,
}

fn summary(ctx: &Context, json: bool) -> Result<Status, CliError> {
    let config = ctx.config()?;
    let tz = crate::cli::zone::configured(ctx);
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
            last_sent: mine
                .iter()
                .copied()
                .filter(|r| r.state == OutboxState::Sent)
                .max_by_key(|r| r.sent_at),
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
        if let Some(last) = s.last_sent {
            let _ = writeln!(
                text,
                "  last sent: {} {}{}",
                last.ticket,
                last.sent_at
                    .map(|t| crate::display::stamp(t, tz))
                    .unwrap_or_default(),
                last.remote_url
                    .as_deref()
                    .map(|u| format!(" {u}"))
                    .unwrap_or_default()
            );
        }
        if s.enabled {
            let _ = writeln!(
                text,
                "  token: {} (read by the daemon when it sends)",
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
    out::print(&text)?;
    Ok(Status::Ok)
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
        match store
            .outbox_request(row, config)
            .map_err(|e| CliError::failed(format!("reading the update's commits: {e}")))?
        {
            Ok(req) => {
                let _ = writeln!(text, "{req}");
            }
            Err(why) => {
                let _ = writeln!(text, "(not sendable: {why})\n");
            }
        }
    }
    text.push_str("(nothing was sent: `devtrack sync push` sends the held items)\n");
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

/// Asks a running daemon to look at the outbox now; what to tell the
/// person about when the items go.
fn wake_daemon(ctx: &Context) -> &'static str {
    let answered = crate::cli::client::Client::connect(&ctx.paths.socket)
        .ok()
        .and_then(|mut c| c.request(Command::SyncNow).ok());
    match answered {
        Some(Response::Done { .. }) => {
            "the daemon is sending them now (`devtrack sync` shows how it went)"
        }
        _ => "the daemon is not running: they go when it starts",
    }
}

fn push(ctx: &Context, integration: Option<&str>) -> Result<Status, CliError> {
    let config = ctx.config()?;
    let families = Families::enabled(&config.integrations);
    let chosen: Vec<Family> = match integration {
        Some(name) => {
            let family = FAMILIES
                .into_iter()
                .find(|f| f.as_str() == name)
                .ok_or_else(|| CliError::usage(format!("unknown integration `{name}`")))?;
            if !families.contains(family) {
                return Err(CliError::usage(format!(
                    "{name} is not enabled; set integrations.{name}.enabled: true"
                )));
            }
            vec![family]
        }
        None => FAMILIES
            .into_iter()
            .filter(|f| families.contains(*f))
            .collect(),
    };
    if chosen.is_empty() {
        return Err(CliError::usage(
            "no integration is enabled (integrations.<name>.enabled)".to_owned(),
        ));
    }
    let mut store = Store::open(&ctx.paths.database)?;
    let mut text = String::new();
    let mut total = 0;
    for family in chosen {
        let n = store
            .push_outbox(family, Utc::now())
            .map_err(|e| CliError::failed(format!("updating the outbox: {e}")))?;
        total += n;
        let auto = if config.settings.auto_sync {
            "from now on new updates go by themselves (auto_sync: true)"
        } else {
            "new updates wait for the next push (auto_sync: false)"
        };
        let _ = writeln!(
            text,
            "{}: {} queued; {auto}",
            family.as_str(),
            crate::display::plural(n as u64, "update", "updates")
        );
    }
    drop(store);
    if total > 0 {
        let _ = writeln!(text, "{}", wake_daemon(ctx));
    }
    out::print(&text)?;
    Ok(Status::Ok)
}

fn retry(ctx: &Context, id: Option<&str>) -> Result<Status, CliError> {
    let mut store = Store::open(&ctx.paths.database)?;
    let n = store
        .retry_outbox(id, Utc::now())
        .map_err(|e| CliError::failed(e.to_string()))?;
    drop(store);
    if n == 0 {
        out::line("no failed items")?;
        return Ok(Status::Ok);
    }
    out::line(&format!(
        "{} queued again; {}",
        crate::display::plural(n as u64, "item", "items"),
        wake_daemon(ctx)
    ))?;
    Ok(Status::Ok)
}

/// The lines `devtrack status` shows for the enabled integrations, read
/// from the store (empty without one, or with none enabled).
pub(crate) fn status_lines(ctx: &Context) -> String {
    let mut text = String::new();
    for summary in summaries(ctx) {
        let _ = writeln!(text, "{}", summary.line);
    }
    text
}

/// Each enabled integration's summary (none without a store or a valid
/// config).
pub(crate) fn summaries(ctx: &Context) -> Vec<store::IntegrationSummary> {
    let Ok(config) = ctx.config() else {
        return Vec::new();
    };
    let Ok(rows) = rows(ctx, None) else {
        return Vec::new();
    };
    let tz = crate::cli::zone::configured(ctx);
    let midnight = Utc::now()
        .with_timezone(&tz)
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(tz).earliest())
        .map_or_else(Utc::now, |t| t.with_timezone(&Utc));
    summarize(&rows, Families::enabled(&config.integrations), midnight)
}
