//! `GET /history/{variant}?from=MS&to=MS&step=MS`: a variant's raw series
//! over a past range, from Prometheus ([`prometheus`](crate::prometheus)),
//! per pod, so the app can backfill its per-pod buffers as if it had been
//! polling all along.
//!
//! With `--demo` and no Prometheus, the simulated pods answer from their
//! own past instead (the demo's `past` module): the route, its checks and
//! its answer are the same whichever [`Source`] is behind them, so the
//! demo exercises the app's backfill exactly as a real deployment would.
//!
//! The request says only when and how finely: `from`, `to` and `step`,
//! Unix milliseconds, with `step` on a fixed ladder and `from`/`to` on
//! its multiples, so equal requests are equal keys (concurrent ones share
//! one query) and a viewer cannot ask Prometheus for more than its own
//! limit of 11,000 points per series. Every other parameter is refused:
//! the query is fixed.
//!
//! The answer groups series by Prometheus's `instance` label into targets
//! named by the ids the live relay gives the same pods
//! ([`TargetId`]): a static target whose URL authority is the instance,
//! or, for a `dns+` variant, the pod URL the template makes with the
//! instance's address and port, hashed as discovery hashes it. An instance
//! that is none of these gets the id of `prometheus-instance:INSTANCE`.

use std::{
    collections::{BTreeMap, HashMap},
    fmt,
    net::SocketAddr,
    sync::{Arc, Mutex, Weak},
    time::Duration,
};

use axum::{
    extract::{FromRequestParts, Query, State},
    http::{Uri, header, request::Parts},
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use serde::Serialize;
use zai_dash_engine::format::label_value;

use crate::{
    Relay,
    coalesce::Coalesced,
    config::{Discovery, Settings, VariantSpec},
    demo::{Demo, PAST_MS},
    error::AppError,
    now_ms,
    prometheus::{Prometheus, PrometheusSpec, RawSeries, Selector},
    target::{TargetId, pod_url},
};

/// The steps a viewer may ask for, in milliseconds: 15 s (the scrape
/// interval) to 1 h.
pub const STEP_LADDER_MS: [i64; 6] = [15_000, 30_000, 60_000, 300_000, 900_000, 3_600_000];

/// Most points per series in one answer: Prometheus's own limit.
pub const MAX_POINTS: i64 = 11_000;

/// Labels that say where a series was scraped, not what it counts: left
/// out of a series' `labels`, as the target it belongs to says it.
const TARGET_LABELS: [&str; 10] = [
    "__name__",
    "instance",
    "job",
    "pod",
    "namespace",
    "service",
    "endpoint",
    "container",
    "prometheus",
    "prometheus_replica",
];

/// Why a history request was refused before reaching Prometheus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryError {
    /// The relay has no `--prometheus` (404).
    NoPrometheus,
    /// A parameter other than `from`, `to` and `step` (400); its name is
    /// not echoed.
    UnknownParameter,
    /// `from`, `to` or `step` is missing (400).
    Missing(&'static str),
    /// `from`, `to` or `step` is given twice or is not an integer (400).
    Malformed(&'static str),
    /// `step` is not on [`STEP_LADDER_MS`] (400).
    StepNotOnLadder,
    /// `from` or `to` is not a multiple of `step` (400).
    Misaligned,
    /// `from` is not before `to` (400).
    Empty,
    /// Nothing of the range is between now minus the retention and now
    /// (400).
    OutsideRetention,
    /// More than [`MAX_POINTS`] per series once clamped (400).
    TooManyPoints {
        /// Points the range has.
        points: i64,
    },
}

impl fmt::Display for HistoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HistoryError::NoPrometheus => f.write_str("no history: the relay has no --prometheus"),
            HistoryError::UnknownParameter => {
                f.write_str("only from, to and step are accepted (the query is fixed)")
            }
            HistoryError::Missing(name) => write!(f, "{name} is required (Unix milliseconds)"),
            HistoryError::Malformed(name) => {
                write!(
                    f,
                    "{name} must be given once, as an integer of milliseconds"
                )
            }
            HistoryError::StepNotOnLadder => write!(f, "step must be one of {STEP_LADDER_MS:?}"),
            HistoryError::Misaligned => f.write_str("from and to must be multiples of step"),
            HistoryError::Empty => f.write_str("from must be before to"),
            HistoryError::OutsideRetention => f.write_str(
                "the range is outside the history kept (before now - retention, or in the future)",
            ),
            HistoryError::TooManyPoints { points } => write!(
                f,
                "{points} points per series; at most {MAX_POINTS}: a larger step or a shorter range"
            ),
        }
    }
}

