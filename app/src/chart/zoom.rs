//! Drag to zoom: the range dragged across a chart, shown as a selection
//! while the button is down, becomes the paused range when it is released.

use leptos::prelude::*;
use zai_dash_engine::view::Range;

use super::area::PlotArea;
use crate::state::Dashboard;

/// A drag in progress: the x where the button went down, and where the
/// pointer is now (CSS px from the canvas' left edge).
#[derive(Clone, Copy, Default)]
pub struct Drag(RwSignal<Option<(f64, f64)>>);

/// Fewer pixels than this is a click, not a zoom.
const MIN_DRAG_PX: f64 = 5.0;

impl Drag {
    /// The primary button went down at `x`.
    pub fn start(&self, x: f64) {
        self.0.set(Some((x, x)));
    }

    /// The pointer moved to `x`.
    pub fn extend(&self, x: f64) {
        if let Some((x0, _)) = self.0.get_untracked() {
            self.0.set(Some((x0, x)));
        }
    }

    /// The pointer left: no zoom.
    pub fn cancel(&self) {
        self.0.set(None);
    }

    /// The button went up: zoom `area` into the dragged range (a new
    /// history entry, paused), unless it was only a click.
    pub fn finish(&self, area: PlotArea, dashboard: Dashboard) {
        let Some((x0, x1)) = self.0.get_untracked() else {
            return;
        };
        self.0.set(None);
        if (x1 - x0).abs() >= MIN_DRAG_PX {
            let (from, to) = (area.time_at(x0.min(x1)), area.time_at(x0.max(x1)));
            dashboard.navigate(|v| v.range = Range::Fixed { from, to });
        }
    }
}

/// The dragged range, shaded over the chart.
#[component]
pub fn Selection(
    /// The drag to show.
    drag: Drag,
) -> impl IntoView {
    let span = move || {
        drag.0
            .get()
            .filter(|(x0, x1)| (x1 - x0).abs() >= 1.0)
            .map(|(x0, x1)| {
                (
                    format!("{}px", x0.min(x1).round() as i32),
                    format!("{}px", (x1 - x0).abs().round() as i32),
                )
            })
    };
    // Through the CSSOM (style:), which the CSP allows.
    move || {
        span().map(|(left, width)| {
            view! { <div class="selection" style:left=left style:width=width></div> }
        })
    }
}
