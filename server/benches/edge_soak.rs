//! Soak benchmark of the relay's edge on loopback: viewers polling while
//! slowloris and idle connections hang on, once with a steady upstream and
//! once with an upstream that goes down for a third of the run and comes
//! back.
//!
//! Run with `cargo bench -p zai-dash-server --bench edge_soak`
//! (`EDGE_SOAK_SECS`, default 75, sets the length of each scenario: a
//! little longer than the default idle timeout, so idle connections are
//! closed once).
//!
//! The relay is the real `zai-dash` binary in its own process, with the
//! default flags, so its resident memory and open descriptors are its own
//! (read from `/proc`, Linux only). The upstream serves the 36 KB
//! reconstructed zai-proxy exposition from memory, in this process. Each
//! viewer has its own HTTP client and so its own kept-alive connection,
//! as browsers do, and polls once a second. Slowloris connections send a
//! header line every second and never finish the head; idle connections
//! ask once and then keep the connection open. Both reconnect as soon as
//! the relay closes them. Load, upstream and relay share the machine's
//! cores, so throughput and latency are lower bounds.

use std::{
    fs,
    net::SocketAddr,
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{Router, http::header, routing::get};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::oneshot,
    time::Instant,
};
use zai_dash_server::edge::{self, Limits};

const FIXTURE: &str = zai_dash_fixtures::VARIANT;

/// Viewers polling `/relay/production` once a second each.
const VIEWERS: usize = 200;
/// Connections trickling a head that never ends.
const SLOWLORIS: usize = 500;
/// Connections that ask once, then stay open saying nothing.
const IDLE: usize = 100;

#[tokio::main]
async fn main() {
    let secs = std::env::var("EDGE_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(75);
    let length = Duration::from_secs(secs);
    raise_descriptor_limit();
    let upstream_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream_addr = upstream_listener.local_addr().unwrap();
    let mut upstream = Some(Upstream::start(upstream_listener));
    let relay = Relay::start(upstream_addr);
    wait_for_answer(relay.addr).await;
    let (rss_start, fds_start) = (relay.rss_kib(), relay.settled_descriptors().await);

    println!(
        "edge soak: {VIEWERS} viewers polling once a second, {SLOWLORIS} slowloris, \
         {IDLE} idle connections, {secs} s per scenario; relay with default flags \
         (descriptor limit {})",
        edge::descriptor_limit().map_or("unlimited".to_owned(), |l| l.to_string())
    );
    println!(
        "{:<34} {:>8} {:>7} {:>7} {:>8} {:>8} {:>9} {:>9} {:>8} {:>8}",
        "scenario",
        "answers",
        "ans/s",
        "non-200",
        "p50 ms",
        "p99 ms",
        "failed",
        "slowloris",
        "idle",
        "RSS MiB"
    );
    for down in [false, true] {
        let outage = down.then(|| {
            let upstream = upstream.take().expect("the upstream is up");
            tokio::spawn(async move {
                tokio::time::sleep(length / 3).await;
                upstream.stop().await;
                tokio::time::sleep(length / 3).await;
                Upstream::start(TcpListener::bind(upstream_addr).await.unwrap())
            })
        });
        let run = soak(relay.addr, length).await;
        if let Some(outage) = outage {
            upstream = Some(outage.await.unwrap());
        }
        let name = if down {
            "upstream down for the middle third"
        } else {
            "steady upstream"
        };
        println!(
            "{name:<34} {:>8} {:>7.0} {:>7} {:>8.2} {:>8.2} {:>9} {:>9} {:>8} {:>8.1}",
            run.latencies.len(),
            run.latencies.len() as f64 / length.as_secs_f64(),
            run.non_200,
            run.percentile(0.50),
            run.percentile(0.99),
            run.failed,
            run.slowloris_closed,
            run.idle_closed,
            relay.rss_kib() as f64 / 1024.0,
        );
    }
    // Every client connection is closed; the relay closes its side.
    let deadline = Instant::now() + Duration::from_secs(15);
    while relay.descriptors() != fds_start && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "\nrelay: RSS {:.1} MiB at start, {:.1} MiB at the end (peak {:.1} MiB); \
         open descriptors {fds_start} at start, {} at the end; {} log lines",
        rss_start as f64 / 1024.0,
        relay.rss_kib() as f64 / 1024.0,
        relay.status_kib("VmHWM:") as f64 / 1024.0,
        relay.descriptors(),
        relay.log_lines(),
    );
    drop(upstream);
}

