//! Running `osascript` itself: found on `PATH` (the daemon's, or the one
//! given in the options, so a test can put a stand-in first without
//! touching the process environment), started with no stdin, its output
//! collected, and killed when it overruns its limit or when the caller
//! drops the run (a withdrawn prompt's dialog closes with it).

use std::ffi::{OsStr, OsString};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

use crate::display::seconds;

/// What one `osascript` run printed, and whether it exited 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Output {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Where `program` is: itself when it names a path, else the first
/// executable file of that name in `path` (or the daemon's `PATH`).
pub(crate) fn find_program(program: &OsStr, path: Option<&OsStr>) -> Option<PathBuf> {
    if Path::new(program).components().count() > 1 {
        return Some(PathBuf::from(program));
    }
    let path = path
        .map(OsStr::to_os_string)
        .or_else(|| std::env::var_os("PATH"))?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| {
            std::fs::metadata(candidate)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// Runs `osascript` (`program`, looked up on `path`) with `args`, for at
/// most `limit`.
pub(crate) async fn osascript(
    program: &OsStr,
    path: Option<&OsString>,
    args: &[String],
    limit: Duration,
) -> Result<Output, String> {
    let found = find_program(program, path.map(OsString::as_os_str)).ok_or_else(|| {
        format!(
            "could not start: `{}` not found on PATH",
            Path::new(program).display()
        )
    })?;
    let mut cmd = Command::new(&found);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(path) = path {
        cmd.env("PATH", path);
    }
    let child = cmd
        .spawn()
        .map_err(|e| format!("could not start `{}`: {e}", found.display()))?;
    match tokio::time::timeout(limit, child.wait_with_output()).await {
        Ok(Ok(out)) => Ok(Output {
            success: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }),
        Ok(Err(e)) => Err(format!("waiting for `{}`: {e}", found.display())),
        // Dropping the run killed it.
        Err(_) => Err(format!(
            "`{}` did not finish within {}; killed",
            found.display(),
            seconds(limit)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_are_found_on_the_given_path() {
        let dir = tempfile::tempdir().unwrap();
        let (bin, other) = (dir.path().join("bin"), dir.path().join("other"));
        std::fs::create_dir(&bin).unwrap();
        std::fs::create_dir(&other).unwrap();
        let script = bin.join("osascript");
        std::fs::write(&script, "#!/bin/sh\n").unwrap();
        // Not executable: not found.
        std::fs::write(other.join("osascript"), "").unwrap();
        let path = std::env::join_paths([&other, &bin]).unwrap();
        assert_eq!(
            find_program(OsStr::new("osascript"), Some(&path)),
            None,
            "a file without execute permission is not a program"
        );
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(
            find_program(OsStr::new("osascript"), Some(&path)),
            Some(script.clone())
        );
        assert_eq!(find_program(OsStr::new("nope"), Some(&path)), None);
        assert_eq!(
            find_program(OsStr::new("/usr/bin/osascript"), Some(&path)),
            Some(PathBuf::from("/usr/bin/osascript"))
        );
    }
}
