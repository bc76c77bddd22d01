//! A request can only ever reach a configured variant's URL, and nothing
//! passes between the viewer and the upstream but the exposition.

use axum::http::{HeaderValue, header};

use crate::support::*;

#[tokio::test]
async fn a_configured_variant_is_relayed_verbatim() {
    let upstream = Upstream::metrics().await;
    let relay = relay_to("production", &upstream.url()).await;

    let (status, headers, body) = get(&format!("http://{relay}/relay/production")).await;
    assert_relayed(status, &body);
    assert_eq!(headers[header::CONTENT_TYPE], TEXT);
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(upstream.hits.get(), 1);
    assert_eq!(upstream.last_request().0, "/metrics");
}

#[tokio::test]
async fn every_path_trick_is_a_404_that_reaches_no_upstream() {
    let upstream = Upstream::metrics().await;
    let relay = relay_to("production", &upstream.url()).await;
    let up = upstream.addr;
    let long = "a".repeat(10_000);
    let tricks = [
        "/relay/..%2f..".to_owned(),
        "/relay/%2e%2e".to_owned(),
        "/relay/%2E%2E/production".to_owned(),
        "/relay/./production".to_owned(),
        "/relay//production".to_owned(),
        "/relay/production%2fmetrics".to_owned(),
        "/relay/production%2F..%2F..%2Fetc%2Fpasswd".to_owned(),
        "/relay/%70roduction".to_owned(),
        "/relay/PRODUCTION".to_owned(),
        "/relay/production%00".to_owned(),
        "/relay/production%20".to_owned(),
        "/relay/%ff".to_owned(),
        format!("/relay/http://{up}/metrics"),
        format!("/relay/http:%2F%2F{up}%2Fmetrics"),
        format!("/relay/@{up}/metrics"),
        format!("/relay/production@{up}"),
        format!("/relay/{long}"),
        // Cyrillic "о" and a fullwidth "ｐ", percent-encoded as browsers send them.
        "/relay/pr%D0%BEduction".to_owned(),
        "/relay/%EF%BD%90roduction".to_owned(),
        "/relay/".to_owned(),
        "/relay".to_owned(),
        // Absolute-form, as sent to a forward proxy.
        format!("http://{up}/relay/x"),
        format!("http://{up}/relay/%2e%2e/metrics"),
        "/targets/..%2fproduction".to_owned(),
        "/targets/production/".to_owned(),
        "/targets/PRODUCTION".to_owned(),
        "/targets/".to_owned(),
    ];
    for trick in &tricks {
        let (status, response) = raw_get(relay, trick).await;
        assert_eq!(status, 404, "{trick}: {response}");
        assert!(
            response.contains(r#"{"error":"unknown variant"}"#),
            "{trick}: {response}"
        );
    }
    // Under the right name, what follows is no target's id.
    let id = target_id("production", &upstream.url());
    let wrong_ids = [
        "/relay/production/".to_owned(),
        "/relay/production/..".to_owned(),
        "/relay/production/../production".to_owned(),
        format!("/relay/production/{}", id.to_uppercase()),
        format!("/relay/production/{id}/"),
        format!("/relay/production/{id}/.."),
        format!("/relay/production/{id}0"),
        format!("/relay/production/{}", &id[..11]),
        format!("/relay/production/%{:02X}{}", id.as_bytes()[0], &id[1..]),
        format!("/relay/production/{id}%00"),
        format!("/relay/production/http://{up}/metrics"),
    ];
    let right = format!("/relay/production/{id}");
    // (An id of digits only has no upper case.)
    for trick in wrong_ids.iter().filter(|t| **t != right) {
        let (status, response) = raw_get(relay, trick).await;
        assert_eq!(status, 404, "{trick}: {response}");
        assert!(
            response.contains(r#"{"error":"production: unknown target","variant":"production"}"#),
            "{trick}: {response}"
        );
    }
    // Absolute-form to the upstream itself: answered by the relay's own
    // file server (no app here, so 404), never forwarded.
    let (status, _) = raw_get(relay, &format!("http://{up}/metrics")).await;
    assert_eq!(status, 404);
    assert_eq!(upstream.hits.get(), 0, "no trick may reach the upstream");
}

#[tokio::test]
async fn query_strings_and_headers_never_change_the_target() {
    let upstream = Upstream::metrics().await;
    let decoy = Upstream::metrics().await;
    let relay = relay_to("production", &upstream.url()).await;

    let res = client()
        .get(format!(
            "http://{relay}/relay/production?url=http://{}/metrics&target=canary",
            decoy.addr
        ))
        .header(header::HOST, decoy.addr.to_string())
        .header("x-forwarded-host", decoy.addr.to_string())
        .header(header::FORWARDED, format!("host={}", decoy.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        upstream.last_request().0,
        "/metrics",
        "no query string is passed on"
    );
    assert_eq!(decoy.hits.get(), 0);
}

#[tokio::test]
async fn headers_are_not_forwarded_in_either_direction() {
    let upstream = Upstream::start(|| async {
        (
            [
                ("content-type", TEXT),
                ("set-cookie", "session=upstream"),
                ("server", "zai-proxy/1.2.3"),
                ("x-powered-by", "go"),
                ("via", "1.1 internal-lb"),
                ("keep-alive", "timeout=5"),
                ("x-internal-host", "10.1.2.3"),
                ("access-control-allow-origin", "*"),
                ("strict-transport-security", "max-age=1"),
                ("www-authenticate", "Basic realm=internal"),
            ],
            EXPOSITION,
        )
    })
    .await;
    let relay = relay_to("production", &upstream.url()).await;

    let res = client()
        .get(format!("http://{relay}/relay/production"))
        .header(header::COOKIE, "session=viewer")
        .header(header::AUTHORIZATION, "Bearer viewer-token")
        .header(header::USER_AGENT, "Mozilla/5.0 viewer")
        .header("x-forwarded-for", "203.0.113.9")
        .header("x-real-ip", "203.0.113.9")
        .header(header::VIA, "1.1 viewer-proxy")
        .header(header::CONNECTION, "keep-alive, x-hop")
        .header("x-hop", "1")
        .header(header::REFERER, "https://viewer.example/")
        .header(header::ORIGIN, "https://viewer.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let (_, sent) = upstream.last_request();
    let mut names: Vec<&str> = sent.keys().map(|k| k.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["accept", "accept-encoding", "host", "user-agent"]);
    assert!(
        sent[header::USER_AGENT]
            .to_str()
            .unwrap()
            .starts_with("zai-dash/")
    );

    let allowed = [
        "content-type",
        "content-length",
        "cache-control",
        "vary",
        "age",
        "x-scrape-timestamp-ms",
        "x-scrape-duration-ms",
        "date",
        "content-security-policy",
        "x-content-type-options",
        "referrer-policy",
    ];
    for name in res.headers().keys() {
        assert!(
            allowed.contains(&name.as_str()),
            "{name} reached the viewer"
        );
    }
}

#[tokio::test]
async fn credentials_are_sent_upstream_and_shown_by_nothing_else() {
    let upstream = Upstream::metrics().await;
    let url = format!("http://user:pw-in-url@{}/metrics", upstream.addr);
    let variant = spec("production", &url)
        .with_credentials(|key| match key {
            "ZAI_DASH_PRODUCTION_BEARER_TOKEN" => Some("s3cret".to_owned()),
            "ZAI_DASH_PRODUCTION_HEADERS" => Some("X-Scope-OrgID: tenant-7".to_owned()),
            _ => None,
        })
        .unwrap();
    let relay = start_relay(vec![variant], settings()).await;

    let (status, headers, body) = get(&format!("http://{relay}/relay/production")).await;
    assert_relayed(status, &body);
    let (_, sent) = upstream.last_request();
    assert_eq!(
        sent[header::AUTHORIZATION],
        HeaderValue::from_static("Bearer s3cret")
    );
    assert_eq!(sent["x-scope-orgid"], "tenant-7");
    assert!(headers.get(header::AUTHORIZATION).is_none());

    let (_, _, variants) = get(&format!("http://{relay}/api/variants")).await;
    for secret in [
        "s3cret",
        "pw-in-url",
        "tenant-7",
        &upstream.addr.to_string(),
    ] {
        assert!(!variants.contains(secret), "{variants}");
    }
}

#[tokio::test]
async fn the_variant_list_names_variants_without_their_urls() {
    let relay = start_relay(
        vec![
            spec("production", "http://user:secret@10.1.2.3:8080/metrics"),
            spec("canary", "http://10.1.2.4:8080/metrics"),
        ],
        settings(),
    )
    .await;

    let (status, body) = get_json(&format!("http://{relay}/api/variants")).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        serde_json::json!({
            "variants": [
                {
                    "name": "production",
                    "discovery": "static",
                    "targets": [{"id": target_id("production", "http://10.1.2.3:8080/metrics")}]
                },
                {
                    "name": "canary",
                    "discovery": "static",
                    "targets": [{"id": target_id("canary", "http://10.1.2.4:8080/metrics")}]
                }
            ],
            "refresh_ms": 5000,
            "history": false
        })
    );
    assert!(!body.to_string().contains("10.1.2."), "{body}");
}
