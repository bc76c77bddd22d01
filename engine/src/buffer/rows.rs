//! A plain copy of a buffer's rows, out and back in: what a link that
//! carries its data (see [`crate::datalink`]) writes and reads.
//!
//! The copy is of the stored rows themselves (stitched counter totals,
//! families, resets, restart and flip flags, deploys), not of the scrapes
//! behind them, so a buffer read back answers every query exactly as the
//! original did over the same rows. Thinning keeps whole rows: a
//! stitched counter never goes down, so the increase between two kept
//! rows is the exact sum of the increases between them, and totals over a
//! thinned window equal the original's.

use super::{Buffer, store::Store};
use crate::extract::{Extractor, FamilySet, Slot};

/// One target's rows in a time range, as plain data.
#[derive(Clone, Debug, Default)]
pub struct TargetRows {
    /// The relay's id of the target.
    pub id: String,
    /// What each column measures, in column order.
    pub slots: Vec<Slot>,
    /// Row times, Unix ms, increasing.
    pub times: Vec<i64>,
    /// Per row, the families the scrape held (a [`FamilySet`]'s bits).
    pub families: Vec<u32>,
    /// Per row, the counter series that reset since the previous row.
    pub resets: Vec<u32>,
    /// Per row, the restart and flip bits as the buffer stores them.
    pub flags: Vec<u8>,
    /// Per column, a value per row (`NaN` where absent).
    pub columns: Vec<Vec<f64>>,
    /// Deploys seen in the range: when, and the build.
    pub deploys: Vec<(i64, String)>,
}

impl Buffer {
    /// Every target's rows of the window `[from_ms, to_ms]` and of the
    /// `before_ms` before it, thinned to one per `step_ms` (a chart point):
    /// the first of each step counted from `from_ms`, and the last. So the
    /// first and last rows inside the window are kept, and figures over it
    /// (stitched counters: last minus first) are exact. What happened at
    /// a dropped row (its resets, a restart or a flip) is carried by the
    /// next kept row, so the copy still tells where counters restarted.
    pub fn rows(
        &self,
        (from_ms, to_ms): (i64, i64),
        before_ms: i64,
        step_ms: i64,
    ) -> Vec<TargetRows> {
        let step_ms = step_ms.max(1);
        self.stores
            .iter()
            .filter_map(|s| {
                let (lo, hi) = s.rows(from_ms - before_ms, to_ms);
                let cell = |i: usize| (s.times[i] - from_ms).div_euclid(step_ms);
                let kept: Vec<usize> = (lo..hi)
                    .filter(|&i| i == lo || i == hi - 1 || cell(i) != cell(i - 1))
                    .collect();
                (!kept.is_empty()).then(|| copy_rows(s, lo, &kept))
            })
            .collect()
    }

    /// A buffer holding exactly `targets`' rows, with `schema` as its
    /// slots in order of first sight. Every target comes back retired: a
    /// copy is a finished record, and a scrape pushed later under the same
    /// id starts a new target instead of stitching onto counters it never
    /// saw. Fails when the rows do not fit together (lengths differ, times
    /// do not increase, a column has no slot in `schema`).
    pub fn from_rows(schema: Vec<Slot>, targets: Vec<TargetRows>) -> Result<Buffer, &'static str> {
        let mut buffer = Buffer::default();
        for t in targets {
            let n = t.times.len();
            if n == 0
                || [t.families.len(), t.resets.len(), t.flags.len()] != [n; 3]
                || t.columns.len() != t.slots.len()
                || t.columns.iter().any(|c| c.len() != n)
            {
                return Err("a target's rows do not line up");
            }
            if t.times.windows(2).any(|w| w[0] >= w[1]) {
                return Err("a target's row times do not increase");
            }
            if t.slots.iter().any(|s| !schema.contains(s)) {
                return Err("a target has a slot the schema lacks");
            }
            let mut store = Store::new(&t.id);
            store.retired = true;
            store.extractor = Extractor::with_schema(t.slots);
            if store.extractor.schema().len() != t.columns.len() {
                return Err("a target names a slot twice");
            }
            store.times = t.times.into();
            store.families = t.families.into_iter().map(FamilySet).collect();
            store.resets = t.resets.into();
            store.flags = t.flags.into();
            store.columns = t.columns.into_iter().map(Into::into).collect();
            store.deploys = t.deploys.into_iter().map(|(t, b)| (t, b.into())).collect();
            buffer.columns_added += store.columns.len();
            buffer.added += 1;
            buffer.stores.push(store);
        }
        buffer.schema = schema;
        Ok(buffer)
    }
}

/// The rows `kept` (indices into `s`, increasing, the first at or after
/// `lo`) of one store; a dropped row's resets and flags go to the next
/// kept row.
fn copy_rows(s: &Store, lo: usize, kept: &[usize]) -> TargetRows {
    let mut resets = Vec::with_capacity(kept.len());
    let mut flags = Vec::with_capacity(kept.len());
    let mut from = lo;
    for &i in kept {
        resets.push(s.resets.range(from..=i).sum());
        flags.push(s.flags.range(from..=i).fold(0, |a, f| a | f));
        from = i + 1;
    }
    let (first, last) = (s.times[kept[0]], s.times[kept[kept.len() - 1]]);
    TargetRows {
        id: s.id.to_string(),
        slots: s.extractor.schema().to_vec(),
        times: kept.iter().map(|&i| s.times[i]).collect(),
        families: kept.iter().map(|&i| s.families[i].0).collect(),
        resets,
        flags,
        columns: s
            .columns
            .iter()
            .map(|c| kept.iter().map(|&i| c[i]).collect())
            .collect(),
        deploys: s
            .deploys
            .iter()
            .filter(|(t, _)| (first..=last).contains(t))
            .map(|(t, b)| (*t, b.to_string()))
            .collect(),
    }
}
