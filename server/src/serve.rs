//! `zai-dash serve`: bind, build the relay (and mount the demo upstreams
//! when asked), serve until SIGINT or SIGTERM, then let in-flight requests
//! end: the listener closes at once, and every request already received is
//! answered before the process exits.
//!
//! Only wiring lives here: what is served is [`app`] and, with
//! `--demo`, [`demo`]'s routes; `/history` reads `--prometheus` if given,
//! else, with `--demo`, the simulated pods' own past. Every route is
//! served through the [`edge`], which times and bounds viewers'
//! connections.

use std::{future::Future, io, sync::Arc};

use axum::Router;
use tokio::net::TcpListener;

use crate::{
    AppState, Relay, app,
    config::{ServeConfig, merge},
    demo, edge,
};

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
    let descriptors = edge::descriptor_limit();
    let limits = config.edge_limits(descriptors).map_err(io::Error::other)?;
    let mut variants = merge(config.variants.clone()).map_err(io::Error::other)?;
    let mut router = Router::new();
    let demo = config.demo.then(|| {
        demo::Demo::new(
            config.demo_seed,
            config.demo_replicas,
            config.demo_canary,
            addr,
        )
    });
    if let Some(demo) = &demo {
        for spec in demo.variants() {
            if variants.iter().all(|v| v.name != spec.name) {
                variants.push(spec);
            }
        }
        router = demo.router();
    }
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
    tracing::info!(
        descriptor_limit = descriptors,
        max_connections = limits.max_connections,
        header_timeout_ms = limits.header_timeout.as_millis(),
        idle_timeout_ms = limits.idle_timeout.as_millis(),
        max_header_bytes = limits.max_header_bytes,
        "edge limits"
    );
    let prometheus = config
        .prometheus(&variants, |key| std::env::var(key).ok())
        .map_err(io::Error::other)?;
    let mut relay = Relay::new(variants, config.settings());
    if let Some(spec) = &prometheus {
        tracing::info!(?spec, "history from Prometheus");
        relay = relay.with_prometheus(spec);
    } else if let Some(demo) = &demo {
        tracing::info!("history from the demo's past");
        relay = relay.with_demo_past(demo.clone());
    }
    if let Some(demo) = demo {
        // Last before serving, once the configuration is known good: no
        // scrape of a pod then waits out the relay's upstream timeout
        // behind its day of simulation (seconds in a debug build on a
        // busy machine; connections to the bound port wait meanwhile).
        tokio::task::spawn_blocking(move || demo.warm_up())
            .await
            .map_err(io::Error::other)?;
    }
    let state = AppState {
        relay: Arc::new(relay),
        allow_origins: config.allow_origins.clone(),
    };
    let router = router.merge(app(state, &config.dist));
    let shutdown = async {
        shutdown.await;
        tracing::info!("shutting down: no new connections, answering in-flight requests");
    };
    edge::serve(listener, router, limits, shutdown).await
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
