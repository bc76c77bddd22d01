//! From one parsed scrape to a compact [`Record`]: the zai-proxy series the
//! panels need, each aggregated over the labels no panel splits by.
//!
//! Counters are aggregated the way PromQL wants them, per series first and
//! summed afterwards: every raw series is compared with its own previous
//! value, a drop is a counter reset (the new value is the increase, as if
//! the counter restarted from zero), and a series seen for the first time
//! contributes its whole value (it was created since the last scrape). The
//! per-series increases are added to a running *stitched* total per slot,
//! which therefore never decreases and can be windowed by subtraction.
//! Gauges are summed over their series as the original dashboard did.
//!
//! Families the exporter does not send leave their slots absent (`NaN`) and
//! their bit in [`FamilySet`] clear: missing is never zero.

use std::collections::HashMap;

use crate::parse::{MetricType, Sample, Scrape};

/// A token direction, as in `zai_proxy_tokens_total{direction}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    /// Uncached prompt tokens.
    Input,
    /// Generated tokens.
    Output,
    /// Prompt tokens served from the provider's prompt cache.
    CacheRead,
    /// Prompt tokens written to the prompt cache.
    CacheWrite,
}

impl Direction {
    /// All directions, in display order.
    pub const ALL: [Direction; 4] = [
        Direction::Input,
        Direction::Output,
        Direction::CacheRead,
        Direction::CacheWrite,
    ];

    /// The label value the proxy uses.
    pub fn label(self) -> &'static str {
        match self {
            Direction::Input => "input",
            Direction::Output => "output",
            Direction::CacheRead => "cache_read",
            Direction::CacheWrite => "cache_write",
        }
    }

    fn from_label(s: &str) -> Option<Self> {
        Direction::ALL.into_iter().find(|d| d.label() == s)
    }
}

/// A quota window, as in `zai_proxy_quota_usage_ratio{window}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum QuotaWindow {
    /// The provider's rolling five-hour window.
    FiveHour,
    /// The provider's weekly window.
    Weekly,
}

impl QuotaWindow {
    /// Both windows, in display order.
    pub const ALL: [QuotaWindow; 2] = [QuotaWindow::FiveHour, QuotaWindow::Weekly];

    /// The label value the proxy uses.
    pub fn label(self) -> &'static str {
        match self {
            QuotaWindow::FiveHour => "five_hour",
            QuotaWindow::Weekly => "weekly",
        }
    }
}

/// One of the proxy's three histograms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Histogram {
    /// `zai_proxy_request_duration_seconds`.
    Duration,
    /// `zai_proxy_request_size_bytes`.
    RequestSize,
    /// `zai_proxy_response_size_bytes`.
    ResponseSize,
}

/// A part of a classic histogram.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HistPart {
    /// The cumulative bucket with this upper bound (`f64::to_bits` of `le`,
    /// so that the slot can be hashed).
    Bucket(u64),
    /// `_sum`.
    Sum,
    /// `_count`.
    Count,
}

/// What one column of the buffer measures. Counter slots hold stitched
/// totals; gauge slots hold the sum of the gauge's series.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Slot {
    /// `zai_proxy_requests_total` for one `status_code`.
    Requests(Box<str>),
    /// A part of one histogram, summed over all its series.
    Hist(Histogram, HistPart),
    /// `zai_proxy_tokens_total` for one direction and `model` (empty when
    /// the series has none), summed over pricing tiers. A variant's tokens
    /// of a direction are the sum over models ([`Slot::is_tokens`]), so one
    /// model costs one column per direction, as before models were kept.
    Tokens(Direction, Box<str>),
    /// `zai_proxy_estimated_cost_usd_total` for one direction and model, in
    /// USD, summed over pricing tiers (see [`Slot::is_cost`]).
    Cost(Direction, Box<str>),
    /// `zai_proxy_upstream_errors_total` for one `error_type`.
    UpstreamErrors(Box<str>),
    /// `zai_proxy_retry_attempts_total` for one `reason`; actual retries
    /// are `reason="retry"` alone (every retry also counts its cause).
    Retries(Box<str>),
    /// `zai_proxy_rate_limit_adjustments_total` for one `direction`.
    Adjustments(Box<str>),
    /// `zai_proxy_rate_limit_rejections_total`, all clients.
    Rejections,
    /// Gauge `zai_proxy_concurrent_requests`.
    Concurrent,
    /// Gauge `zai_proxy_max_workers`.
    MaxWorkers,
    /// Gauge `zai_proxy_worker_utilization_ratio`.
    Utilization,
    /// Gauge `zai_proxy_rate_limit_requests_per_second`.
    RateLimit,
    /// Gauge `zai_proxy_quota_usage_ratio` of the preferred limit type.
    QuotaUsage(QuotaWindow),
    /// Gauge `zai_proxy_quota_remaining_ratio` of the preferred limit type.
    QuotaRemaining(QuotaWindow),
    /// Gauge `zai_proxy_quota_reset_time_seconds` (Unix seconds).
    QuotaReset(QuotaWindow),
    /// Gauge `zai_proxy_quota_sample_age_seconds` (max over series).
    QuotaSampleAge,
}

