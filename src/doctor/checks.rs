//! The checks: pure functions from [`Facts`] (and the daemon's
//! [`DoctorView`]) to [`Check`] lines, each with the exact command that
//! fixes what it found. Which findings fail (`✗`, exit 1) and which only
//! warn is decided here and listed in docs/doctor.md: a failure is
//! something that keeps prompts or commits from being recorded now; a
//! warning is something that loses less (answers only through `devtrack
//! note`, a log that cannot be read) or that matters only later (a stale
//! unit, no linger).

use std::path::Path;

use super::{
    Check, ClockFacts, ConfigFacts, DaemonFacts, Facts, InotifyFacts, RepoFacts, StoreFacts,
    SyncFacts,
};
use crate::protocol::{DoctorView, RepoState, RepoStatus};
use crate::service::ServiceFacts;

/// The unit and the commands that name it.
const UNIT: &str = "devtrack.service";

/// Every check, in the order shown.
pub(super) fn all(facts: &Facts) -> Vec<Check> {
    let view = match &facts.daemon {
        Some(DaemonFacts::Running(view)) => Some(view.as_ref()),
        _ => None,
    };
    let mut checks = Vec::new();
    if let Some(service) = &facts.service {
        checks.extend(service_checks(service, view));
    }
    checks.push(daemon_running(
        facts.daemon.as_ref(),
        facts.service.as_ref(),
    ));
    if let Some(view) = view {
        checks.push(versions(&facts.version, &view.version));
    }
    checks.extend(config(&facts.config));
    for repo in &facts.repositories {
        let seen = view.and_then(|v| v.repositories.iter().find(|r| r.name == repo.name));
        checks.extend(repository(repo, seen));
    }
    // Those the daemon found in folders: listed ones are checked above.
    if let Some(view) = view {
        let found = view
            .repositories
            .iter()
            .filter(|r| !facts.repositories.iter().any(|l| l.name == r.name));
        checks.extend(found.filter_map(watched));
    }
    checks.extend(inotify(&facts.inotify, view));
    if let Some(view) = view {
        checks.extend(desktop(view));
    }
    // Under a user manager the dialog takes its display from the manager's
    // environment when it opens; otherwise from the daemon's own.
    match (
        facts.service.as_ref().and_then(|s| s.environment.as_ref()),
        view,
    ) {
        (Some(env), _) => checks.push(display(env, "the user manager's environment")),
        (None, Some(view)) if view.dialog_enabled => {
            checks.push(display(&daemon_display(view), "the daemon's environment"))
        }
        _ => {}
    }
    checks.extend(store(&facts.store, view.is_some()));
    checks.extend(clock(&facts.clock, &facts.config, view));
    for integration in &facts.integrations {
        checks.extend(sync(integration));
    }
    checks
}

/// What the daemon can tell about itself, without the shell's facts: its
/// repositories, its bus and notification server, its dialog, the inotify
/// limits. The status page's Health section ([`super::health`]).
pub(crate) fn daemon_checks(view: &DoctorView, inotify_facts: &InotifyFacts) -> Vec<Check> {
    let mut checks = Vec::new();
    for repo in &view.repositories {
        if let Some(c) = watched(repo) {
            checks.push(c);
        }
    }
    checks.extend(inotify(inotify_facts, Some(view)));
    checks.extend(desktop(view));
    checks
}