/// What one scenario measured.
struct Run {
    /// Latency of every answered poll, sorted.
    latencies: Vec<Duration>,
    /// Polls answered with another status than 200.
    non_200: usize,
    /// Polls that got no answer at all.
    failed: usize,
    /// Slowloris connections the relay closed.
    slowloris_closed: usize,
    /// Idle connections the relay closed.
    idle_closed: usize,
}

impl Run {
    /// The `q` quantile of latency, in milliseconds.
    fn percentile(&self, q: f64) -> f64 {
        let i = ((self.latencies.len() as f64 * q) as usize).min(self.latencies.len() - 1);
        self.latencies[i].as_secs_f64() * 1000.0
    }
}

/// Runs every viewer, slowloris and idle connection against `relay` for
/// `length`, then closes them all.
async fn soak(relay: SocketAddr, length: Duration) -> Run {
    let start = Instant::now();
    let end = start + length;
    let url = format!("http://{relay}/relay/production");
    let viewers: Vec<_> = (0..VIEWERS)
        .map(|i| {
            let url = url.clone();
            let offset = Duration::from_millis((i * 1000 / VIEWERS) as u64);
            tokio::spawn(viewer(url, start + offset, end))
        })
        .collect();
    let slowloris_closed = Arc::new(AtomicUsize::new(0));
    let idle_closed = Arc::new(AtomicUsize::new(0));
    let hangers: Vec<_> = (0..SLOWLORIS + IDLE)
        .map(|i| {
            let closed = if i < SLOWLORIS {
                slowloris_closed.clone()
            } else {
                idle_closed.clone()
            };
            tokio::spawn(hang_on(relay, i < SLOWLORIS, end, closed))
        })
        .collect();
    let mut run = Run {
        latencies: Vec::new(),
        non_200: 0,
        failed: 0,
        slowloris_closed: 0,
        idle_closed: 0,
    };
    for viewer in viewers {
        let (latencies, non_200, failed) = viewer.await.unwrap();
        run.latencies.extend(latencies);
        run.non_200 += non_200;
        run.failed += failed;
    }
    for hanger in hangers {
        hanger.await.unwrap();
    }
    run.latencies.sort_unstable();
    run.slowloris_closed = slowloris_closed.load(Ordering::Relaxed);
    run.idle_closed = idle_closed.load(Ordering::Relaxed);
    run
}

/// One viewer with its own connection, polling `url` once a second from
/// `first` until `end`: answer latencies, non-200 answers, failures.
async fn viewer(url: String, first: Instant, end: Instant) -> (Vec<Duration>, usize, usize) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut ticks = tokio::time::interval_at(first, Duration::from_secs(1));
    let (mut latencies, mut non_200, mut failed) = (Vec::new(), 0, 0);
    loop {
        ticks.tick().await;
        if Instant::now() >= end {
            return (latencies, non_200, failed);
        }
        let sent = Instant::now();
        match client.get(&url).send().await {
            Ok(res) => {
                let ok = res.status() == 200;
                if res.bytes().await.is_err() {
                    failed += 1;
                    continue;
                }
                latencies.push(sent.elapsed());
                non_200 += usize::from(!ok);
            }
            Err(_) => failed += 1,
        }
    }
}

