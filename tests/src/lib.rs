//! Harness for zai-dash's end-to-end tests: the real server (in-process, on
//! a loopback port, serving the Trunk-built app), controllable upstreams,
//! and headless Chromium driven through chromedriver.
//!
//! Every wait is a bounded poll for a condition ([`wait_for`]); nothing
//! sleeps and then asserts.

use std::{
    future::Future,
    net::{SocketAddr, TcpListener as StdListener, TcpStream},
    os::unix::process::CommandExt,
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use axum::{
    Router,
    extract::{Request, State},
    middleware::{self, Next},
    routing::get,
};
use clap::Parser;
use fantoccini::{
    Client, ClientBuilder, Locator,
    actions::{
        InputSource, KeyAction, KeyActions, MOUSE_BUTTON_LEFT, MouseActions, PointerAction,
        TouchActions,
    },
    elements::Element,
    key::Key,
};
use serde_json::Value;
use tokio::{net::TcpListener, sync::oneshot};
use zai_dash_engine::units::{self, NO_DATA};
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

/// The app built with the `test-hooks` feature (`window.zaiDashPanic()`):
/// `$TEST_HOOKS_DIST_DIR`, else `target/dist-test-hooks` (`make
/// app-test-hooks`). Only the crash test uses it; every other test runs
/// the shipped bundle.
pub fn test_hooks_dist_dir() -> PathBuf {
    let dist = std::env::var_os("TEST_HOOKS_DIST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../target/dist-test-hooks"
            ))
        });
    assert!(
        dist.join("index.html").exists(),
        "{} has no index.html: build it first (`make app-test-hooks`)",
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
        Server::start_with(dist_dir(), args).await
    }

    /// Like [`Server::start`], serving the app built with its test hooks
    /// ([`test_hooks_dist_dir`]).
    pub async fn start_with_test_hooks(args: &[&str]) -> Server {
        Server::start_with(test_hooks_dist_dir(), args).await
    }

    async fn start_with(dist: PathBuf, args: &[&str]) -> Server {
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

    /// A server relaying one [`Upstream::scripted`] target per
    /// `(variant, script)` (a variant named twice has two targets), under
    /// which every poll the app accepts is one scrape of each script: no
    /// reuse of answers, a poll every 250 ms, and generous relay timeouts,
    /// because a poll that failed on a busy machine would skip a scrape
    /// the upstream did serve. Keep the upstreams alive for the test.
    pub async fn scripted(scripts: &[(&str, Vec<String>)]) -> (Server, Vec<Upstream>) {
        let mut args: Vec<String> = [
            "--refresh-ms",
            "250",
            "--coalesce-ms",
            "0",
            "--timeout-ms",
            "10000",
            "--connect-timeout-ms",
            "5000",
        ]
        .map(str::to_owned)
        .to_vec();
        let mut upstreams = Vec::new();
        for (variant, texts) in scripts {
            let upstream = Upstream::scripted(texts.clone()).await;
            args.extend(["--variant".to_owned(), upstream.variant_arg(variant)]);
            upstreams.push(upstream);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        (Server::start(&args).await, upstreams)
    }
}

/// How much simulated history [`Upstream::steady`] starts with, so every
/// counter family a profile produces exists before the first scrape.
pub const HISTORY_MS: i64 = 15 * 60_000;

/// `profile` without its random restarts: counters only grow, so what the
/// test waits for cannot be wiped out by a restart it did not ask for.
pub fn steady(profile: Profile) -> Profile {
    Profile {
        mean_restart_interval_s: None,
        ..profile
    }
}

/// A zai-proxy the test controls, at `/metrics` until [`Upstream::stop`]:
/// a live [`Simulator`] or a fixed script of expositions.
pub struct Upstream {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
}

impl Upstream {
    /// Starts a simulated `variant` on a free loopback port, as a process
    /// that starts now (no history yet).
    pub async fn start(variant: &str, profile: Profile) -> Upstream {
        Upstream::simulated(variant, profile, 7, 0).await
    }

    /// Starts `variant` simulated with [`steady`] `profile` and
    /// [`HISTORY_MS`] of history, so it has traffic in every family from
    /// its first scrape on and never restarts by itself.
    pub async fn steady(variant: &str, profile: Profile, seed: u64) -> Upstream {
        Upstream::simulated(variant, steady(profile), seed, HISTORY_MS).await
    }

    /// Starts a simulated `variant` whose process started `history_ms` ago,
    /// advanced to the wall clock on every scrape.
    pub async fn simulated(
        variant: &str,
        profile: Profile,
        seed: u64,
        history_ms: i64,
    ) -> Upstream {
        let sim = Simulator::new(variant, profile, seed, now_ms() - history_ms);
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
        Upstream::serve(router).await
    }

    /// Starts an upstream answering its `n`-th scrape with `texts[n]`, and
    /// every scrape after the last text with the last text again.
    pub async fn scripted(texts: Vec<String>) -> Upstream {
        assert!(!texts.is_empty(), "a script needs at least one exposition");
        let script = Arc::new((texts, AtomicUsize::new(0)));
        let router = Router::new()
            .route(
                "/metrics",
                get(|State(script): State<Script>| async move {
                    let (texts, next) = &*script;
                    let n = next.fetch_add(1, Ordering::SeqCst).min(texts.len() - 1);
                    texts[n].clone()
                }),
            )
            .with_state(script);
        Upstream::serve(router).await
    }

    /// Serves `router` on a free loopback port: an upstream a test writes
    /// itself (one that counts its scrapes, say).
    pub async fn serve(router: Router) -> Upstream {
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

    /// Stops listening: from now on connections are refused. Dropping the
    /// upstream stops it too, so keep it alive for the whole test.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The built app on a plain static file server (no relay behind it) on a
/// free loopback port, alive for the rest of the test process: how the
/// app is hosted apart from its relay. It records every path asked of it.
pub struct StaticSite {
    /// Where it listens.
    pub addr: SocketAddr,
    asked: Arc<Mutex<Vec<String>>>,
}

impl StaticSite {
    /// Serves [`dist_dir`].
    pub async fn start() -> StaticSite {
        let asked = Arc::new(Mutex::new(Vec::new()));
        let log = asked.clone();
        let record = move |request: Request, next: Next| {
            let log = log.clone();
            async move {
                log.lock()
                    .expect("the log")
                    .push(request.uri().path().to_owned());
                next.run(request).await
            }
        };
        let site = Router::new()
            .fallback_service(tower_http::services::ServeDir::new(dist_dir()))
            .layer(middleware::from_fn(record));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(async move { axum::serve(listener, site).await.expect("the site runs") });
        StaticSite { addr, asked }
    }

    /// `http://addr`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The paths asked of it so far.
    pub fn asked(&self) -> Vec<String> {
        self.asked.lock().expect("the log").clone()
    }
}

/// The expositions and the index of the next one to serve.
type Script = Arc<(Vec<String>, AtomicUsize)>;

/// The tokens panel's totals, by CSS class: input, output, cache read,
/// cache write (the snapshot's `tokens_*` order).
pub const TOKEN_TOTALS: [&str; 4] = [
    "total-input",
    "total-output",
    "total-cache-read",
    "total-cache-write",
];

/// The two variants every panel compares.
pub const VARIANTS: [&str; 2] = ["production", "canary"];

/// Every panel's id, in page order: `#panel-{id}` holds chart `#chart-{id}`.
pub const PANELS: [&str; 8] = [
    "requests",
    "latency",
    "tokens",
    "cost",
    "concurrency",
    "limiter",
    "errors",
    "sizes",
];

/// Production and canary as [`Upstream::steady`] simulations, and a server
/// relaying both (production first), polled every 500 ms.
pub struct Fleet {
    /// The relay and app.
    pub server: Server,
    /// The production upstream.
    pub production: Upstream,
    /// The canary upstream.
    pub canary: Upstream,
}

impl Fleet {
    /// Starts both upstreams and the server.
    pub async fn start() -> Fleet {
        let production = Upstream::steady("production", Profile::production(), 11).await;
        let canary = Upstream::steady("canary", Profile::canary(), 12).await;
        let server = Server::start(&[
            "--refresh-ms",
            "500",
            "--variant",
            &production.variant_arg("production"),
            "--variant",
            &canary.variant_arg("canary"),
        ])
        .await;
        Fleet {
            server,
            production,
            canary,
        }
    }
}

/// `steps + 1` consecutive `/metrics` texts of one simulated process, taken
/// `step_ms` of simulated time apart from a fixed start (so the script is
/// the same on every run), restarting the process right before text
/// `restart_at` when given. The profile's own random restarts are off.
pub fn script(
    variant: &str,
    profile: Profile,
    seed: u64,
    steps: usize,
    step_ms: i64,
    restart_at: Option<usize>,
) -> Vec<String> {
    /// 2026-09-11T00:00:00Z.
    const START_MS: i64 = 1_789_084_800_000;
    let mut sim = Simulator::new(variant, steady(profile), seed, START_MS);
    (0..=steps)
        .map(|i| {
            sim.advance_to(START_MS + i as i64 * step_ms);
            if restart_at == Some(i) {
                sim.restart();
            }
            sim.render()
        })
        .collect()
}

/// Unix time in milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// chromedriver and its Chromium: when dropped, kills the driver and
/// everything it started, and deletes the browser's profile directory.
///
/// The driver leads its own process group ([`CommandExt::process_group`]),
/// and Chromium stays in that group, so killing the group ends the browser
/// too: killing chromedriver alone would orphan a headless Chromium that
/// keeps polling (and burning CPU) long after its test.
struct Driver {
    child: Child,
    /// Chromium's `--user-data-dir`, ours to delete (chromedriver's own
    /// temporary profiles, ~12 MB each, outlive a killed driver).
    profile: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Killed processes may still be closing files for a moment.
        for _ in 0..50 {
            match std::fs::remove_dir_all(&self.profile) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => break,
            }
        }
    }
}

/// Headless Chromium under chromedriver, closed when dropped.
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    _driver: Driver,
}

