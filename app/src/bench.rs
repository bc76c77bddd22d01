//! `?bench`: the browser benchmark (see the README's performance section).
//!
//! It fills a full 24 h buffer per variant (17,280 scrapes 5 s apart) from
//! one real scrape of each through the relay, varying the values at every
//! step so that lines are not flat, then times with `performance.now()`:
//!
//! - a **tick**: per variant, parse one scrape and push it, then recompute
//!   every chart's series (through the same caches as the live app) and
//!   both window snapshots, for a 1 h window;
//! - a **cold recompute**: the same with empty caches, as after changing
//!   the window;
//! - a **redraw** of all eight charts on 600×180 canvases;
//! - a **backfill** of 24 h from the relay's `/history` for every variant,
//!   as the app does at open: the answer's size, fetching it, reading it
//!   (`JSON.parse` and conversion) and filing it into fresh buffers;
//!
//! each after an untimed warm-up ([`WARM_UP`] runs), and reports the wasm
//! memory in use. The JSON result appears in
//! `#bench-result`; `cargo run -p zai-dash-e2e --bin browser-bench` prints it.

use std::collections::HashMap;

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use zai_dash_engine::{
    buffer::Buffer,
    format, history,
    parse::{self, MetricType, Sample, Scrape},
    series::Cache,
    snapshot::snapshot,
};

use crate::{
    chart::{data::ChartData, draw},
    fetch,
    panels::{CHARTS, chart_frame, chart_lines, grid},
    theme,
};

/// Scrapes in a full day at 5 s.
const ROWS: usize = 17_280;
/// Scrape interval of the synthetic history.
const STEP_MS: i64 = 5_000;
/// The window the tick recomputes.
const WINDOW_MS: i64 = 3_600_000;
/// Timed repetitions.
const RUNS: usize = 30;
/// Untimed repetitions first: V8 runs wasm in its baseline compiler until
/// a function is hot, then swaps in optimised code; a live dashboard spends
/// nearly all its time in the latter, so that is what is measured.
const WARM_UP: usize = 50;

/// The benchmark page: runs once, shows the JSON result.
#[component]
pub fn Bench() -> impl IntoView {
    let result = RwSignal::new("running…".to_owned());
    leptos::task::spawn_local(async move {
        let text = run()
            .await
            .unwrap_or_else(|e| format!("{{\"error\":{e:?}}}"));
        result.set(text);
    });
    view! { <pre id="bench-result">{result}</pre> }
}

fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Yields to the event loop for a moment, so that optimised code compiled
/// in the background during the warm-up is in place before timing.
async fn settle() {
    gloo_timers::future::sleep(std::time::Duration::from_millis(300)).await;
}

/// One variant under test.
struct Subject {
    name: String,
    /// A real scrape of the variant, the shape of every synthetic one.
    template: String,
    /// The type and value of each of the template's samples.
    base: Vec<(MetricType, f64)>,
    /// The latest synthetic value of each of the template's samples.
    values: Vec<f64>,
    /// How many synthetic scrapes were made.
    steps: usize,
    buffer: Buffer,
    caches: HashMap<&'static str, Cache>,
}

impl Subject {
    /// Advances every value by one scrape interval, as noisy as live
    /// traffic: each counter (and histogram part) grows by a random amount
    /// averaging its template value/2000, and gauges wander around theirs.
    fn advance(&mut self, noise: &mut Noise) {
        let x = self.steps as f64;
        self.steps += 1;
        for (&(kind, base), value) in self.base.iter().zip(&mut self.values) {
            let u = noise.next();
            *value = match kind {
                MetricType::Gauge => base * (1.0 + 0.3 * (x / 40.0).sin() + 0.1 * u),
                _ => *value + base.abs() / 2_000.0 * (0.2 + 1.6 * u),
            };
        }
    }

    /// The template's text with the current values.
    fn text(&self) -> String {
        let mut out = String::with_capacity(self.template.len() + 1024);
        let mut values = self.values.iter();
        for line in self.template.lines() {
            match line.rsplit_once(' ') {
                Some((series, _)) if !line.starts_with('#') => {
                    out.push_str(series);
                    out.push(' ');
                    format::write_float(&mut out, values.next().copied().unwrap_or(f64::NAN));
                }
                _ => out.push_str(line),
            }
            out.push('\n');
        }
        out
    }
}

