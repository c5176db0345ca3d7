#!/usr/bin/env bash
# Runs the test suite the way CI does (.ci/run calls this after `cargo fmt
# --check` and clippy). First it makes sure the programs the tests drive are
# there (scripts/lib/test-packages.sh: as root on Debian it installs them,
# otherwise it names what is missing and which tests skip). Then every unit
# and integration test, then tests/systemd.rs
# against a real systemd user manager, which scripts/systemd-user-env.sh
# starts when this runs as root, and last the reliability suite
# (tests/reliability, module `reliability::`) through scripts/reliability.sh,
# which collects its figures into target/reliability.md (docs/reliability.md
# is committed from such a run) and runs the tests that lower a
# machine-wide limit (`reliability::faults::inotify`) last and alone; the
# runs here skip them with the rest of `reliability::`. The benchmark is not run here (see
# `cargo bench --bench daemon` in .ci/run).
#
# Usage: scripts/test.sh [extra cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/user-manager.sh
. scripts/lib/test-packages.sh

test_packages_ensure test.sh
user_manager_up test.sh || true

# Everything but the systemd tests, then those with their output shown (they
# print what they measure, e.g. `systemd-analyze security`'s exposure score).
cargo test --all-targets "$@" -- --test-threads=2 --skip systemd:: --skip reliability::
cargo test --lib --test tests "$@" -- --test-threads=2 --nocapture --skip reliability:: systemd::
# The reliability suite, with its figures shown on a page in target/ (the
# checkout stays clean).
scripts/reliability.sh --out "${CARGO_TARGET_DIR:-target}/reliability.md" "$@"
