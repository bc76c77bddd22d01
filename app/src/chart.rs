//! A time-series chart on `<canvas>`: the thin drawing shell around the
//! engine's `plot` geometry.
//!
//! Canvas, not SVG: redrawing ten charts of a few thousand points costs a
//! couple of milliseconds on canvas and a dropped frame on SVG (measured,
//! see the README). Lines are reduced to what the pixel grid shows
//! (`plot::line_runs`: a canvas call per vertex is most of a redraw),
//! drawn at the device pixel ratio, and broken where data is missing. The
//! crosshair is shared by every chart through [`Crosshair`]; its line and
//! tooltip are ordinary DOM over the canvas, computed from the data, so
//! moving the pointer redraws no chart and both survive a live refresh.

use std::collections::BTreeSet;

use leptos::{ev, html, prelude::*};
use wasm_bindgen::JsCast;
use web_sys::CanvasRenderingContext2d;
use zai_dash_engine::plot::{self, Scale};

use zai_dash_engine::view::Range;

use crate::{state::Dashboard, theme::Palette};

/// What a chart's values measure, for axis labels and the tooltip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Events per second.
    PerSecond,
    /// Milliseconds.
    Millis,
    /// A plain count.
    Count,
    /// Percent.
    Percent,
    /// Bytes.
    Bytes,
    /// US dollars per hour.
    UsdPerHour,
}

impl Unit {
    /// A value as the tooltip shows it.
    pub fn format(self, v: f64) -> String {
        use zai_dash_engine::units;
        if v.is_nan() {
            return units::NO_DATA.to_owned();
        }
        match self {
            Unit::PerSecond => units::rate(Some(v)),
            Unit::Millis => units::millis(Some(v)),
            Unit::Count => units::count(Some(v)),
            Unit::Percent => units::percent(Some(v)),
            Unit::Bytes => units::bytes(Some(v)),
            Unit::UsdPerHour => format!("{}/h", units::usd(Some(v))),
        }
    }

    /// A value as an axis label shows it (shorter).
    fn axis(self, v: f64) -> String {
        use zai_dash_engine::units::compact;
        match self {
            Unit::Millis if v >= 1000.0 => format!("{}s", compact(v / 1000.0)),
            Unit::Millis => format!("{}ms", compact(v)),
            Unit::Percent => format!("{}%", compact(v)),
            Unit::Bytes => zai_dash_engine::units::bytes(Some(v)),
            Unit::UsdPerHour => format!("${}", compact(v)),
            Unit::PerSecond | Unit::Count => compact(v),
        }
    }
}

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
    /// same `stack` group).
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
}

/// The time under the pointer, shared by every chart on the page.
#[derive(Clone, Copy)]
pub struct Crosshair(pub RwSignal<Option<i64>>);

const MARGIN_LEFT: f64 = 56.0;
const MARGIN_RIGHT: f64 = 8.0;
const MARGIN_TOP: f64 = 8.0;
const MARGIN_BOTTOM: f64 = 22.0;

