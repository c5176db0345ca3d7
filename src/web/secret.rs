//! The secrets of the status page: random values from the kernel for
//! `devtrack web`'s launch token and session cookie, and the key of the
//! daemon's own TCP listener (`web.listen`), kept in a 0600 file in the
//! data directory and created on first use.

use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

use anyhow::{bail, Context, Result};

/// `bytes` random bytes as hex.
pub(crate) fn random_hex(bytes: usize) -> std::io::Result<String> {
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buf)?;
    Ok(buf
        .iter()
        .fold(String::with_capacity(bytes * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        }))
}

/// The key in `path`, made (256 bits, mode 0600) when the file is absent.
/// A file others can read, or that is not ours, is refused.
pub(crate) fn load_or_create_key(path: &Path) -> Result<String> {
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(mut file) => {
            let key = random_hex(32)?;
            file.write_all(key.as_bytes())
                .and_then(|()| file.write_all(b"\n"))
                .with_context(|| format!("writing `{}`", path.display()))?;
            return Ok(key);
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e).with_context(|| format!("creating `{}`", path.display())),
    }
    let meta =
        std::fs::symlink_metadata(path).with_context(|| format!("reading `{}`", path.display()))?;
    if !meta.is_file() || meta.mode() & 0o077 != 0 || meta.uid() != nix::unistd::geteuid().as_raw()
    {
        bail!(
            "`{}` must be a file of ours that only we can read (mode 0600); \
             remove it and a new key is made at the next start",
            path.display()
        );
    }
    let key =
        std::fs::read_to_string(path).with_context(|| format!("reading `{}`", path.display()))?;
    let key = key.trim();
    if key.len() < 32 {
        bail!("`{}` holds no key (at least 32 characters)", path.display());
    }
    Ok(key.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_key_is_made_once_private_and_refused_when_loosened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("web.key");
        let key = load_or_create_key(&path).unwrap();
        assert_eq!(key.len(), 64);
        assert_eq!(std::fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
        assert_eq!(load_or_create_key(&path).unwrap(), key);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let refused = load_or_create_key(&path).unwrap_err().to_string();
        assert!(refused.contains("mode 0600"), "{refused}");
        assert_ne!(random_hex(16).unwrap(), random_hex(16).unwrap());
    }
}
