//! Talks to the relay (unless the page was opened on a link that carries
//! its data, see [`crate::datalink`]): `GET /api/variants` once, then one poll loop per
//! variant, each independent so that a slow or failing variant never
//! delays the other. A variant is a set of targets (its pods): each round
//! asks `GET /targets/{name}` which there are now (they change when pods
//! come and go), then fetches every `GET /relay/{name}/{target}` at once.
//!
//! The two small JSON bodies are read with the browser's own `JSON.parse`
//! rather than serde_json, which would add tens of KB to the bundle.

use std::time::Duration;

use gloo_net::http::{Request, Response};
use js_sys::{Array, JSON, Reflect};
use leptos::prelude::*;
use wasm_bindgen::JsValue;

use zai_dash_engine::{
    history::{self, History, Reach, Series, TargetHistory},
    view::{Notice, parse_relay},
};

use crate::{
    datalink,
    state::{Answer, Dashboard, HistorySource, PollError, VariantState},
};

/// What `/api/variants` says.
pub struct VariantList {
    /// Variant names, in the relay's order.
    pub names: Vec<String>,
    /// The poll interval the relay suggests, ms.
    pub refresh_ms: u64,
    /// Whether the relay can answer `/history` (a Prometheus, or the
    /// demo's past).
    pub history: bool,
}

/// After the first answer, the next poll comes this soon: a rate needs two
/// scrapes, and the page should not show "—" for a whole interval.
const FOLLOW_UP_MS: u64 = 1_000;

/// How often a hidden page polls at most: slower, to spare the relay and
/// the laptop, but never stopped, so no history is lost.
const HIDDEN_POLL_MS: u64 = 30_000;

/// Finds the relay, loads the variant list, then polls every variant:
/// one loop each per [`Dashboard::generation`], so a recovery from a
/// panic restarts loops that died in it.
pub fn start(dashboard: Dashboard) {
    let blocked = watch_csp(dashboard);
    leptos::task::spawn_local(async move {
        match datalink::opened().await {
            Some(Ok(contents)) => return dashboard.open_snapshot(contents),
            Some(Err(e)) => dashboard.notices.update(|n| {
                n.push(Notice {
                    key: "#data".into(),
                    message: format!("{e}: showing the range from the relay instead"),
                })
            }),
            None => {}
        }
        // A page its relay served asks that relay first, so it spends no
        // round trip on a `config.json` that only a static host has.
        let (base, mut first) = match dashboard.view.with_untracked(|v| v.relay.clone()) {
            Some(base) => (base, None),
            None => match variants("").await {
                Ok(list) => (String::new(), Some(list)),
                Err(_) => (configured_relay().await.unwrap_or_default(), None),
            },
        };
        let body = loop {
            if let Some(list) = first.take() {
                break list;
            }
            match variants(&base).await {
                Ok(body) => break body,
                Err(e) => {
                    let message = blocked.get_value().map_or_else(
                        || format!("cannot reach the relay: {e} (retrying)"),
                        |uri| csp_message(&uri),
                    );
                    dashboard.setup_error.set(Some(message));
                    gloo_timers::future::sleep(Duration::from_secs(2)).await;
                }
            }
        };
        dashboard.setup_error.set(None);
        dashboard.relay_refresh_ms.set(body.refresh_ms.max(250));
        let states: Vec<VariantState> = body.names.into_iter().map(VariantState::new).collect();
        dashboard.variants.set(states.clone());
        if body.history {
            let reach = untrack(|| dashboard.reach(js_sys::Date::now() as i64));
            backfill(dashboard, &base, &states, reach).await;
            follow_window(dashboard, base.clone());
        } else {
            dashboard.history.set(HistorySource::None);
        }
        // Live polling starts after history, whose rows go first.
        dashboard.relay.set(Some(base));
    });
    Effect::new(move |_| {
        let generation = dashboard.generation.get();
        let Some(base) = dashboard.relay.get() else {
            return;
        };
        for state in dashboard.variants.get_untracked() {
            leptos::task::spawn_local(poll(dashboard, state, base.clone(), generation));
        }
    });
}

/// Watches for requests this page's Content-Security-Policy blocks: a page
/// served by a zai-dash relay may connect only to that relay, so a
/// `?relay=` on another origin fails there, and the browser tells the
/// fetch only "failed". The blocked address, once seen, replaces the
/// generic error (read by the retry loop, so a plain stored value).
fn watch_csp(dashboard: Dashboard) -> StoredValue<Option<String>> {
    let blocked = StoredValue::new(None);
    let _ = window_event_listener_untyped("securitypolicyviolation", move |e| {
        let field = |name: &str| Reflect::get(&e, &JsValue::from_str(name)).ok()?.as_string();
        if field("effectiveDirective").as_deref() == Some("connect-src") {
            let uri = field("blockedURI").unwrap_or_default();
            dashboard.setup_error.set(Some(csp_message(&uri)));
            blocked.set_value(Some(uri));
        }
    });
    blocked
}

