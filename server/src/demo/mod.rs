//! Simulated zai-proxies for `zai-dash serve --demo`.
//!
//! The dashboard is only worth trying against something that behaves like a
//! real zai-proxy: counters that grow at a few requests per second, lazily
//! created series, 429 bursts answered by the AIMD limiter, retries counted
//! twice, restarts that reset every counter, a canary that is measurably
//! worse than production, and quota gauges only where quota polling is on.
//! A [`Simulator`] reproduces all of that as one process's `/metrics` text in
//! client_golang's exact layout (reference §1), so every engine path (parse,
//! counter-reset stitching, histogram math, "missing is not zero") is
//! exercised without a proxy.
//!
//! The simulation is deterministic: it advances in fixed one-second steps on
//! its own clock and draws every random number from one seeded generator, so
//! the same seed and the same [`Simulator::advance_to`] calls always give the
//! same text. Requests are recorded when they complete, as the proxy does at
//! the end of `ServeHTTP`; a restart drops the ones still in flight.
//!
//! Like the real deployment, a simulated variant runs several pods
//! (`--demo-replicas`; production 2 and canary 1 by default): each is its
//! own [`Simulator`] with its own seed, start time and restarts, and the
//! variant's traffic is split between them. Each pod has its own
//! `/demo/{variant}/{pod}/metrics`; `/demo/{variant}/metrics` answers from
//! the pods in turn, as a Kubernetes Service would, to show what scraping
//! a load-balanced URL looks like.
//!
//! Each pod also remembers its last day (`past`): pods started a day ago
//! and every 15 s of their simulated life is recorded, so `/history`
//! answers from the same processes the live routes show, and the
//! dashboard opens on a day of charts.
//!
//! The simulator is not part of the relay, which never knows it is talking
//! to one: `serve` mounts the routes of a `Demo` on its own listener and
//! puts its variants on the relay's allow-list, one loopback URL per pod,
//! so the demo goes through the real fetch path, gzip pass-through
//! included.
//!
//! # Layout
//!
//! Each part uses only the ones listed after it:
//!
//! - this module: the public [`Simulator`] and [`Profile`], and the routes.
//! - `past`: a pod and its recorded past, which `/history` reads.
//! - `traffic`: the traffic model, the world around one process (arrivals,
//!   upstream congestion, faults, retries), and the clock that steps it.
//! - `process`: one proxy process: what it records, its AIMD limiter, its
//!   quota poller and its Go runtime; a restart replaces it whole.
//! - `quota`: the account's quota windows, which outlive restarts.
//! - `profile`: [`Profile`], what makes production and the canary differ.
//! - `render`: the exposition writer, in client_golang's layout.
//! - `registry`: a client_golang-like store of every family's series.
//! - `families`: the table of every family the proxy registers.
//! - `random`: the seeded draws.

mod families;
mod past;
mod process;
mod profile;
mod quota;
mod random;
mod registry;
mod render;
mod traffic;

use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

use axum::{
    Router,
    extract::{Path, State},
    http::header,
    response::IntoResponse,
    routing::get,
};
use tokio::task::spawn_blocking;
use tower_http::compression::CompressionLayer;

pub(crate) use self::past::PAST_MS;
pub use self::profile::{CanaryQuality, Profile};
use self::{past::Pod, traffic::World};
use crate::{
    config::{Discovery, VariantSpec},
    error::AppError,
    fetch::PROMETHEUS_TEXT,
    history::{SeriesHistory, Span},
    now_ms,
};

/// One simulated zai-proxy process and the world around it (its clients, the
/// upstream API and the account's quota), advanced on a simulated clock.
#[derive(Debug, Clone)]
pub struct Simulator {
    /// The `variant` label of every series.
    variant: String,
    world: World,
}

impl Simulator {
    /// A process of `variant` (the `variant` label) started at `start_ms`
    /// (Unix ms), with traffic drawn from `seed`.
    pub fn new(variant: &str, profile: Profile, seed: u64, start_ms: i64) -> Self {
        Self {
            variant: variant.to_owned(),
            world: World::new(profile, seed, start_ms),
        }
    }

