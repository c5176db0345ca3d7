//! `devtrack doctor` against real failures, without the real user manager:
//! a daemon on a private session bus with and without a notification
//! server (stopped while the daemon runs), a config made group-writable
//! with a hook, a repository deleted, one with `core.logAllRefUpdates
//! false`, a store corrupted, and the inotify instances of a uid of the
//! test's own exhausted (the per-user limit is reached, no sysctl is
//! changed). The `--json` output is validated against the schema in
//! docs/doctor.md. Under the real user manager: tests/systemd.rs
//! (`systemd::doctor_*`); with the inotify watch limit lowered:
//! tests/reliability/faults/inotify.rs.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Output;

use futures_lite::StreamExt;

use crate::notification_server::{BlockingServer, Bus};
use crate::util::{git, git_repo, skip, text, Env, WAIT};

const NAME: &str = "org.freedesktop.Notifications";

/// The JSON Schema block of docs/doctor.md.
fn documented_schema() -> serde_json::Value {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/doctor.md")).unwrap();
    let start = doc.find("```json\n").expect("a ```json block") + "```json\n".len();
    let end = start + doc[start..].find("```").unwrap();
    serde_json::from_str(&doc[start..end]).expect("the documented schema is JSON")
}

/// The part of JSON Schema the documented schema uses: `type` (one or a
/// list), `enum`, `required`, `properties`, `additionalProperties: false`
/// and `items`. Returns what does not match, with its JSON path.
fn validate(schema: &serde_json::Value, value: &serde_json::Value, at: &str) -> Vec<String> {
    use serde_json::Value;
    let mut errors = Vec::new();
    let type_name = |v: &Value| match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    if let Some(t) = schema.get("type") {
        let allowed: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
            _ => panic!("bad type in the schema at {at}"),
        };
        if !allowed.contains(&type_name(value)) {
            errors.push(format!("{at}: {} is not {allowed:?}", type_name(value)));
            return errors;
        }
    }
    if let Some(Value::Array(options)) = schema.get("enum") {
        if !options.contains(value) {
            errors.push(format!("{at}: {value} is not one of {options:?}"));
        }
    }
    if let Value::Object(fields) = value {
        for name in schema["required"].as_array().into_iter().flatten() {
            let name = name.as_str().unwrap();
            if !fields.contains_key(name) {
                errors.push(format!("{at}: `{name}` is missing"));
            }
        }
        let properties = schema["properties"].as_object();
        for (name, v) in fields {
            match properties.and_then(|p| p.get(name)) {
                Some(s) => errors.extend(validate(s, v, &format!("{at}.{name}"))),
                None if schema["additionalProperties"] == Value::Bool(false) => {
                    errors.push(format!("{at}: `{name}` is not in the schema"))
                }
                None => {}
            }
        }
    }
    if let (Value::Array(items), Some(s)) = (value, schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            errors.extend(validate(s, item, &format!("{at}[{i}]")));
        }
    }
    errors
}

/// `doctor --json` in `env`, validated against the documented schema: the
/// exit status and the checks by name.
fn doctor(env: &Env) -> (Output, serde_json::Value) {
    let out = env.run(["doctor", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("doctor --json is not JSON ({e}): {}", text(&out)));
    let errors = validate(&documented_schema(), &json, "$");
    assert!(errors.is_empty(), "{errors:#?}\n{json:#}");
    let failed = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["status"] == "failure");
    assert_eq!(json["ok"], !failed, "{json:#}");
    assert_eq!(out.status.code(), Some(i32::from(failed)), "{}", text(&out));
    (out, json)
}

/// The check named `name` in `doctor --json`'s output.
#[track_caller]
pub(crate) fn check<'a>(json: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no `{name}` check in {json:#}"))
}

#[track_caller]
fn assert_check(json: &serde_json::Value, name: &str, status: &str, fix_part: &str) {
    let c = check(json, name);
    assert_eq!(c["status"], status, "{c:#}");
    let fix = c["fix"].as_str().unwrap_or_default();
    assert!(
        fix.contains(fix_part),
        "`{name}`'s fix lacks `{fix_part}`: {c:#}"
    );
}

