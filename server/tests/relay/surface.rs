//! The HTTP surface around the relay: security headers on the app, CORS
//! for configured origins only, health and readiness, and a shutdown that
//! answers every request already received.

use std::{sync::Arc, time::Duration};

use axum::http::{HeaderValue, StatusCode, header};
use base64::Engine;
use sha2::{Digest, Sha256};
use tokio::{net::TcpListener, sync::Semaphore};
use zai_dash_server::serve;

use crate::support::*;

/// What Trunk 0.21 writes: one inline module script that starts the wasm.
const INDEX_HTML: &str = "<!DOCTYPE html><html><head>\
<link rel=\"stylesheet\" href=\"/main-0123456789abcdef.css\"/>\
<script type=\"module\">\nimport init from '/app-0123456789abcdef.js';\nawait init();\n</script>\
</head><body></body></html>";

#[tokio::test]
async fn the_app_is_served_with_a_strict_policy_that_lets_its_loader_run() {
    let dist = tempfile::tempdir().unwrap();
    std::fs::write(dist.path().join("index.html"), INDEX_HTML).unwrap();
    let relay = start_app(Vec::new(), settings(), Vec::new(), dist.path()).await;

    let (status, headers, body) = get(format!("http://{relay}/")).await;
    assert_eq!(status, 200);
    assert_eq!(body, INDEX_HTML);
    let loader = "\nimport init from '/app-0123456789abcdef.js';\nawait init();\n";
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(loader));
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    for directive in [
        "default-src 'none'".to_owned(),
        format!("script-src 'self' 'wasm-unsafe-eval' 'sha256-{hash}';"),
        "style-src 'self';".to_owned(),
        "connect-src 'self';".to_owned(),
        "frame-ancestors 'none'".to_owned(),
    ] {
        assert!(csp.contains(&directive), "{directive} missing from {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");

    // Trunk rebuilds the app while the server runs: the policy follows.
    let rebuilt = INDEX_HTML.replace("await init();", "await init({});");
    let index = dist.path().join("index.html");
    std::fs::write(&index, &rebuilt).unwrap();
    let later = std::time::SystemTime::now() + Duration::from_secs(1);
    std::fs::File::options()
        .write(true)
        .open(&index)
        .unwrap()
        .set_modified(later)
        .unwrap();
    let (_, headers, body) = get(format!("http://{relay}/some/client/route")).await;
    assert_eq!(body, rebuilt, "client routes fall back to index.html");
    let loader = "\nimport init from '/app-0123456789abcdef.js';\nawait init({});\n";
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(loader));
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains(&format!("'sha256-{hash}'")), "{csp}");
}

/// A relay that allows `https://dash.example` cross-origin.
async fn relay_with_cors() -> std::net::SocketAddr {
    let upstream = Upstream::metrics().await;
    let origins = vec![HeaderValue::from_static("https://dash.example")];
    let variants = vec![spec("production", &upstream.url())];
    start_app(
        variants,
        settings(),
        origins,
        std::path::Path::new("/nonexistent"),
    )
    .await
}

/// `method path` from `origin`, as a browser would send it cross-origin.
async fn from_origin(
    relay: std::net::SocketAddr,
    method: reqwest::Method,
    path: &str,
    origin: &str,
) -> reqwest::Response {
    client()
        .request(method, format!("http://{relay}{path}"))
        .header(header::ORIGIN, origin)
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "GET")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_allowed_origin_may_read_the_api_and_the_relay() {
    let relay = relay_with_cors().await;
    for path in ["/api/variants", "/targets/production", "/relay/production"] {
        let res = from_origin(relay, reqwest::Method::GET, path, "https://dash.example").await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(
            res.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
            "https://dash.example"
        );
        let exposed = res.headers()[header::ACCESS_CONTROL_EXPOSE_HEADERS]
            .to_str()
            .unwrap();
        assert!(
            exposed.contains("x-scrape-timestamp-ms") && exposed.contains("age"),
            "{exposed}"
        );
        assert!(
            res.headers()
                .get(header::ACCESS_CONTROL_ALLOW_CREDENTIALS)
                .is_none()
        );
    }
    let preflight = from_origin(
        relay,
        reqwest::Method::OPTIONS,
        "/relay/production",
        "https://dash.example",
    )
    .await;
    assert_eq!(
        preflight.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://dash.example"
    );
    let methods = preflight.headers()[header::ACCESS_CONTROL_ALLOW_METHODS]
        .to_str()
        .unwrap();
    assert!(methods.contains("GET"), "{methods}");
}

