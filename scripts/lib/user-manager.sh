# Sourced by scripts/test.sh and scripts/reliability.sh: brings up the real
# systemd user manager of scripts/systemd-user-env.sh for the tests under
# `systemd::`, and stops it again only if this run started it.
#
#   user_manager_up NAME   # as root: start (or reuse) it, export DEVTRACK_SYSTEMD_*;
#                          # returns 1 when not root (the systemd tests skip),
#                          # exits the script when the start fails
#   (an EXIT trap stops a manager this script started)
#
# NAME prefixes messages (`test.sh: …`).

user_manager_started=0

user_manager_stop() {
  if [ "$user_manager_started" = 1 ]; then
    scripts/systemd-user-env.sh stop || true
    user_manager_started=0
  fi
}

user_manager_up() {
  local name="$1" exports
  if [ "$(id -u)" != 0 ] || [ ! -x scripts/systemd-user-env.sh ]; then
    if [ "${CI:-}" = true ]; then
      echo "$name: CI must run as root to start the systemd user manager" >&2
      exit 1
    fi
    echo "$name: not root: the systemd tests will skip (they need a user manager set up as root)" >&2
    return 1
  fi
  trap user_manager_stop EXIT
  # A manager that already answers was started by someone else: use it and
  # leave it running. Otherwise whatever `start` brings up (even half of it,
  # if it fails) is ours to stop.
  if ! scripts/systemd-user-env.sh env >/dev/null 2>&1; then
    user_manager_started=1
  fi
  # Not `eval "$(… start)"`: eval of an empty string succeeds, so a failed
  # start would go unnoticed under `set -e`. The assignment fails instead.
  if ! exports="$(scripts/systemd-user-env.sh start)"; then
    echo "$name: could not start the systemd user manager (see above)" >&2
    exit 1
  fi
  # Exports DEVTRACK_SYSTEMD_* for the tests.
  eval "$exports"
}
