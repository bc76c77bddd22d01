//! Prometheus (or anything speaking its HTTP API: Thanos, Mimir,
//! VictoriaMetrics) as the durable store behind `/history`.
//!
//! The relay stays stateless: the deployment's Prometheus already scrapes
//! every pod and keeps days of samples, so the relay only asks it for the
//! raw series the engine needs and hands them to the browser, which does
//! all the math, as it does with live scrapes.
//!
//! Nothing a viewer sends becomes PromQL. The one query is fixed
//! ([`query`]): a fixed regex over metric names and the variant's
//! [`Selector`], which comes from configuration only and is checked at
//! startup to be a list of `label="value"` / `label=~"regex"` matchers, so
//! not even the configuration can slip a function or a second selector in.
//! No function (no `rate()`) runs on Prometheus: the browser gets samples.
//!
//! Requests go through their own [`Fetcher`] (own pool, own timeout, own
//! body cap), so a slow Prometheus never holds up live polling.

use std::{collections::BTreeMap, fmt, str::FromStr, time::Duration};

use axum::http::HeaderMap;
use serde::Deserialize;

use zai_dash_engine::format::label_value;

use crate::{
    config::{Settings, VariantSpecError},
    fetch::{FetchError, Fetcher},
};

/// The raw series the dashboard's engine reads, by sample name: counters,
/// gauges, and each histogram's buckets, sum and count. The query matches
/// exactly these names, and the demo's past records exactly these.
pub const RAW_SERIES: [&str; 26] = [
    "zai_proxy_requests_total",
    "zai_proxy_request_duration_seconds_bucket",
    "zai_proxy_request_duration_seconds_sum",
    "zai_proxy_request_duration_seconds_count",
    "zai_proxy_request_size_bytes_bucket",
    "zai_proxy_request_size_bytes_sum",
    "zai_proxy_request_size_bytes_count",
    "zai_proxy_response_size_bytes_bucket",
    "zai_proxy_response_size_bytes_sum",
    "zai_proxy_response_size_bytes_count",
    "zai_proxy_tokens_total",
    "zai_proxy_estimated_cost_usd_total",
    "zai_proxy_upstream_errors_total",
    "zai_proxy_retry_attempts_total",
    "zai_proxy_rate_limit_adjustments_total",
    "zai_proxy_rate_limit_rejections_total",
    "zai_proxy_concurrent_requests",
    "zai_proxy_max_workers",
    "zai_proxy_worker_utilization_ratio",
    "zai_proxy_rate_limit_requests_per_second",
    "zai_proxy_quota_usage_ratio",
    "zai_proxy_quota_remaining_ratio",
    "zai_proxy_quota_reset_time_seconds",
    "zai_proxy_quota_sample_age_seconds",
    "zai_proxy_build_info",
    "process_start_time_seconds",
];

/// The one query `/history` runs for a variant: every [`RAW_SERIES`] its
/// selector matches, as one (fully anchored) regex over `__name__`.
pub fn query(selector: &Selector) -> String {
    format!("{{__name__=~\"{}\",{selector}}}", RAW_SERIES.join("|"))
}

/// The label matchers naming one variant's series in Prometheus, e.g.
/// `job="zai-proxy",namespace=~"prod|canary"`: only `label="value"` and
/// `label=~"regex"`, never `__name__` (the query fixes the names), held in
/// a canonical form that is safe to put inside `{...}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector(String);

impl Selector {
    /// The default selector of variant `name`: `job="NAME"`.
    pub fn job(name: &str) -> Self {
        Selector(format!("job=\"{}\"", label_value(name)))
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses `label="value", label=~"regex", ...`; anything else (braces, a
/// metric name, a function, `!=`, an unterminated string) is refused.
impl FromStr for Selector {
    type Err = VariantSpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let refused = || {
            VariantSpecError::new(format!(
                "selector {s:?} must be label=\"value\" or label=~\"regex\" matchers, \
                 separated by commas"
            ))
        };
        let mut matchers = Vec::new();
        let mut rest = s.trim();
        while !rest.is_empty() {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            let (label, after) = rest.split_at(end);
            if label.is_empty() || label.starts_with(|c: char| c.is_ascii_digit()) {
                return Err(refused());
            }
            if label == "__name__" {
                return Err(VariantSpecError::new(format!(
                    "selector {s:?}: the metric names are fixed by the relay"
                )));
            }
            let after = after.trim_start();
            let (op, after) = match after.strip_prefix("=~") {
                Some(after) => ("=~", after),
                None => ("=", after.strip_prefix('=').ok_or_else(refused)?),
            };
            let (value, after) = quoted(after.trim_start()).ok_or_else(refused)?;
            matchers.push(format!("{label}{op}\"{}\"", label_value(&value)));
            rest = after.trim_start();
            if !rest.is_empty() {
                rest = rest.strip_prefix(',').ok_or_else(refused)?.trim_start();
                if rest.is_empty() {
                    return Err(refused());
                }
            }
        }
        if matchers.is_empty() {
            return Err(refused());
        }
        Ok(Selector(matchers.join(",")))
    }
}

/// The value of a double-quoted string at the start of `s` (escapes `\\`,
/// `\"`, `\n`) and what follows it.
fn quoted(s: &str) -> Option<(String, &str)> {
    let body = s.strip_prefix('"')?;
    let mut value = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((value, &body[i + 1..])),
            '\\' => match chars.next()?.1 {
                'n' => value.push('\n'),
                e @ ('\\' | '"') => value.push(e),
                _ => return None,
            },
            c => value.push(c),
        }
    }
    None
}

