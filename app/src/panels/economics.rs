//! Prompt-cache and cost economics per variant (cache-hit ratio, reads per
//! write, dollars the cache saved, cost per request and per 1k output
//! tokens), the same per model, what the canary would cost a day with
//! production's traffic, and each variant's burn: to the end of the day and
//! to its quotas' ends.
//!
//! Dollars come from the proxy's own cost where a variant exports it, else
//! from the price table in the URL (`prices=`), which the panel's editor
//! writes.

use leptos::{ev, prelude::*};
use wasm_bindgen::JsCast;
use zai_dash_engine::{
    economics::{self, PriceSource, Priced, Runway},
    extract::{Direction, QuotaWindow},
    snapshot::MetricSnapshot,
    units,
    view::Notice,
};

use super::{Figures, WindowSnapshots, push_html, span::FigureSpan};
use crate::state::{Condition, Dashboard, VariantState};

/// What a projection without enough data reads.
const NOT_ENOUGH: &str = "not enough data";

/// One shown variant's economics over the window.
#[derive(Clone, PartialEq)]
struct Row {
    variant: VariantState,
    name: String,
    priced: Priced,
    runways: [Option<Runway>; 2],
}

/// The economics panel: no chart; figures, a by-model table, where the
/// prices come from and their editor, and a burn block per variant.
#[component]
pub fn EconomicsPanel() -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    let snaps = expect_context::<WindowSnapshots>().0;
    // Per shown variant, its priced economics and quota runways: a window
    // query per variant, redone when the data, the range or the prices
    // change (once per poll), not on every tick of the clock the day's
    // line follows.
    let rows = Memo::new(move |_| {
        let (start, end) = dashboard.range();
        let table = dashboard.price_table();
        snaps.with(|all| {
            all.iter()
                .map(|(v, s)| {
                    let (priced, runways) = v.with_buffer(|b| {
                        let w = b.window(start, end);
                        (
                            economics::priced(s, &w, &table),
                            QuotaWindow::ALL.map(|q| economics::quota_runway(&w, q)),
                        )
                    });
                    Row {
                        variant: *v,
                        name: v.name.get_value(),
                        priced,
                        runways,
                    }
                })
                .collect::<Vec<_>>()
        })
    });
    // The figures below read the priced snapshots.
    let priced = WindowSnapshots(Memo::new(move |_| {
        rows.with(|all| {
            all.iter()
                .map(|r| (r.variant, r.priced.snapshot.clone()))
                .collect()
        })
    }));
    let difference = move || {
        rows.with(|all| {
            let find = |name: &str| all.iter().find(|r| r.name == name);
            match (find("production"), find("canary")) {
                (Some(p), Some(c)) => signed_usd(economics::canary_daily_difference(
                    &p.priced.snapshot,
                    &c.priced.snapshot,
                )),
                _ => "needs a production and a canary variant".to_owned(),
            }
        })
    };
    // The burn lines of variant `name` now.
    let lines = move |name: &str| {
        let now_ms = dashboard.now_ms.get();
        rows.with(|all| {
            all.iter()
                .find(|r| r.name == name)
                .map(|r| burn_lines(&r.priced.snapshot, now_ms, r.runways))
                .unwrap_or_default()
        })
    };
    // The by-model tables as text, redone once per poll.
    let models = Memo::new(move |_| {
        rows.with(|all| {
            let mut html = String::new();
            for row in all {
                models_table(&mut html, row);
            }
            html
        })
    });
    let names = move || rows.with(|all| all.iter().map(|r| r.name.clone()).collect::<Vec<_>>());
    view! {
        <section class="panel" id="panel-economics">
            <h2>"Cache and cost economics"</h2>
            <div class="figures">
                <Figures snaps=priced label="cache hit" class="econ-hit" render=|s| units::percent(economics::cache_hit_ratio(s).map(|r| r * 100.0)) />
                <Figures snaps=priced label="reads per write" class="econ-reads-per-write" render=|s| times(economics::reads_per_write(s)) />
                <Figures snaps=priced label="saved by caching" class="econ-saved" render=|s| units::usd(economics::cache_savings_usd(s)) />
                <Figures snaps=priced label="per request" class="econ-per-request" render=|s| units::usd(economics::cost_per_request(s)) />
                <Figures snaps=priced label="per 1k output tokens" class="econ-per-1k-output" render=|s| units::usd(economics::cost_per_1k_output(s)) />
            </div>
            <FigureSpan />
            <p class="econ-difference">
                "canary with production's traffic: "
                <span data-testid="econ-difference">{difference}</span>
            </p>
            <div class="econ-models" inner_html=models></div>
            <PriceEditor />
            <div class="econ-burns">
                <For
                    each=names
                    key=|name| name.clone()
                    children=move |name| {
                        let variant = rows.with_untracked(|all| {
                            all.iter().find(|r| r.name == name).map(|r| r.variant)
                        });
                        // A down or stale variant's burn stays, greyed, as
                        // its figures do.
                        let condition = move || variant.map(|v| dashboard.condition(&v));
                        let title = {
                            let name = name.clone();
                            move || condition().and_then(|c| old_data(&name, c))
                        };
                        let line = {
                            let name = name.clone();
                            move |i: usize| {
                                let name = name.clone();
                                move || lines(&name)[i].clone()
                            }
                        };
                        view! {
                            <div
                                class="econ-burn"
                                data-testid=format!("burn-{name}")
                                data-condition=move || condition().map(Condition::as_str)
                                title=title
                            >
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
                "The proxy's own estimated cost always wins where a variant exports it; else your price table (USD per million tokens, kept in the link) prices its tokens. Cost per request is not per model: requests carry no model label. Projections run from now at the window's rate; what was spent earlier today is not known here."
            </p>
        </section>
    }
}

/// Why a variant's burn block is greyed, for its hover; `None` while its
/// data is current.
fn old_data(name: &str, condition: Condition) -> Option<String> {
    matches!(condition, Condition::Down | Condition::Stale).then(|| {
        format!(
            "{name} is {}: these projections are from its last data",
            condition.as_str()
        )
    })
}

/// Where a variant's dollars come from, in words.
fn source_text(source: &PriceSource) -> String {
    match source {
        PriceSource::Proxy => "prices from the proxy's cost".to_owned(),
        PriceSource::Table => "prices from your price table".to_owned(),
        PriceSource::Unpriced(missing) if missing.is_empty() => {
            "no prices: set them below".to_owned()
        }
        PriceSource::Unpriced(missing) => {
            let names: Vec<&str> = missing.iter().map(|d| d.label()).collect();
            format!("no prices for {}: set them below", names.join(", "))
        }
    }
}

/// A variant's by-model table, captioned with where its prices come from:
/// cache-hit ratio, reads per write, dollars saved and cost per 1k output
/// tokens per model. Written as HTML text (see [`push_html`]).
fn models_table(html: &mut String, row: &Row) {
    let name = &row.name;
    push_html(
        html,
        &[
            "<table class=\"econ-model-table\" data-testid=\"econ-models-",
            name,
            "\"><caption data-testid=\"econ-source-",
            name,
            "\">",
            &format!("{name}: {}", source_text(&row.priced.source)),
            "</caption><thead><tr><th scope=\"col\">model</th><th scope=\"col\">cache hit</th><th scope=\"col\">reads per write</th><th scope=\"col\">saved</th><th scope=\"col\">per 1k output</th></tr></thead><tbody>",
        ],
    );
    for m in &row.priced.models {
        let u = &m.usage;
        let model = if m.model.is_empty() {
            "(no model label)"
        } else {
            &m.model
        };
        push_html(
            html,
            &[
                "<tr data-model=\"",
                &m.model,
                "\"><th scope=\"row\">",
                model,
                "</th><td class=\"model-hit\">",
                &units::percent(economics::cache_hit_ratio(u).map(|r| r * 100.0)),
                "</td><td class=\"model-reads-per-write\">",
                &times(economics::reads_per_write(u)),
                "</td><td class=\"model-saved\">",
                &units::usd(economics::cache_savings_usd(u)),
                "</td><td class=\"model-per-1k-output\">",
                &units::usd(economics::cost_per_1k_output(u)),
                "</td></tr>",
            ],
        );
    }
    html.push_str("</tbody></table>");
}

/// The price table's editor: a field per direction, USD per million tokens
/// for every model, written to the URL on change (a blank field clears
/// its price). A bad price is put back and noticed, as a bad window is.
#[component]
fn PriceEditor() -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    let per_model = move || {
        let entries: Vec<String> = dashboard.price_table().per_model().collect();
        (!entries.is_empty()).then(|| format!("per model, from the link: {}", entries.join(", ")))
    };
    let field = move |d: Direction| {
        let written = move || {
            dashboard
                .price_table()
                .written(d)
                .unwrap_or_default()
                .to_owned()
        };
        let on_change = move |e: ev::Event| {
            let value = event_target_value(&e);
            match dashboard.price_table().with(d, &value) {
                Ok(table) => {
                    dashboard
                        .notices
                        .update(|n| n.retain(|old| old.key != "prices"));
                    dashboard
                        .navigate(|v| v.prices = (!table.is_empty()).then(|| table.to_string()));
                }
                Err(why) => {
                    if let Some(input) = e
                        .target()
                        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                    {
                        input.set_value(&untrack(written));
                    }
                    dashboard.notices.update(|n| {
                        n.retain(|old| old.key != "prices");
                        n.push(Notice {
                            key: "prices".to_owned(),
                            message: format!("the {} price {why}", d.label().replace('_', " ")),
                        })
                    });
                }
            }
        };
        view! {
            <label>
                {d.label().replace('_', " ")}
                <input
                    class=format!("price-{}", d.label())
                    inputmode="decimal"
                    size="6"
                    placeholder="—"
                    prop:value=written
                    on:change=on_change
                />
            </label>
        }
    };
    view! {
        <fieldset class="econ-prices" data-testid="econ-prices">
            <legend>"Your prices, $ per million tokens (used where the proxy exports no cost)"</legend>
            {Direction::ALL.map(field)}
            <p class="footnote">{per_model}</p>
        </fieldset>
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
                units::usd(b.usd),
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
