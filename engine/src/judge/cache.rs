//! [`SamplesCache`]: a variant's per-interval samples, recomputed only
//! where new data can change them.
//!
//! The verdict strip judges on every poll, and every poll adds a round or
//! two at the new end of a window of up to [`MAX_INTERVALS`] intervals,
//! each a dozen window scans. An interval's values depend only on the
//! buffer's rows inside its window `[from, to]` (and the price table), so
//! once no row can arrive there any more they are final, as the points of
//! [`series::Cache`](crate::series::Cache) are, and stay so until eviction
//! at the old end reaches `from`, a new target adds rows at or before `to`,
//! or a new column back-fills history.
//!
//! [`MAX_INTERVALS`]: super::MAX_INTERVALS

use super::metrics::{IntervalValues, Metric, Samples, intervals};
use crate::{buffer::Buffer, prices::PriceTable};

/// Most final windows kept, skipped ones included: about 420 KB, several
/// times what an hour at 5 s rows uses (its 150 intervals of 24 s come
/// back in 5 groupings).
pub const MAX_KEPT: usize = 8 * super::MAX_INTERVALS as usize;

/// One variant's interval samples, reusing the final intervals of earlier
/// updates: the same [`Samples`] as
/// [`interval_samples`](super::interval_samples), at the cost of the new
/// intervals only. Intervals are keyed by their window, so a change of
/// range or of interval length still reuses every interval that keeps its
/// window.
///
/// Rounds are grouped from the range's first row, so a range sliding by a
/// row per poll regroups them: an interval of `k` rows gets the same
/// windows back only every `k` polls. Final windows are therefore kept
/// while they lie in the range, one per row at most (per interval length
/// in use), up to [`MAX_KEPT`]: an hour's groupings all fit, so an hour
/// slides for the cost of its new intervals; a day's would take 3 MB per
/// variant (about 176 bytes per row) on top of its buffers, so beyond the
/// cap only the last update's windows are kept.
#[derive(Clone, Debug, Default)]
pub struct SamplesCache {
    /// The buffer the values were computed from ([`Buffer::id`]): one that
    /// replaced it (a refill from history) shares nothing with it.
    buffer: Option<u64>,
    /// Targets the buffer had added when the values were computed.
    targets: usize,
    /// Columns the buffer had added when the values were computed.
    columns: usize,
    /// The price table the costs were computed at.
    prices: PriceTable,
    /// The final intervals' windows and values, in time order: those of
    /// the last update and those of earlier ones still in its range.
    finals: Vec<((i64, i64), IntervalValues)>,
}