/// A chart with a legend (click a name to hide or show it) and a tooltip
/// listing every line's value at the crosshair.
#[component]
pub fn Chart(
    /// The chart's short id: the element is `chart-{id}`, and hidden
    /// series are kept in the URL as `{id}:{label}`.
    id: &'static str,
    /// What the values measure.
    unit: Unit,
    /// The data; the chart redraws whenever it changes.
    #[prop(into)]
    data: Signal<ChartData>,
) -> impl IntoView {
    let crosshair = expect_context::<Crosshair>();
    let palette = expect_context::<Signal<Palette>>();
    let canvas = NodeRef::<html::Canvas>::new();
    let dashboard = expect_context::<Dashboard>();
    let prefix = format!("{id}:");
    let hidden = Memo::new(move |_| {
        dashboard.view.with(|v| {
            // `extend`, not `collect` (which sorts first): fewer bytes of wasm.
            let mut hidden = BTreeSet::new();
            hidden.extend(
                v.hidden
                    .iter()
                    .filter_map(|h| h.strip_prefix(&prefix).map(str::to_owned)),
            );
            hidden
        })
    });
    let toggle = move |label: &str| {
        let key = format!("{id}:{label}");
        dashboard.adjust(|v| {
            if !v.hidden.remove(&key) {
                v.hidden.insert(key);
            }
        });
    };
    // Drag to zoom: the x where the button went down, and where it is now.
    let drag = RwSignal::new(None::<(f64, f64)>);
    let size = RwSignal::new(0u32);
    let _resize = window_event_listener(ev::resize, move |_| size.update(|s| *s += 1));

    Effect::new(move |_| {
        size.track();
        let Some(el) = canvas.get() else { return };
        data.with(|d| {
            hidden.with(|h| draw(&el, d, unit, h, &palette.get()));
        });
    });

    let time_at = move |x: f64| {
        let width = canvas
            .get_untracked()
            .map_or(0.0, |el| f64::from(el.client_width()));
        data.with_untracked(|d| time_scale(d, width).value(x))
            .round() as i64
    };
    let on_move = move |e: ev::MouseEvent| {
        let x = f64::from(e.offset_x());
        crosshair.0.set(Some(time_at(x)));
        if let Some((x0, _)) = drag.get_untracked() {
            drag.set(Some((x0, x)));
        }
    };
    let on_down = move |e: ev::MouseEvent| {
        if e.button() == 0 {
            drag.set(Some((f64::from(e.offset_x()), f64::from(e.offset_x()))));
        }
    };
    let on_up = move |_| {
        let Some((x0, x1)) = drag.get_untracked() else {
            return;
        };
        drag.set(None);
        // A click is not a zoom: ask for a few pixels of intent.
        if (x1 - x0).abs() >= 5.0 {
            let (a, b) = (time_at(x0.min(x1)), time_at(x0.max(x1)));
            dashboard.navigate(|v| v.range = Range::Fixed { from: a, to: b });
        }
    };
    // The dragged range, as left offset and width in px.
    let selection = move || {
        drag.get()
            .filter(|(x0, x1)| (x1 - x0).abs() >= 1.0)
            .map(|(x0, x1)| {
                (
                    format!("{}px", x0.min(x1).round() as i32),
                    format!("{}px", (x1 - x0).abs().round() as i32),
                )
            })
    };
    // Where the shared crosshair crosses this chart, if it is over the plot.
    let crosshair_left = move || {
        let t = crosshair.0.get()?;
        size.track();
        let width = f64::from(canvas.get()?.client_width());
        let x = data.with(|d| time_scale(d, width));
        let px = x.px(t as f64).round();
        (x.r0..=x.r1)
            .contains(&px)
            .then(|| format!("{}px", px as i32))
    };
    let tooltip = move || {
        let t = crosshair.0.get()?;
        data.with(|d| {
            let i = plot::nearest(&d.times, t, d.snap_ms)?;
            let rows: Vec<(String, String, String)> = hidden.with(|h| {
                d.lines
                    .iter()
                    .filter(|l| !h.contains(&l.label))
                    .map(|l| {
                        let value = unit.format(l.values[i]);
                        let value = if l.at_least[i] {
                            format!("≥ {value}")
                        } else {
                            value
                        };
                        (l.color.clone(), l.label.clone(), value)
                    })
                    .collect()
            });
            // Resets and failed polls near the crosshair, in words.
            let events: Vec<(String, String)> = d
                .markers
                .iter()
                .filter(|m| (m.t_ms - d.times[i]).abs() <= d.snap_ms)
                .map(|m| (m.color.clone(), m.label.clone()))
                .collect();
            Some((crate::theme::clock(d.times[i]), rows, events))
        })
    };
    let legend = move || {
        data.with(|d| {
            d.lines
                .iter()
                .map(|l| (l.label.clone(), l.color.clone(), l.dashed))
                .collect::<Vec<_>>()
        })
    };

    view! {
        <div class="chart" id=format!("chart-{id}")>
            <div class="plot">
                <canvas
                    node_ref=canvas
                    on:mousemove=on_move
                    on:mousedown=on_down
                    on:mouseup=on_up
                    on:dblclick=move |_| dashboard.go_live()
                    on:mouseleave=move |_| {
                        crosshair.0.set(None);
                        drag.set(None);
                    }
                ></canvas>
                {move || {
                    crosshair_left()
                        .map(|left| view! { <div class="crosshair" style:left=left></div> })
                }}
                {move || {
                    // Through the CSSOM (style:), which the CSP allows.
                    selection()
                        .map(|(left, width)| {
                            view! { <div class="selection" style:left=left style:width=width></div> }
                        })
                }}
                {move || {
                    tooltip()
                        .map(|(time, rows, events)| {
                            view! {
                                <div class="tooltip" role="status">
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
                                            view! {
                                                <div class="tooltip-event" style:color=color>{label}</div>
                                            }
                                        })
                                        .collect_view()}
                                </div>
                            }
                        })
                }}
            </div>
            <ul class="legend">
                <For
                    each=legend
                    key=|(label, color, dashed)| (label.clone(), color.clone(), *dashed)
                    children=move |(label, color, dashed)| {
                        let name = label.clone();
                        let off = {
                            let name = name.clone();
                            move || hidden.with(|h| h.contains(&name))
                        };
                        view! {
                            <li>
                                <button
                                    class="legend-item"
                                    class:off=off
                                    class:dashed=dashed
                                    on:click=move |_| toggle(&name)
                                >
                                    <span class="swatch" style:background=color></span>
                                    {label}
                                </button>
                            </li>
                        }
                    }
                />
            </ul>
        </div>
    }
}