impl Slot {
    /// Whether the slot counts tokens of direction `d`, of any model: what
    /// a window sums for a variant's tokens of that direction.
    pub fn is_tokens(&self, d: Direction) -> bool {
        matches!(self, Slot::Tokens(x, _) if *x == d)
    }

    /// Whether the slot is the estimated USD of direction `d`, of any model.
    pub fn is_cost(&self, d: Direction) -> bool {
        matches!(self, Slot::Cost(x, _) if *x == d)
    }

    /// Whether the slot is a stitched counter (else a gauge).
    pub fn is_counter(&self) -> bool {
        !matches!(
            self,
            Slot::Concurrent
                | Slot::MaxWorkers
                | Slot::Utilization
                | Slot::RateLimit
                | Slot::QuotaUsage(_)
                | Slot::QuotaRemaining(_)
                | Slot::QuotaReset(_)
                | Slot::QuotaSampleAge
        )
    }
}

/// A zai-proxy metric family the panels use; its bit in a [`FamilySet`]
/// says whether the exporter sent it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Family {
    /// `zai_proxy_requests_total`.
    Requests,
    /// `zai_proxy_request_duration_seconds`.
    Duration,
    /// `zai_proxy_request_size_bytes`.
    RequestSize,
    /// `zai_proxy_response_size_bytes`.
    ResponseSize,
    /// `zai_proxy_tokens_total`.
    Tokens,
    /// `zai_proxy_estimated_cost_usd_total`.
    Cost,
    /// `zai_proxy_upstream_errors_total`.
    UpstreamErrors,
    /// `zai_proxy_retry_attempts_total`.
    Retries,
    /// `zai_proxy_rate_limit_adjustments_total`.
    Adjustments,
    /// `zai_proxy_rate_limit_rejections_total`.
    Rejections,
    /// `zai_proxy_concurrent_requests`.
    Concurrent,
    /// `zai_proxy_max_workers`.
    MaxWorkers,
    /// `zai_proxy_worker_utilization_ratio`.
    Utilization,
    /// `zai_proxy_rate_limit_requests_per_second`.
    RateLimit,
    /// Any of the quota gauges.
    Quota,
}

impl Family {
    /// The family a slot belongs to.
    pub fn of(slot: &Slot) -> Family {
        match slot {
            Slot::Requests(_) => Family::Requests,
            Slot::Hist(Histogram::Duration, _) => Family::Duration,
            Slot::Hist(Histogram::RequestSize, _) => Family::RequestSize,
            Slot::Hist(Histogram::ResponseSize, _) => Family::ResponseSize,
            Slot::Tokens(..) => Family::Tokens,
            Slot::Cost(..) => Family::Cost,
            Slot::UpstreamErrors(_) => Family::UpstreamErrors,
            Slot::Retries(_) => Family::Retries,
            Slot::Adjustments(_) => Family::Adjustments,
            Slot::Rejections => Family::Rejections,
            Slot::Concurrent => Family::Concurrent,
            Slot::MaxWorkers => Family::MaxWorkers,
            Slot::Utilization => Family::Utilization,
            Slot::RateLimit => Family::RateLimit,
            Slot::QuotaUsage(_)
            | Slot::QuotaRemaining(_)
            | Slot::QuotaReset(_)
            | Slot::QuotaSampleAge => Family::Quota,
        }
    }
}

