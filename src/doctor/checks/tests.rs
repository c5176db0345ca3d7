use std::path::PathBuf;

use super::*;
use crate::doctor::CheckStatus::{self, Failure, Ok as Fine, Warning};
use crate::protocol::NotificationView;

fn find<'a>(checks: &'a [Check], name: &str) -> &'a Check {
    checks
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no `{name}` in {checks:#?}"))
}

fn status_of(checks: &[Check], name: &str) -> Option<CheckStatus> {
    checks.iter().find(|c| c.name == name).map(|c| c.status)
}

fn healthy_service() -> ServiceFacts {
    ServiceFacts {
        manager: "systemd user manager".into(),
        installed: true,
        definition: Some("/home/a/.config/systemd/user/devtrack.service".into()),
        enabled: Some(true),
        loaded: true,
        active: true,
        state: Some("active (running)".into()),
        need_reload: Some(false),
        program: Some("/usr/bin/devtrack".into()),
        main_pid: Some(42),
        linger: Some(true),
        log: Some(Ok(())),
        environment: Some(vec![("DISPLAY".into(), ":0".into())]),
        ..ServiceFacts::default()
    }
}

fn healthy_view() -> DoctorView {
    DoctorView {
        version: "1.0.0".into(),
        pid: 42,
        exe: Some("/usr/bin/devtrack".into()),
        timezone: "Europe/Paris".into(),
        local_timezone: Some("Europe/Paris".into()),
        display: Some(":0".into()),
        wayland_display: None,
        dbus_session_bus_address: Some("unix:path=/run/user/1000/bus".into()),
        notifications_enabled: true,
        notifications: NotificationView {
            server: Some("dunst 1.9".into()),
            capabilities: vec!["actions".into(), "body".into()],
            error: None,
        },
        dialog_enabled: true,
        dialog: Some("/usr/bin/zenity".into()),
        inotify_watches: 12,
        inotify_instances: Some(2),
        repositories: vec![RepoStatus {
            name: "app".into(),
            path: "/src/app".into(),
            project: None,
            state: RepoState::Watching,
            branch: None,
            worktrees: 0,
            last_commit_at: None,
            last_commit_summary: None,
            note: None,
            folder: None,
        }],
    }
}

fn healthy() -> Facts {
    Facts {
        version: "1.0.0".into(),
        service: Some(healthy_service()),
        daemon: Some(DaemonFacts::Running(Box::new(healthy_view()))),
        config: ConfigFacts {
            path: "/home/a/.config/devtrack/config.yaml".into(),
            exists: true,
            timezone: "Europe/Paris".into(),
            ..ConfigFacts::default()
        },
        repositories: vec![RepoFacts {
            name: "app".into(),
            path: "/src/app".into(),
            enabled: true,
            exists: true,
            not_git: None,
            reflog: Some(true),
        }],
        inotify: InotifyFacts {
            max_watches: Some(8192),
            max_instances: Some(128),
            watches_in_use: Some(100),
            instances_in_use: Some(3),
        },
        store: StoreFacts {
            path: "/home/a/.local/share/devtrack/devtrack.db".into(),
            exists: true,
            quick_check: Some(Ok(())),
            schema: Some(6),
            expected_schema: 6,
            size: Some(1 << 20),
            wal_size: Some(4096),
            free: Some(10 << 30),
        },
        clock: ClockFacts {
            shell_timezone: "Europe/Paris".into(),
            ntp_synchronized: Some(true),
        },
        integrations: vec![SyncFacts {
            integration: "jira".into(),
            missing: None,
            token: Ok("$JIRA_API_TOKEN".into()),
            summary: "jira: 2 sent today".into(),
            failing: 0,
        }],
    }
}

#[test]
fn a_healthy_setup_is_all_ticks() {
    let checks = all(&healthy());
    let not_ok: Vec<_> = checks.iter().filter(|c| c.status != Fine).collect();
    assert!(not_ok.is_empty(), "{not_ok:#?}");
    for name in [
        "service.manager",
        "service.installed",
        "service.enabled",
        "service.active",
        "service.reload",
        "service.binary",
        "service.linger",
        "service.log",
        "daemon.running",
        "daemon.version",
        "config",
        "config.permissions",
        "repo.app",
        "inotify.watches",
        "inotify.instances",
        "notifications",
        "notifications.answer",
        "dialog",
        "display",
        "store.integrity",
        "store.schema",
        "store.space",
        "clock.timezone",
        "clock.ntp",
        "sync.jira.config",
        "sync.jira.token",
        "sync.jira.items",
    ] {
        assert!(checks.iter().any(|c| c.name == name), "no `{name}`");
    }
    assert!(checks.iter().all(|c| c.fix.is_none()));
}

