//! Configuration of `zai-dash serve`: flags with environment fallbacks.
//!
//! Variants are an explicit allow-list of `NAME=URL` pairs. The relay can
//! reach these URLs and nothing else, so names are validated here, once,
//! and URLs are never accepted from a request.
//!
//! A variant is a set of targets (the pods of one deployment), each scraped
//! on its own, as Prometheus does: a name given more than once adds a
//! target, in order ([`merge`]), and a `dns+http://` URL names a headless
//! Service whose addresses are the targets ([`Discovery::Dns`]). A plain
//! Service URL would reach whichever pod the Service picks on each poll.
//!
//! Upstream credentials come only from the environment, per variant
//! ([`VariantSpec::with_credentials`]): flags show up in `ps` and shell
//! history, and neither the API nor the logs ever print them.
//!
//! The flags become [`Settings`], the plain limits and timings the relay
//! and its fetcher run on, and the edge's [`Limits`], so none of them
//! depends on clap or on each other.

use std::{fmt, net::SocketAddr, path::PathBuf, str::FromStr, time::Duration};

use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use base64::Engine;
use clap::Args;
use zai_dash_engine::units::parse_duration_ms;

use crate::{
    demo::CanaryQuality,
    edge::{self, Limits},
    prometheus::{PrometheusSpec, SelectorSpec},
};

