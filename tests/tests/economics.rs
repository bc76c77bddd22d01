//! The cache and cost economics panel in a real browser: over two scripted
//! scrapes of known token, cost and quota deltas each figure reads the
//! value derived by hand below, as the page formats it, per variant and per
//! model; a variant without a cost family is priced by the table in the
//! link or the panel's editor, and reads "no prices" without one; with a
//! single scrape every projection reads "not enough data", and once its
//! upstream stops answering the burn block is greyed as down.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use axum::{Router, extract::State, http::StatusCode, routing::get};
use tokio::net::TcpListener;
use zai_dash_e2e::{Browser, Server, now_ms, wait_for};

/// One scrape's counters: requests (all 200), tokens and estimated USD
/// per model, and the quota gauges (five-hour and weekly usage, their
/// reset times in Unix s), if exported.
struct Scrape {
    requests: u64,
    models: Vec<Model>,
    quota: Option<([f64; 2], [i64; 2])>,
}

/// One model's tokens per direction (input, output, cache read, cache
/// write) and, if the proxy exports its cost, the estimated USD.
struct Model {
    name: &'static str,
    tokens: [u64; 4],
    usd: Option<[f64; 4]>,
}

/// The model `glm`'s tokens and USD: the single-model scrapes.
fn glm(tokens: [u64; 4], usd: [f64; 4]) -> Vec<Model> {
    vec![Model {
        name: "glm",
        tokens,
        usd: Some(usd),
    }]
}

const DIRECTIONS: [&str; 4] = ["input", "output", "cache_read", "cache_write"];