/// One change to the healthy facts, the check it shows in, its status and
/// a piece of its fix.
type Case = (
    &'static str,
    fn(&mut Facts),
    &'static str,
    CheckStatus,
    &'static str,
);

#[test]
fn each_finding_has_its_status_and_fix() {
    let cases: &[Case] = &[
        (
            "manager unreachable",
            |f| {
                f.service.as_mut().unwrap().unreachable =
                    Some("Failed to connect to bus\nhint: log in".into())
            },
            "service.manager",
            Warning,
            "devtrack run",
        ),
        (
            "not installed",
            |f| {
                let s = f.service.as_mut().unwrap();
                (s.installed, s.loaded) = (false, false);
                f.daemon = Some(DaemonFacts::NotRunning);
            },
            "service.installed",
            Warning,
            "devtrack install-service",
        ),
        (
            "not loaded",
            |f| f.service.as_mut().unwrap().loaded = false,
            "service.loaded",
            Failure,
            "systemctl --user daemon-reload",
        ),
        (
            "disabled",
            |f| f.service.as_mut().unwrap().enabled = Some(false),
            "service.enabled",
            Warning,
            "systemctl --user enable devtrack.service",
        ),
        (
            "inactive",
            |f| {
                let s = f.service.as_mut().unwrap();
                s.active = false;
                s.state = Some("failed (failed)".into());
            },
            "service.active",
            Failure,
            "devtrack start",
        ),
        (
            "unit edited",
            |f| f.service.as_mut().unwrap().need_reload = Some(true),
            "service.reload",
            Warning,
            "systemctl --user daemon-reload",
        ),
        (
            "binary in target/",
            |f| {
                f.service.as_mut().unwrap().program =
                    Some(PathBuf::from("/src/devtrack/target/debug/devtrack"))
            },
            "service.binary",
            Warning,
            "devtrack install-service --force",
        ),
        (
            "binary replaced",
            |f| {
                if let Some(DaemonFacts::Running(v)) = &mut f.daemon {
                    v.exe = Some("/usr/bin/devtrack (deleted)".into());
                }
            },
            "service.binary",
            Warning,
            "devtrack restart",
        ),
        (
            "linger off",
            |f| f.service.as_mut().unwrap().linger = Some(false),
            "service.linger",
            Warning,
            "loginctl enable-linger",
        ),
        (
            "journal unreadable",
            |f| {
                f.service.as_mut().unwrap().log =
                Some(Err("no journal entries are visible to you\nhint: sudo usermod -aG systemd-journal a".into()))
            },
            "service.log",
            Warning,
            "usermod -aG systemd-journal",
        ),
        (
            "stopped, installed",
            |f| f.daemon = Some(DaemonFacts::NotRunning),
            "daemon.running",
            Failure,
            "devtrack start",
        ),
        (
            "stopped, not installed",
            |f| {
                f.service = None;
                f.daemon = Some(DaemonFacts::NotRunning);
            },
            "daemon.running",
            Warning,
            "devtrack install-service",
        ),
        (
            "not answering",
            |f| f.daemon = Some(DaemonFacts::NotAnswering("timed out".into())),
            "daemon.running",
            Failure,
            "devtrack restart",
        ),
        (
            "versions differ",
            |f| f.version = "1.1.0".into(),
            "daemon.version",
            Failure,
            "devtrack restart",
        ),
        (
            "config invalid",
            |f| {
                f.config.error =
                    Some("config.yaml:3: settings.x: unknown key\nhint: remove it".into())
            },
            "config",
            Failure,
            "remove it",
        ),
        (
            "no config",
            |f| f.config.exists = false,
            "config",
            Warning,
            "devtrack config init",
        ),
        (
            "group-writable with a hook",
            |f| {
                f.config.runs_commands = true;
                f.config.writable_by_others = Some(
                "hook refused: `/c/config.yaml` is writable by group (mode 0664); fix: chmod g-w /c/config.yaml".into(),
            );
            },
            "config.permissions",
            Failure,
            "chmod g-w /c/config.yaml",
        ),
        (
            "group-writable without a hook",
            |f| {
                f.config.writable_by_others = Some(
                    "hook refused: `/c` is writable by others (mode 0777); fix: chmod o-w /c"
                        .into(),
                );
            },
            "config.permissions",
            Warning,
            "chmod o-w /c",
        ),
        (
            "repository deleted",
            |f| {
                f.repositories[0].exists = false;
                if let Some(DaemonFacts::Running(v)) = &mut f.daemon {
                    v.repositories[0].state = RepoState::Missing {
                        reason: "no such directory".into(),
                    };
                }
            },
            "repo.app",
            Failure,
            "devtrack repo remove app",
        ),
        (
            "not a repository",
            |f| f.repositories[0].not_git = Some("could not find repository".into()),
            "repo.app",
            Failure,
            "git init /src/app",
        ),
        (
            "no reflog",
            |f| f.repositories[0].reflog = Some(false),
            "repo.app.reflog",
            Warning,
            "git -C /src/app config core.logAllRefUpdates true",
        ),
        (
            "not watched",
            |f| {
                if let Some(DaemonFacts::Running(v)) = &mut f.daemon {
                    v.repositories[0].state = RepoState::Error {
                        reason: "the inotify watch limit is reached".into(),
                    };
                }
            },
            "repo.app",
            Failure,
            "fs.inotify.max_user_watches",
        ),
        (
            "watches exhausted",
            |f| f.inotify.watches_in_use = Some(8192),
            "inotify.watches",
            Failure,
            "sudo sysctl fs.inotify.max_user_watches=16384",
        ),
        (
            "watches nearly exhausted",
            |f| f.inotify.watches_in_use = Some(8000),
            "inotify.watches",
            Warning,
            "sysctl.d",
        ),
        (
            "instances exhausted",
            |f| f.inotify.instances_in_use = Some(128),
            "inotify.instances",
            Failure,
            "fs.inotify.max_user_instances=8192",
        ),
        (
            "no notification server",
            |f| {
                if let Some(DaemonFacts::Running(v)) = &mut f.daemon {
                    v.notifications = NotificationView {
                        error: Some("no owner".into()),
                        ..Default::default()
                    };
                }
            },
            "notifications",
            Failure,
            "notification server",
        ),
        (
            "no bus address in the daemon",
            |f| {
                if let Some(DaemonFacts::Running(v)) = &mut f.daemon {
                    v.notifications = NotificationView {
                        error: Some("no session bus".into()),
                        ..Default::default()
                    };
                    v.dbus_session_bus_address = None;
                }
            },
            "notifications",
            Failure,
            "import-environment DBUS_SESSION_BUS_ADDRESS",
        ),
        (
            "no actions",
            |f| {
                if let Some(DaemonFacts::Running(v)) = &mut f.daemon {
                    v.notifications.capabilities = vec!["body".into()];
                }
            },
            "notifications.answer",
            Warning,
            "actions",
        ),
        (
            "no dialog",
            |f| {
                if let Some(DaemonFacts::Running(v)) = &mut f.daemon {
                    v.dialog = None;
                }
            },
            "dialog",
            Warning,
            "zenity",
        ),
        (
            "no display",
            |f| f.service.as_mut().unwrap().environment = Some(vec![]),
            "display",
            Warning,
            "systemctl --user import-environment DISPLAY WAYLAND_DISPLAY",
        ),
        (
            "no display, no manager",
            |f| {
                f.service = None;
                if let Some(DaemonFacts::Running(v)) = &mut f.daemon {
                    v.display = None;
                }
            },
            "display",
            Warning,
            "desktop terminal",
        ),
        (
            "store corrupted",
            |f| f.store.quick_check = Some(Err("database disk image is malformed".into())),
            "store.integrity",
            Failure,
            ".recover",
        ),
        (
            "store from a newer devtrack",
            |f| f.store.schema = Some(7),
            "store.schema",
            Failure,
            "newer devtrack",
        ),
        (
            "daemon older than the store's client",
            |f| f.store.schema = Some(5),
            "store.schema",
            Warning,
            "devtrack restart",
        ),
        (
            "disk full",
            |f| f.store.free = Some(1024),
            "store.space",
            Failure,
            "free space",
        ),
        (
            "disk almost full",
            |f| f.store.free = Some(10 << 20),
            "store.space",
            Warning,
            "free space",
        ),
        (
            "shell in another zone",
            |f| f.clock.shell_timezone = "UTC".into(),
            "clock.timezone",
            Warning,
            "settings.timezone: UTC",
        ),
        (
            "daemon in another zone",
            |f| {
                if let Some(DaemonFacts::Running(v)) = &mut f.daemon {
                    v.local_timezone = Some("UTC".into());
                }
            },
            "clock.timezone",
            Warning,
            "settings.timezone: Europe/Paris",
        ),
        (
            "zone set in the file",
            |f| {
                f.clock.shell_timezone = "UTC".into();
                f.config.timezone_set = true;
            },
            "clock.timezone",
            Warning,
            "settings.timezone: UTC",
        ),
        (
            "not synchronised",
            |f| f.clock.ntp_synchronized = Some(false),
            "clock.ntp",
            Warning,
            "timedatectl set-ntp true",
        ),
        (
            "an integration without its url",
            |f| f.integrations[0].missing = Some("jira: no url; set integrations.jira.url".into()),
            "sync.jira.config",
            Warning,
            "set integrations.jira.url",
        ),
        (
            "no token",
            |f| {
                f.integrations[0].token =
                    Err("tried $CREDENTIALS_DIRECTORY/devtrack-jira, $JIRA_API_TOKEN".into())
            },
            "sync.jira.token",
            Warning,
            "LoadCredential=devtrack-jira:",
        ),
        (
            "failed items",
            |f| {
                f.integrations[0].failing = 1;
                f.integrations[0].summary =
                    "jira: 0 sent today · 1 failing (401 Unauthorized)".into();
            },
            "sync.jira.items",
            Failure,
            "devtrack sync retry --failed",
        ),
    ];
    for (what, change, name, status, fix) in cases {
        let mut facts = healthy();
        change(&mut facts);
        let checks = all(&facts);
        let check = find(&checks, name);
        assert_eq!(check.status, *status, "{what}: {check:#?}");
        let got = check.fix.as_deref().unwrap_or_default();
        assert!(got.contains(fix), "{what}: fix `{got}` lacks `{fix}`");
    }
}

