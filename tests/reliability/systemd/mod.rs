//! Reliability tests against the real systemd user manager
//! (scripts/systemd-user-env.sh), serialized with the rest of tests/systemd.rs.
