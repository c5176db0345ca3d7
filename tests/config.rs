//! The config loader against fixture files: every bad config must name the
//! right key path and line, every good one must load with the expected values.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Weekday;
use devtrack::config::{self, CommitTriggers, LogLevel, TimeOfDay};

fn fixture(kind: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(kind)
        .join(format!("{name}.yaml"))
}

/// (fixture, key path ("" for none), line, column, substring of the message)
const BAD: &[(&str, &str, usize, usize, &str)] = &[
    (
        "syntax_mapping_value_in_scalar",
        "",
        3,
        26,
        "invalid YAML: mapping values are not allowed",
    ),
    (
        "syntax_unclosed_flow_list",
        "",
        5,
        12,
        "invalid YAML: did not find expected ',' or ']'",
    ),
    (
        "top_level_is_a_list",
        "",
        2,
        1,
        "expected a map at the top level, found a list",
    ),
    (
        "unknown_top_level_key",
        "repositores",
        2,
        1,
        "unknown key `repositores`",
    ),
    (
        "prompts_unknown_key",
        "prompts.snoze",
        5,
        3,
        "unknown key `snoze`",
    ),
    (
        "prompts_snooze_no_unit",
        "prompts.snooze",
        2,
        3,
        "expected a duration like `30m`, found the number `30`",
    ),
    (
        "prompts_hook_command_a_string",
        "prompts.on_trigger.command",
        3,
        5,
        "expected a list of strings",
    ),
    (
        "prompts_hook_without_command",
        "prompts.on_trigger",
        2,
        3,
        "missing `command`",
    ),
    (
        "unknown_settings_key",
        "settings.intervall",
        4,
        3,
        "unknown key `intervall`",
    ),
    (
        "setting_at_top_level",
        "prompt_interval",
        2,
        1,
        "unknown key `prompt_interval`",
    ),
    (
        "unknown_repository_key",
        "repositories[1].pth",
        5,
        5,
        "unknown key `pth`",
    ),
    (
        "unknown_integration",
        "integrations.gitlab",
        3,
        3,
        "unknown key `gitlab`",
    ),
    (
        "prompt_interval_zero",
        "settings.prompt_interval",
        3,
        3,
        "`0` must be between 1 and 1440 minutes",
    ),
    (
        "prompt_interval_too_large",
        "settings.prompt_interval",
        2,
        3,
        "`1441` must be between 1 and 1440",
    ),
    (
        "prompt_interval_not_a_number",
        "settings.prompt_interval",
        3,
        3,
        "expected an integer, found the string `often`",
    ),
    (
        "prompt_interval_quoted",
        "settings.prompt_interval",
        2,
        3,
        "expected an integer, found the string `60`",
    ),
    (
        "work_end_hour_out_of_range",
        "settings.work_end_hour",
        3,
        3,
        "`25` must be between 0 and 24",
    ),
    (
        "work_start_hour_24",
        "settings.work_start_hour",
        2,
        3,
        "24:00 is only allowed as the end",
    ),
    (
        "work_start_malformed",
        "settings.work_start",
        3,
        3,
        "`9am` is not a time of day",
    ),
    (
        "work_end_minutes_out_of_range",
        "settings.work_end",
        3,
        3,
        "minutes must be between 00 and 59",
    ),
    (
        "work_end_set_twice",
        "settings.work_end",
        4,
        3,
        "`work_end` and `work_end_hour` are both set",
    ),
    (
        "work_hours_empty_range",
        "settings.work_end",
        3,
        3,
        "empty work-hours range 09:00-09:00",
    ),
    (
        "work_days_empty",
        "settings.work_days",
        3,
        3,
        "no work days",
    ),
    (
        "work_days_bad_name",
        "settings.work_days[1]",
        4,
        7,
        "unknown day `funday`",
    ),
    (
        "work_days_bad_range",
        "settings.work_days",
        2,
        3,
        "unknown day `fryday`",
    ),
    (
        "work_days_is_a_map",
        "settings.work_days",
        2,
        3,
        "expected a list of days",
    ),
    (
        "timezone_unknown",
        "settings.timezone",
        3,
        3,
        "unknown timezone `Mars/Olympus`",
    ),
    (
        "timezone_wrong_case",
        "settings.timezone",
        2,
        3,
        "unknown timezone `asia/kolkata`",
    ),
    (
        "duplicate_repository_name",
        "repositories[2].name",
        6,
        5,
        "duplicate repository name `api`",
    ),
    (
        "repository_missing_name",
        "repositories[1].name",
        4,
        5,
        "missing repository `name`",
    ),
    (
        "repository_missing_path",
        "repositories[0].path",
        2,
        5,
        "missing `path` for repository `api`",
    ),
    (
        "repository_empty_path",
        "repositories[0].path",
        2,
        17,
        "empty path",
    ),
    (
        "repository_not_a_map",
        "repositories[1]",
        4,
        5,
        "expected a repository map",
    ),
    (
        "repositories_is_a_map",
        "repositories",
        1,
        1,
        "expected a list of repositories, found a map",
    ),
    (
        "repository_tilde_user_path",
        "repositories[0].path",
        3,
        5,
        "`~user` paths are not supported",
    ),
    (
        "repository_enabled_not_bool",
        "repositories[0].enabled",
        4,
        5,
        "expected `true` or `false`, found the string `sometimes`",
    ),
    (
        "repository_commit_triggers_bad",
        "repositories[0].commit_triggers",
        2,
        33,
        "unknown commit trigger mode `mine`",
    ),
    (
        "settings_is_a_list",
        "settings",
        1,
        1,
        "expected a map of settings, found a list",
    ),
    (
        "log_level_bad",
        "settings.log_level",
        2,
        3,
        "unknown log level `verbose`",
    ),
    (
        "commit_triggers_bad",
        "settings.commit_triggers",
        2,
        3,
        "unknown commit trigger mode `everything`",
    ),
    (
        "authors_not_an_email",
        "settings.authors[1]",
        4,
        7,
        "`dev` is not an e-mail address",
    ),
    (
        "authors_not_a_string",
        "settings.authors[1]",
        2,
        30,
        "expected an e-mail address, found the number `42`",
    ),
    (
        "authors_is_a_string",
        "settings.authors",
        2,
        3,
        "expected a list of e-mail addresses",
    ),
    (
        "debounce_out_of_range",
        "settings.commit_debounce_ms",
        2,
        3,
        "`60001` must be between 0 and 60000 milliseconds",
    ),
    (
        "debounce_negative",
        "settings.commit_debounce_ms",
        2,
        3,
        "`-5` must be between 0 and 60000",
    ),
    (
        "work_hours_only_yes",
        "settings.work_hours_only",
        2,
        3,
        "expected `true` or `false`, found the string `yes`",
    ),
    (
        "integration_enabled_not_bool",
        "integrations.jira.enabled",
        4,
        5,
        "expected `true` or `false`, found the string `no`",
    ),
    (
        "integration_not_a_map",
        "integrations.github",
        2,
        3,
        "expected a map, found the boolean `true`",
    ),
    (
        "version_is_a_list",
        "version",
        1,
        1,
        "expected a version string, found a list",
    ),
];

