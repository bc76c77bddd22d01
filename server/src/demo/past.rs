//! The demo's past: every simulated pod remembers its last day, so
//! `/history` can answer from it as a real Prometheus would, and the
//! dashboard opens on a day of charts instead of an empty one.
//!
//! History and live must be one process seen at two times: a [`Pod`]
//! advances its [`Simulator`] through every 15 s boundary (the scrape
//! interval a Prometheus would use) and records there exactly what its
//! `/metrics` would have said at that instant, so where a backfill ends
//! and live polling begins nothing jumps, and a restart in the past shows
//! as `process_start_time_seconds` changing, as it does live. The same
//! path serves live scrapes, so the past keeps growing while the demo
//! runs, and what is older than [`PAST_MS`] is forgotten.
//!
//! `serve` simulates every pod's day after checking its configuration and
//! before serving (connections to the bound port wait meanwhile), so no
//! scrape waits out the relay's upstream timeout behind it.
//!
//! The store keeps, per raw series (the names the Prometheus query
//! selects, [`RAW_SERIES`]), only the samples where its value changed,
//! as exact `f64`s: a value rounded up would read as a counter reset
//! where the past meets live. A series that disappears (a restart drops
//! every series) records one NaN, read as "no sample", as Prometheus's
//! staleness marker is.

use std::collections::HashMap;

use super::{Simulator, registry::Registry};
use crate::{
    history::{SeriesHistory, Span, ceil_to, labels_text},
    prometheus::RAW_SERIES,
};

/// How much past a pod keeps: the demo's retention.
pub(crate) const PAST_MS: i64 = 24 * 3_600_000;

/// Between two recorded samples: the scrape interval of a Prometheus, and
/// the bottom of `/history`'s ladder of steps.
const SAMPLE_MS: i64 = 15_000;

/// How often, in samples, what is older than [`PAST_MS`] is forgotten.
const FORGET_EVERY: u32 = 240;

/// One simulated pod and its recorded past.
#[derive(Debug)]
pub(super) struct Pod {
    sim: Simulator,
    recording: Recording,
}

impl Pod {
    /// `sim`, recorded from its first sample time on (the first multiple
    /// of [`SAMPLE_MS`] not before its clock).
    pub(super) fn new(sim: Simulator) -> Self {
        let first_ms = ceil_to(sim.clock_ms(), SAMPLE_MS);
        Pod {
            sim,
            recording: Recording {
                first_ms,
                len: 0,
                tracks: Vec::new(),
                index: HashMap::new(),
            },
        }
    }

    /// Runs the simulation up to `now_ms`, recording every sample time on
    /// the way. A backlog longer than [`PAST_MS`] (a sleeping laptop) is
    /// skipped, as [`Simulator::advance_to`] skips long jumps, and leaves a
    /// gap of no samples.
    pub(super) fn advance_to(&mut self, now_ms: i64) {
        let oldest = ceil_to(now_ms - PAST_MS, SAMPLE_MS);
        if self.recording.next_ms() < oldest {
            self.sim.advance_to(oldest);
            self.recording.skip_to(oldest);
        }
        while self.recording.next_ms() <= now_ms {
            self.sim.advance_to(self.recording.next_ms());
            self.recording.record(&self.sim);
            if self.recording.len.is_multiple_of(FORGET_EVERY) {
                self.recording.forget_before(oldest);
            }
        }
        self.sim.advance_to(now_ms);
    }

    /// The simulated process, as its `/metrics` renders it.
    pub(super) fn sim(&self) -> &Simulator {
        &self.sim
    }

    /// Every recorded series with a sample at some time of `span`, its
    /// value at each: the sample at that time (every time of `span` is a
    /// sample time), `None` where the pod had none.
    pub(super) fn past(&self, span: Span) -> Vec<SeriesHistory> {
        self.recording
            .tracks
            .iter()
            .filter_map(|track| {
                let values: Vec<Option<f64>> = span
                    .times()
                    .map(|t| self.recording.sample_at(t).and_then(|i| track.at(i)))
                    .collect();
                values.iter().any(Option::is_some).then(|| SeriesHistory {
                    name: track.name.clone(),
                    labels: track.labels.clone(),
                    values,
                })
            })
            .collect()
    }

    /// Bytes the recorded past holds (its changes and its index), roughly.
    #[cfg(test)]
    fn footprint(&self) -> usize {
        let tracks: usize = self.recording.tracks.iter().map(Track::footprint).sum();
        let index: usize = self.recording.index.values().map(HashMap::len).sum();
        tracks + index * 64
    }
}

