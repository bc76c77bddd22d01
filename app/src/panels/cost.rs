//! Estimated cost from `zai_proxy_estimated_cost_usd_total`: spend rate per
//! direction and exact totals over the window, per variant.

use leptos::prelude::*;
use zai_dash_engine::units;

use super::{Figures, Panel};

/// The estimated-cost panel.
#[component]
pub fn CostPanel() -> impl IntoView {
    view! {
        <Panel id="cost" title="Estimated cost">
            <Figures label="total" class="cost-total" render=|s| units::usd(s.estimated_cost_usd_total) />
            <div class="totals">
                <Figures label="input" class="cost-input" render=|s| units::usd(s.estimated_cost_usd_input) />
                <Figures label="output" class="cost-output" render=|s| units::usd(s.estimated_cost_usd_output) />
                <Figures label="cache read" class="cost-cache-read" render=|s| units::usd(s.estimated_cost_usd_cache_read) />
                <Figures label="cache write" class="cost-cache-write" render=|s| units::usd(s.estimated_cost_usd_cache_write) />
            </div>
            <p class="footnote">"Uses the proxy's configured per-token price estimate."</p>
        </Panel>
    }
}
