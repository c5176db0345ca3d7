//! What changed between two configs, as lines for the reload log.

use super::model::{CommitTriggers, Config, Folder, Hook, Prompts, Repository, WorkHours};
use super::times::format_days;

fn window(hours: &WorkHours) -> String {
    format!("{}-{}", hours.start, hours.end)
}

fn authors(list: &[String]) -> String {
    if list.is_empty() {
        "(repository user.email)".to_owned()
    } else {
        list.join(", ")
    }
}

fn change(out: &mut Vec<String>, label: &str, old: impl ToString, new: impl ToString) {
    let (old, new) = (old.to_string(), new.to_string());
    if old != new {
        out.push(format!("{label}: {old} -> {new}"));
    }
}

fn repository_changes(out: &mut Vec<String>, old: &Repository, new: &Repository) {
    let label = |what: &str| format!("repository {} {what}", new.name);
    change(out, &label("path"), old.path.display(), new.path.display());
    if old.enabled != new.enabled {
        let state = if new.enabled { "enabled" } else { "disabled" };
        out.push(format!("repository {}: {state}", new.name));
    }
    let project = |p: &Option<String>| p.clone().unwrap_or_else(|| "(none)".to_owned());
    change(
        out,
        &label("project"),
        project(&old.project),
        project(&new.project),
    );
    let triggers = |t: Option<CommitTriggers>| t.map(CommitTriggers::as_str).unwrap_or("(default)");
    change(
        out,
        &label("commit_triggers"),
        triggers(old.commit_triggers),
        triggers(new.commit_triggers),
    );
    change(out, &label("sync"), old.sync, new.sync);
}

/// A folder to search, as the reload log names its settings.
fn folder_line(f: &Folder) -> String {
    let exclude: Vec<&str> = f.exclude.iter().map(|g| g.as_str()).collect();
    format!(
        "{} (depth {}, exclude [{}], project {}, {}{}{})",
        f.path.display(),
        f.depth,
        exclude.join(", "),
        f.project.as_deref().unwrap_or("(none)"),
        if f.enabled { "enabled" } else { "disabled" },
        f.commit_triggers
            .map(|t| format!(", commit_triggers {}", t.as_str()))
            .unwrap_or_default(),
        if f.sync { "" } else { ", sync false" },
    )
}

/// Folders by path: added, removed, or searched differently.
fn folder_changes(out: &mut Vec<String>, old: &[Folder], new: &[Folder]) {
    for f in old {
        match new.iter().find(|n| n.path == f.path) {
            None => out.push(format!("folder removed: {}", f.path.display())),
            Some(n) => change(
                out,
                &format!("folder {}", n.name),
                folder_line(f),
                folder_line(n),
            ),
        }
    }
    for f in new {
        if !old.iter().any(|o| o.path == f.path) {
            out.push(format!("folder added: {}", folder_line(f)));
        }
    }
}

fn integration_change(out: &mut Vec<String>, name: &str, old: bool, new: bool) {
    let state = |enabled: bool| if enabled { "enabled" } else { "disabled" };
    change(out, &format!("integration {name}"), state(old), state(new));
}

/// See [`super::describe_changes`].
pub(crate) fn describe(old: &Config, new: &Config) -> Vec<String> {
    let mut out = Vec::new();
    let (a, b) = (&old.settings, &new.settings);
    change(
        &mut out,
        "prompt_interval",
        a.prompt_interval_minutes,
        b.prompt_interval_minutes,
    );
    change(
        &mut out,
        "work_hours_only",
        a.work_hours_only,
        b.work_hours_only,
    );
    change(
        &mut out,
        "work hours",
        window(&a.work_hours),
        window(&b.work_hours),
    );
    change(
        &mut out,
        "work days",
        format_days(a.work_hours.days),
        format_days(b.work_hours.days),
    );
    change(&mut out, "timezone", a.timezone.name(), b.timezone.name());
    let listen = |c: &Config| {
        c.web
            .listen
            .map_or_else(|| "off".to_string(), |a| a.to_string())
    };
    change(
        &mut out,
        "web.listen (from the next start)",
        listen(old),
        listen(new),
    );
    change(
        &mut out,
        "log_level",
        a.log_level.as_str(),
        b.log_level.as_str(),
    );
    change(&mut out, "auto_sync", a.auto_sync, b.auto_sync);
    change(
        &mut out,
        "commit_triggers",
        a.commit_triggers.as_str(),
        b.commit_triggers.as_str(),
    );
    change(
        &mut out,
        "authors",
        authors(&a.authors),
        authors(&b.authors),
    );
    change(
        &mut out,
        "commit_debounce_ms",
        a.commit_debounce.as_millis(),
        b.commit_debounce.as_millis(),
    );
    change(&mut out, "watch_config", a.watch_config, b.watch_config);

    // By name, in linear time: configs may list a thousand repositories.
    let by_name = |repos: &'_ [Repository]| -> std::collections::HashMap<String, usize> {
        repos
            .iter()
            .enumerate()
            .map(|(i, r)| (r.name.clone(), i))
            .collect()
    };
    let (old_names, new_names) = (by_name(&old.repositories), by_name(&new.repositories));
    for repo in &old.repositories {
        match new_names.get(&repo.name) {
            None => out.push(format!("repository removed: {}", repo.name)),
            Some(&i) => repository_changes(&mut out, repo, &new.repositories[i]),
        }
    }
    for repo in &new.repositories {
        if !old_names.contains_key(&repo.name) {
            out.push(format!(
                "repository added: {} ({})",
                repo.name,
                repo.path.display()
            ));
        }
    }

    folder_changes(&mut out, &old.folders, &new.folders);

    let (a, b) = (&old.integrations, &new.integrations);
    integration_change(
        &mut out,
        "azure_devops",
        a.azure_devops.enabled,
        b.azure_devops.enabled,
    );
    integration_change(&mut out, "github", a.github.enabled, b.github.enabled);
    integration_change(&mut out, "jira", a.jira.enabled, b.jira.enabled);
    // The other keys (URLs, names, commands) by section, without values.
    let mut others = b.clone();
    others.azure_devops.enabled = a.azure_devops.enabled;
    others.github.enabled = a.github.enabled;
    others.jira.enabled = a.jira.enabled;
    for (name, changed) in [
        ("azure_devops", others.azure_devops != a.azure_devops),
        ("github", others.github != a.github),
        ("jira", others.jira != a.jira),
    ] {
        if changed {
            out.push(format!("integrations.{name}: settings changed"));
        }
    }
    prompts_changes(&mut out, &old.prompts, &new.prompts);
    out
}

