//! Who may load and call what: the app's Content-Security-Policy and the
//! API's CORS policy.
//!
//! The policy allows only this origin's own scripts, styles and fetches,
//! plus exactly the inline scripts of the served `index.html`, by hash.
//! Trunk 0.21 starts the app with one inline `<script type="module">`, and
//! instantiating WebAssembly needs `'wasm-unsafe-eval'` (which allows wasm
//! compilation, not JavaScript `eval`). The hashes are re-taken whenever
//! `index.html` changes on disk, so a rebuilt app never meets a stale
//! policy (which would leave a blank page).
//!
//! Cross-origin callers get nothing by default; only origins given with
//! `--allow-origin` may read `/api/variants`, `/targets/*`, `/relay/*` and
//! `/history/*`.

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use axum::{
    extract::{Request, State},
    http::{HeaderName, HeaderValue, Method, header},
    middleware::Next,
    response::Response,
};
use base64::Engine;
use sha2::{Digest, Sha256};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::relay::{X_SCRAPE_DURATION_MS, X_SCRAPE_TIMESTAMP_MS};

/// The app's Content-Security-Policy, kept in step with its `index.html`.
pub struct Policy {
    index: PathBuf,
    /// The policy and the file version (modified time, length) it is for.
    current: Mutex<Option<(FileVersion, HeaderValue)>>,
}

type FileVersion = Option<(SystemTime, u64)>;

impl Policy {
    /// The policy for the app in `dist`.
    pub fn new(dist: &Path) -> Self {
        Policy {
            index: dist.join("index.html"),
            current: Mutex::new(None),
        }
    }

    /// The policy for `index.html` as it is now on disk: one `stat` when
    /// it has not changed, a re-read and re-hash when it has.
    async fn header(&self) -> HeaderValue {
        let version = tokio::fs::metadata(&self.index)
            .await
            .ok()
            .and_then(|m| Some((m.modified().ok()?, m.len())));
        let cached = self.lock().clone();
        if let Some((seen, value)) = cached
            && seen == version
        {
            return value;
        }
        let html = tokio::fs::read_to_string(&self.index).await.ok();
        let value = content_security_policy(html.as_deref());
        *self.lock() = Some((version, value.clone()));
        value
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(FileVersion, HeaderValue)>> {
        self.current.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Middleware: the policy on every HTML response (the only kind a
/// browser runs scripts from or frames).
pub async fn set_policy(State(policy): State<Arc<Policy>>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html {
        let value = policy.header().await;
        res.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    res
}

/// The Content-Security-Policy for an app whose `index.html` is
/// `index_html` (none: no inline script is allowed).
fn content_security_policy(index_html: Option<&str>) -> HeaderValue {
    let hashes: String = index_html
        .map(inline_scripts)
        .unwrap_or_default()
        .into_iter()
        .map(|script| {
            let digest = Sha256::digest(script.as_bytes());
            let b64 = base64::engine::general_purpose::STANDARD.encode(digest);
            format!(" 'sha256-{b64}'")
        })
        .collect();
    let policy = format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'{hashes}; \
         style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
         manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    );
    HeaderValue::try_from(policy).expect("base64 and ASCII make a valid header")
}

/// The text of every `<script>` without `src` in `html`, exactly as the
/// browser hashes it.
fn inline_scripts(html: &str) -> Vec<&str> {
    // ASCII lower-casing keeps byte offsets, so positions carry over.
    let lower = html.to_ascii_lowercase();
    let mut scripts = Vec::new();
    let mut at = 0;
    while let Some(open) = lower[at..].find("<script").map(|i| at + i) {
        let Some(tag_end) = lower[open..].find('>').map(|i| open + i) else {
            break;
        };
        let Some(close) = lower[tag_end..].find("</script").map(|i| tag_end + i) else {
            break;
        };
        let attributes = &lower[open + "<script".len()..tag_end];
        let external = attributes
            .split(|c: char| c.is_ascii_whitespace())
            .any(|a| a == "src" || a.starts_with("src="));
        if !external {
            scripts.push(&html[tag_end + 1..close]);
        }
        at = close;
    }
    scripts
}

/// CORS for the API and the relay: `origins` only, GET and HEAD, no
/// credentials, the scrape headers readable. `None` when no origin is
/// allowed, so same-origin use sends no CORS headers at all.
pub fn cors(origins: &[HeaderValue]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let exposed: [HeaderName; 3] = [header::AGE, X_SCRAPE_TIMESTAMP_MS, X_SCRAPE_DURATION_MS];
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins.iter().cloned()))
            .allow_methods([Method::GET, Method::HEAD])
            .expose_headers(exposed)
            .max_age(Duration::from_secs(600)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_inline_scripts_are_hashed_byte_for_byte() {
        let html = "<head><SCRIPT type=\"module\">\nimport init from '/a.js';\n</SCRIPT>\
                    <script src=\"/b.js\"></script><script>x()</script></head>";
        assert_eq!(
            inline_scripts(html),
            ["\nimport init from '/a.js';\n", "x()"]
        );
    }

    #[test]
    fn the_policy_names_each_inline_script_by_its_sha256() {
        // printf 'x()' | openssl dgst -sha256 -binary | base64
        let csp = content_security_policy(Some("<script>x()</script>"));
        let csp = csp.to_str().unwrap();
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-D6IGS8VMvCoyaR/l0h9tERrBTATY01CoPS7l6xDv0kI=';"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        let bare = content_security_policy(None);
        assert!(
            bare.to_str()
                .unwrap()
                .contains("script-src 'self' 'wasm-unsafe-eval';")
        );
    }
}
