//! `devtrack repo list|add|remove|enable|disable`: the repositories of the
//! config file, changed from the command line. The file is edited in place
//! (`config::edit` changes one entry's bytes and nothing else), the result
//! is validated as the daemon would read it, written atomically, and a
//! running daemon is asked to reload it, as `devtrack reload --wait` does.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::cli::commands::control;
use crate::cli::{out, stderr, CliError, Context};
use crate::config::edit::{NewEntry, Refusal};
use crate::config::{self, Config, Editable};
use crate::exit::Status;
use crate::protocol::{Command, ErrorKind, Response};

use crate::cli::args::{RepoAddArgs, RepoCommand};

pub(crate) fn run(ctx: &Context, cmd: &RepoCommand) -> Result<Status, CliError> {
    match cmd {
        RepoCommand::List(a) => list(ctx, a.json),
        RepoCommand::Add(a) => add(ctx, a),
        RepoCommand::Remove(t) => change(ctx, &t.target, Change::Remove),
        RepoCommand::Enable(t) => change(ctx, &t.target, Change::Enabled(true)),
        RepoCommand::Disable(t) => change(ctx, &t.target, Change::Enabled(false)),
    }
}

fn list(ctx: &Context, json: bool) -> Result<Status, CliError> {
    let file = &ctx.paths.config_file;
    let repos = match config::open_for_edit(file)? {
        Some(doc) => doc.config.repositories,
        None => {
            stderr::note(&format!(
                "no config file at {}; `devtrack repo add` creates one",
                file.display()
            ));
            Vec::new()
        }
    };
    if json {
        let items: Vec<serde_json::Value> = repos
            .iter()
            .map(|r| {
                serde_json::json!({
                    "name": r.name,
                    "path": r.path,
                    "enabled": r.enabled,
                    "project": r.project,
                    "exists": r.path.is_dir(),
                })
            })
            .collect();
        out::line(&serde_json::Value::Array(items).to_string())?;
        return Ok(Status::Ok);
    }
    let width = repos
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    for r in &repos {
        let _ = write!(text, "{:<width$}  {}", r.name, r.path.display());
        if let Some(project) = &r.project {
            let _ = write!(text, "  [{project}]");
        }
        if !r.enabled {
            text.push_str("  (disabled)");
        }
        if !r.path.is_dir() {
            text.push_str("  (missing)");
        }
        text.push('\n');
    }
    out::print(&text)?;
    Ok(Status::Ok)
}

/// The repository at or around `dir`: its top level, refused when it is a
/// linked worktree (its main repository's entry covers it).
fn repository_at(dir: &Path) -> Result<PathBuf, CliError> {
    if !dir.is_dir() {
        return Err(CliError::usage(format!(
            "`{}` is not a directory",
            dir.display()
        )));
    }
    let top = config::top_level(dir).ok_or_else(|| {
        CliError::failed(format!("`{}` is not in a git repository", dir.display()))
            .with_hint("`git init` it first, or name another directory")
    })?;
    if let Some(main) = config::main_of_linked_worktree(&top) {
        return Err(CliError::failed(format!(
            "`{}` is a linked worktree of `{}`",
            top.display(),
            main.display()
        ))
        .with_hint(format!(
            "add the main repository (`devtrack repo add {}`); commits in all its worktrees \
             are recorded under its entry",
            main.display()
        )));
    }
    Ok(top)
}

/// `path` as the config writes it: `~/...` below the home directory.
fn written_path(path: &Path) -> String {
    if let Ok(home) = etcetera::home_dir() {
        if let Ok(rest) = path.strip_prefix(&home) {
            if rest.as_os_str().is_empty() {
                return "~".to_owned();
            }
            return format!("~/{}", rest.display());
        }
    }
    path.display().to_string()
}

/// The directory's name, or the first `name-N` no entry has.
fn unique_name(base: &str, config: Option<&Config>) -> String {
    let taken = |name: &str| config.is_some_and(|c| c.repositories.iter().any(|r| r.name == name));
    if !taken(base) {
        return base.to_owned();
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|name| !taken(name))
        .expect("some suffix is free")
}

