//! `GET /relay/{variant}`: one allow-listed upstream's `/metrics`, shared
//! by every viewer; plus the small JSON API the app starts from and the
//! health endpoints.
//!
//! The relay keeps no history (the browser parses and buffers), only each
//! upstream's latest answer, so that many open tabs cost the upstream one
//! scrape. Per variant, one async mutex guards that answer:
//!
//! - a request that finds a fetch in flight waits for it and shares its
//!   result, success or error;
//! - an answer is reused for `coalesce` (1 s by default), so 200 viewers
//!   polling every second cause about one upstream scrape per second;
//! - the fetch runs in its own task, so a viewer that goes away does not
//!   cancel a scrape others are waiting for.
//!
//! Each answer carries `Age` and `X-Scrape-Timestamp-Ms` /
//! `X-Scrape-Duration-Ms`, so the app can tell a reused answer from a new
//! one.
//!
//! Names are matched against the raw request path, before any
//! percent-decoding: a name is `[a-z0-9_-]`, which never needs encoding, so
//! every encoded, dotted, doubled or look-alike path simply matches
//! nothing and is a 404 that reaches no upstream.

use std::{
    sync::{Arc, Mutex},
    time::{Instant, UNIX_EPOCH},
};

use axum::{
    Json,
    body::Body,
    extract::State,
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use tokio::sync::OwnedMutexGuard;

use crate::{
    config::{Settings, VariantSpec},
    error::AppError,
    fetch::{Fetched, Fetcher},
};

/// Unix time in milliseconds at which the relay sent the upstream request
/// this answer comes from.
pub const X_SCRAPE_TIMESTAMP_MS: HeaderName = HeaderName::from_static("x-scrape-timestamp-ms");

/// How long that upstream request took, in milliseconds, from sending it
/// to holding the checked body.
pub const X_SCRAPE_DURATION_MS: HeaderName = HeaderName::from_static("x-scrape-duration-ms");

/// The allow-list of upstreams, their latest answers and the one HTTP
/// client that reaches them.
pub struct Relay {
    fetcher: Fetcher,
    upstreams: Vec<Upstream>,
    settings: Settings,
}

/// One allow-listed upstream and what it last answered.
struct Upstream {
    spec: VariantSpec,
    /// The latest outcome; held locked while a fetch is in flight.
    latest: Arc<tokio::sync::Mutex<Option<Outcome>>>,
    /// When the upstream last answered successfully, for /readyz.
    last_ok: Mutex<Option<Instant>>,
}

/// A finished fetch, success or error, and when it finished.
#[derive(Clone)]
struct Outcome {
    result: Result<Arc<Fetched>, AppError>,
    finished: Instant,
}

impl Relay {
    /// A relay for `variants`, which must have unique names.
    pub fn new(variants: Vec<VariantSpec>, settings: Settings) -> Self {
        let upstreams = variants
            .into_iter()
            .map(|spec| Upstream {
                spec,
                latest: Arc::default(),
                last_ok: Mutex::default(),
            })
            .collect();
        Relay {
            fetcher: Fetcher::new(settings),
            upstreams,
            settings,
        }
    }

    /// Index of the variant called exactly `name`.
    fn find(&self, name: &str) -> Option<usize> {
        self.upstreams.iter().position(|u| u.spec.name == name)
    }

    /// The upstream's answer: one in flight or younger than `coalesce` if
    /// there is one, otherwise a new fetch.
    async fn scrape(self: &Arc<Self>, index: usize) -> Result<Arc<Fetched>, AppError> {
        let asked = Instant::now();
        let latest = Arc::clone(&self.upstreams[index].latest).lock_owned().await;
        // An outcome that finished after we asked was in flight when we did.
        let reusable =
            |o: &&Outcome| o.finished >= asked || o.finished.elapsed() < self.settings.coalesce;
        if let Some(outcome) = latest.as_ref().filter(reusable) {
            return outcome.result.clone();
        }
        let relay = Arc::clone(self);
        tokio::spawn(async move { relay.refresh(index, latest).await })
            .await
            .expect("a scrape task does not panic")
    }

    /// Fetches upstream `index`, records and logs the outcome once, and
    /// releases `latest` to the requests waiting for it.
    async fn refresh(
        &self,
        index: usize,
        mut latest: OwnedMutexGuard<Option<Outcome>>,
    ) -> Result<Arc<Fetched>, AppError> {
        let upstream = &self.upstreams[index];
        let result = self
            .fetcher
            .fetch(&upstream.spec)
            .await
            .map(Arc::new)
            .map_err(|e| AppError::upstream(&upstream.spec.name, e));
        match &result {
            Ok(scrape) => {
                *lock(&upstream.last_ok) = Some(scrape.received);
                tracing::debug!(
                    variant = upstream.spec.name,
                    bytes = scrape.text.len(),
                    gzip = scrape.gzip.is_some(),
                    ms = scrape.duration.as_millis() as u64,
                    "scraped"
                );
            }
            Err(e) => e.log(),
        }
        *latest = Some(Outcome {
            result: result.clone(),
            finished: Instant::now(),
        });
        result
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// `GET /relay/{variant}`: the upstream's exposition text, gzip-compressed
/// as the upstream sent it when the viewer accepts gzip.
pub async fn relay(
    State(relay): State<Arc<Relay>>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let name = uri.path().strip_prefix("/relay/").unwrap_or_default();
    let Some(index) = relay.find(name) else {
        tracing::debug!(path = ?uri.path().chars().take(80).collect::<String>(), "unknown variant");
        return Err(AppError::UnknownVariant);
    };
    let scrape = relay.scrape(index).await?;
    Ok(scrape_response(&scrape, accepts_gzip(&headers)))
}

/// The response for one scrape; only headers the relay sets itself.
fn scrape_response(scrape: &Fetched, gzip_ok: bool) -> Response {
    let gzip = scrape.gzip.as_ref().filter(|_| gzip_ok);
    let body = gzip.unwrap_or(&scrape.text).clone();
    let mut res = Response::new(Body::from(body));
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, scrape.content_type.clone());
    if gzip.is_some() {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::AGE, scrape.received.elapsed().as_secs().into());
    let started_ms = scrape
        .started
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    headers.insert(X_SCRAPE_TIMESTAMP_MS, started_ms.into());
    headers.insert(
        X_SCRAPE_DURATION_MS,
        (scrape.duration.as_millis() as u64).into(),
    );
    res
}

/// Whether `Accept-Encoding` lists gzip with a non-zero quality.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut params = item.split(';').map(str::trim);
            let coding = params.next().unwrap_or_default();
            let quality = params
                .find_map(|p| p.strip_prefix("q="))
                .map_or(1.0, |q| q.parse::<f32>().unwrap_or(0.0));
            (coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip"))
                && quality > 0.0
        })
}

