#!/usr/bin/env bash
# scripts/test-packaging.sh: tests the Debian package and the Homebrew
# formula as a user gets them. Run as root on Debian 12 (CI does, from
# .ci/run); it installs what it needs with apt-get.
#
#   scripts/test-packaging.sh
#
# 1. The formula: `ruby -c`, and packaging/homebrew/check-formula.rb (name,
#    opt path, keep_alive crashed, no log_path, std_cargo_args, man1.install,
#    generated completions, license, a test block).
# 2. The .deb, built by scripts/build-deb (BUILD_DEB_PROFILE is passed on
#    to it): the changelog's version is the crate's; lintian reports no
#    error and no warning; the file list and control fields; the man page
#    renders without warnings.
# 3. With real systemd user managers (scripts/systemd-user-env.sh, one user
#    at a time, all under `flock /tmp/devtrack-systemd.lock` like every other
#    use of the user manager):
#    - a user whose manager runs before `dpkg -i`: `devtrack status` says the
#      packaged unit is not started and what to run; that command starts it;
#      `devtrack install-service` uses the packaged unit instead of writing a
#      copy to ~/.config; the completions load in bash, zsh and fish;
#    - Homebrew on Linux: from a Cellar-style prefix, install-service writes
#      the program and arguments of the formula's service block (the opt path)
#      for systemd and launchd; under the Type=simple unit brew generates
#      from that block (no NOTIFY_SOCKET, no watchdog, no ExecReload=)
#      `devtrack run` runs, `devtrack status` reports it and `devtrack
#      reload` works;
#    - a fresh user created after the install: at the first start of their
#      manager devtrack is enabled and active, and `devtrack status` works;
#    - a system user (uid below 1000): enabled but not started
#      (ConditionUser=!@system), and status says why;
#    - `dpkg -r` disables it (a new manager start runs no devtrack);
#      `dpkg --purge` leaves no file and no deb-systemd-helper state.
#    Users, managers, the package and the fake Homebrew prefix are removed at
#    the end, also on failure, before the lock is released.
#
# Waiting: `systemctl --user is-system-running --wait` blocks until a
# manager's start-up jobs are done (an event); `systemctl start` returns
# once a Type=notify unit is ready. A Type=simple unit gives no readiness
# event at all, so that one test retries `devtrack status` every 100 ms at
# most 100 times (documented at wait_for_status). The managers themselves
# are waited for by scripts/systemd-user-env.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

LOCK=/tmp/devtrack-systemd.lock
# Users this script creates; names no other test uses.
USER_EARLY=devtrack-pkg-early
USER_FRESH=devtrack-pkg-fresh
USER_SYSTEM=devtrack-pkg-sys

passed=0
started_at=$SECONDS

log() {
    echo "test-packaging: $*" >&2
}

fail() {
    log "FAILED: $*"
    echo "test-packaging: $passed passed, 1 failed"
    exit 1
}

pass() {
    passed=$((passed + 1))
    log "ok: $*"
}

# expect DESCRIPTION CMD...: CMD must succeed.
expect() {
    local what="$1"
    shift
    if "$@"; then pass "$what"; else fail "$what (\`$*\`)"; fi
}

# contains DESCRIPTION TEXT NEEDLE
contains() {
    if [[ "$2" == *"$3"* ]]; then
        pass "$1"
    else
        fail "$1: \`$3\` not in:
$2"
    fi
}

step() {
    log "--- $* (at ${SECONDS}s)"
}

[ "$(id -u)" = 0 ] || {
    log "must run as root (it installs the package and creates users)"
    exit 1
}

ensure_packages() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        log "installing ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

step "packages"
ensure_packages lintian dpkg-dev ruby man-db groff-base bash-completion zsh fish \
    systemd dbus-user-session

# ---------------------------------------------------------------------------
step "Homebrew formula"
formula=packaging/homebrew/devtrack.rb
expect "the formula parses (ruby -c)" ruby -c "$formula"
expect "the checker parses (ruby -c)" ruby -c packaging/homebrew/check-formula.rb
for prefix in /opt/homebrew /usr/local /home/linuxbrew/.linuxbrew; do
    out="$(ruby packaging/homebrew/check-formula.rb "$formula" "$prefix")" ||
        fail "check-formula.rb for $prefix"
    contains "the formula's service runs the opt path under $prefix" "$out" \
        "program=$prefix/opt/devtrack/bin/devtrack"
