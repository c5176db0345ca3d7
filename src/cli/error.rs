//! The CLI's one error type. Commands return `Result<Status, CliError>`;
//! only `cli::main` prints it (`devtrack: …` and an optional `hint:` line)
//! and turns it into the exit status, so no command prints its own errors or
//! picks a number outside the README table. The status and the hint come
//! from the error that failed the command ([`Explain`]).

use std::fmt;

use crate::cli::client::ClientError;
use crate::config::ConfigError;
use crate::exit::{Explain, Hinted, Status};
use crate::service::ServiceError;
use crate::store::OpenError;

/// Why a command failed, and the status it ends with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CliError {
    status: Status,
    /// Lowercase fragment(s); may span lines (a list of problems).
    message: String,
    hint: Option<String>,
    /// Standard output was closed (`devtrack history | head -1`): not an
    /// error to report; the command ends quietly with status 0.
    broken_pipe: bool,
}

impl CliError {
    /// An error with `status`.
    pub(crate) fn new(status: Status, message: impl Into<String>) -> CliError {
        CliError {
            status,
            message: message.into(),
            hint: None,
            broken_pipe: false,
        }
    }

    /// `e`'s message, hint and status.
    pub(crate) fn explained(e: &impl Explain) -> CliError {
        CliError {
            status: e.status(),
            message: e.message().into_owned(),
            hint: e.hint().map(|h| h.into_owned()),
            broken_pipe: false,
        }
    }

    /// The command failed (status 1).
    pub(crate) fn failed(message: impl Into<String>) -> CliError {
        CliError::new(Status::Failure, message)
    }

    /// A bad value on the command line (status 2).
    pub(crate) fn usage(message: impl Into<String>) -> CliError {
        CliError::new(Status::Usage, message)
    }

    /// Standard output is gone; end quietly with status 0.
    pub(crate) fn broken_pipe() -> CliError {
        CliError {
            status: Status::Ok,
            message: String::new(),
            hint: None,
            broken_pipe: true,
        }
    }

    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> CliError {
        self.hint = Some(hint.into());
        self
    }

    pub(crate) fn status(&self) -> Status {
        self.status
    }

    #[cfg(test)]
    pub(crate) fn message(&self) -> &str {
        &self.message
    }

    #[cfg(test)]
    pub(crate) fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// What `cli::main` prints on stderr: nothing for a closed stdout.
    pub(crate) fn render(&self) -> String {
        if self.broken_pipe {
            return String::new();
        }
        format!(
            "devtrack: {}\n",
            crate::exit::render(&self.message, self.hint.as_deref())
        )
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.render().trim_end())
    }
}

fn is_broken_pipe(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::BrokenPipe
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> CliError {
        if is_broken_pipe(&e) {
            CliError::broken_pipe()
        } else {
            CliError::failed(e.to_string())
        }
    }
}

impl From<anyhow::Error> for CliError {
    fn from(e: anyhow::Error) -> CliError {
        let closed = e.chain().any(|c| {
            c.downcast_ref::<std::io::Error>()
                .is_some_and(is_broken_pipe)
        });
        if closed {
            CliError::broken_pipe()
        } else {
            CliError::failed(format!("{e:#}"))
        }
    }
}

impl From<ClientError> for CliError {
    fn from(e: ClientError) -> CliError {
        CliError::explained(&e)
    }
}

impl From<ServiceError> for CliError {
    fn from(e: ServiceError) -> CliError {
        match e {
            ServiceError::Other(e) => CliError::from(e),
            e => CliError::explained(&e),
        }
    }
}

impl From<ConfigError> for CliError {
    /// `config.yaml:4:3: settings.intervall: unknown key …` (status 78).
    fn from(e: ConfigError) -> CliError {
        CliError::explained(&e)
    }
}

impl From<OpenError> for CliError {
    fn from(e: OpenError) -> CliError {
        CliError::explained(&e)
    }
}

impl From<Hinted> for CliError {
    fn from(e: Hinted) -> CliError {
        CliError::explained(&e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_error_line_then_an_optional_hint() {
        let e = CliError::failed("reading `x`: denied");
        assert_eq!(e.render(), "devtrack: reading `x`: denied\n");
        let e = CliError::new(Status::NotRunning, "devtrack is not running")
            .with_hint("start it with `devtrack start`");
        assert_eq!(e.message(), "devtrack is not running");
        assert_eq!(e.hint(), Some("start it with `devtrack start`"));
        assert_eq!(
            e.render().lines().collect::<Vec<_>>(),
            [
                "devtrack: devtrack is not running",
                "hint: start it with `devtrack start`"
            ]
        );
        let e = CliError::usage("`25:00` is not a time").with_hint("use HH:MM");
        assert_eq!(e.status(), Status::Usage);
        assert_eq!(
            e.render().lines().collect::<Vec<_>>(),
            ["devtrack: `25:00` is not a time", "hint: use HH:MM"]
        );
        assert!(e.render().ends_with('\n'));
    }

    #[test]
    fn a_closed_stdout_is_quiet_success() {
        let e = CliError::from(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert_eq!(e.status(), Status::Ok);
        assert_eq!(e.render(), "");
        let wrapped = anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
            .context("writing the log");
        assert_eq!(CliError::from(wrapped).status(), Status::Ok);
        let other = CliError::from(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        assert_eq!(other.status(), Status::Failure);
    }

    #[test]
    fn service_errors_keep_their_table_status_and_tools_never_leak_theirs() {
        let tool =
            ServiceError::tool("`launchctl bootstrap gui/501 x` failed: 5: Input/output error")
                .with_hint("check it");
        let e = CliError::from(tool);
        assert_eq!(e.status(), Status::Failure);
        assert_eq!(e.hint(), Some("check it"));
        let rejected = ServiceError::failed(Status::Rejected, "configuration rejected");
        assert_eq!(CliError::from(rejected).status(), Status::Rejected);
        assert_eq!(
            CliError::from(ServiceError::NotInstalled).status(),
            Status::NotRunning
        );
        assert_eq!(
            CliError::from(ServiceError::no_manager("no bus")).status(),
            Status::NoServiceManager
        );
    }
}
