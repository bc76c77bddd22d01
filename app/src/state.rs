//! Per-variant state shared by context: each variant's rolling buffer and
//! the health of its last poll, plus a clock that ages the data on screen.
//!
//! The buffer lives in a `StoredValue` (not a signal: it is large and only
//! ever changed in place); `version` is the signal panels subscribe to.

use std::collections::VecDeque;

use leptos::prelude::*;
use zai_dash_engine::{buffer::Buffer, parse};

use crate::theme::Theme;

/// How a variant's last poll went.
#[derive(Clone, Debug, PartialEq)]
pub enum Health {
    /// No answer yet.
    Waiting,
    /// The last poll returned an exposition.
    Up {
        /// Lines of it that did not parse, summarised, if any.
        warning: Option<String>,
    },
    /// The last poll failed; buffered history is kept.
    Down {
        /// What the relay (or the browser) said.
        error: String,
    },
}

/// One variant: its name, buffer and health.
#[derive(Clone, Copy, PartialEq)]
pub struct VariantState {
    /// The configured name, as in `/relay/{name}`.
    pub name: StoredValue<String>,
    buffer: StoredValue<Buffer>,
    /// Bumped on every accepted scrape: read it to re-render on new data.
    pub version: RwSignal<u64>,
    /// The last poll's outcome.
    pub health: RwSignal<Health>,
    /// When the last scrape was accepted (Unix ms).
    pub last_ok_ms: RwSignal<Option<f64>>,
    /// Recent failed polls (time, error), newest last, for chart markers.
    pub failures: RwSignal<VecDeque<(i64, String)>>,
}

/// Failed polls remembered for markers: a day of 5 s polls would be far
/// more than a chart can show, so only the latest are kept.
const MAX_FAILURES: usize = 500;

impl VariantState {
    /// A variant with an empty buffer.
    pub fn new(name: String) -> Self {
        VariantState {
            name: StoredValue::new(name),
            buffer: StoredValue::new(Buffer::default()),
            version: RwSignal::new(0),
            health: RwSignal::new(Health::Waiting),
            last_ok_ms: RwSignal::new(None),
            failures: RwSignal::new(VecDeque::new()),
        }
    }

    /// Parses a scrape received at `t_ms` and adds it to the buffer. A
    /// scrape with no valid sample at all counts as a failed poll.
    pub fn accept(&self, t_ms: f64, text: &str) {
        let scrape = parse::parse(text);
        if scrape.samples.is_empty() && !scrape.errors.is_empty() {
            let first = &scrape.errors[0];
            self.fail(t_ms, format!("malformed exposition: {first}"));
            return;
        }
        let pushed = self
            .buffer
            .try_update_value(|b| b.push(t_ms as i64, &scrape).is_ok())
            .unwrap_or(false);
        let warning = scrape.errors.first().map(|e| {
            format!(
                "{} malformed line(s) skipped, first: {e}",
                scrape.errors.len()
            )
        });
        self.health.set(Health::Up { warning });
        if pushed {
            self.last_ok_ms.set(Some(t_ms));
            self.version.update(|v| *v += 1);
        }
    }

    /// Records a failed poll at `t_ms`; the buffer is untouched.
    pub fn fail(&self, t_ms: f64, error: String) {
        self.failures.update(|f| {
            if f.len() == MAX_FAILURES {
                f.pop_front();
            }
            f.push_back((t_ms as i64, error.clone()));
        });
        self.health.set(Health::Down { error });
    }

    /// Runs `f` on the buffer, subscribing the caller to new data.
    pub fn with_buffer<R>(&self, f: impl FnOnce(&Buffer) -> R) -> R {
        self.version.track();
        self.buffer.with_value(f)
    }
}

/// Which variants are on screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Show {
    /// Production only.
    Production,
    /// Canary only.
    Canary,
    /// Every variant, overlaid.
    Both,
}

