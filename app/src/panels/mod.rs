//! The dashboard's panels. Each one reads a window of the shown variants'
//! buffers, computes through the engine (`series` for charts, `snapshot`
//! for figures) and renders; none keeps state of its own.
//!
//! Both variants are overlaid on the same chart: production solid, canary
//! dashed, labels suffixed with the variant when both are shown; or, by
//! the chart's control (`cmp=` in the URL), compared as canary −
//! production or canary ÷ production, one line per series.

pub mod concurrency;
pub mod cost;
pub mod distribution;
pub mod economics;
pub mod errors;
pub mod latency;
pub mod limiter;
pub mod requests;
pub mod sizes;
pub mod span;
pub mod status;
pub mod tokens;
pub mod verdict;

use std::collections::HashMap;

use leptos::prelude::*;
use zai_dash_engine::{
    buffer::{Buffer, EventKind},
    compare::Mode,
    series::{self, Cache, Grid, Series},
    snapshot::{MetricSnapshot, snapshot},
    units,
    view::Notice,
};

use crate::{
    chart::{
        Chart, compare,
        data::{ChartData, Line, Marker, Unit},
    },
    state::{Dashboard, HistorySource, VariantState, short_id},
    theme::{series_color, status_color},
};

/// At most this many points per line: one per three pixels of a typical
/// 600 px chart, and over an hour one per 18 s, about the rate lookback
/// (four 5 s scrapes): closer points would share most of their samples and
/// show little more, for more compute and more canvas calls (each vertex
/// is a browser call; the browser benchmark's redraw scales with them).
const MAX_POINTS: usize = 200;

/// One chart of the dashboard: its id, unit, what it computes and how it
/// looks. The panels and the browser benchmark both go through [`CHARTS`].
#[derive(Clone, Copy)]
pub struct ChartSpec {
    /// Short id: the panel is `panel-{id}`, the chart `chart-{id}`.
    pub id: &'static str,
    /// Unit of the values.
    pub unit: Unit,
    /// The series, from one variant's buffer.
    pub compute: Compute,
    /// Colours and stacking.
    pub style: Style,
}

const fn spec(id: &'static str, unit: Unit, compute: Compute, stacked: bool) -> ChartSpec {
    ChartSpec {
        id,
        unit,
        compute,
        style: Style {
            color: if stacked { status_color } else { series_color },
            stacked,
        },
    }
}

/// Every chart on the dashboard, in page order.
pub const CHARTS: [ChartSpec; 8] = [
    spec(
        "requests",
        Unit::PerSecond("req"),
        series::request_rates,
        true,
    ),
    spec("latency", Unit::Millis, series::latency, false),
    spec(
        "tokens",
        Unit::PerSecond("tokens"),
        series::token_rates,
        false,
    ),
    spec("cost", Unit::UsdPerHour, series::cost_rates, false),
    spec(
        "concurrency",
        Unit::Count("requests"),
        series::concurrency,
        false,
    ),
    spec("limiter", Unit::PerSecond("events"), series::limiter, false),
    spec("errors", Unit::PerSecond("events"), series::errors, false),
    spec("sizes", Unit::Bytes, series::sizes, false),
];

/// Notices `hide=` and `cmp=` entries that name no chart, like any bad
/// parameter (those naming an unknown line of a chart are its legend's to
/// notice).
pub fn notice_unknown_charts(dashboard: Dashboard) {
    let unknown: Vec<Notice> = dashboard.view.with_untracked(|v| {
        let hidden = v.hidden.iter().map(|h| ("hide", h.clone()));
        let compared = v
            .compare
            .iter()
            .map(|(chart, mode)| ("cmp", format!("{chart}:{}", mode.as_str())));
        hidden
            .chain(compared)
            .filter_map(|(key, entry)| {
                let chart = entry.split(':').next().unwrap_or_default();
                (!CHARTS.iter().any(|c| c.id == chart)).then(|| Notice {
                    key: key.to_owned(),
                    message: format!("ignored {key}=\"{entry}\": no chart is called {chart}"),
                })
            })
            .collect()
    });
    if !unknown.is_empty() {
        dashboard.notices.update(|n| n.extend(unknown));
    }
}

/// The spec of the chart called `id`.
pub fn chart(id: &str) -> ChartSpec {
    CHARTS
        .into_iter()
        .find(|c| c.id == id)
        .expect("every panel names a chart in CHARTS")
}

/// How a panel's lines are coloured and stacked.
#[derive(Clone, Copy)]
pub struct Style {
    /// Colour of a series by its name.
    pub color: fn(&str) -> &'static str,
    /// Whether each variant's lines stack (request rate by status code;
    /// the 5xx line, [`series::SERVER_ERRORS`], stays out of the stack).
    pub stacked: bool,
}

/// What a chart computes from one variant's buffer.
pub type Compute = fn(&Buffer, &Grid) -> Vec<Series>;

/// The grid every chart of the window `[start, end]` is evaluated on.
pub fn grid(start: i64, end: i64, refresh_ms: i64) -> Grid {
    Grid::new(start, end, MAX_POINTS, refresh_ms)
}

