//! `devtrack status`: the daemon's view merged with the service manager's.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::cli::client::{Client, ClientError};
use crate::cli::commands::control;
use crate::cli::{out, CliError, Context};
use crate::display::{bytes, full_time, human_duration, local_time, plural, relative};
use crate::exit::Explain;
use crate::exit::Status as ExitStatus;
use crate::protocol::{AwayStatus, Command, FolderStatus, RepoStatus, Resources, Response, Status};
use crate::service::{self, ManagerStatus};

#[derive(Serialize)]
struct Combined<'a> {
    running: bool,
    daemon: Option<&'a Status>,
    service: Option<&'a ManagerStatus>,
    /// Why the daemon's own view is missing although it runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// The service runs another daemon than the one that answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    service_differs: Option<String>,
}

/// What the daemon said, if anything.
enum DaemonView {
    Running(Box<Status>),
    NotRunning,
    /// It runs (something holds the socket) but gives no answer.
    NotAnswering(ClientError),
}

fn ask_daemon(ctx: &Context) -> Result<DaemonView, CliError> {
    let resp = match Client::connect(&ctx.paths.socket).and_then(|mut c| c.request(Command::Status))
    {
        Ok(resp) => resp,
        Err(ClientError::NotRunning { .. }) => return Ok(DaemonView::NotRunning),
        Err(e @ ClientError::NotAnswering { .. }) => return Ok(DaemonView::NotAnswering(e)),
        Err(e) => return Err(e.into()),
    };
    match resp {
        Response::Status { status, .. } => Ok(DaemonView::Running(status)),
        Response::Failed(f) => Err(control::refused(&f)),
        other => Err(control::unexpected(&other)),
    }
}

