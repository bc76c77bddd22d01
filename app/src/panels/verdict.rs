//! The canary verdict strip: is the canary healthy enough to promote?
//!
//! The engine's judge ([`zai_dash_engine::judge`], Kayenta's Mann–Whitney
//! method) compares the canary with production over the window on screen,
//! one sample per poll interval (or history step) per metric; this strip
//! shows the overall Pass / Marginal / Fail with its score, a cell per
//! metric, and on hover how each cell was decided. The judge's settings
//! come from the URL (`judge=`), so a shared link recomputes the same
//! verdict.

use leptos::prelude::*;
use zai_dash_engine::{
    judge::{self, Class, MetricResult, Outcome, SamplesCache, Settings, Unit, Verdict},
    prices::PriceTable,
    units,
};

use crate::state::Dashboard;

/// The variant the canary is judged against, and the canary.
const BASELINE: &str = "production";
/// The variant under judgement.
const CANARY: &str = "canary";

/// The verdict over the window on screen at `settings`, costs at `prices`;
/// `None` without both variants (or once the strip is gone, with its
/// `caches`). Each variant's samples go through its entry of `caches`, so
/// a poll computes only the intervals it added.
fn verdict(
    dashboard: Dashboard,
    settings: &Settings,
    prices: &PriceTable,
    caches: StoredValue<[SamplesCache; 2]>,
) -> Option<Verdict> {
    let variants = dashboard.variants.get();
    let find = |name: &str| variants.iter().find(|v| v.name.get_value() == name);
    let (baseline, canary) = (find(BASELINE)?, find(CANARY)?);
    let (from, to) = dashboard.range();
    let interval = judge::judge_interval(from, to, dashboard.resolution_ms(from) as i64);
    let samples = |i: usize, v: &crate::state::VariantState| {
        v.with_buffer(|b| caches.try_update_value(|c| c[i].update(b, (from, to), interval, prices)))
    };
    Some(judge::judge(
        &samples(0, baseline)?,
        &samples(1, canary)?,
        settings,
    ))
}

/// The judge's settings from the URL (kept only when valid there).
fn settings(dashboard: Dashboard) -> Settings {
    dashboard
        .view
        .with(|v| v.judge.as_deref().unwrap_or_default().parse())
        .unwrap_or_default()
}

/// The strip: the outcome, then a cell per metric.
#[component]
pub fn VerdictStrip() -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    // The judge's settings and the price table, parsed only when the URL
    // changes, not on every poll.
    let url = Memo::new(move |_| (settings(dashboard), dashboard.price_table()));
    let caches = StoredValue::new(<[SamplesCache; 2]>::default());
    let verdict = Memo::new(move |_| url.with(|(s, p)| verdict(dashboard, s, p, caches)));
    let outcome = move || {
        verdict.with(|v| {
            v.as_ref().map_or(
                ("none", "needs a production and a canary variant".to_owned()),
                |v| (outcome_key(v.outcome), outcome_text(v)),
            )
        })
    };
    let cells = move || {
        verdict.with(|v| {
            v.as_ref()
                .map(|v| v.metrics.iter().map(cell).collect_view())
        })
    };
    let about = move || url.with(|(s, _)| settings_text(s));
    view! {
        <section class="verdict" id="verdict" aria-label="Canary verdict" data-outcome=move || outcome().0>
            <h2>"Canary verdict"</h2>
            <p class="verdict-outcome">{move || outcome().1}</p>
            <ul class="verdict-metrics">{cells}</ul>
            <p class="verdict-settings">{about}</p>
        </section>
    }
}

/// One metric's cell: its class, and on hover how it was decided.
fn cell(m: &MetricResult) -> impl IntoView + use<> {
    let (key, class) = class_text(m.class);
    view! {
        <li
            class="verdict-metric"
            data-metric=m.metric.key()
            data-class=key
            data-critical=m.critical.to_string()
            title=explain(m)
            tabindex="0"
        >
            <span class="verdict-label">{m.metric.label()}</span>
            <span class="verdict-class">{class}</span>
        </li>
    }
}

