//! The zai-dash browser app: a thin Leptos shell around `zai-dash-engine`.
//!
//! # Layout
//!
//! Data flows `relay → fetch → parse → buffer → compute → panels`:
//!
//! - [`fetch`]: finds the relay, asks it for the variant list, then polls
//!   each variant on its own loop: its targets (pods) from
//!   `/targets/{name}`, each one's `/relay/{name}/{target}` at once.
//! - [`state`]: per-variant state shared by context: the engine's rolling
//!   buffer with a store per pod (parse and buffer happen in
//!   `VariantState::record_round`), the health of the last poll per pod,
//!   the view from the URL, and the clocks.
//! - [`panels`]: components that compute what they show from a window of
//!   the buffer through the engine (`series`, `snapshot`) and render it.
//! - [`chart`]: the canvas chart every panel uses; [`theme`]: colours.
//! - [`controls`] and [`url`]: the controls, shortcuts and notices, and the
//!   address bar they keep in step with the view.
//! - [`datalink`]: "copy snapshot with data" and opening such a link: the
//!   window's data in the URL fragment, shown with no relay.
//! - [`crash`]: the panic hook, its banner, and the recovery that rebuilds
//!   everything derived from the buffers without a reload.
//! - `bench` (feature `bench`): the browser benchmark, at `?bench`.
//!
//! Nothing here does math or parsing itself: that is the engine's, where it
//! is unit-tested natively.

#[cfg(feature = "bench")]
pub mod bench;
pub mod chart;
pub mod controls;
pub mod crash;
pub mod datalink;
pub mod fetch;
pub mod panels;
pub mod state;
pub mod theme;
pub mod url;

use leptos::prelude::*;

use crate::{
    chart::crosshair::Crosshair,
    controls::{Controls, Help, KioskExit, LiveBadge, MenuButton, Notices},
    crash::CrashBanner,
    panels::{
        WindowSnapshots,
        concurrency::ConcurrencyPanel,
        cost::CostPanel,
        distribution::DistributionPanel,
        economics::EconomicsPanel,
        errors::ErrorsPanel,
        latency::LatencyPanel,
        limiter::LimiterPanel,
        requests::RequestsPanel,
        sizes::SizesPanel,
        status::{Connection, StatusBar},
        tokens::TokensPanel,
        verdict::VerdictStrip,
    },
    state::Dashboard,
};

/// The whole dashboard.
#[component]
pub fn App() -> impl IntoView {
    let (view, notices) = url::read();
    let dashboard = Dashboard::new(view, notices);
    provide_context(dashboard);
    provide_context(Crosshair(RwSignal::new(None)));
    // The canvas colours of the theme in force, for every chart.
    provide_context(Signal::derive(move || theme::palette(dashboard.theme())));
    dashboard.follow_history();
    panels::notice_unknown_charts(dashboard);
    controls::keyboard(dashboard);
    controls::visibility(dashboard);
    fetch::start(dashboard);
    state::start_clock(dashboard);
    crash::install(dashboard);
    // Whether the controls are unfolded on a narrow screen.
    let menu = RwSignal::new(false);

    view! {
        <div
            class="app"
            data-theme=move || dashboard.theme().as_str()
            data-kiosk=move || dashboard.view.with(|v| v.kiosk).to_string()
        >
            <header class="top">
                <h1>"zai-dash"</h1>
                <span class="subtitle">"zai-proxy · production vs canary"</span>
                <LiveBadge />
                <Connection />
                <MenuButton open=menu />
                <Controls open=menu />
            </header>
            <KioskExit />
            <main>
                <CrashBanner />
                <Notices />
                <Help />
                {move || {
                    dashboard
                        .setup_error
                        .get()
                        .map(|e| view! { <p class="notice error" id="setup-error">{e}</p> })
                }}
                {move || {
                    dashboard.generation.track();
                    view! { <Body /> }
                }}
            </main>
        </div>
    }
}

/// Everything computed from the buffers: built anew for every
/// [`Dashboard::generation`], so a recovery from a panic drops the caches,
/// memos and effects that died in it.
#[component]
fn Body() -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    provide_context(WindowSnapshots::new(dashboard));
    view! {
        <StatusBar />
        <VerdictStrip />
        <div class="panels">
            <RequestsPanel />
            <LatencyPanel />
            <DistributionPanel />
            <TokensPanel />
            <CostPanel />
            <ConcurrencyPanel />
            <LimiterPanel />
            <ErrorsPanel />
            <SizesPanel />
            <EconomicsPanel />
        </div>
    }
}