/// One entry of `/api/variants`: the name only, never the URL.
#[derive(Serialize)]
struct VariantInfo {
    name: String,
}

/// Body of `/api/variants`.
#[derive(Serialize)]
struct VariantsBody {
    variants: Vec<VariantInfo>,
    refresh_ms: u64,
}

/// `GET /api/variants`: the configured names and the poll interval.
pub async fn variants(State(relay): State<Arc<Relay>>) -> impl IntoResponse {
    let body = VariantsBody {
        variants: relay
            .upstreams
            .iter()
            .map(|u| VariantInfo {
                name: u.spec.name.clone(),
            })
            .collect(),
        refresh_ms: relay.settings.refresh.as_millis() as u64,
    };
    ([(header::CACHE_CONTROL, "no-store")], Json(body))
}

/// `GET /healthz`: the process is up. Touches nothing else.
pub async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// One entry of `/readyz`.
#[derive(Serialize)]
struct Readiness {
    name: String,
    ready: bool,
    /// How long ago the upstream last answered successfully.
    #[serde(skip_serializing_if = "Option::is_none")]
    last_ok_ms_ago: Option<u64>,
    /// Why it is not ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Body of `/readyz`.
#[derive(Serialize)]
struct ReadyBody {
    ready: bool,
    variants: Vec<Readiness>,
}

/// `GET /readyz`: 200 when every upstream answered successfully within the
/// refresh interval, else 503; with each variant's state. An upstream
/// that has not answered recently is scraped now (through the same
/// coalescing as viewers), so an idle dashboard still reports the truth.
pub async fn readyz(State(relay): State<Arc<Relay>>) -> Response {
    let recent = |index: usize| {
        lock(&relay.upstreams[index].last_ok).filter(|t| t.elapsed() < relay.settings.refresh)
    };
    let checks: Vec<_> = (0..relay.upstreams.len())
        .map(|index| {
            let fresh = recent(index).is_some();
            let relay = Arc::clone(&relay);
            tokio::spawn(async move {
                if fresh {
                    Ok(())
                } else {
                    relay.scrape(index).await.map(|_| ())
                }
            })
        })
        .collect();
    let mut variants = Vec::with_capacity(checks.len());
    for (index, check) in checks.into_iter().enumerate() {
        let result = check.await.expect("a readiness check does not panic");
        variants.push(Readiness {
            name: relay.upstreams[index].spec.name.clone(),
            ready: result.is_ok(),
            last_ok_ms_ago: lock(&relay.upstreams[index].last_ok)
                .map(|t| t.elapsed().as_millis() as u64),
            error: result.err().map(|e| e.message()),
        });
    }
    let ready = variants.iter().all(|v| v.ready);
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = ReadyBody { ready, variants };
    (status, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &'static str) -> bool {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(value));
        accepts_gzip(&headers)
    }

    #[test]
    fn gzip_is_accepted_only_when_listed_with_a_positive_quality() {
        assert!(accept("gzip, deflate, br, zstd"));
        assert!(accept("br;q=1.0, GZIP;q=0.5"));
        assert!(!accept("gzip;q=0"));
        assert!(!accept("br, identity"));
        assert!(!accept("*"));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
