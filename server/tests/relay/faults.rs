//! Every way an upstream can misbehave ends in one clear JSON answer: 504
//! when it is too slow, 502 for anything else, and the trouble stays on
//! the server.

use std::time::Duration;

use axum::http::{HeaderName, StatusCode, header};
use tokio::net::{TcpSocket, TcpStream};
use zai_dash_server::config::Settings;

use crate::support::*;

/// Relays `url` as variant `canary` and returns its status and JSON body.
async fn relay_once(url: &str) -> (u16, serde_json::Value) {
    relay_once_with(url, settings()).await
}

/// [`relay_once`] with its own settings.
async fn relay_once_with(url: &str, settings: Settings) -> (u16, serde_json::Value) {
    let relay = start_relay(vec![spec("canary", url)], settings).await;
    get_json(&format!("http://{relay}/relay/canary")).await
}

/// Test settings with a total timeout of half a second.
fn impatient() -> Settings {
    Settings {
        timeout: Duration::from_millis(500),
        ..settings()
    }
}

#[tokio::test]
async fn an_upstream_that_refuses_connections_is_502_without_its_address() {
    // Bind then drop: the port is free and nothing listens on it.
    let closed = TcpSocket::new_v4().unwrap();
    closed.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let closed = closed.local_addr().unwrap();

    let (status, body) = relay_once(&format!("http://{closed}/metrics")).await;
    assert_error(status, &body, 502, "canary", "connect");
    assert!(
        !body.to_string().contains(&closed.port().to_string()),
        "{body}"
    );
}

#[tokio::test]
async fn an_upstream_that_went_down_is_502() {
    // Answers one scrape, then the process is gone: listener and all.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let relay = relay_to("canary", &format!("http://{addr}/metrics")).await;
    let scrape = tokio::spawn(get(format!("http://{relay}/relay/canary")));
    let (mut stream, _) = listener.accept().await.unwrap();
    drop(listener);
    read_head(&mut stream).await;
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: {TEXT}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{EXPOSITION}",
        EXPOSITION.len()
    );
    send(&mut stream, head.as_bytes()).await;
    drop(stream);
    let (status, _, body) = scrape.await.unwrap();
    assert_relayed(status, &body);

    let (status, body) = get_json(&format!("http://{relay}/relay/canary")).await;
    assert_error(status, &body, 502, "canary", "connect");
}

#[tokio::test]
async fn an_upstream_that_hangs_up_without_answering_is_502() {
    let (addr, connections) = raw_upstream(|stream: TcpStream| async move { drop(stream) }).await;
    let (status, body) = relay_once(&format!("http://{addr}/metrics")).await;
    assert_error(status, &body, 502, "canary", "");
    assert!(connections.get() >= 1);
}

#[tokio::test]
async fn an_upstream_that_never_accepts_the_connection_is_504() {
    // A listener with a backlog of 0 whose one queue slot is taken: the
    // kernel drops further SYNs, so connecting hangs (loopback only).
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut queued = Vec::new();
    for _ in 0..16 {
        match tokio::time::timeout(Duration::from_millis(300), TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => queued.push(stream),
            _ => break,
        }
    }
    assert!(!queued.is_empty(), "the accept queue filled");

    let (status, body) = relay_once(&format!("http://{addr}/metrics")).await;
    assert_error(
        status,
        &body,
        504,
        "canary",
        "could not connect within 500 ms",
    );
    drop(listener);
}

#[tokio::test]
async fn an_upstream_that_never_sends_headers_is_504() {
    let (addr, _) = raw_upstream(|stream: TcpStream| async move {
        let _held = stream;
        std::future::pending::<()>().await;
    })
    .await;
    let (status, body) = relay_once_with(&format!("http://{addr}/metrics"), impatient()).await;
    assert_error(
        status,
        &body,
        504,
        "canary",
        "no complete answer within 500 ms",
    );
}