/// The set of [`Family`]s present in a scrape, one bit each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FamilySet(pub u32);

impl FamilySet {
    /// Marks `family` present.
    pub fn insert(&mut self, family: Family) {
        self.0 |= 1 << family as u8;
    }

    /// Whether `family` is present.
    pub fn contains(self, family: Family) -> bool {
        self.0 & (1 << family as u8) != 0
    }
}

/// One scrape, reduced: a value per slot of the extractor's schema (slots
/// added by later scrapes are absent here), the families present, the
/// number of per-series counter resets seen since the previous scrape, and
/// what happened to the process behind it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Record {
    /// Value per slot index; `NaN` where the slot had no series.
    pub values: Vec<f64>,
    /// Families the scrape contained.
    pub families: FamilySet,
    /// Counter series that restarted since the previous scrape.
    pub resets: u32,
    /// Whether the process restarted since the previous scrape (its
    /// `process_start_time_seconds` changed).
    pub restart: bool,
    /// Whether this scrape came from another process than the previous one
    /// but not from a new one: a start time seen before came back, so the
    /// URL is load-balanced across processes and its counters mean nothing.
    pub flip: bool,
    /// The `zai_proxy_build_info` version (and commit) this scrape reports,
    /// when it differs from the previous scrape's: a deploy.
    pub deploy: Option<Box<str>>,
}

/// Where a sample goes: its slot and the family it marks present.
struct Destination {
    slot: Slot,
    family: Family,
}

/// What the extractor remembers of one raw series (a sample line's name
/// and labels): where it goes, decided once when the series first
/// appears, and for a counter its last value.
#[derive(Clone)]
struct SeriesState {
    /// The column it feeds, or `None` for a series no panel uses.
    feed: Option<Feed>,
    /// Last value (counters only).
    value: f64,
    /// The scrape it was last seen in.
    seen: u64,
}

/// A column a raw series feeds.
#[derive(Clone, Copy)]
struct Feed {
    index: usize,
    family: Family,
    counter: bool,
}

/// A raw series unseen for this many scrapes is forgotten, so label churn
/// cannot grow the state without bound (an hour at 5 s).
const FORGET_AFTER: u64 = 720;

/// Start times remembered to tell a load-balanced URL (a start time comes
/// back) from a restart (always a new one).
const STARTS_REMEMBERED: usize = 8;

/// Turns successive scrapes of one target (one process at a time) into
/// [`Record`]s, keeping the previous value of every raw counter series for
/// reset detection.
///
/// A restart is known exactly when the exporter sends
/// `process_start_time_seconds` (client_golang's default registry does):
/// a new start time is a restart even if every counter came back above its
/// old value, which PromQL's reset rule (a value lower than the previous
/// one) misses. Every series then starts again from zero, and one that the
/// new process re-creates only later (client_golang creates a labelled
/// series at its first use) is new then, not a reset where it reappears.
/// Without a start time, a drop is a reset, as in PromQL.
#[derive(Clone, Default)]
pub struct Extractor {
    schema: Vec<Slot>,
    index: HashMap<Slot, usize>,
    stitched: Vec<f64>,
    /// Per slot: fed by a series of the current scrape. At a restart, a
    /// counter slot no series fed is unknown (what it counted between the
    /// previous scrape and the restart is lost), not unchanged; after it,
    /// an absent series has counted nothing since the restart.
    fed: Vec<bool>,
    series: HashMap<String, SeriesState>,
    generation: u64,
    key: String,
    /// The current process's start time, and earlier ones (newest last).
    starts: Vec<f64>,
    /// The build (version, commit) the current process reports.
    build: Option<(Box<str>, Box<str>)>,
}

impl Extractor {
    /// A fresh extractor: no slots, no series history.
    pub fn new() -> Self {
        Self::default()
    }

    /// An extractor that knows `schema` (duplicates once) and no series:
    /// the column layout of rows copied in whole (`Buffer::from_rows`).
    pub(crate) fn with_schema(schema: Vec<Slot>) -> Self {
        let mut extractor = Extractor::new();
        for slot in schema {
            extractor.slot(slot);
        }
        extractor
    }

    /// The slots known so far, in column order.
    pub fn schema(&self) -> &[Slot] {
        &self.schema
    }

