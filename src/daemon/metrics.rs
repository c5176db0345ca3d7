//! `devtrack metrics` (and the web side's `/metrics`): the daemon's
//! counters and gauges as OpenMetrics text, built when asked, from the
//! store's totals (so counters survive restarts), the daemon's state and
//! `/proc/self`; nothing is counted in memory and no timer runs.
//!
//! [`encode`] is pure: a [`Snapshot`] in, the text out, every known label
//! value present (0 when nothing happened), no per-repository label
//! (repository names are private and their number unbounded).
//! [`Daemon::openmetrics`] gathers the snapshot. The text is written by
//! `prometheus-client`, the OpenMetrics encoder the Prometheus project
//! keeps; it has no process collector, so the standard `process_*`
//! metrics come from [`crate::procfs`].

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;

use anyhow::Result;
use prometheus_client::encoding::text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

use super::state::Daemon;
use crate::procfs::{self, Usage};
use crate::protocol::{Channel, CommitKind, MissReason, PromptState, RepoState, TriggerKind};
use crate::store::{self, OutboxState, ReloadResult, Totals, UpdateSource};
use crate::tickets::Family as Ticket;

/// Everything one exposition shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Snapshot {
    pub totals: Totals,
    /// Configured repositories by state name.
    pub repositories: BTreeMap<String, u64>,
    /// A prompt is open (outstanding and not snoozed).
    pub prompt_open: bool,
    /// The desktop channel runs and a notification server owns its name.
    pub notification_server: bool,
    pub usage: Usage,
    pub store_bytes: Option<u64>,
    pub wal_bytes: Option<u64>,
}

type Labels = Vec<(&'static str, String)>;

/// `counts` with every name of `known` present.
fn filled<'a>(
    known: impl IntoIterator<Item = &'a str>,
    counts: &BTreeMap<String, u64>,
) -> BTreeMap<String, u64> {
    let mut all = counts.clone();
    for name in known {
        all.entry(name.to_string()).or_insert(0);
    }
    all
}

/// A counter family of one label.
fn counters(
    registry: &mut Registry,
    name: &str,
    help: &str,
    label: &'static str,
    counts: &BTreeMap<String, u64>,
) {
    let family = Family::<Labels, Counter>::default();
    for (value, n) in counts {
        family
            .get_or_create(&vec![(label, value.clone())])
            .inc_by(*n);
    }
    registry.register(name, help, family);
}

fn gauge(registry: &mut Registry, name: &str, help: &str, value: u64) {
    let g = Gauge::<i64>::default();
    g.set(i64::try_from(value).unwrap_or(i64::MAX));
    registry.register(name, help, g);
}

fn float_gauge(registry: &mut Registry, name: &str, help: &str, value: f64) {
    let g = Gauge::<f64, AtomicU64>::default();
    g.set(value);
    registry.register(name, help, g);
}