fn prompts_changes(out: &mut Vec<String>, a: &Prompts, b: &Prompts) {
    change(
        out,
        "prompts.notifications",
        a.notifications,
        b.notifications,
    );
    change(out, "prompts.dialog", a.dialog, b.dialog);
    let secs = |d: std::time::Duration| crate::display::human_duration(d.as_secs());
    change(out, "prompts.snooze", secs(a.snooze), secs(b.snooze));
    change(
        out,
        "prompts.idle_after",
        secs(a.idle_after),
        secs(b.idle_after),
    );
    change(
        out,
        "prompts.when_away",
        a.when_away.as_str(),
        b.when_away.as_str(),
    );
    let hook = |h: &Option<Hook>| match h {
        None => "(none)".to_owned(),
        Some(h) => format!("{:?} (timeout {})", h.argv, secs(h.timeout)),
    };
    change(
        out,
        "prompts.on_trigger",
        hook(&a.on_trigger),
        hook(&b.on_trigger),
    );
}

#[cfg(test)]
mod tests {
    use super::super::model::{Integrations, LogLevel, Settings, TimeOfDay};
    use super::*;
    use chrono_tz::Tz;
    use std::path::PathBuf;
    use std::time::Duration;

    fn repo(name: &str, path: &str) -> Repository {
        Repository {
            name: name.into(),
            path: PathBuf::from(path),
            enabled: true,
            project: None,
            commit_triggers: None,
            sync: true,
        }
    }

    fn base() -> Config {
        Config {
            source: None,
            repositories: vec![repo("web", "/src/web"), repo("cli", "/src/cli")],
            folders: Vec::new(),
            settings: Settings::defaults(Tz::UTC),
            integrations: Integrations::default(),
            prompts: Default::default(),
            web: Default::default(),
        }
    }

    #[test]
    fn equal_configs_have_no_changes() {
        assert!(describe(&base(), &base()).is_empty());
        let mut moved = base();
        moved.source = Some(PathBuf::from("/elsewhere.yaml"));
        assert!(describe(&base(), &moved).is_empty());
    }

    #[test]
    fn the_listener_change_says_it_waits_for_the_next_start() {
        let mut new = base();
        new.web.listen = Some("127.0.0.1:7337".parse().unwrap());
        assert_eq!(
            describe(&base(), &new),
            ["web.listen (from the next start): off -> 127.0.0.1:7337"]
        );
    }

    #[test]
    fn settings_changes_read_old_to_new() {
        let mut new = base();
        new.settings.prompt_interval_minutes = 60;
        new.settings.timezone = Tz::Europe__Berlin;
        new.settings.log_level = LogLevel::Debug;
        new.settings.work_hours.start = TimeOfDay::new(8, 30).unwrap();
        new.settings.work_hours.end = TimeOfDay::new(17, 0).unwrap();
        new.settings.work_hours.days = crate::config::times::parse_day_list("mon-fri").unwrap();
        new.settings.commit_debounce = Duration::from_millis(500);
        new.settings.authors = vec!["me@example.com".into()];
        assert_eq!(
            describe(&base(), &new),
            [
                "prompt_interval: 180 -> 60",
                "work hours: 09:00-18:00 -> 08:30-17:00",
                "work days: mon-sun -> mon-fri",
                "timezone: UTC -> Europe/Berlin",
                "log_level: info -> debug",
                "authors: (repository user.email) -> me@example.com",
                "commit_debounce_ms: 2000 -> 500",
            ]
        );
    }

    #[test]
    fn repositories_added_removed_and_changed() {
        let mut new = base();
        new.repositories.remove(0);
        new.repositories[0].enabled = false;
        new.repositories[0].commit_triggers = Some(CommitTriggers::All);
        new.repositories.push(repo("api", "/src/api"));
        new.integrations.github.enabled = true;
        new.integrations.jira.url = Some("https://x.atlassian.net".into());
        new.repositories[0].sync = false;
        new.prompts.snooze = Duration::from_secs(600);
        new.prompts.idle_after = Duration::from_secs(300);
        new.prompts.when_away = super::super::model::WhenAway::Show;
        new.prompts.on_trigger = Some(Hook {
            argv: vec!["/bin/notify".into(), "-u".into()],
            timeout: Duration::from_secs(5),
        });
        assert_eq!(
            describe(&base(), &new),
            [
                "repository removed: web",
                "repository cli: disabled",
                "repository cli commit_triggers: (default) -> all",
                "repository cli sync: true -> false",
                "repository added: api (/src/api)",
                "integration github: disabled -> enabled",
                "integrations.jira: settings changed",
                "prompts.snooze: 30m -> 10m",
                "prompts.idle_after: 10m -> 5m",
                "prompts.when_away: hold -> show",
                r#"prompts.on_trigger: (none) -> ["/bin/notify", "-u"] (timeout 5s)"#,
            ]
        );
    }
}