/// Flags of `zai-dash serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "ZAI_DASH_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// A variant to relay, as NAME=URL of its /metrics (repeatable; in the
    /// environment, comma-separated: "production=URL,canary=URL"). A name
    /// given again adds a target (a pod) to that variant; a
    /// dns+http://HOST:PORT/PATH URL discovers one target per address of
    /// HOST (a headless Service), resolved again on every scrape round.
    #[arg(
        long = "variant",
        env = "ZAI_DASH_VARIANTS",
        value_name = "NAME=URL",
        value_delimiter = ','
    )]
    pub variants: Vec<VariantSpec>,

    /// Directory of the built app (Trunk's output).
    #[arg(long, env = "ZAI_DASH_DIST", default_value = "dist")]
    pub dist: PathBuf,

    /// Serve two simulated zai-proxies (production and canary) and relay
    /// them, so the dashboard runs with no real proxy.
    #[arg(long, env = "ZAI_DASH_DEMO")]
    pub demo: bool,

    /// Seed of the demo simulation (same seed, same traffic).
    #[arg(long, env = "ZAI_DASH_DEMO_SEED", default_value_t = 42)]
    pub demo_seed: u64,

    /// Pods per simulated variant, 1 to 16, each its own process (default:
    /// production 2, canary 1, like the real deployment).
    #[arg(
        long,
        env = "ZAI_DASH_DEMO_REPLICAS",
        value_name = "N",
        value_parser = clap::value_parser!(u32).range(1..=16)
    )]
    pub demo_replicas: Option<u32>,

    /// How the simulated canary compares with production: worse (more 5xx
    /// and 429s, slower; the default), same (production's distributions)
    /// or better (slightly).
    #[arg(
        long,
        env = "ZAI_DASH_DEMO_CANARY",
        value_enum,
        default_value_t = CanaryQuality::Worse
    )]
    pub demo_canary: CanaryQuality,

    /// How often the app polls each variant, in milliseconds; also how
    /// recent an upstream answer must be for /readyz.
    #[arg(long, env = "ZAI_DASH_REFRESH_MS", default_value_t = 5000)]
    pub refresh_ms: u64,

    /// Upstream connect timeout, in milliseconds.
    #[arg(long, env = "ZAI_DASH_CONNECT_TIMEOUT_MS", default_value_t = 1000)]
    pub connect_timeout_ms: u64,

    /// Upstream total timeout (connect, headers and body), in milliseconds;
    /// keep it below the refresh interval.
    #[arg(long, env = "ZAI_DASH_TIMEOUT_MS", default_value_t = 3000)]
    pub timeout_ms: u64,

    /// Largest upstream body relayed, in bytes, before and after gzip
    /// decompression; the read stops at the cap.
    #[arg(long, env = "ZAI_DASH_MAX_BODY", default_value_t = 16 * 1024 * 1024)]
    pub max_body: usize,

    /// How long one upstream answer is reused for every viewer, in
    /// milliseconds. Concurrent requests always share one fetch; 0 reuses
    /// nothing beyond that.
    #[arg(long, env = "ZAI_DASH_COALESCE_MS", default_value_t = 1000)]
    pub coalesce_ms: u64,

    /// Time allowed for a viewer's request head (request line and
    /// headers) to arrive whole, in milliseconds, counted from the
    /// connection's opening or from the first byte after an idle spell;
    /// the connection is closed after it.
    #[arg(
        long,
        env = "ZAI_DASH_HEADER_TIMEOUT_MS",
        default_value_t = 5000,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub header_timeout_ms: u64,

    /// How long a viewer's connection may make no progress, kept alive
    /// between requests or with its answer unread, before it is closed,
    /// in milliseconds.
    #[arg(
        long,
        env = "ZAI_DASH_IDLE_TIMEOUT_MS",
        default_value_t = 60_000,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub idle_timeout_ms: u64,

    /// Largest request head accepted, request line and headers, in bytes
    /// (1024 to 262144); a longer one is answered 431.
    #[arg(
        long,
        env = "ZAI_DASH_MAX_HEADER_BYTES",
        default_value_t = 16 * 1024,
        value_parser = clap::value_parser!(u64).range(1024..=262_144)
    )]
    pub max_header_bytes: u64,

    /// Viewer connections open at once; more are answered 503 and closed.
    /// Default: half of what the descriptor limit (ulimit -n) leaves
    /// after 128, at most 4096.
    #[arg(
        long,
        env = "ZAI_DASH_MAX_CONNECTIONS",
        value_name = "N",
        value_parser = clap::value_parser!(u64).range(1..=1_000_000)
    )]
    pub max_connections: Option<u64>,

    /// An origin allowed to call /api/variants, /targets/*, /relay/* and /history/*
    /// from another site (CORS), e.g. https://dash.example.com (repeatable;
    /// in the environment, comma-separated). None by default: same origin
    /// only.
    #[arg(
        long = "allow-origin",
        env = "ZAI_DASH_ALLOW_ORIGINS",
        value_name = "ORIGIN",
        value_delimiter = ',',
        value_parser = parse_origin
    )]
    pub allow_origins: Vec<HeaderValue>,

    /// Base URL of a Prometheus HTTP API (Prometheus, Thanos, Mimir,
    /// VictoriaMetrics) that scrapes the variants' pods, e.g.
    /// http://prometheus:9090; serves GET /history/{variant}. Credentials
    /// only from ZAI_DASH_PROMETHEUS_BEARER_TOKEN, _BASIC_AUTH or _HEADERS.
    #[arg(long, env = "ZAI_DASH_PROMETHEUS", value_name = "URL", value_parser = parse_prometheus_url)]
    pub prometheus: Option<reqwest::Url>,

    /// Prometheus query timeout (connect, query and answer), in
    /// milliseconds.
    #[arg(long, env = "ZAI_DASH_PROMETHEUS_TIMEOUT_MS", default_value_t = 10_000)]
    pub prometheus_timeout_ms: u64,

    /// Largest Prometheus answer accepted, in bytes.
    #[arg(long, env = "ZAI_DASH_PROMETHEUS_MAX_BODY", default_value_t = 64 * 1024 * 1024)]
    pub prometheus_max_body: usize,

    /// How far back Prometheus keeps samples, e.g. 10d or 36h: history
    /// ranges are clamped to it.
    #[arg(
        long,
        env = "ZAI_DASH_PROMETHEUS_RETENTION",
        value_name = "DURATION",
        default_value = "10d",
        value_parser = parse_retention
    )]
    pub prometheus_retention: Duration,

    /// The label matchers of a variant's series in Prometheus, as
    /// NAME=SELECTOR, e.g. production=job="zai-proxy",namespace="prod"
    /// (repeatable; in the environment, separated by ';'). Only
    /// label="value" and label=~"regex" matchers. Default: job="NAME".
    #[arg(
        long = "prometheus-selector",
        env = "ZAI_DASH_PROMETHEUS_SELECTORS",
        value_name = "NAME=SELECTOR",
        value_delimiter = ';'
    )]
    pub prometheus_selectors: Vec<SelectorSpec>,
}