pub(crate) fn run(ctx: &Context, json: bool) -> Result<ExitStatus, CliError> {
    let daemon = ask_daemon(ctx)?;
    // The manager's view is shown whatever the daemon said.
    let manager = service::backend().status().ok();
    let (status, problem) = match daemon {
        DaemonView::Running(s) => (Some(*s), None),
        DaemonView::NotRunning => (None, None),
        DaemonView::NotAnswering(e) => (None, Some(e)),
    };
    if json {
        let combined = Combined {
            running: status.is_some() || problem.is_some(),
            daemon: status.as_ref(),
            service: manager.as_ref(),
            error: problem.as_ref().map(|e| e.explained()),
            service_differs: status
                .as_ref()
                .zip(manager.as_ref())
                .and_then(|(s, m)| other_daemon(s, m)),
        };
        let text = serde_json::to_string_pretty(&combined).expect("status serializes");
        out::line(&text)?;
    } else {
        let page = match (&status, &problem) {
            (Some(s), _) => render(s, manager.as_ref(), Utc::now()),
            (None, Some(_)) => render_not_answering(ctx, manager.as_ref()),
            (None, None) => render_not_running(ctx, manager.as_ref()),
        };
        out::print(&page)?;
        out::print(&super::sync::status_lines(ctx))?;
    }
    match (status, problem) {
        (_, Some(e)) => Err(e.into()),
        (Some(_), None) => Ok(ExitStatus::Ok),
        (None, None) => Ok(ExitStatus::NotRunning),
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

/// "every day", "Mon-Fri", or the list.
fn days_summary(days: &[String]) -> String {
    const WEEK: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    if days.len() == 7 {
        "every day".to_string()
    } else if days == &WEEK[..5] {
        "Mon-Fri".to_string()
    } else {
        days.join(", ")
    }
}

fn render_manager(out: &mut String, m: &ManagerStatus) {
    out.push_str("\nService:\n");
    let _ = writeln!(out, "  Manager:      {}", m.manager);
    if let Some(note) = &m.note {
        for (i, line) in note.lines().enumerate() {
            let label = if i == 0 { "Note:" } else { "" };
            let _ = writeln!(out, "  {label:<13} {line}");
        }
    }
    if !m.installed {
        out.push_str("  Installed:    no (run `devtrack install-service`)\n");
        return;
    }
    if let Some(d) = &m.definition {
        let _ = writeln!(out, "  Definition:   {}", d.display());
    }
    let state = match (&m.state, &m.sub_state) {
        (Some(a), Some(b)) => format!("{a} ({b})"),
        (Some(a), None) => a.clone(),
        _ => "unknown".to_string(),
    };
    let _ = writeln!(out, "  State:        {state}");
    if let Some(pid) = m.main_pid {
        let _ = writeln!(out, "  Main PID:     {pid}");
    }
    if let Some(r) = m.restarts {
        let _ = writeln!(out, "  Restarts:     {r}");
    }
    if let Some(r) = &m.result {
        let note = if r == "start-limit-hit" {
            " (started too often; systemd stopped restarting it, `devtrack start` tries again)"
        } else {
            ""
        };
        let _ = writeln!(out, "  Result:       {r}{note}");
    }
    if let Some(mem) = m.memory_bytes {
        let _ = writeln!(out, "  Memory:       {}", bytes(mem));
    }
    if let Some(l) = m.linger {
        let _ = writeln!(
            out,
            "  Linger:       {}",
            if l {
                "on (starts at boot)"
            } else {
                "off (starts at login; `devtrack install-service --linger` to start at boot)"
            }
        );
    }
}

/// What the daemon uses of the machine; a line whose numbers the platform
/// does not give (memory and inotify on macOS) is left out.
fn resource_lines(r: &Resources) -> String {
    let mut out = String::from("\nResources:\n");
    let _ = writeln!(out, "  CPU time:     {:.2} s", r.cpu_secs);
    match (r.rss_bytes, r.rss_anon_bytes) {
        (Some(rss), Some(anon)) => {
            let _ = writeln!(
                out,
                "  Memory:       {} resident, {} of it private (RssAnon)",
                bytes(rss),
                bytes(anon)
            );
        }
        (Some(rss), None) => {
            let _ = writeln!(out, "  Memory:       {} resident", bytes(rss));
        }
        _ => {}
    }
    if let Some(n) = r.open_fds {
        let _ = writeln!(out, "  Descriptors:  {n} open");
    }
    if let Some(n) = r.inotify_watches {
        let _ = writeln!(out, "  inotify:      {}", plural(n, "watch", "watches"));
    }
    if let Some(db) = r.store_bytes {
        let wal = r
            .wal_bytes
            .map_or(String::new(), |w| format!(", WAL {}", bytes(w)));
        let _ = writeln!(out, "  Store:        {}{wal}", bytes(db));
    }
    out
}

/// The seed's status layout, for a running daemon.
pub(crate) fn render(s: &Status, manager: Option<&ManagerStatus>, now: DateTime<Utc>) -> String {
    let tz: Tz = s.scheduler.timezone.parse().unwrap_or(Tz::UTC);
    let mut out = String::new();
    out.push_str("devtrack daemon status\n══════════════════════\n\n");
    out.push_str("Status:     running\n");
    let _ = writeln!(out, "PID:        {}", s.pid);
    let _ = writeln!(out, "Uptime:     {}", human_duration(s.uptime_secs));
    let _ = writeln!(out, "Started:    {}", full_time(s.started, tz));
    let _ = writeln!(
        out,
        "Triggers:   {} ({} today)",
        s.triggers_total, s.triggers_today
    );
    match &s.last_trigger {
        Some(t) => {
            let _ = writeln!(
                out,
                "Last:       {} ({}{})",
                full_time(t.fired_at, tz),
                t.kind,
                if t.late { ", late" } else { "" }
            );
        }
        None => out.push_str("Last:       never\n"),
    }
    if s.missed_slots > 0 {
        let _ = writeln!(
            out,
            "Missed:     {}",
            crate::display::plural(s.missed_slots, "slot", "slots")
        );
    }
    out.push_str(&prompt_lines(s, tz, now));
    if let Some(r) = &s.resources {
        out.push_str(&resource_lines(r));
    }
    out.push_str("\nConfiguration:\n");
    match &s.paths.config {
        Some(c) => {
            let _ = writeln!(out, "  Config:   {c}");
        }
        None => {
            let _ = writeln!(
                out,
                "  Config:   defaults (no file at {})",
                s.paths.config_expected
            );
        }
    }
    let _ = writeln!(out, "  Data:     {}", s.paths.database);
    if let Some(err) = &s.store_error {
        let _ = writeln!(out, "  Store:    NOT WRITABLE: {err}");
    }
    let _ = writeln!(out, "  Logs:     {}", s.paths.logs);
    let _ = writeln!(out, "  Socket:   {}", s.paths.socket);
    let _ = writeln!(out, "  Lock:     {}", s.paths.lock);
    if let Some(err) = &s.reload_error {
        let _ = writeln!(
            out,
            "  Reload:   REJECTED, running on the previous config: {err}"
        );
    }
    out.push_str("\nScheduler:\n");
    let paused = match s.scheduler.paused_until {
        Some(t) => format!("true (until {})", local_time(t, tz, now)),
        None => yes_no(s.scheduler.paused).to_string(),
    };
    let _ = writeln!(out, "  Paused:       {paused}");
    let _ = writeln!(
        out,
        "  Interval:     {}",
        crate::display::plural(s.scheduler.interval_minutes, "minute", "minutes")
    );
    let next = match s.scheduler.next_trigger {
        Some(t) => format!(
            "{} ({}){}",
            local_time(t, tz, now),
            relative(t, now),
            if s.scheduler.skip_next {
                ", will be skipped"
            } else {
                ""
            }
        ),
        None => "none while paused".to_string(),
    };
    let _ = writeln!(out, "  Next trigger: {next}");
    let _ = writeln!(out, "  Timezone:     {}", s.scheduler.timezone);
    out.push_str("\nWork Hours:\n");
    let _ = writeln!(out, "  Enabled:      {}", yes_no(s.work_hours.enabled));
    let _ = writeln!(
        out,
        "  Hours:        {} - {} ({})",
        s.work_hours.start,
        s.work_hours.end,
        days_summary(&s.work_hours.days)
    );
    let _ = writeln!(out, "  In hours:     {}", yes_no(s.work_hours.in_hours));
    out.push_str("\nRepositories:\n");
    if s.repositories.is_empty() {
        out.push_str("  none configured\n");
    }
    out.push_str(&repo_lines(&s.repositories, now));
    out.push_str(&folder_lines(&s.folders, s.watches));
    if let Some(m) = manager {
        render_manager(&mut out, m);
        if let Some(note) = other_daemon(s, m) {
            let _ = writeln!(out, "  Differs:      {note}");
        }
    }
    out
}

/// When the daemon that answered is not the service's (one started by
/// hand with other data directories answers on this socket while the
/// service runs its own), the two blocks describe different processes;
/// that is said, not left to the PIDs.
fn other_daemon(s: &Status, m: &ManagerStatus) -> Option<String> {
    let service_pid = m.main_pid?;
    (service_pid != s.pid).then(|| {
        format!(
            "the service's daemon (PID {service_pid}) is not the one shown above (PID {}), \
             which was started another way (by hand?) and uses {}; this block describes \
             the service's",
            s.pid, s.paths.database
        )
    })
}

/// The outstanding prompt and the channels that cannot deliver.
fn prompt_lines(s: &Status, tz: Tz, now: DateTime<Utc>) -> String {
    let mut out = match &s.prompt {
        None => "Prompt:     none open\n".to_string(),
        Some(p) => {
            let delivered = match p.delivered_to.as_slice() {
                [] => "not delivered".to_string(),
                to => format!(
                    "delivered ({})",
                    to.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
                ),
            };
            let state = match p.reopens_at {
                Some(t) => format!("snoozed until {}", local_time(t, tz, now)),
                None => format!("open since {}", local_time(p.opened_at, tz, now)),
            };
            format!(
                "Prompt:     #{} {state}, {delivered}: {}\n",
                p.id, p.summary
            )
        }
    };
    for c in &s.channel_problems {
        let _ = writeln!(
            out,
            "Channel:    {} cannot deliver since {}: {}",
            c.channel.as_str(),
            local_time(c.since, tz, now),
            c.detail
        );
    }
    if let Some(away) = &s.away {
        let _ = writeln!(out, "Away:       {}", away_line(away, tz, now));
    }
    out
}

/// Whether prompts wait for the person, in one line: the prompt held and
/// why, else what the session says, else which source is missing.
fn away_line(a: &AwayStatus, tz: Tz, now: DateTime<Utc>) -> String {
    let since = |t: Option<DateTime<Utc>>| {
        t.map(|t| format!(" since {}", local_time(t, tz, now)))
            .unwrap_or_default()
    };
    if let Some(h) = &a.holding {
        let why = match h.reason.as_str() {
            "locked" => "screen locked",
            "idle" => "idle",
            "inhibited" => "notifications inhibited",
            "asking" => "asking the session for its idle time",
            "paused" => "paused",
            "work_hours" => "outside work hours",
            other => other,
        };
        return format!("holding the prompt: {why}{}", since(h.since));
    }
    let state = match (a.locked_since, a.inhibited_since, a.idle_since) {
        (Some(t), _, _) => format!("screen locked{}", since(Some(t))),
        (None, Some(t), _) => format!("notifications inhibited{}", since(Some(t))),
        (None, None, Some(t)) => format!("idle{}", since(Some(t))),
        (None, None, None) => "present".to_string(),
    };
    if a.sources.is_empty() {
        return format!(
            "not followed ({}): prompts are shown whether or not anyone is there",
            a.missing.join("; ")
        );
    }
    let mut line = format!("{state} ({})", a.sources.join("; "));
    if a.when_away == "show" {
        line.push_str("; prompts are shown anyway (`prompts.when_away: show`)");
    }
    if !a.missing.is_empty() {
        let _ = write!(line, "; not followed: {}", a.missing.join("; "));
    }
    line
}

/// The repository table: names and states padded to their column's widest,
/// so the paths line up.
fn repo_lines(repos: &[RepoStatus], now: DateTime<Utc>) -> String {
    let width = |f: &dyn Fn(&RepoStatus) -> String| {
        repos
            .iter()
            .map(|r| f(r).chars().count())
            .max()
            .unwrap_or(0)
    };
    let name = width(&|r| r.name.clone());
    let state = width(&|r| r.state.to_string());
    repos
        .iter()
        .map(|r| repo_line(r, (name, state), now))
        .collect()
}

/// The folders searched for repositories, and the watches git watching
/// holds in all.
fn folder_lines(folders: &[FolderStatus], watches: usize) -> String {
    let mut out = String::new();
    if !folders.is_empty() {
        out.push_str("\nFolders searched:\n");
    }
    for f in folders {
        let _ = write!(
            out,
            "  {}  {}  {} found, {}",
            f.name,
            f.path,
            crate::display::plural(f.repositories as u64, "repository", "repositories"),
            crate::display::plural(f.watches as u64, "watch", "watches")
        );
        if let Some(reason) = &f.reason {
            let _ = write!(out, "  ({reason})");
        }
        out.push('\n');
    }
    if watches > 0 {
        let _ = writeln!(
            out,
            "Watches:      {watches} (inotify, repositories and folders)"
        );
    }
    out
}

/// One repository: name, state, path, then what is known of it.
fn repo_line(r: &RepoStatus, (name, state): (usize, usize), now: DateTime<Utc>) -> String {
    let mut line = format!(
        "  {:<name$}  {:<state$}  {}",
        r.name,
        r.state.to_string(),
        r.path
    );
    if let Some(reason) = r.state.reason() {
        let _ = write!(line, "  ({reason})");
    }
    if let Some(b) = &r.branch {
        let _ = write!(line, "  [{b}]");
    }
    match r.worktrees {
        0 => {}
        1 => line.push_str("  +1 worktree"),
        n => {
            let _ = write!(line, "  +{n} worktrees");
        }
    }
    if let (Some(t), Some(sum)) = (r.last_commit_at, &r.last_commit_summary) {
        let _ = write!(line, "  last commit {}: {sum}", relative(t, now));
    }
    line.push('\n');
    if let Some(note) = &r.note {
        let _ = writeln!(line, "    {note}");
    }
    line
}

/// The page for a daemon that holds the socket but does not answer: what
/// the service manager knows is all there is to show.
fn render_not_answering(ctx: &Context, manager: Option<&ManagerStatus>) -> String {
    let mut out = page_head(ctx, "not answering", "connected, no reply");
    if let Some(m) = manager {
        render_manager(&mut out, m);
    }
    out
}

/// The first lines of a page without the daemon's own view.
fn page_head(ctx: &Context, state: &str, socket: &str) -> String {
    format!(
        "devtrack daemon status\n══════════════════════\n\n\
         Status:     {state}\n\
         Socket:     {} ({socket})\n",
        ctx.paths.socket.display()
    )
}

/// What the page says of a daemon that is not there, and what to do:
/// while the manager is about to restart it (after a crash or a watchdog
/// kill), that it is restarting and when, not to start it by hand.
fn absent(manager: Option<&ManagerStatus>, tz: Tz, now: DateTime<Utc>) -> (String, String) {
    match manager.filter(|m| m.restarting) {
        Some(m) => {
            let when = match m.restart_at {
                Some(at) if at > now => {
                    // Seconds: the restart is a few seconds away.
                    let clock = at.with_timezone(&tz).format("%H:%M:%S %Z");
                    format!(" at {clock} ({})", relative(at, now))
                }
                Some(_) => " now".to_string(),
                None => String::new(),
            };
            let why = match &m.result {
                Some(r) if r != "success" => format!(" after it stopped ({r})"),
                _ => String::new(),
            };
            (
                format!("restarting{when}"),
                format!(
                    "{} restarts it{when}{why}; `devtrack logs -n 20` shows why it stopped.\n",
                    m.manager
                ),
            )
        }
        None => (
            "not running".to_string(),
            "Start it with `devtrack start` (service) or `devtrack run` (terminal).\n".to_string(),
        ),
    }
}

fn render_not_running(ctx: &Context, manager: Option<&ManagerStatus>) -> String {
    let tz = crate::cli::zone::configured(ctx);
    let (state, advice) = absent(manager, tz, Utc::now());
    let mut out = page_head(ctx, &state, "no daemon");
    let _ = writeln!(out, "Config:     {}", ctx.paths.config_file.display());
    // The likeliest reason a service stopped for good (exit 78).
    if ctx.paths.config_file.exists() {
        if let Err(e) = ctx.config() {
            let _ = writeln!(out, "            INVALID: {e}");
        }
    }
    if let Some(m) = manager {
        render_manager(&mut out, m);
    }
    out.push('\n');
    out.push_str(&advice);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::RepoState;

    /// A status reply recorded from a running daemon (PID 13877).
    fn recorded() -> Status {
        let line = include_str!("../../../tests/fixtures/protocol/v1/replies.jsonl")
            .lines()
            .nth(25)
            .unwrap();
        match serde_json::from_str::<Response>(line).unwrap() {
            Response::Status { status, .. } => *status,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn whether_prompts_wait_for_the_person() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let now: DateTime<Utc> = "2026-12-07T13:30:00Z".parse().unwrap();
        let at = |s: &str| Some(s.parse::<DateTime<Utc>>().unwrap());
        let base = AwayStatus {
            when_away: "hold".into(),
            sources: vec!["logind session /s/2".into()],
            missing: Vec::new(),
            locked_since: None,
            idle_since: None,
            inhibited_since: None,
            holding: None,
        };
        let cases = [
            (
                AwayStatus {
                    locked_since: at("2026-12-07T13:02:00Z"),
                    holding: Some(crate::protocol::Holding {
                        reason: "locked".into(),
                        since: at("2026-12-07T13:02:00Z"),
                    }),
                    ..base.clone()
                },
                "holding the prompt: screen locked since 14:02 CET",
            ),
            (base.clone(), "present (logind session /s/2)"),
            (
                AwayStatus {
                    idle_since: at("2026-12-07T13:20:00Z"),
                    ..base.clone()
                },
                "idle since 14:20 CET (logind session /s/2)",
            ),
            (
                AwayStatus {
                    sources: Vec::new(),
                    missing: vec![
                        "no system bus at `unix:path=/x`".into(),
                        "no session bus (no address)".into(),
                    ],
                    ..base.clone()
                },
                "not followed (no system bus at `unix:path=/x`; no session bus (no address)): prompts are shown whether or not anyone is there",
            ),
            (
                AwayStatus {
                    inhibited_since: at("2026-12-07T13:10:00Z"),
                    missing: vec!["no screen saver".into()],
                    ..base.clone()
                },
                "notifications inhibited since 14:10 CET (logind session /s/2); not followed: no screen saver",
            ),
            (
                AwayStatus {
                    when_away: "show".into(),
                    ..base
                },
                "present (logind session /s/2); prompts are shown anyway (`prompts.when_away: show`)",
            ),
        ];
        for (away, want) in cases {
            assert_eq!(away_line(&away, tz, now), want);
        }
    }

    #[test]
    fn a_service_running_another_daemon_is_said_to_differ() {
        let s = recorded();
        let now = s.started;
        let service = |pid| ManagerStatus {
            manager: "systemd".into(),
            installed: true,
            main_pid: pid,
            ..Default::default()
        };
        for (pid, differs) in [(Some(13877), false), (None, false), (Some(4242), true)] {
            let page = render(&s, Some(&service(pid)), now);
            assert_eq!(page.contains("Differs:"), differs, "{pid:?}: {page}");
            assert_eq!(other_daemon(&s, &service(pid)).is_some(), differs);
        }
        let note = other_daemon(&s, &service(Some(4242))).unwrap();
        assert!(
            note.contains("PID 4242") && note.contains("PID 13877") && note.contains("devtrack.db"),
            "{note}"
        );
    }

    #[test]
    fn an_absent_daemon_is_restarting_or_not_running() {
        let now: DateTime<Utc> = "2026-11-26T09:00:00Z".parse().unwrap();
        let systemd = |restarting, restart_at: Option<&str>, result: &str| ManagerStatus {
            manager: "systemd".into(),
            installed: true,
            restarting,
            restart_at: restart_at.map(|t| t.parse().unwrap()),
            result: Some(result.into()),
            ..Default::default()
        };
        let cases = [
            (None, "not running", "Start it with `devtrack start`"),
            (
                Some(systemd(false, None, "exit-code")),
                "not running",
                "Start it with `devtrack start`",
            ),
            (
                Some(systemd(true, Some("2026-11-26T09:00:04Z"), "watchdog")),
                "restarting at 09:00:04 UTC (in 4s)",
                "systemd restarts it at 09:00:04 UTC (in 4s) after it stopped (watchdog); \
                 `devtrack logs -n 20`",
            ),
            (
                Some(systemd(true, Some("2026-11-26T08:59:59Z"), "signal")),
                "restarting now",
                "systemd restarts it now after it stopped (signal)",
            ),
            (
                Some(systemd(true, None, "exit-code")),
                "restarting",
                "systemd restarts it after it stopped (exit-code)",
            ),
        ];
        for (manager, state, advice) in cases {
            let (s, a) = absent(manager.as_ref(), Tz::UTC, now);
            assert_eq!(s, state);
            assert!(a.starts_with(advice), "{a}");
        }
    }

    #[test]
    fn a_repository_line_shows_its_state_branch_worktrees_and_last_commit() {
        let now = "2026-11-26T09:00:00Z".parse().unwrap();
        let watching = RepoStatus {
            name: "api".into(),
            path: "/src/api".into(),
            project: None,
            state: RepoState::Watching,
            branch: Some("main".into()),
            worktrees: 0,
            last_commit_at: Some("2026-11-26T08:00:00Z".parse().unwrap()),
            last_commit_summary: Some("Add the parser".into()),
            note: None,
            folder: None,
        };
        assert_eq!(
            repo_line(&watching, (3, 8), now),
            "  api  watching  /src/api  [main]  last commit 1h ago: Add the parser\n"
        );
        let noted = RepoStatus {
            note: Some("recorded without a reflog".into()),
            ..watching.clone()
        };
        assert!(repo_line(&noted, (3, 8), now)
            .ends_with("Add the parser\n    recorded without a reflog\n"));
        let one = RepoStatus {
            worktrees: 1,
            ..watching.clone()
        };
        assert!(repo_line(&one, (3, 8), now).contains("  [main]  +1 worktree  last commit"));
        let two = RepoStatus {
            worktrees: 2,
            ..watching.clone()
        };
        assert!(repo_line(&two, (3, 8), now).contains("  [main]  +2 worktrees  last commit"));
        let missing = RepoStatus {
            state: RepoState::Missing {
                reason: "`/src/api` does not exist".into(),
            },
            branch: None,
            last_commit_at: None,
            ..watching
        };
        assert_eq!(
            repo_line(&missing, (3, 7), now),
            "  api  missing  /src/api  (`/src/api` does not exist)\n"
        );
        // The table's columns line up whatever the names and states.
        let web = RepoStatus {
            name: "web-frontend".into(),
            path: "/src/web".into(),
            ..missing.clone()
        };
        let table = repo_lines(&[one, web], now);
        let starts: Vec<usize> = table.lines().map(|l| l.find(" /src/").unwrap()).collect();
        assert_eq!(starts[0], starts[1], "{table}");
        assert!(
            table.starts_with("  api           watching  /src/api"),
            "{table}"
        );
    }

    #[test]
    fn folders_show_what_they_found_and_cost() {
        let src = FolderStatus {
            name: "src".into(),
            path: "/home/me/src".into(),
            repositories: 12,
            watches: 1,
            reason: None,
        };
        let big = FolderStatus {
            name: "all".into(),
            path: "/data".into(),
            repositories: 0,
            watches: 0,
            reason: Some("searching `/data` needs 90000 watches".into()),
        };
        assert_eq!(
            folder_lines(&[src, big], 40),
            "\nFolders searched:\n  src  /home/me/src  12 repositories found, 1 watch\n  \
             all  /data  0 repositories found, 0 watches  (searching `/data` needs 90000 watches)\n\
             Watches:      40 (inotify, repositories and folders)\n"
        );
        assert_eq!(folder_lines(&[], 0), "");
    }
}