/// What the user reads when the page's own policy blocks the relay.
fn csp_message(uri: &str) -> String {
    format!(
        "this page may not connect to {uri}: the relay that served it allows \
         connections to itself only (Content-Security-Policy). Open the app \
         from a static host to use another relay, or drop ?relay= from the link"
    )
}

/// The relay named by a `config.json` beside `index.html`, for an app
/// hosted statically apart from its relay: `{"relay": "https://host"}`.
async fn configured_relay() -> Option<String> {
    let res = Request::get("config.json").send().await.ok()?;
    if !res.ok() {
        return None;
    }
    let body = json(res).await.ok()?;
    parse_relay(&field(&body, "relay")?.as_string()?)
}

/// `GET {base}/api/variants`.
pub async fn variants(base: &str) -> Result<VariantList, String> {
    let res = Request::get(&format!("{base}/api/variants"))
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
    let history = field(&body, "history").is_some_and(|v| v.as_bool() == Some(true));
    Ok(VariantList {
        names,
        refresh_ms: refresh_ms as u64,
        history,
    })
}

/// Fills every variant's buffer from `/history` over `[from, to]`, before
/// live polling adds to it: at open (a reload, a bookmark, a link to an
/// absolute range) and when the view reaches past what the buffers hold.
/// A variant whose history came keeps it in a new buffer (as a reload
/// would: the extractor then stitches live rows onto it exactly); one
/// whose history failed keeps what it had.
async fn backfill(dashboard: Dashboard, base: &str, states: &[VariantState], reach: Reach) {
    let parts = history::requests(reach.from_ms, reach.to_ms);
    let (Some(&(from, _, step)), Some(&(tail_from, to, tail_step))) = (parts.first(), parts.last())
    else {
        dashboard.history.set(HistorySource::None);
        return;
    };
    dashboard.history.set(HistorySource::Loading);
    let names: Vec<String> = states.iter().map(|s| s.name.get_value()).collect();
    let answers = futures::future::join_all(names.iter().map(|name| {
        futures::future::try_join_all(
            parts
                .iter()
                .map(|&(from, to, step)| load_history(base, name, from, to, step)),
        )
    }))
    .await;
    let mut failure = None;
    for (state, answer) in states.iter().zip(answers) {
        match answer {
            Ok(histories) => state.refill(&histories),
            Err(e) => failure = Some(format!("{}: {e}", state.name.get_value())),
        }
    }
    dashboard.history.set(match failure {
        Some(error) => HistorySource::Failed(error),
        None => HistorySource::Loaded {
            from,
            to,
            step,
            tail: (tail_step < step).then_some((tail_from, tail_step)),
            live: reach.live,
        },
    });
}

/// Refills the buffers from history whenever the view comes to need
/// what they lack (a longer window, a range further back, a range live
/// rows would evict, or live again after one), as a reload would, without
/// one. Unless archived, the new history runs up to now so that live data
/// goes on from it. The page is not rebuilt: what is derived from a
/// buffer sees the new one (its version, its [`Buffer::id`] for the chart
/// caches), and the poll loops go on, dropping a round that was in flight
/// while it came (see [`poll`]).
/// Only a change of view asks: a store with nothing older is not asked
/// again until the view changes.
///
/// [`Buffer::id`]: zai_dash_engine::buffer::Buffer::id
fn follow_window(dashboard: Dashboard, base: String) {
    Effect::new(move |_| {
        let reach = dashboard.reach(js_sys::Date::now() as i64);
        if untrack(|| !dashboard.lacks(&reach)) {
            return;
        }
        let base = base.clone();
        leptos::task::spawn_local(async move {
            let states = dashboard.variants.get_untracked();
            backfill(dashboard, &base, &states, reach).await;
        });
    });
}

/// `GET {base}/history/{name}?from=&to=&step=`, read into the engine's
/// [`History`].
async fn load_history(
    base: &str,
    name: &str,
    from: i64,
    to: i64,
    step: i64,
) -> Result<History, PollError> {
    read_history(
        &get_json(&history_url(base, name, from, to, step)).await?,
        step,
    )
}

/// The `/history` route for `name` over `[from, to]` at `step`.
pub fn history_url(base: &str, name: &str, from: i64, to: i64, step: i64) -> String {
    format!("{base}/history/{name}?from={from}&to={to}&step={step}")
}

/// A `/history` answer (parsed JSON) as the engine's [`History`]; `step`
/// where the answer does not say.
pub fn read_history(body: &JsValue, step: i64) -> Result<History, PollError> {
    let number = |key: &str| field(body, key).and_then(|v| v.as_f64());
    let from_ms =
        number("from").ok_or_else(|| PollError::Relay("no range in /history".into()))? as i64;
    let list = |v: JsValue, key: &str| field(&v, key).map(|v| Array::from(&v)).unwrap_or_default();
    let text = |v: &JsValue, key: &str| {
        field(v, key)
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    };
    let targets = list(body.clone(), "targets")
        .iter()
        .map(|t| TargetHistory {
            id: text(&t, "id"),
            series: list(t, "series")
                .iter()
                .map(|s| Series {
                    name: text(&s, "name"),
                    labels: text(&s, "labels"),
                    values: list(s, "values").iter().map(|v| v.as_f64()).collect(),
                })
                .collect(),
        })
        .collect();
    Ok(History {
        from_ms,
        step_ms: number("step").map_or(step, |s| s as i64),
        targets,
    })
}

