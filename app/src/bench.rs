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
//!
//! and reports the wasm memory in use. The JSON result appears in
//! `#bench-result`; `cargo run -p zai-dash-e2e --bin browser-bench` prints it.

use std::collections::HashMap;

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use zai_dash_engine::{
    buffer::Buffer,
    parse::{self, MetricType, Sample, Scrape},
    series::Cache,
    snapshot::snapshot,
};

use crate::{
    chart::{self, ChartData},
    fetch,
    panels::{CHARTS, grid, variant_lines},
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

/// One variant under test.
struct Subject {
    name: String,
    text: String,
    buffer: Buffer,
    caches: HashMap<&'static str, Cache>,
}

async fn run() -> Result<String, String> {
    let names = fetch::variants("").await?.names;
    let mut subjects = Vec::new();
    let start_ms = js_sys::Date::now() as i64 - ROWS as i64 * STEP_MS;
    let fill_started = now();
    for name in names {
        let text = fetch::scrape(&fetch::relay_url("", &name)).await?;
        let buffer = fill(&text, start_ms)?;
        subjects.push(Subject {
            name,
            text,
            buffer,
            caches: HashMap::new(),
        });
    }
    let fill_ms = now() - fill_started;

    let mut t_ms = start_ms + ROWS as i64 * STEP_MS;
    let mut ticks = Vec::new();
    let mut charts = Vec::new();
    for _ in 0..RUNS {
        t_ms += STEP_MS;
        let started = now();
        for s in &mut subjects {
            let scrape = parse::parse(&s.text);
            s.buffer.push(t_ms, &scrape).map_err(|e| format!("{e:?}"))?;
        }
        charts = recompute(&mut subjects, t_ms);
        ticks.push(now() - started);
    }
    let mut cold = Vec::new();
    for _ in 0..5 {
        subjects.iter_mut().for_each(|s| s.caches.clear());
        let started = now();
        recompute(&mut subjects, t_ms);
        cold.push(now() - started);
    }
    let redraws = redraw(&charts)?;

    let memory = wasm_bindgen::memory()
        .unchecked_into::<js_sys::WebAssembly::Memory>()
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length();
    let buffers: usize = subjects.iter().map(|s| s.buffer.heap_bytes()).sum();
    Ok(format!(
        "{{\"variants\":{},\"rows_per_variant\":{},\"fill_ms\":{:.0},\
         \"tick_ms\":{},\"cold_recompute_ms\":{},\"redraw_ms\":{},\
         \"buffer_bytes\":{buffers},\"wasm_memory_bytes\":{memory}}}",
        subjects.len(),
        subjects.first().map_or(0, |s| s.buffer.len()),
        fill_ms,
        stats(&mut ticks),
        stats(&mut cold),
        stats(&mut redraws.clone()),
    ))
}

/// `{"median":…,"max":…}` of timings in ms.
fn stats(runs: &mut [f64]) -> String {
    runs.sort_by(f64::total_cmp);
    let median = runs.get(runs.len() / 2).copied().unwrap_or(f64::NAN);
    let max = runs.last().copied().unwrap_or(f64::NAN);
    format!("{{\"median\":{median:.3},\"max\":{max:.3}}}")
}

/// A day of history from one scrape: counters (and histogram parts) grow
/// a little every step, gauges wander around their value.
fn fill(text: &str, start_ms: i64) -> Result<Buffer, String> {
    let template = parse::parse(text);
    if template.samples.is_empty() {
        return Err("the relay returned no samples".to_owned());
    }
    let mut buffer = Buffer::default();
    for i in 0..ROWS {
        let x = i as f64;
        let samples = template
            .samples
            .iter()
            .map(|s| Sample {
                value: match s.kind {
                    MetricType::Gauge => s.value * (1.0 + 0.3 * (x / 40.0).sin()),
                    _ => s.value * (1.0 + x / 2_000.0) + x * (x % 3.0),
                },
                ..*s
            })
            .collect();
        let scrape = Scrape {
            samples,
            ..Scrape::default()
        };
        buffer
            .push(start_ms + i as i64 * STEP_MS, &scrape)
            .map_err(|e| format!("{e:?}"))?;
    }
    Ok(buffer)
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
                let series =
                    s.caches
                        .entry(spec.id)
                        .or_default()
                        .update(&s.buffer, &grid, spec.compute);
                lines.extend(variant_lines((i, &s.name, both), series, spec.style));
            }
            ChartData {
                start_ms: start,
                end_ms: end,
                times: grid.times().collect(),
                lines,
                markers: Vec::new(),
                snap_ms: grid.step_ms,
            }
        })
        .collect();
    for s in subjects.iter() {
        std::hint::black_box(snapshot(&s.name, &s.buffer.window(start, end)));
    }
    charts
}

/// Times drawing every chart on its own visible 600×180 canvas.
fn redraw(charts: &[ChartData]) -> Result<Vec<f64>, String> {
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
    for _ in 0..RUNS {
        let started = now();
        for ((canvas, data), spec) in canvases.iter().zip(charts).zip(CHARTS) {
            chart::draw(canvas, data, spec.unit, &hidden, None, &palette);
        }
        runs.push(now() - started);
    }
    Ok(runs)
}
