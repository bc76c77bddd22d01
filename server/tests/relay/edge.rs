//! The relay's own edge, tried as a hostile viewer would, over raw
//! loopback sockets: oversized heads, slowloris, idle and surplus
//! connections, and methods and bodies no route takes. Each limit is set
//! by its flag on the real `zai-dash serve`.

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::support::*;

/// Longest a closed connection is waited for.
const PATIENCE: Duration = Duration::from_secs(10);

/// `zai-dash serve` relaying one upstream as `production`, with `flags`.
async fn relay_with(upstream: &Upstream, flags: &[&str]) -> SocketAddr {
    let variant = format!("production={}", upstream.url());
    start_serve(&[&["--variant", variant.as_str()], flags].concat()).await
}

/// Reads one response from `stream`: its status and head, and its body
/// (by `content-length`).
async fn read_response(stream: &mut TcpStream) -> (u16, String) {
    let mut bytes = Vec::new();
    let mut buf = [0; 4096];
    let head_end = loop {
        if let Some(i) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut buf).await.unwrap();
        assert!(
            n > 0,
            "closed mid-response: {:?}",
            String::from_utf8_lossy(&bytes)
        );
        bytes.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&bytes[..head_end]).to_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .map_or(0, |n| n.trim().parse().unwrap());
    while bytes.len() < head_end + length {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed mid-body");
        bytes.extend_from_slice(&buf[..n]);
    }
    let status = head[9..12].parse().unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// Sends `request` as given on a new connection and reads the answer to
/// the end of the connection: status and the whole response.
async fn exchange(relay: SocketAddr, request: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(relay).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response
        .get(9..12)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {response:?}"));
    (status, response)
}

/// A kept-alive `GET /healthz` on `stream`, answered 200.
async fn healthz(stream: &mut TcpStream) {
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n")
        .await
        .unwrap();
    let (status, response) = read_response(stream).await;
    assert_eq!(status, 200, "{response}");
}

/// Waits until the relay closes `stream`, reading and dropping whatever
/// it sends first; panics after [`PATIENCE`].
async fn closed_by_relay(stream: &mut TcpStream) {
    let mut buf = [0; 1024];
    let closed = async { while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {} };
    tokio::time::timeout(PATIENCE, closed)
        .await
        .expect("the relay closes the connection");
}

#[tokio::test]
async fn a_request_head_over_the_cap_is_answered_431() {
    let upstream = Upstream::metrics().await;
    let relay = relay_with(&upstream, &[]).await;
    let head = |header_bytes: usize| {
        format!(
            "GET /relay/production HTTP/1.1\r\nHost: relay\r\nX-Padding: {}\r\n\
             Connection: close\r\n\r\n",
            "a".repeat(header_bytes)
        )
    };
    // 100 KB, as the issue tried it, and just over the default 16 KiB.
    for size in [100_000, 16 * 1024] {
        let (status, response) = exchange(relay, head(size).as_bytes()).await;
        assert_eq!(status, 431, "{size} bytes: {response}");
    }
    let (status, response) = exchange(relay, head(15_000).as_bytes()).await;
    assert_eq!(status, 200, "{response}");
    assert_eq!(upstream.hits.get(), 1, "only the request under the cap");

    let small = relay_with(&upstream, &["--max-header-bytes", "2048"]).await;
    let (status, _) = exchange(small, head(3000).as_bytes()).await;
    assert_eq!(status, 431);
}

#[tokio::test]
async fn a_slowloris_connection_is_closed_within_the_header_timeout_while_viewers_are_answered() {
    let upstream = Upstream::metrics().await;
    let relay = relay_with(&upstream, &["--header-timeout-ms", "500"]).await;

    let started = Instant::now();
    let stream = TcpStream::connect(relay).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    // A header line every 100 ms, the head never finished.
    let trickle = tokio::spawn(async move {
        let mut lines = 0;
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        let mut send = b"GET /relay/production HTTP/1.1\r\nHost: relay\r\n".to_vec();
        loop {
            tick.tick().await;
            if writer.write_all(&send).await.is_err() {
                return lines;
            }
            lines += 1;
            send = format!("X-Line-{lines}: still here\r\n").into_bytes();
        }
    });
    let mut answered = 0;
    let mut buf = [0; 64];
    let closed = reader.read(&mut buf);
    tokio::pin!(closed);
    loop {
        tokio::select! {
            read = &mut closed => {
                assert!(!matches!(read, Ok(n) if n > 0), "the relay answered a partial head");
                break;
            }
            (status, _, body) = get(format!("http://{relay}/relay/production")) => {
                assert_relayed(status, &body);
                answered += 1;
            }
        }
        assert!(started.elapsed() < PATIENCE, "the slowloris is still open");
    }
    // Generous: the timeout is 500 ms; the bound only says it is enforced.
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(answered > 0, "a viewer was answered meanwhile");
    let lines = tokio::time::timeout(PATIENCE, trickle)
        .await
        .unwrap()
        .unwrap();
    assert!(lines >= 2, "the head was trickled ({lines} writes)");
}

