//! The chart in words: a visually hidden table of each line's latest,
//! lowest and highest value over the window on screen, the canvas' text
//! alternative (WCAG 1.1.1). It follows the data, so a screen reader or a
//! keyboard reaches the values with no pointer.

use leptos::prelude::*;

use super::data::{ChartData, Hidden, Unit};
use crate::{panels::push_html, theme};

/// The summary table of chart `id`; the canvas names it in
/// `aria-describedby` (its id is `chart-{id}-summary`).
#[component]
pub fn Summary(
    /// The chart's id.
    id: &'static str,
    /// The chart's title.
    title: &'static str,
    /// What its values measure.
    unit: Unit,
    /// What the chart shows.
    data: Signal<ChartData>,
    /// Lines the legend hid: not listed, as not drawn.
    hidden: Memo<Hidden>,
) -> impl IntoView {
    // The rows as HTML text (see `push_html`), redone as the data changes.
    let rows = move || {
        data.with(|d| {
            hidden.with(|h| {
                let format = |v| d.mode.format(unit, v);
                let mut html = String::new();
                for l in d.shown(h) {
                    let [latest, lowest, highest] = extremes(&l.values, &l.at_least, format);
                    push_html(
                        &mut html,
                        &[
                            "<tr><th scope=\"row\">",
                            &l.label,
                            "</th><td>",
                            &latest,
                            "</td><td>",
                            &lowest,
                            "</td><td>",
                            &highest,
                            "</td></tr>",
                        ],
                    );
                }
                html
            })
        })
    };
    let caption = move || {
        data.with(|d| {
            format!(
                "{title} in {}, {} to {}: each line's latest, lowest and highest value",
                d.mode.unit(unit).name(),
                theme::clock(d.start_ms),
                theme::clock(d.end_ms)
            )
        })
    };
    view! {
        // A block around the table: a table grows to its content whatever
        // its width, and would widen the page.
        <div class="visually-hidden">
        <table id=format!("chart-{id}-summary")>
            <caption>{caption}</caption>
            <thead>
                <tr>
                    <th scope="col">"line"</th>
                    <th scope="col">"latest"</th>
                    <th scope="col">"lowest"</th>
                    <th scope="col">"highest"</th>
                </tr>
            </thead>
            <tbody inner_html=rows></tbody>
        </table>
        </div>
    }
}

/// The latest, lowest and highest of `values` (gaps skipped) as `format`
/// writes them, "—" when there is none; the latest says "≥" when it is
/// only a floor.
fn extremes(values: &[f64], at_least: &[bool], format: impl Fn(f64) -> String) -> [String; 3] {
    let present = || values.iter().zip(at_least).filter(|(v, _)| !v.is_nan());
    let latest = match present().next_back() {
        Some((v, true)) => format!("≥ {}", format(*v)),
        Some((v, false)) => format(*v),
        None => format(f64::NAN),
    };
    let (lowest, highest) = present().fold((f64::NAN, f64::NAN), |(lo, hi), (v, _)| {
        (lo.min(*v), hi.max(*v))
    });
    [latest, format(lowest), format(highest)]
}