    /// The column index of `slot`, if it has been seen.
    pub fn slot_index(&self, slot: &Slot) -> Option<usize> {
        self.index.get(slot).copied()
    }

    /// Reduces one scrape to a record, advancing the stitched totals.
    pub fn push(&mut self, scrape: &Scrape<'_>) -> Record {
        self.generation += 1;
        let (restart, flip) = self.process_change(scrape);
        let mut resets = 0;
        if restart {
            // Every counter series of the old process ended: each is a
            // reset, once, here; the new process's series count from zero.
            resets = self
                .series
                .values()
                .filter(|s| s.feed.is_some_and(|f| f.counter))
                .count() as u32;
            self.series.clear();
        }
        self.fed.iter_mut().for_each(|f| *f = false);
        let deploy = if flip {
            None
        } else {
            self.build_change(scrape)
        };
        let mut families = FamilySet::default();
        let mut gauges: Vec<(usize, f64)> = Vec::new();
        let mut quota = QuotaPick::default();
        for sample in &scrape.samples {
            // NaN is how an exporter says "no value"; an infinite counter
            // or gauge cannot be windowed. Both stay absent.
            if !sample.value.is_finite() {
                continue;
            }
            if let Some(q) = quota_sample(sample) {
                families.insert(Family::Quota);
                quota.add(q);
                continue;
            }
            let Some((feed, increase)) = self.observe(sample) else {
                continue;
            };
            families.insert(feed.family);
            self.fed[feed.index] = true;
            match increase {
                // Across a flip the "increase" is between two processes.
                Some(_) if flip => {}
                Some((increase, reset)) => {
                    resets += u32::from(reset);
                    self.stitched[feed.index] += increase;
                }
                None => gauges.push((feed.index, sample.value)),
            }
        }
        for (slot, value) in quota.slots() {
            let idx = self.slot(slot);
            gauges.push((idx, value));
        }
        self.forget_old_series();

        let mut values: Vec<f64> = self
            .schema
            .iter()
            .zip(self.stitched.iter().zip(&self.fed))
            .map(|(slot, (&total, &fed))| {
                if slot.is_counter() && (fed || !restart) && families.contains(Family::of(slot)) {
                    total
                } else {
                    f64::NAN
                }
            })
            .collect();
        for (idx, value) in gauges {
            let v = &mut values[idx];
            *v = if v.is_nan() { value } else { *v + value };
        }
        Record {
            values,
            families,
            resets,
            restart,
            flip,
            deploy,
        }
    }

    /// Whether the process behind `scrape` restarted, or is another one
    /// seen before (a flip), judged by `process_start_time_seconds`.
    fn process_change(&mut self, scrape: &Scrape<'_>) -> (bool, bool) {
        let Some(start) = scrape
            .samples
            .iter()
            .find(|s| s.name == "process_start_time_seconds" && s.value.is_finite())
            .map(|s| s.value)
        else {
            return (false, false);
        };
        let Some(&current) = self.starts.last() else {
            self.starts.push(start);
            return (false, false);
        };
        if start == current {
            return (false, false);
        }
        let seen_before = self.starts.contains(&start);
        self.starts.retain(|&s| s != start);
        self.starts.push(start);
        if self.starts.len() > STARTS_REMEMBERED {
            self.starts.remove(0);
        }
        (!seen_before, seen_before)
    }

    /// The build `scrape` reports, as "version (commit)", if it differs
    /// from the previous one's (compared in place: this runs on every
    /// scrape, and a build changes at a deploy).
    fn build_change(&mut self, scrape: &Scrape<'_>) -> Option<Box<str>> {
        let info = scrape
            .samples
            .iter()
            .find(|s| s.name == "zai_proxy_build_info")?;
        let version = info.labels.get("version").unwrap_or_default();
        let commit = info.labels.get("commit").unwrap_or_default();
        if let Some((v, c)) = &self.build
            && **v == *version
            && **c == *commit
        {
            return None;
        }
        let first = self
            .build
            .replace((version.as_ref().into(), commit.as_ref().into()))
            .is_none();
        if first {
            return None;
        }
        Some(if commit.is_empty() {
            version.as_ref().into()
        } else {
            format!("{version} ({commit})").into()
        })
    }

