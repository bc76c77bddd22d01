//! What a new user sees first, and what it says: figures that name the
//! span they cover (the cards the last minute, the panels the window, and
//! how much of it there is while the page is still collecting), rates
//! from the second poll a second after the first, no wasted request for a
//! `config.json`, and honest states: an unreachable relay said once with
//! the variants unknown (not down), an answer with no zai-proxy metrics
//! said to be one, and a quota sample coloured by its age.

use std::{net::SocketAddr, sync::Arc};

use tokio::{
    net::{TcpListener, TcpStream},
    sync::Mutex,
    task::JoinHandle,
};
use zai_dash_e2e::{Browser, Server, StaticSite, Upstream, wait_for};

/// Waits until the first element matching `css` has text that `accept`s.
async fn wait_for_text(browser: &Browser, css: &str, accept: impl Fn(&str) -> bool) -> String {
    wait_for(&format!("the text of {css}"), || async {
        let text = browser.text(css).await?;
        if accept(&text) { Ok(text) } else { Err(text) }
    })
    .await
}

/// An exposition of a zai-proxy that has served `n` requests, with a
/// quota sample `age_s` seconds old.
fn exposition(n: u64, age_s: u64) -> String {
    format!(
        "# TYPE zai_proxy_requests_total counter\n\
         zai_proxy_requests_total{{status_code=\"200\"}} {n}\n\
         # TYPE zai_proxy_quota_sample_age_seconds gauge\n\
         zai_proxy_quota_sample_age_seconds{{variant=\"production\"}} {age_s}\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_the_data_does_not_fill_says_how_much_it_has() {
    // No history store: the page has only what it has polled.
    let script: Vec<String> = (0..400).map(|i| exposition(10 * i, 30)).collect();
    let (server, _upstreams) = Server::scripted(&[("production", script)]).await;
    let browser = Browser::open_at(&server, "/?w=1h").await;
    browser.wait_for_scrapes("production", 3).await;

    let panel = wait_for_text(&browser, "#panel-requests .figure-span", |t| {
        t.starts_with("collecting since")
    })
    .await;
    assert!(panel.contains("of the 1h window"), "{panel}");
    assert!(panel.contains("scrapes"), "{panel}");
    // The cards cover the last minute, and say so too.
    let card = browser
        .text("#status-production .card-span")
        .await
        .expect("the card's span");
    assert!(card.contains("of the 1m window"), "{card}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_window_names_its_span_and_the_cards_name_theirs() {
    // The demo has a past: the 15 minutes are full from the start.
    let server = Server::start(&["--demo", "--refresh-ms", "500"]).await;
    let browser = Browser::open_at(&server, "/?w=15m").await;
    browser.wait_for_scrapes("production", 3).await;
    wait_for_text(&browser, "#panel-latency .figure-span", |t| {
        t == "over the last 15m"
    })
    .await;
    wait_for_text(&browser, "#status-canary .card-span", |t| {
        t == "over the last 1m"
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_second_poll_follows_the_first_within_a_second_so_rates_show_at_once() {
    // The relay suggests a poll a minute: only the quick follow-up can
    // bring a second scrape within the test's patience.
    let server = Server::start(&["--demo", "--refresh-ms", "60000", "--coalesce-ms", "0"]).await;
    let browser = Browser::open_at(&server, "/?w=5m").await;
    // The history backfill, then two polls.
    browser.wait_for_scrapes("production", 3).await;
    let rate = wait_for_text(&browser, "#status-production .req-rate", |t| t != "—").await;
    assert!(rate.ends_with("/s"), "{rate}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_served_by_its_relay_asks_for_no_config_json() {
    let server = Server::start(&["--demo", "--refresh-ms", "500"]).await;
    let browser = Browser::open(&server).await;
    browser.wait_for_scrapes("production", 2).await;
    let asked = browser
        .eval(
            "return performance.getEntriesByType('resource').map(e => e.name);",
            vec![],
        )
        .await
        .expect("resource timings");
    let asked: Vec<&str> = asked
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(
        asked.iter().any(|u| u.contains("/api/variants")),
        "{asked:?}"
    );
    assert!(
        !asked.iter().any(|u| u.contains("config.json")),
        "{asked:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_without_zai_proxy_metrics_says_what_is_missing() {
    let foreign = Upstream::scripted(vec!["# TYPE up gauge\nup 1\n".to_owned()]).await;
    let empty = Upstream::scripted(vec![String::new()]).await;
    let server = Server::start(&[
        "--refresh-ms",
        "500",
        "--variant",
        &foreign.variant_arg("production"),
        "--variant",
        &empty.variant_arg("canary"),
    ])
    .await;
    let browser = Browser::open(&server).await;
    let message = wait_for_text(&browser, "#status-production .message", |t| !t.is_empty()).await;
    assert!(message.contains("no zai_proxy_ metric"), "{message}");
    let message = wait_for_text(&browser, "#status-canary .message", |t| !t.is_empty()).await;
    assert!(
        message.contains("no metrics at all") || message.contains("empty"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quota_sample_is_coloured_by_its_age() {
    for (age_s, class) in [(30, "fresh"), (600, "aging"), (3_600, "stale")] {
        let script: Vec<String> = (0..200).map(|i| exposition(i, age_s)).collect();
        let (server, _upstreams) = Server::scripted(&[("production", script)]).await;
        let browser = Browser::open(&server).await;
        let found = wait_for(&format!("the quota sample's class {class}"), || async {
            let found = browser
                .attr("[data-testid=quota-production-freshness]", "class")
                .await?;
            if found.contains(class) {
                Ok(found)
            } else {
                Err(found)
            }
        })
        .await;
        assert!(found.starts_with("quota-freshness"), "{found}");
    }
}

/// A TCP forwarder to the relay that the test can cut, as when the
/// network between the browser and the relay goes away.
struct Forwarder {
    addr: SocketAddr,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Forwarder {
    async fn start(to: SocketAddr) -> Forwarder {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let tasks = Arc::new(Mutex::new(Vec::new()));
        let conns = tasks.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let conn = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(to).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                conns.lock().await.push(conn);
            }
        });
        tasks.lock().await.push(accept);
        Forwarder { addr, tasks }
    }

    /// Closes the listener and every connection through it.
    async fn cut(&self) {
        for task in self.tasks.lock().await.drain(..) {
            task.abort();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_relay_is_said_once_and_the_variants_are_unknown_not_down() {
    let origin = StaticSite::start().await.origin();
    let server = Server::start(&["--demo", "--refresh-ms", "500", "--allow-origin", &origin]).await;
    let forwarder = Forwarder::start(server.addr).await;
    let relay = format!("http://{}", forwarder.addr);

    let browser = Browser::start().await;
    browser
        .client
        .goto(&format!("{origin}/?relay={relay}"))
        .await
        .expect("open the app");
    browser.wait_for_scrapes("production", 2).await;
    forwarder.cut().await;

    let reason = wait_for_text(&browser, "#connection .connection-reason", |t| {
        t.contains("relay unreachable")
    })
    .await;
    assert!(!reason.is_empty());
    for variant in ["production", "canary"] {
        let card = format!("#status-{variant}");
        let state = wait_for(&format!("{variant} unknown"), || async {
            let state = browser.attr(&card, "data-state").await?;
            if state == "unknown" {
                Ok(state)
            } else {
                Err(state)
            }
        })
        .await;
        assert_eq!(state, "unknown");
        // Said once, at the top: not again on every card.
        let message = browser.text(&format!("{card} .message")).await;
        assert_eq!(message.as_deref(), Ok(""), "{variant}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hide_entry_that_hides_nothing_is_noticed() {
    let server = Server::start(&["--demo", "--refresh-ms", "500"]).await;
    let browser = Browser::open_at(
        &server,
        "/?v=production&hide=latency:p99,latency:p42,nochart:x",
    )
    .await;
    let notices = browser.wait_for_notices("hide", 2).await;
    assert!(
        notices
            .iter()
            .any(|n| n.contains("no chart is called nochart")),
        "{notices:?}"
    );
    assert!(
        notices
            .iter()
            .any(|n| n.contains("hide=\"latency:p42\" matches no line") && n.contains("p99")),
        "{notices:?}"
    );
    // The entry that does hide a line is not noticed.
    assert!(
        !notices.iter().any(|n| n.contains("latency:p99\"")),
        "{notices:?}"
    );
}
