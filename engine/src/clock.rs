//! Sample times are scrape times: the relay stamps each answer with when it
//! sent the upstream request (`X-Scrape-Timestamp-Ms`, as Prometheus stamps
//! a sample with its scrape's start), and the app files the sample at that
//! moment on its own clock. The browser's receive time would be off by the
//! network's delay and by the relay's coalescing (an answer is reused for
//! up to `--coalesce-ms`), skewing every per-interval rate.
//!
//! The two clocks differ by an unknown offset. Each answer bounds it from
//! above: it was received after the relay sent it, so
//! `received − (scraped + duration) ≥ offset`, with equality for an answer
//! that was fresh and instant. The smallest bound over recent answers is
//! the estimate, the way NTP filters its samples.

use std::collections::VecDeque;

/// Answers the offset estimate looks back over.
const RECENT: usize = 32;

/// The relay's clock as seen from the browser.
#[derive(Clone, Debug, Default)]
pub struct ClockSync {
    bounds: VecDeque<f64>,
}

impl ClockSync {
    /// Records an answer received at `received_ms` (browser clock) for a
    /// scrape the relay started at `scraped_ms` and held for `duration_ms`
    /// (relay clock).
    pub fn observe(&mut self, received_ms: f64, scraped_ms: f64, duration_ms: f64) {
        if self.bounds.len() == RECENT {
            self.bounds.pop_front();
        }
        self.bounds
            .push_back(received_ms - (scraped_ms + duration_ms.max(0.0)));
    }

    /// How far the browser's clock is ahead of the relay's, ms; `None`
    /// before the first answer.
    pub fn offset_ms(&self) -> Option<f64> {
        self.bounds.iter().copied().reduce(f64::min)
    }

    /// A relay time on the browser's clock (unchanged before any answer).
    pub fn local(&self, relay_ms: f64) -> f64 {
        relay_ms + self.offset_ms().unwrap_or(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offset_is_the_tightest_bound_over_recent_answers() {
        let mut clock = ClockSync::default();
        assert_eq!(clock.offset_ms(), None);
        assert_eq!(clock.local(1_000.0), 1_000.0);
        // The browser runs 2 s ahead. An answer reused 800 ms after its
        // scrape, received 30 ms after sending: bound 2_830.
        clock.observe(10_000.0 + 2_000.0 + 830.0, 10_000.0, 0.0);
        assert_eq!(clock.offset_ms(), Some(2_830.0));
        // A fresh answer: scrape took 120 ms, 10 ms on the wire: 2_010.
        clock.observe(15_000.0 + 120.0 + 2_010.0, 15_000.0, 120.0);
        assert_eq!(clock.offset_ms(), Some(2_010.0));
        assert_eq!(clock.local(20_000.0), 22_010.0);
    }

    #[test]
    fn old_answers_stop_counting() {
        let mut clock = ClockSync::default();
        clock.observe(100.0, 0.0, 0.0); // bound 100
        for i in 1..=RECENT {
            clock.observe(1_000.0 * i as f64 + 500.0, 1_000.0 * i as f64, 0.0);
        }
        // The 100 ms bound is 32 answers old: forgotten.
        assert_eq!(clock.offset_ms(), Some(500.0));
    }
}
