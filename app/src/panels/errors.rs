//! Upstream errors by type and retries, as rates.

use leptos::prelude::*;
use zai_dash_engine::{series, units};

use super::{Figures, Panel, Style, chart_data};
use crate::{chart::Unit, state::Dashboard, theme::series_color};

/// The errors-and-retries panel.
#[component]
pub fn ErrorsPanel() -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    let style = Style {
        color: series_color,
        stacked: false,
    };
    let data = chart_data(dashboard, series::errors, style);
    view! {
        <Panel id="errors" title="Upstream errors and retries" unit=Unit::PerSecond data=data>
            <Figures label="errors/s" class="error-rate" render=|s| units::rate(s.upstream_error_rate) />
            <Figures label="retries/s" class="retry-rate" render=|s| units::rate(s.retry_rate) />
            <Figures label="errors in window" class="errors-total" render=|s| units::count(s.upstream_errors) />
        </Panel>
    }
}