#[test]
fn zones_that_keep_the_same_time_are_the_same() {
    for (a, b, same) in [
        ("UTC", "Etc/UTC", true),
        ("Asia/Calcutta", "Asia/Kolkata", true),
        ("Europe/Paris", "Europe/Berlin", true),
        ("Europe/Paris", "Europe/London", false),
        ("UTC", "Nowhere/Else", false),
    ] {
        assert_eq!(same_zone(a, b), same, "{a} {b}");
    }
}

#[test]
fn lines_that_cannot_be_judged_are_left_out() {
    let mut facts = healthy();
    facts.clock.ntp_synchronized = None;
    facts.daemon = Some(DaemonFacts::NotRunning);
    let checks = all(&facts);
    for name in ["clock.ntp", "notifications", "dialog", "daemon.version"] {
        assert_eq!(status_of(&checks, name), None, "{name}");
    }
    // The repository is still checked on disk.
    assert_eq!(status_of(&checks, "repo.app"), Some(Fine));
}

#[test]
fn disabled_notifications_and_folders_repositories() {
    let mut view = healthy_view();
    view.notifications_enabled = false;
    view.notifications = NotificationView::default();
    view.repositories[0].name = "found-in-folder".into();
    view.repositories[0].state = RepoState::Missing {
        reason: "gone".into(),
    };
    let mut facts = healthy();
    facts.daemon = Some(DaemonFacts::Running(Box::new(view.clone())));
    let checks = all(&facts);
    assert_eq!(status_of(&checks, "notifications"), Some(Fine));
    assert_eq!(status_of(&checks, "repo.found-in-folder"), Some(Failure));
    let daemon_side = daemon_checks(&view, &facts.inotify);
    assert_eq!(
        status_of(&daemon_side, "repo.found-in-folder"),
        Some(Failure)
    );
    assert_eq!(status_of(&daemon_side, "inotify.watches"), Some(Fine));
}

#[test]
fn a_stopped_service_with_no_manager_never_fails_for_the_manager() {
    let mut facts = healthy();
    facts.service = Some(ServiceFacts {
        manager: "systemd user manager".into(),
        unreachable: Some("no bus".into()),
        ..ServiceFacts::default()
    });
    facts.daemon = Some(DaemonFacts::NotRunning);
    let checks = all(&facts);
    assert_eq!(status_of(&checks, "service.manager"), Some(Warning));
    assert_eq!(status_of(&checks, "daemon.running"), Some(Warning));
    assert_eq!(status_of(&checks, "service.active"), None);
}

#[test]
fn the_status_page_gets_the_daemons_failures_first_and_no_ticks() {
    let mut view = healthy_view();
    view.notifications.capabilities = vec!["body".into()];
    view.repositories[0].state = RepoState::Error {
        reason: "unreadable".into(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let found = runtime.block_on(crate::doctor::health(&view));
    let names: Vec<(&str, CheckStatus)> =
        found.iter().map(|c| (c.name.as_str(), c.status)).collect();
    assert_eq!(
        names,
        [("repo.app", Failure), ("notifications.answer", Warning)],
        "{found:#?}"
    );
}
