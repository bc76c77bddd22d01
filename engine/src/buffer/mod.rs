//! A rolling, in-memory history of one variant's [`Record`]s.
//!
//! The dashboard keeps history in the browser only (the relay is
//! stateless), so memory is the budget: the buffer is columnar, one
//! `f64` per slot per scrape plus a timestamp, bounded both by age and by
//! row count. Pushing is O(1) amortised; a [`Window`] is a pair of row
//! indices found by binary search, so queries never copy the buffer.

use std::collections::VecDeque;

use crate::{
    extract::{Extractor, FamilySet, Record, Slot},
    parse::Scrape,
    promql::Span,
};

mod window;

pub use window::{Estimate, Window};

/// How long history is kept by default: 24 hours.
pub const DEFAULT_RETENTION_MS: i64 = 24 * 3600 * 1000;

/// The default row cap: 24 hours of scrapes every 5 seconds.
pub const DEFAULT_MAX_ROWS: usize = 17_280;

/// Why a scrape was not added.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PushError {
    /// Its timestamp is not after the newest row's (the clock went back).
    OutOfOrder,
}

/// One variant's history: scrape times, families present, resets, and a
/// column per [`Slot`].
#[derive(Clone)]
pub struct Buffer {
    retention_ms: i64,
    max_rows: usize,
    extractor: Extractor,
    times: VecDeque<i64>,
    families: VecDeque<FamilySet>,
    resets: VecDeque<u32>,
    columns: Vec<VecDeque<f64>>,
}

impl Default for Buffer {
    fn default() -> Self {
        Buffer::new(DEFAULT_RETENTION_MS, DEFAULT_MAX_ROWS)
    }
}

impl Buffer {
    /// An empty buffer keeping rows for `retention_ms` and at most
    /// `max_rows` of them.
    pub fn new(retention_ms: i64, max_rows: usize) -> Self {
        Buffer {
            retention_ms,
            max_rows: max_rows.max(2),
            extractor: Extractor::new(),
            times: VecDeque::new(),
            families: VecDeque::new(),
            resets: VecDeque::new(),
            columns: Vec::new(),
        }
    }

    /// Adds the scrape taken at `t_ms` (Unix milliseconds) and drops rows
    /// that fell out of the retention.
    ///
    /// # Example
    ///
    /// ```
    /// use zai_dash_engine::{buffer::Buffer, extract::Slot, parse::parse};
    ///
    /// let requests = |n: u32| format!("zai_proxy_requests_total{{status_code=\"200\"}} {n}\n");
    /// let t0 = 1_700_000_000_000;
    /// let mut buffer = Buffer::default();
    /// buffer.push(t0, &parse(&requests(100)))?;
    /// buffer.push(t0 + 5_000, &parse(&requests(110)))?;
    /// // A scrape not newer than the last row is refused.
    /// assert!(buffer.push(t0 + 5_000, &parse(&requests(111))).is_err());
    ///
    /// let window = buffer.window(t0, t0 + 5_000);
    /// let ok = Slot::Requests("200".into());
    /// assert_eq!(window.total(&ok), Some(10.0));
    /// assert_eq!(window.rate(&ok), Some(2.0)); // per second
    /// # Ok::<(), zai_dash_engine::buffer::PushError>(())
    /// ```
    pub fn push(&mut self, t_ms: i64, scrape: &Scrape<'_>) -> Result<(), PushError> {
        if self.times.back().is_some_and(|&last| t_ms <= last) {
            return Err(PushError::OutOfOrder);
        }
        let record = self.extractor.push(scrape);
        self.push_record(t_ms, record);
        Ok(())
    }

