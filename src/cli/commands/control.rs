//! `pause`, `resume`, `skip`, `trigger`, `reload`: one request each.

use std::time::Duration;

use crate::cli::args::{PauseArgs, ReloadArgs};
use crate::cli::client::Client;
use crate::cli::Context;
use crate::protocol::{Command, PauseRequest, Response};
use crate::{exit, service};

/// Sends `cmd` and prints the daemon's message; returns the exit status.
fn simple(ctx: &Context, cmd: Command) -> i32 {
    match Client::connect(&ctx.paths.socket).and_then(|mut c| c.request(cmd)) {
        Ok(resp) => print_reply(&resp, exit::FAILURE),
        Err(e) => {
            eprintln!("devtrack: {e}");
            e.exit_status()
        }
    }
}

fn print_reply(resp: &Response, failure_status: i32) -> i32 {
    if resp.ok {
        if let Some(m) = &resp.message {
            println!("{m}");
        }
        exit::OK
    } else {
        eprintln!(
            "devtrack: {}",
            resp.error
                .as_deref()
                .unwrap_or("the daemon refused the request")
        );
        failure_status
    }
}

pub fn pause(ctx: &Context, args: &PauseArgs) -> i32 {
    let for_secs = match args.for_.as_deref().map(crate::daemon::parse_duration) {
        Some(Ok(secs)) => Some(secs),
        Some(Err(e)) => {
            eprintln!("devtrack: {e}");
            return exit::USAGE;
        }
        None => None,
    };
    simple(
        ctx,
        Command::Pause(PauseRequest {
            for_secs,
            until: args.until.clone(),
        }),
    )
}

pub fn resume(ctx: &Context) -> i32 {
    simple(ctx, Command::Resume)
}

pub fn skip(ctx: &Context) -> i32 {
    simple(ctx, Command::Skip)
}

pub fn trigger(ctx: &Context) -> i32 {
    simple(ctx, Command::Trigger)
}

/// `reload --wait` talks to the daemon and waits for the verdict (the
/// systemd unit's `ExecReload`); plain `reload` goes through the service
/// manager when devtrack is installed as a service, so the manager's view of
/// the reload stays right. A unit without a reload command (Homebrew's)
/// is reloaded through the daemon directly.
pub fn reload(ctx: &Context, args: &ReloadArgs) -> i32 {
    if !args.wait {
        let backend = service::backend();
        if backend.is_installed() {
            // The backend reports the outcome itself.
            match backend.reload() {
                Ok(()) => return exit::OK,
                Err(service::ServiceError::ReloadUnsupported) => {}
                Err(e) => {
                    eprintln!("devtrack: {e}");
                    return e.exit_status();
                }
            }
        }
    }
    let result = Client::connect(&ctx.paths.socket).and_then(|mut c| {
        c.set_read_timeout(Some(Duration::from_secs(120)))?;
        c.request(Command::Reload)
    });
    match result {
        Ok(resp) => {
            if resp.ok {
                match resp.reload.as_ref().map(|r| r.changes.as_slice()) {
                    Some([]) | None => println!("configuration reloaded; nothing changed"),
                    Some(changes) => {
                        println!("configuration reloaded:");
                        for c in changes {
                            println!("  {c}");
                        }
                    }
                }
                exit::OK
            } else {
                eprintln!(
                    "devtrack: configuration rejected, the daemon keeps the previous one: {}",
                    resp.error.as_deref().unwrap_or("unknown reason")
                );
                exit::REJECTED
            }
        }
        Err(e) => {
            eprintln!("devtrack: {e}");
            e.exit_status()
        }
    }
}
