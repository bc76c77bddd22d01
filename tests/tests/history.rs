//! History from a real Prometheus, in a real browser: a link to an absolute
//! range opens with its charts and figures already there, from the
//! Prometheus that scraped the pods, and a reload keeps them.

use std::collections::BTreeMap;

use zai_dash_e2e::{Browser, Server, Upstream, now_ms, wait_for};
use zai_dash_engine::{
    buffer::Buffer,
    history::{self, History, Series, TargetHistory},
    snapshot::snapshot,
    units,
};
use zai_dash_fixtures::prometheus::Prometheus;
use zai_dash_server::{demo::Profile, prometheus::RAW_SERIES};

/// The figures compared, as the tokens panel names them.
const TOTALS: [&str; 4] = [
    "total-input",
    "total-output",
    "total-cache-read",
    "total-cache-write",
];

/// What the engine computes from Prometheus's own raw samples of the
/// variant over `[from, to]` at `step`: the token totals, in [`TOTALS`]
/// order.
async fn expected_totals(
    prometheus: &Prometheus,
    from: i64,
    to: i64,
    step: i64,
) -> [Option<f64>; 4] {
    let query = format!("{{__name__=~\"{RAW_SERIES}\",job=\"production\"}}");
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

/// Waits until the tokens panel's totals for production read `want`.
async fn wait_for_totals(browser: &Browser, want: &[Option<f64>; 4]) {
    for (class, total) in TOTALS.iter().zip(want) {
        let want = units::count(*total);
        wait_for(&format!("production's {class} to read {want}"), || async {
            let figures = browser.figures("tokens", class).await?;
            match figures.iter().find(|f| f.variant == "production") {
                Some(f) if f.value == want => Ok(()),
                _ => Err(format!("{figures:?}")),
            }
        })
        .await;
    }
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
    assert!(
        expected.iter().all(|t| t.is_some_and(|t| t > 0.0)),
        "{expected:?}"
    );

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
    wait_for_totals(&browser, &expected).await;
    let note = browser.attr("#history-note", "data-state").await;
    assert_eq!(note.as_deref(), Ok("loaded"));

    browser.client.refresh().await.expect("a reload");
    wait_for_totals(&browser, &expected).await;
}
