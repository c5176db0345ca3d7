//! Posting work updates to the tickets they name (issue 21): the decisions
//! behind the outbox, kept pure so they can be table-tested. [`plan`] says
//! which tickets an update is posted to and why a row waits; [`request`]
//! builds the exact HTTP request for a row; [`remote`] reads a repository's
//! git remote and the facts the planner needs about each repository (the one I/O edge).
//! Sending: where a token comes from ([`token`]), the HTTP edge and what
//! an answer means ([`http`]), and what to send next and when
//! ([`schedule`], pure); the daemon runs them (`daemon::sync_sender`).

pub(crate) mod http;
pub mod plan;
pub(crate) mod remote;
pub(crate) mod request;
pub(crate) mod schedule;
pub(crate) mod token;
