//! `dns+http://` variants: the host is looked up on every scrape round (a
//! headless Service answers one address per ready pod), each address is a
//! target, and nothing about the cluster (addresses, ports, host names)
//! ever reaches the browser.

use std::{net::SocketAddr, time::Duration};

use axum::http::HeaderMap;
use zai_dash_server::config::{Settings, VariantSpec};

use crate::support::*;

/// The headless Service's name.
const HOST: &str = "zai-proxy-headless.devpod.test";

/// What the first, second and third pod answer.
const POD_TEXTS: [&str; 3] = [
    "# TYPE zai_proxy_requests_total counter\nzai_proxy_requests_total{status_code=\"200\"} 1\n",
    "# TYPE zai_proxy_requests_total counter\nzai_proxy_requests_total{status_code=\"200\"} 2\n",
    "# TYPE zai_proxy_requests_total counter\nzai_proxy_requests_total{status_code=\"200\"} 3\n",
];

/// Variant `production` discovered through [`HOST`] on `port`.
fn headless(port: u16) -> VariantSpec {
    spec("production", &format!("dns+http://{HOST}:{port}/metrics"))
}

/// The URL the pod at `pod_ip(n)` is scraped at.
fn pod_url(n: usize, port: u16) -> String {
    format!("http://{}:{port}/metrics", pod_ip(n))
}

