//! The latency distribution: per request-duration bucket, each shown
//! variant's share of its requests as a bar, and the points of mass the
//! canary moved against production, under a line that sums up the shift
//! over the window on screen. A table: rows are buckets, columns variants.
//!
//! The panel's body is written as HTML text into one element: built as
//! Leptos views, the table's render and rebuild code was 11 KB of wasm
//! (`make bundle-profile`), as text it is a few string writes.

use leptos::prelude::*;
use zai_dash_engine::{
    distribution::{self, Distribution, MIN_REQUESTS, Reading, Table},
    units,
};

use super::{UNRELIABLE, WindowSnapshots, push_html, span::span_text};
use crate::state::{Dashboard, VariantState};

/// One shown variant's reading over the window (`None`: the window mixes
/// a load-balanced URL's processes, so its shares would be unreliable).
#[derive(Clone, PartialEq)]
struct Column {
    variant: VariantState,
    name: String,
    reading: Option<Reading>,
}

impl Column {
    /// Its distribution, when it has enough requests.
    fn measured(&self) -> Option<&Distribution> {
        match &self.reading {
            Some(Reading::Measured(d)) => Some(d),
            _ => None,
        }
    }

    /// What the column says instead of shares, if it has none.
    fn status(&self) -> Option<String> {
        Some(match self.reading.as_ref() {
            None => UNRELIABLE.to_owned(),
            Some(Reading::Measured(_)) => return None,
            Some(Reading::NoData) => "no data".to_owned(),
            Some(Reading::NotEnough(None)) => {
                "not enough data (no two scrapes to compare)".to_owned()
            }
            Some(Reading::NotEnough(Some(n))) => format!(
                "not enough data (n = {} request{}; {} needed)",
                units::count(Some(*n)),
                if *n == 1.0 { "" } else { "s" },
                units::count(Some(MIN_REQUESTS)),
            ),
        })
    }
}

/// The latency distribution panel.
#[component]
pub fn DistributionPanel() -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    let snaps = expect_context::<WindowSnapshots>().0;
    // Once per poll (or change of range): each shown variant's reading,
    // and the table of production and canary.
    let data = Memo::new(move |_| {
        let (start, end) = dashboard.range();
        let columns: Vec<Column> = dashboard
            .shown()
            .into_iter()
            .map(|variant| {
                let reading = variant.with_buffer(|b| {
                    let w = b.window(start, end);
                    (!w.unreliable()).then(|| distribution::reading(&w))
                });
                Column {
                    name: variant.name.get_value(),
                    variant,
                    reading,
                }
            })
            .collect();
        let find = |name: &str| columns.iter().find(|c| c.name == name)?.measured();
        let table = distribution::table(find("production"), find("canary"));
        (columns, table)
    });
    // The summary line, a view of its own: its span ticks every second
    // while the window fills, and the table below must not be rewritten
    // for that.
    let summary_line = move || {
        let (from, to) = dashboard.range();
        let range = dashboard.view.with(|v| v.range);
        let slack = 2 * dashboard.resolution_ms(from) as i64;
        let span = snaps.with(|s| span_text(range, (from, to), s.iter().map(|(_, s)| s), slack));
        data.with(|(columns, table)| format!("{} — {span}", summary(columns, table)))
    };
    // The rest as text, redone when the data or a variant's condition
    // changes (so checked on the clock's tick: staleness follows it), and
    // the page is touched only when the text differs.
    let html = Memo::new(move |_| {
        data.with(|(columns, table)| {
            let conditions: Vec<&str> = columns
                .iter()
                .map(|c| dashboard.condition(&c.variant).as_str())
                .collect();
            body(columns, &conditions, table)
        })
    });
    view! {
        <section class="panel" id="panel-distribution">
            <h2>"Latency distribution"</h2>
            <p class="dist-summary" data-testid="dist-summary">{summary_line}</p>
            <div class="dist-body" inner_html=move || html.get()></div>
        </section>
    }
}

/// What the summary line says of the shift, before its span.
fn summary(columns: &[Column], table: &Table) -> String {
    table.summary().unwrap_or_else(|| match columns {
        [one] => format!("share of {}'s requests per latency bucket", one.name),
        _ => "not enough data to compare canary with production".to_owned(),
    })
}

/// The panel's body under its summary: a status line per variant without
/// shares, and the table of `columns` (shown variants, in their
/// `conditions`), unless no variant has shares.
fn body(columns: &[Column], conditions: &[&str], table: &Table) -> String {
    let mut html = String::new();
    let h = &mut html;
    for (c, condition) in columns.iter().zip(conditions) {
        if let Some(status) = c.status() {
            push_html(
                h,
                &[
                    "<p class=\"dist-status\" data-variant=\"",
                    &c.name,
                    "\" data-condition=\"",
                    condition,
                    "\">",
                    &format!("{}: {status}", c.name),
                    "</p>",
                ],
            );
        }
    }
    if table.rows.is_empty() {
        return html;
    }
    let both = columns.len() > 1;
    h.push_str(
        "<table class=\"dist-table\"><caption>Share of each variant's requests per latency bucket over the window",
    );
    if both {
        h.push_str(", and the points canary moved against production");
    }
    h.push_str("</caption><thead><tr><th scope=\"col\">bucket</th>");
    for (c, condition) in columns.iter().zip(conditions) {
        push_html(
            h,
            &[
                "<th scope=\"col\" data-variant=\"",
                &c.name,
                "\" data-condition=\"",
                condition,
                "\">",
                &c.name,
                "</th>",
            ],
        );
    }
    if both {
        h.push_str("<th scope=\"col\">moved</th>");
    }
    h.push_str("</tr></thead><tbody>");
    for row in &table.rows {
        push_html(h, &["<tr><th scope=\"row\">", &row.label, "</th>"]);
        for (c, condition) in columns.iter().zip(conditions) {
            // The engine's table holds production first, canary second.
            let share = match c.name.as_str() {
                "production" => row.shares[0],
                "canary" => row.shares[1],
                _ => None,
            };
            push_html(
                h,
                &[
                    "<td class=\"dist-share\" data-variant=\"",
                    &c.name,
                    "\" data-condition=\"",
                    condition,
                    "\">",
                ],
            );
            // A native bar (the page's CSP allows no inline style), hidden
            // from screen readers, which read the percentage beside it;
            // no share, no bar.
            if let Some(s) = share {
                push_html(
                    h,
                    &[
                        "<meter class=\"dist-bar\" aria-hidden=\"true\" min=\"0\" max=\"100\" value=\"",
                        &units::fixed(s, 1),
                        "\"></meter>",
                    ],
                );
            }
            push_html(
                h,
                &[
                    "<span class=\"dist-pct\">",
                    &units::percent(share),
                    "</span></td>",
                ],
            );
        }
        if both {
            let moved = match row.worse {
                Some(true) => "worse",
                Some(false) => "better",
                None => "same",
            };
            push_html(
                h,
                &[
                    "<td class=\"dist-moved\" data-moved=\"",
                    moved,
                    "\">",
                    &distribution::points(row.moved),
                    "</td></tr>",
                ],
            );
        } else {
            h.push_str("</tr>");
        }
    }
    html + "</tbody></table>"
}
