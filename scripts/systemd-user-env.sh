#!/usr/bin/env bash
# scripts/systemd-user-env.sh: a real systemd user manager (and journald) on a
# machine that did not boot with systemd, for CI and for developers who want
# to run tests/systemd.rs.
#
# Usage (as root):
#   scripts/systemd-user-env.sh start   # idempotent; prints the env exports
#   scripts/systemd-user-env.sh env     # prints the env exports of a running manager
#   scripts/systemd-user-env.sh stop    # stops the manager and journald it started
#
# `start` prints lines such as
#   export DEVTRACK_SYSTEMD_USER=devtrack-ci
#   export DEVTRACK_SYSTEMD_UID=1001
#   export DEVTRACK_SYSTEMD_RUNTIME_DIR=/run/user/1001
#   export DEVTRACK_SYSTEMD_BUS=unix:path=/run/user/1001/bus
# so that `eval "$(scripts/systemd-user-env.sh start)"` hands them to the tests.
#
# What it sets up, and why:
# - an unprivileged user (DEVTRACK_SYSTEMD_USER, default `devtrack-ci`) in
#   the `systemd-journal` group, so it can read its own units' journal;
# - /run/systemd/system: `systemd --user` refuses to start without it
#   ("systemd is not running as init");
# - a delegated cgroup `user.slice/user-UID.slice/user@UID.service` in both
#   the cgroup2 hierarchy (/sys/fs/cgroup/unified) and the named v1
#   hierarchy (/sys/fs/cgroup/systemd), owned by the user; the manager is
#   started inside it because it may only manage cgroups below its own;
# - XDG_RUNTIME_DIR=/run/user/UID (0700, owned by the user), where the manager
#   puts its private socket (systemd/private) and dbus.socket puts the bus;
# - /lib/systemd/systemd-journald (as root), which creates
#   /run/systemd/journal/socket; entries of user units carry
#   _SYSTEMD_USER_UNIT.
#
# Packages: systemd (the manager, journald, systemctl, journalctl) and
# dbus-user-session (the user bus socket unit, used by `systemd-analyze
# --user` and anything that talks D-Bus). Each is installed with apt-get only
# when missing.
#
# Waiting: after starting a daemon the script polls for the socket it creates
# with a bounded number of tries (an external process we cannot get an event
# from), and fails loudly with the daemon's log when it never appears.
#
# State: each user's manager has its own directory,
# /run/devtrack-systemd-env/user-NAME/ (pid file and log), so runs for
# different users never see, replace or stop each other's manager. journald
# serves the whole machine: its pid file is shared, and `stop` ends it only
# when no manager started by this script (for any user) is still running.

set -euo pipefail

CI_USER="${DEVTRACK_SYSTEMD_USER:-devtrack-ci}"
STATE_ROOT="/run/devtrack-systemd-env"
STATE_DIR="$STATE_ROOT/user-$CI_USER"
MANAGER_LOG="$STATE_DIR/manager.log"
JOURNALD_PID="$STATE_ROOT/journald.pid"
JOURNALD_LOG="$STATE_ROOT/journald.log"

die() {
    echo "systemd-user-env: $*" >&2
    exit 1
}

log() {
    echo "systemd-user-env: $*" >&2
}

need_root() {
    [ "$(id -u)" -eq 0 ] || die "must run as root (it creates a user, cgroups and /run/user/UID)"
}

# Installs the Debian packages named, only those that are missing.
ensure_packages() {
    local missing=()
    local pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        log "installing ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
    fi
}

# Waits until "$@" succeeds, trying every 50 ms at most 400 times (20 s).
# The manager and journald are external processes that give no event we
# could block on before their socket exists; this is the bounded fallback.
wait_until() {
    local what="$1"
    shift
    local i
    for i in $(seq 1 400); do
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.05
    done
    log "timed out waiting for $what"
    return 1
}

