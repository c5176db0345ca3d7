//! The command-line front end: parses arguments and dispatches to one
//! function per command. Commands that change the daemon's behaviour go
//! through the control socket; service commands go through `crate::service`.

pub mod args;
pub mod client;
pub mod commands;

use clap::{CommandFactory, Parser};

use crate::config::paths::Paths;
use args::{Cli, Command};

/// What every command may need.
pub struct Context {
    pub paths: Paths,
}

/// Runs the CLI and returns the process exit status.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                crate::exit::USAGE
            } else {
                crate::exit::OK
            };
        }
    };
    if let Command::Run = cli.command {
        return crate::daemon::run(cli.global.config.as_deref());
    }
    let ctx = Context {
        paths: Paths::resolve(cli.global.config.as_deref()),
    };
    match &cli.command {
        Command::Run => unreachable!("handled above"),
        Command::Status(a) => commands::status::run(&ctx, a.json),
        Command::Pause(a) => commands::control::pause(&ctx, a),
        Command::Resume => commands::control::resume(&ctx),
        Command::Skip => commands::control::skip(&ctx),
        Command::Trigger => commands::control::trigger(&ctx),
        Command::Reload(a) => commands::control::reload(&ctx, a),
        Command::Events(a) => commands::events::run(&ctx, a.json),
        Command::History(a) => commands::history::run(&ctx, a),
        Command::Report(a) => commands::report::run(&ctx, a),
        Command::Config(c) => commands::config::run(&ctx, c),
        Command::InstallService(a) => commands::service::install(a),
        Command::UninstallService => commands::service::uninstall(),
        Command::Start => commands::service::start(),
        Command::Stop => commands::service::stop(),
        Command::Restart => commands::service::restart(),
        Command::Logs(a) => commands::service::logs(a),
        Command::Version => {
            println!("devtrack {}", env!("CARGO_PKG_VERSION"));
            crate::exit::OK
        }
        Command::Completions { shell } => {
            clap_complete::generate(
                *shell,
                &mut Cli::command(),
                "devtrack",
                &mut std::io::stdout(),
            );
            crate::exit::OK
        }
        Command::Manpage => {
            match clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout()) {
                Ok(()) => crate::exit::OK,
                Err(e) => {
                    eprintln!("devtrack: {e}");
                    crate::exit::FAILURE
                }
            }
        }
    }
}

/// The exit-status table appended to `devtrack help`.
pub fn exit_codes_help() -> String {
    let mut s = String::from("Exit status:\n");
    for (code, meaning) in crate::exit::TABLE {
        s.push_str(&format!("  {code:>3}  {meaning}\n"));
    }
    s
}