/// The outcome's `data-outcome` key.
fn outcome_key(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => "pass",
        Outcome::Marginal => "marginal",
        Outcome::Fail => "fail",
        Outcome::NotEnoughData => "not-enough-data",
    }
}

/// The outcome in words, with its score and what decided it.
fn outcome_text(v: &Verdict) -> String {
    let score = v.score.map_or_else(String::new, |s| {
        format!(
            " · score {} ({} of {} passed)",
            units::fixed(s, 0),
            v.passed,
            v.judged
        )
    });
    match v.outcome {
        Outcome::Pass => format!("PASS{score}"),
        Outcome::Marginal => format!("MARGINAL{score}"),
        Outcome::Fail => {
            let failed: Vec<&str> = v
                .metrics
                .iter()
                .filter(|m| matches!(m.class, Class::High | Class::Low))
                .map(|m| m.metric.label())
                .collect();
            let critical = if v.failed_critical.is_empty() {
                ""
            } else {
                " (a critical one among them)"
            };
            format!("FAIL{score}: {} worse{critical}", failed.join(", "))
        }
        Outcome::NotEnoughData => {
            let fewest = v.metrics.iter().find_map(|m| match m.class {
                Class::NotEnoughData { n, min } => Some((n, min)),
                _ => None,
            });
            match fewest {
                Some((n, min)) => format!("not enough data (n = {n} of {min})"),
                None => "not enough data".to_owned(),
            }
        }
    }
}

/// A class's `data-class` key and its text.
fn class_text(class: Class) -> (&'static str, String) {
    match class {
        Class::Pass => ("pass", "Pass".to_owned()),
        Class::High => ("high", "High".to_owned()),
        Class::Low => ("low", "Low".to_owned()),
        Class::NoData => ("no-data", "NoData".to_owned()),
        Class::NotEnoughData { n, min } => ("not-enough-data", format!("n = {n} of {min}")),
    }
}

/// A value of `unit` as the page reads it.
fn value(unit: Unit, v: f64) -> String {
    match unit {
        Unit::Ratio => units::percent(Some(v * 100.0)),
        Unit::Ms => units::millis(Some(v)),
        Unit::Tokens => units::compact(v),
        Unit::Usd => units::usd(Some(v)),
    }
}

/// How a cell was decided: both medians, the shift and its interval, p
/// and n; or why it was not judged.
fn explain(m: &MetricResult) -> String {
    let unit = m.metric.unit();
    let median = |s: judge::Side| {
        s.median
            .map_or_else(|| units::NO_DATA.to_owned(), |v| value(unit, v))
    };
    let mut lines = vec![
        format!(
            "production median {} (n = {})",
            median(m.production),
            m.production.n
        ),
        format!("canary median {} (n = {})", median(m.canary), m.canary.n),
    ];
    if let Some(shift) = m.shift {
        let signed = |v: f64| {
            let sign = if v < 0.0 { "−" } else { "+" };
            format!("{sign}{}", value(unit, v.abs()))
        };
        lines.push(format!(
            "shift {} (interval {} to {})",
            signed(shift.estimate),
            signed(shift.lower),
            signed(shift.upper)
        ));
    }
    if let Some(p) = m.p {
        let p = if p < 0.001 {
            "< 0.001".to_owned()
        } else {
            units::fixed(p, 3)
        };
        lines.push(format!("p = {p}"));
    }
    if m.critical {
        lines.push("critical: its failure fails the verdict".to_owned());
    }
    lines.extend(m.reason.clone());
    lines.join("\n")
}

/// The settings in words.
fn settings_text(s: &Settings) -> String {
    let critical: Vec<&str> = s.critical.iter().map(|m| m.label()).collect();
    format!(
        "Kayenta's Mann–Whitney judge over the window: {} % confidence, ±{} % tolerance, \
         {} samples per variant, Pass from {}, Marginal from {}{}",
        units::fixed(s.confidence_pct, 1).trim_end_matches(".0"),
        units::fixed(s.tolerance_pct, 1).trim_end_matches(".0"),
        s.min_samples,
        units::fixed(s.pass, 0),
        units::fixed(s.marginal, 0),
        if critical.is_empty() {
            String::new()
        } else {
            format!("; critical: {}", critical.join(", "))
        }
    )
}
