//! Painting a chart on its canvas, one function per layer, bottom to top:
//! value grid (its unit written along it), time axis, lines (a stack's
//! bands under them), markers. The geometry (scales, ticks, decimation,
//! stacking) is the engine's `plot`, the axis labels its `units`; this
//! only turns them into canvas calls.

use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};
use zai_dash_engine::{
    plot::{self, Scale},
    units::AxisLabels,
};

use super::data::{ChartData, Hidden, Line, Unit};
use crate::theme::{self, Palette};

const MARGIN_LEFT: f64 = 56.0;
const MARGIN_RIGHT: f64 = 8.0;
const MARGIN_TOP: f64 = 8.0;
const MARGIN_BOTTOM: f64 = 22.0;

/// The time axis of `d` on a canvas `width` CSS px wide.
pub fn time_scale(d: &ChartData, width: f64) -> Scale {
    Scale {
        d0: d.start_ms as f64,
        d1: d.end_ms as f64,
        r0: MARGIN_LEFT,
        r1: (width - MARGIN_RIGHT).max(MARGIN_LEFT + 1.0),
    }
}

/// One redraw: the context, its size in CSS px and the two scales.
struct Frame {
    ctx: CanvasRenderingContext2d,
    w: f64,
    h: f64,
    x: Scale,
    y: Scale,
}

/// Draws `d` on `el` at the device pixel ratio: axes, lines (decimated,
/// broken at gaps), stacked bands and markers; returns the value axis'
/// labels (`None` when the canvas is too small to draw on). The crosshair
/// is not drawn here but laid over the canvas, so moving the pointer
/// redraws nothing.
pub fn draw(
    el: &HtmlCanvasElement,
    d: &ChartData,
    unit: Unit,
    hidden: &Hidden,
    palette: &Palette,
) -> Option<AxisLabels> {
    let ctx = context(el)?;
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
        return None;
    }
    let shown: Vec<_> = d.shown(hidden).collect();
    let values = plot::stacked(shown.iter().map(|l| (l.stack, l.values.as_slice())));
    let reference = d.mode.reference();
    let (lo, hi) = plot::value_range(values.iter().flatten().chain(&reference));
    let frame = Frame {
        ctx,
        w,
        h,
        x: time_scale(d, w),
        y: Scale {
            d0: lo,
            d1: hi,
            r0: h - MARGIN_BOTTOM,
            r1: MARGIN_TOP,
        },
    };
    let axis = value_grid(&frame, d, unit, palette);
    if let Some(r) = reference {
        reference_line(&frame, r, palette);
    }
    time_axis(&frame, d, palette);
    lines(&frame, d, &shown, &values, palette);
    markers(&frame, d);
    Some(axis)
}

fn context(el: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    el.get_context("2d").ok()??.dyn_into().ok()
}

/// Grid lines and labels in the palette's colours.
fn axis_style(ctx: &CanvasRenderingContext2d, palette: &Palette) {
    ctx.set_line_width(1.0);
    ctx.set_stroke_style_str(&palette.grid);
    ctx.set_fill_style_str(&palette.muted);
    ctx.set_font("11px system-ui, sans-serif");
}

/// Horizontal grid lines at round values, labelled on the left in one
/// unit (as `d`'s comparison mode writes it), which is written along the
/// left edge; returns the labels.
fn value_grid(f: &Frame, d: &ChartData, unit: Unit, palette: &Palette) -> AxisLabels {
    let ctx = &f.ctx;
    axis_style(ctx, palette);
    ctx.set_text_align("right");
    ctx.set_text_baseline("middle");
    let ticks = plot::nice_ticks(f.y.d0, f.y.d1, 5);
    let axis = d.mode.axis(unit, &ticks);
    for (tick, label) in ticks.iter().zip(&axis.ticks) {
        let py = f.y.px(*tick).round() + 0.5;
        ctx.begin_path();
        ctx.move_to(MARGIN_LEFT, py);
        ctx.line_to(f.w - MARGIN_RIGHT, py);
        ctx.stroke();
        let _ = ctx.fill_text(label, MARGIN_LEFT - 6.0, py);
    }
    ctx.save();
    let _ = ctx.translate(8.0, (f.y.r0 + f.y.r1) / 2.0);
    let _ = ctx.rotate(-std::f64::consts::FRAC_PI_2);
    ctx.set_text_align("center");
    let _ = ctx.fill_text(&axis.unit, 0.0, 0.0);
    ctx.restore();
    axis
}

