#!/usr/bin/env bash
# Runs the whole devtrack test suite: unit and integration tests (including
# the ones against a real systemd user manager, set up by
# scripts/systemd-user-env.sh when run as root) and the quick benchmark.
#
# Usage: scripts/test.sh [extra cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."

started_manager=0
if [ "$(id -u)" = 0 ] && [ -x scripts/systemd-user-env.sh ]; then
  # Exports DEVTRACK_SYSTEMD_* for tests/systemd.rs.
  eval "$(scripts/systemd-user-env.sh start)"
  started_manager=1
elif [ "${CI:-}" = true ]; then
  echo "test.sh: CI must run as root to start the systemd user manager" >&2
  exit 1
else
  echo "test.sh: not root: the systemd tests will skip (they need a user manager set up as root)" >&2
fi
cleanup() {
  if [ "$started_manager" = 1 ]; then scripts/systemd-user-env.sh stop || true; fi
}
trap cleanup EXIT

# Everything but the systemd tests, then those with their output shown (they
# print what they measure, e.g. `systemd-analyze security`'s exposure score).
cargo test --all-targets "$@" -- --test-threads=2 --skip systemd::
cargo test --lib --test tests "$@" -- --test-threads=2 --nocapture systemd::
