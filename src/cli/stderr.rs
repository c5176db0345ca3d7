//! What a command says on stderr besides its error: warnings and progress
//! notes, kept off stdout so that stays data. A leaf: the socket client,
//! the error type and stdout's writer all may use it.

use std::io::Write;

/// A warning on stderr: the command goes on.
pub(crate) fn warn(text: &str) {
    note(&format!("devtrack: warning: {text}"));
}

/// A progress note on stderr, kept off stdout so it stays data. A closed
/// stderr (a status bar that reads only stdout) loses the note, not the
/// command: `eprintln!` would panic.
pub(crate) fn note(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}
