//! Configuration of `zai-dash serve`: flags with environment fallbacks.
//!
//! Variants are an explicit allow-list of `NAME=URL` pairs. The relay can
//! reach these URLs and nothing else, so names are validated here, once,
//! and URLs are never accepted from a request.

use std::{fmt, net::SocketAddr, path::PathBuf, str::FromStr, time::Duration};

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

    /// How often the app polls each variant, in milliseconds.
    #[arg(long, env = "ZAI_DASH_REFRESH_MS", default_value_t = 5000)]
    pub refresh_ms: u64,

    /// Upstream connect timeout, in milliseconds.
    #[arg(long, env = "ZAI_DASH_CONNECT_TIMEOUT_MS", default_value_t = 1000)]
    pub connect_timeout_ms: u64,

    /// Upstream total timeout (connect, headers and body), in milliseconds;
    /// keep it below the refresh interval.
    #[arg(long, env = "ZAI_DASH_TIMEOUT_MS", default_value_t = 3000)]
    pub timeout_ms: u64,

    /// Largest upstream body relayed, in bytes; the read stops at the cap.
    #[arg(long, env = "ZAI_DASH_MAX_BODY", default_value_t = 16 * 1024 * 1024)]
    pub max_body: usize,
}

impl ServeConfig {
    /// The upstream connect timeout.
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_millis(self.connect_timeout_ms)
    }

    /// The upstream total timeout.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }
}

/// One allow-listed upstream: a variant name and the URL of its `/metrics`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantSpec {
    /// Name used in `/relay/{name}` and shown in the app.
    pub name: String,
    /// Upstream URL; never exposed by the API or written to logs.
    pub url: reqwest::Url,
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
pub const MAX_NAME_LEN: usize = 32;

/// Whether `name` is a valid variant name: 1 to 32 of `[a-z0-9_-]`. The
/// relay looks names up by exact match, so the charset keeps URLs, logs
/// and the UI unambiguous.
pub fn is_valid_name(name: &str) -> bool {
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
        })
    }
}

/// Checks a list of variants for duplicate names.
pub fn check_unique(variants: &[VariantSpec]) -> Result<(), VariantSpecError> {
    for (i, v) in variants.iter().enumerate() {
        if variants[..i].iter().any(|w| w.name == v.name) {
            return Err(VariantSpecError(format!(
                "variant {} is configured twice",
                v.name
            )));
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
    }
}
