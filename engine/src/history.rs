//! History from a durable store (Prometheus, or the demo's own past),
//! filed into a [`Buffer`] as the same per-target raw samples the live
//! path stores, so every panel, total and percentile over it is computed
//! by the same code.
//!
//! The relay's `/history/{variant}` answers, per target, each series' raw
//! values at the query's step times; a row per step time becomes a scrape
//! of that target at that time. Nothing is parsed per row: each series'
//! name and labels are validated once, by the exposition parser.

use crate::{
    buffer::Buffer,
    parse::{self, Sample, Scrape},
};

/// One series of a target's history.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    /// The metric name, e.g. `zai_proxy_requests_total`.
    pub name: String,
    /// Its labels in exposition syntax, without braces (escaped as the
    /// text format escapes them), e.g. `status_code="200"`.
    pub labels: String,
    /// One value per step time; `None` where the store had none.
    pub values: Vec<Option<f64>>,
}

/// One target's history: the relay's id for it and its series.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TargetHistory {
    /// The same opaque id the live relay gives the target.
    pub id: String,
    /// Its series.
    pub series: Vec<Series>,
}

/// A variant's history over `[from_ms, from_ms + step_ms × (len − 1)]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    /// The first step time, Unix ms.
    pub from_ms: i64,
    /// Between step times, ms.
    pub step_ms: i64,
    /// Every target the store knows in the range.
    pub targets: Vec<TargetHistory>,
}

/// The steps the relay's `/history` accepts, ms (its fixed ladder).
pub const STEPS_MS: [i64; 6] = [15_000, 30_000, 60_000, 300_000, 900_000, 3_600_000];

/// The most step times the app asks for per series: several per chart
/// point (charts draw 200), far below Prometheus's 11,000.
pub const MAX_POINTS: i64 = 1_500;

/// What to ask `/history` for to cover `[from_ms, to_ms]`: `(from, to,
/// step)` with the finest step of the ladder that keeps to
/// [`MAX_POINTS`], both ends aligned to it (`from` down, `to` down, so
/// never past the data). `None` when the range holds no step time.
pub fn request(from_ms: i64, to_ms: i64) -> Option<(i64, i64, i64)> {
    let span = to_ms - from_ms;
    let step = STEPS_MS
        .into_iter()
        .find(|s| span / s <= MAX_POINTS)
        .unwrap_or(STEPS_MS[STEPS_MS.len() - 1]);
    let (from, to) = (
        from_ms.div_euclid(step) * step,
        to_ms.div_euclid(step) * step,
    );
    (from < to).then_some((from, to, step))
}

/// The last stretch of a range that history is asked for at the finest
/// step whatever the range: a window shrunk from a day back to the last
/// minutes then still has rows 15 s apart, not a day's 1 min.
pub const FINE_TAIL_MS: i64 = 3_600_000;

/// The requests that cover `[from_ms, to_ms]`, oldest first, filed one
/// after the other without overlap: [`request`]'s, and when its step is
/// coarser than the finest, the last [`FINE_TAIL_MS`] again at the finest
/// step, the coarse one then ending a step before it.
pub fn requests(from_ms: i64, to_ms: i64) -> Vec<(i64, i64, i64)> {
    let Some((from, to, step)) = request(from_ms, to_ms) else {
        return Vec::new();
    };
    let tail = request(from_ms.max(to_ms - FINE_TAIL_MS), to_ms);
    match tail {
        Some((tail_from, tail_to, tail_step)) if tail_step < step => {
            let coarse_to = (tail_from - 1).div_euclid(step) * step;
            let coarse = (from < coarse_to).then_some((from, coarse_to, step));
            coarse
                .into_iter()
                .chain([(tail_from, tail_to, tail_step)])
                .collect()
        }
        _ => vec![(from, to, step)],
    }
}

/// How long before a paused range's start would leave the buffer's
/// retention it is shown *archived*: an hour, so a range paused near the
/// retention's edge is not eaten by live rows while someone reads it.
pub const ARCHIVE_MARGIN_MS: i64 = 3_600_000;

/// What the buffers must hold to show a range, and whether live rows may
/// follow it.
///
/// The buffer keeps `retention` behind its newest row. Live polling adds
/// rows at now, so a range that starts more than that before now would be
/// evicted by the first poll after history filled it: such a range is
/// loaded on its own (its last `retention` at most) and polling pauses
/// while it shows. Any other range is loaded from its start up to now, so
/// live rows continue history without a hole and going live again needs
/// nothing new.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reach {
    /// Oldest time needed, Unix ms.
    pub from_ms: i64,
    /// Newest time needed, Unix ms: now unless archived.
    pub to_ms: i64,
    /// Whether live rows follow (else the range is archived).
    pub live: bool,
}

