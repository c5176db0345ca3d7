//! Watching git repositories for the developer's own commits.