done
contains "the service keeps one label: launchd" "$out" "launchd_label=dev.devtrack"
contains "the service keeps one label: systemd" "$out" "systemd_unit=devtrack.service"

# ---------------------------------------------------------------------------
step "build the .deb"
build_started=$SECONDS
deb="$(scripts/build-deb | tail -n 1)"
log "built $deb in $((SECONDS - build_started))s"
expect "the package file exists" test -s "$deb"
crate_version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)"
changelog_version="$(dpkg-parsechangelog -l packaging/deb/changelog -S Version)"
expect "packaging/deb/changelog is at the crate's version ($crate_version-1)" \
    test "$changelog_version" = "$crate_version-1"
expect "the package's version is the changelog's" \
    test "$(dpkg-deb -f "$deb" Version)" = "$changelog_version"

step "lintian"
lintian_out="$(lintian --info --display-info --show-overrides "$deb" 2>&1 | grep -v 'running with root privileges' || true)"
echo "$lintian_out" | grep -E '^[EWIPO]: ' >&2 || true
log "lintian: $(echo "$lintian_out" | grep -c '^E: ' || true) errors, $(echo "$lintian_out" | grep -c '^W: ' || true) warnings, $(echo "$lintian_out" | grep -c '^I: ' || true) info, $(echo "$lintian_out" | grep -c '^O: ' || true) overridden"
expect "lintian reports no error" bash -c '! grep -q "^E: " <<<"$1"' _ "$lintian_out"
expect "lintian reports no warning" bash -c '! grep -q "^W: " <<<"$1"' _ "$lintian_out"

step "contents"
contents="$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|')"
for path in \
    /usr/bin/devtrack \
    /usr/lib/systemd/user/devtrack.service \
    /usr/share/man/man1/devtrack.1.gz \
    /usr/share/bash-completion/completions/devtrack \
    /usr/share/zsh/vendor-completions/_devtrack \
    /usr/share/fish/vendor_completions.d/devtrack.fish \
    /usr/share/doc/devtrack/examples/config.yaml \
    /usr/share/applications/devtrack.desktop \
    /usr/share/icons/hicolor/scalable/apps/devtrack.svg \
    /usr/share/doc/devtrack/copyright \
    /usr/share/doc/devtrack/changelog.Debian.gz; do
    contains "the package holds $path" "$contents" "$path"
done
expect "the package depends on init-system-helpers (>= 1.52)" \
    bash -c 'dpkg-deb -f "$1" Depends | grep -q "init-system-helpers (>= 1.52)"' _ "$deb"
expect "the package recommends dbus-user-session" \
    bash -c 'dpkg-deb -f "$1" Recommends | grep -q "dbus-user-session"' _ "$deb"
payload_dir="$(mktemp -d)"
dpkg-deb -x "$deb" "$payload_dir"
expect "the binary packs its relative relocations (DT_RELR, build.rs)" \
    bash -c 'readelf -d "$1/usr/bin/devtrack" | grep -q "(RELR)"' _ "$payload_dir"
expect "the binary is still position-independent (PIE)" \
    bash -c 'readelf -h "$1/usr/bin/devtrack" | grep -q "DYN (Position-Independent Executable"' _ "$payload_dir"
rm -rf "$payload_dir"
expect "the package depends on a glibc that reads DT_RELR (libc6 >= 2.36)" \
    bash -c 'dpkg-deb -f "$1" Depends | grep -Eq "libc6 \(>= 2\.(3[6-9]|[4-9][0-9])"' _ "$deb"
control_dir="$(mktemp -d)"
dpkg-deb -e "$deb" "$control_dir"
expect "no maintainer script calls systemctl" bash -c '! grep -E "^[^#]*systemctl" "$1"/postinst "$1"/postrm' _ "$control_dir"
expect "no #DEBHELPER# token is left" bash -c '! grep -l "#DEBHELPER#" "$1"/*' _ "$control_dir"
rm -rf "$control_dir"
log "package: $(stat -c %s "$deb") bytes, installed size $(dpkg-deb -f "$deb" Installed-Size) KiB"
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print "  " $3 "  " $6}' >&2

