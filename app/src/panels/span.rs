//! What span a figure covers, in words: the status cards cover the last
//! minute and the panels the window, and a window the data does not fill
//! yet says how much it has, so a p99 of two scrapes never reads as an
//! hour's.

use leptos::prelude::*;
use zai_dash_engine::{
    snapshot::MetricSnapshot,
    units,
    view::{Range, format_window},
};

use super::WindowSnapshots;
use crate::{state::Dashboard, theme};

/// The span `snaps` cover in the window `range` (bounds `[from, to]`):
/// the whole window, or how much of it has data. The data fills the
/// window when it starts within `slack_ms` of its start.
pub fn span_text<'a>(
    range: Range,
    (from, to): (i64, i64),
    snaps: impl Iterator<Item = &'a MetricSnapshot>,
    slack_ms: i64,
) -> String {
    // The best-covered variant: figures of the others are no wider.
    let best = snaps
        .filter_map(|s| Some((s.data_from_ms?, s.data_to_ms?, s.scrapes)))
        .min_by_key(|&(first, ..)| first);
    let Some((first, last, scrapes)) = best else {
        return "no data in this window yet".to_owned();
    };
    let whole = match range {
        Range::Live(ms) => format!("the last {}", format_window(ms)),
        Range::Fixed { .. } => format!("{}–{}", theme::clock(from), theme::clock(to)),
    };
    if first <= from + slack_ms {
        return format!("over {whole}");
    }
    let held = units::age((last - first) as f64 / 1000.0);
    let scrapes = match scrapes {
        1 => "1 scrape".to_owned(),
        n => format!("{n} scrapes"),
    };
    match range {
        Range::Live(ms) => format!(
            "collecting since {}: {held} of the {} window, {scrapes}",
            theme::clock(first),
            format_window(ms)
        ),
        Range::Fixed { .. } => format!("data for {held} of {whole}, {scrapes}"),
    }
}

/// The span a panel's figures cover, under them.
#[component]
pub fn FigureSpan() -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    let snaps = expect_context::<WindowSnapshots>().0;
    let text = move || {
        let (from, to) = dashboard.range();
        let range = dashboard.view.with(|v| v.range);
        let slack = 2 * dashboard.resolution_ms(from) as i64;
        snaps.with(|s| span_text(range, (from, to), s.iter().map(|(_, s)| s), slack))
    };
    view! { <p class="figure-span">{text}</p> }
}