impl Drop for Browser {
    /// Ends the WebDriver session, so chromedriver quits Chromium and reaps
    /// it (a browser killed with its driver stays a zombie here: PID 1 does
    /// not reap orphans); then [`Driver`] kills whatever is left.
    fn drop(&mut self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if runtime.runtime_flavor() != tokio::runtime::RuntimeFlavor::MultiThread {
            return;
        }
        let session = self.client.clone();
        tokio::task::block_in_place(|| {
            let _ = runtime.block_on(tokio::time::timeout(
                Duration::from_secs(10),
                session.close(),
            ));
        });
    }
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
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {bin}: {e} (run `make setup-browser`)"));
        let profile = std::env::temp_dir().join(format!(
            "zai-dash-e2e-chromium-{}-{port}",
            std::process::id()
        ));
        let driver = Driver {
            child,
            profile: profile.clone(),
        };
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
                    "--no-default-browser-check", "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.display())
                ]
            }
        });
        let caps = caps.as_object().expect("an object").clone();
        // Under heavy load Chromium can miss chromedriver's start-up
        // deadline; a second or third attempt then succeeds. Bounded.
        let mut attempt = 0;
        let client = loop {
            attempt += 1;
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => break client,
                Err(e) if attempt >= 3 => {
                    panic!("no WebDriver session after {attempt} attempts: {e}")
                }
                Err(_) => continue,
            }
        };
        Browser {
            client,
            _driver: driver,
        }
    }

    /// Starts a browser ([`Browser::start`]) on the app `server` serves.
    pub async fn open(server: &Server) -> Browser {
        Browser::open_at(server, "/").await
    }

    /// Starts a browser on `path` (e.g. `/?bench`) of `server`.
    pub async fn open_at(server: &Server, path: &str) -> Browser {
        let browser = Browser::start().await;
        browser
            .client
            .goto(&server.url(path))
            .await
            .expect("open the app");
        browser
    }

    /// The first element matching `css`.
    pub async fn find(&self, css: &str) -> Result<Element, String> {
        self.client
            .find(Locator::Css(css))
            .await
            .map_err(|e| format!("{css}: {e}"))
    }

    /// Waits until the first element matching `css` is there and takes a
    /// click (the app renders its controls only once it has loaded).
    pub async fn click(&self, css: &str) {
        wait_for(&format!("a click on {css}"), || async {
            let el = self.find(css).await?;
            el.click().await.map_err(|e| format!("{css}: {e}"))
        })
        .await
    }

    /// The text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> Result<String, String> {
        let el = self.find(css).await?;
        el.text().await.map_err(|e| format!("{css}: {e}"))
    }

    /// An attribute of the first element matching `css`.
    pub async fn attr(&self, css: &str, name: &str) -> Result<String, String> {
        let el = self.find(css).await?;
        el.attr(name)
            .await
            .map_err(|e| format!("{css}: {e}"))?
            .ok_or_else(|| format!("{css} has no {name}"))
    }

    /// Runs `script`, the body of a JavaScript function called with
    /// `args` (as `arguments`), in the page and returns its result: one
    /// consistent reading of the DOM between two renders.
    pub async fn eval(&self, script: &str, args: Vec<Value>) -> Result<Value, String> {
        self.client
            .execute(script, args)
            .await
            .map_err(|e| format!("script failed: {e}"))
    }

    /// The rendered text of the first element matching each of `css`
    /// (`None` where nothing matches), read in one go: parts of the page
    /// that re-render on every scrape cannot go stale between two reads.
    pub async fn texts(&self, css: &[&str]) -> Result<Vec<Option<String>>, String> {
        let found = self
            .eval(
                "return arguments[0].map(css => document.querySelector(css)?.innerText.trim() ?? null);",
                vec![css.into()],
            )
            .await?;
        let items = list(&found)?;
        Ok(items
            .iter()
            .map(|t| t.as_str().map(str::to_owned))
            .collect())
    }

    /// How many scrapes the app has accepted for `variant` (its status
    /// card's `data-scrapes`).
    pub async fn scrapes(&self, variant: &str) -> Result<u64, String> {
        let count = self
            .attr(&format!("#status-{variant}"), "data-scrapes")
            .await?;
        count.parse::<u64>().map_err(|e| format!("{count:?}: {e}"))
    }

    /// How many scrapes of `variant` the app has accepted, waiting (bounded)
    /// for its card to be there (the app builds it once the relay named
    /// the variants).
    pub async fn scrape_count(&self, variant: &str) -> u64 {
        wait_for(&format!("{variant}'s scrape count"), || {
            self.scrapes(variant)
        })
        .await
    }

    /// Waits until the app has accepted at least `n` scrapes of `variant`;
    /// returns how many it has.
    pub async fn wait_for_scrapes(&self, variant: &str, n: u64) -> u64 {
        wait_for(&format!("{n} scrapes of {variant}"), || async {
            let now = self.scrapes(variant).await?;
            if now >= n {
                Ok(now)
            } else {
                Err(format!("{now} scrapes"))
            }
        })
        .await
    }

    /// Waits until exactly `n` notices of URL key `key` are shown; returns
    /// their texts.
    pub async fn wait_for_notices(&self, key: &str, n: usize) -> Vec<String> {
        wait_for(&format!("{n} notices on {key}="), || async {
            let found = self
                .eval(
                    "return [...document.querySelectorAll('#notices li')]\
                     .filter(li => li.dataset.key === arguments[0]).map(li => li.textContent);",
                    vec![key.into()],
                )
                .await?;
            let texts: Vec<String> = found
                .as_array()
                .ok_or("no list")?
                .iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect();
            if texts.len() == n {
                Ok(texts)
            } else {
                Err(format!("{texts:?}"))
            }
        })
        .await
    }

    /// Waits until `variant`'s status card reads down with an error
    /// message; returns the message.
    pub async fn wait_for_down(&self, variant: &str) -> String {
        let card = format!("#status-{variant}");
        wait_for(&format!("{variant} down with an error"), || async {
            let state = self.attr(&card, "data-state").await?;
            let message = self.text(&format!("{card} .message")).await?;
            if state == "down" && !message.is_empty() {
                Ok(message)
            } else {
                Err(format!("{state}: {message:?}"))
            }
        })
        .await
    }

    /// The figures of CSS class `class` in panel `panel` (`#panel-{panel}`),
    /// one per shown variant, in page order.
    pub async fn figures(&self, panel: &str, class: &str) -> Result<Vec<Figure>, String> {
        let found = self
            .eval(
                r#"
                const [panel, cls] = arguments;
                const tag = n => n.classList && n.classList.contains("variant-tag");
                return [...document.querySelectorAll(`#panel-${panel} .figure-value.${cls}`)]
                    .map(el => ({
                        variant: el.dataset.variant ?? "",
                        condition: el.dataset.condition ?? "",
                        value: [...el.childNodes].filter(n => !tag(n))
                            .map(n => n.textContent).join("").trim(),
                        visible: el.getClientRects().length > 0,
                    }));
                "#,
                vec![panel.into(), class.into()],
            )
            .await?;
        let items = list(&found)?;
        Ok(items
            .iter()
            .map(|f| Figure {
                variant: string(&f["variant"]),
                condition: string(&f["condition"]),
                value: string(&f["value"]),
                visible: f["visible"].as_bool().unwrap_or(false),
            })
            .collect())
    }

    /// The labels of chart `chart`'s lines (`#chart-{chart}` legend), in
    /// legend order, whether switched on or off.
    pub async fn legend(&self, chart: &str) -> Result<Vec<String>, String> {
        let found = self
            .eval(
                r#"
                return [...document.querySelectorAll(`#chart-${arguments[0]} .legend .legend-item`)]
                    .map(b => b.textContent.trim());
                "#,
                vec![chart.into()],
            )
            .await?;
        Ok(list(&found)?.iter().map(string).collect())
    }

    /// The crosshair tooltip of chart `chart`, if one is shown.
    pub async fn tooltip(&self, chart: &str) -> Result<Option<Tooltip>, String> {
        let found = self
            .eval(
                r#"
                const tip = document.querySelector(`#chart-${arguments[0]} .tooltip`);
                if (!tip) return null;
                const text = (el, css) => (el.querySelector(css)?.textContent ?? "").trim();
                return {
                    time: text(tip, ".tooltip-time"),
                    rows: [...tip.querySelectorAll(".tooltip-row")]
                        .map(r => [text(r, ".tooltip-label"), text(r, ".tooltip-value")]),
                    events: [...tip.querySelectorAll(".tooltip-event")].map(e => e.textContent.trim()),
                };
                "#,
                vec![chart.into()],
            )
            .await?;
        if found.is_null() {
            return Ok(None);
        }
        let rows = list(&found["rows"])?;
        Ok(Some(Tooltip {
            events: list(&found["events"])?.iter().map(string).collect(),
            time: string(&found["time"]),
            rows: rows
                .iter()
                .map(|r| (string(&r[0]), string(&r[1])))
                .collect(),
        }))
    }

    /// Scrolls the first element matching `css` into view and moves the
    /// mouse over it, `x` and `y` CSS pixels from its top-left corner.
    pub async fn hover(&self, css: &str, x: f64, y: f64) -> Result<(), String> {
        self.gesture(css, &[Mouse::To(x, y)]).await
    }

    /// Scrolls the first element matching `css` into view and plays `steps`
    /// over it with the mouse, as one WebDriver action sequence: e.g. a
    /// drag is `[To(x0, y), Down, To(x1, y), Up]`.
    pub async fn gesture(&self, css: &str, steps: &[Mouse]) -> Result<(), String> {
        let on = self.pointer_target(css).await?;
        let mouse = steps
            .iter()
            .fold(MouseActions::new("mouse".to_owned()), |m, s| {
                m.then(on.action(*s))
            });
        self.client
            .perform_actions(mouse)
            .await
            .map_err(|e| format!("mouse {steps:?} over {css}: {e}"))
    }

    /// Scrolls the first element matching `css` into view and plays one
    /// WebDriver pointer sequence of type "touch" per finger, all at once:
    /// step `i` of every finger happens in the same tick (pad a finger
    /// that waits with `Mouse::Pause(0)`). Chromium turns them into touch
    /// events and pointer events of `pointerType` "touch".
    pub async fn touch(&self, css: &str, fingers: &[&[Mouse]]) -> Result<(), String> {
        let on = self.pointer_target(css).await?;
        let sequences: Vec<TouchActions> = fingers
            .iter()
            .enumerate()
            .map(|(i, steps)| {
                steps
                    .iter()
                    .fold(TouchActions::new(format!("finger{i}")), |f, s| {
                        f.then(on.action(*s))
                    })
            })
            .collect();
        self.client
            .perform_actions(sequences)
            .await
            .map_err(|e| format!("touch {fingers:?} on {css}: {e}"))
    }

    /// The first element matching `css`, scrolled into view, and its size.
    async fn pointer_target(&self, css: &str) -> Result<PointerTarget, String> {
        let el = self.find(css).await?;
        self.client
            .execute(
                "arguments[0].scrollIntoView({block: 'center'});",
                vec![serde_json::to_value(&el).map_err(|e| e.to_string())?],
            )
            .await
            .map_err(|e| format!("scroll to {css}: {e}"))?;
        let (_, _, width, height) = el.rectangle().await.map_err(|e| format!("{css}: {e}"))?;
        Ok(PointerTarget { el, width, height })
    }

    /// Presses and releases `key` (a character, or a WebDriver key such as
    /// `Key::Escape.into()`) with no form field focused, as a page-wide
    /// shortcut is typed.
    pub async fn press(&self, key: char) -> Result<(), String> {
        self.eval("document.activeElement?.blur();", vec![]).await?;
        self.press_focused(key).await
    }

    /// Presses and releases `key` where the focus is (a button, a dialog),
    /// as a keyboard user does.
    pub async fn press_focused(&self, key: char) -> Result<(), String> {
        let keys = KeyActions::new("keyboard".to_owned())
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
        self.client
            .perform_actions(keys)
            .await
            .map_err(|e| format!("press {key:?}: {e}"))
    }

    /// Types `text` over the content of the field matching `css` and
    /// commits it with Enter (its change event).
    pub async fn type_over(&self, css: &str, text: &str) -> Result<(), String> {
        let input = self.find(css).await?;
        // Ctrl+A selects what is there, so the text replaces it; the null
        // key releases Ctrl.
        let keys = format!(
            "{}a{}{text}{}",
            char::from(Key::Control),
            char::from(Key::Null),
            char::from(Key::Enter)
        );
        input
            .send_keys(&keys)
            .await
            .map_err(|e| format!("typing into {css}: {e}"))
    }

    /// Resizes the window so the page's viewport is `width` CSS pixels
    /// wide (e.g. a phone's 390) and the window `height` high; waits until
    /// the page has laid out at that width.
    pub async fn set_size(&self, width: u32, height: u32) {
        // The window's own frame, if it has one, comes on top.
        let frame = self
            .eval(
                "return [outerWidth - innerWidth, outerHeight - innerHeight];",
                vec![],
            )
            .await
            .expect("the window's frame");
        let extra = |i: usize| frame[i].as_u64().unwrap_or(0) as u32;
        self.client
            .set_window_size(width + extra(0), height + extra(1))
            .await
            .expect("a window size");
        wait_for(&format!("a {width} px wide viewport"), || async {
            let inner = self.eval("return window.innerWidth;", vec![]).await?;
            if inner.as_u64() == Some(u64::from(width)) {
                Ok(())
            } else {
                Err(format!("innerWidth {inner}"))
            }
        })
        .await;
    }

    /// How many pixels of chart `chart`'s canvas are drawn in a saturated
    /// colour: the lines and markers, not the grey grid, axes and labels
    /// of either theme. The DOM cannot tell whether a line was drawn.
    pub async fn drawn_pixels(&self, chart: &str) -> Result<u64, String> {
        let found = self
            .eval(
                r#"
                const canvas = document.querySelector(`#chart-${arguments[0]} canvas`);
                if (!canvas || !canvas.width || !canvas.height) return 0;
                const d = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
                let drawn = 0;
                for (let i = 0; i < d.length; i += 4) {
                    const [r, g, b, a] = [d[i], d[i + 1], d[i + 2], d[i + 3]];
                    if (a > 128 && Math.max(r, g, b) - Math.min(r, g, b) > 60) drawn++;
                }
                return drawn;
                "#,
                vec![chart.into()],
            )
            .await?;
        found
            .as_u64()
            .ok_or_else(|| format!("not a count: {found}"))
    }

    /// Starts recording the page's errors: `console.error` (where a Rust
    /// panic is reported), uncaught exceptions (a wasm trap) and unhandled
    /// rejections. Read them with [`Browser::errors`].
    pub async fn record_errors(&self) {
        self.eval(
            r#"
            if (window.__e2eErrors) return;
            window.__e2eErrors = [];
            const error = console.error;
            console.error = (...args) => {
                window.__e2eErrors.push(args.map(String).join(" "));
                error.apply(console, args);
            };
            addEventListener("error", e => window.__e2eErrors.push(`uncaught: ${e.message}`));
            addEventListener("unhandledrejection", e => window.__e2eErrors.push(`unhandled: ${e.reason}`));
            "#,
            vec![],
        )
        .await
        .expect("install the error recorder");
    }

    /// The errors recorded since [`Browser::record_errors`].
    pub async fn errors(&self) -> Result<Vec<String>, String> {
        let found = self
            .eval(
                "return window.__e2eErrors ?? ['the error recorder is not installed'];",
                vec![],
            )
            .await?;
        Ok(list(&found)?
            .iter()
            .map(|e| e.as_str().unwrap_or_default().to_owned())
            .collect())
    }

    /// What chart `chart`'s canvas last drew: the oldest and newest point
    /// with a value, and its right edge (the last poll, when live), Unix
    /// ms; zeros before its first draw. Set by the drawing code itself, so
    /// a chart whose drawing died stops changing here.
    pub async fn drawn(&self, chart: &str) -> Result<Drawn, String> {
        let found = self
            .eval(
                r#"
                const c = document.querySelector(`#chart-${arguments[0]} canvas`);
                return ["from", "to", "at"].map(k => Number(c?.dataset["drawn" + k[0].toUpperCase() + k.slice(1)] ?? 0));
                "#,
                vec![chart.into()],
            )
            .await?;
        let v = list(&found)?;
        let at = |i: usize| v.get(i).and_then(Value::as_i64).unwrap_or(0);
        Ok(Drawn {
            from: at(0),
            to: at(1),
            at: at(2),
        })
    }

    /// Waits until chart `chart` draws a point newer than `after` (Unix
    /// ms); returns what it drew.
    pub async fn wait_for_drawn_after(&self, chart: &str, after: i64) -> Drawn {
        wait_for(
            &format!("chart {chart} to draw a point after {after}"),
            || async {
                let drawn = self.drawn(chart).await?;
                if drawn.to > after {
                    Ok(drawn)
                } else {
                    Err(format!("{drawn:?}"))
                }
            },
        )
        .await
    }

    /// The size of the first element matching `css`, CSS pixels.
    pub async fn size(&self, css: &str) -> Result<(f64, f64), String> {
        let el = self.find(css).await?;
        let (_, _, width, height) = el.rectangle().await.map_err(|e| format!("{css}: {e}"))?;
        Ok((width, height))
    }

    /// Waits until figure `class` of panel `panel` shows a value (not
    /// "—") for each of [`VARIANTS`], both up and visible; returns them.
    pub async fn wait_for_figures(&self, panel: &str, class: &str) -> Vec<Figure> {
        wait_for(&format!("{panel}'s {class} for both variants"), || async {
            let figures = self.figures(panel, class).await?;
            let shown = |variant: &str| {
                figures.iter().any(|f| {
                    f.variant == variant && f.condition == "up" && f.visible && f.value != NO_DATA
                })
            };
            if VARIANTS.iter().all(|v| shown(v)) {
                Ok(figures)
            } else {
                Err(format!("{figures:?}"))
            }
        })
        .await
    }

    /// Waits until the tokens panel's four totals for `variant` read
    /// `totals` ([`TOKEN_TOTALS`] order) as the app formats them.
    pub async fn wait_for_token_totals(&self, variant: &str, totals: &[Option<f64>; 4]) {
        for (class, total) in TOKEN_TOTALS.iter().zip(totals) {
            let want = units::count(*total);
            wait_for(&format!("{variant}'s {class} to read {want}"), || async {
                let figures = self.figures("tokens", class).await?;
                match figures.iter().find(|f| f.variant == variant) {
                    Some(f) if f.value == want => Ok(()),
                    _ => Err(format!("{figures:?}")),
                }
            })
            .await;
        }
    }

    /// Waits until chart `chart`'s legend has a line of each of
    /// [`VARIANTS`]; returns the legend's labels.
    pub async fn wait_for_lines(&self, chart: &str) -> Vec<String> {
        wait_for(
            &format!("lines of both variants on chart {chart}"),
            || async {
                let labels = self.legend(chart).await?;
                if VARIANTS.iter().all(|v| !lines_of(&labels, v).is_empty()) {
                    Ok(labels)
                } else {
                    Err(format!("{labels:?}"))
                }
            },
        )
        .await
    }

    /// Hovers chart `chart` until its tooltip passes `accept`, and returns
    /// it. The newest data is at the plot's right edge, but a point there
    /// can still lack values (nothing finished in its lookback, or a late
    /// poll on a busy machine), so the pointer walks left over the last 40
    /// pixels until it rests on a point that passes.
    pub async fn wait_for_tooltip(
        &self,
        chart: &str,
        accept: impl Fn(&Tooltip) -> bool,
    ) -> Tooltip {
        let canvas = format!("#chart-{chart} canvas");
        let (width, height) = self.size(&canvas).await.expect("the canvas");
        let step = std::cell::Cell::new(0u32);
        let (canvas, accept) = (&canvas, &accept);
        wait_for(&format!("a tooltip on chart {chart}"), || {
            let x = width - 10.0 - f64::from(step.get() % 40);
            step.set(step.get() + 1);
            async move {
                self.hover(canvas, x, height / 2.0).await?;
                let tooltip = self.tooltip(chart).await?.ok_or("no tooltip")?;
                if accept(&tooltip) {
                    Ok(tooltip)
                } else {
                    Err(format!("{tooltip:?}"))
                }
            }
        })
        .await
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

/// What a chart's canvas last drew ([`Browser::drawn`]), Unix ms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Drawn {
    /// The oldest point with a value.
    pub from: i64,
    /// The newest point with a value.
    pub to: i64,
    /// The right edge of the chart.
    pub at: i64,
}