step "man page"
man_page="${CARGO_TARGET_DIR:-target}/release/packaging/devtrack.1.gz"
man_warnings="$(zcat "$man_page" | LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z 2>&1)"
expect "groff renders the man page without warnings" test -z "$man_warnings"
man_text="$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$man_page" 2>/tmp/devtrack-man-warnings.$$)"
man_stderr="$(cat /tmp/devtrack-man-warnings.$$)"
rm -f /tmp/devtrack-man-warnings.$$
expect "man -l renders it without warnings" test -z "$man_stderr"
for heading in NAME SYNOPSIS COMMANDS "EXIT STATUS" CONFIGURATION FILES ENVIRONMENT; do
    contains "the man page has $heading" "$man_text" "$heading"
done

# ---------------------------------------------------------------------------
# Everything below uses real user managers: take the shared lock for the
# rest of the script (fd 9; the managers and journald are started with it
# closed, so they never hold it).
exec 9>"$LOCK"
log "waiting for $LOCK"
lock_wait_started=$SECONDS
flock 9
log "got $LOCK after $((SECONDS - lock_wait_started))s"

brew_prefix=""
manager_user=""

# env_script USER start|stop: scripts/systemd-user-env.sh for that user.
env_script() {
    DEVTRACK_SYSTEMD_USER="$1" scripts/systemd-user-env.sh "$2" 9>&-
}

start_manager() {
    env_script "$1" start >/dev/null
    manager_user="$1"
    # Until the manager has run its start-up jobs (default.target, so
    # devtrack.service when enabled): an event, bounded by timeout.
    as_user "$1" timeout 60 systemctl --user is-system-running --wait >/dev/null || true
}

stop_manager() {
    if [ -n "$manager_user" ]; then
        env_script "$manager_user" stop || true
        manager_user=""
    fi
}

# as_user USER CMD...: CMD as USER in their session's environment.
as_user() {
    local user="$1" uid
    shift
    uid="$(id -u "$user")"
    runuser -u "$user" -- env -C "$(getent passwd "$user" | cut -d: -f6)" \
        HOME="$(getent passwd "$user" | cut -d: -f6)" USER="$user" \
        XDG_RUNTIME_DIR="/run/user/$uid" DBUS_SESSION_BUS_ADDRESS="unix:path=/run/user/$uid/bus" \
        PATH="${AS_USER_PATH:-/usr/local/bin:/usr/bin:/bin}" "$@"
}

remove_user() {
    local user="$1" uid pids dir
    id "$user" >/dev/null 2>&1 || return 0
    uid="$(id -u "$user")"
    # The manager's stop ended its units; anything left is ours to end.
    pids="$(pgrep -u "$uid" || true)"
    if [ -n "$pids" ]; then
        # shellcheck disable=SC2086
        kill $pids 2>/dev/null || true
    fi
    userdel -r "$user" >/dev/null 2>&1 || userdel "$user" || true
    rm -rf "/run/user/$uid"
    for dir in "/sys/fs/cgroup/unified/user.slice/user-$uid.slice" \
        "/sys/fs/cgroup/systemd/user.slice/user-$uid.slice"; do
        [ -d "$dir" ] && find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null || true
    done
    rm -f /var/log/journal/*/user-"$uid".journal /var/log/journal/*/user-"$uid"@*.journal
    # scripts/systemd-user-env.sh's state for the user.
    rm -rf "/run/devtrack-systemd-env/user-$user"
}

cleanup() {
    local status=$?
    stop_manager
    if dpkg-query -W -f='${Status}' devtrack 2>/dev/null | grep -q "installed"; then
        dpkg --purge devtrack >/dev/null || true
    fi
    for user in "$USER_EARLY" "$USER_FRESH" "$USER_SYSTEM"; do
        remove_user "$user"
    done
    [ -n "$brew_prefix" ] && rm -rf "$brew_prefix"
    log "packaging step took $((SECONDS - started_at))s"
    exit "$status"
}
trap cleanup EXIT

# Leftovers of an interrupted run.
for user in "$USER_EARLY" "$USER_FRESH" "$USER_SYSTEM"; do
    remove_user "$user"
done
if dpkg-query -W -f='${Status}' devtrack 2>/dev/null | grep -q "installed"; then
    fail "devtrack is already installed on this machine; the test installs and purges it"
fi

unit_state() { # USER PROPERTY
    as_user "$1" systemctl --user show devtrack.service -p "$2" --value
}

