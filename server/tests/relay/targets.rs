//! A variant is a set of targets, the pods of one deployment, each relayed
//! on its own under an opaque id: listed by `/targets/{variant}`, relayed
//! by `/relay/{variant}/{id}`, coalesced and checked for readiness one by
//! one.

use std::time::Duration;

use axum::http::StatusCode;
use zai_dash_server::config::Settings;

use crate::support::*;

/// What the first, second and third pod answer.
const POD_TEXTS: [&str; 3] = [
    "# TYPE zai_proxy_requests_total counter\nzai_proxy_requests_total{status_code=\"200\"} 1\n",
    "# TYPE zai_proxy_requests_total counter\nzai_proxy_requests_total{status_code=\"200\"} 2\n",
    "# TYPE zai_proxy_requests_total counter\nzai_proxy_requests_total{status_code=\"200\"} 3\n",
];

/// `n` upstreams on their own ports, answering [`POD_TEXTS`] in order.
async fn upstreams(n: usize) -> Vec<Upstream> {
    let mut pods = Vec::with_capacity(n);
    for text in &POD_TEXTS[..n] {
        pods.push(Upstream::answering(text).await);
    }
    pods
}

/// The URLs of `pods`.
fn urls(pods: &[Upstream]) -> Vec<String> {
    pods.iter().map(Upstream::url).collect()
}

#[tokio::test]
async fn each_pod_of_a_variant_is_listed_and_relayed_under_its_own_id() {
    for n in [2, 3] {
        let pods = upstreams(n).await;
        let relay = start_relay(vec![pods_spec("production", &urls(&pods))], settings()).await;

        let ids = target_ids(relay, "production").await;
        let expected: Vec<String> = pods
            .iter()
            .map(|p| target_id("production", &p.url()))
            .collect();
        assert_eq!(ids, expected, "configuration order");
        assert_eq!(pods.iter().map(|p| p.hits.get()).sum::<usize>(), 0);

        for (i, id) in ids.iter().enumerate() {
            let (status, _, body) = get(format!("http://{relay}/relay/production/{id}")).await;
            assert_eq!(status, 200, "{body}");
            assert_eq!(body, POD_TEXTS[i], "target {i} is relayed from pod {i}");
            assert_eq!(pods[i].hits.get(), 1);
        }
    }
}

#[tokio::test]
async fn the_variant_alone_is_409_when_it_has_several_targets() {
    let pods = upstreams(2).await;
    let relay = start_relay(vec![pods_spec("production", &urls(&pods))], settings()).await;

    let (status, headers, text) = get(format!("http://{relay}/relay/production")).await;
    assert_eq!(status, 409, "{text}");
    assert_eq!(headers["cache-control"], "no-store");
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "error": "production has 2 targets: GET /targets/production lists them",
            "variant": "production"
        })
    );
    assert_eq!(pods[0].hits.get() + pods[1].hits.get(), 0);
}

#[tokio::test]
async fn an_unknown_id_is_404_never_echoed_and_reaches_no_pod() {
    let pods = upstreams(2).await;
    let relay = start_relay(vec![pods_spec("production", &urls(&pods))], settings()).await;
    let ids = target_ids(relay, "production").await;
    let other_variants_id = target_id("canary", &pods[0].url());

    for unknown in ["0123456789ab", "ffffffffffff", other_variants_id.as_str()] {
        assert!(!ids.contains(&unknown.to_owned()));
        let (status, _, text) = get(format!("http://{relay}/relay/production/{unknown}")).await;
        assert_eq!(status, 404);
        assert_eq!(
            text,
            r#"{"error":"production: unknown target","variant":"production"}"#
        );
    }
    assert_eq!(pods[0].hits.get() + pods[1].hits.get(), 0);
    let (status, body) = get_json(format!("http://{relay}/targets/canary")).await;
    assert_eq!(status, 404);
    assert_eq!(body, serde_json::json!({"error": "unknown variant"}));
}

#[tokio::test]
async fn many_viewers_of_each_target_cost_each_pod_one_scrape() {
    let pods = upstreams(3).await;
    let reusing = Settings {
        coalesce: Duration::from_secs(60),
        ..settings()
    };
    let relay = start_relay(vec![pods_spec("production", &urls(&pods))], reusing).await;
    let ids = target_ids(relay, "production").await;

    let viewers: Vec<_> = (0..150)
        .map(|i| {
            let url = format!("http://{relay}/relay/production/{}", ids[i % 3]);
            tokio::spawn(async move { (i % 3, get(url).await) })
        })
        .collect();
    let mut scraped_at = vec![Vec::new(); 3];
    for viewer in viewers {
        let (pod, (status, headers, body)) = viewer.await.unwrap();
        assert_eq!(status, 200);
        assert_eq!(body, POD_TEXTS[pod]);
        scraped_at[pod].push(headers["x-scrape-timestamp-ms"].clone());
    }
    for (pod, upstream) in pods.iter().enumerate() {
        assert_eq!(upstream.hits.get(), 1, "pod {pod}");
        let stamps = &scraped_at[pod];
        assert!(stamps.iter().all(|t| *t == stamps[0]), "one scrape per pod");
    }
}

#[tokio::test]
async fn one_pod_down_makes_readyz_503_and_names_it() {
    let good = Upstream::metrics().await;
    let down = Upstream::start(|| async { StatusCode::SERVICE_UNAVAILABLE }).await;
    let relay = start_relay(
        vec![pods_spec("production", &[good.url(), down.url()])],
        settings(),
    )
    .await;
    let ids = target_ids(relay, "production").await;

    let (status, body) = get_json(format!("http://{relay}/readyz")).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["ready"], false);
    let production = &body["variants"][0];
    assert_eq!(production["name"], "production");
    assert_eq!(production["ready"], false);
    assert_eq!(production["up"], 1);
    assert_eq!(production["total"], 2);
    let targets = production["targets"].as_array().unwrap();
    assert_eq!(targets[0]["id"], ids[0].as_str());
    assert_eq!(targets[0]["ready"], true);
    assert!(targets[0]["last_ok_ms_ago"].is_u64(), "{body}");
    assert_eq!(targets[1]["id"], ids[1].as_str());
    assert_eq!(targets[1]["ready"], false);
    assert_eq!(
        targets[1]["error"],
        "production: upstream answered HTTP 503"
    );
    assert!(targets[1].get("last_ok_ms_ago").is_none(), "{body}");
}

#[tokio::test]
async fn an_upstream_error_names_the_target_by_its_id() {
    let good = Upstream::metrics().await;
    let down = Upstream::start(|| async { StatusCode::INTERNAL_SERVER_ERROR }).await;
    let relay = start_relay(
        vec![pods_spec("production", &[good.url(), down.url()])],
        settings(),
    )
    .await;
    let id = target_id("production", &down.url());

    let (status, body) = get_json(format!("http://{relay}/relay/production/{id}")).await;
    assert_error(
        status,
        &body,
        502,
        "production",
        "upstream answered HTTP 500",
    );
    assert_eq!(body["target"], id.as_str());
    assert_eq!(body["upstream_status"], 500);
    assert_eq!(good.hits.get(), 0, "the other pod is not scraped");
}

#[tokio::test]
async fn serve_refuses_a_dns_url_beside_another_url_of_its_variant() {
    let refused = serve_refused(&[
        "--variant",
        "production=dns+http://zai-proxy-headless.test:8080/metrics",
        "--variant",
        "production=http://127.0.0.1:9/metrics",
    ])
    .await;
    assert_eq!(
        refused,
        "variant production: a dns+ URL must be the variant's only URL \
         (its targets are the addresses the name resolves to)"
    );
}