/// A connection that hangs on until `end`, reconnecting whenever the
/// relay closes it (counted in `closed`): a slowloris sends a header line
/// every second and never finishes the head; an idle one asks once, then
/// says nothing.
async fn hang_on(relay: SocketAddr, slowloris: bool, end: Instant, closed: Arc<AtomicUsize>) {
    let mut buf = [0; 4096];
    while Instant::now() < end {
        let Ok(mut stream) = TcpStream::connect(relay).await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let first: &[u8] = if slowloris {
            b"GET /relay/production HTTP/1.1\r\nHost: relay\r\n"
        } else {
            b"GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n"
        };
        if stream.write_all(first).await.is_err() {
            continue;
        }
        let mut ticks = tokio::time::interval(Duration::from_secs(1));
        ticks.tick().await;
        let relay_closed = loop {
            tokio::select! {
                read = stream.read(&mut buf) => {
                    if !matches!(read, Ok(n) if n > 0) {
                        break true;
                    }
                }
                _ = ticks.tick(), if slowloris => {
                    if stream.write_all(b"X-Still-Here: yes\r\n").await.is_err() {
                        break true;
                    }
                }
                () = tokio::time::sleep_until(end) => break false,
            }
        };
        if relay_closed {
            closed.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The fake zai-proxy: the fixture at `/metrics`, behind the relay's own
/// edge so that stopping it closes its connections too.
struct Upstream {
    stop: oneshot::Sender<()>,
    stopped: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Upstream {
    fn start(listener: TcpListener) -> Upstream {
        let text = "text/plain; version=0.0.4; charset=utf-8";
        let router = Router::new().route(
            "/metrics",
            get(move || async move { ([(header::CONTENT_TYPE, text)], FIXTURE) }),
        );
        let limits = Limits {
            header_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(60),
            max_header_bytes: 16 * 1024,
            max_connections: 1024,
        };
        let (stop, stopping) = oneshot::channel();
        let shutdown = async {
            let _ = stopping.await;
        };
        let stopped = tokio::spawn(edge::serve(listener, router, limits, shutdown));
        Upstream { stop, stopped }
    }

    /// Closes the listener and every connection: the upstream is down.
    async fn stop(self) {
        let _ = self.stop.send(());
        self.stopped.await.unwrap().unwrap();
    }
}

/// The relay: `zai-dash serve` in a process of its own.
struct Relay {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Relay {
    /// Starts the relay on a free loopback port, relaying `upstream` as
    /// `production`, its log in a temporary file.
    fn start(upstream: SocketAddr) -> Relay {
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let log = std::env::temp_dir().join(format!("zai-dash-edge-soak-{}.log", addr.port()));
        let child = Command::new(env!("CARGO_BIN_EXE_zai-dash"))
            .args(["serve", "--dist", "/nonexistent", "--listen"])
            .arg(addr.to_string())
            .arg("--variant")
            .arg(format!("production=http://{upstream}/metrics"))
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Relay { child, addr, log }
    }

    /// A line of `/proc/PID/status`, in KiB.
    fn status_kib(&self, field: &str) -> u64 {
        let status = fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches(" kB").parse().ok())
            .unwrap_or_else(|| panic!("no {field} in /proc status"))
    }

    /// Resident memory, KiB.
    fn rss_kib(&self) -> u64 {
        self.status_kib("VmRSS:")
    }

    /// Open file descriptors.
    fn descriptors(&self) -> usize {
        fs::read_dir(format!("/proc/{}/fd", self.child.id()))
            .unwrap()
            .count()
    }

    /// Open file descriptors once their count has held for a second
    /// (the last viewer's socket closed, the upstream connection pooled),
    /// waiting at most 10 s.
    async fn settled_descriptors(&self) -> usize {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut count = self.descriptors();
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let now = self.descriptors();
            if now == count || Instant::now() >= deadline {
                return now;
            }
            count = now;
        }
    }

    /// Lines the relay has logged.
    fn log_lines(&self) -> usize {
        fs::read_to_string(&self.log).unwrap().lines().count()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_file(&self.log);
    }
}

/// Polls the relay until it answers a 200 (it has just been started).
async fn wait_for_answer(relay: SocketAddr) {
    let url = format!("http://{relay}/relay/production");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(res) = reqwest::get(&url).await
            && res.status() == 200
        {
            return;
        }
        assert!(Instant::now() < deadline, "the relay did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Raises this process's descriptor limit to its hard limit, for the
/// load's own sockets; the relay inherits it.
fn raise_descriptor_limit() {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    limit.current = limit.maximum;
    let _ = setrlimit(Resource::Nofile, limit);
}
