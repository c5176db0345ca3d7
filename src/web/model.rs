//! What the status page shows, as plain data: built by [`build`] from the
//! store's report data for today and the week, the config and the daemon's
//! status, so the renderers in `page` never read anything. [`load`] is the
//! one function that reads (the store, on its own read-only connection).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

use crate::config::Config;
use crate::display::human_duration;
use crate::protocol::{RepoState, Status};
use crate::report::period::resolve;
use crate::report::read::{data, options};
use crate::report::{self, Format, GroupBy, Period, Spec};
use crate::store::{summarize, IntegrationSummary, PromptState, ReportData, Store};
use crate::tickets::Families;

/// Everything the page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct PageModel {
    pub now: DateTime<Utc>,
    pub tz: Tz,
    /// The day as its timeline spans it: work hours, widened to every mark
    /// of the day and to now.
    pub axis: (DateTime<Utc>, DateTime<Utc>),
    /// Today's work hours, when today is a work day.
    pub work: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// One lane per repository with commits today, by name.
    pub lanes: Vec<Lane>,
    pub prompts: Vec<PromptMark>,
    /// Times prompts are paused, as far as the day goes.
    pub pauses: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    pub open_prompt: Option<OpenPrompt>,
    /// `devtrack report --today`, as text.
    pub standup: String,
    /// The last seven days, oldest first.
    pub week: Vec<WeekDay>,
    pub health: Vec<HealthItem>,
}

/// A repository's commits today.
#[derive(Debug, Clone, PartialEq)]
pub struct Lane {
    pub repo: String,
    pub commits: Vec<CommitMark>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CommitMark {
    pub at: DateTime<Utc>,
    pub hash: String,
    pub summary: String,
}

/// A prompt of the day and what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptMark {
    pub id: i64,
    pub opened_at: DateTime<Utc>,
    pub outcome: PromptState,
    /// When it reached its outcome (the answer's time when answered).
    pub outcome_at: DateTime<Utc>,
}

/// The prompt waiting for an answer.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenPrompt {
    pub id: i64,
    pub opened_at: DateTime<Utc>,
    pub summary: String,
    pub snoozed_until: Option<DateTime<Utc>>,
}

/// One day of the week view.
#[derive(Debug, Clone, PartialEq)]
pub struct WeekDay {
    pub date: NaiveDate,
    /// Commits per repository, by name.
    pub commits: Vec<(String, u32)>,
    pub updates: u32,
}

/// One line of the health section: `doctor`'s checks have this shape.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthItem {
    pub status: HealthStatus,
    pub name: String,
    pub detail: String,
    pub fix: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthStatus {
    Ok,
    Warning,
    Failure,
}

impl HealthStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            HealthStatus::Ok => "ok",
            HealthStatus::Warning => "warning",
            HealthStatus::Failure => "failure",
        }
    }
}

/// What [`build`] reads.
pub struct Inputs<'a> {
    pub now: DateTime<Utc>,
    pub config: &'a Config,
    pub today: Period,
    pub today_data: ReportData,
    /// The last seven days, today included.
    pub week_data: ReportData,
    pub status: Option<&'a Status>,
}

/// Reads the store at `database` for today and the week before `now`.
pub fn load(
    database: &Path,
    config: &Config,
    status: Option<&Status>,
    now: DateTime<Utc>,
) -> Result<PageModel> {
    let tz = config.settings.timezone;
    let today = resolve(Spec::Today, now, tz, config.settings.work_hours.days)
        .map_err(anyhow::Error::msg)?;
    let mut week = today.clone();
    week.start = local_midnight(tz, today.dates().0 - Duration::days(6)).unwrap_or(today.start);
    let today_start = today.start;
    let mut model = build(Inputs {
        now,
        config,
        today_data: data(database, &today)?,
        week_data: data(database, &week)?,
        today,
        status,
    });
    let families = Families::enabled(&config.integrations);
    if families != Families::NONE && database.exists() {
        let rows = Store::open_read_only(database)?.outbox(None)?;
        let sync = summarize(&rows, families, today_start);
        model.health = with_sync(std::mem::take(&mut model.health), &sync);
    }
    Ok(model)
}

