//! Per-variant state shared by context: each variant's rolling buffer and
//! the health of its last poll, plus a clock that ages the data on screen.
//!
//! The buffer lives in a `StoredValue` (not a signal: it is large and only
//! ever changed in place); `version` is the signal panels subscribe to.

use std::{collections::VecDeque, fmt};

use leptos::prelude::*;
use zai_dash_engine::{
    buffer::{Buffer, DEFAULT_RETENTION_MS},
    clock::ClockSync,
    datalink::Contents,
    history::{History, Reach},
    parse,
    prices::PriceTable,
    view::{DEFAULT_WINDOW_MS, Notice, Range, Refresh, Theme, View},
};

use crate::{theme, url};

/// Why a poll of a variant brought no data. The app branches on the
/// variant, never on the wording.
#[derive(Clone, Debug, PartialEq)]
pub enum PollError {
    /// The browser could not reach the relay at all (network, CORS, CSP).
    Unreachable(String),
    /// The relay answered with an error: its JSON `error` (which names the
    /// upstream's failure), or the HTTP status when it gave none.
    Relay(String),
    /// The relay's answer broke off before its end.
    Interrupted(String),
    /// The exposition had no valid sample; the first parse error.
    Malformed(String),
}

impl fmt::Display for PollError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PollError::Unreachable(e) => write!(f, "relay unreachable: {e}"),
            PollError::Relay(e) => f.write_str(e),
            PollError::Interrupted(e) => write!(f, "the relay's answer broke off: {e}"),
            PollError::Malformed(e) => write!(f, "malformed exposition: {e}"),
        }
    }
}

/// How a variant reads now, everywhere it is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Condition {
    /// No answer yet.
    Waiting,
    /// Every target answering, with recent data.
    Up,
    /// Some targets (pods) answering, some not: the variant is still on
    /// screen, from the pods that answer.
    Partial,
    /// Answering, but its newest data is older than a few polls.
    Stale,
    /// No target answered the last poll.
    Down,
    /// The relay itself could not be reached: how the variant is, is
    /// unknown (not down).
    Unknown,
    /// A recorded copy from a data link: neither live nor stale.
    Snapshot,
}

impl Condition {
    /// The name the page uses (`data-state`, `data-condition`, the label).
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::Waiting => "waiting",
            Condition::Up => "up",
            Condition::Partial => "partial",
            Condition::Stale => "stale",
            Condition::Down => "down",
            Condition::Unknown => "unknown",
            Condition::Snapshot => "snapshot",
        }
    }
}

/// How a variant's (or one target's) last poll went.
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
        /// What went wrong.
        error: PollError,
    },
}

/// One target (pod) of a variant, as the relay names it, and its last poll.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetHealth {
    /// The relay's opaque, stable id for the target.
    pub id: String,
    /// How its last poll went.
    pub health: Health,
}

/// What one poll of one target brought: the exposition and when the relay
/// scraped it.
pub struct Answer {
    /// The exposition text.
    pub text: String,
    /// The relay's `X-Scrape-Timestamp-Ms` (relay clock), if sent.
    pub scraped_at: Option<f64>,
    /// The relay's `X-Scrape-Duration-Ms`, if sent.
    pub duration_ms: Option<f64>,
}

/// Where the data on screen before the page opened came from.
#[derive(Clone, Debug, PartialEq)]
pub enum HistorySource {
    /// Not asked yet.
    Pending,
    /// The relay has no history: the page shows only what it has seen
    /// since it opened.
    None,
    /// Being loaded.
    Loading,
    /// Loaded from the relay's store, `[from, to]` (Unix ms) at `step` ms.
    Loaded {
        /// The first step time.
        from: i64,
        /// The last step time.
        to: i64,
        /// Between rows, ms (live rows are a poll apart).
        step: i64,
        /// Where its last stretch starts, at a finer step, and that step
        /// (see `history::requests`).
        tail: Option<(i64, i64)>,
        /// Whether live rows follow it; else the range is archived (see
        /// [`Reach`]) and polling pauses while it shows.
        live: bool,
    },
    /// The relay could not give it; live data still comes.
    Failed(String),
    /// Everything on screen came with the link the page was opened on
    /// ("copy snapshot with data"); no relay is asked for anything.
    Snapshot {
        /// When the link was copied, Unix ms.
        copied: i64,
        /// How far apart its rows may be, ms.
        step: i64,
    },
}