async fn run() -> Result<String, String> {
    let names = fetch::variants("").await?.names;
    let mut subjects = Vec::new();
    let mut noise = Noise(0x5eed);
    let start_ms = js_sys::Date::now() as i64 - ROWS as i64 * STEP_MS;
    let fill_started = now();
    for name in names {
        let target = fetch::targets("", &name)
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .next()
            .ok_or("a variant without targets")?;
        let template = fetch::scrape(&fetch::relay_url("", &name, &target))
            .await
            .map_err(|e| e.to_string())?
            .text;
        let base: Vec<(MetricType, f64)> = parse::parse(&template)
            .samples
            .iter()
            .map(|s| (s.kind, s.value))
            .collect();
        let mut subject = Subject {
            name,
            template,
            values: base.iter().map(|&(_, v)| v).collect(),
            base,
            steps: 0,
            buffer: Buffer::default(),
            caches: HashMap::new(),
        };
        fill(&mut subject, &mut noise, start_ms)?;
        subjects.push(subject);
    }
    let fill_ms = now() - fill_started;

    let mut t_ms = start_ms + ROWS as i64 * STEP_MS;
    let mut ticks = Vec::new();
    let mut charts = Vec::new();
    for run in 0..WARM_UP + RUNS {
        if run == WARM_UP {
            settle().await;
        }
        t_ms += STEP_MS;
        // Writing the next scrapes is the exporter's work, not timed.
        let texts: Vec<String> = subjects
            .iter_mut()
            .map(|s| {
                s.advance(&mut noise);
                s.text()
            })
            .collect();
        let started = now();
        for (s, text) in subjects.iter_mut().zip(&texts) {
            let scrape = parse::parse(text);
            s.buffer.push(t_ms, &scrape).map_err(|e| format!("{e:?}"))?;
        }
        charts = recompute(&mut subjects, t_ms);
        if run >= WARM_UP {
            ticks.push(now() - started);
        }
    }
    let mut cold = Vec::new();
    for _ in 0..5 {
        subjects.iter_mut().for_each(|s| s.caches.clear());
        let started = now();
        recompute(&mut subjects, t_ms);
        cold.push(now() - started);
    }
    let redraws = redraw(&charts).await?;

    let memory = wasm_memory();
    // Last: its megabytes of JSON grow the wasm memory, which never shrinks.
    let backfill = backfill_day(&subjects).await?;
    let after_backfill = wasm_memory();
    let buffers: usize = subjects.iter().map(|s| s.buffer.heap_bytes()).sum();
    Ok(format!(
        "{{\"variants\":{},\"rows_per_variant\":{},\"fill_ms\":{:.0},\
         \"tick_ms\":{},\"cold_recompute_ms\":{},\"redraw_ms\":{},\
         \"buffer_bytes\":{buffers},\"wasm_memory_bytes\":{memory},{backfill},\
         \"wasm_memory_after_backfill_bytes\":{after_backfill}}}",
        subjects.len(),
        subjects.first().map_or(0, |s| s.buffer.len()),
        fill_ms,
        stats(&mut ticks),
        stats(&mut cold),
        stats(&mut redraws.clone()),
    ))
}

/// Backfills of a day of history for every variant, [`BACKFILLS`] times:
/// the JSON fields for the answers' size (bytes, all variants), the rows
/// filed, and the time to fetch, read and file them (ms, all variants).
async fn backfill_day(subjects: &[Subject]) -> Result<String, String> {
    let today = js_sys::Date::now() as i64;
    let (from, to, step) =
        history::request(today - 24 * 3_600_000, today).ok_or("no history range")?;
    let (mut fetches, mut reads, mut files) = (Vec::new(), Vec::new(), Vec::new());
    let (mut bytes, mut rows) = (0, 0);
    for _ in 0..BACKFILLS {
        let (mut fetched, mut read, mut filed) = (0.0, 0.0, 0.0);
        (bytes, rows) = (0, 0);
        for s in subjects {
            let started = now();
            let url = fetch::history_url("", &s.name, from, to, step);
            let answer = fetch::get(&url).await.map_err(|e| e.to_string())?;
            let text = answer.text().await.map_err(|e| e.to_string())?;
            let parsed = now();
            let body = js_sys::JSON::parse(&text).map_err(|_| "malformed JSON")?;
            let history = fetch::read_history(&body, step).map_err(|e| e.to_string())?;
            let filing = now();
            let mut buffer = Buffer::default();
            rows += history.backfill(&mut buffer);
            let done = now();
            bytes += text.len();
            (fetched, read, filed) = (
                fetched + parsed - started,
                read + filing - parsed,
                filed + done - filing,
            );
        }
        fetches.push(fetched);
        reads.push(read);
        files.push(filed);
    }
    Ok(format!(
        "\"backfill_step_ms\":{step},\"backfill_bytes\":{bytes},\"backfill_rows\":{rows},\
         \"backfill_fetch_ms\":{},\"backfill_read_ms\":{},\"backfill_file_ms\":{}",
        stats(&mut fetches),
        stats(&mut reads),
        stats(&mut files),
    ))
}

