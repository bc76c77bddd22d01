//! Token throughput in all four directions, and exact running totals over
//! the window per variant (never mixing variants, unlike the original).

use leptos::prelude::*;
use zai_dash_engine::units;

use super::{Figures, Panel};

/// The tokens panel.
#[component]
pub fn TokensPanel() -> impl IntoView {
    view! {
        <Panel id="tokens" title="Tokens">
            <Figures label="input/s" class="token-rate-in" render=|s| units::rate(s.token_rate_in) />
            <Figures label="output/s" class="token-rate-out" render=|s| units::rate(s.token_rate_out) />
            <div class="totals" title="Exact totals over the window: per-series counter deltas, stitched across restarts, no extrapolation">
                <Figures label="input" class="total-input" render=|s| units::count(s.tokens_input) />
                <Figures label="output" class="total-output" render=|s| units::count(s.tokens_output) />
                <Figures label="cache read" class="total-cache-read" render=|s| units::count(s.tokens_cache_read) />
                <Figures label="cache write" class="total-cache-write" render=|s| units::count(s.tokens_cache_write) />
            </div>
        </Panel>
    }
}