impl HistorySource {
    /// Whether everything on screen came with a data link.
    pub fn is_snapshot(&self) -> bool {
        matches!(self, HistorySource::Snapshot { .. })
    }
}

/// One variant: its name, buffer (a store per target) and health.
#[derive(Clone, Copy, PartialEq)]
pub struct VariantState {
    /// The configured name, as in `/relay/{name}`.
    pub name: StoredValue<String>,
    buffer: StoredValue<Buffer>,
    /// Bumped on every poll that added data: read it to re-render.
    pub version: RwSignal<u64>,
    /// The last poll's outcome over the variant: up if any target answered.
    pub health: RwSignal<Health>,
    /// Each target's last poll, in the relay's order.
    pub targets: RwSignal<Vec<TargetHealth>>,
    /// When a scrape was last accepted (Unix ms).
    pub last_ok_ms: RwSignal<Option<f64>>,
    /// Recent failed polls (time, what failed), newest last, for chart
    /// markers.
    pub failures: RwSignal<VecDeque<(i64, String)>>,
    /// Per target, the relay's timestamp of the scrape last added.
    scraped_at: StoredValue<Vec<(String, f64)>>,
}

/// Failed polls remembered for markers: a day of 5 s polls would be far
/// more than a chart can show, so only the latest are kept.
const MAX_FAILURES: usize = 500;

impl VariantState {
    /// A variant with an empty buffer.
    pub fn new(name: String) -> Self {
        Self::recorded(name, Buffer::default())
    }

    /// A variant whose data is `buffer` (from a data link).
    pub fn recorded(name: String, buffer: Buffer) -> Self {
        VariantState {
            name: StoredValue::new(name),
            buffer: StoredValue::new(buffer),
            version: RwSignal::new(0),
            health: RwSignal::new(Health::Waiting),
            targets: RwSignal::new(Vec::new()),
            last_ok_ms: RwSignal::new(None),
            failures: RwSignal::new(VecDeque::new()),
            scraped_at: StoredValue::new(Vec::new()),
        }
    }

    /// Files one poll round: each target's answer or error, received at
    /// `now_ms`; `clock` maps the relay's scrape times onto this browser's
    /// clock. Targets no longer listed are retired (their pod went away).
    pub fn record_round(
        &self,
        now_ms: f64,
        clock: &ClockSync,
        round: Vec<(String, Result<Answer, PollError>)>,
    ) {
        let mut healths = Vec::with_capacity(round.len());
        let mut added = false;
        let ids: Vec<&str> = round.iter().map(|(id, _)| id.as_str()).collect();
        let _ = self.buffer.try_update_value(|b| {
            let gone: Vec<String> = b
                .targets()
                .filter(|t| !ids.contains(t))
                .map(str::to_owned)
                .collect();
            gone.iter().for_each(|t| b.retire(t));
        });
        self.scraped_at
            .update_value(|s| s.retain(|(id, _)| ids.contains(&id.as_str())));
        for (id, result) in round {
            let health = match result {
                Ok(answer) => {
                    let (health, new) = self.accept(&id, now_ms, clock, &answer);
                    added |= new;
                    health
                }
                Err(error) => {
                    self.note_failure(now_ms, format!("{}: {error}", short_id(&id)));
                    Health::Down { error }
                }
            };
            healths.push(TargetHealth { id, health });
        }
        let up = healths
            .iter()
            .find(|t| matches!(t.health, Health::Up { .. }));
        let health = match (up, healths.first()) {
            (Some(t), _) => t.health.clone(),
            (
                None,
                Some(TargetHealth {
                    health: Health::Down { error },
                    ..
                }),
            ) => Health::Down {
                error: error.clone(),
            },
            _ => Health::Waiting,
        };
        self.targets.set(healths);
        self.health.set(health);
        if added {
            self.last_ok_ms.set(Some(now_ms));
            self.version.update(|v| *v += 1);
        }
    }