/// Timed backfills of a day: each moves megabytes, so a few suffice.
const BACKFILLS: usize = 5;

/// Bytes of wasm memory the page holds (it grows, never shrinks).
fn wasm_memory() -> u32 {
    wasm_bindgen::memory()
        .unchecked_into::<js_sys::WebAssembly::Memory>()
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length()
}

/// `{"median":…,"max":…}` of timings in ms.
fn stats(runs: &mut [f64]) -> String {
    runs.sort_by(f64::total_cmp);
    let median = runs.get(runs.len() / 2).copied().unwrap_or(f64::NAN);
    let max = runs.last().copied().unwrap_or(f64::NAN);
    format!("{{\"median\":{median:.3},\"max\":{max:.3}}}")
}

/// A day of synthetic history, `STEP_MS` apart from `start_ms`.
fn fill(subject: &mut Subject, noise: &mut Noise, start_ms: i64) -> Result<(), String> {
    if subject.values.is_empty() {
        return Err("the relay returned no samples".to_owned());
    }
    let text = subject.template.clone();
    let template = parse::parse(&text);
    for i in 0..ROWS {
        subject.advance(noise);
        let samples = template
            .samples
            .iter()
            .zip(&subject.values)
            .map(|(s, &value)| Sample { value, ..*s })
            .collect();
        let scrape = Scrape {
            samples,
            ..Scrape::default()
        };
        subject
            .buffer
            .push(start_ms + i as i64 * STEP_MS, &scrape)
            .map_err(|e| format!("{e:?}"))?;
    }
    Ok(())
}

/// Uniform numbers in `[0, 1)` from a fixed seed (splitmix64), so every
/// run of the benchmark draws the same history.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) as f64 / 2f64.powi(64)
    }
}

/// Every chart's data and both snapshots for the hour ending at `end`.
fn recompute(subjects: &mut [Subject], end: i64) -> Vec<ChartData> {
    let start = end - WINDOW_MS;
    let grid = grid(start, end, STEP_MS);
    let both = subjects.len() > 1;
    let charts = CHARTS
        .iter()
        .map(|spec| {
            let mut lines = Vec::new();
            for (i, s) in subjects.iter_mut().enumerate() {
                let cache = s.caches.entry(spec.id).or_default();
                lines.extend(chart_lines(
                    spec,
                    (i, &s.name, both),
                    &s.buffer,
                    cache,
                    &grid,
                ));
            }
            chart_frame(start, end, &grid, lines, Vec::new())
        })
        .collect();
    for s in subjects.iter() {
        std::hint::black_box(snapshot(&s.name, &s.buffer.window(start, end)));
    }
    charts
}

/// Times drawing every chart on its own visible 600×180 canvas.
async fn redraw(charts: &[ChartData]) -> Result<Vec<f64>, String> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let body = document.body().ok_or("no body")?;
    let canvases: Vec<web_sys::HtmlCanvasElement> = charts
        .iter()
        .map(|_| {
            let canvas: web_sys::HtmlCanvasElement = document
                .create_element("canvas")
                .map_err(|_| "cannot create a canvas")?
                .unchecked_into();
            // Through the CSSOM: the relay's CSP forbids style attributes.
            web_sys::HtmlElement::style(&canvas)
                .set_css_text("display:block;width:600px;height:180px");
            body.append_child(&canvas)
                .map_err(|_| "cannot attach a canvas")?;
            Ok(canvas)
        })
        .collect::<Result<_, String>>()?;
    let palette = theme::palette(zai_dash_engine::view::Theme::Dark);
    let hidden = Default::default();
    let mut runs = Vec::new();
    for run in 0..WARM_UP + RUNS {
        if run == WARM_UP {
            settle().await;
        }
        let started = now();
        for ((canvas, data), spec) in canvases.iter().zip(charts).zip(CHARTS) {
            draw::draw(canvas, data, spec.unit, &hidden, &palette);
        }
        if run >= WARM_UP {
            runs.push(now() - started);
        }
    }
    Ok(runs)
}
