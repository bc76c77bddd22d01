//! A time-series chart on `<canvas>`: the thin drawing shell around the
//! engine's `plot` geometry.
//!
//! Canvas, not SVG: redrawing ten charts of a few thousand points costs a
//! couple of milliseconds on canvas and a dropped frame on SVG (measured,
//! see the README). Lines are reduced to what the pixel grid shows
//! (`plot::line_runs`: a canvas call per vertex is most of a redraw),
//! drawn at the device pixel ratio, and broken where data is missing.
//!
//! One room per part: [`data`] (what a chart shows), [`draw`] (the canvas,
//! a function per layer), [`area`] (pixels ↔ time), [`crosshair`] (the
//! shared crosshair and the tooltip), [`zoom`] (drag to zoom, with a mouse
//! or fingers), [`legend`] (hide and show lines), [`compare`] (overlay,
//! difference or ratio of the variants) and [`summary`] (the chart in
//! words, for screen readers).

pub mod area;
pub mod compare;
pub mod crosshair;
pub mod data;
pub mod draw;
pub mod legend;
pub mod summary;
pub mod zoom;

use leptos::{ev, prelude::*};
use zai_dash_engine::plot;

use self::{
    area::PlotArea,
    compare::CompareControl,
    crosshair::{Crosshair, CrosshairLine, Pointer, Tooltip},
    data::{ChartData, Unit},
    legend::{Legend, hidden_lines},
    summary::Summary,
    zoom::{Drag, Selection, Touches},
};
use crate::{state::Dashboard, theme::Palette};

/// A chart with a legend (click a name to hide or show it), the shared
/// crosshair with a tooltip of every line's value on the chart under the
/// pointer, and drag to zoom; touch too (see [`zoom`]). The canvas is an
/// image named by the title and unit, described by its [`Summary`] table.
#[component]
pub fn Chart(
    /// The chart's short id: the element is `chart-{id}`, and hidden
    /// series are kept in the URL as `{id}:{label}`.
    id: &'static str,
    /// The panel's title, which names the chart for screen readers.
    title: &'static str,
    /// What the values measure (in overlay; a comparison's unit is the
    /// mode's, `Mode::unit`).
    unit: Unit,
    /// The data; the chart redraws whenever it changes.
    #[prop(into)]
    data: Signal<ChartData>,
) -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    let crosshair = expect_context::<Crosshair>();
    let palette = expect_context::<Signal<Palette>>();
    let hidden = hidden_lines(dashboard, id);
    let area = PlotArea::new(data);
    let drag = Drag::default();
    let touches = Touches::default();

    Effect::new(move |_| {
        area.size.track();
        let Some(el) = area.canvas.get() else { return };
        data.with(|d| {
            hidden.with(|h| {
                let axis = draw::draw(&el, d, unit, h, &palette.get());
                // What the canvas now shows, for tests: the drawn points'
                // span, the right edge (the last poll, when live), and the
                // value axis' unit and labels.
                let (from, to) =
                    plot::drawn_span(&d.times, d.shown(h).map(|l| l.values.as_slice()))
                        .unwrap_or_default();
                for (name, t) in [("from", from), ("to", to), ("at", d.end_ms)] {
                    let _ = el.set_attribute(&format!("data-drawn-{name}"), &t.to_string());
                }
                if let Some(axis) = axis {
                    let _ = el.set_attribute("data-axis-unit", &axis.unit);
                    let _ = el.set_attribute("data-axis-ticks", &axis.ticks.join("|"));
                }
            });
        });
    });

    let point_at = move |x: f64| {
        crosshair.0.set(Some(Pointer {
            t_ms: area.time_at(x),
            chart: id,
        }))
    };
    let touch = |e: &ev::PointerEvent| e.pointer_type() != "mouse";
    let x_of = |e: &ev::PointerEvent| f64::from(e.offset_x());
    let on_down = move |e: ev::PointerEvent| {
        let x = x_of(&e);
        if touch(&e) {
            touches.down(e.pointer_id(), x, e.time_stamp(), drag);
            point_at(x);
        } else if e.button() == 0 {
            // Captured, the drag goes on (and ends) past the canvas' edge.
            if let Some(el) = area.canvas.get_untracked() {
                let _ = el.set_pointer_capture(e.pointer_id());
            }
            drag.start(x);
        }
    };
    let on_move = move |e: ev::PointerEvent| {
        let x = x_of(&e);
        if !touch(&e) {
            point_at(x);
            drag.extend(x);
        } else if touches.moved(e.pointer_id(), x, e.time_stamp(), drag) {
            point_at(x);
        }
    };
    let on_up = move |e: ev::PointerEvent| {
        if touch(&e) {
            touches.up(e.pointer_id(), drag, area, dashboard);
        } else {
            drag.finish(area, dashboard);
        }
    };
    // A finger lifted leaves the crosshair where it was (a tap shows it);
    // the mouse leaving takes it away.
    let on_leave = move |e: ev::PointerEvent| {
        if !touch(&e) {
            crosshair.0.set(None);
            drag.cancel();
        }
    };

    view! {
        <div class="chart" id=format!("chart-{id}")>
            <CompareControl id=id data=data />
            <div class="plot">
                <canvas
                    node_ref=area.canvas
                    role="img"
                    aria-label=move || data.with(|d| format!("{title} ({})", d.mode.unit(unit).name()))
                    aria-describedby=format!("chart-{id}-summary")
                    // Vertical swipes still scroll the page; the rest is ours.
                    style:touch-action="pan-y"
                    on:pointerdown=on_down
                    on:pointermove=on_move
                    on:pointerup=on_up
                    on:pointercancel=move |e: ev::PointerEvent| touches.cancel(e.pointer_id(), drag)
                    on:pointerleave=on_leave
                    on:dblclick=move |_| dashboard.go_live()
                ></canvas>
                <CrosshairLine area=area />
                <Selection drag=drag />
                <Tooltip id=id area=area unit=unit hidden=hidden />
            </div>
            <Legend id=id data=data hidden=hidden />
            <Summary id=id title=title unit=unit data=data hidden=hidden />
        </div>
    }
}