    /// Parses one target's answer and adds it to the buffer, at its scrape
    /// time on this browser's clock. A scrape with no valid sample at all
    /// is a failed poll; one already added (the relay reused its answer:
    /// same scrape time) only confirms the target up. Returns the
    /// target's health and whether a row was added.
    fn accept(&self, id: &str, now_ms: f64, clock: &ClockSync, answer: &Answer) -> (Health, bool) {
        let seen = self
            .scraped_at
            .with_value(|s| s.iter().find(|(t, _)| t == id).map(|(_, at)| *at));
        if answer.scraped_at.is_some() && answer.scraped_at == seen {
            return (Health::Up { warning: None }, false);
        }
        let scrape = parse::parse(&answer.text);
        if scrape.samples.is_empty() && !scrape.errors.is_empty() {
            let error = PollError::Malformed(scrape.errors[0].to_string());
            self.note_failure(now_ms, format!("{}: {error}", short_id(id)));
            return (Health::Down { error }, false);
        }
        // Answering is not enough: say what is missing.
        let missing = if scrape.samples.is_empty() {
            Some("the answer holds no metrics at all".to_owned())
        } else if !scrape
            .samples
            .iter()
            .any(|s| s.name.starts_with("zai_proxy_"))
        {
            Some(format!(
                "the answer holds {} samples but no zai_proxy_ metric: is this a zai-proxy?",
                scrape.samples.len()
            ))
        } else {
            None
        };
        let t_ms = answer.scraped_at.map_or(now_ms, |at| clock.local(at));
        let pushed = self
            .buffer
            .try_update_value(|b| b.push_target(id, t_ms as i64, &scrape).is_ok())
            .unwrap_or(false);
        if pushed && let Some(at) = answer.scraped_at {
            self.scraped_at
                .update_value(|s| match s.iter_mut().find(|(t, _)| t == id) {
                    Some(entry) => entry.1 = at,
                    None => s.push((id.to_owned(), at)),
                });
        }
        let warning = missing.or_else(|| {
            scrape.errors.first().map(|e| {
                format!(
                    "{} malformed line(s) skipped, first: {e}",
                    scrape.errors.len()
                )
            })
        });
        (Health::Up { warning }, pushed)
    }

    /// Records a failed poll of the whole variant at `t_ms` (the relay or
    /// its target list could not be reached); the buffer is untouched.
    pub fn fail(&self, t_ms: f64, error: PollError) {
        self.note_failure(t_ms, error.to_string());
        self.health.set(Health::Down { error });
    }

    fn note_failure(&self, t_ms: f64, what: String) {
        self.failures.update(|f| {
            if f.len() == MAX_FAILURES {
                f.pop_front();
            }
            f.push_back((t_ms as i64, what));
        });
    }

    /// After a panic (see the `crash` module): a reader that died mid-read still
    /// holds the buffer, so no scrape could be added. Moves the data to a
    /// fresh store; only a buffer that died mid-write (unreadable) is
    /// replaced by an empty one. Returns whether the data was kept.
    fn free_buffer(&mut self) -> bool {
        if self.buffer.try_update_value(|_| ()).is_some() {
            return true;
        }
        let copy = self.buffer.try_with_value(Buffer::clone);
        let kept = copy.is_some();
        self.buffer = StoredValue::new(copy.unwrap_or_default());
        kept
    }

    /// Replaces the buffer with one holding `histories`, oldest first (see
    /// [`History::backfill`]), on which live rows then follow. Everything
    /// derived from the buffer follows without a rebuild of the page: the
    /// new version re-runs it, and the new buffer's [`Buffer::id`] tells
    /// the chart caches that none of their points still hold.
    pub fn refill(&self, histories: &[History]) {
        let mut buffer = Buffer::default();
        for history in histories {
            history.backfill(&mut buffer);
        }
        self.buffer.set_value(buffer);
        self.version.update(|v| *v += 1);
    }

    /// Which buffer the variant holds now ([`Buffer::id`]), without
    /// subscribing: a poll round compares it across its wait to see
    /// whether history replaced the buffer meanwhile.
    pub fn buffer_id(&self) -> u64 {
        self.buffer.with_value(Buffer::id)
    }

