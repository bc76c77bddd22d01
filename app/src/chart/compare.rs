//! The chart's comparison control: overlay, canary − production or canary
//! ÷ production, written to the URL (`cmp=chart:mode`) so a shared link
//! keeps it; offered only while both variants are shown. The comparing
//! itself is the engine's (`compare`).

use leptos::prelude::*;
use zai_dash_engine::compare::Mode;

use super::data::ChartData;
use crate::state::Dashboard;

/// Whether both production and canary are shown, so a chart can compare
/// them.
pub fn comparable(dashboard: Dashboard) -> bool {
    let shown = dashboard.shown();
    ["production", "canary"]
        .iter()
        .all(|name| shown.iter().any(|v| v.name.with_value(|n| n == name)))
}

/// How chart `id` compares the variants now: its mode in the URL while
/// both are shown ([`comparable`]), otherwise overlay.
pub fn shown_mode(dashboard: Dashboard, id: &str) -> Mode {
    if comparable(dashboard) {
        dashboard.view.with(|v| v.compare_mode(id))
    } else {
        Mode::Overlay
    }
}

/// The control of chart `id`: one button per mode (`aria-pressed` on the
/// one shown), disabled with a title saying why unless both variants are
/// shown; under it, which compared lines draw nothing and why.
#[component]
pub fn CompareControl(
    /// The chart's id, its key in `cmp=`.
    id: &'static str,
    /// What the chart shows (for the lines that draw nothing).
    data: Signal<ChartData>,
) -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    let disabled = move || !comparable(dashboard);
    let title = move || {
        disabled().then_some("compares production and canary: shown when both are (v=both)")
    };
    let missing = move || data.with(|d| d.missing.join("; "));
    view! {
        <div class="compare">
            <div class="segmented" role="group" aria-label="Compare the variants">
                {Mode::ALL
                    .into_iter()
                    .map(|mode| {
                        view! {
                            <button
                                data-compare=mode.as_str()
                                aria-pressed=move || (shown_mode(dashboard, id) == mode).to_string()
                                disabled=disabled
                                title=title
                                on:click=move |_| dashboard.adjust(|v| v.set_compare(id, mode))
                            >
                                {mode.title()}
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            <p class="compare-missing" hidden=move || missing().is_empty()>
                "not drawn: "
                {missing}
            </p>
        </div>
    }
}
