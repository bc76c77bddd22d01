//! Fail loudly, recover without a reload.
//!
//! A panic in wasm32 aborts: the call it happened in ends at once, nothing
//! unwinds, and every guard that call held stays held. The task or effect
//! it ran in is dead for good, and a buffer it was reading stays borrowed,
//! so later scrapes could not be added. Left alone, the page keeps saying
//! LIVE over frozen charts. So the panic hook only records the message and
//! schedules [`Dashboard::recover`] on a fresh browser task (after the
//! abort, when the wasm instance runs again): it shows [`CrashBanner`],
//! stops the badge saying LIVE, frees the buffers from dead readers and
//! rebuilds everything derived from them (panels, caches, effects, poll
//! loops). The buffers themselves are never dropped.
//!
//! Nothing here touches a signal from inside the hook: the panic may have
//! happened while that very signal was locked.

use std::cell::{Cell, RefCell};

use leptos::prelude::*;
use wasm_bindgen::{JsCast, closure::Closure};

use crate::state::Dashboard;

/// Recoveries within [`GIVE_UP_WINDOW_MS`] after which the app stops
/// retrying (a panic on every rebuild would otherwise loop forever) and
/// asks for a reload. A panic is usually followed by one or two more: a
/// task that died is woken again and finds its state still borrowed.
const MAX_RECOVERIES: usize = 5;
const GIVE_UP_WINDOW_MS: f64 = 60_000.0;

/// How long the app waits after the last panic of a burst before it
/// rebuilds once for all of them.
const SETTLE_MS: i32 = 250;

/// The internal errors since the page opened, shared by context: the
/// banner shows them and the badge stops saying LIVE while one is shown.
#[derive(Clone, Copy)]
pub struct CrashLog(pub RwSignal<Option<Crash>>);

impl CrashLog {
    /// Whether an internal error is on screen (the badge must not say LIVE).
    pub fn shown(&self) -> bool {
        self.0.with(|c| c.as_ref().is_some_and(|c| !c.dismissed))
    }
}

/// What the banner shows: the panics since the page opened.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Crash {
    /// The first panic of the latest burst: the cause (the ones after it
    /// are mostly tasks that died in it, woken again).
    pub cause: String,
    /// Each panic's message with its source location, oldest first.
    pub messages: Vec<String>,
    /// When each recovery ran (Unix ms), oldest first.
    pub recoveries: Vec<f64>,
    /// Whether the app gave up recovering (too many panics too fast).
    pub gave_up: bool,
    /// Whether the user dismissed the banner (the badge may say LIVE
    /// again); a new panic shows it again.
    pub dismissed: bool,
}

impl Crash {
    /// A plain-text report to paste into an issue.
    pub fn report(&self) -> String {
        let window = web_sys::window();
        let page = window
            .as_ref()
            .and_then(|w| w.location().href().ok())
            .unwrap_or_default();
        let agent = window
            .as_ref()
            .and_then(|w| w.navigator().user_agent().ok())
            .unwrap_or_default();
        let mut report = format!(
            "zai-dash {} internal error report\npage: {page}\nbrowser: {agent}\nrecoveries: {}{}\n",
            env!("CARGO_PKG_VERSION"),
            self.recoveries.len(),
            if self.gave_up { " (gave up)" } else { "" },
        );
        for m in &self.messages {
            report.push_str("panic: ");
            report.push_str(m);
            report.push('\n');
        }
        report
    }
}

thread_local! {
    /// Panic messages the hook recorded and no recovery has shown yet.
    static PENDING: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    /// Panics so far: a scheduled recovery runs only if none came after it.
    static PANICS: Cell<u64> = const { Cell::new(0) };
    /// The dashboard to recover, its crash log, and the app's owner to
    /// rebuild under, once the app is up.
    static APP: RefCell<Option<(Dashboard, CrashLog, Owner)>> = const { RefCell::new(None) };
}

/// Installs the panic hook for `dashboard` and provides the [`CrashLog`];
/// call once, from the app's component (its owner is the one recoveries
/// rebuild under), before anything that reads the log.
pub fn install(dashboard: Dashboard) {
    let owner = Owner::current().expect("crash::install runs inside the app");
    let log = CrashLog(RwSignal::new(None));
    provide_context(log);
    APP.set(Some((dashboard, log, owner)));
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        // `try_`: a panic inside this very borrow must not abort twice.
        PENDING.with(|p| {
            if let Ok(mut p) = p.try_borrow_mut() {
                p.push(info.to_string());
            }
        });
        if is_dead_task_woken(info) {
            return;
        }
        let panics = PANICS.get() + 1;
        PANICS.set(panics);
        schedule(move || recover_if_settled(panics));
    }));
    #[cfg(feature = "test-hooks")]
    test_hooks::install();
}

/// Whether this panic is only a task that died in an earlier panic being
/// woken again: the executor finds its state still borrowed and panics
/// before running anything, and never queues it again. Recorded for the
/// report, but neither a new cause nor a reason to rebuild.
fn is_dead_task_woken(info: &std::panic::PanicHookInfo<'_>) -> bool {
    info.location()
        .is_some_and(|l| l.file().ends_with("src/futures/task/singlethread.rs"))
}

