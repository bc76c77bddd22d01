//! The knobs of one simulated deployment.
//!
//! A [`Profile`] is plain data: everything that makes production and the
//! canary differ (traffic, upstream health, limits, build) and nothing
//! that changes as the simulation runs, so tests can derive variations of
//! the two stock profiles with struct update syntax.

/// How one simulated zai-proxy deployment behaves: traffic, upstream health,
/// limits and build. Fields are public so tests and callers can derive
/// variations (`Profile { mean_restart_interval_s: None, ..Profile::canary() }`).
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Mean request arrivals per second (Poisson, with a slow ±30 % swing).
    pub request_rate: f64,
    /// Median duration of a successful upstream attempt, in seconds.
    pub latency_median_s: f64,
    /// Log-normal spread of that duration (sigma of its logarithm).
    pub latency_sigma: f64,
    /// Request rate the upstream tolerates before it answers 429s; a
    /// limiter set above it sees a steeply growing share of 429s.
    pub upstream_capacity_rps: f64,
    /// Chance that an attempt is answered 429 even below that capacity.
    pub rate_limited_base: f64,
    /// Chance, every 30 s, that an upstream congestion burst starts (the
    /// capacity drops to a quarter until it ends).
    pub burst_start: f64,
    /// Chance that an attempt fails in transit (connection, truncated or
    /// empty stream); the proxy retries it.
    pub transient_fault: f64,
    /// Chance that a request meets an upstream that fails every attempt, so
    /// the proxy answers 502 once its retries are exhausted.
    pub broken_upstream: f64,
    /// Chance of an upstream 500, passed through (not retried).
    pub server_error: f64,
    /// Chance of an upstream 400, passed through.
    pub bad_request: f64,
    /// Chance of an upstream 422 (never retried).
    pub unprocessable: f64,
    /// `MAX_WORKERS`: concurrent requests above it are refused with a 503.
    pub max_workers: u32,
    /// `QUOTA_POLL_ENABLED`: export the `zai_proxy_quota_*` families.
    pub quota_polling: bool,
    /// Mean time between process restarts in seconds; `None` never restarts.
    pub mean_restart_interval_s: Option<f64>,
    /// Request models (the body's `"model"`) with relative weights; non-empty.
    pub models: &'static [(&'static str, u32)],
    /// Active `client` buckets (`source-NN`) with relative weights; non-empty.
    pub clients: &'static [(&'static str, u32)],
    /// Version label of `zai_proxy_build_info`.
    pub version: &'static str,
    /// Short commit of the build.
    pub commit: &'static str,
    /// Build time, RFC 3339.
    pub build_time: &'static str,
}

impl Profile {
    /// The stable deployment: about 1.2 requests/s, under 1 % 5xx, rare 429
    /// bursts, no quota polling, a restart every 45 minutes on average.
    pub fn production() -> Self {
        Self {
            request_rate: 1.2,
            latency_median_s: 1.6,
            latency_sigma: 0.8,
            upstream_capacity_rps: 20.0,
            rate_limited_base: 0.003,
            burst_start: 0.03,
            transient_fault: 0.004,
            broken_upstream: 0.001,
            server_error: 0.002,
            bad_request: 0.002,
            unprocessable: 0.001,
            max_workers: 10,
            quota_polling: false,
            mean_restart_interval_s: Some(45.0 * 60.0),
            models: &[("glm-4.7", 9), ("glm-4.5-air", 1)],
            clients: &[("source-07", 6), ("source-23", 4), ("source-41", 1)],
            version: "1.11.1",
            commit: "224ff4c",
            build_time: "2026-09-04T18:22:10Z",
        }
    }

    /// The canary: less traffic but attempts about 1.9x slower, 3-4 % 5xx,
    /// a tighter upstream with twice as many 429 bursts, quota polling on,
    /// a restart every 20 minutes on average.
    pub fn canary() -> Self {
        Self {
            request_rate: 0.7,
            latency_median_s: 3.0,
            latency_sigma: 0.9,
            upstream_capacity_rps: 8.0,
            rate_limited_base: 0.01,
            burst_start: 0.06,
            transient_fault: 0.03,
            broken_upstream: 0.006,
            server_error: 0.02,
            bad_request: 0.002,
            unprocessable: 0.003,
            max_workers: 10,
            quota_polling: true,
            mean_restart_interval_s: Some(20.0 * 60.0),
            models: &[("glm-4.7", 6), ("glm-4.5-air", 4)],
            clients: &[("source-12", 3), ("source-23", 2), ("source-50", 1)],
            version: "1.12.0-rc.1",
            commit: "87825fd",
            build_time: "2026-09-05T09:41:55Z",
        }
    }

    /// One of `replicas` pods behind one Service: it receives its share of
    /// the deployment's traffic and of the upstream's capacity (the
    /// account's rate limit is shared), and keeps everything else.
    pub fn per_pod(self, replicas: u32) -> Self {
        let share = f64::from(replicas.max(1));
        Self {
            request_rate: self.request_rate / share,
            upstream_capacity_rps: self.upstream_capacity_rps / share,
            ..self
        }
    }
}

/// How the demo's canary compares with production (`--demo-canary`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum CanaryQuality {
    /// Clearly worse: more 5xx and 429s, slower ([`Profile::canary`]);
    /// the demo's long-standing behaviour.
    #[default]
    Worse,
    /// Production's traffic, latency and faults exactly: only the build
    /// and quota polling differ.
    Same,
    /// Slightly better than production: a bit faster, half the faults.
    Better,
}

impl CanaryQuality {
    /// The canary's profile.
    pub fn profile(self) -> Profile {
        let canary = Profile::canary();
        let same = Profile {
            quota_polling: canary.quota_polling,
            version: canary.version,
            commit: canary.commit,
            build_time: canary.build_time,
            ..Profile::production()
        };
        match self {
            CanaryQuality::Worse => canary,
            CanaryQuality::Same => same,
            CanaryQuality::Better => Profile {
                latency_median_s: same.latency_median_s * 0.85,
                rate_limited_base: same.rate_limited_base / 2.0,
                transient_fault: same.transient_fault / 2.0,
                broken_upstream: same.broken_upstream / 2.0,
                server_error: same.server_error / 2.0,
                ..same
            },
        }
    }
}