impl SamplesCache {
    /// The samples of `buffer` over `range` at `interval_ms`, costs at
    /// `prices`, as [`interval_samples`](super::interval_samples) gives
    /// them.
    pub fn update(
        &mut self,
        buffer: &Buffer,
        range: (i64, i64),
        interval_ms: i64,
        prices: &PriceTable,
    ) -> Samples {
        let (targets, new_first) = buffer.added_since(self.targets);
        let (intact, settled) = (buffer.intact_from(), buffer.settled_until());
        let columns = buffer.columns_added();
        let mut cached = std::mem::take(&mut self.finals);
        let same_buffer = self.buffer.replace(buffer.id()) == Some(buffer.id());
        if !same_buffer || columns != self.columns || *prices != self.prices {
            cached.clear();
            self.prices = prices.clone();
        }
        // Eviction has not reached `from`, no new target has a row at or
        // before `to`, and the window is still in the range: the window
        // holds the rows it held, and may be asked for again.
        let untouched = |(from, to): (i64, i64)| {
            intact.is_none_or(|i| from >= i) && new_first.is_none_or(|t| to < t)
        };
        let kept = |(from, to): (i64, i64)| untouched((from, to)) && from >= range.0;
        let mut cached = cached.into_iter().filter(|&(w, _)| kept(w)).peekable();
        let mut values = Vec::new();
        let windows = intervals(buffer, range, interval_ms);
        for &window in &windows {
            // Windows this update skips are kept: rounds are grouped from
            // the range's first row, so as the range slides a row at a
            // time the same grouping, and its windows, come back.
            while let Some(skipped) = cached.next_if(|&(w, _)| w < window) {
                self.finals.push(skipped);
            }
            let v = match cached.next_if(|&(w, _)| w == window) {
                Some((_, v)) => v,
                None => Metric::all_over(&buffer.window(window.0, window.1), prices),
            };
            // No row can arrive at or before `settled - 1` any more.
            if settled.is_some_and(|s| window.1 < s) && intact.is_none_or(|i| window.0 >= i) {
                self.finals.push((window, v));
            }
            values.push(v);
        }
        self.finals.extend(cached);
        if self.finals.len() > MAX_KEPT {
            self.finals
                .retain(|(w, _)| windows.binary_search(w).is_ok());
        }
        self.targets = targets;
        self.columns = columns;
        Samples::of_intervals(&values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{judge::interval_samples, parse::parse};

    /// One pod's exposition at its `n`th scrape: requests (a 500 every
    /// third scrape), a latency histogram, input and output tokens for
    /// model "a"; from scrape `new_code_at` on, new columns: a 429 count
    /// and a latency bucket (back-filled with 0 before, which changes the
    /// quantiles of earlier intervals).
    fn exposition(n: u64, new_code_at: u64) -> String {
        let (ok, failed) = (7 * n + n % 5, n / 3);
        let all = ok + failed;
        let mut text = format!(
            "zai_proxy_requests_total{{status_code=\"200\"}} {ok}\n\
             zai_proxy_requests_total{{status_code=\"500\"}} {failed}\n\
             zai_proxy_request_duration_seconds_bucket{{le=\"0.5\"}} {}\n\
             zai_proxy_request_duration_seconds_bucket{{le=\"1\"}} {all}\n\
             zai_proxy_request_duration_seconds_bucket{{le=\"+Inf\"}} {all}\n\
             zai_proxy_request_duration_seconds_sum {}\n\
             zai_proxy_request_duration_seconds_count {all}\n\
             zai_proxy_tokens_total{{direction=\"input\",model=\"a\"}} {}\n\
             zai_proxy_tokens_total{{direction=\"output\",model=\"a\"}} {}\n",
            all / 2,
            all as f64 * 0.7,
            300 * all,
            40 * all + n % 3,
        );
        if n >= new_code_at {
            text += &format!(
                "zai_proxy_requests_total{{status_code=\"429\"}} {}\n\
                 zai_proxy_request_duration_seconds_bucket{{le=\"0.8\"}} {}\n",
                n - new_code_at,
                all * 3 / 4,
            );
        }
        text
    }

    /// Pushes scrape `n` of pods "a" and "b" (7 ms apart, one poll round;
    /// "b" is scraped again 2 s later, so it fills its rows twice as fast),
    /// and from scrape `pod_c_at` of pod "c" too (13 ms after "a").
    fn push_round(buffer: &mut Buffer, n: u64, pod_c_at: u64, new_code_at: u64) {
        let t = 1_000_000 + 5_000 * n as i64;
        let text = exposition(n, new_code_at);
        buffer.push_target("a", t, &parse(&text)).unwrap();
        buffer.push_target("b", t + 7, &parse(&text)).unwrap();
        buffer.push_target("b", t + 2_007, &parse(&text)).unwrap();
        if n >= pod_c_at {
            buffer.push_target("c", t + 13, &parse(&text)).unwrap();
        }
    }

    #[test]
    fn cached_samples_equal_fresh_ones_as_the_buffer_grows_and_evicts() {
        // 40 rows per pod at most: from round 20 on, pod b's oldest rows
        // go while pod a's stay, so an interval keeps its window but loses
        // rows; from round 40 on, pod a's go too. Pod c appears at round
        // 25, the new columns at 50.
        let mut buffer = Buffer::new(i64::MAX / 4, 40);
        let mut cache = SamplesCache::default();
        let table: PriceTable = "input:2,output:10".parse().unwrap();
        let none = PriceTable::default();
        for n in 0..80 {
            push_round(&mut buffer, n, 25, 50);
            let end = 1_000_000 + 5_000 * n as i64 + 20;
            // The window on screen: the last 5 minutes (60 rounds, more
            // than the buffer keeps); the interval one poll, and 3 polls
            // for a stretch (a changed interval length).
            let range = (end - 300_000, end);
            let interval = if (60..65).contains(&n) { 15_000 } else { 5_000 };
            // The price table is switched on and off now and then.
            let prices = if n % 17 < 9 { &table } else { &none };
            let cached = cache.update(&buffer, range, interval, prices);
            let fresh = interval_samples(&buffer, range, interval, prices);
            assert_eq!(cached, fresh, "round {n}");
        }
        // The buffer kept 40 rounds, and the new 429 column counted.
        let last = cache.update(&buffer, (0, 2_000_000), 5_000, &none);
        assert_eq!(last.intervals, 39);
        assert!(last.of(Metric::RateLimited).iter().any(|&v| v > 0.0));
    }

    #[test]
    fn a_buffer_that_replaced_another_shares_nothing_with_it() {
        // Two buffers of the same 20 rounds: the same counters, but B's
        // latency doubled. A cache of A asked about B must not hand back
        // A's values.
        let fill = |slow: bool| {
            let mut buffer = Buffer::default();
            for n in 0..20 {
                let text = exposition(n, u64::MAX);
                // Slow: no request within 0.5 s (the bucket reads 0).
                let bucket = "zai_proxy_request_duration_seconds_bucket{le=\"0.5\"}";
                let text: String = text
                    .lines()
                    .map(|l| match l.starts_with(bucket) && slow {
                        true => format!("{bucket} 0\n"),
                        false => format!("{l}\n"),
                    })
                    .collect();
                buffer
                    .push_target("a", 1_000_000 + 5_000 * n as i64, &parse(&text))
                    .unwrap();
            }
            buffer
        };
        let (a, b) = (fill(false), fill(true));
        let (range, prices) = ((0, 2_000_000), PriceTable::default());
        let mut cache = SamplesCache::default();
        cache.update(&a, range, 5_000, &prices);
        let cached = cache.update(&b, range, 5_000, &prices);
        assert_eq!(cached, interval_samples(&b, range, 5_000, &prices));
        assert_ne!(cached, interval_samples(&a, range, 5_000, &prices));
    }

    #[test]
    fn a_long_range_keeps_at_most_max_kept_windows_and_stays_exact() {
        // Pod a alone, 3,000 rounds 5 s apart; intervals of 10 minutes
        // group 120 rows each, so a range sliding a round per poll comes
        // back to a grouping only every 120 polls: 25 windows per grouping,
        // 3,000 for all, more than MAX_KEPT (2,400).
        let mut buffer = Buffer::default();
        for n in 0..3_000 {
            let t = 1_000_000 + 5_000 * n as i64;
            buffer
                .push_target("a", t, &parse(&exposition(n, u64::MAX)))
                .unwrap();
        }
        let prices = PriceTable::default();
        let mut cache = SamplesCache::default();
        let mut widest = 0;
        for slide in 0..200 {
            let range = (1_000_000 + 5_000 * slide, 1_000_000 + 5_000 * 2_999);
            let cached = cache.update(&buffer, range, 600_000, &prices);
            assert_eq!(cached, interval_samples(&buffer, range, 600_000, &prices));
            widest = widest.max(cache.finals.len());
        }
        assert!(widest <= MAX_KEPT, "{widest}");
        // The cap was reached (skipped windows were kept up to it).
        assert!(widest > 2_000, "{widest}");
    }

    #[test]
    fn final_intervals_are_reused_and_only_new_ones_computed() {
        let mut buffer = Buffer::default();
        for n in 0..20 {
            push_round(&mut buffer, n, u64::MAX, u64::MAX);
        }
        let range = (0, 2_000_000);
        let prices = PriceTable::default();
        let mut cache = SamplesCache::default();
        let first = cache.update(&buffer, range, 5_000, &prices);
        // 20 rounds, 19 intervals. The last one ends at pod b's newest
        // row (t + 7), after pod a's newest (t): a row of pod a may still
        // arrive before it, so only the 18 before it are final.
        assert_eq!(first.intervals, 19);
        assert_eq!(cache.finals.len(), 18);
        // Mark every cached interval: a reused one keeps its mark.
        for (_, v) in &mut cache.finals {
            v[Metric::P50 as usize] = Some(-1.0);
        }
        push_round(&mut buffer, 20, u64::MAX, u64::MAX);
        let next = cache.update(&buffer, range, 5_000, &prices);
        assert_eq!(next.intervals, 20);
        // The 18 final intervals came from the cache, the 2 others are
        // fresh.
        let p50 = next.of(Metric::P50);
        assert_eq!(p50.len(), 20);
        assert!(p50[..18].iter().all(|&v| v == -1.0), "{p50:?}");
        assert!(p50[18..].iter().all(|&v| v > 0.0), "{p50:?}");
        // Another price table: nothing is reused.
        let table: PriceTable = "input:2,output:10".parse().unwrap();
        let priced = cache.update(&buffer, range, 5_000, &table);
        assert_eq!(priced, interval_samples(&buffer, range, 5_000, &table));
    }

    #[test]
    fn a_sliding_range_gets_its_earlier_groupings_back() {
        // 15 s intervals over 5 s rows: a round takes the rows less than
        // 7.5 s after its first, 2 of them. A 5-minute range (60 rows, 30
        // rounds, 29 intervals) sliding a row per poll groups them one way
        // on even polls and the other on odd ones.
        let mut buffer = Buffer::default();
        let prices = PriceTable::default();
        let mut cache = SamplesCache::default();
        let poll = |buffer: &mut Buffer, cache: &mut SamplesCache, n: u64| {
            push_round(buffer, n, u64::MAX, u64::MAX);
            let end = 1_000_000 + 5_000 * n as i64 + 2_010;
            let range = (end - 300_000, end);
            (
                cache.update(buffer, range, 15_000, &prices),
                interval_samples(buffer, range, 15_000, &prices),
            )
        };
        for n in 0..80 {
            let (cached, fresh) = poll(&mut buffer, &mut cache, n);
            assert_eq!(cached, fresh, "poll {n}");
        }
        for (_, v) in &mut cache.finals {
            v[Metric::P50 as usize] = Some(-1.0);
        }
        let marked =
            |(s, _): &(Samples, Samples)| s.of(Metric::P50).iter().filter(|&&v| v == -1.0).count();
        // Each poll gets its grouping back from two polls before, one
        // round on: all but the 2 newest intervals come from the cache
        // (the newer ends in the new round; the older ended in the then
        // newest round, past pod a's newest row, so was not final).
        for n in [80, 81] {
            let s = poll(&mut buffer, &mut cache, n);
            assert_eq!(s.0.intervals, 29);
            assert_eq!(marked(&s), 27, "poll {n}");
        }
    }

    #[test]
    fn a_late_new_pod_is_counted_in_every_interval_it_reaches() {
        let mut buffer = Buffer::default();
        for n in 0..10 {
            push_round(&mut buffer, n, u64::MAX, u64::MAX);
        }
        let range = (0, 2_000_000);
        let prices = PriceTable::default();
        let mut cache = SamplesCache::default();
        assert_eq!(cache.update(&buffer, range, 5_000, &prices).intervals, 9);
        // Pod c's first two rows arrive late, in rounds 7 and 8 (t + 13),
        // after the cache saw both rounds: intervals 6, 7 and 8 now hold
        // its rows (and its columns are new: nothing is reused).
        for n in [7, 8] {
            let t = 1_000_013 + 5_000 * n as i64;
            let text = exposition(3 * n, u64::MAX);
            buffer.push_target("c", t, &parse(&text)).unwrap();
        }
        let s = cache.update(&buffer, range, 5_000, &prices);
        assert_eq!(s, interval_samples(&buffer, range, 5_000, &prices));
    }
}