/// The ticket sync's line per enabled integration (`devtrack status`'s),
/// before the daemon's own line: a failure while items failed.
pub fn with_sync(items: Vec<HealthItem>, sync: &[IntegrationSummary]) -> Vec<HealthItem> {
    let (mut kept, daemon): (Vec<_>, Vec<_>) = items.into_iter().partition(|i| i.name != "daemon");
    kept.extend(sync.iter().map(|s| HealthItem {
        status: if s.failing > 0 {
            HealthStatus::Failure
        } else {
            HealthStatus::Ok
        },
        name: format!("sync {}", s.family.as_str()),
        detail: s.line.clone(),
        fix: (s.failing > 0).then(|| "devtrack sync retry --failed".to_owned()),
    }));
    kept.extend(daemon);
    kept
}

/// The page model; pure.
pub fn build(inputs: Inputs<'_>) -> PageModel {
    let Inputs {
        now,
        config,
        today,
        today_data,
        week_data,
        status,
    } = inputs;
    let tz = config.settings.timezone;
    let date = today.dates().0;
    let hours = &config.settings.work_hours;
    let work = hours
        .days
        .contains(chrono::Datelike::weekday(&date))
        .then(|| {
            let at = |minutes: u32| {
                local_midnight(tz, date).map(|m| m + Duration::minutes(i64::from(minutes)))
            };
            Some((at(hours.start.minutes())?, at(hours.end.minutes())?))
        })
        .flatten();

    let mut lanes: BTreeMap<String, Vec<CommitMark>> = BTreeMap::new();
    for c in &today_data.commits {
        lanes.entry(c.repo.clone()).or_default().push(CommitMark {
            at: c.committed_at.unwrap_or(c.recorded_at),
            hash: c.hash.clone(),
            summary: c.summary.clone().unwrap_or_default(),
        });
    }
    let answered: BTreeMap<i64, DateTime<Utc>> = today_data
        .updates
        .iter()
        .filter_map(|u| Some((u.prompt_id?, u.answered_at)))
        .collect();
    let prompts: Vec<PromptMark> = today_data
        .prompts
        .iter()
        .map(|p| PromptMark {
            id: p.id,
            opened_at: p.opened_at,
            outcome: p.state,
            outcome_at: match p.state {
                PromptState::Answered => answered.get(&p.id).copied().unwrap_or(p.state_at),
                _ => p.state_at,
            },
        })
        .collect();

    // The axis: work hours (or the whole day), widened to every mark and
    // to now, on whole hours.
    let (day_start, day_end) = (today.start, today.end);
    let marks = lanes
        .values()
        .flatten()
        .map(|c| c.at)
        .chain(prompts.iter().flat_map(|p| [p.opened_at, p.outcome_at]))
        .chain((now >= day_start && now < day_end).then_some(now));
    let (mut lo, mut hi) = work.unwrap_or((day_start, day_end));
    for at in marks {
        lo = lo.min(at);
        hi = hi.max(at);
    }
    let axis = (
        floor_hour(lo.max(day_start), tz),
        ceil_hour(hi.min(day_end), tz).max(lo + Duration::hours(1)),
    );

    let pauses = status
        .filter(|s| s.scheduler.paused)
        .map(|s| {
            let until = s.scheduler.paused_until.unwrap_or(axis.1).min(axis.1);
            vec![(now.max(axis.0), until.max(now))]
        })
        .unwrap_or_default();
    let open_prompt = status.and_then(|s| s.prompt.as_ref()).map(|p| OpenPrompt {
        id: p.id,
        opened_at: p.opened_at,
        summary: p.summary.clone(),
        snoozed_until: p.reopens_at,
    });

    let standup = report::render(
        &report::build(today_data, today, &options(config, GroupBy::Repo)),
        Format::Text,
    );
    PageModel {
        now,
        tz,
        axis,
        work,
        lanes: lanes
            .into_iter()
            .map(|(repo, commits)| Lane { repo, commits })
            .collect(),
        prompts,
        pauses,
        open_prompt,
        standup,
        week: week_days(&week_data, date, tz),
        health: status.map(health_from_status).unwrap_or_default(),
    }
}