    /// Runs the simulation up to `now_ms` in whole steps; earlier times are a
    /// no-op. Only the last 15 minutes of a longer jump are simulated, so one
    /// call costs at most 900 steps. Within that bound the result depends
    /// only on the final time, not on how the calls split the way there.
    pub fn advance_to(&mut self, now_ms: i64) {
        self.world.advance_to(now_ms);
    }

    /// The process's `/metrics` exposition now, in client_golang's layout.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(64 * 1024);
        self.world.process.metrics.render(&self.variant, &mut out);
        out
    }

    /// How many times the process has restarted since [`Simulator::new`].
    pub fn restarts(&self) -> u32 {
        self.world.restarts
    }

    /// Restarts the process now: every counter, histogram and gauge returns
    /// to its fresh-process state and in-flight requests are lost.
    pub fn restart(&mut self) {
        self.world.restart();
    }

    /// The simulated clock (Unix ms): the end of the last step.
    pub fn clock_ms(&self) -> i64 {
        self.world.clock_ms
    }
}

/// The first pod of each variant starts [`PAST_MS`] ago, so the demo
/// has a day of past; the others start evenly later within this, as in a
/// rolling update.
const ROLLOUT_MS: i64 = 15 * 60_000;

/// Added to the seed once per pod index, so each pod draws its own traffic
/// (2^64 divided by the golden ratio: consecutive pods get seeds far
/// apart); pod 0 keeps the variant's seed.
const POD_SEED_STEP: u64 = 0x9E37_79B9_7F4A_7C15;

