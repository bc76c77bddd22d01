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
//! shared crosshair and the tooltip), [`zoom`] (drag to zoom) and
//! [`legend`] (hide and show lines).

pub mod area;
pub mod crosshair;
pub mod data;
pub mod draw;
pub mod legend;
pub mod zoom;

use leptos::{ev, prelude::*};
use zai_dash_engine::plot;

use self::{
    area::PlotArea,
    crosshair::{Crosshair, CrosshairLine, Tooltip},
    data::{ChartData, Unit},
    legend::{Legend, hidden_lines},
    zoom::{Drag, Selection},
};
use crate::{state::Dashboard, theme::Palette};

/// A chart with a legend (click a name to hide or show it), the shared
/// crosshair with a tooltip of every line's value, and drag to zoom.
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
    let dashboard = expect_context::<Dashboard>();
    let crosshair = expect_context::<Crosshair>();
    let palette = expect_context::<Signal<Palette>>();
    let hidden = hidden_lines(dashboard, id);
    let area = PlotArea::new(data);
    let drag = Drag::default();

    Effect::new(move |_| {
        area.size.track();
        let Some(el) = area.canvas.get() else { return };
        data.with(|d| {
            hidden.with(|h| {
                draw::draw(&el, d, unit, h, &palette.get());
                // What the canvas now shows, for tests: the drawn points'
                // span, and the right edge (the last poll, when live).
                let (from, to) =
                    plot::drawn_span(&d.times, d.shown(h).map(|l| l.values.as_slice()))
                        .unwrap_or_default();
                for (name, t) in [("from", from), ("to", to), ("at", d.end_ms)] {
                    let _ = el.set_attribute(&format!("data-drawn-{name}"), &t.to_string());
                }
            });
        });
    });

    let on_move = move |e: ev::MouseEvent| {
        let x = f64::from(e.offset_x());
        crosshair.0.set(Some(area.time_at(x)));
        drag.extend(x);
    };
    let on_down = move |e: ev::MouseEvent| {
        if e.button() == 0 {
            drag.start(f64::from(e.offset_x()));
        }
    };

    view! {
        <div class="chart" id=format!("chart-{id}")>
            <div class="plot">
                <canvas
                    node_ref=area.canvas
                    on:mousemove=on_move
                    on:mousedown=on_down
                    on:mouseup=move |_| drag.finish(area, dashboard)
                    on:dblclick=move |_| dashboard.go_live()
                    on:mouseleave=move |_| {
                        crosshair.0.set(None);
                        drag.cancel();
                    }
                ></canvas>
                <CrosshairLine area=area />
                <Selection drag=drag />
                <Tooltip data=data unit=unit hidden=hidden />
            </div>
            <Legend id=id data=data hidden=hidden />
        </div>
    }
}