ensure_user() {
    getent group systemd-journal >/dev/null || groupadd --system systemd-journal
    if ! id "$CI_USER" >/dev/null 2>&1; then
        useradd --create-home --shell /bin/bash --groups systemd-journal "$CI_USER"
    else
        usermod -a -G systemd-journal "$CI_USER"
    fi
}

ensure_cgroup_mounts() {
    mountpoint -q /sys/fs/cgroup || mount -t tmpfs -o mode=755 tmpfs /sys/fs/cgroup
    if ! mountpoint -q /sys/fs/cgroup/unified; then
        mkdir -p /sys/fs/cgroup/unified
        mount -t cgroup2 cgroup2 /sys/fs/cgroup/unified
    fi
    if ! mountpoint -q /sys/fs/cgroup/systemd; then
        mkdir -p /sys/fs/cgroup/systemd
        mount -t cgroup -o none,name=systemd cgroup /sys/fs/cgroup/systemd
    fi
}

# The delegated cgroup of user@UID.service in both hierarchies.
cgroup_dirs() {
    local uid="$1"
    local rel="user.slice/user-$uid.slice/user@$uid.service"
    echo "/sys/fs/cgroup/unified/$rel" "/sys/fs/cgroup/systemd/$rel"
}

manager_env() {
    local uid="$1"
    echo "XDG_RUNTIME_DIR=/run/user/$uid DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/$uid/bus"
}

# The manager's own log (unit started/stopped, restarts, watchdog kills) goes
# to the journal, tagged USER_UNIT=, as on a booted system; started from a
# shell it would otherwise log to its stderr.
manager_log_env() {
    echo "SYSTEMD_LOG_TARGET=journal"
}

# Runs a command as the CI user with the manager's environment.
as_user() {
    local uid
    uid="$(id -u "$CI_USER")"
    # shellcheck disable=SC2046
    runuser -u "$CI_USER" -- env $(manager_env "$uid") "$@"
}

manager_answers() {
    as_user systemctl --user show-environment
}

print_env() {
    local uid
    uid="$(id -u "$CI_USER")"
    echo "export DEVTRACK_SYSTEMD_USER=$CI_USER"
    echo "export DEVTRACK_SYSTEMD_UID=$uid"
    echo "export DEVTRACK_SYSTEMD_RUNTIME_DIR=/run/user/$uid"
    echo "export DEVTRACK_SYSTEMD_BUS=unix:path=/run/user/$uid/bus"
}

