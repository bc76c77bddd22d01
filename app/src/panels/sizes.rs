//! Request and response sizes: mean and p90 from the size histograms.

use leptos::prelude::*;
use zai_dash_engine::units;

use super::{Figures, Panel};

/// The sizes panel.
#[component]
pub fn SizesPanel() -> impl IntoView {
    view! {
        <Panel id="sizes" title="Request and response sizes">
            <Figures label="request avg" class="request-avg" render=|s| units::bytes(s.request_size_avg) />
            <Figures label="response avg" class="response-avg" render=|s| units::bytes(s.response_size_avg) />
            <Figures label="request p90" class="request-p90" render=|s| units::bytes_at_least(s.request_size_p90, s.size_p90_at_least[0]) />
            <Figures label="response p90" class="response-p90" render=|s| units::bytes_at_least(s.response_size_p90, s.size_p90_at_least[1]) />
        </Panel>
    }
}
