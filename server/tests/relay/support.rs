//! Servers and clients shared by the relay's tests.

use std::{
    future::Future,
    io::{self, Write},
    net::{IpAddr, SocketAddr},
    path::Path,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{Router, extract::Request, http::HeaderMap, response::IntoResponse};
use flate2::{Compression, write::GzEncoder};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};
use zai_dash_server::{
    AppState, Relay, app,
    config::{ServeConfig, Settings, VariantSpec, merge},
    edge,
    prometheus::PrometheusSpec,
    serve,
};

/// A small exposition, as a zai-proxy would send it.
pub const EXPOSITION: &str = "# TYPE zai_proxy_requests_total counter\n\
zai_proxy_requests_total{status_code=\"200\"} 42\n";

/// The Prometheus text content type.
pub const TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Longest any condition is waited for.
const PATIENCE: Duration = Duration::from_secs(10);

/// Polls `done` every 10 ms until it holds, for at most [`PATIENCE`].
pub async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Serves `router` on `listener`.
fn serve_on(listener: TcpListener, router: Router) -> SocketAddr {
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

/// A counter shared between a fake server and its test.
#[derive(Clone, Default)]
pub struct Count(Arc<AtomicUsize>);

impl Count {
    /// Adds one.
    pub fn bump(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    /// The current value.
    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// A well-formed HTTP upstream that counts its requests and keeps the
/// last one's path, query and headers.
pub struct Upstream {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Requests received.
    pub hits: Count,
    last: Arc<Mutex<Option<(String, HeaderMap)>>>,
}

impl Upstream {
    /// Answers every path and method with `answer()`.
    pub async fn start<F, Fut, R>(answer: F) -> Upstream
    where
        F: Fn() -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = R> + Send,
        R: IntoResponse,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        Upstream::start_on(listener, answer)
    }

    /// [`Upstream::start`] on `listener`.
    fn start_on<F, Fut, R>(listener: TcpListener, answer: F) -> Upstream
    where
        F: Fn() -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = R> + Send,
        R: IntoResponse,
    {
        let hits = Count::default();
        let last = Arc::new(Mutex::new(None));
        let (counter, seen) = (hits.clone(), last.clone());
        let router = Router::new().fallback(move |req: Request| {
            counter.bump();
            *seen.lock().unwrap() = Some((req.uri().to_string(), req.headers().clone()));
            let answer = answer.clone();
            async move { answer().await.into_response() }
        });
        let addr = serve_on(listener, router);
        Upstream { addr, hits, last }
    }

    /// Answers [`EXPOSITION`] as Prometheus text.
    pub async fn metrics() -> Upstream {
        Upstream::answering(EXPOSITION).await
    }

    /// Answers `text` as Prometheus text.
    pub async fn answering(text: &'static str) -> Upstream {
        Upstream::start(move || async move { ([("content-type", TEXT)], text) }).await
    }

    /// One pod per text, as a headless Service's pods are: each on its own
    /// loopback address (127.0.0.2, 127.0.0.3, ...), all on one port,
    /// answering its text.
    pub async fn pods(texts: &[&'static str]) -> Vec<Upstream> {
        for _ in 0..20 {
            if let Ok(listeners) = bind_pods(texts.len()).await {
                return listeners
                    .into_iter()
                    .zip(texts)
                    .map(|(listener, &text)| {
                        Upstream::start_on(listener, move || async move {
                            ([("content-type", TEXT)], text)
                        })
                    })
                    .collect();
            }
        }
        panic!("no port was free on every pod address");
    }

    /// Its `/metrics` URL.
    pub fn url(&self) -> String {
        format!("http://{}/metrics", self.addr)
    }

    /// The last request's path and query, and headers.
    pub fn last_request(&self) -> (String, HeaderMap) {
        self.last
            .lock()
            .unwrap()
            .clone()
            .expect("a request was received")
    }
}

/// The `n`-th pod address: 127.0.0.2 for the first (all of 127.0.0.0/8 is
/// loopback on Linux).
pub fn pod_ip(n: usize) -> IpAddr {
    IpAddr::from([127, 0, 0, 2 + n as u8])
}

/// Listeners on the first `n` pod addresses, sharing one port; fails when
/// that port is taken on one of them.
async fn bind_pods(n: usize) -> io::Result<Vec<TcpListener>> {
    let first = TcpListener::bind((pod_ip(0), 0)).await?;
    let port = first.local_addr()?.port();
    let mut listeners = vec![first];
    for i in 1..n {
        listeners.push(TcpListener::bind((pod_ip(i), port)).await?);
    }
    Ok(listeners)
}

/// A DNS server the test controls: what every name resolves to now, the
/// names asked for, and how many lookups were made.
#[derive(Clone, Default)]
pub struct FakeDns {
    /// `None`: the lookup fails, as for a name that does not exist.
    answer: Arc<Mutex<Option<Vec<IpAddr>>>>,
    asked: Arc<Mutex<Vec<String>>>,
    /// Lookups made.
    pub lookups: Count,
}

impl FakeDns {
    /// A DNS answering `addresses`.
    pub fn answering(addresses: &[IpAddr]) -> FakeDns {
        let dns = FakeDns::default();
        dns.answer(addresses);
        dns
    }

    /// From now on, answers `addresses`.
    pub fn answer(&self, addresses: &[IpAddr]) {
        *self.answer.lock().unwrap() = Some(addresses.to_vec());
    }

    /// From now on, fails every lookup, naming the host in its error.
    pub fn fail(&self) {
        *self.answer.lock().unwrap() = None;
    }

    /// The names looked up so far.
    pub fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap().clone()
    }

    /// A resolver answering from this DNS, for [`Relay::with_resolver`].
    pub fn resolver(&self) -> impl Fn(&str) -> io::Result<Vec<IpAddr>> + Send + Sync + 'static {
        let dns = self.clone();
        move |host: &str| {
            dns.lookups.bump();
            dns.asked.lock().unwrap().push(host.to_owned());
            dns.answer.lock().unwrap().clone().ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("failed to look up {host}: no such name"),
                )
            })
        }
    }
}

