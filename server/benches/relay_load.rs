//! Load benchmark of the relay on loopback: throughput and latency of
//! `GET /relay/{variant}` next to the same upstream fetched directly, in
//! one run, and the upstream's request count under 200 pollers.
//!
//! Run with `cargo bench -p zai-dash-server --bench relay_load`
//! (`RELAY_BENCH_SECS`, default 5, sets the length of each scenario).
//!
//! The upstream serves the 36 KB reconstructed zai-proxy exposition from
//! memory, plain or pre-gzipped (client_golang gzips when asked), so it
//! costs next to nothing and the difference between the rows is the
//! relay. The relays are the real server (`serve::run_until`) with the
//! default flags, once with `--coalesce-ms 0`. Load comes from 16
//! connections, each sending its next request as soon as the last one is
//! answered (like `wrk -c16`). Generator, relay and upstream share one
//! process and the machine's cores, so the numbers are lower bounds.

use std::{
    future::Future,
    io::Write,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{
    Router,
    http::{HeaderMap, header},
    response::IntoResponse,
    routing::get,
};
use clap::Parser;
use flate2::{Compression, write::GzEncoder};
use tokio::net::TcpListener;
use zai_dash_server::{config::ServeConfig, serve};

const FIXTURE: &str = zai_dash_fixtures::VARIANT;

/// Concurrent connections of the throughput scenarios.
const CONNECTIONS: usize = 16;
/// Pollers of the coalescing scenario, each polling once a second.
const POLLERS: usize = 200;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    config: ServeConfig,
}

#[tokio::main]
async fn main() {
    let secs = std::env::var("RELAY_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let length = Duration::from_secs(secs);
    let hits = Arc::new(AtomicUsize::new(0));
    let upstream = upstream(hits.clone()).await;
    let coalescing = relay(upstream, &[]).await;
    let direct_to_upstream = relay(upstream, &["--coalesce-ms", "0"]).await;

    println!(
        "relay load benchmark: {} byte exposition, {CONNECTIONS} connections, {secs} s per row",
        FIXTURE.len()
    );
    println!(
        "{:<40} {:>9} {:>9} {:>9} {:>10}",
        "scenario", "req/s", "p50 ms", "p99 ms", "upstream"
    );
    let rows = [
        ("direct", format!("http://{upstream}/metrics"), false),
        (
            "relay (--coalesce-ms 1000, default)",
            format!("http://{coalescing}/relay/production"),
            false,
        ),
        (
            "relay (--coalesce-ms 0)",
            format!("http://{direct_to_upstream}/relay/production"),
            false,
        ),
        ("direct, gzip", format!("http://{upstream}/metrics"), true),
        (
            "relay (default), gzip pass-through",
            format!("http://{coalescing}/relay/production"),
            true,
        ),
        (
            "relay (--coalesce-ms 0), gzip pass-through",
            format!("http://{direct_to_upstream}/relay/production"),
            true,
        ),
    ];
    let client = reqwest::Client::new();
    for (name, url, gzip) in rows {
        // Warm up: open the connections, fill the relay's cache.
        hammer(&client, &url, gzip, Duration::from_secs(1)).await;
        let before = hits.load(Ordering::Relaxed);
        let run = hammer(&client, &url, gzip, length).await;
        let upstream_requests = hits.load(Ordering::Relaxed) - before;
        println!(
            "{name:<40} {:>9.0} {:>9.3} {:>9.3} {upstream_requests:>10}",
            run.requests as f64 / run.elapsed.as_secs_f64(),
            run.percentile(0.50),
            run.percentile(0.99),
        );
    }

    let before = hits.load(Ordering::Relaxed);
    let (polls, failures) = poll(
        &client,
        &format!("http://{coalescing}/relay/production"),
        length,
    )
    .await;
    let upstream_requests = hits.load(Ordering::Relaxed) - before;
    println!(
        "\n{POLLERS} pollers, one poll per second each, {secs} s through the default relay: \
         {polls} polls ({failures} failed), {upstream_requests} upstream requests"
    );
}

/// The fake zai-proxy: the fixture at `/metrics`, gzipped when asked;
/// counts its requests in `hits`.
async fn upstream(hits: Arc<AtomicUsize>) -> SocketAddr {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(FIXTURE.as_bytes()).unwrap();
    let gz = enc.finish().unwrap();
    let text = "text/plain; version=0.0.4; charset=utf-8";
    let metrics = move |headers: HeaderMap| {
        hits.fetch_add(1, Ordering::Relaxed);
        let gzip = headers
            .get(header::ACCEPT_ENCODING)
            .is_some_and(|v| v.to_str().is_ok_and(|v| v.contains("gzip")));
        let gz = gz.clone();
        async move {
            if gzip {
                (
                    [
                        (header::CONTENT_TYPE, text),
                        (header::CONTENT_ENCODING, "gzip"),
                    ],
                    gz,
                )
                    .into_response()
            } else {
                ([(header::CONTENT_TYPE, text)], FIXTURE).into_response()
            }
        }
    };
    spawn_server(|listener| async move {
        axum::serve(listener, Router::new().route("/metrics", get(metrics))).await
    })
    .await
}

/// The real `zai-dash serve` relaying `upstream` as `production`.
async fn relay(upstream: SocketAddr, flags: &[&str]) -> SocketAddr {
    let variant = format!("production=http://{upstream}/metrics");
    let mut args = vec!["serve", "--dist", "/nonexistent", "--variant", &variant];
    args.extend_from_slice(flags);
    let config = Cli::try_parse_from(args).unwrap().config;
    spawn_server(|listener| serve::run_until(listener, config, std::future::pending())).await
}

/// Binds a loopback port and runs `server` on it in the background.
async fn spawn_server<F, Fut>(server: F) -> SocketAddr
where
    F: FnOnce(TcpListener) -> Fut,
    Fut: Future<Output = std::io::Result<()>> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server(listener));
    addr
}

