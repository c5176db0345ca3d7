//! Abuse of the control socket, against a real daemon: while a second
//! client measures `status` round trips, one scenario at a time hits the
//! socket (silent clients, 100 MiB without a newline, invalid UTF-8, 1,000
//! concurrent clients, 100 subscribers that never read, clients that close
//! mid-request). The daemon must answer every round trip and keep its
//! memory within a generous bound; the round-trip percentiles, refused
//! connections and the daemon's VmHWM go into figures, never assertions.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use super::figure;
use super::measure::{mib, proc_status_kib};
use crate::daemon::{exchange, BASIC};
use crate::util::{Env, WAIT};

const STATUS: &[u8] = b"{\"v\":1,\"cmd\":\"status\"}\n";
/// Growth of the daemon's VmHWM allowed over one scenario: far above what
/// a bounded daemon needs, far below what buffering the input would take.
const GROWTH_BOUND_MIB: u64 = 64;

/// One `status` round trip on a new connection, as `devtrack status` does.
fn status_round_trip(socket: &Path) -> std::io::Result<Duration> {
    let started = Instant::now();
    let stream = UnixStream::connect(socket)?;
    stream.set_read_timeout(Some(WAIT))?;
    stream.set_write_timeout(Some(WAIT))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?; // hello
    (&stream).write_all(STATUS)?;
    line.clear();
    reader.read_line(&mut line)?;
    let reply: serde_json::Value = serde_json::from_str(&line).map_err(std::io::Error::other)?;
    if reply["ok"] != true {
        return Err(std::io::Error::other(format!("status failed: {line}")));
    }
    Ok(started.elapsed())
}

/// The second client: round trips back to back until told to stop.
struct Prober {
    stop: Arc<AtomicBool>,
    results: mpsc::Receiver<std::io::Result<Duration>>,
}

impl Prober {
    fn start(socket: PathBuf) -> Prober {
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, results) = mpsc::channel();
        let flag = stop.clone();
        std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                if tx.send(status_round_trip(&socket)).is_err() {
                    return;
                }
            }
        });
        Prober { stop, results }
    }

    /// Stops once `scenario` is done and at least `min` round trips came;
    /// every round trip must have been answered.
    fn finish(
        self,
        min: usize,
        scenario: std::thread::JoinHandle<String>,
    ) -> (Vec<Duration>, String) {
        let mut times = Vec::new();
        let mut failures = Vec::new();
        while !scenario.is_finished() || times.len() + failures.len() < min {
            match self.results.recv_timeout(WAIT * 3) {
                Ok(Ok(t)) => times.push(t),
                Ok(Err(e)) => failures.push(e.to_string()),
                Err(e) => panic!("no status round trip within {:?}: {e}", WAIT * 3),
            }
        }
        self.stop.store(true, Ordering::Relaxed);
        let said = scenario.join().expect("the scenario failed");
        assert!(
            failures.is_empty(),
            "status round trips failed: {failures:?}"
        );
        (times, said)
    }
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

/// Runs one scenario beside the prober and prints its figure.
fn scenario(
    env: &Env,
    pid: i32,
    name: &str,
    what: &str,
    count: usize,
    run: impl FnOnce(PathBuf) -> String + Send + 'static,
) {
    let before = proc_status_kib(pid, "VmHWM");
    let prober = Prober::start(env.socket());
    let socket = env.socket();
    let handle = std::thread::spawn(move || run(socket));
    let (mut times, said) = prober.finish(20, handle);
    // The daemon still answers a fresh client after the scenario.
    status_round_trip(&env.socket()).expect("status after the scenario");
    let after = proc_status_kib(pid, "VmHWM");
    times.sort();
    figure(
        &format!("socket::{name}"),
        what,
        count,
        &format!(
            "{said}; status p50 {:.1} ms, p99 {:.1} ms over {} round trips, all answered; daemon VmHWM {} -> {} MiB",
            percentile(&times, 50).as_secs_f64() * 1e3,
            percentile(&times, 99).as_secs_f64() * 1e3,
            times.len(),
            mib(before),
            mib(after)
        ),
    );
    assert!(
        mib(after) <= mib(before) + GROWTH_BOUND_MIB,
        "{name}: VmHWM grew from {} to {} MiB",
        mib(before),
        mib(after)
    );
}

/// Lifts this process's open-file limit to its hard limit (1,000 clients
/// need more than the usual 1,024 with everything else open), and returns
/// the soft limit it had, which the daemon is started with.
fn raise_nofile() -> libc::rlim_t {
    // SAFETY: get/setrlimit(2) with a valid out-parameter.
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        let soft = limit.rlim_cur;
        limit.rlim_cur = limit.rlim_max;
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
        soft
    }
}

