#!/usr/bin/env bash
# Runs the test suite the way CI does (.ci/run calls this after `cargo fmt
# --check` and clippy): every unit and integration test, then tests/systemd.rs
# against a real systemd user manager, which scripts/systemd-user-env.sh
# starts when this runs as root. The benchmark is not run here (see
# `cargo bench --bench daemon` in .ci/run).
#
# Usage: scripts/test.sh [extra cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."

started_manager=0
cleanup() {
  if [ "$started_manager" = 1 ]; then scripts/systemd-user-env.sh stop || true; fi
}
trap cleanup EXIT

if [ "$(id -u)" = 0 ] && [ -x scripts/systemd-user-env.sh ]; then
  # A manager that already answers was started by someone else: use it and
  # leave it running. Otherwise whatever `start` brings up (even half of it,
  # if it fails) is ours to stop.
  if ! scripts/systemd-user-env.sh env >/dev/null 2>&1; then
    started_manager=1
  fi
  # Not `eval "$(… start)"`: eval of an empty string succeeds, so a failed
  # start would go unnoticed under `set -e`. The assignment fails instead.
  if ! exports="$(scripts/systemd-user-env.sh start)"; then
    echo "test.sh: could not start the systemd user manager (see above)" >&2
    exit 1
  fi
  # Exports DEVTRACK_SYSTEMD_* for tests/systemd.rs.
  eval "$exports"
elif [ "${CI:-}" = true ]; then
  echo "test.sh: CI must run as root to start the systemd user manager" >&2
  exit 1
else
  echo "test.sh: not root: the systemd tests will skip (they need a user manager set up as root)" >&2
fi

# Everything but the systemd tests, then those with their output shown (they
# print what they measure, e.g. `systemd-analyze security`'s exposure score).
cargo test --all-targets "$@" -- --test-threads=2 --skip systemd::
cargo test --lib --test tests "$@" -- --test-threads=2 --nocapture systemd::
