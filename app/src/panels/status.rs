//! The status bar: per variant, whether it is up, partial, stale or down
//! (with the relay's error), how many of its targets (pods) answer and
//! which do not, how old its data is, and its headline figures over the
//! last minute; plus whether the app can reach the relay at all, and how
//! far the relay's clock is from this browser's when that matters.

use leptos::prelude::*;
use zai_dash_engine::{
    snapshot::{MetricSnapshot, snapshot},
    units,
    view::Range,
};

use super::{concurrency::workers, span::span_text};
use crate::{
    state::{Dashboard, Health, HistorySource, PollError, VariantState, short_id},
    theme,
};

/// What the status card says of a URL that answers from several
/// processes in turn.
const LOAD_BALANCED: &str = "one URL answers from several processes in turn (a load-balanced \
     Service): figures mixing them are unreliable. Configure each pod as its own target \
     (repeat --variant NAME=URL) or use dns+ on a headless Service";

/// A clock difference worth showing: sample times are the relay's.
const SHOWN_OFFSET_MS: f64 = 1_000.0;

/// Headline figures look back this far (or four polls, if longer), so
/// they are current but not as jumpy as a single scrape interval.
const RECENT_MS: i64 = 60_000;

/// One card per variant.
#[component]
pub fn StatusBar() -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    view! {
        <section class="status-bar" aria-label="Variant status">
            <For
                each=move || dashboard.variants.get()
                key=|v| v.name.get_value()
                children=move |v| view! { <VariantStatus variant=v /> }
            />
        </section>
        <HistoryNote />
    }
}

/// How far back the headline figures look with polls `refresh_ms` apart.
fn recent_ms(refresh_ms: i64) -> i64 {
    RECENT_MS.max(4 * refresh_ms)
}

/// The variant's snapshot over the recent past, ending at its newest
/// scrape; `None` before two scrapes have arrived.
fn recent_snapshot(variant: &VariantState, refresh_ms: i64) -> Option<MetricSnapshot> {
    let name = variant.name.get_value();
    variant.with_buffer(|buffer| {
        let end = buffer.last_time()?;
        let window = buffer.window(end - recent_ms(refresh_ms), end);
        (window.len() >= 2).then(|| snapshot(&name, &window))
    })
}

/// A headline figure's text from the recent snapshot.
type Field = fn(&MetricSnapshot) -> String;

/// The card's headline figures: term, class of the value, and the value
/// from the recent snapshot.
const FIELDS: [(&str, &str, Field); 5] = [
    ("Requests", "req-rate", |s| units::rate(s.req_rate)),
    ("Errors (5xx)", "err-rate", |s| {
        units::percent(s.error_rate_pct)
    }),
    ("p50", "p50", |s| {
        units::millis_at_least(s.latency_p50, s.latency_at_least[0])
    }),
    ("Tokens", "token-rate", |s| {
        let total = s.token_rate_in.zip(s.token_rate_out).map(|(i, o)| i + o);
        units::rate(total)
    }),
    ("Workers", "workers", |s| {
        workers(s.concurrent_requests, s.max_workers)
    }),
];

#[component]
fn VariantStatus(variant: VariantState) -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    let name = variant.name.get_value();
    let snap = Memo::new(move |_| recent_snapshot(&variant, dashboard.poll_ms() as i64));
    let state = move || dashboard.condition(&variant).as_str();
    let message = move || {
        let down: Vec<String> = variant.targets.with(|ts| {
            ts.iter()
                .filter_map(|t| match &t.health {
                    Health::Down { error } if ts.len() > 1 => {
                        Some(format!("pod {} down: {error}", short_id(&t.id)))
                    }
                    _ => None,
                })
                .collect()
        });
        let unreliable = snap.with(|s| s.as_ref().is_some_and(|s| s.unreliable));
        let health = match variant.health.get() {
            // Said once, by the connection state, not by every card.
            Health::Down {
                error: PollError::Unreachable(_),
            } => None,
            Health::Down { error } => Some(error.to_string()),
            Health::Up { warning } => warning,
            Health::Waiting => None,
        };
        let parts: Vec<String> = unreliable
            .then(|| LOAD_BALANCED.to_owned())
            .into_iter()
            .chain(down)
            .chain(health)
            .collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    };
    let targets = move || {
        variant.targets.with(|ts| {
            let up = ts
                .iter()
                .filter(|t| matches!(t.health, Health::Up { .. }))
                .count();
            (!ts.is_empty()).then(|| format!("{up}/{} up", ts.len()))
        })
    };
    let age = move || {
        if let HistorySource::Snapshot { copied, .. } = dashboard.history.get() {
            return format!("copied {}", theme::clock(copied));
        }
        variant.last_ok_ms.get().map_or_else(
            || "no data yet".to_owned(),
            |t| {
                format!(
                    "data {} old",
                    units::age((dashboard.now_ms.get() - t) / 1000.0)
                )
            },
        )
    };
    // The headline figures' own span: the last minute, not the window.
    let span = move || {
        let recent = recent_ms(dashboard.poll_ms() as i64);
        snap.with(|s| {
            let end = s.as_ref().map_or(0, |s| s.timestamp);
            let slack = 2 * dashboard.poll_ms() as i64;
            span_text(Range::Live(recent), (end - recent, end), s.iter(), slack)
        })
    };
    let field = move |f: Field| {
        move || snap.with(|s| s.as_ref().map_or_else(|| units::NO_DATA.to_owned(), f))
    };
    view! {
        <article
            class="variant-status"
            id=format!("status-{name}")
            data-state=state
            data-scrapes=move || variant.version.get()
        >
            <header>
                <h2 class="variant-name">{name.clone()}</h2>
                <span class="state">{state}</span>
                <span class="targets">{targets}</span>
                <span class="age">{age}</span>
            </header>
            <p class="message" hidden=move || message().is_none()>{message}</p>
            <p class="figure-span card-span">{span}</p>
            <dl>
                {FIELDS
                    .map(|(term, class, f)| view! { <dt>{term}</dt><dd class=class>{field(f)}</dd> })}
            </dl>
        </article>
    }
}

