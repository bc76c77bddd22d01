//! What a chart draws, as plain data: the panels build it, the canvas and
//! the DOM layers over it only read it.

pub use zai_dash_engine::{compare::Mode, units::Unit};

/// One line of a chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// Legend text, unique within the chart (e.g. `"p95 · canary"`).
    pub label: String,
    /// Stroke colour (CSS).
    pub color: String,
    /// Dashed: how canary lines are told apart from production.
    pub dashed: bool,
    /// Part of a stack (drawn on top of the previous stacked line of the
    /// same `stack` group, as a band between the two when solid).
    pub stack: Option<usize>,
    /// One value per grid point; `NaN` is a gap.
    pub values: Vec<f64>,
    /// Per grid point, whether the value is only a floor (the tooltip
    /// says "≥"): a quantile in a histogram's `+Inf` bucket.
    pub at_least: Vec<bool>,
}

/// A mark on the time axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    /// When, Unix ms.
    pub t_ms: i64,
    /// Colour (CSS).
    pub color: String,
    /// What happened, for the tooltip.
    pub label: String,
}

/// Everything one chart draws.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChartData {
    /// Left edge, Unix ms.
    pub start_ms: i64,
    /// Right edge, Unix ms.
    pub end_ms: i64,
    /// Time of each point of every line.
    pub times: Vec<i64>,
    /// The lines, in legend order.
    pub lines: Vec<Line>,
    /// Resets and scrape errors.
    pub markers: Vec<Marker>,
    /// How far the crosshair may be from a point and still show it, ms.
    pub snap_ms: i64,
    /// How the lines compare the variants: overlaid, or canary −
    /// production or ÷ production (signed values, or `×`, around a
    /// reference line).
    pub mode: Mode,
    /// Compared lines that draw nothing, and why (`500: production has no
    /// data`): a line missing from the legend is explained, never a 0.
    pub missing: Vec<String>,
}

impl ChartData {
    /// The lines not hidden by the legend, in legend order.
    pub fn shown<'a>(&'a self, hidden: &'a Hidden) -> impl Iterator<Item = &'a Line> + Clone {
        self.lines.iter().filter(|l| !hidden.contains(&l.label))
    }
}

/// The labels of a chart's lines the legend has hidden.
pub type Hidden = std::collections::BTreeSet<String>;
