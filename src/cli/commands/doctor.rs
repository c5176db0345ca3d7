//! `devtrack doctor [--json]`: gathers the facts (the service manager's,
//! the daemon's own view through the `doctor` request, the files), runs
//! the checks of `crate::doctor` and prints them; exit 1 when one failed.

use crate::cli::client::{Client, ClientError};
use crate::cli::commands::sync::summaries;
use crate::cli::{out, CliError, Context};
use crate::config::Config;
use crate::doctor::{self, gather, DaemonFacts, Facts, SyncFacts};
use crate::exit::{Explain, Status};
use crate::protocol::{Command, Response};
use crate::service;
use crate::sync::{plan, token};

/// How long the daemon may take to answer `doctor`: its bus probe is
/// bounded by 5 s.
const ANSWER: std::time::Duration = std::time::Duration::from_secs(15);

/// What the daemon says to `doctor`.
fn ask_daemon(ctx: &Context) -> DaemonFacts {
    // The daemon asks its bus (at most `PROBE` there): longer than the
    // usual answer.
    let reply = Client::connect(&ctx.paths.socket).and_then(|mut c| {
        c.set_read_timeout(Some(ANSWER))?;
        c.request(Command::Doctor)
    });
    match reply {
        Ok(Response::Doctor { doctor, .. }) => DaemonFacts::Running(doctor),
        Ok(Response::Failed(f)) => DaemonFacts::NotAnswering(format!(
            "it refused `doctor` ({}); an older daemon runs",
            f.error
        )),
        Ok(other) => DaemonFacts::NotAnswering(format!("unexpected reply {other:?}")),
        Err(ClientError::NotRunning { .. }) => DaemonFacts::NotRunning,
        Err(e) => DaemonFacts::NotAnswering(e.explained()),
    }
}

pub(crate) fn run(ctx: &Context, json: bool) -> Result<Status, CliError> {
    let loaded = ctx.config();
    let facts = Facts {
        version: env!("CARGO_PKG_VERSION").to_string(),
        service: Some(service::backend().doctor_facts()),
        daemon: Some(ask_daemon(ctx)),
        config: gather::config(&ctx.paths, loaded.as_ref().map(|c| *c)),
        repositories: loaded
            .as_ref()
            .map(|c| gather::repositories(c))
            .unwrap_or_default(),
        inotify: gather::inotify(),
        store: gather::store(&ctx.paths.database),
        clock: gather::clock(),
        integrations: loaded
            .as_ref()
            .map(|c| integrations(ctx, c))
            .unwrap_or_default(),
    };
    let checks = doctor::run_checks(&facts);
    if json {
        out::line(&doctor::to_json(&checks))?;
    } else {
        out::print(&doctor::render(&checks))?;
    }
    Ok(if doctor::failed(&checks) {
        Status::Failure
    } else {
        Status::Ok
    })
}

/// Each enabled integration: what its config lacks, where the shell finds
/// its token (a `token_command` is run, as the sender would), and its
/// items as `devtrack status` sums them.
fn integrations(ctx: &Context, config: &Config) -> Vec<SyncFacts> {
    let file = ctx
        .paths
        .config_file
        .exists()
        .then_some(ctx.paths.config_file.as_path());
    let lookup = token::Lookup {
        env: &token::process_env,
        config: file,
    };
    summaries(ctx)
        .into_iter()
        .map(|s| SyncFacts {
            integration: s.family.as_str().to_owned(),
            missing: plan::missing(s.family, &config.integrations),
            token: token::find(s.family, &config.integrations, None, &lookup)
                .map(|(_, source)| source.to_string()),
            summary: s.line,
            failing: s.failing,
        })
        .collect()
}
