//! Hostile neighbours, without a service manager: the files and
//! directories the daemon creates are private whatever the caller's umask;
//! another user cannot drive the daemon, even through a world-writable
//! runtime directory, and cannot make our client talk to a socket it
//! planted; a socket or symlink planted at our paths is replaced or
//! refused, never followed. The other user is `nobody`, entered by
//! `fork` + `setuid` in the test (we are root in CI; elsewhere these skip).

use std::ffi::CString;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::time::Duration;

use super::figure;
use crate::daemon::{walk, BASIC};
use crate::daemon_git::{commit, config};
use crate::util::{git_repo, output_within, skip, text, Env, EventStream, WAIT};

const NOBODY: libc::uid_t = 65534;
const NOGROUP: libc::gid_t = 65534;

pub(crate) fn root_or_skip(test: &str) -> bool {
    if nix::unistd::geteuid().is_root() {
        return true;
    }
    skip(test, "needs root to act as a second user");
    false
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path).unwrap().mode() & 0o7777
}

pub(crate) fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Makes `dir` and every directory above it up to /tmp traversable by
/// others (the test's temporary directory is 0700), so only devtrack's own
/// modes stand between another user and the socket.
pub(crate) fn open_path_to(dir: &Path) {
    let mut p = dir.to_path_buf();
    while p != Path::new("/tmp") {
        chmod(&p, 0o755);
        if !p.pop() {
            break;
        }
    }
}

/// A `sockaddr_un` for `path`, built before a fork (no allocation after).
pub(crate) fn sockaddr(path: &Path) -> (libc::sockaddr_un, libc::socklen_t) {
    // SAFETY: all-zero is a valid sockaddr_un.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let bytes = path.as_os_str().as_bytes();
    assert!(bytes.len() < addr.sun_path.len(), "socket path too long");
    for (dst, src) in addr.sun_path.iter_mut().zip(bytes) {
        *dst = *src as libc::c_char;
    }
    (
        addr,
        std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t,
    )
}

/// Runs `child` in a forked process as `nobody`; returns its exit code.
/// `child` runs after `fork` in a multi-threaded process, so it may only
/// make raw system calls (no allocation, no locks).
pub(crate) fn as_nobody(child: impl FnOnce() -> i32) -> i32 {
    // SAFETY: the child only makes async-signal-safe calls, then _exits.
    unsafe {
        let pid = libc::fork();
        assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
        if pid == 0 {
            let code = if libc::setgroups(0, std::ptr::null()) == 0
                && libc::setgid(NOGROUP) == 0
                && libc::setuid(NOBODY) == 0
            {
                child()
            } else {
                120
            };
            libc::_exit(code);
        }
        let mut status = 0;
        assert_eq!(libc::waitpid(pid, &mut status, 0), pid);
        assert!(libc::WIFEXITED(status), "child status {status}");
        libc::WEXITSTATUS(status)
    }
}

/// As `nobody`: connects to the Unix socket at `path`, sends `request` and
/// reads until the peer closes. The child's exit code (0: it connected; 2:
/// it could not) and what it read.
pub(crate) fn exchange_as_nobody(path: &Path, request: &'static [u8]) -> (i32, String) {
    let (addr, len) = sockaddr(path);
    let (reader, writer) = nix::unistd::pipe().unwrap();
    let writer_fd = std::os::fd::AsRawFd::as_raw_fd(&writer);
    let code = as_nobody(|| unsafe {
        let fd = libc::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0);
        if libc::connect(fd, &addr as *const _ as *const libc::sockaddr, len) != 0 {
            return 2;
        }
        libc::write(fd, request.as_ptr().cast(), request.len());
        let mut buf = [0u8; 512];
        loop {
            let n = libc::read(fd, buf.as_mut_ptr().cast(), buf.len());
            if n <= 0 {
                return 0;
            }
            libc::write(writer_fd, buf.as_ptr().cast(), n as usize);
        }
    });
    drop(writer);
    let mut got = String::new();
    std::fs::File::from(reader)
        .read_to_string(&mut got)
        .unwrap();
    (code, got)
}

