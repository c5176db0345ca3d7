# Sourced by scripts/test.sh: makes sure the programs the tests drive for
# real are on the machine. As root on Debian (apt-get present) it installs
# the missing packages; otherwise it names each missing package and the
# tests that will skip without it, so that a skipped desktop test is never
# a surprise. Under CI=true a skip fails the test, so there nothing may be
# missing.
#
#   test_packages_ensure NAME   # NAME prefixes messages (`test.sh: …`)

# package|the program the tests run|the tests that need it
# The program is a name looked up on PATH, or a command line that succeeds
# only when the package is there (a Python module: the interpreter itself
# is on every machine, so its presence says nothing).
test_packages=(
  "git|git|every test that makes a repository"
  "libxml2-utils|xmllint|launchd:: (the plist is checked by xmllint)"
  "systemd|systemctl|systemd:: and reliability::systemd:: (a real user manager)"
  "dbus-user-session|dbus-run-session|systemd:: (the user manager's session bus)"
  "dbus-daemon|dbus-daemon|desktop::, desktop_daemon::, prompts:: (a private session bus per test)"
  "dbus-bin|dbus-send|desktop_dunst:: (dunstctl's bus calls)"
  "dunst|dunst|desktop_dunst:: (a real notification server)"
  "xvfb|Xvfb|desktop_dunst:: (the X server dunst and zenity draw on)"
  "zenity|zenity|desktop_dunst::the_real_zenity_… (the real input dialog)"
  "xdotool|xdotool|desktop_dunst::the_real_zenity_… (types into the dialog)"
  "x11-apps|xwd|desktop_dunst::the_real_zenity_… (the dialog's screenshot)"
  "chromium|chromium|webdriver:: and the status page tests (headless Chromium)"
  "chromium-driver|chromedriver|webdriver:: and the status page tests (WebDriver to Chromium)"
  "python3-prometheus-client|/usr/bin/python3 -c 'import prometheus_client.openmetrics.parser'|metrics:: (the OpenMetrics parser the output is read by)"
)

# Whether PROGRAM (a field of the list above) is there: a command line is
# run, a name looked up.
test_packages_present() {
  case "$1" in
    *" "*) bash -c "$1" >/dev/null 2>&1 ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

test_packages_ensure() {
  local name="$1" entry pkg missing=()
  for entry in "${test_packages[@]}"; do
    pkg="${entry%%|*}"
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "$name: installing the packages the tests drive: ${missing[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    return 0
  fi
  echo "$name: missing packages (run as root on Debian to have them installed, or install them yourself):" >&2
  for entry in "${test_packages[@]}"; do
    pkg="${entry%%|*}"
    local rest="${entry#*|}"
    local program="${rest%%|*}" tests="${rest#*|}"
    for m in "${missing[@]}"; do
      if [ "$m" = "$pkg" ] && ! test_packages_present "$program"; then
        echo "  $pkg ($program): skips $tests" >&2
      fi
    done
  done
}