#[test]
fn the_schema_validator_catches_what_it_should() {
    let schema = documented_schema();
    let good = serde_json::json!({"ok": true, "checks": [
        {"name": "config", "status": "ok", "detail": "valid", "fix": null}
    ]});
    assert!(validate(&schema, &good, "$").is_empty());
    for bad in [
        serde_json::json!({"ok": true}),
        serde_json::json!({"ok": true, "checks": [{"name": "x", "status": "bad", "detail": "", "fix": null}]}),
        serde_json::json!({"ok": true, "checks": [{"name": "x", "status": "ok", "detail": "", "fix": 1}]}),
        serde_json::json!({"ok": true, "checks": [{"name": "x", "status": "ok", "detail": "", "fix": null, "more": 1}]}),
    ] {
        assert!(!validate(&schema, &bad, "$").is_empty(), "{bad}");
    }
}

/// A listed repository deleted, one whose reflog is off, a config others
/// can write that names a hook, and a corrupted store: each has its line,
/// with the daemon stopped.
#[test]
fn files_on_disk_each_fail_their_check_with_the_daemon_stopped() {
    let env = Env::new();
    let kept = env.dir.path().join("kept");
    let gone = env.dir.path().join("gone");
    git_repo(&kept);
    git_repo(&gone);
    git(&kept, &["config", "core.logAllRefUpdates", "false"]);
    env.write_config(&format!(
        "repositories:\n  - {{name: kept, path: {}}}\n  - {{name: gone, path: {}}}\n\
         settings:\n  timezone: UTC\nprompts:\n  on_trigger: {{command: [/bin/true]}}\n",
        kept.display(),
        gone.display()
    ));
    let config = env.config_path();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::set_permissions(
        config.parent().unwrap(),
        std::fs::Permissions::from_mode(0o700),
    )
    .unwrap();
    // A note with no daemon writes the store directly: a real store.
    let out = env.run(["note", "set up the doctor test"]);
    assert!(out.status.success(), "{}", text(&out));

    let (_, json) = doctor(&env);
    assert_eq!(check(&json, "config")["status"], "ok", "{json:#}");
    assert_eq!(check(&json, "config.permissions")["status"], "ok");
    assert_eq!(check(&json, "repo.gone")["status"], "ok");
    assert_eq!(check(&json, "store.integrity")["status"], "ok");
    assert_eq!(check(&json, "store.schema")["status"], "ok");
    assert_eq!(check(&json, "inotify.instances")["status"], "ok");
    assert_check(
        &json,
        "repo.kept.reflog",
        "warning",
        &format!(
            "git -C {} config core.logAllRefUpdates true",
            kept.display()
        ),
    );
    let daemon = check(&json, "daemon.running");
    assert_ne!(daemon["status"], "ok", "{daemon:#}");

    std::fs::remove_dir_all(&gone).unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o660)).unwrap();
    let db = env.database();
    let mut bytes = std::fs::read(&db).unwrap();
    assert!(bytes.len() > 8192, "a store of more than two pages");
    for b in bytes.iter_mut().skip(4096) {
        *b = 0xA5;
    }
    std::fs::write(&db, bytes).unwrap();

    let (out, json) = doctor(&env);
    assert_eq!(out.status.code(), Some(1));
    assert_check(&json, "repo.gone", "failure", "devtrack repo remove gone");
    assert_check(
        &json,
        "config.permissions",
        "failure",
        &format!("chmod g-w {}", config.canonicalize().unwrap().display()),
    );
    assert_check(&json, "store.integrity", "failure", ".recover");

    // The text output: the same lines, marks and fixes.
    let out = env.run(["doctor"]);
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("✗ repo.gone: "), "{said}");
    assert!(said.contains("! repo.kept.reflog: "), "{said}");
    assert!(
        said.contains("    fix: devtrack repo remove gone"),
        "{said}"
    );
    assert!(said.contains("✗ store.integrity: "), "{said}");
}