#[test]
fn files_and_directories_are_private_under_umask_000() {
    let env = Env::new();
    let repo = env.cwd.join("api");
    git_repo(&repo);
    env.write_config(&config(&[("api", &repo)]));
    let _daemon = env.start_with(|cmd| {
        use std::os::unix::process::CommandExt;
        // SAFETY: umask(2) is async-signal-safe.
        unsafe {
            cmd.pre_exec(|| {
                libc::umask(0);
                Ok(())
            });
        }
    });
    // A commit, so the store has written (WAL and SHM exist).
    let events = EventStream::open(&env);
    commit(&repo, "a.txt", "Add a");
    events.wait_for("commit");
    let mut checked = Vec::new();
    let mut failures = Vec::new();
    for top in [env.data_home.join("devtrack"), env.runtime.join("devtrack")] {
        for path in std::iter::once(top.clone()).chain(walk(&top)) {
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let want = if meta.is_dir() { 0o700 } else { 0o600 };
            let got = meta.mode() & 0o7777;
            if got != want {
                failures.push(format!("`{}` is {got:o}, want {want:o}", path.display()));
            }
            checked.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    checked.sort();
    for needed in [
        "devtrack.db",
        "devtrack.db-wal",
        "devtrack.db-shm",
        "devtrack.lock",
        "control.sock",
        "http.sock",
    ] {
        if !checked.iter().any(|c| c == needed) {
            failures.push(format!("no `{needed}` among {checked:?}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    figure(
        "security::umask_000",
        &format!(
            "daemon started with umask 000; modes of what it created ({})",
            checked.join(", ")
        ),
        checked.len(),
        "every file 0600 (socket included), every directory 0700",
    );
}

#[test]
fn another_user_cannot_drive_the_daemon_through_a_0777_runtime_dir() {
    if !root_or_skip(
        "reliability::security::another_user_cannot_drive_the_daemon_through_a_0777_runtime_dir",
    ) {
        return;
    }
    let env = Env::new();
    env.write_config(BASIC);
    std::fs::create_dir_all(&env.runtime).unwrap();
    open_path_to(&env.runtime);
    chmod(&env.runtime, 0o777);
    let daemon = env.start();
    assert_eq!(mode(env.socket().parent().unwrap()), 0o700);
    assert_eq!(mode(&env.socket()), 0o600);

    // 1. Through the CLI: the private directory stops it.
    let out = {
        use std::os::unix::process::CommandExt;
        env.cmd(["status", "--json"])
            .uid(NOBODY)
            .gid(NOGROUP)
            .output()
            .unwrap()
    };
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    assert!(out.stdout.is_empty(), "{}", text(&out));
    let cli_said = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    assert!(cli_said.contains("ermission denied"), "{cli_said}");

    // 2. Straight to the socket, its directory and file loosened by hand:
    // the daemon itself refuses by the peer's uid.
    chmod(env.socket().parent().unwrap(), 0o755);
    chmod(&env.socket(), 0o777);
    let (code, got) = exchange_as_nobody(&env.socket(), b"{\"v\":1,\"cmd\":\"pause\"}\n");
    assert_eq!(code, 0, "nobody could not connect");
    assert!(
        got.contains("permission denied")
            && got.contains("belongs to uid 0")
            && !got.contains("hello"),
        "{got}"
    );
    assert_eq!(
        env.status()["daemon"]["scheduler"]["paused"],
        false,
        "the pause went through"
    );
    chmod(env.socket().parent().unwrap(), 0o700);
    chmod(&env.socket(), 0o600);

    // 3. Moving our directory away in the 0777 parent and planting a
    // socket of its own at our path: our client will not talk to it.
    let dir = env.socket().parent().unwrap().to_path_buf();
    let moved = CString::new(env.runtime.join("moved").as_os_str().as_bytes()).unwrap();
    let ours = CString::new(dir.as_os_str().as_bytes()).unwrap();
    // SAFETY: a plain socket(2); the fd is owned below.
    let planted = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0) };
    let (addr, len) = sockaddr(&env.socket());
    let code = as_nobody(|| unsafe {
        if libc::rename(ours.as_ptr(), moved.as_ptr()) != 0 {
            return 3;
        }
        if libc::mkdir(ours.as_ptr(), 0o755) != 0 {
            return 4;
        }
        if libc::bind(planted, &addr as *const _ as *const libc::sockaddr, len) != 0 {
            return 5;
        }
        if libc::chmod(ours.as_ptr(), 0o777) != 0 || libc::listen(planted, 16) != 0 {
            return 6;
        }
        0
    });
    assert_eq!(code, 0, "nobody could not plant its socket");
    // SAFETY: `planted` is a listening socket this process owns.
    let listener = UnixListener::from(unsafe { OwnedFd::from_raw_fd(planted) });
    assert_eq!(
        std::fs::symlink_metadata(env.socket()).unwrap().uid(),
        NOBODY
    );
    let (heard_tx, heard) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        // The impostor greets like a daemon and records what it is told.
        while let Ok((mut stream, _)) = listener.accept() {
            let _ = stream.write_all(
                b"{\"v\":1,\"hello\":{\"version\":\"0.1.0\",\"protocol\":1,\"pid\":1}}\n",
            );
            stream
                .set_read_timeout(Some(Duration::from_millis(500)))
                .unwrap();
            let mut line = String::new();
            let _ = BufReader::new(&stream).read_line(&mut line);
            let _ = heard_tx.send(line);
        }
    });
    let out = output_within(&mut env.cmd(["pause"]), WAIT);
    let said = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        said.contains("is served by uid 65534, you are uid 0"),
        "{said}"
    );
    let told = heard
        .recv_timeout(WAIT)
        .expect("the client did not connect at all");
    assert_eq!(told, "", "the client talked to the impostor");

    // And a daemon started now refuses the planted directory.
    drop(daemon);
    let out = output_within(&mut env.cmd(["run"]), WAIT);
    let refused = String::from_utf8_lossy(&out.stderr).to_string();
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    assert!(refused.contains("owned by uid 65534"), "{refused}");
    figure(
        "security::other_user",
        "uid 65534 against uid 0's daemon in a 0777 runtime dir: CLI, raw socket (dir and socket loosened), a planted socket",
        3,
        "refused: the 0700 dir stops the CLI; the daemon answers only `permission denied`; our client will not talk to the planted socket and a new daemon will not use its directory",
    );
}

