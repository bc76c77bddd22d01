//! A variant is a set of pods, in a real browser: the relay scrapes each
//! configured target on its own, the app stitches counters per pod and
//! sums them, and one pod down leaves the variant on screen, partial.

use zai_dash_e2e::{Browser, Server, Upstream, script, wait_for};
use zai_dash_engine::{buffer::Buffer, parse, snapshot::snapshot, units};
use zai_dash_server::demo::{Profile, Simulator};

/// Scrapes per scripted pod.
const STEPS: usize = 10;

/// Totals of the four token directions over one pod's script by hand: per
/// series, its last value minus its first (the script has no restart, and
/// a series created after the first scrape counts from zero).
fn pod_totals_by_hand(texts: &[String]) -> [f64; 4] {
    let directions = ["input", "output", "cache_read", "cache_write"];
    let value_of = |text: &str, labels: &str| {
        parse::parse(text)
            .samples
            .iter()
            .find(|s| s.name == "zai_proxy_tokens_total" && s.labels.raw() == labels)
            .map(|s| s.value)
    };
    let last = texts.last().expect("a script");
    let mut totals = [0.0; 4];
    for s in parse::parse(last).samples {
        if s.name != "zai_proxy_tokens_total" {
            continue;
        }
        let d = directions
            .iter()
            .position(|d| *d == s.labels.get("direction").expect("a direction"))
            .expect("a known direction");
        let first = value_of(&texts[0], s.labels.raw()).unwrap_or(0.0);
        totals[d] += s.value - first;
    }
    totals
}

/// The engine's token totals over both pods' scripts, filed per target.
fn engine_totals(pods: &[Vec<String>]) -> [Option<f64>; 4] {
    let mut buffer = Buffer::default();
    for step in 0..=STEPS {
        for (p, texts) in pods.iter().enumerate() {
            let t = 1_000 * (step as i64 + 1) + p as i64;
            buffer
                .push_target(&format!("pod-{p}"), t, &parse::parse(&texts[step]))
                .expect("rows in order");
        }
    }
    let window = buffer.window(0, i64::MAX);
    let s = snapshot("production", &window);
    [
        s.tokens_input,
        s.tokens_output,
        s.tokens_cache_read,
        s.tokens_cache_write,
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_variants_totals_are_the_sum_of_its_pods_exact_totals() {
    let pods: Vec<Vec<String>> = [31, 32]
        .map(|seed| {
            script(
                "production",
                Profile::production(),
                seed,
                STEPS,
                10_000,
                None,
            )
        })
        .to_vec();
    let scripts: Vec<(&str, Vec<String>)> = pods
        .iter()
        .map(|texts| ("production", texts.clone()))
        .collect();
    let (server, _upstreams) = Server::scripted(&scripts).await;
    let browser = Browser::open(&server).await;

    let expected = engine_totals(&pods);
    let by_hand: Vec<f64> = (0..4)
        .map(|d| pods.iter().map(|texts| pod_totals_by_hand(texts)[d]).sum())
        .collect();
    for (engine, hand) in expected.iter().zip(&by_hand) {
        let engine = engine.expect("a total");
        assert!(
            (engine - hand).abs() < 1e-6,
            "engine {engine} vs by hand {hand}"
        );
        assert!(engine > 0.0, "the script has traffic");
    }

    browser
        .wait_for_scrapes("production", pods[0].len() as u64)
        .await;
    let card = "#status-production";
    wait_for("production to read 2/2 up", || async {
        let targets = browser.text(&format!("{card} .targets")).await?;
        let state = browser.attr(card, "data-state").await?;
        (targets == "2/2 up" && state == "up")
            .then_some(())
            .ok_or(format!("{state}: {targets}"))
    })
    .await;
    browser.wait_for_token_totals("production", &expected).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_pod_down_keeps_the_variant_on_screen_as_partial() {
    let a = Upstream::steady("production", Profile::production(), 41).await;
    let mut b = Upstream::steady("production", Profile::production(), 42).await;
    let server = Server::start(&[
        "--refresh-ms",
        "300",
        "--variant",
        &a.variant_arg("production"),
        "--variant",
        &b.variant_arg("production"),
    ])
    .await;
    let browser = Browser::open(&server).await;
    let card = "#status-production";
    let reads = |state: &'static str, targets: &'static str| {
        let browser = &browser;
        move || async move {
            let now = (
                browser.attr(card, "data-state").await?,
                browser.text(&format!("{card} .targets")).await?,
                browser.text(&format!("{card} .message")).await?,
            );
            (now.0 == state && now.1 == targets)
                .then(|| now.2.clone())
                .ok_or(format!("{now:?}"))
        }
    };
    wait_for("both pods up", reads("up", "2/2 up")).await;

    b.stop();
    let message = wait_for(
        "one pod down, the variant partial",
        reads("partial", "1/2 up"),
    )
    .await;
    assert!(
        message.contains("down"),
        "the card says which pod is down: {message}"
    );
    // The other pod keeps the variant's panels moving.
    let scrapes = browser.scrape_count("production").await;
    browser.wait_for_scrapes("production", scrapes + 3).await;
    wait_for("production's request rate, marked partial", || async {
        let rates = browser.figures("requests", "req-rate").await?;
        rates
            .iter()
            .any(|f| {
                f.variant == "production" && f.value != units::NO_DATA && f.condition == "partial"
            })
            .then_some(())
            .ok_or(format!("{rates:?}"))
    })
    .await;
    assert_eq!(
        browser.attr("#connection", "data-state").await.as_deref(),
        Ok("connected")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_url_answering_from_two_processes_is_flagged_load_balanced() {
    // One URL, two pods behind it (started an hour apart) answering in
    // turn, as a Kubernetes Service would: counters alternate between two
    // processes. The script ends on pod b, repeated.
    const START_MS: i64 = 1_789_084_800_000;
    let mut pods = [0, 3_600_000]
        .map(|offset| Simulator::new("production", Profile::production(), 61, START_MS - offset));
    let texts: Vec<String> = (0..12)
        .map(|i| {
            let pod = &mut pods[i % 2];
            pod.advance_to(START_MS + i as i64 * 5_000);
            pod.render()
        })
        .collect();
    let front = Upstream::scripted(texts).await;
    let server = Server::start(&[
        "--refresh-ms",
        "250",
        "--coalesce-ms",
        "0",
        "--variant",
        &front.variant_arg("production"),
    ])
    .await;
    let browser = Browser::open(&server).await;
    let message = wait_for("the load-balanced warning", || async {
        let message = browser.text("#status-production .message").await?;
        message
            .contains("load-balanced")
            .then_some(message.clone())
            .ok_or(message)
    })
    .await;
    assert!(
        message.contains("dns+"),
        "the warning names the fix: {message}"
    );
    wait_for("figures over the flips read unreliable", || async {
        let figures = browser.figures("tokens", "total-input").await?;
        figures
            .iter()
            .any(|f| f.variant == "production" && f.value == "unreliable")
            .then_some(())
            .ok_or(format!("{figures:?}"))
    })
    .await;
}
