//! Comparing the variants on a chart, in a real browser, against scripted
//! upstreams whose gauges make every compared value derivable by hand:
//! production has 1 request in flight and 0 max workers, the canary 2 and
//! 4, from its ninth scrape on (before, it exports no gauge at all). The
//! canary also answers 500s, which production never has.
//!
//! The control and a link both switch a chart to canary − production and
//! canary ÷ production; the URL carries the mode, the value axis its unit,
//! and a point is a gap (not 0, not ∞) where a variant has no value or a
//! ratio would divide by production's 0.

use serde_json::Value;
use zai_dash_e2e::{Browser, Drawn, Server, Upstream, wait_for};

/// One scrape: request counters by status code, and the in-flight and
/// max-workers gauges if exported.
fn exposition(requests: &[(&str, u64)], gauges: Option<(u32, u32)>) -> String {
    let mut text = "# TYPE zai_proxy_requests_total counter\n".to_owned();
    for (code, n) in requests {
        text += &format!("zai_proxy_requests_total{{status_code=\"{code}\"}} {n}\n");
    }
    if let Some((in_flight, max_workers)) = gauges {
        text += &format!(
            "# TYPE zai_proxy_concurrent_requests gauge\n\
             zai_proxy_concurrent_requests {in_flight}\n\
             # TYPE zai_proxy_max_workers gauge\n\
             zai_proxy_max_workers {max_workers}\n"
        );
    }
    text
}

/// How many scrapes the canary answers without its gauges.
const CANARY_SILENT: usize = 8;

/// A relay over the two scripted variants, and a browser on `path`.
async fn open(path: &str) -> (Server, Vec<Upstream>, Browser) {
    let production = vec![exposition(&[("200", 100)], Some((1, 0)))];
    let mut canary = vec![exposition(&[("200", 50), ("500", 5)], None); CANARY_SILENT];
    canary.push(exposition(&[("200", 50), ("500", 5)], Some((2, 4))));
    let (server, upstreams) =
        Server::scripted(&[("production", production), ("canary", canary)]).await;
    let browser = Browser::open_at(&server, path).await;
    (server, upstreams, browser)
}

/// What one chart's comparison shows: the pressed mode, whether the
/// control is disabled, the axis unit, the legend, why lines are not
/// drawn, and the page's query string.
#[derive(Debug)]
struct Shown {
    pressed: Vec<String>,
    disabled: bool,
    unit: String,
    legend: Vec<String>,
    missing: String,
    search: String,
}

async fn shown(browser: &Browser, chart: &str) -> Result<Shown, String> {
    let v = browser
        .eval(
            r#"
            const chart = document.querySelector(`#chart-${arguments[0]}`);
            if (!chart) return null;
            const buttons = [...chart.querySelectorAll(".compare button")];
            const missing = chart.querySelector(".compare-missing");
            return {
                pressed: buttons.filter(b => b.getAttribute("aria-pressed") === "true")
                    .map(b => b.dataset.compare),
                disabled: buttons.length > 0 && buttons.every(b => b.disabled),
                unit: chart.querySelector("canvas")?.dataset.axisUnit ?? "",
                legend: [...chart.querySelectorAll(".legend-item")].map(b => b.textContent.trim()),
                missing: missing && !missing.hidden ? missing.textContent.trim() : "",
                search: location.search,
            };
            "#,
            vec![chart.into()],
        )
        .await?;
    if v.is_null() {
        return Err("no chart yet".into());
    }
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(Shown {
        pressed: strings(&v["pressed"]),
        disabled: v["disabled"].as_bool().unwrap_or(false),
        unit: v["unit"].as_str().unwrap_or_default().to_owned(),
        legend: strings(&v["legend"]),
        missing: v["missing"].as_str().unwrap_or_default().to_owned(),
        search: v["search"].as_str().unwrap_or_default().to_owned(),
    })
}

/// Waits until chart `chart` shows what `accept` wants; returns it.
async fn wait_until(browser: &Browser, chart: &str, accept: impl Fn(&Shown) -> bool) -> Shown {
    wait_for(&format!("chart {chart}'s comparison"), || async {
        let s = shown(browser, chart).await?;
        if accept(&s) {
            Ok(s)
        } else {
            Err(format!("{s:?}"))
        }
    })
    .await
}

/// Waits until the tooltip of the concurrency chart has `rows` (label,
/// value) among its rows.
async fn wait_for_values(browser: &Browser, rows: &[(&str, &str)]) {
    browser
        .wait_for_tooltip("concurrency", |t| {
            rows.iter()
                .all(|(l, v)| t.rows.iter().any(|(label, value)| label == l && value == v))
        })
        .await;
}

