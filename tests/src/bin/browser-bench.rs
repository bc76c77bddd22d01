//! The browser benchmark: serves the demo, opens the app's `?bench` page in
//! headless Chromium, and prints the JSON it reports (tick, cold recompute
//! and redraw times in ms, buffer and wasm memory in bytes).
//!
//! Run with `make bench-browser` (after `make app`). It measures; it
//! asserts nothing, and it is not part of `make test`.

use std::time::{Duration, Instant};

use zai_dash_e2e::{Browser, Server};

#[tokio::main]
async fn main() {
    let server = Server::start(&["--demo"]).await;
    let browser = Browser::open_at(&server, "/?bench").await;
    // Filling two days of buffers takes seconds; allow a few minutes.
    let deadline = Instant::now() + Duration::from_secs(300);
    let result = loop {
        match browser.text("#bench-result").await {
            Ok(text) if text.starts_with('{') => break text,
            last if Instant::now() > deadline => panic!("no benchmark result: {last:?}"),
            _ => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    };
    println!("{result}");
}
