//! Harness for zai-dash's end-to-end tests: the real server (in-process, on
//! a loopback port, serving the Trunk-built app), controllable upstreams,
//! and headless Chromium driven through chromedriver.
//!
//! Every wait is a bounded poll for a condition ([`wait_for`]); nothing
//! sleeps and then asserts.

use std::{
    future::Future,
    net::{SocketAddr, TcpListener as StdListener, TcpStream},
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use axum::{Router, extract::State, routing::get};
use clap::Parser;
use fantoccini::{Client, ClientBuilder, Locator};
use tokio::{net::TcpListener, sync::oneshot};
use zai_dash_server::{
    config::ServeConfig,
    demo::{Profile, Simulator},
    serve,
};

/// Longest any single condition is waited for.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// The Trunk-built app: `$DIST_DIR`, else `dist/` at the workspace root.
pub fn dist_dir() -> PathBuf {
    let dist = std::env::var_os("DIST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../dist")));
    assert!(
        dist.join("index.html").exists(),
        "{} has no index.html: build the app first (`make app`)",
        dist.display()
    );
    dist
}

/// Polls `probe` every 100 ms until it yields `Some`, for at most
/// [`PATIENCE`]; panics with `what` and the last observation otherwise.
pub async fn wait_for<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = Instant::now() + PATIENCE;
    loop {
        match probe().await {
            Ok(v) => return v,
            Err(last) if Instant::now() >= deadline => {
                panic!("timed out after {PATIENCE:?} waiting for {what}; last seen: {last}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

#[derive(Parser)]
struct ServeArgs {
    #[command(flatten)]
    config: ServeConfig,
}

/// A running `zai-dash serve`, configured by command-line style `args`.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
}

impl Server {
    /// Starts the server in-process on a free loopback port with the built
    /// app, e.g. `Server::start(&["--demo", "--refresh-ms", "500"])`.
    pub async fn start(args: &[&str]) -> Server {
        let dist = dist_dir();
        let mut argv = vec!["serve", "--listen", "127.0.0.1:0", "--dist"];
        let dist = dist.to_str().expect("UTF-8 path").to_owned();
        argv.push(&dist);
        argv.extend_from_slice(args);
        let config = ServeArgs::try_parse_from(argv).expect("valid flags").config;
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(async move { serve::run(listener, config).await.expect("server runs") });
        Server { addr }
    }

    /// `http://addr` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// A simulated zai-proxy the test can take down: serves a [`Simulator`] at
/// `/metrics` until [`Upstream::stop`].
pub struct Upstream {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
}

impl Upstream {
    /// Starts a simulated `variant` on a free loopback port.
    pub async fn start(variant: &str, profile: Profile) -> Upstream {
        let sim = Simulator::new(variant, profile, 7, now_ms());
        let sim = Arc::new(Mutex::new(sim));
        let router = Router::new()
            .route(
                "/metrics",
                get(|State(sim): State<Arc<Mutex<Simulator>>>| async move {
                    let mut sim = sim.lock().expect("simulator lock");
                    sim.advance_to(now_ms());
                    sim.render()
                }),
            )
            .with_state(sim);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .expect("upstream runs")
        });
        Upstream {
            addr,
            stop: Some(stop),
        }
    }

    /// `NAME=URL` for `--variant`.
    pub fn variant_arg(&self, name: &str) -> String {
        format!("{name}=http://{}/metrics", self.addr)
    }

    /// Stops listening: from now on connections are refused.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Unix time in milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Kills the child process when dropped.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Headless Chromium under chromedriver, closed when dropped.
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    _driver: KillOnDrop,
}

impl Browser {
    /// Starts chromedriver (`$CHROMEDRIVER`, default `chromedriver`) on a
    /// free port and opens a headless Chromium session at 1280×900.
    pub async fn start() -> Browser {
        let bin = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let port = StdListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new(&bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {bin}: {e} (run `make setup-browser`)"));
        let driver = KillOnDrop(child);
        wait_for("chromedriver to listen", || async {
            TcpStream::connect(("127.0.0.1", port))
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
        .await;
        let caps = serde_json::json!({
            "goog:chromeOptions": {
                "binary": std::env::var("CHROME_BIN").unwrap_or_else(|_| "/usr/bin/chromium".into()),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--disable-default-apps", "--no-first-run",
                    "--no-default-browser-check", "--window-size=1280,900"
                ]
            }
        });
        let caps = caps.as_object().expect("an object").clone();
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a WebDriver session");
        Browser {
            client,
            _driver: driver,
        }
    }

    /// The text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> Result<String, String> {
        let el = self
            .client
            .find(Locator::Css(css))
            .await
            .map_err(|e| format!("{css}: {e}"))?;
        el.text().await.map_err(|e| format!("{css}: {e}"))
    }

    /// An attribute of the first element matching `css`.
    pub async fn attr(&self, css: &str, name: &str) -> Result<String, String> {
        let el = self
            .client
            .find(Locator::Css(css))
            .await
            .map_err(|e| format!("{css}: {e}"))?;
        el.attr(name)
            .await
            .map_err(|e| format!("{css}: {e}"))?
            .ok_or_else(|| format!("{css} has no {name}"))
    }

    /// Saves a PNG screenshot under `target/e2e/`, for people to look at.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("a screenshot");
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/e2e"));
        std::fs::create_dir_all(&dir).expect("target/e2e");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }
}

/// Parses a rate as shown on screen ("1.23k/s", "0.6/s") into req/s.
pub fn parse_rate(text: &str) -> Option<f64> {
    let number = text.trim().strip_suffix("/s")?;
    let (digits, scale) = match number.chars().last()? {
        'k' => (&number[..number.len() - 1], 1e3),
        'M' => (&number[..number.len() - 1], 1e6),
        'B' => (&number[..number.len() - 1], 1e9),
        _ => (number, 1.0),
    };
    digits.parse::<f64>().ok().map(|v| v * scale)
}