#[tokio::test]
async fn any_other_origin_gets_no_cors_grant() {
    let relay = relay_with_cors().await;
    for origin in [
        "https://evil.example",
        "https://dash.example.evil",
        "http://dash.example",
        "null",
    ] {
        for method in [reqwest::Method::GET, reqwest::Method::OPTIONS] {
            for path in ["/relay/production", "/targets/production"] {
                let res = from_origin(relay, method.clone(), path, origin).await;
                assert!(
                    res.headers()
                        .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
                        .is_none(),
                    "{method} {path} from {origin} was granted"
                );
            }
        }
    }
    // Without --allow-origin, not even an allowed-looking origin is.
    let upstream = Upstream::metrics().await;
    let plain = relay_to("production", &upstream.url()).await;
    let res = from_origin(
        plain,
        reqwest::Method::GET,
        "/relay/production",
        "https://dash.example",
    )
    .await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .is_none()
    );
}

#[tokio::test]
async fn healthz_is_ok_without_touching_any_upstream() {
    let upstream = Upstream::metrics().await;
    let relay = relay_to("production", &upstream.url()).await;
    let (status, body) = get_json(format!("http://{relay}/healthz")).await;
    assert_eq!(status, 200);
    assert_eq!(body, serde_json::json!({"status": "ok"}));
    assert_eq!(upstream.hits.get(), 0);
}

#[tokio::test]
async fn readyz_says_which_upstreams_answered_recently() {
    let good = Upstream::metrics().await;
    let bad = Upstream::start(|| async { StatusCode::INTERNAL_SERVER_ERROR }).await;
    let both = start_relay(
        vec![spec("production", &good.url()), spec("canary", &bad.url())],
        settings(),
    )
    .await;

    let (status, body) = get_json(format!("http://{both}/readyz")).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["ready"], false);
    assert_eq!(body["variants"][0]["name"], "production");
    assert_eq!(body["variants"][0]["ready"], true);
    assert_eq!(body["variants"][1]["name"], "canary");
    assert_eq!(body["variants"][1]["ready"], false);
    assert_eq!(
        (&body["variants"][1]["up"], &body["variants"][1]["total"]),
        (&0.into(), &1.into())
    );
    let canary = &body["variants"][1]["targets"][0];
    assert_eq!(canary["id"], target_id("canary", &bad.url()), "{body}");
    assert_eq!(canary["ready"], false);
    assert_eq!(canary["error"], "canary: upstream answered HTTP 500");

    // A recent success is enough: no new scrape.
    let hits = good.hits.get();
    let only_good = relay_to("production", &good.url()).await;
    get(format!("http://{only_good}/relay/production")).await;
    let (status, body) = get_json(format!("http://{only_good}/readyz")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["variants"][0]["ready"], true);
    assert!(
        body["variants"][0]["targets"][0]["last_ok_ms_ago"].is_u64(),
        "{body}"
    );
    assert_eq!(good.hits.get(), hits + 1);
}

#[tokio::test]
async fn shutdown_under_load_answers_every_request_already_received() {
    const VIEWERS: usize = 32;
    // Every scrape is held until the test lets them all go.
    let gate = Arc::new(Semaphore::new(0));
    let held = gate.clone();
    let upstream = Upstream::start(move || {
        let held = held.clone();
        async move {
            let _permit = held.acquire().await.unwrap();
            ([(header::CONTENT_TYPE, TEXT)], EXPOSITION)
        }
    })
    .await;
    // One variant per viewer, so each viewer's request is its own scrape.
    let mut args = Vec::new();
    for i in 0..VIEWERS {
        args.push("--variant".to_owned());
        args.push(format!("v{i}=http://{}/metrics/{i}", upstream.addr));
    }
    let config = serve_config(&args);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let relay = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve::run_until(listener, config, async {
        stopped.await.ok();
    }));

    let viewers: Vec<_> = (0..VIEWERS)
        .map(|i| tokio::spawn(get(format!("http://{relay}/relay/v{i}"))))
        .collect();
    wait_until("every scrape to be in flight", || {
        upstream.hits.get() == VIEWERS
    })
    .await;
    stop.send(()).unwrap();
    // The listener closes while the scrapes are still held.
    wait_until("the listener to close", || {
        std::net::TcpStream::connect_timeout(&relay, Duration::from_millis(100)).is_err()
    })
    .await;
    gate.add_permits(VIEWERS);

    for viewer in viewers {
        let (status, _, body) = viewer.await.unwrap();
        assert_relayed(status, &body);
    }
    server.await.unwrap().unwrap();
}
