//! The provider's side of the quota: the account's spend windows, which
//! other tenants burn too and which outlive proxy restarts, so they are
//! simulated apart from the process that polls them.

use fastrand::Rng;

/// The Z.AI account's quota as the provider reports it; it outlives proxy
/// restarts. Other tenants of the account burn it too.
#[derive(Debug, Clone)]
pub(super) struct QuotaAccount {
    pub(super) windows: [QuotaWindow; 2],
}

/// One quota window: spend against a credit limit until its reset.
#[derive(Debug, Clone)]
pub(super) struct QuotaWindow {
    pub(super) name: &'static str,
    length_ms: i64,
    limit_usd: f64,
    used_usd: f64,
    pub(super) resets_at_ms: i64,
}

/// USD per second spent on the account by everything but this proxy.
const QUOTA_BACKGROUND_USD_PER_S: f64 = 0.002;

impl QuotaAccount {
    /// An account met mid-window: partly used, resetting at a random time.
    pub(super) fn new(rng: &mut Rng, now_ms: i64) -> Self {
        let mut window = |name, length_ms: i64, limit_usd: f64| QuotaWindow {
            name,
            length_ms,
            limit_usd,
            used_usd: limit_usd * (0.05 + 0.45 * rng.f64()),
            resets_at_ms: now_ms + rng.i64(length_ms / 10..length_ms),
        };
        Self {
            windows: [
                window("five_hour", 5 * 3_600_000, 80.0),
                window("weekly", 7 * 86_400_000, 2_400.0),
            ],
        }
    }

    /// Spend by this proxy.
    pub(super) fn consume(&mut self, usd: f64) {
        for window in &mut self.windows {
            window.used_usd += usd;
        }
    }

    /// Background spend for one step of `step_ms` ending at `now_ms`, and
    /// resets of windows that ended.
    pub(super) fn roll(&mut self, now_ms: i64, step_ms: i64) {
        for window in &mut self.windows {
            window.used_usd += QUOTA_BACKGROUND_USD_PER_S * step_ms as f64 / 1_000.0;
            while now_ms >= window.resets_at_ms {
                window.used_usd = 0.0;
                window.resets_at_ms += window.length_ms;
            }
        }
    }
}

impl QuotaWindow {
    /// Used fraction, clamped to [0, 1] like the proxy's normalizer.
    pub(super) fn usage(&self) -> f64 {
        (self.used_usd / self.limit_usd).clamp(0.0, 1.0)
    }
}
