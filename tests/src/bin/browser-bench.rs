//! The browser benchmark: serves the demo, opens the app's `?bench` page in
//! headless Chromium, and prints the JSON it reports (tick, cold recompute,
//! redraw and 24 h backfill times in ms, buffer and wasm memory and the
//! backfill's answer in bytes).
//!
//! Timings on a shared two-core machine vary between browser processes
//! far more than within one, so the page is run in [`LOADS`] fresh
//! browsers: each result is printed, then a summary line with, per
//! timing, the median over the loads of each load's median.
//!
//! Then it times the first impression: from navigation (a fresh browser,
//! cold cache) to the first number on the page, the first headline rate
//! and the first chart point, on loopback and through Chromium's network
//! emulation at 1.6 Mbit/s with 150 ms latency, for the demo (with its
//! history) and for a relay without a history store.
//!
//! Run with `make bench-browser`, which builds the app with its `bench`
//! feature into `target/dist-bench` (`DIST_DIR`). It measures; it asserts
//! nothing, and it is not part of `make test`.

use std::time::{Duration, Instant};

use fantoccini::wd::WebDriverCompatibleCommand;
use serde_json::{Value, json};
use zai_dash_e2e::{Browser, Server};

/// Fresh browsers to run the page in.
const LOADS: usize = 5;

#[tokio::main]
async fn main() {
    let server = Server::start(&["--demo"]).await;
    let mut results = Vec::new();
    for _ in 0..LOADS {
        let result = run_once(&server).await;
        println!("{result}");
        results.push(result);
    }
    let median_of = |key: &str| {
        let mut medians: Vec<f64> = results
            .iter()
            .filter_map(|r| r[key]["median"].as_f64())
            .collect();
        medians.sort_by(f64::total_cmp);
        json!({
            "median": medians.get(medians.len() / 2),
            "min": medians.first(),
            "max": medians.last(),
        })
    };
    let largest = |key: &str| results.iter().filter_map(|r| r[key].as_u64()).max();
    println!(
        "{}",
        json!({
            "summary_of_loads": results.len(),
            "tick_ms": median_of("tick_ms"),
            "cold_recompute_ms": median_of("cold_recompute_ms"),
            "redraw_ms": median_of("redraw_ms"),
            "backfill_fetch_ms": median_of("backfill_fetch_ms"),
            "backfill_read_ms": median_of("backfill_read_ms"),
            "backfill_file_ms": median_of("backfill_file_ms"),
            "backfill_bytes": largest("backfill_bytes"),
            "backfill_rows": largest("backfill_rows"),
            "buffer_bytes": largest("buffer_bytes"),
            "wasm_memory_bytes": largest("wasm_memory_bytes"),
            "wasm_memory_after_backfill_bytes": largest("wasm_memory_after_backfill_bytes"),
        })
    );
    first_impressions(&server).await;
}

/// Fresh browsers per first-impression case.
const FIRST_LOADS: usize = 3;

/// Times the first impression in every case, printing a line per case.
async fn first_impressions(demo: &Server) {
    let pod = |variant: &str| format!("{variant}=http://{}/demo/{variant}/0/metrics", demo.addr);
    let (production, canary) = (pod("production"), pod("canary"));
    let plain = Server::start(&["--variant", &production, "--variant", &canary]).await;
    for (case, server) in [("demo, with history", demo), ("no history store", &plain)] {
        for throttled in [false, true] {
            let mut loads = Vec::new();
            for _ in 0..FIRST_LOADS {
                loads.push(first_figures(server, throttled).await);
            }
            let median = |i: usize| {
                let mut ms: Vec<f64> = loads.iter().map(|l| l[i]).collect();
                ms.sort_by(f64::total_cmp);
                ms[ms.len() / 2]
            };
            println!(
                "{}",
                json!({
                    "first_impression": case,
                    "network": if throttled { "1.6 Mbit/s, 150 ms" } else { "loopback" },
                    "loads": FIRST_LOADS,
                    "first_number_ms": median(0),
                    "headline_rate_ms": median(1),
                    "first_chart_point_ms": median(2),
                })
            );
        }
    }
}

/// chromedriver's network emulation: 1.6 Mbit/s both ways, 150 ms.
#[derive(Debug)]
struct Throttle;

impl WebDriverCompatibleCommand for Throttle {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/chromium/network_conditions",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let conditions = json!({"network_conditions": {
            "offline": false,
            "latency": 150,
            "download_throughput": 200_000,
            "upload_throughput": 200_000,
        }});
        (http::Method::POST, Some(conditions.to_string()))
    }
}

/// Milliseconds from navigation to the first number on the page, the
/// first headline rate and the first chart point, read by polling the
/// page every 50 ms (so each is at most that late).
async fn first_figures(server: &Server, throttled: bool) -> [f64; 3] {
    let browser = Browser::start().await;
    if throttled {
        browser
            .client
            .issue_cmd(Throttle)
            .await
            .expect("throttling");
    }
    // Not awaited to the load event: the clock runs from navigation.
    let client = browser.client.clone();
    let url = server.url("/");
    let navigation = tokio::spawn(async move { client.goto(&url).await });
    let mut seen = [None; 3];
    let deadline = Instant::now() + Duration::from_secs(120);
    while seen.iter().any(Option::is_none) && Instant::now() < deadline {
        let state = browser
            .eval(
                r##"
                const number = [...document.querySelectorAll(".figure-value, .variant-status dd")]
                    .some(el => /[0-9]/.test(el.textContent));
                const rate = document.querySelector("#status-production .req-rate")?.textContent ?? "—";
                const drawn = Number(document.querySelector("#chart-requests canvas")?.dataset.drawnFrom ?? 0);
                return [performance.now(), number, rate !== "—" && /[0-9]/.test(rate), drawn > 0];
                "##,
                vec![],
            )
            .await;
        if let Ok(Value::Array(v)) = state {
            let at = v[0].as_f64().unwrap_or(f64::NAN);
            for (i, hit) in v[1..].iter().enumerate() {
                if hit.as_bool() == Some(true) && seen[i].is_none() {
                    seen[i] = Some(at);
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = navigation.await;
    seen.map(|s| s.unwrap_or(f64::NAN))
}

/// Opens the page in a new browser and waits for its result.
async fn run_once(server: &Server) -> Value {
    let browser = Browser::open_at(server, "/?bench").await;
    // Filling two days of buffers takes seconds; allow a few minutes.
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        match browser.text("#bench-result").await {
            Ok(text) if text.starts_with('{') => {
                return serde_json::from_str(&text).expect("the page reports JSON");
            }
            last if Instant::now() > deadline => panic!("no benchmark result: {last:?}"),
            _ => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    }
}