/// The ids of the pods `ns` on `port`, sorted as `/targets` lists them.
fn sorted_ids(ns: &[usize], port: u16) -> Vec<String> {
    let mut ids: Vec<String> = ns
        .iter()
        .map(|&n| target_id("production", &pod_url(n, port)))
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn each_address_is_a_target_reaching_its_own_pod_with_the_service_host() {
    let pods = Upstream::pods(&POD_TEXTS[..2]).await;
    let port = pods[0].addr.port();
    let dns = FakeDns::answering(&[pod_ip(0), pod_ip(1)]);
    let relay = start_resolving(vec![headless(port)], settings(), &dns).await;

    let ids = target_ids(relay, "production").await;
    assert_eq!(ids, sorted_ids(&[0, 1], port), "sorted by id");
    assert!(dns.asked().iter().all(|host| host == HOST));

    for (n, pod) in pods.iter().enumerate() {
        let id = target_id("production", &pod_url(n, port));
        let (status, _, body) = get(format!("http://{relay}/relay/production/{id}")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body, POD_TEXTS[n]);
        assert_eq!(pod.hits.get(), 1);
        let (path, headers) = pod.last_request();
        assert_eq!(path, "/metrics");
        assert_eq!(headers["host"], format!("{HOST}:{port}").as_str());
    }

    let (_, variants) = get_json(format!("http://{relay}/api/variants")).await;
    let production = &variants["variants"][0];
    assert_eq!(production["discovery"], "dns");
    let listed: Vec<&str> = production["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ids);
    assert!(production.get("error").is_none());
}

#[tokio::test]
async fn a_replaced_pod_is_a_new_target_and_its_old_id_is_gone() {
    let pods = Upstream::pods(&POD_TEXTS).await;
    let port = pods[0].addr.port();
    let dns = FakeDns::answering(&[pod_ip(0), pod_ip(1)]);
    let relay = start_resolving(vec![headless(port)], settings(), &dns).await;
    assert_eq!(
        target_ids(relay, "production").await,
        sorted_ids(&[0, 1], port)
    );

    // The second pod is replaced by a third, at a new address.
    dns.answer(&[pod_ip(0), pod_ip(2)]);
    assert_eq!(
        target_ids(relay, "production").await,
        sorted_ids(&[0, 2], port)
    );

    let gone = target_id("production", &pod_url(1, port));
    let (status, body) = get_json(format!("http://{relay}/relay/production/{gone}")).await;
    assert_eq!(status, 404, "{body}");
    let new = target_id("production", &pod_url(2, port));
    let (status, _, text) = get(format!("http://{relay}/relay/production/{new}")).await;
    assert_eq!(status, 200);
    assert_eq!(text, POD_TEXTS[2]);
    assert_eq!(pods[1].hits.get(), 0);
}

#[tokio::test]
async fn a_variant_that_resolves_to_one_pod_answers_without_an_id() {
    let pods = Upstream::pods(&POD_TEXTS[..1]).await;
    let dns = FakeDns::answering(&[pod_ip(0)]);
    let relay = start_resolving(vec![headless(pods[0].addr.port())], settings(), &dns).await;

    let (status, _, body) = get(format!("http://{relay}/relay/production")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, POD_TEXTS[0]);
}

#[tokio::test]
async fn a_name_with_no_address_or_no_answer_is_a_clear_502_everywhere() {
    let dns = FakeDns::answering(&[]);
    let relay = start_resolving(vec![headless(8080)], settings(), &dns).await;
    for (error, make_it_so) in [
        ("production: DNS discovery found no address", None),
        (
            "production: DNS discovery failed: failed to look up <host>: no such name",
            Some(()),
        ),
    ] {
        if make_it_so.is_some() {
            dns.fail();
        }
        let expected = serde_json::json!({"error": error, "variant": "production"});
        for path in [
            "/targets/production",
            "/relay/production",
            "/relay/production/0123456789ab",
        ] {
            let (status, body) = get_json(format!("http://{relay}{path}")).await;
            assert_eq!(status, 502, "{path}: {body}");
            assert_eq!(body, expected, "{path}");
        }

        let (status, variants) = get_json(format!("http://{relay}/api/variants")).await;
        assert_eq!(status, 200);
        assert_eq!(
            variants["variants"][0],
            serde_json::json!({"name": "production", "discovery": "dns", "targets": [], "error": error})
        );

        let (status, ready) = get_json(format!("http://{relay}/readyz")).await;
        assert_eq!(status, 503);
        assert_eq!(
            ready["variants"][0],
            serde_json::json!({
                "name": "production", "ready": false, "up": 0, "total": 0,
                "targets": [], "error": error
            })
        );
    }
}

#[tokio::test]
async fn lookups_are_shared_by_concurrent_and_recent_requests() {
    let pods = Upstream::pods(&POD_TEXTS[..2]).await;
    let dns = FakeDns::answering(&[pod_ip(0), pod_ip(1)]);
    let reusing = Settings {
        coalesce: Duration::from_secs(60),
        ..settings()
    };
    let relay = start_resolving(vec![headless(pods[0].addr.port())], reusing, &dns).await;

    let viewers: Vec<_> = (0..50)
        .map(|_| tokio::spawn(get_json(format!("http://{relay}/targets/production"))))
        .collect();
    for viewer in viewers {
        let (status, body) = viewer.await.unwrap();
        assert_eq!(status, 200, "{body}");
    }
    get(format!("http://{relay}/api/variants")).await;
    get(format!("http://{relay}/readyz")).await;
    assert_eq!(dns.lookups.get(), 1);
}

#[tokio::test]
async fn without_reuse_every_round_looks_the_name_up_again() {
    let pods = Upstream::pods(&POD_TEXTS[..1]).await;
    let dns = FakeDns::answering(&[pod_ip(0)]);
    let relay = start_resolving(vec![headless(pods[0].addr.port())], settings(), &dns).await;
    for round in 1..=3 {
        get(format!("http://{relay}/relay/production")).await;
        assert_eq!(dns.lookups.get(), round);
    }
}

/// Every answer to `paths`, status line, headers and body, as one text.
async fn everything_answered(relay: SocketAddr, paths: &[String]) -> String {
    let mut seen = String::new();
    for path in paths {
        let (status, headers, body) = get(format!("http://{relay}{path}")).await;
        seen.push_str(&format!("{path} {status}\n{}{body}\n", shown(&headers)));
    }
    seen
}

/// Headers as `name: value` lines.
fn shown(headers: &HeaderMap) -> String {
    headers
        .iter()
        .map(|(name, value)| format!("{name}: {}\n", value.to_str().unwrap_or("<bytes>")))
        .collect()
}

#[tokio::test]
async fn no_address_port_url_or_host_name_ever_reaches_the_browser() {
    // Two pods answer; the third address has nothing listening.
    let pods = Upstream::pods(&POD_TEXTS[..2]).await;
    let port = pods[0].addr.port();
    let dns = FakeDns::answering(&[pod_ip(0), pod_ip(1), pod_ip(2)]);
    let canary = Upstream::metrics().await;
    let canary_url = format!("http://user:pw-in-url@{}/metrics", canary.addr);
    let relay = start_resolving(
        vec![headless(port), spec("canary", &canary_url)],
        settings(),
        &dns,
    )
    .await;

    let ids = target_ids(relay, "production").await;
    let mut paths: Vec<String> = [
        "/api/variants",
        "/targets/production",
        "/targets/canary",
        "/readyz",
        "/relay/production",
        "/relay/canary",
        "/relay/production/0123456789ab",
    ]
    .map(str::to_owned)
    .to_vec();
    paths.extend(ids.iter().map(|id| format!("/relay/production/{id}")));
    let healthy = everything_answered(relay, &paths).await;
    assert!(
        healthy.contains(" 502\n"),
        "the third pod is down: {healthy}"
    );
    dns.fail();
    let failing = everything_answered(relay, &paths).await;
    dns.answer(&[]);
    let empty = everything_answered(relay, &paths).await;

    for seen in [healthy, failing, empty] {
        for secret in [
            "127.0.0.",
            &format!(":{port}"),
            &format!(":{}", canary.addr.port()),
            "zai-proxy-headless",
            "devpod",
            "pw-in-url",
            "http://",
        ] {
            assert!(!seen.contains(secret), "{secret:?} in:\n{seen}");
        }
    }
}