/// A pod's raw series, sampled every [`SAMPLE_MS`]: sample `i` is at
/// `first_ms + i * SAMPLE_MS`.
#[derive(Debug)]
struct Recording {
    /// Unix ms of sample 0, a multiple of [`SAMPLE_MS`].
    first_ms: i64,
    /// Samples recorded so far.
    len: u32,
    /// Every raw series ever seen.
    tracks: Vec<Track>,
    /// By family and series key, the track of each of the series' samples
    /// in exposition order (`None`: not a raw series).
    index: HashMap<&'static str, HashMap<Vec<&'static str>, Vec<Option<usize>>>>,
}

impl Recording {
    /// When the next sample is due.
    fn next_ms(&self) -> i64 {
        self.first_ms + i64::from(self.len) * SAMPLE_MS
    }

    /// The index of sample time `ms`, if it has been recorded.
    fn sample_at(&self, ms: i64) -> Option<u32> {
        let i = (ms - self.first_ms).div_euclid(SAMPLE_MS);
        (ms.rem_euclid(SAMPLE_MS) == 0 && (0..i64::from(self.len)).contains(&i)).then_some(i as u32)
    }

    /// Records `sim` now as the next sample: what its `/metrics` says.
    fn record(&mut self, sim: &Simulator) {
        let Recording {
            len: at,
            tracks,
            index,
            ..
        } = self;
        let at = *at;
        let registry: &Registry = &sim.world.process.metrics;
        let mut labels = Vec::with_capacity(8);
        for family in registry.families.values() {
            let known = index.entry(family.spec.name).or_default();
            for (key, series) in &family.series {
                let ids = known.entry(key.clone()).or_insert_with(|| {
                    let mut ids = Vec::new();
                    family.samples(&sim.variant, key, series, &mut labels, |name, labels, _| {
                        ids.push(RAW_SERIES.contains(&name).then(|| {
                            tracks.push(Track::new(name, labels));
                            tracks.len() - 1
                        }));
                    });
                    ids
                });
                let mut ids = ids.iter();
                family.samples(&sim.variant, key, series, &mut labels, |_, _, value| {
                    if let Some(&Some(id)) = ids.next() {
                        tracks[id].set(at, value);
                    }
                });
            }
        }
        for track in tracks.iter_mut().filter(|t| t.seen != Some(at)) {
            track.set(at, f64::NAN);
        }
        self.len += 1;
    }

    /// Leaves no sample from the next one up to `ms` (a multiple of
    /// [`SAMPLE_MS`] after it), which is recorded next.
    fn skip_to(&mut self, ms: i64) {
        let gap = self.len;
        for track in &mut self.tracks {
            track.set(gap, f64::NAN);
        }
        self.len = ((ms - self.first_ms) / SAMPLE_MS) as u32;
    }

    /// Forgets every change older than the one in force at `ms`.
    fn forget_before(&mut self, ms: i64) {
        let Some(cutoff) = self.sample_at(ms) else {
            return;
        };
        for track in &mut self.tracks {
            let in_force = track.at.partition_point(|&i| i <= cutoff);
            if in_force > 1 {
                track.at.drain(..in_force - 1);
                track.values.drain(..in_force - 1);
            }
        }
    }
}

/// One raw series of a pod over time: its value from each change on.
#[derive(Debug)]
struct Track {
    name: String,
    /// As an answer writes them: [`labels_text`].
    labels: String,
    /// Sample indexes where the value changed, in order (kept apart from
    /// the values: 12 bytes a change instead of a padded 16).
    at: Vec<u32>,
    /// The value from the same change on (NaN: no sample).
    values: Vec<f64>,
    /// The last sample it was present in.
    seen: Option<u32>,
}

impl Track {
    /// A series with no value yet.
    fn new(name: &str, labels: &[(&str, &str)]) -> Self {
        Track {
            name: name.to_owned(),
            labels: labels_text(labels.iter().copied()),
            at: Vec::new(),
            values: Vec::new(),
            seen: None,
        }
    }

    /// Sets its value at sample `at` (NaN: absent), kept only if it differs
    /// from the one in force.
    fn set(&mut self, at: u32, value: f64) {
        if !value.is_nan() {
            self.seen = Some(at);
        }
        let last = self.values.last();
        let same =
            last.is_some_and(|v| v.to_bits() == value.to_bits() || v.is_nan() && value.is_nan());
        if !same && (last.is_some() || !value.is_nan()) {
            self.at.push(at);
            self.values.push(value);
        }
    }

