//! The plot area of one chart: its canvas, the data on it, and the map
//! between pixels and time that the pointer layers share.

use leptos::{ev, html, prelude::*};

use super::{data::ChartData, draw::time_scale};

/// A chart's canvas and data, with the time axis between them.
#[derive(Clone, Copy)]
pub struct PlotArea {
    /// The canvas element.
    pub canvas: NodeRef<html::Canvas>,
    /// What the chart shows.
    pub data: Signal<ChartData>,
    /// Bumped when the window is resized: the canvas may have a new size.
    pub size: RwSignal<u32>,
}

impl PlotArea {
    /// A plot area for `data`, following the window's size.
    pub fn new(data: Signal<ChartData>) -> Self {
        let size = RwSignal::new(0u32);
        // Dropping the handle leaves the listener in place, for the
        // chart's life (Leptos removes it with the owner).
        let _ = window_event_listener(ev::resize, move |_| size.update(|s| *s += 1));
        PlotArea {
            canvas: NodeRef::new(),
            data,
            size,
        }
    }

    /// The time at `x` px from the canvas' left edge, Unix ms.
    pub fn time_at(&self, x: f64) -> i64 {
        let width = self
            .canvas
            .get_untracked()
            .map_or(0.0, |el| f64::from(el.client_width()));
        self.data
            .with_untracked(|d| time_scale(d, width).value(x))
            .round() as i64
    }

    /// `t` moved into the window on screen: a drag past the plot's edge
    /// ends at that edge.
    pub fn clamp(&self, t: i64) -> i64 {
        self.data.with_untracked(|d| t.clamp(d.start_ms, d.end_ms))
    }

    /// The x of the plot's middle, CSS px.
    pub fn middle(&self) -> f64 {
        let width = self
            .canvas
            .get_untracked()
            .map_or(0.0, |el| f64::from(el.client_width()));
        let x = self.data.with_untracked(|d| time_scale(d, width));
        (x.r0 + x.r1) / 2.0
    }

    /// Where `t` falls on the canvas, in px, if inside the plot
    /// (subscribes to the data and the size).
    pub fn x_of(&self, t: i64) -> Option<f64> {
        self.size.track();
        let width = f64::from(self.canvas.get()?.client_width());
        let x = self.data.with(|d| time_scale(d, width));
        let px = x.px(t as f64).round();
        (x.r0..=x.r1).contains(&px).then_some(px)
    }
}