#[test]
fn the_daemon_keeps_answering_through_socket_abuse() {
    let soft = raise_nofile();
    // The daemon gets the usual soft limit (systemd's default is 1,024),
    // not the one raised for the test's own clients.
    let daemon_nofile = soft.min(1024);
    let env = Env::new();
    env.write_config(BASIC);
    let daemon = env.start_with(|cmd| {
        use std::os::unix::process::CommandExt;
        // SAFETY: setrlimit(2) is async-signal-safe.
        unsafe {
            cmd.pre_exec(move || {
                let mut limit: libc::rlimit = std::mem::zeroed();
                libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
                limit.rlim_cur = daemon_nofile;
                if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    });
    let pid = daemon.pid();

    scenario(
        &env,
        pid,
        "baseline",
        "nothing but the status client",
        0,
        |_| "no abuse".to_owned(),
    );

    let silent = 100;
    scenario(
        &env,
        pid,
        "silent_clients",
        &format!("{silent} clients connect and send nothing"),
        silent,
        move |socket| {
            let held: Vec<_> = (0..silent)
                .map(|_| UnixStream::connect(&socket).unwrap())
                .collect();
            // Held while 50 more round trips go by.
            for _ in 0..50 {
                status_round_trip(&socket).unwrap();
            }
            drop(held);
            "held open meanwhile".to_owned()
        },
    );

    scenario(
        &env,
        pid,
        "endless_line",
        "one client sends 100 MiB without a newline",
        1,
        |socket| {
            let (stream, mut reader) = connect_raw(&socket);
            let chunk = vec![b'x'; 64 * 1024];
            let mut sent = 0usize;
            while sent < 100 << 20 {
                match (&stream).write(&chunk) {
                    Ok(n) => sent += n,
                    Err(_) => break,
                }
            }
            let mut reply = String::new();
            let _ = reader.read_line(&mut reply);
            let reply: serde_json::Value = serde_json::from_str(&reply).expect("a reply");
            assert_eq!(reply["error_kind"], "too_long", "{reply}");
            format!(
                "answered `too_long` and closed after the client had sent {} KiB",
                sent >> 10
            )
        },
    );

    let invalid = 200;
    scenario(
        &env,
        pid,
        "invalid_utf8",
        &format!(
            "{invalid} lines of invalid UTF-8, each followed by a status on the same connection"
        ),
        invalid,
        move |socket| {
            let (mut s, mut r) = connect_raw(&socket);
            for i in 0..invalid {
                let line: &[u8] = if i % 2 == 0 {
                    b"\xff\xfe\xfd\n"
                } else {
                    b"{\"v\":1,\"cmd\":\"\xc3\x28\"}\n"
                };
                assert_eq!(exchange(&mut s, &mut r, line)["error_kind"], "bad_request");
                assert_eq!(exchange(&mut s, &mut r, STATUS)["ok"], true);
            }
            "each answered `bad_request`, the connection kept".to_owned()
        },
    );

    let clients = 1000;
    scenario(
        &env,
        pid,
        "concurrent_clients",
        &format!("{clients} clients at once, each a status round trip (daemon's RLIMIT_NOFILE {daemon_nofile})"),
        clients,
        move |socket| {
            let start = Arc::new(std::sync::Barrier::new(clients));
            let threads: Vec<_> = (0..clients)
                .map(|_| {
                    let socket = socket.clone();
                    let start = start.clone();
                    std::thread::Builder::new()
                        .stack_size(64 * 1024)
                        .spawn(move || {
                            start.wait();
                            status_round_trip(&socket)
                        })
                        .unwrap()
                })
                .collect();
            let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
            let refused: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
            let slowest = results.iter().filter_map(|r| r.as_ref().ok()).max().copied();
            assert!(
                refused.len() * 10 < clients,
                "{} of {clients} refused: {:?}",
                refused.len(),
                refused.first()
            );
            format!(
                "{} answered, {} refused, slowest {} ms",
                clients - refused.len(),
                refused.len(),
                slowest.unwrap_or_default().as_millis()
            )
        },
    );

    let subscribers = 100;
    let events = 3000;
    scenario(
        &env,
        pid,
        "stalled_subscribers",
        &format!("{subscribers} subscribers that never read, then {events} events"),
        subscribers,
        move |socket| {
            let subs: Vec<_> = (0..subscribers)
                .map(|_| {
                    let (mut s, mut r) = connect_raw(&socket);
                    let reply = exchange(&mut s, &mut r, b"{\"v\":1,\"cmd\":\"subscribe\"}\n");
                    assert_eq!(reply["ok"], true, "{reply}");
                    (s, r)
                })
                .collect();
            let (mut s, mut r) = connect_raw(&socket);
            for _ in 0..events {
                let reply = exchange(&mut s, &mut r, b"{\"v\":1,\"cmd\":\"trigger\"}\n");
                assert_eq!(reply["ok"], true, "{reply}");
            }
            // Each stalled subscriber has been dropped: its stream ends
            // after what was queued for it.
            let mut dropped = 0;
            for (_s, mut r) in subs {
                let mut sink = Vec::new();
                if r.read_to_end(&mut sink).is_ok() {
                    dropped += 1;
                }
            }
            format!("{dropped} of {subscribers} dropped by the daemon")
        },
    );

    let closers = 500;
    scenario(
        &env,
        pid,
        "closed_mid_request",
        &format!("{closers} clients close mid-line or before reading their reply"),
        closers,
        move |socket| {
            for i in 0..closers {
                let (s, _r) = connect_raw(&socket);
                let line: &[u8] = if i % 2 == 0 {
                    b"{\"v\":1,\"cmd\":\"sta"
                } else {
                    STATUS
                };
                (&s).write_all(line).unwrap();
                drop(s);
            }
            "all closed".to_owned()
        },
    );

    drop(daemon);
}

/// A connection with its hello read, for a scenario that may see the
/// daemon close it.
fn connect_raw(socket: &Path) -> (UnixStream, BufReader<UnixStream>) {
    let stream = UnixStream::connect(socket).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    stream.set_write_timeout(Some(WAIT)).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut hello = String::new();
    reader.read_line(&mut hello).unwrap();
    assert!(hello.contains("\"hello\""), "{hello}");
    (stream, reader)
}