# ---------------------------------------------------------------------------
step "a user whose manager runs before the install"
useradd --create-home --shell /bin/bash "$USER_EARLY"
start_manager "$USER_EARLY"
dpkg -i "$deb" >/dev/null
for path in $(echo "$contents" | grep -v '/$'); do
    expect "installed: $path" test -e "$path"
done
expect "the installed unit is packaging/systemd/devtrack.service" \
    cmp -s /usr/lib/systemd/user/devtrack.service packaging/systemd/devtrack.service
expect "enabled for every user: /etc/systemd/user/default.target.wants/devtrack.service links to the packaged unit" \
    test "$(readlink /etc/systemd/user/default.target.wants/devtrack.service)" = /usr/lib/systemd/user/devtrack.service
expect "deb-systemd-helper recorded the link" \
    test -e /var/lib/systemd/deb-systemd-user-helper-enabled/default.target.wants/devtrack.service

out="$(as_user "$USER_EARLY" devtrack status 2>&1)" && fail "status exits 0 before the daemon runs"
contains "status says the running manager has not started the packaged unit" "$out" \
    "not started by your running user manager"
hint="$(sed -n 's/.*hint: run `\(.*\)`.*/\1/p' <<<"$out" | head -n 1)"
expect "status says what to run" test "$hint" = "systemctl --user daemon-reload && systemctl --user start devtrack"
expect "what status says to run starts it" as_user "$USER_EARLY" bash -c "$hint"
expect "devtrack is active" test "$(unit_state "$USER_EARLY" ActiveState)" = active
out="$(as_user "$USER_EARLY" devtrack status)" || fail "status after the start"
contains "status: running" "$out" "Status:     running"
contains "status: the packaged unit" "$out" "Definition:   /usr/lib/systemd/user/devtrack.service"

expect "stop" as_user "$USER_EARLY" systemctl --user stop devtrack.service
out="$(as_user "$USER_EARLY" devtrack install-service 2>&1)" || fail "install-service: $out"
contains "install-service uses the packaged unit" "$out" "using the packaged unit \`/usr/lib/systemd/user/devtrack.service\`"
expect "install-service wrote no copy into ~/.config" \
    test ! -e "/home/$USER_EARLY/.config/systemd/user/devtrack.service"
expect "install-service started it" test "$(unit_state "$USER_EARLY" ActiveState)" = active
out="$(as_user "$USER_EARLY" devtrack install-service 2>&1)" || fail "install-service again: $out"
contains "a second install-service has nothing to do" "$out" "nothing to do"

step "completions"
expect "bash loads the completion" as_user "$USER_EARLY" bash -c \
    'source /usr/share/bash-completion/bash_completion; _completion_loader devtrack; complete -p devtrack | grep -q _devtrack'
