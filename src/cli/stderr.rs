//! What a command says on stderr besides its error: warnings and progress
//! notes, kept off stdout so that stays data. A leaf: the socket client,
//! the error type and stdout's writer all may use it.

/// A warning on stderr: the command goes on.
pub(crate) fn warn(text: &str) {
    eprintln!("devtrack: warning: {text}");
}

/// A progress note on stderr, kept off stdout so it stays data.
pub(crate) fn note(text: &str) {
    eprintln!("{text}");
}
