//! The cache and cost economics panel in a real browser: over two scripted
//! scrapes of known token, cost and quota deltas each figure reads the
//! value derived by hand below, as the page formats it; with a single
//! scrape every projection reads "not enough data".

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use axum::{Router, extract::State, http::StatusCode, routing::get};
use tokio::net::TcpListener;
use zai_dash_e2e::{Browser, Server, now_ms, wait_for};

/// One scrape's counters: requests (all 200), tokens and estimated USD
/// per direction (input, output, cache read, cache write), and the quota
/// gauges (five-hour and weekly usage, their reset times in Unix s), if
/// exported.
struct Scrape {
    requests: u64,
    tokens: [u64; 4],
    usd: [f64; 4],
    quota: Option<([f64; 2], [i64; 2])>,
}

const DIRECTIONS: [&str; 4] = ["input", "output", "cache_read", "cache_write"];

fn exposition(s: &Scrape) -> String {
    let mut text = format!(
        "# TYPE zai_proxy_requests_total counter\n\
         zai_proxy_requests_total{{status_code=\"200\"}} {}\n\
         # TYPE zai_proxy_tokens_total counter\n",
        s.requests
    );
    for (d, t) in DIRECTIONS.iter().zip(s.tokens) {
        text += &format!("zai_proxy_tokens_total{{direction=\"{d}\",model=\"glm\"}} {t}\n");
    }
    text += "# TYPE zai_proxy_estimated_cost_usd_total counter\n";
    for (d, usd) in DIRECTIONS.iter().zip(s.usd) {
        text += &format!(
            "zai_proxy_estimated_cost_usd_total{{direction=\"{d}\",model=\"glm\"}} {usd}\n"
        );
    }
    if let Some((usage, reset)) = s.quota {
        text += "# TYPE zai_proxy_quota_usage_ratio gauge\n";
        for (w, u) in ["five_hour", "weekly"].iter().zip(usage) {
            text += &format!(
                "zai_proxy_quota_usage_ratio{{limit_type=\"credit_limit\",window=\"{w}\"}} {u}\n"
            );
        }
        text += "# TYPE zai_proxy_quota_reset_time_seconds gauge\n";
        for (w, r) in ["five_hour", "weekly"].iter().zip(reset) {
            text += &format!(
                "zai_proxy_quota_reset_time_seconds{{limit_type=\"credit_limit\",window=\"{w}\"}} {r}\n"
            );
        }
    }
    text
}

/// Waits until `variant`'s figure `class` in the economics panel reads
/// `want`.
async fn wait_for_figure(browser: &Browser, class: &str, variant: &str, want: &str) {
    wait_for(&format!("{variant}'s {class} to read {want}"), || async {
        let figures = browser.figures("economics", class).await?;
        match figures.iter().find(|f| f.variant == variant) {
            Some(f) if f.value == want => Ok(()),
            _ => Err(format!("{figures:?}")),
        }
    })
    .await;
}

