//! A rolling, in-memory history of one variant's scrapes, per target.
//!
//! The dashboard keeps history in the browser only (the relay is
//! stateless), so memory is the budget: each target's rows are columnar,
//! one `f64` per slot per scrape plus a timestamp, bounded both by age and
//! by row count. Pushing is O(1) amortised; a [`Window`] is a pair of row
//! indices per target found by binary search, so queries never copy the
//! buffer.
//!
//! A variant is a set of targets (the pods behind its Service), as
//! Prometheus scrapes them: each target's counters are stitched on their
//! own and the window sums across targets, so a variant's rate is
//! `sum(rate(x[w]))` over its pods and a total the sum of per-pod exact
//! increases. One URL shared by several pods would make every switch
//! between them look like a counter reset; the relay names each pod.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::{extract::Slot, parse::Scrape};

mod rows;
mod store;
mod window;

pub use rows::TargetRows;
use store::{FLIP, RESTART, Store};
pub use window::{Estimate, Window};

/// How long history is kept by default: 24 hours.
pub const DEFAULT_RETENTION_MS: i64 = 24 * 3600 * 1000;

/// The default row cap per target: 24 hours of scrapes every 5 seconds.
pub const DEFAULT_MAX_ROWS: usize = 17_280;

/// The id [`Buffer::push`] files scrapes under: a variant with one target.
pub const ONLY_TARGET: &str = "";

/// Why a scrape was not added.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PushError {
    /// Its timestamp is not after the target's newest row (the clock went
    /// back, or the same scrape came twice).
    OutOfOrder,
}

/// Something that happened to a target, for the charts' time axis.
#[derive(Clone, Debug, PartialEq)]
pub enum EventKind {
    /// The process restarted (its start time changed): every counter
    /// series restarted from zero.
    Restart,
    /// Counters went down without a known restart (no start time
    /// exported): PromQL's reset rule.
    Reset,
    /// The process reports another build: a deploy, with its version.
    Deploy(Box<str>),
    /// The scrape came from another, older process: the URL is
    /// load-balanced across processes.
    Flip,
}

/// An [`EventKind`] at a time, on one target.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// When (Unix ms): the first row that showed it.
    pub t_ms: i64,
    /// The target's id.
    pub target: Box<str>,
    /// What happened.
    pub kind: EventKind,
}

/// Which buffer this is, drawn from a global counter when one is made:
/// a buffer that replaces another (history refilled it) starts its own
/// counters anew and can look like the old one to them, never to this.
/// A clone draws a new one too, since the two may then diverge.
struct Identity(u64);

