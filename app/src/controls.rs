//! The controls: window, variants, refresh, pause/resume with its LIVE or
//! PAUSED badge, theme, copy-link buttons (confirmed by a passing toast, or
//! a dialog to copy by hand when the clipboard is refused); the menu button
//! that folds them away on narrow screens; the kiosk corner label; the
//! notice bar for ignored URL parameters; keyboard shortcuts and their
//! help. Every control changes the view through `Dashboard::navigate`, so
//! the URL always follows.

use leptos::{ev, prelude::*};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
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

/// The header's controls (hidden in kiosk mode). On narrow screens they
/// show only while `open` (see [`MenuButton`]).
#[component]
pub fn Controls(
    /// Whether the menu button has unfolded them.
    open: RwSignal<bool>,
) -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    let view = dashboard.view;
    let shows = [Variants::Production, Variants::Canary, Variants::Both];
    view! {
        <nav
            class="controls"
            id="controls"
            aria-label="View"
            data-open=move || open.get().to_string()
            hidden=move || view.with(|v| v.kiosk)
        >
            <div class="segmented" role="group" aria-label="Window" id="window-select">
                {WINDOWS
                    .into_iter()
                    .map(|(label, ms)| {
                        view! {
                            <button
                                data-window=label
                                aria-pressed=move || (view.with(|v| v.range) == Range::Live(ms)).to_string()
                                on:click=move |_| show_window(dashboard, ms)
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
                title=move || format!("switch to the {} theme", theme::toggled(dashboard.theme()).as_str())
                on:click=move |_| toggle_theme(dashboard)
            >
                {move || format!("theme: {}", dashboard.theme().as_str())}
            </button>
            <CopyLinks />
            <button
                id="help-open"
                aria-label="Keyboard shortcuts"
                aria-haspopup="dialog"
                on:click=move |_| dashboard.help.set(true)
            >
                "?"
            </button>
        </nav>
    }
}

/// Opens and closes the controls on narrow screens, where the header keeps
/// to one row (the stylesheet shows this button only there).
#[component]
pub fn MenuButton(
    /// Whether the controls are unfolded.
    open: RwSignal<bool>,
) -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    view! {
        <button
            id="menu-toggle"
            class="menu-toggle"
            aria-controls="controls"
            aria-expanded=move || open.get().to_string()
            hidden=move || dashboard.view.with(|v| v.kiosk)
            on:click=move |_| open.update(|o| *o = !*o)
        >
            {move || if open.get() { "✕ close" } else { "☰ controls" }}
        </button>
    }
}

/// In kiosk mode, a corner label with the window shown and how to leave;
/// a click leaves too (touch screens have no `k`).
#[component]
pub fn KioskExit() -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    let text = move || match dashboard.view.with(|v| v.range) {
        Range::Live(ms) => format!(
            "{} window · press k or click to leave kiosk",
            format_window(ms)
        ),
        Range::Fixed { .. } => "press k or click to leave kiosk".to_owned(),
    };
    view! {
        <button
            id="kiosk-exit"
            class="kiosk-exit"
            hidden=move || !dashboard.view.with(|v| v.kiosk)
            on:click=move |_| dashboard.navigate(|v| v.kiosk = false)
        >
            {text}
        </button>
    }
}

/// Shows the live window `ms`, dropping the notice about a window refused
/// before: it no longer applies.
fn show_window(dashboard: Dashboard, ms: i64) {
    if dashboard
        .notices
        .with_untracked(|n| n.iter().any(|old| old.key == "w"))
    {
        dashboard.notices.update(|n| n.retain(|old| old.key != "w"));
    }
    dashboard.navigate(|v| v.range = Range::Live(ms));
}

/// Switches to the other theme.
fn toggle_theme(dashboard: Dashboard) {
    let next = theme::toggled(dashboard.theme());
    dashboard.navigate(|v| v.theme = Some(next));
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
            Some(ms) => show_window(dashboard, ms),
            None => {
                // Put the window in force back in the field, and say why.
                if let Some(input) = e
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                {
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
/// fragment, so it opens with no relay). A toast says what was copied and
/// fades, over the page rather than in the header, so nothing moves; when
/// the browser refuses the clipboard a dialog holds the link, selected, to
/// copy by hand. Either way `#copied-link` holds the link and `#copy-note`
/// says what it is.
#[component]
fn CopyLinks() -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    let copy = Copier::new();
    let snapshot_view = move || {
        let mut view = dashboard.view.get_untracked();
        let (from, to) = dashboard.range_untracked();
        view.range = Range::Fixed { from, to };
        view
    };
    let copy_link = move |snapshot: bool| {
        let mut view = dashboard.view.get_untracked();
        if snapshot {
            view = snapshot_view();
        } else if !view.is_live() {
            view.range = Range::Live(dashboard.live_window_ms.get_untracked());
        }
        let note = if snapshot {
            "copied the link to this range"
        } else {
            "copied the live link"
        };
        let link = absolute_link(&view);
        leptos::task::spawn_local(copy.deliver(link, note.to_owned()));
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
            copy.deliver(link, note).await;
        });
    };
    // The link and its note, in the toast or, when refused, in the dialog.
    let fields = move || {
        copy.copied.get().map(|(link, note)| {
            view! {
                <span id="copy-note" class="copy-note">{note}</span>
                <input id="copied-link" class="copied-link" readonly aria-label="Link" prop:value=link />
            }
        })
    };
    view! {
        <button id="copy-live" on:click=move |_| copy_link(false)>"copy live link"</button>
        <button id="copy-snapshot" on:click=move |_| copy_link(true)>"copy snapshot link"</button>
        <button id="copy-data" on:click=copy_data>"copy snapshot with data"</button>
        <div
            id="copy-toast"
            class="toast"
            role="status"
            data-shown=move || copy.toast.with(Option::is_some).to_string()
        >
            {move || (!copy.refused.get()).then(fields)}
        </div>
        <Modal id="copy-dialog" title="Copy this link by hand" open=copy.refused>
            <p>"The browser did not let the page use the clipboard: the link is selected below."</p>
            {move || copy.refused.get().then(fields)}
        </Modal>
    }
}

/// How long the "copied" toast stays, ms.
const TOAST_MS: u32 = 6_000;

/// What the copy buttons last copied, and how that is being said.
#[derive(Clone, Copy)]
struct Copier {
    /// The link and what it is.
    copied: RwSignal<Option<(String, String)>>,
    /// The toast on screen, by its number (a newer copy restarts it).
    toast: RwSignal<Option<u32>>,
    /// Whether the clipboard was refused: the dialog is open.
    refused: RwSignal<bool>,
    /// Toasts shown so far.
    shown: StoredValue<u32>,
}

impl Copier {
    fn new() -> Self {
        Copier {
            copied: RwSignal::new(None),
            toast: RwSignal::new(None),
            refused: RwSignal::new(false),
            shown: StoredValue::new(0),
        }
    }

    /// Puts `link` on the clipboard and says so with `note`: in a toast
    /// for a while, or in the dialog when the browser refuses.
    async fn deliver(self, link: String, note: String) {
        let copied = write_clipboard(&link).await;
        self.copied.set(Some((link, note)));
        if !copied {
            self.toast.set(None);
            self.refused.set(true);
            return;
        }
        self.shown.update_value(|n| *n += 1);
        let n = self.shown.get_value();
        self.toast.set(Some(n));
        gloo_timers::future::TimeoutFuture::new(TOAST_MS).await;
        self.toast.update(|t| {
            if *t == Some(n) {
                *t = None;
            }
        });
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

/// Puts `text` on the clipboard; `false` where the browser has none (an
/// insecure origin) or refuses (no permission, the page not focused).
async fn write_clipboard(text: &str) -> bool {
    let Some(navigator) = web_sys::window().map(|w| w.navigator()) else {
        return false;
    };
    let clipboard = js_sys::Reflect::get(&navigator, &"clipboard".into())
        .ok()
        .filter(|c| !c.is_undefined());
    let Some(clipboard) = clipboard else {
        return false;
    };
    let clipboard: web_sys::Clipboard = clipboard.unchecked_into();
    JsFuture::from(clipboard.write_text(text)).await.is_ok()
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

/// What the view shows, truthfully: LIVE only while live data arrives;
/// NOT REFRESHING when refresh is off, RELAY UNREACHABLE when no poll
/// gets through, PAUSED with the range shown, SNAPSHOT (a data link's),
/// or an internal error. A click (or Esc) returns to live.
#[component]
pub fn LiveBadge() -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    let crash = expect_context::<CrashLog>();
    let snapshot = move || dashboard.history.with(HistorySource::is_snapshot);
    let refresh_off = move || dashboard.view.with(|v| v.refresh == Some(Refresh::Off));
    // The state, the text, and a hint the narrow layout leaves out.
    let badge = Memo::new(move |_| match dashboard.view.with(|v| v.range) {
        _ if crash.shown() => ("error", "⚠ INTERNAL ERROR (see above)".to_owned(), ""),
        Range::Fixed { from, to } if snapshot() => (
            "snapshot",
            format!("▣ SNAPSHOT {}", range_label(from, to, true)),
            " (Esc for live)",
        ),
        Range::Fixed { from, to } => (
            "paused",
            format!("❚❚ PAUSED {}", range_label(from, to, false)),
            " (Esc or double-click for live)",
        ),
        Range::Live(_) if dashboard.unreachable() => {
            ("unreachable", "⚠ RELAY UNREACHABLE".to_owned(), "")
        }
        Range::Live(_) if refresh_off() => (
            "not-refreshing",
            "❚❚ NOT REFRESHING".to_owned(),
            " (refresh off: click for live)",
        ),
        Range::Live(_) => ("live", "● LIVE".to_owned(), ""),
    });
    let on_click = move |_| {
        if dashboard.view.with_untracked(View::is_live) && untrack(refresh_off) {
            dashboard.navigate(|v| v.refresh = None);
            dashboard.wake.update(|w| *w += 1);
        } else {
            dashboard.go_live();
        }
    };
    view! {
        <button
            id="live-badge"
            class="live-badge"
            data-state=move || badge.with(|b| b.0)
            on:click=on_click
        >
            {move || badge.with(|b| b.1.clone())}
            <span class="hint">{move || badge.with(|b| b.2)}</span>
        </button>
    }
}

/// `from`–`to` in local time with the time zone; dated when `dated` or
/// when not today, e.g. `22:31:05–22:46:05 UTC+01:00` or
/// `2026-12-05 23:50:00–2026-12-06 00:05:00 UTC+01:00`.
fn range_label(from: i64, to: i64, dated: bool) -> String {
    let [from, to, now] = [from, to, js_sys::Date::now() as i64].map(theme::Stamp::at);
    let start = if dated || from.date != now.date {
        format!("{} {}", from.date, from.clock)
    } else {
        from.clock.clone()
    };
    let end = if to.date != from.date {
        format!("{} {}", to.date, to.clock)
    } else {
        to.clock
    };
    format!("{start}–{end} {}", to.zone)
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

/// Listens for the shortcuts for the page's life.
pub fn keyboard(dashboard: Dashboard) {
    // Dropping the handle leaves the listener in place.
    let _ = window_event_listener(ev::keydown, move |e| {
        let target = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .map(|el| el.tag_name());
        let typing = target
            .as_deref()
            .is_some_and(|tag| matches!(tag, "INPUT" | "SELECT" | "TEXTAREA"));
        // Space on a focused button presses that button.
        let pressing = e.key() == " " && target.as_deref() == Some("BUTTON");
        if typing || pressing || e.ctrl_key() || e.meta_key() || e.alt_key() {
            return;
        }
        match e.key().as_str() {
            "?" => dashboard.help.update(|h| *h = !*h),
            "Escape" if dashboard.help.get_untracked() => dashboard.help.set(false),
            "Escape" => dashboard.go_live(),
            "p" | " " => {
                e.prevent_default();
                dashboard.toggle_pause();
            }
            "t" => toggle_theme(dashboard),
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
                    show_window(dashboard, *ms);
                }
            }
        }
    });
}

/// The keyboard help, as a dialog.
#[component]
pub fn Help() -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    view! {
        <Modal id="help" title="Keyboard shortcuts" open=dashboard.help>
            // Static markup: Leptos writes it as one HTML template.
            <dl>
                <dt><kbd>"?"</kbd></dt><dd>"show or hide this help"</dd>
                <dt><kbd>"Esc"</kbd></dt><dd>"back to live; close this help"</dd>
                <dt><kbd>"p or space"</kbd></dt><dd>"pause or resume"</dd>
                <dt><kbd>"1 … 5"</kbd></dt><dd>"window 5m, 15m, 1h, 6h, 24h"</dd>
                <dt><kbd>"v"</kbd></dt><dd>"cycle production, canary, both"</dd>
                <dt><kbd>"t"</kbd></dt><dd>"light or dark theme"</dd>
                <dt><kbd>"k"</kbd></dt><dd>"kiosk mode (hide the controls)"</dd>
                <dt><kbd>"drag / double-click"</kbd></dt><dd>"zoom into a range / back to live"</dd>
            </dl>
        </Modal>
    }
}

/// A modal dialog titled `title`, shown while `open`: it takes focus (its
/// first field, selected, or its first button), keeps Tab inside, closes
/// on Esc, its close button or a click beside it, and then gives focus
/// back to what had it before.
#[component]
fn Modal(
    /// The dialog's id.
    id: &'static str,
    /// Its heading, which labels it.
    title: &'static str,
    /// Whether it is shown.
    open: RwSignal<bool>,
    /// What it says.
    children: Children,
) -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Div>::new();
    let opener = StoredValue::new_local(None::<web_sys::HtmlElement>);
    Effect::new(move |was_open: Option<bool>| {
        let is_open = open.get();
        if is_open && was_open != Some(true) {
            opener.set_value(focused());
            // Once the dialog is rendered visible.
            request_animation_frame(move || {
                if let Some(first) = dialog
                    .get_untracked()
                    .and_then(|d| focusable(&d).into_iter().next())
                {
                    let _ = first.focus();
                    if let Ok(input) = first.dyn_into::<web_sys::HtmlInputElement>() {
                        input.select();
                    }
                }
            });
        } else if !is_open
            && was_open == Some(true)
            && let Some(el) = opener.get_value()
        {
            let _ = el.focus();
        }
        is_open
    });
    let on_keydown = move |e: ev::KeyboardEvent| match e.key().as_str() {
        "Escape" => {
            e.stop_propagation();
            open.set(false);
        }
        "Tab" => {
            let Some(d) = dialog.get_untracked() else {
                return;
            };
            let items = focusable(&d);
            let (Some(first), Some(last)) = (items.first(), items.last()) else {
                return;
            };
            let current = focused();
            let wrap = if e.shift_key() {
                current.as_ref() == Some(first) || current.as_ref() == Some(d.unchecked_ref())
            } else {
                current.as_ref() == Some(last)
            };
            if wrap {
                e.prevent_default();
                let _ = if e.shift_key() {
                    last.focus()
                } else {
                    first.focus()
                };
            }
        }
        _ => {}
    };
    let title_id = format!("{id}-title");
    let labelled_by = title_id.clone();
    view! {
        <div
            class="modal-backdrop"
            hidden=move || !open.get()
            on:click=move |e| {
                if e.target() == e.current_target() {
                    open.set(false);
                }
            }
        >
            <div
                id=id
                class="modal"
                role="dialog"
                aria-modal="true"
                aria-labelledby=labelled_by
                tabindex="-1"
                node_ref=dialog
                on:keydown=on_keydown
            >
                <h2 id=title_id>{title}</h2>
                {children()}
                <button class="modal-close" on:click=move |_| open.set(false)>"close"</button>
            </div>
        </div>
    }
}

/// The element that has focus, if any.
fn focused() -> Option<web_sys::HtmlElement> {
    web_sys::window()?
        .document()?
        .active_element()?
        .dyn_into()
        .ok()
}

/// The fields and buttons inside `root`, in order.
fn focusable(root: &web_sys::Element) -> Vec<web_sys::HtmlElement> {
    let Ok(found) = root.query_selector_all("input, button, select, textarea, a[href]") else {
        return Vec::new();
    };
    (0..found.length())
        .filter_map(|i| found.item(i)?.dyn_into().ok())
        .collect()
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
