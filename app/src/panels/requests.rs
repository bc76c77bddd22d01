//! Request rate by status code, stacked per variant and coloured by class.

use leptos::prelude::*;
use zai_dash_engine::units;

use super::{Figures, Panel};

/// The request-rate panel.
#[component]
pub fn RequestsPanel() -> impl IntoView {
    view! {
        <Panel id="requests" title="Request rate by status code">
            <Figures label="req/s" class="req-rate" render=|s| units::rate(s.req_rate) />
            <Figures label="5xx" class="err-rate" render=|s| units::percent(s.error_rate_pct) />
        </Panel>
    }
}
