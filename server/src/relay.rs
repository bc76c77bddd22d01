//! `GET /relay/{variant}/{target}`: one target's `/metrics`, shared by
//! every viewer; and the state behind it, which the JSON API
//! ([`api`](crate::api)) reads too.
//!
//! A variant is a set of targets, the pods of one deployment, and each is
//! scraped on its own, as Prometheus does: scraping a Service that
//! balances over several pods would hand the browser a different process
//! on every poll, and every counter that dropped would look like a reset.
//! A variant's targets are fixed (its URLs) or discovered (the addresses a
//! `dns+` host has, looked up again when the last lookup is older than
//! `coalesce`, and shared like a scrape). Targets are named by opaque ids
//! ([`TargetId`](crate::target::TargetId)); `GET /targets/{variant}` lists
//! them.
//!
//! The relay keeps no history (the browser parses and buffers), only each
//! target's latest answer, so that many open tabs cost each pod one
//! scrape: concurrent requests share one fetch, an answer is reused for
//! `coalesce`, and the fetch runs in its own task, so a viewer that goes
//! away does not cancel it for the others. Each answer carries `Age` and
//! `X-Scrape-Timestamp-Ms` / `X-Scrape-Duration-Ms`, so the app can tell a
//! reused answer from a new one.
//!
//! `GET /relay/{variant}` answers for the variant's only target, so curl
//! and single-pod setups need no id; with several targets it is a 409 that
//! points at the list.
//!
//! Names and ids are matched against the raw request path, before any
//! percent-decoding: a name is `[a-z0-9_-]` and an id lowercase hex, which
//! never need encoding, so every encoded, dotted, doubled or look-alike
//! path simply matches nothing and is a 404 that reaches no upstream.

use std::{
    sync::{Arc, Mutex},
    time::{Instant, UNIX_EPOCH},
};

use axum::{
    body::Body,
    extract::State,
    http::{HeaderMap, HeaderName, HeaderValue, Uri, header},
    response::Response,
};

use crate::{
    coalesce::Coalesced,
    config::{Discovery, Settings, VariantSpec},
    demo::Demo,
    discovery::{Resolve, SystemResolver, discover},
    error::AppError,
    fetch::{Fetched, Fetcher},
    history::History,
    prometheus::PrometheusSpec,
    target::Target,
};

/// Unix time in milliseconds at which the relay sent the upstream request
/// this answer comes from.
pub const X_SCRAPE_TIMESTAMP_MS: HeaderName = HeaderName::from_static("x-scrape-timestamp-ms");

/// How long that upstream request took, in milliseconds, from sending it
/// to holding the checked body.
pub const X_SCRAPE_DURATION_MS: HeaderName = HeaderName::from_static("x-scrape-duration-ms");

/// The allow-list of variants, their targets' latest answers, and the one
/// HTTP client and the resolver that reach them.
pub struct Relay {
    fetcher: Fetcher,
    variants: Vec<Variant>,
    settings: Settings,
    resolver: Arc<dyn Resolve>,
    /// `/history`'s source (Prometheus, with its own client, or the
    /// demo's past), if there is one.
    history: Option<Arc<History>>,
}

/// One allow-listed variant and its targets.
struct Variant {
    spec: VariantSpec,
    targets: Targets,
}

/// Where a variant's targets are now.
enum Targets {
    /// Its configured URLs, in configuration order.
    Static(TargetList),
    /// What its host name resolves to.
    Dns(Arc<Lookup>),
}

/// A variant's targets at one moment, in their stable order.
pub(crate) type TargetList = Arc<[Arc<TargetState>]>;

/// One target and what it last answered.
pub(crate) struct TargetState {
    /// Where it is and its id.
    pub(crate) target: Target,
    /// Its latest scrape; a new one is made when this is too old.
    latest: Coalesced<Result<Arc<Fetched>, AppError>>,
    /// When it last answered successfully, for /readyz.
    last_ok: Mutex<Option<Instant>>,
}

impl TargetState {
    /// A target that has not been scraped yet.
    fn new(target: Target) -> Arc<Self> {
        Arc::new(TargetState {
            target,
            latest: Coalesced::default(),
            last_ok: Mutex::default(),
        })
    }

