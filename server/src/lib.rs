//! zai-dash server: a small relay in front of each configured zai-proxy
//! variant's `/metrics`, plus the static host for the built app.
//!
//! The browser does all parsing and math (see `zai-dash-engine`); the server
//! only fetches raw exposition text from an allow-list of upstreams and
//! keeps nothing but each upstream's latest answer, shared by every viewer
//! for a moment, so it can be restarted or scaled without losing anything
//! but in-flight requests.
//!
//! # Layout
//!
//! - [`config`]: command-line and environment configuration, and the
//!   [`Settings`](config::Settings) the relay runs on.
//! - [`relay`]: `GET /relay/{variant}/{target}` (coalesced per target),
//!   and the variants and targets the relay knows.
//! - [`history`]: `GET /history/{variant}`, a variant's raw series over a
//!   past range, per target, from [`prometheus`], the durable store the
//!   relay asks with one fixed query.
//! - [`api`]: `/api/variants`, `/targets/{variant}`, health and readiness.
//! - [`target`]: one target (a pod) and its opaque, stable id.
//! - [`discovery`]: DNS discovery of a variant's targets, through an
//!   injectable [`Resolve`](discovery::Resolve).
//! - `coalesce`: one refresh shared by concurrent and recent callers.
//! - [`fetch`]: one upstream scrape, with every limit and check, and the
//!   [`FetchError`](fetch::FetchError) naming each refusal.
//! - [`security`]: Content-Security-Policy and CORS.
//! - [`error`]: the one error type every handler returns.
//! - [`demo`]: simulated production and canary zai-proxies for `--demo`,
//!   with their own routes; the relay reaches them like any upstream.
//! - [`edge`]: the listener's side: connection cap, header and idle
//!   timeouts, header size cap, GET and HEAD only, no request bodies.
//! - [`serve`]: binds, mounts the demo if asked, and shuts down gracefully.
//! - [`cli`]: the `parse` and `snapshot` commands over the same engine.
//! - [`verdict`]: the `verdict` command, the canary judge as a gate.
//!
//! [`app`] assembles the router; tests call it directly with `oneshot` or
//! serve it on a loopback socket.

pub mod api;
pub mod cli;
mod coalesce;
pub mod config;
pub mod demo;
pub mod discovery;
pub mod edge;
pub mod error;
pub mod fetch;
pub mod history;
pub mod prometheus;
pub mod relay;
pub mod security;
pub mod serve;
pub mod target;
pub mod verdict;

use std::{
    path::Path,
    sync::Arc,
    time::{SystemTime, UNIX_EPOCH},
};

use axum::{
    Router,
    extract::Request,
    http::{HeaderValue, header},
    middleware::{self, Next},
    response::Response,
    routing::get,
};
use tower_http::{
    compression::CompressionLayer,
    services::{ServeDir, ServeFile},
    set_header::SetResponseHeaderLayer,
};

pub use relay::Relay;

/// Everything [`app`] serves from besides the files.
#[derive(Clone)]
pub struct AppState {
    /// The relay: the allow-list, one pooled HTTP client, the targets'
    /// latest answers.
    pub relay: Arc<Relay>,
    /// Origins allowed to call the API and the relay cross-origin (CORS).
    pub allow_origins: Vec<HeaderValue>,
}

/// The whole HTTP surface: relay routes, the API, health, and the built
/// app from `dist` with a fallback to `index.html` for client-side routes;
/// security headers on every response.
pub fn app(state: AppState, dist: &Path) -> Router {
    let policy = Arc::new(security::Policy::new(dist));
    let static_files = ServeDir::new(dist)
        .precompressed_gzip()
        .fallback(ServeFile::new(dist.join("index.html")));
    let static_router = Router::new()
        .fallback_service(static_files)
        .layer(middleware::from_fn(cache_static))
        .layer(CompressionLayer::new());
    // Every path under /relay/, /targets/ and /history/ reaches its handler, which
    // 404s whatever is not exactly a configured name (and id), rather than
    // falling back to the app.
    let mut api = Router::new()
        .route("/api/variants", get(api::variants))
        .route("/relay", get(relay::relay))
        .route("/relay/", get(relay::relay))
        .route("/relay/{*target}", get(relay::relay))
        .route("/targets", get(api::targets))
        .route("/targets/", get(api::targets))
        .route("/targets/{*variant}", get(api::targets))
        .route("/history", get(history::history))
        .route("/history/", get(history::history))
        .route("/history/{*variant}", get(history::history))
        .with_state(state.relay.clone());
    if let Some(cors) = security::cors(&state.allow_origins) {
        api = api.layer(cors);
    }
    Router::new()
        .route("/healthz", get(api::healthz))
        .route("/readyz", get(api::readyz))
        .with_state(state.relay)
        .merge(api)
        .merge(static_router)
        .layer(middleware::from_fn_with_state(policy, security::set_policy))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
}

/// Trunk names built assets `name-<hex hash>.ext`: such a file never
/// changes, so browsers may keep it for a year; everything else (notably
/// `index.html`, which names the current assets) must be revalidated.
async fn cache_static(req: Request, next: Next) -> Response {
    let immutable = is_hashed_asset(req.uri().path());
    let mut res = next.run(req).await;
    let value = if immutable && res.status().is_success() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    res
}

fn is_hashed_asset(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or("");
    let stem = file.split('.').next().unwrap_or("");
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-').is_some_and(|(_, hash)| {
        // A u64 in hex without leading zeros: usually 16 digits, fewer
        // now and then (`main-3eb703c836ebffe.css`).
        (12..=16).contains(&hash.len()) && hash.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// The wall clock, in Unix ms: the relay's and the demo's time.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::is_hashed_asset;

    #[test]
    fn only_trunk_hashed_file_names_are_immutable() {
        assert!(is_hashed_asset("/zai-dash-app-1a2b3c4d5e6f7a8b_bg.wasm"));
        assert!(is_hashed_asset("/zai-dash-app-1a2b3c4d5e6f7a8b.js"));
        assert!(is_hashed_asset("/main-0123456789abcdef.css"));
        assert!(!is_hashed_asset("/index.html"));
        assert!(!is_hashed_asset("/relay/canary"));
        assert!(!is_hashed_asset("/main-0123456789abcdeg.css"));
        assert!(is_hashed_asset("/main-3eb703c836ebffe.css"));
        assert!(!is_hashed_asset("/some-cafe.css"));
    }
}
