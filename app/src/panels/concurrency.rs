//! Requests in flight against the worker cap, and utilisation.

use leptos::prelude::*;
use zai_dash_engine::units;

use super::{Figures, Panel};

/// The concurrency panel.
#[component]
pub fn ConcurrencyPanel() -> impl IntoView {
    view! {
        <Panel id="concurrency" title="Concurrency and workers">
            <Figures label="in flight / max" class="workers" render=|s| workers(s.concurrent_requests, s.max_workers) />
            <Figures label="utilisation" class="utilisation" render=|s| units::percent(s.worker_utilization.map(|u| u * 100.0)) />
        </Panel>
    }
}

/// `3 / 10`, or "—" when either gauge is missing.
pub fn workers(current: Option<f64>, max: Option<f64>) -> String {
    match (current, max) {
        (Some(c), Some(m)) => format!("{} / {}", units::count(Some(c)), units::count(Some(m))),
        _ => units::NO_DATA.to_owned(),
    }
}