/// The starter config's entry for `devtrack config init` run in `cwd`: the
/// repository around it (a linked worktree's main one), if any.
pub(crate) fn entry_here(cwd: &Path) -> Option<NewEntry> {
    let top = config::top_level(cwd)?;
    let top = config::main_of_linked_worktree(&top).unwrap_or(top);
    let name = top.file_name()?.to_string_lossy().into_owned();
    Some(NewEntry {
        name,
        path: written_path(&top),
        project: None,
        enabled: true,
    })
}

fn add(ctx: &Context, args: &RepoAddArgs) -> Result<Status, CliError> {
    let cwd = std::env::current_dir()
        .map_err(|e| CliError::failed(format!("reading the current directory: {e}")))?;
    let dir = match &args.path {
        Some(path) => std::path::absolute(cwd.join(path)).unwrap_or_else(|_| cwd.join(path)),
        None => cwd,
    };
    let top = repository_at(&dir)?;
    if top != dir {
        stderr::note(&format!(
            "adding the repository's top level, {}",
            top.display()
        ));
    }
    let file = &ctx.paths.config_file;
    let doc = config::open_for_edit(file)?;
    if let Some(doc) = &doc {
        refuse_duplicate(doc, file, &top)?;
    }
    let name = match &args.name {
        Some(name) => {
            if let Some(doc) = &doc {
                if doc.config.repositories.iter().any(|r| &r.name == name) {
                    return Err(CliError::usage(format!(
                        "a repository named `{name}` is already configured"
                    ))
                    .with_hint("choose another `--name`"));
                }
            }
            name.clone()
        }
        None => {
            let base = top
                .file_name()
                .map_or_else(|| "repository".into(), |n| n.to_string_lossy().into_owned());
            unique_name(&base, doc.as_ref().map(|d| &d.config))
        }
    };
    let entry = NewEntry {
        name: name.clone(),
        path: written_path(&top),
        project: args.project.clone(),
        enabled: !args.disabled,
    };
    let (text, created) = match &doc {
        Some(doc) => (doc.add(&entry).map_err(|r| refused(file, &r))?, false),
        None => (config::starter_with(&entry), true),
    };
    let before = doc.as_ref().map_or(0, |d| d.config.repositories.len());
    let new = checked(file, &text, |c| {
        c.repositories.len() == before + 1
            && c.repositories
                .iter()
                .any(|r| r.name == name && r.enabled == entry.enabled)
    })?;
    write(file, &text)?;
    let how = if created {
        "created it from the starter config"
    } else {
        "edited in place"
    };
    out::line(&format!(
        "added `{name}` ({}) to {} ({how})",
        top.display(),
        file.display()
    ))?;
    drop(new);
    reload(ctx)
}

