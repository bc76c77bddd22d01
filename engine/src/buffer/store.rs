//! One target's rows: the columnar store behind a [`Buffer`](super::Buffer).
//!
//! A target is one process exporting `/metrics` (a pod); its counters are
//! stitched on their own, so that two pods of a variant never read as one
//! counter going up and down.

use std::collections::VecDeque;

use super::PushError;
use crate::{
    extract::{Extractor, FamilySet},
    parse::Scrape,
};

/// Row flag: the process restarted since the previous row.
pub(super) const RESTART: u8 = 1;
/// Row flag: the row came from another, older process (load-balanced URL).
pub(super) const FLIP: u8 = 2;

/// One target's history: scrape times, families present, resets, flags,
/// deploys and a column per slot of its extractor.
#[derive(Clone)]
pub(super) struct Store {
    /// The target's id, as the relay names it.
    pub(super) id: Box<str>,
    /// Set when the target left the variant: it never gains a row again.
    pub(super) retired: bool,
    pub(super) extractor: Extractor,
    pub(super) times: VecDeque<i64>,
    pub(super) families: VecDeque<FamilySet>,
    pub(super) resets: VecDeque<u32>,
    pub(super) flags: VecDeque<u8>,
    pub(super) columns: Vec<VecDeque<f64>>,
    /// When each build change was seen, and the build.
    pub(super) deploys: VecDeque<(i64, Box<str>)>,
    /// The newest row time dropped by retention or the row cap.
    pub(super) evicted_until: Option<i64>,
}

impl Store {
    pub(super) fn new(id: &str) -> Self {
        Store {
            id: id.into(),
            retired: false,
            extractor: Extractor::new(),
            times: VecDeque::new(),
            families: VecDeque::new(),
            resets: VecDeque::new(),
            flags: VecDeque::new(),
            columns: Vec::new(),
            deploys: VecDeque::new(),
            evicted_until: None,
        }
    }

    /// Adds the scrape taken at `t_ms`, then drops rows older than
    /// `retention_ms` and beyond `max_rows`.
    pub(super) fn push(
        &mut self,
        t_ms: i64,
        scrape: &Scrape<'_>,
        retention_ms: i64,
        max_rows: usize,
    ) -> Result<(), PushError> {
        if self.times.back().is_some_and(|&last| t_ms <= last) {
            return Err(PushError::OutOfOrder);
        }
        let record = self.extractor.push(scrape);
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
            reserve(&mut col, rows + 1, max_rows);
            col.extend(std::iter::repeat_n(fill, rows));
            self.columns.push(col);
        }
        reserve(&mut self.times, rows + 1, max_rows);
        reserve(&mut self.families, rows + 1, max_rows);
        reserve(&mut self.resets, rows + 1, max_rows);
        reserve(&mut self.flags, rows + 1, max_rows);
        self.times.push_back(t_ms);
        self.families.push_back(record.families);
        self.resets.push_back(record.resets);
        let flags = (u8::from(record.restart) * RESTART) | (u8::from(record.flip) * FLIP);
        self.flags.push_back(flags);
        if let Some(build) = record.deploy {
            self.deploys.push_back((t_ms, build));
        }
        for (i, col) in self.columns.iter_mut().enumerate() {
            reserve(col, rows + 1, max_rows);
            col.push_back(record.values.get(i).copied().unwrap_or(f64::NAN));
        }
        while self.times.len() > max_rows
            || self
                .times
                .front()
                .is_some_and(|&first| t_ms - first > retention_ms)
        {
            self.evicted_until = self.times.pop_front();
            self.families.pop_front();
            self.resets.pop_front();
            self.flags.pop_front();
            for col in &mut self.columns {
                col.pop_front();
            }
        }
        let first = self.times.front().copied().unwrap_or(t_ms);
        while self.deploys.front().is_some_and(|&(t, _)| t < first) {
            self.deploys.pop_front();
        }
        Ok(())
    }

    /// Bytes of heap held by the rows (capacity, not just length).
    pub(super) fn heap_bytes(&self) -> usize {
        self.times.capacity() * size_of::<i64>()
            + self.families.capacity() * size_of::<FamilySet>()
            + self.resets.capacity() * size_of::<u32>()
            + self.flags.capacity()
            + self
                .columns
                .iter()
                .map(|c| c.capacity() * size_of::<f64>())
                .sum::<usize>()
    }

    /// Rows `lo..hi` with `start_ms <= t <= end_ms`.
    pub(super) fn rows(&self, start_ms: i64, end_ms: i64) -> (usize, usize) {
        let lo = self.times.partition_point(|&t| t < start_ms);
        let hi = self.times.partition_point(|&t| t <= end_ms).max(lo);
        (lo, hi)
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
