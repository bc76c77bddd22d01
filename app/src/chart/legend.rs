//! The legend: one toggle button per line (`aria-pressed` while the line
//! is shown); a click hides or shows that line, remembered in the URL
//! (`hide=chart:label`) so a shared link keeps it.

use leptos::prelude::*;

use super::data::{ChartData, Hidden};
use zai_dash_engine::view::Notice;

use crate::state::Dashboard;

/// The labels of chart `id`'s lines hidden by the URL.
pub fn hidden_lines(dashboard: Dashboard, id: &'static str) -> Memo<Hidden> {
    let prefix = format!("{id}:");
    Memo::new(move |_| {
        dashboard.view.with(|v| {
            // `extend`, not `collect` (which sorts first): fewer bytes of wasm.
            let mut hidden = Hidden::new();
            hidden.extend(
                v.hidden
                    .iter()
                    .filter_map(|h| h.strip_prefix(&prefix).map(str::to_owned)),
            );
            hidden
        })
    })
}

/// Notices a `hide=` entry of chart `id` that matches none of its lines
/// once it has some (like any bad parameter: a link must not hide nothing
/// silently); once per entry. A line may still appear later (a status
/// code seen for the first time), and the notice says so.
fn notice_unknown_lines(
    dashboard: Dashboard,
    id: &'static str,
    data: Signal<ChartData>,
    hidden: Memo<Hidden>,
) {
    Effect::new(move |checked: Option<Hidden>| {
        let mut checked = checked.unwrap_or_default();
        // Usually none: then the chart's data is not even read (nor
        // subscribed to), so this costs nothing per poll.
        let pending: Vec<String> = hidden.with(|h| h.difference(&checked).cloned().collect());
        if pending.is_empty() {
            return checked;
        }
        data.with(|d| {
            if d.lines.is_empty() {
                return;
            }
            let has = |label: &str| d.lines.iter().any(|l| l.label == label);
            for label in pending {
                let known = has(&label);
                checked.insert(label.clone());
                if known {
                    continue;
                }
                let lines: Vec<&str> = d.lines.iter().map(|l| l.label.as_str()).collect();
                let message = format!(
                    "hide=\"{id}:{label}\" matches no line of the {id} chart (its lines: {}); \
                     it will hide that line if one appears",
                    lines.join(", ")
                );
                dashboard.notices.update(|n| {
                    n.push(Notice {
                        key: "hide".to_owned(),
                        message,
                    })
                });
            }
        });
        checked
    });
}

/// The legend of chart `id`.
#[component]
pub fn Legend(
    /// The chart's id, the prefix of its entries in `hide=`.
    id: &'static str,
    /// What the chart shows.
    data: Signal<ChartData>,
    /// Lines now hidden (from the URL).
    hidden: Memo<Hidden>,
) -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    let toggle = move |label: &str| {
        let key = format!("{id}:{label}");
        dashboard.adjust(|v| {
            if !v.hidden.remove(&key) {
                v.hidden.insert(key);
            }
        });
    };
    notice_unknown_lines(dashboard, id, data, hidden);
    let entries = move || {
        data.with(|d| {
            d.lines
                .iter()
                .map(|l| (l.label.clone(), l.color.clone(), l.dashed))
                .collect::<Vec<_>>()
        })
    };
    view! {
        <ul class="legend">
            <For
                each=entries
                key=|(label, color, dashed)| (label.clone(), color.clone(), *dashed)
                children=move |(label, color, dashed)| {
                    let name = label.clone();
                    let off = {
                        let name = name.clone();
                        move || hidden.with(|h| h.contains(&name))
                    };
                    let pressed = {
                                let off = off.clone();
                                move || (!off()).to_string()
                            };
                    view! {
                        <li>
                            <button
                                class="legend-item"
                                aria-pressed=pressed
                                class:off=off
                                class:dashed=dashed
                                on:click=move |_| toggle(&name)
                            >
                                <span class="swatch" style:background=color></span>
                                {label}
                            </button>
                        </li>
                    }
                }
            />
        </ul>
    }
}
