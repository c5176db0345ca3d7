use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};

use super::{esc, render_health, render_open_prompt, render_page, render_timeline, render_week};
use crate::config::Config;
use crate::protocol::CommitKind;
use crate::report::period::resolve;
use crate::report::Spec;
use crate::store::IntegrationSummary;
use crate::store::{CommitRecord, PromptState, PromptSummary, ReportData, WorkUpdate};
use crate::tickets::Family;
use crate::web::model::{
    build, with_doctor, with_sync, HealthItem, HealthStatus, Inputs, OpenPrompt, PageModel,
};

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 3, h, m, 0).unwrap()
}

fn config() -> Config {
    let mut c = crate::config::defaults(Path::new("/"));
    c.settings.timezone = chrono_tz::UTC;
    c
}

pub(crate) fn commit(repo: &str, n: u32, when: DateTime<Utc>, summary: &str) -> CommitRecord {
    CommitRecord {
        id: i64::from(n),
        repo: repo.into(),
        hash: format!("{n:040x}"),
        kind: CommitKind::Commit,
        amends: None,
        branch: Some("main".into()),
        author_name: None,
        author_email: None,
        committed_at: Some(when),
        summary: Some(summary.into()),
        files_changed: None,
        insertions: None,
        deletions: None,
        recorded_at: when,
        trigger_id: None,
        own: Some(true),
    }
}

fn prompt(
    id: i64,
    opened: DateTime<Utc>,
    state: PromptState,
    state_at: DateTime<Utc>,
) -> PromptSummary {
    PromptSummary {
        id,
        opened_at: opened,
        state,
        state_at,
        triggers: 1,
    }
}

fn day() -> ReportData {
    ReportData {
        commits: vec![
            commit("api", 1, at(9, 30), "Add <login> & \"logout\""),
            commit("api", 2, at(11, 0), "Fix tests"),
            commit("web", 3, at(19, 10), "Late fix"),
        ],
        updates: vec![WorkUpdate {
            id: 1,
            text: "worked on login".into(),
            answered_at: at(10, 20),
            prompt_id: Some(1),
            prompt_at: Some(at(10, 0)),
            source: None,
        }],
        prompts: vec![
            prompt(1, at(10, 0), PromptState::Answered, at(10, 20)),
            prompt(2, at(12, 0), PromptState::Skipped, at(12, 5)),
            prompt(3, at(14, 0), PromptState::Open, at(14, 0)),
        ],
        missed: vec![],
    }
}

fn model() -> PageModel {
    let config = config();
    let now = at(15, 45);
    let today = resolve(
        Spec::Today,
        now,
        chrono_tz::UTC,
        config.settings.work_hours.days,
    )
    .unwrap();
    build(Inputs {
        now,
        config: &config,
        today,
        today_data: day(),
        week_data: day(),
        status: None,
    })
}

#[test]
fn the_model_has_a_lane_per_repository_and_the_prompts_with_their_outcomes() {
    let m = model();
    let lanes: Vec<(&str, usize)> = m
        .lanes
        .iter()
        .map(|l| (l.repo.as_str(), l.commits.len()))
        .collect();
    assert_eq!(lanes, [("api", 2), ("web", 1)]);
    let prompts: Vec<(i64, PromptState, DateTime<Utc>)> = m
        .prompts
        .iter()
        .map(|p| (p.id, p.outcome, p.outcome_at))
        .collect();
    assert_eq!(
        prompts,
        [
            (1, PromptState::Answered, at(10, 20)),
            (2, PromptState::Skipped, at(12, 5)),
            (3, PromptState::Open, at(14, 0)),
        ]
    );
    // Work hours 09-18, widened to the 19:10 commit, on whole hours.
    assert_eq!(m.work, Some((at(9, 0), at(18, 0))));
    assert_eq!(m.axis, (at(9, 0), at(20, 0)));
    assert!(m.standup.contains("Fix tests"), "{}", m.standup);
    assert_eq!(m.week.len(), 7);
    let today = m.week.last().unwrap();
    assert_eq!(
        today.commits,
        [("api".to_string(), 2), ("web".to_string(), 1)]
    );
    assert_eq!(today.updates, 1);
}

#[test]
fn the_timeline_has_marks_titles_and_the_now_line() {
    let svg = render_timeline(&model());
    assert_eq!(
        svg.matches("<g class=\"lane\" data-repo=\"api\">").count(),
        1
    );
    assert_eq!(svg.matches("class=\"commit\"").count(), 3);
    assert_eq!(svg.matches("tabindex=\"0\" data-hash=").count(), 3);
    for outcome in ["answered", "skipped", "open"] {
        assert!(
            svg.contains(&format!("data-outcome=\"{outcome}\"")),
            "{outcome}"
        );
    }
    assert!(
        svg.contains("<title>09:30 api 0000000 Add &lt;login&gt; &amp; &quot;logout&quot;</title>"),
        "{svg}"
    );
    assert!(svg.contains("answered at 10:20"));
    assert!(svg.contains("id=\"now\""));
    assert!(svg.contains("class=\"work-hours\""));
    assert!(!svg.contains("style="), "no inline style under the CSP");
}