fn exposition(s: &Scrape) -> String {
    let mut text = format!(
        "# TYPE zai_proxy_requests_total counter\n\
         zai_proxy_requests_total{{status_code=\"200\"}} {}\n\
         # TYPE zai_proxy_tokens_total counter\n",
        s.requests
    );
    for m in &s.models {
        for (d, t) in DIRECTIONS.iter().zip(m.tokens) {
            let model = m.name;
            text += &format!("zai_proxy_tokens_total{{direction=\"{d}\",model=\"{model}\"}} {t}\n");
        }
    }
    if s.models.iter().any(|m| m.usd.is_some()) {
        text += "# TYPE zai_proxy_estimated_cost_usd_total counter\n";
    }
    for m in &s.models {
        for (d, usd) in DIRECTIONS.iter().zip(m.usd.into_iter().flatten()) {
            let model = m.name;
            text += &format!(
                "zai_proxy_estimated_cost_usd_total{{direction=\"{d}\",model=\"{model}\"}} {usd}\n"
            );
        }
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
            models: glm(
                [1_000_000, 200_000, 5_000_000, 800_000],
                [3.0, 3.0, 1.5, 3.0],
            ),
            quota: quota([0.5, 0.2]),
        },
        Scrape {
            requests: 1_040,
            models: glm(
                [1_010_000, 202_000, 5_050_000, 808_000],
                [3.03, 3.03, 1.515, 3.03],
            ),
            quota: quota([0.50001, 0.6]),
        },
    ];
    // Canary: 50 requests; 4 000 input tokens for $0.012, 2 000 output for
    // $0.03, 60 000 cache reads for $0.018, 4 000 cache writes for $0.015:
    // $0.075 in all, at the same prices. No quota telemetry.
    let canary = [
        Scrape {
            requests: 500,
            models: glm(
                [400_000, 100_000, 3_000_000, 200_000],
                [1.2, 1.5, 0.9, 0.75],
            ),
            quota: None,
        },
        Scrape {
            requests: 550,
            models: glm(
                [404_000, 102_000, 3_060_000, 204_000],
                [1.212, 1.53, 0.918, 0.765],
            ),
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
        models: glm([100, 20, 300, 40], [0.1, 0.2, 0.03, 0.05]),
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

    // Down, its burn block stays, greyed as its figures are, and says why
    // on hover.
    let block = "[data-testid=burn-production]";
    wait_for("the burn block to read down", || async {
        match browser.attr(block, "data-condition").await?.as_str() {
            "down" => Ok(()),
            other => Err(other.to_owned()),
        }
    })
    .await;
    let hover = browser.attr(block, "title").await.expect("a hover text");
    assert!(hover.starts_with("production is down"), "{hover}");
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

/// Each model's row of `variant`'s by-model table: its name and its cache
/// hit, reads per write, saved and per-1k-output cells, as on screen.
async fn model_rows(browser: &Browser, variant: &str) -> Result<Vec<Vec<String>>, String> {
    let rows = browser
        .eval(
            r#"const rows = document.querySelectorAll(
                 `[data-testid="econ-models-${arguments[0]}"] tbody tr`);
               return [...rows].map(r =>
                 [r.dataset.model, ...[...r.querySelectorAll("td")].map(c => c.textContent)]);"#,
            vec![variant.into()],
        )
        .await?;
    serde_json::from_value(rows).map_err(|e| e.to_string())
}

/// Waits until `variant`'s by-model table reads `want`, row by row.
async fn wait_for_models(browser: &Browser, variant: &str, want: &[[&str; 5]]) {
    wait_for(&format!("{variant}'s models to read {want:?}"), || async {
        let rows = model_rows(browser, variant).await?;
        if rows == want {
            Ok(())
        } else {
            Err(format!("{rows:?}"))
        }
    })
    .await;
}

/// Two scrapes of models glm-4.7 and glm-4.5-air, with or without the
/// proxy's cost: between them glm-4.7 takes 10 000 input, `output` output,
/// 50 000 cache-read and 8 000 cache-write tokens, glm-4.5-air 4 000,
/// 2 000, 60 000 and 4 000; priced (when `cost`) at $3/M input, $15/M
/// output, $0.30/M cache read and $3.75/M cache write.
fn two_models(output: u64, cost: bool) -> Vec<String> {
    let price = [3.0, 15.0, 0.3, 3.75];
    let model = |name, delta: [u64; 4], k: u64| {
        let tokens = delta.map(|d| 1_000_000 + k * d);
        let mut usd = [0.0; 4];
        for ((u, t), p) in usd.iter_mut().zip(tokens).zip(price) {
            *u = t as f64 * p / 1e6;
        }
        Model {
            name,
            tokens,
            usd: cost.then_some(usd),
        }
    };
    (0..2)
        .map(|k| {
            exposition(&Scrape {
                requests: 500 + 50 * k,
                models: vec![
                    model("glm-4.7", [10_000, output, 50_000, 8_000], k),
                    model("glm-4.5-air", [4_000, 2_000, 60_000, 4_000], k),
                ],
                quota: None,
            })
        })
        .collect()
}

/// Waits until `location.search` is `want`.
async fn wait_for_search(browser: &Browser, want: &str) {
    wait_for(&format!("the link to read {want}"), || async {
        let search = browser.eval("return location.search;", vec![]).await?;
        if search == want {
            Ok(())
        } else {
            Err(search.to_string())
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_model_has_its_figures_and_a_variant_without_cost_takes_the_editors_prices() {
    // Production exports its cost; the canary (3 000 output tokens of
    // glm-4.7, not 2 000) does not.
    let (server, _upstreams) = Server::scripted(&[
        ("production", two_models(2_000, true)),
        ("canary", two_models(3_000, false)),
    ])
    .await;
    let browser = Browser::open(&server).await;

    // Production per model, at the proxy's cost. glm-4.7: 50 000 /
    // (10 000 + 50 000 + 8 000) = 73.5 %; 50 000 / 8 000 = 6.25×;
    // 50 000 × ($3 − $0.30)/M − 8 000 × ($3.75 − $3)/M = $0.1290;
    // ($0.03 + $0.03 + $0.015 + $0.03) × 1 000 / 2 000 = $0.0525.
    // glm-4.5-air: 60 000 / 68 000 = 88.2 %; 15.0×; $0.162 − $0.003 =
    // $0.1590; ($0.012 + $0.03 + $0.018 + $0.015) × 1 000 / 2 000 = $0.0375.
    wait_for_models(
        &browser,
        "production",
        &[
            ["glm-4.5-air", "88.2%", "15.0×", "$0.1590", "$0.0375"],
            ["glm-4.7", "73.5%", "6.25×", "$0.1290", "$0.0525"],
        ],
    )
    .await;
    let source = |variant: &str| format!("[data-testid=econ-source-{variant}]");
    wait_for_text(&browser, &source("production"), |t| {
        t == "production: prices from the proxy's cost"
    })
    .await;
    // The canary has tokens but no prices: its dollars are unknown, its
    // cache ratios are not.
    wait_for_text(&browser, &source("canary"), |t| {
        t == "canary: no prices for input, output, cache_read, cache_write: set them below"
    })
    .await;
    wait_for_figure(&browser, "econ-saved", "canary", "—").await;
    wait_for_figure(&browser, "econ-hit", "canary", "80.9%").await;

    // The editor writes the table into the link, a price at a time.
    for (field, price) in [
        ("input", "3"),
        ("output", "15"),
        ("cache_read", "0.3"),
        ("cache_write", "3"),
    ] {
        browser
            .type_over(&format!(".price-{field}"), price)
            .await
            .expect("a price typed");
    }
    wait_for_search(
        &browser,
        "?prices=input:3,output:15,cache_read:0.3,cache_write:3",
    )
    .await;
    wait_for_text(&browser, &source("canary"), |t| {
        t == "canary: prices from your price table"
    })
    .await;
    // The canary at $3, $15, $0.30 and $3 per million: cache writes cost
    // what input does, so the saving is the reads' alone: 110 000 ×
    // $2.70/M = $0.2970. glm-4.7 costs $0.03 + $0.045 + $0.015 + $0.024 =
    // $0.114, glm-4.5-air $0.012 + $0.03 + $0.018 + $0.012 = $0.072:
    // $0.186 over 50 requests is $0.00372, over 5 000 output tokens
    // $0.0372 per 1k.
    wait_for_figure(&browser, "econ-saved", "canary", "$0.2970").await;
    wait_for_figure(&browser, "econ-per-request", "canary", "$0.0037").await;
    wait_for_figure(&browser, "econ-per-1k-output", "canary", "$0.0372").await;
    // glm-4.7: 50 000 × $2.70/M = $0.1350, $0.114 × 1 000 / 3 000 = $0.0380;
    // glm-4.5-air: 60 000 × $2.70/M = $0.1620, $0.072 / 2 = $0.0360.
    wait_for_models(
        &browser,
        "canary",
        &[
            ["glm-4.5-air", "88.2%", "15.0×", "$0.1620", "$0.0360"],
            ["glm-4.7", "73.5%", "6.25×", "$0.1350", "$0.0380"],
        ],
    )
    .await;
    // The proxy's own cost wins: production's saving is still $0.129 +
    // $0.159.
    wait_for_figure(&browser, "econ-saved", "production", "$0.2880").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prices_in_the_link_price_a_variant_without_cost_per_model() {
    let (server, _upstreams) = Server::scripted(&[("canary", two_models(3_000, false))]).await;
    let browser = Browser::open_at(
        &server,
        "/?prices=input:3,output:15,cache_read:0.3,cache_write:3.75,glm-4.5-air/output:7.5",
    )
    .await;
    // glm-4.7: $0.03 + 3 000 × $15/M + $0.015 + $0.03 = $0.12, $0.04 per 1k
    // of its 3 000 output tokens; glm-4.5-air at its own $7.5/M output:
    // $0.012 + $0.015 + $0.018 + $0.015 = $0.06, $0.03 per 1k of 2 000.
    // Savings as production's at these prices: $0.129 and $0.159.
    wait_for_models(
        &browser,
        "canary",
        &[
            ["glm-4.5-air", "88.2%", "15.0×", "$0.1590", "$0.0300"],
            ["glm-4.7", "73.5%", "6.25×", "$0.1290", "$0.0400"],
        ],
    )
    .await;
    // The variant: $0.18 × 1 000 / 5 000 output tokens; $0.288 saved.
    wait_for_figure(&browser, "econ-per-1k-output", "canary", "$0.0360").await;
    wait_for_figure(&browser, "econ-saved", "canary", "$0.2880").await;
    // The editor shows the every-model prices and lists the model's own.
    wait_for("the cache write field to read 3.75", || async {
        let value = browser
            .eval(
                "return document.querySelector('.price-cache_write').value;",
                vec![],
            )
            .await?;
        if value == "3.75" {
            Ok(())
        } else {
            Err(value.to_string())
        }
    })
    .await;
    wait_for_text(&browser, "[data-testid=econ-prices] .footnote", |t| {
        t == "per model, from the link: glm-4.5-air/output:7.5"
    })
    .await;
}
