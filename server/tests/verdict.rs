//! `zai-dash verdict` as a deploy gate runs it: the real binary against
//! real loopback upstreams (and a real relay), checked on its exit code,
//! its table and its `--json`.
//!
//! Each upstream answers its n-th scrape with a scripted exposition whose
//! counters have grown by exactly n steps, so every interval between two
//! scrape rounds holds the same traffic however the rounds are timed:
//! the verdicts do not depend on the machine's speed.

use std::{
    net::SocketAddr,
    path::Path,
    process::{Command, Output},
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    },
    time::Duration,
};

use axum::{Router, routing::get};
use serde_json::Value;
use zai_dash_server::{AppState, Relay, app, config::Settings};

/// What one step (one scrape interval) of a scripted proxy serves.
#[derive(Clone, Copy)]
struct Step {
    /// Requests per step.
    requests: u32,
    /// How many of them are 5xx.
    errors: u32,
    /// Every request's duration falls in the bucket ending here (s).
    latency_le: f64,
    /// Input tokens per request (model `m`); 0 exports no token series.
    tokens: u32,
}

const HEALTHY: Step = Step {
    requests: 20,
    errors: 0,
    latency_le: 1.0,
    tokens: 0,
};

/// The exposition after `n` steps of `step`.
fn exposition(step: Step, n: u32) -> String {
    let (all, failed) = (step.requests * n, step.errors * n);
    let ok = all - failed;
    let mut text = format!(
        "zai_proxy_requests_total{{status_code=\"200\"}} {ok}\n\
         zai_proxy_requests_total{{status_code=\"500\"}} {failed}\n"
    );
    for le in [0.5, 1.0, 2.5] {
        let count = if le >= step.latency_le { all } else { 0 };
        text += &format!("zai_proxy_request_duration_seconds_bucket{{le=\"{le}\"}} {count}\n");
    }
    text += &format!(
        "zai_proxy_request_duration_seconds_bucket{{le=\"+Inf\"}} {all}\n\
         zai_proxy_request_duration_seconds_count {all}\n"
    );
    if step.tokens > 0 {
        text += &format!(
            "zai_proxy_tokens_total{{direction=\"input\",model=\"m\"}} {}\n",
            step.tokens * all
        );
    }
    text
}

/// A proxy on a loopback port whose n-th `/metrics` is [`exposition`] of
/// `step` after n steps. It runs on its own thread until the test ends.
fn upstream(step: Step) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let scrapes = Arc::new(AtomicU32::new(0));
    let router = Router::new().route(
        "/metrics",
        get(move || {
            let n = scrapes.fetch_add(1, Ordering::SeqCst);
            async move { exposition(step, n) }
        }),
    );
    background(listener, router);
    format!("http://{addr}/metrics")
}

/// Serves `router` on `listener` from a thread with its own runtime.
fn background(listener: std::net::TcpListener, router: Router) {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, router).await.unwrap();
        });
    });
}