/// Loads `path` expecting an error for it with this key path ("" for none),
/// line, column and message substring; says what differs otherwise.
fn expect_error(
    path: &Path,
    key: &str,
    line: usize,
    column: usize,
    message: &str,
) -> Result<config::ConfigError, String> {
    let Err(err) = config::load(path) else {
        return Err("loaded without error".to_owned());
    };
    let got = (
        err.key.clone().unwrap_or_default(),
        err.line,
        err.column,
        err.file.clone(),
    );
    let want = (key.to_owned(), Some(line), Some(column), path.to_path_buf());
    if got != want || !err.message.contains(message) {
        return Err(format!(
            "got {got:?} `{}`, want {want:?} `{message}`",
            err.message
        ));
    }
    Ok(err)
}

#[test]
fn every_bad_fixture_names_its_key_and_line() {
    let mut failures = Vec::new();
    for &(name, key, line, column, message) in BAD {
        if let Err(why) = expect_error(&fixture("bad", name), key, line, column, message) {
            failures.push(format!("{name}: {why}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_bad_fixture_is_in_the_table() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config/bad");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            e.unwrap()
                .path()
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    files.sort();
    let mut listed: Vec<String> = BAD.iter().map(|row| row.0.to_owned()).collect();
    listed.sort();
    assert_eq!(files, listed);
    assert!(files.len() >= 25);
}

#[test]
fn error_display_is_one_line_with_location_key_message_and_hint() {
    let path = fixture("bad", "unknown_settings_key");
    let err = config::load(&path).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}:4:3: settings.intervall: unknown key `intervall` (did you mean `prompt_interval`?)",
            path.display()
        )
    );
    let err = config::load(&fixture("bad", "timezone_unknown")).unwrap_err();
    assert_eq!(
        err.hint.as_deref(),
        Some("use an IANA name such as `Europe/Berlin`")
    );
    let err = config::load(&fixture("bad", "timezone_wrong_case")).unwrap_err();
    assert_eq!(err.hint.as_deref(), Some("did you mean `Asia/Kolkata`?"));
    for &(name, ..) in BAD {
        let shown = config::load(&fixture("bad", name)).unwrap_err().to_string();
        assert!(!shown.contains('\n'), "{name}: {shown}");
    }
}

