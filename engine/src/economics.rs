//! Prompt-cache and cost economics of a variant over a window, and its burn:
//! what it will spend by the end of the day and when its quotas run out.
//!
//! Every figure is an `Option` (or a [`Runway`]): too little data, a family
//! the proxy does not send, or a zero denominator is `None`, never `0`.
//! Rates here are exact increases over the seconds the window's data spans
//! (its first to its newest row), so a figure is hand-checkable from two
//! scrapes.

use crate::{
    buffer::Window,
    extract::{QuotaWindow, Slot},
    snapshot::MetricSnapshot,
};

/// Seconds in a day, for "per day" projections.
pub const DAY_SECONDS: f64 = 86_400.0;

/// `a ÷ b`, `None` when `b` is zero.
fn ratio(a: f64, b: f64) -> Option<f64> {
    (b != 0.0).then(|| a / b)
}

/// Token-weighted cache-hit ratio (0–1): cache reads over every prompt
/// token, `cache_read ÷ (input + cache_read + cache_write)`.
pub fn cache_hit_ratio(s: &MetricSnapshot) -> Option<f64> {
    let read = s.tokens_cache_read?;
    ratio(read, s.tokens_input? + read + s.tokens_cache_write?)
}

/// Cache-read tokens per cache-write token.
pub fn reads_per_write(s: &MetricSnapshot) -> Option<f64> {
    ratio(s.tokens_cache_read?, s.tokens_cache_write?)
}

/// USD per token of one direction implied by the proxy's own estimate
/// (`cost ÷ tokens`); `None` without tokens to price.
fn price(cost: Option<f64>, tokens: Option<f64>) -> Option<f64> {
    ratio(cost?, tokens?)
}

/// USD saved by the prompt cache, net of the write premium: cache reads
/// at the input price minus their price, less cache writes' price over
/// the input price, at the per-token prices implied by the proxy's
/// estimated cost. A price is only needed for a direction with tokens.
pub fn cache_savings_usd(s: &MetricSnapshot) -> Option<f64> {
    let (read, write) = (s.tokens_cache_read?, s.tokens_cache_write?);
    if read == 0.0 && write == 0.0 {
        return Some(0.0);
    }
    let input = price(s.estimated_cost_usd_input, s.tokens_input)?;
    // Tokens at the input price less their own: a read's saving, a
    // write's (negative) premium.
    let gain = |tokens: f64, cost: Option<f64>| {
        if tokens == 0.0 {
            Some(0.0)
        } else {
            Some(tokens * (input - price(cost, Some(tokens))?))
        }
    };
    Some(
        gain(read, s.estimated_cost_usd_cache_read)?
            + gain(write, s.estimated_cost_usd_cache_write)?,
    )
}

/// Requests of every status in the window.
fn requests(s: &MetricSnapshot) -> Option<f64> {
    Some(s.requests_2xx? + s.requests_4xx? + s.requests_5xx?)
}

/// Estimated USD per request (all statuses).
pub fn cost_per_request(s: &MetricSnapshot) -> Option<f64> {
    ratio(s.estimated_cost_usd_total?, requests(s)?)
}

/// Estimated USD (all directions) per thousand output tokens.
pub fn cost_per_1k_output(s: &MetricSnapshot) -> Option<f64> {
    ratio(s.estimated_cost_usd_total? * 1000.0, s.tokens_output?)
}

/// Seconds the window's data spans (first to newest row); `None` with
/// fewer than two rows.
fn data_seconds(s: &MetricSnapshot) -> Option<f64> {
    let span = (s.data_to_ms? - s.data_from_ms?) as f64 / 1000.0;
    (span > 0.0).then_some(span)
}

/// `total` per second over the window's data.
fn per_second(total: Option<f64>, s: &MetricSnapshot) -> Option<f64> {
    Some(total? / data_seconds(s)?)
}

/// USD per day the canary would cost more (negative: less) than
/// production if it took all of production's traffic: the difference in
/// cost per request times production's requests per day at its rate over
/// the window.
pub fn canary_daily_difference(
    production: &MetricSnapshot,
    canary: &MetricSnapshot,
) -> Option<f64> {
    let per_day = per_second(requests(production), production)? * DAY_SECONDS;
    Some((cost_per_request(canary)? - cost_per_request(production)?) * per_day)
}

/// What a variant will use from now to the end of the day at its rate
/// over the window. Not a day's total: what was used before the window is
/// not known to the dashboard.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DayBurn {
    /// Tokens of every direction from now to the end of the day.
    pub tokens: f64,
    /// Estimated USD from now to the end of the day.
    pub usd: f64,
    /// Seconds from now to the end of the day.
    pub seconds_left: f64,
}