impl ServeConfig {
    /// The Prometheus behind `/history`, if `--prometheus` is given, for
    /// `variants` (merged): its credentials read through `env` from
    /// `ZAI_DASH_PROMETHEUS_*`. Refuses a selector for a variant that does
    /// not exist, and a variant whose own credential variables would be
    /// Prometheus's (one named `prometheus`).
    pub fn prometheus(
        &self,
        variants: &[VariantSpec],
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<PrometheusSpec>, VariantSpecError> {
        let Some(url) = &self.prometheus else {
            return Ok(None);
        };
        if let Some(v) = variants
            .iter()
            .find(|v| v.env_prefix() == PROMETHEUS_ENV_PREFIX)
        {
            return Err(VariantSpecError::new(format!(
                "variant {} would share the variables {PROMETHEUS_ENV_PREFIX}* with --prometheus",
                v.name
            )));
        }
        if let Some(s) = self
            .prometheus_selectors
            .iter()
            .find(|s| variants.iter().all(|v| v.name != s.name))
        {
            return Err(VariantSpecError::new(format!(
                "--prometheus-selector names {:?}, which is not a variant",
                s.name
            )));
        }
        Ok(Some(PrometheusSpec {
            url: url.clone(),
            headers: credential_headers(PROMETHEUS_ENV_PREFIX, env)?,
            timeout: Duration::from_millis(self.prometheus_timeout_ms),
            max_body: self.prometheus_max_body,
            retention: self.prometheus_retention,
            selectors: self.prometheus_selectors.clone(),
        }))
    }

    /// The edge's limits, from the flags, for a process allowed
    /// `descriptors` open files ([`edge::descriptor_limit`]). Refuses a
    /// `--max-connections` that leaves fewer than
    /// [`edge::RESERVED_DESCRIPTORS`] for everything else, as accepting
    /// would then fail for lack of descriptors before the cap is reached.
    pub fn edge_limits(&self, descriptors: Option<u64>) -> Result<Limits, VariantSpecError> {
        let max_connections = match (self.max_connections, descriptors) {
            (Some(max), Some(limit)) if max + edge::RESERVED_DESCRIPTORS > limit => {
                return Err(VariantSpecError::new(format!(
                    "--max-connections {max} needs {} file descriptors, the process may open \
                     {limit} (ulimit -n): lower it or raise the limit",
                    max + edge::RESERVED_DESCRIPTORS
                )));
            }
            (Some(max), _) => max as usize,
            (None, limit) => Limits::default_max_connections(limit),
        };
        Ok(Limits {
            header_timeout: Duration::from_millis(self.header_timeout_ms),
            idle_timeout: Duration::from_millis(self.idle_timeout_ms),
            max_header_bytes: self.max_header_bytes as usize,
            max_connections,
        })
    }

    /// The relay's limits and timings, from the flags.
    pub fn settings(&self) -> Settings {
        Settings {
            refresh: Duration::from_millis(self.refresh_ms),
            connect_timeout: Duration::from_millis(self.connect_timeout_ms),
            timeout: Duration::from_millis(self.timeout_ms),
            max_body: self.max_body,
            coalesce: Duration::from_millis(self.coalesce_ms),
        }
    }
}

/// Limits and timings of the relay (see `zai-dash serve --help`): what
/// the relay and its fetcher need from the configuration, and no more.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// How often the app polls; also how recent an answer /readyz accepts.
    pub refresh: Duration,
    /// Time allowed to open an upstream connection.
    pub connect_timeout: Duration,
    /// Time allowed for a whole upstream exchange, body included.
    pub timeout: Duration,
    /// Largest upstream body, in bytes, compressed or not.
    pub max_body: usize,
    /// How long an upstream answer is reused.
    pub coalesce: Duration,
}

/// Prefix of Prometheus's credential variables.
const PROMETHEUS_ENV_PREFIX: &str = "ZAI_DASH_PROMETHEUS_";

/// Parses `--prometheus`: an http(s) URL without credentials (they come
/// from the environment), query or fragment.
fn parse_prometheus_url(s: &str) -> Result<reqwest::Url, String> {
    let refused = || format!("{s:?} is not a Prometheus base URL like http://prometheus:9090");
    let url = reqwest::Url::parse(s.trim()).map_err(|_| refused())?;
    let bare = url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    if !bare || !matches!(url.scheme(), "http" | "https") {
        return Err(refused());
    }
    Ok(url)
}

/// Parses `--prometheus-retention`: a duration like `10d` or `36h`.
fn parse_retention(s: &str) -> Result<Duration, String> {
    parse_duration_ms(s)
        .map(|ms| Duration::from_millis(ms as u64))
        .ok_or_else(|| format!("{s:?} is not a duration like 10d or 36h"))
}

