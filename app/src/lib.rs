//! The zai-dash browser app: a thin Leptos shell around `zai-dash-engine`.
//!
//! # Layout
//!
//! Data flows `relay → fetch → parse → buffer → compute → panels`:
//!
//! - [`fetch`]: asks the relay for the variant list, then polls each
//!   variant's `/relay/{name}` on its own loop and hands the text over.
//! - [`state`]: per-variant state shared by context: the engine's rolling
//!   buffer (parse and buffer happen in `VariantState::accept`), the health
//!   of the last poll, the selected window and variants, and a clock.
//! - [`panels`]: components that compute what they show from a window of
//!   the buffer through the engine (`series`, `snapshot`) and render it.
//! - [`chart`]: the canvas chart every panel uses; [`theme`]: colours.
//! - [`bench`]: the browser benchmark, at `?bench`.
//!
//! Nothing here does math or parsing itself: that is the engine's, where it
//! is unit-tested natively.

pub mod bench;
pub mod chart;
pub mod fetch;
pub mod panels;
pub mod state;
pub mod theme;

use leptos::prelude::*;

use crate::{
    chart::Crosshair,
    panels::{
        WindowSnapshots,
        concurrency::ConcurrencyPanel,
        cost::CostPanel,
        errors::ErrorsPanel,
        latency::LatencyPanel,
        limiter::LimiterPanel,
        requests::RequestsPanel,
        sizes::SizesPanel,
        status::{Connection, StatusBar},
        tokens::TokensPanel,
    },
    state::{Dashboard, Show, WINDOWS},
};

/// The whole dashboard.
#[component]
pub fn App() -> impl IntoView {
    let dashboard = Dashboard::new();
    provide_context(dashboard);
    provide_context(Crosshair(RwSignal::new(None)));
    provide_context(WindowSnapshots::new(dashboard));
    theme::provide_palette(dashboard.theme);
    fetch::start(dashboard);
    state::start_clock(dashboard);

    view! {
        <div class="app" data-theme=move || dashboard.theme.get().as_str()>
            <header class="top">
                <h1>"zai-dash"</h1>
                <span class="subtitle">"zai-proxy · production vs canary"</span>
                <Controls />
                <Connection />
            </header>
            <main>
                {move || {
                    dashboard
                        .setup_error
                        .get()
                        .map(|e| view! { <p class="notice error" id="setup-error">{e}</p> })
                }}
                <StatusBar />
                <div class="panels">
                    <RequestsPanel />
                    <LatencyPanel />
                    <TokensPanel />
                    <CostPanel />
                    <ConcurrencyPanel />
                    <LimiterPanel />
                    <ErrorsPanel />
                    <SizesPanel />
                </div>
            </main>
        </div>
    }
}

/// Window, variant and theme selectors.
#[component]
fn Controls() -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    let shows = [
        ("production", Show::Production),
        ("canary", Show::Canary),
        ("both", Show::Both),
    ];
    view! {
        <nav class="controls" aria-label="View">
            <div class="segmented" role="group" aria-label="Window" id="window-select">
                {WINDOWS
                    .into_iter()
                    .map(|(label, ms)| {
                        view! {
                            <button
                                data-window=label
                                aria-pressed=move || (dashboard.window_ms.get() == ms).to_string()
                                on:click=move |_| dashboard.window_ms.set(ms)
                            >
                                {label}
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            <div class="segmented" role="group" aria-label="Variants" id="variant-select">
                {shows
                    .into_iter()
                    .map(|(label, show)| {
                        view! {
                            <button
                                data-show=label
                                aria-pressed=move || (dashboard.show.get() == show).to_string()
                                on:click=move |_| dashboard.show.set(show)
                            >
                                {label}
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            <button
                id="theme-toggle"
                on:click=move |_| dashboard.theme.update(|t| *t = t.toggled())
            >
                {move || format!("{} theme", dashboard.theme.get().toggled().as_str())}
            </button>
        </nav>
    }
}