/// One variant's lines on a chart: `spec.compute` on its buffer over
/// `grid`, through its `cache` (so a refresh computes only new points).
/// `index` 0 is drawn solid, later variants dashed, and `both` adds the
/// variant to labels. The panels and the browser benchmark both build
/// their charts with this and [`chart_frame`].
pub fn chart_lines<'a>(
    spec: &ChartSpec,
    (index, name, both): (usize, &'a str, bool),
    buffer: &Buffer,
    cache: &'a mut Cache,
    grid: &Grid,
) -> impl Iterator<Item = Line> + 'a {
    let style = spec.style;
    cache
        .update(buffer, grid, spec.compute)
        .iter()
        .filter(|s| has_data(s))
        .map(move |s| {
            let label = if both {
                format!("{} · {name}", s.name)
            } else {
                s.name.clone()
            };
            let stack = (style.stacked && s.name != series::SERVER_ERRORS).then_some(index);
            line(style, label, s, index > 0, stack)
        })
}

/// Whether `s` has a value anywhere (a line of gaps is not drawn).
fn has_data(s: &Series) -> bool {
    s.values.iter().any(|v| !v.is_nan())
}

/// The chart line of series `s`, coloured by its name.
fn line(style: Style, label: String, s: &Series, dashed: bool, stack: Option<usize>) -> Line {
    Line {
        label,
        color: (style.color)(&s.name).to_owned(),
        dashed,
        stack,
        values: s.values.clone(),
        at_least: s.at_least.clone(),
    }
}

/// The lines of `spec` compared in `mode` from production's and canary's
/// series, one solid unstacked line per series, and why any draws nothing.
fn compared_lines(
    spec: &ChartSpec,
    mode: Mode,
    [production, canary]: &[Vec<Series>; 2],
) -> (Vec<Line>, Vec<String>) {
    let Some(compared) = zai_dash_engine::compare::compare(mode, production, canary) else {
        return Default::default();
    };
    let lines = compared
        .series
        .iter()
        .filter(|s| has_data(s))
        .map(|s| line(spec.style, mode.label(&s.name), s, false, None))
        .collect();
    (lines, compared.missing)
}

/// A chart of `[start, end]` on `grid` with its `lines` and `markers`.
pub fn chart_frame(
    start: i64,
    end: i64,
    grid: &Grid,
    lines: Vec<Line>,
    markers: Vec<Marker>,
) -> ChartData {
    ChartData {
        start_ms: start,
        end_ms: end,
        times: grid.times().collect(),
        lines,
        markers,
        snap_ms: grid.step_ms,
        ..ChartData::default()
    }
}

/// Markers for what happened to a variant's targets in `[start, end]`:
/// restarts and resets (amber), deploys (violet, with the version) and
/// answers from another process behind one URL (red).
pub fn event_markers(name: &str, buffer: &Buffer, start: i64, end: i64) -> Vec<Marker> {
    let several = buffer.targets().nth(1).is_some();
    buffer
        .events(start, end)
        .into_iter()
        .map(|e| {
            let (color, what) = match &e.kind {
                EventKind::Restart => ("#f59e0b", "restart".to_owned()),
                EventKind::Reset => ("#f59e0b", "counter reset".to_owned()),
                EventKind::Deploy(build) => ("#a855f7", format!("deploy {build}")),
                EventKind::Flip => (
                    "#ef4444",
                    "answered by another process (load-balanced URL)".to_owned(),
                ),
            };
            let who = if several {
                format!("{name} {}", short_id(&e.target))
            } else {
                name.to_owned()
            };
            Marker {
                t_ms: e.t_ms,
                color: color.to_owned(),
                label: format!("{who}: {what}"),
            }
        })
        .collect()
}