/// Parses an `--allow-origin`: `scheme://host[:port]`, nothing more, as the
/// browser sends it in `Origin` (default port dropped, host in ASCII).
fn parse_origin(s: &str) -> Result<HeaderValue, String> {
    let s = s.trim();
    let refused = || format!("{s:?} is not an origin like https://dash.example.com");
    let url = reqwest::Url::parse(s).map_err(|_| refused())?;
    let bare = url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    if !bare || !matches!(url.scheme(), "http" | "https") {
        return Err(refused());
    }
    HeaderValue::from_str(&url.origin().ascii_serialization()).map_err(|_| refused())
}

/// One allow-listed variant: its name, where its targets are, and the
/// headers (credentials) sent with every request to each of them.
#[derive(Clone, PartialEq, Eq)]
pub struct VariantSpec {
    /// Name used in `/relay/{name}` and shown in the app.
    pub name: String,
    /// Where the targets are; no URL is ever exposed by the API or
    /// written to logs.
    pub discovery: Discovery,
    /// Extra request headers, credentials included, all marked sensitive;
    /// empty unless [`VariantSpec::with_credentials`] found some.
    pub headers: HeaderMap,
}

/// Where a variant's targets come from.
#[derive(Clone, PartialEq, Eq)]
pub enum Discovery {
    /// Fixed URLs, one target each, in configuration order (never empty).
    Static(Vec<reqwest::Url>),
    /// `dns+http://HOST:PORT/PATH` (or `dns+https`), held without the
    /// `dns+`: one target per A/AAAA record of HOST, looked up again on
    /// every scrape round, as a headless Service answers one address per
    /// ready pod.
    Dns(reqwest::Url),
}

impl Discovery {
    /// `"static"` or `"dns"`, as `/api/variants` names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Discovery::Static(_) => "static",
            Discovery::Dns(_) => "dns",
        }
    }
}

/// Shows the name, the discovery kind and the header names only: URLs
/// may carry a password and the header values are credentials.
impl fmt::Debug for VariantSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let targets = match &self.discovery {
            Discovery::Static(urls) => format!("{} static, <redacted>", urls.len()),
            Discovery::Dns(_) => "dns, <redacted>".to_owned(),
        };
        f.debug_struct("VariantSpec")
            .field("name", &self.name)
            .field("targets", &targets)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Request headers the relay sets itself, or that belong to one hop only:
/// refused in `ZAI_DASH_<NAME>_HEADERS`.
const RESERVED_HEADERS: [HeaderName; 10] = [
    header::HOST,
    header::CONNECTION,
    header::TRANSFER_ENCODING,
    header::TE,
    header::TRAILER,
    header::UPGRADE,
    header::CONTENT_LENGTH,
    header::ACCEPT,
    header::ACCEPT_ENCODING,
    header::PROXY_AUTHORIZATION,
];

impl VariantSpec {
    /// Prefix of this variant's credential variables: `ZAI_DASH_`, the
    /// name upper-cased with `-` as `_`, then `_`.
    pub(crate) fn env_prefix(&self) -> String {
        format!(
            "ZAI_DASH_{}_",
            self.name.to_ascii_uppercase().replace('-', "_")
        )
    }

    /// This variant with its upstream credentials read through `env`
    /// (`std::env::var` in production), from the variables
    /// [`credential_headers`] reads under `ZAI_DASH_<NAME>_`. Errors name
    /// the variable, never its value.
    pub fn with_credentials(
        mut self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, VariantSpecError> {
        self.headers = credential_headers(&self.env_prefix(), env)?;
        Ok(self)
    }
}

/// The credential headers read through `env` from `<prefix>BEARER_TOKEN`
/// (`Authorization: Bearer`), `<prefix>BASIC_AUTH` (`user:password`) and
/// `<prefix>HEADERS` (`Name: value` lines), all marked sensitive: how a
/// variant's upstreams and Prometheus (`ZAI_DASH_PROMETHEUS_`) are given
/// credentials. Errors name the variable, never its value.
pub fn credential_headers(
    prefix: &str,
    env: impl Fn(&str) -> Option<String>,
) -> Result<HeaderMap, VariantSpecError> {
    let var = |suffix: &str| {
        let key = format!("{prefix}{suffix}");
        env(&key).filter(|v| !v.is_empty()).map(|v| (key, v))
    };
    let mut headers = HeaderMap::new();
    if let Some((key, lines)) = var("HEADERS") {
        for line in lines.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let bad = || VariantSpecError(format!("{key}: expected lines of `Name: value`"));
            let (name, value) = line.split_once(':').ok_or_else(bad)?;
            let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| bad())?;
            if RESERVED_HEADERS.contains(&name) {
                return Err(VariantSpecError(format!(
                    "{key}: {name} is set by the relay itself"
                )));
            }
            headers.append(name, sensitive(value.trim(), &key)?);
        }
    }
    let authorization = match (var("BEARER_TOKEN"), var("BASIC_AUTH")) {
        (Some((bearer, _)), Some((basic, _))) => {
            return Err(VariantSpecError(format!(
                "set {bearer} or {basic}, not both"
            )));
        }
        (Some((key, token)), None) => Some(sensitive(&format!("Bearer {token}"), &key)?),
        (None, Some((key, pair))) => {
            if !pair.contains(':') {
                return Err(VariantSpecError(format!("{key}: expected user:password")));
            }
            let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
            Some(sensitive(&format!("Basic {encoded}"), &key)?)
        }
        (None, None) => None,
    };
    if let Some(value) = authorization {
        if headers.contains_key(header::AUTHORIZATION) {
            return Err(VariantSpecError(format!(
                "{prefix}HEADERS sets Authorization and so does a token variable"
            )));
        }
        headers.insert(header::AUTHORIZATION, value);
    }
    Ok(headers)
}

