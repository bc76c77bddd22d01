//! Prompt-cache and cost economics of a variant over a window, and its burn:
//! what it will spend by the end of the day and when its quotas run out.
//!
//! Dollars come from the proxy's own `zai_proxy_estimated_cost_usd_total`
//! when the variant exports it, else from the user's [`PriceTable`]
//! ([`priced`]), and the cache figures are also given per model.
//!
//! Every figure is an `Option` (or a [`Runway`]): too little data, a family
//! the proxy does not send, or a zero denominator is `None`, never `0`.
//! Rates here are exact increases over the seconds the window's data spans
//! (its first to its newest row), so a figure is hand-checkable from two
//! scrapes.

use crate::{
    buffer::Window,
    extract::{Direction, Family, QuotaWindow, Slot},
    prices::PriceTable,
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
    /// Estimated USD from now to the end of the day; `None` without
    /// prices (the tokens are known all the same).
    pub usd: Option<f64>,
    /// Seconds from now to the end of the day.
    pub seconds_left: f64,
}

/// [`DayBurn`] from `now_s` to `day_end_s` (Unix seconds; the local day's
/// end, passed in so this stays pure); `None` without two rows of tokens,
/// or past the day's end.
pub fn burn_to_day_end(s: &MetricSnapshot, now_s: f64, day_end_s: f64) -> Option<DayBurn> {
    let seconds_left = day_end_s - now_s;
    if seconds_left <= 0.0 {
        return None;
    }
    let tokens = s.tokens_input? + s.tokens_output? + s.tokens_cache_read? + s.tokens_cache_write?;
    Some(DayBurn {
        tokens: per_second(Some(tokens), s)? * seconds_left,
        usd: per_second(s.estimated_cost_usd_total, s).map(|r| r * seconds_left),
        seconds_left,
    })
}

/// Where a variant's dollar figures come from.
#[derive(Clone, Debug, PartialEq)]
pub enum PriceSource {
    /// The proxy's own `zai_proxy_estimated_cost_usd_total`, which always
    /// wins over a price table.
    Proxy,
    /// The user's price table: the proxy exports no cost.
    Table,
    /// Neither: no cost exported, and the table lacks these directions of
    /// which there are tokens (none listed: nothing to price yet).
    Unpriced(Vec<Direction>),
}

/// One model's tokens and USD over a window, as a snapshot holding only
/// those fields (every other is `None`), so the cache and cost figures
/// above apply to it unchanged. Requests carry no model label, so its
/// per-request figures are `None`.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelUsage {
    /// The `model` label (empty for series without one).
    pub model: Box<str>,
    /// Its tokens and USD per direction, and their USD total.
    pub usage: MetricSnapshot,
}

/// A variant's economics over a window: its snapshot with the dollar
/// figures from [`Priced::source`], and the same per model.
#[derive(Clone, Debug, PartialEq)]
pub struct Priced {
    /// The window's snapshot, its `estimated_cost_usd_*` from the source.
    pub snapshot: MetricSnapshot,
    /// Where the dollars come from.
    pub source: PriceSource,
    /// Per model, by name.
    pub models: Vec<ModelUsage>,
}

/// A snapshot's tokens per direction, in [`Direction::ALL`] order.
fn tokens(s: &MetricSnapshot) -> [Option<f64>; 4] {
    [
        s.tokens_input,
        s.tokens_output,
        s.tokens_cache_read,
        s.tokens_cache_write,
    ]
}

/// A snapshot's USD per direction, in [`Direction::ALL`] order.
fn costs(s: &MetricSnapshot) -> [Option<f64>; 4] {
    [
        s.estimated_cost_usd_input,
        s.estimated_cost_usd_output,
        s.estimated_cost_usd_cache_read,
        s.estimated_cost_usd_cache_write,
    ]
}

/// Sets a snapshot's USD per direction (in [`Direction::ALL`] order) and
/// their total, `None` unless every direction is priced.
fn set_costs(s: &mut MetricSnapshot, costs: [Option<f64>; 4]) {
    [
        s.estimated_cost_usd_input,
        s.estimated_cost_usd_output,
        s.estimated_cost_usd_cache_read,
        s.estimated_cost_usd_cache_write,
    ] = costs;
    s.estimated_cost_usd_total = costs.into_iter().sum();
}