impl std::error::Error for HistoryError {}

/// A range of sample times, Unix milliseconds: `from`, `from + step`, ...
/// `to`, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    /// The first sample time.
    pub from: i64,
    /// The last sample time.
    pub to: i64,
    /// Between two sample times.
    pub step: i64,
}

impl Span {
    /// Sample times in the span.
    pub(crate) fn points(&self) -> i64 {
        (self.to - self.from) / self.step + 1
    }

    /// The sample times, oldest first.
    pub(crate) fn times(&self) -> impl Iterator<Item = i64> + use<> {
        (self.from..=self.to).step_by(self.step as usize)
    }

    /// The index of sample time `ms`, if it is one.
    fn index(&self, ms: i64) -> Option<usize> {
        ((self.from..=self.to).contains(&ms) && (ms - self.from) % self.step == 0)
            .then(|| ((ms - self.from) / self.step) as usize)
    }
}

/// The query string of a history request, checked for shape: exactly
/// `from`, `to` and `step`, once each, integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryQuery(Span);

impl<S: Send + Sync> FromRequestParts<S> for HistoryQuery {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let refused = |e| AppError::History(e);
        let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map_err(|_| refused(HistoryError::UnknownParameter))?;
        let (mut from, mut to, mut step) = (None, None, None);
        for (key, value) in pairs {
            let (name, slot) = match key.as_str() {
                "from" => ("from", &mut from),
                "to" => ("to", &mut to),
                "step" => ("step", &mut step),
                _ => return Err(refused(HistoryError::UnknownParameter)),
            };
            let parsed = value.parse::<i64>().ok().filter(|_| slot.is_none());
            *slot = Some(parsed.ok_or(refused(HistoryError::Malformed(name)))?);
        }
        let need = |v: Option<i64>, name| v.ok_or(refused(HistoryError::Missing(name)));
        Ok(HistoryQuery(Span {
            from: need(from, "from")?,
            to: need(to, "to")?,
            step: need(step, "step")?,
        }))
    }
}

impl HistoryQuery {
    /// The span to ask Prometheus for at `now_ms`: the request's, checked,
    /// with `to` clamped to now and `from` to now minus `retention_ms`
    /// (each onto the step's multiples, inward).
    pub fn span(self, now_ms: i64, retention_ms: i64) -> Result<Span, HistoryError> {
        let Span { from, to, step } = self.0;
        if !STEP_LADDER_MS.contains(&step) {
            return Err(HistoryError::StepNotOnLadder);
        }
        if from.rem_euclid(step) != 0 || to.rem_euclid(step) != 0 {
            return Err(HistoryError::Misaligned);
        }
        if from >= to {
            return Err(HistoryError::Empty);
        }
        let oldest = now_ms - retention_ms;
        let span = Span {
            from: from.max(ceil_to(oldest, step)),
            to: to.min(now_ms.div_euclid(step) * step),
            step,
        };
        if span.from > span.to {
            return Err(HistoryError::OutsideRetention);
        }
        match span.points() {
            points if points > MAX_POINTS => Err(HistoryError::TooManyPoints { points }),
            _ => Ok(span),
        }
    }
}

/// `ms` rounded up to a multiple of `step`.
pub(crate) fn ceil_to(ms: i64, step: i64) -> i64 {
    ms.div_euclid(step) * step + step * i64::from(ms.rem_euclid(step) != 0)
}

/// An answer in the making, shared by identical concurrent requests.
type Shared = Coalesced<Result<Bytes, AppError>>;

/// Where `/history` reads a variant's past.
enum Source {
    /// The deployment's Prometheus, asked with each variant's selector (by
    /// variant index).
    Prometheus {
        prometheus: Box<Prometheus>,
        selectors: Vec<Selector>,
    },
    /// `--demo`'s simulated pods, which remember their last day; by
    /// variant index, what the demo simulates of it (`None`: a variant
    /// configured in its place, which has no past).
    Demo {
        demo: Demo,
        variants: Vec<Option<Simulated>>,
    },
}

/// A variant the demo simulates: its deployment and, in pod order, the
/// ids the relay gives its pods.
struct Simulated {
    deployment: usize,
    pods: Vec<TargetId>,
}

/// What `/history` needs: where the past is, how far back it goes, and
/// the queries in flight.
pub struct History {
    source: Source,
    retention: Duration,
    /// Requests in flight, by variant index and span: a second identical
    /// request waits for the first one's query instead of making its own.
    in_flight: Mutex<HashMap<(usize, Span), Weak<Shared>>>,
}