/// `value` as a header value hidden from `Debug` (and HPACK indexing).
fn sensitive(value: &str, key: &str) -> Result<HeaderValue, VariantSpecError> {
    let mut value = HeaderValue::from_str(value)
        .map_err(|_| VariantSpecError(format!("{key}: not a valid header value")))?;
    value.set_sensitive(true);
    Ok(value)
}

/// Why a configuration value was refused: a `NAME=URL` argument, a
/// credential variable, a Prometheus setting, or an edge limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantSpecError(String);

impl VariantSpecError {
    /// An error worded `message`.
    pub(crate) fn new(message: impl Into<String>) -> Self {
        VariantSpecError(message.into())
    }
}

impl fmt::Display for VariantSpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for VariantSpecError {}

/// Longest accepted variant name.
const MAX_NAME_LEN: usize = 32;

/// Whether `name` is a valid variant name: 1 to 32 of `[a-z0-9_-]`. The
/// relay looks names up by exact match, so the charset keeps URLs, logs
/// and the UI unambiguous.
fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Parses one `NAME=URL` argument: a variant of one static target, or of
/// the targets a `dns+http(s)://` URL discovers. [`merge`] joins the
/// arguments that name the same variant.
impl FromStr for VariantSpec {
    type Err = VariantSpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, url) = s
            .split_once('=')
            .ok_or_else(|| VariantSpecError(format!("expected NAME=URL, got {s:?}")))?;
        let name = name.trim();
        if !is_valid_name(name) {
            return Err(VariantSpecError(format!(
                "variant name {name:?} must be 1 to {MAX_NAME_LEN} of a-z, 0-9, '-', '_'"
            )));
        }
        let url = url.trim();
        let (dns, url) = match url.get(..DNS_PREFIX.len()) {
            Some(prefix) if prefix.eq_ignore_ascii_case(DNS_PREFIX) => {
                (true, &url[DNS_PREFIX.len()..])
            }
            _ => (false, url),
        };
        let url = reqwest::Url::parse(url)
            .map_err(|e| VariantSpecError(format!("variant {name}: bad URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(VariantSpecError(format!(
                "variant {name}: URL scheme must be http, https, dns+http or dns+https"
            )));
        }
        let discovery = if dns {
            if url.domain().is_none() {
                return Err(VariantSpecError(format!(
                    "variant {name}: a dns+ URL needs a host name to look up, not an address"
                )));
            }
            Discovery::Dns(url)
        } else {
            Discovery::Static(vec![url])
        };
        Ok(VariantSpec {
            name: name.to_owned(),
            discovery,
            headers: HeaderMap::new(),
        })
    }
}

/// The scheme prefix of a URL whose host is looked up for targets.
const DNS_PREFIX: &str = "dns+";

