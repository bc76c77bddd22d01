//! The panels in a real browser: every panel fills in for both variants,
//! token totals are exactly the engine's over the scrapes the relay served,
//! quota shows only where it is exported, and a variant that goes down
//! keeps its history on screen while the other keeps updating.

use std::collections::BTreeMap;

use zai_dash_e2e::{
    Browser, Fleet, PANELS, Server, Upstream, VARIANTS, lines_of, script, wait_for,
};
use zai_dash_engine::{buffer::Buffer, parse, snapshot::snapshot, units};
use zai_dash_server::demo::Profile;

/// Per panel, the figures a simulated zai-proxy always fills in within a
/// few scrapes. Left out on purpose: the limiter's `rejection-rate`, which
/// counts refusals at the worker cap, a cap the profiles' traffic does not
/// reach, so "—" (no such series) is the right answer there.
const FIGURES: [(&str, &[&str]); 8] = [
    ("requests", &["req-rate", "err-rate"]),
    ("latency", &["p50", "p95", "p99"]),
    (
        "tokens",
        &[
            "token-rate-in",
            "token-rate-out",
            "total-input",
            "total-output",
            "total-cache-read",
            "total-cache-write",
        ],
    ),
    (
        "cost",
        &[
            "cost-total",
            "cost-input",
            "cost-output",
            "cost-cache-read",
            "cost-cache-write",
        ],
    ),
    ("concurrency", &["workers", "utilisation"]),
    ("limiter", &["limit"]),
    ("errors", &["error-rate", "retry-rate", "errors-total"]),
    (
        "sizes",
        &["request-avg", "response-avg", "request-p90", "response-p90"],
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_panel_shows_values_and_lines_for_both_variants() {
    let fleet = Fleet::start().await;
    let browser = Browser::open(&fleet.server).await;

    for (panel, classes) in FIGURES {
        for class in classes {
            browser.wait_for_figures(panel, class).await;
        }
    }
    for chart in PANELS {
        browser.wait_for_lines(chart).await;
    }
    let empty = browser
        .eval(
            r#"return [...document.querySelectorAll(".panel .no-data")]
                .filter(p => !p.hidden).map(p => p.closest(".panel").id);"#,
            vec![],
        )
        .await
        .expect("the no-data notes");
    assert_eq!(empty, serde_json::json!([]), "panels saying 'no data'");
}

/// Scrapes per scripted variant; the process restarts before scrape
/// `RESTART_AT`, so the totals must stitch across a counter reset.
const SCRIPT_STEPS: usize = 12;
const RESTART_AT: usize = 9;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_totals_are_the_engines_exact_totals_over_the_relayed_scrapes() {
    let scripts: Vec<(&str, Vec<String>)> = VARIANTS
        .iter()
        .zip([Profile::production(), Profile::canary()])
        .zip([21, 22])
        .map(|((&variant, profile), seed)| {
            let texts = script(
                variant,
                profile,
                seed,
                SCRIPT_STEPS,
                10_000,
                Some(RESTART_AT),
            );
            (variant, texts)
        })
        .collect();
    let (server, _upstreams) = Server::scripted(&scripts).await;
    let browser = Browser::open(&server).await;

    for (variant, texts) in &scripts {
        // Every text of the script accepted, from the first on: from now on
        // the upstream repeats the last one, which adds nothing to a total.
        browser.wait_for_scrapes(variant, texts.len() as u64).await;
        let relayed = reqwest::get(server.url(&format!("/relay/{variant}")))
            .await
            .and_then(|r| r.error_for_status())
            .expect("the relay answers");
        let relayed = relayed.text().await.expect("a text body");
        assert_eq!(
            &relayed,
            texts.last().expect("a script"),
            "{variant}: the relay serves the script's last scrape"
        );

        let expected = engine_totals(variant, texts);
        assert_eq!(
            expected,
            stitched_by_hand(texts, RESTART_AT).map(Some),
            "{variant}: the engine's totals are the per-process increases"
        );
        for (class, total) in TOTALS.iter().zip(expected) {
            assert!(
                total.is_some_and(|t| t > 0.0),
                "{variant} {class}: {total:?}"
            );
            let want = units::count(total);
            wait_for(&format!("{variant}'s {class} to read {want}"), || async {
                let figures = browser.figures("tokens", class).await?;
                match figures.iter().find(|f| f.variant == *variant) {
                    Some(f) if f.value == want && f.condition == "up" => Ok(()),
                    _ => Err(format!("{figures:?}")),
                }
            })
            .await;
        }
    }
}

/// The token-total figures, in [`engine_totals`] order.
const TOTALS: [&str; 4] = [
    "total-input",
    "total-output",
    "total-cache-read",
    "total-cache-write",
];

/// What the app computes from these scrapes: the engine's buffer and
/// snapshot over all of them (the times do not matter for totals).
fn engine_totals(variant: &str, texts: &[String]) -> [Option<f64>; 4] {
    let mut buffer = Buffer::default();
    for (i, text) in texts.iter().enumerate() {
        let scrape = parse::parse(text);
        assert!(scrape.errors.is_empty(), "{:?}", scrape.errors);
        buffer
            .push(1_000 * (i as i64 + 1), &scrape)
            .expect("rows in order");
    }
    let (first, last) = (buffer.first_time(), buffer.last_time());
    let window = buffer.window(first.expect("rows"), last.expect("rows"));
    let s = snapshot(variant, &window);
    [
        s.tokens_input,
        s.tokens_output,
        s.tokens_cache_read,
        s.tokens_cache_write,
    ]
}

/// The same totals by hand, as a check that the expectation is not just
/// the engine agreeing with itself: per series, each increase between two
/// scrapes where it is present, a drop counting as a restart from zero (as
/// PromQL's `increase` does). At the script's restart (the process's start
/// time changes) every series starts from zero, even one that came back
/// above its old value, which PromQL's rule alone would miss.
fn stitched_by_hand(texts: &[String], restart_at: usize) -> [f64; 4] {
    let mut last: BTreeMap<String, f64> = BTreeMap::new();
    let mut totals = [0.0; 4];
    for (i, text) in texts.iter().enumerate() {
        if i == restart_at {
            last.clear();
        }
        for s in parse::parse(text).samples {
            if s.name != "zai_proxy_tokens_total" {
                continue;
            }
            let direction = s.labels.get("direction").expect("a direction label");
            let d = ["input", "output", "cache_read", "cache_write"]
                .iter()
                .position(|d| *d == direction)
                .expect("a known direction");
            let increase = match last.insert(s.labels.raw().to_owned(), s.value) {
                Some(before) if s.value >= before => s.value - before,
                // Reset, or a series created after the first scrape.
                _ if i > 0 => s.value,
                _ => 0.0,
            };
            totals[d] += increase;
        }
    }
    totals
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quota_shows_for_canary_and_is_unavailable_for_production() {
    let fleet = Fleet::start().await;
    let browser = Browser::open(&fleet.server).await;

    // The quota blocks re-render on every scrape (the sample ages), so each
    // look reads everything at once.
    let cells: Vec<String> = ["five_hour", "weekly"]
        .iter()
        .flat_map(|w| {
            ["quota-used", "quota-left", "quota-reset"]
                .map(|cell| format!("[data-testid=quota-canary-{w}] .{cell}"))
        })
        .collect();
    let mut css: Vec<&str> = vec![
        "[data-testid=quota-production-no-data]",
        "[data-testid=quota-canary-freshness]",
        "[data-testid=quota-canary]",
        "[data-testid=quota-production]",
        "[data-testid=quota-canary-no-data]",
    ];
    css.extend(cells.iter().map(String::as_str));
    let seen = wait_for("canary's quota filled in", || async {
        let seen = browser.texts(&css).await?;
        let filled = seen[5..]
            .iter()
            .all(|cell| cell.as_ref().is_some_and(|t| !t.contains(units::NO_DATA)));
        if seen[0].is_some() && filled {
            Ok(seen)
        } else {
            Err(format!("{seen:?}"))
        }
    })
    .await;
    let text = |i: usize| seen[i].as_deref().unwrap_or_default();

    assert_eq!(text(0), "production: quota telemetry unavailable");
    assert!(
        text(1).starts_with("sample ") && text(1).ends_with(" old"),
        "a recent quota sample: {seen:?}"
    );
    assert!(text(2).starts_with("canary"), "{seen:?}");
    assert_eq!(seen[3], None, "no quota block for production");
    assert_eq!(seen[4], None, "no 'unavailable' for canary");
    for row in seen[5..].chunks(3) {
        let [used, left, reset] = [0, 1, 2].map(|i| row[i].as_deref().unwrap_or_default());
        assert!(used.ends_with("% used"), "{row:?}");
        assert!(left.ends_with("% left"), "{row:?}");
        assert!(reset.starts_with("resets in "), "{row:?}");
    }
}

/// Figures that have a value as long as the variant's buffer has traffic.
const HISTORY_FIGURES: [(&str, &str); 4] = [
    ("requests", "req-rate"),
    ("latency", "p50"),
    ("tokens", "total-input"),
    ("sizes", "request-avg"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_down_variant_keeps_its_history_on_screen_while_the_other_updates() {
    let mut fleet = Fleet::start().await;
    let browser = Browser::open(&fleet.server).await;
    for (panel, class) in HISTORY_FIGURES {
        browser.wait_for_figures(panel, class).await;
    }
    let mut before = Vec::new();
    for chart in PANELS {
        let labels = browser.wait_for_lines(chart).await;
        before.push(labels);
    }

    fleet.canary.stop();
    let message = browser.wait_for_down("canary").await;
    assert!(message.contains("canary"), "the error names it: {message}");

    let seen = browser.scrape_count("production").await;
    browser.wait_for_scrapes("production", seen + 3).await;

    for (panel, class) in HISTORY_FIGURES {
        // Canary's figures stay, with their buffered values, marked down;
        // production's read up again with its next scrape (on a busy
        // machine a late poll can make them stale for a moment).
        wait_for(
            &format!("{panel}'s {class}: canary down, production up"),
            || async {
                let figures = browser.figures(panel, class).await?;
                let of = |variant: &str| figures.iter().find(|f| f.variant == variant);
                match (of("canary"), of("production")) {
                    (Some(canary), Some(production))
                        if canary.condition == "down"
                            && canary.value != units::NO_DATA
                            && production.condition == "up" =>
                    {
                        Ok(())
                    }
                    _ => Err(format!("{figures:?}")),
                }
            },
        )
        .await;
    }
    assert_eq!(
        browser
            .attr("#status-canary", "data-state")
            .await
            .as_deref(),
        Ok("down"),
        "canary stays down"
    );
    for (chart, before) in PANELS.iter().zip(before) {
        let after = browser.legend(chart).await.expect("a legend");
        let kept = lines_of(&after, "canary");
        for line in lines_of(&before, "canary") {
            assert!(kept.contains(&line), "{chart}: {line} stays in {after:?}");
        }
    }
    browser.screenshot("panels-canary-down").await;
}

/// Every request of this upstream takes longer than its histogram's last
/// finite bound (1 s): each scrape adds 5 observations to `+Inf` only.
fn beyond_the_last_bucket(scrapes: usize) -> Vec<String> {
    let name = "zai_proxy_request_duration_seconds";
    (0..scrapes)
        .map(|n| {
            let count = 10 + 5 * n;
            format!(
                "# TYPE {name} histogram\n\
                 {name}_bucket{{status_code=\"200\",le=\"1\"}} 10\n\
                 {name}_bucket{{status_code=\"200\",le=\"+Inf\"}} {count}\n\
                 {name}_sum{{status_code=\"200\"}} {}\n\
                 {name}_count{{status_code=\"200\"}} {count}\n",
                10 + 1000 * n
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_latency_past_the_last_bucket_reads_as_a_floor_in_figures_and_tooltip() {
    // 2,000 scrapes at 4 a second: still growing long after the test ends
    // (a repeated last text would add nothing, and leave no quantile).
    let upstream = Upstream::scripted(beyond_the_last_bucket(2_000)).await;
    let server = Server::start(&[
        "--refresh-ms",
        "250",
        "--variant",
        &upstream.variant_arg("production"),
    ])
    .await;
    let browser = Browser::open(&server).await;
    // Every percentile lies in the +Inf bucket: PromQL reports the highest
    // finite bound, 1 s, and the truth is at least that.
    let floor = "≥ 1.00 s";
    for class in ["p50", "p95", "p99"] {
        wait_for(&format!("latency {class} to read {floor}"), || async {
            let figures = browser.figures("latency", class).await?;
            match figures.as_slice() {
                [f] if f.value == floor => Ok(()),
                _ => Err(format!("{figures:?}")),
            }
        })
        .await;
    }
    wait_for(&format!("the status bar's p50 to read {floor}"), || async {
        match browser.text("#status-production .p50").await? {
            text if text == floor => Ok(()),
            text => Err(text),
        }
    })
    .await;

    let tooltip = browser
        .wait_for_tooltip("latency", |t| {
            t.rows.iter().any(|(_, v)| v != units::NO_DATA)
        })
        .await;
    let rows: Vec<(&str, &str)> = tooltip
        .rows
        .iter()
        .map(|(l, v)| (l.as_str(), v.as_str()))
        .collect();
    assert_eq!(rows, [("p50", floor), ("p95", floor), ("p99", floor)]);
}
