//! Request and response sizes: mean and p90 from the size histograms.

use leptos::prelude::*;
use zai_dash_engine::{series, units};

use super::{Figures, Panel, Style, chart_data};
use crate::{chart::Unit, state::Dashboard, theme::series_color};

/// The sizes panel.
#[component]
pub fn SizesPanel() -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    let style = Style {
        color: series_color,
        stacked: false,
    };
    let data = chart_data(dashboard, series::sizes, style);
    view! {
        <Panel id="sizes" title="Request and response sizes" unit=Unit::Bytes data=data>
            <Figures label="request avg" class="request-avg" render=|s| units::bytes(s.request_size_avg) />
            <Figures label="response avg" class="response-avg" render=|s| units::bytes(s.response_size_avg) />
        </Panel>
    }
}
