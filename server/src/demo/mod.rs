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
//! The simulator is not part of the relay, which never knows it is talking
//! to one: `serve` mounts this module's `router` on its own listener and
//! puts the simulated `variants` on the relay's allow-list, as loopback
//! URLs, so the demo goes through the real fetch path, gzip pass-through
//! included.
//!
//! # Layout
//!
//! Each part uses only the ones listed after it:
//!
//! - this module: the public [`Simulator`] and [`Profile`], and the routes.
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
mod process;
mod profile;
mod quota;
mod random;
mod registry;
mod render;
mod traffic;

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{SystemTime, UNIX_EPOCH},
};

use axum::{
    Router,
    extract::{Path, State},
    http::header,
    response::IntoResponse,
    routing::get,
};
use tower_http::compression::CompressionLayer;

pub use self::profile::Profile;
use self::traffic::World;
use crate::{config::VariantSpec, error::AppError, fetch::PROMETHEUS_TEXT};

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

/// How far back the simulated processes start, so the dashboard opens on
/// some history instead of an empty chart.
const HISTORY_MS: i64 = 15 * 60_000;

/// The simulated variants: production and a measurably worse canary.
fn simulated() -> [(&'static str, Profile); 2] {
    [
        ("production", Profile::production()),
        ("canary", Profile::canary()),
    ]
}

/// The simulated upstreams, each behind its own lock.
type Simulators = Arc<Vec<(String, Mutex<Simulator>)>>;

/// `GET /demo/{variant}/metrics` for every simulated variant, started
/// [`HISTORY_MS`] ago; variant `i` draws its traffic from `seed + i`.
///
/// Answers are gzip-compressed when asked, like client_golang, so the demo
/// exercises the relay's pass-through; the relay coalesces, so a render
/// runs at most about once per second per variant.
pub(crate) fn router(seed: u64) -> Router {
    let start = now_ms() - HISTORY_MS;
    let sims: Vec<(String, Mutex<Simulator>)> = simulated()
        .into_iter()
        .enumerate()
        .map(|(i, (name, profile))| {
            let seed = seed.wrapping_add(i as u64);
            let sim = Simulator::new(name, profile, seed, start);
            (name.to_owned(), Mutex::new(sim))
        })
        .collect();
    Router::new().route(
        "/demo/{variant}/metrics",
        get(metrics)
            .with_state(Arc::new(sims))
            .layer(CompressionLayer::new()),
    )
}

/// The relay's allow-list entries for the simulated variants, served by
/// [`router`] on `addr`.
pub(crate) fn variants(addr: SocketAddr) -> Vec<VariantSpec> {
    simulated()
        .into_iter()
        .map(|(name, _)| VariantSpec {
            name: name.to_owned(),
            url: format!("http://{addr}/demo/{name}/metrics")
                .parse()
                .expect("a loopback URL parses"),
            headers: Default::default(),
        })
        .collect()
}

/// `GET /demo/{variant}/metrics`: the simulated proxy, advanced to now.
async fn metrics(
    State(sims): State<Simulators>,
    Path(name): Path<String>,
) -> Result<impl IntoResponse, AppError> {
    let (_, sim) = sims
        .iter()
        .find(|(n, _)| *n == name)
        .ok_or(AppError::UnknownVariant)?;
    let text = {
        let mut sim = sim.lock().unwrap_or_else(|e| e.into_inner());
        sim.advance_to(now_ms());
        sim.render()
    };
    Ok(([(header::CONTENT_TYPE, PROMETHEUS_TEXT)], text))
}

/// The wall clock, in Unix ms.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
