//! Process-wide settings that keep the daemon's memory flat over months of
//! commits: libgit2's global caches and limits, and giving memory freed
//! after a burst back to the system.
//!
//! libgit2's object cache may hold 256 MiB by default, and a repository
//! kept open across a burst of commits filled it with every commit and
//! tree read: 1.8 MiB of parsed commits after 4,000 commits. Its limit
//! counts raw object sizes, while a small parsed tree takes five times its
//! raw size, so even a 256 KiB limit let 4,000 commits of a small
//! repository grow the heap by 5 MiB. It is turned off: each commit is
//! read once, and its parent's trees are read again (about four small
//! objects per commit). Packs are mapped in windows of
//! at most [`MWINDOW_MAPPED_LIMIT`] in all instead of libgit2's 8 GiB, and
//! objects are not re-hashed on every read (git itself does not either;
//! `git fsck` checks them). [`libgit2`] applies these before the first
//! repository is opened, not at start-up: libgit2 is not even initialized
//! in a daemon that has not read a commit yet (its pages would add about
//! 0.35 MiB of resident binary).
//!
//! glibc's malloc keeps freed memory that lies between chunks still in use
//! (it only gives back the top of the heap by itself), so a transient
//! spike, such as a rewritten reflog read again in one batch after `git gc`
//! (measured: +6 MiB for 6,700 lines), used to stay resident for good;
//! fixing `M_TRIM_THRESHOLD` or `M_ARENA_MAX` did not change that (the
//! free memory is not at the top), `malloc_trim(0)` does. [`release_free`]
//! runs it once a burst is over (when the repositories kept open for it
//! are closed), so what stays resident is what is in use.
//!
//! glibc also gives each new thread that allocates its own arena (up to
//! eight per core), and `malloc_trim` does not shrink the top of those
//! arenas: each blocking thread a status page load ran on (its read-only
//! store connection, its model and HTML) kept 200 to 350 KiB resident
//! after the load, about 1.2 MiB for four threads. The daemon's work runs
//! on one thread (the runtime's) with a few short blocking jobs beside it,
//! so there is no contention for arenas to avoid: [`one_arena`] makes every
//! thread allocate from the main heap, which `release_free` trims whole.

/// The most pack data libgit2 keeps mapped at once, over all repositories.
pub(crate) const MWINDOW_MAPPED_LIMIT: usize = 32 * 1024 * 1024;
/// The most pack files libgit2 keeps open at once.
pub(crate) const MWINDOW_FILE_LIMIT: usize = 64;

/// Applies libgit2's settings, once; call before opening a repository.
pub(crate) fn libgit2() {
    static APPLY: std::sync::Once = std::sync::Once::new();
    APPLY.call_once(apply_libgit2);
}

fn apply_libgit2() {
    git2::opts::enable_caching(false);
    git2::opts::strict_hash_verification(false);
    // SAFETY: run once, before the daemon opens its first repository, on
    // the run loop's thread, the only one that uses libgit2.
    unsafe {
        if let Err(e) = git2::opts::set_mwindow_mapped_limit(MWINDOW_MAPPED_LIMIT) {
            tracing::warn!(error = %e, "limiting libgit2's mapped pack windows");
        }
        if let Err(e) = git2::opts::set_mwindow_file_limit(MWINDOW_FILE_LIMIT) {
            tracing::warn!(error = %e, "limiting libgit2's open pack files");
        }
    }
}

/// Makes every thread allocate from the main arena (glibc only); call
/// before the daemon starts any thread: glibc fixes the arena limit when
/// a second thread first allocates.
pub(crate) fn one_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called before the
    // daemon's other threads exist.
    unsafe {
        if nix::libc::mallopt(nix::libc::M_ARENA_MAX, 1) == 0 {
            tracing::debug!("glibc refused M_ARENA_MAX=1");
        }
    }
}

/// Gives the pages of freed heap memory back to the system (glibc only;
/// elsewhere the allocator decides).
pub(crate) fn release_free() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks and trims the allocator's own free
    // lists; it is thread-safe.
    unsafe {
        nix::libc::malloc_trim(0);
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    fn rss_anon_kib() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        crate::procfs::status_number(&status, "RssAnon").unwrap()
    }

    #[test]
    fn freed_memory_between_live_chunks_is_given_back() {
        // 64 MiB in 1 KiB chunks, every 64th kept: what is freed lies
        // between live chunks, where glibc does not trim by itself.
        let mut chunks: Vec<Vec<u8>> = (0..64 * 1024).map(|i| vec![i as u8; 1024]).collect();
        let mut kept = Vec::new();
        for (i, c) in chunks.drain(..).enumerate() {
            if i % 64 == 0 {
                kept.push(c);
            }
        }
        let before = rss_anon_kib();
        release_free();
        let after = rss_anon_kib();
        assert!(
            before.saturating_sub(after) > 32 * 1024,
            "RssAnon {before} KiB before, {after} KiB after"
        );
        assert_eq!(kept.len(), 1024);
    }
}
