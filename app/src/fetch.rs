//! Talks to the relay: `GET /api/variants` once, then one poll loop per
//! variant on `GET /relay/{name}`, each independent so that a slow or
//! failing variant never delays the other.
//!
//! The two small JSON bodies are read with the browser's own `JSON.parse`
//! rather than serde_json, which would add tens of KB to the bundle.

use std::time::Duration;

use gloo_net::http::{Request, Response};
use js_sys::{Array, JSON, Reflect};
use leptos::prelude::*;
use wasm_bindgen::JsValue;

use crate::state::{Dashboard, VariantState};

/// What `/api/variants` says.
pub struct Variants {
    /// Variant names, in the relay's order.
    pub names: Vec<String>,
    /// The poll interval the relay suggests, ms.
    pub refresh_ms: u64,
}

/// Loads the variant list, then starts polling every variant.
pub fn start(dashboard: Dashboard) {
    leptos::task::spawn_local(async move {
        let body = loop {
            match variants().await {
                Ok(body) => break body,
                Err(e) => {
                    dashboard
                        .setup_error
                        .set(Some(format!("cannot reach the relay: {e} (retrying)")));
                    gloo_timers::future::sleep(Duration::from_secs(2)).await;
                }
            }
        };
        dashboard.setup_error.set(None);
        dashboard.refresh_ms.set(body.refresh_ms.max(250));
        let states: Vec<VariantState> = body.names.into_iter().map(VariantState::new).collect();
        dashboard.variants.set(states.clone());
        for state in states {
            leptos::task::spawn_local(poll(dashboard, state));
        }
    });
}

/// `GET /api/variants`.
pub async fn variants() -> Result<Variants, String> {
    let res = Request::get("/api/variants")
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !res.ok() {
        return Err(error_text(res).await);
    }
    let body = json(res).await?;
    let names = field(&body, "variants")
        .map(|v| Array::from(&v))
        .ok_or("no variant list in /api/variants")?
        .iter()
        .filter_map(|v| field(&v, "name")?.as_string())
        .collect();
    let refresh_ms = field(&body, "refresh_ms")
        .and_then(|v| v.as_f64())
        .ok_or("no refresh_ms in /api/variants")?;
    Ok(Variants {
        names,
        refresh_ms: refresh_ms as u64,
    })
}

/// Polls one variant forever, every refresh interval.
async fn poll(dashboard: Dashboard, state: VariantState) {
    let url = relay_url(&state.name.get_value());
    loop {
        let result = scrape(&url).await;
        let now = js_sys::Date::now();
        match result {
            Ok(text) => state.accept(now, &text),
            Err(e) => state.fail(now, e),
        }
        dashboard.data_clock.set(now);
        let wait = dashboard.refresh_ms.get_untracked();
        gloo_timers::future::sleep(Duration::from_millis(wait)).await;
    }
}

/// Where a variant's metrics are relayed.
pub fn relay_url(name: &str) -> String {
    format!("/relay/{name}")
}

/// One scrape through the relay: the exposition text, or what went wrong.
pub async fn scrape(url: &str) -> Result<String, String> {
    let res = Request::get(url)
        .send()
        .await
        .map_err(|e| format!("relay unreachable: {e}"))?;
    if res.ok() {
        res.text().await.map_err(|e| e.to_string())
    } else {
        Err(error_text(res).await)
    }
}

async fn json(res: Response) -> Result<JsValue, String> {
    let text = res.text().await.map_err(|e| e.to_string())?;
    JSON::parse(&text).map_err(|_| "the relay sent malformed JSON".to_owned())
}

fn field(obj: &JsValue, key: &str) -> Option<JsValue> {
    Reflect::get(obj, &JsValue::from_str(key))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

/// The relay's JSON `error`, or the HTTP status when there is none.
async fn error_text(res: Response) -> String {
    let status = res.status();
    json(res)
        .await
        .ok()
        .and_then(|body| field(&body, "error")?.as_string())
        .unwrap_or_else(|| format!("HTTP {status}"))
}
