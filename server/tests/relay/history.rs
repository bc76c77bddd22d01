//! `GET /history/{variant}` against a real Prometheus (Debian's, installed
//! by `scripts/setup.sh --browser`), started by the test on a loopback
//! port with a temporary TSDB, scraping the test's own pods every second.

use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{SystemTime, UNIX_EPOCH},
};

use serde_json::Value;
use zai_dash_fixtures::prometheus::{Key, Prometheus};

use crate::support::*;

/// The step the test asks for, the bottom of the ladder.
const STEP: i64 = 15_000;

/// A pod whose request counter moves with every scrape, with a gauge and
/// a series the dashboard does not use.
async fn moving_pod() -> Upstream {
    let scrapes = Arc::new(AtomicU64::new(0));
    Upstream::start(move || {
        let n = scrapes.fetch_add(1, Ordering::SeqCst) + 1;
        async move {
            let text = format!(
                "# TYPE zai_proxy_requests_total counter\n\
                 zai_proxy_requests_total{{status_code=\"200\",path=\"/v1/\\\"chat\\\"\"}} {n}\n\
                 # TYPE zai_proxy_concurrent_requests gauge\n\
                 zai_proxy_concurrent_requests 3\n\
                 # TYPE unrelated_total counter\n\
                 unrelated_total 7\n"
            );
            ([("content-type", TEXT)], text)
        }
    })
    .await
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// The last step time at least 2 s old, so no scrape still in flight
/// can land at or before it.
fn settled_step() -> i64 {
    (now_ms() - 2_000).div_euclid(STEP) * STEP
}

#[tokio::test]
async fn history_is_prometheus_raw_series_per_pod_under_the_live_ids() {
    let pods = [moving_pod().await, moving_pod().await];
    let urls: Vec<String> = pods.iter().map(Upstream::url).collect();
    let prometheus = Prometheus::start(&[("production", &[pods[0].addr, pods[1].addr])]).await;
    let relay =
        start_with_prometheus(vec![pods_spec("production", &urls)], &prometheus.url()).await;

    let direct = r#"{__name__=~"zai_proxy_requests_total|zai_proxy_concurrent_requests|unrelated_total",job="production"}"#;
    let (from, to, expected) = prometheus
        .poll("a sample of each pod at a settled step time", || async {
            let to = settled_step();
            let from = to - 4 * STEP;
            let series = prometheus.query_range(direct, from, to, STEP).await;
            let at_to = series
                .iter()
                .filter(|((_, name, _), v)| name == "zai_proxy_requests_total" && !v[4].is_null())
                .count();
            (at_to == 2).then_some((from, to, series))
        })
        .await;

    let body = history(relay, "production", from, to, STEP).await;
    assert_range(&body, "production", from, to, STEP);

    // One target per pod, under the ids /targets gives them.
    let mut live = target_ids(relay, "production").await;
    live.sort();
    assert_eq!(ids(&body), live);

    // Each series' values are Prometheus's own at each step time; the
    // series the dashboard does not use are not asked for.
    let mut answered = BTreeMap::new();
    for target in body["targets"].as_array().unwrap() {
        let pod = pods
            .iter()
            .find(|p| target_id("production", &p.url()) == target["id"])
            .expect("a target is a pod");
        for s in target["series"].as_array().unwrap() {
            let key = (
                pod.addr.to_string(),
                s["name"].as_str().unwrap().to_owned(),
                s["labels"].as_str().unwrap().to_owned(),
            );
            answered.insert(key, s["values"].as_array().unwrap().clone());
        }
    }
    let expected: BTreeMap<Key, Vec<Value>> = expected
        .into_iter()
        .filter(|((_, name, _), _)| name != "unrelated_total")
        .collect();
    assert_eq!(answered, expected);
    assert_eq!(answered.len(), 4, "two series of each pod: {answered:?}");

    // What a viewer may not ask for.
    assert_history_refusals(relay, from, to, STEP).await;
    let (status, body) = get_json(format!(
        "http://{relay}/history/production?from={}&to={to}&step={STEP}",
        to - 11_000 * STEP
    ))
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("at most 11000"),
        "{body}"
    );

    // With Prometheus gone, the cause, and never its address.
    drop(prometheus);
    let (status, body) = get_json(format!(
        "http://{relay}/history/production?from={from}&to={to}&step={STEP}"
    ))
    .await;
    assert_error(status, &body, 502, "production", "Prometheus failed");
    let error = body["error"].as_str().unwrap().to_lowercase();
    assert!(error.contains("connect"), "{error}");
}

#[tokio::test]
async fn without_prometheus_there_is_no_history() {
    let pod = Upstream::metrics().await;
    let relay = relay_to("production", &pod.url()).await;
    let to = settled_step();
    let (status, body) = get_json(format!(
        "http://{relay}/history/production?from={}&to={to}&step={STEP}",
        to - STEP
    ))
    .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(
        body,
        serde_json::json!({"error": "no history: the relay has no --prometheus"})
    );
    assert_eq!(pod.hits.get(), 0);
}
