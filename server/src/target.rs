//! One scrape target (one pod of a variant) and its opaque id.
//!
//! The browser names a target by an id and never learns where it is: the
//! id is the first 12 hex digits of SHA-256 over `variant NUL url`, the
//! URL with the pod's address in it and without any `user:password@`. So
//! an id is the same after a relay restart and on every relay replica, the
//! same pod keeps its id while it keeps its address, and a replaced pod (a
//! new address) is a new target, as it is a new process with new counters.

use std::{fmt, net::IpAddr};

use axum::http::HeaderValue;
use sha2::{Digest, Sha256};

/// Hex digits in a [`TargetId`].
const ID_LEN: usize = 12;

/// A target's opaque, stable id: 12 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TargetId(String);

impl TargetId {
    /// The id of the target at `url` in `variant`.
    pub(crate) fn new(variant: &str, url: &reqwest::Url) -> Self {
        let mut bare = url.clone();
        // Only fails for URLs that cannot carry credentials at all.
        let _ = bare.set_username("");
        let _ = bare.set_password(None);
        TargetId::hashing(variant, bare.as_str())
    }

    /// The id of a Prometheus `instance` of `variant` that is none of the
    /// relay's targets: the same hash over `prometheus-instance:INSTANCE`
    /// in place of a URL, so it is stable too and never equals a target's.
    pub(crate) fn unmatched_instance(variant: &str, instance: &str) -> Self {
        TargetId::hashing(variant, &format!("prometheus-instance:{instance}"))
    }

    /// The first 12 hex digits of SHA-256 over `variant NUL text`.
    fn hashing(variant: &str, text: &str) -> Self {
        let digest = Sha256::new()
            .chain_update(variant.as_bytes())
            .chain_update([0])
            .chain_update(text.as_bytes())
            .finalize();
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        TargetId(hex[..ID_LEN].to_owned())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TargetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where one target is scraped: the URL and, for a discovered pod, the
/// `Host` header naming the host it was discovered under.
#[derive(Clone)]
pub struct Target {
    /// The target's id.
    pub id: TargetId,
    /// The URL scraped; never shown to viewers or written to logs.
    pub url: reqwest::Url,
    /// The `Host` header to send instead of the URL's own, if any.
    pub host: Option<HeaderValue>,
}

/// Shows the id only: the URL may carry a password.
impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target").field("id", &self.id).finish()
    }
}

impl Target {
    /// A configured URL of `variant`.
    pub fn fixed(variant: &str, url: reqwest::Url) -> Self {
        Target {
            id: TargetId::new(variant, &url),
            url,
            host: None,
        }
    }

    /// The pod at `address` found by looking up the host of `template`, a
    /// variant's `dns+` URL without the `dns+`: the same URL with the
    /// address as its host (port, path and query kept), sent with the
    /// original `Host` header, as the Service name would have been.
    pub fn discovered(variant: &str, template: &reqwest::Url, address: IpAddr) -> Self {
        let url = pod_url(template, address, template.port());
        let name = template.host_str().unwrap_or_default();
        let authority = match template.port() {
            Some(port) => format!("{name}:{port}"),
            None => name.to_owned(),
        };
        Target {
            id: TargetId::new(variant, &url),
            host: HeaderValue::try_from(authority).ok(),
            url,
        }
    }
}

/// The URL of the pod at `address` and `port` (`None`: the scheme's
/// default) under `template`, a `dns+` URL without the `dns+`: the
/// template with the address as its host, path and query kept. Discovery
/// and `/history` both name a pod by this URL, so both give it one id.
pub(crate) fn pod_url(template: &reqwest::Url, address: IpAddr, port: Option<u16>) -> reqwest::Url {
    let mut url = template.clone();
    url.set_ip_host(address)
        .expect("an http(s) URL takes an address as its host");
    url.set_port(port).expect("an http(s) URL takes a port");
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> reqwest::Url {
        s.parse().unwrap()
    }

    #[test]
    fn an_id_is_twelve_hex_digits_of_sha256_over_variant_nul_url() {
        // printf 'production\0http://10.0.0.1:8080/metrics' | sha256sum
        let target = Target::fixed("production", url("http://10.0.0.1:8080/metrics"));
        assert_eq!(target.id.as_str(), "dd1cd63d9db1");
        assert!(target.host.is_none());
    }

    #[test]
    fn ids_differ_by_variant_and_address_and_ignore_credentials() {
        let a = Target::fixed("production", url("http://10.0.0.1:8080/metrics"));
        let b = Target::fixed("canary", url("http://10.0.0.1:8080/metrics"));
        let c = Target::fixed("production", url("http://10.0.0.2:8080/metrics"));
        let d = Target::fixed("production", url("http://u:pw@10.0.0.1:8080/metrics"));
        assert_ne!(a.id, b.id);
        assert_ne!(a.id, c.id);
        assert_eq!(a.id, d.id);
        assert!(!format!("{d:?}").contains("10.0.0.1"));
    }

    #[test]
    fn a_discovered_pod_is_its_address_with_the_service_name_as_host() {
        let template = url("http://zai-proxy-headless.devpod.svc:8080/metrics?x=1");
        let v4 = Target::discovered("production", &template, "10.1.2.3".parse().unwrap());
        assert_eq!(v4.url.as_str(), "http://10.1.2.3:8080/metrics?x=1");
        assert_eq!(v4.host.unwrap(), "zai-proxy-headless.devpod.svc:8080");
        assert_eq!(
            v4.id,
            Target::fixed("production", url("http://10.1.2.3:8080/metrics?x=1")).id
        );
        let v6 = Target::discovered(
            "production",
            &url("https://proxy.example/metrics"),
            "fd00::7".parse().unwrap(),
        );
        assert_eq!(v6.url.as_str(), "https://[fd00::7]/metrics");
        assert_eq!(v6.host.unwrap(), "proxy.example");
    }
}
