//! Latency p50, p95 and p99 from the windowed duration histogram.

use leptos::prelude::*;
use zai_dash_engine::units;

use super::{Figures, Panel};

/// The latency panel.
#[component]
pub fn LatencyPanel() -> impl IntoView {
    view! {
        <Panel id="latency" title="Latency">
            <Figures label="p50" class="p50" render=|s| units::millis_at_least(s.latency_p50, s.latency_at_least[0]) />
            <Figures label="p95" class="p95" render=|s| units::millis_at_least(s.latency_p95, s.latency_at_least[1]) />
            <Figures label="p99" class="p99" render=|s| units::millis_at_least(s.latency_p99, s.latency_at_least[2]) />
        </Panel>
    }
}
