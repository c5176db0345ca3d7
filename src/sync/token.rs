//! Where the sender finds an integration's token, and the one type that
//! holds it. The order is a pure function ([`sources`]): systemd's
//! `$CREDENTIALS_DIRECTORY/devtrack-<name>`, the environment, the
//! configured `token_command`, and for GitHub finally `gh auth token`;
//! [`find`] is the I/O edge that tries them in turn. A [`Token`] prints
//! as `********` in `Debug` and `Display`, so it never reaches a log, the
//! status, an event, an error or a panic message; only
//! [`Token::expose`] gives the text, to build the `Authorization` header.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::config::Integrations;
use crate::tickets::Family;

/// How long a `token_command` (or `gh auth token`) may take.
pub(crate) const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

/// A secret that cannot be printed.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Token(String);

impl Token {
    pub(crate) fn new(text: &str) -> Option<Token> {
        let text = text.trim();
        (!text.is_empty()).then(|| Token(text.to_owned()))
    }

    /// The token's text, for the `Authorization` header only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("********")
    }
}

impl std::fmt::Display for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("********")
    }
}

/// One place a token may come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// `$CREDENTIALS_DIRECTORY/<name>`.
    Credential(&'static str),
    Env(&'static str),
    /// `integrations.<name>.token_command`.
    Command(Vec<String>),
    /// `gh auth token --hostname HOST`.
    Gh(String),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Credential(name) => write!(f, "$CREDENTIALS_DIRECTORY/{name}"),
            Source::Env(name) => write!(f, "${name}"),
            Source::Command(argv) => write!(f, "token_command {argv:?}"),
            Source::Gh(host) => write!(f, "`gh auth token --hostname {host}`"),
        }
    }
}

/// The GitHub host an API base belongs to (`https://api.github.com` →
/// `github.com`, `https://HOST/api/v3` → `HOST`).
pub(crate) fn github_host(api: &str) -> String {
    let rest = api.split_once("://").map_or(api, |(_, r)| r);
    let host = rest.split('/').next().unwrap_or(rest);
    match host {
        "api.github.com" => "github.com".to_owned(),
        h => h.to_owned(),
    }
}

/// Where `family`'s token is looked for, in order. `github_api`: the API
/// base of the ticket (GitHub only; names the host for `gh`).
pub(crate) fn sources(
    family: Family,
    integrations: &Integrations,
    github_api: Option<&str>,
) -> Vec<Source> {
    let (credential, env, command): (_, &[&'static str], _) = match family {
        Family::Github => (
            "devtrack-github",
            &["DEVTRACK_GITHUB_TOKEN", "GH_TOKEN", "GITHUB_TOKEN"],
            &integrations.github.token_command,
        ),
        Family::Jira => (
            "devtrack-jira",
            &["DEVTRACK_JIRA_TOKEN", "JIRA_API_TOKEN"],
            &integrations.jira.token_command,
        ),
        Family::AzureDevops => (
            "devtrack-azure",
            &["DEVTRACK_AZURE_TOKEN", "AZURE_DEVOPS_EXT_PAT"],
            &integrations.azure_devops.token_command,
        ),
    };
    let mut out = vec![Source::Credential(credential)];
    out.extend(env.iter().map(|e| Source::Env(e)));
    if let Some(argv) = command.as_ref().filter(|a| !a.is_empty()) {
        out.push(Source::Command(argv.clone()));
    }
    if family == Family::Github {
        out.push(Source::Gh(github_host(
            github_api.unwrap_or("https://api.github.com"),
        )));
    }
    out
}

/// What the I/O edge reads: the environment, the config file's path.
pub(crate) struct Lookup<'a> {
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// The config file (a `token_command` is refused when others can
    /// write it); `None` on defaults.
    pub config: Option<&'a Path>,
}

