//! The latency distribution panel in a real browser: over two scripted
//! scrapes of known bucket deltas each row reads the shares and moved
//! points derived by hand below; too few requests and a histogram that is
//! not exported read differently (neither is 0 %); and the demo's worse
//! canary shows mass moved to slower buckets.

use zai_dash_e2e::{Browser, Server, wait_for};

/// An exposition of the request-duration histogram with these cumulative
/// bucket counts (`le` as the proxy writes it), and a request counter.
fn exposition(buckets: &[(&str, u32)]) -> String {
    let total = buckets.last().map_or(0, |b| b.1);
    let mut text = format!(
        "# TYPE zai_proxy_requests_total counter\n\
         zai_proxy_requests_total{{status_code=\"200\"}} {total}\n\
         # TYPE zai_proxy_request_duration_seconds histogram\n"
    );
    for (le, n) in buckets {
        text += &format!("zai_proxy_request_duration_seconds_bucket{{le=\"{le}\"}} {n}\n");
    }
    text
}

/// Two scrapes: 5 requests in every bucket, then `increases` more
/// (cumulative) at `bounds`.
fn script(bounds: &[&str], increases: &[u32]) -> Vec<String> {
    let before: Vec<_> = bounds.iter().map(|&le| (le, 5)).collect();
    let after: Vec<_> = bounds
        .iter()
        .zip(increases)
        .map(|(&le, n)| (le, 5 + n))
        .collect();
    vec![exposition(&before), exposition(&after)]
}

/// The table's rows as their cells' text (bucket, then a share per
/// variant, then the moved points), and each row's `data-moved`.
async fn rows(browser: &Browser) -> Result<Vec<(Vec<String>, String)>, String> {
    let found = browser
        .eval(
            r##"
            return [...document.querySelectorAll("#panel-distribution tbody tr")].map(tr => [
                [...tr.children].map(c => c.innerText.trim()),
                tr.querySelector(".dist-moved")?.dataset.moved ?? "",
            ]);
            "##,
            vec![],
        )
        .await?;
    let rows = found.as_array().ok_or(format!("{found:?}"))?;
    Ok(rows
        .iter()
        .map(|r| {
            let cells = r[0].as_array().map_or_else(Vec::new, |c| {
                c.iter()
                    .map(|v| v.as_str().unwrap_or("").to_owned())
                    .collect()
            });
            (cells, r[1].as_str().unwrap_or("").to_owned())
        })
        .collect())
}

