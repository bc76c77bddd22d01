//! The adaptive rate limiter (its limit, with rejections and adjustments as
//! rates) and the provider quota, when the proxy exports it.

use leptos::prelude::*;
use zai_dash_engine::{
    snapshot::{QuotaState, QuotaWindowState},
    units,
};

use super::{Figures, Panel, WindowSnapshots};
use crate::state::Dashboard;

/// The proxy marks a quota sample stale after 15 minutes.
const QUOTA_STALE_AFTER_S: f64 = 15.0 * 60.0;

/// A quota sample this young reads as fresh (the proxy polls the
/// provider about once a minute); older ones are drawn as ageing.
const QUOTA_FRESH_FOR_S: f64 = 2.0 * 60.0;

/// The rate-limiter panel.
#[component]
pub fn LimiterPanel() -> impl IntoView {
    let snaps = expect_context::<WindowSnapshots>().0;
    view! {
        <Panel id="limiter" title="Rate limiter and quota">
            <Figures label="limit" class="limit" render=|s| units::rate(s.rate_limit_rps) />
            <Figures label="rejections/s" class="rejection-rate" render=|s| units::rate(s.rate_limit_rejection_rate) />
            <div class="quota">
                <For
                    each=move || snaps.get()
                    key=|(v, s)| (v.name.get_value(), quota_key(&s.quota))
                    children=move |(v, s)| {
                        let name = v.name.get_value();
                        view! { <Quota variant=name quota=s.quota /> }
                    }
                />
            </div>
        </Panel>
    }
}

/// A key that changes whenever the quota block's figures do. `f64` is not
/// `Hash`, so the fields' bits stand in; formatting them (`{:?}`) would
/// link core's float printing into the app for this alone.
fn quota_key(quota: &Option<QuotaState>) -> Vec<Option<u64>> {
    let Some(q) = quota else {
        return Vec::new();
    };
    [&q.five_hour, &q.weekly]
        .into_iter()
        .flat_map(|w| {
            let w = w.clone().unwrap_or_default();
            [w.usage_ratio, w.remaining_ratio, w.reset_time_unix]
        })
        .chain([q.sample_age_seconds])
        .map(|v| v.map(f64::to_bits))
        .collect()
}

/// One variant's quota block, or "telemetry unavailable".
#[component]
fn Quota(variant: String, quota: Option<QuotaState>) -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    let Some(q) = quota else {
        return view! {
            <p class="quota-none" data-testid=format!("quota-{variant}-no-data")>
                {format!("{variant}: quota telemetry unavailable")}
            </p>
        }
        .into_any();
    };
    let freshness = match q.sample_age_seconds {
        None => ("no sample yet".to_owned(), "stale"),
        Some(age) if age > QUOTA_STALE_AFTER_S => {
            (format!("sample {} old (stale)", units::age(age)), "stale")
        }
        Some(age) if age > QUOTA_FRESH_FOR_S => {
            (format!("sample {} old", units::age(age)), "aging")
        }
        Some(age) => (format!("sample {} old", units::age(age)), "fresh"),
    };
    let prefix = format!("quota-{variant}");
    let row = move |label: &'static str, key: &'static str, w: Option<QuotaWindowState>| {
        let id = format!("{prefix}-{key}");
        let w = w.unwrap_or_default();
        let resets = move || match w.reset_time_unix {
            None => units::NO_DATA.to_owned(),
            Some(t) => {
                let left = t - dashboard.now_ms.get() / 1000.0;
                if left <= 0.0 {
                    "due".to_owned()
                } else {
                    format!("resets in {}", units::age(left))
                }
            }
        };
        view! {
            <tr data-testid=id>
                <th>{label}</th>
                <td class="quota-used">{units::percent(w.usage_ratio.map(|u| u * 100.0))}" used"</td>
                <td class="quota-left">{units::percent(w.remaining_ratio.map(|u| u * 100.0))}" left"</td>
                <td class="quota-reset">{resets}</td>
            </tr>
        }
    };
    view! {
        <div class="quota-block" data-testid=format!("quota-{variant}")>
            <p>
                <strong>{variant.clone()}</strong>
                " · "
                <span class=format!("quota-freshness {}", freshness.1) data-testid=format!("quota-{variant}-freshness")>
                    {freshness.0}
                </span>
            </p>
            <table>
                {row("5h", "five_hour", q.five_hour)}
                {row("Week", "weekly", q.weekly)}
            </table>
        </div>
    }
    .into_any()
}