pid_alive() {
    [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

start_journald() {
    if [ -S /run/systemd/journal/socket ] && pid_alive "$JOURNALD_PID"; then
        return 0
    fi
    if [ -S /run/systemd/journal/socket ] && pgrep -x systemd-journal >/dev/null 2>&1; then
        # A journald this script did not start (e.g. a booted system): use it.
        return 0
    fi
    # Persistent storage from the start: journald then writes each user's
    # entries to a user-UID.journal file that user may read (with runtime
    # storage everything lands in one root-only file, and flushing later
    # needs /run to be a tmpfs). `flushed` tells journald the flush that a
    # booted system requests has happened; tmpfiles gives the directories
    # the systemd-journal group and ACLs.
    mkdir -p /run/systemd/journal /var/log/journal
    touch /run/systemd/journal/flushed
    systemd-tmpfiles --create --prefix /var/log/journal >&2 || true
    setsid /lib/systemd/systemd-journald >"$JOURNALD_LOG" 2>&1 </dev/null &
    echo $! >"$JOURNALD_PID"
    wait_until "journald's socket /run/systemd/journal/socket" test -S /run/systemd/journal/socket ||
        die "journald did not start; its output:\n$(cat "$JOURNALD_LOG")"
}

start_manager() {
    local uid dir
    uid="$(id -u "$CI_USER")"
    if pid_alive "$STATE_DIR/manager.pid" && manager_answers >/dev/null 2>&1; then
        return 0
    fi
    mkdir -p /run/systemd/system
    install -d -m 0700 -o "$CI_USER" -g "$(id -g "$CI_USER")" "/run/user/$uid"
    for dir in $(cgroup_dirs "$uid"); do
        mkdir -p "$dir"
        chown -R "$CI_USER:" "$dir"
    done
    # The subshell moves itself into the delegated cgroups, then becomes the
    # user's manager in a session of its own.
    local procs=()
    for dir in $(cgroup_dirs "$uid"); do
        procs+=("$dir/cgroup.procs")
    done
    # shellcheck disable=SC2016
    USER_NAME="$CI_USER" MANAGER_ENV="$(manager_env "$uid") $(manager_log_env)" setsid bash -c '
        for f in "$@"; do echo $$ >"$f"; done
        exec su "$USER_NAME" -s /bin/sh -c "exec env $MANAGER_ENV /lib/systemd/systemd --user"
    ' devtrack-env "${procs[@]}" \
        >"$MANAGER_LOG" 2>&1 </dev/null &
    echo $! >"$STATE_DIR/manager.pid"
    if ! wait_until "the user manager's socket /run/user/$uid/systemd/private" \
        test -S "/run/user/$uid/systemd/private"; then
        die "systemd --user did not start; its output:
$(cat "$MANAGER_LOG")"
    fi
    wait_until "systemctl --user to answer" manager_answers ||
        die "systemctl --user does not answer; manager output:
$(cat "$MANAGER_LOG")"
    # The user bus (dbus-user-session's dbus.socket) is started by
    # sockets.target; wait for it so D-Bus clients work too.
    wait_until "the user bus /run/user/$uid/bus" test -S "/run/user/$uid/bus" ||
        die "the user bus socket never appeared (is dbus-user-session installed?)"
}

cmd_start() {
    need_root
    ensure_packages systemd dbus-user-session
    mkdir -p "$STATE_ROOT" "$STATE_DIR"
    ensure_user
    ensure_cgroup_mounts
    start_journald
    start_manager
    print_env
}

cmd_env() {
    id "$CI_USER" >/dev/null 2>&1 || die "user \`$CI_USER\` does not exist; run \`$0 start\`"
    manager_answers >/dev/null 2>&1 || die "the user manager of \`$CI_USER\` does not answer; run \`$0 start\`"
    print_env
}

# Ends one process group started by this script, waiting for it to exit.
stop_pidfile() {
    local pidfile="$1" name="$2" pid
    [ -f "$pidfile" ] || return 0
    pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
        # setsid made the started shell a session and group leader.
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        wait_until "$name (pid $pid) to exit" bash -c "! kill -0 $pid" ||
            kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
}

# Prints the pid files of managers this script started for other users that
# are still running (the layout before per-user state kept one directly in
# $STATE_ROOT).
other_managers() {
    local pidfile
    for pidfile in "$STATE_ROOT"/user-*/manager.pid "$STATE_ROOT/manager.pid"; do
        [ "$pidfile" != "$STATE_DIR/manager.pid" ] || continue
        if pid_alive "$pidfile"; then
            echo "$pidfile"
        fi
    done
}

cmd_stop() {
    need_root
    if id "$CI_USER" >/dev/null 2>&1 && manager_answers >/dev/null 2>&1; then
        # Let the manager stop its units and exit cleanly.
        as_user systemctl --user exit >/dev/null 2>&1 || true
    fi
    stop_pidfile "$STATE_DIR/manager.pid" "the user manager of $CI_USER"
    local others
    others="$(other_managers)"
    if [ -n "$others" ]; then
        log "leaving journald running for the managers still running: $(echo "$others" | tr '\n' ' ')"
    else
        stop_pidfile "$JOURNALD_PID" "journald"
    fi
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
env) cmd_env ;;
*)
    echo "usage: $0 start|stop|env" >&2
    exit 2
    ;;
esac
