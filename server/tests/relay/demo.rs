//! `serve --demo` runs each simulated variant as a set of pods, like the
//! real deployment (production 2, canary 1, or `--demo-replicas`), relays
//! each pod as its own target, and also answers a load-balanced URL that
//! goes round the pods, as a Kubernetes Service does. Its pods have been
//! running for a day, and `/history` answers from that past as it would
//! from Prometheus: same route, checks and answer, the same ids as live,
//! and the same processes, so history ends where live polling begins.

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    time::{SystemTime, UNIX_EPOCH},
};

use serde_json::Value;
use zai_dash_engine::parse::parse;

use crate::support::*;

/// `zai-dash serve --demo ARGS` on a free loopback port.
async fn demo(args: &[&str]) -> SocketAddr {
    start_serve(&[&["--demo"], args].concat()).await
}

/// The value of the unlabelled sample `name` in `text`.
fn value(text: &str, name: &str) -> f64 {
    let scrape = parse(text);
    scrape
        .samples
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no {name} in {text}"))
        .value
}

/// `process_start_time_seconds` of the exposition at `path`.
async fn started(relay: SocketAddr, path: &str) -> f64 {
    let (status, _, text) = get(format!("http://{relay}{path}")).await;
    assert_eq!(status, 200, "{path}: {text}");
    value(&text, "process_start_time_seconds")
}

#[tokio::test]
async fn each_simulated_pod_is_a_target_of_its_variant() {
    let relay = demo(&[]).await;
    let production = target_ids(relay, "production").await;
    let canary = target_ids(relay, "canary").await;
    assert_eq!((production.len(), canary.len()), (2, 1));

    for id in &production {
        let (status, _, text) = get(format!("http://{relay}/relay/production/{id}")).await;
        assert_eq!(status, 200, "{text}");
        let scrape = parse(&text);
        assert!(scrape.errors.is_empty(), "{:?}", scrape.errors);
        let build = scrape
            .samples
            .iter()
            .find(|s| s.name == "zai_proxy_build_info")
            .expect("build info");
        assert!(build.labels.get("version").is_some() && build.labels.get("commit").is_some());
        assert!(value(&text, "process_start_time_seconds") > 1.7e9);
    }
    let (status, body) = get_json(format!("http://{relay}/relay/production")).await;
    assert_eq!(status, 409, "{body}");
    let (status, _, _) = get(format!("http://{relay}/relay/canary")).await;
    assert_eq!(status, 200, "a variant of one pod needs no id");
}

#[tokio::test]
async fn demo_replicas_sets_the_pods_of_every_variant() {
    let relay = demo(&["--demo-replicas", "3"]).await;
    assert_eq!(target_ids(relay, "production").await.len(), 3);
    assert_eq!(target_ids(relay, "canary").await.len(), 3);
    let (status, _, _) = get(format!("http://{relay}/demo/canary/3/metrics")).await;
    assert_eq!(status, 404, "pods are numbered from 0");
}

#[tokio::test]
async fn the_load_balanced_demo_url_goes_round_the_pods() {
    let relay = demo(&[]).await;
    let pods = [
        started(relay, "/demo/production/0/metrics").await,
        started(relay, "/demo/production/1/metrics").await,
    ];
    assert_ne!(pods[0], pods[1], "each pod is its own process");

    let mut answers = Vec::new();
    for _ in 0..4 {
        answers.push(started(relay, "/demo/production/metrics").await);
    }
    // Two processes in turn: every answer comes from the other pod than
    // the one before (a pod restarting meanwhile only gets a new time).
    for pair in answers.windows(2) {
        assert_ne!(pair[0], pair[1], "{answers:?}");
    }
    assert!(
        answers.iter().any(|a| pods.contains(a)),
        "{answers:?} vs {pods:?}"
    );
}

/// The bottom of the ladder of steps: the demo's sampling interval.
const STEP: i64 = 15_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// The last multiple of `step` before now.
fn last_step(step: i64) -> i64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    now.div_euclid(step) * step
}

/// A target's series by name and labels.
fn series(target: &Value) -> BTreeMap<(String, String), Vec<Option<f64>>> {
    target["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let key = (
                s["name"].as_str().unwrap().to_owned(),
                s["labels"].as_str().unwrap().to_owned(),
            );
            let values = s["values"].as_array().unwrap().iter().map(Value::as_f64);
            (key, values.collect())
        })
        .collect()
}

/// Whether a sample name is a counter's (or a histogram's cumulative part).
fn is_counter(name: &str) -> bool {
    ["_total", "_bucket", "_sum", "_count"]
        .iter()
        .any(|suffix| name.ends_with(suffix))
}