#[test]
fn a_live_socket_planted_at_the_path_is_replaced() {
    let env = Env::new();
    env.write_config(BASIC);
    let dir = env.socket().parent().unwrap().to_path_buf();
    std::fs::create_dir_all(&dir).unwrap();
    chmod(&dir, 0o700);
    // Another process of ours is listening there.
    let planted = UnixListener::bind(env.socket()).unwrap();
    planted.set_nonblocking(true).unwrap();
    let planted_inode = std::fs::metadata(env.socket()).unwrap().ino();
    let daemon = env.start();
    assert_eq!(env.status()["daemon"]["pid"], daemon.pid());
    assert_ne!(
        std::fs::metadata(env.socket()).unwrap().ino(),
        planted_inode
    );
    // The daemon probed it once at start (is anything live behind it?),
    // and said nothing to it; no client ever reached it.
    let mut probes = 0;
    while let Ok((stream, _)) = planted.accept() {
        stream.set_nonblocking(false).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        let mut told = Vec::new();
        (&stream).read_to_end(&mut told).unwrap();
        assert!(told.is_empty(), "the planted socket was told {told:?}");
        probes += 1;
    }
    assert!(probes <= 1, "{probes} connections to the planted socket");
    UnixStream::connect(env.socket()).unwrap();
    figure(
        "security::planted_socket",
        "a live socket bound at the control socket's path before start",
        1,
        "replaced by the daemon's (which only probed it, sending nothing); clients reach the daemon",
    );
}

#[test]
fn symlinks_at_the_socket_and_lock_paths_are_not_followed() {
    let env = Env::new();
    env.write_config(BASIC);
    let victim = env.dir.path().join("victim");
    let locks = [
        env.data_home.join("devtrack/devtrack.lock"),
        env.runtime.join("devtrack/devtrack.lock"),
        env.socket(),
    ];
    let mut results = Vec::new();
    for link in &locks {
        for dir in [env.data_home.join("devtrack"), env.runtime.join("devtrack")] {
            std::fs::create_dir_all(&dir).unwrap();
            chmod(&dir, 0o700);
        }
        std::fs::write(&victim, "precious\n").unwrap();
        std::os::unix::fs::symlink(&victim, link).unwrap();
        let out = output_within(&mut env.cmd(["run"]), WAIT);
        let said = String::from_utf8_lossy(&out.stderr).to_string();
        assert_ne!(out.status.code(), Some(0), "{}", text(&out));
        assert!(
            said.contains("symbolic link") || said.contains("is not a socket"),
            "{}: {said}",
            link.display()
        );
        assert!(said.contains(&*link.to_string_lossy()), "{said}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
        assert!(std::fs::symlink_metadata(link)
            .unwrap()
            .file_type()
            .is_symlink());
        results.push(said.lines().next().unwrap_or_default().to_owned());
        std::fs::remove_file(link).unwrap();
    }
    // With the links gone it starts.
    let daemon = env.start();
    assert_eq!(env.status()["daemon"]["pid"], daemon.pid());
    figure(
        "security::symlinks",
        "a symlink to a file planted at the instance lock, the socket lock and the socket path",
        locks.len(),
        "start refused naming the path; the target untouched",
    );
}