    fn push_record(&mut self, t_ms: i64, record: Record) {
        let rows = self.times.len();
        let schema = self.extractor.schema();
        while self.columns.len() < record.values.len() {
            // A counter slot that appears now was zero before: a lazily
            // created series has simply not been incremented yet. A gauge
            // that appears now was absent before.
            let fill = if schema[self.columns.len()].is_counter() {
                0.0
            } else {
                f64::NAN
            };
            let mut col = VecDeque::new();
            reserve(&mut col, rows + 1, self.max_rows);
            col.extend(std::iter::repeat_n(fill, rows));
            self.columns.push(col);
        }
        let max_rows = self.max_rows;
        reserve(&mut self.times, rows + 1, max_rows);
        reserve(&mut self.families, rows + 1, max_rows);
        reserve(&mut self.resets, rows + 1, max_rows);
        self.times.push_back(t_ms);
        self.families.push_back(record.families);
        self.resets.push_back(record.resets);
        for (i, col) in self.columns.iter_mut().enumerate() {
            reserve(col, rows + 1, max_rows);
            col.push_back(record.values.get(i).copied().unwrap_or(f64::NAN));
        }
        while self.times.len() > self.max_rows
            || self
                .times
                .front()
                .is_some_and(|&first| t_ms - first > self.retention_ms)
        {
            self.times.pop_front();
            self.families.pop_front();
            self.resets.pop_front();
            for col in &mut self.columns {
                col.pop_front();
            }
        }
    }

    /// Number of rows kept.
    pub fn len(&self) -> usize {
        self.times.len()
    }

    /// Whether no scrape has been kept.
    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// Time of the oldest row kept (Unix ms).
    pub fn first_time(&self) -> Option<i64> {
        self.times.front().copied()
    }

    /// Time of the newest row (Unix ms).
    pub fn last_time(&self) -> Option<i64> {
        self.times.back().copied()
    }

    /// The slots seen so far, in column order.
    pub fn schema(&self) -> &[Slot] {
        self.extractor.schema()
    }

    /// Bytes of heap held by the rows (capacity, not just length), for the
    /// memory figures in the README and the browser benchmark.
    pub fn heap_bytes(&self) -> usize {
        self.times.capacity() * size_of::<i64>()
            + self.families.capacity() * size_of::<FamilySet>()
            + self.resets.capacity() * size_of::<u32>()
            + self
                .columns
                .iter()
                .map(|c| c.capacity() * size_of::<f64>())
                .sum::<usize>()
    }

    /// Times (Unix ms) of the rows in `[start_ms, end_ms]` at which a
    /// counter reset was seen: markers for the charts.
    pub fn reset_times(&self, start_ms: i64, end_ms: i64) -> impl Iterator<Item = i64> + '_ {
        let w = self.window(start_ms, end_ms);
        self.times
            .range(w.lo..w.hi)
            .zip(self.resets.range(w.lo..w.hi))
            .filter(|(_, r)| **r > 0)
            .map(|(t, _)| *t)
    }

    /// The rows with `start_ms <= t <= end_ms`. Both ends are inclusive so
    /// that a window spanning exactly two scrapes contains both.
    pub fn window(&self, start_ms: i64, end_ms: i64) -> Window<'_> {
        let lo = self.times.partition_point(|&t| t < start_ms);
        let hi = self.times.partition_point(|&t| t <= end_ms).max(lo);
        // Before its first row the buffer knows nothing: the dashboard was
        // not watching, which is unknown, not zero traffic. So the range
        // starts no earlier than that row, and a 1 h rate taken a minute
        // after the page opened is a rate over that minute, not a sixtieth
        // of it. Prometheus, holding the whole history, would see the same.
        let start_ms = self
            .times
            .front()
            .map_or(start_ms, |&first| start_ms.max(first));
        Window {
            buffer: self,
            lo,
            hi,
            span: Span {
                start: start_ms as f64 / 1000.0,
                end: end_ms as f64 / 1000.0,
            },
        }
    }
}

/// Grows `deque` to hold `needed` items, doubling but never past `cap`,
/// so a full buffer holds exactly its rows instead of up to twice as many.
fn reserve<T>(deque: &mut VecDeque<T>, needed: usize, cap: usize) {
    if deque.capacity() < needed {
        let target = (deque.capacity() * 2).clamp(needed, cap.max(needed));
        deque.reserve_exact(target - deque.len());
    }
}