/// One step of a pointer gesture over an element, with the mouse
/// ([`Browser::gesture`]) or a finger ([`Browser::touch`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mouse {
    /// Move to `(x, y)`, CSS pixels from the element's top-left corner
    /// (it may lie outside the element).
    To(f64, f64),
    /// Press the left button, or touch.
    Down,
    /// Release the left button, or lift the finger.
    Up,
    /// Stay put for this many milliseconds (a long press).
    Pause(u64),
}

/// An element a gesture is played over, and its size.
struct PointerTarget {
    el: Element,
    width: f64,
    height: f64,
}

impl PointerTarget {
    /// `step` as a WebDriver pointer action over the element.
    fn action(&self, step: Mouse) -> PointerAction {
        match step {
            // WebDriver offsets are from the element's centre, in whole pixels.
            Mouse::To(x, y) => PointerAction::MoveToElement {
                element: self.el.clone(),
                duration: None,
                x: (x - self.width / 2.0).round(),
                y: (y - self.height / 2.0).round(),
            },
            Mouse::Down => PointerAction::Down {
                button: MOUSE_BUTTON_LEFT,
            },
            Mouse::Up => PointerAction::Up {
                button: MOUSE_BUTTON_LEFT,
            },
            Mouse::Pause(ms) => PointerAction::Pause {
                duration: Duration::from_millis(ms),
            },
        }
    }
}