/// Commits per repository and updates on each of the seven days up to
/// `last`.
fn week_days(data: &ReportData, last: NaiveDate, tz: Tz) -> Vec<WeekDay> {
    let mut days: BTreeMap<NaiveDate, (BTreeMap<String, u32>, u32)> = (0..7)
        .map(|back| (last - Duration::days(back), Default::default()))
        .collect();
    for c in &data.commits {
        let day = c
            .committed_at
            .unwrap_or(c.recorded_at)
            .with_timezone(&tz)
            .date_naive();
        if let Some((repos, _)) = days.get_mut(&day) {
            *repos.entry(c.repo.clone()).or_default() += 1;
        }
    }
    for u in &data.updates {
        let day = u.answered_at.with_timezone(&tz).date_naive();
        if let Some((_, updates)) = days.get_mut(&day) {
            *updates += 1;
        }
    }
    days.into_iter()
        .map(|(date, (commits, updates))| WeekDay {
            date,
            commits: commits.into_iter().collect(),
            updates,
        })
        .collect()
}

/// The health lines the daemon's status gives today: the store, the last
/// reload, each delivery channel in trouble, each repository not watched,
/// and the process itself.
pub fn health_from_status(s: &Status) -> Vec<HealthItem> {
    let mut items = Vec::new();
    let item = |status, name: &str, detail: String, fix: Option<&str>| HealthItem {
        status,
        name: name.to_string(),
        detail,
        fix: fix.map(str::to_string),
    };
    items.push(match &s.store_error {
        Some(e) => item(HealthStatus::Failure, "store", e.clone(), None),
        None => item(HealthStatus::Ok, "store", "takes writes".into(), None),
    });
    if let Some(e) = &s.reload_error {
        items.push(item(
            HealthStatus::Warning,
            "config",
            e.clone(),
            Some("devtrack config check"),
        ));
    }
    for p in &s.channel_problems {
        items.push(item(
            HealthStatus::Warning,
            &format!("channel {}", p.channel.as_str()),
            p.detail.clone(),
            None,
        ));
    }
    for r in &s.repositories {
        let why = match &r.state {
            RepoState::Missing { reason } | RepoState::Unsupported { reason } => reason.clone(),
            _ => continue,
        };
        items.push(item(
            HealthStatus::Warning,
            &format!("repository {}", r.name),
            why,
            None,
        ));
    }
    items.push(item(
        HealthStatus::Ok,
        "daemon",
        format!(
            "version {}, pid {}, up {}",
            s.version,
            s.pid,
            human_duration(s.uptime_secs)
        ),
        None,
    ));
    items
}

/// The health section with the doctor's view added: its failures and
/// warnings (`doctor::health`, already failures first) go before the
/// daemon's own line, and they replace the status' lines about
/// repositories, which the doctor says again with their fix.
pub fn with_doctor(status_items: Vec<HealthItem>, doctor: Vec<HealthItem>) -> Vec<HealthItem> {
    let (mut kept, daemon): (Vec<_>, Vec<_>) = status_items
        .into_iter()
        .filter(|i| !i.name.starts_with("repository "))
        .partition(|i| i.name != "daemon");
    kept.extend(doctor);
    kept.extend(daemon);
    kept
}

fn local_midnight(tz: Tz, date: NaiveDate) -> Option<DateTime<Utc>> {
    tz.from_local_datetime(&date.and_hms_opt(0, 0, 0)?)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

fn floor_hour(t: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    let local = t.with_timezone(&tz);
    t - Duration::minutes(i64::from(local.minute()))
        - Duration::seconds(i64::from(local.second()))
        - Duration::nanoseconds(i64::from(local.nanosecond()))
}

fn ceil_hour(t: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    let floor = floor_hour(t, tz);
    if floor == t {
        t
    } else {
        floor + Duration::hours(1)
    }
}
