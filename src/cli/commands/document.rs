//! Printing a generated document (the man page, a completion script) on
//! stdout, for `devtrack man` and `devtrack completions`: a reader that
//! closes the pipe early (`devtrack man | head`) is not a failure.

use std::io::Write;

/// Writes `bytes` to stdout; `what` names the document in an error.
pub fn print(bytes: &[u8], what: &str) -> i32 {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => crate::exit::OK,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => crate::exit::OK,
        Err(e) => {
            eprintln!("devtrack: writing {what}: {e}");
            crate::exit::FAILURE
        }
    }
}