/// One `--prometheus-selector NAME=SELECTOR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorSpec {
    /// The variant.
    pub name: String,
    /// Its series' matchers.
    pub selector: Selector,
}

impl FromStr for SelectorSpec {
    type Err = VariantSpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, selector) = s
            .split_once('=')
            .ok_or_else(|| VariantSpecError::new(format!("expected NAME=SELECTOR, got {s:?}")))?;
        Ok(SelectorSpec {
            name: name.trim().to_owned(),
            selector: selector.parse()?,
        })
    }
}

/// Where Prometheus is and how it is asked: what `--prometheus` and its
/// companion flags and variables configure.
#[derive(Clone)]
pub struct PrometheusSpec {
    /// Base URL of the HTTP API (`/api/v1/query_range` is appended).
    pub url: reqwest::Url,
    /// Credential headers, all sensitive, from `ZAI_DASH_PROMETHEUS_*`.
    pub headers: HeaderMap,
    /// Time allowed for one whole query, answer included.
    pub timeout: Duration,
    /// Largest answer accepted, in bytes.
    pub max_body: usize,
    /// How far back Prometheus keeps samples: ranges are clamped to it.
    pub retention: Duration,
    /// Selectors given for some variants; the others use [`Selector::job`].
    pub selectors: Vec<SelectorSpec>,
}

/// Shows the URL's host only: the headers are credentials.
impl fmt::Debug for PrometheusSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrometheusSpec")
            .field("host", &self.url.host_str())
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("timeout", &self.timeout)
            .field("max_body", &self.max_body)
            .field("retention", &self.retention)
            .field("selectors", &self.selectors)
            .finish()
    }
}

/// Why a range query failed. Never names the URL or a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrometheusError {
    /// It could not be reached, did not answer in time, or answered more
    /// than the cap.
    Fetch(FetchError),
    /// A non-2xx status with a body that is not Prometheus's error JSON.
    HttpStatus {
        /// The status it answered.
        status: u16,
    },
    /// A 2xx whose body is not a range query's answer.
    BadAnswer {
        /// What is wrong with it.
        detail: String,
    },
    /// `"status":"error"`: Prometheus refused or failed the query.
    Refused {
        /// Its `errorType`, e.g. `timeout`, `bad_data`, `execution`.
        error_type: String,
        /// Its `error` text.
        error: String,
    },
}

impl PrometheusError {
    /// Whether a time limit ran out: the relay's own or Prometheus's.
    pub fn is_timeout(&self) -> bool {
        matches!(
            self,
            PrometheusError::Fetch(
                FetchError::ConnectTimeout { .. } | FetchError::AnswerTimeout { .. }
            )
        ) || matches!(self, PrometheusError::Refused { error_type, .. } if error_type == "timeout")
    }

    /// The HTTP status Prometheus answered with, when it answered.
    pub fn upstream_status(&self) -> Option<u16> {
        match self {
            PrometheusError::Fetch(e) => e.upstream_status(),
            PrometheusError::HttpStatus { status } => Some(*status),
            PrometheusError::BadAnswer { .. } | PrometheusError::Refused { .. } => None,
        }
    }
}

impl fmt::Display for PrometheusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrometheusError::Fetch(e) => write!(f, "Prometheus failed: {e}"),
            PrometheusError::HttpStatus { status } => {
                write!(f, "Prometheus answered HTTP {status}")
            }
            PrometheusError::BadAnswer { detail } => {
                write!(f, "Prometheus sent no range query result: {detail}")
            }
            PrometheusError::Refused { error_type, error } => {
                write!(f, "Prometheus refused the query ({error_type}): {error}")
            }
        }
    }
}

impl std::error::Error for PrometheusError {}