#[test]
fn missing_file_is_an_error_without_a_line() {
    let path = fixture("good", "no_such_config");
    let err = config::load(&path).unwrap_err();
    assert_eq!(
        (err.key.as_deref(), err.line, err.column),
        (None, None, None)
    );
    assert!(
        err.message.starts_with("reading the config file failed"),
        "{}",
        err.message
    );
    assert!(err
        .to_string()
        .starts_with(&format!("{}: reading", path.display())));
}

#[test]
fn older_devtrack_config_loads_unchanged() {
    let path = fixture("good", "legacy_devtrack");
    let checked = config::check(&path).unwrap();
    assert!(checked.ignored_keys.is_empty());
    let config = checked.config;
    assert_eq!(config.source.as_deref(), Some(path.as_path()));
    assert_eq!(config.repositories.len(), 1);
    let repo = &config.repositories[0];
    assert_eq!(repo.name, "myproject");
    assert_eq!(repo.path, PathBuf::from("/path/to/repo"));
    assert!(repo.enabled);
    assert_eq!(repo.project.as_deref(), Some("MyProject"));
    assert_eq!(repo.commit_triggers, None);
    let s = &config.settings;
    assert_eq!(s.prompt_interval_minutes, 180);
    assert!(!s.work_hours_only);
    assert_eq!(s.work_hours.start, TimeOfDay::new(9, 0).unwrap());
    assert_eq!(s.work_hours.end, TimeOfDay::new(18, 0).unwrap());
    assert_eq!(s.work_hours.days, config::WeekdaySet::ALL);
    assert_eq!(s.timezone, chrono_tz::Asia::Kolkata);
    assert_eq!(s.log_level, LogLevel::Info);
    assert!(s.auto_sync);
    assert_eq!(s.commit_triggers, CommitTriggers::Own);
    assert!(s.authors.is_empty());
    assert_eq!(s.commit_debounce, Duration::from_millis(2000));
    assert!(s.watch_config, "watched unless turned off");
    assert!(config.integrations.azure_devops.enabled);
    assert!(config.integrations.github.enabled);
    assert!(!config.integrations.jira.enabled);
}