bash_words="$(as_user "$USER_EARLY" bash -c 'source /usr/share/bash-completion/bash_completion
    _completion_loader devtrack
    COMP_WORDS=(devtrack install); COMP_CWORD=1; COMP_LINE="devtrack install"; COMP_POINT=${#COMP_LINE}
    _devtrack devtrack install devtrack; printf "%s\n" "${COMPREPLY[@]}"')"
contains "bash completes a command" "$bash_words" "install-service"
expect "zsh finds the completion in its vendor directory" as_user "$USER_EARLY" zsh -f -c \
    'autoload -Uz compinit && compinit -u -d "$HOME/.zcompdump" && (( $+_comps[devtrack] ))'
# (Without --no-config: that option also empties fish_complete_path. The
# user's home has no fish config.)
fish_words="$(as_user "$USER_EARLY" fish -c 'complete -C "devtrack inst"')"
contains "fish completes a command" "$fish_words" "install-service"

# ---------------------------------------------------------------------------
step "Homebrew on Linux: opt path and brew's Type=simple unit"
brew_prefix="$(mktemp -d /opt/devtrack-brew-test.XXXXXX)"
chmod 755 "$brew_prefix"
mkdir -p "$brew_prefix/Cellar/devtrack/$crate_version/bin" "$brew_prefix/bin" "$brew_prefix/opt"
install -m 755 /usr/bin/devtrack "$brew_prefix/Cellar/devtrack/$crate_version/bin/devtrack"
ln -s "../Cellar/devtrack/$crate_version" "$brew_prefix/opt/devtrack"
ln -s "../Cellar/devtrack/$crate_version/bin/devtrack" "$brew_prefix/bin/devtrack"
formula_out="$(ruby packaging/homebrew/check-formula.rb "$formula" "$brew_prefix")"
formula_command="$(sed -n 's/^program=//p' <<<"$formula_out") $(sed -n 's/^arguments=//p' <<<"$formula_out")"
# As a brew user runs it: `devtrack` from <prefix>/bin, a link into the Cellar.
dry="$(AS_USER_PATH="$brew_prefix/bin:/usr/bin:/bin" as_user "$USER_EARLY" devtrack install-service --dry-run 2>&1)"
expect "install-service writes the formula's command for systemd ($formula_command)" \
    grep -qxF "ExecStart=$formula_command" <<<"$dry"
expect "install-service never writes the Cellar path" bash -c '! grep -q /Cellar/ <<<"$1"' _ "$dry"
# The launchd backend renders on any platform; --dry-run runs no launchctl.
dry_plist="$(AS_USER_PATH="$brew_prefix/bin:/usr/bin:/bin" as_user "$USER_EARLY" \
    env DEVTRACK_SERVICE_BACKEND=launchd DEVTRACK_LAUNCHCTL=/bin/false \
    devtrack install-service --dry-run 2>&1)"
plist_args="$(sed -n '/<key>ProgramArguments<\/key>/,/<\/array>/s/.*<string>\(.*\)<\/string>.*/\1/p' <<<"$dry_plist" | paste -sd' ')"
expect "install-service writes the formula's command for launchd ($plist_args)" \
    test "$plist_args" = "$formula_command"

expect "stop the packaged service" as_user "$USER_EARLY" systemctl --user stop devtrack.service
brew_unit="/home/$USER_EARLY/.config/systemd/user/devtrack.service"
as_user "$USER_EARLY" mkdir -p "$(dirname "$brew_unit")"
ruby packaging/homebrew/check-formula.rb "$formula" "$brew_prefix" --systemd |
    as_user "$USER_EARLY" tee "$brew_unit" >/dev/null
expect "daemon-reload" as_user "$USER_EARLY" systemctl --user daemon-reload
since="$(date +%s)"
expect "brew's unit starts" as_user "$USER_EARLY" systemctl --user start devtrack.service
expect "it is brew's Type=simple unit, without watchdog" test \
    "$(unit_state "$USER_EARLY" Type) $(unit_state "$USER_EARLY" WatchdogUSec) $(unit_state "$USER_EARLY" FragmentPath)" = \
    "simple 0 $brew_unit"

# Type=simple: systemd reports "active" at the fork, and the daemon says
# nothing when it is ready, so there is no event to wait for: retry
# `devtrack status` (exit 0 once the control socket answers) every 100 ms,
# at most 100 times (10 s).
wait_for_status() {
    local user="$1" i
    for i in $(seq 1 100); do
        if as_user "$user" devtrack status >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}
expect "devtrack run answers under brew's unit" wait_for_status "$USER_EARLY"
out="$(as_user "$USER_EARLY" devtrack status)"
contains "status: running" "$out" "Status:     running"
contains "status: brew's unit" "$out" "Definition:   $brew_unit"
contains "status: active (running)" "$out" "State:        active (running)"
main_pid="$(unit_state "$USER_EARLY" MainPID)"
contains "status: the service's main process" "$out" "PID:        $main_pid"
expect "it runs the opt path" test "$(readlink "/proc/$main_pid/exe")" = \
    "$(readlink -f "$brew_prefix/opt/devtrack/bin/devtrack")"
expect "no NOTIFY_SOCKET or WATCHDOG_USEC in its environment" \
    bash -c '! tr "\0" "\n" <"/proc/$1/environ" | grep -Eq "^(NOTIFY_SOCKET|WATCHDOG_USEC)="' _ "$main_pid"
# Warnings are shown for the record; an error under brew's unit (no notify
# socket, no watchdog) fails the check.
warnings="$(as_user "$USER_EARLY" journalctl --user -u devtrack.service --since "@$since" -p warning -o cat -q --no-pager || true)"
[ -z "$warnings" ] || log "warnings under brew's unit: $warnings"
errors="$(as_user "$USER_EARLY" journalctl --user -u devtrack.service --since "@$since" -p err -o cat -q --no-pager || true)"
expect "the daemon logged no error under brew's unit" test -z "$errors"
out="$(as_user "$USER_EARLY" devtrack reload 2>&1)" || fail "devtrack reload under brew's unit (no ExecReload=): $out"
contains "devtrack reload reloads through the daemon" "$out" "configuration reloaded"
expect "devtrack stop stops it" as_user "$USER_EARLY" devtrack stop
as_user "$USER_EARLY" rm "$brew_unit"
expect "daemon-reload" as_user "$USER_EARLY" systemctl --user daemon-reload
stop_manager

# ---------------------------------------------------------------------------
step "a fresh user created after the install"
# systemd-user-env.sh creates the user (useradd) when missing: after dpkg -i.
expect "the fresh user does not exist yet" bash -c '! id "$1" >/dev/null 2>&1' _ "$USER_FRESH"
start_manager "$USER_FRESH"
fresh_enabled="$(as_user "$USER_FRESH" systemctl --user is-enabled devtrack.service || true)"
fresh_active="$(as_user "$USER_FRESH" systemctl --user is-active devtrack.service || true)"
log "fresh user $USER_FRESH (uid $(id -u "$USER_FRESH")): is-enabled=$fresh_enabled is-active=$fresh_active"
expect "the fresh user's devtrack is enabled" test "$fresh_enabled" = enabled
expect "the fresh user's devtrack was started by their manager" test "$fresh_active" = active
out="$(as_user "$USER_FRESH" devtrack status)" || fail "status for the fresh user: $out"
contains "status: running" "$out" "Status:     running"
contains "status: the packaged unit" "$out" "Definition:   /usr/lib/systemd/user/devtrack.service"
contains "status: active (running)" "$out" "State:        active (running)"
expect "no unit was written into the fresh user's ~/.config" \
    test ! -e "/home/$USER_FRESH/.config/systemd/user/devtrack.service"
stop_manager

# ---------------------------------------------------------------------------
step "a system user (uid below 1000)"
useradd --system --create-home --shell /bin/bash "$USER_SYSTEM"
expect "the system user's uid is below 1000" test "$(id -u "$USER_SYSTEM")" -lt 1000
start_manager "$USER_SYSTEM"
expect "the unit is enabled for it too" test "$(as_user "$USER_SYSTEM" systemctl --user is-enabled devtrack.service)" = enabled
expect "but not started" test "$(unit_state "$USER_SYSTEM" ActiveState)" = inactive
expect "because ConditionUser failed" test "$(unit_state "$USER_SYSTEM" ConditionResult)" = no
expect "no devtrack process runs as the system user" bash -c '! pgrep -u "$1" -x devtrack' _ "$USER_SYSTEM"
out="$(as_user "$USER_SYSTEM" devtrack status 2>&1)" && fail "status exits 0 for the system user"
contains "status says why it did not start" "$out" "ConditionUser=!@system"
stop_manager

# ---------------------------------------------------------------------------
step "dpkg -r and dpkg --purge"
start_manager "$USER_FRESH"
expect "devtrack runs before the removal" test "$(unit_state "$USER_FRESH" ActiveState)" = active
dpkg -r devtrack >/dev/null
stop_manager
start_manager "$USER_FRESH"
removed_enabled="$(as_user "$USER_FRESH" systemctl --user is-enabled devtrack.service 2>/dev/null || true)"
expect "after dpkg -r devtrack is not enabled (is-enabled: ${removed_enabled:-nothing})" test "$removed_enabled" != enabled
expect "after dpkg -r a new manager start runs no devtrack" \
    test "$(unit_state "$USER_FRESH" ActiveState)" = inactive
expect "after dpkg -r the unit file is gone" test "$(unit_state "$USER_FRESH" LoadState)" = not-found
expect "after dpkg -r the binary is gone" test ! -e /usr/bin/devtrack
stop_manager
dpkg --purge devtrack >/dev/null
for path in $(echo "$contents" | grep -v '/$'); do
    expect "purged: $path" test ! -e "$path"
done
expect "purged: the enablement link" test ! -L /etc/systemd/user/default.target.wants/devtrack.service
leftover="$(find /var/lib/systemd/deb-systemd-user-helper-enabled /var/lib/systemd/deb-systemd-user-helper-masked \
    -name '*devtrack*' 2>/dev/null || true)"
expect "purged: no deb-systemd-helper state (${leftover:-none})" test -z "$leftover"
expect "dpkg knows no devtrack" bash -c '! dpkg-query -W devtrack >/dev/null 2>&1'

echo "test-packaging: $passed passed, 0 failed"