    /// Its value at sample `i`: the last change at or before it.
    fn at(&self, i: u32) -> Option<f64> {
        let after = self.at.partition_point(|&at| at <= i);
        let value = *self.values.get(after.checked_sub(1)?)?;
        Some(value).filter(|v| v.is_finite())
    }

    /// Bytes it holds, roughly.
    #[cfg(test)]
    fn footprint(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.name.len()
            + self.labels.len()
            + self.at.capacity() * 4
            + self.values.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use zai_dash_engine::parse::parse;

    use super::*;
    use crate::demo::Profile;

    /// 2026-09-12T00:00:00Z, a multiple of [`SAMPLE_MS`].
    const START_MS: i64 = 1_789_171_200_000;
    const HOUR_MS: i64 = 3_600_000;

    fn canary(start_ms: i64) -> Simulator {
        let often = Profile {
            mean_restart_interval_s: Some(600.0),
            ..Profile::canary()
        };
        Simulator::new("canary", often, 7, start_ms)
    }

    /// The raw series of `text` as an answer names them, with their values.
    fn raw_samples(text: &str) -> Vec<((String, String), f64)> {
        parse(text)
            .samples
            .iter()
            .filter(|s| RAW_SERIES.contains(&s.name))
            .map(|s| {
                let labels: Vec<(&str, String)> =
                    s.labels.iter().map(|(n, v)| (n, v.into_owned())).collect();
                let labels = labels_text(labels.iter().map(|(n, v)| (*n, v.as_str())));
                ((s.name.to_owned(), labels), s.value)
            })
            .collect()
    }

    /// The value of every series of `past` at index `i`, by name and labels.
    fn at(past: &[SeriesHistory], i: usize) -> HashMap<(String, String), f64> {
        past.iter()
            .filter_map(|s| Some(((s.name.clone(), s.labels.clone()), s.values[i]?)))
            .collect()
    }

    #[test]
    fn each_sample_is_what_the_pods_metrics_said_at_that_time_restarts_included() {
        let mut pod = Pod::new(canary(START_MS));
        pod.advance_to(START_MS + 2 * HOUR_MS + 7_000);
        let span = Span {
            from: START_MS,
            to: START_MS + 2 * HOUR_MS,
            step: SAMPLE_MS,
        };
        let past = pod.past(span);
        let mut live = canary(START_MS);
        let mut starts = Vec::new();
        for (i, t) in span.times().enumerate() {
            live.advance_to(t);
            let scraped: HashMap<_, _> = raw_samples(&live.render()).into_iter().collect();
            assert_eq!(at(&past, i), scraped, "at sample {i}");
            starts.push(scraped[&("process_start_time_seconds".to_owned(), String::new())]);
        }
        starts.dedup();
        assert_eq!(starts.len() as u32, live.restarts() + 1, "{starts:?}");
        assert!(live.restarts() >= 3, "restarts are in the past");
        assert_eq!(pod.sim().render(), {
            live.advance_to(START_MS + 2 * HOUR_MS + 7_000);
            live.render()
        });
    }

    #[test]
    fn there_is_no_sample_before_the_pod_started_or_after_now() {
        let mut pod = Pod::new(canary(START_MS + 60_001));
        pod.advance_to(START_MS + 10 * 60_000);
        let past = pod.past(Span {
            from: START_MS,
            to: START_MS + 20 * 60_000,
            step: 60_000,
        });
        let start = past
            .iter()
            .find(|s| s.name == "process_start_time_seconds")
            .unwrap();
        assert_eq!(&start.values[..3], [None, None, Some(1_789_171_260.001)]);
        assert!(start.values[10].is_some() && start.values[11].is_none());
    }

    #[test]
    fn a_day_of_past_forgets_what_is_older_and_costs_a_few_megabytes() {
        let mut pod = Pod::new(canary(START_MS));
        pod.advance_to(START_MS + 30 * HOUR_MS);
        let past = pod.past(Span {
            from: START_MS,
            to: START_MS + 30 * HOUR_MS,
            step: HOUR_MS,
        });
        let start = past
            .iter()
            .find(|s| s.name == "process_start_time_seconds")
            .unwrap();
        assert!(start.values[..6].iter().all(Option::is_none));
        assert!(start.values[6..].iter().all(Option::is_some));
        let bytes = pod.footprint();
        let changes: usize = pod.recording.tracks.iter().map(|t| t.at.len()).sum();
        eprintln!(
            "a day of a canary pod's past: {bytes} bytes, {} series, {changes} changes",
            pod.recording.tracks.len()
        );
        assert!(bytes < 8 << 20, "{bytes} bytes");
    }
}
