//! `devtrack sync` and `devtrack sync preview` on the real binary: one
//! update that names a GitHub issue (tied to the repository through its
//! github.com remote), a Jira issue (the branch of the commit it covers)
//! and an Azure DevOps work item (`AB#123` in its text) becomes one held
//! outbox item per ticket, with the exact requests shown; a token written
//! in the config file is warned about and never shown.

use crate::util::{git, git_repo, text, Env, EventStream};

const SECRET: &str = "ghp_FILE_TOKEN_never_shown_42";

fn config(repo: &std::path::Path) -> String {
    format!(
        "repositories:\n  - {{name: web, path: '{}'}}\n\
         settings:\n  timezone: UTC\n  commit_debounce_ms: 100\n  authors: [dev@example.com]\n  auto_sync: true\n\
         integrations:\n\
         \x20 github: {{enabled: true, token: {SECRET}}}\n\
         \x20 jira: {{enabled: true, url: 'https://acme.atlassian.net', email: me@acme.test}}\n\
         \x20 azure_devops: {{enabled: true, organization: acme, project: Web}}\n",
        repo.display()
    )
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn one_update_for_all_three_integrations_is_held_and_previewed() {
    let env = Env::new();
    let repo = env.cwd.join("web");
    git_repo(&repo);
    git(
        &repo,
        &["remote", "add", "origin", "git@github.com:owner/repo.git"],
    );
    git(&repo, &["checkout", "-q", "-b", "feature/ABC-7-x"]);
    env.write_config(&config(&repo));

    let check = env.run(["config", "check"]);
    assert!(check.status.success(), "{}", text(&check));
    assert!(
        stdout(&check)
            .contains("integrations.github.token: a token in the config file is never used"),
        "{}",
        text(&check)
    );
    assert!(!text(&check).contains(SECRET), "{}", text(&check));

    let mut daemon = env.start();
    let events = EventStream::open(&env);
    std::fs::write(repo.join("retry.rs"), "limit\n").unwrap();
    git(&repo, &["add", "retry.rs"]);
    git(&repo, &["commit", "-q", "-m", "Limit the retries"]);
    let hash = git(&repo, &["rev-parse", "HEAD"]).trim().to_owned();
    events.wait_for("commit");
    let noted = env.run(["note", "fixed the login redirect for #123 and AB#123"]);
    assert!(noted.status.success(), "{}", text(&noted));
    drop(events);
    daemon.signal(nix::sys::signal::Signal::SIGTERM);
    let logged = daemon.stderr_text();
    assert!(
        logged.contains("integrations.github.token: a token in the config file is never used"),
        "{logged}"
    );
    assert!(!logged.contains(SECRET), "{logged}");

    // Both commands read the store with the daemon stopped.
    let out = env.run(["sync"]);
    assert!(out.status.success(), "{}", text(&out));
    let said = stdout(&out);
    for part in [
        "github: 1 held\n",
        "jira: 1 held\n",
        "azure_devops: 1 held\n",
        " held owner/repo#123 (update #1): ready for github: check `devtrack sync preview`, then `devtrack sync push`\n",
        " held ABC-7 (update #1): ready for jira",
        " held AB#123 (update #1): ready for azure_devops",
    ] {
        assert!(said.contains(part), "{part:?} in:\n{said}");
    }
    assert!(!text(&out).contains(SECRET), "{}", text(&out));

    let json = env.json_lines(["sync", "--json"]);
    let list = json[0].as_array().unwrap();
    let tickets: Vec<(&str, &str)> = list
        .iter()
        .map(|i| {
            let item = &i["waiting"][0];
            (
                item["ticket"].as_str().unwrap(),
                item["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        tickets,
        [
            ("owner/repo#123", "held"),
            ("ABC-7", "held"),
            ("AB#123", "held")
        ]
    );
    assert!(list
        .iter()
        .all(|i| i["waiting"][0].get("update_text").is_none()));
    let ids: Vec<String> = list
        .iter()
        .map(|i| i["waiting"][0]["id"].as_str().unwrap().to_owned())
        .collect();

    let out = env.run(["sync", "preview"]);
    assert!(out.status.success(), "{}", text(&out));
    let preview = stdout(&out);
    println!("{preview}");
    let short = &hash[..7];
    let ua = format!("User-Agent: devtrack/{}", env!("CARGO_PKG_VERSION"));
    let github = format!(
        "POST https://api.github.com/repos/owner/repo/issues/123/comments\n\
         Accept: application/vnd.github+json\nAuthorization: Bearer ********\n\
         Content-Type: application/json\n{ua}\nX-GitHub-Api-Version: 2022-11-28\n\n\
         {{\"body\":\"fixed the login redirect for #123 and AB#123\\n\\n<!-- devtrack:{} -->\"}}\n",
        ids[0]
    );
    let jira = format!(
        "POST https://acme.atlassian.net/rest/api/3/issue/ABC-7/comment\n\
         Accept: application/json\nAuthorization: Basic ******** (base64 of me@acme.test:token)\n\
         Content-Type: application/json\n{ua}\n\n\
         {{\"body\":{{\"content\":[{{\"content\":[{{\"text\":\"fixed the login redirect for #123 and AB#123\",\"type\":\"text\"}}],\"type\":\"paragraph\"}},\
         {{\"content\":[{{\"content\":[{{\"content\":[{{\"marks\":[{{\"type\":\"code\"}}],\"text\":\"{short}\",\"type\":\"text\"}},{{\"text\":\" Limit the retries (feature/ABC-7-x)\",\"type\":\"text\"}}],\"type\":\"paragraph\"}}],\"type\":\"listItem\"}}],\"type\":\"bulletList\"}}],\"type\":\"doc\",\"version\":1}},\
         \"properties\":[{{\"key\":\"devtrack\",\"value\":{{\"id\":\"{}\"}}}}]}}\n",
        ids[1]
    );
    let azure = format!(
        "POST https://dev.azure.com/acme/Web/_apis/wit/workItems/123/comments?format=markdown&api-version=7.1-preview.4\n\
         Accept: application/json\nAuthorization: Basic ******** (base64 of :token)\n\
         Content-Type: application/json\n{ua}\n\n\
         {{\"text\":\"fixed the login redirect for #123 and AB#123\\n\\n<!-- devtrack:{} -->\"}}\n",
        ids[2]
    );
    for request in [&github, &jira, &azure] {
        assert!(
            preview.contains(request.as_str()),
            "{request}\nin:\n{preview}"
        );
    }
    assert!(!text(&out).contains(SECRET));

    // With the daemon stopped, a standalone note writes its items too.
    let noted = env.run(["note", "reviewed ABC-8"]);
    assert!(noted.status.success(), "{}", text(&noted));
    let said = stdout(&env.run(["sync"]));
    assert!(said.contains("jira: 2 held\n"), "{said}");
    let since_now = stdout(&env.run(["sync", "preview", "--since", "1m"]));
    assert!(since_now.contains("/issue/ABC-8/comment"), "{since_now}");

    // Cancelled: not previewed, counted as cancelled.
    let out = env.run(["sync", "cancel", &ids[2]]);
    assert!(out.status.success(), "{}", text(&out));
    let said = stdout(&env.run(["sync"]));
    assert!(said.contains("azure_devops: 1 cancelled\n"), "{said}");
    let again = env.run(["sync", "cancel", &ids[2]]);
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));
    assert!(!stdout(&env.run(["sync", "preview"])).contains("workItems/123"));
}