impl History {
    /// History from `spec` for `variants` (in the relay's order); a variant
    /// without a configured selector is `job="NAME"`.
    pub fn new(spec: &PrometheusSpec, variants: &[VariantSpec], relay: Settings) -> Self {
        let selectors = variants
            .iter()
            .map(|v| {
                spec.selectors
                    .iter()
                    .find(|s| s.name == v.name)
                    .map_or_else(|| Selector::job(&v.name), |s| s.selector.clone())
            })
            .collect();
        History::from(
            Source::Prometheus {
                prometheus: Box::new(Prometheus::new(spec, relay)),
                selectors,
            },
            spec.retention,
        )
    }

    /// History from the past of `demo`'s pods for `variants` (in the
    /// relay's order), kept for [`PAST_MS`]. A variant is the demo's when
    /// its targets are the demo's pods.
    pub(crate) fn demo(demo: Demo, variants: &[VariantSpec]) -> Self {
        let simulated = demo.variants();
        let variants = variants
            .iter()
            .map(|v| {
                let deployment = simulated.iter().position(|s| s.discovery == v.discovery)?;
                let Discovery::Static(urls) = &v.discovery else {
                    return None;
                };
                Some(Simulated {
                    deployment,
                    pods: urls.iter().map(|url| TargetId::new(&v.name, url)).collect(),
                })
            })
            .collect();
        History::from(
            Source::Demo { demo, variants },
            Duration::from_millis(PAST_MS as u64),
        )
    }

    /// History from `source`, clamped to `retention`.
    fn from(source: Source, retention: Duration) -> Self {
        History {
            source,
            retention,
            in_flight: Mutex::default(),
        }
    }

    /// The answer for `spec` (variant `index`) over `span`: the query in
    /// flight for the same request if there is one, else a new one.
    async fn answer(
        self: &Arc<Self>,
        index: usize,
        spec: &VariantSpec,
        span: Span,
    ) -> Result<Bytes, AppError> {
        let shared = {
            let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
            in_flight.retain(|_, w| w.strong_count() > 0);
            match in_flight.get(&(index, span)).and_then(Weak::upgrade) {
                Some(shared) => shared,
                None => {
                    let shared = Arc::new(Shared::default());
                    in_flight.insert((index, span), Arc::downgrade(&shared));
                    shared
                }
            }
        };
        let (history, spec) = (Arc::clone(self), spec.clone());
        shared
            .get(Duration::ZERO, move || async move {
                let series = history.series(index, &spec, span).await?;
                Ok(body(&spec, span, series))
            })
            .await
    }

    /// Every series of variant `index` (`spec`) over `span`, with the
    /// target it belongs to.
    async fn series(
        &self,
        index: usize,
        spec: &VariantSpec,
        span: Span,
    ) -> Result<Vec<(TargetId, SeriesHistory)>, AppError> {
        match &self.source {
            Source::Prometheus {
                prometheus,
                selectors,
            } => {
                let series = prometheus
                    .query_range(&selectors[index], span.from, span.to, span.step)
                    .await
                    .map_err(|error| {
                        let e = AppError::Prometheus {
                            variant: spec.name.clone(),
                            error,
                        };
                        e.log();
                        e
                    })?;
                Ok(from_prometheus(spec, span, series))
            }
            Source::Demo { demo, variants } => {
                let simulated = variants[index]
                    .as_ref()
                    .ok_or(AppError::History(HistoryError::NoPrometheus))?;
                let (demo, deployment) = (demo.clone(), simulated.deployment);
                let pods =
                    tokio::task::spawn_blocking(move || demo.past(deployment, span, now_ms()))
                        .await
                        .expect("the simulation does not panic");
                Ok(simulated
                    .pods
                    .iter()
                    .zip(pods)
                    .flat_map(|(id, series)| series.into_iter().map(|s| (id.clone(), s)))
                    .collect())
            }
        }
    }
}

/// The answer's JSON.
#[derive(Serialize)]
struct HistoryBody<'a> {
    variant: &'a str,
    from: i64,
    to: i64,
    step: i64,
    targets: Vec<TargetHistory>,
}

/// One target's series.
#[derive(Serialize)]
struct TargetHistory {
    id: String,
    series: Vec<SeriesHistory>,
}

/// One series: its name, its labels in exposition syntax without the
/// target labels, and one value per sample time (`null`: no sample).
#[derive(Serialize)]
pub(crate) struct SeriesHistory {
    /// The sample name, e.g. `zai_proxy_request_duration_seconds_bucket`.
    pub(crate) name: String,
    /// Its labels as [`labels_text`] writes them.
    pub(crate) labels: String,
    /// Its value at each sample time of the span.
    pub(crate) values: Vec<Option<f64>>,
}