/// A raw TCP upstream for misbehaviour HTTP servers do not allow: for each
/// connection it reads the request head, then hands the socket to
/// `behave`. Returns its address and the number of connections.
pub async fn raw_upstream<F, Fut>(behave: F) -> (SocketAddr, Count)
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Count::default();
    let counter = connections.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.bump();
            read_head(&mut stream).await;
            tokio::spawn(behave(stream));
        }
    });
    (addr, connections)
}

/// Reads up to the blank line that ends an HTTP request head.
pub async fn read_head(stream: &mut TcpStream) {
    let mut head = Vec::new();
    let mut buf = [0; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
}

/// Writes `bytes`, ignoring a peer that has gone.
pub async fn send(stream: &mut TcpStream, bytes: &[u8]) -> bool {
    stream.write_all(bytes).await.is_ok()
}

/// The head of a chunked 200 with the Prometheus text content type.
pub const CHUNKED_HEAD: &str = "HTTP/1.1 200 OK\r\ncontent-type: text/plain; version=0.0.4; charset=utf-8\r\ntransfer-encoding: chunked\r\n\r\n";

/// `data` gzip-compressed.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// Relay settings for tests: short timeouts, a 1 MiB cap, no reuse.
pub fn settings() -> Settings {
    Settings {
        refresh: Duration::from_secs(5),
        connect_timeout: Duration::from_millis(500),
        timeout: Duration::from_secs(2),
        max_body: 1 << 20,
        coalesce: Duration::ZERO,
    }
}

/// Parses `name=url`.
pub fn spec(name: &str, url: &str) -> VariantSpec {
    format!("{name}={url}").parse().unwrap()
}

/// One variant `name` whose targets are `urls`, in order, as repeated
/// `--variant name=URL` flags make it.
pub fn pods_spec(name: &str, urls: &[String]) -> VariantSpec {
    let mut merged = merge(urls.iter().map(|url| spec(name, url)).collect()).unwrap();
    assert_eq!(merged.len(), 1);
    merged.remove(0)
}

/// The id of the target at `url` in `variant`, by its definition: the
/// first 12 hex digits of SHA-256 over `variant NUL url`.
pub fn target_id(variant: &str, url: &str) -> String {
    let digest = Sha256::digest(format!("{variant}\0{url}"));
    digest
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()[..12]
        .to_owned()
}

/// The real router for `variants` on its own port, with no app files and
/// no CORS origin.
pub async fn start_relay(variants: Vec<VariantSpec>, settings: Settings) -> SocketAddr {
    start_app(variants, settings, Vec::new(), Path::new("/nonexistent")).await
}

/// [`start_relay`] for one variant with the test [`settings`].
pub async fn relay_to(name: &str, url: &str) -> SocketAddr {
    start_relay(vec![spec(name, url)], settings()).await
}

/// The real router with everything chosen by the test.
pub async fn start_app(
    variants: Vec<VariantSpec>,
    settings: Settings,
    allow_origins: Vec<axum::http::HeaderValue>,
    dist: &Path,
) -> SocketAddr {
    serve_relay(Relay::new(variants, settings), allow_origins, dist).await
}

/// [`start_relay`] with host names looked up in `dns`.
pub async fn start_resolving(
    variants: Vec<VariantSpec>,
    settings: Settings,
    dns: &FakeDns,
) -> SocketAddr {
    let relay = Relay::new(variants, settings).with_resolver(dns.resolver());
    serve_relay(relay, Vec::new(), Path::new("/nonexistent")).await
}

/// The real router around `relay`, behind the edge with its default
/// limits.
async fn serve_relay(
    relay: Relay,
    allow_origins: Vec<axum::http::HeaderValue>,
    dist: &Path,
) -> SocketAddr {
    let state = AppState {
        relay: Arc::new(relay),
        allow_origins,
    };
    let limits = serve_config::<&str>(&[])
        .edge_limits(edge::descriptor_limit())
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app(state, dist);
    tokio::spawn(edge::serve(
        listener,
        router,
        limits,
        std::future::pending(),
    ));
    addr
}

#[derive(clap::Parser)]
struct Cli {
    #[command(flatten)]
    config: ServeConfig,
}

/// The configuration `zai-dash serve --dist /nonexistent ARGS` makes.
pub fn serve_config<S: AsRef<str>>(args: &[S]) -> ServeConfig {
    use clap::Parser;
    let argv = ["serve", "--dist", "/nonexistent"]
        .into_iter()
        .chain(args.iter().map(AsRef::as_ref));
    Cli::try_parse_from(argv).unwrap().config
}

/// `zai-dash serve ARGS` (no app files) on a free loopback port, until
/// the test ends.
pub async fn start_serve(args: &[&str]) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = serve_config(args);
    tokio::spawn(serve::run_until(listener, config, std::future::pending()));
    addr
}

