//! The browser side of the URL state: read the view from `location`, write
//! it back with `history.pushState` (deliberate changes, so Back undoes
//! them) or `replaceState` (small ones). `Dashboard::follow_history`
//! follows Back and Forward with [`read`].
//! The query-string grammar itself is the engine's (`view`), unit-tested
//! natively.

use zai_dash_engine::view::{Notice, View};

/// The view the page was opened with, and the parameters it ignored.
pub fn read() -> (View, Vec<Notice>) {
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    View::from_query(&search)
}

/// Leaves this page for `view` from the relay (a data link's page has no
/// relay to go live with): the same address without the fragment.
pub fn open_live(view: &View) {
    if let Some(window) = web_sys::window() {
        let location = window.location();
        let path = location.pathname().unwrap_or_else(|_| "/".into());
        let url = format!("{path}?{}", view.to_query());
        if location.set_href(&url).is_err() {
            leptos::logging::warn!("could not open {url}");
        }
    }
}

/// Puts `view` in the address bar (keeping the fragment, where a data
/// link's data is); `push` adds a history entry.
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
    let hash = location.hash().unwrap_or_default();
    let url = format!("{path}{wanted}{hash}");
    let result = if push {
        history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
    } else {
        history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
    };
    if result.is_err() {
        leptos::logging::warn!("could not update the URL to {url}");
    }
}
