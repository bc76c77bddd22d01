//! Talks to the relay: `GET /api/variants` once, then one poll loop per
//! variant on `GET /relay/{name}`, each independent so that a slow or
//! failing variant never delays the other.

use std::time::Duration;

use gloo_net::http::{Request, Response};
use leptos::prelude::*;
use serde::Deserialize;

use crate::state::{Dashboard, VariantState};

#[derive(Deserialize)]
struct VariantsBody {
    variants: Vec<VariantName>,
    refresh_ms: u64,
}

#[derive(Deserialize)]
struct VariantName {
    name: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: String,
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
        let states: Vec<VariantState> = body
            .variants
            .into_iter()
            .map(|v| VariantState::new(v.name))
            .collect();
        dashboard.variants.set(states.clone());
        for state in states {
            leptos::task::spawn_local(poll(dashboard, state));
        }
    });
}

async fn variants() -> Result<VariantsBody, String> {
    let res = Request::get("/api/variants")
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !res.ok() {
        return Err(error_text(res).await);
    }
    res.json().await.map_err(|e| e.to_string())
}

/// Polls one variant forever, every refresh interval.
async fn poll(dashboard: Dashboard, state: VariantState) {
    let url = format!("/relay/{}", state.name.get_value());
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

async fn scrape(url: &str) -> Result<String, String> {
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

/// The relay's JSON `error`, or the HTTP status when there is none.
async fn error_text(res: Response) -> String {
    let status = res.status();
    match res.json::<ErrorBody>().await {
        Ok(body) => body.error,
        Err(_) => format!("HTTP {status}"),
    }
}