/// Where the data from before the page opened came from, in words: the
/// relay's store (and at what resolution), or nowhere.
#[component]
fn HistoryNote() -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    const SINCE_OPENED: &str = "showing only what this page has seen since it opened";
    let text = move || match dashboard.history.get() {
        HistorySource::Pending => String::new(),
        HistorySource::Loading => "Loading history…".to_owned(),
        HistorySource::None => format!("No history store on the relay: {SINCE_OPENED}."),
        HistorySource::Loaded {
            from,
            step,
            tail,
            live,
            ..
        } => format!(
            "History from {} at one point per {}{} from the relay's store; {}",
            theme::date_time(from),
            units::age(step as f64 / 1000.0),
            tail.map_or_else(String::new, |(tail_from, tail_step)| format!(
                " (per {} from {})",
                units::age(tail_step as f64 / 1000.0),
                theme::clock(tail_from)
            )),
            if live {
                "live data every poll since the page opened."
            } else {
                "polling paused: this range is older than the day the page keeps, \
                 and live data would push it out. Going live loads the last window again."
            }
        ),
        HistorySource::Failed(e) => format!("History unavailable ({e}): {SINCE_OPENED}."),
        HistorySource::Snapshot { copied, step } => format!(
            "Snapshot copied {} with its data (a point per {}): no relay was asked; \
             Esc opens the live dashboard.",
            theme::date_time(copied),
            units::age(step as f64 / 1000.0)
        ),
    };
    let state = move || match dashboard.history.get() {
        HistorySource::Pending | HistorySource::Loading => "loading",
        HistorySource::None => "none",
        HistorySource::Loaded { .. } => "loaded",
        HistorySource::Failed(_) => "failed",
        HistorySource::Snapshot { .. } => "snapshot",
    };
    view! { <p class="history-note" id="history-note" data-state=state>{text}</p> }
}

/// Whether the app reaches the relay: "connected", or the last error.
#[component]
pub fn Connection() -> impl IntoView {
    let dashboard = expect_context::<Dashboard>();
    let state = move || {
        if dashboard.unreachable() {
            "disconnected"
        } else {
            "connected"
        }
    };
    let offset = move || {
        let ms = dashboard.clock_offset_ms.get()?;
        (ms.abs() > SHOWN_OFFSET_MS).then(|| {
            let side = if ms > 0.0 { "behind" } else { "ahead of" };
            format!(
                " · relay clock {} {side} this one",
                units::age(ms.abs() / 1000.0)
            )
        })
    };
    // The one place that says why: the variants' cards only say unknown.
    let reason = move || {
        let unreachable = dashboard.variants.with(|vs| {
            vs.iter().find_map(|v| {
                v.health.with(|h| match h {
                    Health::Down {
                        error: PollError::Unreachable(e),
                    } => Some(format!(" · relay unreachable: {e}")),
                    _ => None,
                })
            })
        });
        unreachable.filter(|_| state() == "disconnected")
    };
    view! {
        <span class="connection" id="connection" data-state=state>
            {state}
            <span class="connection-reason">{reason}</span>
            <span class="clock-offset">{offset}</span>
        </span>
    }
}