impl Reach {
    /// The reach of the range `[from_ms, to_ms]` at `now_ms`; `fixed` for
    /// a paused or linked range (a live window is never archived).
    pub fn of(from_ms: i64, to_ms: i64, fixed: bool, now_ms: i64, retention_ms: i64) -> Reach {
        if !fixed || from_ms >= now_ms - retention_ms + ARCHIVE_MARGIN_MS {
            Reach {
                from_ms,
                to_ms: now_ms,
                live: true,
            }
        } else {
            Reach {
                from_ms: from_ms.max(to_ms - retention_ms),
                to_ms,
                live: false,
            }
        }
    }

    /// Whether buffers filled for `self` (history up to `self.to_ms`, then
    /// live rows when `self.live`), at history step `step_ms`, can show
    /// what `wanted` needs.
    pub fn covers(&self, wanted: &Reach, step_ms: i64) -> bool {
        self.live == wanted.live
            && wanted.from_ms >= self.from_ms - step_ms
            && (self.live || wanted.to_ms <= self.to_ms + step_ms)
    }
}

impl History {
    /// Files every step time with at least one value as a row of its
    /// target, oldest first, and returns the rows added. History goes
    /// before live data: a row not older than a target's newest is
    /// refused, and that target's remaining history with it.
    ///
    /// # Example
    ///
    /// ```
    /// use zai_dash_engine::{buffer::Buffer, extract::Slot, history::*};
    ///
    /// let requests = |values: Vec<Option<f64>>| Series {
    ///     name: "zai_proxy_requests_total".into(),
    ///     labels: r#"status_code="200""#.into(),
    ///     values,
    /// };
    /// let history = History {
    ///     from_ms: 0,
    ///     step_ms: 15_000,
    ///     targets: vec![TargetHistory {
    ///         id: "pod-a".into(),
    ///         series: vec![requests(vec![Some(10.0), None, Some(40.0)])],
    ///     }],
    /// };
    /// let mut buffer = Buffer::default();
    /// assert_eq!(history.backfill(&mut buffer), 2);
    /// let w = buffer.window(0, 30_000);
    /// assert_eq!(w.total(&Slot::Requests("200".into())), Some(30.0));
    /// ```
    pub fn backfill(&self, buffer: &mut Buffer) -> usize {
        let mut rows = 0;
        for target in &self.targets {
            let lines: Vec<String> = target
                .series
                .iter()
                .map(|s| format!("{}{{{}}} 0\n", s.name, s.labels))
                .collect();
            // A series whose name or labels do not parse is left out.
            let templates: Vec<Option<Sample<'_>>> = lines
                .iter()
                .map(|line| parse::parse(line).samples.into_iter().next())
                .collect();
            let len = target
                .series
                .iter()
                .map(|s| s.values.len())
                .max()
                .unwrap_or(0);
            for k in 0..len {
                let samples: Vec<Sample<'_>> = templates
                    .iter()
                    .zip(&target.series)
                    .filter_map(|(template, s)| {
                        let value = (*s.values.get(k)?)?;
                        Some(Sample {
                            value,
                            ..(*template)?
                        })
                    })
                    .collect();
                if samples.is_empty() {
                    continue;
                }
                let scrape = Scrape {
                    samples,
                    ..Scrape::default()
                };
                let t_ms = self.from_ms + k as i64 * self.step_ms;
                if buffer.push_target(&target.id, t_ms, &scrape).is_err() {
                    break;
                }
                rows += 1;
            }
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{extract::Slot, snapshot::snapshot};

    fn series(name: &str, labels: &str, values: &[Option<f64>]) -> Series {
        Series {
            name: name.into(),
            labels: labels.into(),
            values: values.to_vec(),
        }
    }

    /// Two pods' history at 15 s, then live scrapes of one of them: the
    /// live rows continue the same store, so the increase across the
    /// junction is counted once.
    #[test]
    fn history_and_live_rows_of_a_pod_meet_without_counting_twice() {
        let ok = |v: &[Option<f64>]| series("zai_proxy_requests_total", r#"status_code="200""#, v);
        let start = |v: f64| series("process_start_time_seconds", "", &[Some(v); 3]);
        let history = History {
            from_ms: 0,
            step_ms: 15_000,
            targets: vec![
                TargetHistory {
                    id: "a".into(),
                    series: vec![start(1.0), ok(&[Some(100.0), Some(130.0), Some(160.0)])],
                },
                TargetHistory {
                    id: "b".into(),
                    series: vec![start(2.0), ok(&[None, Some(5.0), Some(9.0)])],
                },
            ],
        };
        let mut buffer = Buffer::default();
        // Pod b's first row has only its start time: still a row.
        assert_eq!(history.backfill(&mut buffer), 6);
        let live = parse::parse(
            "process_start_time_seconds 1\nzai_proxy_requests_total{status_code=\"200\"} 175\n",
        );
        buffer
            .push_target("a", 40_000, &live)
            .expect("after history");
        let w = buffer.window(0, 40_000);
        // Pod a: 100 → 175. Pod b was up at 0 s (its start time says so)
        // without the series, which appeared at 15 s with 5: created since,
        // so it counts from zero, 0 → 9.
        assert_eq!(w.total(&Slot::Requests("200".into())), Some(84.0));
        assert_eq!(snapshot("production", &w).resets, 0);
    }

    #[test]
    fn a_request_takes_the_finest_step_within_the_point_budget_aligned() {
        // 1 h at 15 s is 240 points.
        assert_eq!(
            request(1_000_007, 4_600_007),
            Some((990_000, 4_590_000, 15_000))
        );
        // 24 h: 15 s would be 5,760 points, 30 s 2,880, 1 min 1,440.
        let day = 86_400_000;
        assert_eq!(request(0, day), Some((0, day, 60_000)));
        // Less than a step: nothing to ask.
        assert_eq!(request(1_000, 9_000), None);
    }

    #[test]
    fn a_long_range_is_asked_coarse_and_its_last_hour_fine() {
        let (hour, day) = (3_600_000, 86_400_000);
        // An hour needs nothing coarser than 15 s: one request.
        assert_eq!(requests(0, hour), vec![(0, hour, 15_000)]);
        // A day and 7 s: the last hour is 82,807,000..86,407,000, aligned
        // down to 15 s: 82,800,000..86,400,000. The day at 1 min ends a
        // step before it: 82,799,999 aligned down to 1 min, 82,740,000.
        assert_eq!(
            requests(0, day + 7_000),
            vec![(0, 82_740_000, 60_000), (82_800_000, day, 15_000)]
        );
        // Never overlapping, in time order.
        let parts = requests(12_345, day + 54_321);
        assert_eq!(parts.len(), 2);
        assert!(parts[0].1 < parts[1].0, "{parts:?}");
    }

    #[test]
    fn a_range_the_retention_would_evict_is_archived_and_polling_pauses() {
        let (hour, day) = (3_600_000, 86_400_000);
        let now = 10 * day;
        // A live window, even a whole day, runs up to now with live rows.
        let live = Reach::of(now - day, now, false, now, day);
        assert_eq!(
            (live.from_ms, live.to_ms, live.live),
            (now - day, now, true)
        );
        // Paused an hour ago: history from its start up to now, no hole
        // before live rows.
        let recent = Reach::of(now - 2 * hour, now - hour, true, now, day);
        assert_eq!(
            (recent.from_ms, recent.to_ms, recent.live),
            (now - 2 * hour, now, true)
        );
        // Starting 23 h 30 min ago: within the hour's margin of eviction,
        // so archived: its own range only.
        let edge = Reach::of(now - day + hour / 2, now - 20 * hour, true, now, day);
        assert_eq!(
            (edge.from_ms, edge.to_ms, edge.live),
            (now - day + hour / 2, now - 20 * hour, false)
        );
        // Two days ago for two days: archived, its last day only.
        let long = Reach::of(now - 4 * day, now - 2 * day, true, now, day);
        assert_eq!(
            (long.from_ms, long.to_ms, long.live),
            (now - 3 * day, now - 2 * day, false)
        );
    }

    #[test]
    fn buffers_cover_a_range_inside_what_they_were_filled_for() {
        let (min, hour) = (60_000, 3_600_000);
        let live = |from| Reach {
            from_ms: from,
            to_ms: 0,
            live: true,
        };
        let archived = |from, to| Reach {
            from_ms: from,
            to_ms: to,
            live: false,
        };
        // Live buffers from 10:00 hold any live reach from 9:59 (a step
        // of slack), wherever "now" is.
        assert!(live(10 * hour).covers(&live(10 * hour - min), min));
        assert!(!live(10 * hour).covers(&live(9 * hour), min));
        // Archived buffers hold ranges inside theirs, and never a live one.
        let held = archived(hour, 2 * hour);
        assert!(held.covers(&archived(hour + min, 2 * hour), min));
        assert!(!held.covers(&archived(hour, 3 * hour), min));
        assert!(!held.covers(&live(hour), min));
        assert!(!live(hour).covers(&held, min));
    }

    #[test]
    fn a_series_that_does_not_parse_is_left_out_and_history_never_follows_live() {
        let history = History {
            from_ms: 0,
            step_ms: 15_000,
            targets: vec![TargetHistory {
                id: "a".into(),
                series: vec![
                    series("zai_proxy_max_workers", "", &[Some(8.0), Some(8.0)]),
                    series("bad name", "", &[Some(1.0), Some(1.0)]),
                ],
            }],
        };
        let mut buffer = Buffer::default();
        let live = parse::parse("zai_proxy_max_workers 8\n");
        buffer.push_target("a", 10_000, &live).expect("a live row");
        // Its rows are older than the live row: history is only ever filed
        // before live data, never between it.
        assert_eq!(history.backfill(&mut buffer), 0);
        let mut fresh = Buffer::default();
        assert_eq!(history.backfill(&mut fresh), 2);
        assert_eq!(fresh.schema(), [Slot::MaxWorkers]);
    }
}
