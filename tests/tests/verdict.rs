//! The canary verdict, in a real browser: the strip fails a clearly worse
//! canary and names what is worse, passes an identical one, explains each
//! cell on hover, and a shared link carrying judge settings recomputes the
//! same verdict in a fresh browser.

use zai_dash_e2e::{Browser, Server, now_ms, wait_for};

/// The strip's outcome key and text, and each cell's metric, class and
/// explanation, read in one go.
async fn strip(browser: &Browser) -> Result<(String, String, Vec<String>), String> {
    let found = browser
        .eval(
            r##"
            const strip = document.querySelector("#verdict");
            if (!strip) return null;
            return [
                strip.dataset.outcome,
                strip.querySelector(".verdict-outcome").textContent,
                [...strip.querySelectorAll(".verdict-metric")]
                    .map(c => `${c.dataset.metric} ${c.dataset.class}: ${c.title}`),
            ];
            "##,
            vec![],
        )
        .await?;
    let item = |i: usize| found[i].as_str().unwrap_or_default().to_owned();
    let cells = found[2]
        .as_array()
        .ok_or("no verdict strip")?
        .iter()
        .map(|c| c.as_str().unwrap_or_default().to_owned())
        .collect();
    Ok((item(0), item(1), cells))
}

/// Waits until the strip's outcome is `outcome`; returns the strip.
async fn wait_for_outcome(browser: &Browser, outcome: &str) -> (String, String, Vec<String>) {
    wait_for(&format!("the verdict {outcome}"), || async {
        let found = strip(browser).await?;
        if found.0 == outcome {
            Ok(found)
        } else {
            Err(format!("{found:?}"))
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clearly_worse_canary_fails_and_the_strip_names_what_is_worse() {
    let server = Server::start(&["--demo", "--demo-canary", "worse", "--refresh-ms", "1000"]).await;
    // The demo's past gives the hour its samples at once.
    let browser = Browser::open_at(&server, "/?w=1h").await;
    let (_, text, cells) = wait_for_outcome(&browser, "fail").await;
    assert!(text.starts_with("FAIL"), "{text}");
    let worse: Vec<&String> = cells.iter().filter(|c| c.contains(" high: ")).collect();
    assert!(!worse.is_empty(), "{cells:#?}");
    for cell in &worse {
        let metric = cell.split(' ').next().unwrap_or_default();
        assert!(!metric.is_empty());
        // Each failing cell explains itself: both medians, the shift, p.
        for part in ["production median", "canary median", "shift", "p = "] {
            assert!(cell.contains(part), "{cell}");
        }
    }
    assert!(text.contains("worse"), "{text}");
    browser.screenshot("verdict-fail").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_identical_canary_passes() {
    let server = Server::start(&["--demo", "--demo-canary", "same", "--refresh-ms", "1000"]).await;
    let browser = Browser::open_at(&server, "/?w=1h").await;
    let (_, text, cells) = wait_for_outcome(&browser, "pass").await;
    assert!(text.starts_with("PASS · score"), "{text}");
    assert!(
        cells
            .iter()
            .all(|c| !c.contains(" high: ") && !c.contains(" low: ")),
        "{cells:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_link_with_judge_settings_reproduces_the_verdict() {
    let server = Server::start(&["--demo", "--demo-canary", "worse", "--refresh-ms", "1000"]).await;
    // An hour of the demo's past: the same rows for every browser.
    let to = now_ms() - 2 * 3_600_000;
    let range = format!("from={}&to={to}", to - 3_600_000);

    // With the defaults the worse canary fails...
    let browser = Browser::open_at(&server, &format!("/?{range}")).await;
    wait_for_outcome(&browser, "fail").await;
    drop(browser);
    // ...and a link that tolerates any shift and names no critical metric
    // passes it, in one browser and then in another, identically.
    let link = format!("/?{range}&judge=tol:100000,critical:");
    let first = Browser::open_at(&server, &link).await;
    let seen = wait_for_outcome(&first, "pass").await;
    drop(first);
    let second = Browser::open_at(&server, &link).await;
    let again = wait_for_outcome(&second, "pass").await;
    assert_eq!(again, seen);
    let settings = second
        .text(".verdict-settings")
        .await
        .expect("the settings");
    assert!(settings.contains("±100000 % tolerance"), "{settings}");
}