/// The chart data of one panel: `spec` applied to every shown variant's
/// buffer on the window's grid, with reset and scrape-error markers. Each
/// variant's series are cached, so a refresh computes only new points.
pub fn chart_data(dashboard: Dashboard, spec: ChartSpec) -> Memo<ChartData> {
    let caches = StoredValue::new(HashMap::<String, Cache>::new());
    Memo::new(move |_| {
        let (start, end) = dashboard.range();
        let grid = grid(start, end, dashboard.resolution_ms(start) as i64);
        let shown = dashboard.shown();
        let both = shown.len() > 1;
        let mode = compare::shown_mode(dashboard, spec.id);
        // Production's and canary's series, when comparing.
        let mut sides: [Vec<Series>; 2] = Default::default();
        let mut lines = Vec::new();
        let mut markers = Vec::new();
        for (i, variant) in shown.iter().enumerate() {
            let name = variant.name.get_value();
            variant.with_buffer(|buffer| {
                caches.update_value(|caches| {
                    #[cfg(feature = "test-hooks")]
                    crate::crash::test_hooks::panic_if_armed();
                    let cache = caches.entry(name.clone()).or_default();
                    if mode == Mode::Overlay {
                        lines.extend(chart_lines(&spec, (i, &name, both), buffer, cache, &grid));
                    } else if let Some(side) =
                        ["production", "canary"].iter().position(|n| *n == name)
                    {
                        sides[side] = cache.update(buffer, &grid, spec.compute).to_vec();
                    }
                });
                markers.extend(event_markers(&name, buffer, start, end));
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
        markers.extend(resolution_marker(dashboard, start, end));
        let (compared, missing) = compared_lines(&spec, mode, &sides);
        lines.extend(compared);
        ChartData {
            mode,
            missing,
            ..chart_frame(start, end, &grid, lines, markers)
        }
    })
}

/// Where history (a row per query step) gives way to live data (a row per
/// poll) inside `[start, end]`, as a grey mark on the time axis.
fn resolution_marker(dashboard: Dashboard, start: i64, end: i64) -> Option<Marker> {
    // An archived range is history alone: no live data follows it.
    let HistorySource::Loaded {
        to,
        step,
        tail,
        live: true,
        ..
    } = dashboard.history.get()
    else {
        return None;
    };
    // At the junction history is at its last stretch's step.
    let step = tail.map_or(step, |(_, tail_step)| tail_step);
    (start..=end).contains(&to).then(|| Marker {
        t_ms: to,
        color: "#94a3b8".to_owned(),
        label: format!(
            "history (a point per {}) before, live (a point per poll) after",
            units::age(step as f64 / 1000.0)
        ),
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

/// A panel: title, a figure per variant, and its chart from [`CHARTS`].
#[component]
pub fn Panel(
    /// The chart's id in [`CHARTS`]; the section is `panel-{id}`.
    id: &'static str,
    /// Heading.
    title: &'static str,
    /// Figures shown above the chart.
    children: Children,
) -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    let spec = chart(id);
    let data = chart_data(dashboard, spec);
    // Compared lines that draw nothing say why under the chart's control.
    let empty = move || data.with(|d| d.lines.is_empty() && d.missing.is_empty());
    view! {
        <section class="panel" id=format!("panel-{id}")>
            <h2>{title}</h2>
            <div class="figures">{children()}</div>
            <span::FigureSpan />
            <p class="no-data" hidden=move || !empty()>"no data in this window"</p>
            <Chart id=id title=title unit=spec.unit data=data />
        </section>
    }
}

/// A figure's text: `render`'s, unless the window mixes processes.
fn figure(s: &MetricSnapshot, render: fn(&MetricSnapshot) -> String) -> String {
    if s.unreliable {
        UNRELIABLE.to_owned()
    } else {
        render(s)
    }
}

/// What a figure computed across a load-balanced URL's processes reads.
pub const UNRELIABLE: &str = "unreliable";

/// One labelled figure per variant: `render` turns the variant's window
/// snapshot into text ("—" for no data, never a silent 0); figures of a
/// stale or down variant are greyed out and say so on hover, and a window
/// in which a URL answered from two processes reads "unreliable".
#[component]
pub fn Figures(
    /// Label before each variant's value.
    label: &'static str,
    /// CSS class of the value, for tests.
    class: &'static str,
    /// The value's text from a snapshot.
    render: fn(&MetricSnapshot) -> String,
    /// The snapshots shown: the window's ([`WindowSnapshots`] in context)
    /// unless given (the economics panel's are priced).
    #[prop(optional)]
    snaps: Option<WindowSnapshots>,
) -> impl IntoView {
    let snaps = snaps.unwrap_or_else(expect_context::<WindowSnapshots>).0;
    let dashboard = expect_context::<Dashboard>();
    view! {
        <div class="figure">
            <span class="figure-label">{label}</span>
            <For
                each=move || snaps.get()
                key=move |(v, s)| (v.name.get_value(), figure(s, render))
                children=move |(v, s)| {
                    let name = v.name.get_value();
                    // A down or stale variant's figures stay, marked as old.
                    let condition = move || dashboard.condition(&v).as_str();
                    view! {
                        <span
                            class=format!("figure-value {class}")
                            data-variant=name.clone()
                            data-condition=condition
                        >
                            <span class="variant-tag">{name.clone()}</span>
                            {figure(&s, render)}
                        </span>
                    }
                }
            />
        </div>
    }
}

/// Appends `parts` to `html`: markup and text in turn, the text (every
/// odd part) escaped, so it is safe inside an element or a quoted
/// attribute (variant names come from the relay's configuration, model
/// names from the proxy's labels). Panels whose body is a table write it
/// as text with this: as Leptos views, a table's render and rebuild code
/// is several KB of wasm.
pub fn push_html(html: &mut String, parts: &[&str]) {
    for (i, part) in parts.iter().enumerate() {
        if i % 2 == 0 {
            html.push_str(part);
            continue;
        }
        for c in part.chars() {
            match c {
                '&' => html.push_str("&amp;"),
                '<' => html.push_str("&lt;"),
                '>' => html.push_str("&gt;"),
                '"' => html.push_str("&quot;"),
                _ => html.push(c),
            }
        }
    }
}
