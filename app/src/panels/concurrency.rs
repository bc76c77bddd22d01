//! Requests in flight against the worker cap, and utilisation.

use leptos::prelude::*;
use zai_dash_engine::{series, units};

use super::{Figures, Panel, Style, chart_data};
use crate::{chart::Unit, state::Dashboard, theme::series_color};

/// The concurrency panel.
#[component]
pub fn ConcurrencyPanel() -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    let style = Style {
        color: series_color,
        stacked: false,
    };
    let data = chart_data(dashboard, series::concurrency, style);
    view! {
        <Panel id="concurrency" title="Concurrency and workers" unit=Unit::Count data=data>
            <Figures label="in flight / max" class="workers" render=|s| workers(s.concurrent_requests, s.max_workers) />
            <Figures label="utilisation" class="utilisation" render=|s| units::percent(s.worker_utilization.map(|u| u * 100.0)) />
        </Panel>
    }
}

/// `3 / 10`, or "—" when either gauge is missing.
pub fn workers(current: Option<f64>, max: Option<f64>) -> String {
    match (current, max) {
        (Some(c), Some(m)) => format!("{c} / {m}"),
        _ => units::NO_DATA.to_owned(),
    }
}