    /// Runs `f` on the buffer, subscribing the caller to new data.
    pub fn with_buffer<R>(&self, f: impl FnOnce(&Buffer) -> R) -> R {
        self.version.track();
        self.buffer.with_value(f)
    }
}

/// A target id short enough for a label (the relay's ids are hex).
pub fn short_id(id: &str) -> &str {
    id.get(..6).unwrap_or(id)
}

/// The windows offered by the window buttons.
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
    /// What the URL says: window or paused range, variants, refresh,
    /// hidden series, theme, kiosk, relay. Change it through
    /// [`Dashboard::navigate`] or [`Dashboard::adjust`] so the URL follows.
    pub view: RwSignal<View>,
    /// The last live window, to return to from a paused view.
    pub live_window_ms: RwSignal<i64>,
    /// Parameters of the URL that were ignored, and why.
    pub notices: RwSignal<Vec<Notice>>,
    /// When a poll last completed (any variant, success or not): the right
    /// edge of every live chart, so charts move once per poll, not per frame.
    pub data_clock: RwSignal<f64>,
    /// The poll interval the relay suggests.
    pub relay_refresh_ms: RwSignal<u64>,
    /// Whether the page is visible; hidden pages poll slowly.
    pub visible: RwSignal<bool>,
    /// Bumped to make every poll loop fetch at once (e.g. tab shown again).
    pub wake: RwSignal<u64>,
    /// Wall clock, ticking every second, so ages and staleness update.
    pub now_ms: RwSignal<f64>,
    /// Why the app could not start (e.g. the relay is unreachable).
    pub setup_error: RwSignal<Option<String>>,
    /// Whether the keyboard help is open.
    pub help: RwSignal<bool>,
    /// The relay's base URL once the app found it (`""`: the page's own
    /// origin).
    pub relay: RwSignal<Option<String>>,
    /// Bumped by every recovery from a panic: everything derived from the
    /// buffers (panels, caches, poll loops) is rebuilt for a new one. A
    /// refill from history needs none (see [`VariantState::refill`]).
    pub generation: RwSignal<u64>,
    /// The relay's clock as seen from here: sample times are scrape times.
    pub clock: StoredValue<ClockSync>,
    /// How far this browser's clock is ahead of the relay's, ms, once
    /// measured.
    pub clock_offset_ms: RwSignal<Option<f64>>,
    /// Where the data from before the page opened came from.
    pub history: RwSignal<HistorySource>,
}

impl Dashboard {
    /// State for `view` (read from the URL): no variants until the relay
    /// answers.
    pub fn new(view: View, notices: Vec<Notice>) -> Self {
        let live = match view.range {
            Range::Live(ms) => ms,
            Range::Fixed { .. } => DEFAULT_WINDOW_MS,
        };
        Dashboard {
            variants: RwSignal::new(Vec::new()),
            view: RwSignal::new(view),
            live_window_ms: RwSignal::new(live),
            notices: RwSignal::new(notices),
            data_clock: RwSignal::new(js_sys::Date::now()),
            relay_refresh_ms: RwSignal::new(5000),
            visible: RwSignal::new(true),
            wake: RwSignal::new(0),
            now_ms: RwSignal::new(js_sys::Date::now()),
            setup_error: RwSignal::new(None),
            help: RwSignal::new(false),
            relay: RwSignal::new(None),
            generation: RwSignal::new(0),
            clock: StoredValue::new(ClockSync::default()),
            clock_offset_ms: RwSignal::new(None),
            history: RwSignal::new(HistorySource::Pending),
        }
    }

    /// Data older than this many polls is shown as stale.
    pub const STALE_AFTER_POLLS: f64 = 3.0;

    /// A deliberate change of view: a new history entry, so Back undoes it.
    pub fn navigate(&self, change: impl FnOnce(&mut View)) {
        self.change_view(change, true);
    }

    /// A small change of view (a legend toggle): the URL follows, but no
    /// history entry is added.
    pub fn adjust(&self, change: impl FnOnce(&mut View)) {
        self.change_view(change, false);
    }

