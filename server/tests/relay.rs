//! The relay over real loopback sockets: each upstream is a real server the
//! test starts, and the relay is the real router on its own port.

use std::{
    net::SocketAddr,
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{Router, http::header, routing::get};
use tokio::net::TcpListener;
use zai_dash_server::{AppState, Relay, app, config::VariantSpec, relay::Limits};

const EXPOSITION: &str = "# TYPE zai_proxy_requests_total counter\n\
zai_proxy_requests_total{status_code=\"200\"} 42\n";

/// Serves `router` on a free loopback port.
async fn serve(router: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

/// A relay for `variants` (name, upstream address and path) with a short
/// timeout, on its own port.
async fn relay(variants: &[(&str, String)], timeout: Duration) -> SocketAddr {
    let specs = variants
        .iter()
        .map(|(name, url)| format!("{name}={url}").parse::<VariantSpec>().unwrap())
        .collect();
    let limits = Limits {
        connect_timeout: Duration::from_millis(500),
        timeout,
        max_body: 1 << 20,
    };
    let state = AppState {
        relay: Arc::new(Relay::new(specs, 5000, limits)),
    };
    serve(app(state, Path::new("/nonexistent"))).await
}

async fn get_json(url: String) -> (u16, serde_json::Value) {
    let res = reqwest::get(url).await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap())
}

#[tokio::test]
async fn a_configured_variant_is_relayed_verbatim() {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let upstream = serve(Router::new().route(
        "/metrics",
        get(move || async move {
            counter.fetch_add(1, Ordering::SeqCst);
            (
                [(
                    header::CONTENT_TYPE,
                    "text/plain; version=0.0.4; charset=utf-8",
                )],
                EXPOSITION,
            )
        }),
    ))
    .await;
    let relay = relay(
        &[("production", format!("http://{upstream}/metrics"))],
        Duration::from_secs(2),
    )
    .await;

    let res = reqwest::get(format!("http://{relay}/relay/production"))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()[header::CONTENT_TYPE],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
    assert_eq!(res.text().await.unwrap(), EXPOSITION);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_unknown_variant_is_404_and_reaches_no_upstream() {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let upstream = serve(Router::new().fallback(move || async move {
        counter.fetch_add(1, Ordering::SeqCst);
        EXPOSITION
    }))
    .await;
    let relay = relay(
        &[("production", format!("http://{upstream}/metrics"))],
        Duration::from_secs(2),
    )
    .await;

    for path in [
        "/relay/canary",
        "/relay/PRODUCTION",
        "/relay/production%2F..%2Fx",
    ] {
        let (status, body) = get_json(format!("http://{relay}{path}")).await;
        assert_eq!(status, 404, "{path}");
        assert!(body["error"].is_string(), "{path}: {body}");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_upstream_that_refuses_connections_is_502_naming_the_variant() {
    // Bind then drop: the port is free and nothing listens on it.
    let closed = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let relay = relay(
        &[("canary", format!("http://{closed}/metrics"))],
        Duration::from_secs(2),
    )
    .await;

    let (status, body) = get_json(format!("http://{relay}/relay/canary")).await;
    assert_eq!(status, 502);
    assert_eq!(body["variant"], "canary");
    let error = body["error"].as_str().unwrap();
    assert!(error.starts_with("canary: "), "{error}");
    assert!(
        !error.contains(&closed.to_string()),
        "no upstream URL leaks: {error}"
    );
}

#[tokio::test]
async fn an_upstream_error_status_is_502_carrying_it() {
    let upstream = serve(Router::new().route(
        "/metrics",
        get(|| async { (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "boom") }),
    ))
    .await;
    let relay = relay(
        &[("canary", format!("http://{upstream}/metrics"))],
        Duration::from_secs(2),
    )
    .await;

    let (status, body) = get_json(format!("http://{relay}/relay/canary")).await;
    assert_eq!(status, 502);
    assert_eq!(body["upstream_status"], 500);
}

#[tokio::test]
async fn an_upstream_slower_than_the_timeout_is_504() {
    let upstream = serve(Router::new().route(
        "/metrics",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(10)).await;
            EXPOSITION
        }),
    ))
    .await;
    let relay = relay(
        &[("canary", format!("http://{upstream}/metrics"))],
        Duration::from_millis(300),
    )
    .await;

    let (status, body) = get_json(format!("http://{relay}/relay/canary")).await;
    assert_eq!(status, 504);
    assert_eq!(body["variant"], "canary");
    assert!(
        body["error"].as_str().unwrap().contains("timed out"),
        "{body}"
    );
}

#[tokio::test]
async fn the_variant_list_names_variants_without_their_urls() {
    let relay = relay(
        &[
            (
                "production",
                "http://user:secret@10.1.2.3:8080/metrics".to_owned(),
            ),
            ("canary", "http://10.1.2.4:8080/metrics".to_owned()),
        ],
        Duration::from_secs(2),
    )
    .await;

    let res = reqwest::get(format!("http://{relay}/api/variants"))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(!text.contains("10.1.2"), "{text}");
    assert!(!text.contains("secret"), "{text}");
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "variants": [{"name": "production"}, {"name": "canary"}],
            "refresh_ms": 5000
        })
    );
}

#[tokio::test]
async fn healthz_is_ok() {
    let relay = relay(&[], Duration::from_secs(1)).await;
    let (status, body) = get_json(format!("http://{relay}/healthz")).await;
    assert_eq!(status, 200);
    assert_eq!(body, serde_json::json!({"status": "ok"}));
}
