//! The legend: one toggle button per line (`aria-pressed` while the line
//! is shown); a click hides or shows that line, remembered in the URL
//! (`hide=chart:label`) so a shared link keeps it.

use leptos::prelude::*;

use super::data::{ChartData, Hidden};
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