/// Waits until no one owns the notification name on `address`, having
/// dropped `server`: the bus's `NameOwnerChanged`, not a timer.
pub(crate) fn stop_server(server: BlockingServer, address: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let conn = zbus::connection::Builder::address(address)
            .unwrap()
            .build()
            .await
            .unwrap();
        let bus = zbus::fdo::DBusProxy::new(&conn).await.unwrap();
        let mut changes = bus
            .receive_name_owner_changed_with_args(&[(0, NAME)])
            .await
            .unwrap();
        drop(server);
        tokio::time::timeout(WAIT, async {
            while let Some(signal) = changes.next().await {
                if signal.args().unwrap().new_owner.is_none() {
                    return;
                }
            }
        })
        .await
        .expect("the server left the bus");
    });
}

/// The daemon's view: a notification server on its bus, with its
/// capabilities, then stopped while the daemon runs (a `✗`), and no
/// dialog (`prompts.dialog: false`).
#[test]
fn the_daemon_reports_its_notification_server_and_its_loss() {
    let env = Env::new();
    let repo = env.dir.path().join("app");
    git_repo(&repo);
    env.write_config(&format!(
        "repositories:\n  - {{name: app, path: {}}}\nsettings:\n  timezone: UTC\nprompts:\n  dialog: false\n",
        repo.display()
    ));
    let bus = Bus::start(&env.dir.path().join("bus"));
    let server = BlockingServer::start(&bus.address(), &["actions", "body"]);
    let daemon = env.start_with(|c| {
        c.env("DBUS_SESSION_BUS_ADDRESS", bus.address());
    });

    let (_, json) = doctor(&env);
    let running = check(&json, "daemon.running");
    assert_eq!(running["status"], "ok", "{running:#}");
    assert_eq!(check(&json, "daemon.version")["status"], "ok");
    let n = check(&json, "notifications");
    assert_eq!(n["status"], "ok", "{n:#}");
    assert!(
        n["detail"].as_str().unwrap().contains("actions, body"),
        "{n:#}"
    );
    assert_eq!(check(&json, "repo.app")["status"], "ok");
    assert!(
        check(&json, "repo.app")["detail"]
            .as_str()
            .unwrap()
            .contains("watched"),
        "{json:#}"
    );
    assert_eq!(check(&json, "clock.timezone")["status"], "ok", "{json:#}");

    stop_server(server, &bus.address());
    let (out, json) = doctor(&env);
    assert_eq!(out.status.code(), Some(1));
    assert_check(&json, "notifications", "failure", "notification server");
    let detail = check(&json, "notifications")["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(detail.contains("no notification server"), "{detail}");
    drop(daemon);
}

/// A uid of the test's own, whose inotify instances a holder process
/// takes until the kernel refuses one more: the per-user limit is reached
/// for that uid only, no sysctl is changed.
const INSTANCES_UID: u32 = 64931;

#[test]
fn inotify_instances_exhausted_for_the_user_fail() {
    const TEST: &str = "doctor::inotify_instances_exhausted_for_the_user_fail";
    if !nix::unistd::geteuid().is_root() {
        skip(TEST, "running as another uid needs root");
        return;
    }
    let env = Env::new();
    chown(env.dir.path(), INSTANCES_UID);
    let mut holder = std::process::Command::new("sleep");
    holder.arg("infinity").uid(INSTANCES_UID).gid(INSTANCES_UID);
    // After fork, as the uid: take instances until the limit refuses one
    // (only raw system calls here); they stay open across `exec`.
    unsafe {
        holder.pre_exec(|| {
            while nix::libc::inotify_init() >= 0 {}
            Ok(())
        });
    }
    let mut holder = Holder(holder.spawn().unwrap());
    let mut cmd = env.cmd(["doctor", "--json"]);
    cmd.uid(INSTANCES_UID).gid(INSTANCES_UID);
    let out = cmd.output().unwrap();
    holder.stop();
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    assert_eq!(out.status.code(), Some(1), "{json:#}");
    assert_check(
        &json,
        "inotify.instances",
        "failure",
        "sudo sysctl fs.inotify.max_user_instances=",
    );
}

/// Kills the holder when the test ends, also when it fails.
struct Holder(std::process::Child);

impl Holder {
    fn stop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        self.stop();
    }
}

fn chown(path: &Path, uid: u32) {
    let status = std::process::Command::new("chown")
        .args(["-R", &format!("{uid}:{uid}")])
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}