/// Labels in exposition syntax as an answer writes them: sorted by name,
/// values escaped, without the [`TARGET_LABELS`], comma-separated.
pub(crate) fn labels_text<'a>(labels: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut labels: Vec<_> = labels
        .into_iter()
        .filter(|(name, _)| !TARGET_LABELS.contains(name))
        .collect();
    labels.sort_unstable();
    labels
        .iter()
        .map(|(name, value)| format!("{name}=\"{}\"", label_value(value)))
        .collect::<Vec<_>>()
        .join(",")
}

/// Prometheus's `series` over `span`, each with the target its `instance`
/// is, and one value per sample time.
fn from_prometheus(
    spec: &VariantSpec,
    span: Span,
    series: Vec<RawSeries>,
) -> Vec<(TargetId, SeriesHistory)> {
    series
        .into_iter()
        .map(|raw| {
            let instance = raw.metric.get("instance").map_or("", String::as_str);
            let id = target_id(spec, instance);
            let mut values = vec![None; span.points() as usize];
            for (seconds, value) in &raw.values {
                let sample = value.parse::<f64>().ok().filter(|v| v.is_finite());
                if let Some(i) = span.index((seconds * 1000.0).round() as i64) {
                    values[i] = sample;
                }
            }
            let labels = labels_text(raw.metric.iter().map(|(n, v)| (n.as_str(), v.as_str())));
            let name = raw.metric.get("__name__").cloned().unwrap_or_default();
            let series = SeriesHistory {
                name,
                labels,
                values,
            };
            (id, series)
        })
        .collect()
}

/// The JSON answer for `spec` over `span`: `series` grouped by target,
/// targets by id, series by name and labels.
fn body(spec: &VariantSpec, span: Span, series: Vec<(TargetId, SeriesHistory)>) -> Bytes {
    let mut targets: BTreeMap<TargetId, Vec<SeriesHistory>> = BTreeMap::new();
    for (id, series) in series {
        targets.entry(id).or_default().push(series);
    }
    let targets = targets
        .into_iter()
        .map(|(id, mut series)| {
            series.sort_by(|a, b| (&a.name, &a.labels).cmp(&(&b.name, &b.labels)));
            TargetHistory {
                id: id.to_string(),
                series,
            }
        })
        .collect();
    let body = HistoryBody {
        variant: &spec.name,
        from: span.from,
        to: span.to,
        step: span.step,
        targets,
    };
    serde_json::to_vec(&body)
        .expect("the answer serialises")
        .into()
}

/// The id the live relay gives the pod Prometheus calls `instance`.
fn target_id(spec: &VariantSpec, instance: &str) -> TargetId {
    let found = match &spec.discovery {
        Discovery::Static(urls) => urls
            .iter()
            .find(|url| authority(url) == instance)
            .map(|url| TargetId::new(&spec.name, url)),
        Discovery::Dns(template) => instance.parse::<SocketAddr>().ok().map(|address| {
            TargetId::new(
                &spec.name,
                &pod_url(template, address.ip(), Some(address.port())),
            )
        }),
    };
    found.unwrap_or_else(|| TargetId::unmatched_instance(&spec.name, instance))
}

