//! The command-line front end: parses arguments and dispatches to one
//! function per command. Commands that change the daemon's behaviour go
//! through the control socket; service commands go through `crate::service`.

pub mod args;
pub mod commands;

use clap::Parser;

use args::{Cli, Command};

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
    match &cli.command {
        Command::InstallService(a) => commands::service::install(a),
        Command::UninstallService => commands::service::uninstall(),
        Command::Start => commands::service::start(),
        Command::Stop => commands::service::stop(),
        Command::Restart => commands::service::restart(),
        Command::Logs(a) => commands::service::logs(a),
        _ => {
            eprintln!("devtrack: not implemented yet");
            crate::exit::FAILURE
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
