//! The status bar: per variant, whether it is up, stale or down (with the
//! relay's error), how old its data is, and its headline figures over the
//! last minute; plus whether the app can reach the relay at all.

use leptos::prelude::*;
use zai_dash_engine::{
    snapshot::{MetricSnapshot, snapshot},
    units,
};

use super::concurrency::workers;
use crate::state::{Dashboard, Health, PollError, VariantState};

/// Headline figures look back this far (or four polls, if longer), so
/// they are current but not as jumpy as a single scrape interval.
const RECENT_MS: i64 = 60_000;

/// One card per variant.
#[component]
pub fn StatusBar() -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    view! {
        <section class="status-bar" aria-label="Variant status">
            <For
                each=move || dashboard.variants.get()
                key=|v| v.name.get_value()
                children=move |v| view! { <VariantStatus variant=v /> }
            />
        </section>
    }
}

/// The variant's snapshot over the recent past, ending at its newest
/// scrape; `None` before two scrapes have arrived.
fn recent_snapshot(variant: &VariantState, refresh_ms: i64) -> Option<MetricSnapshot> {
    let name = variant.name.get_value();
    variant.with_buffer(|buffer| {
        let end = buffer.last_time()?;
        let window = buffer.window(end - RECENT_MS.max(4 * refresh_ms), end);
        (window.len() >= 2).then(|| snapshot(&name, &window))
    })
}

#[component]
fn VariantStatus(variant: VariantState) -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    let name = variant.name.get_value();
    let snap = Memo::new(move |_| recent_snapshot(&variant, dashboard.poll_ms() as i64));
    let state = move || dashboard.condition(&variant).as_str();
    let message = move || match variant.health.get() {
        Health::Down { error } => Some(error.to_string()),
        Health::Up { warning } => warning,
        Health::Waiting => None,
    };
    let age = move || {
        variant.last_ok_ms.get().map_or_else(
            || "no data yet".to_owned(),
            |t| {
                format!(
                    "data {} old",
                    units::age((dashboard.now_ms.get() - t) / 1000.0)
                )
            },
        )
    };
    let field = move |f: fn(&MetricSnapshot) -> String| {
        move || snap.with(|s| s.as_ref().map_or_else(|| units::NO_DATA.to_owned(), f))
    };
    view! {
        <article
            class="variant-status"
            id=format!("status-{name}")
            data-state=state
            data-scrapes=move || variant.version.get()
        >
            <header>
                <h2 class="variant-name">{name.clone()}</h2>
                <span class="state">{state}</span>
                <span class="age">{age}</span>
            </header>
            <p class="message" hidden=move || message().is_none()>{message}</p>
            <dl>
                <dt>"Requests"</dt>
                <dd class="req-rate">{field(|s| units::rate(s.req_rate))}</dd>
                <dt>"Errors (5xx)"</dt>
                <dd class="err-rate">{field(|s| units::percent(s.error_rate_pct))}</dd>
                <dt>"p50"</dt>
                <dd class="p50">{field(|s| units::millis_at_least(s.latency_p50, s.latency_at_least[0]))}</dd>
                <dt>"Tokens"</dt>
                <dd class="token-rate">
                    {field(|s| {
                        let total = s.token_rate_in.zip(s.token_rate_out).map(|(i, o)| i + o);
                        units::rate(total)
                    })}
                </dd>
                <dt>"Workers"</dt>
                <dd class="workers">{field(|s| workers(s.concurrent_requests, s.max_workers))}</dd>
            </dl>
        </article>
    }
}

/// Whether the app reaches the relay: "connected", or the last error.
#[component]
pub fn Connection() -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    let state = move || {
        if dashboard.setup_error.get().is_some() {
            return "disconnected";
        }
        let all_unreachable = dashboard.variants.with(|vs| {
            !vs.is_empty()
                && vs.iter().all(|v| {
                    v.health.with(|h| {
                        matches!(
                            h,
                            Health::Down {
                                error: PollError::Unreachable(_)
                            }
                        )
                    })
                })
        });
        if all_unreachable {
            "disconnected"
        } else {
            "connected"
        }
    };
    view! {
        <span class="connection" id="connection" data-state=state>{state}</span>
    }
}