/// One variant's value of a panel figure, as on screen.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// `data-variant`.
    pub variant: String,
    /// `data-condition`: up, stale, down or waiting.
    pub condition: String,
    /// The value's text, after the variant tag ("—" for no data).
    pub value: String,
    /// Whether it is rendered at all (has a layout box).
    pub visible: bool,
}

/// A chart's crosshair tooltip, as on screen.
#[derive(Clone, Debug, PartialEq)]
pub struct Tooltip {
    /// The time at the crosshair.
    pub time: String,
    /// Each line's label and value there.
    pub rows: Vec<(String, String)>,
    /// The events marked near there (restarts, failed polls, where
    /// history gives way to live data).
    pub events: Vec<String>,
}

impl Tooltip {
    /// The rows whose label names `variant` (`p95 · canary`).
    pub fn rows_of<'a>(&'a self, variant: &'a str) -> impl Iterator<Item = &'a (String, String)> {
        self.rows
            .iter()
            .filter(move |(label, _)| is_line_of(label, variant))
    }
}

/// Whether a line's label (`p95 · canary`, with both variants shown) is
/// one of `variant`'s.
pub fn is_line_of(label: &str, variant: &str) -> bool {
    label
        .strip_suffix(variant)
        .is_some_and(|rest| rest.ends_with(" · "))
}

/// The labels of `variant`'s lines among `labels`.
pub fn lines_of<'a>(labels: &'a [String], variant: &str) -> Vec<&'a str> {
    labels
        .iter()
        .filter(|l| is_line_of(l, variant))
        .map(String::as_str)
        .collect()
}

fn list(v: &Value) -> Result<&Vec<Value>, String> {
    v.as_array().ok_or_else(|| format!("not a list: {v}"))
}

fn string(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
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
