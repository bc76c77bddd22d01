//! `GET /relay/{variant}`: fetch one allow-listed upstream's `/metrics` and
//! return the raw text, plus the small JSON API the app starts from.
//!
//! The relay keeps no state between requests: the browser parses and
//! buffers. It only ever requests the URL configured for a name, through
//! one pooled client with connect and total timeouts and a body cap.

use std::time::Duration;

use axum::{
    Json,
    extract::{Path, State},
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;

use crate::{AppState, config::VariantSpec, error::AppError};

/// Content type of the Prometheus text format, used when the upstream
/// sends none.
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The allow-list of upstreams and the one HTTP client that reaches them.
pub struct Relay {
    client: reqwest::Client,
    variants: Vec<VariantSpec>,
    refresh_ms: u64,
    timeout: Duration,
    max_body: usize,
}

/// Limits of upstream requests.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Time allowed to open the connection.
    pub connect_timeout: Duration,
    /// Time allowed for the whole exchange, body included.
    pub timeout: Duration,
    /// Largest body accepted, in bytes.
    pub max_body: usize,
}

impl Relay {
    /// A relay for `variants`, telling the app to poll every `refresh_ms`.
    pub fn new(variants: Vec<VariantSpec>, refresh_ms: u64, limits: Limits) -> Self {
        let client = reqwest::Client::builder()
            .connect_timeout(limits.connect_timeout)
            .timeout(limits.timeout)
            // An upstream redirect must not lead the relay anywhere else.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("zai-dash/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the TLS backend initialises");
        Relay {
            client,
            variants,
            refresh_ms,
            timeout: limits.timeout,
            max_body: limits.max_body,
        }
    }

    /// The configured variant called `name`, if any.
    pub fn variant(&self, name: &str) -> Option<&VariantSpec> {
        self.variants.iter().find(|v| v.name == name)
    }

    /// Fetches `variant`'s exposition: its content type and body.
    pub async fn fetch(&self, variant: &VariantSpec) -> Result<(HeaderValue, String), AppError> {
        let upstream = |cause: String, upstream_status| AppError::Upstream {
            variant: variant.name.clone(),
            cause,
            upstream_status,
        };
        let failed = |e: reqwest::Error| {
            if e.is_timeout() {
                AppError::Timeout {
                    variant: variant.name.clone(),
                    cause: format!("no complete answer within {} ms", self.timeout.as_millis()),
                }
            } else {
                upstream(describe(&e), None)
            }
        };
        let mut res = self
            .client
            .get(variant.url.clone())
            .header(header::ACCEPT, "text/plain;version=0.0.4;q=1,*/*;q=0.1")
            .send()
            .await
            .map_err(failed)?;
        let status = res.status();
        if !status.is_success() {
            return Err(upstream(
                format!("upstream answered HTTP {}", status.as_u16()),
                Some(status.as_u16()),
            ));
        }
        let content_type = res
            .headers()
            .get(header::CONTENT_TYPE)
            .cloned()
            .unwrap_or(HeaderValue::from_static(PROMETHEUS_TEXT));
        let mut body = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(failed)? {
            if body.len() + chunk.len() > self.max_body {
                return Err(upstream(
                    format!("body larger than the {} byte limit", self.max_body),
                    Some(status.as_u16()),
                ));
            }
            body.extend_from_slice(&chunk);
        }
        let text = String::from_utf8(body).map_err(|e| {
            upstream(
                format!(
                    "body is not UTF-8 text (invalid byte at offset {})",
                    e.utf8_error().valid_up_to()
                ),
                Some(status.as_u16()),
            )
        })?;
        Ok((content_type, text))
    }
}

/// A reqwest error and its causes, without the URL (which may hold
/// credentials): "error sending request: connection refused".
fn describe(e: &reqwest::Error) -> String {
    let mut out = String::new();
    let mut cur: Option<&dyn std::error::Error> = Some(e);
    let mut first = true;
    while let Some(err) = cur {
        let text = if first {
            // reqwest's own message ends with " for url (...)".
            let s = err.to_string();
            s.split(" for url (").next().unwrap_or("").to_owned()
        } else {
            err.to_string()
        };
        if !text.is_empty() && !out.ends_with(&text) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&text);
        }
        first = false;
        cur = err.source();
    }
    out
}

/// `GET /relay/{variant}`: the upstream's raw exposition text.
pub async fn relay(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    let relay = &state.relay;
    let variant = relay
        .variant(&name)
        .ok_or_else(|| AppError::UnknownVariant(name.clone()))?;
    let (content_type, text) = relay.fetch(variant).await?;
    let mut res = text.into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// One entry of `/api/variants`: the name only, never the URL.
#[derive(Serialize)]
pub struct VariantInfo {
    name: String,
}

/// Body of `/api/variants`.
#[derive(Serialize)]
pub struct VariantsBody {
    variants: Vec<VariantInfo>,
    refresh_ms: u64,
}

/// `GET /api/variants`: the configured names and the poll interval.
pub async fn variants(State(state): State<AppState>) -> impl IntoResponse {
    let relay = &state.relay;
    let body = VariantsBody {
        variants: relay
            .variants
            .iter()
            .map(|v| VariantInfo {
                name: v.name.clone(),
            })
            .collect(),
        refresh_ms: relay.refresh_ms,
    };
    ([(header::CACHE_CONTROL, "no-store")], Json(body))
}

/// `GET /healthz`: the process is up.
pub async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}
