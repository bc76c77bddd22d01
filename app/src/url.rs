//! The browser side of the URL state: read the view from `location`, write
//! it back with `history.pushState` (deliberate changes, so Back undoes
//! them) or `replaceState` (small ones), and follow Back and Forward.
//! The query-string grammar itself is the engine's (`view`), unit-tested
//! natively.

use leptos::{ev, prelude::*};
use zai_dash_engine::view::{Notice, View};

use crate::state::Dashboard;

/// The view the page was opened with, and the parameters it ignored.
pub fn read() -> (View, Vec<Notice>) {
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    View::from_query(&search)
}

/// Puts `view` in the address bar; `push` adds a history entry.
pub fn write(view: &View, push: bool) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Ok(history) = window.history() else {
        return;
    };
    let location = window.location();
    let query = view.to_query();
    let wanted = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    if location.search().ok().as_deref() == Some(wanted.as_str()) {
        return;
    }
    let path = location.pathname().unwrap_or_else(|_| "/".into());
    let url = format!("{path}{wanted}");
    let result = if push {
        history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
    } else {
        history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
    };
    if result.is_err() {
        leptos::logging::warn!("could not update the URL to {url}");
    }
}

/// Follows Back and Forward: the view becomes what the URL says, without
/// adding history.
pub fn follow_history(dashboard: Dashboard) {
    // Dropping the handle leaves the listener in place, for the page's life.
    let _ = window_event_listener(ev::popstate, move |_| {
        let (view, notices) = read();
        dashboard.notices.set(notices);
        if let zai_dash_engine::view::Range::Live(ms) = view.range {
            dashboard.live_window_ms.set(ms);
        }
        dashboard.view.set(view);
    });
}
