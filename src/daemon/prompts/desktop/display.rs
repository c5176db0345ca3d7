//! Which display the input dialog opens on. A daemon started by the systemd
//! user manager has the desktop's `DISPLAY`/`WAYLAND_DISPLAY` only if the
//! session imported them into the manager, possibly after devtrack
//! started, so they are read from the manager (`systemctl --user
//! show-environment`) at the moment of each dialog, not from devtrack's
//! own start-up environment.

use std::path::PathBuf;
use std::time::Duration;

/// The variables a dialog needs to reach the desktop.
pub(crate) const VARS: [&str; 3] = ["DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY"];

/// Where the dialog's display comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum DialogDisplay {
    /// devtrack's own environment, as it is (started from a desktop
    /// session, or tests).
    #[default]
    Inherit,
    /// The systemd user manager's environment, asked through this
    /// `systemctl` at each dialog.
    UserManager { systemctl: PathBuf },
}

/// The display variables in `systemctl show-environment` output. Values
/// systemctl had to quote (`$'…'`) are left out: no display name needs it.
pub(crate) fn from_show_environment(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| line.split_once('='))
        .filter(|(key, value)| VARS.contains(key) && !value.starts_with("$'"))
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

/// Whether `vars` name a display a dialog can open on.
pub(crate) fn has_display(vars: &[(String, String)]) -> bool {
    vars.iter()
        .any(|(k, v)| (k == "DISPLAY" || k == "WAYLAND_DISPLAY") && !v.is_empty())
}

/// The manager's display variables now.
pub(crate) async fn user_manager(
    systemctl: &std::path::Path,
) -> Result<Vec<(String, String)>, String> {
    let run = tokio::process::Command::new(systemctl)
        .args(["--user", "show-environment"])
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    match tokio::time::timeout(Duration::from_secs(5), run).await {
        Ok(Ok(out)) if out.status.success() => {
            Ok(from_show_environment(&String::from_utf8_lossy(&out.stdout)))
        }
        Ok(Ok(out)) => Err(format!(
            "`systemctl --user show-environment` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Ok(Err(e)) => Err(format!("failed to run `{}`: {e}", systemctl.display())),
        Err(_) => Err("`systemctl --user show-environment` did not answer within 5 s".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_variables_from_the_manager() {
        let text = "HOME=/home/ada\nDISPLAY=:0\nWAYLAND_DISPLAY=wayland-0\n\
                    XAUTHORITY=/run/user/1000/.mutter-Xwaylandauth.AB12\n\
                    PATH=/usr/bin\nXDG_CURRENT_DESKTOP=GNOME\nweird line\n";
        assert_eq!(
            from_show_environment(text),
            [
                ("DISPLAY", ":0"),
                ("WAYLAND_DISPLAY", "wayland-0"),
                ("XAUTHORITY", "/run/user/1000/.mutter-Xwaylandauth.AB12"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        );
        assert_eq!(from_show_environment("DISPLAY=$'\\n:0'\n"), []);
        let vars = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert!(has_display(&vars(&[("DISPLAY", ":1")])));
        assert!(has_display(&vars(&[("WAYLAND_DISPLAY", "wayland-1")])));
        assert!(!has_display(&vars(&[("XAUTHORITY", "/x")])));
        assert!(!has_display(&vars(&[("DISPLAY", "")])));
        assert!(!has_display(&[]));
    }
}