#[tokio::test]
async fn a_connection_that_never_sends_is_closed_within_the_header_timeout() {
    let upstream = Upstream::metrics().await;
    let relay = relay_with(&upstream, &["--header-timeout-ms", "300"]).await;
    let mut silent = TcpStream::connect(relay).await.unwrap();
    closed_by_relay(&mut silent).await;
}

#[tokio::test]
async fn a_kept_alive_connection_is_closed_after_the_idle_timeout_not_the_header_timeout() {
    let upstream = Upstream::metrics().await;
    // Idle connections are closed long before any head would be due...
    let relay = relay_with(
        &upstream,
        &["--idle-timeout-ms", "300", "--header-timeout-ms", "60000"],
    )
    .await;
    let mut stream = TcpStream::connect(relay).await.unwrap();
    healthz(&mut stream).await;
    let started = Instant::now();
    closed_by_relay(&mut stream).await;
    assert!(started.elapsed() < Duration::from_secs(30));

    // ...and a short header timeout does not close an idle connection.
    let relay = relay_with(
        &upstream,
        &["--idle-timeout-ms", "60000", "--header-timeout-ms", "200"],
    )
    .await;
    let mut stream = TcpStream::connect(relay).await.unwrap();
    healthz(&mut stream).await;
    // Idle for several header timeouts (well within the idle timeout),
    // then asked again on the same connection.
    tokio::time::sleep(Duration::from_millis(800)).await;
    healthz(&mut stream).await;
}

#[tokio::test]
async fn connections_beyond_the_cap_are_refused_until_others_close() {
    let upstream = Upstream::metrics().await;
    let relay = relay_with(&upstream, &["--max-connections", "2"]).await;
    let mut first = TcpStream::connect(relay).await.unwrap();
    healthz(&mut first).await;
    let mut second = TcpStream::connect(relay).await.unwrap();
    healthz(&mut second).await;

    // Refused at once: a 503 without reading a request, then closed.
    let mut beyond = TcpStream::connect(relay).await.unwrap();
    let mut refusal = String::new();
    tokio::time::timeout(PATIENCE, beyond.read_to_string(&mut refusal))
        .await
        .expect("refused quickly")
        .unwrap();
    assert!(refusal.starts_with("HTTP/1.1 503 "), "{refusal:?}");
    assert!(refusal.contains("retry-after: 1"), "{refusal:?}");
    // The connections within the cap are still served.
    healthz(&mut first).await;

    drop(first);
    let deadline = Instant::now() + PATIENCE;
    loop {
        let mut later = TcpStream::connect(relay).await.unwrap();
        later
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n")
            .await
            .unwrap();
        let (status, _) = read_response(&mut later).await;
        if status == 200 {
            break;
        }
        assert_eq!(status, 503);
        assert!(
            Instant::now() < deadline,
            "no room after a connection closed"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    healthz(&mut second).await;
}

#[tokio::test]
async fn only_get_and_head_without_a_body_are_served_on_every_route() {
    let upstream = Upstream::metrics().await;
    let relay = relay_with(&upstream, &[]).await;
    for path in [
        "/relay/production",
        "/history/production",
        "/api/variants",
        "/healthz",
        "/index.html",
    ] {
        for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"] {
            let request = format!(
                "{method} {path} HTTP/1.1\r\nHost: relay\r\nContent-Length: 5\r\n\
                 Connection: close\r\n\r\nhello"
            );
            let (status, response) = exchange(relay, request.as_bytes()).await;
            assert_eq!(status, 405, "{method} {path}: {response}");
            assert!(response.contains("allow: GET, HEAD"), "{response}");
            assert!(
                response.contains(r#"{"error":"only GET and HEAD are served"}"#),
                "{response}"
            );
        }
        for body in [
            "Content-Length: 5\r\n\r\nhello",
            "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        ] {
            let request =
                format!("GET {path} HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n{body}");
            let (status, response) = exchange(relay, request.as_bytes()).await;
            assert_eq!(status, 413, "GET {path} with {body:?}: {response}");
        }
    }
    assert_eq!(
        upstream.hits.get(),
        0,
        "nothing refused reached the upstream"
    );

    let (status, response) = exchange(
        relay,
        b"HEAD /relay/production HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status, 200, "{response}");
    let (status, response) = exchange(
        relay,
        b"GET /relay/production HTTP/1.1\r\nHost: relay\r\nContent-Length: 0\r\n\
          Connection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status, 200, "an empty body is no body: {response}");
}
