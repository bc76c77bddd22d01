//! History from a real Prometheus, in a real browser: a link to an absolute
//! range opens with its charts and figures already there, from the
//! Prometheus that scraped the pods, and a reload keeps them.

use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use axum::{Router, extract::State, routing::get};
use zai_dash_e2e::{Browser, Server, Upstream, now_ms, wait_for};
use zai_dash_engine::{
    buffer::Buffer,
    history::{self, History, Series, TargetHistory},
    snapshot::snapshot,
};
use zai_dash_fixtures::prometheus::Prometheus;
use zai_dash_server::{
    demo::Profile,
    prometheus::{Selector, query},
};

/// What the engine computes from Prometheus's own raw samples of the
/// variant over `[from, to]` at `step`: the token totals, in
/// [`TOKEN_TOTALS`](zai_dash_e2e::TOKEN_TOTALS) order.
async fn expected_totals(
    prometheus: &Prometheus,
    from: i64,
    to: i64,
    step: i64,
) -> [Option<f64>; 4] {
    // The relay's own fixed query, asked of Prometheus directly.
    let query = query(&Selector::job("production"));
    let mut targets: BTreeMap<String, TargetHistory> = BTreeMap::new();
    for ((instance, name, labels), values) in prometheus.query_range(&query, from, to, step).await {
        let target = targets
            .entry(instance.clone())
            .or_insert_with(|| TargetHistory {
                id: instance,
                series: Vec::new(),
            });
        target.series.push(Series {
            name,
            labels,
            values: values.iter().map(|v| v.as_f64()).collect(),
        });
    }
    let history = History {
        from_ms: from,
        step_ms: step,
        targets: targets.into_values().collect(),
    };
    let mut buffer = Buffer::default();
    assert!(history.backfill(&mut buffer) >= 4, "two rows of each pod");
    let s = snapshot("production", &buffer.window(from, to));
    [
        s.tokens_input,
        s.tokens_output,
        s.tokens_cache_read,
        s.tokens_cache_write,
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_to_a_past_range_opens_full_from_prometheus_and_a_reload_keeps_it() {
    let pods = [
        Upstream::steady("production", Profile::production(), 71).await,
        Upstream::steady("production", Profile::production(), 72).await,
    ];
    let prometheus = Prometheus::start(&[("production", &[pods[0].addr, pods[1].addr])]).await;
    // Two step times of both pods in Prometheus, both settled (2 s old, so
    // no scrape in flight lands before them).
    let step = history::STEPS_MS[0];
    let (from, to) = prometheus
        .poll("two step times of both pods", || async {
            let to = (now_ms() - 2_000).div_euclid(step) * step;
            let from = to - step;
            let query = "zai_proxy_tokens_total{job=\"production\"}";
            let series = prometheus.query_range(query, from, to, step).await;
            let instances: std::collections::BTreeSet<&String> = series
                .iter()
                .filter(|(_, values)| values.iter().all(|v| !v.is_null()))
                .map(|((instance, _, _), _)| instance)
                .collect();
            (instances.len() == 2).then_some((from, to))
        })
        .await;
    assert_eq!(history::request(from, to), Some((from, to, step)));
    let expected = expected_totals(&prometheus, from, to, step).await;
    // Every total known (a 0 is a measured zero), input tokens flowing.
    assert!(expected.iter().all(Option::is_some), "{expected:?}");
    assert!(expected[0].is_some_and(|t| t > 0.0), "{expected:?}");

    let server = Server::start(&[
        "--refresh-ms",
        "500",
        "--variant",
        &pods[0].variant_arg("production"),
        "--variant",
        &pods[1].variant_arg("production"),
        "--prometheus",
        &prometheus.url(),
    ])
    .await;
    // A colleague's snapshot link: a range before this browser existed.
    let browser = Browser::open_at(&server, &format!("/?from={from}&to={to}")).await;
    browser.wait_for_token_totals("production", &expected).await;
    let note = browser.attr("#history-note", "data-state").await;
    assert_eq!(note.as_deref(), Ok("loaded"));

    browser.client.refresh().await.expect("a reload");
    browser.wait_for_token_totals("production", &expected).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_opens_an_hour_window_with_an_hour_of_data() {
    let server = Server::start(&["--demo", "--refresh-ms", "1000"]).await;
    let browser = Browser::open_at(&server, "/?w=1h").await;
    // Its pods have been running for a day: the hour is there at once, not
    // after an hour of polling (a minute's slack for the grid's edges).
    wait_for("the requests chart to span the hour", || async {
        let drawn = browser.drawn("requests").await?;
        (drawn.from > 0 && drawn.to - drawn.from >= 59 * 60_000)
            .then_some(())
            .ok_or(format!("{drawn:?}"))
    })
    .await;
    let note = browser.attr("#history-note", "data-state").await;
    assert_eq!(note.as_deref(), Ok("loaded"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn widening_the_window_fills_it_from_history_and_live_data_goes_on() {
    let server = Server::start(&["--demo", "--refresh-ms", "500"]).await;
    let browser = Browser::open_at(&server, "/?w=5m").await;
    let scrapes = browser.wait_for_scrapes("production", 2).await;
    let five_minutes = browser.text("#history-note").await.expect("the note");
    // The elements on screen now, to find the same ones after the refill:
    // it replaces the buffers, not the page.
    let kept = ["#status-production", "#verdict", "#chart-requests canvas"];
    browser
        .eval(
            "window.zaiKept = arguments[0].map(css => document.querySelector(css));",
            vec![serde_json::json!(kept)],
        )
        .await
        .expect("the elements on screen");
    // 24 hours, where the page opened on 5 minutes: no reload, no wait
    // for a day of polling.
    browser.click("[data-window='24h']").await;
    wait_for("the history note to tell of the day's history", || async {
        let state = browser.attr("#history-note", "data-state").await?;
        let note = browser.text("#history-note").await?;
        (state == "loaded" && note != five_minutes)
            .then_some(())
            .ok_or(format!("{state}: {note}"))
    })
    .await;
    wait_for("the requests chart to span the day", || async {
        let drawn = browser.drawn("requests").await?;
        (drawn.from > 0 && drawn.to - drawn.from >= 23 * 3_600_000)
            .then_some(())
            .ok_or(format!("{drawn:?}"))
    })
    .await;
    let same = browser
        .eval(
            "return arguments[0].map((css, i) => document.querySelector(css) === window.zaiKept[i]);",
            vec![serde_json::json!(kept)],
        )
        .await
        .expect("the elements on screen");
    assert_eq!(same, serde_json::json!([true, true, true]), "{kept:?}");
    // Live polling carries on over the new history.
    browser.wait_for_scrapes("production", scrapes + 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charts_mark_where_history_gives_way_to_live_data() {
    let server = Server::start(&["--demo", "--refresh-ms", "500"]).await;
    let browser = Browser::open_at(&server, "/?w=5m").await;
    browser.wait_for_scrapes("production", 3).await;
    browser.press('p').await.expect("pause");
    // The junction is seconds before the paused window's end: sweep the
    // chart from its right edge leftwards.
    let canvas = "#chart-requests canvas";
    let (width, height) = browser.size(canvas).await.expect("the canvas");
    let step = std::cell::Cell::new(0.0);
    let browser = &browser;
    let event = wait_for("the history/live mark in a tooltip", || {
        let x = width - 1.0 - (step.get() * 2.0) % width;
        step.set(step.get() + 1.0);
        async move {
            browser.hover(canvas, x, height / 2.0).await?;
            let tooltip = browser.tooltip("requests").await?.ok_or("no tooltip")?;
            tooltip
                .events
                .into_iter()
                .find(|e| e.starts_with("history"))
                .ok_or(format!("none at x = {x}"))
        }
    })
    .await;
    assert_eq!(
        event,
        "history (a point per 15s) before, live (a point per poll) after"
    );
}

/// Every 15 s for an hour from `t0_s` (Unix s), one pod's counters as
/// OpenMetrics for promtool: requests +2 a step, tokens +10 input, +5
/// output, +20 cache read and +1 cache write a step.
fn past_hour(instance: &str, t0_s: i64) -> String {
    let series: [(&str, &str, i64); 5] = [
        ("zai_proxy_requests", "status_code=\"200\"", 2),
        ("zai_proxy_tokens", "direction=\"input\",model=\"m\"", 10),
        ("zai_proxy_tokens", "direction=\"output\",model=\"m\"", 5),
        (
            "zai_proxy_tokens",
            "direction=\"cache_read\",model=\"m\"",
            20,
        ),
        (
            "zai_proxy_tokens",
            "direction=\"cache_write\",model=\"m\"",
            1,
        ),
    ];
    let mut text = String::new();
    let mut family = "";
    for (name, labels, per_step) in series {
        if name != family {
            text += &format!("# TYPE {name} counter\n");
            family = name;
        }
        for i in 0..=240 {
            text += &format!(
                "{name}_total{{{labels},instance=\"{instance}\",job=\"production\"}} {} {}\n",
                100 + per_step * i,
                t0_s + 15 * i
            );
        }
    }
    text + "# EOF\n"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_range_older_than_the_day_the_page_keeps_opens_whole_and_live_polls_wait() {
    // The live pod counts the scrapes it answers: none may come while the
    // archived range shows, since a live row would push it out.
    let hits = Arc::new(AtomicUsize::new(0));
    let pod = Upstream::serve(
        Router::new()
            .route(
                "/metrics",
                get(|State(hits): State<Arc<AtomicUsize>>| async move {
                    hits.fetch_add(1, Ordering::SeqCst);
                    "zai_proxy_requests_total{status_code=\"200\"} 7\n"
                }),
            )
            .with_state(hits.clone()),
    )
    .await;
    // Two days ago, an hour of that pod in Prometheus (its instance is the
    // pod's address, so the relay files it under the live pod's id).
    let step = 15_000;
    let t0 = (now_ms() - 2 * 86_400_000).div_euclid(step) * step;
    let past = past_hour(&pod.addr.to_string(), t0 / 1000);
    let prometheus = Prometheus::start_with_past(&[], Some(&past)).await;
    let server = Server::start(&[
        "--refresh-ms",
        "500",
        "--variant",
        &pod.variant_arg("production"),
        "--prometheus",
        &prometheus.url(),
    ])
    .await;

    // Its middle half hour: 120 steps, so the exact totals are 120 times
    // each step's increase.
    let (from, to) = (t0 + 15 * 60_000, t0 + 45 * 60_000);
    let browser = Browser::open_at(&server, &format!("/?from={from}&to={to}")).await;
    let totals = [Some(1_200.0), Some(600.0), Some(2_400.0), Some(120.0)];
    browser.wait_for_token_totals("production", &totals).await;
    let note = browser
        .text("#history-note")
        .await
        .expect("the history note");
    assert!(note.contains("polling paused"), "{note}");

    // Ten polls' time later (the page's own clock, waited for, not slept),
    // no poll has reached the pod and the range is still whole.
    wait_for("the page to have run 5 s", || async {
        let ms = browser.eval("return performance.now()", vec![]).await?;
        match ms.as_f64() {
            Some(ms) if ms >= 5_000.0 => Ok(()),
            other => Err(format!("{other:?} ms")),
        }
    })
    .await;
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "no live poll while archived"
    );
    browser.wait_for_token_totals("production", &totals).await;

    // Going live loads the live window and polls again: the refill counts
    // one more scrape, a live row another.
    let scrapes = browser.scrape_count("production").await;
    browser
        .click("#window-select button[data-window='5m']")
        .await;
    wait_for("a live poll to reach the pod", || async {
        let n = hits.load(Ordering::SeqCst);
        (n >= 1).then_some(()).ok_or(format!("{n} polls"))
    })
    .await;
    browser.wait_for_scrapes("production", scrapes + 2).await;
    wait_for("the note to say live data follows", || async {
        let note = browser.text("#history-note").await?;
        note.contains("live data every poll")
            .then_some(())
            .ok_or(note)
    })
    .await;
}