#[test]
fn older_devtrack_extras_are_reported_as_ignored() {
    let path = fixture("good", "legacy_extras");
    let checked = config::check(&path).unwrap();
    let ignored: Vec<(String, Option<usize>)> = checked
        .ignored_keys
        .iter()
        .map(|k| (k.key.clone(), k.line))
        .collect();
    assert_eq!(ignored, [("settings.notifications".to_owned(), Some(7))]);
    assert_eq!(
        checked.ignored_keys[0].to_string(),
        format!(
            "{}:7:3: settings.notifications: ignored legacy key",
            path.display()
        )
    );
    let config = &checked.config;
    assert_eq!(config.settings.prompt_interval_minutes, 120);
    // The older DevTrack's integration keys are honoured, except the
    // token: it is never used, and a warning (without it) says so.
    let azure = &config.integrations.azure_devops;
    assert!(azure.enabled);
    assert_eq!(
        (azure.organization.as_deref(), azure.project.as_deref()),
        (Some("contoso"), Some("Shop"))
    );
    let jira = &config.integrations.jira;
    assert_eq!(jira.url.as_deref(), Some("https://jira.example.com"));
    assert_eq!(jira.file_token, Some("api_token"));
    let warnings = config.integrations.file_token_warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0]
            .starts_with("integrations.jira.api_token: a token in the config file is never used")
            && warnings[0].contains("DEVTRACK_JIRA_TOKEN")
            && warnings[0].contains("integrations.jira.token_command")
            && !warnings[0].contains("secret"),
        "{}",
        warnings[0]
    );
}

#[test]
fn every_new_key_is_read() {
    let path = fixture("good", "every_new_key");
    let config = config::load(&path).unwrap();
    let home = PathBuf::from(std::env::var_os("HOME").expect("HOME is set"));
    let api = &config.repositories[0];
    assert_eq!(api.path, home.join("src/api"));
    assert!(!api.enabled);
    assert_eq!(api.project.as_deref(), Some("Shop"));
    assert_eq!(api.commit_triggers, Some(CommitTriggers::All));
    assert!(!api.sync);
    let docs = &config.repositories[1];
    assert_eq!(docs.path, path.parent().unwrap().join("docs"));
    assert!(docs.enabled);
    assert!(docs.sync);
    let s = &config.settings;
    assert_eq!(s.prompt_interval_minutes, 45);
    assert!(s.work_hours_only);
    assert_eq!(s.work_hours.start, TimeOfDay::new(8, 30).unwrap());
    assert_eq!(s.work_hours.end, TimeOfDay::new(17, 15).unwrap());
    assert_eq!(s.work_hours.days.to_string(), "mon-fri");
    assert_eq!(s.timezone, chrono_tz::Europe::Berlin);
    assert_eq!(s.log_level, LogLevel::Debug);
    assert!(!s.auto_sync);
    assert_eq!(s.commit_triggers, CommitTriggers::None);
    assert_eq!(
        s.authors,
        ["dev@example.com", "dev@users.noreply.github.com"]
    );
    assert_eq!(s.commit_debounce, Duration::from_millis(500));
    assert!(!s.watch_config);
    assert!(!config.integrations.azure_devops.enabled);
    let github = &config.integrations.github;
    assert!(github.enabled);
    assert_eq!(
        (
            github.api_url.as_deref(),
            github.remote.as_deref(),
            github.owner.as_deref(),
            github.repo.as_deref()
        ),
        (
            Some("https://ghe.example.com/api/v3"),
            Some("upstream"),
            Some("acme"),
            Some("tracker")
        )
    );
    assert_eq!(
        github.token_command.as_deref(),
        Some(&["gh".to_owned(), "auth".to_owned(), "token".to_owned()][..])
    );
    let jira = &config.integrations.jira;
    assert_eq!(jira.url.as_deref(), Some("https://jira.example.com/ctx"));
    assert_eq!(jira.email.as_deref(), Some("dev"));
    assert_eq!(jira.api, devtrack::config::JiraApi::DataCenter);
    assert!(jira.worklog);
    assert_eq!(jira.file_token, None);
    let p = &config.prompts;
    assert!(!p.notifications);
    assert!(!p.dialog);
    assert_eq!(p.snooze, Duration::from_secs(45 * 60));
    let hook = p.on_trigger.as_ref().expect("on_trigger is set");
    assert_eq!(hook.argv, ["/usr/local/bin/devtrack-hook", "--json"]);
    assert_eq!(hook.timeout, Duration::from_secs(10));
}