/// The OpenMetrics text of `snap`, ending in `# EOF`.
pub(crate) fn encode(snap: &Snapshot) -> String {
    let mut r = Registry::default();
    let t = &snap.totals;
    r.register(
        "devtrack_build",
        "The running devtrack's version",
        Info::new(vec![("version", env!("CARGO_PKG_VERSION").to_string())]),
    );
    counters(
        &mut r,
        "devtrack_commits",
        "Commits stored, by kind",
        "kind",
        &filled(CommitKind::ALL.map(CommitKind::as_str), &t.commits),
    );
    counters(
        &mut r,
        "devtrack_triggers",
        "Prompt triggers recorded, by kind",
        "kind",
        &filled(TriggerKind::ALL.map(TriggerKind::as_str), &t.triggers),
    );
    let outcomes = std::iter::once("opened").chain(
        PromptState::ALL
            .map(PromptState::as_str)
            .into_iter()
            .filter(|s| *s != PromptState::Open.as_str()),
    );
    counters(
        &mut r,
        "devtrack_prompts",
        "Prompts opened, and the changes they went through (answered, snoozed, expired, skipped)",
        "outcome",
        &filled(outcomes, &t.prompts),
    );
    let deliveries = Family::<Labels, Counter>::default();
    for ((channel, outcome), n) in &t.deliveries {
        deliveries
            .get_or_create(&vec![
                ("channel", channel.clone()),
                ("outcome", outcome.clone()),
            ])
            .inc_by(*n);
    }
    r.register(
        "devtrack_prompt_deliveries",
        "What the delivery channels did with prompts, by channel and outcome",
        deliveries,
    );
    counters(
        &mut r,
        "devtrack_updates",
        "Work updates stored, by the way they came",
        "source",
        &filled(UpdateSource::ALL.map(UpdateSource::as_str), &t.updates),
    );
    counters(
        &mut r,
        "devtrack_missed_slots",
        "Interval slots that passed without a prompt of their own, by reason",
        "reason",
        &filled(
            [MissReason::Late, MissReason::Skipped, MissReason::Paused].map(MissReason::as_str),
            &t.missed_slots,
        ),
    );
    counters(
        &mut r,
        "devtrack_reloads",
        "Reloads of the config, by result",
        "result",
        &filled(ReloadResult::ALL.map(ReloadResult::as_str), &t.reloads),
    );
    let outbox = Family::<Labels, Gauge>::default();
    for integration in [Ticket::Github, Ticket::Jira, Ticket::AzureDevops].map(Ticket::as_str) {
        for state in OutboxState::ALL {
            let n = t
                .outbox
                .get(&(integration.to_owned(), state.as_str().to_owned()))
                .copied()
                .unwrap_or(0);
            outbox
                .get_or_create(&vec![
                    ("integration", integration.to_owned()),
                    ("state", state.as_str().to_owned()),
                ])
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
    }
    r.register(
        "devtrack_outbox_items",
        "Ticket sync items (one per update and ticket), by integration and state; `sent` ones are the comments posted",
        outbox,
    );
    let repos = Family::<Labels, Gauge>::default();
    for (state, n) in filled(RepoState::NAMES.iter().copied(), &snap.repositories) {
        repos
            .get_or_create(&vec![("state", state)])
            .set(i64::try_from(n).unwrap_or(i64::MAX));
    }
    r.register(
        "devtrack_repositories",
        "Configured repositories, by state",
        repos,
    );
    gauge(
        &mut r,
        "devtrack_prompt_open",
        "1 while a prompt is open (a snoozed one is not)",
        u64::from(snap.prompt_open),
    );
    gauge(
        &mut r,
        "devtrack_notification_server_present",
        "1 while the desktop channel runs and a notification server is on its session bus",
        u64::from(snap.notification_server),
    );
    let u = &snap.usage;
    let optional = [
        (
            "devtrack_inotify_watches",
            "inotify watches held, over all the daemon's instances",
            u.inotify_watches,
        ),
        (
            "devtrack_store_bytes",
            "Size of the store's file",
            snap.store_bytes,
        ),
        (
            "devtrack_store_wal_bytes",
            "Size of the store's write-ahead log",
            snap.wal_bytes,
        ),
        (
            "process_resident_memory_bytes",
            "Resident memory size in bytes",
            u.rss_bytes,
        ),
        (
            "process_virtual_memory_bytes",
            "Virtual memory size in bytes",
            u.virtual_bytes,
        ),
        (
            "process_open_fds",
            "Number of open file descriptors",
            u.open_fds,
        ),
        (
            "process_max_fds",
            "Maximum number of open file descriptors",
            u.max_fds,
        ),
    ];
    for (name, help, value) in optional {
        if let Some(v) = value {
            gauge(&mut r, name, help, v);
        }
    }
    let cpu = Counter::<f64, AtomicU64>::default();
    cpu.inc_by(u.cpu_secs);
    r.register(
        "process_cpu_seconds",
        "Total user and system CPU time spent in seconds",
        cpu,
    );
    if let Some(start) = u.start_time_secs {
        float_gauge(
            &mut r,
            "process_start_time_seconds",
            "Start time of the process since unix epoch in seconds",
            start,
        );
    }
    let mut out = String::new();
    text::encode(&mut out, &r).expect("writing to a String does not fail");
    out
}

impl Daemon {
    /// The daemon's metrics as OpenMetrics text (`# EOF` last), read from
    /// the store, the daemon's state and `/proc/self` now: what the
    /// `metrics` request answers and the web side's `/metrics` serves.
    pub(crate) fn openmetrics(&self) -> Result<String> {
        let mut repositories = BTreeMap::new();
        for repo in self.commits.git.repo_statuses() {
            *repositories
                .entry(repo.state.name().to_string())
                .or_insert(0) += 1;
        }
        let prompt_open = self
            .store
            .outstanding_prompt()?
            .is_some_and(|p| p.state == PromptState::Open);
        let (store_bytes, wal_bytes) = store::file_sizes(&self.paths.database);
        Ok(encode(&Snapshot {
            totals: self.store.totals()?,
            repositories,
            prompt_open,
            notification_server: self.notification_server_present(),
            usage: procfs::read_self(),
            store_bytes,
            wal_bytes,
        }))
    }

    /// The desktop channel runs and has no outage (it reports the server's
    /// absence as soon as it sees it, prompt or not).
    fn notification_server_present(&self) -> bool {
        let desktop = Channel::Desktop;
        self.prompting.channels.iter().any(|c| c.channel == desktop)
            && !self
                .prompting
                .health
                .outages()
                .iter()
                .any(|o| o.channel == desktop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
        pairs.iter().map(|(k, n)| (k.to_string(), *n)).collect()
    }

    fn snapshot() -> Snapshot {
        Snapshot {
            totals: Totals {
                commits: counts(&[("commit", 3), ("amend", 1)]),
                triggers: counts(&[("commit", 2), ("manual", 1)]),
                prompts: counts(&[("opened", 2), ("answered", 1), ("snoozed", 1)]),
                deliveries: [(("desktop".to_string(), "delivered".to_string()), 2)]
                    .into_iter()
                    .collect(),
                updates: counts(&[("cli", 1), ("unknown", 4)]),
                missed_slots: counts(&[("late", 5)]),
                reloads: counts(&[("rejected", 1)]),
                outbox: [(("jira".to_string(), "sent".to_string()), 3)]
                    .into_iter()
                    .collect(),
            },
            repositories: counts(&[("watching", 2), ("missing", 1)]),
            prompt_open: true,
            notification_server: false,
            usage: Usage {
                cpu_secs: 1.25,
                rss_bytes: Some(8 << 20),
                rss_anon_bytes: Some(2 << 20),
                virtual_bytes: Some(100 << 20),
                open_fds: Some(12),
                max_fds: Some(1024),
                start_time_secs: Some(1_765_150_000.5),
                inotify_watches: Some(9),
            },
            store_bytes: Some(4096),
            wal_bytes: None,
        }
    }

    fn samples(text: &str) -> Vec<&str> {
        text.lines().filter(|l| !l.starts_with('#')).collect()
    }

    #[test]
    fn families_from_totals_with_every_known_label() {
        let text = encode(&snapshot());
        let lines = samples(&text);
        for want in [
            r#"devtrack_commits_total{kind="commit"} 3"#,
            r#"devtrack_commits_total{kind="amend"} 1"#,
            r#"devtrack_commits_total{kind="cherry-pick"} 0"#,
            r#"devtrack_triggers_total{kind="timer"} 0"#,
            r#"devtrack_triggers_total{kind="manual"} 1"#,
            r#"devtrack_prompts_total{outcome="opened"} 2"#,
            r#"devtrack_prompts_total{outcome="answered"} 1"#,
            r#"devtrack_prompts_total{outcome="expired"} 0"#,
            r#"devtrack_prompt_deliveries_total{channel="desktop",outcome="delivered"} 2"#,
            r#"devtrack_updates_total{source="unknown"} 4"#,
            r#"devtrack_updates_total{source="inline"} 0"#,
            r#"devtrack_missed_slots_total{reason="late"} 5"#,
            r#"devtrack_missed_slots_total{reason="paused"} 0"#,
            r#"devtrack_reloads_total{result="rejected"} 1"#,
            r#"devtrack_reloads_total{result="applied"} 0"#,
            r#"devtrack_outbox_items{integration="jira",state="sent"} 3"#,
            r#"devtrack_outbox_items{integration="github",state="failed"} 0"#,
            r#"devtrack_repositories{state="watching"} 2"#,
            r#"devtrack_repositories{state="error"} 0"#,
            "devtrack_prompt_open 1",
            "devtrack_notification_server_present 0",
            "devtrack_inotify_watches 9",
            "devtrack_store_bytes 4096",
            "process_cpu_seconds_total 1.25",
            "process_resident_memory_bytes 8388608",
            "process_open_fds 12",
            "process_max_fds 1024",
            "process_start_time_seconds 1765150000.5",
        ] {
            assert!(lines.contains(&want), "no `{want}` in\n{text}");
        }
        // An `open` change is not an outcome (reopening a snoozed prompt).
        assert!(!text.contains(r#"outcome="open""#), "{text}");
        // What the platform did not give is left out, not shown as 0.
        assert!(!text.contains("devtrack_store_wal_bytes"), "{text}");
        assert!(text.contains(&format!(
            r#"devtrack_build_info{{version="{}"}} 1"#,
            env!("CARGO_PKG_VERSION")
        )));
    }

    #[test]
    fn openmetrics_shape() {
        let text = encode(&snapshot());
        assert!(text.ends_with("# EOF\n"), "{text}");
        // Every family has its type and help; counters' samples end in
        // `_total`, their family names do not.
        for line in text.lines().filter(|l| l.starts_with("# TYPE ")) {
            let mut parts = line.split(' ').skip(2);
            let (name, kind) = (parts.next().unwrap(), parts.next().unwrap());
            assert!(text.contains(&format!("# HELP {name} ")), "{name}");
            if kind == "counter" {
                assert!(!name.ends_with("_total"), "{line}");
                assert!(
                    samples(&text)
                        .iter()
                        .filter(|s| s.starts_with(name))
                        .all(|s| s.starts_with(&format!("{name}_total"))),
                    "{name}"
                );
            }
        }
        // The encoder ends each help with its own full stop.
        assert!(!text.contains("..\n"), "{text}");
        // Nothing names a repository.
        assert!(!text.contains("repo=") && !text.contains("name="), "{text}");
    }

    #[test]
    fn an_empty_store_shows_zeros() {
        let text = encode(&Snapshot::default());
        let lines = samples(&text);
        assert!(lines.contains(&r#"devtrack_commits_total{kind="commit"} 0"#));
        assert!(lines.contains(&"devtrack_prompt_open 0"));
        assert!(lines.contains(&"process_cpu_seconds_total 0.0"), "{text}");
        assert!(!text.contains("process_open_fds"), "{text}");
    }
}