    /// When the target last answered successfully.
    pub(crate) fn last_ok(&self) -> Option<Instant> {
        *lock(&self.last_ok)
    }
}

/// The DNS discovery of one variant's targets.
struct Lookup {
    /// The `dns+` URL without the `dns+`.
    template: reqwest::Url,
    /// The latest lookup, shared like a scrape.
    latest: Coalesced<Result<TargetList, AppError>>,
    /// The targets the last successful lookup found: a pod that is found
    /// again keeps its latest answer and its last success.
    known: Mutex<TargetList>,
}

impl Lookup {
    /// Looks the host up again; logs a failure once, and a change of the
    /// target set.
    async fn refresh(&self, resolver: &dyn Resolve, variant: &str) -> Result<TargetList, AppError> {
        let host = self.template.host_str().unwrap_or_default();
        let found = discover(resolver, variant, &self.template)
            .await
            .map_err(|error| {
                let e = AppError::Discovery {
                    variant: variant.to_owned(),
                    host: host.to_owned(),
                    error,
                };
                e.log();
                e
            })?;
        let mut known = lock(&self.known);
        let targets: TargetList = found
            .into_iter()
            .map(|target| {
                known
                    .iter()
                    .find(|k| k.target.id == target.id)
                    .cloned()
                    .unwrap_or_else(|| TargetState::new(target))
            })
            .collect();
        let ids = |list: &TargetList| list.iter().map(|t| t.target.id.clone()).collect::<Vec<_>>();
        if ids(&known) != ids(&targets) {
            tracing::info!(
                variant,
                host,
                targets = targets.len(),
                "discovered targets changed"
            );
        }
        *known = targets.clone();
        Ok(targets)
    }
}

impl Relay {
    /// A relay for `variants`, which must have unique names and, within a
    /// variant, distinct URLs ([`merge`](crate::config::merge) makes
    /// sure); host names of `dns+` variants are looked up with the system
    /// resolver.
    pub fn new(variants: Vec<VariantSpec>, settings: Settings) -> Self {
        let variants = variants
            .into_iter()
            .map(|spec| {
                let targets = match &spec.discovery {
                    Discovery::Static(urls) => Targets::Static(
                        urls.iter()
                            .map(|url| TargetState::new(Target::fixed(&spec.name, url.clone())))
                            .collect(),
                    ),
                    Discovery::Dns(template) => Targets::Dns(Arc::new(Lookup {
                        template: template.clone(),
                        latest: Coalesced::default(),
                        known: Mutex::new(Arc::new([])),
                    })),
                };
                Variant { spec, targets }
            })
            .collect();
        Relay {
            fetcher: Fetcher::new(settings),
            variants,
            settings,
            resolver: Arc::new(SystemResolver),
            history: None,
        }
    }

    /// This relay, answering `/history` from the Prometheus of `spec`
    /// through a client of its own.
    pub fn with_prometheus(mut self, spec: &PrometheusSpec) -> Self {
        let specs: Vec<VariantSpec> = self.variants.iter().map(|v| v.spec.clone()).collect();
        self.history = Some(Arc::new(History::new(spec, &specs, self.settings)));
        self
    }

    /// This relay, answering `/history` from the past of `demo`'s pods for
    /// the variants it simulates.
    pub(crate) fn with_demo_past(mut self, demo: Demo) -> Self {
        let specs: Vec<VariantSpec> = self.variants.iter().map(|v| v.spec.clone()).collect();
        self.history = Some(Arc::new(History::demo(demo, &specs)));
        self
    }

    /// `/history`'s state, when the relay has a Prometheus or a demo.
    pub(crate) fn history(&self) -> Option<&Arc<History>> {
        self.history.as_ref()
    }

    /// This relay, looking host names up with `resolver` instead of the
    /// system's: how tests point a `dns+` variant at servers of their own.
    pub fn with_resolver(mut self, resolver: impl Resolve) -> Self {
        self.resolver = Arc::new(resolver);
        self
    }

