//! Drag to zoom: the range dragged across a chart, shown as a selection
//! while the button is down, becomes the paused range when it is released;
//! a drag that ends past the plot's edge zooms to that edge. On a touch
//! screen the drag is two fingers (the range between them), or one finger
//! held still for [`LONG_PRESS_MS`] and then moved; a finger moved at once
//! moves the crosshair instead ([`Touches`]).

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

    /// Whether a drag is in progress.
    pub fn active(&self) -> bool {
        self.0.with_untracked(Option::is_some)
    }

    /// The button went up: zoom `area` into the dragged range, within the
    /// window on screen (a new history entry, paused), unless it was only
    /// a click.
    pub fn finish(&self, area: PlotArea, dashboard: Dashboard) {
        let Some((x0, x1)) = self.0.get_untracked() else {
            return;
        };
        self.0.set(None);
        let (from, to) = (
            area.clamp(area.time_at(x0.min(x1))),
            area.clamp(area.time_at(x0.max(x1))),
        );
        if (x1 - x0).abs() >= MIN_DRAG_PX && from < to {
            dashboard.navigate(|v| v.range = Range::Fixed { from, to });
        }
    }
}

/// How long a finger must rest before moving it drags to zoom, ms.
pub const LONG_PRESS_MS: f64 = 500.0;

/// The fingers on one chart, and what their gesture is.
#[derive(Clone, Copy)]
pub struct Touches(StoredValue<Fingers>);

impl Default for Touches {
    fn default() -> Self {
        Touches(StoredValue::new(Fingers::default()))
    }
}

/// The state of a touch gesture.
#[derive(Default)]
struct Fingers {
    /// Each finger down: its pointer id and x.
    down: Vec<(i32, f64)>,
    /// Where and when (event time, ms) the first finger went down.
    first: (f64, f64),
    /// The first finger moved at once: it moves the crosshair.
    scrubbing: bool,
    /// The gesture zoomed or was cancelled: the fingers still down do
    /// nothing more.
    spent: bool,
}

impl Touches {
    /// Finger `id` touched at `x`, at event time `at`; a second finger
    /// starts a drag between the two.
    pub fn down(&self, id: i32, x: f64, at: f64, drag: Drag) {
        self.0.update_value(|f| {
            f.down.push((id, x));
            match f.down.as_slice() {
                _ if f.spent => {}
                [_] => (f.first, f.scrubbing) = ((x, at), false),
                [(_, x0), (_, x1)] => drag.0.set(Some((*x0, *x1))),
                _ => {}
            }
        });
    }

    /// Finger `id` moved to `x` at `at`. Two fingers span the drag; one
    /// held for [`LONG_PRESS_MS`] then moved drags from where it touched;
    /// one moved sooner scrubs. Returns whether the crosshair follows.
    pub fn moved(&self, id: i32, x: f64, at: f64, drag: Drag) -> bool {
        self.0
            .try_update_value(|f| {
                if let Some(finger) = f.down.iter_mut().find(|(i, _)| *i == id) {
                    finger.1 = x;
                }
                match f.down.as_slice() {
                    _ if f.spent => false,
                    [(_, x0), (_, x1), ..] => {
                        drag.0.set(Some((*x0, *x1)));
                        false
                    }
                    [_] if drag.active() => {
                        drag.extend(x);
                        true
                    }
                    [_] if !f.scrubbing && (x - f.first.0).abs() >= MIN_DRAG_PX => {
                        if at - f.first.1 >= LONG_PRESS_MS {
                            drag.start(f.first.0);
                            drag.extend(x);
                        } else {
                            f.scrubbing = true;
                        }
                        true
                    }
                    _ => true,
                }
            })
            .unwrap_or(true)
    }

    /// Finger `id` lifted: a drag in progress zooms `area`, and the rest
    /// of the gesture is spent.
    pub fn up(&self, id: i32, drag: Drag, area: PlotArea, dashboard: Dashboard) {
        if drag.active() {
            drag.finish(area, dashboard);
            self.0.update_value(|f| f.spent = true);
        }
        self.lift(id);
    }

    /// The browser took finger `id` over (a scroll): no zoom.
    pub fn cancel(&self, id: i32, drag: Drag) {
        drag.cancel();
        self.0.update_value(|f| f.spent = true);
        self.lift(id);
    }

    fn lift(&self, id: i32) {
        self.0.update_value(|f| {
            f.down.retain(|(i, _)| *i != id);
            if f.down.is_empty() {
                f.spent = false;
            }
        });
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
