//! `devtrack config check|path|init`.

use std::fmt::Write as _;
use std::path::Path;

use crate::cli::args::ConfigCommand;
use crate::cli::{out, CliError, Context};
use crate::config;
use crate::config::paths::ConfigSource;
use crate::exit::Status;

pub(crate) fn run(ctx: &Context, cmd: &ConfigCommand) -> Result<Status, CliError> {
    match cmd {
        ConfigCommand::Check { path: Some(path) } => check(path),
        ConfigCommand::Check { path: None } => check_default(ctx),
        ConfigCommand::Path => {
            let why = match ctx.paths.config_source {
                ConfigSource::Flag => "from --config / DEVTRACK_CONFIG",
                ConfigSource::Xdg => "the default location",
                ConfigSource::Legacy => "the legacy location (the XDG one does not exist)",
            };
            let exists = if ctx.paths.config_file.exists() {
                ""
            } else {
                ", does not exist yet"
            };
            out::line(&ctx.paths.config_file.display().to_string())?;
            crate::cli::stderr::note(&format!("({why}{exists})"));
            Ok(Status::Ok)
        }
        ConfigCommand::Init => init(&ctx.paths.config_file),
    }
}

/// The file devtrack would read. Where the daemon runs on defaults (no file
/// at the default location), so does the check; a file named with
/// `--config` or `DEVTRACK_CONFIG` must exist, as for the daemon.
fn check_default(ctx: &Context) -> Result<Status, CliError> {
    let path = &ctx.paths.config_file;
    if ctx.paths.config_source == ConfigSource::Flag || path.exists() {
        return check(path);
    }
    out::line(&format!(
        "no config file at {}; defaults apply (`devtrack config init` writes a starter)",
        path.display()
    ))?;
    Ok(Status::Ok)
}

fn check(path: &Path) -> Result<Status, CliError> {
    let checked = config::check(path)?;
    let cfg = &checked.config;
    let plural = crate::display::plural;
    let every = match cfg.settings.prompt_interval_minutes {
        1 => "minute".to_string(),
        n => format!("{n} minutes"),
    };
    let folders = match cfg.folders.len() {
        0 => String::new(),
        n => format!(", {} searched", plural(n as u64, "folder", "folders")),
    };
    let mut text = format!(
        "{}: ok ({}{folders}, prompt every {every})\n",
        path.display(),
        plural(cfg.repositories.len() as u64, "repository", "repositories"),
    );
    for ignored in &checked.ignored_keys {
        let _ = writeln!(text, "note: {ignored} (used by the older DevTrack only)");
    }
    for warning in cfg.integrations.file_token_warnings() {
        let _ = writeln!(text, "warning: {}: {warning}", path.display());
    }
    out::print(&text)?;
    Ok(Status::Ok)
}

fn init(path: &Path) -> Result<Status, CliError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| CliError::failed(format!("creating `{}`: {e}", dir.display())))?;
    }
    // create_new: never overwrite, even if the file appears meanwhile.
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path);
    let mut file = match file {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(CliError::failed(format!(
                "`{}` already exists; not overwriting it",
                path.display()
            ))
            .with_hint("check it with `devtrack config check`"))
        }
        Err(e) => {
            return Err(CliError::failed(format!(
                "creating `{}`: {e}",
                path.display()
            )))
        }
    };
    // Inside a repository, the starter's entry is that repository.
    let here = std::env::current_dir()
        .ok()
        .and_then(|cwd| crate::cli::commands::repo::entry_here(&cwd));
    let text = match &here {
        Some(entry) => std::borrow::Cow::Owned(config::starter_with(entry)),
        None => std::borrow::Cow::Borrowed(config::starter()),
    };
    std::io::Write::write_all(&mut file, text.as_bytes())
        .map_err(|e| CliError::failed(format!("writing `{}`: {e}", path.display())))?;
    match &here {
        Some(entry) => out::line(&format!(
            "wrote a starter config watching `{}` ({}) to {}",
            entry.name,
            entry.path,
            path.display()
        ))?,
        None => out::line(&format!("wrote a starter config to {}", path.display()))?,
    }
    Ok(Status::Ok)
}