fn service_checks(s: &ServiceFacts, view: Option<&DoctorView>) -> Vec<Check> {
    if let Some(why) = &s.unreachable {
        return vec![Check::warning(
            "service.manager",
            format!("the {} cannot be reached: {}", s.manager, first_line(why)),
            "log in through a desktop session or `machinectl shell $USER@`, or run `devtrack run` \
             in a terminal",
        )];
    }
    let mut checks = vec![Check::ok(
        "service.manager",
        format!("the {} answers", s.manager),
    )];
    if !s.installed && !s.loaded {
        checks.push(Check::warning(
            "service.installed",
            "devtrack is not installed as a user service: nothing starts it at login",
            "devtrack install-service",
        ));
        return checks;
    }
    let definition = s
        .definition
        .as_ref()
        .map_or_else(String::new, |p| format!(" ({})", p.display()));
    checks.push(Check::ok(
        "service.installed",
        format!("installed{definition}"),
    ));
    if !s.loaded {
        checks.push(Check::failure(
            "service.loaded",
            format!("the {} has not loaded the service", s.manager),
            load_command(s),
        ));
    }
    match s.enabled {
        Some(false) => checks.push(Check::warning(
            "service.enabled",
            "not enabled: it does not start at login",
            enable_command(s),
        )),
        Some(true) => checks.push(Check::ok("service.enabled", "starts at login")),
        None => {}
    }
    if s.loaded {
        let state = s.state.as_deref().unwrap_or("unknown");
        checks.push(if s.active {
            Check::ok("service.active", state)
        } else {
            Check::failure(
                "service.active",
                format!("not running ({state})"),
                "devtrack start  (why it stopped: devtrack logs -n 20)",
            )
        });
    }
    if s.need_reload == Some(true) {
        checks.push(Check::warning(
            "service.reload",
            "the unit file changed on disk since systemd loaded it (NeedDaemonReload=yes): \
             the next start runs the old definition",
            "systemctl --user daemon-reload && systemctl --user restart devtrack.service",
        ));
    } else if s.need_reload == Some(false) {
        checks.push(Check::ok(
            "service.reload",
            "the loaded unit is the one on disk",
        ));
    }
    if let Some(program) = &s.program {
        checks.push(binary(program, view.and_then(|v| v.exe.as_deref())));
    }
    match s.linger {
        Some(false) => checks.push(Check::warning(
            "service.linger",
            "linger is off: devtrack stops when you log out (usually what you want)",
            "loginctl enable-linger $USER  (only to keep watching while logged out)",
        )),
        Some(true) => checks.push(Check::ok(
            "service.linger",
            "linger is on: devtrack keeps running after logout",
        )),
        None => {}
    }
    match &s.log {
        Some(Ok(())) => checks.push(Check::ok(
            "service.log",
            "the log is readable (devtrack logs)",
        )),
        Some(Err(why)) => checks.push(Check::warning(
            "service.log",
            format!("the log cannot be read: {}", first_line(why)),
            hint_of(why).unwrap_or_else(|| "devtrack logs  (says why)".into()),
        )),
        None => {}
    }
    checks
}

fn load_command(s: &ServiceFacts) -> String {
    if s.manager == "launchd" {
        "devtrack start".into()
    } else {
        "systemctl --user daemon-reload".into()
    }
}

fn enable_command(s: &ServiceFacts) -> String {
    if s.manager == "launchd" {
        "devtrack install-service --force".into()
    } else {
        format!("systemctl --user enable {UNIT}")
    }
}

