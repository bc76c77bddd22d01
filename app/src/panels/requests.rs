//! Request rate by status code, stacked per variant and coloured by class.

use leptos::prelude::*;
use zai_dash_engine::{series, units};

use super::{Figures, Panel, Style, chart_data};
use crate::{chart::Unit, state::Dashboard, theme::status_color};

/// The request-rate panel.
#[component]
pub fn RequestsPanel() -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    let style = Style {
        color: status_color,
        stacked: true,
    };
    let data = chart_data(dashboard, series::request_rates, style);
    view! {
        <Panel id="requests" title="Request rate by status code" unit=Unit::PerSecond data=data>
            <Figures label="req/s" class="req-rate" render=|s| units::rate(s.req_rate) />
            <Figures label="5xx" class="err-rate" render=|s| units::percent(s.error_rate_pct) />
        </Panel>
    }
}
