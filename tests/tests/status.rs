//! The status bar in a real browser, on the built-in demo: both simulated
//! variants come up with a numeric request rate. (A variant going down is
//! covered in panels.rs.)

use zai_dash_e2e::{Browser, Server, parse_rate, wait_for};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_demo_variants_show_a_numeric_request_rate() {
    let server = Server::start(&["--demo", "--refresh-ms", "500"]).await;
    let browser = Browser::open(&server).await;

    for variant in ["production", "canary"] {
        let rate_css = format!("#status-{variant} .req-rate");
        let card = format!("#status-{variant}");
        let rate = wait_for(&format!("{variant} up with a request rate"), || async {
            let text = browser.text(&rate_css).await?;
            let state = browser.attr(&card, "data-state").await?;
            match parse_rate(&text) {
                Some(rate) if state == "up" => Ok(rate),
                _ => Err(format!("{state}: {text}")),
            }
        })
        .await;
        assert!(rate >= 0.0, "{variant}: {rate}");
    }
    browser.screenshot("status-both-up").await;
}
