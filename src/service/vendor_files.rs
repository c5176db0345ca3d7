//! The service definitions packages ship, checked against the generators:
//! `packaging/systemd/devtrack.service` (the .deb's user unit, for
//! `/usr/bin/devtrack`) and `packaging/launchd/dev.devtrack.plist` (the
//! agent for Homebrew's opt path) must be exactly what `install-service`
//! would generate for those paths. `packaging/regenerate` rewrites them by
//! running these tests with `REGENERATE_VENDOR_FILES=1`.

use std::path::Path;

use super::launchd::agent::render_vendor_plist;
use super::systemd::unit::render_unit;

/// The binary path of the Debian package.
const DEB_BINARY: &str = "/usr/bin/devtrack";
/// Homebrew's version-independent link on Apple silicon.
const HOMEBREW_BINARY: &str = "/opt/homebrew/opt/devtrack/bin/devtrack";

/// Compares `rendered` with the checked-in file, or rewrites the file when
/// regenerating.
fn check(relative: &str, rendered: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    if std::env::var_os("REGENERATE_VENDOR_FILES").is_some() {
        std::fs::write(&path, rendered).unwrap();
        return;
    }
    let checked_in = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading `{}`: {e}", path.display()));
    assert!(
        checked_in == rendered,
        "`{relative}` differs from what the generator writes now; if the change is \
         intended, run `packaging/regenerate`\n--- checked in\n{checked_in}\n--- generated\n{rendered}"
    );
}

#[test]
fn packaged_systemd_unit_is_the_generated_one() {
    let unit = render_unit(Path::new(DEB_BINARY));
    assert!(unit.contains("\nExecStart=/usr/bin/devtrack run\n"));
    check("packaging/systemd/devtrack.service", &unit);
}

#[test]
fn packaged_launchd_agent_is_the_generated_one() {
    let plist = render_vendor_plist(Path::new(HOMEBREW_BINARY)).unwrap();
    assert!(plist.contains("<string>/opt/homebrew/opt/devtrack/bin/devtrack</string>"));
    assert!(!plist.contains("StandardErrorPath"));
    check("packaging/launchd/dev.devtrack.plist", &plist);
}
