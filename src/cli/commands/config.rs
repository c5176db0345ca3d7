//! `devtrack config check|path|init`.

use std::path::Path;

use crate::cli::args::ConfigCommand;
use crate::cli::Context;
use crate::config::paths::ConfigSource;
use crate::{config, exit};

pub fn run(ctx: &Context, cmd: &ConfigCommand) -> i32 {
    match cmd {
        ConfigCommand::Check { path } => check(path.as_deref().unwrap_or(&ctx.paths.config_file)),
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
            println!("{}", ctx.paths.config_file.display());
            eprintln!("({why}{exists})");
            exit::OK
        }
        ConfigCommand::Init => init(&ctx.paths.config_file),
    }
}

fn check(path: &Path) -> i32 {
    match config::check(path) {
        Ok(checked) => {
            let cfg = &checked.config;
            println!(
                "{}: ok ({} repositories, prompt every {} minutes)",
                path.display(),
                cfg.repositories.len(),
                cfg.settings.prompt_interval_minutes
            );
            for ignored in &checked.ignored_keys {
                println!("note: {ignored} (used by the older DevTrack only)");
            }
            exit::OK
        }
        Err(e) => {
            eprintln!("{e}");
            exit::CONFIG
        }
    }
}

fn init(path: &Path) -> i32 {
    if let Some(dir) = path.parent() {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("devtrack: creating `{}`: {e}", dir.display());
            return exit::FAILURE;
        }
    }
    // create_new: never overwrite, even if the file appears meanwhile.
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path);
    match file {
        Ok(mut f) => {
            if let Err(e) = std::io::Write::write_all(&mut f, config::starter().as_bytes()) {
                eprintln!("devtrack: writing `{}`: {e}", path.display());
                return exit::FAILURE;
            }
            println!("wrote a starter config to {}", path.display());
            exit::OK
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            eprintln!(
                "devtrack: `{}` already exists; not overwriting it\nhint: check it with `devtrack config check`",
                path.display()
            );
            exit::FAILURE
        }
        Err(e) => {
            eprintln!("devtrack: creating `{}`: {e}", path.display());
            exit::FAILURE
        }
    }
}