const IN_FLIGHT_DIFF: &str = "in flight canary − production";
const MAX_WORKERS_DIFF: &str = "max workers canary − production";
const IN_FLIGHT_RATIO: &str = "in flight canary ÷ production";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_control_switches_to_difference_and_ratio_with_gaps_where_a_variant_has_no_data() {
    let (_server, _upstreams, browser) = open("/?w=1m").await;
    // Overlay: both variants' lines once the canary exports its gauges.
    let overlay = wait_until(&browser, "concurrency", |s| {
        s.legend.len() == 4 && s.pressed == ["overlay"]
    })
    .await;
    assert!(!overlay.disabled, "{overlay:?}");
    // The overlay draws from production's first point, scrapes before the
    // canary's gauges.
    let from_overlay: Drawn = browser.drawn("concurrency").await.expect("drawn");

    browser
        .click("#chart-concurrency [data-compare=diff]")
        .await;
    let diff = wait_until(&browser, "concurrency", |s| s.pressed == ["diff"]).await;
    assert_eq!(diff.search, "?w=1m&cmp=concurrency:diff");
    // The chart's own unit, one solid line per series.
    assert_eq!(diff.unit, "requests");
    assert_eq!(diff.legend, [IN_FLIGHT_DIFF, MAX_WORKERS_DIFF]);
    // In flight 2 − 1 = +1; max workers 4 − 0 = +4.
    wait_for_values(
        &browser,
        &[(IN_FLIGHT_DIFF, "+1"), (MAX_WORKERS_DIFF, "+4")],
    )
    .await;
    browser.screenshot("compare-difference").await;
    // Where the canary had no gauge the difference is a gap: it draws
    // from a later point than the overlay did.
    let from_diff = browser.drawn("concurrency").await.expect("drawn");
    assert!(
        from_diff.from > from_overlay.from,
        "{from_diff:?} after {from_overlay:?}"
    );

    browser
        .click("#chart-concurrency [data-compare=ratio]")
        .await;
    let ratio = wait_until(&browser, "concurrency", |s| s.pressed == ["ratio"]).await;
    assert_eq!(ratio.search, "?w=1m&cmp=concurrency:ratio");
    assert_eq!(ratio.unit, "×");
    // In flight 2 ÷ 1 = 2.00×; max workers 4 ÷ 0 is no ratio: a gap
    // everywhere, so not drawn, and said why.
    assert_eq!(ratio.legend, [IN_FLIGHT_RATIO]);
    assert_eq!(ratio.missing, "not drawn: max workers: production is 0");
    wait_for_values(&browser, &[(IN_FLIGHT_RATIO, "2.00×")]).await;

    browser
        .click("#chart-concurrency [data-compare=overlay]")
        .await;
    let back = wait_until(&browser, "concurrency", |s| s.pressed == ["overlay"]).await;
    assert_eq!(back.search, "?w=1m", "overlay is the default, not written");
    assert_eq!(back.legend.len(), 4, "{back:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_opens_charts_compared_and_bad_entries_are_noticed() {
    let (_server, _upstreams, browser) =
        open("/?w=1m&cmp=concurrency:ratio,requests:diff,nochart:diff,latency:difference").await;
    let ratio = wait_until(&browser, "concurrency", |s| {
        s.pressed == ["ratio"] && s.legend == [IN_FLIGHT_RATIO]
    })
    .await;
    assert_eq!(ratio.unit, "×");
    wait_for_values(&browser, &[(IN_FLIGHT_RATIO, "2.00×")]).await;
    // The 500s only the canary has: no difference to draw, and said so.
    let requests = wait_until(&browser, "requests", |s| s.pressed == ["diff"]).await;
    assert_eq!(requests.unit, "req/s");
    assert!(
        requests.missing.contains("500: production has no data"),
        "{requests:?}"
    );
    assert!(
        !requests.legend.iter().any(|l| l.starts_with("500")),
        "{requests:?}"
    );
    // A chart that does not exist and a mode that does not: both noticed,
    // the latency chart overlays.
    let notices = browser.wait_for_notices("cmp", 2).await;
    assert!(
        notices.iter().any(|n| n.contains("latency:difference")),
        "{notices:?}"
    );
    assert!(
        notices
            .iter()
            .any(|n| n.contains("no chart is called nochart")),
        "{notices:?}"
    );
    let latency = shown(&browser, "latency").await.expect("the latency chart");
    assert_eq!(latency.pressed, ["overlay"]);

    // With one variant shown there is nothing to compare: the control is
    // disabled and the chart overlays, its mode kept in the link.
    browser.click("[data-show=production]").await;
    let alone = wait_until(&browser, "concurrency", |s| s.disabled).await;
    assert_eq!(alone.pressed, ["overlay"]);
    assert_eq!(alone.legend, ["in flight", "max workers"]);
    assert!(alone.search.contains("cmp=concurrency:ratio"), "{alone:?}");
}