#[test]
fn overnight_range_is_valid() {
    let config = config::load(&fixture("good", "overnight")).unwrap();
    let hours = config.settings.work_hours;
    assert_eq!(hours.start, TimeOfDay::new(22, 0).unwrap());
    assert_eq!(hours.end, TimeOfDay::new(6, 0).unwrap());
    assert!(hours.end < hours.start);
    assert!(hours.days.contains(Weekday::Fri));
    assert!(!hours.days.contains(Weekday::Sat));
    assert_eq!(config.settings.timezone, chrono_tz::UTC);
}

#[test]
fn flow_style_repositories_and_settings() {
    let config = config::load(&fixture("good", "flow_repos")).unwrap();
    let names: Vec<_> = config
        .repositories
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(names, ["api", "web"]);
    assert!(!config.repositories[1].enabled);
    assert_eq!(config.repositories[1].project.as_deref(), Some("Web"));
    let s = &config.settings;
    assert_eq!(s.prompt_interval_minutes, 30);
    assert_eq!(s.work_hours.days.to_string(), "sat, sun");
    assert_eq!(s.work_hours.end, TimeOfDay::END_OF_DAY);
    assert_eq!(s.timezone, chrono_tz::America::New_York);
}

#[test]
fn empty_file_is_all_defaults() {
    let path = fixture("good", "empty");
    let config = config::load(&path).unwrap();
    assert!(config.repositories.is_empty());
    assert_eq!(
        config.settings,
        config::Settings::defaults(config::local_timezone())
    );
    assert_eq!(config.integrations, config::Integrations::default());
    assert_eq!(config.source, Some(path));
}

#[test]
fn reload_description_between_fixtures() {
    let old = config::load(&fixture("good", "legacy_devtrack")).unwrap();
    let new = config::load(&fixture("good", "overnight")).unwrap();
    let changes = config::describe_changes(&old, &new);
    assert!(
        changes.contains(&"work hours: 09:00-18:00 -> 22:00-06:00".to_owned()),
        "{changes:?}"
    );
    assert!(changes.contains(&"timezone: Asia/Kolkata -> UTC".to_owned()));
    assert!(changes.contains(&"repository removed: myproject".to_owned()));
    assert!(config::describe_changes(&new, &new).is_empty());
}

/// Writes `bytes` as `config.yaml` in a fresh temporary directory.
fn temp_config(bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

/// "billion laughs": nine levels of ten aliases each, 10^9 strings if expanded.
fn alias_bomb() -> Vec<u8> {
    let mut text = "settings:\n  notifications:\n    a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n".to_owned();
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        let _ = writeln!(text, "    a{i}: &a{i} [{refs}]");
    }
    text.into_bytes()
}

fn deep_block_nesting() -> Vec<u8> {
    let mut text = "settings:\n  notifications:\n".to_owned();
    for depth in 2..200 {
        let _ = writeln!(text, "{}k:", "  ".repeat(depth));
    }
    text.into_bytes()
}

/// (case, file content, key path ("" for none), line, column, substring of
/// the message, hint)
pub(crate) type Hostile = (
    &'static str,
    Vec<u8>,
    &'static str,
    usize,
    usize,
    &'static str,
    Option<&'static str>,
);