/// `snapshot` (the variant's, over `window`) priced, with the same per
/// model: the proxy's cost when the window has it; else, with a `table`,
/// each model's tokens at its prices (a direction without tokens costs
/// nothing, priced or not; one with tokens and no price leaves its cost
/// and the total unknown); else no dollars at all. A model's direction
/// without a series is a measured 0 where its family was watched, as in
/// the snapshot.
pub fn priced(snapshot: &MetricSnapshot, window: &Window<'_>, table: &PriceTable) -> Priced {
    let mut names: Vec<&str> = Vec::new();
    for slot in window.slots(|s| matches!(s, Slot::Tokens(..))) {
        if let Slot::Tokens(_, model) = slot
            && !names.contains(&&**model)
        {
            names.push(model);
        }
    }
    crate::sort_short_by(&mut names, |a, b| a < b);
    let proxy = window.has_family(Family::Cost);
    let total = |slot: Slot| window.or_watched_zero(Family::of(&slot), window.total(&slot));
    let mut missing: Vec<Direction> = Vec::new();
    let models: Vec<ModelUsage> = names
        .into_iter()
        .map(|model| {
            let mut usage = MetricSnapshot::default();
            [
                usage.tokens_input,
                usage.tokens_output,
                usage.tokens_cache_read,
                usage.tokens_cache_write,
            ] = Direction::ALL.map(|d| total(Slot::Tokens(d, model.into())));
            let mut costs = [None; 4];
            for ((d, t), cost) in Direction::ALL
                .into_iter()
                .zip(tokens(&usage))
                .zip(&mut costs)
            {
                *cost = if proxy {
                    total(Slot::Cost(d, model.into()))
                } else {
                    match (t, table.usd_per_token(model, d)) {
                        (Some(t), Some(price)) => Some(t * price),
                        (Some(t), None) if t == 0.0 && !table.is_empty() => Some(0.0),
                        (Some(t), None) if t > 0.0 && !missing.contains(&d) => {
                            missing.push(d);
                            None
                        }
                        _ => None,
                    }
                };
            }
            set_costs(&mut usage, costs);
            ModelUsage {
                model: model.into(),
                usage,
            }
        })
        .collect();
    let mut snapshot = snapshot.clone();
    let source = if proxy {
        PriceSource::Proxy
    } else {
        // Per direction, the sum over models; no model at all is nothing
        // known, not $0.
        let per_model = |i: usize| {
            let each = models.iter().map(|m| costs(&m.usage)[i]);
            (!models.is_empty()).then(|| each.sum()).flatten()
        };
        set_costs(&mut snapshot, [0, 1, 2, 3].map(per_model));
        if missing.is_empty() && !table.is_empty() {
            PriceSource::Table
        } else {
            crate::sort_short_by(&mut missing, |a, b| a < b);
            PriceSource::Unpriced(missing)
        }
    };
    Priced {
        snapshot,
        source,
        models,
    }
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
        assert!(close(burn.usd, 0.127));
        let unpriced = MetricSnapshot {
            estimated_cost_usd_total: None,
            ..snap()
        };
        let burn = burn_to_day_end(&unpriced, 10_000.0, 11_000.0).expect("tokens");
        assert!(close(Some(burn.tokens), 190_000.0));
        assert_eq!(burn.usd, None, "no prices is not $0");
        assert_eq!(burn.seconds_left, 1_000.0);
        assert_eq!(burn_to_day_end(&snap(), 11_000.0, 11_000.0), None);
        let one_row = MetricSnapshot {
            data_to_ms: Some(1_000_000),
            ..snap()
        };
        assert_eq!(burn_to_day_end(&one_row, 0.0, 1.0), None);
    }

    /// Two scrapes 50 s apart of models `a` and `b`: from the first to the
    /// second, `a` takes 2 000 input, 500 output, 6 000 cache-read and
    /// 1 000 cache-write tokens (as [`snap`]), `b` 1 000 input and 1 000
    /// output tokens and has no cache series. With `cost`, the proxy
    /// prices them: `a` as [`snap`], `b` $0.001 input and $0.004 output.
    fn two_models(cost: bool) -> Buffer {
        let scrape = |k: f64| {
            let mut text = String::from("# TYPE zai_proxy_tokens_total counter\n");
            let series = [
                ("a", "input", 2_000.0, 0.002),
                ("a", "output", 500.0, 0.0025),
                ("a", "cache_read", 6_000.0, 0.0006),
                ("a", "cache_write", 1_000.0, 0.00125),
                ("b", "input", 1_000.0, 0.001),
                ("b", "output", 1_000.0, 0.004),
            ];
            for (model, d, tokens, _) in series {
                let v = 100.0 + k * tokens;
                text +=
                    &format!("zai_proxy_tokens_total{{direction=\"{d}\",model=\"{model}\"}} {v}\n");
            }
            if cost {
                text += "# TYPE zai_proxy_estimated_cost_usd_total counter\n";
                for (model, d, _, usd) in series {
                    let v = 1.0 + k * usd;
                    text += &format!(
                        "zai_proxy_estimated_cost_usd_total{{direction=\"{d}\",model=\"{model}\"}} {v}\n"
                    );
                }
            }
            text
        };
        let mut buffer = Buffer::default();
        buffer.push(1_000_000, &parse(&scrape(0.0))).unwrap();
        buffer.push(1_050_000, &parse(&scrape(1.0))).unwrap();
        buffer
    }

    fn priced_over(buffer: &Buffer, table: &str) -> Priced {
        let w = buffer.window(1_000_000, 1_050_000);
        let s = crate::snapshot::snapshot("v", &w);
        priced(&s, &w, &table.parse().unwrap())
    }

    #[test]
    fn each_model_has_its_own_cache_figures_at_the_proxy_cost() {
        let buffer = two_models(true);
        // The proxy's cost wins over any table.
        let p = priced_over(&buffer, "input:1000");
        assert_eq!(p.source, PriceSource::Proxy);
        let names: Vec<&str> = p.models.iter().map(|m| &*m.model).collect();
        assert_eq!(names, ["a", "b"]);
        let (a, b) = (&p.models[0].usage, &p.models[1].usage);
        // a: as `snap`: 2/3, 6×, $0.00515 saved, $0.00635 × 1 000 / 500.
        assert!(close(cache_hit_ratio(a), 2.0 / 3.0));
        assert_eq!(reads_per_write(a), Some(6.0));
        assert!(close(cache_savings_usd(a), 0.00515));
        assert!(close(cost_per_1k_output(a), 0.0127));
        // b: no cache series, but the family was watched: 0 of 1 000
        // prompt tokens hit, no writes to read per, $0 saved; $0.005 ×
        // 1 000 / 1 000 output tokens.
        assert_eq!(cache_hit_ratio(b), Some(0.0));
        assert_eq!(reads_per_write(b), None);
        assert_eq!(cache_savings_usd(b), Some(0.0));
        assert!(close(cost_per_1k_output(b), 0.005));
        // Requests carry no model.
        assert_eq!(cost_per_request(a), None);
        // The variant's snapshot is the window's, untouched.
        let w = buffer.window(1_000_000, 1_050_000);
        assert_eq!(p.snapshot, crate::snapshot::snapshot("v", &w));
        assert!(close(p.snapshot.estimated_cost_usd_total, 0.01135));
    }

    #[test]
    fn without_a_proxy_cost_the_table_prices_each_model() {
        let buffer = two_models(false);
        let p = priced_over(
            &buffer,
            "input:1,output:5,cache_read:0.1,cache_write:1.25,b/output:4",
        );
        assert_eq!(p.source, PriceSource::Table);
        // a at $1, $5, $0.1 and $1.25 per million: $0.002 + $0.0025 +
        // $0.0006 + $0.00125 = $0.00635 (`snap`'s cost, so its savings).
        let a = &p.models[0].usage;
        assert!(close(a.estimated_cost_usd_total, 0.00635));
        assert!(close(cache_savings_usd(a), 0.00515));
        // b's output at its own $4: 1 000 × $1/M + 1 000 × $4/M = $0.005;
        // its cache directions have no tokens: $0.
        let b = &p.models[1].usage;
        assert!(close(b.estimated_cost_usd_output, 0.004));
        assert_eq!(b.estimated_cost_usd_cache_read, Some(0.0));
        assert!(close(b.estimated_cost_usd_total, 0.005));
        // The variant: per direction the sum over models.
        let s = &p.snapshot;
        assert!(close(s.estimated_cost_usd_input, 0.003));
        assert!(close(s.estimated_cost_usd_output, 0.0065));
        assert!(close(s.estimated_cost_usd_total, 0.01135));
        // $0.01135 × 1 000 / 1 500 output tokens.
        assert!(close(cost_per_1k_output(s), 0.01135 / 1.5));
    }

    #[test]
    fn a_partial_or_empty_table_leaves_the_unpriced_directions_unknown() {
        let buffer = two_models(false);
        let p = priced_over(&buffer, "input:1");
        assert_eq!(
            p.source,
            PriceSource::Unpriced(vec![
                Direction::Output,
                Direction::CacheRead,
                Direction::CacheWrite
            ])
        );
        assert!(close(p.snapshot.estimated_cost_usd_input, 0.003));
        assert_eq!(p.snapshot.estimated_cost_usd_output, None);
        assert_eq!(p.snapshot.estimated_cost_usd_total, None, "not partial");
        let p = priced_over(&buffer, "");
        assert_eq!(p.source, PriceSource::Unpriced(Direction::ALL.to_vec()));
        assert_eq!(p.snapshot.estimated_cost_usd_input, None);
        assert_eq!(p.models[1].usage.estimated_cost_usd_cache_read, None);
        // One row: no tokens yet, so nothing to price and no dollars.
        let w = buffer.window(1_000_000, 1_000_000);
        let s = crate::snapshot::snapshot("v", &w);
        let p = priced(&s, &w, &"input:1".parse().unwrap());
        assert_eq!(p.source, PriceSource::Table);
        assert_eq!(p.snapshot.estimated_cost_usd_total, None);
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
