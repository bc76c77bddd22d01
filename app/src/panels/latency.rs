//! Latency p50, p95 and p99 from the windowed duration histogram.

use leptos::prelude::*;
use zai_dash_engine::{series, units};

use super::{Figures, Panel, Style, chart_data};
use crate::{chart::Unit, state::Dashboard, theme::series_color};

/// The latency panel.
#[component]
pub fn LatencyPanel() -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    let style = Style {
        color: series_color,
        stacked: false,
    };
    let data = chart_data(dashboard, series::latency, style);
    view! {
        <Panel id="latency" title="Latency" unit=Unit::Millis data=data>
            <Figures label="p50" class="p50" render=|s| units::millis(s.latency_p50) />
            <Figures label="p95" class="p95" render=|s| units::millis(s.latency_p95) />
            <Figures label="p99" class="p99" render=|s| units::millis(s.latency_p99) />
        </Panel>
    }
}
