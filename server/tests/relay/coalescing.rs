//! Many viewers, one scrape: concurrent and recent requests share the
//! upstream's answer, and compressed answers pass through untouched.

use std::{
    io::Write,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::http::{StatusCode, header};
use zai_dash_server::config::Settings;

use crate::support::*;

const FIXTURE: &str = zai_dash_fixtures::VARIANT;

/// Settings that reuse an answer for a minute: longer than any test.
fn reusing() -> Settings {
    Settings {
        coalesce: Duration::from_secs(60),
        ..settings()
    }
}

#[tokio::test]
async fn two_hundred_concurrent_viewers_cause_one_upstream_scrape() {
    let upstream = Upstream::metrics().await;
    let relay = start_relay(vec![spec("production", &upstream.url())], reusing()).await;

    let viewers: Vec<_> = (0..200)
        .map(|_| tokio::spawn(get(format!("http://{relay}/relay/production"))))
        .collect();
    let mut scraped_at = Vec::new();
    for viewer in viewers {
        let (status, headers, body) = viewer.await.unwrap();
        assert_relayed(status, &body);
        scraped_at.push(headers["x-scrape-timestamp-ms"].clone());
    }
    assert_eq!(upstream.hits.get(), 1);
    assert!(
        scraped_at.iter().all(|t| *t == scraped_at[0]),
        "one scrape served all"
    );
}

#[tokio::test]
async fn each_answer_says_how_old_it_is_and_how_long_the_scrape_took() {
    let upstream = Upstream::metrics().await;
    let relay = start_relay(vec![spec("production", &upstream.url())], reusing()).await;
    let url = format!("http://{relay}/relay/production");

    let (_, first, _) = get(&url).await;
    let (_, second, _) = get(&url).await;
    assert_eq!(upstream.hits.get(), 1);
    for headers in [&first, &second] {
        let number = |name: &str| headers[name].to_str().unwrap().parse::<u64>().unwrap();
        assert!(number("age") < 60);
        assert!(number("x-scrape-timestamp-ms") > 1_700_000_000_000);
        assert!(number("x-scrape-duration-ms") < 2_000);
    }
    assert_eq!(
        first["x-scrape-timestamp-ms"],
        second["x-scrape-timestamp-ms"]
    );
}

#[tokio::test]
async fn without_reuse_every_sequential_request_scrapes_again() {
    let upstream = Upstream::metrics().await;
    let relay = relay_to("production", &upstream.url()).await;
    for _ in 0..3 {
        let (status, _, body) = get(format!("http://{relay}/relay/production")).await;
        assert_relayed(status, &body);
    }
    assert_eq!(upstream.hits.get(), 3);
}

#[tokio::test]
async fn a_failure_is_shared_by_every_viewer_and_logged_once_without_secrets() {
    let logs = Arc::new(Mutex::new(Vec::new()));
    let _guard = tracing::subscriber::set_default(
        tracing_subscriber::fmt()
            .with_env_filter("zai_dash_server=debug")
            .with_writer(Capture(logs.clone()))
            .finish(),
    );
    let upstream = Upstream::start(|| async { (StatusCode::SERVICE_UNAVAILABLE, "down") }).await;
    let url = format!("http://user:pw-in-url@{}/metrics", upstream.addr);
    let variant = spec("canary", &url)
        .with_credentials(|key| {
            (key == "ZAI_DASH_CANARY_BEARER_TOKEN").then(|| "s3cret".to_owned())
        })
        .unwrap();
    let relay = start_relay(vec![variant], reusing()).await;

    let viewers: Vec<_> = (0..20)
        .map(|_| tokio::spawn(get_json(format!("http://{relay}/relay/canary"))))
        .collect();
    for viewer in viewers {
        let (status, body) = viewer.await.unwrap();
        assert_error(status, &body, 502, "canary", "upstream answered HTTP 503");
    }
    assert_eq!(upstream.hits.get(), 1);

    let logs = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    let warnings: Vec<&str> = logs.lines().filter(|l| l.contains("WARN")).collect();
    assert_eq!(warnings.len(), 1, "{logs}");
    assert!(
        warnings[0].contains("canary: upstream answered HTTP 503"),
        "{logs}"
    );
    for secret in ["s3cret", "pw-in-url", &upstream.addr.port().to_string()] {
        assert!(!logs.contains(secret), "{secret} in {logs}");
    }
}

/// A log sink for one test.
#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;

    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

#[tokio::test]
async fn gzip_passes_through_byte_for_byte_to_viewers_that_accept_it() {
    let compressed = gzip(FIXTURE.as_bytes());
    let body = compressed.clone();
    let upstream = Upstream::start(move || {
        let body = body.clone();
        async move {
            (
                [
                    (header::CONTENT_TYPE, TEXT),
                    (header::CONTENT_ENCODING, "gzip"),
                ],
                body,
            )
        }
    })
    .await;
    let relay = relay_to("production", &upstream.url()).await;
    let url = format!("http://{relay}/relay/production");

    let res = client()
        .get(&url)
        .header(header::ACCEPT_ENCODING, "gzip, deflate, br, zstd")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");
    assert_eq!(res.headers()[header::VARY], "accept-encoding");
    assert_eq!(
        res.bytes().await.unwrap(),
        compressed,
        "the upstream's own bytes"
    );
    assert_eq!(upstream.last_request().1[header::ACCEPT_ENCODING], "gzip");

    let (status, headers, text) = get(&url).await;
    assert_eq!(status, 200);
    assert!(headers.get(header::CONTENT_ENCODING).is_none());
    assert_eq!(text, FIXTURE, "decompressed for a viewer without gzip");
}

#[tokio::test]
async fn an_uncompressed_upstream_is_never_compressed_by_the_relay() {
    let upstream = Upstream::start(|| async { ([(header::CONTENT_TYPE, TEXT)], FIXTURE) }).await;
    let relay = relay_to("production", &upstream.url()).await;

    let res = client()
        .get(format!("http://{relay}/relay/production"))
        .header(header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert!(res.headers().get(header::CONTENT_ENCODING).is_none());
    assert_eq!(res.bytes().await.unwrap(), FIXTURE.as_bytes());
}
