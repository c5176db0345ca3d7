//! Standard output for commands. `println!` panics when stdout is a closed
//! pipe (`devtrack history | head -1`); these return the error instead, and
//! [`CliError`] turns a broken pipe into a quiet exit 0, as ripgrep does.

use std::io::Write;
use std::os::fd::AsFd;

use crate::cli::error::CliError;

/// Writes `text` to stdout and flushes it.
pub(crate) fn print(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// Writes `line` and a newline to stdout.
pub(crate) fn line(line: &str) -> Result<(), CliError> {
    let mut text = String::with_capacity(line.len() + 1);
    text.push_str(line);
    text.push('\n');
    print(&text)
}

/// Whether the reader of stdout went away (a pipe whose reading end is
/// closed reports `POLLERR`), without writing anything.
pub(crate) fn stdout_closed() -> bool {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    let stdout = std::io::stdout();
    let mut fds = [PollFd::new(stdout.as_fd(), PollFlags::POLLOUT)];
    match poll(&mut fds, PollTimeout::ZERO) {
        Ok(_) => fds[0]
            .revents()
            .is_some_and(|r| r.intersects(PollFlags::POLLERR | PollFlags::POLLHUP)),
        Err(_) => false,
    }
}
