//! Prompt-cache and cost economics per variant (cache-hit ratio, reads per
//! write, dollars the cache saved, cost per request and per 1k output
//! tokens), what the canary would cost a day with production's traffic,
//! and each variant's burn: to the end of the day and to its quotas' ends.

use leptos::prelude::*;
use zai_dash_engine::{
    economics::{self, Runway},
    extract::QuotaWindow,
    snapshot::MetricSnapshot,
    units,
};

use super::{Figures, WindowSnapshots, span::FigureSpan};
use crate::state::Dashboard;

/// What a projection without enough data reads.
const NOT_ENOUGH: &str = "not enough data";

/// The economics panel: no chart, figures and a burn block per variant.
#[component]
pub fn EconomicsPanel() -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    let snaps = expect_context::<WindowSnapshots>().0;
    let difference = move || {
        snaps.with(|all| {
            let find = |name: &str| all.iter().find(|(v, _)| v.name.get_value() == name);
            match (find("production"), find("canary")) {
                (Some((_, p)), Some((_, c))) => {
                    signed_usd(economics::canary_daily_difference(p, c))
                }
                _ => "needs a production and a canary variant".to_owned(),
            }
        })
    };
    // Per shown variant, its quota runways: a window query per quota,
    // redone when the data or the range changes (once per poll), not on
    // every tick of the clock the day's line follows.
    let runways = Memo::new(move |_| {
        let (start, end) = dashboard.range();
        snaps.with(|all| {
            all.iter()
                .map(|(v, s)| {
                    let runways = v.with_buffer(|b| {
                        let w = b.window(start, end);
                        QuotaWindow::ALL.map(|q| economics::quota_runway(&w, q))
                    });
                    (v.name.get_value(), s.clone(), runways)
                })
                .collect::<Vec<_>>()
        })
    });
    // The burn lines of variant `name` now.
    let lines = move |name: &str| {
        let now_ms = dashboard.now_ms.get();
        runways.with(|all| {
            all.iter()
                .find(|(n, ..)| n == name)
                .map(|(_, s, runways)| burn_lines(s, now_ms, *runways))
                .unwrap_or_default()
        })
    };
    view! {
        <section class="panel" id="panel-economics">
            <h2>"Cache and cost economics"</h2>
            <div class="figures">
                <Figures label="cache hit" class="econ-hit" render=|s| units::percent(economics::cache_hit_ratio(s).map(|r| r * 100.0)) />
                <Figures label="reads per write" class="econ-reads-per-write" render=|s| times(economics::reads_per_write(s)) />
                <Figures label="saved by caching" class="econ-saved" render=|s| units::usd(economics::cache_savings_usd(s)) />
                <Figures label="per request" class="econ-per-request" render=|s| units::usd(economics::cost_per_request(s)) />
                <Figures label="per 1k output tokens" class="econ-per-1k-output" render=|s| units::usd(economics::cost_per_1k_output(s)) />
            </div>
            <FigureSpan />
            <p class="econ-difference">
                "canary with production's traffic: "
                <span data-testid="econ-difference">{difference}</span>
            </p>
            <div class="econ-burns">
                <For
                    each=move || runways.with(|all| all.iter().map(|(n, ..)| n.clone()).collect::<Vec<_>>())
                    key=|name| name.clone()
                    children=move |name| {
                        let line = {
                            let name = name.clone();
                            move |i: usize| {
                                let name = name.clone();
                                move || lines(&name)[i].clone()
                            }
                        };
                        view! {
                            <div class="econ-burn" data-testid=format!("burn-{name}")>
                                <strong>{name.clone()}</strong>
                                <p class="burn-day">{line(0)}</p>
                                <p class="burn-five_hour">{line(1)}</p>
                                <p class="burn-weekly">{line(2)}</p>
                            </div>
                        }
                    }
                />
            </div>
            <p class="footnote">
                "Prices are those implied by the proxy's estimated cost. Projections run from now at the window's rate; what was spent earlier today is not known here."
            </p>
        </section>
    }
}

/// A ratio as `6.00×`.
fn times(v: Option<f64>) -> String {
    v.map_or_else(
        || units::NO_DATA.to_owned(),
        |v| format!("{}×", units::compact(v)),
    )
}

/// A daily USD difference with its sign: `+$10.97/day`, `−$0.0400/day`.
fn signed_usd(v: Option<f64>) -> String {
    match v {
        None => NOT_ENOUGH.to_owned(),
        Some(d) => {
            let sign = if d < 0.0 { "−" } else { "+" };
            format!("{sign}{}/day", units::usd(Some(d.abs())))
        }
    }
}

/// The burn block's three lines: to the end of the local day, and each
/// quota's runway.
fn burn_lines(s: &MetricSnapshot, now_ms: f64, runways: [Option<Runway>; 2]) -> [String; 3] {
    let day =
        match economics::burn_to_day_end(s, now_ms / 1000.0, local_day_end_ms(now_ms) / 1000.0) {
            None => format!("rest of today: {NOT_ENOUGH}"),
            Some(b) => format!(
                "rest of today ({} from now, at this rate): {} tokens, {}",
                units::age(b.seconds_left),
                units::compact(b.tokens),
                units::usd(Some(b.usd)),
            ),
        };
    let [five_hour, weekly] =
        [("5h quota", runways[0]), ("weekly quota", runways[1])].map(|(label, runway)| {
            let text = match runway {
                None => NOT_ENOUGH.to_owned(),
                Some(Runway::Exhausted) => "used up".to_owned(),
                Some(Runway::RunsOut(s)) => format!("runs out in {}", units::age(s)),
                Some(Runway::ResetsFirst(s)) => format!("resets first (in {})", units::age(s)),
            };
            format!("{label}: {text}")
        });
    [day, five_hour, weekly]
}

/// The end of the local day containing `now_ms`, Unix ms.
fn local_day_end_ms(now_ms: f64) -> f64 {
    let date = js_sys::Date::new(&now_ms.into());
    date.set_hours(24);
    date.set_minutes(0);
    date.set_seconds(0);
    date.set_milliseconds(0)
}