#[test]
fn a_pause_is_shaded_until_its_end() {
    let mut m = model();
    m.pauses = vec![(at(15, 45), at(17, 0))];
    assert!(render_timeline(&m).contains("<title>paused until 17:00</title>"));
}

#[test]
fn the_open_prompt_has_its_forms_or_says_there_is_none() {
    let p = OpenPrompt {
        id: 7,
        opened_at: at(14, 0),
        summary: "3 commits in <api>".into(),
        snoozed_until: Some(at(14, 30)),
    };
    let html = render_open_prompt(Some(&p), chrono_tz::UTC);
    for hook in [
        "id=\"answer-form\"",
        "id=\"snooze-form\"",
        "id=\"skip-form\"",
        "data-prompt=\"7\"",
        "snoozed until 14:30",
        "3 commits in &lt;api&gt;",
    ] {
        assert!(html.contains(hook), "{hook}: {html}");
    }
    let none = render_open_prompt(None, chrono_tz::UTC);
    assert!(none.contains("No prompt is waiting") && !none.contains("<form"));
    // The last write's result has a place when the answer closed the prompt.
    assert!(none.contains("id=\"write-result\""), "{none}");
}

#[test]
fn health_lines_carry_status_and_fix() {
    let cases = [
        (HealthStatus::Ok, "✓", "data-status=\"ok\""),
        (HealthStatus::Warning, "!", "data-status=\"warning\""),
        (HealthStatus::Failure, "✗", "data-status=\"failure\""),
    ];
    for (status, mark, attr) in cases {
        let html = render_health(&[HealthItem {
            status,
            name: "inotify".into(),
            detail: "9000 of 8192 watches".into(),
            fix: Some("sysctl fs.inotify.max_user_watches=524288".into()),
        }]);
        assert!(html.contains(attr) && html.contains(mark), "{html}");
        assert!(
            html.contains("<code class=\"fix\">sysctl fs.inotify.max_user_watches=524288</code>")
        );
    }
    assert!(render_health(&[]).contains("did not answer"));
}

#[test]
fn the_week_has_a_row_per_day_and_bars_per_repository() {
    let html = render_week(&model());
    assert_eq!(html.matches("<g class=\"day\"").count(), 7);
    assert!(html.contains("data-date=\"2026-06-03\""));
    assert!(html.contains("class=\"bar commits c0\" data-repo=\"api\" data-count=\"2\""));
    assert!(html.contains("class=\"bar updates\" data-count=\"1\""));
}

#[test]
fn the_page_holds_every_section_and_stays_small() {
    let html = render_page(&model());
    for hook in [
        "id=\"timeline\"",
        "id=\"open-prompt\"",
        "id=\"standup\"",
        "id=\"health\"",
        "id=\"week\"",
        "<noscript>",
        "src=\"/page.js\"",
    ] {
        assert!(html.contains(hook), "{hook}");
    }
    assert!(!html.contains("<script>"), "no inline script under the CSP");
    assert!(html.len() + super::SCRIPT.len() + super::STYLE.len() < 100 * 1024);
}

#[test]
fn escaping() {
    let cases = [
        ("plain", "plain"),
        ("<a href='x'>&\"", "&lt;a href=&#39;x&#39;&gt;&amp;&quot;"),
        ("ünïcode", "ünïcode"),
    ];
    for (text, want) in cases {
        assert_eq!(esc(text), want);
    }
}

#[test]
fn doctor_and_sync_lines_go_before_the_daemons_own() {
    let item = |status, name: &str| HealthItem {
        status,
        name: name.into(),
        detail: String::new(),
        fix: None,
    };
    let status = vec![
        item(HealthStatus::Ok, "store"),
        item(HealthStatus::Warning, "repository app"),
        item(HealthStatus::Ok, "daemon"),
    ];
    let doctor = vec![item(HealthStatus::Failure, "repo.app")];
    let sync = [
        IntegrationSummary {
            family: Family::Github,
            line: "github: 1 sent today".into(),
            failing: 0,
        },
        IntegrationSummary {
            family: Family::Jira,
            line: "jira: 0 sent today · 1 failing (401 Unauthorized)".into(),
            failing: 1,
        },
    ];
    let got = with_sync(with_doctor(status, doctor), &sync);
    let names: Vec<(&str, HealthStatus)> =
        got.iter().map(|i| (i.name.as_str(), i.status)).collect();
    assert_eq!(
        names,
        [
            ("store", HealthStatus::Ok),
            ("repo.app", HealthStatus::Failure),
            ("sync github", HealthStatus::Ok),
            ("sync jira", HealthStatus::Failure),
            ("daemon", HealthStatus::Ok),
        ]
    );
    assert_eq!(got[3].fix.as_deref(), Some("devtrack sync retry --failed"));
}