/// Runs `f` on a fresh browser task after [`SETTLE_MS`], once the abort
/// has ended the current one.
fn schedule(f: impl FnOnce() + 'static) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let callback = Closure::once_into_js(f);
    let _ = window
        .set_timeout_with_callback_and_timeout_and_arguments_0(callback.unchecked_ref(), SETTLE_MS);
}

/// Recovers once per burst: only the timer of its last panic proceeds.
fn recover_if_settled(panics: u64) {
    if PANICS.get() != panics {
        return;
    }
    let messages = PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()));
    // The abort skipped every reset: the current owner is still the one
    // that panicked, and whatever is created under it (the freed buffers)
    // would be disposed with the panels it is about to rebuild.
    if let Some(stale) = Owner::current() {
        stale.unset();
    }
    if let Some((dashboard, log, owner)) = APP.with_borrow(Clone::clone) {
        owner.with(|| untrack(|| recover(dashboard, log, messages)));
    }
}

/// Shows the new panics and rebuilds, unless the rebuilds keep failing.
fn recover(dashboard: Dashboard, log: CrashLog, messages: Vec<String>) {
    let now = js_sys::Date::now();
    let mut gave_up = false;
    log.0.update(|c| {
        let crash = c.get_or_insert_with(Crash::default);
        if let Some(first) = messages.first() {
            crash.cause = first.clone();
        }
        crash.messages.extend(messages);
        crash.dismissed = false;
        let recent = crash
            .recoveries
            .iter()
            .filter(|&&t| now - t < GIVE_UP_WINDOW_MS)
            .count();
        crash.gave_up = recent >= MAX_RECOVERIES;
        gave_up = crash.gave_up;
        if !gave_up {
            crash.recoveries.push(now);
        }
    });
    if gave_up {
        return;
    }
    let lost = dashboard.recover();
    if !lost.is_empty() {
        log.0.update(|c| {
            if let Some(c) = c {
                c.messages.push(format!(
                    "the buffer of {} could not be read and was emptied",
                    lost.join(", ")
                ));
            }
        });
    }
}

/// The internal-error banner: what happened, a report to copy, dismiss.
#[component]
pub fn CrashBanner() -> impl IntoView {
    let log = expect_context::<CrashLog>();
    let copied = RwSignal::new(false);
    let shown = move || log.0.get().filter(|c| !c.dismissed);
    view! {
        {move || {
            shown()
                .map(|crash| {
                    let cause = crash.cause.clone();
                    let more = match crash.messages.len() {
                        0 | 1 => String::new(),
                        n => format!(" ({n} errors in all: see the report)"),
                    };
                    let outcome = if crash.gave_up {
                        "It failed again right after recovering, so it stopped trying: reload the page (buffered data will be lost)."
                    } else {
                        "It rebuilt the charts from the data it holds; no data was lost."
                    };
                    let report = crash.report();
                    view! {
                        <div id="crash-banner" class="notice error crash-banner" role="alert">
                            <p>
                                <strong>"The dashboard hit an internal error: "</strong>
                                <code class="crash-message">{cause}</code>
                                {more}
                            </p>
                            <p class="crash-outcome">{outcome}</p>
                            <textarea id="crash-report" readonly rows="4" prop:value=report.clone()></textarea>
                            <button
                                id="copy-crash-report"
                                on:click=move |_| {
                                    if let Some(w) = web_sys::window() {
                                        let _ = w.navigator().clipboard().write_text(&report);
                                    }
                                    copied.set(true);
                                }
                            >
                                {move || if copied.get() { "copied" } else { "copy report" }}
                            </button>
                            <button
                                id="dismiss-crash"
                                on:click=move |_| {
                                    log.0.update(|c| {
                                        if let Some(c) = c {
                                            c.dismissed = true;
                                        }
                                    })
                                }
                            >
                                "dismiss"
                            </button>
                        </div>
                    }
                })
        }}
    }
}

/// A test-only way to make the app panic where real panics happen: inside
/// a chart's computation, with its buffer and cache borrowed. Built only
/// with the `test-hooks` feature, which the shipped bundle does not have.
#[cfg(feature = "test-hooks")]
pub mod test_hooks {
    use std::cell::Cell;

    use wasm_bindgen::{JsValue, closure::Closure};

    thread_local! {
        static ARMED: Cell<bool> = const { Cell::new(false) };
    }

    /// Defines `window.zaiDashPanic()`, which arms [`panic_if_armed`].
    pub(super) fn install() {
        let arm = Closure::<dyn Fn()>::new(|| ARMED.set(true)).into_js_value();
        if let Some(w) = web_sys::window() {
            let _ = js_sys::Reflect::set(&w, &JsValue::from_str("zaiDashPanic"), &arm);
        }
    }

    /// Panics once after `window.zaiDashPanic()` was called, reporting
    /// the caller's location as a real panic there would.
    #[track_caller]
    pub fn panic_if_armed() {
        if ARMED.replace(false) {
            panic!("forced by the test hook (window.zaiDashPanic)");
        }
    }
}