/// Joins the arguments that name the same variant, in order: static URLs
/// given under one name become that variant's targets, in the order given.
/// A `dns+` URL must be its variant's only URL (its targets are whatever
/// the lookup answers, so a fixed one beside them has no clear place), the
/// same URL may not be given twice for a variant, and two names may not
/// share credential variables (`a-b` and `a_b`).
pub fn merge(specs: Vec<VariantSpec>) -> Result<Vec<VariantSpec>, VariantSpecError> {
    let mut merged: Vec<VariantSpec> = Vec::with_capacity(specs.len());
    for spec in specs {
        let Some(known) = merged
            .iter_mut()
            .find(|w| w.env_prefix() == spec.env_prefix())
        else {
            merged.push(spec);
            continue;
        };
        if known.name != spec.name {
            return Err(VariantSpecError(format!(
                "variants {} and {} would share the variables {}*",
                known.name,
                spec.name,
                spec.env_prefix()
            )));
        }
        match (&mut known.discovery, spec.discovery) {
            (Discovery::Static(urls), Discovery::Static(more)) => {
                for url in more {
                    if urls.contains(&url) {
                        return Err(VariantSpecError(format!(
                            "variant {}: the same URL is given twice",
                            spec.name
                        )));
                    }
                    urls.push(url);
                }
            }
            _ => {
                return Err(VariantSpecError(format!(
                    "variant {}: a dns+ URL must be the variant's only URL \
                     (its targets are the addresses the name resolves to)",
                    spec.name
                )));
            }
        }
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The URLs of a static variant.
    fn urls(v: &VariantSpec) -> Vec<&str> {
        match &v.discovery {
            Discovery::Static(urls) => urls.iter().map(reqwest::Url::as_str).collect(),
            Discovery::Dns(url) => panic!("{url} is not static"),
        }
    }

    #[test]
    fn a_variant_is_name_equals_url() {
        let v: VariantSpec = "canary=http://10.0.0.2:8080/metrics".parse().unwrap();
        assert_eq!(v.name, "canary");
        assert_eq!(urls(&v), ["http://10.0.0.2:8080/metrics"]);
    }

    #[test]
    fn a_dns_url_names_a_host_whose_addresses_are_the_targets() {
        for (arg, url) in [
            (
                "production=dns+http://zai-proxy-headless.devpod.svc:8080/metrics",
                "http://zai-proxy-headless.devpod.svc:8080/metrics",
            ),
            (
                "production=DNS+HTTPS://proxy.example/metrics",
                "https://proxy.example/metrics",
            ),
        ] {
            let v: VariantSpec = arg.parse().unwrap();
            assert!(
                matches!(&v.discovery, Discovery::Dns(u) if u.as_str() == url),
                "{arg}"
            );
            assert_eq!(v.discovery.kind(), "dns");
        }
        for bad in [
            "a=dns+http://10.0.0.2:8080/metrics",
            "a=dns+http://[::1]:8080/metrics",
            "a=dns+file:///etc/hosts",
            "a=dns+ftp://host/",
        ] {
            assert!(bad.parse::<VariantSpec>().is_err(), "{bad} accepted");
        }
    }

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        config: ServeConfig,
    }

    /// The variants of `zai-dash serve ARGS`, merged as `serve` does.
    fn variants(args: &[&str]) -> Result<Vec<VariantSpec>, VariantSpecError> {
        use clap::Parser;
        let argv = ["serve"].iter().chain(args);
        merge(Cli::try_parse_from(argv).unwrap().config.variants)
    }

    #[test]
    fn a_name_given_again_adds_a_target_to_that_variant_in_order() {
        let repeated = variants(&[
            "--variant",
            "production=http://10.0.0.1:8080/metrics",
            "--variant",
            "canary=http://10.0.0.3:8080/metrics",
            "--variant",
            "production=http://10.0.0.2:8080/metrics",
        ])
        .unwrap();
        // The environment's comma-separated form splits the same way.
        let listed = variants(&[
            "--variant",
            "production=http://10.0.0.1:8080/metrics,production=http://10.0.0.2:8080/metrics,\
             canary=http://10.0.0.3:8080/metrics",
        ])
        .unwrap();
        for merged in [&repeated, &listed] {
            let names: Vec<&str> = merged.iter().map(|v| v.name.as_str()).collect();
            assert_eq!(names, ["production", "canary"]);
            assert_eq!(
                urls(&merged[0]),
                [
                    "http://10.0.0.1:8080/metrics",
                    "http://10.0.0.2:8080/metrics"
                ]
            );
            assert_eq!(urls(&merged[1]), ["http://10.0.0.3:8080/metrics"]);
        }
    }

    #[test]
    fn a_dns_url_beside_another_url_of_its_variant_is_refused() {
        for args in [
            ["a=dns+http://h:1/m", "a=http://x:1/m"],
            ["a=http://x:1/m", "a=dns+http://h:1/m"],
            ["a=dns+http://h:1/m", "a=dns+http://g:1/m"],
        ] {
            let err = variants(&["--variant", args[0], "--variant", args[1]]).unwrap_err();
            assert!(
                err.to_string().contains("must be the variant's only URL"),
                "{err}"
            );
        }
    }

    #[test]
    fn the_same_url_twice_and_names_sharing_variables_are_refused() {
        let twice = variants(&["--variant", "a=http://x/", "--variant", "a=http://x/"]);
        assert!(twice.unwrap_err().to_string().contains("given twice"));
        let dash: VariantSpec = "eu-1=http://x/".parse().unwrap();
        let underscore: VariantSpec = "eu_1=http://y/".parse().unwrap();
        assert!(merge(vec![dash, underscore]).is_err());
    }

    #[test]
    fn names_outside_the_charset_are_refused() {
        for bad in [
            "=http://a/",
            "Prod=http://a/",
            "a/b=http://a/",
            "..=http://a/",
            "é=http://a/",
        ] {
            assert!(bad.parse::<VariantSpec>().is_err(), "{bad} accepted");
        }
        let long = format!("{}=http://a/", "a".repeat(MAX_NAME_LEN + 1));
        assert!(long.parse::<VariantSpec>().is_err());
    }

    #[test]
    fn only_http_urls_are_accepted() {
        assert!("a=file:///etc/passwd".parse::<VariantSpec>().is_err());
        assert!("a=not a url".parse::<VariantSpec>().is_err());
        assert!("no-equals-sign".parse::<VariantSpec>().is_err());
    }

    fn with_env(spec: &str, vars: &[(&str, &str)]) -> Result<VariantSpec, VariantSpecError> {
        let spec: VariantSpec = spec.parse().unwrap();
        spec.with_credentials(|key| {
            vars.iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn credentials_come_from_variables_named_after_the_variant() {
        let v = with_env(
            "prod-eu=http://a/",
            &[
                ("ZAI_DASH_PROD_EU_BEARER_TOKEN", "s3cret"),
                (
                    "ZAI_DASH_PROD_EU_HEADERS",
                    "X-Tenant: dash\nX-Scope-OrgID: 7\n",
                ),
                ("ZAI_DASH_CANARY_BEARER_TOKEN", "other"),
            ],
        )
        .unwrap();
        assert_eq!(v.headers[header::AUTHORIZATION], "Bearer s3cret");
        assert_eq!(v.headers["x-tenant"], "dash");
        assert_eq!(v.headers["x-scope-orgid"], "7");
        assert!(v.headers.values().all(HeaderValue::is_sensitive));

        let basic = with_env("a=http://a/", &[("ZAI_DASH_A_BASIC_AUTH", "user:pa:ss")]).unwrap();
        assert_eq!(
            basic.headers[header::AUTHORIZATION],
            "Basic dXNlcjpwYTpzcw=="
        );
        assert!(with_env("a=http://a/", &[]).unwrap().headers.is_empty());
    }

    #[test]
    fn credentials_never_show_in_debug_output_or_errors() {
        let v = with_env(
            "a=http://user:pw-in-url@h/",
            &[("ZAI_DASH_A_BEARER_TOKEN", "s3cret")],
        )
        .unwrap();
        let shown = format!("{v:?}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("pw-in-url"),
            "{shown}"
        );

        let err = with_env("a=http://a/", &[("ZAI_DASH_A_BEARER_TOKEN", "s3cret\n")]).unwrap_err();
        assert!(err.to_string().contains("ZAI_DASH_A_BEARER_TOKEN"), "{err}");
        assert!(!err.to_string().contains("s3cret"), "{err}");
    }

    #[test]
    fn conflicting_or_reserved_credentials_are_refused() {
        for vars in [
            &[
                ("ZAI_DASH_A_BEARER_TOKEN", "t"),
                ("ZAI_DASH_A_BASIC_AUTH", "u:p"),
            ][..],
            &[("ZAI_DASH_A_BASIC_AUTH", "no-colon")],
            &[("ZAI_DASH_A_HEADERS", "Host: elsewhere")],
            &[("ZAI_DASH_A_HEADERS", "Connection: close")],
            &[("ZAI_DASH_A_HEADERS", "no colon")],
            &[
                ("ZAI_DASH_A_HEADERS", "Authorization: x"),
                ("ZAI_DASH_A_BEARER_TOKEN", "t"),
            ],
        ] {
            assert!(with_env("a=http://a/", vars).is_err(), "{vars:?} accepted");
        }
    }

    #[test]
    fn prometheus_takes_its_own_credentials_selectors_and_retention() {
        use clap::Parser;
        let config = Cli::try_parse_from([
            "serve",
            "--variant",
            "production=http://a/",
            "--prometheus",
            "http://prometheus:9090/sub/",
            "--prometheus-retention",
            "36h",
            "--prometheus-selector",
            r#"production=job="zai-proxy",namespace=~"prod|x""#,
        ])
        .unwrap()
        .config;
        let variants = merge(config.variants.clone()).unwrap();
        let spec = config
            .prometheus(&variants, |key| {
                (key == "ZAI_DASH_PROMETHEUS_HEADERS").then(|| "X-Scope-OrgID: 7".to_owned())
            })
            .unwrap()
            .unwrap();
        assert_eq!(spec.headers["x-scope-orgid"], "7");
        assert!(spec.headers["x-scope-orgid"].is_sensitive());
        assert_eq!(spec.retention, Duration::from_secs(36 * 3600));
        assert_eq!(
            spec.selectors[0].selector.to_string(),
            r#"job="zai-proxy",namespace=~"prod|x""#
        );
        assert_eq!(spec.timeout, Duration::from_secs(10));
        assert_eq!(spec.max_body, 64 << 20);

        let not_a_variant = Cli::try_parse_from([
            "serve",
            "--prometheus",
            "http://p/",
            "--prometheus-selector",
            r#"canary=job="c""#,
        ])
        .unwrap()
        .config;
        assert!(not_a_variant.prometheus(&variants, |_| None).is_err());
        let clash: VariantSpec = "prometheus=http://a/".parse().unwrap();
        assert!(config.prometheus(&[clash], |_| None).is_err());
        for bad in [
            ["--prometheus", "http://u:pw@p/"],
            ["--prometheus", "http://p/?x=1"],
            ["--prometheus", "file:///p"],
            ["--prometheus-retention", "ten days"],
            ["--prometheus-selector", r#"a={job="a"}"#],
        ] {
            assert!(
                Cli::try_parse_from(["serve", bad[0], bad[1]]).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn edge_limits_come_from_the_flags_and_the_descriptor_limit() {
        use clap::Parser;
        let limits = |args: &[&str], descriptors| {
            let argv = ["serve"].iter().chain(args);
            Cli::try_parse_from(argv)
                .unwrap()
                .config
                .edge_limits(descriptors)
        };
        let defaults = limits(&[], Some(1024)).unwrap();
        assert_eq!(defaults.header_timeout, Duration::from_secs(5));
        assert_eq!(defaults.idle_timeout, Duration::from_secs(60));
        assert_eq!(defaults.max_header_bytes, 16 * 1024);
        assert_eq!(defaults.max_connections, 448);
        assert_eq!(
            limits(&["--max-connections", "896"], Some(1024))
                .unwrap()
                .max_connections,
            896
        );
        let refused = limits(&["--max-connections", "1000"], Some(1024)).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "--max-connections 1000 needs 1128 file descriptors, the process may open 1024 \
             (ulimit -n): lower it or raise the limit"
        );
        assert!(limits(&["--max-connections", "1000"], None).is_ok());
        for bad in [
            ["--max-header-bytes", "512"],
            ["--max-connections", "0"],
            ["--header-timeout-ms", "0"],
            ["--idle-timeout-ms", "0"],
        ] {
            assert!(
                Cli::try_parse_from(["serve", bad[0], bad[1]]).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn allowed_origins_are_scheme_host_and_port_only() {
        assert_eq!(
            parse_origin("https://dash.example.com").unwrap(),
            "https://dash.example.com"
        );
        assert_eq!(
            parse_origin("https://dash.example.com/").unwrap(),
            "https://dash.example.com"
        );
        assert_eq!(
            parse_origin("https://dash.example.com:443").unwrap(),
            "https://dash.example.com"
        );
        assert_eq!(
            parse_origin("http://127.0.0.1:3000").unwrap(),
            "http://127.0.0.1:3000"
        );
        for bad in [
            "*",
            "null",
            "dash.example.com",
            "https://a/path",
            "https://u@a",
            "file:///x",
            "https://a/?q",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad} accepted");
        }
    }
}