fn time_scale(d: &ChartData, width: f64) -> Scale {
    Scale {
        d0: d.start_ms as f64,
        d1: d.end_ms as f64,
        r0: MARGIN_LEFT,
        r1: (width - MARGIN_RIGHT).max(MARGIN_LEFT + 1.0),
    }
}

/// Values to draw per line: stacked lines are cumulative within their
/// stack group, in legend order.
fn drawn_values(d: &ChartData, hidden: &BTreeSet<String>) -> Vec<(usize, Vec<f64>)> {
    let mut sums: Vec<(usize, Vec<f64>)> = Vec::new();
    let mut out = Vec::new();
    for (i, line) in d.lines.iter().enumerate() {
        if hidden.contains(&line.label) {
            continue;
        }
        let values = match line.stack {
            None => line.values.clone(),
            Some(group) => {
                let pos = sums
                    .iter()
                    .position(|(g, _)| *g == group)
                    .unwrap_or_else(|| {
                        sums.push((group, vec![0.0; line.values.len()]));
                        sums.len() - 1
                    });
                let acc = &mut sums[pos].1;
                line.values
                    .iter()
                    .zip(acc.iter_mut())
                    .map(|(v, a)| {
                        if v.is_nan() {
                            f64::NAN
                        } else {
                            *a += v;
                            *a
                        }
                    })
                    .collect()
            }
        };
        out.push((i, values));
    }
    out
}

