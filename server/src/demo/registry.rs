//! A small client_golang-like registry: every family of the table with its
//! series, created at first use as `WithLabelValues` does, and updated by
//! `Add`, `Set` and `Observe`.
//!
//! Families and series are kept sorted, so rendering (in `render`) walks
//! them in client_golang's order without sorting anything. The sample names
//! of each histogram and summary are formatted once, at registration, so a
//! render formats only values.

use std::collections::BTreeMap;

use zai_dash_engine::format::write_float;

use super::families::{FAMILIES, FamilySpec, Kind};

/// A client_golang-like registry: families by name (so they render sorted),
/// each with its series keyed by label values (so series render sorted).
/// Keys leave out `variant`, which is the same for every series of a
/// process, so the order is unchanged and lookups never allocate.
#[derive(Debug, Clone)]
pub(super) struct Registry {
    pub(super) families: BTreeMap<&'static str, FamilySeries>,
}

/// One registered family and its series.
#[derive(Debug, Clone)]
pub(super) struct FamilySeries {
    pub(super) spec: &'static FamilySpec,
    /// Sample names and the extra label of histogram and summary points.
    pub(super) layout: Option<DistLayout>,
    pub(super) series: BTreeMap<Vec<&'static str>, Series>,
}

/// How a histogram or summary's samples are written.
#[derive(Debug, Clone)]
pub(super) struct DistLayout {
    /// `name_bucket` for histograms, `name` for summaries.
    pub(super) point_name: String,
    /// `le` or `quantile`.
    pub(super) point_label: &'static str,
    /// Formatted bounds (with `+Inf`) or quantiles.
    pub(super) points: Vec<String>,
    pub(super) sum_name: String,
    pub(super) count_name: String,
}

/// One series: a counter or gauge value, or a distribution.
#[derive(Debug, Clone)]
pub(super) enum Series {
    Value(f64),
    Dist(Dist),
}

/// A histogram (cumulative bucket counts) or a summary (quantile values).
#[derive(Debug, Clone)]
pub(super) struct Dist {
    pub(super) points: Vec<f64>,
    pub(super) sum: f64,
    pub(super) count: f64,
}

impl Registry {
    /// Every family of the table, with no series yet.
    pub(super) fn new() -> Self {
        let families = FAMILIES
            .iter()
            .map(|&spec| {
                let family = FamilySeries {
                    spec,
                    layout: DistLayout::of(spec),
                    series: BTreeMap::new(),
                };
                (spec.name, family)
            })
            .collect();
        Self { families }
    }

    /// The series of `spec` with `key` (label values except `variant`),
    /// created at its first use, as `WithLabelValues` does.
    fn series_mut(&mut self, spec: &'static FamilySpec, key: &[&'static str]) -> &mut Series {
        let family = self
            .families
            .get_mut(spec.name)
            .expect("every family is registered");
        debug_assert_eq!(
            key.len(),
            spec.labels.iter().filter(|l| **l != "variant").count(),
            "label values of {}",
            spec.name
        );
        if !family.series.contains_key(key) {
            let fresh = match family.layout {
                Some(ref layout) => Series::Dist(Dist {
                    points: vec![0.0; layout.points.len()],
                    sum: 0.0,
                    count: 0.0,
                }),
                None => Series::Value(0.0),
            };
            family.series.insert(key.to_vec(), fresh);
        }
        family.series.get_mut(key).expect("inserted above")
    }

    /// The value of a counter or gauge series.
    fn value_mut(&mut self, spec: &'static FamilySpec, key: &[&'static str]) -> &mut f64 {
        match self.series_mut(spec, key) {
            Series::Value(v) => v,
            Series::Dist(_) => panic!("{} is not a counter or gauge", spec.name),
        }
    }

    /// The points of a histogram or summary series.
    pub(super) fn dist_mut(
        &mut self,
        spec: &'static FamilySpec,
        key: &[&'static str],
    ) -> &mut Dist {
        match self.series_mut(spec, key) {
            Series::Dist(d) => d,
            Series::Value(_) => panic!("{} is not a histogram or summary", spec.name),
        }
    }

    /// Counter `Add` (also creates a zero series when `delta` is 0).
    pub(super) fn add(&mut self, spec: &'static FamilySpec, key: &[&'static str], delta: f64) {
        *self.value_mut(spec, key) += delta;
    }

    /// Gauge `Set`.
    pub(super) fn set(&mut self, spec: &'static FamilySpec, key: &[&'static str], value: f64) {
        *self.value_mut(spec, key) = value;
    }

    /// Histogram `Observe`.
    pub(super) fn observe(&mut self, spec: &'static FamilySpec, key: &[&'static str], value: f64) {
        let Kind::Histogram(bounds) = spec.kind else {
            panic!("{} is not a histogram", spec.name);
        };
        let dist = self.dist_mut(spec, key);
        for (count, bound) in dist
            .points
            .iter_mut()
            .zip(bounds.iter().chain([&f64::INFINITY]))
        {
            if value <= *bound {
                *count += 1.0;
            }
        }
        dist.sum += value;
        dist.count += 1.0;
    }

    /// A series' value (a distribution's count) without creating it.
    #[cfg(test)]
    pub(super) fn value(&self, spec: &FamilySpec, key: &[&str]) -> Option<f64> {
        match self.families[spec.name].series.get(key)? {
            Series::Value(v) => Some(*v),
            Series::Dist(d) => Some(d.count),
        }
    }
}

impl DistLayout {
    /// The layout of `spec`'s samples; `None` for counters and gauges.
    fn of(spec: &FamilySpec) -> Option<Self> {
        let (suffix, point_label, bounds, inf) = match spec.kind {
            Kind::Histogram(bounds) => ("_bucket", "le", bounds, true),
            Kind::Summary(quantiles) => ("", "quantile", quantiles, false),
            Kind::Counter | Kind::Gauge => return None,
        };
        let mut points: Vec<String> = bounds
            .iter()
            .map(|&b| {
                let mut s = String::new();
                write_float(&mut s, b);
                s
            })
            .collect();
        if inf {
            points.push("+Inf".to_owned());
        }
        Some(Self {
            point_name: format!("{}{suffix}", spec.name),
            point_label,
            points,
            sum_name: format!("{}_sum", spec.name),
            count_name: format!("{}_count", spec.name),
        })
    }
}
