//! What is under the pointer: the crosshair every chart shares, its line
//! over each chart, and the one tooltip, on the chart under the pointer,
//! listing every line's value there. Ordinary DOM over the canvas,
//! computed from the data, so moving the pointer redraws no chart and both
//! survive a live refresh.

use leptos::prelude::*;
use zai_dash_engine::plot;

use super::{
    area::PlotArea,
    data::{ChartData, Hidden, Unit},
};
use crate::theme;

/// Where the pointer is: an instant, on one chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pointer {
    /// The time under it, Unix ms.
    pub t_ms: i64,
    /// The id of the chart it is over: the one that shows the tooltip.
    pub chart: &'static str,
}

/// The pointer, shared by every chart on the page: each draws the
/// crosshair at its time, and the chart it is over the tooltip.
#[derive(Clone, Copy)]
pub struct Crosshair(pub RwSignal<Option<Pointer>>);

/// The crosshair's vertical line, where it crosses this chart's plot.
#[component]
pub fn CrosshairLine(
    /// The chart's plot area.
    area: PlotArea,
) -> impl IntoView {
    let crosshair = expect_context::<Crosshair>();
    let left = move || {
        let px = area.x_of(crosshair.0.get()?.t_ms)?;
        Some(format!("{}px", px as i32))
    };
    // Through the CSSOM (style:), which the CSP allows.
    move || left().map(|left| view! { <div class="crosshair" style:left=left></div> })
}

/// What the tooltip says about one instant.
struct Reading {
    /// The instant, as a clock time.
    time: String,
    /// Per shown line: swatch colour, label, value.
    rows: Vec<(String, String, String)>,
    /// Events near it (resets, failed polls): colour, what happened.
    events: Vec<(String, String)>,
}

/// The time at the crosshair, each shown line's value there ("≥" where
/// the value is only a floor) and the events near it.
fn at_crosshair(d: &ChartData, t: i64, unit: Unit, hidden: &Hidden) -> Option<Reading> {
    let i = plot::nearest(&d.times, t, d.snap_ms)?;
    let rows = d
        .shown(hidden)
        .map(|l| {
            let value = d.mode.format(unit, l.values[i]);
            let value = if l.at_least[i] {
                format!("≥ {value}")
            } else {
                value
            };
            (l.color.clone(), l.label.clone(), value)
        })
        .collect();
    let events = d
        .markers
        .iter()
        .filter(|m| (m.t_ms - d.times[i]).abs() <= d.snap_ms)
        .map(|m| (m.color.clone(), m.label.clone()))
        .collect();
    Some(Reading {
        time: theme::clock(d.times[i]),
        rows,
        events,
    })
}

/// The values at the crosshair, in words, on the chart `id` when the
/// pointer is over it (and on no other: one tooltip on the page), on the
/// side of the plot away from the pointer so it covers none of the data
/// beside the crosshair. Not a live region: it would chatter at every
/// move; the chart's summary table holds the values for screen readers.
#[component]
pub fn Tooltip(
    /// The chart's id.
    id: &'static str,
    /// The chart's plot area.
    area: PlotArea,
    /// What its values measure.
    unit: Unit,
    /// Lines the legend hid: not listed.
    hidden: Memo<Hidden>,
) -> impl IntoView {
    let crosshair = expect_context::<Crosshair>();
    let content = move || {
        let pointer = crosshair.0.get().filter(|p| p.chart == id)?;
        let reading = area
            .data
            .with(|d| hidden.with(|h| at_crosshair(d, pointer.t_ms, unit, h)))?;
        // Right of the plot's middle, the tooltip goes to its left.
        let left_side = area.x_of(pointer.t_ms).is_some_and(|px| px > area.middle());
        Some((reading, left_side))
    };
    move || {
        content().map(|(Reading { time, rows, events }, left_side)| {
            let (left, right) = if left_side {
                ("64px", "auto")
            } else {
                ("auto", "12px")
            };
            view! {
                <div class="tooltip" style:left=left style:right=right>
                    <div class="tooltip-time">{time}</div>
                    {rows
                        .into_iter()
                        .map(|(color, label, value)| {
                            view! {
                                <div class="tooltip-row">
                                    <span class="swatch" style:background=color></span>
                                    <span class="tooltip-label">{label}</span>
                                    <span class="tooltip-value">{value}</span>
                                </div>
                            }
                        })
                        .collect_view()}
                    {events
                        .into_iter()
                        .map(|(color, label)| {
                            view! { <div class="tooltip-event" style:color=color>{label}</div> }
                        })
                        .collect_view()}
                </div>
            }
        })
    }
}