/// The unit's binary: a path that survives upgrades, and the one the
/// running daemon was started from.
fn binary(program: &Path, running: Option<&str>) -> Check {
    let name = "service.binary";
    if let Some(reason) =
        crate::service::binary_path::unstable_reason(program, &std::env::temp_dir())
    {
        return Check::warning(
            name,
            format!(
                "the service runs `{}`, {reason}: an upgrade or rebuild breaks it",
                program.display()
            ),
            "devtrack install-service --force  (run from the installed binary)",
        );
    }
    match running {
        Some(exe) if exe.ends_with(" (deleted)") => Check::warning(
            name,
            format!("the daemon runs a binary that was replaced since it started ({exe})"),
            "devtrack restart",
        ),
        Some(exe) if !same_file(program, Path::new(exe)) => Check::warning(
            name,
            format!(
                "the service names `{}` but the daemon runs `{exe}`",
                program.display()
            ),
            "devtrack restart  (or `devtrack install-service --force` to name this binary)",
        ),
        _ => Check::ok(name, format!("`{}`", program.display())),
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b
        || match (a.canonicalize(), b.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
}

fn daemon_running(daemon: Option<&DaemonFacts>, service: Option<&ServiceFacts>) -> Check {
    let name = "daemon.running";
    let installed = service.is_some_and(|s| s.installed || s.loaded);
    match daemon {
        Some(DaemonFacts::Running(view)) => Check::ok(
            name,
            format!("running (PID {}, {})", view.pid, view.version),
        ),
        Some(DaemonFacts::NotAnswering(why)) => Check::failure(
            name,
            format!("the daemon does not answer: {}", first_line(why)),
            "devtrack restart",
        ),
        Some(DaemonFacts::NotRunning) | None if installed => Check::failure(
            name,
            "daemon not running: no prompts, no commits recorded (its own checks are skipped)",
            "devtrack start  (why it stopped: devtrack logs -n 20)",
        ),
        Some(DaemonFacts::NotRunning) | None => Check::warning(
            name,
            "daemon not running (its own checks are skipped)",
            "devtrack install-service  (or `devtrack run` in a terminal)",
        ),
    }
}

fn versions(client: &str, daemon: &str) -> Check {
    if client == daemon {
        Check::ok("daemon.version", format!("client and daemon are {client}"))
    } else {
        Check::failure(
            "daemon.version",
            format!("this devtrack is {client}, the daemon runs {daemon}"),
            "devtrack restart",
        )
    }
}

fn config(c: &ConfigFacts) -> Vec<Check> {
    let mut checks = Vec::new();
    match (&c.error, c.exists) {
        (Some(e), _) => checks.push(Check::failure(
            "config",
            format!("`{}` does not load: {}", c.path, first_line(e)),
            hint_of(e).unwrap_or_else(|| format!("devtrack config check  (then edit {})", c.path)),
        )),
        (None, false) => checks.push(Check::warning(
            "config",
            format!("no config file at `{}`: running on defaults", c.path),
            "devtrack config init",
        )),
        (None, true) => checks.push(Check::ok("config", format!("`{}` is valid", c.path))),
    }
    if !c.exists {
        return checks;
    }
    checks.push(match (&c.writable_by_others, c.runs_commands) {
        (None, _) => Check::ok(
            "config.permissions",
            "only you (or root) can write the config",
        ),
        (Some(why), true) => Check::failure(
            "config.permissions",
            format!("the hook is refused: {}", without_fix(why)),
            fix_of(why).unwrap_or_else(|| format!("chmod go-w {}", c.path)),
        ),
        (Some(why), false) => Check::warning(
            "config.permissions",
            format!("a hook would be refused: {}", without_fix(why)),
            fix_of(why).unwrap_or_else(|| format!("chmod go-w {}", c.path)),
        ),
    });
    checks
}

/// What the hook's refusal says after `hook refused: `, up to its fix.
fn without_fix(refusal: &str) -> &str {
    let text = refusal.strip_prefix("hook refused: ").unwrap_or(refusal);
    text.split("; fix: ").next().unwrap_or(text)
}

fn fix_of(refusal: &str) -> Option<String> {
    refusal.split("; fix: ").nth(1).map(str::to_string)
}

fn repository(r: &RepoFacts, seen: Option<&RepoStatus>) -> Vec<Check> {
    let name = format!("repo.{}", r.name);
    if !r.enabled {
        return vec![Check::ok(name, "disabled in the config")];
    }
    if !r.exists {
        return vec![Check::failure(
            name,
            format!("`{}` does not exist", r.path),
            format!(
                "devtrack repo remove {}  (or put the repository back at {})",
                r.name, r.path
            ),
        )];
    }
    if let Some(why) = &r.not_git {
        return vec![Check::failure(
            name,
            format!("`{}` is not a git repository: {why}", r.path),
            format!("git init {}  (or devtrack repo remove {})", r.path, r.name),
        )];
    }
    let mut checks = Vec::new();
    if r.reflog == Some(false) {
        // Watched through its refs instead: commits are still recorded, but
        // a reset or an amend that leaves no reflog entry is not.
        checks.push(Check::warning(
            format!("{name}.reflog"),
            "core.logAllRefUpdates is false: no reflog is written, so devtrack follows the \
             refs only and misses resets and amends",
            format!("git -C {} config core.logAllRefUpdates true", r.path),
        ));
    }
    match seen.and_then(watched) {
        Some(problem) => checks.push(problem),
        None => {
            let how = if seen.is_some() {
                "watched"
            } else {
                "a git repository"
            };
            checks.push(Check::ok(name, format!("`{}`: {how}", r.path)));
        }
    }
    checks
}

/// A repository the daemon does not watch, as a check; `None` when it
/// does (or it is disabled).
fn watched(r: &RepoStatus) -> Option<Check> {
    let name = format!("repo.{}", r.name);
    match &r.state {
        RepoState::Watching | RepoState::Disabled => None,
        RepoState::Missing { reason } => Some(Check::failure(
            name,
            format!("not watched: {reason}"),
            format!(
                "devtrack repo remove {}  (or put it back at {})",
                r.name, r.path
            ),
        )),
        RepoState::Unsupported { reason } => Some(Check::warning(
            name,
            format!("not watched: {reason}"),
            format!("devtrack repo disable {}", r.name),
        )),
        RepoState::Error { reason } => Some(Check::failure(
            name,
            format!("not watched: {reason}"),
            if reason.contains("inotify") {
                raise_command("max_user_watches", None)
            } else {
                "devtrack logs -n 50  (says why; then devtrack reload)".to_string()
            },
        )),
    }
}

/// The sysctl that raises `fs.inotify.<key>`, now and at boot.
fn raise_command(key: &str, at_least: Option<u64>) -> String {
    let value = at_least.map_or(524_288, |n| (n * 2).max(8192));
    format!(
        "sudo sysctl fs.inotify.{key}={value} && echo fs.inotify.{key}={value} | sudo tee /etc/sysctl.d/90-devtrack-inotify.conf"
    )
}

fn inotify(f: &InotifyFacts, view: Option<&DoctorView>) -> Vec<Check> {
    let mut checks = Vec::new();
    let ours = |what: &str| match (what, view) {
        ("watches", Some(v)) => format!(" (devtrack's: {})", v.inotify_watches),
        ("instances", Some(v)) => v
            .inotify_instances
            .map_or_else(String::new, |n| format!(" (devtrack's: {n})")),
        _ => String::new(),
    };
    for (name, key, used, max, what) in [
        (
            "inotify.watches",
            "max_user_watches",
            f.watches_in_use,
            f.max_watches,
            "watches",
        ),
        (
            "inotify.instances",
            "max_user_instances",
            f.instances_in_use,
            f.max_instances,
            "instances",
        ),
    ] {
        let (Some(used), Some(max)) = (used, max) else {
            continue;
        };
        let detail = format!(
            "your processes use {used} of {max} inotify {what}{}",
            ours(what)
        );
        checks.push(if used >= max {
            Check::failure(
                name,
                format!("{detail}: none left, new repositories and folders cannot be watched"),
                raise_command(key, Some(max)),
            )
        } else if used * 10 >= max * 9 {
            Check::warning(
                name,
                format!("{detail}: almost none left"),
                raise_command(key, Some(max)),
            )
        } else {
            Check::ok(name, detail)
        });
    }
    checks
}

/// The notification server and the dialog, as the daemon sees them.
fn desktop(view: &DoctorView) -> Vec<Check> {
    let mut checks = Vec::new();
    if !view.notifications_enabled {
        checks.push(Check::ok(
            "notifications",
            "desktop notifications are off (prompts.notifications: false)",
        ));
        return checks;
    }
    let n = &view.notifications;
    let has = |cap: &str| n.capabilities.iter().any(|c| c == cap);
    match &n.server {
        None => checks.push(Check::failure(
            "notifications",
            format!(
                "the daemon finds no notification server: {}; prompts are not shown",
                n.error.as_deref().unwrap_or("no answer")
            ),
            if view.dbus_session_bus_address.is_none() {
                "systemctl --user import-environment DBUS_SESSION_BUS_ADDRESS && devtrack restart"
                    .to_string()
            } else {
                "start your desktop's notification server (e.g. `dunst &`, `mako &`), then wait: \
                 devtrack notices it"
                    .to_string()
            },
        )),
        Some(server) => {
            checks.push(Check::ok(
                "notifications",
                format!(
                    "{server} on the daemon's session bus ({})",
                    if n.capabilities.is_empty() {
                        "no capabilities".to_string()
                    } else {
                        n.capabilities.join(", ")
                    }
                ),
            ));
            let dialog = view.dialog_enabled && view.dialog.is_some();
            if has("inline-reply") {
                checks.push(Check::ok(
                    "notifications.answer",
                    "prompts are answered in the notification (inline reply)",
                ));
            } else if has("actions") && dialog {
                checks.push(Check::ok(
                    "notifications.answer",
                    "\"Log update\" opens the dialog",
                ));
            } else if !has("actions") {
                checks.push(Check::warning(
                    "notifications.answer",
                    format!(
                        "{server} shows no buttons (no `actions`): answer with `devtrack note`"
                    ),
                    "use a notification server with actions (dunst, mako, GNOME, KDE)",
                ));
            }
        }
    }
    if view.dialog_enabled {
        checks.push(match &view.dialog {
            Some(program) => Check::ok("dialog", format!("`{program}`")),
            None => Check::warning(
                "dialog",
                "neither zenity nor kdialog is on the daemon's PATH: \"Log update\" is not offered",
                "sudo apt install zenity  (or your system's package for zenity/kdialog)",
            ),
        });
    }
    checks
}

/// `DISPLAY`/`WAYLAND_DISPLAY` in `env` (named `where_`): where the dialog
/// started for a prompt gets its display from.
fn display(env: &[(String, String)], where_: &str) -> Check {
    let set = |name: &str| env.iter().any(|(n, v)| n == name && !v.is_empty());
    let found: Vec<&str> = ["DISPLAY", "WAYLAND_DISPLAY"]
        .into_iter()
        .filter(|n| set(n))
        .collect();
    if found.is_empty() {
        Check::warning(
            "display",
            format!("neither DISPLAY nor WAYLAND_DISPLAY is in {where_}: the dialog cannot open"),
            if where_.contains("user manager") {
                "systemctl --user import-environment DISPLAY WAYLAND_DISPLAY  (from a desktop terminal)"
            } else {
                "start `devtrack run` from a desktop terminal (or install the service: devtrack install-service)"
            },
        )
    } else {
        Check::ok("display", format!("{} in {where_}", found.join(" and ")))
    }
}

/// The daemon's display variables as an environment list.
fn daemon_display(view: &DoctorView) -> Vec<(String, String)> {
    [
        ("DISPLAY", &view.display),
        ("WAYLAND_DISPLAY", &view.wayland_display),
    ]
    .into_iter()
    .filter_map(|(name, value)| Some((name.to_string(), value.clone()?)))
    .collect()
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / 1_048_576.0)
}

fn store(s: &StoreFacts, daemon_running: bool) -> Vec<Check> {
    let mut checks = Vec::new();
    if !s.exists {
        checks.push(Check::ok(
            "store",
            format!("no store yet at `{}` (the daemon creates it)", s.path),
        ));
        return checks;
    }
    match &s.quick_check {
        Some(Err(why)) => checks.push(Check::failure(
            "store.integrity",
            format!("`{}` fails quick_check: {}", s.path, first_line(why)),
            crate::store::corrupt_hint(&s.path),
        )),
        Some(Ok(())) => checks.push(Check::ok("store.integrity", "quick_check: ok")),
        None => {}
    }
    match s.schema {
        Some(v) if v > s.expected_schema => checks.push(Check::failure(
            "store.schema",
            format!(
                "schema version {v} is newer than this devtrack's ({}): a newer devtrack wrote it",
                s.expected_schema
            ),
            "install the newer devtrack again",
        )),
        Some(v) if v < s.expected_schema && daemon_running => checks.push(Check::warning(
            "store.schema",
            format!(
                "schema version {v}, older than this devtrack's ({}): the daemon is an older one",
                s.expected_schema
            ),
            "devtrack restart",
        )),
        Some(v) => checks.push(Check::ok("store.schema", format!("schema version {v}"))),
        None => {}
    }
    if let Some(size) = s.size {
        let wal = s
            .wal_size
            .map_or_else(String::new, |w| format!(", WAL {}", mib(w)));
        let free = s
            .free
            .map_or_else(String::new, |f| format!(", {} free", mib(f)));
        let detail = format!("{}{wal}{free}", mib(size));
        const LOW: u64 = 64 * 1_048_576;
        const FULL: u64 = 4 * 1_048_576;
        checks.push(match s.free {
            Some(f) if f < FULL => Check::failure(
                "store.space",
                format!("{detail}: the disk is full, updates cannot be stored"),
                format!("free space on the file system of {}", s.path),
            ),
            Some(f) if f < LOW => Check::warning(
                "store.space",
                format!("{detail}: the disk is almost full"),
                format!("free space on the file system of {}", s.path),
            ),
            _ => Check::ok("store.space", detail),
        });
    }
    checks
}

fn clock(c: &ClockFacts, config: &ConfigFacts, view: Option<&DoctorView>) -> Vec<Check> {
    let mut checks = Vec::new();
    let settings = view.map_or(config.timezone.as_str(), |v| v.timezone.as_str());
    let daemon_local = view.and_then(|v| v.local_timezone.as_deref());
    let mut differ = Vec::new();
    if !same_zone(&c.shell_timezone, settings) {
        differ.push(format!("your shell's is {}", c.shell_timezone));
    }
    if let Some(local) = daemon_local.filter(|l| !same_zone(l, settings)) {
        differ.push(format!("the daemon's environment's is {local}"));
    }
    checks.push(if differ.is_empty() {
        Check::ok("clock.timezone", format!("{settings} everywhere"))
    } else {
        let set = if config.timezone_set {
            " (settings.timezone)"
        } else {
            " (the machine's when devtrack read its config)"
        };
        Check::warning(
            "clock.timezone",
            format!(
                "devtrack schedules in {settings}{set}, but {}: times shown by other tools differ",
                differ.join(" and ")
            ),
            format!(
                "set `settings.timezone: {}` in {} (then devtrack reload)",
                c.shell_timezone, config.path
            ),
        )
    });
    match c.ntp_synchronized {
        Some(true) => checks.push(Check::ok("clock.ntp", "synchronised (timedated)")),
        Some(false) => checks.push(Check::warning(
            "clock.ntp",
            "the clock is not synchronised (timedated NTPSynchronized=no): prompts may come at \
             the wrong time",
            "sudo timedatectl set-ntp true",
        )),
        None => {}
    }
    checks
}

/// Whether two zone names keep the same time (`UTC` and `Etc/UTC`,
/// `Asia/Calcutta` and `Asia/Kolkata`): the same offsets in winter and in
/// summer of both hemispheres, around a recent year and an older one.
fn same_zone(a: &str, b: &str) -> bool {
    use chrono::{Offset, TimeZone};
    if a == b {
        return true;
    }
    let (Ok(a), Ok(b)) = (a.parse::<chrono_tz::Tz>(), b.parse::<chrono_tz::Tz>()) else {
        return false;
    };
    [2015, 2025].into_iter().all(|year| {
        [1, 4, 7, 10].into_iter().all(|month| {
            let at = chrono::Utc
                .with_ymd_and_hms(year, month, 15, 12, 0, 0)
                .unwrap()
                .naive_utc();
            a.offset_from_utc_datetime(&at).fix() == b.offset_from_utc_datetime(&at).fix()
        })
    })
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}

/// The text after an explained error's `hint: `.
fn hint_of(explained: &str) -> Option<String> {
    explained
        .lines()
        .find_map(|l| l.trim().strip_prefix("hint: "))
        .map(str::to_string)
}

#[cfg(test)]
mod tests;

/// One enabled integration of the ticket sync: configured, a token found
/// (where, never what), and how its items fare. A missing setting or
/// token is a warning (nothing is posted, nothing is lost: the items
/// wait); items that failed are a failure, since they stay unsent until
/// retried.
fn sync(s: &SyncFacts) -> Vec<Check> {
    let name = |part: &str| format!("sync.{}.{part}", s.integration);
    let mut checks = vec![match &s.missing {
        Some(missing) => Check::warning(
            name("config"),
            format!("{missing}: its updates wait"),
            missing.split_once("; ").map_or_else(
                || "devtrack config check".to_owned(),
                |(_, fix)| fix.to_owned(),
            ),
        ),
        None => Check::ok(name("config"), "configured"),
    }];
    checks.push(match &s.token {
        Ok(source) => Check::ok(name("token"), format!("a token from {source}")),
        Err(tried) => Check::warning(
            name("token"),
            format!("no token found: {tried}"),
            format!(
                "give one (docs/sync.md): `systemctl --user edit devtrack` with \
                 `LoadCredential=devtrack-{}:PATH`, an environment variable, or \
                 integrations.{}.token_command",
                credential_suffix(&s.integration),
                s.integration
            ),
        ),
    });
    checks.push(if s.failing > 0 {
        Check::failure(
            name("items"),
            s.summary.clone(),
            "devtrack sync  (says why each failed; then devtrack sync retry --failed)",
        )
    } else {
        Check::ok(name("items"), s.summary.clone())
    });
    checks
}

/// The credential name's last part for an integration (`devtrack-azure`).
fn credential_suffix(integration: &str) -> &str {
    match integration {
        "azure_devops" => "azure",
        other => other,
    }
}
