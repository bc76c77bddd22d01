//! Configuration of `zai-dash serve`: flags with environment fallbacks.
//!
//! Variants are an explicit allow-list of `NAME=URL` pairs. The relay can
//! reach these URLs and nothing else, so names are validated here, once,
//! and URLs are never accepted from a request.
//!
//! Upstream credentials come only from the environment, per variant
//! ([`VariantSpec::with_credentials`]): flags show up in `ps` and shell
//! history, and neither the API nor the logs ever print them.
//!
//! The flags become [`Settings`], the plain limits and timings the relay
//! and its fetcher run on, so neither depends on clap or on each other.

use std::{fmt, net::SocketAddr, path::PathBuf, str::FromStr, time::Duration};

use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use base64::Engine;
use clap::Args;

/// Flags of `zai-dash serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "ZAI_DASH_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// A variant to relay, as NAME=URL of its /metrics (repeatable; in the
    /// environment, comma-separated: "production=URL,canary=URL").
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

    /// An origin allowed to call /api/variants and /relay/* from another
    /// site (CORS), e.g. https://dash.example.com (repeatable; in the
    /// environment, comma-separated). None by default: same origin only.
    #[arg(
        long = "allow-origin",
        env = "ZAI_DASH_ALLOW_ORIGINS",
        value_name = "ORIGIN",
        value_delimiter = ',',
        value_parser = parse_origin
    )]
    pub allow_origins: Vec<HeaderValue>,
}

impl ServeConfig {
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

/// One allow-listed upstream: a variant name, the URL of its `/metrics`
/// and the headers (credentials) sent with every request to it.
#[derive(Clone, PartialEq, Eq)]
pub struct VariantSpec {
    /// Name used in `/relay/{name}` and shown in the app.
    pub name: String,
    /// Upstream URL; never exposed by the API or written to logs.
    pub url: reqwest::Url,
    /// Extra request headers, credentials included, all marked sensitive;
    /// empty unless [`VariantSpec::with_credentials`] found some.
    pub headers: HeaderMap,
}

/// Shows the name and the header names only: the URL may carry a
/// password and the header values are credentials.
impl fmt::Debug for VariantSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VariantSpec")
            .field("name", &self.name)
            .field("url", &"<redacted>")
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
    fn env_prefix(&self) -> String {
        format!(
            "ZAI_DASH_{}_",
            self.name.to_ascii_uppercase().replace('-', "_")
        )
    }

    /// This variant with its upstream credentials read through `env`
    /// (`std::env::var` in production), from `<prefix>BEARER_TOKEN`
    /// (`Authorization: Bearer`), `<prefix>BASIC_AUTH` (`user:password`)
    /// and `<prefix>HEADERS` (`Name: value` lines). Errors name the
    /// variable, never its value.
    pub fn with_credentials(
        mut self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, VariantSpecError> {
        let prefix = self.env_prefix();
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
        self.headers = headers;
        Ok(self)
    }
}

/// `value` as a header value hidden from `Debug` (and HPACK indexing).
fn sensitive(value: &str, key: &str) -> Result<HeaderValue, VariantSpecError> {
    let mut value = HeaderValue::from_str(value)
        .map_err(|_| VariantSpecError(format!("{key}: not a valid header value")))?;
    value.set_sensitive(true);
    Ok(value)
}

/// Why a `NAME=URL` argument was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantSpecError(String);

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
        let url = reqwest::Url::parse(url.trim())
            .map_err(|e| VariantSpecError(format!("variant {name}: bad URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(VariantSpecError(format!(
                "variant {name}: URL scheme must be http or https"
            )));
        }
        Ok(VariantSpec {
            name: name.to_owned(),
            url,
            headers: HeaderMap::new(),
        })
    }
}

/// Checks a list of variants for duplicate names, and for names that
/// would share credential variables (`a-b` and `a_b`).
pub fn check_unique(variants: &[VariantSpec]) -> Result<(), VariantSpecError> {
    for (i, v) in variants.iter().enumerate() {
        if let Some(w) = variants[..i]
            .iter()
            .find(|w| w.env_prefix() == v.env_prefix())
        {
            return Err(VariantSpecError(if w.name == v.name {
                format!("variant {} is configured twice", v.name)
            } else {
                format!(
                    "variants {} and {} would share the variables {}*",
                    w.name,
                    v.name,
                    v.env_prefix()
                )
            }));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_variant_is_name_equals_url() {
        let v: VariantSpec = "canary=http://10.0.0.2:8080/metrics".parse().unwrap();
        assert_eq!(v.name, "canary");
        assert_eq!(v.url.as_str(), "http://10.0.0.2:8080/metrics");
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

    #[test]
    fn duplicate_names_are_refused() {
        let a: VariantSpec = "a=http://x/".parse().unwrap();
        let b: VariantSpec = "b=http://y/".parse().unwrap();
        assert!(check_unique(&[a.clone(), b.clone()]).is_ok());
        assert!(check_unique(&[a.clone(), b, a]).is_err());
        let dash: VariantSpec = "eu-1=http://x/".parse().unwrap();
        let underscore: VariantSpec = "eu_1=http://y/".parse().unwrap();
        assert!(check_unique(&[dash, underscore]).is_err());
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