/// What one scenario measured.
struct Run {
    requests: usize,
    elapsed: Duration,
    /// Every request's latency, sorted.
    latencies: Vec<Duration>,
}

impl Run {
    /// The `q` quantile of latency, in milliseconds.
    fn percentile(&self, q: f64) -> f64 {
        let i = ((self.latencies.len() as f64 * q) as usize).min(self.latencies.len() - 1);
        self.latencies[i].as_secs_f64() * 1000.0
    }
}

/// Sends requests to `url` over [`CONNECTIONS`] connections for `length`,
/// every answer read in full and checked.
async fn hammer(client: &reqwest::Client, url: &str, gzip: bool, length: Duration) -> Run {
    let started = Instant::now();
    let deadline = started + length;
    let workers: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (client, url) = (client.clone(), url.to_owned());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    fetch(&client, &url, gzip)
                        .await
                        .expect("every request succeeds");
                    latencies.push(sent.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await.unwrap());
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    Run {
        requests: latencies.len(),
        elapsed,
        latencies,
    }
}

/// One GET, read to the end; fails unless it is a 200 with a body.
async fn fetch(client: &reqwest::Client, url: &str, gzip: bool) -> Result<usize, String> {
    let mut req = client.get(url);
    if gzip {
        req = req.header(header::ACCEPT_ENCODING, "gzip");
    }
    let res = req.send().await.map_err(|e| e.to_string())?;
    if res.status() != 200 {
        return Err(format!("HTTP {}", res.status()));
    }
    let body = res.bytes().await.map_err(|e| e.to_string())?;
    if body.is_empty() {
        return Err("empty body".to_owned());
    }
    Ok(body.len())
}

/// [`POLLERS`] viewers polling `url` once a second each, start times spread
/// over the first second, for `length`: polls made and polls failed.
async fn poll(client: &reqwest::Client, url: &str, length: Duration) -> (usize, usize) {
    let start = tokio::time::Instant::now();
    let pollers: Vec<_> = (0..POLLERS)
        .map(|i| {
            let (client, url) = (client.clone(), url.to_owned());
            tokio::spawn(async move {
                let offset = Duration::from_millis((i * 1000 / POLLERS) as u64);
                let mut ticks = tokio::time::interval_at(start + offset, Duration::from_secs(1));
                let (mut polls, mut failures) = (0, 0);
                while start.elapsed() < length {
                    ticks.tick().await;
                    polls += 1;
                    failures += usize::from(fetch(&client, &url, true).await.is_err());
                }
                (polls, failures)
            })
        })
        .collect();
    let mut totals = (0, 0);
    for poller in pollers {
        let (polls, failures) = poller.await.unwrap();
        totals = (totals.0 + polls, totals.1 + failures);
    }
    totals
}
