//! zai-dash server: a small, stateless relay in front of each configured
//! zai-proxy variant's `/metrics`, plus the static host for the built app.
//!
//! The browser does all parsing and math (see `zai-dash-engine`); the server
//! only fetches raw exposition text from an allow-list of upstreams, so it
//! can be restarted or scaled without losing anything but in-flight requests.
//!
//! # Layout
//!
//! - [`config`]: command-line and environment configuration.
//! - [`relay`]: `GET /relay/{variant}` and the small JSON API.
//! - [`error`]: the one error type every handler returns.
//! - [`demo`]: simulated production and canary zai-proxies for `--demo`.
//! - [`serve`]: binds, wires the demo if asked, and shuts down gracefully.
//! - [`cli`]: the `parse` and `snapshot` commands over the same engine.
//!
//! [`app`] assembles the router; tests call it directly with `oneshot` or
//! serve it on a loopback socket.

pub mod cli;
pub mod config;
pub mod demo;
pub mod error;
pub mod relay;
pub mod serve;

use std::{path::Path, sync::Arc};

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

/// Shared state of every handler: the relay and its allow-list.
#[derive(Clone)]
pub struct AppState {
    /// The relay: one pooled HTTP client and the configured variants.
    pub relay: Arc<Relay>,
}

/// The whole HTTP surface: relay routes, the API, and the built app from
/// `dist` with a fallback to `index.html` for client-side routes.
pub fn app(state: AppState, dist: &Path) -> Router {
    let static_files = ServeDir::new(dist)
        .precompressed_gzip()
        .fallback(ServeFile::new(dist.join("index.html")));
    let static_router = Router::new()
        .fallback_service(static_files)
        .layer(middleware::from_fn(cache_static))
        .layer(CompressionLayer::new());
    Router::new()
        .route("/healthz", get(relay::healthz))
        .route("/api/variants", get(relay::variants))
        .route("/relay/{variant}", get(relay::relay))
        .with_state(state)
        .merge(static_router)
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
}

/// Trunk names built assets `name-<16 hex digits>.ext`: such a file never
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
    stem.rsplit_once('-')
        .is_some_and(|(_, hash)| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
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
    }
}