impl Show {
    /// Whether the variant called `name` is on screen.
    pub fn includes(self, name: &str) -> bool {
        match self {
            Show::Production => name == "production",
            Show::Canary => name == "canary",
            Show::Both => true,
        }
    }
}

/// The time windows offered, in ms, with their labels.
pub const WINDOWS: [(&str, i64); 5] = [
    ("5m", 5 * 60_000),
    ("15m", 15 * 60_000),
    ("1h", 3_600_000),
    ("6h", 6 * 3_600_000),
    ("24h", 24 * 3_600_000),
];

/// The dashboard's shared state, provided by context.
#[derive(Clone, Copy)]
pub struct Dashboard {
    /// The variants the relay serves, in its order.
    pub variants: RwSignal<Vec<VariantState>>,
    /// Which variants are shown.
    pub show: RwSignal<Show>,
    /// Length of the window on screen, ms.
    pub window_ms: RwSignal<i64>,
    /// Light or dark.
    pub theme: RwSignal<Theme>,
    /// When a poll last completed (any variant, success or not): the right
    /// edge of every chart, so charts move once per poll, not per frame.
    pub data_clock: RwSignal<f64>,
    /// The poll interval the relay asked for.
    pub refresh_ms: RwSignal<u64>,
    /// Wall clock, ticking every second, so ages and staleness update.
    pub now_ms: RwSignal<f64>,
    /// Why the app could not start (e.g. the relay is unreachable).
    pub setup_error: RwSignal<Option<String>>,
}

impl Default for Dashboard {
    fn default() -> Self {
        Self::new()
    }
}

impl Dashboard {
    /// Empty state: no variants until the relay answers.
    pub fn new() -> Self {
        Dashboard {
            variants: RwSignal::new(Vec::new()),
            show: RwSignal::new(Show::Both),
            window_ms: RwSignal::new(15 * 60_000),
            theme: RwSignal::new(Theme::preferred()),
            data_clock: RwSignal::new(js_sys::Date::now()),
            refresh_ms: RwSignal::new(5000),
            now_ms: RwSignal::new(js_sys::Date::now()),
            setup_error: RwSignal::new(None),
        }
    }

    /// Data older than this many polls is shown as stale.
    pub const STALE_AFTER_POLLS: f64 = 3.0;

    /// The variants on screen.
    pub fn shown(&self) -> Vec<VariantState> {
        let show = self.show.get();
        self.variants
            .get()
            .into_iter()
            .filter(|v| show.includes(&v.name.get_value()))
            .collect()
    }

    /// The window on screen, Unix ms: it ends at the last poll.
    pub fn range(&self) -> (i64, i64) {
        let end = self.data_clock.get() as i64;
        (end - self.window_ms.get(), end)
    }

    /// How a variant reads now: `"waiting"` (no answer yet), `"up"`,
    /// `"stale"` (up, but its data is older than a few polls) or `"down"`.
    pub fn condition(&self, variant: &VariantState) -> &'static str {
        match (variant.health.get(), variant.last_ok_ms.get()) {
            (Health::Down { .. }, _) => "down",
            (Health::Waiting, _) => "waiting",
            (Health::Up { .. }, Some(t)) if self.is_stale(t) => "stale",
            (Health::Up { .. }, _) => "up",
        }
    }

    /// Whether data last received at `last_ok_ms` is stale now.
    pub fn is_stale(&self, last_ok_ms: f64) -> bool {
        let age = self.now_ms.get() - last_ok_ms;
        age > Self::STALE_AFTER_POLLS * self.refresh_ms.get() as f64
    }
}

/// Ticks [`Dashboard::now_ms`] every second for as long as the app lives.
pub fn start_clock(dashboard: Dashboard) {
    leptos::task::spawn_local(async move {
        loop {
            gloo_timers::future::sleep(std::time::Duration::from_secs(1)).await;
            dashboard.now_ms.set(js_sys::Date::now());
        }
    });
}
