//! Reading a report from the store: the one place `devtrack report` and
//! the status page's standup and `/api/report` get theirs, so both say the
//! same. The rest of the report module stays pure.

use std::path::Path;

use anyhow::{Context as _, Result};

use crate::config::Config;
use crate::report::{build, render, Format, GroupBy, Options, Period};
use crate::store::{ReportData, Store};
use crate::tickets::Families;

/// What the builder needs from `config`, grouped `by`.
pub(crate) fn options(config: &Config, by: GroupBy) -> Options {
    Options {
        by,
        families: Families::enabled(&config.integrations),
        projects: config
            .repositories
            .iter()
            .filter_map(|r| Some((r.name.clone(), r.project.clone()?)))
            .collect(),
    }
}

/// The store's data for `period` from the store at `database` (none yet:
/// an empty report).
pub(crate) fn data(database: &Path, period: &Period) -> Result<ReportData> {
    if database.exists() {
        Store::open_read_only(database)?
            .report_data(period.start, period.end)
            .context("reading the store")
    } else {
        Ok(ReportData::default())
    }
}

/// The report of `period` from the store at `database`, as `format`.
pub fn generate(
    database: &Path,
    config: &Config,
    period: Period,
    format: Format,
    by: GroupBy,
) -> Result<String> {
    let data = data(database, &period)?;
    Ok(render(&build(data, period, &options(config, by)), format))
}