#[tokio::test]
async fn the_demo_has_a_day_of_past_per_pod_under_the_live_ids() {
    let relay = demo(&[]).await;
    let to = last_step(STEP);
    let from = to - HOUR;
    let body = history(relay, "production", from, to, STEP).await;
    assert_range(&body, "production", from, to, STEP);
    let mut live = target_ids(relay, "production").await;
    live.sort();
    assert_eq!(ids(&body), live);

    for target in body["targets"].as_array().unwrap() {
        let pod = (0..2)
            .find(|pod| {
                let url = format!("http://{relay}/demo/production/{pod}/metrics");
                target_id("production", &url) == target["id"]
            })
            .expect("a target is a pod");
        let past = series(target);
        let start_key = ("process_start_time_seconds".to_owned(), String::new());
        let starts = &past[&start_key];
        assert!(
            starts.iter().all(Option::is_some),
            "the pod ran all hour: {starts:?}"
        );

        // Counters only grow while the process lives.
        for ((name, labels), values) in past.iter().filter(|((n, _), _)| is_counter(n)) {
            for i in 1..values.len() {
                if let (Some(before), Some(after)) = (values[i - 1], values[i])
                    && starts[i - 1] == starts[i]
                {
                    assert!(
                        before <= after,
                        "{name}{{{labels}}} fell at {i}: {values:?}"
                    );
                }
            }
        }

        // Live goes on from where history ends: the same process, later.
        let (status, _, text) = get(format!("http://{relay}/demo/production/{pod}/metrics")).await;
        assert_eq!(status, 200);
        let now = parse(&text);
        let live_start = value(&text, "process_start_time_seconds");
        let last_start = starts.last().unwrap().unwrap();
        if live_start != last_start {
            assert!(live_start > last_start, "a restart since, not before");
            continue;
        }
        let requests: f64 = now
            .samples
            .iter()
            .filter(|s| s.name == "zai_proxy_requests_total")
            .map(|s| s.value)
            .sum();
        let requests_then: f64 = past
            .iter()
            .filter(|((name, _), _)| name == "zai_proxy_requests_total")
            .filter_map(|(_, values)| *values.last().unwrap())
            .sum();
        assert!(requests_then > 0.0, "the past has traffic");
        assert!(
            requests_then <= requests,
            "history {requests_then} > live {requests}"
        );
    }
}

#[tokio::test]
async fn demo_replicas_gives_the_past_as_many_pods() {
    let relay = demo(&["--demo-replicas", "3"]).await;
    let to = last_step(STEP);
    let body = history(relay, "production", to - HOUR, to, STEP).await;
    let mut live = target_ids(relay, "production").await;
    live.sort();
    assert_eq!(live.len(), 3);
    assert_eq!(ids(&body), live);
}

#[tokio::test]
async fn a_coarse_step_takes_the_sample_at_each_step_time() {
    let relay = demo(&[]).await;
    let to = last_step(HOUR) - HOUR;
    let from = to - 2 * HOUR;
    let fine = history(relay, "canary", from, to, STEP).await;
    let coarse = history(relay, "canary", from, to, 5 * 60_000).await;
    assert_eq!(ids(&fine), ids(&coarse));
    let (fine, coarse) = (series(&fine["targets"][0]), series(&coarse["targets"][0]));
    assert!(coarse.len() > 50, "{} series", coarse.len());
    for (key, values) in &coarse {
        let every_twentieth: Vec<_> = fine
            .get(key)
            .map(|v| v.iter().step_by(20).copied().collect())
            .unwrap_or_default();
        assert_eq!(values, &every_twentieth, "{key:?}");
    }
}

#[tokio::test]
async fn the_demo_refuses_what_prometheus_would_and_keeps_a_day() {
    let relay = demo(&[]).await;
    let to = last_step(STEP);
    assert_history_refusals(relay, to - HOUR, to, STEP).await;

    // A range reaching further back is clamped to the day kept (so no
    // range ever has more than 11,000 points: a day at 15 s is 5,761).
    let to = last_step(HOUR);
    let body = history(relay, "canary", to - 2 * DAY, to, HOUR).await;
    let from = body["from"].as_i64().unwrap();
    assert!((to - DAY..=to - DAY + HOUR).contains(&from), "{body}");
    let (status, body) = get_json(format!(
        "http://{relay}/history/canary?from={}&to={}&step={HOUR}",
        to - 3 * DAY,
        to - 2 * DAY
    ))
    .await;
    assert_eq!(status, 400, "{body}");
}