/// [`DayBurn`] from `now_s` to `day_end_s` (Unix seconds; the local day's
/// end, passed in so this stays pure); `None` without two rows of tokens
/// and cost, or past the day's end.
pub fn burn_to_day_end(s: &MetricSnapshot, now_s: f64, day_end_s: f64) -> Option<DayBurn> {
    let seconds_left = day_end_s - now_s;
    if seconds_left <= 0.0 {
        return None;
    }
    let tokens = s.tokens_input? + s.tokens_output? + s.tokens_cache_read? + s.tokens_cache_write?;
    Some(DayBurn {
        tokens: per_second(Some(tokens), s)? * seconds_left,
        usd: per_second(s.estimated_cost_usd_total, s)? * seconds_left,
        seconds_left,
    })
}

/// When a quota runs out at the window's burn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Runway {
    /// It is used up already.
    Exhausted,
    /// It runs out this many seconds after its newest sample.
    RunsOut(f64),
    /// It resets this many seconds after its newest sample, before it
    /// would run out.
    ResetsFirst(f64),
}

/// When quota `which` runs out: its usage ratio's slope from its oldest
/// to its newest sample in the window, extended to 1.0, unless the quota
/// resets first. `None` with fewer than two samples at different times or
/// a usage that is not rising (a flat or falling usage never runs out).
pub fn quota_runway(window: &Window<'_>, which: QuotaWindow) -> Option<Runway> {
    let mut points = window.points(&Slot::QuotaUsage(which));
    let first = points.next()?;
    let (oldest, newest) = points.fold((first, first), |(lo, hi), p| {
        (
            if p.t < lo.t { p } else { lo },
            if p.t >= hi.t { p } else { hi },
        )
    });
    if newest.v >= 1.0 {
        return Some(Runway::Exhausted);
    }
    let slope = (newest.v - oldest.v) / (newest.t - oldest.t);
    if newest.t <= oldest.t || slope <= 0.0 {
        return None;
    }
    let out = (1.0 - newest.v) / slope;
    Some(match window.latest(&Slot::QuotaReset(which)) {
        Some(reset) if reset - newest.t < out => Runway::ResetsFirst((reset - newest.t).max(0.0)),
        _ => Runway::RunsOut(out),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{buffer::Buffer, parse::parse};

    /// A window with 2 000 input, 500 output, 6 000 cache-read and 1 000
    /// cache-write tokens, costing $0.002 input ($1/M), $0.0025 output,
    /// $0.0006 cache read ($0.1/M) and $0.00125 cache write ($1.25/M), over
    /// 98 + 1 + 1 = 100 requests, its data spanning 50 s.
    fn snap() -> MetricSnapshot {
        MetricSnapshot {
            data_from_ms: Some(1_000_000),
            data_to_ms: Some(1_050_000),
            requests_2xx: Some(98.0),
            requests_4xx: Some(1.0),
            requests_5xx: Some(1.0),
            tokens_input: Some(2_000.0),
            tokens_output: Some(500.0),
            tokens_cache_read: Some(6_000.0),
            tokens_cache_write: Some(1_000.0),
            estimated_cost_usd_input: Some(0.002),
            estimated_cost_usd_output: Some(0.0025),
            estimated_cost_usd_cache_read: Some(0.0006),
            estimated_cost_usd_cache_write: Some(0.00125),
            estimated_cost_usd_total: Some(0.00635),
            ..MetricSnapshot::default()
        }
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() <= 1e-12 * b.abs().max(1.0))
    }

    #[test]
    fn cache_ratios_weigh_tokens() {
        // 6 000 / (2 000 + 6 000 + 1 000) = 2/3; 6 000 / 1 000 = 6.
        assert!(close(cache_hit_ratio(&snap()), 2.0 / 3.0));
        assert_eq!(reads_per_write(&snap()), Some(6.0));
        let missing = MetricSnapshot {
            tokens_cache_write: None,
            ..snap()
        };
        assert_eq!(cache_hit_ratio(&missing), None, "missing is not zero");
        assert_eq!(reads_per_write(&missing), None);
        let no_writes = MetricSnapshot {
            tokens_cache_write: Some(0.0),
            ..snap()
        };
        assert_eq!(reads_per_write(&no_writes), None);
        assert_eq!(cache_hit_ratio(&MetricSnapshot::default()), None);
    }

    #[test]
    fn savings_are_net_of_the_write_premium() {
        // Reads: 6 000 × ($1/M − $0.1/M) = $0.0054; writes: 1 000 ×
        // ($1.25/M − $1/M) = $0.00025; net $0.00515.
        assert!(close(cache_savings_usd(&snap()), 0.00515));
        let unpriced = MetricSnapshot {
            estimated_cost_usd_cache_read: None,
            ..snap()
        };
        assert_eq!(cache_savings_usd(&unpriced), None);
        let no_input = MetricSnapshot {
            tokens_input: Some(0.0),
            ..snap()
        };
        assert_eq!(cache_savings_usd(&no_input), None, "no input price");
        let no_cache = MetricSnapshot {
            tokens_cache_read: Some(0.0),
            tokens_cache_write: Some(0.0),
            ..snap()
        };
        assert_eq!(cache_savings_usd(&no_cache), Some(0.0));
    }

    #[test]
    fn costs_per_request_and_per_thousand_output_tokens() {
        // $0.00635 / 100 requests; $0.00635 × 1 000 / 500 tokens.
        assert!(close(cost_per_request(&snap()), 0.0000635));
        assert!(close(cost_per_1k_output(&snap()), 0.0127));
        let idle = MetricSnapshot {
            requests_2xx: Some(0.0),
            requests_4xx: Some(0.0),
            requests_5xx: Some(0.0),
            ..snap()
        };
        assert_eq!(cost_per_request(&idle), None);
    }

    #[test]
    fn the_daily_difference_prices_production_traffic_at_the_canary_cost() {
        // The canary costs twice as much per request: +$0.0000635 ×
        // (100 requests / 50 s × 86 400 s) = +$10.9728 a day.
        let canary = MetricSnapshot {
            estimated_cost_usd_total: Some(0.0127),
            ..snap()
        };
        assert!(close(canary_daily_difference(&snap(), &canary), 10.9728));
        assert!(close(canary_daily_difference(&canary, &snap()), -10.9728));
        let one_row = MetricSnapshot {
            data_from_ms: Some(1_050_000),
            ..snap()
        };
        assert_eq!(canary_daily_difference(&one_row, &canary), None);
    }

    #[test]
    fn burn_projects_from_now_to_the_end_of_the_day() {
        // 9 500 tokens and $0.00635 in 50 s; 1 000 s left.
        let burn = burn_to_day_end(&snap(), 10_000.0, 11_000.0).expect("a burn");
        assert!(close(Some(burn.tokens), 190_000.0));
        assert!(close(Some(burn.usd), 0.127));
        assert_eq!(burn.seconds_left, 1_000.0);
        assert_eq!(burn_to_day_end(&snap(), 11_000.0, 11_000.0), None);
        let one_row = MetricSnapshot {
            data_to_ms: Some(1_000_000),
            ..snap()
        };
        assert_eq!(burn_to_day_end(&one_row, 0.0, 1.0), None);
    }

    fn quota(five_hour: f64, weekly: f64, weekly_reset: f64) -> String {
        format!(
            "# TYPE zai_proxy_quota_usage_ratio gauge\n\
             zai_proxy_quota_usage_ratio{{limit_type=\"credit_limit\",window=\"five_hour\"}} {five_hour}\n\
             zai_proxy_quota_usage_ratio{{limit_type=\"credit_limit\",window=\"weekly\"}} {weekly}\n\
             # TYPE zai_proxy_quota_reset_time_seconds gauge\n\
             zai_proxy_quota_reset_time_seconds{{limit_type=\"credit_limit\",window=\"five_hour\"}} 1000000\n\
             zai_proxy_quota_reset_time_seconds{{limit_type=\"credit_limit\",window=\"weekly\"}} {weekly_reset}\n"
        )
    }

    #[test]
    fn a_quota_runs_out_at_its_slope_unless_it_resets_first() {
        let mut buffer = Buffer::default();
        // Samples at 1 000 s, 1 100 s and 1 200 s Unix.
        let t0 = 1_000_000;
        buffer.push(t0, &parse(&quota(0.5, 0.2, 1_500.0))).unwrap();
        let w = buffer.window(t0, t0);
        assert_eq!(quota_runway(&w, QuotaWindow::FiveHour), None, "one sample");
        buffer
            .push(t0 + 100_000, &parse(&quota(0.6, 0.3, 1_500.0)))
            .unwrap();
        let w = buffer.window(t0, t0 + 100_000);
        // Five-hour: 0.1 per 100 s, so the 0.4 left lasts 400 s; it resets
        // only at 1 000 000 s.
        assert!(matches!(
            quota_runway(&w, QuotaWindow::FiveHour),
            Some(Runway::RunsOut(s)) if (s - 400.0).abs() < 1e-9
        ));
        // Weekly: the 0.7 left would last 700 s, but it resets at 1 500 s,
        // 400 s after the newest sample.
        assert_eq!(
            quota_runway(&w, QuotaWindow::Weekly),
            Some(Runway::ResetsFirst(400.0))
        );
        buffer
            .push(t0 + 200_000, &parse(&quota(1.0, 0.3, 1_500.0)))
            .unwrap();
        let w = buffer.window(t0, t0 + 200_000);
        assert_eq!(
            quota_runway(&w, QuotaWindow::FiveHour),
            Some(Runway::Exhausted)
        );
        // Weekly over the last 100 s: flat at 0.3, never runs out.
        let w = buffer.window(t0 + 100_000, t0 + 200_000);
        assert_eq!(quota_runway(&w, QuotaWindow::Weekly), None, "flat usage");
    }
}