/// Waits until the summary line satisfies `accept`; returns it.
async fn wait_for_summary(browser: &Browser, accept: impl Fn(&str) -> bool) -> String {
    wait_for("the distribution's summary", || async {
        let text = browser.text("[data-testid=dist-summary]").await?;
        if accept(&text) { Ok(text) } else { Err(text) }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_scrapes_give_the_hand_derived_shares_and_shift() {
    // Production, between its scrapes: cumulative 20, 30, 40, 40 at
    // 100 ms, 250 ms, 1 s, +Inf, so 20, 10, 10, 0 per bucket: 50 %, 25 %,
    // 25 %, 0 % of 40.
    let production = script(&["0.1", "0.25", "1", "+Inf"], &[20, 30, 40, 40]);
    // Canary, with a 500 ms bound production lacks (merged into 1 s):
    // cumulative 10, 24, 30, 36, 40, so on the shared bounds 10, 14, 12, 4
    // per bucket: 25 %, 35 %, 30 %, 10 % of 40.
    let canary = script(&["0.1", "0.25", "0.5", "1", "+Inf"], &[10, 24, 30, 36, 40]);
    let (server, mut upstreams) =
        Server::scripted(&[("production", production), ("canary", canary)]).await;
    let browser = Browser::open(&server).await;

    // Cumulative shares: production 50, 75, 100 %; canary 25, 60, 90 %.
    // They differ most (25 points) at 100 ms, over which production has
    // 50 % of its requests and canary 75 %.
    let summary = wait_for_summary(&browser, |t| t.contains(" pp ")).await;
    assert!(
        summary.starts_with(
            "25.0 pp more of canary's requests take over 100 ms: 75.0% against production's 50.0% \
             (on the 4 bounds both have; 1 merged) — "
        ),
        "{summary}"
    );
    let want: [([&str; 4], &str); 4] = [
        (["≤ 100 ms", "50.0%", "25.0%", "−25.0 pp"], "worse"),
        (["≤ 250 ms", "25.0%", "35.0%", "+10.0 pp"], "worse"),
        (["≤ 1 s", "25.0%", "30.0%", "+5.0 pp"], "worse"),
        (["> 1 s", "0.0%", "10.0%", "+10.0 pp"], "worse"),
    ];
    let want: Vec<(Vec<String>, String)> = want
        .iter()
        .map(|(cells, moved)| {
            (
                cells.iter().map(|c| (*c).to_owned()).collect(),
                (*moved).to_owned(),
            )
        })
        .collect();
    wait_for("the hand-derived rows", || async {
        let got = rows(&browser).await?;
        if got == want {
            Ok(())
        } else {
            Err(format!("{got:?}"))
        }
    })
    .await;
    let caption = browser
        .text("#panel-distribution caption")
        .await
        .expect("a caption");
    assert!(caption.contains("moved against production"), "{caption}");
    // A canary that goes down keeps its shares, greyed as down.
    upstreams[1].stop();
    browser.wait_for_down("canary").await;
    wait_for("the canary's shares marked down", || async {
        let conditions = browser
            .eval(
                "return [...document.querySelectorAll('.dist-share[data-variant=canary]')]
                    .map(td => td.dataset.condition + ' ' + td.innerText.trim());",
                vec![],
            )
            .await?;
        let want = serde_json::json!(["down 25.0%", "down 35.0%", "down 30.0%", "down 10.0%"]);
        if conditions == want {
            Ok(())
        } else {
            Err(format!("{conditions:?}"))
        }
    })
    .await;
    browser
        .eval(
            "document.getElementById('panel-distribution').scrollIntoView();",
            vec![],
        )
        .await
        .expect("scrolled to the panel");
    browser.screenshot("distribution").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_few_requests_and_no_histogram_read_differently() {
    // Production counts 3 requests (+Inf from 5 to 8); canary exports no
    // duration histogram at all.
    let production = script(&["0.25", "+Inf"], &[2, 3]);
    let plain = "# TYPE zai_proxy_requests_total counter\n\
                 zai_proxy_requests_total{status_code=\"200\"} 7\n"
        .to_owned();
    let (server, _upstreams) = Server::scripted(&[
        ("production", production),
        ("canary", vec![plain.clone(), plain]),
    ])
    .await;
    let browser = Browser::open(&server).await;
    let statuses = wait_for("both variants' statuses", || async {
        let texts = browser
            .texts(&[
                ".dist-status[data-variant=production]",
                ".dist-status[data-variant=canary]",
            ])
            .await?;
        match texts.as_slice() {
            [Some(p), Some(c)] if p.contains("n = 3") => Ok((p.clone(), c.clone())),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    assert_eq!(
        statuses,
        (
            "production: not enough data (n = 3 requests; 20 needed)".to_owned(),
            "canary: no data".to_owned()
        )
    );
    // Read with a bounded retry: the panel's text is rewritten as its span
    // ticks, which can replace the element between finding and reading it.
    wait_for_summary(&browser, |s| {
        s.starts_with("not enough data to compare canary with production")
    })
    .await;
    // No shares at all: nothing reads 0 %.
    assert_eq!(rows(&browser).await, Ok(vec![]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demos_worse_canary_moves_mass_to_slower_buckets() {
    let server = Server::start(&["--demo", "--demo-canary", "worse", "--refresh-ms", "1000"]).await;
    // The demo's past gives the hour its samples at once.
    let browser = Browser::open_at(&server, "/?w=1h").await;
    let summary = wait_for_summary(&browser, |t| t.contains(" pp ")).await;
    assert!(
        summary.contains(" pp more of canary's requests take over "),
        "{summary}"
    );
    // Mass moved into slower buckets reads worse somewhere, and the moved
    // points add up to nothing (shares of each variant sum to 100 %), but
    // for each row's rounding to a tenth.
    let rows = wait_for("the demo's rows", || async {
        let rows = rows(&browser).await?;
        if rows.len() > 1 {
            Ok(rows)
        } else {
            Err(format!("{rows:?}"))
        }
    })
    .await;
    assert!(rows.iter().any(|(_, moved)| moved == "worse"), "{rows:?}");
    let moved: f64 = rows
        .iter()
        .filter_map(|(cells, _)| parse_points(cells.last()?))
        .sum();
    let rounding = 0.05 * rows.len() as f64 + 1e-9;
    assert!(
        moved.abs() <= rounding,
        "moved points sum to {moved}: {rows:?}"
    );
}

/// `+4.2 pp` or `−12.5 pp` as a number.
fn parse_points(text: &str) -> Option<f64> {
    let digits = text.strip_suffix(" pp")?;
    match digits.strip_prefix('−') {
        Some(rest) => rest.parse::<f64>().ok().map(|v| -v),
        None => digits.trim_start_matches('+').parse().ok(),
    }
}