impl Identity {
    fn new() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        Identity(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

impl Clone for Identity {
    fn clone(&self) -> Self {
        Identity::new()
    }
}

/// One variant's history: a [`store::Store`] per target (pod), each with
/// its own counter stitching, read together by a [`Window`] as PromQL
/// reads a variant's series: `sum(rate(x))` over the pods.
#[derive(Clone)]
pub struct Buffer {
    identity: Identity,
    retention_ms: i64,
    max_rows: usize,
    stores: Vec<Store>,
    /// Targets ever added: a cache compares it to see new ones.
    added: usize,
    /// Columns ever added to any target: a new column is back-filled
    /// (a counter that appears was zero before), which rewrites history.
    columns_added: usize,
    /// Every slot any target has, in order of first sight.
    schema: Vec<Slot>,
}

impl Default for Buffer {
    fn default() -> Self {
        Buffer::new(DEFAULT_RETENTION_MS, DEFAULT_MAX_ROWS)
    }
}

impl Buffer {
    /// An empty buffer keeping rows for `retention_ms` and at most
    /// `max_rows` of them per target.
    pub fn new(retention_ms: i64, max_rows: usize) -> Self {
        Buffer {
            identity: Identity::new(),
            retention_ms,
            max_rows: max_rows.max(2),
            stores: Vec::new(),
            added: 0,
            columns_added: 0,
            schema: Vec::new(),
        }
    }

    /// Adds the scrape of a variant's only target taken at `t_ms` (Unix
    /// milliseconds) and drops rows that fell out of the retention.
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
        self.push_target(ONLY_TARGET, t_ms, scrape)
    }

    /// Adds the scrape of target `id` (a pod of the variant) taken at
    /// `t_ms`. Each target's counters are stitched on their own; a target
    /// seen for the first time (or again after [`Buffer::retire`]) starts
    /// new series, which is not a reset.
    ///
    /// # Example
    ///
    /// ```
    /// use zai_dash_engine::{buffer::Buffer, extract::Slot, parse::parse};
    ///
    /// let requests = |n: u32| format!("zai_proxy_requests_total{{status_code=\"200\"}} {n}\n");
    /// let mut buffer = Buffer::default();
    /// // Two pods, far apart in their lifetimes, scraped every 10 s.
    /// buffer.push_target("pod-a", 0, &parse(&requests(1_000)))?;
    /// buffer.push_target("pod-b", 1, &parse(&requests(20)))?;
    /// buffer.push_target("pod-a", 10_000, &parse(&requests(1_050)))?;
    /// buffer.push_target("pod-b", 10_001, &parse(&requests(30)))?;
    /// // sum(increase()) over the pods: 50 + 10, never a reset.
    /// let window = buffer.window(0, 10_001);
    /// assert_eq!(window.total(&Slot::Requests("200".into())), Some(60.0));
    /// assert_eq!(window.resets(), 0);
    /// # Ok::<(), zai_dash_engine::buffer::PushError>(())
    /// ```
    pub fn push_target(
        &mut self,
        id: &str,
        t_ms: i64,
        scrape: &Scrape<'_>,
    ) -> Result<(), PushError> {
        let i = match self.stores.iter().position(|s| !s.retired && *s.id == *id) {
            Some(i) => i,
            None => {
                self.stores.push(Store::new(id));
                self.added += 1;
                self.stores.len() - 1
            }
        };
        let store = &mut self.stores[i];
        let columns = store.columns.len();
        store.push(t_ms, scrape, self.retention_ms, self.max_rows)?;
        let new = store.columns.len() - columns;
        self.columns_added += new;
        // Only a scrape that added columns can add slots (rare: a new
        // status code, a new pod), so the merge stays off the usual push.
        for slot in &store.extractor.schema()[columns..columns + new] {
            if !self.schema.contains(slot) {
                self.schema.push(slot.clone());
            }
        }
        // A retired target whose rows all aged out holds nothing.
        self.stores.retain(|s| !(s.retired && s.times.is_empty()));
        Ok(())
    }

    /// Ends target `id` (its pod went away): its rows stay until they age
    /// out, and a later scrape under the same id starts a new target.
    pub fn retire(&mut self, id: &str) {
        if let Some(s) = self.stores.iter_mut().find(|s| !s.retired && *s.id == *id) {
            s.retired = true;
        }
    }

    /// The ids of the targets still in the variant, in order of first sight.
    pub fn targets(&self) -> impl Iterator<Item = &str> {
        self.stores.iter().filter(|s| !s.retired).map(|s| &*s.id)
    }

    /// Number of rows kept, over every target.
    pub fn len(&self) -> usize {
        self.stores.iter().map(|s| s.times.len()).sum()
    }

    /// Whether no scrape has been kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Time of the oldest row kept (Unix ms).
    pub fn first_time(&self) -> Option<i64> {
        self.stores
            .iter()
            .filter_map(|s| s.times.front().copied())
            .min()
    }

    /// Time of the newest row (Unix ms).
    pub fn last_time(&self) -> Option<i64> {
        self.stores
            .iter()
            .filter_map(|s| s.times.back().copied())
            .max()
    }

    /// The slots seen so far, in order of first sight.
    pub fn schema(&self) -> &[Slot] {
        &self.schema
    }

    /// When every target's rows in `[start_ms, end_ms]` were scraped,
    /// oldest first: the scrape rounds per-interval statistics run on.
    pub fn row_times(&self, start_ms: i64, end_ms: i64) -> Vec<i64> {
        // Each target's times are sorted: merge them in, one at a time.
        let mut times: Vec<i64> = Vec::new();
        for s in &self.stores {
            let (lo, hi) = s.rows(start_ms, end_ms);
            let mut merged = Vec::with_capacity(times.len() + hi - lo);
            let mut earlier = times.into_iter().peekable();
            for &t in s.times.range(lo..hi) {
                while let Some(e) = earlier.next_if(|&e| e <= t) {
                    merged.push(e);
                }
                merged.push(t);
            }
            merged.extend(earlier);
            times = merged;
        }
        times
    }

    /// Bytes of heap held by the rows (capacity, not just length), for the
    /// memory figures in the README and the browser benchmark.
    pub fn heap_bytes(&self) -> usize {
        self.stores.iter().map(Store::heap_bytes).sum()
    }

    /// What happened to the targets in `[start_ms, end_ms]`: restarts,
    /// resets, deploys and load-balanced flips, oldest first. Markers for
    /// the charts' time axis.
    pub fn events(&self, start_ms: i64, end_ms: i64) -> Vec<Event> {
        let mut events = Vec::new();
        for s in &self.stores {
            let (lo, hi) = s.rows(start_ms, end_ms);
            let event = |t_ms: i64, kind| Event {
                t_ms,
                target: s.id.clone(),
                kind,
            };
            let mut deploys = s
                .deploys
                .iter()
                .filter(|(t, _)| (start_ms..=end_ms).contains(t))
                .peekable();
            for i in lo..hi {
                let (flags, t) = (s.flags[i], s.times[i]);
                if flags & FLIP != 0 {
                    events.push(event(t, EventKind::Flip));
                } else if flags & RESTART != 0 {
                    events.push(event(t, EventKind::Restart));
                } else if s.resets[i] > 0 {
                    events.push(event(t, EventKind::Reset));
                }
                // A deploy is seen at a row, after what happened there.
                while let Some((d, build)) = deploys.next_if(|(d, _)| *d <= t) {
                    events.push(event(*d, EventKind::Deploy(build.clone())));
                }
            }
        }
        // Each target's events are in time order, so this insertion sort
        // only interleaves targets (a load-balanced URL flips on every row:
        // thousands of events, already sorted).
        crate::sort_short_by(&mut events, |a, b| a.t_ms < b.t_ms);
        events
    }

    /// The rows with `start_ms <= t <= end_ms`, of every target. Both ends
    /// are inclusive so that a window spanning exactly two scrapes
    /// contains both.
    pub fn window(&self, start_ms: i64, end_ms: i64) -> Window<'_> {
        Window::new(self, start_ms, end_ms)
    }