    fn slot(&mut self, slot: Slot) -> usize {
        if let Some(&i) = self.index.get(&slot) {
            return i;
        }
        let i = self.schema.len();
        self.index.insert(slot.clone(), i);
        self.schema.push(slot);
        self.stitched.push(0.0);
        self.fed.push(false);
        i
    }

    /// Where `sample` goes (classified the first time its series is seen:
    /// label lookups and slot keys are not redone every scrape) and, for a
    /// counter, its increase since the previous scrape and whether it
    /// reset. A new series counts from 0.
    fn observe(&mut self, sample: &Sample<'_>) -> Option<(Feed, Option<(f64, bool)>)> {
        self.key.clear();
        self.key.push_str(sample.name);
        self.key.push('{');
        self.key.push_str(sample.labels.raw());
        // The type decides how histogram parts are read: part of the key.
        self.key.push('}');
        self.key.push_str(sample.kind.as_str());
        let generation = self.generation;
        let value = sample.value;
        if let Some(state) = self.series.get_mut(self.key.as_str()) {
            state.seen = generation;
            let feed = state.feed?;
            if !feed.counter {
                return Some((feed, None));
            }
            let prev = std::mem::replace(&mut state.value, value);
            let step = if value >= prev {
                (value - prev, false)
            } else {
                (value, true)
            };
            return Some((feed, Some(step)));
        }
        let feed = classify(sample).map(|to| Feed {
            counter: to.slot.is_counter(),
            index: self.slot(to.slot),
            family: to.family,
        });
        self.series.insert(
            self.key.clone(),
            SeriesState {
                feed,
                value,
                seen: generation,
            },
        );
        let feed = feed?;
        Some((feed, feed.counter.then_some((value, false))))
    }

    fn forget_old_series(&mut self) {
        if self.generation.is_multiple_of(FORGET_AFTER) {
            let horizon = self.generation.saturating_sub(FORGET_AFTER);
            self.series.retain(|_, s| s.seen > horizon);
        }
    }
}

/// The slot a sample feeds, or `None` for families no panel uses.
fn classify(sample: &Sample<'_>) -> Option<Destination> {
    let name = sample.name.strip_prefix("zai_proxy_")?;
    let label = |key: &str| sample.labels.get(key).map(|v| Box::<str>::from(&*v));
    let (slot, family) = match name {
        "requests_total" => (Slot::Requests(label("status_code")?), Family::Requests),
        "tokens_total" => {
            let d = Direction::from_label(&sample.labels.get("direction")?)?;
            (
                Slot::Tokens(d, label("model").unwrap_or_default()),
                Family::Tokens,
            )
        }
        "estimated_cost_usd_total" => {
            let d = Direction::from_label(&sample.labels.get("direction")?)?;
            (
                Slot::Cost(d, label("model").unwrap_or_default()),
                Family::Cost,
            )
        }
        "upstream_errors_total" => (
            Slot::UpstreamErrors(label("error_type")?),
            Family::UpstreamErrors,
        ),
        "retry_attempts_total" => (Slot::Retries(label("reason")?), Family::Retries),
        "rate_limit_adjustments_total" => {
            (Slot::Adjustments(label("direction")?), Family::Adjustments)
        }
        "rate_limit_rejections_total" => (Slot::Rejections, Family::Rejections),
        "concurrent_requests" => (Slot::Concurrent, Family::Concurrent),
        "max_workers" => (Slot::MaxWorkers, Family::MaxWorkers),
        "worker_utilization_ratio" => (Slot::Utilization, Family::Utilization),
        "rate_limit_requests_per_second" => (Slot::RateLimit, Family::RateLimit),
        _ => return histogram_destination(name, sample),
    };
    Some(Destination { slot, family })
}