/// Draws `d` on `el` at the device pixel ratio: axes, lines (decimated,
/// broken at gaps), stacked areas and markers. The crosshair is not drawn
/// here but laid over the canvas, so moving the pointer redraws nothing.
pub fn draw(
    el: &web_sys::HtmlCanvasElement,
    d: &ChartData,
    unit: Unit,
    hidden: &BTreeSet<String>,
    palette: &Palette,
) {
    let Some(ctx) = context(el) else { return };
    let dpr = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
    let (w, h) = (f64::from(el.client_width()), f64::from(el.client_height()));
    let (pw, ph) = ((w * dpr).round() as u32, (h * dpr).round() as u32);
    if el.width() != pw || el.height() != ph {
        el.set_width(pw);
        el.set_height(ph);
    }
    let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
    ctx.clear_rect(0.0, 0.0, w, h);
    if w < MARGIN_LEFT + 10.0 || h < MARGIN_TOP + MARGIN_BOTTOM + 10.0 {
        return;
    }

    let lines = drawn_values(d, hidden);
    let (lo, hi) = plot::value_range(lines.iter().flat_map(|(_, v)| v.iter()));
    let x = time_scale(d, w);
    let y = Scale {
        d0: lo,
        d1: hi,
        r0: h - MARGIN_BOTTOM,
        r1: MARGIN_TOP,
    };

    // Grid and axes.
    ctx.set_line_width(1.0);
    ctx.set_stroke_style_str(&palette.grid);
    ctx.set_fill_style_str(&palette.muted);
    ctx.set_font("11px system-ui, sans-serif");
    ctx.set_text_align("right");
    ctx.set_text_baseline("middle");
    for tick in plot::nice_ticks(lo, hi, 5) {
        let py = y.px(tick).round() + 0.5;
        ctx.begin_path();
        ctx.move_to(MARGIN_LEFT, py);
        ctx.line_to(w - MARGIN_RIGHT, py);
        ctx.stroke();
        let _ = ctx.fill_text(&unit.axis(tick), MARGIN_LEFT - 6.0, py);
    }
    ctx.set_text_align("center");
    ctx.set_text_baseline("top");
    let max_ticks = ((w - MARGIN_LEFT) / 90.0).max(2.0) as usize;
    for t in plot::time_ticks(d.start_ms, d.end_ms, max_ticks) {
        let px = x.px(t as f64).round() + 0.5;
        ctx.begin_path();
        ctx.move_to(px, h - MARGIN_BOTTOM);
        ctx.line_to(px, h - MARGIN_BOTTOM + 4.0);
        ctx.stroke();
        // Keep the outermost labels inside the canvas.
        let label = crate::theme::clock_short(t, d.end_ms - d.start_ms);
        let align = if px > w - 30.0 {
            "right"
        } else if px < MARGIN_LEFT + 30.0 {
            "left"
        } else {
            "center"
        };
        ctx.set_text_align(align);
        let _ = ctx.fill_text(&label, px, h - MARGIN_BOTTOM + 6.0);
    }

    // Stacked areas first (under the lines), then every line.
    let max_gap = 2.5 * d.snap_ms.max(1) as f64 * (x.r1 - x.r0) / (x.d1 - x.d0).max(1.0);
    let (solid, dashed) = (
        js_sys::Array::new(),
        js_sys::Array::of2(&5.0.into(), &4.0.into()),
    );
    ctx.set_line_width(1.5);
    for (i, values) in &lines {
        let line = &d.lines[*i];
        let runs = plot::line_runs(&d.times, values, &x, &y, max_gap.max(2.0));
        ctx.set_fill_style_str(&line.color);
        if line.stack.is_some() && !line.dashed {
            ctx.set_global_alpha(0.18);
            fill_under(&ctx, &runs, y.r0);
            ctx.set_global_alpha(1.0);
        }
        ctx.set_stroke_style_str(&line.color);
        let _ = ctx.set_line_dash(if line.dashed { &dashed } else { &solid });
        stroke_path(&ctx, &runs);
    }
    let _ = ctx.set_line_dash(&solid);

    // Markers on the time axis.
    for m in &d.markers {
        let px = x.px(m.t_ms as f64);
        if px < x.r0 || px > x.r1 {
            continue;
        }
        ctx.set_fill_style_str(&m.color);
        ctx.begin_path();
        ctx.move_to(px, h - MARGIN_BOTTOM - 7.0);
        ctx.line_to(px - 4.0, h - MARGIN_BOTTOM);
        ctx.line_to(px + 4.0, h - MARGIN_BOTTOM);
        ctx.fill();
    }
}

fn context(el: &web_sys::HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    el.get_context("2d").ok()??.dyn_into().ok()
}

/// Strokes every run of a line. A run of one point (gaps on both sides)
/// has no segment, so it is drawn as a dot in the fill colour, visible and
/// not mistaken for no data.
fn stroke_path(ctx: &CanvasRenderingContext2d, runs: &[Vec<(f64, f64)>]) {
    ctx.begin_path();
    for run in runs {
        match run.as_slice() {
            [(x, y)] => ctx.fill_rect(x - 1.5, y - 1.5, 3.0, 3.0),
            [(x, y), rest @ ..] => {
                ctx.move_to(*x, *y);
                rest.iter().for_each(|(x, y)| ctx.line_to(*x, *y));
            }
            [] => {}
        }
    }
    ctx.stroke();
}

/// Shades the area between each run and the plot's bottom edge, `base`.
/// (Tracing it again beats reusing a `Path2D` of the line: measured.)
fn fill_under(ctx: &CanvasRenderingContext2d, runs: &[Vec<(f64, f64)>], base: f64) {
    ctx.begin_path();
    for run in runs {
        let (Some(first), Some(last)) = (run.first(), run.last()) else {
            continue;
        };
        ctx.move_to(first.0, base);
        run.iter().for_each(|(x, y)| ctx.line_to(*x, *y));
        ctx.line_to(last.0, base);
        ctx.close_path();
    }
    ctx.fill();
}
