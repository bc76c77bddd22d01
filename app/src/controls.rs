//! The controls: window, variants, refresh, pause/resume with its LIVE or
//! PAUSED badge, theme, copy-link buttons; the notice bar for ignored URL
//! parameters; keyboard shortcuts and their help. Every control changes
//! the view through `Dashboard::navigate`, so the URL always follows.

use leptos::{ev, prelude::*};
use zai_dash_engine::{
    datalink::Writer,
    view::{REFRESH_CHOICES_MS, Range, Refresh, Variants, View, format_window},
};

use crate::{
    crash::CrashLog,
    datalink, panels,
    state::{Dashboard, HistorySource, WINDOWS},
    theme,
};

/// The header's controls (hidden in kiosk mode).
#[component]
pub fn Controls() -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    let view = dashboard.view;
    let shows = [Variants::Production, Variants::Canary, Variants::Both];
    view! {
        <nav class="controls" aria-label="View" hidden=move || view.with(|v| v.kiosk)>
            <div class="segmented" role="group" aria-label="Window" id="window-select">
                {WINDOWS
                    .into_iter()
                    .map(|(label, ms)| {
                        view! {
                            <button
                                data-window=label
                                aria-pressed=move || (view.with(|v| v.range) == Range::Live(ms)).to_string()
                                on:click=move |_| dashboard.navigate(|v| v.range = Range::Live(ms))
                            >
                                {label}
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            <CustomWindow />
            <div class="segmented" role="group" aria-label="Variants" id="variant-select">
                {shows
                    .into_iter()
                    .map(|show| {
                        view! {
                            <button
                                data-show=show.as_str()
                                aria-pressed=move || (view.with(|v| v.variants) == show).to_string()
                                on:click=move |_| dashboard.navigate(|v| v.variants = show)
                            >
                                {show.as_str()}
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            <RefreshSelect />
            <button id="pause-toggle" on:click=move |_| dashboard.toggle_pause()>
                {move || if view.with(View::is_live) { "pause" } else { "resume" }}
            </button>
            <button
                id="theme-toggle"
                on:click=move |_| {
                    let next = theme::toggled(dashboard.theme());
                    dashboard.navigate(|v| v.theme = Some(next));
                }
            >
                {move || format!("{} theme", theme::toggled(dashboard.theme()).as_str())}
            </button>
            <CopyLinks />
        </nav>
    }
}

/// A free-form window, e.g. `90m` or `now-2h`.
#[component]
fn CustomWindow() -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    let text = move || match dashboard.view.with(|v| v.range) {
        Range::Live(ms) => format_window(ms),
        Range::Fixed { .. } => String::new(),
    };
    let text_untracked = move || untrack(text);
    let on_change = move |e: ev::Event| {
        let value = event_target_value(&e);
        match zai_dash_engine::view::parse_window(value.trim()) {
            Some(ms) => dashboard.navigate(|v| v.range = Range::Live(ms)),
            None => {
                // Put the window in force back in the field, and say why.
                if let Some(input) = e.target().and_then(|t| {
                    wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlInputElement>(t).ok()
                }) {
                    input.set_value(&text_untracked());
                }
                dashboard.notices.update(|n| {
                    n.retain(|old| old.key != "w");
                    n.push(zai_dash_engine::view::Notice {
                        key: "w".to_owned(),
                        message: format!(
                            "\"{value}\" is not a window like 90m or now-2h (1m to 24h)"
                        ),
                    })
                });
            }
        }
    };
    view! {
        <input
            id="window-input"
            class="window-input"
            aria-label="Custom window"
            size="6"
            prop:value=text
            on:change=on_change
        />
    }
}

/// Refresh interval: off, or one of the offered intervals.
#[component]
fn RefreshSelect() -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    let current = move || match dashboard.view.with(|v| v.refresh) {
        None => "auto".to_owned(),
        Some(Refresh::Off) => "off".to_owned(),
        Some(Refresh::Every(ms)) => format_window(ms),
    };
    let on_change = move |e: ev::Event| {
        let value = event_target_value(&e);
        let refresh = match value.as_str() {
            "auto" => None,
            other => zai_dash_engine::view::parse_refresh(other),
        };
        dashboard.navigate(|v| v.refresh = refresh);
        dashboard.wake.update(|w| *w += 1);
    };
    let auto = move || {
        format!(
            "auto ({})",
            format_window(dashboard.relay_refresh_ms.get() as i64)
        )
    };
    view! {
        <select id="refresh-select" aria-label="Refresh" prop:value=current on:change=on_change>
            <option value="auto">{auto}</option>
            <option value="off">"off"</option>
            {REFRESH_CHOICES_MS
                .into_iter()
                .map(|ms| {
                    let label = format_window(ms);
                    view! { <option value=label.clone()>{label.clone()}</option> }
                })
                .collect_view()}
        </select>
    }
}

/// "Copy live link", "Copy snapshot link" (the range on screen as
/// absolute times, so the recipient sees the same data window later) and
/// "Copy snapshot with data" (that link carrying the window's data in its
/// fragment, so it opens with no relay). The link is also shown, selected,
/// for browsers without clipboard access, with what was copied.
#[component]
fn CopyLinks() -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    let shown = RwSignal::new(None::<(String, String)>);
    let snapshot_view = move || {
        let mut view = dashboard.view.get_untracked();
        let (from, to) = dashboard.range_untracked();
        view.range = Range::Fixed { from, to };
        view
    };
    let copy = move |snapshot: bool| {
        let mut view = dashboard.view.get_untracked();
        if snapshot {
            view = snapshot_view();
        } else if !view.is_live() {
            view.range = Range::Live(dashboard.live_window_ms.get_untracked());
        }
        let link = absolute_link(&view);
        let note = if snapshot {
            "copied the link to this range"
        } else {
            "copied the live link"
        };
        copy_text(&link);
        shown.set(Some((link, note.to_owned())));
    };
    let copy_data = move |_| {
        let plain = absolute_link(&snapshot_view());
        let text = untrack(|| data_text(dashboard));
        leptos::task::spawn_local(async move {
            let (link, note) = match datalink::pack(&text).await {
                Ok(fragment) if plain.len() + 1 + fragment.len() <= datalink::MAX_LINK_CHARS => {
                    let link = format!("{plain}#{fragment}");
                    let note = format!(
                        "copied a link carrying this window's data ({} KB)",
                        link.len().div_ceil(1000)
                    );
                    (link, note)
                }
                Ok(fragment) => {
                    let note = format!(
                        "this window's data needs a {} KB link, more than the {} KB a link may \
                         hold: copied the plain link to the range instead (it opens from the \
                         relay's history); a shorter window fits",
                        (plain.len() + fragment.len()).div_ceil(1000),
                        datalink::MAX_LINK_CHARS / 1000
                    );
                    (plain, note)
                }
                Err(e) => {
                    let note = format!(
                        "could not pack the data ({e}): copied the plain link to the range instead"
                    );
                    (plain, note)
                }
            };
            copy_text(&link);
            shown.set(Some((link, note)));
        });
    };
    view! {
        <button id="copy-live" on:click=move |_| copy(false)>"copy live link"</button>
        <button id="copy-snapshot" on:click=move |_| copy(true)>"copy snapshot link"</button>
        <button id="copy-data" on:click=copy_data>"copy snapshot with data"</button>
        {move || {
            shown
                .get()
                .map(|(link, note)| {
                    view! {
                        <input id="copied-link" class="copied-link" readonly prop:value=link />
                        <span id="copy-note" class="copy-note" role="status">{note}</span>
                    }
                })
        }}
    }
}

/// The data-link text of the window on screen: the shown variants' rows,
/// one per point of the charts drawing them.
fn data_text(dashboard: Dashboard) -> String {
    let (from, to) = dashboard.range();
    let grid = panels::grid(from, to, dashboard.resolution_ms(from) as i64);
    let mut writer = Writer::new(js_sys::Date::now() as i64, (from, to), &grid);
    for variant in dashboard.shown() {
        variant.with_buffer(|buffer| writer.variant(&variant.name.get_value(), buffer));
    }
    writer.finish()
}

/// Puts `text` on the clipboard, where the browser allows it.
fn copy_text(text: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.navigator().clipboard().write_text(text);
    }
}

/// This page's address with `view`'s query.
fn absolute_link(view: &View) -> String {
    let location = web_sys::window().map(|w| w.location());
    let origin = location
        .as_ref()
        .and_then(|l| l.origin().ok())
        .unwrap_or_default();
    let path = location
        .as_ref()
        .and_then(|l| l.pathname().ok())
        .unwrap_or_else(|| "/".to_owned());
    let query = view.to_query();
    if query.is_empty() {
        format!("{origin}{path}")
    } else {
        format!("{origin}{path}?{query}")
    }
}

/// LIVE, PAUSED with the range shown, or SNAPSHOT (a data link's); click
/// (or Esc) returns to live.
#[component]
pub fn LiveBadge() -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    let crash = expect_context::<CrashLog>();
    let snapshot = move || match dashboard.history.get() {
        HistorySource::Snapshot { copied, .. } => Some(copied),
        _ => None,
    };
    let state = move || {
        if crash.shown() {
            "error"
        } else if snapshot().is_some() {
            "snapshot"
        } else if dashboard.view.with(View::is_live) {
            "live"
        } else {
            "paused"
        }
    };
    let text = move || match (crash.shown(), snapshot(), dashboard.view.with(|v| v.range)) {
        (true, ..) => "⚠ INTERNAL ERROR (see above)".to_owned(),
        (false, Some(_), Range::Fixed { from, to }) => format!(
            "▣ SNAPSHOT {} – {} (Esc for live)",
            theme::date_time(from),
            theme::clock(to)
        ),
        (false, _, Range::Live(_)) => "● LIVE".to_owned(),
        (false, None, Range::Fixed { from, to }) => format!(
            "❚❚ PAUSED {}–{} (Esc or double-click for live)",
            theme::clock(from),
            theme::clock(to)
        ),
    };
    view! {
        <button
            id="live-badge"
            class="live-badge"
            data-state=state
            on:click=move |_| dashboard.go_live()
        >
            {text}
        </button>
    }
}

/// Ignored URL parameters, dismissible.
#[component]
pub fn Notices() -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    view! {
        <div id="notices" class="notices" hidden=move || dashboard.notices.with(Vec::is_empty)>
            <ul>
                {move || {
                    dashboard
                        .notices
                        .get()
                        .into_iter()
                        .map(|n| view! { <li data-key=n.key>{n.message}</li> })
                        .collect_view()
                }}
            </ul>
            <button id="dismiss-notices" on:click=move |_| dashboard.notices.set(Vec::new())>
                "dismiss"
            </button>
        </div>
    }
}

/// The shortcuts, as `?` shows them.
const SHORTCUTS: [(&str, &str); 8] = [
    ("?", "show or hide this help"),
    ("Esc", "back to live (and close this help)"),
    ("p or space", "pause or resume"),
    ("1 … 5", "window 5m, 15m, 1h, 6h, 24h"),
    ("v", "cycle production, canary, both"),
    ("t", "light or dark theme"),
    ("k", "kiosk mode (hide the controls)"),
    ("drag / double-click", "zoom into a range / back to live"),
];

/// Listens for the shortcuts for the page's life.
pub fn keyboard(dashboard: Dashboard) {
    // Dropping the handle leaves the listener in place.
    let _ = window_event_listener(ev::keydown, move |e| {
        let typing = e
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA"));
        if typing || e.ctrl_key() || e.meta_key() || e.alt_key() {
            return;
        }
        match e.key().as_str() {
            "?" => dashboard.help.update(|h| *h = !*h),
            "Escape" => {
                dashboard.help.set(false);
                dashboard.go_live();
            }
            "p" | " " => {
                e.prevent_default();
                dashboard.toggle_pause();
            }
            "t" => {
                let next = theme::toggled(dashboard.theme());
                dashboard.navigate(|v| v.theme = Some(next));
            }
            "k" => dashboard.navigate(|v| v.kiosk = !v.kiosk),
            "v" => dashboard.navigate(|v| {
                v.variants = match v.variants {
                    Variants::Production => Variants::Canary,
                    Variants::Canary => Variants::Both,
                    Variants::Both => Variants::Production,
                }
            }),
            key => {
                if let Some((_, ms)) = key
                    .parse::<usize>()
                    .ok()
                    .and_then(|n| WINDOWS.get(n.wrapping_sub(1)))
                {
                    let ms = *ms;
                    dashboard.navigate(|v| v.range = Range::Live(ms));
                }
            }
        }
    });
}

/// The keyboard help overlay.
#[component]
pub fn Help() -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    view! {
        <div id="help" class="help" role="dialog" aria-label="Keyboard shortcuts" hidden=move || !dashboard.help.get()>
            <h2>"Keyboard shortcuts"</h2>
            <dl>
                {SHORTCUTS
                    .into_iter()
                    .map(|(key, what)| view! { <dt><kbd>{key}</kbd></dt><dd>{what}</dd> })
                    .collect_view()}
            </dl>
        </div>
    }
}

/// Tracks whether the page is visible; on return, every poll loop fetches
/// at once so the charts catch up.
pub fn visibility(dashboard: Dashboard) {
    let _ = window_event_listener_untyped("visibilitychange", move |_| {
        let hidden = web_sys::window()
            .and_then(|w| w.document())
            .is_some_and(|d| d.hidden());
        dashboard.visible.set(!hidden);
        if !hidden {
            dashboard.wake.update(|w| *w += 1);
        }
    });
}