/// One series of a range query's answer: its labels and its samples, as
/// `[unix seconds, "value"]` pairs.
#[derive(Debug, Deserialize)]
pub struct RawSeries {
    /// All its labels, `__name__` and the target labels included.
    pub metric: BTreeMap<String, String>,
    /// Its float samples, oldest first.
    #[serde(default)]
    pub values: Vec<(f64, String)>,
}

/// Prometheus's answer envelope.
#[derive(Deserialize)]
struct Answer {
    status: String,
    data: Option<Matrix>,
    #[serde(rename = "errorType", default)]
    error_type: String,
    #[serde(default)]
    error: String,
}

/// `data` of a range query.
#[derive(Deserialize)]
struct Matrix {
    #[serde(rename = "resultType")]
    result_type: String,
    result: Vec<RawSeries>,
}

/// A Prometheus HTTP API and the client that reaches it.
pub struct Prometheus {
    fetcher: Fetcher,
    query_range: reqwest::Url,
    headers: HeaderMap,
}

impl Prometheus {
    /// The API of `spec`, with the relay's connect timeout and the spec's
    /// own timeout and cap.
    pub fn new(spec: &PrometheusSpec, relay: Settings) -> Self {
        let mut query_range = spec.url.clone();
        query_range
            .path_segments_mut()
            .expect("an http(s) URL has a path")
            .pop_if_empty()
            .extend(["api", "v1", "query_range"]);
        Prometheus {
            fetcher: Fetcher::new(Settings {
                timeout: spec.timeout,
                max_body: spec.max_body,
                ..relay
            }),
            query_range,
            headers: spec.headers.clone(),
        }
    }

    /// The raw series `selector` matches, sampled every `step_ms` from
    /// `from_ms` to `to_ms` (Unix milliseconds).
    pub async fn query_range(
        &self,
        selector: &Selector,
        from_ms: i64,
        to_ms: i64,
        step_ms: i64,
    ) -> Result<Vec<RawSeries>, PrometheusError> {
        let seconds = |ms: i64| (ms as f64 / 1000.0).to_string();
        let mut url = self.query_range.clone();
        url.query_pairs_mut()
            .append_pair("query", &query(selector))
            .append_pair("start", &seconds(from_ms))
            .append_pair("end", &seconds(to_ms))
            .append_pair("step", &seconds(step_ms));
        let (status, body) = self
            .fetcher
            .get(url, &self.headers, "application/json")
            .await
            .map_err(PrometheusError::Fetch)?;
        match serde_json::from_slice::<Answer>(&body) {
            Ok(answer) if answer.status == "error" => Err(PrometheusError::Refused {
                error_type: answer.error_type,
                error: answer.error,
            }),
            _ if !status.is_success() => Err(PrometheusError::HttpStatus {
                status: status.as_u16(),
            }),
            Ok(Answer {
                data: Some(matrix), ..
            }) if matrix.result_type == "matrix" => Ok(matrix.result),
            Ok(_) => Err(PrometheusError::BadAnswer {
                detail: "no matrix in the answer".to_owned(),
            }),
            Err(e) => Err(PrometheusError::BadAnswer {
                detail: e.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_selector_is_equality_or_regex_matchers_kept_in_canonical_form() {
        let s: Selector = r#" job = "zai-proxy" , namespace=~"prod|canary",pod=~"a\\.b\"c" "#
            .parse()
            .unwrap();
        assert_eq!(
            s.to_string(),
            r#"job="zai-proxy",namespace=~"prod|canary",pod=~"a\\.b\"c""#
        );
        assert_eq!(
            Selector::job("production").to_string(),
            r#"job="production""#
        );
    }

    #[test]
    fn anything_but_matchers_is_refused_so_no_promql_can_be_smuggled_in() {
        for bad in [
            "",
            "job",
            "job=production",
            r#"{job="a"}"#,
            r#"job="a"}"#,
            r#"job="a"} or vector(1) or {x="b""#,
            r#"job="a",__name__="up""#,
            r#"job!="a""#,
            r#"job!~"a""#,
            r#"rate(x[5m])"#,
            r#"job="a","#,
            r#"job="a" x="b""#,
            r#"job="unterminated"#,
            r#"job="bad \x escape""#,
            r#"1job="a""#,
        ] {
            assert!(bad.parse::<Selector>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn the_query_is_the_fixed_names_and_the_selector() {
        let q = query(&Selector::job("canary"));
        assert!(
            q.starts_with(r#"{__name__=~"zai_proxy_requests_total|"#),
            "{q}"
        );
        assert!(
            q.ends_with(r#"|process_start_time_seconds",job="canary"}"#),
            "{q}"
        );
    }
}