/// An error when `top` is already configured, under any spelling.
fn refuse_duplicate(doc: &Editable, file: &Path, top: &Path) -> Result<(), CliError> {
    for (index, repo) in doc.config.repositories.iter().enumerate() {
        let Some(how) = config::same_repository(&repo.path, top) else {
            continue;
        };
        let (line, column) = doc.position_of_entry(index);
        let err = CliError::failed(format!(
            "`{}` is already configured as `{}` ({}:{line}:{column}, {how})",
            top.display(),
            repo.name,
            file.display(),
        ));
        return Err(if repo.enabled {
            err.with_hint("each repository is listed once; its entry covers all its worktrees")
        } else {
            err.with_hint(format!(
                "it is disabled: `devtrack repo enable {}` watches it again",
                repo.name
            ))
        });
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Change {
    Remove,
    Enabled(bool),
}

fn change(ctx: &Context, target: &str, change: Change) -> Result<Status, CliError> {
    let file = &ctx.paths.config_file;
    let doc = config::open_for_edit(file)?.ok_or_else(|| {
        CliError::failed(format!("no config file at {}", file.display()))
            .with_hint("`devtrack repo add` creates one")
    })?;
    let index = find(&doc.config, target)?;
    let name = doc.config.repositories[index].name.clone();
    let before = doc.config.repositories.len();
    let (text, done) = match change {
        Change::Remove => (doc.remove(index).map_err(|r| refused(file, &r))?, "removed"),
        Change::Enabled(enabled) => {
            let word = if enabled { "enabled" } else { "disabled" };
            match doc
                .set_enabled(index, enabled)
                .map_err(|r| refused(file, &r))?
            {
                Some(text) => (text, word),
                None => {
                    out::line(&format!("`{name}` is already {word}"))?;
                    return Ok(Status::Ok);
                }
            }
        }
    };
    checked(file, &text, |c| match change {
        Change::Remove => {
            c.repositories.len() == before - 1 && !c.repositories.iter().any(|r| r.name == name)
        }
        Change::Enabled(enabled) => {
            c.repositories.len() == before && c.repositories[index].enabled == enabled
        }
    })?;
    write(file, &text)?;
    out::line(&format!("{done} `{name}` in {}", file.display()))?;
    reload(ctx)
}

/// The entry named `target`, or else configured at the path `target`.
fn find(config: &Config, target: &str) -> Result<usize, CliError> {
    if let Some(i) = config.repositories.iter().position(|r| r.name == target) {
        return Ok(i);
    }
    let path = match (target.strip_prefix("~/"), etcetera::home_dir()) {
        (Some(rest), Ok(home)) => home.join(rest),
        _ => PathBuf::from(target),
    };
    let path = std::path::absolute(&path).unwrap_or(path);
    let real = std::fs::canonicalize(&path).ok();
    let found = config.repositories.iter().position(|r| {
        r.path == path || (real.is_some() && std::fs::canonicalize(&r.path).ok() == real)
    });
    found.ok_or_else(|| {
        let names: Vec<&str> = config
            .repositories
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        let hint = if names.is_empty() {
            "no repositories are configured".to_owned()
        } else {
            format!("configured: {}", names.join(", "))
        };
        CliError::usage(format!(
            "no repository is named `{target}` or configured at that path"
        ))
        .with_hint(hint)
    })
}

/// An edit the editor would not make, with the text to paste by hand.
fn refused(file: &Path, refusal: &Refusal) -> CliError {
    let err = CliError::failed(format!(
        "{}:{}: cannot edit the file safely: {}",
        file.display(),
        refusal.line,
        refusal.message
    ));
    match &refusal.paste {
        Some(paste) => err.with_hint(format!(
            "edit it by hand; the entry to paste under `repositories:` is:\n{}",
            paste.trim_end()
        )),
        None => err.with_hint("edit the file by hand"),
    }
}

/// `text` validated as the file would be, and the change it was meant to
/// make found in it.
fn checked(file: &Path, text: &str, made: impl Fn(&Config) -> bool) -> Result<Config, CliError> {
    let config = config::parse(text, file).map_err(|e| {
        CliError::explained(&e).with_hint("the file is unchanged; the edited text was not valid")
    })?;
    if !made(&config) {
        return Err(CliError::failed(format!(
            "{}: the edit did not come out as intended; the file is unchanged",
            file.display()
        ))
        .with_hint("edit the file by hand"));
    }
    Ok(config)
}

fn write(file: &Path, text: &str) -> Result<(), CliError> {
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| CliError::failed(format!("creating `{}`: {e}", dir.display())))?;
    }
    config::replace_file(file, text)
        .map_err(|e| CliError::failed(format!("writing `{}`: {e}", file.display())))
}

/// Asks a running daemon to reload the file (unless its watch of the file
/// did already); says so when none runs.
fn reload(ctx: &Context) -> Result<Status, CliError> {
    let reply = match control::ask(ctx, Command::Reload, control::RELOAD_TIMEOUT) {
        Ok(reply) => reply,
        Err(e) if e.status() == Status::NotRunning => {
            stderr::note("no daemon is running; it reads the file when it starts");
            return Ok(Status::Ok);
        }
        Err(e) => {
            return Err(e.with_hint("the file is changed; `devtrack reload` applies it"));
        }
    };
    match reply {
        // The daemon's own watch of the file may have applied it first.
        Response::Reloaded { reload, .. } if reload.changes.is_empty() => {
            out::line("the running daemon has applied it (it watches the file)")?
        }
        Response::Reloaded { reload, .. } => control::print_changes(&reload.changes)?,
        Response::Failed(f) if f.kind == ErrorKind::Rejected => {
            return Err(control::rejected(&f.error))
        }
        Response::Failed(f) => return Err(control::refused(&f)),
        other => return Err(control::unexpected(&other)),
    }
    Ok(Status::Ok)
}
