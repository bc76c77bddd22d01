//! DNS discovery of a variant's targets, as Prometheus's DNS service
//! discovery does it: the host of a `dns+http://` URL is looked up, and
//! each address it has is one target. A Kubernetes headless Service
//! answers with one address per ready pod, so the relay scrapes every pod
//! on its own instead of whichever one a Service would pick.
//!
//! The lookup goes through [`Resolve`], the system resolver by default, so
//! tests can answer with loopback addresses of their own. Looking up
//! nothing is an error, never an empty set of targets that would look
//! healthy; and the message a viewer sees never names the host.

use std::{fmt, future::Future, io, net::IpAddr, pin::Pin};

use crate::target::Target;

/// The future a [`Resolve`] returns.
pub type Resolving<'a> = Pin<Box<dyn Future<Output = io::Result<Vec<IpAddr>>> + Send + 'a>>;

/// Looks up the addresses of a host name.
///
/// [`SystemResolver`] is the default; a test passes its own to
/// [`Relay::with_resolver`](crate::Relay::with_resolver), for instance a
/// closure `|host: &str| Ok(vec![...])` (any `Fn(&str) ->
/// io::Result<Vec<IpAddr>>` is a resolver).
pub trait Resolve: Send + Sync + 'static {
    /// Every address (A and AAAA) `host` has now, in any order.
    fn resolve<'a>(&'a self, host: &'a str) -> Resolving<'a>;
}

/// The operating system's resolver (`getaddrinfo`, through
/// `tokio::net::lookup_host`), as used for every other host name.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve<'a>(&'a self, host: &'a str) -> Resolving<'a> {
        Box::pin(async move {
            let addrs = tokio::net::lookup_host((host, 0)).await?;
            Ok(addrs.map(|a| a.ip()).collect())
        })
    }
}

impl<F> Resolve for F
where
    F: Fn(&str) -> io::Result<Vec<IpAddr>> + Send + Sync + 'static,
{
    fn resolve<'a>(&'a self, host: &'a str) -> Resolving<'a> {
        Box::pin(std::future::ready(self(host)))
    }
}

/// Why a variant's targets could not be discovered. Worded without the
/// host name, which is the cluster's business, not the viewer's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiscoveryError {
    /// The lookup answered, with no address: no pod is ready.
    NoAddress,
    /// The lookup failed (no such name, no DNS server, ...).
    LookupFailed {
        /// The resolver's error, with the host name taken out.
        detail: String,
    },
}

impl fmt::Display for DiscoveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DiscoveryError::NoAddress => f.write_str("DNS discovery found no address"),
            DiscoveryError::LookupFailed { detail } => {
                write!(f, "DNS discovery failed: {detail}")
            }
        }
    }
}

impl std::error::Error for DiscoveryError {}

/// The targets of `variant` now: one per distinct address of the host of
/// `template` (a `dns+` URL without the `dns+`), sorted by id.
pub async fn discover(
    resolver: &dyn Resolve,
    variant: &str,
    template: &reqwest::Url,
) -> Result<Vec<Target>, DiscoveryError> {
    let host = template.host_str().unwrap_or_default();
    let mut addresses = resolver
        .resolve(host)
        .await
        .map_err(|e| DiscoveryError::LookupFailed {
            detail: e.to_string().replace(host, "<host>"),
        })?;
    addresses.sort_unstable();
    addresses.dedup();
    if addresses.is_empty() {
        return Err(DiscoveryError::NoAddress);
    }
    let mut targets: Vec<Target> = addresses
        .into_iter()
        .map(|address| Target::discovered(variant, template, address))
        .collect();
    targets.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(targets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template() -> reqwest::Url {
        "http://pods.test:8080/metrics".parse().unwrap()
    }

    #[tokio::test]
    async fn each_distinct_address_is_one_target_sorted_by_id() {
        let resolver = |host: &str| {
            assert_eq!(host, "pods.test");
            Ok(["10.0.0.2", "10.0.0.1", "10.0.0.2"]
                .map(|a| a.parse().unwrap())
                .to_vec())
        };
        let targets = discover(&resolver, "production", &template())
            .await
            .unwrap();
        assert_eq!(targets.len(), 2);
        assert!(targets[0].id < targets[1].id);
    }

    #[tokio::test]
    async fn no_address_or_a_failed_lookup_is_an_error_that_hides_the_host() {
        let none = |_: &str| Ok(Vec::new());
        assert_eq!(
            discover(&none, "production", &template())
                .await
                .unwrap_err(),
            DiscoveryError::NoAddress
        );
        let failing = |host: &str| Err(io::Error::other(format!("{host}: no such name")));
        let err = discover(&failing, "production", &template())
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "DNS discovery failed: <host>: no such name"
        );
    }

    #[tokio::test]
    async fn the_system_resolver_finds_localhost() {
        let addresses = SystemResolver.resolve("localhost").await.unwrap();
        assert!(addresses.iter().all(IpAddr::is_loopback), "{addresses:?}");
        assert!(!addresses.is_empty());
    }
}