/// Polls one variant until a recovery starts a new `generation`: at the
/// refresh interval, slower while the page is hidden, not at all when
/// refresh is off, and at once when woken (the page shown again, refresh
/// changed). A round in flight while history refilled the buffer is
/// dropped, and the next one asked at once: its rows may be older than
/// the new history's newest (refused, not failed), or would evict an
/// archived range.
async fn poll(dashboard: Dashboard, state: VariantState, base: String, generation: u64) {
    let name = state.name.get_value();
    let current = move || dashboard.generation.get_untracked() == generation;
    while current() {
        // An archived range is all history: a live row would evict it.
        if dashboard.archived() {
            gloo_timers::future::sleep(Duration::from_millis(200)).await;
            continue;
        }
        let had_data = state.last_ok_ms.get_untracked().is_some();
        let buffer = state.buffer_id();
        let round = poll_round(&base, &name).await;
        if !current() {
            return;
        }
        if state.buffer_id() != buffer {
            continue;
        }
        let now = js_sys::Date::now();
        match round {
            Ok(round) => {
                dashboard.clock.update_value(|clock| {
                    for answer in round.iter().filter_map(|(_, r)| r.as_ref().ok()) {
                        if let (Some(at), Some(took)) = (answer.scraped_at, answer.duration_ms) {
                            clock.observe(now, at, took);
                        }
                    }
                });
                let clock = dashboard.clock.get_value();
                dashboard.clock_offset_ms.set(clock.offset_ms());
                state.record_round(now, &clock, round);
            }
            Err(e) => state.fail(now, e),
        }
        dashboard.data_clock.set(now);
        let first = !had_data && state.last_ok_ms.get_untracked().is_some();
        let woken = dashboard.wake.get_untracked();
        loop {
            gloo_timers::future::sleep(Duration::from_millis(200)).await;
            if dashboard.wake.get_untracked() != woken || !current() {
                break;
            }
            let interval = dashboard.refresh_ms_untracked().map(|ms| {
                if !dashboard.visible.get_untracked() {
                    ms.max(HIDDEN_POLL_MS)
                } else if first {
                    ms.min(FOLLOW_UP_MS)
                } else {
                    ms
                }
            });
            if interval.is_some_and(|ms| js_sys::Date::now() - now >= ms as f64) {
                break;
            }
        }
    }
}

/// One round of a variant: its targets now, and each one's answer.
async fn poll_round(
    base: &str,
    name: &str,
) -> Result<Vec<(String, Result<Answer, PollError>)>, PollError> {
    let ids = targets(base, name).await?;
    let urls: Vec<String> = ids.iter().map(|id| relay_url(base, name, id)).collect();
    let answers = futures::future::join_all(urls.iter().map(|url| scrape(url))).await;
    Ok(ids.into_iter().zip(answers).collect())
}

/// `GET {base}/targets/{name}`: the ids of the variant's targets now.
pub async fn targets(base: &str, name: &str) -> Result<Vec<String>, PollError> {
    let body = get_json(&format!("{base}/targets/{name}")).await?;
    let ids = field(&body, "targets")
        .map(|v| Array::from(&v))
        .ok_or_else(|| PollError::Relay(format!("no target list for {name}")))?
        .iter()
        .filter_map(|t| field(&t, "id")?.as_string())
        .collect();
    Ok(ids)
}

/// Where one target of a variant is relayed.
pub fn relay_url(base: &str, name: &str, target: &str) -> String {
    format!("{base}/relay/{name}/{target}")
}

/// One scrape through the relay: the exposition with the relay's scrape
/// time and duration (`X-Scrape-Timestamp-Ms`, `X-Scrape-Duration-Ms`: the
/// same timestamp twice means the relay reused one scrape, which must not
/// become two rows), or what went wrong.
pub async fn scrape(url: &str) -> Result<Answer, PollError> {
    let res = get(url).await?;
    let header = |name: &str| res.headers().get(name).and_then(|v| v.parse::<f64>().ok());
    let scraped_at = header("x-scrape-timestamp-ms");
    let duration_ms = header("x-scrape-duration-ms");
    let text = res
        .text()
        .await
        .map_err(|e| PollError::Interrupted(e.to_string()))?;
    Ok(Answer {
        text,
        scraped_at,
        duration_ms,
    })
}

/// `GET url`: a successful answer, or what went wrong (the relay's JSON
/// error when it gave one).
pub async fn get(url: &str) -> Result<Response, PollError> {
    let res = Request::get(url)
        .send()
        .await
        .map_err(|e| PollError::Unreachable(e.to_string()))?;
    if !res.ok() {
        return Err(PollError::Relay(error_text(res).await));
    }
    Ok(res)
}

/// `GET url`, read as JSON, or what went wrong.
async fn get_json(url: &str) -> Result<JsValue, PollError> {
    json(get(url).await?).await.map_err(PollError::Relay)
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
