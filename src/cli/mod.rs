//! The command-line front end: parses arguments and dispatches to one
//! function per command; this file does only that. Commands that change the daemon's behaviour go
//! through the control socket; service commands go through `crate::service`.
//!
//! Every command returns `Result<Status, CliError>`; [`main`] alone prints
//! an error (`devtrack: …`, then an optional `hint: …` line) and turns the
//! result into the exit status of the README table. Output goes through
//! [`out`], so a closed stdout ends a command quietly with status 0.

pub mod args;
pub(crate) mod client;
pub mod commands;
mod context;
pub(crate) mod error;
pub(crate) mod out;
pub(crate) mod stderr;
pub(crate) use crate::when as time;
pub(crate) mod zone;

use std::process::ExitCode;

use clap::Parser;

use crate::config::paths::Paths;
use crate::exit::Status;
use args::{Cli, Command};
pub(crate) use context::Context;
pub(crate) use error::CliError;

/// Runs the CLI and returns the process exit status.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return finish(not_parsed(&e)),
    };
    if let Command::Run = cli.command {
        return crate::daemon::run(cli.global.config.as_deref()).into();
    }
    let ctx = Context::new(Paths::resolve(cli.global.config.as_deref()));
    finish(dispatch(&ctx, &cli.command))
}

/// Prints the error, if any; the exit status.
fn finish(result: Result<Status, CliError>) -> ExitCode {
    match result {
        Ok(status) => status.into(),
        Err(e) => {
            eprint!("{}", e.render());
            e.status().into()
        }
    }
}

/// A command line clap did not turn into a command: `--version` and
/// `--help` (success), `devtrack` alone (the help, status 2), or a usage
/// error: status 2 and, like every error, one `devtrack: …` line and a
/// `hint:` line ([`usage_error`]).
fn not_parsed(e: &clap::Error) -> Result<Status, CliError> {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayVersion => commands::version::run(),
        _ if !e.use_stderr() => {
            out::print(&e.render().to_string())?;
            Ok(Status::Ok)
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            Ok(Status::Usage)
        }
        _ => Err(usage_error(&e.render().to_string())),
    }
}

/// clap's several-line message (`error: …`, a `tip:`, the usage, "For
/// more information…") as one error: the first line, and the tips (else
/// the usage) as the hint.
fn usage_error(rendered: &str) -> CliError {
    let mut lines = rendered.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("bad command line");
    let message = first.strip_prefix("error: ").unwrap_or(first);
    let rest: Vec<&str> = lines.collect();
    let tips: Vec<&str> = rest
        .iter()
        .filter_map(|l| l.strip_prefix("tip: "))
        .collect();
    let hint = if tips.is_empty() {
        match rest.iter().find_map(|l| l.strip_prefix("Usage: ")) {
            Some(usage) => format!("usage: {usage}; `--help` says more"),
            None => "`devtrack --help` lists the commands and options".to_string(),
        }
    } else {
        tips.join("; ")
    };
    CliError::usage(message).with_hint(hint)
}

fn dispatch(ctx: &Context, command: &Command) -> Result<Status, CliError> {
    match command {
        Command::Run => unreachable!("handled by main"),
        Command::Status(a) => commands::status::run(ctx, a.json),
        Command::Pause(a) => commands::control::pause(ctx, a),
        Command::Resume => commands::control::resume(ctx),
        Command::Skip => commands::control::skip(ctx),
        Command::Note(a) => commands::note::note(ctx, a),
        Command::Snooze(a) => commands::note::snooze(ctx, a),
        Command::Trigger => commands::control::trigger(ctx),
        Command::Reload(a) => commands::control::reload(ctx, a),
        Command::Metrics => commands::metrics::run(ctx),
        Command::Events(a) => commands::events::run(ctx, a.json, a.follow),
        Command::History(a) => commands::history::run(ctx, a),
        Command::Report(a) => commands::report::run(ctx, a),
        Command::Web(a) => commands::web::run(ctx, a.no_browser),
        Command::Config(c) => commands::config::run(ctx, c),
        Command::Sync(a) => commands::sync::run(ctx, a),
        Command::Repo(c) => commands::repo::run(ctx, c),
        Command::InstallService(a) => commands::service::install(ctx, a),
        Command::UninstallService => commands::service::uninstall(),
        Command::Start(a) => commands::service::start(ctx, a),
        Command::Stop => commands::service::stop(),
        Command::Restart(a) => commands::service::restart(ctx, a),
        Command::Logs(a) => commands::service::logs(ctx, a),
        Command::Doctor(a) => commands::doctor::run(ctx, a.json),
        Command::Version => commands::version::run(),
        Command::Completions(a) => commands::completions::run(a.shell),
        Command::Man => commands::man::run(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_errors_are_one_line_and_a_hint() {
        let cases = [
            (
                "error: unexpected argument '--yaml' found\n\nUsage: devtrack status [OPTIONS]\n\n\
                 For more information, try '--help'.\n",
                "devtrack: unexpected argument '--yaml' found\n\
                 hint: usage: devtrack status [OPTIONS]; `--help` says more\n",
            ),
            (
                "error: unrecognized subcommand 'explode'\n\n  tip: a similar subcommand exists: \
                 'reload'\n\nUsage: devtrack [OPTIONS] <COMMAND>\n\nFor more information, try \
                 '--help'.\n",
                "devtrack: unrecognized subcommand 'explode'\n\
                 hint: a similar subcommand exists: 'reload'\n",
            ),
            (
                "error: invalid value 'many' for '--limit <LIMIT>': invalid digit found in \
                 string\n\nFor more information, try '--help'.\n",
                "devtrack: invalid value 'many' for '--limit <LIMIT>': invalid digit found in \
                 string\nhint: `devtrack --help` lists the commands and options\n",
            ),
        ];
        for (clap, ours) in cases {
            let e = usage_error(clap);
            assert_eq!(e.status(), Status::Usage);
            assert_eq!(e.render(), ours);
        }
    }
}
