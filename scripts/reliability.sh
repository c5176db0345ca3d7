#!/usr/bin/env bash
# Runs the reliability and security suite (tests/reliability, module
# `reliability::`) and writes its figures to docs/reliability.md.
#
# Every test that measures something prints
#   FIGURE|<test>|<what was done>|<count>|<result>
# on stdout; this script runs the tests with their output shown, keeps those
# lines and hands them to scripts/reliability-table, which writes the table.
# First the tests that need no service manager, then, as root, those under
# `reliability::systemd::` against the real systemd user manager of
# scripts/systemd-user-env.sh (not root: they skip, and the page says so),
# and last, alone, the tests that lower a machine-wide limit
# (`reliability::faults::inotify`: `fs.inotify.max_user_*` apply to every
# user on the machine while lowered, so a daemon of any test running beside
# them would hit the limit): one test at a time, with nothing else of the
# suite running, and only there with DEVTRACK_MACHINE_WIDE_TESTS=1, without
# which they lower nothing. Every other run skips them.
#
# Usage: scripts/reliability.sh [--long] [--out FILE] [extra cargo test args]
#   --long      the long variants (more kills, cases, rounds):
#               DEVTRACK_RELIABILITY_LONG=1 for the tests
#   --out FILE  where the page goes (default docs/reliability.md; CI writes
#               target/reliability.md so the checkout stays clean)
# Exits non-zero when a test fails, after writing the page with what ran.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/user-manager.sh

out=docs/reliability.md
long=0
while [ $# -gt 0 ]; do
  case "$1" in
    --long) long=1; shift ;;
    --out) out="$2"; shift 2 ;;
    *) break ;;
  esac
done
if [ "$long" = 1 ]; then
  export DEVTRACK_RELIABILITY_LONG=1
else
  unset DEVTRACK_RELIABILITY_LONG
fi

# The whole output stays in target/ for reading after a failure.
log="${CARGO_TARGET_DIR:-target}/reliability.log"
mkdir -p "$(dirname "$log")"
status=0
alone=reliability::faults::inotify
cargo test --test tests "$@" -- --test-threads=2 --nocapture --skip systemd:: --skip "$alone" reliability:: \
  2>&1 | tee "$log" || status=1
manager=no
if user_manager_up reliability.sh; then
  manager=yes
  cargo test --test tests "$@" -- --test-threads=2 --nocapture reliability::systemd:: \
    2>&1 | tee -a "$log" || status=1
fi
user_manager_stop
# Alone: the runs above have ended and the user manager is stopped.
DEVTRACK_MACHINE_WIDE_TESTS=1 cargo test --test tests "$@" -- --test-threads=1 --nocapture "$alone" \
  2>&1 | tee -a "$log" || status=1

mkdir -p "$(dirname "$out")"
flags=""
[ "$long" = 1 ] && flags="--long"
grep -o 'FIGURE|.*' "$log" | sort -s -t'|' -k2,2 |
  scripts/reliability-table --manager "$manager" --status "$status" ${flags:+"$flags"} >"$out"
echo "reliability.sh: wrote $out ($(grep -c 'FIGURE|' "$log" || true) figures)" >&2
exit "$status"
