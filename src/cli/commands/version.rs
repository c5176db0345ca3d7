//! `devtrack version`, `--version` and `-V`: the name and the version the
//! package was built as.

use crate::cli::{out, CliError};
use crate::exit::Status;

pub(crate) fn run() -> Result<Status, CliError> {
    out::line(&text())?;
    Ok(Status::Ok)
}

pub(crate) fn text() -> String {
    format!("devtrack {}", env!("CARGO_PKG_VERSION"))
}