    /// The relay's limits and timings.
    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }

    /// How many variants are configured.
    pub(crate) fn variant_count(&self) -> usize {
        self.variants.len()
    }

    /// The configuration of variant `index` (`0..variant_count()`).
    pub(crate) fn spec(&self, index: usize) -> &VariantSpec {
        &self.variants[index].spec
    }

    /// Index of the variant called exactly `name`.
    pub(crate) fn find(&self, name: &str) -> Option<usize> {
        self.variants.iter().position(|v| v.spec.name == name)
    }

    /// The targets of variant `index` now: its URLs, or the latest lookup
    /// of its host (one in flight or younger than `coalesce`, else a new
    /// one).
    pub(crate) async fn targets(&self, index: usize) -> Result<TargetList, AppError> {
        match &self.variants[index].targets {
            Targets::Static(targets) => Ok(targets.clone()),
            Targets::Dns(lookup) => {
                let (dns, resolver) = (Arc::clone(lookup), Arc::clone(&self.resolver));
                let variant = self.variants[index].spec.name.clone();
                lookup
                    .latest
                    .get(self.settings.coalesce, move || async move {
                        dns.refresh(&*resolver, &variant).await
                    })
                    .await
            }
        }
    }

    /// The target of variant `index` with id `id`; without an id, the
    /// variant's only target.
    async fn target(&self, index: usize, id: Option<&str>) -> Result<Arc<TargetState>, AppError> {
        let targets = self.targets(index).await?;
        let variant = self.variants[index].spec.name.clone();
        match (id, &*targets) {
            (Some(id), _) => targets
                .iter()
                .find(|t| t.target.id.as_str() == id)
                .cloned()
                .ok_or(AppError::UnknownTarget { variant }),
            (None, [only]) => Ok(Arc::clone(only)),
            (None, several) => Err(AppError::SeveralTargets {
                variant,
                count: several.len(),
            }),
        }
    }

    /// The target's answer: one in flight or younger than `coalesce` if
    /// there is one, otherwise a new fetch.
    pub(crate) async fn scrape(
        self: &Arc<Self>,
        index: usize,
        target: &Arc<TargetState>,
    ) -> Result<Arc<Fetched>, AppError> {
        let (relay, state) = (Arc::clone(self), Arc::clone(target));
        target
            .latest
            .get(self.settings.coalesce, move || async move {
                relay.fetch(index, &state).await
            })
            .await
    }

    /// Fetches a target of variant `index` and records and logs the
    /// outcome, once for every viewer waiting for it.
    async fn fetch(&self, index: usize, state: &TargetState) -> Result<Arc<Fetched>, AppError> {
        let spec = &self.variants[index].spec;
        let target = &state.target;
        let result = self
            .fetcher
            .fetch(target, &spec.headers)
            .await
            .map(Arc::new)
            .map_err(|error| AppError::Upstream {
                variant: spec.name.clone(),
                target: target.id.clone(),
                error,
            });
        match &result {
            Ok(scrape) => {
                *lock(&state.last_ok) = Some(scrape.received);
                tracing::debug!(
                    variant = spec.name,
                    target = target.id.as_str(),
                    bytes = scrape.text.len(),
                    gzip = scrape.gzip.is_some(),
                    ms = scrape.duration.as_millis() as u64,
                    "scraped"
                );
            }
            Err(e) => e.log(),
        }
        result
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// `GET /relay/{variant}/{target}` (and `GET /relay/{variant}` for a
/// variant's only target): the target's exposition text, gzip-compressed
/// as the upstream sent it when the viewer accepts gzip.
pub async fn relay(
    State(relay): State<Arc<Relay>>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let path = uri.path().strip_prefix("/relay/").unwrap_or_default();
    let (name, id) = match path.split_once('/') {
        Some((name, id)) => (name, Some(id)),
        None => (path, None),
    };
    let Some(index) = relay.find(name) else {
        tracing::debug!(path = ?uri.path().chars().take(80).collect::<String>(), "unknown variant");
        return Err(AppError::UnknownVariant);
    };
    let target = relay.target(index, id).await?;
    let scrape = relay.scrape(index, &target).await?;
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