    fn change_view(&self, change: impl FnOnce(&mut View), push: bool) {
        let mut view = self.view.get_untracked();
        change(&mut view);
        if view.is_live() && self.is_snapshot() {
            // A snapshot has no live data: live is the relay's, anew.
            url::open_live(&view);
            return;
        }
        url::write(&view, push);
        self.show(view);
    }

    /// Puts `view` on screen, remembering its window if it is live.
    fn show(&self, view: View) {
        if let Range::Live(ms) = view.range {
            self.live_window_ms.set(ms);
        }
        self.view.set(view);
    }

    /// Follows Back and Forward for the page's life: the view becomes what
    /// the URL says, without adding history.
    pub fn follow_history(self) {
        // Dropping the handle leaves the listener in place.
        let _ = window_event_listener(leptos::ev::popstate, move |_| {
            let (view, notices) = url::read();
            self.notices.set(notices);
            self.show(view);
        });
    }

    /// Pauses on the range now on screen, or returns to the live window.
    pub fn toggle_pause(&self) {
        let (from, to) = self.range_untracked();
        let live = self.live_window_ms.get_untracked();
        self.navigate(|v| {
            v.range = match v.range {
                Range::Live(_) => Range::Fixed { from, to },
                Range::Fixed { .. } => Range::Live(live),
            }
        });
    }

    /// Back to live, keeping the last live window.
    pub fn go_live(&self) {
        let live = self.live_window_ms.get_untracked();
        if !self.view.with_untracked(View::is_live) {
            self.navigate(|v| v.range = Range::Live(live));
        }
    }

    /// Shows what a data link carried, instead of asking a relay.
    pub fn open_snapshot(&self, contents: Contents) {
        self.history.set(HistorySource::Snapshot {
            copied: contents.copied_ms,
            step: contents.step_ms,
        });
        self.data_clock.set(contents.to_ms as f64);
        self.variants.set(
            contents
                .variants
                .into_iter()
                .map(|(name, buffer)| VariantState::recorded(name, buffer))
                .collect(),
        );
    }

    /// Whether the buffers cannot show `wanted` (it starts before what
    /// history brought, or it is archived and they hold other times, or
    /// live and they are archived) while no history is loading: time to
    /// refill them.
    pub fn lacks(&self, wanted: &Reach) -> bool {
        match self.history.get_untracked() {
            HistorySource::Loaded {
                from,
                to,
                step,
                live,
                ..
            } => {
                let held = Reach {
                    from_ms: from,
                    to_ms: to,
                    live,
                };
                !held.covers(wanted, step)
            }
            HistorySource::Failed(_) => true,
            _ => false,
        }
    }

    /// Whether the range on screen is archived: live rows would evict it,
    /// so polls pause (see [`Reach`]).
    pub fn archived(&self) -> bool {
        self.history
            .with_untracked(|h| matches!(h, HistorySource::Loaded { live: false, .. }))
    }

    /// The price table in the URL (kept there only when valid): the
    /// economics panel's and the judge's dollars where a proxy exports no
    /// cost.
    pub fn price_table(&self) -> PriceTable {
        self.view.with(|v| {
            v.prices
                .as_deref()
                .unwrap_or_default()
                .parse()
                .unwrap_or_default()
        })
    }

    /// What the buffers must hold for the view at `now_ms`.
    pub fn reach(&self, now_ms: i64) -> Reach {
        self.view.with(|v| {
            let (from, to) = v.bounds(now_ms);
            Reach::of(from, to, !v.is_live(), now_ms, DEFAULT_RETENTION_MS)
        })
    }

    /// Whether the page shows a data link's snapshot.
    pub fn is_snapshot(&self) -> bool {
        self.history.with_untracked(HistorySource::is_snapshot)
    }

    /// The poll interval in force: the URL's, else the relay's; `None`
    /// when refresh is off.
    pub fn refresh_ms(&self) -> Option<u64> {
        match self.view.with(|v| v.refresh) {
            Some(Refresh::Off) => None,
            Some(Refresh::Every(ms)) => Some(ms as u64),
            None => Some(self.relay_refresh_ms.get()),
        }
    }

    /// The interval data arrives at (or did, when refresh is off): the
    /// resolution charts are drawn at.
    pub fn poll_ms(&self) -> u64 {
        self.refresh_ms()
            .unwrap_or_else(|| self.relay_refresh_ms.get())
    }