#[tokio::test]
async fn an_upstream_that_trickles_its_body_is_504() {
    let (addr, _) = raw_upstream(|mut stream: TcpStream| async move {
        send(&mut stream, CHUNKED_HEAD.as_bytes()).await;
        while send(&mut stream, b"1\r\n#\r\n").await {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let (status, body) = relay_once_with(&format!("http://{addr}/metrics"), impatient()).await;
    assert_error(
        status,
        &body,
        504,
        "canary",
        "no complete answer within 500 ms",
    );
}

#[tokio::test]
async fn an_endless_body_is_502_and_the_read_stops_at_the_cap() {
    let gone = Count::default();
    let flag = gone.clone();
    let (addr, _) = raw_upstream(move |mut stream: TcpStream| {
        let flag = flag.clone();
        async move {
            send(&mut stream, CHUNKED_HEAD.as_bytes()).await;
            let chunk = format!("10000\r\n{}\r\n", "#".repeat(0x10000));
            while send(&mut stream, chunk.as_bytes()).await {}
            // Writing failed: the relay closed the connection.
            flag.bump();
        }
    })
    .await;
    let (status, body) = relay_once(&format!("http://{addr}/metrics")).await;
    assert_error(
        status,
        &body,
        502,
        "canary",
        "larger than the 1048576 byte limit",
    );
    wait_until("the relay to close the endless connection", || {
        gone.get() == 1
    })
    .await;
}

#[tokio::test]
async fn a_redirect_is_502_and_not_followed_to_another_host() {
    let elsewhere = Upstream::metrics().await;
    let target = elsewhere.url();
    let upstream = Upstream::start(move || {
        let target = target.clone();
        async move { (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, target)]) }
    })
    .await;
    let (status, body) = relay_once(&upstream.url()).await;
    assert_error(status, &body, 502, "canary", "redirects are not followed");
    assert_eq!(body["upstream_status"], 301);
    assert!(
        !body.to_string().contains(&elsewhere.addr.to_string()),
        "{body}"
    );
    assert_eq!(elsewhere.hits.get(), 0);
}

/// An upstream answer that is not a usable exposition, and what the 502
/// must say about it.
struct BadAnswer {
    status: StatusCode,
    headers: Vec<(HeaderName, &'static str)>,
    body: Vec<u8>,
    says: &'static str,
}

#[tokio::test]
async fn answers_that_are_not_metrics_are_502_saying_what_came() {
    // 4 MiB, four times the relay's cap, from a few KB.
    let bomb = gzip(&vec![b'#'; 4 << 20]);
    assert!(bomb.len() < 32 << 10, "{} bytes", bomb.len());
    let mut truncated = gzip(EXPOSITION.repeat(100).as_bytes());
    truncated.truncate(truncated.len() / 2);
    let cases = [
        BadAnswer {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            headers: vec![],
            body: b"boom".to_vec(),
            says: "upstream answered HTTP 500",
        },
        BadAnswer {
            status: StatusCode::OK,
            headers: vec![(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            body: b"<html><body>Sign in</body></html>".to_vec(),
            says: "\"text/html; charset=utf-8\", not Prometheus text",
        },
        BadAnswer {
            status: StatusCode::OK,
            headers: vec![(header::CONTENT_TYPE, TEXT)],
            body: b"# TYPE a counter\na 1\n\xff\xfe".to_vec(),
            says: "not UTF-8 text (invalid byte at offset 21)",
        },
        BadAnswer {
            status: StatusCode::OK,
            headers: vec![(header::CONTENT_TYPE, TEXT)],
            body: vec![b'#'; (1 << 20) + 1],
            says: "larger than the 1048576 byte limit",
        },
        BadAnswer {
            status: StatusCode::OK,
            headers: vec![
                (header::CONTENT_TYPE, TEXT),
                (header::CONTENT_ENCODING, "gzip"),
            ],
            body: bomb,
            says: "larger than the 1048576 byte limit once decompressed",
        },
        BadAnswer {
            status: StatusCode::OK,
            headers: vec![
                (header::CONTENT_TYPE, TEXT),
                (header::CONTENT_ENCODING, "gzip"),
            ],
            body: truncated,
            says: "gzip body is corrupt or truncated",
        },
        BadAnswer {
            status: StatusCode::OK,
            headers: vec![
                (header::CONTENT_TYPE, TEXT),
                (header::CONTENT_ENCODING, "br"),
            ],
            body: b"not asked for".to_vec(),
            says: "Content-Encoding \"br\"",
        },
    ];
    for case in cases {
        let BadAnswer {
            status,
            headers,
            body,
            says,
        } = case;
        let upstream = Upstream::start(move || {
            let (headers, body) = (headers.clone(), body.clone());
            async move {
                let mut res = axum::response::Response::new(axum::body::Body::from(body));
                *res.status_mut() = status;
                for (name, value) in headers {
                    res.headers_mut().insert(name, value.parse().unwrap());
                }
                res
            }
        })
        .await;
        let (code, json) = relay_once(&upstream.url()).await;
        assert_error(code, &json, 502, "canary", says);
        assert_eq!(json["upstream_status"], status.as_u16(), "{json}");
    }
}