/// Waits until the text of `css` satisfies `accept`; returns it.
async fn wait_for_text(browser: &Browser, css: &str, accept: impl Fn(&str) -> bool) -> String {
    wait_for(&format!("the text of {css}"), || async {
        let text = browser.text(css).await?;
        if accept(&text) { Ok(text) } else { Err(text) }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_scrapes_give_the_hand_derived_figures() {
    let now_s = now_ms() / 1000;
    // Production, between its two scrapes: 40 requests; 10 000 input
    // tokens for $0.03 ($3/M), 2 000 output for $0.03, 50 000 cache reads
    // for $0.015 ($0.30/M), 8 000 cache writes for $0.03 ($3.75/M): $0.105
    // in all. Its five-hour quota creeps from 0.5 to 0.50001 (thousands of
    // seconds to run out at any poll interval) but resets within a minute;
    // its weekly one jumps from 0.2 to 0.6 and resets in a week.
    let quota = |usage| Some((usage, [now_s + 60, now_s + 7 * 86_400]));
    let production = [
        Scrape {
            requests: 1_000,
            tokens: [1_000_000, 200_000, 5_000_000, 800_000],
            usd: [3.0, 3.0, 1.5, 3.0],
            quota: quota([0.5, 0.2]),
        },
        Scrape {
            requests: 1_040,
            tokens: [1_010_000, 202_000, 5_050_000, 808_000],
            usd: [3.03, 3.03, 1.515, 3.03],
            quota: quota([0.50001, 0.6]),
        },
    ];
    // Canary: 50 requests; 4 000 input tokens for $0.012, 2 000 output for
    // $0.03, 60 000 cache reads for $0.018, 4 000 cache writes for $0.015:
    // $0.075 in all, at the same prices. No quota telemetry.
    let canary = [
        Scrape {
            requests: 500,
            tokens: [400_000, 100_000, 3_000_000, 200_000],
            usd: [1.2, 1.5, 0.9, 0.75],
            quota: None,
        },
        Scrape {
            requests: 550,
            tokens: [404_000, 102_000, 3_060_000, 204_000],
            usd: [1.212, 1.53, 0.918, 0.765],
            quota: None,
        },
    ];
    let script = |scrapes: &[Scrape]| scrapes.iter().map(exposition).collect::<Vec<_>>();
    let (server, _upstreams) = Server::scripted(&[
        ("production", script(&production)),
        ("canary", script(&canary)),
    ])
    .await;
    let browser = Browser::open(&server).await;

    // The scripts repeat their last scrape, so the totals stay those of
    // the two scrapes however many polls follow.
    let expected: [(&str, [&str; 2]); 5] = [
        // 50 000 / (10 000 + 50 000 + 8 000) = 73.53 %;
        // 60 000 / (4 000 + 60 000 + 4 000) = 88.24 %.
        ("econ-hit", ["73.5%", "88.2%"]),
        // 50 000 / 8 000 = 6.25; 60 000 / 4 000 = 15.
        ("econ-reads-per-write", ["6.25×", "15.0×"]),
        // 50 000 × ($3 − $0.30)/M − 8 000 × ($3.75 − $3)/M
        //   = $0.135 − $0.006 = $0.129;
        // 60 000 × $2.70/M − 4 000 × $0.75/M = $0.162 − $0.003 = $0.159.
        ("econ-saved", ["$0.1290", "$0.1590"]),
        // $0.105 / 40 = $0.002625; $0.075 / 50 = $0.0015.
        ("econ-per-request", ["$0.0026", "$0.0015"]),
        // $0.105 × 1 000 / 2 000 = $0.0525; $0.075 × 1 000 / 2 000.
        ("econ-per-1k-output", ["$0.0525", "$0.0375"]),
    ];
    for (class, [p, c]) in expected {
        wait_for_figure(&browser, class, "production", p).await;
        wait_for_figure(&browser, class, "canary", c).await;
    }

    // The canary is $0.001125 a request cheaper: negative whatever
    // production's request rate (which depends on the poll timing).
    let difference = wait_for_text(&browser, "[data-testid=econ-difference]", |t| {
        t.starts_with("−$")
    })
    .await;
    assert!(difference.ends_with("/day"), "{difference}");

    let burn = |variant: &str, line: &str| format!("[data-testid=burn-{variant}] .burn-{line}");
    let day = wait_for_text(&browser, &burn("production", "day"), |t| {
        t.starts_with("rest of today (")
    })
    .await;
    assert!(day.contains(" tokens, $"), "{day}");
    wait_for_text(&browser, &burn("production", "five_hour"), |t| {
        t.starts_with("5h quota: resets first (in ")
    })
    .await;
    wait_for_text(&browser, &burn("production", "weekly"), |t| {
        t.starts_with("weekly quota: runs out in ")
    })
    .await;
    let none = browser
        .text(&burn("canary", "weekly"))
        .await
        .expect("the canary's weekly line");
    assert_eq!(none, "weekly quota: not enough data");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_scrape_is_not_enough_data() {
    // An upstream that answers its first scrape and fails every later one:
    // the page holds exactly one row.
    let first = exposition(&Scrape {
        requests: 10,
        tokens: [100, 20, 300, 40],
        usd: [0.1, 0.2, 0.03, 0.05],
        quota: Some((
            [0.5, 0.2],
            [now_ms() / 1000 + 3_600, now_ms() / 1000 + 86_400],
        )),
    });
    type Once = Arc<(String, AtomicUsize)>;
    let router = Router::new()
        .route(
            "/metrics",
            get(|State(once): State<Once>| async move {
                if once.1.fetch_add(1, Ordering::SeqCst) == 0 {
                    Ok(once.0.clone())
                } else {
                    Err(StatusCode::SERVICE_UNAVAILABLE)
                }
            }),
        )
        .with_state(Arc::new((first, AtomicUsize::new(0))));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move { axum::serve(listener, router).await.expect("upstream runs") });
    let variant = format!("production=http://{addr}/metrics");
    let server = Server::start(&["--refresh-ms", "250", "--variant", &variant]).await;
    let browser = Browser::open(&server).await;
    browser.wait_for_scrapes("production", 1).await;
    // The next poll failed: no second row can come.
    browser.wait_for_down("production").await;

    let block = "[data-testid=burn-production]";
    for (line, want) in [
        ("day", "rest of today: not enough data"),
        ("five_hour", "5h quota: not enough data"),
        ("weekly", "weekly quota: not enough data"),
    ] {
        let text = browser
            .text(&format!("{block} .burn-{line}"))
            .await
            .expect("the burn line");
        assert_eq!(text, want);
    }
    let difference = browser
        .text("[data-testid=econ-difference]")
        .await
        .expect("the difference");
    assert_eq!(difference, "needs a production and a canary variant");
}
