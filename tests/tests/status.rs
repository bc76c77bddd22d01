//! The status bar in a real browser: both demo variants come up with live
//! rates, and a variant whose upstream dies is shown down with the relay's
//! error while the other keeps updating.

use zai_dash_e2e::{Browser, Server, Upstream, parse_rate, wait_for};
use zai_dash_server::demo::Profile;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_demo_variants_show_a_numeric_request_rate() {
    let server = Server::start(&["--demo", "--refresh-ms", "500"]).await;
    let browser = Browser::start().await;
    browser
        .client
        .goto(&server.url("/"))
        .await
        .expect("open the app");

    for variant in ["production", "canary"] {
        let css = format!("#status-{variant} .req-rate");
        let rate = wait_for(&format!("{variant}'s request rate"), || async {
            let text = browser.text(&css).await?;
            parse_rate(&text).ok_or(text)
        })
        .await;
        assert!(rate >= 0.0, "{variant}: {rate}");
        let state = browser
            .attr(&format!("#status-{variant}"), "data-state")
            .await;
        assert_eq!(state.as_deref(), Ok("up"), "{variant}");
    }
    browser.screenshot("status-both-up").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_upstream_shows_down_with_its_error_while_the_other_updates() {
    let mut canary = Upstream::start("canary", Profile::canary()).await;
    let canary_arg = canary.variant_arg("canary");
    let server = Server::start(&["--demo", "--refresh-ms", "500", "--variant", &canary_arg]).await;
    let browser = Browser::start().await;
    browser
        .client
        .goto(&server.url("/"))
        .await
        .expect("open the app");

    wait_for("canary up with a rate", || async {
        let state = browser.attr("#status-canary", "data-state").await?;
        let rate = browser.text("#status-canary .req-rate").await?;
        match parse_rate(&rate) {
            Some(_) if state == "up" => Ok(()),
            _ => Err(format!("{state}: {rate}")),
        }
    })
    .await;

    canary.stop();
    let message = wait_for("canary down with an error", || async {
        let state = browser.attr("#status-canary", "data-state").await?;
        let message = browser.text("#status-canary .message").await?;
        if state == "down" && !message.is_empty() {
            Ok(message)
        } else {
            Err(format!("{state}: {message:?}"))
        }
    })
    .await;
    assert!(
        message.contains("canary"),
        "the error names the variant: {message}"
    );

    let before = scrapes(&browser, "production")
        .await
        .expect("a scrape count");
    wait_for("production to keep updating", || async {
        let now = scrapes(&browser, "production").await?;
        if now > before + 1 {
            Ok(())
        } else {
            Err(format!("{now} scrapes"))
        }
    })
    .await;
    let production = browser.attr("#status-production", "data-state").await;
    assert_eq!(production.as_deref(), Ok("up"));
    let canary_rate = browser
        .text("#status-canary .req-rate")
        .await
        .expect("rate");
    assert!(
        parse_rate(&canary_rate).is_some(),
        "canary's buffered rate stays on screen: {canary_rate}"
    );
    browser.screenshot("status-canary-down").await;
}

/// How many scrapes the app has accepted for `variant`.
async fn scrapes(browser: &Browser, variant: &str) -> Result<u64, String> {
    browser
        .attr(&format!("#status-{variant}"), "data-scrapes")
        .await?
        .parse::<u64>()
        .map_err(|e| e.to_string())
}