    /// How far apart the samples of a window starting at `start_ms` can
    /// be: a poll apart, or a history step apart where the window reaches
    /// into history. Charts look back over four of these (Grafana's
    /// `$__rate_interval`), so a rate always has samples to work with.
    pub fn resolution_ms(&self, start_ms: i64) -> u64 {
        let poll = self.poll_ms();
        match self.history.get() {
            HistorySource::Loaded {
                to,
                tail: Some((tail_from, tail_step)),
                ..
            } if (tail_from..=to).contains(&start_ms) => poll.max(tail_step as u64),
            HistorySource::Loaded { to, step, .. } if start_ms <= to => poll.max(step as u64),
            HistorySource::Snapshot { step, .. } => step as u64,
            _ => poll,
        }
    }

    /// [`Dashboard::refresh_ms`] without subscribing (for the poll loops).
    pub fn refresh_ms_untracked(&self) -> Option<u64> {
        untrack(|| self.refresh_ms())
    }

    /// The theme in force: the URL's, else the browser's preference.
    pub fn theme(&self) -> Theme {
        self.view.with(|v| v.theme).unwrap_or_else(theme::preferred)
    }

    /// The variants on screen.
    pub fn shown(&self) -> Vec<VariantState> {
        let show = self.view.with(|v| v.variants);
        self.variants
            .get()
            .into_iter()
            .filter(|v| show.includes(&v.name.get_value()))
            .collect()
    }

    /// The range on screen, Unix ms: live windows end at the last poll.
    pub fn range(&self) -> (i64, i64) {
        let end = self.data_clock.get() as i64;
        self.view.with(|v| v.bounds(end))
    }

    /// [`Dashboard::range`] without subscribing.
    pub fn range_untracked(&self) -> (i64, i64) {
        let end = self.data_clock.get_untracked() as i64;
        self.view.with_untracked(|v| v.bounds(end))
    }

    /// How a variant reads now.
    pub fn condition(&self, variant: &VariantState) -> Condition {
        if self.history.with(HistorySource::is_snapshot) {
            return Condition::Snapshot;
        }
        let last_ok = variant.last_ok_ms.get();
        let some_down = variant
            .targets
            .with(|ts| ts.iter().any(|t| matches!(t.health, Health::Down { .. })));
        variant.health.with(|h| match h {
            Health::Down {
                error: PollError::Unreachable(_),
            } => Condition::Unknown,
            Health::Down { .. } => Condition::Down,
            Health::Waiting => Condition::Waiting,
            Health::Up { .. } if last_ok.is_some_and(|t| self.is_stale(t)) => Condition::Stale,
            Health::Up { .. } if some_down => Condition::Partial,
            Health::Up { .. } => Condition::Up,
        })
    }

    /// Whether the app cannot reach the relay at all: it could not start,
    /// or every variant's last poll found nothing listening.
    pub fn unreachable(&self) -> bool {
        self.setup_error.with(Option::is_some)
            || self.variants.with(|vs| {
                !vs.is_empty()
                    && vs.iter().all(|v| {
                        v.health.with(|h| {
                            matches!(
                                h,
                                Health::Down {
                                    error: PollError::Unreachable(_)
                                }
                            )
                        })
                    })
            })
    }

    /// Rebuilds after a panic: frees every buffer from dead readers (see
    /// [`VariantState::free_buffer`]), then starts a new generation of
    /// everything derived from them. Returns the variants whose buffer
    /// could not be read and was emptied.
    pub fn recover(&self) -> Vec<String> {
        let mut lost = Vec::new();
        self.variants.update(|variants| {
            for v in variants.iter_mut() {
                if !v.free_buffer() {
                    lost.push(v.name.get_value());
                }
            }
        });
        self.generation.update(|g| *g += 1);
        lost
    }

    /// Whether data last received at `last_ok_ms` is stale now.
    pub fn is_stale(&self, last_ok_ms: f64) -> bool {
        let age = self.now_ms.get() - last_ok_ms;
        age > Self::STALE_AFTER_POLLS * self.poll_ms() as f64
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
