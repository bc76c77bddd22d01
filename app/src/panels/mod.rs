//! The dashboard's panels. Each one reads a window of the shown variants'
//! buffers, computes through the engine (`series` for charts, `snapshot`
//! for figures) and renders; none keeps state of its own.
//!
//! Both variants are overlaid on the same chart: production solid, canary
//! dashed, labels suffixed with the variant when both are shown.

pub mod concurrency;
pub mod cost;
pub mod errors;
pub mod latency;
pub mod limiter;
pub mod requests;
pub mod sizes;
pub mod status;
pub mod tokens;

use leptos::prelude::*;
use zai_dash_engine::{
    buffer::Buffer,
    series::{Grid, Series},
    snapshot::{MetricSnapshot, snapshot},
};

use crate::{
    chart::{Chart, ChartData, Line, Marker, Unit},
    state::{Dashboard, VariantState},
};

/// At most this many points per line: about one per two pixels of a wide
/// chart, which min/max decimation then reduces further.
const MAX_POINTS: usize = 720;

/// How a panel's lines are coloured and stacked.
#[derive(Clone, Copy)]
pub struct Style {
    /// Colour of a series by its name.
    pub color: fn(&str) -> &'static str,
    /// Whether each variant's lines stack (request rate by status code).
    pub stacked: bool,
}

/// The chart data of one panel: `compute` applied to every shown variant's
/// buffer on the window's grid, with reset and scrape-error markers.
pub fn chart_data(
    dashboard: Dashboard,
    compute: fn(&Buffer, &Grid) -> Vec<Series>,
    style: Style,
) -> Memo<ChartData> {
    Memo::new(move |_| {
        let (start, end) = dashboard.range();
        let grid = Grid::new(start, end, MAX_POINTS, dashboard.refresh_ms.get() as i64);
        let shown = dashboard.shown();
        let both = shown.len() > 1;
        let mut lines = Vec::new();
        let mut markers = Vec::new();
        for (i, variant) in shown.iter().enumerate() {
            let name = variant.name.get_value();
            let dashed = i > 0;
            variant.with_buffer(|buffer| {
                for s in compute(buffer, &grid) {
                    if s.values.iter().all(|v| v.is_nan()) {
                        continue;
                    }
                    lines.push(Line {
                        label: if both {
                            format!("{} · {name}", s.name)
                        } else {
                            s.name.clone()
                        },
                        color: (style.color)(&s.name).to_owned(),
                        dashed,
                        stack: style.stacked.then_some(i),
                        values: s.values,
                    });
                }
                markers.extend(buffer.reset_times(start, end).map(|t| Marker {
                    t_ms: t,
                    color: "#f59e0b".to_owned(),
                    label: format!("{name}: counter reset"),
                }));
            });
            variant.failures.with(|f| {
                markers.extend(f.iter().filter(|(t, _)| (start..=end).contains(t)).map(
                    |(t, e)| Marker {
                        t_ms: *t,
                        color: "#ef4444".to_owned(),
                        label: format!("{name}: {e}"),
                    },
                ));
            });
        }
        ChartData {
            start_ms: start,
            end_ms: end,
            times: grid.times().collect(),
            lines,
            markers,
            snap_ms: grid.step_ms,
        }
    })
}

/// Each shown variant's snapshot over the window on screen, computed once
/// per poll and shared by every panel's figures through context.
#[derive(Clone, Copy)]
pub struct WindowSnapshots(pub Memo<Vec<(VariantState, MetricSnapshot)>>);

impl WindowSnapshots {
    /// Computes them from the dashboard's state.
    pub fn new(dashboard: Dashboard) -> Self {
        WindowSnapshots(Memo::new(move |_| {
            let (start, end) = dashboard.range();
            dashboard
                .shown()
                .into_iter()
                .map(|v| {
                    let name = v.name.get_value();
                    let snap = v.with_buffer(|b| snapshot(&name, &b.window(start, end)));
                    (v, snap)
                })
                .collect()
        }))
    }
}

/// A panel: title, a figure per variant, and a chart.
#[component]
pub fn Panel(
    /// Short id: the section is `panel-{id}`, the chart `chart-{id}`.
    id: &'static str,
    /// Heading.
    title: &'static str,
    /// Unit of the chart's values.
    unit: Unit,
    /// What the chart draws.
    data: Memo<ChartData>,
    /// Figures shown above the chart.
    children: Children,
) -> impl IntoView {
    let empty = move || data.with(|d| d.lines.is_empty());
    view! {
        <section class="panel" id=format!("panel-{id}")>
            <h2>{title}</h2>
            <div class="figures">{children()}</div>
            <p class="no-data" hidden=move || !empty()>"no data in this window"</p>
            <Chart id=format!("chart-{id}") unit=unit data=data />
        </section>
    }
}

/// One labelled figure per variant: `render` turns the variant's window
/// snapshot into text ("—" for no data, never a silent 0).
#[component]
pub fn Figures(
    /// Label before each variant's value.
    label: &'static str,
    /// CSS class of the value, for tests.
    class: &'static str,
    /// The value's text from a snapshot.
    render: fn(&MetricSnapshot) -> String,
) -> impl IntoView {
    let snaps = expect_context::<WindowSnapshots>().0;
    view! {
        <div class="figure">
            <span class="figure-label">{label}</span>
            <For
                each=move || snaps.get()
                key=move |(v, s)| (v.name.get_value(), render(s))
                children=move |(v, s)| {
                    let name = v.name.get_value();
                    view! {
                        <span class=format!("figure-value {class}") data-variant=name.clone()>
                            <span class="variant-tag">{name.clone()}</span>
                            {render(&s)}
                        </span>
                    }
                }
            />
        </div>
    }
}