/// Runs `zai-dash serve ARGS` (no app files) until it fails to start:
/// why it did.
pub async fn serve_refused(args: &[&str]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    serve::run_until(listener, serve_config(args), std::future::pending())
        .await
        .unwrap_err()
        .to_string()
}

thread_local! {
    static CLIENT: reqwest::Client = reqwest::Client::new();
}

/// The test's HTTP client: one per thread, so one per test runtime, built
/// once (building one costs far more than a request).
pub fn client() -> reqwest::Client {
    CLIENT.with(Clone::clone)
}

/// `GET url` with no `Accept-Encoding`: status, headers and body text.
pub async fn get(url: impl AsRef<str>) -> (u16, HeaderMap, String) {
    let res = client().get(url.as_ref()).send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.text().await.unwrap())
}

/// `GET url`, expecting a JSON body: status and body.
pub async fn get_json(url: impl AsRef<str>) -> (u16, serde_json::Value) {
    let (status, _, text) = get(url).await;
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    (status, body)
}

/// The target ids `GET /targets/{variant}` lists, in its order.
pub async fn target_ids(relay: SocketAddr, variant: &str) -> Vec<String> {
    let (status, body) = get_json(format!("http://{relay}/targets/{variant}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["variant"], variant, "{body}");
    body["targets"]
        .as_array()
        .unwrap_or_else(|| panic!("no targets in {body}"))
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Sends `GET target` byte for byte, exactly as given (clients normalise
/// paths), and returns the status code and the whole response.
pub async fn raw_get(addr: SocketAddr, target: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {response:?}"));
    (status, response)
}

/// Asserts a JSON error from the relay: status `expected`, about
/// `variant`, with a message that contains `needle`.
pub fn assert_error(
    status: u16,
    body: &serde_json::Value,
    expected: u16,
    variant: &str,
    needle: &str,
) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["variant"], variant, "{body}");
    let error = body["error"].as_str().unwrap_or_default();
    assert!(
        error.starts_with(&format!("{variant}: ")) && error.contains(needle),
        "{error:?} should mention {needle:?}"
    );
}

/// A relay response as the relay's tests expect it: 200 with the text.
pub fn assert_relayed(status: u16, body: &str) {
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, EXPOSITION);
}

/// The real router for `variants` on its own port, answering `/history`
/// from the Prometheus at `prometheus` (default selectors, 10 days kept,
/// test limits).
pub async fn start_with_prometheus(variants: Vec<VariantSpec>, prometheus: &str) -> SocketAddr {
    let spec = PrometheusSpec {
        url: prometheus.parse().unwrap(),
        headers: axum::http::HeaderMap::new(),
        timeout: Duration::from_secs(5),
        max_body: 16 << 20,
        retention: Duration::from_secs(10 * 86_400),
        selectors: Vec::new(),
    };
    let relay = Relay::new(variants, settings()).with_prometheus(&spec);
    serve_relay(relay, Vec::new(), Path::new("/nonexistent")).await
}

/// Asserts what `/history` refuses whatever answers it, around a valid
/// range `from`..`to` at `step` of variant `production`: a step off the
/// ladder, a misaligned or empty range, any parameter
/// but `from`, `to` and `step` (never echoed), a missing one (400), and
/// an unknown variant (404).
pub async fn assert_history_refusals(relay: SocketAddr, from: i64, to: i64, step: i64) {
    let refused = [
        (
            format!("from={from}&to={to}&step=10000"),
            "step must be one of",
        ),
        (
            format!("from={}&to={to}&step={step}", from + 1),
            "multiples of step",
        ),
        (format!("from={to}&to={from}&step={step}"), "before to"),
        (
            format!("from={from}&to={to}&step={step}&query=up"),
            "only from, to and step",
        ),
        (
            format!("from={from}&to={to}&step={step}&match[]=up"),
            "only from, to and step",
        ),
        (format!("from={from}&step={step}"), "to is required"),
    ];
    for (query, needle) in refused {
        let (status, body) = get_json(format!("http://{relay}/history/production?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        let error = body["error"].as_str().unwrap();
        assert!(
            error.contains(needle),
            "{query}: {error:?} should say {needle:?}"
        );
        assert!(
            !error.contains("up"),
            "{query}: {error:?} echoes the parameter"
        );
    }
    let (status, body) = get_json(format!(
        "http://{relay}/history/staging?from={from}&to={to}&step={step}"
    ))
    .await;
    assert_eq!(
        (status, &body["error"]),
        (404, &serde_json::Value::from("unknown variant"))
    );
}

/// `GET /history/{variant}` from `from` to `to` at `step`, answered 200.
pub async fn history(relay: SocketAddr, variant: &str, from: i64, to: i64, step: i64) -> Value {
    let url = format!("http://{relay}/history/{variant}?from={from}&to={to}&step={step}");
    let (status, headers, text) = get(&url).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["cache-control"], "no-store");
    serde_json::from_str(&text).unwrap()
}

/// The ids of an answer's targets, in its order.
pub fn ids(body: &Value) -> Vec<String> {
    body["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Asserts a `/history` answer covers exactly `from`..`to` at `step`.
pub fn assert_range(body: &Value, variant: &str, from: i64, to: i64, step: i64) {
    assert_eq!(
        (&body["variant"], &body["from"], &body["to"], &body["step"]),
        (
            &Value::from(variant),
            &Value::from(from),
            &Value::from(to),
            &Value::from(step)
        )
    );
}
