#!/usr/bin/env bash
# Runs the git-watching stress tests for longer than CI does, round after
# round, until one fails or the rounds are done. The tests (every test named
# `stress_*` in tests/gitwatch.rs and tests/daemon_git.rs) delete a
# repository configured at a nested path and clone it there again, or add a
# worktree, then commit at once, and require every commit to be stored. Each
# waits on watcher messages or daemon events, so a lost watch fails the cycle
# after the tests' safety net (20 s) instead of hanging.
#
# Usage: scripts/gitwatch-stress.sh [-c CYCLES] [-r ROUNDS] [-l LOAD] [-- CARGO_TEST_ARGS]
#   -c CYCLES  cycles per test and round (default 500; CI runs 10 to 50)
#   -r ROUNDS  rounds (default 5; 0 runs until a round fails)
#   -l LOAD    busy CPU loops to run beside the tests (default 0); load
#              widens the races between git and the watcher
# Example: scripts/gitwatch-stress.sh -c 2000 -r 0 -l 2 -- --release
set -euo pipefail
cd "$(dirname "$0")/.."

cycles=500
rounds=5
load=0
while getopts "c:r:l:h" opt; do
  case "$opt" in
    c) cycles=$OPTARG ;;
    r) rounds=$OPTARG ;;
    l) load=$OPTARG ;;
    h) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ "${1:-}" = "--" ] && shift

loops=()
log=$(mktemp "${TMPDIR:-/tmp}/gitwatch-stress.XXXXXX")
cleanup() {
  for pid in "${loops[@]}"; do kill "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

# Build first, so the rounds measure the tests and not the compiler.
cargo test --test tests "$@" --no-run

for _ in $(seq 1 "$load"); do
  (while :; do :; done) &
  loops+=("$!")
done

round=0
while [ "$rounds" = 0 ] || [ "$round" -lt "$rounds" ]; do
  round=$((round + 1))
  start=$(date +%s)
  if DEVTRACK_STRESS_CYCLES=$cycles cargo test -q --test tests "$@" -- --test-threads=2 stress_ >"$log" 2>&1; then
    echo "round $round: ${cycles} cycles per test passed in $(($(date +%s) - start)) s"
  else
    echo "round $round failed after $(($(date +%s) - start)) s; output kept in $log" >&2
    grep -E "^test .*FAILED|timed out waiting|no .* within|panicked at" "$log" | head -20 >&2 || true
    exit 1
  fi
done
rm -f "$log"
echo "$round round(s) passed"