fn histogram_destination(name: &str, sample: &Sample<'_>) -> Option<Destination> {
    const HISTOGRAMS: [(&str, Histogram, Family); 3] = [
        (
            "request_duration_seconds",
            Histogram::Duration,
            Family::Duration,
        ),
        (
            "request_size_bytes",
            Histogram::RequestSize,
            Family::RequestSize,
        ),
        (
            "response_size_bytes",
            Histogram::ResponseSize,
            Family::ResponseSize,
        ),
    ];
    if sample.kind != MetricType::Histogram && sample.kind != MetricType::Untyped {
        return None;
    }
    HISTOGRAMS.iter().find_map(|&(base, hist, family)| {
        let suffix = name.strip_prefix(base)?;
        let part = match suffix {
            "_bucket" => HistPart::Bucket(parse_le(&sample.labels.get("le")?)?.to_bits()),
            "_sum" => HistPart::Sum,
            "_count" => HistPart::Count,
            _ => return None,
        };
        Some(Destination {
            slot: Slot::Hist(hist, part),
            family,
        })
    })
}

/// Parses a bucket bound, normalising `-0` so equal bounds hash equal.
fn parse_le(s: &str) -> Option<f64> {
    let v = match s.trim() {
        "+Inf" | "Inf" | "+inf" | "inf" => f64::INFINITY,
        other => other.parse::<f64>().ok()?,
    };
    (!v.is_nan()).then_some(if v == 0.0 { 0.0 } else { v })
}

/// One quota gauge sample.
struct QuotaSample {
    metric: QuotaMetric,
    window: Option<QuotaWindow>,
    limit_type: String,
    value: f64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum QuotaMetric {
    Usage,
    Remaining,
    Reset,
    SampleAge,
}

fn quota_sample(sample: &Sample<'_>) -> Option<QuotaSample> {
    let metric = match sample.name {
        "zai_proxy_quota_usage_ratio" => QuotaMetric::Usage,
        "zai_proxy_quota_remaining_ratio" => QuotaMetric::Remaining,
        "zai_proxy_quota_reset_time_seconds" => QuotaMetric::Reset,
        "zai_proxy_quota_sample_age_seconds" => QuotaMetric::SampleAge,
        _ => return None,
    };
    let window = sample
        .labels
        .get("window")
        .and_then(|w| QuotaWindow::ALL.into_iter().find(|q| q.label() == w));
    let limit_type = sample
        .labels
        .get("limit_type")
        .map(|l| l.to_ascii_lowercase())
        .unwrap_or_default();
    Some(QuotaSample {
        metric,
        window,
        limit_type,
        value: sample.value,
    })
}

/// Collects a scrape's quota gauges and picks, per window, one limit type:
/// `credit_limit`, else `tokens_limit`, else the smallest name. The proxy
/// lower-cases the label, so the comparison is case-insensitive (the
/// original dashboard compared upper-case names and never matched).
#[derive(Default)]
struct QuotaPick {
    samples: Vec<QuotaSample>,
    sample_age: Option<f64>,
}

impl QuotaPick {
    fn add(&mut self, q: QuotaSample) {
        if q.metric == QuotaMetric::SampleAge {
            self.sample_age = Some(self.sample_age.map_or(q.value, |a| a.max(q.value)));
        } else if q.window.is_some() {
            self.samples.push(q);
        }
    }

    fn preferred_limit(&self, window: QuotaWindow) -> Option<&str> {
        let types = self
            .samples
            .iter()
            .filter(|s| s.window == Some(window))
            .map(|s| s.limit_type.as_str());
        let rank = |t: &str| match t {
            "credit_limit" => 0,
            "tokens_limit" => 1,
            _ => 2,
        };
        types.min_by(|a, b| rank(a).cmp(&rank(b)).then(a.cmp(b)))
    }

    fn slots(&self) -> Vec<(Slot, f64)> {
        let mut out = Vec::new();
        for window in QuotaWindow::ALL {
            let Some(limit) = self.preferred_limit(window) else {
                continue;
            };
            for s in self
                .samples
                .iter()
                .filter(|s| s.window == Some(window) && s.limit_type == limit)
            {
                let slot = match s.metric {
                    QuotaMetric::Usage => Slot::QuotaUsage(window),
                    QuotaMetric::Remaining => Slot::QuotaRemaining(window),
                    QuotaMetric::Reset if s.value > 0.0 => Slot::QuotaReset(window),
                    QuotaMetric::Reset | QuotaMetric::SampleAge => continue,
                };
                out.push((slot, s.value));
            }
        }
        if let Some(age) = self.sample_age {
            out.push((Slot::QuotaSampleAge, age));
        }
        out
    }
}
