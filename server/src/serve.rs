//! `zai-dash serve`: bind, build the relay (and the demo upstreams when
//! asked), serve until SIGINT or SIGTERM, then let in-flight requests end:
//! the listener closes at once, and every request already received is
//! answered before the process exits.

use std::{
    future::Future,
    io,
    sync::{Arc, Mutex},
    time::{SystemTime, UNIX_EPOCH},
};

use axum::{
    Router,
    extract::{Path, State},
    http::header,
    response::IntoResponse,
    routing::get,
};
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;

use crate::{
    AppState, Relay, app,
    config::{ServeConfig, VariantSpec, check_unique},
    demo::{Profile, Simulator},
    error::AppError,
    fetch::PROMETHEUS_TEXT,
};

/// How far back the demo's simulated processes start.
const DEMO_HISTORY_MS: i64 = 15 * 60_000;

/// The simulated upstreams of `--demo`, served by this same process.
type DemoUpstreams = Arc<Vec<(String, Mutex<Simulator>)>>;

/// Runs the server on an already bound listener until SIGINT or SIGTERM.
/// Binding first lets tests use port 0 and lets `--demo` point the relay
/// at the address actually bound.
pub async fn run(listener: TcpListener, config: ServeConfig) -> io::Result<()> {
    run_until(listener, config, shutdown_signal()).await
}

/// Runs the server until `shutdown` resolves, then stops accepting and
/// returns once every in-flight request has been answered. Upstream
/// credentials are read from the process environment.
pub async fn run_until(
    listener: TcpListener,
    config: ServeConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let addr = listener.local_addr()?;
    let mut variants = config.variants.clone();
    let mut router = Router::new();
    if config.demo {
        // Start the simulated processes a while ago, so the dashboard opens
        // on some history instead of an empty chart.
        let start = now_ms() - DEMO_HISTORY_MS;
        let sims: Vec<(String, Mutex<Simulator>)> = [
            ("production", Profile::production()),
            ("canary", Profile::canary()),
        ]
        .into_iter()
        .enumerate()
        .map(|(i, (name, profile))| {
            let seed = config.demo_seed.wrapping_add(i as u64);
            let sim = Simulator::new(name, profile, seed, start);
            (name.to_owned(), Mutex::new(sim))
        })
        .collect();
        for (name, _) in &sims {
            if variants.iter().all(|v| &v.name != name) {
                let url = format!("http://{addr}/demo/{name}/metrics");
                variants.push(VariantSpec {
                    name: name.clone(),
                    url: url.parse().expect("a loopback URL parses"),
                    headers: Default::default(),
                });
            }
        }
        // Gzip when asked, like client_golang, so the demo exercises the
        // relay's pass-through; the relay coalesces, so this runs at most
        // about once per second per variant.
        router = router.route(
            "/demo/{variant}/metrics",
            get(demo_metrics)
                .with_state(Arc::new(sims))
                .layer(CompressionLayer::new()),
        );
    }
    check_unique(&variants).map_err(io::Error::other)?;
    let variants = variants
        .into_iter()
        .map(|v| v.with_credentials(|key| std::env::var(key).ok()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(io::Error::other)?;
    if variants.is_empty() {
        return Err(io::Error::other(
            "no variants configured: pass --variant NAME=URL (or set ZAI_DASH_VARIANTS), or --demo",
        ));
    }
    let names: Vec<&str> = variants.iter().map(|v| v.name.as_str()).collect();
    tracing::info!(%addr, variants = ?names, demo = config.demo, "zai-dash listening");
    let state = AppState {
        relay: Arc::new(Relay::new(variants, config.settings())),
        allow_origins: config.allow_origins.clone(),
    };
    let router = router.merge(app(state, &config.dist));
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            shutdown.await;
            tracing::info!("shutting down: no new connections, answering in-flight requests");
        })
        .await
}

/// `GET /demo/{variant}/metrics`: the simulated proxy, advanced to now.
async fn demo_metrics(
    State(sims): State<DemoUpstreams>,
    Path(name): Path<String>,
) -> Result<impl IntoResponse, AppError> {
    let (_, sim) = sims
        .iter()
        .find(|(n, _)| *n == name)
        .ok_or(AppError::UnknownVariant)?;
    let text = {
        let mut sim = sim.lock().unwrap_or_else(|e| e.into_inner());
        sim.advance_to(now_ms());
        sim.render()
    };
    Ok(([(header::CONTENT_TYPE, PROMETHEUS_TEXT)], text))
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