    /// Rows of every target at or after this time have not been touched
    /// by eviction: history from here on only ever grows at its end.
    /// `None` while nothing was evicted.
    pub fn intact_from(&self) -> Option<i64> {
        self.stores
            .iter()
            .filter_map(|s| s.evicted_until)
            .max()
            .map(|t| t + 1)
    }

    /// No row can arrive before this time any more: every target that may
    /// still be scraped is past it (a target's rows only grow later).
    pub fn settled_until(&self) -> Option<i64> {
        let live = self.stores.iter().filter(|s| !s.retired);
        live.filter_map(|s| s.times.back().map(|t| t + 1))
            .min()
            .or_else(|| self.last_time().map(|t| t + 1))
    }

    /// This buffer's identity, unique among the buffers (and clones) made
    /// in this process: a cache of what was derived from a buffer
    /// compares it before trusting the counters below, which a new buffer
    /// starts again.
    pub fn id(&self) -> u64 {
        self.identity.0
    }

    /// Columns ever added to any target. A new column is back-filled with
    /// what it held before (zero for a counter), so points computed before
    /// it was added may read differently now.
    pub fn columns_added(&self) -> usize {
        self.columns_added
    }

    /// Targets ever added, and the earliest first row of those added after
    /// the first `seen` of them: where a cache that knew `seen` targets
    /// must stop trusting its points.
    pub fn added_since(&self, seen: usize) -> (usize, Option<i64>) {
        let new = self.added.saturating_sub(seen);
        let first = self.stores[self.stores.len().saturating_sub(new)..]
            .iter()
            .filter_map(|s| s.times.front().copied())
            .min();
        (self.added, first)
    }
}