/// The process environment, as [`Lookup::env`] reads it.
pub(crate) fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Runs `argv` (no shell) and returns its trimmed stdout, or why not.
/// Killed after [`COMMAND_TIMEOUT`]; its stderr is not kept (it may echo
/// the secret).
pub(crate) fn run_command(argv: &[String], timeout: Duration) -> Result<String, String> {
    let (program, args) = argv.split_first().ok_or("the command is empty")?;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run `{program}`: {e}"))?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    // The reader ends when the child closes its stdout (or is killed).
    std::thread::spawn(move || {
        let mut text = String::new();
        let read = stdout.read_to_string(&mut text).map(|_| text);
        let _ = tx.send(read);
    });
    let text = match rx.recv_timeout(timeout) {
        Ok(read) => read.map_err(|e| format!("reading `{program}`'s output: {e}"))?,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("`{program}` took more than {}s", timeout.as_secs()));
        }
    };
    let status = child
        .wait()
        .map_err(|e| format!("waiting for `{program}`: {e}"))?;
    if !status.success() {
        return Err(format!("`{program}` failed ({status})"));
    }
    Ok(text)
}

/// `program` as found on the `PATH` that `env` gives.
fn on_path(program: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<std::path::PathBuf> {
    let path = env("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// The first token found for `family`, with where it came from; `Err`
/// says what was tried (never a token).
pub(crate) fn find(
    family: Family,
    integrations: &Integrations,
    github_api: Option<&str>,
    lookup: &Lookup<'_>,
) -> Result<(Token, Source), String> {
    let mut notes = Vec::new();
    for source in sources(family, integrations, github_api) {
        let found = match &source {
            Source::Credential(name) => (lookup.env)("CREDENTIALS_DIRECTORY")
                .and_then(|dir| std::fs::read_to_string(Path::new(&dir).join(name)).ok())
                .and_then(|t| Token::new(&t)),
            Source::Env(name) => (lookup.env)(name).and_then(|t| Token::new(&t)),
            Source::Command(argv) => {
                let allowed = match lookup.config {
                    Some(path) => {
                        crate::config::strict::check(path, nix::unistd::getuid().as_raw()).map_err(
                            |refusal| {
                                let why = refusal.to_string();
                                let why = why
                                    .strip_prefix("hook refused: ")
                                    .unwrap_or(&why)
                                    .to_owned();
                                format!("{source} refused: {why}")
                            },
                        )
                    }
                    None => Ok(()),
                };
                match allowed.and_then(|()| run_command(argv, COMMAND_TIMEOUT)) {
                    Ok(text) => Token::new(&text),
                    Err(why) => {
                        notes.push(why);
                        None
                    }
                }
            }
            Source::Gh(host) => on_path("gh", lookup.env).and_then(|gh| {
                let argv = [gh.to_string_lossy().into_owned()]
                    .into_iter()
                    .chain(["auth", "token", "--hostname", host].map(String::from))
                    .collect::<Vec<_>>();
                run_command(&argv, COMMAND_TIMEOUT)
                    .ok()
                    .and_then(|t| Token::new(&t))
            }),
        };
        if let Some(token) = found {
            return Ok((token, source));
        }
    }
    let tried: Vec<String> = sources(family, integrations, github_api)
        .iter()
        .map(ToString::to_string)
        .collect();
    let mut why = format!(
        "no {} token: tried {} (docs/sync.md, \"Tokens\")",
        family.as_str(),
        tried.join(", ")
    );
    for note in notes {
        let _ = std::fmt::Write::write_fmt(&mut why, format_args!("; {note}"));
    }
    Err(why)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn a_token_never_prints() {
        let t = Token::new(" s3cr3t\n").unwrap();
        assert_eq!(t.expose(), "s3cr3t");
        assert_eq!(
            format!("{t} {t:?} {:?}", Some(&t)),
            "******** ******** Some(********)"
        );
        assert_eq!(Token::new(" \n"), None);
    }

    #[test]
    fn sources_in_order() {
        let mut i = Integrations::default();
        i.jira.token_command = Some(vec!["pass".into(), "jira".into()]);
        let cases: Vec<(Family, Option<&str>, Vec<String>)> = vec![
            (
                Family::Github,
                Some("https://ghe.corp/api/v3"),
                vec![
                    "$CREDENTIALS_DIRECTORY/devtrack-github".into(),
                    "$DEVTRACK_GITHUB_TOKEN".into(),
                    "$GH_TOKEN".into(),
                    "$GITHUB_TOKEN".into(),
                    "`gh auth token --hostname ghe.corp`".into(),
                ],
            ),
            (
                Family::Jira,
                None,
                vec![
                    "$CREDENTIALS_DIRECTORY/devtrack-jira".into(),
                    "$DEVTRACK_JIRA_TOKEN".into(),
                    "$JIRA_API_TOKEN".into(),
                    "token_command [\"pass\", \"jira\"]".into(),
                ],
            ),
            (
                Family::AzureDevops,
                None,
                vec![
                    "$CREDENTIALS_DIRECTORY/devtrack-azure".into(),
                    "$DEVTRACK_AZURE_TOKEN".into(),
                    "$AZURE_DEVOPS_EXT_PAT".into(),
                ],
            ),
        ];
        for (family, api, want) in cases {
            let got: Vec<String> = sources(family, &i, api)
                .iter()
                .map(ToString::to_string)
                .collect();
            assert_eq!(got, want, "{family:?}");
        }
        assert_eq!(github_host("https://api.github.com"), "github.com");
    }

    #[test]
    fn the_first_source_that_has_one_wins() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("devtrack-jira"), "from-cred\n").unwrap();
        let dir_s = dir.path().to_str().unwrap().to_owned();
        let mut i = Integrations::default();
        i.azure_devops.token_command = Some(vec!["echo".into(), "  from-command ".into()]);
        let env: HashMap<&str, String> = [
            ("CREDENTIALS_DIRECTORY", dir_s),
            ("GH_TOKEN", "from-gh-token".into()),
            ("GITHUB_TOKEN", "not-this".into()),
            ("PATH", std::env::var("PATH").unwrap()),
        ]
        .into();
        let get = |k: &str| env.get(k).cloned();
        let lookup = Lookup {
            env: &get,
            config: None,
        };
        let (t, s) = find(Family::Jira, &i, None, &lookup).unwrap();
        assert_eq!(
            (t.expose(), s),
            ("from-cred", Source::Credential("devtrack-jira"))
        );
        let (t, s) = find(Family::Github, &i, None, &lookup).unwrap();
        assert_eq!((t.expose(), s), ("from-gh-token", Source::Env("GH_TOKEN")));
        let (t, _) = find(Family::AzureDevops, &i, None, &lookup).unwrap();
        assert_eq!(t.expose(), "from-command");
        i.azure_devops.token_command = Some(vec!["false".into()]);
        let err = find(Family::AzureDevops, &i, None, &lookup).unwrap_err();
        assert!(
            err.starts_with("no azure_devops token: tried $CREDENTIALS_DIRECTORY/devtrack-azure"),
            "{err}"
        );
        assert!(err.contains("`false` failed"), "{err}");
    }

    #[test]
    fn gh_is_asked_last_for_the_ticket_host() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let gh = dir.path().join("gh");
        std::fs::write(&gh, "#!/bin/sh\necho \"gh-token-for-$4\"\n").unwrap();
        std::fs::set_permissions(&gh, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = dir.path().to_str().unwrap().to_owned();
        let get = |k: &str| (k == "PATH").then(|| path.clone());
        let lookup = Lookup {
            env: &get,
            config: None,
        };
        let i = Integrations::default();
        let (t, s) = find(Family::Github, &i, Some("https://ghe.corp/api/v3"), &lookup).unwrap();
        assert_eq!(t.expose(), "gh-token-for-ghe.corp");
        assert_eq!(s, Source::Gh("ghe.corp".into()));
        let none = |_: &str| None;
        let lookup = Lookup {
            env: &none,
            config: None,
        };
        assert!(find(Family::Github, &i, None, &lookup).is_err());
    }

    #[test]
    fn a_slow_command_is_killed() {
        let argv = ["sleep".to_owned(), "30".to_owned()];
        let err = run_command(&argv, Duration::from_millis(200)).unwrap_err();
        assert!(err.contains("took more than"), "{err}");
    }

    #[test]
    fn a_command_is_refused_when_others_can_write_the_config() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.yaml");
        std::fs::write(&file, "").unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
        let mut i = Integrations::default();
        i.azure_devops.token_command = Some(vec!["echo".into(), "x".into()]);
        let get = |_: &str| None;
        let lookup = Lookup {
            env: &get,
            config: Some(&file),
        };
        let err = find(Family::AzureDevops, &i, None, &lookup).unwrap_err();
        assert!(err.contains("refused"), "{err}");
        assert!(err.contains("writable by group and others"), "{err}");
    }
}