/// `host:port` of `url`, with the scheme's default port when it has none,
/// as Prometheus writes an `instance`.
fn authority(url: &reqwest::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// `GET /history/{variant}?from=MS&to=MS&step=MS`: the variant's raw
/// series per target, from Prometheus or the demo's past.
pub async fn history(
    State(relay): State<Arc<Relay>>,
    uri: Uri,
    query: Result<HistoryQuery, AppError>,
) -> Result<Response, AppError> {
    let history = relay
        .history()
        .ok_or(AppError::History(HistoryError::NoPrometheus))?;
    let name = uri.path().strip_prefix("/history/").unwrap_or_default();
    let index = relay.find(name).ok_or(AppError::UnknownVariant)?;
    let span = query?
        .span(now_ms(), history.retention.as_millis() as i64)
        .map_err(AppError::History)?;
    let body = history.answer(index, relay.spec(index), span).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_012_345;
    const DAY: i64 = 86_400_000;

    fn span(from: i64, to: i64, step: i64) -> Result<Span, HistoryError> {
        HistoryQuery(Span { from, to, step }).span(NOW, 10 * DAY)
    }

    #[test]
    fn a_range_is_on_the_ladder_aligned_and_clamped_to_now_and_retention() {
        let to = NOW / 60_000 * 60_000;
        assert_eq!(
            span(to - 600_000, to, 60_000),
            Ok(Span {
                from: to - 600_000,
                to,
                step: 60_000
            })
        );
        let clamped = span(0, to + 3_600_000, 60_000).map(|s| (s.from, s.to));
        let oldest = (NOW - 10 * DAY).div_euclid(60_000) * 60_000 + 60_000;
        assert_eq!(
            clamped,
            Err(HistoryError::TooManyPoints {
                points: (to - oldest) / 60_000 + 1
            })
        );
        let hour = span(0, to / 3_600_000 * 3_600_000 + 3_600_000, 3_600_000).unwrap();
        assert!(hour.from >= NOW - 10 * DAY && hour.from % 3_600_000 == 0);
        assert!(hour.to <= NOW && hour.to % 3_600_000 == 0);
    }

    #[test]
    fn off_ladder_misaligned_empty_stale_and_oversized_ranges_are_refused() {
        let to = NOW / 15_000 * 15_000;
        assert_eq!(
            span(to - 10_000, to, 10_000),
            Err(HistoryError::StepNotOnLadder)
        );
        assert_eq!(span(to - 15_001, to, 15_000), Err(HistoryError::Misaligned));
        assert_eq!(span(to, to, 15_000), Err(HistoryError::Empty));
        assert_eq!(
            span(15_000, 30_000, 15_000),
            Err(HistoryError::OutsideRetention)
        );
        assert_eq!(
            span(to - 15_000 * 11_000, to, 15_000),
            Err(HistoryError::TooManyPoints { points: 11_001 })
        );
        assert!(span(to - 15_000 * 10_999, to, 15_000).is_ok());
    }

    fn static_variant(urls: &[&str]) -> VariantSpec {
        crate::config::merge(
            urls.iter()
                .map(|u| format!("production={u}").parse().unwrap())
                .collect(),
        )
        .unwrap()
        .remove(0)
    }

    #[test]
    fn an_instance_gets_the_id_the_live_relay_gives_its_pod() {
        let fixed = static_variant(&["http://10.0.0.1:8080/metrics", "http://pod-b/metrics"]);
        let url = |s: &str| s.parse::<reqwest::Url>().unwrap();
        assert_eq!(
            target_id(&fixed, "10.0.0.1:8080"),
            TargetId::new("production", &url("http://10.0.0.1:8080/metrics"))
        );
        assert_eq!(
            target_id(&fixed, "pod-b:80"),
            TargetId::new("production", &url("http://pod-b/metrics"))
        );
        let dns: VariantSpec = "production=dns+http://pods.svc:8080/metrics"
            .parse()
            .unwrap();
        assert_eq!(
            target_id(&dns, "10.1.2.3:8080"),
            crate::target::Target::discovered(
                "production",
                &url("http://pods.svc:8080/metrics"),
                "10.1.2.3".parse().unwrap()
            )
            .id
        );
        assert_eq!(
            target_id(&fixed, "10.9.9.9:1"),
            TargetId::unmatched_instance("production", "10.9.9.9:1")
        );
    }

    #[test]
    fn series_are_grouped_by_target_with_one_value_per_step_time() {
        let answer = r#"[
          {"metric":{"__name__":"zai_proxy_requests_total","instance":"10.0.0.1:8080","job":"production","status_code":"200","path":"/a\"b"},
           "values":[[1,"1"],[3,"NaN"],[4,"+Inf"]]},
          {"metric":{"__name__":"process_start_time_seconds","instance":"10.0.0.1:8080","job":"production"},
           "values":[[2,"5"]]}
        ]"#;
        let series: Vec<RawSeries> = serde_json::from_str(answer).unwrap();
        let spec = static_variant(&["http://10.0.0.1:8080/metrics"]);
        let span = Span {
            from: 1000,
            to: 4000,
            step: 1000,
        };
        let json: serde_json::Value =
            serde_json::from_slice(&body(&spec, span, from_prometheus(&spec, span, series)))
                .unwrap();
        let id = target_id(&spec, "10.0.0.1:8080").to_string();
        assert_eq!(
            json,
            serde_json::json!({
                "variant": "production", "from": 1000, "to": 4000, "step": 1000,
                "targets": [{"id": id, "series": [
                    {"name": "process_start_time_seconds", "labels": "", "values": [null, 5.0, null, null]},
                    {"name": "zai_proxy_requests_total", "labels": "path=\"/a\\\"b\",status_code=\"200\"",
                     "values": [1.0, null, null, null]}
                ]}]
            })
        );
    }
}