pub(crate) fn hostile_cases() -> Vec<Hostile> {
    vec![
        (
            "alias bomb",
            alias_bomb(),
            "",
            7,
            44,
            "YAML anchors and aliases copy more than 100000 values",
            Some("a config needs few aliases: write the values out"),
        ),
        (
            "deep flow nesting",
            format!("settings: {}{}\n", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
            "",
            1,
            75,
            "invalid YAML: collections nested deeper than 64 levels",
            None,
        ),
        (
            "deep block nesting",
            deep_block_nesting(),
            "",
            65,
            129,
            "invalid YAML: collections nested deeper than 64 levels",
            None,
        ),
        (
            "duplicate key",
            b"settings:\n  prompt_interval: 5\n  log_level: info\n  prompt_interval: 6\n".to_vec(),
            "settings.prompt_interval",
            4,
            3,
            "duplicate key",
            Some("first set at line 2 column 3; keep only one"),
        ),
        (
            "duplicate repository key",
            b"repositories:\n  - {name: a, path: /a, name: b}\n".to_vec(),
            "repositories[0].name",
            2,
            25,
            "duplicate key",
            Some("first set at line 2 column 6; keep only one"),
        ),
        (
            "tab indentation",
            b"settings:\n\tprompt_interval: 5\n".to_vec(),
            "",
            2,
            2,
            "invalid YAML: a tab in the indentation",
            Some("indent with spaces"),
        ),
        (
            "tab before a key",
            b"settings: |\n  x\n\tlog_level: info\n".to_vec(),
            "",
            3,
            2,
            "invalid YAML: while parsing a block mapping, did not find expected key",
            Some("this line is indented with a tab; YAML indents with spaces"),
        ),
        (
            "non-UTF-8",
            b"settings:\n  timezone: Europe/Berl\xffin\n".to_vec(),
            "",
            2,
            24,
            "not valid UTF-8: byte `0xff`",
            Some("devtrack reads config files as UTF-8"),
        ),
        (
            "UTF-16",
            "settings: {}\n"
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .fold(vec![0xff, 0xfe], |mut out, b| {
                    out.push(b);
                    out
                }),
            "",
            1,
            1,
            "not valid UTF-8: byte `0xff`",
            Some("the file is UTF-16; save it as UTF-8"),
        ),
        (
            "binary garbage",
            (0..4096u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
                .collect(),
            "",
            1,
            2,
            "not valid UTF-8",
            Some("devtrack reads config files as UTF-8"),
        ),
        (
            "control character",
            b"settings:\n  log_level: in\x00fo\n".to_vec(),
            "",
            2,
            16,
            "invalid YAML: unexpected character `\\u{0}`",
            None,
        ),
        (
            "BOM inside the document",
            b"settings:\n\xef\xbb\xbf  log_level: info\n".to_vec(),
            "",
            2,
            1,
            "invalid YAML: a BOM must not appear inside a document",
            None,
        ),
        (
            "second document",
            b"settings: {}\n---\nsettings: {}\n".to_vec(),
            "",
            2,
            1,
            "more than one YAML document",
            Some("a config file is one document: remove this `---` or what follows it"),
        ),
    ]
}

#[test]
fn hostile_input_gets_a_specific_error_with_its_position() {
    let mut failures = Vec::new();
    for (case, bytes, key, line, column, message, hint) in hostile_cases() {
        let (_dir, path) = temp_config(&bytes);
        match expect_error(&path, key, line, column, message) {
            Err(why) => failures.push(format!("{case}: {why}")),
            Ok(err) if err.hint.as_deref() != hint => {
                failures.push(format!("{case}: hint {:?}, want {hint:?}", err.hint))
            }
            Ok(err) if err.to_string().contains('\n') => {
                failures.push(format!("{case}: not one line: {err}"))
            }
            Ok(_) => {}
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn oversized_and_endless_files_are_refused_after_one_mebibyte() {
    let line = b"  - {name: r, path: /r}\n";
    let mut big = b"repositories:\n".to_vec();
    while big.len() < 10 << 20 {
        big.extend_from_slice(line);
    }
    let (_dir, path) = temp_config(&big);
    for path in [path.as_path(), Path::new("/dev/zero")] {
        let err = config::load(path).unwrap_err();
        assert_eq!(
            (err.key.as_deref(), err.line, err.column),
            (None, None, None)
        );
        assert_eq!(
            err.to_string(),
            format!(
                "{}: over the 1 MiB size limit for a config file",
                path.display()
            )
        );
    }
    let text = String::from_utf8(big).unwrap();
    let err = config::parse(&text, Path::new("big.yaml")).unwrap_err();
    assert_eq!(err.message, "over the 1 MiB size limit for a config file");
    // Just under the limit: read, parsed and validated.
    let mut fits = b"repositories:\n".to_vec();
    let mut index = 0;
    while fits.len() < (1 << 20) - 64 {
        fits.extend_from_slice(format!("  - {{name: r{index}, path: /r{index}}}\n").as_bytes());
        index += 1;
    }
    let (_dir, path) = temp_config(&fits);
    assert_eq!(config::load(&path).unwrap().repositories.len(), index);
}

#[test]
fn bom_crlf_and_tab_separators_load_as_before() {
    let legacy = std::fs::read_to_string(fixture("good", "legacy_devtrack")).unwrap();
    let want = config::parse(&legacy, Path::new("c.yaml")).unwrap();
    let windows = format!("\u{feff}{}", legacy.replace('\n', "\r\n"));
    assert_eq!(config::parse(&windows, Path::new("c.yaml")).unwrap(), want);
    let tabbed = legacy.replace("prompt_interval: 180", "prompt_interval:\t180");
    assert_eq!(config::parse(&tabbed, Path::new("c.yaml")).unwrap(), want);
    // Positions stay right after a BOM and with CRLF line ends.
    let err = config::parse(
        "\u{feff}settings:\r\n  log_level: info\r\n  prompt_interval: 0\r\n",
        Path::new("c.yaml"),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "c.yaml:3:3: settings.prompt_interval: `0` must be between 1 and 1440 minutes"
    );
    let err = config::parse("\u{feff}prompt_interval: 5\n", Path::new("c.yaml")).unwrap_err();
    assert_eq!((err.line, err.column), (Some(1), Some(1)));
}

#[test]
fn the_same_repository_twice_is_an_error_naming_both_entries() {
    use crate::util::{git, git_repo, text, Env};
    let env = Env::new();
    let api = env.dir.path().join("src/api");
    git_repo(&api);
    let link = env.dir.path().join("api-link");
    std::os::unix::fs::symlink(&api, &link).unwrap();
    let fix = env.dir.path().join("src/api-fix");
    git(&api, &["worktree", "add", "-q", fix.to_str().unwrap()]);
    let web = env.dir.path().join("src/web");
    git_repo(&web);

    let config = |second: &Path| {
        format!(
            "repositories:\n  - name: api\n    path: {}\n  - name: web\n    path: {}\n  - name: again\n    path: {}\n",
            api.display(),
            web.display(),
            second.display()
        )
    };
    for (second, how) in [
        (&api, "the same path"),
        (&link, "through a symlink"),
        (&fix, "a linked worktree"),
    ] {
        env.write_config(&config(second));
        let out = env.run(["config", "check"]);
        assert_eq!(out.status.code(), Some(78), "{}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("config.yaml:7:")
                && err.contains("repositories[2].path")
                && err.contains("config.yaml:3:")
                && err.contains("repositories[0].path")
                && err.contains(how),
            "{err}"
        );
        let out = env.run(["run"]);
        assert_eq!(out.status.code(), Some(78), "{}", text(&out));
    }

    // A disabled second entry watches nothing: no conflict.
    env.write_config(&format!("{}    enabled: false\n", config(&link)));
    let out = env.run(["config", "check"]);
    assert!(out.status.success(), "{}", text(&out));

    // On reload: rejected, the running config kept.
    let daemon = env.start();
    env.write_config(&config(&fix));
    let out = env.run(["reload", "--wait"]);
    assert_eq!(out.status.code(), Some(5), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("linked worktree"));
    let status = env.status();
    assert!(status["daemon"]["reload_error"]
        .as_str()
        .unwrap()
        .contains("repositories[2].path"));
    daemon.stop();
}