/// Where compared variants agree (0 for a difference, 1.0 for a ratio): a
/// full-width line in the label colour, over the grid and under the data.
fn reference_line(f: &Frame, value: f64, palette: &Palette) {
    let ctx = &f.ctx;
    let py = f.y.px(value).round() + 0.5;
    ctx.set_line_width(1.5);
    ctx.set_stroke_style_str(&palette.muted);
    ctx.begin_path();
    ctx.move_to(MARGIN_LEFT, py);
    ctx.line_to(f.w - MARGIN_RIGHT, py);
    ctx.stroke();
}

/// Ticks and clock labels along the bottom, the outermost kept inside.
fn time_axis(f: &Frame, d: &ChartData, palette: &Palette) {
    let (ctx, w, base) = (&f.ctx, f.w, f.h - MARGIN_BOTTOM);
    axis_style(ctx, palette);
    ctx.set_text_baseline("top");
    let max_ticks = ((w - MARGIN_LEFT) / 90.0).max(2.0) as usize;
    for t in plot::time_ticks(d.start_ms, d.end_ms, max_ticks) {
        let px = f.x.px(t as f64).round() + 0.5;
        ctx.begin_path();
        ctx.move_to(px, base);
        ctx.line_to(px, base + 4.0);
        ctx.stroke();
        let align = if px > w - 30.0 {
            "right"
        } else if px < MARGIN_LEFT + 30.0 {
            "left"
        } else {
            "center"
        };
        ctx.set_text_align(align);
        let label = theme::clock_short(t, d.end_ms - d.start_ms);
        let _ = ctx.fill_text(&label, px, base + 6.0);
    }
}

/// Every shown line at its drawn (stacked) `values`; lines break where
/// data is missing or points are far apart.
///
/// A solid stack is shaded as bands, each between its line and the one
/// under it: from the top of the stack down, each line shades down to the
/// plot's bottom over an opaque fill, so every lower band covers the upper
/// ones beneath its own line. Stacked lines are stroked top down too, so
/// where a band is empty (a 5xx rate of 0) the line under it (2xx) shows;
/// lines outside the stack (the 5xx line) come last and thicker, on top.
fn lines(f: &Frame, d: &ChartData, shown: &[&Line], values: &[Vec<f64>], palette: &Palette) {
    let ctx = &f.ctx;
    let max_gap = 2.5 * d.snap_ms.max(1) as f64 * (f.x.r1 - f.x.r0) / (f.x.d1 - f.x.d0).max(1.0);
    let (solid, dash) = (
        js_sys::Array::new(),
        js_sys::Array::of2(&5.0.into(), &4.0.into()),
    );
    let traced: Vec<_> = shown
        .iter()
        .zip(values)
        .map(|(line, values)| {
            let runs = plot::line_runs(&d.times, values, &f.x, &f.y, max_gap.max(2.0));
            (*line, runs)
        })
        .collect();
    let stacked = |(line, _): &&(&Line, _)| line.stack.is_some();
    for (line, runs) in traced.iter().filter(stacked).rev() {
        if !line.dashed {
            ctx.set_fill_style_str(&palette.panel);
            fill_under(ctx, runs, f.y.r0);
            ctx.set_fill_style_str(&line.color);
            ctx.set_global_alpha(0.45);
            fill_under(ctx, runs, f.y.r0);
            ctx.set_global_alpha(1.0);
        }
    }
    let beside_a_stack = traced.iter().any(|(line, _)| line.stack.is_some());
    let on_top = traced.iter().filter(|l| !stacked(l));
    for (line, runs) in traced.iter().filter(stacked).rev().chain(on_top) {
        let thick = beside_a_stack && line.stack.is_none();
        ctx.set_line_width(if thick { 2.5 } else { 1.5 });
        ctx.set_fill_style_str(&line.color);
        ctx.set_stroke_style_str(&line.color);
        let _ = ctx.set_line_dash(if line.dashed { &dash } else { &solid });
        stroke_path(ctx, runs);
    }
    let _ = ctx.set_line_dash(&solid);
}

/// A triangle on the time axis per marker (resets, failed polls).
fn markers(f: &Frame, d: &ChartData) {
    let (ctx, base) = (&f.ctx, f.h - MARGIN_BOTTOM);
    for m in &d.markers {
        let px = f.x.px(m.t_ms as f64);
        if px < f.x.r0 || px > f.x.r1 {
            continue;
        }
        ctx.set_fill_style_str(&m.color);
        ctx.begin_path();
        ctx.move_to(px, base - 7.0);
        ctx.line_to(px - 4.0, base);
        ctx.line_to(px + 4.0, base);
        ctx.fill();
    }
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
