//! Reading the config file: at most [`MAX_BYTES`], so a runaway file (or
//! `--config /dev/zero`) cannot take the memory, and as UTF-8, reporting
//! the line and column of the first byte that is not; and writing it
//! whole or not at all ([`replace`]), for the commands that edit it.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::ConfigError;

/// The largest config accepted: thousands of repositories fit in a tenth.
pub(crate) const MAX_BYTES: usize = 1 << 20;

fn error(
    file: &Path,
    at: Option<(usize, usize)>,
    message: String,
    hint: Option<&str>,
) -> ConfigError {
    ConfigError {
        file: file.to_path_buf(),
        key: None,
        line: at.map(|a| a.0),
        column: at.map(|a| a.1),
        message,
        hint: hint.map(str::to_owned),
    }
}

/// The error for a config over [`MAX_BYTES`].
pub(crate) fn too_large(file: &Path) -> ConfigError {
    error(
        file,
        None,
        format!(
            "over the {} MiB size limit for a config file",
            MAX_BYTES >> 20
        ),
        None,
    )
}

/// The text of the config file at `path`.
#[allow(clippy::result_large_err)] // as `config::load`
pub(crate) fn read(path: &Path) -> Result<String, ConfigError> {
    let mut bytes = Vec::new();
    let limit = MAX_BYTES as u64 + 1;
    if let Err(err) = File::open(path).and_then(|file| file.take(limit).read_to_end(&mut bytes)) {
        let hint = (err.kind() == std::io::ErrorKind::NotFound)
            .then_some("`devtrack config init` writes a starter config");
        return Err(error(
            path,
            None,
            format!("reading the config file failed: {err}"),
            hint,
        ));
    }
    if bytes.len() > MAX_BYTES {
        return Err(too_large(path));
    }
    String::from_utf8(bytes).map_err(|err| {
        let bytes = err.as_bytes();
        let valid = err.utf8_error().valid_up_to();
        let (line, column) = line_and_column(&bytes[..valid]);
        let hint = if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
            "the file is UTF-16; save it as UTF-8"
        } else {
            "devtrack reads config files as UTF-8"
        };
        error(
            path,
            Some((line, column)),
            format!("not valid UTF-8: byte `0x{:02x}`", bytes[valid]),
            Some(hint),
        )
    })
}

/// Writes `text` to `path` atomically: a temporary file in the same
/// directory, synced, renamed over `path`, with `path`'s mode when it
/// exists (else `mode`); a symlink's target is replaced, not the link.
/// A reader (the daemon, an editor) sees the old
/// file or the new one, never half of it.
pub(crate) fn replace(path: &Path, text: &str, mode: u32) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::PermissionsExt as _;
    // A config linked from a dotfiles checkout stays a link: its target
    // is what is replaced.
    let target = std::fs::canonicalize(path).ok();
    let path = target.as_deref().unwrap_or(path);
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mode = match std::fs::metadata(path) {
        Ok(meta) => meta.permissions().mode() & 0o7777,
        Err(_) => mode,
    };
    let name = path
        .file_name()
        .map_or_else(|| "config".into(), |n| n.to_string_lossy().into_owned());
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.set_permissions(std::fs::Permissions::from_mode(mode))?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written?;
    // The rename itself outlives a crash once the directory is synced.
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Where the text after `valid` (valid UTF-8) starts, 1-based.
fn line_and_column(valid: &[u8]) -> (usize, usize) {
    let text = String::from_utf8_lossy(valid);
    let line = text.matches('\n').count() + 1;
    let last = text.rsplit('\n').next().unwrap_or("");
    (line, last.chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_keeps_the_mode_and_leaves_no_temporary_file() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.yaml");
        replace(&path, "a: 1\n", 0o600).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        replace(&path, "a: 2\n", 0o600).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a: 2\n");
        assert_eq!(mode(&path), 0o640);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let link = dir.path().join("link.yaml");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        replace(&link, "a: 3\n", 0o600).unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a: 3\n");
    }

    #[test]
    fn positions_count_lines_and_characters() {
        assert_eq!(line_and_column(b""), (1, 1));
        assert_eq!(line_and_column("a: é".as_bytes()), (1, 5));
        assert_eq!(line_and_column(b"a: 1\nb: "), (2, 4));
        assert_eq!(line_and_column(b"a\r\n"), (2, 1));
    }
}
