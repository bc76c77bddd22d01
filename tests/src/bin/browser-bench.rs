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
//! Run with `make bench-browser`, which builds the app with its `bench`
//! feature into `target/dist-bench` (`DIST_DIR`). It measures; it asserts
//! nothing, and it is not part of `make test`.

use std::time::{Duration, Instant};

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