/// The simulated variants, production then a canary of the given
/// quality, with their pods by default (as the real deployment runs them).
fn simulated(canary: CanaryQuality) -> [(&'static str, Profile, u32); 2] {
    [
        ("production", Profile::production(), 2),
        ("canary", canary.profile(), 1),
    ]
}

/// One simulated variant: its pods and whose turn it is behind the
/// "Service".
struct Deployment {
    name: &'static str,
    pods: Vec<Mutex<Pod>>,
    /// The pod `/demo/{variant}/metrics` answers from next (modulo).
    next: AtomicUsize,
}

/// The simulated variants.
type Deployments = Arc<Vec<Deployment>>;

/// The simulated variants of `--demo`, each a set of pods, served on
/// `addr`.
#[derive(Clone)]
pub(crate) struct Demo {
    deployments: Deployments,
    addr: SocketAddr,
}

impl Demo {
    /// Every simulated variant with `replicas` pods (its default when
    /// `None`), the canary of quality `canary`, started [`PAST_MS`] ago (within [`ROLLOUT_MS`]), to be
    /// served on `addr`. Variant `i` draws its traffic from `seed + i`;
    /// its pod `j` from that plus `j` times [`POD_SEED_STEP`]. Nothing is
    /// simulated yet: each pod catches up on [`Demo::warm_up`] or its
    /// first use, whichever comes first.
    pub(crate) fn new(
        seed: u64,
        replicas: Option<u32>,
        canary: CanaryQuality,
        addr: SocketAddr,
    ) -> Self {
        let start = now_ms() - PAST_MS;
        let deployments = simulated(canary)
            .into_iter()
            .enumerate()
            .map(|(i, (name, profile, default_replicas))| {
                let replicas = replicas.unwrap_or(default_replicas).max(1);
                let variant_seed = seed.wrapping_add(i as u64);
                let pods = (0..replicas)
                    .map(|j| {
                        let seed =
                            variant_seed.wrapping_add(u64::from(j).wrapping_mul(POD_SEED_STEP));
                        let started = start + ROLLOUT_MS * i64::from(j) / i64::from(replicas);
                        let pod = profile.clone().per_pod(replicas);
                        Mutex::new(Pod::new(Simulator::new(name, pod, seed, started)))
                    })
                    .collect();
                Deployment {
                    name,
                    pods,
                    next: AtomicUsize::new(0),
                }
            })
            .collect();
        Demo {
            deployments: Arc::new(deployments),
            addr,
        }
    }

    /// The relay's allow-list entries for the simulated variants: one
    /// target per pod, served by [`Demo::router`], in deployment order.
    pub(crate) fn variants(&self) -> Vec<VariantSpec> {
        let addr = self.addr;
        self.deployments
            .iter()
            .map(|d| VariantSpec {
                name: d.name.to_owned(),
                discovery: Discovery::Static(
                    (0..d.pods.len())
                        .map(|pod| {
                            format!("http://{addr}/demo/{}/{pod}/metrics", d.name)
                                .parse()
                                .expect("a loopback URL parses")
                        })
                        .collect(),
                ),
                headers: Default::default(),
            })
            .collect()
    }

    /// `GET /demo/{variant}/{pod}/metrics` for every pod, and
    /// `GET /demo/{variant}/metrics` for each variant's pods in turn.
    ///
    /// Answers are gzip-compressed when asked, like client_golang, so the
    /// demo exercises the relay's pass-through; the relay coalesces, so a
    /// render runs at most about once per second per pod.
    pub(crate) fn router(&self) -> Router {
        Router::new()
            .route("/demo/{variant}/metrics", get(balanced))
            .route("/demo/{variant}/{pod}/metrics", get(pod))
            .with_state(Arc::clone(&self.deployments))
            .layer(CompressionLayer::new())
    }

    /// Simulates every pod's day now rather than on its first use, before
    /// the relay serves: a first scrape never waits behind it. Blocking:
    /// run it off the async workers.
    pub(crate) fn warm_up(&self) {
        for pod in self.deployments.iter().flat_map(|d| &d.pods) {
            pod.lock()
                .unwrap_or_else(|e| e.into_inner())
                .advance_to(now_ms());
        }
    }

    /// The past of deployment `index`'s pods over `span`, in pod order,
    /// each advanced to `now_ms` first. Blocking: a pod's first use
    /// simulates its day.
    pub(crate) fn past(&self, index: usize, span: Span, now_ms: i64) -> Vec<Vec<SeriesHistory>> {
        self.deployments[index]
            .pods
            .iter()
            .map(|pod| {
                let mut pod = pod.lock().unwrap_or_else(|e| e.into_inner());
                pod.advance_to(now_ms);
                pod.past(span)
            })
            .collect()
    }
}

/// The deployment called `name`, with its index.
fn deployment<'a>(
    deployments: &'a Deployments,
    name: &str,
) -> Result<(usize, &'a Deployment), AppError> {
    deployments
        .iter()
        .enumerate()
        .find(|(_, d)| d.name == name)
        .ok_or(AppError::UnknownVariant)
}

/// `GET /demo/{variant}/{pod}/metrics`: that pod, advanced to now.
async fn pod(
    State(deployments): State<Deployments>,
    Path((name, pod)): Path<(String, usize)>,
) -> Result<impl IntoResponse, AppError> {
    let (index, deployment) = deployment(&deployments, &name)?;
    if pod >= deployment.pods.len() {
        return Err(AppError::UnknownTarget {
            variant: deployment.name.to_owned(),
        });
    }
    Ok(metrics(deployments, index, pod).await)
}

/// `GET /demo/{variant}/metrics`: the next pod's, as a Service balancing
/// over the pods would answer.
async fn balanced(
    State(deployments): State<Deployments>,
    Path(name): Path<String>,
) -> Result<impl IntoResponse, AppError> {
    let (index, deployment) = deployment(&deployments, &name)?;
    let turn = deployment.next.fetch_add(1, Ordering::Relaxed) % deployment.pods.len();
    Ok(metrics(deployments, index, turn).await)
}

/// The `/metrics` answer of pod `pod` of deployment `index`, advanced to
/// now, off the async workers (a pod's first use simulates its day).
async fn metrics(deployments: Deployments, index: usize, pod: usize) -> impl IntoResponse {
    let text = spawn_blocking(move || {
        let mut pod = deployments[index].pods[pod]
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        pod.advance_to(now_ms());
        pod.sim().render()
    })
    .await
    .expect("the simulation does not panic");
    ([(header::CONTENT_TYPE, PROMETHEUS_TEXT)], text)
}