/// A real relay for `production` and `canary` (several pods each), with
/// no answer reused between rounds.
fn relay(production: &[String], canary: &[String]) -> String {
    let flags: Vec<_> = production
        .iter()
        .map(|u| format!("production={u}"))
        .chain(canary.iter().map(|u| format!("canary={u}")))
        .map(|s| s.parse().unwrap())
        .collect();
    let settings = Settings {
        refresh: Duration::from_secs(5),
        connect_timeout: Duration::from_millis(500),
        timeout: Duration::from_secs(2),
        max_body: 1 << 20,
        coalesce: Duration::ZERO,
    };
    let variants = zai_dash_server::config::merge(flags).unwrap();
    let state = AppState {
        relay: Arc::new(Relay::new(variants, settings)),
        allow_origins: Vec::new(),
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    background(listener, app(state, Path::new("/nonexistent")));
    format!("http://{addr}")
}

/// Runs `zai-dash verdict` for 2 s, a round every 40 ms (51 rounds, 50
/// intervals), needing 30 samples (a flag may override it), with `args`
/// added.
fn verdict(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zai-dash"))
        .args([
            "verdict",
            "--duration",
            "2s",
            "--interval",
            "40ms",
            "--settings",
            "min:30",
        ])
        .args(args)
        .output()
        .expect("the binary runs")
}

fn direct(production: Step, canary: Step, extra: &[&str]) -> Output {
    let (p, c) = (upstream(production), upstream(canary));
    let mut args = vec!["--production", &p, "--canary", &c];
    args.extend(extra);
    verdict(&args)
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn metric<'a>(report: &'a Value, key: &str) -> &'a Value {
    report["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == key)
        .unwrap_or_else(|| panic!("{key} in {report}"))
}

#[test]
fn an_identical_canary_passes_with_exit_0() {
    let out = direct(HEALTHY, HEALTHY, &[]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.starts_with("canary verdict: PASS (score 100;"),
        "{table}"
    );
    assert!(table.contains("latency p50"), "{table}");
}

#[test]
fn a_canary_with_more_errors_and_latency_fails_with_exit_1_and_says_why() {
    let worse = Step {
        errors: 5,
        latency_le: 2.5,
        ..HEALTHY
    };
    let out = direct(HEALTHY, worse, &["--json"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let report = json(&out);
    assert_eq!(report["version"], 1);
    assert_eq!(report["outcome"], "fail");
    assert_eq!(report["failed_critical"], serde_json::json!(["error_rate"]));
    let errors = metric(&report, "error_rate");
    assert_eq!(errors["class"], "high");
    assert_eq!(errors["critical"], true);
    assert_eq!(errors["production"]["median"], 0.0);
    assert_eq!(errors["canary"]["median"], 0.25);
    assert_eq!(errors["shift"]["estimate"], 0.25);
    let p50 = metric(&report, "p50");
    assert_eq!(p50["class"], "high");
    assert_eq!(
        (
            p50["production"]["median"].clone(),
            p50["canary"]["median"].clone()
        ),
        (750.0.into(), 1750.0.into())
    );
    // No token series at all: no data, with the reason, never a failure.
    let tokens = metric(&report, "tokens_per_request");
    assert_eq!(tokens["class"], "no_data");
    assert!(tokens["reason"].as_str().unwrap().contains("no samples"));
    for v in report["variants"].as_array().unwrap() {
        assert!(v["intervals"].as_u64().unwrap() >= 30, "{v}");
        assert_eq!(v["failed_scrapes"], 0);
    }
}

#[test]
fn a_canary_failing_one_non_critical_metric_of_five_is_marginal_with_exit_2() {
    // Only the 5xx share differs, and nothing is critical: 4 of the 5
    // metrics with data pass, a score of 80 (the script exports no upstream
    // errors family, so that metric has no data: not a measured 0).
    let erring = Step {
        errors: 5,
        ..HEALTHY
    };
    let out = direct(HEALTHY, erring, &["--json", "--critical="]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let report = json(&out);
    assert_eq!(report["outcome"], "marginal");
    assert_eq!(
        (report["passed"].clone(), report["judged"].clone()),
        (4.into(), 5.into())
    );
    assert_eq!(metric(&report, "upstream_errors")["class"], "no_data");
    assert_eq!(report["settings"], "min:30,critical:");
}

#[test]
fn too_few_samples_is_not_enough_data_with_exit_2() {
    let out = direct(HEALTHY, HEALTHY, &["--json", "--min", "1000"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let report = json(&out);
    assert_eq!(report["outcome"], "not_enough_data");
    assert_eq!(report["score"], Value::Null);
    let p95 = metric(&report, "p95");
    assert_eq!(p95["class"], "not_enough_data");
    assert_eq!(p95["min"], 1000);
}

#[test]
fn an_unreachable_variant_exits_3_at_once() {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused.
    let healthy = upstream(HEALTHY);
    let out = Command::new(env!("CARGO_BIN_EXE_zai-dash"))
        .args(["verdict", "--duration", "10m", "--interval", "5s"])
        .args([
            "--production",
            &healthy,
            "--canary",
            "http://127.0.0.1:9/metrics",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unreachable: canary"), "{stderr}");
}

#[test]
fn bad_settings_are_refused_before_watching() {
    let out = verdict(&["--relay", "http://127.0.0.1:9", "--tol", "lots"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad settings: \"tol:lots\""), "{stderr}");
}

#[test]
fn prices_judge_the_cost_per_request_of_a_proxy_that_exports_no_cost() {
    // 100 input tokens a request, no cost family: $2 per million tokens
    // makes $0.0002 a request on both sides.
    let tokens = Step {
        tokens: 100,
        ..HEALTHY
    };
    let priced = direct(tokens, tokens, &["--json", "--prices", "input:2"]);
    assert_eq!(priced.status.code(), Some(0), "{priced:?}");
    let cost = metric(&json(&priced), "cost_per_request").clone();
    assert_eq!(cost["class"], "pass", "{cost}");
    let median = cost["production"]["median"].as_f64().unwrap();
    assert!((median - 0.0002).abs() < 1e-12, "{cost}");
    // Without prices: no data, not $0.
    let unpriced = direct(tokens, tokens, &["--json"]);
    let cost = metric(&json(&unpriced), "cost_per_request").clone();
    assert_eq!(cost["class"], "no_data", "{cost}");
    // A bad table is refused before watching, naming the entry.
    let out = verdict(&["--relay", "http://127.0.0.1:9", "--prices", "input:lots"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("input:lots"), "{stderr}");
}

#[test]
fn through_a_relay_every_pod_of_each_variant_is_scraped_and_summed() {
    // Production as two pods of half the traffic each: summed, they are
    // the canary's one pod exactly.
    let half = Step {
        requests: 10,
        ..HEALTHY
    };
    let relay = relay(&[upstream(half), upstream(half)], &[upstream(HEALTHY)]);
    let out = verdict(&["--relay", &relay, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let report = json(&out);
    let [production, canary] = [&report["variants"][0], &report["variants"][1]];
    assert_eq!(production["name"], "production");
    assert!(
        production["scrapes"].as_u64().unwrap() > canary["scrapes"].as_u64().unwrap(),
        "two pods, scraped every round: {report}"
    );
    assert_eq!(metric(&report, "p50")["shift"]["estimate"], 0.0);
}
