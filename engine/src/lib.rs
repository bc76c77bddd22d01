//! The zai-dash metric engine: everything between the raw `/metrics` text and
//! the numbers a panel draws, in plain Rust with no browser or server types.
//!
//! The same code runs in the browser (compiled to wasm32 inside the app), in
//! the `zai-dash` command-line tool, in native unit tests and in criterion
//! benchmarks, so every number on screen is tested and measured natively.
//!
//! # Layout
//!
//! Data flows through the modules in this order:
//!
//! - [`parse`]: Prometheus text exposition (0.0.4, OpenMetrics-tolerant) into
//!   borrowed samples; a malformed line is reported and skipped.
//! - [`format`](mod@format): the inverse, in client_golang's style; used by the demo
//!   simulation and by round-trip tests of the parser.
//! - [`extract`]: one parsed scrape into a compact [`extract::Record`] of the
//!   zai-proxy series the panels need, with per-series counter-reset
//!   stitching.
//! - [`clock`]: the relay's scrape times on the browser's clock.
//! - [`buffer`]: a time-bounded rolling buffer of records per variant, one
//!   store per target (pod), read together as PromQL's `sum()` would.
//! - [`history`]: rows from a durable store (Prometheus), filed into the
//!   buffer as the same per-target samples as live scrapes.
//! - [`promql`]: `rate`, `increase` and `histogram_quantile`, matching
//!   Prometheus' own rules.
//! - [`series`]: the time series each panel draws, on an aligned grid.
//! - [`snapshot`]: a variant's `MetricSnapshot` over a window of the buffer.
//! - [`compare`]: canary against production on a chart: their
//!   difference or ratio per series, gaps where either has no value.
//! - [`plot`]: chart geometry: scales, ticks, decimation to pixels.
//! - [`distribution`]: the latency distribution over a window, per
//!   bucket, and the mass that moved between canary and production.
//! - [`economics`]: prompt-cache and cost economics of a snapshot, and its
//!   burn to the end of the day and to each quota's end.
//! - [`prices`]: the token price table kept in the URL, for a proxy that
//!   exports no estimated cost.
//! - [`units`]: how those numbers read on screen ("no data" is never 0).
//! - [`judge`]: the canary verdict (Kayenta's Mann–Whitney judge) over
//!   per-interval samples of the buffer, and its settings string.
//! - [`view`]: the view in the URL (window, variants, refresh, ...), both
//!   ways, with a notice for every bad parameter.
//! - [`datalink`]: the rows of a window as text for a link that carries
//!   its data, and back into buffers.

pub mod buffer;
pub mod clock;
pub mod compare;
pub mod datalink;
pub mod distribution;
pub mod economics;
pub mod extract;
pub mod format;
pub mod history;
pub mod judge;
pub mod parse;
pub mod plot;
pub mod prices;
pub mod promql;
pub mod series;
pub mod snapshot;
pub mod units;
pub mod view;

/// Sorts a short list (histogram buckets, status codes: tens of items,
/// usually already in order) by insertion. Written by hand for size: each
/// element type instantiates core's `sort` (driftsort/ipnsort) at several
/// KB of wasm, this at a few hundred bytes; on sorted input it is one pass.
pub(crate) fn sort_short_by<T>(items: &mut [T], mut less: impl FnMut(&T, &T) -> bool) {
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 && less(&items[j], &items[j - 1]) {
            items.swap(j, j - 1);
            j -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sort_short_by;

    #[test]
    fn short_sort_orders_like_the_standard_stable_sort() {
        let inputs: [&[(u8, char)]; 5] = [
            &[],
            &[(1, 'a')],
            &[(3, 'a'), (1, 'b'), (2, 'c'), (1, 'd'), (0, 'e')],
            &[(0, 'a'), (1, 'b'), (2, 'c')],
            &[(2, 'a'), (2, 'b'), (1, 'c'), (1, 'd')],
        ];
        for input in inputs {
            let mut ours = input.to_vec();
            sort_short_by(&mut ours, |a, b| a.0 < b.0);
            let mut std = input.to_vec();
            std.sort_by_key(|p| p.0);
            assert_eq!(ours, std, "equal keys keep their order");
        }
    }
}
