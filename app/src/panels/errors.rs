//! Upstream errors by type and retries, as rates.

use leptos::prelude::*;
use zai_dash_engine::units;

use super::{Figures, Panel};

/// The errors-and-retries panel.
#[component]
pub fn ErrorsPanel() -> impl IntoView {
    view! {
        <Panel id="errors" title="Upstream errors and retries">
            <Figures label="errors/s" class="error-rate" render=|s| units::rate(s.upstream_error_rate) />
            <Figures label="retries/s" class="retry-rate" render=|s| units::rate(s.retry_rate) />
            <Figures label="errors in window" class="errors-total" render=|s| units::count(s.upstream_errors) />
        </Panel>
    }
}
